/* SPDX-License-Identifier: MIT */
/*
 * A concurrent collector over an mmr_heap, after ZGC's non-generational
 * design (JDK 11-20): colored pointers in three views (Marked0, Marked1,
 * Remapped: one bit each), a load barrier that marks, relocates, remaps
 * and heals; several mutator threads and GC worker threads; concurrent
 * marking with an atomic mark bitmap; concurrent relocation racing the
 * mutators, forwarding entries installed with compare-and-swap; a page
 * cache that reuses committed memory at new virtual addresses
 * (mmr_heap_map / mmr_heap_move); large objects on pages of their own.
 *
 * Rules for mutator code (as a JIT would compile it): heap pointers live
 * in the thread's roots across gc_safepoint() and gc_alloc() (both may
 * stop the thread for a pause); between them, pointers loaded through
 * gc_load()/gc_root_load() may be used freely.
 */
#ifndef GC_H
#define GC_H

#include <stddef.h>
#include <stdint.h>

#include "memmirror.h"

#define GC_PAGE		(64u << 10)	/* small page = one granule */
#define GC_ALIGN	16u		/* object alignment */
#define GC_SMALL_MAX	(GC_PAGE / 8)	/* larger objects get a page of their own */
#define GC_NROOTS	32		/* per mutator thread */
#define GC_NSHARED	64		/* roots shared by all threads */

/* An object: header, nref colored pointers (0 is null), nbytes payload.
 * All accesses are atomic (several threads, several colors). */
struct gc_obj {
	uint32_t size;		/* bytes, header included, GC_ALIGN aligned */
	uint16_t nref;
	uint16_t spare;
	uint32_t id;
	uint32_t nbytes;
	uintptr_t ref[];
};

struct gc_stats {
	unsigned long cycles, pauses;
	unsigned long marked, relocated, relocated_by_mutator, cas_lost;
	unsigned long remapped, healed;
	unsigned long pages_evacuated, pages_freed_empty, large_allocated, large_freed;
	unsigned long maps, moves, cache_hits, commits, uncommits;
	unsigned long stalls;
	size_t live_bytes;	/* found by the last mark */
	double max_pause_ms;
};

struct gc;
struct gc_thread;

/* A heap of @heap_size bytes of memory (and 4x that of address space per
 * view) with @workers GC threads. The collector runs a cycle whenever an
 * allocation stalls, on gc_request(), and every @interval_ms (0: back to
 * back, for stress). */
struct gc *gc_create(size_t heap_size, unsigned workers, unsigned interval_ms);
void gc_destroy(struct gc *gc);
mmr_heap *gc_heap(struct gc *gc);
/* Copy of the statistics (counters are updated concurrently). */
void gc_get_stats(struct gc *gc, struct gc_stats *st);
/* Ask for a cycle and wait until one has finished (a safepoint). */
void gc_collect(struct gc_thread *t);

/* A mutator thread: attach before touching the heap, detach at the end. */
struct gc_thread *gc_attach(struct gc *gc);
void gc_detach(struct gc_thread *t);
/* Where a pause may stop this thread. */
void gc_safepoint(struct gc_thread *t);
/* Around a call that may block (a lock, a barrier, I/O): the thread holds
 * no heap pointer outside its roots in between, and pauses go on without
 * it (as a JVM thread in native code). */
void gc_blocking_begin(struct gc_thread *t);
void gc_blocking_end(struct gc_thread *t);

/* Allocate an object with null fields and zeroed payload; 0 when the
 * heap stays full after a collection. A safepoint. */
uintptr_t gc_alloc(struct gc_thread *t, unsigned nref, unsigned nbytes);
/* The load barrier: field @i of @obj, healed to the good color. */
uintptr_t gc_load(struct gc_thread *t, uintptr_t obj, unsigned i);
void gc_store(struct gc_thread *t, uintptr_t obj, unsigned i, uintptr_t val);
uintptr_t gc_root_load(struct gc_thread *t, unsigned i);
void gc_root_store(struct gc_thread *t, unsigned i, uintptr_t val);
uintptr_t gc_shared_load(struct gc_thread *t, unsigned i);
void gc_shared_store(struct gc_thread *t, unsigned i, uintptr_t val);

/* Dereference a colored pointer as is: every color reaches the object. */
static inline struct gc_obj *gc_obj(uintptr_t p)
{
	return (struct gc_obj *)p;
}
static inline uint32_t gc_obj_id(uintptr_t p)
{
	return __atomic_load_n(&gc_obj(p)->id, __ATOMIC_RELAXED);
}
static inline unsigned gc_obj_nref(uintptr_t p)
{
	return __atomic_load_n(&gc_obj(p)->nref, __ATOMIC_RELAXED);
}
static inline unsigned gc_obj_nbytes(uintptr_t p)
{
	return __atomic_load_n(&gc_obj(p)->nbytes, __ATOMIC_RELAXED);
}
static inline void gc_obj_set_id(uintptr_t p, uint32_t id)
{
	__atomic_store_n(&gc_obj(p)->id, id, __ATOMIC_RELAXED);
}
static inline unsigned char *gc_payload(uintptr_t p)
{
	return (unsigned char *)&gc_obj(p)->ref[gc_obj_nref(p)];
}
static inline unsigned char gc_payload_get(uintptr_t p, unsigned j)
{
	return __atomic_load_n(&gc_payload(p)[j], __ATOMIC_RELAXED);
}
static inline void gc_payload_set(uintptr_t p, unsigned j, unsigned char v)
{
	__atomic_store_n(&gc_payload(p)[j], v, __ATOMIC_RELAXED);
}

#endif /* GC_H */
