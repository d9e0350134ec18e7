// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_lockhold: how long other threads of the process wait while a
 * mirror of a large resident memfd is populated.
 *
 * A probe thread has a supply of fresh anonymous mappings (separate VMAs,
 * never touched).  The first write to one of them needs an anon_vma, which
 * a fault can only set up under the mmap lock (a per-VMA-lock fault falls
 * back to it), so each touch waits for whoever holds that lock for
 * writing.  While the main thread makes a populated mirror, the probe
 * touches one fresh mapping after another and records the longest touch.
 * Reported, side by side in one run, for:
 *
 *   (b) MREMAP_MIRROR, then MADV_POPULATE_READ (which runs under the read
 *       lock): the baseline
 *   (d) MREMAP_MIRROR | MREMAP_POPULATE
 *
 * "stall" is the longest touch as a fraction of the populate's time: near 1
 * when the populate holds the lock for writing throughout, near 0 when the
 * probe's faults go on meanwhile.  Best (lowest) and worst of N rounds.
 * Absolute times under TCG are emulated: read the fractions and ratios.
 *
 * usage: mirror_lockhold [MiB [rounds]]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_flags.h"

#define PROBES 4096	/* fresh mappings per round: more than a round touches */

enum method { POPULATE_READ, MREMAP_POP, NMETHODS };

