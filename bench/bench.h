/* SPDX-License-Identifier: MIT */
/* Benchmarks linked into the mmr tool: `mmr bench <name> [--json]`. Each
 * parses its options with common/cli.h and prints JSON with common/json.h. */
#ifndef MMR_BENCH_H
#define MMR_BENCH_H

#include <stdint.h>
#include <time.h>

#include "cli.h"
#include "json.h"

int mmr_bench_setup(int argc, char **argv);
int mmr_bench_populate(int argc, char **argv);
int mmr_bench_ring(int argc, char **argv);
int mmr_bench_heap(int argc, char **argv);
int mmr_bench_circbuf(int argc, char **argv);

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* qsort() order of doubles, for medians. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ns per call of @fn over @iters calls (one round), or -1 if one fails. */
static inline double bench_round_ns(int (*fn)(void), int iters)
{
	uint64_t t0 = bench_now_ns();

	for (int i = 0; i < iters; i++)
		if (fn())
			return -1;
	return (double)(bench_now_ns() - t0) / iters;
}

#endif
