// SPDX-License-Identifier: MIT
/*
 * System call failures injected through src/syscall.c: each gives the
 * errno and a message that says what to do, leaks nothing, and EINTR is
 * retried.
 */
#include <sys/resource.h>

#include "helpers.h"
#include "syscall.h"

#define NOLEAK_BEGIN int fds = t_count_fds(), maps = t_count_maps()
#define NOLEAK_END do {							\
	CHECK_EQ(t_count_fds(), fds);					\
	CHECK_EQ(t_count_maps(), maps);					\
} while (0)

static int mmap_enomem(void)
{
	mmr_region *r;

	CHECK_EQ(mmr_region_create(&r, 4 * t_page(), MMR_BACKEND_MEMFD), 0);
	{
		NOLEAK_BEGIN;

		mmri_fault_inject(MMRI_SYS_MMAP, ENOMEM, 0, 1);
		CHECK(mmr_view(r, 0, 4 * t_page(), NULL, PROT_READ, 0) == NULL);
		CHECK_EQ(errno, ENOMEM);
		CHECK(strstr(mmr_last_error(), "max_map_count"));
		CHECK_EQ(mmr_region_view_count(r), 0);
		NOLEAK_END;
	}
	/* The next one works. */
	CHECK(mmr_view(r, 0, 4 * t_page(), NULL, PROT_READ, 0));
	mmr_region_destroy(r);
	return T_PASS;
}

/* A failure after the reservation of MMR_FIXED_NOREPLACE leaves no hole
 * and no reservation behind. */
static int noreplace_rollback(void)
{
	size_t pg = t_page();
	char *spot = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mmr_region *r;

	CHECK(spot != MAP_FAILED);
	CHECK_EQ(munmap(spot, pg), 0);
	CHECK_EQ(mmr_region_create(&r, pg, MMR_BACKEND_MEMFD), 0);
	mmri_fault_inject(MMRI_SYS_MMAP, EPERM, 1, 1);	/* after the reservation */
	CHECK(mmr_view(r, 0, pg, spot, PROT_READ, MMR_FIXED_NOREPLACE) == NULL);
	CHECK_EQ(errno, EPERM);
	CHECK(t_is_mapped(spot, pg) == 0);
	mmr_region_destroy(r);
	return T_PASS;
}

static int memfd_emfile(void)
{
	struct mmr_probe_report rep;
	mmr_region *r;

	CHECK_EQ(mmr_probe(&rep), 0);	/* the probe makes memfds too */
	NOLEAK_BEGIN;
	mmri_fault_inject(MMRI_SYS_MEMFD_CREATE, EMFILE, 0, 1);
	CHECK_EQ(mmr_region_create(&r, t_page(), MMR_BACKEND_MEMFD), -EMFILE);
	CHECK(strstr(mmr_last_error(), "ulimit -n"));
	NOLEAK_END;
	return T_PASS;
}

static int fallocate_enospc(void)
{
	struct mmr_probe_report rep;
	mmr_region *r;

	CHECK_EQ(mmr_probe(&rep), 0);
	NOLEAK_BEGIN;
	mmri_fault_inject(MMRI_SYS_FALLOCATE, ENOSPC, 0, 1);
	CHECK_EQ(mmr_region_create(&r, 4 * t_page(), MMR_BACKEND_MEMFD | MMR_POPULATE),
		 -ENOSPC);
	NOLEAK_END;
	return T_PASS;
}

