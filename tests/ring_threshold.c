// SPDX-License-Identifier: MIT
/*
 * A waiter's threshold lives in the shared header: a publisher wakes it
 * only once the bytes it waits for are there, not on every record.
 * The case: 4 KiB records, the producer waiting for half a 1 MiB
 * ring to be free, the consumer taking records as they come, made 12779
 * futex and 6478 membarrier calls where ~50 were needed.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>

#include "helpers.h"
#include "syscall.h"

#define REC	4096
#define HALF	(512 * 1024)
#define TOTAL	(64ull << 20)

static void *producer(void *arg)
{
	mmr_ring *r = arg;

	for (uint64_t done = 0; done < TOTAL; done += REC) {
		size_t avail;
		char *w = mmr_ring_write_ptr(r, &avail);

		if (avail < REC) {
			if (mmr_ring_wait_writable(r, HALF, 10000))
				return (void *)1;
			w = mmr_ring_write_ptr(r, &avail);
		}
		memset(w, (int)(done / REC), 64);
		mmr_ring_produce(r, REC);
	}
	return NULL;
}

static int threshold_half_ring(void)
{
	unsigned long futex0, mb0, futex, mb;
	uint64_t done = 0;
	pthread_t t;
	void *ret;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1 << 20, 0), 0);
	CHECK_EQ(mmr_ring_capacity(r), 1 << 20);
	futex0 = mmri_sys_calls(MMRI_SYS_FUTEX);
	mb0 = mmri_sys_calls(MMRI_SYS_MEMBARRIER);
	CHECK_EQ(pthread_create(&t, NULL, producer, r), 0);
	while (done < TOTAL) {
		size_t avail;
		const char *p = mmr_ring_read_ptr(r, &avail);

		/* The consumer never sleeps: every call counted is the
		 * producer's. */
		while (avail < REC) {
			sched_yield();
			p = mmr_ring_read_ptr(r, &avail);
		}
		CHECK(p[0] == (char)(done / REC));
		mmr_ring_consume(r, REC);
		done += REC;
	}
	CHECK_EQ(pthread_join(t, &ret), 0);
	CHECK(ret == NULL);
	futex = mmri_sys_calls(MMRI_SYS_FUTEX) - futex0;
	mb = mmri_sys_calls(MMRI_SYS_MEMBARRIER) - mb0;
	printf("# %llu MiB in %d-byte records, waits for %d KiB: %lu futex, "
	       "%lu membarrier calls\n", TOTAL >> 20, REC, HALF >> 10, futex, mb);
	/* At most one sleep (futex wait, membarrier) and one wake per half
	 * ring, with slack for sleeps that find the futex word moved. */
	CHECK(futex <= 2 * (TOTAL / HALF) + 32);
	CHECK(mb <= (TOTAL / HALF) + 16);
	mmr_ring_destroy(r);
	return T_PASS;
}

T_MAIN(T(threshold_half_ring))
