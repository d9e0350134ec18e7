/* SPDX-License-Identifier: MIT */
/*
 * A toy concurrent-style collector over an mmr_heap, after ZGC's design:
 * colored pointers, a load barrier that heals fields, mark / relocate /
 * remap phases, evacuation of sparse pages with forwarding tables kept
 * outside the heap, and uncommit of evacuated and empty pages.
 *
 * One thread runs both the mutator and the collector, but the collector
 * works in small steps (gc_step()) that the mutator interleaves with its
 * own loads and stores, so the barrier sees every phase for real: stale
 * colors, objects relocated under the mutator, fields pointing into pages
 * that are no longer committed.
 */
#ifndef GC_H
#define GC_H

#include <stddef.h>
#include <stdint.h>

#include "memmirror.h"

#define GC_PAGE		(64u << 10)	/* allocation and evacuation unit */
#define GC_GRANULE	16u		/* object alignment */
#define GC_MAX_OBJ	(GC_PAGE / 4)	/* largest object */
#define GC_NROOTS	64

/* An object in the heap, reached through a colored pointer. The fields
 * hold colored pointers (0 is null); payload bytes follow the fields. */
struct gc_obj {
	uint32_t id;
	uint16_t nref;
	uint16_t nbytes;
	uint32_t check;		/* gc_obj_check(): identity of the object */
	uint32_t size;		/* bytes, header included, GC_GRANULE aligned */
	uintptr_t ref[];
};

enum gc_phase {
	GC_IDLE,
	GC_MARK,	/* concurrent mark (and remap of the last cycle) */
	GC_RELOCATE,	/* concurrent evacuation of the relocation set */
};

struct gc_stats {
	unsigned long cycles;
	unsigned long marked_objs, relocated_objs, relocated_by_mutator;
	unsigned long healed, remapped;
	unsigned long pages_evacuated, pages_freed_empty;
	size_t live_bytes;	/* found by the last mark */
};

struct gc;

struct gc *gc_create(size_t heap_size);
void gc_destroy(struct gc *gc);
mmr_heap *gc_heap(struct gc *gc);

/* Allocate an object with null fields; 0 if the heap is full. The result
 * carries the current good color. Payload is left zeroed. */
uintptr_t gc_alloc(struct gc *gc, unsigned nref, unsigned nbytes);

/* The load barrier: field @i of @obj, healed to the good color. */
uintptr_t gc_load(struct gc *gc, uintptr_t obj, unsigned i);
void gc_store(struct gc *gc, uintptr_t obj, unsigned i, uintptr_t val);
uintptr_t gc_root_load(struct gc *gc, unsigned i);
void gc_root_store(struct gc *gc, unsigned i, uintptr_t val);

/* Dereference a colored pointer as is: every color reaches the object. */
static inline struct gc_obj *gc_obj(uintptr_t p)
{
	return (struct gc_obj *)p;
}
static inline unsigned char *gc_payload(uintptr_t p)
{
	struct gc_obj *o = gc_obj(p);

	return (unsigned char *)&o->ref[o->nref];
}
static inline uint32_t gc_obj_check(uint32_t id, unsigned nref, unsigned nbytes)
{
	uint32_t x = id * 2654435761u ^ (nref << 20) ^ nbytes;

	return x ^ (x >> 15) ^ 0x5bd1e995u;
}

/* Advance the collector by about @budget units of work, starting a cycle
 * if idle. Returns 1 when the cycle has finished (back to idle). */
int gc_step(struct gc *gc, unsigned budget);
/* Finish the running cycle, if any, then run one whole cycle. */
void gc_collect(struct gc *gc);
enum gc_phase gc_phase(const struct gc *gc);
const struct gc_stats *gc_stats(const struct gc *gc);
/* Bytes of heap pages in use (allocated, or holding live objects). */
size_t gc_used_bytes(const struct gc *gc);

#endif /* GC_H */
