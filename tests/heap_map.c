// SPDX-License-Identifier: MIT
/*
 * mmr_heap, physical and virtual apart: committed memory mapped at any
 * virtual offset of chosen views, unmapped, moved with its contents; the
 * caller's layout (reservation, shift, one-bit colors, base); commit's
 * partial progress, THP, NUMA, lazy hugetlb; misuse refused.
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "helpers.h"
#include "syscall.h"	/* mmri_fault_inject() */

#define MiB (1UL << 20)
#define G (2 * MiB)	/* the granule these tests map in */
/* n TiB, as an address (only used where pointers have 64 bits). */
#define T40(n) ((uintptr_t)((unsigned long long)(n) << 40))

static void segv_exit(int sig)
{
	(void)sig;
	_exit(42);
}

/* Does touching @p kill a child with SIGSEGV? (the reservation faults) */
static int faults(volatile char *p)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		signal(SIGSEGV, segv_exit);	/* sanitizers catch it otherwise */
		(void)*p;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 42;
}

/* The file offset /proc/self/maps gives for the mapping holding @p, or -1
 * if it is anonymous or absent. */
static long long maps_offset(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	long long ret = -1;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, ino;
		char perms[8], dev[16];

		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu", &lo, &hi, perms, &off, dev,
			   &ino) != 6)
			continue;
		if ((uintptr_t)p >= lo && (uintptr_t)p < hi) {
			ret = ino ? (long long)(off + ((uintptr_t)p - lo)) : -1;
			break;
		}
	}
	if (f)
		fclose(f);
	return ret;
}

static int thp_setting(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "re");
	int ok = f && fgets(buf, (int)len, f);

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

static long smaps_field(const void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	int in = 0;
	long kb = -1;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ' ') &&
		    line[strlen(line) - 1] == '\n' && strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
			continue;
		}
		if (in && !strncmp(line, field, strlen(field))) {
			sscanf(line + strlen(field), ": %ld", &kb);
			break;
		}
	}
	if (f)
		fclose(f);
	return kb;
}

static int kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return 0;
	return a > major || (a == major && b >= minor);
}

static mmr_heap *make(size_t size, size_t reserve, unsigned views, unsigned flags)
{
	struct mmr_heap_layout l = {
		.size = size, .reserve = reserve, .views = views, .flags = flags,
	};
	mmr_heap *h = NULL;

	if (mmr_heap_create_layout(&h, &l))
		return NULL;
	return h;
}

/* Physical P at virtual V != P: every view shows it, maps says offset P. */
static int map_anywhere(void)
{
	mmr_heap *h = make(8 * MiB, 64 * MiB, 3, 0);
	volatile char *v0, *v2;
	size_t p;

	CHECK(h);
	CHECK_EQ(mmr_heap_reserved(h), 64 * MiB);
	CHECK_EQ(mmr_heap_size(h), 8 * MiB);
	CHECK_EQ(mmr_heap_commit_phys(h, 2 * G, G, MMR_NUMA_DEFAULT, 0, NULL), 0);
	CHECK_EQ(mmr_heap_committed(h), G);
	CHECK_EQ(mmr_heap_phys_of(h, 0, 40 * MiB, &p), -ENOENT);
	CHECK_EQ(mmr_heap_map(h, 40 * MiB, 2 * G, G, MMR_HEAP_ALL_VIEWS), 0);
	v0 = (char *)mmr_heap_base(h, 0) + 40 * MiB;
	v2 = (char *)mmr_heap_base(h, 2) + 40 * MiB;
	v0[123] = 'x';
	mmr_barrier();
	CHECK_EQ(v2[123], 'x');
	CHECK_EQ(maps_offset((const char *)v2), (long long)(2 * G));
	CHECK_EQ(mmr_heap_phys_of(h, 1, 40 * MiB + 4096, &p), 0);
	CHECK_EQ(p, 2 * G + 4096);
	/* The same physical range at a second place of view 1 only. */
	CHECK_EQ(mmr_heap_map(h, 50 * MiB, 2 * G, G, 1u << 1), 0);
	mmr_barrier();
	CHECK_EQ(((volatile char *)mmr_heap_base(h, 1))[50 * MiB + 123], 'x');
	CHECK_EQ(faults((char *)mmr_heap_base(h, 0) + 50 * MiB), 1);
	CHECK_EQ(mmr_heap_unmap(h, 50 * MiB, G, 1u << 1), 0);
	CHECK_EQ(faults((char *)mmr_heap_base(h, 1) + 50 * MiB), 1);
	CHECK_EQ(mmr_heap_unmap(h, 40 * MiB, G, MMR_HEAP_ALL_VIEWS), 0);
	CHECK_EQ(faults(v0), 1);
	CHECK_EQ(maps_offset((const char *)v0), -1);	/* reserved, anonymous */
	CHECK_EQ(mmr_heap_committed(h), G);		/* the memory stays */
	CHECK_EQ(mmr_heap_map(h, 0, 2 * G, G, MMR_HEAP_ALL_VIEWS), 0);
	CHECK_EQ(((volatile char *)mmr_heap_base(h, 1))[123], 'x');
	mmr_heap_destroy(h);
	return T_PASS;
}

