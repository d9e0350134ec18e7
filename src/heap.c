// SPDX-License-Identifier: MIT
/*
 * Multi-view heap with colored pointers (ZGC's multi-mapping scheme).
 *
 * Layout: one region (memfd by default, sparse) of the heap's size (the
 * "physical" memory), and n views of a reservation of mmr_heap_reserved()
 * bytes each (the "virtual" address space), at base + color(v): v << shift
 * (a view number in the color bits) or 1 << (shift + v) (one bit per
 * color, ZGC's Marked0/Marked1/Remapped). The library picks shift and base
 * unless the caller does (mmr_heap_create_layout()).
 *
 * Virtual ranges are reserved PROT_NONE, MAP_NORESERVE: a stray colored
 * pointer faults. Mapping committed memory at a virtual offset is one
 * mmap(MAP_FIXED|MAP_SHARED) of the object per view; unmapping it puts the
 * anonymous PROT_NONE reservation back over it (ZGC's scheme, call for
 * call). Commit allocates through the region (fallocate: a shortage is an
 * error now, not a SIGBUS later) or through a temporary mapping when THP
 * or a NUMA policy must be carried; uncommit punches a hole.
 *
 * Two books, kept apart: the committed physical runs (heap_runs.c) and,
 * per view, which virtual extents show which physical offsets
 * (heap_vmap.c). Every call checks both before it changes anything, so a
 * misuse is refused with a message. The heap's lock covers the books
 * only: a call first claims its physical and virtual ranges (waiting only
 * for a call that claimed an overlapping range), then makes its system
 * calls unlocked, then records what they did.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bits.h"
#include "heap_runs.h"
#include "heap_vmap.h"
#include "linux_compat.h"
#include "region.h"
#include "error.h"
#include "fd_backend.h"
#include "util.h"
#include "syscall.h"

/* Views at least 1 GiB apart: slots aligned for any huge page size. A
 * 32-bit address space has no room for that: 4 MiB (2 MiB and 4 MiB huge
 * pages) there. */
#define MMRI_HEAP_MIN_SHIFT (sizeof(void *) >= 8 ? 30u : 22u)
/* Large commits go in pieces of this size, so that a small commit of
 * another thread waits for one piece at most (fallocate holds the file's
 * lock for all of its range). */
#define MMRI_HEAP_COMMIT_CHUNK (4UL << 20)

/* A range a call works on, claimed under the lock (see the top). */
struct claim {
	size_t s, e;
	bool virt;
	struct claim *next;
};

struct mmr_heap {
	mmr_region *region;
	uintptr_t base;		/* address with no color bit set */
	size_t size;		/* physical */
	size_t reserve;		/* virtual, per view */
	size_t page;
	uintptr_t mask;		/* color bits */
	unsigned shift;
	unsigned nviews;
	unsigned flags;
	bool one_bit;
	bool discontiguous;	/* views reserved one by one (no aligned block) */
	pthread_mutex_t lock;	/* protects runs, vmap, claims, active */
	pthread_cond_t idle;	/* a claim was released */
	struct mmri_runs runs;	/* committed physical ranges */
	struct mmri_vmap vmap[MMR_HEAP_MAX_VIEWS];
	struct claim *claims;
	unsigned active;	/* calls holding claims */
	char warning[256];
};


/* Bits of user address space: where the stack lives tells it (47 on
 * x86-64 with 4-level tables or without a high mmap hint, 48 on arm64, 32
 * for 32-bit code on a 64-bit kernel). */
static unsigned va_bits(void)
{
	int local;

	return mmri_bit_width((uintptr_t)&local);
}

static uintptr_t color_of(const struct mmr_heap *h, unsigned v)
{
	return h->one_bit ? (uintptr_t)1 << (h->shift + v) : (uintptr_t)v << h->shift;
}

static char *view_base(const struct mmr_heap *h, unsigned v)
{
	return (char *)(h->base + color_of(h, v));
}

/* Bytes reserved per view: the whole slot when the library chose the
 * base (a stray pointer past the end faults), the reservation asked for
 * at a caller's base. */
static size_t view_span(const struct mmr_heap *h)
{
	return h->flags & MMR_HEAP_FIXED_BASE || h->discontiguous ? h->reserve :
		(size_t)1 << h->shift;
}

static unsigned color_bits(const struct mmr_heap *h)
{
	return h->one_bit ? h->nviews : mmri_log2_ceil(h->nviews);
}

/* Is the layout possible in this address space? Sets h->shift and mask.
 * A chosen base needs an aligned block of 2^(shift + cbits) below the
 * stack and libraries, which sit in the top quarter: within 2^(va-2). */
static int plan_layout(struct mmr_heap *h, unsigned want_shift)
{
	unsigned va = va_bits(), cbits = color_bits(h);
	unsigned s = want_shift, room = h->flags & MMR_HEAP_FIXED_BASE ? va : va - 2;
	unsigned ptr_bits = sizeof(uintptr_t) * 8;

	if (!s) {
		s = mmri_log2_ceil(h->reserve);
		if (s < MMRI_HEAP_MIN_SHIFT)
			s = MMRI_HEAP_MIN_SHIFT;
	} else if (s >= ptr_bits || ((uintptr_t)1 << s) < h->reserve) {
		return mmri_err(EINVAL, "mmr_heap_create: color shift %u leaves less than "
				"the %zu bytes reserved per view between colors: use a "
				"shift of at least %u", s, h->reserve,
				mmri_log2_ceil(h->reserve));
	}
	if (s + cbits > room || s + cbits >= ptr_bits) {
		if (!want_shift)
			return mmri_err(EINVAL, "mmr_heap_create: a heap of %zu bytes with %u "
					"views needs %u address bits (%u color bits above %u), "
					"but this process has a %u-bit address space: the "
					"largest heap with %u views is %zu bytes (fewer views "
					"allow more)", h->reserve, h->nviews, s + cbits, cbits,
					s, va, h->nviews,
					(size_t)1 << (room > cbits ? room - cbits : 0));
		return mmri_err(EINVAL, "mmr_heap_create: color bits %u to %u do not fit "
				"in this process's %u-bit address space%s", s,
				s + cbits - 1, va, h->flags & MMR_HEAP_FIXED_BASE ? "" :
				" (a chosen base also needs the top quarter free)");
	}
	h->shift = s;
	h->mask = (((uintptr_t)1 << cbits) - 1) << s;
	return 0;
}

