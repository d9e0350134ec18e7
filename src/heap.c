// SPDX-License-Identifier: MIT
/*
 * Multi-view heap with colored pointers (ZGC's multi-mapping scheme).
 *
 * Layout: one region (memfd by default, sparse) of the heap's size, mapped
 * n times at bases B | (v << shift), v = 0..n-1, where shift is the
 * smallest power of two >= the size (at least MMRI_HEAP_MIN_SHIFT) and B
 * is aligned to 2^(shift + cbits), cbits = bits needed to number n views.
 * Recoloring a pointer is then one AND and one OR.
 *
 * The whole span n << shift is first reserved PROT_NONE, then each view is
 * mapped with MMR_FIXED over its slot of the reservation: no other thread
 * can take an address between finding the span and using it. Slot bytes
 * past the heap's size stay reserved PROT_NONE, so a stray colored pointer
 * past the end faults instead of reaching a neighbour.
 *
 * Commit state: every view is mapped PROT_NONE over the whole heap at
 * creation. Commit allocates the pages in the object through the region
 * (fallocate, as ZGC does: a shortage is reported now, not as SIGBUS
 * later) and makes the range read-write in every view. Uncommit makes it
 * PROT_NONE first (a stray access faults instead of allocating a fresh
 * zero page again) and then gives the pages back through the region
 * (mmr_region_discard: a hole punched, or MADV_REMOVE). Adjacent ranges of equal
 * protection merge into one VMA, so the mapping count grows with the
 * number of committed runs, not with the number of calls. Committed ranges
 * are kept in a sorted interval list (heap_runs.c) so that overlapping
 * commits neither lose data nor count bytes twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bits.h"
#include "heap_runs.h"
#include "internal.h"

/* Views at least 1 GiB apart: slots aligned for any huge page size. A
 * 32-bit address space has no room for that: 4 MiB (2 MiB and 4 MiB huge
 * pages) there. */
#define MMRI_HEAP_MIN_SHIFT (sizeof(void *) >= 8 ? 30u : 22u)

struct mmr_heap {
	mmr_region *region;
	char *span;		/* reservation: nviews << shift bytes */
	size_t size;
	size_t page;
	uintptr_t mask;		/* color bits */
	unsigned shift;
	unsigned nviews;
	unsigned flags;
	unsigned cbits;		/* color bits: log2_ceil(nviews) */
	pthread_mutex_t lock;	/* protects runs */
	struct mmri_runs runs;	/* what is committed */
};

/* Bits of user address space: where the stack lives tells it (47 on
 * x86-64 with 4-level tables or without a high mmap hint, 48 on arm64, 32
 * for 32-bit code on a 64-bit kernel). */
static unsigned va_bits(void)
{
	int local;

	return mmri_bit_width((uintptr_t)&local);
}

static char *view_base(const struct mmr_heap *h, unsigned v)
{
	return h->span + ((size_t)v << h->shift);
}

/* Is @len past the largest heap @nviews colors allow? Needs an aligned
 * block of 2^(shift + cbits) below the stack and libraries, which sit in
 * the top quarter of the address space: the block must fit in 2^(va-2). */
static int check_geometry(size_t size, unsigned nviews, unsigned cbits, unsigned *shift)
{
	unsigned va = va_bits();
	unsigned s = mmri_log2_ceil(size);
	unsigned max_shift = va - 2 - cbits;

	if (s < MMRI_HEAP_MIN_SHIFT)
		s = MMRI_HEAP_MIN_SHIFT;
	if (s > max_shift)
		return mmri_err(EINVAL, "mmr_heap_create: a heap of %zu bytes with %u views "
				"needs %u address bits (%u color bits above %u), but this "
				"process has a %u-bit address space: the largest heap with "
				"%u views is %zu bytes (fewer views allow more)", size,
				nviews, s + cbits, cbits, s, va, nviews,
				(size_t)1 << max_shift);
	*shift = s;
	return 0;
}

/*
 * Reserve n << shift bytes at an address aligned to 2^(shift + cbits).
 * Over-reserving by the alignment and trimming is one call; near the top of
 * the address space that fails, so then try each aligned slot in turn with
 * MAP_FIXED_NOREPLACE, from high to low addresses.
 */
static char *reserve_span(size_t len, unsigned align_bits)
{
	size_t align = (size_t)1 << align_bits;
	uintptr_t top = (uintptr_t)1 << (va_bits() - 1);
	void *p = mmri_reserve_aligned(len, align);

	if (!IS_ERR(p))
		return p;
	for (uintptr_t a = (top - len) & ~(uintptr_t)(align - 1); a >= align; a -= align) {
		int r = mmri_reserve_noreplace((void *)a, len);

		if (!r)
			return (char *)a;
		if (r != -EEXIST && r != -ENOMEM && r != -EPERM)
			return ERR_PTR(r);
	}
	return ERR_PTR(-ENOMEM);
}

/*
 * The region is planned by region.c like any other: the backend asked for
 * (or $MMR_BACKEND, or AUTO's order, fd backends first), and a page size
 * no larger than a view's slot. Commit and uncommit go through it too.
 */