/* A move keeps the contents and leaves the old addresses faulting. */
static int move_keeps_contents(void)
{
	mmr_heap *h = make(16 * MiB, 256 * MiB, 3, 0);
	size_t p;

	CHECK(h);
	CHECK_EQ(mmr_heap_commit(h, 0, 4 * G), 0);
	for (unsigned i = 0; i < 4 * G / 4096; i++)
		((volatile uint32_t *)mmr_heap_base(h, 0))[i * 1024] = i * 7 + 1;
	mmr_barrier();
	/* Granules 1 and 2 to 200 MiB, in every view; then granule 0 to 100
	 * MiB in view 2 only. */
	CHECK_EQ(mmr_heap_move(h, 200 * MiB, G, 2 * G, MMR_HEAP_ALL_VIEWS), 0);
	CHECK_EQ(mmr_heap_move(h, 100 * MiB, 0, G, 1u << 2), 0);
	/* The page tables moved with the memory (mremap, 5.13+): view 0's
	 * new range is resident before any access. */
	if (kernel_at_least(5, 13))
		CHECK(smaps_field((char *)mmr_heap_base(h, 0) + 200 * MiB, "Rss") >= 4096);
	mmr_barrier();
	for (unsigned v = 0; v < 3; v++) {
		volatile uint32_t *b = (uint32_t *)((char *)mmr_heap_base(h, v) + 200 * MiB);

		for (unsigned i = 0; i < 2 * G / 4096; i++)
			CHECK_EQ(b[i * 1024], (G / 4096 + i) * 7 + 1);
		CHECK_EQ(faults((char *)mmr_heap_base(h, v) + G), 1);
	}
	CHECK_EQ(((volatile uint32_t *)((char *)mmr_heap_base(h, 2) + 100 * MiB))[1024], 8);
	CHECK_EQ(((volatile uint32_t *)mmr_heap_base(h, 0))[1024], 8);
	CHECK_EQ(faults((char *)mmr_heap_base(h, 2)), 1);
	CHECK_EQ(mmr_heap_phys_of(h, 0, 201 * MiB, &p), 0);
	CHECK_EQ(p, G + MiB);
	/* The identity calls see the moved memory: the physical range is
	 * mapped elsewhere, so it is not given back behind the mapping. */
	CHECK_EQ(mmr_heap_uncommit(h, G, G), -EBUSY);
	CHECK(strstr(mmr_last_error(), "mmr_heap_unmap"));
	CHECK_EQ(mmr_heap_committed(h), 4 * G);
	mmr_heap_destroy(h);
	return T_PASS;
}

