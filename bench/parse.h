/* SPDX-License-Identifier: MIT */
/*
 * The consumer's parsing in every ring benchmark (bench/ring.c and the
 * peers under bench/peers/, C and C++): read every word of the record. One
 * copy of the code for every method, out of line and aligned: inlined, its
 * loop lands at a different alignment at each call site, and that alone
 * moved one-thread results by 1.5x.
 */
#ifndef MMR_BENCH_PARSE_H
#define MMR_BENCH_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

__attribute__((noinline, aligned(64), unused)) static uint64_t
bench_parse(const unsigned char *p, size_t n)
{
	uint64_t x = 0, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		x ^= w;
	}
	for (; i < n; i++)
		x ^= p[i];
	return x;
}

#endif
