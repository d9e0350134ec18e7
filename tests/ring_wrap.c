// SPDX-License-Identifier: MIT
/*
 * Wrap-around at every offset of a one-page ring: a record that starts at
 * offset k and runs past the end is contiguous for the writer and the
 * reader, and the bytes land where the other copy shows them.
 */
#include <stdint.h>

#include "helpers.h"

static uint8_t pat(size_t k, size_t i)
{
	return (uint8_t)(k * 3 + i * 7 + 1);
}

/* Move both indices to @k by producing and consuming k bytes. */
static int advance(mmr_ring *r, size_t k)
{
	size_t avail;

	mmr_ring_write_ptr(r, &avail);
	CHECK(avail >= k);
	mmr_ring_produce(r, k);
	mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, k);
	mmr_ring_consume(r, k);
	return T_PASS;
}

static int wrap_every_offset(void)
{
	size_t cap, avail;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	cap = mmr_ring_capacity(r);
	CHECK_EQ(cap, t_page());
	for (size_t k = 0; k < cap; k++) {
		/* Fill the whole ring from offset k: every record straddles. */
		size_t len = cap;
		uint8_t *w = mmr_ring_write_ptr(r, &avail);
		const uint8_t *rd;

		CHECK_EQ(avail, cap);	/* empty: the whole capacity */
		for (size_t i = 0; i < len; i++)
			w[i] = pat(k, i);
		mmr_ring_produce(r, len);
		mmr_ring_write_ptr(r, &avail);
		CHECK_EQ(avail, 0);
		rd = mmr_ring_read_ptr(r, &avail);
		CHECK_EQ(avail, len);
		CHECK(rd == w);		/* same view: reads start where writes did */
		for (size_t i = 0; i < len; i++)
			if (rd[i] != pat(k, i))
				CHECK_EQ(rd[i], pat(k, i));
		mmr_ring_consume(r, len);
		if (advance(r, 1) != T_PASS)	/* next offset */
			return T_FAIL;
	}
	CHECK_EQ(mmr_ring_error(r), 0);
	mmr_ring_destroy(r);
	return T_PASS;
}

/*
 * The aliasing trap: the producer stores through the second copy, the
 * consumer loads the same bytes through the first, in one thread, at -O2.
 * The ring's calls carry compiler barriers, so the load is not folded.
 */
static int wrap_alias_one_thread(void)
{
	size_t cap, avail;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	cap = mmr_ring_capacity(r);
	if (advance(r, cap - 4) != T_PASS)
		return T_FAIL;
	for (int round = 0; round < 100; round++) {
		volatile uint8_t sink;
		uint8_t *w = mmr_ring_write_ptr(r, &avail);
		const uint8_t *rd;
		uint8_t *first = w + 4 - cap;	/* byte 4 of w, first copy */

		sink = first[0];	/* tempt the compiler to cache it */
		(void)sink;
		w[4] = (uint8_t)round;	/* second copy */
		mmr_ring_produce(r, 8);
		rd = mmr_ring_read_ptr(r, &avail);
		CHECK_EQ(avail, 8);
		CHECK_EQ(rd[4], round);
		CHECK_EQ(first[0], round);
		mmr_ring_consume(r, 8);
		if (advance(r, cap - 8) != T_PASS)
			return T_FAIL;
	}
	mmr_ring_destroy(r);
	return T_PASS;
}

/* The second copy is the first, page by page, for a larger ring too. */
static int wrap_views_alias(void)
{
	size_t cap, avail;
	uint8_t *w;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 5 * t_page() + 1, 0), 0);
	cap = mmr_ring_capacity(r);
	CHECK_EQ(cap, 6 * t_page());
	w = mmr_ring_write_ptr(r, &avail);
	for (size_t i = 0; i < cap; i++)
		w[cap + i] = (uint8_t)(i * 5);
	mmr_barrier();
	for (size_t i = 0; i < cap; i++)
		if (w[i] != (uint8_t)(i * 5))
			CHECK_EQ(w[i], (uint8_t)(i * 5));
	mmr_ring_destroy(r);
	return T_PASS;
}

T_MAIN(T(wrap_every_offset), T(wrap_alias_one_thread), T(wrap_views_alias))
