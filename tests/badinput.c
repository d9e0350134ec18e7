// SPDX-License-Identifier: MIT
/* Every bad input: the documented error, a message, and nothing leaked. */
#include <stdint.h>

#include "helpers.h"
#include "error.h"	/* mmri_clear_error() */

#define NOLEAK_BEGIN int fds = t_count_fds(), maps = t_count_maps()
#define NOLEAK_END do {							\
	CHECK_EQ(t_count_fds(), fds);					\
	CHECK_EQ(t_count_maps(), maps);					\
} while (0)

/* The call failed with @err and said something about it. */
#define FAILS(call, err) do {						\
	mmri_clear_error();						\
	CHECK_EQ((call), -(err));					\
	CHECK(strcmp(mmr_last_error(), "no error"));			\
} while (0)
#define FAILS_NULL(call, err) do {					\
	mmri_clear_error();						\
	errno = 0;							\
	CHECK((call) == NULL);						\
	CHECK_EQ(errno, (err));						\
	CHECK(strcmp(mmr_last_error(), "no error"));			\
} while (0)

static int create_args(void)
{
	mmr_region *r = (void *)1;
	NOLEAK_BEGIN;

	FAILS(mmr_region_create(&r, 0, 0), EINVAL);
	CHECK(r == NULL);
	FAILS(mmr_region_create(&r, SIZE_MAX, 0), EINVAL);
	FAILS(mmr_region_create(&r, SIZE_MAX - 4095, MMR_BACKEND_MEMFD), EINVAL);
	FAILS(mmr_region_create(&r, SIZE_MAX / 8 * 7, 0), EINVAL);	/* > any VA */
	FAILS(mmr_region_create(&r, 4096, 1u << 30), EINVAL);
	FAILS(mmr_region_create(&r, 4096, 15), EINVAL);	/* no such backend */
	FAILS(mmr_region_create(&r, 4096, MMR_HUGE_2MB | MMR_HUGE_1GB), EINVAL);
	FAILS(mmr_region_create(&r, 4096, MMR_HUGE | MMR_HUGE_2MB), EINVAL);
	FAILS(mmr_region_create(&r, 4096, MMR_THP | MMR_HUGE_2MB), EINVAL);
	FAILS(mmr_region_create(NULL, 4096, 0), EINVAL);
	NOLEAK_END;
	return T_PASS;
}

/* Every function taking a region copes with NULL. */
static int null_region(void)
{
	FAILS_NULL(mmr_view(NULL, 0, 4096, NULL, PROT_READ, 0), EINVAL);
	FAILS(mmr_unview(NULL, (void *)4096, 4096), EINVAL);
	FAILS(mmr_region_resize(NULL, 4096), EINVAL);
	FAILS(mmr_region_discard(NULL, 0, 4096), EINVAL);
	FAILS(mmr_region_fd(NULL), EINVAL);
	FAILS(mmr_probe(NULL), EINVAL);
	CHECK_EQ(mmr_region_size(NULL), 0);
	CHECK_EQ(mmr_region_page_size(NULL), 0);
	CHECK_EQ(mmr_region_backend(NULL), MMR_BACKEND_AUTO);
	CHECK_EQ(mmr_region_view_count(NULL), 0);
	mmr_region_destroy(NULL);
	return T_PASS;
}

static int view_args(void)
{
	size_t pg = t_page();
	mmr_region *r;

	CHECK_EQ(mmr_region_create(&r, 4 * pg, 0), 0);
	{
		NOLEAK_BEGIN;

		FAILS_NULL(mmr_view(r, 1, pg, NULL, PROT_READ, 0), EINVAL);
		FAILS_NULL(mmr_view(r, 0, pg + 1, NULL, PROT_READ, 0), EINVAL);
		FAILS_NULL(mmr_view(r, 0, 0, NULL, PROT_READ, 0), EINVAL);
		FAILS_NULL(mmr_view(r, 4 * pg, pg, NULL, PROT_READ, 0), EINVAL);
		FAILS_NULL(mmr_view(r, 2 * pg, 4 * pg, NULL, PROT_READ, 0), EINVAL);
		FAILS_NULL(mmr_view(r, SIZE_MAX - pg + 1, 2 * pg, NULL, PROT_READ, 0), EINVAL);
		FAILS_NULL(mmr_view(r, pg, SIZE_MAX - pg + 1, NULL, PROT_READ, 0), EINVAL);
		FAILS_NULL(mmr_view(r, 0, pg, NULL, 0x100, 0), EINVAL);	/* prot */
		FAILS_NULL(mmr_view(r, 0, pg, NULL, PROT_READ, 1u << 20), EINVAL);
		CHECK(strstr(mmr_last_error(), "unknown flags"));
		FAILS(mmr_unview(r, (void *)(uintptr_t)pg, pg), EINVAL);
		FAILS(mmr_region_discard(r, pg, 8 * pg), EINVAL);
		FAILS(mmr_region_discard(r, 1, pg), EINVAL);
		FAILS(mmr_region_resize(r, 0), EINVAL);
		FAILS(mmr_region_resize(r, SIZE_MAX), EINVAL);
		CHECK_EQ(mmr_region_view_count(r), 0);
		NOLEAK_END;
	}
	/* A view that exists must be unmapped with its exact range. */
	{
		void *v = mmr_view(r, 0, 2 * pg, NULL, PROT_READ, 0);

		CHECK(v);
		FAILS(mmr_unview(r, v, pg), EINVAL);
		FAILS(mmr_unview(r, (char *)v + pg, pg), EINVAL);
		CHECK(t_is_mapped(v, 2 * pg) == 1);
		CHECK_EQ(mmr_unview(r, v, 2 * pg), 0);
		FAILS(mmr_unview(r, v, 2 * pg), EINVAL);	/* twice */
	}
	mmr_region_destroy(r);
	return T_PASS;
}

static int wrong_backend_for_size(void)
{
	mmr_region *r;

	/* hugetlbfs without huge pages, posix with hugetlb pages. */
	FAILS(mmr_region_create(&r, 4096, MMR_BACKEND_HUGETLBFS), EINVAL);
	FAILS(mmr_region_create(&r, 2 << 20, MMR_BACKEND_POSIX | MMR_HUGE_2MB), EINVAL);
	CHECK(strstr(mmr_last_error(), "posix"));
	return T_PASS;
}

T_MAIN(T(create_args), T(null_region), T(view_args), T(wrong_backend_for_size))
