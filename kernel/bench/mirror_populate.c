// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_populate: what it costs to get a mirror whose page tables are
 * filled, on fully resident regions: a memfd of 4 KiB pages, a memfd of
 * PMD-mapped shmem THPs, and a hugetlb memfd of 2 MiB pages.
 *
 *   (a) MREMAP_MIRROR only (page tables empty: every first access faults)
 *   (b) MREMAP_MIRROR + MADV_POPULATE_READ
 *   (c) MREMAP_MIRROR + touching every page
 *   (d) MREMAP_MIRROR | MREMAP_POPULATE
 *
 * ns per 4 KiB of mirror for each, best of N rounds, and the ratios, all in
 * one run. Meant for the test VM (kernel/kernel.mk: make kernel-bench),
 * where absolute times are emulated: only the ratios mean anything.  Each
 * timed call follows an untimed one-page mirror (warm_up()), so that none
 * is charged for refilling TCG's software TLB after the previous munmap().
 *
 * The THP row sets /sys/kernel/mm/transparent_hugepage/shmem_enabled to
 * "advise" (when it is "never") for its MADV_HUGEPAGE memfd, restores it
 * after, and places every mirror at a 2 MiB-aligned address, where a fault
 * (and MREMAP_POPULATE) can map a THP with one PMD entry; its BENCH line
 * gives how much of the MREMAP_POPULATE mirror is PMD-mapped (smaps).
 *
 * On a kernel with the populate experiment (kernel/bench/experiments/,
 * make kernel-bench-variants), which has the switch VARIANT_KNOB, the
 * shmem rows add MREMAP_MIRROR | MREMAP_POPULATE done other ways:
 *
 *   (e) the mirror filled from the page cache through ->map_pages()
 *       instead of from the source's entries
 *   (f) the copier calling vm_normal_page() (as vm_normal_folio() does)
 *   (g) the copier of v3 of the series (its loop inlined into mremap(),
 *       small and large folios in one loop)
 *
 * so that they are measured side by side with (d).
 *
 * usage: mirror_populate [shmem_MiB [thp_MiB [hugetlb_MiB [rounds]]]]
 */
#define _GNU_SOURCE
#include <errno.h>
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

#define HPAGE (2ul << 20)
#define SHMEM_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define VARIANT_KNOB "/sys/module/mremap/parameters/mirror_populate_variant"
#define VARIANTS_KNOB "/sys/module/mremap/parameters/mirror_populate_variants"

enum method { MIRROR_ONLY, POPULATE_READ, TOUCH, MREMAP_POP, VARIANT1,
	      VARIANT2, VARIANT3, NMETHODS };

static const char *const names[NMETHODS] = {
	"(a) mirror only", "(b) mirror + MADV_POPULATE_READ",
	"(c) mirror + touch every page", "(d) MREMAP_MIRROR|MREMAP_POPULATE",
	"(e) (d) by ->map_pages", "(f) (d) with vm_normal_page()",
	"(g) (d) as in v3 (inlined)",
};

/* The experiment's variants this run measures: 0 on a kernel without */
static int variant_rows;

/* Select the experiment's variant @v (0: the series; a no-op without it) */
static int variant_set(int v)
{
	FILE *f = fopen(VARIANT_KNOB, "w");
	int ret;

	if (!f)
		return errno == ENOENT ? 0 : -1;
	ret = fprintf(f, "%d\n", v) < 0;
	return fclose(f) || ret ? -1 : 0;
}

static int variants_available(void)
{
	FILE *f = fopen(VARIANTS_KNOB, "r");
	int n = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &n) != 1)
		n = 0;
	fclose(f);
	n--;	/* variant 0 is (d) */
	if (n > NMETHODS - VARIANT1)
		n = NMETHODS - VARIANT1;
	return n > 0 ? n : 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The clock: the TSC, scaled by its rate against CLOCK_MONOTONIC.  Under
 * TCG a clock_gettime() can cost tens of microseconds, and the kernel's
 * clocksource may be 4 ms jiffies; rdtsc is cheap there and fine-grained.
 * The rate only scales the absolute times, never the ratios.
 */
static double ns_per_tick = 1.0;

static uint64_t now_ns(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return (uint64_t)((double)__builtin_ia32_rdtsc() * ns_per_tick);
#else
	return mono_ns();
#endif
}

static void clock_setup(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint64_t m0 = mono_ns(), t0 = __builtin_ia32_rdtsc(), m1, t1;

	do
		m1 = mono_ns();
	while (m1 - m0 < 200000000ull);
	t1 = __builtin_ia32_rdtsc();
	ns_per_tick = (double)(m1 - m0) / (double)(t1 - t0);
	printf("clock: TSC, %.1f MHz against CLOCK_MONOTONIC\n", 1000.0 / ns_per_tick);
#else
	uint64_t a = mono_ns(), b;

	/* clock_getres() reports the tick without high-res timers. */
	while ((b = mono_ns()) == a)
		;
	printf("clock step %llu ns\n", (unsigned long long)(b - a));
	if (b - a > 100000)
		printf("warning: a coarse clock: small timings are meaningless\n");
#endif
}

