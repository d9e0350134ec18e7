// SPDX-License-Identifier: MIT
/* Views: fixed placement, no-replace, partial ranges, protection. */
#include "helpers.h"

static const enum mmr_backend all[] = {
	MMR_BACKEND_MEMFD, MMR_BACKEND_MREMAP, MMR_BACKEND_SYSV,
	MMR_BACKEND_POSIX, MMR_BACKEND_NATIVE,
};

static int available(enum mmr_backend b)
{
	struct mmr_probe_report rep;

	return !mmr_probe(&rep) && rep.backend[b].available;
}

static int fixed_replaces(void)
{
	size_t pg = t_page();
	char *old = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile char *v;
	mmr_region *r;

	CHECK(old != MAP_FAILED);
	old[0] = 'o';
	CHECK_EQ(mmr_region_create(&r, 4 * pg, 0), 0);
	v = mmr_view(r, 0, 4 * pg, old, PROT_READ | PROT_WRITE, MMR_FIXED);
	CHECK(v == (volatile char *)old);
	CHECK_EQ(v[0], 0);		/* the region's page, not the old one */
	mmr_region_destroy(r);
	CHECK(t_is_mapped(old, pg) == 0);
	return T_PASS;
}

static int noreplace(void)
{
	size_t pg = t_page();
	char *busy = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int maps;
	char *v;
	mmr_region *r;

	CHECK(busy != MAP_FAILED);
	busy[pg] = 'k';
	CHECK_EQ(mmr_region_create(&r, 2 * pg, 0), 0);
	maps = t_count_maps();
	errno = 0;
	CHECK(mmr_view(r, 0, 2 * pg, busy, PROT_READ, MMR_FIXED_NOREPLACE) == NULL);
	CHECK_EQ(errno, EEXIST);
	CHECK(strstr(mmr_last_error(), "already mapped"));
	CHECK_EQ(busy[pg], 'k');	/* untouched */
	CHECK_EQ(t_count_maps(), maps);
	CHECK_EQ(mmr_region_view_count(r), 0);
	/* A free range works. */
	CHECK_EQ(munmap(busy, 2 * pg), 0);
	v = mmr_view(r, 0, 2 * pg, busy, PROT_READ, MMR_FIXED_NOREPLACE);
	CHECK(v == busy);
	mmr_region_destroy(r);
	return T_PASS;
}

static int fixed_bad(void)
{
	size_t pg = t_page();
	mmr_region *r;

	CHECK_EQ(mmr_region_create(&r, 2 * pg, 0), 0);
	CHECK(mmr_view(r, 0, pg, (char *)0x700000000001UL, PROT_READ, MMR_FIXED) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmr_view(r, 0, pg, NULL, PROT_READ, MMR_FIXED) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmr_view(r, 0, pg, (char *)0x700000000000UL, PROT_READ,
		       MMR_FIXED | MMR_FIXED_NOREPLACE) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(mmr_region_view_count(r), 0);
	mmr_region_destroy(r);
	return T_PASS;
}

/* Overlapping partial views of every backend see the same bytes. */
static int partial(void)
{
	size_t pg = t_page();

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		volatile char *whole, *mid, *tail;
		mmr_region *r;

		if (!available(all[i]))
			continue;
		CHECK_EQ(mmr_region_create(&r, 8 * pg, all[i]), 0);
		whole = mmr_view(r, 0, 8 * pg, NULL, PROT_READ | PROT_WRITE, 0);
		mid = mmr_view(r, 2 * pg, 4 * pg, NULL, PROT_READ | PROT_WRITE, 0);
		tail = mmr_view(r, 5 * pg, 3 * pg, NULL, PROT_READ, 0);
		CHECK(whole && mid && tail);
		mid[3 * pg + 7] = (char)(i + 1);	/* offset 5 pages + 7 */
		mmr_barrier();
		CHECK_EQ(whole[5 * pg + 7], (char)(i + 1));
		CHECK_EQ(tail[7], (char)(i + 1));
		CHECK_EQ(mmr_region_view_count(r), 3);
		CHECK_EQ(mmr_unview(r, (void *)mid, 4 * pg), 0);
		CHECK(t_is_mapped((void *)mid, pg) == 0);
		CHECK_EQ(mmr_region_view_count(r), 2);
		mmr_region_destroy(r);
	}
	return T_PASS;
}

/* A read-only view is read-only: a store kills the process. */
static int readonly(void)
{
	size_t pg = t_page();
	volatile char *ro;
	mmr_region *r;
	int status;
	pid_t pid;

	CHECK_EQ(mmr_region_create(&r, pg, 0), 0);
	ro = mmr_view(r, 0, pg, NULL, PROT_READ, 0);
	CHECK(ro);
	pid = fork();
	if (pid == 0) {
		ro[0] = 1;
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	mmr_region_destroy(r);
	return T_PASS;
}

T_MAIN(T(fixed_replaces), T(noreplace), T(fixed_bad), T(partial), T(readonly))
