// SPDX-License-Identifier: MIT
/* mmr_region_resize and mmr_region_discard on every backend. */
#include <sys/stat.h>

#include "helpers.h"

static int available(enum mmr_backend b)
{
	struct mmr_probe_report rep;

	return !mmr_probe(&rep) && rep.backend[b].available;
}

static int grow(enum mmr_backend b)
{
	size_t pg = t_page();
	volatile char *a, *c;
	mmr_region *r;

	if (!available(b))
		SKIP("%s backend unavailable", mmr_backend_name(b));
	CHECK_EQ(mmr_region_create(&r, 4 * pg, b), 0);
	a = mmr_view(r, 0, 4 * pg, NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(a);
	a[3 * pg] = 'o';
	CHECK_EQ(mmr_region_resize(r, 8 * pg), 0);
	CHECK_EQ(mmr_region_size(r), 8 * pg);
	c = mmr_view(r, 0, 8 * pg, NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(c);
	CHECK_EQ(c[3 * pg], 'o');	/* the old part is kept */
	c[7 * pg] = 'n';
	CHECK_EQ(c[6 * pg], 0);		/* the new part reads zeros */
	/* Shrinking below a view's end would leave it SIGBUS-ing. */
	CHECK_EQ(mmr_region_resize(r, 2 * pg), -EBUSY);
	CHECK(strstr(mmr_last_error(), "unview"));
	CHECK_EQ(mmr_unview(r, (void *)c, 8 * pg), 0);
	CHECK_EQ(mmr_unview(r, (void *)a, 4 * pg), 0);
	CHECK_EQ(mmr_region_resize(r, 2 * pg), 0);
	CHECK_EQ(mmr_region_size(r), 2 * pg);
	mmr_region_destroy(r);
	return T_PASS;
}

static int grow_memfd(void) { return grow(MMR_BACKEND_MEMFD); }
static int grow_posix(void) { return grow(MMR_BACKEND_POSIX); }
static int grow_native(void) { return grow(MMR_BACKEND_NATIVE); }

static int fixed_size(enum mmr_backend b)
{
	mmr_region *r;

	if (!available(b))
		SKIP("%s backend unavailable", mmr_backend_name(b));
	CHECK_EQ(mmr_region_create(&r, t_page(), b), 0);
	CHECK_EQ(mmr_region_resize(r, 2 * t_page()), -EOPNOTSUPP);
	CHECK(strstr(mmr_last_error(), "memfd"));	/* says what to use */
	CHECK_EQ(mmr_region_size(r), t_page());
	mmr_region_destroy(r);
	return T_PASS;
}

static int no_resize_mremap(void) { return fixed_size(MMR_BACKEND_MREMAP); }
static int no_resize_sysv(void) { return fixed_size(MMR_BACKEND_SYSV); }

static int discard(enum mmr_backend b)
{
	size_t pg = t_page(), size = 16 * pg;
	volatile char *a, *c;
	struct stat before, after;
	mmr_region *r;

	if (!available(b))
		SKIP("%s backend unavailable", mmr_backend_name(b));
	CHECK_EQ(mmr_region_create(&r, size, b), 0);
	a = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
	c = mmr_view(r, 0, size, NULL, PROT_READ, 0);
	CHECK(a && c);
	for (size_t i = 0; i < size; i += pg)
		a[i] = 'x';
	if (mmr_region_fd(r) >= 0)
		CHECK_EQ(fstat(mmr_region_fd(r), &before), 0);
	CHECK_EQ(mmr_region_discard(r, 4 * pg, 8 * pg), 0);
	/* The memory went back to the system, not just zeroed (look before
	 * reading: a read fault on a shmem hole allocates a page again). */
	if (mmr_region_fd(r) >= 0) {
		CHECK_EQ(fstat(mmr_region_fd(r), &after), 0);
		CHECK_EQ(after.st_blocks, before.st_blocks / 2);
	}
	mmr_barrier();
	for (size_t i = 0; i < size; i += pg) {
		char want = (i >= 4 * pg && i < 12 * pg) ? 0 : 'x';

		CHECK_EQ(a[i], want);
		CHECK_EQ(c[i], want);
	}
	CHECK_EQ(mmr_region_discard(r, 1, pg), -EINVAL);
	CHECK_EQ(mmr_region_discard(r, 8 * pg, 16 * pg), -EINVAL);
	mmr_region_destroy(r);
	return T_PASS;
}

static int discard_memfd(void) { return discard(MMR_BACKEND_MEMFD); }
static int discard_posix(void) { return discard(MMR_BACKEND_POSIX); }
static int discard_mremap(void) { return discard(MMR_BACKEND_MREMAP); }
static int discard_sysv(void) { return discard(MMR_BACKEND_SYSV); }
static int discard_native(void) { return discard(MMR_BACKEND_NATIVE); }

T_MAIN(T(grow_memfd), T(grow_posix), T(grow_native), T(no_resize_mremap),
       T(no_resize_sysv), T(discard_memfd), T(discard_posix), T(discard_mremap),
       T(discard_sysv), T(discard_native))