/* A PROT_NONE reservation at a 2 MiB-aligned address, for MREMAP_FIXED. */
static void *aligned_area(size_t len)
{
	char *p = mmap(NULL, len + HPAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (void *)(((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1));
}

/* A mirror of @src; at @dst (MREMAP_FIXED) when given. */
static void *mirror(void *src, size_t len, int extra, void *dst);

/*
 * An untimed mirror of the first @page of @src, made and unmapped: it
 * refills TCG's software TLB, which the previous method's munmap() of a
 * large mirror flushed, so that no method is charged for the emulation of
 * those refills (100 to 200 us per call, the (a) column of a 1 GiB
 * mirror, where a real CPU refills its TLB in hardware).
 */
static void warm_up(char *src, size_t page)
{
	void *v = mirror(src, page, 0, NULL);

	if (v != MAP_FAILED)
		munmap(v, page);
}


static void *mirror(void *src, size_t len, int extra, void *dst)
{
	return (void *)syscall(SYS_mremap, src, len, len,
			       MREMAP_MIRROR | MREMAP_MAYMOVE | extra |
			       (dst ? MREMAP_FIXED : 0), dst);
}

/* A field of /proc/self/smaps for the mapping that starts at @addr, in kB. */
static long smaps_kb(void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end;
	bool in = false;
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start == (uintptr_t)addr;
			continue;
		}
		if (in && !strncmp(line, field, strlen(field))) {
			kb = atol(line + strlen(field));
			break;
		}
	}
	fclose(f);
	return kb;
}

/*
 * ns per 4 KiB for one mirror made with @m, at a 2 MiB-aligned address when
 * @aligned; -1 on error.  *@pmd_kb: how much of it is PMD-mapped after.
 */
static double one(char *src, size_t len, size_t step, enum method m,
		  bool aligned, long *pmd_kb)
{
	void *dst = aligned ? aligned_area(len) : NULL;
	uint64_t t0, t1;
	volatile char *v;
	int ret = 0;

	if (aligned && !dst) {
		perror("aligned_area");
		return -1;
	}
	if (variant_set(m >= VARIANT1 ? m - VARIANT1 + 1 : 0)) {
		perror(VARIANT_KNOB);
		return -1;
	}
	warm_up(src, step);
	t0 = now_ns();
	v = mirror(src, len,
		   m >= MREMAP_POP ? MREMAP_POPULATE : 0,
		   dst);
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
	*pmd_kb = aligned ? smaps_kb((void *)v, "ShmemPmdMapped:") : -1;
	munmap((void *)v, len);
	if (ret) {
		fprintf(stderr, "%s: %s\n", names[m], strerror(errno));
		return -1;
	}
	return (double)(t1 - t0) / (double)(len / 4096);
}

static int run(const char *what, char *src, size_t len, size_t step, int rounds,
	       bool aligned)
{
	double best[NMETHODS];
	long pmd_kb[NMETHODS];

	for (int m = 0; m < NMETHODS; m++)
		best[m] = -1;
	/*
	 * The methods take turns within each round: a host whose load drifts
	 * during the run (TCG runs on it in real time) weighs on all of them.
	 */
	for (int i = 0; i < rounds; i++) {
		for (int m = 0; m < NMETHODS; m++) {
			double t;

			if (m >= VARIANT1 + variant_rows)
				continue;
			t = one(src, len, step, (enum method)m, aligned,
				&pmd_kb[m]);
			if (t < 0)
				return -1;
			if (best[m] < 0 || t < best[m])
				best[m] = t;
		}
	}
	printf("\n%s, %zu MiB resident, best of %d:\n", what, len >> 20, rounds);
	printf("  %-36s %14s %12s\n", "method", "ns/4KiB", "vs (b)");
	for (int m = 0; m < NMETHODS; m++)
		if (best[m] >= 0)
			printf("  %-36s %14.2f %11.2fx\n", names[m], best[m],
			       best[POPULATE_READ] / best[m]);
	printf("BENCH %s populate_read=%.2f touch=%.2f mremap_populate=%.2f speedup=%.2f",
	       what, best[POPULATE_READ], best[TOUCH], best[MREMAP_POP],
	       best[POPULATE_READ] / best[MREMAP_POP]);
	if (aligned)
		printf(" pmd_mapped_kB=%ld/%zu (populate_read %ld)", pmd_kb[MREMAP_POP],
		       len >> 10, pmd_kb[POPULATE_READ]);
	for (int m = VARIANT1; m < NMETHODS; m++) {
		if (best[m] < 0)
			continue;
		printf(" variant%d=%.2f variant%d_speedup=%.2f variant%d_vs_d=%.2f",
		       m - VARIANT1 + 1, best[m], m - VARIANT1 + 1,
		       best[POPULATE_READ] / best[m], m - VARIANT1 + 1,
		       best[m] / best[MREMAP_POP]);
		if (aligned)
			printf(" variant%d_pmd_mapped_kB=%ld", m - VARIANT1 + 1,
			       pmd_kb[m]);
	}
	printf("\n");
	return (int)(100 * best[POPULATE_READ] / best[MREMAP_POP]);
}