static const char *const names[NMETHODS] = {
	"(b) mirror + MADV_POPULATE_READ", "(d) MREMAP_MIRROR|MREMAP_POPULATE",
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct probe {
	pthread_t thread;
	char *pages;		/* PROBES fresh pages, every other page of 2 * PROBES */
	size_t page;
	atomic_int state;	/* 0 idle, 1 touch, 2 stop and report, 3 exit */
	atomic_int ready;	/* the report of the last round is there */
	uint64_t longest;	/* ns */
	long touches;
};

/*
 * PROBES one-page anonymous mappings that are separate VMAs (PROT_NONE
 * pages between them keep them from merging) and have no anon_vma yet.
 */
static char *fresh_pages(size_t page)
{
	char *p = mmap(NULL, 2 * PROBES * page, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (int i = 0; i < PROBES; i++)
		if (mprotect(p + 2 * i * page, page, PROT_READ | PROT_WRITE))
			return NULL;
	return p;
}

static void *probe_main(void *arg)
{
	struct probe *pr = arg;
	int s;

	for (;;) {
		int i = 0;

		while ((s = atomic_load(&pr->state)) == 0)
			;
		if (s == 3)
			return NULL;
		pr->longest = 0;
		pr->touches = 0;
		while (atomic_load(&pr->state) == 1 && i < PROBES) {
			uint64_t t = now_ns();

			*(volatile char *)(pr->pages + 2 * (size_t)i * pr->page) = 1;
			t = now_ns() - t;
			if (t > pr->longest)
				pr->longest = t;
			pr->touches++;
			i++;
		}
		while (atomic_load(&pr->state) == 1)
			;
		atomic_store(&pr->ready, 1);
		while (atomic_load(&pr->state) == 2)
			;
	}
}

static void *mirror(void *src, size_t len, int extra)
{
	return (void *)syscall(SYS_mremap, src, len, len,
			       MREMAP_MIRROR | MREMAP_MAYMOVE | extra, NULL);
}

/* One populated mirror of @src by @m while the probe touches; 0 or -1. */
static int one(struct probe *pr, char *src, size_t len, enum method m,
	       double *stall, double *ms, double *touch_ms)
{
	uint64_t t0, t1;
	void *v;

	/* The probe is idle (state 0): give it fresh mappings */
	munmap(pr->pages, 2 * PROBES * pr->page);
	pr->pages = fresh_pages(pr->page);
	if (!pr->pages)
		return -1;
	atomic_store(&pr->ready, 0);
	atomic_store(&pr->state, 1);
	t0 = now_ns();
	v = mirror(src, len, m == MREMAP_POP ? MREMAP_POPULATE : 0);
	if (v != MAP_FAILED && m == POPULATE_READ &&
	    madvise(v, len, MADV_POPULATE_READ))
		v = MAP_FAILED;
	t1 = now_ns();
	atomic_store(&pr->state, 2);
	while (!atomic_load(&pr->ready))
		;
	atomic_store(&pr->state, 0);
	if (v == MAP_FAILED)
		return -1;
	munmap(v, len);
	*ms = (double)(t1 - t0) / 1e6;
	*touch_ms = (double)pr->longest / 1e6;
	*stall = (double)pr->longest / (double)(t1 - t0);
	return 0;
}

int main(int argc, char **argv)
{
	size_t len = (argc > 1 ? strtoul(argv[1], NULL, 0) : 1024) << 20;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	double lo[NMETHODS], hi[NMETHODS], ms[NMETHODS], tmax[NMETHODS];
	struct probe pr = { .page = (size_t)sysconf(_SC_PAGESIZE) };
	int fd = memfd_create("bench-lockhold", 0);
	void *src_probe;
	char *src;

	if (fd < 0 || ftruncate(fd, (off_t)len)) {
		perror("memfd");
		return 1;
	}
	src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		   fd, 0);
	if (src == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (size_t i = 0; i < len; i += pr.page)
		src[i] = (char)(i >> 12);
	pr.pages = fresh_pages(pr.page);
	if (!pr.pages || pthread_create(&pr.thread, NULL, probe_main, &pr)) {
		perror("probe");
		return 1;
	}
	src_probe = mirror(src, pr.page, MREMAP_POPULATE);
	if (src_probe == MAP_FAILED) {
		printf("MREMAP_MIRROR|MREMAP_POPULATE not supported: skipped\n");
		return 4;
	}
	munmap(src_probe, pr.page);
	for (int m = 0; m < NMETHODS; m++) {
		lo[m] = 1e9;
		hi[m] = 0;
		ms[m] = 1e30;
		tmax[m] = 0;
	}
	/* The methods take turns in each round: the host's load hits both */
	for (int r = 0; r < rounds; r++) {
		for (int m = 0; m < NMETHODS; m++) {
			double stall, t, tm;

			if (one(&pr, src, len, m, &stall, &t, &tm)) {
				perror(names[m]);
				return 1;
			}
			lo[m] = stall < lo[m] ? stall : lo[m];
			hi[m] = stall > hi[m] ? stall : hi[m];
			ms[m] = t < ms[m] ? t : ms[m];
			tmax[m] = tm > tmax[m] ? tm : tmax[m];
		}
	}
	atomic_store(&pr.state, 3);
	pthread_join(pr.thread, NULL);

	printf("%zu MiB resident memfd, %d rounds; a probe thread's first touches of "
	       "fresh anonymous mappings\n", len >> 20, rounds);
	printf("%-36s %12s %21s %17s\n", "method", "populate ms",
	       "longest touch / it", "longest touch ms");
	for (int m = 0; m < NMETHODS; m++)
		printf("%-36s %12.1f %12.3f - %.3f %17.2f\n", names[m], ms[m], lo[m],
		       hi[m], tmax[m]);
	printf("LOCKHOLD {\"MiB\": %zu, \"rounds\": %d, "
	       "\"populate_read_ms\": %.1f, \"populate_read_stall\": [%.3f, %.3f], "
	       "\"mremap_populate_ms\": %.1f, \"mremap_populate_stall\": [%.3f, %.3f], "
	       "\"longest_touch_ms\": [%.2f, %.2f], \"speedup\": %.1f}\n",
	       len >> 20, rounds, ms[POPULATE_READ], lo[POPULATE_READ], hi[POPULATE_READ],
	       ms[MREMAP_POP], lo[MREMAP_POP], hi[MREMAP_POP], tmax[POPULATE_READ],
	       tmax[MREMAP_POP], ms[POPULATE_READ] / ms[MREMAP_POP]);
	printf("lock hold: MREMAP_POPULATE stalls other threads' faults for at most "
	       "%.2f of its time (MADV_POPULATE_READ: %.2f)\n", hi[MREMAP_POP],
	       hi[POPULATE_READ]);
	return 0;
}
