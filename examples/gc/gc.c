// SPDX-License-Identifier: MIT
/*
 * The collector (see gc.h and README.md). Colors are the views of one
 * mmr_heap with one bit each: Marked0, Marked1 and Remapped. A pointer is
 * "good" when it carries the color of the phase: the mark color while
 * marking, Remapped after. Any other color sends the load barrier to its
 * slow path, which remaps (forwarding), relocates (while relocating),
 * marks (while marking) and heals the field with compare-and-swap.
 *
 * A cycle, driven by the coordinator thread:
 *  1. pause, mark start: flip the mark color, retire the threads'
 *     allocation pages, mark the roots;
 *  2. concurrent mark: the workers drain the mark stacks, the mutators'
 *     barriers mark what they load;
 *  3. pause, mark end: flush the mutators' stacks (back to 2 if any);
 *     stale pointers are all remapped now, so the last cycle's forwarding
 *     tables and evacuated addresses are released; empty pages go to the
 *     page cache; sparse pages form the relocation set;
 *  4. pause, relocate start: good color Remapped, relocate the roots;
 *  5. concurrent relocation: workers evacuate the set while mutators
 *     relocate what they load first; whoever installs the forwarding entry
 *     (CAS) wins, the other copy is dropped. A page whose last object has
 *     left gives its memory to the page cache at once; its addresses stay
 *     reserved, faulting, until the next mark end.
 *
 * Memory: physical granules of GC_PAGE are committed (mmr_heap_commit_phys)
 * and mapped at free virtual addresses (mmr_heap_map); the page cache keeps
 * freed memory committed, either still mapped (an empty page: reused in
 * place, or moved with mmr_heap_move where a large page needs it) or
 * unmapped (an evacuated page: mapped again at a new address). Memory
 * beyond the cache's limit is uncommitted.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gc.h"

enum { C_M0, C_M1, C_R, C_VIEWS };
enum phase { PH_IDLE, PH_MARK, PH_RELOCATE };
enum pstate { P_ALLOC, P_RELOCATING, P_EVACUATED };
enum task { T_NONE, T_MARK, T_RELOCATE, T_EXIT };

#define GC_BITS		(GC_PAGE / GC_ALIGN)	/* mark bits per small page */
#define STACK_FLUSH	256

struct fwd {
	_Atomic uint64_t *slot;	/* (from index + 1) << 32 | to offset / GC_ALIGN */
	uint32_t mask;
	atomic_int refs;	/* 1 for the page + copying threads; 0: evacuated */
};

struct page {
	size_t voff;		/* virtual offset (all colors) */
	size_t ngran;		/* granules: 1 for a small page */
	size_t *phys;		/* physical offset of each granule */
	size_t phys0;
	size_t top;		/* bump pointer, owned by the allocating thread */
	unsigned seq;		/* cycle that allocated it: live during it */
	atomic_int state;
	_Atomic uint64_t mark[GC_BITS / 64];
	atomic_size_t live;
	atomic_uint live_objs;
	struct fwd fwd;		/* while relocating and until the next mark end */
	struct page *next;	/* in the quarantine list */
};

struct gc_thread {
	struct gc *gc;
	uintptr_t roots[GC_NROOTS];
	struct page *tlab;	/* allocation page */
	struct page *reloc;	/* relocation target page */
	size_t *stack;		/* mark stack: virtual offsets */
	size_t nstack, capstack;
	int parked;
	struct gc_thread *next;
	struct gc_stats st;	/* this thread's counts, summed by gc_get_stats */
};

struct gc {
	mmr_heap *heap;
	uintptr_t base;		/* address of virtual offset 0, no color */
	uintptr_t mask;
	unsigned shift;
	size_t size, reserve, ngran, nvgran;
	_Atomic uintptr_t good;
	atomic_int phase;
	atomic_uint seq;	/* cycle number */
	unsigned mark_color;
	uintptr_t shared[GC_NSHARED];

	/* Pages and memory: under plock. */
	pthread_mutex_t plock;
	_Atomic(struct page *) *ptab;	/* per virtual granule */
	unsigned char *vused;		/* per virtual granule */
	size_t vhint;
	size_t *fresh, nfresh;		/* uncommitted granules */
	size_t *cached, ncached;	/* committed, unmapped granules */
	struct page **mcache;		/* freed small pages, still mapped */
	size_t nmcache;
	size_t cache_max;		/* granules kept committed while free */
	size_t reloc_reserve;		/* granules promised to relocation */
	struct page *quarantine;	/* evacuated: addresses reserved until mark end */
	struct page **pages;		/* pages in use, for mark end */
	size_t npages, cappages;

	/* Mark stack shared by all threads: under mlock. */
	pthread_mutex_t mlock;
	size_t *gstack, ngstack, capgstack;

	/* Relocation set. */
	struct page **relocset;
	size_t nrelocset;
	atomic_size_t reloc_next;

	/* Safepoints: under slock. */
	pthread_mutex_t slock;
	pthread_cond_t scond;
	atomic_int sp_req;
	unsigned nattached, nparked;
	unsigned long cycles_done;
	int want_cycle, stop;
	struct gc_thread *threads;
	struct gc_thread *retired;	/* detached: their counts */

	/* Workers: under wlock. */
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	int task;
	unsigned task_gen, nworkers, ndone;
	pthread_t *workers;
	struct gc_thread **wctx;
	pthread_t coord;
	struct gc_thread *cctx;		/* the coordinator's own context */
	unsigned interval_ms;
	struct gc_stats st;		/* under slock */
};

/* Per-thread counters, read by gc_get_stats() from another thread. */
#define ST_ADD(t, field, n) __atomic_fetch_add(&(t)->st.field, (n), __ATOMIC_RELAXED)

/* ---- addresses ---- */

static size_t p2off(const struct gc *gc, uintptr_t p)
{
	return (p & ~gc->mask) - gc->base;
}

