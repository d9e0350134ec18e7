// SPDX-License-Identifier: MIT
/*
 * The collector. Colors are views of one mmr_heap: M0 (view 0), M1 (view 1)
 * and R, remapped (view 2). A pointer is "good" when it carries the color
 * of the current phase: the mark color while marking, R while relocating.
 * Any other color sends the load barrier to its slow path, which
 *  - remaps: if the object's page was evacuated, looks its new address up
 *    in the page's forwarding table (or, while relocating, copies it now);
 *  - marks, while marking: sets the mark bit and pushes the object;
 *  - heals: stores the good pointer back into the field it came from.
 * Pointers left stale by a relocation are remapped by the next mark, which
 * visits every reachable field; only after it may the evacuated pages'
 * addresses (already uncommitted) and forwarding tables be reused.
 *
 * Cycle: mark start (pause: flip the mark color, mark the roots) ->
 * concurrent mark -> mark end (pause: free the last cycle's forwarding,
 * free empty pages, pick sparse pages for evacuation) -> relocate start
 * (pause: color R, relocate the roots) -> concurrent relocation (evacuate
 * each page, uncommit it) -> idle.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"

enum { C_M0, C_M1, C_R, C_VIEWS };

enum page_state {
	P_FREE,		/* uncommitted, address free for reuse */
	P_ALLOC,	/* committed, holds objects */
	P_RELOCATING,	/* in the relocation set, being evacuated */
	P_EVACUATED,	/* uncommitted; forwarding alive until next mark end */
};

struct fwd_entry {
	uint32_t from;		/* offset in page + 1; 0: empty slot */
	uint32_t to;		/* offset of the copy in the heap / GC_GRANULE */
};

struct page {
	enum page_state state;
	uint32_t top;		/* bump pointer */
	uint32_t live_bytes, live_objs;
	uint64_t mark[GC_PAGE / GC_GRANULE / 64];
	struct fwd_entry *fwd;	/* outside the heap: survives uncommit */
	uint32_t fwd_mask;
};

struct gc {
	mmr_heap *heap;
	uintptr_t base;		/* view 0, the uncolored address */
	uintptr_t mask;
	unsigned shift;
	uintptr_t good;		/* color bits of good pointers */
	unsigned mark_color;
	enum gc_phase phase;
	struct page *pages;
	size_t npages;
	size_t alloc_page;	/* mutator's bump page; npages: none */
	size_t reloc_page;	/* relocation's bump page; npages: none */
	size_t nfree;		/* pages in P_FREE */
	size_t reserve;		/* free pages promised to relocation */
	size_t *relocset;
	size_t nrelocset, reloc_next;
	uint32_t *stack;	/* mark stack: heap offsets / GC_GRANULE */
	size_t nstack, capstack;
	uintptr_t roots[GC_NROOTS];
	struct gc_stats st;
};

/* ---- addresses ---- */

static size_t p2off(const struct gc *gc, uintptr_t p)
{
	return (p & ~gc->mask) - gc->base;
}

static uintptr_t off2p(const struct gc *gc, size_t off, uintptr_t color_bits)
{
	return (gc->base + off) | color_bits;
}

static uintptr_t color_bits(const struct gc *gc, unsigned c)
{
	return (uintptr_t)c << gc->shift;
}

/* Field accesses are atomic: the same word is read and written through
 * several colors, and the compiler must not assume they differ. */
static uintptr_t ld(const uintptr_t *f)
{
	return __atomic_load_n(f, __ATOMIC_ACQUIRE);
}

static void st(uintptr_t *f, uintptr_t v)
{
	__atomic_store_n(f, v, __ATOMIC_RELEASE);
}

/* ---- pages ---- */

/* A fresh page for the mutator (@reloc 0) or the relocation (1). The
 * mutator may not eat the pages that relocation was promised. */
static int page_take(struct gc *gc, int reloc)
{
	if (!gc->nfree || (!reloc && gc->nfree <= gc->reserve))
		return -1;
	for (size_t i = 0; i < gc->npages; i++) {
		struct page *pg = &gc->pages[i];

		if (pg->state != P_FREE)
			continue;
		if (mmr_heap_commit(gc->heap, i * GC_PAGE, GC_PAGE)) {
			fprintf(stderr, "gc: commit: %s\n", mmr_last_error());
			return -1;
		}
		pg->state = P_ALLOC;
		pg->top = 0;
		pg->live_bytes = pg->live_objs = 0;
		memset(pg->mark, 0, sizeof(pg->mark));
		gc->nfree--;
		if (reloc && gc->reserve)
			gc->reserve--;
		*(reloc ? &gc->reloc_page : &gc->alloc_page) = i;
		return 0;
	}
	return -1;
}