/*
 * Reserve @len bytes at an address aligned to 2^@align_bits. Over-reserving
 * by the alignment and trimming is one call; near the top of the address
 * space that fails, so then try each aligned slot in turn with
 * MAP_FIXED_NOREPLACE, from high to low addresses.
 */
static char *reserve_span(size_t len, unsigned align_bits)
{
	size_t align = (size_t)1 << align_bits;
	uintptr_t top = (uintptr_t)1 << (va_bits() - 1);
	void *p = mmri_reserve_aligned(len, align);

	if (!IS_ERR(p))
		return p;
	if (len > top)
		return ERR_PTR(-ENOMEM);
	for (uintptr_t a = (top - len) & ~(uintptr_t)(align - 1); a >= align; a -= align) {
		int r = mmri_reserve_noreplace((void *)a, len);

		if (!r)
			return (char *)a;
		if (r != -EEXIST && r != -ENOMEM && r != -EPERM)
			return ERR_PTR(r);
	}
	return ERR_PTR(-ENOMEM);
}

static void unreserve_views(struct mmr_heap *h, unsigned n)
{
	for (unsigned v = 0; v < n; v++)
		mmri_munmap(view_base(h, v), view_span(h));
}

/* The caller's base: each view's range reserved with NOREPLACE, so that
 * nothing of anyone else's is ever replaced. */
static int reserve_fixed(struct mmr_heap *h)
{
	if (h->base & (h->mask | (h->page - 1)))
		return mmri_err(EINVAL, "mmr_heap_create: base %#lx has color bits (mask "
				"%#lx) or is not aligned to the page size %zu",
				(unsigned long)h->base, (unsigned long)h->mask, h->page);
	if ((h->base & (((uintptr_t)1 << h->shift) - 1)) + h->reserve >
	    (uintptr_t)1 << h->shift)
		return mmri_err(EINVAL, "mmr_heap_create: base %#lx plus the reservation "
				"(%zu bytes) runs into the color bits at %u",
				(unsigned long)h->base, h->reserve, h->shift);
	for (unsigned v = 0; v < h->nviews; v++) {
		int r = mmri_reserve_noreplace(view_base(h, v), h->reserve);

		if (r) {
			unreserve_views(h, v);
			return mmri_err(r, "mmr_heap_create: view %u at [%p, +%zu) %s", v,
					(void *)view_base(h, v), h->reserve, r == -EEXIST ?
					"is already mapped: choose another base or shift" :
					"cannot be reserved");
		}
	}
	return 0;
}

/*
 * ZGC's discontiguous fallback: no aligned block is free (the address space
 * is fragmented), so reserve just each view's range at the first aligned
 * base, from high to low, where all of them are free.
 */
static int reserve_discontiguous(struct mmr_heap *h, unsigned cbits)
{
	uintptr_t align = (uintptr_t)1 << (h->shift + cbits);
	uintptr_t top = (uintptr_t)1 << (va_bits() - 1);

	h->discontiguous = true;
	for (uintptr_t a = (top - align) & ~(align - 1); ; a -= align) {
		unsigned v;

		h->base = a;
		for (v = 0; v < h->nviews; v++)
			if (mmri_reserve_noreplace(view_base(h, v), h->reserve))
				break;
		if (v == h->nviews)
			return 0;
		unreserve_views(h, v);
		if (a < align)
			break;
	}
	h->discontiguous = false;
	return -ENOMEM;
}

/* The library's base (or the caller's hint): one aligned block, of which
 * only the views' slots are kept (with one-bit colors the block also
 * holds addresses with no color or two colors, which are not views). */
static int reserve_chosen(struct mmr_heap *h, uintptr_t hint)
{
	unsigned cbits = color_bits(h);
	size_t slot = (size_t)1 << h->shift;
	size_t len = color_of(h, h->nviews - 1) + slot;
	uintptr_t cur;
	char *p = ERR_PTR(-ENOMEM);

	if (hint && !(hint & ((((uintptr_t)1 << (h->shift + cbits)) - 1))) &&
	    !mmri_reserve_noreplace((void *)hint, len))
		p = (char *)hint;
	if (IS_ERR(p))
		p = reserve_span(len, h->shift + cbits);
	if (IS_ERR(p) && !reserve_discontiguous(h, cbits))
		return 0;
	if (IS_ERR(p))
		return mmri_err((int)PTR_ERR(p), "mmr_heap_create: no free range of %zu "
				"bytes aligned to 2^%u for %u views of %zu bytes, nor room "
				"for each view on its own: try fewer views or a smaller "
				"reservation", len, h->shift + cbits, h->nviews, h->reserve);
	h->base = (uintptr_t)p;
	cur = h->base;
	for (unsigned v = 0; v < h->nviews; v++) {
		uintptr_t b = (uintptr_t)view_base(h, v);

		if (b > cur)
			mmri_munmap((void *)cur, b - cur);
		cur = b + slot;
	}
	return 0;
}

