// SPDX-License-Identifier: MIT
/* The copy-on-wrap ring of bench/ring_copy.h. */
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ring_copy.h"

#define LINE 128

struct cow_ring {
	unsigned char *data;
	size_t cap, mask;
	_Alignas(LINE) _Atomic uint64_t head;
	_Alignas(LINE) _Atomic uint64_t tail;
	_Alignas(LINE) _Atomic uint32_t rd_waiting, wr_waiting;
};

struct cow_ring *cow_ring_create(size_t capacity)
{
	struct cow_ring *r = aligned_alloc(LINE, sizeof(*r));

	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->data = mmap(NULL, capacity, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (r->data == MAP_FAILED) {
		free(r);
		return NULL;
	}
	r->cap = capacity;
	r->mask = (capacity & (capacity - 1)) ? 0 : capacity - 1;
	return r;
}

void cow_ring_destroy(struct cow_ring *r)
{
	if (!r)
		return;
	munmap(r->data, r->cap);
	free(r);
}

static inline size_t off(const struct cow_ring *r, uint64_t idx)
{
	return r->mask ? (size_t)(idx & r->mask) : (size_t)(idx % r->cap);
}

/* What mmr_ring does after publishing: look for a sleeper. */
static inline void wake(_Atomic uint32_t *waiting)
{
	if (atomic_load(waiting))
		atomic_store(waiting, 0);	/* (a futex wake would follow) */
}

int cow_ring_put(struct cow_ring *r, const void *src, size_t n)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t o, first;

	/* A fresh tail every time, as mmr_ring_write_ptr() reads one. */
	if (r->cap - (head - atomic_load_explicit(&r->tail, memory_order_acquire)) < n)
		return -1;
	o = off(r, head);
	first = r->cap - o < n ? r->cap - o : n;
	memcpy(r->data + o, src, first);
	if (first < n)
		memcpy(r->data, (const unsigned char *)src + first, n - first);
	atomic_store(&r->head, head + n);
	wake(&r->rd_waiting);
	return 0;
}

const void *cow_ring_peek(struct cow_ring *r, size_t n, void *scratch)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t o, first;

	if (atomic_load_explicit(&r->head, memory_order_acquire) - tail < n)
		return NULL;
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
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store(&r->tail, tail + n);
	wake(&r->wr_waiting);
}