static int create_region(struct mmr_heap *h, size_t size, unsigned flags)
{
	struct mmri_region_need need = {
		.who = "mmr_heap_create",
		.size = size,
		.flags = flags & (MMR_CREATE_FLAGS & ~MMR_POPULATE),
		.max_page = (size_t)1 << h->shift,
	};
	int ret = mmri_region_create(&h->region, &need);

	if (ret)
		return ret;
	h->size = mmr_region_size(h->region);
	h->page = mmr_region_page_size(h->region);
	/* hugetlb regions get their pages at creation: give them back so a
	 * large heap costs nothing until committed. */
	if (h->page > mmri_base_page())
		return mmr_region_discard(h->region, 0, h->size);
	return 0;
}

/* Unmap what is still ours: views through the region, then the slot tails
 * (never an address twice, so nothing another thread mapped is hit). */
static void unmap_views(struct mmr_heap *h, unsigned mapped)
{
	size_t slot = (size_t)1 << h->shift;

	for (unsigned v = 0; v < h->nviews; v++) {
		char *b = view_base(h, v);

		if (v < mapped)
			mmr_unview(h->region, b, h->size);
		else
			mmri_munmap(b, h->size);
		if (slot > h->size)
			mmri_munmap(b + h->size, slot - h->size);
	}
}

static int map_views(struct mmr_heap *h)
{
	for (unsigned v = 0; v < h->nviews; v++) {
		void *p = mmr_view(h->region, 0, h->size, view_base(h, v), PROT_NONE,
				   MMR_FIXED);

		if (!p) {
			int err = errno;

			unmap_views(h, v);
			return -err;
		}
	}
	return 0;
}

int mmr_heap_create(mmr_heap **out, size_t size, unsigned nviews, unsigned flags)
{
	struct mmr_heap *h;
	int ret;

	if (!out)
		return mmri_err(EINVAL, "mmr_heap_create: out is NULL");
	*out = NULL;
	if (nviews < MMR_HEAP_MIN_VIEWS || nviews > MMR_HEAP_MAX_VIEWS)
		return mmri_err(EINVAL, "mmr_heap_create: %u views; a heap has %d to %d",
				nviews, MMR_HEAP_MIN_VIEWS, MMR_HEAP_MAX_VIEWS);
	if (!size)
		return mmri_err(EINVAL, "mmr_heap_create: size is 0");
	if (flags & ~MMR_CREATE_FLAGS)
		return mmri_err(EINVAL, "mmr_heap_create: unknown flags 0x%x",
				flags & ~MMR_CREATE_FLAGS);
	if (size > MMRI_MAX_SIZE)
		return mmri_err(EINVAL, "mmr_heap_create: %zu bytes is larger than any "
				"address space", size);
	h = calloc(1, sizeof(*h));
	if (!h)
		return mmri_err(ENOMEM, "mmr_heap_create: out of memory");
	h->nviews = nviews;
	h->flags = flags;
	pthread_mutex_init(&h->lock, NULL);
	h->cbits = mmri_log2_ceil(nviews);
	ret = check_geometry(size, nviews, h->cbits, &h->shift);
	if (ret)
		goto free_h;
	h->mask = (((uintptr_t)1 << h->cbits) - 1) << h->shift;
	h->span = reserve_span((size_t)nviews << h->shift, h->shift + h->cbits);
	if (IS_ERR(h->span)) {
		ret = mmri_err((int)PTR_ERR(h->span), "mmr_heap_create: no free range of "
			       "%zu bytes aligned to 2^%u for %u views of %zu bytes: "
			       "try fewer views or a smaller heap (the largest possible "
			       "with %u views is 2^%u bytes)", (size_t)nviews << h->shift,
			       h->shift + h->cbits, nviews, size, nviews,
			       va_bits() - 2 - h->cbits);
		goto free_h;
	}
	ret = create_region(h, size, flags);
	if (ret)
		goto unreserve;
	ret = map_views(h);
	if (ret)
		goto destroy_region;
	*out = h;
	return 0;

destroy_region:
	mmr_region_destroy(h->region);
	/* map_views() already unmapped the span. */
	goto free_h;
unreserve:
	if (h->region)
		mmr_region_destroy(h->region);
	mmri_munmap(h->span, (size_t)nviews << h->shift);
free_h:
	pthread_mutex_destroy(&h->lock);
	free(h);
	return ret;
}

void mmr_heap_destroy(mmr_heap *h)
{
	if (!h)
		return;
	unmap_views(h, h->nviews);
	mmr_region_destroy(h->region);
	pthread_mutex_destroy(&h->lock);
	mmri_runs_free(&h->runs);
	free(h);
}

/* ---- colors ---- */

