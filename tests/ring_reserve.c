// SPDX-License-Identifier: MIT
/* Records of a known size: mmr_ring_reserve() and mmr_ring_peek(). */
#include <pthread.h>
#include <stdint.h>

#include "helpers.h"
#include "ring_stream.h"

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

struct side {
	mmr_ring *r;
	unsigned long n;
	uint64_t sum;
	int bad;
};

static void *producer(void *arg)
{
	struct side *s = arg;
	uint64_t sum = 0;

	for (uint32_t seq = 0; seq < s->n; seq++) {
		uint32_t len = stream_len(seq);
		uint8_t *p;

		while (!(p = mmr_ring_reserve(s->r, len)))
			sched_yield();
		memcpy(p, &len, 4);
		memcpy(p + 4, &seq, 4);
		for (uint32_t i = 8; i < len; i++)
			p[i] = stream_byte(seq, i);
		sum = stream_fold(sum, p, len);
		mmr_ring_produce(s->r, len);
	}
	s->sum = sum;
	return NULL;
}

static void *consumer(void *arg)
{
	struct side *s = arg;
	uint64_t sum = 0;

	for (uint32_t seq = 0; seq < s->n; seq++) {
		const uint8_t *p;
		uint32_t len, got;

		while (!(p = mmr_ring_peek(s->r, 8)))
			sched_yield();
		memcpy(&len, p, 4);
		memcpy(&got, p + 4, 4);
		if (got != seq || len != stream_len(seq)) {
			s->bad = 1;
			return NULL;
		}
		while (!(p = mmr_ring_peek(s->r, len)))
			sched_yield();
		for (uint32_t i = 8; i < len; i++)
			if (p[i] != stream_byte(seq, i)) {
				s->bad = 1;
				return NULL;
			}
		sum = stream_fold(sum, p, len);
		mmr_ring_consume(s->r, len);
	}
	s->sum = sum;
	return NULL;
}

/* Two threads, 10^7 records (10^6 quick or sanitized), a running checksum. */
static int reserve_threads(void)
{
	struct side p = { 0 }, c = { 0 };
	pthread_t tp, tc;

	CHECK_EQ(mmr_ring_create(&p.r, 3 * 4096, 0), 0);
	c.r = p.r;
	p.n = c.n = stream_records();
	CHECK_EQ(pthread_create(&tc, NULL, consumer, &c), 0);
	CHECK_EQ(pthread_create(&tp, NULL, producer, &p), 0);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	CHECK_EQ(c.bad, 0);
	CHECK(p.sum != 0);
	CHECK(p.sum == c.sum);
	CHECK_EQ(mmr_ring_error(p.r), 0);
	mmr_ring_destroy(p.r);
	return T_PASS;
}

T_MAIN(T(reserve_basic), T(reserve_straddles), T(reserve_threads))