/*
 * The region is planned by region.c like any other: the backend asked for
 * (or $MMR_BACKEND, or AUTO's order, fd backends first), and a page size
 * no larger than 1 GiB. Lazy: a hugetlb heap takes its pages at commit.
 */
static int create_region(struct mmr_heap *h, size_t size, unsigned flags)
{
	struct mmri_region_need need = {
		.who = "mmr_heap_create",
		.size = size,
		.flags = flags & (MMR_CREATE_FLAGS & ~MMR_POPULATE),
		.max_page = MMRI_SZ_1G,
		.lazy = true,
	};
	int ret = mmri_region_create(&h->region, &need);

	if (ret)
		return ret;
	h->region->owner = "mmr_heap";
	h->size = mmr_region_size(h->region);
	h->page = mmr_region_page_size(h->region);
	/* SysV hugetlb segments reserve their pages at creation. */
	if (h->region->hugetlb && h->region->fd < 0)
		return h->region->ops->discard(h->region, 0, h->size);
	return 0;
}

/* ZGC's rule: warn when vm.max_map_count < size / granule x views x 1.2. */
static int check_map_count(struct mmr_heap *h, size_t granule)
{
	long limit = mmri_read_long("/proc/sys/vm/max_map_count");
	unsigned long long need;

	if (!granule)
		granule = MMRI_SZ_2M;
	if (granule < h->page)
		granule = h->page;
	need = (unsigned long long)((h->size + granule - 1) / granule) * h->nviews * 6 / 5;
	if (limit <= 0 || need <= (unsigned long long)limit)
		return 0;
	snprintf(h->warning, sizeof(h->warning), "vm.max_map_count is %ld, but %zu "
		 "bytes in %zu-byte granules through %u views may need %llu mappings "
		 "(size / granule x views x 1.2): raise it with sysctl -w "
		 "vm.max_map_count=%llu", limit, h->size, granule, h->nviews, need, need);
	if (h->flags & MMR_HEAP_STRICT_MAPS)
		return mmri_err(ENOMEM, "mmr_heap_create: %s", h->warning);
	return 0;
}

#define MMR_HEAP_LAYOUT_FLAGS (MMR_HEAP_ONE_BIT | MMR_HEAP_FIXED_BASE | MMR_HEAP_STRICT_MAPS)

static int check_layout(const struct mmr_heap_layout *l)
{
	unsigned flags = l->flags;

	if (l->views < MMR_HEAP_MIN_VIEWS || l->views > MMR_HEAP_MAX_VIEWS)
		return mmri_err(EINVAL, "mmr_heap_create: %u views; a heap has %d to %d",
				l->views, MMR_HEAP_MIN_VIEWS, MMR_HEAP_MAX_VIEWS);
	if (!l->size)
		return mmri_err(EINVAL, "mmr_heap_create: size is 0");
	if (flags & ~(MMR_CREATE_FLAGS | MMR_HEAP_LAYOUT_FLAGS))
		return mmri_err(EINVAL, "mmr_heap_create: unknown flags 0x%x",
				flags & ~(MMR_CREATE_FLAGS | MMR_HEAP_LAYOUT_FLAGS));
	if (l->size > MMRI_MAX_SIZE || l->reserve > MMRI_MAX_SIZE)
		return mmri_err(EINVAL, "mmr_heap_create: %zu bytes is larger than any "
				"address space", l->size > l->reserve ? l->size : l->reserve);
	if (l->reserve && l->reserve < l->size)
		return mmri_err(EINVAL, "mmr_heap_create: a reservation of %zu bytes per "
				"view cannot map all of %zu bytes of memory", l->reserve,
				l->size);
	if (l->granule & (l->granule - 1))
		return mmri_err(EINVAL, "mmr_heap_create: granule %zu is not a power of two",
				l->granule);
	return 0;
}

static void heap_free(struct mmr_heap *h)
{
	if (h->region)
		mmr_region_destroy(h->region);
	mmri_runs_free(&h->runs);
	for (unsigned v = 0; v < MMR_HEAP_MAX_VIEWS; v++)
		mmri_vmap_free(&h->vmap[v]);
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int mmr_heap_create_layout(mmr_heap **out, const struct mmr_heap_layout *l)
{
	struct mmr_heap *h;
	int ret;

	if (!out || !l)
		return mmri_err(EINVAL, "mmr_heap_create: %s is NULL", out ? "layout" : "out");
	*out = NULL;
	ret = check_layout(l);
	if (ret)
		return ret;
	h = calloc(1, sizeof(*h));
	if (!h)
		return mmri_err(ENOMEM, "mmr_heap_create: out of memory");
	h->nviews = l->views;
	h->flags = l->flags;
	h->one_bit = l->flags & MMR_HEAP_ONE_BIT;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->idle, NULL);
	ret = create_region(h, l->size, l->flags);
	if (ret)
		goto fail;
	h->reserve = l->reserve > h->size ? l->reserve : h->size;
	h->reserve = (h->reserve + h->page - 1) & ~(h->page - 1);
	ret = plan_layout(h, l->color_shift);
	if (!ret)
		ret = check_map_count(h, l->granule);
	if (!ret && (l->flags & MMR_HUGE) && !h->region->hugetlb && !h->warning[0])
		snprintf(h->warning, sizeof(h->warning), "MMR_HUGE: no hugetlb pages of "
			 "a size this heap can use are free (see /sys/kernel/mm/hugepages):"
			 " it has %zu-byte pages, with THP where shmem_enabled allows it",
			 h->page);
	if (ret)
		goto fail;
	h->base = l->base;
	if (h->flags & MMR_HEAP_FIXED_BASE)
		ret = reserve_fixed(h);
	else
		ret = reserve_chosen(h, l->base);
	if (ret)
		goto fail;
	*out = h;
	return 0;
fail:
	heap_free(h);
	return ret;
}

