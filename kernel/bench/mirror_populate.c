// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_populate: what it costs to get a mirror whose page tables are
 * filled, on a fully resident shmem (memfd) region and a hugetlb region.
 *
 *   (a) MREMAP_MIRROR only (page tables empty: every first access faults)
 *   (b) MREMAP_MIRROR + MADV_POPULATE_READ
 *   (c) MREMAP_MIRROR + touching every page
 *   (d) MREMAP_MIRROR | MREMAP_POPULATE
 *
 * ns per 4 KiB of mirror for each, best of N rounds, and the ratios, all in
 * one run. Meant for the test VM (kernel/kernel.mk: make kernel-bench),
 * where absolute times are emulated: only the ratios mean anything.
 *
 * usage: mirror_populate [shmem_MiB [hugetlb_MiB [rounds]]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_MIRROR
#define MREMAP_MIRROR 8
#endif
#ifndef MREMAP_POPULATE
#define MREMAP_POPULATE 16
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 4
#endif

enum method { MIRROR_ONLY, POPULATE_READ, TOUCH, MREMAP_POP, NMETHODS };

static const char *const names[NMETHODS] = {
	"(a) mirror only", "(b) mirror + MADV_POPULATE_READ",
	"(c) mirror + touch every page", "(d) MREMAP_MIRROR|MREMAP_POPULATE",
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *mirror(void *src, size_t len, int extra)
{
	return (void *)syscall(SYS_mremap, src, len, len,
			       MREMAP_MIRROR | MREMAP_MAYMOVE | extra, NULL);
}

/* ns per 4 KiB for one mirror made with @m; -1 on error. */
static double one(char *src, size_t len, size_t step, enum method m)
{
	uint64_t t0 = now_ns(), t1;
	volatile char *v;
	int ret = 0;

	v = mirror(src, len, m == MREMAP_POP ? MREMAP_POPULATE : 0);
	if (v == MAP_FAILED) {
		fprintf(stderr, "%s: mremap: %s\n", names[m], strerror(errno));
		return -1;
	}
	if (m == POPULATE_READ)
		ret = madvise((void *)v, len, MADV_POPULATE_READ);
	else if (m == TOUCH)
		for (size_t off = 0; off < len; off += step)
			(void)v[off];
	t1 = now_ns();
	/* Every method must leave a mirror that reads the source's bytes. */
	if (!ret && (v[0] != src[0] || v[len - 1] != src[len - 1]))
		ret = -1, errno = EIO;
	munmap((void *)v, len);
	if (ret) {
		fprintf(stderr, "%s: %s\n", names[m], strerror(errno));
		return -1;
	}
	return (double)(t1 - t0) / (double)(len / 4096);
}

static int run(const char *what, char *src, size_t len, size_t step, int rounds)
{
	double best[NMETHODS];

	for (int m = 0; m < NMETHODS; m++) {
		best[m] = -1;
		for (int i = 0; i < rounds; i++) {
			double t = one(src, len, step, (enum method)m);

			if (t < 0)
				return -1;
			if (best[m] < 0 || t < best[m])
				best[m] = t;
		}
	}
	printf("\n%s, %zu MiB resident, best of %d:\n", what, len >> 20, rounds);
	printf("  %-36s %14s %12s\n", "method", "ns/4KiB", "vs (b)");
	for (int m = 0; m < NMETHODS; m++)
		printf("  %-36s %14.2f %11.2fx\n", names[m], best[m],
		       best[POPULATE_READ] / best[m]);
	printf("BENCH %s populate_read=%.2f touch=%.2f mremap_populate=%.2f speedup=%.2f\n",
	       what, best[POPULATE_READ], best[TOUCH], best[MREMAP_POP],
	       best[POPULATE_READ] / best[MREMAP_POP]);
	return (int)(100 * best[POPULATE_READ] / best[MREMAP_POP]);
}

static char *resident(int fd, size_t len)
{
	char *p;

	if (ftruncate(fd, (off_t)len))
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)(i >> 12);
	return p;
}

int main(int argc, char **argv)
{
	size_t shmem = (argc > 1 ? strtoul(argv[1], NULL, 0) : 1024) << 20;
	size_t huge = (argc > 2 ? strtoul(argv[2], NULL, 0) : 256) << 20;
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	int fd, s1, s2 = -1;
	char *p;

	{
		/* clock_getres() reports the tick without high-res timers. */
		uint64_t a = now_ns(), b;

		while ((b = now_ns()) == a)
			;
		printf("clock step %llu ns\n", (unsigned long long)(b - a));
		if (b - a > 100000)
			printf("warning: a coarse clock: small timings are meaningless\n");
	}
	fd = memfd_create("bench-shmem", 0);
	p = fd < 0 ? NULL : resident(fd, shmem);
	if (!p) {
		perror("shmem region");
		return 1;
	}
	s1 = run("shmem", p, shmem, 4096, rounds);
	munmap(p, shmem);
	close(fd);
	if (huge) {
		fd = memfd_create("bench-hugetlb", MFD_HUGETLB);
		p = fd < 0 ? NULL : resident(fd, huge);
		if (!p)
			printf("\nhugetlb: skipped: %s (reserve pages in nr_hugepages)\n",
			       strerror(errno));
		else
			s2 = run("hugetlb", p, huge, 2u << 20, rounds);
		if (p)
			munmap(p, huge);
		if (fd >= 0)
			close(fd);
	}
	if (s1 < 0)
		return 1;
	printf("\npopulate speedup vs MADV_POPULATE_READ: %d.%dx\n", s1 / 100, (s1 % 100) / 10);
	(void)s2;
	return 0;
}