/* Every misuse is refused, with errno and a message, and changes nothing. */
static int misuse_refused(void)
{
	mmr_heap *h = make(8 * MiB, 32 * MiB, 2, 0);
	int maps;

	CHECK(h);
	maps = t_count_maps();
	CHECK_EQ(mmr_heap_map(h, 0, 0, G, MMR_HEAP_ALL_VIEWS), -EINVAL);
	CHECK(strstr(mmr_last_error(), "not committed"));
	CHECK_EQ(mmr_heap_commit_phys(h, 0, 2 * G, 0, 0, NULL), 0);
	CHECK_EQ(mmr_heap_map(h, 0, 0, 3 * G, MMR_HEAP_ALL_VIEWS), -EINVAL);
	CHECK_EQ(mmr_heap_unmap(h, 0, G, MMR_HEAP_ALL_VIEWS), -EINVAL);
	CHECK(strstr(mmr_last_error(), "maps nothing"));
	CHECK_EQ(mmr_heap_map(h, 6 * MiB, 0, G, MMR_HEAP_ALL_VIEWS), 0);
	maps = t_count_maps();
	CHECK_EQ(mmr_heap_map(h, 6 * MiB, G, G, 1), -EEXIST);
	CHECK_EQ(mmr_heap_map(h, 5 * MiB, G, G, 2), -EEXIST);
	CHECK(strstr(mmr_last_error(), "already maps"));
	CHECK_EQ(mmr_heap_uncommit_phys(h, 0, G), -EBUSY);
	CHECK_EQ(mmr_heap_move(h, 7 * MiB, 6 * MiB, G, MMR_HEAP_ALL_VIEWS), -EINVAL);
	CHECK_EQ(mmr_heap_move(h, 20 * MiB, 12 * MiB, G, MMR_HEAP_ALL_VIEWS), -EINVAL);
	CHECK_EQ(mmr_heap_map(h, 0, 0, G, 1u << 2), -EINVAL);	/* no view 2 */
	CHECK_EQ(mmr_heap_map(h, 32 * MiB, G, G, 1), -EINVAL);	/* past the reservation */
	CHECK_EQ(mmr_heap_map(h, 0, 8 * MiB, G, 1), -EINVAL);	/* past the memory */
	CHECK_EQ(mmr_heap_map(h, 100, G, G, 1), -EINVAL);	/* not page aligned */
	CHECK_EQ(t_count_maps(), maps);
	/* The old API's identity view of [10 MiB, +G) would show other data. */
	CHECK_EQ(mmr_heap_commit(h, 6 * MiB, G), -EBUSY);
	CHECK(strstr(mmr_last_error(), "maps virtual"));
	/* ... and physical [0, G) would show at two places. */
	CHECK_EQ(mmr_heap_commit(h, 0, G), -EBUSY);
	CHECK(strstr(mmr_last_error(), "still maps"));
	CHECK_EQ(mmr_heap_uncommit(h, 6 * MiB, G), -EBUSY);
	/* Mapping by hand behind the heap's back is refused too. */
	CHECK(!mmr_view(mmr_heap_region(h), 0, G, mmr_heap_base(h, 0), PROT_READ, MMR_FIXED));
	CHECK_EQ(errno, EBUSY);
	CHECK(strstr(mmr_last_error(), "mmr_heap_map"));
	CHECK_EQ(mmr_region_discard(mmr_heap_region(h), 0, G), -EBUSY);
	CHECK_EQ(mmr_region_resize(mmr_heap_region(h), G), -EBUSY);
	CHECK_EQ(mmr_heap_committed(h), 2 * G);
	CHECK_EQ(mmr_heap_unmap(h, 6 * MiB, G, MMR_HEAP_ALL_VIEWS), 0);
	CHECK_EQ(mmr_heap_uncommit_phys(h, 0, 2 * G), 0);
	CHECK_EQ(mmr_heap_committed(h), 0);
	mmr_heap_destroy(h);
	return T_PASS;
}

/* ZGC's own layout: one bit per color at 42-44, views at 4, 8 and 16 TiB,
 * each reserving 16x the memory. */
static int zgc_layout(void)
{
	struct mmr_heap_layout l = {
		.size = 64 * MiB, .reserve = 1024 * MiB, .views = 3, .color_shift = 42,
		.flags = MMR_HEAP_ONE_BIT | MMR_HEAP_FIXED_BASE, .base = 0,
	};
	mmr_heap *h;
	char *p;
	int ret;

	if (sizeof(void *) < 8)
		SKIP("a 32-bit address space has no 16 TiB");
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	SKIP("the sanitizer's shadow memory lives at ZGC's addresses");
#endif
	if (t_under_valgrind())
		SKIP("valgrind manages the address space itself");
	ret = mmr_heap_create_layout(&h, &l);
	if (ret == -EEXIST)
		SKIP("4/8/16 TiB taken here: %s", mmr_last_error());
	CHECK_EQ(ret, 0);
	CHECK(mmr_heap_base(h, 0) == (void *)T40(4));
	CHECK(mmr_heap_base(h, 1) == (void *)T40(8));
	CHECK(mmr_heap_base(h, 2) == (void *)T40(16));
	CHECK_EQ(mmr_heap_color_mask(h), (uintptr_t)(7ULL << 42));
	CHECK_EQ(mmr_heap_commit_phys(h, 0, G, 0, 0, NULL), 0);
	CHECK_EQ(mmr_heap_map(h, 900 * MiB, 0, G, MMR_HEAP_ALL_VIEWS), 0);
	p = (char *)mmr_heap_base(h, 1) + 900 * MiB + 8;
	*(volatile char *)p = 5;
	mmr_barrier();
	CHECK_EQ(*(volatile char *)mmr_heap_color(h, p, 2), 5);
	CHECK(mmr_heap_color(h, p, 0) == (void *)(T40(4) + 900 * MiB + 8));
	CHECK_EQ(mmr_heap_view_of(h, mmr_heap_color(h, p, 2)), 2);
	CHECK_EQ(mmr_heap_view_of(h, (void *)(T40(12) + 8)), UINT_MAX);	/* two bits */
	CHECK_EQ(mmr_heap_view_of(h, (void *)(T40(4) + 1024 * MiB)), UINT_MAX);
	mmr_heap_destroy(h);
	/* The fixed base again: nothing left behind. */
	CHECK_EQ(mmr_heap_create_layout(&h, &l), 0);
	mmr_heap_destroy(h);
	return T_PASS;
}