static uintptr_t color(const struct gc *gc, unsigned c)
{
	return (uintptr_t)1 << (gc->shift + c);
}

static uintptr_t off2p(const struct gc *gc, size_t off, uintptr_t bits)
{
	return (gc->base + off) | bits;
}

/* The Remapped view reaches every object; any would do. */
static struct gc_obj *obj_at(const struct gc *gc, size_t off)
{
	return gc_obj(off2p(gc, off, color(gc, C_R)));
}

static struct page *page_of(struct gc *gc, size_t off)
{
	return atomic_load_explicit(&gc->ptab[off / GC_PAGE], memory_order_acquire);
}

static uintptr_t ld(uintptr_t *f)
{
	return __atomic_load_n(f, __ATOMIC_ACQUIRE);
}

static void st(uintptr_t *f, uintptr_t v)
{
	__atomic_store_n(f, v, __ATOMIC_RELEASE);
}

static void die(const char *what)
{
	fprintf(stderr, "gc: %s: %s\n", what, mmr_last_error());
	abort();
}

/* ---- virtual and physical memory (under plock) ---- */

static long valloc_granules(struct gc *gc, size_t n)
{
	for (size_t k = 0; k < gc->nvgran; k++) {
		size_t s = (gc->vhint + k) % gc->nvgran, i;

		if (s + n > gc->nvgran)
			continue;
		for (i = 0; i < n && !gc->vused[s + i]; i++)
			;
		if (i < n)
			continue;
		memset(&gc->vused[s], 1, n);
		gc->vhint = s + n;
		return (long)s;
	}
	return -1;
}

static void vfree_granules(struct gc *gc, size_t voff, size_t n)
{
	for (size_t i = 0; i < n; i++)
		atomic_store(&gc->ptab[voff / GC_PAGE + i], NULL);
	memset(&gc->vused[voff / GC_PAGE], 0, n);
}

static size_t free_granules(const struct gc *gc)
{
	return gc->nfresh + gc->ncached + gc->nmcache;
}

/* A committed physical granule, unmapped: from the cache (*@dirty: it
 * holds old data) or fresh. */
static long phys_take(struct gc *gc, struct gc_thread *t, bool *dirty)
{
	size_t p, done;

	*dirty = gc->ncached;
	if (gc->ncached) {
		ST_ADD(t, cache_hits, 1);
		return (long)gc->cached[--gc->ncached];
	}
	if (!gc->nfresh)
		return -1;
	p = gc->fresh[--gc->nfresh];
	if (mmr_heap_commit_phys(gc->heap, p, GC_PAGE, MMR_NUMA_DEFAULT, 0, &done)) {
		gc->nfresh++;
		return -1;	/* out of memory: the caller stalls */
	}
	ST_ADD(t, commits, 1);
	return (long)p;
}

static void page_track(struct gc *gc, struct page *pg)
{
	if (gc->npages == gc->cappages) {
		gc->cappages = gc->cappages ? 2 * gc->cappages : 64;
		gc->pages = realloc(gc->pages, gc->cappages * sizeof(*gc->pages));
		if (!gc->pages)
			abort();
	}
	gc->pages[gc->npages++] = pg;
}

static struct page *page_new(struct gc *gc, size_t voff, size_t ngran)
{
	struct page *pg = calloc(1, sizeof(*pg));

	if (!pg || (ngran > 1 && !(pg->phys = calloc(ngran, sizeof(size_t)))))
		abort();
	if (ngran == 1)
		pg->phys = &pg->phys0;
	pg->voff = voff;
	pg->ngran = ngran;
	pg->seq = atomic_load(&gc->seq);
	atomic_init(&pg->state, P_ALLOC);
	return pg;
}

static void page_publish(struct gc *gc, struct page *pg)
{
	for (size_t i = 0; i < pg->ngran; i++)
		atomic_store_explicit(&gc->ptab[pg->voff / GC_PAGE + i], pg,
				      memory_order_release);
	page_track(gc, pg);
}

/* Zero a reused page's memory (fresh memory reads zeros already). */
static void zero(struct gc *gc, size_t voff, size_t len)
{
	memset((void *)off2p(gc, voff, color(gc, C_R)), 0, len);
}

/* A small page: a freed one still mapped (reused in place), else cached
 * or fresh memory mapped at a free virtual address. Relocation may use
 * the granules promised to it; mutators may not. */
static struct page *small_page(struct gc *gc, struct gc_thread *t, bool reloc)
{
	struct page *pg = NULL;
	bool dirty;
	long v, p;

	pthread_mutex_lock(&gc->plock);
	if (!reloc && free_granules(gc) <= gc->reloc_reserve)
		goto out;
	if (gc->nmcache) {
		pg = gc->mcache[--gc->nmcache];
		zero(gc, pg->voff, GC_PAGE);
		pg->seq = atomic_load(&gc->seq);
		pg->top = 0;
		ST_ADD(t, cache_hits, 1);
	} else {
		v = valloc_granules(gc, 1);
		if (v < 0)
			goto out;
		p = phys_take(gc, t, &dirty);
		if (p < 0) {
			vfree_granules(gc, (size_t)v * GC_PAGE, 1);
			goto out;
		}
		if (mmr_heap_map(gc->heap, (size_t)v * GC_PAGE, (size_t)p, GC_PAGE,
				 MMR_HEAP_ALL_VIEWS))
			die("map");
		ST_ADD(t, maps, 1);
		pg = page_new(gc, (size_t)v * GC_PAGE, 1);
		pg->phys0 = (size_t)p;
		if (dirty && !reloc)	/* copies overwrite what they use */
			zero(gc, pg->voff, GC_PAGE);
	}
	if (reloc && gc->reloc_reserve)
		gc->reloc_reserve--;
	page_publish(gc, pg);
out:
	pthread_mutex_unlock(&gc->plock);
	return pg;
}

