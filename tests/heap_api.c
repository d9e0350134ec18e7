// SPDX-License-Identifier: MIT
/* mmr_heap: views alias, colors round-trip, commit/uncommit, bad input. */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>

#include "helpers.h"
#include "region.h"	/* mmri_region_create() */

#define MiB (1UL << 20)
/* 2^b64 bytes in 64-bit code, 2^b32 in 32-bit code (make check-32). */
#define BIG(b64, b32) ((size_t)1 << (sizeof(size_t) >= 8 ? (b64) : (b32)))

/* Bytes of memory the heap's memfd holds now. */
static long backing_bytes(mmr_heap *h)
{
	struct stat st;
	int fd = mmr_region_fd(mmr_heap_region(h));

	if (fd < 0 || fstat(fd, &st))
		return -1;
	return (long)st.st_blocks * 512;
}

static int every_view_aliases(void)
{
	for (unsigned n = 2; n <= 16; n++) {
		mmr_heap *h;
		size_t size = 4 * MiB;

		CHECK_EQ(mmr_heap_create(&h, size, n, 0), 0);
		CHECK_EQ(mmr_heap_views(h), n);
		CHECK(mmr_heap_size(h) >= size);
		CHECK_EQ(mmr_heap_commit(h, 0, size), 0);
		for (unsigned w = 0; w < n; w++) {
			volatile uint64_t *p = mmr_heap_base(h, w);

			p[w * 1000] = 0xabc0000 + w;
			p[size / 8 - 1 - w] = w;
			mmr_barrier();
			for (unsigned r = 0; r < n; r++) {
				volatile uint64_t *q = mmr_heap_base(h, r);

				CHECK_EQ(q[w * 1000], 0xabc0000 + w);
				CHECK_EQ(q[size / 8 - 1 - w], w);
			}
		}
		mmr_heap_destroy(h);
	}
	return T_PASS;
}

/* The trap from the header: a plain store and load through two colors
 * need mmr_barrier() at -O2; with it, the load sees the store. */
static int barrier_across_colors(void)
{
	mmr_heap *h;
	int *a, *b;

	CHECK_EQ(mmr_heap_create(&h, MiB, 3, 0), 0);
	CHECK_EQ(mmr_heap_commit(h, 0, MiB), 0);
	a = mmr_heap_base(h, 0);
	b = mmr_heap_color(h, a, 2);
	*b = 5;
	*a = 1;
	mmr_barrier();
	CHECK_EQ(*b, 1);
	mmr_heap_destroy(h);
	return T_PASS;
}

static int colors_round_trip(void)
{
	mmr_heap *h;
	uintptr_t mask;
	unsigned shift;

	CHECK_EQ(mmr_heap_create(&h, 3 * MiB + 5, 5, 0), 0);
	mask = mmr_heap_color_mask(h);
	shift = mmr_heap_color_shift(h);
	CHECK(shift >= 22);				/* >= size */
	CHECK_EQ(mask, (uintptr_t)7 << shift);		/* 5 views: 3 bits */
	for (unsigned v = 0; v < 5; v++) {
		char *b = mmr_heap_base(h, v);

		CHECK(b);
		CHECK_EQ((uintptr_t)b & ~mask, (uintptr_t)mmr_heap_base(h, 0));
		CHECK_EQ(mmr_heap_view_of(h, b), v);
		for (unsigned w = 0; w < 5; w++) {
			char *p = b + 12345 + w;
			char *c = mmr_heap_color(h, p, w);

			CHECK_EQ((uintptr_t)c, ((uintptr_t)p & ~mask) | ((uintptr_t)w << shift));
			CHECK_EQ(mmr_heap_view_of(h, c), w);
			CHECK(mmr_heap_color(h, c, v) == p);
		}
	}
	/* No view 5..7, nothing outside the slots. */
	errno = 0;
	CHECK(!mmr_heap_base(h, 5));
	CHECK_EQ(errno, EINVAL);
	CHECK(!mmr_heap_color(h, mmr_heap_base(h, 0), 5));
	CHECK_EQ(mmr_heap_view_of(h, (char *)mmr_heap_base(h, 0) + (5UL << shift)), UINT_MAX);
	CHECK_EQ(mmr_heap_view_of(h, &h), UINT_MAX);
	CHECK(!mmr_heap_color(h, &shift, 0));
	mmr_heap_destroy(h);
	return T_PASS;
}

