// SPDX-License-Identifier: MIT
/* Every backend: create, write through one view, read through another. */
#include "helpers.h"

static int roundtrip(enum mmr_backend b)
{
	struct mmr_probe_report rep;
	size_t page = t_page(), size = 16 * page;
	int fds = t_count_fds(), maps = t_count_maps();
	mmr_region *r;
	volatile unsigned char *a, *c;

	CHECK_EQ(mmr_probe(&rep), 0);
	if (!rep.backend[b].available)
		SKIP("%s backend unavailable: %s", mmr_backend_name(b), rep.backend[b].why);
	CHECK_EQ(mmr_region_create(&r, size, b), 0);
	CHECK_EQ(mmr_region_backend(r), b);
	CHECK_EQ(mmr_region_size(r), size);
	CHECK_EQ(mmr_region_page_size(r), page);
	a = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
	c = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(a && c && a != c);
	CHECK_EQ(mmr_region_view_count(r), 2);
	for (size_t i = 0; i < size; i += 97)
		a[i] = (unsigned char)(i * 7 + b);
	for (size_t i = 0; i < size; i += 97)
		CHECK_EQ(c[i], (unsigned char)(i * 7 + b));
	c[size - 1] = 0x5a;
	CHECK_EQ(a[size - 1], 0x5a);
	CHECK(t_is_mapped((void *)a, size) == 1);
	mmr_region_destroy(r);
	CHECK(t_is_mapped((void *)a, page) == 0);
	CHECK(t_is_mapped((void *)c, page) == 0);
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	return T_PASS;
}

static int memfd(void) { return roundtrip(MMR_BACKEND_MEMFD); }
static int mremap_legacy(void) { return roundtrip(MMR_BACKEND_MREMAP); }
static int sysv(void) { return roundtrip(MMR_BACKEND_SYSV); }
static int posix(void) { return roundtrip(MMR_BACKEND_POSIX); }
static int native(void) { return roundtrip(MMR_BACKEND_NATIVE); }

static int hugetlbfs_needs_huge(void)
{
	mmr_region *r = (void *)1;

	CHECK_EQ(mmr_region_create(&r, 1 << 20, MMR_BACKEND_HUGETLBFS), -EINVAL);
	CHECK(r == NULL);
	CHECK(strstr(mmr_last_error(), "MMR_HUGE"));
	return T_PASS;
}

/* AUTO picks the probe's best backend, and MMR_BACKEND overrides it. */
static int auto_and_env(void)
{
	struct mmr_probe_report rep;
	mmr_region *r;

	CHECK_EQ(mmr_probe(&rep), 0);
	CHECK_EQ(mmr_region_create(&r, 4096, MMR_BACKEND_AUTO), 0);
	CHECK_EQ(mmr_region_backend(r), rep.best);
	mmr_region_destroy(r);
	setenv("MMR_BACKEND", "mremap", 1);
	CHECK_EQ(mmr_region_create(&r, 4096, 0), 0);
	CHECK_EQ(mmr_region_backend(r), MMR_BACKEND_MREMAP);
	mmr_region_destroy(r);
	setenv("MMR_BACKEND", "nonsense", 1);
	CHECK_EQ(mmr_region_create(&r, 4096, 0), -EINVAL);
	CHECK(strstr(mmr_last_error(), "MMR_BACKEND=nonsense"));
	/* An explicit backend wins over the environment. */
	CHECK_EQ(mmr_region_create(&r, 4096, MMR_BACKEND_MEMFD), 0);
	mmr_region_destroy(r);
	unsetenv("MMR_BACKEND");
	return T_PASS;
}

static int names(void)
{
	for (int b = 0; b < MMR_BACKEND_COUNT; b++)
		CHECK_EQ(mmr_backend_from_name(mmr_backend_name(b)), b);
	CHECK_EQ(mmr_backend_from_name("bogus"), -EINVAL);
	CHECK_EQ(mmr_backend_from_name(NULL), -EINVAL);
	CHECK(!strcmp(mmr_backend_name(99), "unknown"));
	return T_PASS;
}

T_MAIN(T(memfd), T(mremap_legacy), T(sysv), T(posix), T(native),
       T(hugetlbfs_needs_huge), T(auto_and_env), T(names))