/* A large page of @n granules: a fresh virtual range; memory from mapped
 * cached pages (moved there with their page tables), cached granules
 * (mapped) or fresh ones (committed and mapped). */
static struct page *large_page(struct gc *gc, struct gc_thread *t, size_t n)
{
	struct page *pg = NULL;
	size_t got = 0;
	long v;

	pthread_mutex_lock(&gc->plock);
	if (free_granules(gc) < n + gc->reloc_reserve)
		goto out;
	v = valloc_granules(gc, n);
	if (v < 0)
		goto out;
	pg = page_new(gc, (size_t)v * GC_PAGE, n);
	for (; got < n; got++) {
		size_t to = pg->voff + got * GC_PAGE;

		if (gc->nmcache) {
			struct page *c = gc->mcache[--gc->nmcache];

			if (mmr_heap_move(gc->heap, to, c->voff, GC_PAGE, MMR_HEAP_ALL_VIEWS))
				die("move");
			ST_ADD(t, moves, 1);
			pg->phys[got] = c->phys0;
			vfree_granules(gc, c->voff, 1);
			free(c);
			zero(gc, to, GC_PAGE);
		} else {
			bool dirty;
			long p = phys_take(gc, t, &dirty);

			if (p < 0)
				break;
			if (mmr_heap_map(gc->heap, to, (size_t)p, GC_PAGE, MMR_HEAP_ALL_VIEWS))
				die("map");
			ST_ADD(t, maps, 1);
			pg->phys[got] = (size_t)p;
			if (dirty)
				zero(gc, to, GC_PAGE);
		}
	}
	if (got < n) {		/* give back what it took */
		for (size_t i = 0; i < got; i++) {
			if (mmr_heap_unmap(gc->heap, pg->voff + i * GC_PAGE, GC_PAGE,
					   MMR_HEAP_ALL_VIEWS))
				die("unmap");
			gc->cached[gc->ncached++] = pg->phys[i];
		}
		vfree_granules(gc, pg->voff, n);
		free(pg->phys);
		free(pg);
		pg = NULL;
		goto out;
	}
	ST_ADD(t, large_allocated, 1);
	page_publish(gc, pg);
out:
	pthread_mutex_unlock(&gc->plock);
	return pg;
}

/* Unmap a page's memory into the cache of committed granules (under
 * plock); its addresses are freed by the caller when no pointer can
 * reach them any more. */
static void page_unmap_to_cache(struct gc *gc, struct page *pg)
{
	if (mmr_heap_unmap(gc->heap, pg->voff, pg->ngran * GC_PAGE, MMR_HEAP_ALL_VIEWS))
		die("unmap");
	for (size_t i = 0; i < pg->ngran; i++)
		gc->cached[gc->ncached++] = pg->phys[i];
}

static void page_free_struct(struct page *pg)
{
	if (pg->phys != &pg->phys0)
		free(pg->phys);
	free(pg->fwd.slot);
	free(pg);
}

/* Keep at most cache_max free granules committed: uncommit the rest. */
static void trim_cache(struct gc *gc, struct gc_thread *t)
{
	while (gc->ncached + gc->nmcache > gc->cache_max) {
		size_t p;

		if (gc->ncached) {
			p = gc->cached[--gc->ncached];
		} else {
			struct page *c = gc->mcache[--gc->nmcache];

			if (mmr_heap_unmap(gc->heap, c->voff, GC_PAGE, MMR_HEAP_ALL_VIEWS))
				die("unmap");
			p = c->phys0;
			vfree_granules(gc, c->voff, 1);
			free(c);
		}
		if (mmr_heap_uncommit_phys(gc->heap, p, GC_PAGE))
			die("uncommit");
		ST_ADD(t, uncommits, 1);
		gc->fresh[gc->nfresh++] = p;
	}
}

/* ---- safepoints ---- */

static void park_locked(struct gc *gc, struct gc_thread *t)
{
	t->parked = 1;
	gc->nparked++;
	pthread_cond_broadcast(&gc->scond);
}

static void unpark_locked(struct gc *gc, struct gc_thread *t)
{
	while (atomic_load(&gc->sp_req))
		pthread_cond_wait(&gc->scond, &gc->slock);
	t->parked = 0;
	gc->nparked--;
}

void gc_safepoint(struct gc_thread *t)
{
	struct gc *gc = t->gc;

	if (!atomic_load_explicit(&gc->sp_req, memory_order_acquire))
		return;
	pthread_mutex_lock(&gc->slock);
	park_locked(gc, t);
	unpark_locked(gc, t);
	pthread_mutex_unlock(&gc->slock);
}

void gc_blocking_begin(struct gc_thread *t)
{
	pthread_mutex_lock(&t->gc->slock);
	park_locked(t->gc, t);
	pthread_mutex_unlock(&t->gc->slock);
}

