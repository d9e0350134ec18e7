/* SPDX-License-Identifier: MIT */
/*
 * The clock and checksum of the two-process benchmarks (bench/ring.c's
 * --waits and --procs sections, and the ZeroMQ peer): one copy, so that
 * every method pays exactly the same work per byte.
 */
#ifndef MMR_BENCH_WAIT_SUM_H
#define MMR_BENCH_WAIT_SUM_H

#include <stdint.h>
#include <string.h>
#include <time.h>

static inline uint64_t wait_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/*
 * Every byte of a record into the running sum: four independent lanes that
 * the compiler vectorises (a serial multiply-add chain ran at ~1.3 GB/s
 * here and capped every method alike), then mixed so that order counts.
 */
static inline uint64_t wait_sum(uint64_t sum, const unsigned char *p, size_t n)
{
	uint64_t lane[4] = { 0, 0, 0, 0 };

	for (size_t i = 0; i + 32 <= n; i += 32)
		for (int k = 0; k < 4; k++) {
			uint64_t w;

			memcpy(&w, p + i + 8 * k, 8);
			lane[k] += w;
		}
	for (size_t i = n / 32 * 32; i < n; i++)
		lane[0] += p[i];
	return sum * 31 + (lane[0] ^ (lane[1] << 1) ^ (lane[2] << 2) ^ (lane[3] << 3));
}

#endif