/* The shared mappings a heap's region keeps besides its views. */
static int master_maps(mmr_heap *h)
{
	switch (mmr_region_backend(mmr_heap_region(h))) {
	case MMR_BACKEND_NATIVE:
	case MMR_BACKEND_SYSV:
	case MMR_BACKEND_MREMAP:
		return 1;
	default:
		return 0;
	}
}

/* The library's base with one-bit colors and a caller's shift. */
static int one_bit_chosen(void)
{
	struct mmr_heap_layout l = {
		.size = 4 * MiB, .views = 3, .color_shift = 28, .flags = MMR_HEAP_ONE_BIT,
	};
	int maps = t_count_shared_maps();
	mmr_heap *h;
	uintptr_t b0;

	if (sizeof(void *) < 8)
		SKIP("colors at bits 28-30 need more than a 32-bit address space");
	CHECK_EQ(mmr_heap_create_layout(&h, &l), 0);
	b0 = (uintptr_t)mmr_heap_base(h, 0);
	CHECK_EQ(mmr_heap_color_shift(h), 28);
	CHECK_EQ((uintptr_t)mmr_heap_base(h, 1) - b0, 1UL << 28);
	CHECK_EQ((uintptr_t)mmr_heap_base(h, 2) - b0, 3UL << 28);
	CHECK_EQ(b0 & ((1UL << 28) - 1), 0);
	CHECK_EQ(mmr_heap_commit(h, 0, 4 * MiB), 0);
	((volatile char *)mmr_heap_base(h, 2))[77] = 3;
	mmr_barrier();
	CHECK_EQ(((volatile char *)mmr_heap_base(h, 0))[77], 3);
	/* sysv, mremap and native regions keep a master mapping too */
	CHECK_EQ(t_count_shared_maps(), maps + 3 + master_maps(h));
	mmr_heap_destroy(h);
	CHECK_EQ(t_count_shared_maps(), maps);
	return T_PASS;
}

/* No aligned block anywhere (a blocker every 2 TiB): ZGC's discontiguous
 * fallback reserves each view on its own. */
static int discontiguous_fallback(void)
{
	struct mmr_heap_layout l = {
		.size = 4 * MiB, .reserve = 64 * MiB, .views = 2, .color_shift = 40,
		.flags = MMR_HEAP_ONE_BIT,
	};
	void *blk[64];
	mmr_heap *h;
	char *b0;
	int ret;

	if (sizeof(void *) < 8)
		SKIP("a 32-bit address space has no TiB");
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	SKIP("the sanitizer's shadow memory takes the address space");
#endif
	if (t_under_valgrind())
		SKIP("valgrind manages the address space itself");
	for (unsigned k = 0; k < 64; k++) {
		void *want = (void *)(T40(3) / 2 + (uintptr_t)k * T40(2));

		blk[k] = mmap(want, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			      MAP_FIXED_NOREPLACE, -1, 0);
	}
	ret = mmr_heap_create_layout(&h, &l);
	for (unsigned k = 0; k < 64; k++)
		if (blk[k] != MAP_FAILED)
			munmap(blk[k], 4096);
	CHECK_EQ(ret, 0);
	b0 = mmr_heap_base(h, 0);
	CHECK_EQ(((unsigned long long)(uintptr_t)b0 - (1ULL << 40)) % (4ULL << 40), 0);
	CHECK_EQ((uintptr_t)mmr_heap_base(h, 1) - (uintptr_t)b0, T40(1));
	CHECK(t_is_mapped(b0, 64 * MiB));
	CHECK(!t_is_mapped(b0 + 64 * MiB, 4096));	/* the view only, not the slot */
	CHECK_EQ(mmr_heap_commit(h, 0, 4 * MiB), 0);
	b0[5] = 6;
	mmr_barrier();
	CHECK_EQ(((volatile char *)mmr_heap_base(h, 1))[5], 6);
	CHECK_EQ(mmr_heap_view_of(h, b0 + 64 * MiB - 1), 0);
	CHECK_EQ(mmr_heap_view_of(h, b0 + 64 * MiB), UINT_MAX);
	mmr_heap_destroy(h);
	return T_PASS;
}