int mmr_heap_create(mmr_heap **out, size_t size, unsigned nviews, unsigned flags)
{
	struct mmr_heap_layout l = { .size = size, .views = nviews, .flags = flags };

	if (!out)
		return mmri_err(EINVAL, "mmr_heap_create: out is NULL");
	*out = NULL;
	if (flags & ~MMR_CREATE_FLAGS)
		return mmri_err(EINVAL, "mmr_heap_create: unknown flags 0x%x",
				flags & ~MMR_CREATE_FLAGS);
	return mmr_heap_create_layout(out, &l);
}

void mmr_heap_destroy(mmr_heap *h)
{
	if (!h)
		return;
	unreserve_views(h, h->nviews);
	heap_free(h);
}

/* ---- colors ---- */

/* The view @p points into, or -1 if @p is in no view's reservation. */
static int view_index(const struct mmr_heap *h, const void *p)
{
	uintptr_t a = (uintptr_t)p & ~h->mask, c = ((uintptr_t)p & h->mask) >> h->shift;
	unsigned v;

	if (a < h->base || a - h->base >= view_span(h))
		return -1;
	if (h->one_bit) {
		if (!c || (c & (c - 1)))
			return -1;
		v = (unsigned)__builtin_ctzll(c);
	} else {
		v = (unsigned)c;
	}
	return v < h->nviews ? (int)v : -1;
}

void *mmr_heap_base(const mmr_heap *h, unsigned view)
{
	if (!h || view >= h->nviews) {
		errno = EINVAL;
		return NULL;
	}
	return view_base(h, view);
}

void *mmr_heap_color(const mmr_heap *h, const void *p, unsigned view)
{
	if (!h || view >= h->nviews || view_index(h, p) < 0) {
		errno = EINVAL;
		return NULL;
	}
	return (void *)(((uintptr_t)p & ~h->mask) | color_of(h, view));
}

unsigned mmr_heap_view_of(const mmr_heap *h, const void *p)
{
	int v = h ? view_index(h, p) : -1;

	if (v < 0) {
		errno = EINVAL;
		return UINT_MAX;
	}
	return (unsigned)v;
}

uintptr_t mmr_heap_color_mask(const mmr_heap *h)
{
	return h ? h->mask : 0;
}

unsigned mmr_heap_color_shift(const mmr_heap *h)
{
	return h ? h->shift : 0;
}

unsigned mmr_heap_views(const mmr_heap *h)
{
	return h ? h->nviews : 0;
}

size_t mmr_heap_size(const mmr_heap *h)
{
	return h ? h->size : 0;
}

size_t mmr_heap_reserved(const mmr_heap *h)
{
	return h ? h->reserve : 0;
}

size_t mmr_heap_page_size(const mmr_heap *h)
{
	return h ? h->page : 0;
}

mmr_region *mmr_heap_region(const mmr_heap *h)
{
	return h ? h->region : NULL;
}

const char *mmr_heap_warning(const mmr_heap *h)
{
	return h && h->warning[0] ? h->warning : NULL;
}

/* ---- claims and room: the lock covers bookkeeping only ---- */

static bool claim_busy(const struct mmr_heap *h, const struct claim *c)
{
	for (const struct claim *o = h->claims; o; o = o->next)
		if (o->virt == c->virt && o->s < c->e && c->s < o->e)
			return true;
	return false;
}

/* Under the lock: wait until no other call works on any of @n ranges,
 * then take them all at once (no call ever holds some and waits). */
static void claim_all(struct mmr_heap *h, struct claim *c, unsigned n)
{
	for (;;) {
		bool busy = false;

		for (unsigned i = 0; i < n && !busy; i++)
			busy = claim_busy(h, &c[i]);
		if (!busy)
			break;
		pthread_cond_wait(&h->idle, &h->lock);
	}
	for (unsigned i = 0; i < n; i++) {
		c[i].next = h->claims;
		h->claims = &c[i];
	}
	h->active++;
}

static void release_all(struct mmr_heap *h, struct claim *c, unsigned n)
{
	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < n; i++) {
		struct claim **pp = &h->claims;

		while (*pp != &c[i])
			pp = &(*pp)->next;
		*pp = c[i].next;
	}
	h->active--;
	pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->lock);
}

/*
 * Under the lock, before system calls: room in the books for what every
 * call in flight may still record (each records at most one extent per
 * list between two calls of this: a split or an add), so that recording
 * what the system calls did never fails.
 */
static int make_room(struct mmr_heap *h, const char *fn)
{
	size_t more = 2 + 2 * (size_t)h->active;
	int ret = mmri_runs_reserve_more(&h->runs, more);

	for (unsigned v = 0; !ret && v < h->nviews; v++)
		ret = mmri_vmap_reserve(&h->vmap[v], more);
	return ret ? mmri_err(ENOMEM, "%s: out of memory for the heap's books", fn) : 0;
}

/* ---- system calls (no lock held) ---- */

static const char *maps_hint(int r)
{
	return r == -ENOMEM ? ": too many mappings? (vm.max_map_count)" : "";
}