void gc_blocking_end(struct gc_thread *t)
{
	pthread_mutex_lock(&t->gc->slock);
	unpark_locked(t->gc, t);
	pthread_mutex_unlock(&t->gc->slock);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double stop_world(struct gc *gc)
{
	pthread_mutex_lock(&gc->slock);
	atomic_store(&gc->sp_req, 1);
	while (gc->nparked < gc->nattached)
		pthread_cond_wait(&gc->scond, &gc->slock);
	pthread_mutex_unlock(&gc->slock);
	return now_ms();
}

static void start_world(struct gc *gc, double t0)
{
	double ms = now_ms() - t0;

	pthread_mutex_lock(&gc->slock);
	gc->st.pauses++;
	if (ms > gc->st.max_pause_ms)
		gc->st.max_pause_ms = ms;
	atomic_store(&gc->sp_req, 0);
	pthread_cond_broadcast(&gc->scond);
	pthread_mutex_unlock(&gc->slock);
}

/* ---- marking ---- */

static void push(struct gc *gc, struct gc_thread *t, size_t off)
{
	if (t->nstack == t->capstack) {
		t->capstack = t->capstack ? 2 * t->capstack : 512;
		t->stack = realloc(t->stack, t->capstack * sizeof(*t->stack));
		if (!t->stack)
			abort();
	}
	t->stack[t->nstack++] = off;
	(void)gc;
}

static void append_global(struct gc *gc, const size_t *src, size_t n)
{
	pthread_mutex_lock(&gc->mlock);
	if (gc->ngstack + n > gc->capgstack) {
		while (gc->ngstack + n > gc->capgstack)
			gc->capgstack = gc->capgstack ? 2 * gc->capgstack : 4096;
		gc->gstack = realloc(gc->gstack, gc->capgstack * sizeof(*gc->gstack));
		if (!gc->gstack)
			abort();
	}
	memcpy(&gc->gstack[gc->ngstack], src, n * sizeof(*src));
	gc->ngstack += n;
	pthread_mutex_unlock(&gc->mlock);
}

static void flush_stack(struct gc *gc, struct gc_thread *t)
{
	if (t->nstack)
		append_global(gc, t->stack, t->nstack);
	t->nstack = 0;
}

/* A worker with a deep stack gives half of it to the idle ones. */
static void share_half(struct gc *gc, struct gc_thread *t)
{
	size_t half = t->nstack / 2;

	append_global(gc, t->stack, half);
	memmove(t->stack, t->stack + half, (t->nstack - half) * sizeof(*t->stack));
	t->nstack -= half;
}

/* Take up to 64 entries of the shared stack; 0 when it is empty. */
static size_t steal(struct gc *gc, struct gc_thread *t)
{
	size_t n;

	pthread_mutex_lock(&gc->mlock);
	n = gc->ngstack < 64 ? gc->ngstack : 64;
	gc->ngstack -= n;
	for (size_t i = 0; i < n; i++)
		push(gc, t, gc->gstack[gc->ngstack + i]);
	pthread_mutex_unlock(&gc->mlock);
	return n;
}

/* Set the mark bit of the object at @off; true if this thread did. Pages
 * allocated in this cycle hold only live objects and are not marked. */
static bool mark_obj(struct gc *gc, struct gc_thread *t, size_t off)
{
	struct page *pg = page_of(gc, off);
	size_t bit = (off - pg->voff) / GC_ALIGN;
	uint64_t m = 1ull << (bit % 64);

	if (pg->seq == atomic_load_explicit(&gc->seq, memory_order_relaxed))
		return false;
	if (pg->ngran > 1)
		bit = 0, m = 1;
	if (atomic_fetch_or(&pg->mark[bit / 64], m) & m)
		return false;
	atomic_fetch_add(&pg->live, __atomic_load_n(&obj_at(gc, off)->size, __ATOMIC_RELAXED));
	atomic_fetch_add(&pg->live_objs, 1);
	ST_ADD(t, marked, 1);
	return true;
}

/* ---- forwarding and relocation ---- */

static uint32_t fhash(uint32_t x, uint32_t mask)
{
	return (x * 2654435761u >> 5) & mask;
}

/* The new offset of the object at index @idx of @pg, or 0 if none yet
 * (offset 0 is never a copy: the first granule is a page of its own). */
static size_t fwd_find(struct page *pg, uint32_t idx)
{
	uint32_t i = fhash(idx + 1, pg->fwd.mask);

	for (;;) {
		uint64_t e = atomic_load_explicit(&pg->fwd.slot[i], memory_order_acquire);

		if (!e)
			return 0;
		if ((uint32_t)(e >> 32) == idx + 1)
			return (size_t)(uint32_t)e * GC_ALIGN;
		i = (i + 1) & pg->fwd.mask;
	}
}

/* Install idx -> @to unless another thread did first: the winner's. */
static size_t fwd_insert(struct page *pg, uint32_t idx, size_t to)
{
	uint64_t want = (uint64_t)(idx + 1) << 32 | (uint32_t)(to / GC_ALIGN);
	uint32_t i = fhash(idx + 1, pg->fwd.mask);

	for (;;) {
		uint64_t e = 0;

		if (atomic_compare_exchange_strong_explicit(&pg->fwd.slot[i], &e, want,
							    memory_order_acq_rel,
							    memory_order_acquire))
			return to;
		if ((uint32_t)(e >> 32) == idx + 1)
			return (size_t)(uint32_t)e * GC_ALIGN;
		i = (i + 1) & pg->fwd.mask;
	}
}

static bool page_retain(struct page *pg)
{
	int r = atomic_load(&pg->fwd.refs);

	while (r > 0)
		if (atomic_compare_exchange_weak(&pg->fwd.refs, &r, r + 1))
			return true;
	return false;
}

/* The last reference gone: every live object has left; the memory goes
 * to the cache now, the addresses at the next mark end. */
static void page_release(struct gc *gc, struct gc_thread *t, struct page *pg)
{
	if (atomic_fetch_sub(&pg->fwd.refs, 1) != 1)
		return;
	atomic_store(&pg->state, P_EVACUATED);
	pthread_mutex_lock(&gc->plock);
	page_unmap_to_cache(gc, pg);
	pg->next = gc->quarantine;
	gc->quarantine = pg;
	pthread_mutex_unlock(&gc->plock);
	ST_ADD(t, pages_evacuated, 1);
}

/* Bump-allocate @size bytes in this thread's page (@reloc: its relocation
 * page); the virtual offset, or 0. */
static size_t bump(struct gc *gc, struct gc_thread *t, size_t size, bool reloc)
{
	struct page **cur = reloc ? &t->reloc : &t->tlab;

	if (!*cur || (*cur)->top + size > GC_PAGE) {
		*cur = small_page(gc, t, reloc);
		if (!*cur)
			return 0;
	}
	(*cur)->top += size;
	return (*cur)->voff + (*cur)->top - size;
}

static void copy_obj(struct gc *gc, size_t to, size_t from, size_t size)
{
	uint64_t *d = (uint64_t *)obj_at(gc, to);
	const uint64_t *s = (const uint64_t *)obj_at(gc, from);

	for (size_t i = 0; i < size / 8; i++)
		__atomic_store_n(&d[i], __atomic_load_n(&s[i], __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
}

/* Relocate the object at @off (in a page being evacuated) unless it has
 * been: copy, then race to install the forwarding entry. */
static size_t relocate_obj(struct gc *gc, struct gc_thread *t, struct page *pg, size_t off,
			   bool by_mutator)
{
	uint32_t idx = (uint32_t)((off - pg->voff) / GC_ALIGN);
	size_t to = fwd_find(pg, idx), size, won;

	if (to)
		return to;
	if (!page_retain(pg)) {		/* evacuated: the entry is there */
		to = fwd_find(pg, idx);
		assert(to);
		return to;
	}
	size = __atomic_load_n(&obj_at(gc, off)->size, __ATOMIC_RELAXED);
	to = bump(gc, t, size, true);
	if (!to) {
		fprintf(stderr, "gc: out of memory while relocating\n");
		abort();
	}
	copy_obj(gc, to, off, size);
	won = fwd_insert(pg, idx, to);
	if (won != to) {
		ST_ADD(t, cas_lost, 1);
		if (t->reloc && t->reloc->voff + t->reloc->top == to + size)
			t->reloc->top -= size;	/* undo: the copy is not ours */
	} else {
		ST_ADD(t, relocated, 1);
		ST_ADD(t, relocated_by_mutator, by_mutator);
	}
	page_release(gc, t, pg);
	return won;
}

/* ---- the load barrier ---- */

static uintptr_t barrier_slow(struct gc *gc, struct gc_thread *t, uintptr_t *field,
			      uintptr_t v, bool by_mutator)
{
	size_t off = p2off(gc, v);
	struct page *pg = page_of(gc, off);
	int phase = atomic_load_explicit(&gc->phase, memory_order_relaxed);
	int state = atomic_load_explicit(&pg->state, memory_order_acquire);
	uintptr_t good;

	if (state == P_RELOCATING && phase == PH_RELOCATE) {
		off = relocate_obj(gc, t, pg, off, by_mutator);
	} else if (state != P_ALLOC) {
		off = fwd_find(pg, (uint32_t)((off - pg->voff) / GC_ALIGN));
		assert(off);
		ST_ADD(t, remapped, 1);
	}
	if (phase == PH_MARK && mark_obj(gc, t, off)) {
		push(gc, t, off);
		if (t->nstack >= STACK_FLUSH && by_mutator)
			flush_stack(gc, t);
	}
	good = off2p(gc, off, atomic_load_explicit(&gc->good, memory_order_relaxed));
	/* Heal, unless someone stored another pointer meanwhile. */
	if (__atomic_compare_exchange_n(field, &v, good, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		ST_ADD(t, healed, 1);
	return good;
}

static inline uintptr_t barrier(struct gc *gc, struct gc_thread *t, uintptr_t *field,
				bool by_mutator)
{
	uintptr_t v = ld(field);

	if (!v || (v & gc->mask) == atomic_load_explicit(&gc->good, memory_order_relaxed))
		return v;
	return barrier_slow(gc, t, field, v, by_mutator);
}

uintptr_t gc_load(struct gc_thread *t, uintptr_t obj, unsigned i)
{
	return barrier(t->gc, t, &gc_obj(obj)->ref[i], true);
}

void gc_store(struct gc_thread *t, uintptr_t obj, unsigned i, uintptr_t val)
{
	(void)t;
	st(&gc_obj(obj)->ref[i], val);
}

uintptr_t gc_root_load(struct gc_thread *t, unsigned i)
{
	return barrier(t->gc, t, &t->roots[i], true);
}

void gc_root_store(struct gc_thread *t, unsigned i, uintptr_t val)
{
	st(&t->roots[i], val);
}

uintptr_t gc_shared_load(struct gc_thread *t, unsigned i)
{
	return barrier(t->gc, t, &t->gc->shared[i], true);
}

void gc_shared_store(struct gc_thread *t, unsigned i, uintptr_t val)
{
	st(&t->gc->shared[i], val);
}

/* ---- allocation ---- */

static size_t obj_size(unsigned nref, unsigned nbytes)
{
	size_t s = sizeof(struct gc_obj) + nref * sizeof(uintptr_t) + nbytes;

	return (s + GC_ALIGN - 1) & ~(size_t)(GC_ALIGN - 1);
}

static size_t try_alloc(struct gc *gc, struct gc_thread *t, size_t size)
{
	struct page *pg;

	if (size <= GC_SMALL_MAX)
		return bump(gc, t, size, false);
	pg = large_page(gc, t, (size + GC_PAGE - 1) / GC_PAGE);
	return pg ? pg->voff : 0;
}

/* Stall: ask for a cycle and wait for its end, parked (a safepoint). */
static void stall(struct gc *gc, struct gc_thread *t)
{
	unsigned long target;

	pthread_mutex_lock(&gc->slock);
	target = gc->cycles_done + 1;
	gc->want_cycle = 1;
	gc->st.stalls++;
	park_locked(gc, t);
	while (gc->cycles_done < target && !gc->stop)
		pthread_cond_wait(&gc->scond, &gc->slock);
	unpark_locked(gc, t);
	pthread_mutex_unlock(&gc->slock);
}

uintptr_t gc_alloc(struct gc_thread *t, unsigned nref, unsigned nbytes)
{
	struct gc *gc = t->gc;
	size_t size = obj_size(nref, nbytes), off = 0;
	struct gc_obj *o;

	gc_safepoint(t);
	for (int tries = 0; tries < 3 && !(off = try_alloc(gc, t, size)); tries++)
		stall(gc, t);
	if (!off)
		return 0;
	o = obj_at(gc, off);
	__atomic_store_n(&o->nref, (uint16_t)nref, __ATOMIC_RELAXED);
	__atomic_store_n(&o->nbytes, nbytes, __ATOMIC_RELAXED);
	__atomic_store_n(&o->size, (uint32_t)size, __ATOMIC_RELEASE);
	return off2p(gc, off, atomic_load_explicit(&gc->good, memory_order_relaxed));
}

/* ---- the cycle ---- */

static void for_each_root(struct gc *gc, void (*fn)(struct gc *, uintptr_t *))
{
	for (struct gc_thread *t = gc->threads; t; t = t->next)
		for (unsigned i = 0; i < GC_NROOTS; i++)
			fn(gc, &t->roots[i]);
	for (unsigned i = 0; i < GC_NSHARED; i++)
		fn(gc, &gc->shared[i]);
}

static void root_barrier(struct gc *gc, uintptr_t *f)
{
	barrier(gc, gc->cctx, f, false);
}

static void retire_pages(struct gc *gc)
{
	for (struct gc_thread *t = gc->threads; t; t = t->next)
		t->tlab = t->reloc = NULL;
	for (unsigned w = 0; w < gc->nworkers; w++)
		gc->wctx[w]->tlab = gc->wctx[w]->reloc = NULL;
	gc->cctx->tlab = gc->cctx->reloc = NULL;
}

static void mark_start(struct gc *gc)
{
	pthread_mutex_lock(&gc->plock);
	for (size_t i = 0; i < gc->npages; i++) {
		struct page *pg = gc->pages[i];

		for (size_t w = 0; w < GC_BITS / 64; w++)
			atomic_store_explicit(&pg->mark[w], 0, memory_order_relaxed);
		atomic_store(&pg->live, 0);
		atomic_store(&pg->live_objs, 0);
	}
	pthread_mutex_unlock(&gc->plock);
	retire_pages(gc);
	atomic_fetch_add(&gc->seq, 1);
	gc->mark_color ^= 1;
	atomic_store(&gc->good, color(gc, gc->mark_color));
	atomic_store(&gc->phase, PH_MARK);
	for_each_root(gc, root_barrier);
	flush_stack(gc, gc->cctx);
}

/* Scan the fields of every object on the stacks, until they are empty. */
static void mark_task(struct gc *gc, struct gc_thread *t)
{
	for (;;) {
		while (t->nstack) {
			size_t off = t->stack[--t->nstack];
			struct gc_obj *o = obj_at(gc, off);
			unsigned n = __atomic_load_n(&o->nref, __ATOMIC_RELAXED);

			for (unsigned i = 0; i < n; i++)
				barrier(gc, t, &o->ref[i], false);
			if (t->nstack > 2 * STACK_FLUSH)
				share_half(gc, t);
		}
		if (!steal(gc, t))
			return;
	}
}

static void evacuate(struct gc *gc, struct gc_thread *t, struct page *pg)
{
	for (size_t w = 0; w < GC_BITS / 64; w++)
		for (uint64_t m = atomic_load(&pg->mark[w]); m; m &= m - 1)
			relocate_obj(gc, t, pg, pg->voff + (w * 64 + (size_t)__builtin_ctzll(m)) *
				     GC_ALIGN, false);
	page_release(gc, t, pg);	/* the page's own reference */
}

static void relocate_task(struct gc *gc, struct gc_thread *t)
{
	for (;;) {
		size_t i = atomic_fetch_add(&gc->reloc_next, 1);

		if (i >= gc->nrelocset)
			return;
		evacuate(gc, t, gc->relocset[i]);
	}
}

static void run_task(struct gc *gc, int task)
{
	pthread_mutex_lock(&gc->wlock);
	gc->task = task;
	gc->task_gen++;
	gc->ndone = 0;
	pthread_cond_broadcast(&gc->wcond);
	while (gc->ndone < gc->nworkers)
		pthread_cond_wait(&gc->wcond, &gc->wlock);
	pthread_mutex_unlock(&gc->wlock);
}

static void *worker(void *arg)
{
	struct gc_thread *t = arg;
	struct gc *gc = t->gc;
	unsigned seen = 0;

	for (;;) {
		int task;

		pthread_mutex_lock(&gc->wlock);
		while (gc->task_gen == seen)
			pthread_cond_wait(&gc->wcond, &gc->wlock);
		seen = gc->task_gen;
		task = gc->task;
		pthread_mutex_unlock(&gc->wlock);
		if (task == T_EXIT)
			return NULL;
		if (task == T_MARK)
			mark_task(gc, t);
		else if (task == T_RELOCATE)
			relocate_task(gc, t);
		pthread_mutex_lock(&gc->wlock);
		gc->ndone++;
		pthread_cond_broadcast(&gc->wcond);
		pthread_mutex_unlock(&gc->wlock);
	}
}

/* Marking is over when, with the world stopped, no stack holds work. */
static bool mark_done(struct gc *gc)
{
	bool done;

	for (struct gc_thread *t = gc->threads; t; t = t->next)
		flush_stack(gc, t);
	pthread_mutex_lock(&gc->mlock);
	done = !gc->ngstack;
	pthread_mutex_unlock(&gc->mlock);
	return done;
}

static size_t pages_for(size_t live)
{
	return (live + live / 4 + GC_PAGE - 1) / GC_PAGE + 2;
}

/* Under the mark end pause (plock held). */
static void release_quarantine(struct gc *gc)
{
	while (gc->quarantine) {
		struct page *pg = gc->quarantine;

		gc->quarantine = pg->next;
		vfree_granules(gc, pg->voff, pg->ngran);
		page_free_struct(pg);
	}
}

static void free_empty(struct gc *gc, struct gc_thread *t, struct page *pg)
{
	if (pg->ngran == 1) {
		gc->mcache[gc->nmcache++] = pg;	/* mapped, reusable in place */
		ST_ADD(t, pages_freed_empty, 1);
		return;
	}
	page_unmap_to_cache(gc, pg);
	vfree_granules(gc, pg->voff, pg->ngran);
	page_free_struct(pg);
	ST_ADD(t, large_freed, 1);
}

static size_t select_relocset(struct gc *gc, struct gc_thread *t)
{
	unsigned seq = atomic_load(&gc->seq);
	size_t need = 0, live = 0, kept = 0;

	gc->nrelocset = 0;
	atomic_store(&gc->reloc_next, 0);
	for (size_t i = 0; i < gc->npages; i++) {
		struct page *pg = gc->pages[i];
		size_t l = atomic_load(&pg->live);
		uint32_t slots;

		if (pg->seq == seq) {		/* allocated while marking */
			gc->pages[kept++] = pg;
			continue;
		}
		live += l;
		if (!l) {
			free_empty(gc, t, pg);
			continue;
		}
		if (pg->ngran > 1 || l * 2 > GC_PAGE ||
		    pages_for(need + l) > free_granules(gc)) {
			gc->pages[kept++] = pg;
			continue;
		}
		need += l;
		for (slots = 8; slots < 2 * atomic_load(&pg->live_objs); slots *= 2)
			;
		pg->fwd.slot = calloc(slots, sizeof(*pg->fwd.slot));
		if (!pg->fwd.slot)
			abort();
		pg->fwd.mask = slots - 1;
		atomic_store(&pg->fwd.refs, 1);
		atomic_store(&pg->state, P_RELOCATING);
		gc->relocset[gc->nrelocset++] = pg;
	}
	gc->npages = kept;
	gc->reloc_reserve = gc->nrelocset ? pages_for(need) : 0;
	return live;
}

static void mark_end(struct gc *gc)
{
	struct gc_thread *t = gc->cctx;

	size_t live;

	pthread_mutex_lock(&gc->plock);
	release_quarantine(gc);
	live = select_relocset(gc, t);
	pthread_mutex_unlock(&gc->plock);
	pthread_mutex_lock(&gc->slock);
	gc->st.live_bytes = live;
	pthread_mutex_unlock(&gc->slock);
}

static void relocate_start(struct gc *gc)
{
	retire_pages(gc);
	atomic_store(&gc->good, color(gc, C_R));
	atomic_store(&gc->phase, PH_RELOCATE);
	for_each_root(gc, root_barrier);
}

static void cycle(struct gc *gc)
{
	double t0 = stop_world(gc);

	mark_start(gc);
	start_world(gc, t0);
	for (;;) {
		run_task(gc, T_MARK);
		t0 = stop_world(gc);
		if (mark_done(gc))
			break;
		start_world(gc, t0);
	}
	mark_end(gc);
	start_world(gc, t0);
	t0 = stop_world(gc);
	relocate_start(gc);
	start_world(gc, t0);
	run_task(gc, T_RELOCATE);
	pthread_mutex_lock(&gc->plock);
	gc->reloc_reserve = 0;
	trim_cache(gc, gc->cctx);
	pthread_mutex_unlock(&gc->plock);
}

static void *coordinator(void *arg)
{
	struct gc *gc = arg;

	for (;;) {
		pthread_mutex_lock(&gc->slock);
		if (gc->interval_ms) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += gc->interval_ms / 1000;
			ts.tv_nsec += (long)(gc->interval_ms % 1000) * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			while (!gc->want_cycle && !gc->stop &&
			       pthread_cond_timedwait(&gc->scond, &gc->slock, &ts) != ETIMEDOUT)
				;
		}
		if (gc->stop) {
			pthread_mutex_unlock(&gc->slock);
			return NULL;
		}
		gc->want_cycle = 0;
		pthread_mutex_unlock(&gc->slock);
		cycle(gc);
		pthread_mutex_lock(&gc->slock);
		gc->cycles_done++;
		gc->st.cycles++;
		pthread_cond_broadcast(&gc->scond);
		pthread_mutex_unlock(&gc->slock);
	}
}

void gc_collect(struct gc_thread *t)
{
	stall(t->gc, t);
	pthread_mutex_lock(&t->gc->slock);
	t->gc->st.stalls--;	/* asked for, not a stall */
	pthread_mutex_unlock(&t->gc->slock);
}

/* ---- threads and setup ---- */

static struct gc_thread *thread_new(struct gc *gc)
{
	struct gc_thread *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	t->gc = gc;
	return t;
}

struct gc_thread *gc_attach(struct gc *gc)
{
	struct gc_thread *t = thread_new(gc);

	pthread_mutex_lock(&gc->slock);
	while (atomic_load(&gc->sp_req))	/* not in the middle of a pause */
		pthread_cond_wait(&gc->scond, &gc->slock);
	t->next = gc->threads;
	gc->threads = t;
	gc->nattached++;
	pthread_mutex_unlock(&gc->slock);
	return t;
}

static void add_stats(struct gc_stats *s, const struct gc_stats *a)
{
	unsigned long *d = &s->marked;
	const unsigned long *x = &a->marked;

	/* marked .. stalls are consecutive unsigned longs */
	for (size_t i = 0; &d[i] <= &s->stalls; i++)
		d[i] += __atomic_load_n(&x[i], __ATOMIC_RELAXED);
}

void gc_detach(struct gc_thread *t)
{
	struct gc *gc = t->gc;
	struct gc_thread **pp;

	pthread_mutex_lock(&gc->slock);
	/*
	 * A stop of the world under way waits for every attached thread to
	 * park: wait for its end parked, as a safepoint does, or the two
	 * wait for each other.
	 */
	if (atomic_load(&gc->sp_req)) {
		park_locked(gc, t);
		unpark_locked(gc, t);
	}
	for (pp = &gc->threads; *pp != t; pp = &(*pp)->next)
		;
	*pp = t->next;
	gc->nattached--;
	flush_stack(gc, t);
	add_stats(&gc->retired->st, &t->st);
	pthread_cond_broadcast(&gc->scond);
	pthread_mutex_unlock(&gc->slock);
	free(t->stack);
	free(t);
}

void gc_get_stats(struct gc *gc, struct gc_stats *s)
{
	pthread_mutex_lock(&gc->slock);
	*s = gc->st;
	add_stats(s, &gc->retired->st);
	add_stats(s, &gc->cctx->st);
	for (unsigned w = 0; w < gc->nworkers; w++)
		add_stats(s, &gc->wctx[w]->st);
	for (struct gc_thread *t = gc->threads; t; t = t->next)
		add_stats(s, &t->st);
	pthread_mutex_unlock(&gc->slock);
}

struct gc *gc_create(size_t heap_size, unsigned workers, unsigned interval_ms)
{
	struct gc *gc = calloc(1, sizeof(*gc));
	struct mmr_heap_layout l = {
		.views = C_VIEWS, .flags = MMR_HEAP_ONE_BIT, .granule = GC_PAGE,
	};

	if (!gc || !workers)
		goto fail;
	heap_size = (heap_size + GC_PAGE - 1) & ~(size_t)(GC_PAGE - 1);
	l.size = heap_size;
	l.reserve = 4 * heap_size;	/* room to place pages without compacting */
	if (mmr_heap_create_layout(&gc->heap, &l)) {
		fprintf(stderr, "gc: %s\n", mmr_last_error());
		goto fail;
	}
	if (mmr_heap_warning(gc->heap))
		fprintf(stderr, "gc: warning: %s\n", mmr_heap_warning(gc->heap));
	gc->size = heap_size;
	gc->reserve = mmr_heap_reserved(gc->heap);
	gc->ngran = heap_size / GC_PAGE;
	gc->nvgran = gc->reserve / GC_PAGE;
	gc->base = (uintptr_t)mmr_heap_base(gc->heap, 0) - ((uintptr_t)1 <<
		   mmr_heap_color_shift(gc->heap));
	gc->mask = mmr_heap_color_mask(gc->heap);
	gc->shift = mmr_heap_color_shift(gc->heap);
	gc->mark_color = C_M1;
	atomic_init(&gc->good, color(gc, C_R));
	gc->cache_max = gc->ngran / 8;
	gc->ptab = calloc(gc->nvgran, sizeof(*gc->ptab));
	gc->vused = calloc(gc->nvgran, 1);
	gc->fresh = calloc(gc->ngran, sizeof(size_t));
	gc->cached = calloc(gc->ngran, sizeof(size_t));
	gc->mcache = calloc(gc->ngran, sizeof(*gc->mcache));
	gc->relocset = calloc(gc->ngran, sizeof(*gc->relocset));
	gc->workers = calloc(workers, sizeof(*gc->workers));
	gc->wctx = calloc(workers, sizeof(*gc->wctx));
	if (!gc->ptab || !gc->vused || !gc->fresh || !gc->cached || !gc->mcache ||
	    !gc->relocset || !gc->workers || !gc->wctx)
		goto fail;
	/* Virtual granule 0 stays unused: offset 0 means "no copy yet". */
	gc->vused[0] = 1;
	for (size_t i = 0; i < gc->ngran; i++)
		gc->fresh[i] = (gc->ngran - 1 - i) * GC_PAGE;
	gc->nfresh = gc->ngran;
	pthread_mutex_init(&gc->plock, NULL);
	pthread_mutex_init(&gc->mlock, NULL);
	pthread_mutex_init(&gc->slock, NULL);
	pthread_cond_init(&gc->scond, NULL);
	pthread_mutex_init(&gc->wlock, NULL);
	pthread_cond_init(&gc->wcond, NULL);
	gc->interval_ms = interval_ms;
	gc->cctx = thread_new(gc);
	gc->retired = thread_new(gc);
	gc->nworkers = workers;
	for (unsigned w = 0; w < workers; w++) {
		gc->wctx[w] = thread_new(gc);
		if (pthread_create(&gc->workers[w], NULL, worker, gc->wctx[w]))
			abort();
	}
	if (pthread_create(&gc->coord, NULL, coordinator, gc))
		abort();
	return gc;
fail:
	if (gc) {
		mmr_heap_destroy(gc->heap);
		free(gc->ptab);
		free(gc->vused);
		free(gc->fresh);
		free(gc->cached);
		free(gc->mcache);
		free(gc->relocset);
		free(gc->workers);
		free(gc->wctx);
		free(gc);
	}
	return NULL;
}

void gc_destroy(struct gc *gc)
{
	if (!gc)
		return;
	pthread_mutex_lock(&gc->slock);
	gc->stop = 1;
	pthread_cond_broadcast(&gc->scond);
	pthread_mutex_unlock(&gc->slock);
	pthread_join(gc->coord, NULL);
	pthread_mutex_lock(&gc->wlock);
	gc->task = T_EXIT;
	gc->task_gen++;
	pthread_cond_broadcast(&gc->wcond);
	pthread_mutex_unlock(&gc->wlock);
	for (unsigned w = 0; w < gc->nworkers; w++) {
		pthread_join(gc->workers[w], NULL);
		free(gc->wctx[w]->stack);
		free(gc->wctx[w]);
	}
	for (size_t i = 0; i < gc->npages; i++)
		page_free_struct(gc->pages[i]);
	for (size_t i = 0; i < gc->nmcache; i++)
		page_free_struct(gc->mcache[i]);
	for (struct page *pg = gc->quarantine, *n; pg; pg = n) {
		n = pg->next;
		page_free_struct(pg);
	}
	free(gc->cctx->stack);
	free(gc->cctx);
	free(gc->retired);
	free(gc->pages);
	free(gc->gstack);
	free(gc->ptab);
	free(gc->vused);
	free(gc->fresh);
	free(gc->cached);
	free(gc->mcache);
	free(gc->relocset);
	free(gc->workers);
	free(gc->wctx);
	mmr_heap_destroy(gc->heap);
	free(gc);
}

mmr_heap *gc_heap(struct gc *gc)
{
	return gc->heap;
}
