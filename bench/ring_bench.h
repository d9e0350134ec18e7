/* SPDX-License-Identifier: MIT */
/* What the files of mmr bench ring share: ring.c (two threads, one thread,
 * creation, output), ring_waits.c, ring_batch.c, ring_procs.c. */
#ifndef MMR_RING_BENCH_H
#define MMR_RING_BENCH_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memmirror.h"
#include "bench.h"
#include "ring_copy.h"
#include "parse.h"
#include "wait_sum.h"

#define MAX_ROUNDS 15
#define STREAM_CAP (256u << 10)
#define CREATE_SIZE (1u << 20)
#define HANDOFF_BLOCKS 4

enum impl { I_MMR, I_COW, I_LIMIT, I_COUNT };
static const char *const impl_name[2][I_COUNT] = {
	{ "mmr", "cow", "handoff" },	/* two threads */
	{ "mmr", "cow", "memcpy" },	/* one thread */
};

struct job {
	enum impl impl;
	int solo;		/* one thread produces and consumes */
	int fields;		/* the consumer reads two fields, not every word */
	size_t rec, cap;
	unsigned long n;
	mmr_ring *ring;
	struct cow_ring *cow;
	unsigned char *data;	/* the ring's first data copy */
	unsigned char *src, *scratch;
	_Atomic uint32_t *full;	/* handoff flags, one per 128 bytes */
	atomic_int go;
	uint64_t sum;
	unsigned long straddled;
	/* The ring's two ends, inline, each on lines of its own: the inline
	 * calls write .seen, and the other thread reads the fields above on
	 * every record (as cow_ring keeps its seen_* apart). */
	_Alignas(128) struct mmr_ring_fast fp;
	_Alignas(128) struct mmr_ring_fast fc;
	_Alignas(128) char end;
};

/* Spin politely (the pause instruction where there is one). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	sched_yield();
#endif
}

/* The median of @n values (sorts @v); the median of the ratios a[i]/b[i]. */
uint64_t ring_median(uint64_t *v, int n);
double ring_median_ratio(const uint64_t *a, const uint64_t *b, int n);

/* @prog (a peer program of make bench-peers) beside this mmr, in @path;
 * whether it is there. */
int ring_peer_find(const char *prog, char *path, size_t size);

int ring_bench_waits(int rounds, int quick, int json);
int ring_bench_batch(int rounds, int quick, int json);
int ring_bench_procs(int rounds, int quick, int json);

#endif
