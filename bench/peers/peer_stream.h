/* SPDX-License-Identifier: MIT */
/*
 * What the same-process peers of `mmr bench ring` (ck_ring.c, dpdk_ring.c)
 * share with bench/ring.c: the record (byte i is i * 7 + 3), the consumer's
 * parse (every word, out of line and 64-byte aligned, as there), the CPUs
 * (producer on 0, consumer on 1), and the output.
 *
 * usage: bench-<peer> CAPACITY ROUNDS REC:COUNT...
 * prints one JSON line per record size: {"rec": n, "gbps": g, "sum": s},
 * g the median of ROUNDS, s the consumer's checksum (the sum over records
 * of parse(record)), which `mmr bench ring` compares with its own.
 */
#ifndef MMR_BENCH_PEER_STREAM_H
#define MMR_BENCH_PEER_STREAM_H

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../parse.h"

static inline void peer_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	sched_yield();
#endif
}

static inline uint64_t peer_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline void peer_pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* One run of a peer: @n records of @rec bytes through a ring of @cap
 * bytes; ns, 0 on failure; *sum: the consumer's checksum. */
typedef uint64_t (*peer_stream_fn)(size_t cap, size_t rec, unsigned long n, uint64_t *sum);

static int cmp_ns(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline int peer_main(int argc, char **argv, peer_stream_fn stream)
{
	size_t cap;
	int rounds;

	if (argc < 3 || sscanf(argv[1], "%zu", &cap) != 1 ||
	    (rounds = atoi(argv[2])) < 1 || rounds > 64) {
		fprintf(stderr, "usage: %s CAPACITY ROUNDS REC:COUNT...\n", argv[0]);
		return 2;
	}
	for (int a = 3; a < argc; a++) {
		uint64_t ns[64], sum = 0;
		unsigned long n;
		size_t rec;

		if (sscanf(argv[a], "%zu:%lu", &rec, &n) != 2 || !rec || !n) {
			fprintf(stderr, "%s: bad REC:COUNT '%s'\n", argv[0], argv[a]);
			return 2;
		}
		for (int r = 0; r < rounds; r++)
			if (!(ns[r] = stream(cap, rec, n, &sum))) {
				fprintf(stderr, "%s: %zu-byte records failed\n", argv[0], rec);
				return 1;
			}
		qsort(ns, (size_t)rounds, sizeof(ns[0]), cmp_ns);
		printf("{\"rec\": %zu, \"gbps\": %.3f, \"sum\": %llu}\n", rec,
		       (double)rec * (double)n / (double)ns[rounds / 2],
		       (unsigned long long)sum);
		fflush(stdout);
	}
	return 0;
}

/* The producer's record, as bench/ring.c fills it. */
static inline unsigned char *peer_record(size_t rec)
{
	unsigned char *src = aligned_alloc(64, (rec + 63) / 64 * 64);

	if (src)
		for (size_t i = 0; i < rec; i++)
			src[i] = (unsigned char)(i * 7 + 3);
	return src;
}

#endif