/* Put the reservation back over virtual [voff, +len) of view @v. */
static int unmap_sys(struct mmr_heap *h, unsigned v, size_t voff, size_t len)
{
	void *p = mmri_mmap(view_base(h, v) + voff, len, PROT_NONE, MAP_PRIVATE |
			    MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);

	if (IS_ERR(p))
		return mmri_err((int)PTR_ERR(p), "unmapping %zu bytes at virtual %zu of "
				"view %u failed%s", len, voff, v,
				maps_hint((int)PTR_ERR(p)));
	return 0;
}

static int map_sys(struct mmr_heap *h, unsigned v, size_t voff, size_t poff, size_t len)
{
	struct mmr_region *r = h->region;
	bool populate = h->flags & MMR_POPULATE;
	void *p = r->ops->map(r, poff, len, view_base(h, v) + voff,
			      PROT_READ | PROT_WRITE, true, &populate);
	int ret;

	if (IS_ERR(p)) {
		ret = (int)PTR_ERR(p);
		unmap_sys(h, v, voff, len);	/* a failed MAP_FIXED may leave a hole */
		return mmri_err(ret, "mapping physical %zu at virtual %zu of view %u "
				"(%zu bytes) failed%s", poff, voff, v, len, maps_hint(ret));
	}
	if (populate) {
		ret = mmri_populate(p, len, PROT_READ | PROT_WRITE);
		if (ret) {
			unmap_sys(h, v, voff, len);
			return mmri_err(ret, "prefaulting %zu bytes failed", len);
		}
	}
	if (r->flags & MMR_THP)
		mmri_madvise(p, len, MADV_HUGEPAGE);	/* advice only: may be off */
	return 0;
}

static int commit_sys(struct mmr_heap *h, size_t off, size_t len, int mode,
		      unsigned long nodes)
{
	struct mmr_region *r = h->region;

	if (r->fd >= 0 && !r->hugetlb && (mode || (r->flags & MMR_THP)))
		return mmri_fd_commit_mapped(r, off, len, mode, nodes, r->flags & MMR_THP);
	return r->ops->commit(r, off, len);
}

/*
 * Move view @v's [from, +len) (showing physical @poff) to @to. mremap moves
 * the page tables, so the memory stays mapped and needs no fault at its
 * new address; MREMAP_DONTUNMAP (5.13+ for shared mappings) keeps the old
 * range ours until the reservation is back over it, so no other thread can
 * take it in between. Elsewhere: a fresh map plus an unmap, as ZGC does.
 * *@moved_in: the memory is mapped at @to (even if the unmap failed).
 */
static int move_sys(struct mmr_heap *h, unsigned v, size_t to, size_t from,
		    size_t poff, size_t len, bool *moved_in)
{
	char *old = view_base(h, v) + from, *new = view_base(h, v) + to;
	void *p = mmri_mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED |
			      MREMAP_DONTUNMAP, new);
	int ret;

	*moved_in = false;
	if (IS_ERR(p)) {
		ret = map_sys(h, v, to, poff, len);
		if (ret)
			return ret;
	}
	*moved_in = true;
	return unmap_sys(h, v, from, len);
}

/* ZGC's way: commit what can be, halving the range on a shortage. Returns
 * the bytes committed from @off on; *@err is the first failure. */
static size_t commit_some(struct mmr_heap *h, size_t off, size_t len, int mode,
			  unsigned long nodes, int *err)
{
	int r = commit_sys(h, off, len, mode, nodes);
	size_t half, got;

	if (!r)
		return len;
	if (!*err)
		*err = r;
	if (len <= h->page || (r != -ENOMEM && r != -ENOSPC))
		return 0;
	half = (len / 2) & ~(h->page - 1);
	got = commit_some(h, off, half, mode, nodes, err);
	if (got < half)
		return got;
	return half + commit_some(h, off + half, len - half, mode, nodes, err);
}

/* ---- the work of each call, with its ranges claimed ---- */

/* Commit the gaps of physical [s, e); *@done: the prefix committed. */
static int commit_claimed(struct mmr_heap *h, const char *fn, size_t s, size_t e,
			  int mode, unsigned long nodes, size_t *done)
{
	size_t a = s, pe;
	int ret = 0;

	for (;;) {
		bool gap;

		pthread_mutex_lock(&h->lock);
		gap = mmri_runs_next(&h->runs, &a, e, &pe, false);
		if (gap)
			ret = make_room(h, fn);
		pthread_mutex_unlock(&h->lock);
		if (!gap) {
			*done = e - s;
			return 0;
		}
		if (ret)
			break;
		while (a < pe) {
			size_t n = pe - a < MMRI_HEAP_COMMIT_CHUNK ? pe - a : MMRI_HEAP_COMMIT_CHUNK;
			int err = 0;
			size_t got = commit_some(h, a, n, mode, nodes, &err);

			pthread_mutex_lock(&h->lock);
			if (got)
				mmri_runs_add(&h->runs, a, a + got);
			ret = make_room(h, fn);
			pthread_mutex_unlock(&h->lock);
			a += got;
			if (got < n) {
				*done = a - s;
				return mmri_err_prefix(err, fn);
			}
			if (ret)
				goto out;
		}
	}
out:
	*done = a - s;
	return ret;
}

/* Give back the committed pieces of physical [s, e). */
static int uncommit_claimed(struct mmr_heap *h, const char *fn, size_t s, size_t e)
{
	size_t a = s, pe;
	int ret;

	for (;;) {
		bool run;

		pthread_mutex_lock(&h->lock);
		run = mmri_runs_next(&h->runs, &a, e, &pe, true);
		pthread_mutex_unlock(&h->lock);
		if (!run)
			return 0;
		ret = h->region->ops->discard(h->region, a, pe - a);
		if (ret)
			return mmri_err_prefix(ret, fn);
		pthread_mutex_lock(&h->lock);
		mmri_runs_remove(&h->runs, a, pe);
		ret = make_room(h, fn);
		pthread_mutex_unlock(&h->lock);
		if (ret)
			return ret;
		a = pe;
	}
}

