// SPDX-License-Identifier: MIT
/* Records of a known size: mmr_ring_reserve() and mmr_ring_peek()
 * (ring_threads streams 10^7 records through them). */
#include <stdint.h>

#include "helpers.h"

static int reserve_basic(void)
{
	size_t cap, avail;
	unsigned char *w;
	const unsigned char *p;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	cap = mmr_ring_capacity(r);
	w = mmr_ring_reserve(r, cap);
	CHECK(w);
	CHECK(w == mmr_ring_write_ptr(r, &avail));
	errno = 0;
	CHECK(!mmr_ring_reserve(r, cap + 1));
	CHECK_EQ(errno, EINVAL);
	CHECK(strstr(mmr_last_error(), "capacity"));
	errno = 0;
	CHECK(!mmr_ring_peek(r, 1));
	CHECK_EQ(errno, EAGAIN);

	for (size_t i = 0; i < cap; i++)
		w[i] = (unsigned char)(i * 3);
	mmr_ring_produce(r, cap);
	errno = 0;
	CHECK(!mmr_ring_reserve(r, 1));		/* full: nothing to refresh */
	CHECK_EQ(errno, EAGAIN);
	p = mmr_ring_peek(r, cap);
	CHECK(p && p == mmr_ring_read_ptr(r, &avail));
	CHECK_EQ(p[cap - 1], (unsigned char)((cap - 1) * 3));
	CHECK(!mmr_ring_peek(r, cap + 1));
	CHECK_EQ(errno, EINVAL);

	/* The producer's last tail is stale now: reserve must look again. */
	mmr_ring_consume(r, 100);
	CHECK(mmr_ring_reserve(r, 100));
	errno = 0;
	CHECK(!mmr_ring_reserve(r, 101));
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(mmr_ring_error(r), 0);		/* "full" is not a misuse */
	mmr_ring_destroy(r);

	errno = 0;
	CHECK(!mmr_ring_reserve(NULL, 1));
	CHECK_EQ(errno, EINVAL);
	CHECK(!mmr_ring_peek(NULL, 1));
	CHECK_EQ(errno, EINVAL);
	return T_PASS;
}

/* A reserved span that straddles the end is one span, and so is the peek. */
static int reserve_straddles(void)
{
	size_t cap, n = 1000;
	unsigned char *w;
	const unsigned char *p;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	cap = mmr_ring_capacity(r);
	/* Move both indices to 300 bytes before the end. */
	CHECK((w = mmr_ring_reserve(r, cap - 300)));
	mmr_ring_produce(r, cap - 300);
	CHECK(mmr_ring_peek(r, cap - 300));
	mmr_ring_consume(r, cap - 300);

	CHECK((w = mmr_ring_reserve(r, n)));
	for (size_t i = 0; i < n; i++)
		w[i] = (unsigned char)(i ^ 0x5a);
	mmr_ring_produce(r, n);
	CHECK((p = mmr_ring_peek(r, n)));
	CHECK(p == w);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(p[i], (unsigned char)(i ^ 0x5a));
	/* The 700 bytes past the end landed at the start of the data. */
	mmr_ring_consume(r, n);
	CHECK((p = mmr_ring_peek(r, 0)));
	CHECK_EQ(p[-700], (unsigned char)(300 ^ 0x5a));
	CHECK_EQ(mmr_ring_error(r), 0);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* Batches: as many records as are there, up to the number asked. */
static int reserve_records_batch(void)
{
	size_t cap, count;
	uint64_t *w;
	const uint64_t *p;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	cap = mmr_ring_capacity(r);
	count = 10;
	CHECK((w = mmr_ring_reserve_records(r, 8, &count)));
	CHECK_EQ(count, 10);
	for (size_t i = 0; i < count; i++)
		w[i] = i;
	mmr_ring_produce(r, 10 * 8);
	count = 100;				/* more than there are */
	CHECK((p = mmr_ring_peek_records(r, 8, &count)));
	CHECK_EQ(count, 10);
	CHECK(p[0] == 0 && p[9] == 9);
	mmr_ring_consume(r, 4 * 8);
	/* Asking for more than the ring holds: capped, not an error. */
	count = SIZE_MAX;
	CHECK((w = mmr_ring_reserve_records(r, 8, &count)));
	CHECK_EQ(count, cap / 8 - 6);
	mmr_ring_produce(r, count * 8);
	/* Full: EAGAIN, count 0. */
	count = 1;
	errno = 0;
	CHECK(!mmr_ring_reserve_records(r, 8, &count));
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(count, 0);
	/* Records of a size that does not divide the free bytes. */
	mmr_ring_consume(r, 100);
	count = 5;
	CHECK(mmr_ring_reserve_records(r, 48, &count));
	CHECK_EQ(count, 2);			/* 100 bytes hold two */
	/* Bad arguments. */
	count = 1;
	errno = 0;
	CHECK(!mmr_ring_reserve_records(NULL, 8, &count));
	CHECK_EQ(errno, EINVAL);
	CHECK(!mmr_ring_peek_records(r, 8, NULL));
	CHECK(strstr(mmr_last_error(), "count is NULL"));
	CHECK(!mmr_ring_peek_records(r, 0, &count));
	count = 0;
	CHECK(!mmr_ring_peek_records(r, 8, &count));
	count = 1;
	CHECK(!mmr_ring_peek_records(r, cap + 1, &count));
	CHECK_EQ(mmr_ring_error(r), 0);
	mmr_ring_destroy(r);
	return T_PASS;
}

T_MAIN(T(reserve_basic), T(reserve_straddles), T(reserve_records_batch))