/* Layouts that cannot be are refused with the reason. */
static int layout_refused(void)
{
	struct mmr_heap_layout l = { .size = 4 * MiB, .views = 3 };
	int fds = t_count_fds(), maps = t_count_maps();
	mmr_heap *h = (mmr_heap *)&l, *g;

	l.reserve = MiB;
	CHECK_EQ(mmr_heap_create_layout(&h, &l), -EINVAL);
	CHECK(!h);
	CHECK(strstr(mmr_last_error(), "cannot map all"));
	l.reserve = 64 * MiB;
	l.color_shift = 25;		/* 32 MiB between colors < 64 MiB */
	CHECK_EQ(mmr_heap_create_layout(&h, &l), -EINVAL);
	CHECK(strstr(mmr_last_error(), "color shift"));
	l.color_shift = sizeof(void *) >= 8 ? 46 : 30;
	l.flags = MMR_HEAP_ONE_BIT;	/* bits 46-48: past 47 bits */
	CHECK_EQ(mmr_heap_create_layout(&h, &l), -EINVAL);
	CHECK(strstr(mmr_last_error(), "address space"));
	l.color_shift = 0;
	l.granule = 3 * MiB;
	CHECK_EQ(mmr_heap_create_layout(&h, &l), -EINVAL);
	l.granule = 0;
	l.flags = MMR_HEAP_FIXED_BASE;
	l.base = (1UL << 30) - 16 * MiB;
	l.color_shift = 30;
	CHECK_EQ(mmr_heap_create_layout(&h, &l), -EINVAL);	/* runs into the colors */
	/* A base where something is mapped already. */
	l.reserve = 0;
	CHECK_EQ(mmr_heap_create(&g, 4 * MiB, 2, 0), 0);
	l.views = 2;
	l.base = (uintptr_t)mmr_heap_base(g, 0);
	l.color_shift = mmr_heap_color_shift(g);
	CHECK_EQ(mmr_heap_create_layout(&h, &l), -EEXIST);
	CHECK(strstr(mmr_last_error(), "already mapped"));
	mmr_heap_destroy(g);
	CHECK_EQ(mmr_heap_create_layout(&h, &l), 0);	/* free now */
	CHECK((uintptr_t)mmr_heap_base(h, 0) == l.base);
	mmr_heap_destroy(h);
	CHECK_EQ(mmr_heap_create_layout(NULL, &l), -EINVAL);
	CHECK_EQ(mmr_heap_create_layout(&h, NULL), -EINVAL);
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	return T_PASS;
}

/* Commit reports what it committed: a prefix, after halving on a shortage. */
static int partial_commit(void)
{
	mmr_heap *h = make(16 * MiB, 0, 2, MMR_BACKEND_MEMFD);
	size_t pg, done = 1;
	unsigned long calls;

	CHECK(h);
	pg = mmr_heap_page_size(h);
	/* Three shortages in a row: halved down to one page, then it all
	 * goes through. */
	calls = mmri_sys_calls(MMRI_SYS_FALLOCATE);
	mmri_fault_inject(MMRI_SYS_FALLOCATE, ENOSPC, 0, 3);
	CHECK_EQ(mmr_heap_commit_phys(h, 0, 8 * pg, 0, 0, &done), 0);
	mmri_fault_clear();
	CHECK_EQ(done, 8 * pg);
	CHECK_EQ(mmri_sys_calls(MMRI_SYS_FALLOCATE) - calls, 7);
	CHECK_EQ(mmr_heap_uncommit_phys(h, 0, 8 * pg), 0);
	/* Page 2 committed; the gap after it runs out for good. */
	CHECK_EQ(mmr_heap_commit_phys(h, 2 * pg, pg, 0, 0, NULL), 0);
	mmri_fault_inject(MMRI_SYS_FALLOCATE, ENOSPC, 1, 0);
	CHECK_EQ(mmr_heap_commit_phys(h, 0, 8 * pg, 0, 0, &done), -ENOSPC);
	mmri_fault_clear();
	CHECK_EQ(done, 3 * pg);
	CHECK_EQ(mmr_heap_committed(h), 3 * pg);
	CHECK(strstr(mmr_last_error(), "mmr_heap_commit_phys"));
	/* The old call maps what it committed, in every view. */
	CHECK_EQ(mmr_heap_commit_phys(h, 5 * pg, pg, 0, 0, NULL), 0);
	mmri_fault_inject(MMRI_SYS_FALLOCATE, ENOSPC, 1, 0);
	CHECK_EQ(mmr_heap_commit(h, 3 * pg, 5 * pg), -ENOSPC);
	mmri_fault_clear();
	CHECK_EQ(mmr_heap_committed(h), 6 * pg);
	((volatile char *)mmr_heap_base(h, 1))[5 * pg + 9] = 1;
	mmr_barrier();
	CHECK_EQ(((volatile char *)mmr_heap_base(h, 0))[5 * pg + 9], 1);
	CHECK_EQ(faults((char *)mmr_heap_base(h, 0) + 6 * pg), 1);
	mmr_heap_destroy(h);
	return T_PASS;
}