/* Map physical X at virtual X where view @v maps nothing in [s, e). */
static int map_identity(struct mmr_heap *h, const char *fn, unsigned v, size_t s, size_t e)
{
	size_t a = s, pe;
	int ret;

	for (;;) {
		bool gap;

		pthread_mutex_lock(&h->lock);
		gap = mmri_vmap_next(&h->vmap[v], &a, e, &pe, NULL, false);
		pthread_mutex_unlock(&h->lock);
		if (!gap)
			return 0;
		ret = map_sys(h, v, a, a, pe - a);
		if (ret)
			return mmri_err_prefix(ret, fn);
		pthread_mutex_lock(&h->lock);
		mmri_vmap_add(&h->vmap[v], a, pe, a);
		ret = make_room(h, fn);
		pthread_mutex_unlock(&h->lock);
		if (ret)
			return ret;
		a = pe;
	}
}

/* Unmap whatever view @v maps in virtual [s, e). */
static int unmap_claimed(struct mmr_heap *h, const char *fn, unsigned v, size_t s, size_t e)
{
	size_t a = s, pe, ps;
	int ret;

	for (;;) {
		bool mapped;

		pthread_mutex_lock(&h->lock);
		mapped = mmri_vmap_next(&h->vmap[v], &a, e, &pe, &ps, true);
		pthread_mutex_unlock(&h->lock);
		if (!mapped)
			return 0;
		ret = unmap_sys(h, v, a, pe - a);
		if (ret)
			return mmri_err_prefix(ret, fn);
		pthread_mutex_lock(&h->lock);
		mmri_vmap_remove(&h->vmap[v], a, pe);
		ret = make_room(h, fn);
		pthread_mutex_unlock(&h->lock);
		if (ret)
			return ret;
		a = pe;
	}
}

/* Move what view @v maps in [from, from+len) to @to. */
static int move_claimed(struct mmr_heap *h, const char *fn, unsigned v, size_t to,
			size_t from, size_t len)
{
	size_t a = from, e = from + len, pe, ps;
	int ret;

	for (;;) {
		bool mapped, in;

		pthread_mutex_lock(&h->lock);
		mapped = mmri_vmap_next(&h->vmap[v], &a, e, &pe, &ps, true);
		pthread_mutex_unlock(&h->lock);
		if (!mapped)
			return 0;
		ret = move_sys(h, v, to + (a - from), a, ps, pe - a, &in);
		if (!in)
			return mmri_err_prefix(ret, fn);
		/* Moved in; if the old range could not be unmapped, both show it. */
		pthread_mutex_lock(&h->lock);
		if (!ret)
			mmri_vmap_remove(&h->vmap[v], a, pe);
		mmri_vmap_add(&h->vmap[v], to + (a - from), to + (pe - from), ps);
		if (!ret)
			ret = make_room(h, fn);
		pthread_mutex_unlock(&h->lock);
		if (ret)
			return mmri_err_prefix(ret, fn);
		a = pe;
	}
}

/* ---- checks (under the lock) ---- */

static int check_heap(const struct mmr_heap *h, const char *fn)
{
	return h ? 0 : mmri_err(EINVAL, "%s: heap is NULL", fn);
}

static int check_span(const struct mmr_heap *h, const char *fn, const char *what,
		      size_t off, size_t len, size_t limit)
{
	if ((off | len) & (h->page - 1))
		return mmri_err(EINVAL, "%s: %s offset %zu and length %zu must be multiples "
				"of the page size %zu", fn, what, off, len, h->page);
	if (off > limit || len > limit - off)
		return mmri_err(EINVAL, "%s: %s [%zu, +%zu) is past the heap's end (%zu)",
				fn, what, off, len, limit);
	return 0;
}

static int check_views(const struct mmr_heap *h, const char *fn, unsigned *views)
{
	unsigned all = (unsigned)((1ull << h->nviews) - 1);

	if (*views == MMR_HEAP_ALL_VIEWS)
		*views = all;
	if (!*views || (*views & ~all))
		return mmri_err(EINVAL, "%s: views mask %#x names no view or a view past "
				"the heap's %u", fn, *views, h->nviews);
	return 0;
}

/* Does every view map only physical X at virtual X in [s, e)? */
static int check_identity(struct mmr_heap *h, const char *fn, size_t s, size_t e)
{
	for (unsigned v = 0; v < h->nviews; v++) {
		size_t a = s, pe, ps;

		while (mmri_vmap_next(&h->vmap[v], &a, e, &pe, &ps, true)) {
			if (ps != a)
				return mmri_err(EBUSY, "%s: view %u maps virtual [%zu, %zu) to "
						"physical %zu (mmr_heap_map): unmap it first, "
						"or use mmr_heap_commit_phys()", fn, v, a, pe, ps);
			a = pe;
		}
	}
	return 0;
}

/* Does any view (other than at X itself, with @skip_identity) show a byte
 * of physical [s, e)? */
static int check_unshown(struct mmr_heap *h, const char *fn, size_t s, size_t e,
			 bool skip_identity)
{
	for (unsigned v = 0; v < h->nviews; v++)
		if (mmri_vmap_shows(&h->vmap[v], s, e, skip_identity))
			return mmri_err(EBUSY, "%s: view %u still maps some of physical "
					"[%zu, %zu): mmr_heap_unmap() it first", fn, v, s, e);
	return 0;
}

