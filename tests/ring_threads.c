// SPDX-License-Identifier: MIT
/* Producer and consumer threads move 10^7 records through a small ring,
 * with either pair of calls. */
#include <pthread.h>
#include <stdint.h>

#include "helpers.h"
#include "ring_stream.h"

struct side {
	mmr_ring *r;
	unsigned long n;
	int reserve;	/* mmr_ring_reserve/peek instead of write_ptr/read_ptr */
	uint64_t sum;
	int bad;
};

static void *producer(void *arg)
{
	struct side *s = arg;

	s->sum = s->reserve ? stream_produce_reserve(s->r, s->n) :
		stream_produce(s->r, s->n);
	return NULL;
}

static void *consumer(void *arg)
{
	struct side *s = arg;

	s->bad = s->reserve ? stream_consume_peek(s->r, s->n, &s->sum) :
		stream_consume(s->r, s->n, &s->sum);
	return NULL;
}

static int run(size_t size, unsigned flags, int reserve)
{
	struct side p = { 0 }, c = { 0 };
	pthread_t tp, tc;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, size, flags), 0);
	p.r = c.r = r;
	p.n = c.n = stream_records();
	p.reserve = c.reserve = reserve;
	CHECK_EQ(pthread_create(&tc, NULL, consumer, &c), 0);
	CHECK_EQ(pthread_create(&tp, NULL, producer, &p), 0);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	CHECK_EQ(c.bad, 0);
	CHECK(p.sum != 0);
	CHECK(p.sum == c.sum);
	CHECK_EQ(mmr_ring_error(r), 0);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* One page: the ring wraps every hundred records or so. */
static int threads_small(void)
{
	return run(4096, 0, 0);
}

/* Three pages: not a power of two (the modulo path). */
static int threads_odd_size(void)
{
	return run(3 * 4096, 0, 0);
}

/* Records of a known size: reserve and peek, three pages. */
static int threads_reserve(void)
{
	return run(3 * 4096, 0, 1);
}

T_MAIN(T(threads_small), T(threads_odd_size), T(threads_reserve))