/* MMR_THP with shmem_enabled=advise: commit allocates through a mapping
 * with MADV_HUGEPAGE, so the views map PMDs (fallocate alone gives 4 KiB
 * pages there). */
static int thp_advise(void)
{
	const char *path = "/sys/kernel/mm/transparent_hugepage/shmem_enabled";
	char old[128], *sel, word[32];
	mmr_heap *h;
	long pmd;
	FILE *f;

	if (thp_setting(old, sizeof(old)))
		SKIP("no transparent huge pages in this kernel");
	sel = strchr(old, '[');
	if (!sel || sscanf(sel + 1, "%31[^]]", word) != 1)
		SKIP("cannot read %s", path);
	if (strcmp(word, "advise")) {
		f = fopen(path, "we");
		if (!f || fputs("advise", f) < 0 || fclose(f))
			SKIP("shmem_enabled is %s and cannot be set to advise here "
			     "(the kernel VM checks it)", word);
	}
	h = make(8 * MiB, 0, 2, MMR_BACKEND_MEMFD | MMR_THP);
	if (h) {
		if (!mmr_heap_commit(h, 0, 4 * MiB)) {
			for (size_t i = 0; i < 4 * MiB; i += 4096)
				((volatile char *)mmr_heap_base(h, 1))[i] = 1;
		}
	}
	pmd = h ? smaps_field(mmr_heap_base(h, 1), "ShmemPmdMapped") : -2;
	if (strcmp(word, "advise") && (f = fopen(path, "we"))) {
		fputs(word, f);
		fclose(f);
	}
	CHECK(h);
	CHECK(pmd >= 2048);
	mmr_heap_destroy(h);
	return T_PASS;
}

#ifndef MPOL_F_ADDR
#define MPOL_F_ADDR (1 << 1)
#endif

/* Per-granule NUMA policy: the file's policy of each range is what commit
 * asked for (one node is enough to check the path). */
static int numa_policy(void)
{
	mmr_heap *h = make(8 * MiB, 0, 2, MMR_BACKEND_MEMFD);
	unsigned long mask[2] = { 0, 0 };
	int mode = -1;
	long r;

	CHECK(h);
	r = mmr_heap_commit_phys(h, 0, G, MMR_NUMA_INTERLEAVE, 1, NULL);
	if (r == -ENOSYS)
		SKIP("no NUMA in this kernel: %s", mmr_last_error());
	CHECK_EQ(r, 0);
	CHECK_EQ(mmr_heap_commit_phys(h, G, G, MMR_NUMA_PREFERRED, 1, NULL), 0);
	CHECK_EQ(mmr_heap_commit_phys(h, 2 * G, G, MMR_NUMA_DEFAULT, 0, NULL), 0);
	CHECK_EQ(mmr_heap_map(h, 0, 0, 3 * G, MMR_HEAP_ALL_VIEWS), 0);
	r = syscall(SYS_get_mempolicy, &mode, mask, sizeof(mask) * 8, mmr_heap_base(h, 1), MPOL_F_ADDR);
	CHECK_EQ(r, 0);
	CHECK_EQ(mode, MMR_NUMA_INTERLEAVE);
	CHECK_EQ(mask[0], 1);
	r = syscall(SYS_get_mempolicy, &mode, mask, sizeof(mask) * 8,
		    (char *)mmr_heap_base(h, 0) + G + 4096, MPOL_F_ADDR);
	CHECK_EQ(r, 0);
	CHECK_EQ(mode, MMR_NUMA_PREFERRED);
	r = syscall(SYS_get_mempolicy, &mode, mask, sizeof(mask) * 8,
		    (char *)mmr_heap_base(h, 0) + 2 * G, MPOL_F_ADDR);
	CHECK_EQ(r, 0);
	CHECK_EQ(mode, MMR_NUMA_DEFAULT);
	CHECK_EQ(mmr_heap_commit_phys(h, 3 * G, G, MMR_NUMA_INTERLEAVE,
				      1UL << (sizeof(long) * 8 - 4), NULL), -EINVAL);
	CHECK(strstr(mmr_last_error(), "mbind"));
	CHECK_EQ(mmr_heap_commit_phys(h, 3 * G, G, MMR_NUMA_PREFERRED, 3, NULL), -EINVAL);
	CHECK_EQ(mmr_heap_commit_phys(h, 3 * G, G, 7, 1, NULL), -EINVAL);
	CHECK_EQ(mmr_heap_committed(h), 3 * G);
	mmr_heap_destroy(h);
	return T_PASS;
}

