// SPDX-License-Identifier: MIT
/* Sleeping on the ring: timeouts, wake-ups by the other side, bad minima. */
#include <pthread.h>
#include <time.h>

#include "helpers.h"

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int wait_timeouts(void)
{
	struct timespec t0;
	size_t avail;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 0), -ETIMEDOUT);
	CHECK_EQ(mmr_ring_wait_writable(r, mmr_ring_capacity(r), 0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 50), -ETIMEDOUT);
	CHECK(ms_since(&t0) >= 49);
	CHECK(strstr(mmr_last_error(), "after 50 ms"));
	CHECK_EQ(mmr_ring_wait_readable(r, mmr_ring_capacity(r) + 1, -1), -EINVAL);
	mmr_ring_write_ptr(r, &avail);
	mmr_ring_produce(r, 10);
	CHECK_EQ(mmr_ring_wait_readable(r, 10, -1), 0);
	CHECK_EQ(mmr_ring_wait_readable(r, 11, 0), -ETIMEDOUT);
	CHECK_EQ(mmr_ring_wait_writable(r, mmr_ring_capacity(r), 20), -ETIMEDOUT);
	mmr_ring_destroy(r);
	return T_PASS;
}

struct later {
	mmr_ring *r;
	int produce;	/* else consume */
	size_t n;
};

static void *act_later(void *arg)
{
	struct later *l = arg;
	struct timespec d = { 0, 30 * 1000000 };
	size_t avail;

	nanosleep(&d, NULL);
	if (l->produce) {
		/* In two steps: the sleeper wants both. */
		mmr_ring_write_ptr(l->r, &avail);
		mmr_ring_produce(l->r, l->n / 2);
		nanosleep(&d, NULL);
		mmr_ring_produce(l->r, l->n - l->n / 2);
	} else {
		mmr_ring_read_ptr(l->r, &avail);
		mmr_ring_consume(l->r, l->n);
	}
	return NULL;
}

static int wait_woken_readable(void)
{
	struct later l = { 0 };
	struct timespec t0;
	pthread_t t;
	size_t avail;

	CHECK_EQ(mmr_ring_create(&l.r, 1, 0), 0);
	l.produce = 1;
	l.n = 100;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(pthread_create(&t, NULL, act_later, &l), 0);
	CHECK_EQ(mmr_ring_wait_readable(l.r, 100, 5000), 0);
	CHECK(ms_since(&t0) < 4000);
	mmr_ring_read_ptr(l.r, &avail);
	CHECK_EQ(avail, 100);
	pthread_join(t, NULL);
	mmr_ring_destroy(l.r);
	return T_PASS;
}

static int wait_woken_writable(void)
{
	struct later l = { 0 };
	pthread_t t;
	size_t avail, cap;

	CHECK_EQ(mmr_ring_create(&l.r, 1, 0), 0);
	cap = mmr_ring_capacity(l.r);
	mmr_ring_write_ptr(l.r, &avail);
	mmr_ring_produce(l.r, cap);
	l.n = 64;
	CHECK_EQ(pthread_create(&t, NULL, act_later, &l), 0);
	CHECK_EQ(mmr_ring_wait_writable(l.r, 64, -1), 0);
	mmr_ring_write_ptr(l.r, &avail);
	CHECK_EQ(avail, 64);
	pthread_join(t, NULL);
	mmr_ring_destroy(l.r);
	return T_PASS;
}

T_MAIN(T(wait_timeouts), T(wait_woken_readable), T(wait_woken_writable))