/* ---- the API ---- */

int mmr_heap_commit(mmr_heap *h, size_t off, size_t len)
{
	static const char fn[] = "mmr_heap_commit";
	struct claim c[2] = { { off, off + len, false, NULL }, { off, off + len, true, NULL } };
	size_t done = 0;
	int ret = check_heap(h, fn);

	if (!ret)
		ret = check_span(h, fn, "physical", off, len, h->size);
	if (ret || !len)
		return ret;
	pthread_mutex_lock(&h->lock);
	claim_all(h, c, 2);
	ret = check_identity(h, fn, off, off + len);
	if (!ret)
		ret = check_unshown(h, fn, off, off + len, true);
	if (!ret)
		ret = make_room(h, fn);
	pthread_mutex_unlock(&h->lock);
	if (!ret)
		ret = commit_claimed(h, fn, off, off + len, 0, 0, &done);
	for (unsigned v = 0; v < h->nviews && done; v++) {
		int r = map_identity(h, fn, v, off, off + done);

		if (r) {
			ret = r;
			break;
		}
	}
	release_all(h, c, 2);
	return ret;
}

int mmr_heap_uncommit(mmr_heap *h, size_t off, size_t len)
{
	static const char fn[] = "mmr_heap_uncommit";
	struct claim c[2] = { { off, off + len, false, NULL }, { off, off + len, true, NULL } };
	int ret = check_heap(h, fn);

	if (!ret)
		ret = check_span(h, fn, "physical", off, len, h->size);
	if (ret || !len)
		return ret;
	pthread_mutex_lock(&h->lock);
	claim_all(h, c, 2);
	ret = check_identity(h, fn, off, off + len);
	if (!ret)
		ret = check_unshown(h, fn, off, off + len, true);
	if (!ret)
		ret = make_room(h, fn);
	pthread_mutex_unlock(&h->lock);
	for (unsigned v = 0; !ret && v < h->nviews; v++)
		ret = unmap_claimed(h, fn, v, off, off + len);
	if (!ret)
		ret = uncommit_claimed(h, fn, off, off + len);
	release_all(h, c, 2);
	return ret;
}

static int check_numa(const char *fn, int mode, unsigned long nodes)
{
	if (mode != MMR_NUMA_DEFAULT && mode != MMR_NUMA_PREFERRED &&
	    mode != MMR_NUMA_INTERLEAVE)
		return mmri_err(EINVAL, "%s: NUMA mode %d is none of MMR_NUMA_DEFAULT, "
				"_PREFERRED and _INTERLEAVE", fn, mode);
	if (mode != MMR_NUMA_DEFAULT && !nodes)
		return mmri_err(EINVAL, "%s: NUMA mode %d with no node", fn, mode);
	if (mode == MMR_NUMA_PREFERRED && (nodes & (nodes - 1)))
		return mmri_err(EINVAL, "%s: MMR_NUMA_PREFERRED takes one node, not the "
				"mask %#lx", fn, nodes);
	return 0;
}

int mmr_heap_commit_phys(mmr_heap *h, size_t off, size_t len, int numa_mode,
			 unsigned long nodes, size_t *done)
{
	static const char fn[] = "mmr_heap_commit_phys";
	struct claim c = { off, off + len, false, NULL };
	size_t got = 0;
	int ret = check_heap(h, fn);

	if (!ret)
		ret = check_span(h, fn, "physical", off, len, h->size);
	if (!ret)
		ret = check_numa(fn, numa_mode, nodes);
	if (!ret && numa_mode && (h->region->fd < 0 || h->region->hugetlb))
		ret = mmri_err(EOPNOTSUPP, "%s: NUMA placement needs base pages of a "
			       "backend with a file (memfd, posix)", fn);
	if (!ret && len) {
		pthread_mutex_lock(&h->lock);
		claim_all(h, &c, 1);
		pthread_mutex_unlock(&h->lock);
		ret = commit_claimed(h, fn, off, off + len, numa_mode, nodes, &got);
		release_all(h, &c, 1);
	}
	if (done)
		*done = got;
	return ret;
}

int mmr_heap_uncommit_phys(mmr_heap *h, size_t off, size_t len)
{
	static const char fn[] = "mmr_heap_uncommit_phys";
	struct claim c = { off, off + len, false, NULL };
	int ret = check_heap(h, fn);

	if (!ret)
		ret = check_span(h, fn, "physical", off, len, h->size);
	if (ret || !len)
		return ret;
	pthread_mutex_lock(&h->lock);
	claim_all(h, &c, 1);
	ret = check_unshown(h, fn, off, off + len, false);
	if (!ret)
		ret = make_room(h, fn);	/* a split of a run */
	pthread_mutex_unlock(&h->lock);
	if (!ret)
		ret = uncommit_claimed(h, fn, off, off + len);
	release_all(h, &c, 1);
	return ret;
}

