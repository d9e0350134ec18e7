// SPDX-License-Identifier: MIT
/* Sleeping on the ring: timeouts, wake-ups by the other side, bad minima. */
#include <pthread.h>
#include <time.h>

#include "helpers.h"
#include "syscall.h"

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

/*
 * Strict alternation over a ring: the producer waits for the ring to be
 * empty before each byte, the consumer waits for each byte, so both sleep
 * on nearly every step and every wake-up is needed: one lost wake-up
 * stalls the pair until a 5 s wait fails the test. This is what checks
 * the publication protocol (src/ring.c: light wakers, membarrier sleepers).
 */
struct pingpong {
	mmr_ring *r;
	int n;
	int bad;	/* the consumer's first failure, as a line number */
};

static void *pong(void *arg)
{
	struct pingpong *pp = arg;
	size_t avail;

	for (int i = 0; i < pp->n; i++) {
		const unsigned char *p;

		if (mmr_ring_wait_readable(pp->r, 1, 5000)) {
			pp->bad = __LINE__;
			break;
		}
		p = mmr_ring_read_ptr(pp->r, &avail);
		if (avail != 1 || *p != (unsigned char)i) {
			pp->bad = __LINE__;
			break;
		}
		mmr_ring_consume(pp->r, 1);
	}
	return NULL;
}

static int pingpong(int n)
{
	struct pingpong pp = { .n = n };
	pthread_t t;
	size_t cap, avail;
	int i;

	CHECK_EQ(mmr_ring_create(&pp.r, 1, 0), 0);
	cap = mmr_ring_capacity(pp.r);
	CHECK_EQ(pthread_create(&t, NULL, pong, &pp), 0);
	for (i = 0; i < n; i++) {
		unsigned char *p;

		if (mmr_ring_wait_writable(pp.r, cap, 5000))
			break;
		p = mmr_ring_write_ptr(pp.r, &avail);
		*p = (unsigned char)i;
		mmr_ring_produce(pp.r, 1);
	}
	pthread_join(t, NULL);
	CHECK_EQ(pp.bad, 0);
	CHECK_EQ(i, n);
	CHECK_EQ(mmr_ring_error(pp.r), 0);
	mmr_ring_destroy(pp.r);
	return T_PASS;
}

static int wait_pingpong(void)
{
	return pingpong(t_under_valgrind() ? 2000 : 20000);
}

/* Sleepers whose membarrier fails (seccomp, say) sleep in 5 ms slices:
 * slower when a wake-up is lost, never stuck. */
static int wait_pingpong_no_barrier(void)
{
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);	/* registers, if it can */
	mmr_ring_destroy(r);
	mmri_fault_inject(MMRI_SYS_MEMBARRIER, EPERM, 0, 0);
	return pingpong(500);
}

/* A process that cannot register publishes with full fences. */
static int wait_pingpong_heavy(void)
{
	mmri_fault_inject(MMRI_SYS_MEMBARRIER, EPERM, 0, 0);
	return pingpong(500);
}

T_MAIN(T(wait_timeouts), T(wait_woken_readable), T(wait_woken_writable),
       T(wait_pingpong), T(wait_pingpong_no_barrier), T(wait_pingpong_heavy))