static sigjmp_buf jb;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

/* 1 if reading @p faults. */
static int faults(const volatile char *p)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	int r = 0;

	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(jb, 1))
		r = 1;
	else
		(void)*p;
	sigaction(SIGSEGV, &old, NULL);
	return r;
}

static int commit_uncommit(void)
{
	size_t size = 64 * MiB, pg;
	mmr_heap *h;
	char *v0, *v1;

	if (t_under_valgrind())
		SKIP("it reads PROT_NONE memory on purpose, which valgrind reports");
	CHECK_EQ(mmr_heap_create(&h, size, 2, 0), 0);
	pg = mmr_heap_page_size(h);
	v0 = mmr_heap_base(h, 0);
	v1 = mmr_heap_base(h, 1);
	CHECK_EQ(mmr_heap_committed(h), 0);
	CHECK_EQ(backing_bytes(h), 0);
	CHECK(faults(v0));			/* uncommitted: PROT_NONE */
	CHECK(faults(v1 + size - 1));
	CHECK(faults(v1 + size));		/* slot tail past the end */

	CHECK_EQ(mmr_heap_commit(h, 16 * MiB, 32 * MiB), 0);
	CHECK_EQ(mmr_heap_committed(h), 32 * MiB);
	CHECK(backing_bytes(h) >= (long)(32 * MiB));	/* allocated at commit */
	memset(v0 + 16 * MiB, 0x5a, 32 * MiB);
	mmr_barrier();
	CHECK_EQ(v1[16 * MiB], 0x5a);
	CHECK_EQ(v1[48 * MiB - 1], 0x5a);
	CHECK(faults(v1 + 16 * MiB - 1));
	CHECK(faults(v0 + 48 * MiB));

	/* Overlapping commit keeps the data and counts once. */
	CHECK_EQ(mmr_heap_commit(h, 8 * MiB, 16 * MiB), 0);
	CHECK_EQ(mmr_heap_committed(h), 40 * MiB);
	CHECK_EQ(v1[8 * MiB], 0);
	CHECK_EQ(v1[16 * MiB], 0x5a);

	/* Uncommit the middle: gone from every view, memory given back. */
	CHECK_EQ(mmr_heap_uncommit(h, 20 * MiB, 8 * MiB), 0);
	CHECK_EQ(mmr_heap_committed(h), 32 * MiB);
	CHECK(backing_bytes(h) <= (long)(32 * MiB));
	CHECK(faults(v0 + 20 * MiB));
	CHECK(faults(v1 + 28 * MiB - 1));
	CHECK_EQ(v1[28 * MiB], 0x5a);
	CHECK_EQ(v0[20 * MiB - 1], 0x5a);

	/* Recommitted memory reads zeros through every view. */
	CHECK_EQ(mmr_heap_commit(h, 20 * MiB, pg), 0);
	CHECK_EQ(v1[20 * MiB], 0);
	CHECK_EQ(mmr_heap_committed(h), 32 * MiB + pg);

	CHECK_EQ(mmr_heap_uncommit(h, 0, size), 0);
	CHECK_EQ(mmr_heap_committed(h), 0);
	CHECK_EQ(backing_bytes(h), 0);
	CHECK_EQ(mmr_heap_uncommit(h, 0, size), 0);	/* idempotent */
	mmr_heap_destroy(h);
	return T_PASS;
}

/* Many small commits with holes: the bookkeeping stays exact. */
static int commit_pattern(void)
{
	size_t pg = t_page(), n = 256;
	unsigned char state[256] = { 0 };
	mmr_heap *h;
	unsigned seed = 7;

	CHECK_EQ(mmr_heap_create(&h, n * pg, 4, 0), 0);
	for (int i = 0; i < 3000; i++) {
		size_t a, b, want = 0;

		seed = seed * 1103515245 + 12345;
		a = (seed >> 8) % n;
		b = a + 1 + (seed >> 20) % 8;
		if (b > n)
			b = n;
		if (seed & 1)
			CHECK_EQ(mmr_heap_commit(h, a * pg, (b - a) * pg), 0);
		else
			CHECK_EQ(mmr_heap_uncommit(h, a * pg, (b - a) * pg), 0);
		for (size_t k = a; k < b; k++)
			state[k] = seed & 1;
		for (size_t k = 0; k < n; k++)
			want += state[k];
		CHECK_EQ(mmr_heap_committed(h), want * pg);
	}
	for (size_t k = 0; k < n; k++) {
		char *p = (char *)mmr_heap_base(h, (unsigned)k % 4) + k * pg;

		CHECK_EQ(faults(p), !state[k]);
	}
	mmr_heap_destroy(h);
	return T_PASS;
}