int mmr_heap_map(mmr_heap *h, size_t voff, size_t poff, size_t len, unsigned views)
{
	static const char fn[] = "mmr_heap_map";
	struct claim c[2] = { { poff, poff + len, false, NULL },
			      { voff, voff + len, true, NULL } };
	unsigned done = 0;
	size_t a = poff, pe;
	int ret = check_heap(h, fn);

	if (!ret)
		ret = check_span(h, fn, "physical", poff, len, h->size);
	if (!ret)
		ret = check_span(h, fn, "virtual", voff, len, h->reserve);
	if (!ret)
		ret = check_views(h, fn, &views);
	if (ret || !len)
		return ret;
	pthread_mutex_lock(&h->lock);
	claim_all(h, c, 2);
	if (mmri_runs_next(&h->runs, &a, poff + len, &pe, false))
		ret = mmri_err(EINVAL, "%s: physical [%zu, %zu) is not committed: "
			       "mmr_heap_commit_phys() it first", fn, a, pe);
	for (unsigned v = 0; !ret && v < h->nviews; v++) {
		size_t s = voff, e, ps;

		if ((views >> v & 1) &&
		    mmri_vmap_next(&h->vmap[v], &s, voff + len, &e, &ps, true))
			ret = mmri_err(EEXIST, "%s: view %u already maps virtual [%zu, %zu) "
				       "(to physical %zu): mmr_heap_unmap() it first", fn,
				       v, s, e, ps);
	}
	if (!ret)
		ret = make_room(h, fn);
	pthread_mutex_unlock(&h->lock);
	for (unsigned v = 0; !ret && v < h->nviews; v++) {
		if (!(views >> v & 1))
			continue;
		ret = map_sys(h, v, voff, poff, len);
		if (ret)
			mmri_err_prefix(ret, fn);
		else
			done |= 1u << v;
	}
	pthread_mutex_lock(&h->lock);
	for (unsigned v = 0; v < h->nviews; v++) {
		if (!(done >> v & 1))
			continue;
		if (ret)	/* all or nothing */
			unmap_sys(h, v, voff, len);
		else
			mmri_vmap_add(&h->vmap[v], voff, voff + len, poff);
	}
	pthread_mutex_unlock(&h->lock);
	release_all(h, c, 2);
	return ret;
}

/* Is all of virtual [s, e) mapped (@want) or unmapped in @views? */
static int check_virt(struct mmr_heap *h, const char *fn, unsigned views, size_t s,
		      size_t e, bool want)
{
	for (unsigned v = 0; v < h->nviews; v++) {
		size_t a = s, pe, ps;

		if (!(views >> v & 1))
			continue;
		if (mmri_vmap_next(&h->vmap[v], &a, e, &pe, &ps, !want))
			return want ? mmri_err(EINVAL, "%s: view %u maps nothing at virtual "
					       "[%zu, %zu)", fn, v, a, pe) :
				mmri_err(EEXIST, "%s: view %u already maps virtual [%zu, %zu)"
					 ": mmr_heap_unmap() it first", fn, v, a, pe);
	}
	return 0;
}

int mmr_heap_unmap(mmr_heap *h, size_t voff, size_t len, unsigned views)
{
	static const char fn[] = "mmr_heap_unmap";
	struct claim c = { voff, voff + len, true, NULL };
	int ret = check_heap(h, fn);

	if (!ret)
		ret = check_span(h, fn, "virtual", voff, len, h->reserve);
	if (!ret)
		ret = check_views(h, fn, &views);
	if (ret || !len)
		return ret;
	pthread_mutex_lock(&h->lock);
	claim_all(h, &c, 1);
	ret = check_virt(h, fn, views, voff, voff + len, true);
	if (!ret)
		ret = make_room(h, fn);
	pthread_mutex_unlock(&h->lock);
	for (unsigned v = 0; !ret && v < h->nviews; v++)
		if (views >> v & 1)
			ret = unmap_claimed(h, fn, v, voff, voff + len);
	release_all(h, &c, 1);
	return ret;
}

int mmr_heap_move(mmr_heap *h, size_t to, size_t from, size_t len, unsigned views)
{
	static const char fn[] = "mmr_heap_move";
	struct claim c[2] = { { from, from + len, true, NULL }, { to, to + len, true, NULL } };
	int ret = check_heap(h, fn);

	if (!ret)
		ret = check_span(h, fn, "virtual", from, len, h->reserve);
	if (!ret)
		ret = check_span(h, fn, "virtual", to, len, h->reserve);
	if (!ret)
		ret = check_views(h, fn, &views);
	if (!ret && from < to + len && to < from + len)
		ret = mmri_err(EINVAL, "%s: [%zu, +%zu) and [%zu, +%zu) overlap", fn, from,
			       len, to, len);
	if (ret || !len)
		return ret;
	pthread_mutex_lock(&h->lock);
	claim_all(h, c, 2);
	ret = check_virt(h, fn, views, from, from + len, true);
	if (!ret)
		ret = check_virt(h, fn, views, to, to + len, false);
	if (!ret)
		ret = make_room(h, fn);
	pthread_mutex_unlock(&h->lock);
	for (unsigned v = 0; !ret && v < h->nviews; v++)
		if (views >> v & 1)
			ret = move_claimed(h, fn, v, to, from, len);
	release_all(h, c, 2);
	return ret;
}

int mmr_heap_phys_of(const mmr_heap *h, unsigned view, size_t voff, size_t *poff)
{
	struct mmr_heap *m = (struct mmr_heap *)h;
	size_t s = voff, pe, ps;
	bool mapped;

	if (!h || view >= h->nviews || !poff)
		return mmri_err(EINVAL, "mmr_heap_phys_of: %s", !h ? "heap is NULL" :
				!poff ? "poff is NULL" : "no such view");
	pthread_mutex_lock(&m->lock);
	mapped = voff < h->reserve &&
		mmri_vmap_next(&m->vmap[view], &s, voff + 1, &pe, &ps, true);
	pthread_mutex_unlock(&m->lock);
	if (!mapped)
		return -ENOENT;
	*poff = ps;
	return 0;
}

size_t mmr_heap_committed(const mmr_heap *h)
{
	size_t c;

	if (!h)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&h->lock);
	c = h->runs.total;
	pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
	return c;
}