/* vm.max_map_count against the planned heap. */
static int max_map_count(void)
{
	long limit = -1;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	struct mmr_heap_layout l = { .views = 3, .granule = 4096 };
	mmr_heap *h;

	if (f) {
		if (fscanf(f, "%ld", &limit) != 1)
			limit = -1;
		fclose(f);
	}
	if (limit <= 0 || limit > (1L << 22))
		SKIP("vm.max_map_count is %ld: no heap here plans more", limit);
	l.size = (size_t)limit * 4096;	/* 3.6 mappings per granule needed */
	l.flags = MMR_HEAP_STRICT_MAPS;
	CHECK_EQ(mmr_heap_create_layout(&h, &l), -ENOMEM);
	CHECK(strstr(mmr_last_error(), "sysctl -w vm.max_map_count="));
	l.flags = 0;
	CHECK_EQ(mmr_heap_create_layout(&h, &l), 0);
	CHECK(mmr_heap_warning(h));
	CHECK(strstr(mmr_heap_warning(h), "vm.max_map_count"));
	mmr_heap_destroy(h);
	CHECK_EQ(mmr_heap_create(&h, 64 * MiB, 3, 0), 0);
	CHECK(!mmr_heap_warning(h));
	mmr_heap_destroy(h);
	/* MMR_HUGE falling back to base pages says so. */
	CHECK_EQ(mmr_heap_create(&h, 64 * MiB, 3, MMR_HUGE), 0);
	if (mmr_heap_page_size(h) == t_page())
		CHECK(mmr_heap_warning(h) && strstr(mmr_heap_warning(h), "MMR_HUGE"));
	else
		CHECK(!mmr_heap_warning(h));
	mmr_heap_destroy(h);
	return T_PASS;
}

/* A 2 MiB hugetlb heap larger than the pool: creation takes no page,
 * commit takes them and reports how far it got. */
static int hugetlb_lazy(void)
{
	size_t size = 1024 * MiB;	/* larger than the pool */
	long old;

	if (sizeof(void *) < 8)
		SKIP("3 views of a heap larger than the hugetlb pool do not fit a "
		     "32-bit address space");
	old = t_hugepages_reserve(4);
	size_t done = 0;
	mmr_heap *h;
	int ret;

	if (old < 0) {
		char why[sizeof(t_msg)];

		memcpy(why, t_msg, sizeof(why));
		SKIP("%s", why);
	}
	ret = mmr_heap_create(&h, size, 3, MMR_HUGE_2MB | MMR_BACKEND_MEMFD);
	if (ret) {
		t_hugepages_restore(old);
		CHECK_EQ(ret, 0);
	}
	ret = mmr_heap_commit_phys(h, 0, size, 0, 0, &done);
	CHECK_EQ(ret, -ENOSPC);
	CHECK(done >= 4 * G && done < size);
	CHECK_EQ(mmr_heap_committed(h), done);
	CHECK_EQ(mmr_heap_map(h, 100 * G, 0, done, MMR_HEAP_ALL_VIEWS), 0);
	((volatile char *)mmr_heap_base(h, 2))[100 * G + done - 1] = 4;
	mmr_barrier();
	CHECK_EQ(((volatile char *)mmr_heap_base(h, 0))[100 * G + done - 1], 4);
	CHECK_EQ(mmr_heap_unmap(h, 100 * G, done, MMR_HEAP_ALL_VIEWS), 0);
	CHECK_EQ(mmr_heap_uncommit_phys(h, 0, size), 0);
	mmr_heap_destroy(h);
	t_hugepages_restore(old);
	return T_PASS;
}

/* Threads commit, map, move, unmap and uncommit granules of their own
 * while the others do the same: nothing is lost (TSan: the books are
 * touched under the lock only). */
#define THREADS 4
#define PER 4	/* granules per thread */

struct worker {
	mmr_heap *h;
	unsigned id;
	int bad;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	size_t pg = mmr_heap_page_size(w->h) * 4;