/* @len of @fd mapped and written; THPs (at an aligned address) when @thp. */
static char *resident(int fd, size_t len, bool thp)
{
	char *p = thp ? aligned_area(len) : NULL;

	if (ftruncate(fd, (off_t)len) || (thp && !p))
		return NULL;
	p = mmap(p, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (thp ? MAP_FIXED : MAP_POPULATE), fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (thp && madvise(p, len, MADV_HUGEPAGE))
		return NULL;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)(i >> 12);
	return p;
}

/*
 * shmem THPs for MADV_HUGEPAGE memfds: "advise" unless THPs are on already.
 * Returns the setting to restore, or "" when there is nothing to restore.
 */
static const char *shmem_thp_on(void)
{
	static char saved[32];
	char buf[128], *l, *r;
	FILE *f = fopen(SHMEM_ENABLED, "r");

	if (!f)
		return NULL;
	l = fgets(buf, sizeof(buf), f) ? strchr(buf, '[') : NULL;
	fclose(f);
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		return NULL;
	*r = '\0';
	if (!strcmp(l + 1, "always") || !strcmp(l + 1, "advise") ||
	    !strcmp(l + 1, "force"))
		return "";
	snprintf(saved, sizeof(saved), "%s", l + 1);
	f = fopen(SHMEM_ENABLED, "w");
	if (!f || fputs("advise\n", f) < 0 || fclose(f))
		return NULL;
	return saved;
}

static void shmem_thp_restore(const char *saved)
{
	FILE *f = saved && saved[0] ? fopen(SHMEM_ENABLED, "w") : NULL;

	if (f) {
		fprintf(f, "%s\n", saved);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	size_t shmem = (argc > 1 ? strtoul(argv[1], NULL, 0) : 1024) << 20;
	size_t thp = (argc > 2 ? strtoul(argv[2], NULL, 0) : 512) << 20;
	size_t huge = (argc > 3 ? strtoul(argv[3], NULL, 0) : 512) << 20;
	int rounds = argc > 4 ? atoi(argv[4]) : 3;
	int fd, s1, s2 = -1, s3 = -1;
	const char *saved;
	char *p;

	clock_setup();
	variant_rows = variants_available();
	if (variant_rows)
		printf("kernel with the populate experiment: %d variants of (d) measured\n",
		       variant_rows);
	fd = memfd_create("bench-shmem", 0);
	p = fd < 0 ? NULL : resident(fd, shmem, false);
	if (!p) {
		perror("shmem region");
		return 1;
	}
	s1 = run("shmem", p, shmem, 4096, rounds, false);
	munmap(p, shmem);
	close(fd);
	if (thp) {
		saved = shmem_thp_on();
		fd = saved ? memfd_create("bench-thp", 0) : -1;
		p = fd < 0 ? NULL : resident(fd, thp, true);
		if (!p)
			printf("\nshmem_thp: skipped: %s (%s)\n", strerror(errno),
			       SHMEM_ENABLED);
		else if (smaps_kb(p, "ShmemPmdMapped:") != (long)(thp >> 10))
			printf("\nshmem_thp: skipped: only %ld kB of %zu PMD-mapped\n",
			       smaps_kb(p, "ShmemPmdMapped:"), thp >> 10);
		else
			s2 = run("shmem_thp", p, thp, HPAGE, rounds, true);
		if (p)
			munmap(p, thp);
		if (fd >= 0)
			close(fd);
		shmem_thp_restore(saved);
	}
	if (huge) {
		fd = memfd_create("bench-hugetlb", MFD_HUGETLB);
		p = fd < 0 ? NULL : resident(fd, huge, false);
		/* The experiment's variants do not touch hugetlb mirrors */
		variant_rows = 0;
		if (!p)
			printf("\nhugetlb: skipped: %s (reserve pages in nr_hugepages)\n",
			       strerror(errno));
		else
			s3 = run("hugetlb", p, huge, HPAGE, rounds, false);
		if (p)
			munmap(p, huge);
		if (fd >= 0)
			close(fd);
	}
	variant_set(0);
	if (s1 < 0)
		return 1;
	printf("\npopulate speedup vs MADV_POPULATE_READ: shmem %d.%dx", s1 / 100,
	       (s1 % 100) / 10);
	if (s2 >= 0)
		printf(", shmem THP %d.%dx", s2 / 100, (s2 % 100) / 10);
	if (s3 >= 0)
		printf(", hugetlb %d.%dx", s3 / 100, (s3 % 100) / 10);
	printf("\n");
	return 0;
}
