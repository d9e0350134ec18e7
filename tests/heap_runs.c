// SPDX-License-Identifier: MIT
/*
 * The heap's committed-run list (src/heap_runs.c) against a page bitmap,
 * and the bit counts the heap's layout is computed with (src/bits.h), which
 * must give the same answers in 32-bit code (make check-32).
 */
#include <stdbool.h>
#include <stdint.h>

#include "helpers.h"
#include "bits.h"
#include "heap_runs.h"

#define PAGES 64

/* The list must say exactly what the bitmap says, in canonical form. */
static int same(const struct mmri_runs *l, const bool *map)
{
	size_t total = 0, k = 0;

	for (size_t p = 0; p < PAGES; p++)
		total += map[p];
	CHECK_EQ(l->total, total);
	for (size_t p = 0; p < PAGES;) {
		size_t q = p;

		if (!map[p]) {
			p++;
			continue;
		}
		while (q < PAGES && map[q])
			q++;
		CHECK(k < l->nruns);
		CHECK_EQ(l->runs[k].start, p);
		CHECK_EQ(l->runs[k].end, q);
		k++;
		p = q;
	}
	CHECK_EQ(l->nruns, k);
	return T_PASS;
}

/* Random commits and uncommits of ranges, done as the heap does them:
 * piece by piece, room reserved first. */
static int random_against_bitmap(void)
{
	struct mmri_runs l = { 0 };
	bool map[PAGES] = { 0 };
	unsigned seed = 1;

	for (int round = 0; round < 20000; round++) {
		size_t a, b, s, pe;
		bool commit;

		seed = seed * 1103515245u + 12345u;
		a = (seed >> 8) % PAGES;
		b = (seed >> 16) % PAGES;
		commit = (seed >> 28) & 1;
		if (a > b) {
			size_t t = a;

			a = b;
			b = t;
		}
		b++;
		s = a;
		while (mmri_runs_next(&l, &s, b, &pe, !commit)) {
			CHECK(s >= a && pe <= b && s < pe);
			for (size_t p = s; p < pe; p++)
				CHECK_EQ(map[p], !commit);	/* the piece is what was asked */
			CHECK_EQ(mmri_runs_reserve(&l), 0);
			if (commit)
				mmri_runs_add(&l, s, pe);
			else
				mmri_runs_remove(&l, s, pe);
			for (size_t p = s; p < pe; p++)
				map[p] = commit;
			s = pe;
		}
		for (size_t p = a; p < b; p++)
			CHECK_EQ(map[p], commit);
		if (same(&l, map) != T_PASS)
			return T_FAIL;
	}
	mmri_runs_free(&l);
	CHECK_EQ(l.nruns, 0);
	return T_PASS;
}

static int edges(void)
{
	struct mmri_runs l = { 0 };
	size_t s = 0, pe = 0;

	CHECK(!mmri_runs_next(&l, &s, 10, &pe, true));		/* nothing committed */
	CHECK(mmri_runs_next(&l, &s, 10, &pe, false));
	CHECK_EQ(s, 0);
	CHECK_EQ(pe, 10);
	CHECK_EQ(mmri_runs_reserve(&l), 0);
	mmri_runs_add(&l, 2, 4);
	CHECK_EQ(mmri_runs_reserve(&l), 0);
	mmri_runs_add(&l, 6, 8);
	CHECK_EQ(mmri_runs_reserve(&l), 0);
	mmri_runs_add(&l, 4, 6);				/* joins both */
	CHECK_EQ(l.nruns, 1);
	CHECK_EQ(l.total, 6);
	CHECK_EQ(mmri_runs_reserve(&l), 0);
	mmri_runs_remove(&l, 3, 5);				/* splits */
	CHECK_EQ(l.nruns, 2);
	CHECK_EQ(l.total, 4);
	mmri_runs_free(&l);
	return T_PASS;
}

static int bit_counts(void)
{
	CHECK_EQ(mmri_log2_ceil(0), 0);
	CHECK_EQ(mmri_log2_ceil(1), 0);
	CHECK_EQ(mmri_log2_ceil(2), 1);
	CHECK_EQ(mmri_log2_ceil(3), 2);
	CHECK_EQ(mmri_log2_ceil(16), 4);
	CHECK_EQ(mmri_log2_ceil(17), 5);
	CHECK_EQ(mmri_log2_ceil((size_t)1 << 30), 30);
	CHECK_EQ(mmri_log2_ceil(SIZE_MAX), sizeof(size_t) * 8);
	CHECK_EQ(mmri_bit_width(0), 0);
	CHECK_EQ(mmri_bit_width(1), 1);
	CHECK_EQ(mmri_bit_width(UINTPTR_MAX), sizeof(uintptr_t) * 8);
	CHECK_EQ(mmri_bit_width(0x80000000u), 32);
	return T_PASS;
}

/* What the heap makes of those in this process: 3 views need 2 color bits
 * (mmr_heap_color_mask), whatever the word size. */
static int heap_color_bits(void)
{
	mmr_heap *h;
	uintptr_t mask;

	CHECK_EQ(mmr_heap_create(&h, 1 << 20, 3, 0), 0);
	mask = mmr_heap_color_mask(h);
	CHECK_EQ(mask >> mmr_heap_color_shift(h), 3);
	CHECK(mmr_heap_color_shift(h) < sizeof(void *) * 8);
	mmr_heap_destroy(h);
	return T_PASS;
}

T_MAIN(T(random_against_bitmap), T(edges), T(bit_counts), T(heap_color_bits))