static int ftruncate_errors(void)
{
	struct mmr_probe_report rep;
	mmr_region *r;

	CHECK_EQ(mmr_probe(&rep), 0);	/* the probe may ftruncate too */
	NOLEAK_BEGIN;
	mmri_fault_inject(MMRI_SYS_FTRUNCATE, EPERM, 0, 1);
	CHECK_EQ(mmr_region_create(&r, t_page(), MMR_BACKEND_MEMFD), -EPERM);
	CHECK(strstr(mmr_last_error(), "sealed"));
	mmri_fault_inject(MMRI_SYS_FTRUNCATE, EFBIG, 0, 1);
	CHECK_EQ(mmr_region_create(&r, t_page(), MMR_BACKEND_POSIX), -EFBIG);
	CHECK(strstr(mmr_last_error(), "size limit"));
	NOLEAK_END;
	/* A failed resize keeps the region as it was. */
	CHECK_EQ(mmr_region_create(&r, t_page(), MMR_BACKEND_MEMFD), 0);
	mmri_fault_inject(MMRI_SYS_FTRUNCATE, ENOSPC, 0, 1);
	CHECK_EQ(mmr_region_resize(r, 4 * t_page()), -ENOSPC);
	CHECK_EQ(mmr_region_size(r), t_page());
	mmr_region_destroy(r);
	return T_PASS;
}

static int eintr_retried(void)
{
	struct mmr_probe_report rep;
	unsigned long t0, f0;
	mmr_region *r;

	CHECK_EQ(mmr_probe(&rep), 0);	/* the probe may ftruncate too */
	t0 = mmri_sys_calls(MMRI_SYS_FTRUNCATE);
	f0 = mmri_sys_calls(MMRI_SYS_FALLOCATE);
	mmri_fault_inject(MMRI_SYS_FTRUNCATE, EINTR, 0, 1);
	mmri_fault_inject(MMRI_SYS_FALLOCATE, EINTR, 0, 1);
	CHECK_EQ(mmr_region_create(&r, t_page(), MMR_BACKEND_MEMFD | MMR_POPULATE), 0);
	CHECK_EQ(mmri_sys_calls(MMRI_SYS_FTRUNCATE) - t0, 2);
	CHECK_EQ(mmri_sys_calls(MMRI_SYS_FALLOCATE) - f0, 2);
	mmr_region_destroy(r);
	return T_PASS;
}

/* memfd forbidden (seccomp, vm.memfd_noexec): AUTO moves on, and says
 * nothing is wrong. */
static int auto_falls_back(void)
{
	mmr_region *r;
	struct mmr_probe_report rep;

	CHECK_EQ(mmr_probe(&rep), 0);
	if (rep.best != MMR_BACKEND_MEMFD)
		SKIP("AUTO does not pick memfd here (%s)", mmr_backend_name(rep.best));
	mmri_fault_inject(MMRI_SYS_MEMFD_CREATE, EPERM, 0, 0);
	CHECK_EQ(mmr_region_create(&r, t_page(), MMR_BACKEND_AUTO), 0);
	CHECK(mmr_region_backend(r) != MMR_BACKEND_MEMFD);
	mmr_region_destroy(r);
	/* Asked for explicitly, memfd reports the refusal. */
	CHECK_EQ(mmr_region_create(&r, t_page(), MMR_BACKEND_MEMFD), -EPERM);
	mmri_fault_clear();
	return T_PASS;
}

/* A size past RLIMIT_FSIZE is EFBIG, not a SIGXFSZ kill. */
static int rlimit_fsize(void)
{
	struct rlimit rl = { 1 << 20, RLIM_INFINITY };
	mmr_region *r;

	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &rl), 0);
	mmr_probe_reset();
	CHECK_EQ(mmr_region_create(&r, 4 << 20, MMR_BACKEND_MEMFD), -EFBIG);
	CHECK(strstr(mmr_last_error(), "RLIMIT_FSIZE"));
	CHECK_EQ(mmr_region_create(&r, 1 << 20, MMR_BACKEND_MEMFD), 0);
	CHECK_EQ(mmr_region_resize(r, 2 << 20), -EFBIG);
	mmr_region_destroy(r);
	return T_PASS;	/* and still alive */
}

T_MAIN(T(mmap_enomem), T(noreplace_rollback), T(memfd_emfile), T(fallocate_enospc),
       T(ftruncate_errors), T(eintr_retried), T(auto_falls_back), T(rlimit_fsize))