/* Offset of @p in its slot, or SIZE_MAX if @p is in no slot. */
static size_t slot_offset(const struct mmr_heap *h, const void *p)
{
	uintptr_t a = (uintptr_t)p & ~h->mask, b = (uintptr_t)h->span;

	if (a < b || a - b >= ((size_t)1 << h->shift) ||
	    (((uintptr_t)p & h->mask) >> h->shift) >= h->nviews)
		return SIZE_MAX;
	return a - b;
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
	if (!h || view >= h->nviews || slot_offset(h, p) == SIZE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	return (void *)(((uintptr_t)p & ~h->mask) | ((uintptr_t)view << h->shift));
}

unsigned mmr_heap_view_of(const mmr_heap *h, const void *p)
{
	if (!h || slot_offset(h, p) == SIZE_MAX) {
		errno = EINVAL;
		return UINT_MAX;
	}
	return (unsigned)(((uintptr_t)p & h->mask) >> h->shift);
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

size_t mmr_heap_page_size(const mmr_heap *h)
{
	return h ? h->page : 0;
}

mmr_region *mmr_heap_region(const mmr_heap *h)
{
	return h ? h->region : NULL;
}

/* ---- commit / uncommit ---- */

static int protect_views(struct mmr_heap *h, size_t off, size_t len, int prot,
			 unsigned *done)
{
	for (*done = 0; *done < h->nviews; (*done)++) {
		int r = mmri_mprotect(view_base(h, *done) + off, len, prot);

		if (r)
			return r;
	}
	return 0;
}

static int populate_views(struct mmr_heap *h, size_t off, size_t len)
{
	for (unsigned v = 0; v < h->nviews; v++) {
		int r = mmri_populate(view_base(h, v) + off, len, PROT_READ | PROT_WRITE);

		if (r)
			return r;
	}
	return 0;
}

static int commit_piece(struct mmr_heap *h, size_t off, size_t len)
{
	unsigned done;
	int r;

	r = mmri_region_commit(h->region, off, len);
	if (r)
		return mmri_err_prefix(r, "mmr_heap_commit");
	r = protect_views(h, off, len, PROT_READ | PROT_WRITE, &done);
	if (!r && (h->flags & MMR_POPULATE))
		r = populate_views(h, off, len);
	if (!r)
		return 0;
	while (done--)
		mmri_mprotect(view_base(h, done) + off, len, PROT_NONE);
	mmr_region_discard(h->region, off, len);
	return mmri_err(r, "mmr_heap_commit: making %zu bytes at %zu accessible "
			"failed%s", len, off, r == -ENOMEM ? ": too many mappings? "
			"(vm.max_map_count)" : "");
}

static int uncommit_piece(struct mmr_heap *h, size_t off, size_t len)
{
	unsigned done;
	int r = protect_views(h, off, len, PROT_NONE, &done);

	if (r) {
		while (done--)
			mmri_mprotect(view_base(h, done) + off, len, PROT_READ | PROT_WRITE);
		return mmri_err(r, "mmr_heap_uncommit: protecting %zu bytes at %zu "
				"failed%s", len, off, r == -ENOMEM ? ": too many "
				"mappings? (vm.max_map_count)" : "");
	}
	r = mmr_region_discard(h->region, off, len);
	if (r)	/* still backed: keep it usable and counted */
		protect_views(h, off, len, PROT_READ | PROT_WRITE, &done);
	return r;
}

static int check_range(const struct mmr_heap *h, const char *fn, size_t off, size_t len)
{
	if (!h)
		return mmri_err(EINVAL, "%s: heap is NULL", fn);
	if ((off | len) & (h->page - 1))
		return mmri_err(EINVAL, "%s: offset %zu and length %zu must be multiples "
				"of the page size %zu", fn, off, len, h->page);
	if (off > h->size || len > h->size - off)
		return mmri_err(EINVAL, "%s: [%zu, +%zu) is past the heap's end (%zu)",
				fn, off, len, h->size);
	return 0;
}

int mmr_heap_commit(mmr_heap *h, size_t off, size_t len)
{
	size_t s = off, e = off + len, pe;
	int ret = check_range(h, "mmr_heap_commit", off, len);

	if (ret)
		return ret;
	pthread_mutex_lock(&h->lock);
	while (mmri_runs_next(&h->runs, &s, e, &pe, false)) {
		ret = mmri_runs_reserve(&h->runs);
		if (ret) {
			mmri_err(ENOMEM, "mmr_heap_commit: out of memory");
			break;
		}
		ret = commit_piece(h, s, pe - s);
		if (ret)
			break;
		mmri_runs_add(&h->runs, s, pe);
		s = pe;
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

int mmr_heap_uncommit(mmr_heap *h, size_t off, size_t len)
{
	size_t s = off, e = off + len, pe;
	int ret = check_range(h, "mmr_heap_uncommit", off, len);

	if (ret)
		return ret;
	pthread_mutex_lock(&h->lock);
	while (mmri_runs_next(&h->runs, &s, e, &pe, true)) {
		ret = mmri_runs_reserve(&h->runs);
		if (ret) {
			mmri_err(ENOMEM, "mmr_heap_uncommit: out of memory");
			break;
		}
		ret = uncommit_piece(h, s, pe - s);
		if (ret)
			break;
		mmri_runs_remove(&h->runs, s, pe);
		s = pe;
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
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