	for (unsigned round = 0; round < 30; round++) {
		for (unsigned i = 0; i < PER; i++) {
			size_t p = (w->id * PER + i) * pg;
			size_t v1 = (64 + (w->id * PER + i) * 2) * pg, v2 = v1 + pg;
			volatile uint32_t *a, *b;

			if (mmr_heap_commit_phys(w->h, p, pg, 0, 0, NULL) ||
			    mmr_heap_map(w->h, v1, p, pg, MMR_HEAP_ALL_VIEWS)) {
				w->bad = 1;
				return NULL;
			}
			a = (uint32_t *)((char *)mmr_heap_base(w->h, round % 3) + v1);
			a[5] = round * 100 + w->id;
			if (mmr_heap_move(w->h, v2, v1, pg, MMR_HEAP_ALL_VIEWS)) {
				w->bad = 2;
				return NULL;
			}
			b = (uint32_t *)((char *)mmr_heap_base(w->h, (round + 1) % 3) + v2);
			if (b[5] != round * 100 + w->id)
				w->bad = 3;
			if (mmr_heap_unmap(w->h, v2, pg, MMR_HEAP_ALL_VIEWS) ||
			    mmr_heap_uncommit_phys(w->h, p, pg))
				w->bad = 4;
		}
	}
	return NULL;
}

static int threads_race(void)
{
	struct worker w[THREADS];
	pthread_t t[THREADS];
	/* The workers use the first 2 MiB of addresses: 32-bit code fits */
	mmr_heap *h = make(64 * MiB, sizeof(void *) >= 8 ? 512 * MiB : 64 * MiB, 3, 0);

	CHECK(h);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ h, i, 0 };
		CHECK_EQ(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(w[i].bad, 0);
	}
	CHECK_EQ(mmr_heap_committed(h), 0);
	mmr_heap_destroy(h);
	return T_PASS;
}

/* The books grow as ranges split: every other page given back, then
 * every remaining page mapped on its own (ASan checks the arrays). */
static int books_grow(void)
{
	mmr_heap *h = make(64 * MiB, 256 * MiB, 2, 0);
	size_t pg, p;

	CHECK(h);
	pg = mmr_heap_page_size(h);
	CHECK_EQ(mmr_heap_commit_phys(h, 0, 200 * pg, 0, 0, NULL), 0);
	for (size_t i = 1; i < 200; i += 2)
		CHECK_EQ(mmr_heap_uncommit_phys(h, i * pg, pg), 0);
	CHECK_EQ(mmr_heap_committed(h), 100 * pg);
	for (size_t i = 0; i < 200; i += 2)
		CHECK_EQ(mmr_heap_map(h, (1000 + 3 * i) * pg, i * pg, pg, 1u << (i / 2 % 2)), 0);
	for (size_t i = 0; i < 200; i += 2) {
		CHECK_EQ(mmr_heap_phys_of(h, i / 2 % 2, (1000 + 3 * i) * pg, &p), 0);
		CHECK_EQ(p, i * pg);
		CHECK_EQ(mmr_heap_uncommit_phys(h, i * pg, pg), -EBUSY);
	}
	for (size_t i = 0; i < 200; i += 2)
		CHECK_EQ(mmr_heap_unmap(h, (1000 + 3 * i) * pg, pg, 1u << (i / 2 % 2)), 0);
	CHECK_EQ(mmr_heap_uncommit_phys(h, 0, 200 * pg), 0);
	CHECK_EQ(mmr_heap_committed(h), 0);
	mmr_heap_destroy(h);
	return T_PASS;
}

/* Many maps and unmaps leave no mapping or fd behind. */
static int no_leaks(void)
{
	int fds = t_count_fds(), maps = t_count_maps();

	for (int i = 0; i < 20; i++) {
		mmr_heap *h = make(8 * MiB, 64 * MiB, 2 + i % 4, i & 1 ? MMR_POPULATE : 0);

		CHECK(h);
		CHECK_EQ(mmr_heap_commit_phys(h, 0, 4 * G, 0, 0, NULL), 0);
		for (size_t k = 0; k < 4; k++)
			CHECK_EQ(mmr_heap_map(h, (7 * k + 3) * G, k * G, G, MMR_HEAP_ALL_VIEWS), 0);
		CHECK_EQ(mmr_heap_move(h, 30 * G, 3 * G, G, MMR_HEAP_ALL_VIEWS), 0);
		mmr_heap_destroy(h);
	}
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	return T_PASS;
}

T_MAIN(T(map_anywhere), T(move_keeps_contents), T(misuse_refused), T(zgc_layout),
       T(one_bit_chosen), T(discontiguous_fallback), T(layout_refused), T(partial_commit), T(thp_advise),
       T(numa_policy), T(max_map_count), T(hugetlb_lazy), T(threads_race), T(books_grow), T(no_leaks))
