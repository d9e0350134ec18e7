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

size_t cow_ring_shared_size(void)
{
	return sizeof(struct cow_shared);
}

struct cow_ring *cow_ring_create(size_t capacity, void *data, void *shared)
{
	struct cow_ring *r = aligned_alloc(COW_LINE, sizeof(*r));

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

/* A sleeper said so: bump its futex word and wake it (the slow path). */
void cow_ring_wake(_Atomic uint32_t *waiting, _Atomic uint32_t *seq)
{
	if (!atomic_exchange(waiting, 0))
		return;
	atomic_fetch_add(seq, 1);
	syscall(SYS_futex, seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
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
