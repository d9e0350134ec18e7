// SPDX-License-Identifier: MIT
/* The copy-on-wrap ring of bench/ring_copy.h. */
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ring_copy.h"

#define LINE 128

/* The shared part, one index per line as in mmr_ring's header. */
struct cow_shared {
	_Alignas(LINE) _Atomic uint64_t head;
	_Alignas(LINE) _Atomic uint64_t tail;
	_Alignas(LINE) _Atomic uint32_t rd_waiting, wr_waiting;
	_Atomic uint32_t rd_seq, wr_seq;	/* futex words of the sleepers */
};

struct cow_ring {
	struct cow_shared *sh;
	unsigned char *data;
	size_t cap, mask;
	int light;		/* as mmr_ring: release + membarrier sleepers */
	int own;		/* data and sh were mapped here */
	/* The other side's index as last seen, as mmr_ring keeps them. */
	_Alignas(LINE) uint64_t seen_tail;	/* producer's */
	_Alignas(LINE) uint64_t seen_head;	/* consumer's */
};

size_t cow_ring_shared_size(void)
{
	return sizeof(struct cow_shared);
}

struct cow_ring *cow_ring_create(size_t capacity, void *data, void *shared)
{
	struct cow_ring *r = aligned_alloc(LINE, sizeof(*r));

	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->own = !data;
	if (r->own) {
		data = mmap(NULL, capacity + 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (data == MAP_FAILED) {
			free(r);
			return NULL;
		}
		shared = data;
		data = (unsigned char *)data + 4096;
	}
	r->sh = shared;
	memset(r->sh, 0, sizeof(*r->sh));
	r->data = data;
	r->cap = capacity;
	/* The same choice mmr_ring makes (src/ring.c, ring_fence_init). */
	r->light = !syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0);
	r->mask = (capacity & (capacity - 1)) ? 0 : capacity - 1;
	return r;
}

void cow_ring_destroy(struct cow_ring *r)
{
	if (!r)
		return;
	if (r->own)
		munmap(r->data - 4096, r->cap + 4096);
	free(r);
}

static inline size_t off(const struct cow_ring *r, uint64_t idx)
{
	return r->mask ? (size_t)(idx & r->mask) : (size_t)(idx % r->cap);
}

/* A sleeper said so: bump its futex word and wake it. */
static void wake(_Atomic uint32_t *waiting, _Atomic uint32_t *seq)
{
	if (!atomic_exchange(waiting, 0))
		return;
	atomic_fetch_add(seq, 1);
	syscall(SYS_futex, seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* What mmr_ring does to publish an index: store it, look for a sleeper. */
static inline void publish(const struct cow_ring *r, _Atomic uint64_t *idx, uint64_t v,
			   _Atomic uint32_t *waiting, _Atomic uint32_t *seq)
{
	if (r->light) {
		atomic_store_explicit(idx, v, memory_order_release);
		atomic_signal_fence(memory_order_seq_cst);
		if (atomic_load_explicit(waiting, memory_order_relaxed))
			wake(waiting, seq);
		return;
	}
	atomic_store(idx, v);
	if (atomic_load(waiting))
		wake(waiting, seq);
}

int cow_ring_put(struct cow_ring *r, const void *src, size_t n)
{
	struct cow_shared *sh = r->sh;
	uint64_t head = atomic_load_explicit(&sh->head, memory_order_relaxed);
	size_t o, first;

	/* The consumer's line only when the last tail seen is not enough,
	 * as mmr_ring_reserve() does. */
	if (r->cap - (head - r->seen_tail) < n) {
		r->seen_tail = atomic_load_explicit(&sh->tail, memory_order_acquire);
		if (r->cap - (head - r->seen_tail) < n)
			return -1;
	}
	o = off(r, head);
	first = r->cap - o < n ? r->cap - o : n;
	memcpy(r->data + o, src, first);
	if (first < n)
		memcpy(r->data, (const unsigned char *)src + first, n - first);
	publish(r, &sh->head, head + n, &sh->rd_waiting, &sh->rd_seq);
	return 0;
}

const void *cow_ring_peek(struct cow_ring *r, size_t n, void *scratch)
{
	struct cow_shared *sh = r->sh;
	uint64_t tail = atomic_load_explicit(&sh->tail, memory_order_relaxed);
	size_t o, first;

	if (r->seen_head - tail < n) {
		r->seen_head = atomic_load_explicit(&sh->head, memory_order_acquire);
		if (r->seen_head - tail < n)
			return NULL;
	}
	o = off(r, tail);
	if (r->cap - o >= n)
		return r->data + o;
	first = r->cap - o;
	memcpy(scratch, r->data + o, first);
	memcpy((unsigned char *)scratch + first, r->data, n - first);
	return scratch;
}

void cow_ring_consume(struct cow_ring *r, size_t n)
{
	struct cow_shared *sh = r->sh;
	uint64_t tail = atomic_load_explicit(&sh->tail, memory_order_relaxed);

	publish(r, &sh->tail, tail + n, &sh->wr_waiting, &sh->wr_seq);
}

/*
 * Sleep until @n bytes are filled (@readable) or free: the protocol of
 * mmr_ring's waits, with a waiting flag instead of a threshold (so every
 * publication wakes a sleeper), the same spin and the same membarrier.
 */
void cow_ring_wait(struct cow_ring *r, int readable, size_t n, unsigned spin)
{
	struct cow_shared *sh = r->sh;
	_Atomic uint32_t *waiting = readable ? &sh->rd_waiting : &sh->wr_waiting;
	_Atomic uint32_t *seq = readable ? &sh->rd_seq : &sh->wr_seq;

	for (unsigned i = 0;; i++) {
		uint64_t head = atomic_load(&sh->head), tail = atomic_load(&sh->tail);
		uint32_t s;

		if (readable ? head - tail >= n : r->cap - (head - tail) >= n)
			return;
		if (i < spin)
			continue;
		s = atomic_load(seq);
		atomic_store(waiting, 1);
		if (r->light)
			syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0);
		head = atomic_load(&sh->head);
		tail = atomic_load(&sh->tail);
		if (readable ? head - tail >= n : r->cap - (head - tail) >= n)
			return;
		syscall(SYS_futex, seq, FUTEX_WAIT, s, NULL, NULL, 0);
	}
}