static void page_uncommit(struct gc *gc, size_t i, enum page_state to)
{
	if (mmr_heap_uncommit(gc->heap, i * GC_PAGE, GC_PAGE))
		fprintf(stderr, "gc: uncommit: %s\n", mmr_last_error());
	gc->pages[i].state = to;
	gc->nfree += to == P_FREE;
	if (gc->alloc_page == i)
		gc->alloc_page = gc->npages;
}

static int mark_bit(struct gc *gc, size_t off)
{
	struct page *pg = &gc->pages[off / GC_PAGE];
	size_t g = (off % GC_PAGE) / GC_GRANULE;
	uint64_t bit = 1ull << (g % 64);

	if (pg->mark[g / 64] & bit)
		return 0;
	pg->mark[g / 64] |= bit;
	return 1;
}

/* Newly marked object at @off: count it live. */
static void account_live(struct gc *gc, size_t off)
{
	struct page *pg = &gc->pages[off / GC_PAGE];
	const struct gc_obj *o = gc_obj(off2p(gc, off, 0));

	pg->live_bytes += o->size;
	pg->live_objs++;
	gc->st.marked_objs++;
}

/* ---- allocation ---- */

static size_t obj_size(unsigned nref, unsigned nbytes)
{
	size_t s = sizeof(struct gc_obj) + nref * sizeof(uintptr_t) + nbytes;

	return (s + GC_GRANULE - 1) & ~(size_t)(GC_GRANULE - 1);
}

/* Bump-allocate @size bytes; returns the heap offset or -1. */
static long alloc_raw(struct gc *gc, size_t size, int reloc)
{
	size_t *cur = reloc ? &gc->reloc_page : &gc->alloc_page;
	struct page *pg;

	if (*cur == gc->npages || gc->pages[*cur].top + size > GC_PAGE) {
		if (page_take(gc, reloc))
			return -1;
	}
	pg = &gc->pages[*cur];
	pg->top += (uint32_t)size;
	return (long)(*cur * GC_PAGE + pg->top - size);
}

uintptr_t gc_alloc(struct gc *gc, unsigned nref, unsigned nbytes)
{
	size_t size = obj_size(nref, nbytes);
	struct gc_obj *o;
	long off;

	if (size > GC_MAX_OBJ)
		return 0;
	off = alloc_raw(gc, size, 0);
	if (off < 0)
		return 0;
	o = gc_obj(off2p(gc, (size_t)off, gc->good));
	/* Fresh pages read zeros; a reused bump range is fresh too, since a
	 * page is only reused after being uncommitted. */
	o->nref = (uint16_t)nref;
	o->nbytes = (uint16_t)nbytes;
	o->size = (uint32_t)size;
	/* Allocated during marking: live for this cycle ("allocate black"). */
	if (gc->phase == GC_MARK && mark_bit(gc, (size_t)off)) {
		struct page *pg = &gc->pages[off / GC_PAGE];

		pg->live_bytes += (uint32_t)size;
		pg->live_objs++;
	}
	mmr_barrier();
	return off2p(gc, (size_t)off, gc->good);
}

/* ---- forwarding ---- */

static uint32_t fwd_hash(uint32_t from, uint32_t mask)
{
	return (from * 2654435761u >> 7) & mask;
}

static struct fwd_entry *fwd_find(struct page *pg, uint32_t from)
{
	uint32_t i = fwd_hash(from + 1, pg->fwd_mask);

	while (pg->fwd[i].from && pg->fwd[i].from != from + 1)
		i = (i + 1) & pg->fwd_mask;
	return &pg->fwd[i];
}

/* Copy the object at heap offset @off out of its page (being evacuated)
 * unless already done; returns its new offset. */
static size_t relocate(struct gc *gc, size_t off, int by_mutator)
{
	struct page *pg = &gc->pages[off / GC_PAGE];
	struct fwd_entry *e = fwd_find(pg, (uint32_t)(off % GC_PAGE));
	const struct gc_obj *from;
	long to;

	if (e->from)
		return (size_t)e->to * GC_GRANULE;
	assert(pg->state == P_RELOCATING);
	from = gc_obj(off2p(gc, off, 0));
	to = alloc_raw(gc, from->size, 1);
	if (to < 0) {
		/* Relocation set was sized to fit the free pages. */
		fprintf(stderr, "gc: out of memory while relocating\n");
		abort();
	}
	/* Copy through the R view to the R view of the copy: the views share
	 * pages, so any color would do. */
	memcpy(gc_obj(off2p(gc, (size_t)to, color_bits(gc, C_R))),
	       gc_obj(off2p(gc, off, color_bits(gc, C_R))), from->size);
	mmr_barrier();
	e->from = (uint32_t)(off % GC_PAGE) + 1;
	e->to = (uint32_t)((size_t)to / GC_GRANULE);
	gc->st.relocated_objs++;
	gc->st.relocated_by_mutator += (unsigned long)by_mutator;
	return (size_t)to;
}

