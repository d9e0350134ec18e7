/* SPDX-License-Identifier: MIT */
/*
 * The copy-on-wrap baseline for `mmr bench ring`: a careful SPSC byte ring
 * in one plain mapping, with the same index protocol as mmr_ring (free
 * running indices on their own lines, the other side's index cached and
 * re-read with an acquire load only when it is short, release publication
 * and a waiting flag checked after it), as DPDK's rte_ring or a kfifo
 * would do it. A record that straddles the end is split by the producer
 * and copied into a scratch buffer by a consumer that parses in place.
 */
#ifndef MMR_BENCH_RING_COPY_H
#define MMR_BENCH_RING_COPY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define COW_LINE 128

/* The shared part, one index per line as in mmr_ring's header. */
struct cow_shared {
	_Alignas(COW_LINE) _Atomic uint64_t head;
	_Alignas(COW_LINE) _Atomic uint64_t tail;
	_Alignas(COW_LINE) _Atomic uint32_t rd_waiting, wr_waiting;
	_Atomic uint32_t rd_seq, wr_seq;	/* futex words of the sleepers */
};

struct cow_ring {
	struct cow_shared *sh;
	unsigned char *data;
	size_t cap, mask;
	int light;		/* as mmr_ring: release + membarrier sleepers */
	int own;		/* data and sh were mapped here */
	/* The other side's index as last seen, as mmr_ring keeps them. */
	_Alignas(COW_LINE) uint64_t seen_tail;	/* producer's */
	_Alignas(COW_LINE) uint64_t seen_head;	/* consumer's */
};

/* Over @data (@capacity bytes) with its indices at @shared
 * (cow_ring_shared_size() bytes, 128-byte aligned): the bench gives it the
 * pages of the mmr_ring it is compared with, so that both run on the same
 * physical memory. NULL @data: map its own. */
struct cow_ring *cow_ring_create(size_t capacity, void *data, void *shared);
size_t cow_ring_shared_size(void);
void cow_ring_destroy(struct cow_ring *r);
void cow_ring_wake(_Atomic uint32_t *waiting, _Atomic uint32_t *seq);

/* The hot path inline, as a hand-written ring in a program would be (and
 * as mmr_ring's fast path is): a caller that knows the record size at
 * compile time gets a copy of that size. */
static inline size_t cow_off(const struct cow_ring *r, uint64_t idx)
{
	return r->mask ? (size_t)(idx & r->mask) : (size_t)(idx % r->cap);
}

/* What mmr_ring does to publish an index: store it, look for a sleeper. */
static inline void cow_publish(const struct cow_ring *r, _Atomic uint64_t *idx, uint64_t v,
			   _Atomic uint32_t *waiting, _Atomic uint32_t *seq)
{
	if (r->light) {
		atomic_store_explicit(idx, v, memory_order_release);
		atomic_signal_fence(memory_order_seq_cst);
		if (atomic_load_explicit(waiting, memory_order_relaxed))
			cow_ring_wake(waiting, seq);
		return;
	}
	atomic_store(idx, v);
	if (atomic_load(waiting))
		cow_ring_wake(waiting, seq);
}

/* Copy @n bytes in, split at the end if need be; 0, or -1 if full. */
static inline int cow_ring_put(struct cow_ring *r, const void *src, size_t n)
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
	o = cow_off(r, head);
	first = r->cap - o < n ? r->cap - o : n;
	memcpy(r->data + o, src, first);
	if (first < n)
		memcpy(r->data, (const unsigned char *)src + first, n - first);
	cow_publish(r, &sh->head, head + n, &sh->rd_waiting, &sh->rd_seq);
	return 0;
}

/* A contiguous view of the next @n bytes: in the ring, or in @scratch
 * when they straddle the end. NULL if fewer than @n are filled. */
static inline const void *cow_ring_peek(struct cow_ring *r, size_t n, void *scratch)
{
	struct cow_shared *sh = r->sh;
	uint64_t tail = atomic_load_explicit(&sh->tail, memory_order_relaxed);
	size_t o, first;

	if (r->seen_head - tail < n) {
		r->seen_head = atomic_load_explicit(&sh->head, memory_order_acquire);
		if (r->seen_head - tail < n)
			return NULL;
	}
	o = cow_off(r, tail);
	if (r->cap - o >= n)
		return r->data + o;
	first = r->cap - o;
	memcpy(scratch, r->data + o, first);
	memcpy((unsigned char *)scratch + first, r->data, n - first);
	return scratch;
}

static inline void cow_ring_consume(struct cow_ring *r, size_t n)
{
	struct cow_shared *sh = r->sh;
	uint64_t tail = atomic_load_explicit(&sh->tail, memory_order_relaxed);

	cow_publish(r, &sh->tail, tail + n, &sh->wr_waiting, &sh->wr_seq);
}

/* Sleep (futex, after @spin checks) until @n bytes are filled (@readable)
 * or free; rings shared across fork() need their own mapping (NULL data). */
void cow_ring_wait(struct cow_ring *r, int readable, size_t n, unsigned spin);

#endif
