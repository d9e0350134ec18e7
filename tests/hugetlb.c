// SPDX-License-Identifier: MIT
/*
 * hugetlb regions: 2 MiB pages on every backend that has them, reserved at
 * creation (an empty pool is an error then, never a SIGBUS later), and the
 * MMR_HUGE fallback to base pages. Pages are reserved through nr_hugepages
 * (root) and the old value is always given back.
 */
#include "helpers.h"

#define HPAGE (2UL << 20)

static long meminfo(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

/* Runs @fn with at least @pages free 2 MiB pages, then restores the pool. */
static int with_pages(long pages, int (*fn)(void))
{
	long old;
	int r;

	if (t_under_valgrind())
		SKIP("valgrind places mappings itself, not on huge page boundaries");
	old = t_hugepages_reserve(pages);
	if (old < 0)
		return T_SKIP;	/* t_msg says why */
	r = fn();
	t_hugepages_restore(old);
	return r;
}

static int two_views(enum mmr_backend b)
{
	int fds = t_count_fds(), maps = t_count_maps();
	volatile char *a, *c;
	mmr_region *r;

	CHECK_EQ(mmr_region_create(&r, 2 * HPAGE, b | MMR_HUGE_2MB), 0);
	CHECK_EQ(mmr_region_page_size(r), HPAGE);
	CHECK_EQ(mmr_region_size(r), 2 * HPAGE);
	a = mmr_view(r, 0, 2 * HPAGE, NULL, PROT_READ | PROT_WRITE, 0);
	c = mmr_view(r, HPAGE, HPAGE, NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(a && c);
	CHECK_EQ((uintptr_t)a & (HPAGE - 1), 0);
	a[HPAGE + 123] = 'h';
	mmr_barrier();
	CHECK_EQ(c[123], 'h');
	/* Views of a hugetlb region are whole huge pages. */
	CHECK(mmr_view(r, 4096, HPAGE, NULL, PROT_READ, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmr_view(r, 0, 4096, NULL, PROT_READ, 0) == NULL);
	mmr_region_destroy(r);
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	return T_PASS;
}

static int memfd_body(void) { return two_views(MMR_BACKEND_MEMFD); }
static int sysv_body(void) { return two_views(MMR_BACKEND_SYSV); }
static int memfd_2m(void) { return with_pages(4, memfd_body); }
static int sysv_2m(void) { return with_pages(4, sysv_body); }

/* With exactly N free pages: a region of N pages takes them all at
 * creation, the next one fails with a message, and every page of the
 * first can be touched (no SIGBUS). */
static int reserved_body(void)
{
	long free_before = meminfo("HugePages_Free:");
	mmr_region *r, *r2;
	volatile char *p;
	int ret;

	CHECK(free_before >= 1);
	CHECK_EQ(mmr_region_create(&r, (size_t)free_before * HPAGE,
				   MMR_BACKEND_MEMFD | MMR_HUGE_2MB), 0);
	/* Allocated now, not at first touch: the pool is empty already. */
	CHECK_EQ(meminfo("HugePages_Free:"), 0);
	ret = mmr_region_create(&r2, HPAGE, MMR_BACKEND_MEMFD | MMR_HUGE_2MB);
	CHECK(ret == -ENOSPC || ret == -ENOMEM);
	CHECK(strstr(mmr_last_error(), "nr_hugepages"));
	p = mmr_view(r, 0, mmr_region_size(r), NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(p);
	for (size_t off = 0; off < mmr_region_size(r); off += HPAGE)
		p[off] = 1;
	mmr_region_destroy(r);
	return T_PASS;
}

static int reserved_at_creation(void) { return with_pages(3, reserved_body); }

/* MMR_HUGE with an empty pool: base pages (and THP advice), not a failure. */
static int huge_falls_back(void)
{
	mmr_region *r;
	int ret = T_PASS;
	long old;

	if (t_under_valgrind())
		SKIP("valgrind places mappings itself, not on huge page boundaries");
	old = t_hugepages_reserve(0);
	if (old < 0)
		return T_SKIP;
	{
		FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "we");

		if (!f)
			SKIP("cannot empty the huge page pool: not root");
		fprintf(f, "0\n");
		fclose(f);
	}
	if (mmr_region_create(&r, 4 * HPAGE, MMR_HUGE) ||
	    mmr_region_page_size(r) != t_page()) {
		snprintf(t_msg, sizeof(t_msg), "MMR_HUGE did not fall back: %s",
			 mmr_last_error());
		ret = T_FAIL;
	} else {
		mmr_region_destroy(r);
	}
	t_hugepages_restore(old);
	return ret;
}

T_MAIN(T(memfd_2m), T(sysv_2m), T(reserved_at_creation), T(huge_falls_back))