/* ---- the load barrier ---- */

static void mark_push(struct gc *gc, size_t off)
{
	if (gc->nstack == gc->capstack) {
		gc->capstack = gc->capstack ? 2 * gc->capstack : 1024;
		gc->stack = realloc(gc->stack, gc->capstack * sizeof(*gc->stack));
		if (!gc->stack)
			abort();
	}
	gc->stack[gc->nstack++] = (uint32_t)(off / GC_GRANULE);
}

static uintptr_t barrier_slow(struct gc *gc, uintptr_t *field, uintptr_t v)
{
	size_t off = p2off(gc, v);
	struct page *pg = &gc->pages[off / GC_PAGE];
	uintptr_t good;

	/* Remap: the object left this page in the last relocation. */
	if (pg->state == P_RELOCATING && gc->phase == GC_RELOCATE) {
		off = relocate(gc, off, 1);
	} else if (pg->state == P_EVACUATED || pg->state == P_RELOCATING) {
		struct fwd_entry *e = fwd_find(pg, (uint32_t)(off % GC_PAGE));

		assert(e->from);
		off = (size_t)e->to * GC_GRANULE;
		gc->st.remapped++;
	}
	if (gc->phase == GC_MARK && mark_bit(gc, off)) {
		account_live(gc, off);
		mark_push(gc, off);
	}
	good = off2p(gc, off, gc->good);
	/* Heal, unless someone stored another pointer meanwhile. */
	__atomic_compare_exchange_n(field, &v, good, 0, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
	gc->st.healed++;
	return good;
}

static inline uintptr_t barrier(struct gc *gc, uintptr_t *field)
{
	uintptr_t v = ld(field);

	if (!v || (v & gc->mask) == gc->good)
		return v;
	return barrier_slow(gc, field, v);
}

uintptr_t gc_load(struct gc *gc, uintptr_t obj, unsigned i)
{
	return barrier(gc, &gc_obj(obj)->ref[i]);
}

void gc_store(struct gc *gc, uintptr_t obj, unsigned i, uintptr_t val)
{
	(void)gc;
	st(&gc_obj(obj)->ref[i], val);
}

uintptr_t gc_root_load(struct gc *gc, unsigned i)
{
	return barrier(gc, &gc->roots[i]);
}

void gc_root_store(struct gc *gc, unsigned i, uintptr_t val)
{
	gc->roots[i] = val;
}

/* ---- phases ---- */

static void mark_start(struct gc *gc)
{
	for (size_t i = 0; i < gc->npages; i++) {
		memset(gc->pages[i].mark, 0, sizeof(gc->pages[i].mark));
		gc->pages[i].live_bytes = gc->pages[i].live_objs = 0;
	}
	gc->mark_color ^= 1;
	gc->good = color_bits(gc, gc->mark_color);
	gc->phase = GC_MARK;
	for (unsigned i = 0; i < GC_NROOTS; i++)
		barrier(gc, &gc->roots[i]);
}

/* Scan up to @budget objects; 1 when the mark stack is empty. */
static int mark_some(struct gc *gc, unsigned budget)
{
	while (gc->nstack && budget--) {
		size_t off = (size_t)gc->stack[--gc->nstack] * GC_GRANULE;
		uintptr_t obj = off2p(gc, off, gc->good);
		unsigned n = gc_obj(obj)->nref;

		for (unsigned i = 0; i < n; i++)
			barrier(gc, &gc_obj(obj)->ref[i]);
	}
	return gc->nstack == 0;
}

/* Every stale pointer has been remapped by this mark: the last cycle's
 * evacuated pages may now be reused. */
static void release_forwarding(struct gc *gc)
{
	for (size_t i = 0; i < gc->npages; i++) {
		struct page *pg = &gc->pages[i];

		if (pg->state != P_EVACUATED)
			continue;
		free(pg->fwd);
		pg->fwd = NULL;
		pg->state = P_FREE;
		gc->nfree++;
	}
}

/* Pages of copies for @live bytes: objects do not straddle pages, so a
 * page may waste up to one largest object. */
static size_t pages_for(size_t live)
{
	return (live + live / 3 + GC_PAGE - 1) / GC_PAGE + 1;
}

/* Pages less than half live are evacuated, as many as the free pages can
 * take, which are then reserved for relocation; empty pages are freed. */
static void select_relocset(struct gc *gc)
{
	size_t need = 0;

	gc->nrelocset = gc->reloc_next = 0;
	gc->st.live_bytes = 0;
	for (size_t i = 0; i < gc->npages; i++) {
		struct page *pg = &gc->pages[i];
		uint32_t slots;

		if (pg->state != P_ALLOC)
			continue;
		gc->st.live_bytes += pg->live_bytes;
		if (i == gc->alloc_page)
			continue;
		if (!pg->live_objs) {
			page_uncommit(gc, i, P_FREE);
			gc->st.pages_freed_empty++;
			continue;
		}
		if (pg->live_bytes * 2 > GC_PAGE ||
		    pages_for(need + pg->live_bytes) > gc->nfree)
			continue;
		need += pg->live_bytes;
		for (slots = 4; slots < 2 * pg->live_objs; slots *= 2)
			;
		pg->fwd = calloc(slots, sizeof(*pg->fwd));
		if (!pg->fwd)
			abort();
		pg->fwd_mask = slots - 1;
		pg->state = P_RELOCATING;
		gc->relocset[gc->nrelocset++] = i;
	}
	gc->reserve = gc->nrelocset ? pages_for(need) : 0;
}

static void relocate_start(struct gc *gc)
{
	gc->good = color_bits(gc, C_R);
	gc->phase = GC_RELOCATE;
	for (unsigned i = 0; i < GC_NROOTS; i++)
		barrier(gc, &gc->roots[i]);
}

/* Evacuate the live objects of one page, then give its memory back. */
static void evacuate_page(struct gc *gc, size_t i)
{
	struct page *pg = &gc->pages[i];

	for (size_t w = 0; w < GC_PAGE / GC_GRANULE / 64; w++) {
		for (uint64_t m = pg->mark[w]; m; m &= m - 1) {
			size_t g = w * 64 + (size_t)__builtin_ctzll(m);

			relocate(gc, i * GC_PAGE + g * GC_GRANULE, 0);
		}
	}
	page_uncommit(gc, i, P_EVACUATED);
	gc->st.pages_evacuated++;
}

int gc_step(struct gc *gc, unsigned budget)
{
	switch (gc->phase) {
	case GC_IDLE:
		mark_start(gc);
		return 0;
	case GC_MARK:
		if (!mark_some(gc, budget))
			return 0;
		release_forwarding(gc);
		select_relocset(gc);
		relocate_start(gc);
		return 0;
	case GC_RELOCATE:
		while (budget-- && gc->reloc_next < gc->nrelocset)
			evacuate_page(gc, gc->relocset[gc->reloc_next++]);
		if (gc->reloc_next < gc->nrelocset)
			return 0;
		gc->phase = GC_IDLE;
		gc->reserve = 0;
		gc->reloc_page = gc->npages;
		gc->st.cycles++;
		return 1;
	}
	return 1;
}

void gc_collect(struct gc *gc)
{
	while (gc->phase != GC_IDLE)
		gc_step(gc, ~0u);
	while (!gc_step(gc, ~0u))
		;
}

/* ---- setup ---- */

struct gc *gc_create(size_t heap_size)
{
	struct gc *gc = calloc(1, sizeof(*gc));

	if (!gc)
		return NULL;
	heap_size = (heap_size + GC_PAGE - 1) & ~(size_t)(GC_PAGE - 1);
	if (mmr_heap_create(&gc->heap, heap_size, C_VIEWS, 0)) {
		fprintf(stderr, "gc: %s\n", mmr_last_error());
		free(gc);
		return NULL;
	}
	gc->base = (uintptr_t)mmr_heap_base(gc->heap, 0);
	gc->mask = mmr_heap_color_mask(gc->heap);
	gc->shift = mmr_heap_color_shift(gc->heap);
	gc->mark_color = C_M0;
	gc->good = color_bits(gc, C_R);
	gc->npages = heap_size / GC_PAGE;
	gc->alloc_page = gc->reloc_page = gc->nfree = gc->npages;
	gc->pages = calloc(gc->npages, sizeof(*gc->pages));
	gc->relocset = calloc(gc->npages, sizeof(*gc->relocset));
	if (!gc->pages || !gc->relocset) {
		gc_destroy(gc);
		return NULL;
	}
	return gc;
}

void gc_destroy(struct gc *gc)
{
	if (!gc)
		return;
	for (size_t i = 0; gc->pages && i < gc->npages; i++)
		free(gc->pages[i].fwd);
	free(gc->pages);
	free(gc->relocset);
	free(gc->stack);
	mmr_heap_destroy(gc->heap);
	free(gc);
}

mmr_heap *gc_heap(struct gc *gc)
{
	return gc->heap;
}

enum gc_phase gc_phase(const struct gc *gc)
{
	return gc->phase;
}

const struct gc_stats *gc_stats(const struct gc *gc)
{
	return &gc->st;
}

size_t gc_used_bytes(const struct gc *gc)
{
	size_t n = 0;

	for (size_t i = 0; i < gc->npages; i++)
		n += gc->pages[i].state == P_ALLOC || gc->pages[i].state == P_RELOCATING;
	return n * GC_PAGE;
}