static int large_reservation_is_free(void)
{
	mmr_heap *h;
	size_t size = BIG(40, 26);	/* 1 TiB x 4 views of address space */
	int ret;

#if defined(__SANITIZE_THREAD__)
	SKIP("TSan's shadow memory takes the address space a 4 TiB heap needs");
#endif
	ret = mmr_heap_create(&h, size, 4, 0);
	if (ret && t_only_shared_maps())
		SKIP("under valgrind or a sanitizer: %s", mmr_last_error());
	CHECK_EQ(ret, 0);
	CHECK_EQ(mmr_heap_commit(h, size - 2 * MiB, 2 * MiB), 0);
	((volatile char *)mmr_heap_base(h, 3))[size - 1] = 1;
	mmr_barrier();
	CHECK_EQ(((volatile char *)mmr_heap_base(h, 0))[size - 1], 1);
	CHECK_EQ(mmr_heap_committed(h), 2 * MiB);
	mmr_heap_destroy(h);
	return T_PASS;
}

static int bad_input(void)
{
	int fds = t_count_fds(), maps = t_count_maps();
	mmr_heap *h = (mmr_heap *)&fds;
	unsigned bad_views[] = { 0, 1, 17, 1000 };

	for (size_t i = 0; i < sizeof(bad_views) / sizeof(bad_views[0]); i++) {
		CHECK_EQ(mmr_heap_create(&h, MiB, bad_views[i], 0), -EINVAL);
		CHECK(!h);
		CHECK(strstr(mmr_last_error(), "views"));
	}
	CHECK_EQ(mmr_heap_create(NULL, MiB, 2, 0), -EINVAL);
	CHECK_EQ(mmr_heap_create(&h, 0, 2, 0), -EINVAL);
	CHECK_EQ(mmr_heap_create(&h, SIZE_MAX, 2, 0), -EINVAL);
	CHECK_EQ(mmr_heap_create(&h, MiB, 2, 0x80000000u), -EINVAL);
	/* 2^44 with 16 views: 48 address bits. The message names the limit. */
	CHECK_EQ(mmr_heap_create(&h, BIG(44, 28), 16, 0), -EINVAL);
	CHECK(strstr(mmr_last_error(), "largest heap with 16 views"));
	CHECK_EQ(mmr_heap_create(&h, BIG(46, 30), 2, 0), -EINVAL);
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);

	CHECK_EQ(mmr_heap_create(&h, 4 * MiB, 2, 0), 0);
	CHECK_EQ(mmr_heap_commit(h, 1, t_page()), -EINVAL);
	CHECK_EQ(mmr_heap_commit(h, 0, t_page() + 1), -EINVAL);
	CHECK_EQ(mmr_heap_commit(h, 4 * MiB, t_page()), -EINVAL);
	CHECK_EQ(mmr_heap_commit(h, t_page(), 4 * MiB), -EINVAL);
	CHECK_EQ(mmr_heap_commit(h, SIZE_MAX - t_page() + 1, t_page()), -EINVAL);
	CHECK_EQ(mmr_heap_uncommit(h, 3, 0), -EINVAL);
	CHECK_EQ(mmr_heap_commit(NULL, 0, t_page()), -EINVAL);
	CHECK_EQ(mmr_heap_committed(h), 0);
	mmr_heap_destroy(h);
	mmr_heap_destroy(NULL);
	CHECK(!mmr_heap_base(NULL, 0));
	CHECK_EQ(mmr_heap_view_of(NULL, &h), UINT_MAX);
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	return T_PASS;
}

/* Create and destroy leave nothing behind, also after many commits. */
static int no_leaks(void)
{
	int fds = t_count_fds(), maps = t_count_maps();

	for (int i = 0; i < 50; i++) {
		mmr_heap *h;

		CHECK_EQ(mmr_heap_create(&h, 8 * MiB, 2 + i % 15, i & 1 ? MMR_POPULATE : 0), 0);
		for (size_t off = 0; off < 8 * MiB; off += 2 * MiB)
			CHECK_EQ(mmr_heap_commit(h, off, MiB), 0);
		mmr_heap_destroy(h);
	}
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	return T_PASS;
}

