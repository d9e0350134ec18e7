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

#include <stddef.h>
#include <stdint.h>

struct cow_ring;

/* Over @data (@capacity bytes) with its indices at @shared
 * (cow_ring_shared_size() bytes, 128-byte aligned): the bench gives it the
 * pages of the mmr_ring it is compared with, so that both run on the same
 * physical memory. NULL @data: map its own. */
struct cow_ring *cow_ring_create(size_t capacity, void *data, void *shared);
size_t cow_ring_shared_size(void);
void cow_ring_destroy(struct cow_ring *r);
/* Copy @n bytes in, split at the end if need be; 0, or -1 if full. */
int cow_ring_put(struct cow_ring *r, const void *src, size_t n);
/* A contiguous view of the next @n bytes: in the ring, or in @scratch
 * when they straddle the end. NULL if fewer than @n are filled. */
const void *cow_ring_peek(struct cow_ring *r, size_t n, void *scratch);
void cow_ring_consume(struct cow_ring *r, size_t n);
/* Sleep (futex, after @spin checks) until @n bytes are filled (@readable)
 * or free; rings shared across fork() need their own mapping (NULL data). */
void cow_ring_wait(struct cow_ring *r, int readable, size_t n, unsigned spin);

#endif