static int huge_pages(void)
{
	long old = t_hugepages_reserve(8);
	size_t size = 16 * MiB;
	mmr_heap *h;
	int ret;

	if (old < 0) {
		char why[sizeof(t_msg)];

		memcpy(why, t_msg, sizeof(why));
		SKIP("%s", why);
	}
	ret = mmr_heap_create(&h, size, 3, MMR_HUGE_2MB);
	if (ret) {
		t_hugepages_restore(old);
		SKIP("no 2 MiB hugetlb heap here: %s", mmr_last_error());
	}
	CHECK_EQ(mmr_heap_page_size(h), 2 * MiB);
	CHECK_EQ(mmr_heap_committed(h), 0);
	CHECK_EQ(backing_bytes(h), 0);
	CHECK_EQ(mmr_heap_commit(h, 0, MiB), -EINVAL);	/* huge page granules */
	CHECK_EQ(mmr_heap_commit(h, 2 * MiB, 4 * MiB), 0);
	CHECK_EQ(backing_bytes(h), (long)(4 * MiB));
	((volatile char *)mmr_heap_base(h, 2))[2 * MiB + 7] = 9;
	mmr_barrier();
	CHECK_EQ(((volatile char *)mmr_heap_base(h, 0))[2 * MiB + 7], 9);
	CHECK_EQ(mmr_heap_uncommit(h, 2 * MiB, 4 * MiB), 0);
	CHECK_EQ(backing_bytes(h), 0);
	mmr_heap_destroy(h);
	t_hugepages_restore(old);
	return T_PASS;
}

/* MMR_BACKEND=sysv is honoured by the heap as by every region: commit
 * allocates through the region, uncommit gives the memory back. */
static int env_backend_sysv(void)
{
	size_t pg = t_page();
	volatile char *a, *b;
	mmr_heap *h;

	setenv("MMR_BACKEND", "sysv", 1);
	CHECK_EQ(mmr_heap_create(&h, 4 * MiB, 3, 0), 0);
	unsetenv("MMR_BACKEND");
	CHECK_EQ(mmr_region_backend(mmr_heap_region(h)), MMR_BACKEND_SYSV);
	CHECK_EQ(mmr_heap_commit(h, pg, 2 * pg), 0);
	a = mmr_heap_base(h, 0);
	b = mmr_heap_base(h, 2);
	a[pg + 7] = 'h';
	mmr_barrier();
	CHECK_EQ(b[pg + 7], 'h');
	CHECK_EQ(mmr_heap_uncommit(h, pg, pg), 0);
	CHECK_EQ(mmr_heap_commit(h, pg, pg), 0);
	CHECK_EQ(b[pg + 7], 0);		/* given back: zeros */
	CHECK_EQ(mmr_heap_committed(h), 2 * pg);
	mmr_heap_destroy(h);
	return T_PASS;
}

/* A caller that needs an fd gets a clear error from an fd-less backend. */
static int need_fd_refused(void)
{
	struct mmri_region_need need = {
		.who = "test", .size = t_page(), .need_fd = true,
	};
	mmr_region *r;

	setenv("MMR_BACKEND", "sysv", 1);
	CHECK_EQ(mmri_region_create(&r, &need), -EOPNOTSUPP);
	unsetenv("MMR_BACKEND");
	CHECK(strstr(mmr_last_error(), "sysv backend (MMR_BACKEND) has no file descriptor"));
	need.flags = MMR_BACKEND_MREMAP;
	CHECK_EQ(mmri_region_create(&r, &need), -EOPNOTSUPP);
	need.flags = MMR_BACKEND_AUTO;
	CHECK_EQ(mmri_region_create(&r, &need), 0);
	CHECK(mmr_region_fd(r) >= 0);
	mmr_region_destroy(r);
	return T_PASS;
}

T_MAIN(T(every_view_aliases), T(barrier_across_colors), T(colors_round_trip),
       T(commit_uncommit), T(commit_pattern), T(large_reservation_is_free),
       T(bad_input), T(no_leaks), T(huge_pages), T(env_backend_sysv),
       T(need_fd_refused))
