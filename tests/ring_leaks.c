// SPDX-License-Identifier: MIT
/* No fd or mapping outlives a ring, whether it was made, attached or
 * failed half-way (faults injected at every mmap of the way). */
#include "helpers.h"
#include "syscall.h"

static int leaks_create_destroy(void)
{
	int fds = t_count_fds(), maps = t_count_maps();

	for (int i = 0; i < 500; i++) {
		mmr_ring *r;

		CHECK_EQ(mmr_ring_create(&r, (size_t)(i % 7 + 1) * 4096, MMR_POPULATE), 0);
		mmr_ring_destroy(r);
	}
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	return T_PASS;
}

static int leaks_open_fd(void)
{
	int fds, maps;
	mmr_ring *a;

	CHECK_EQ(mmr_ring_create(&a, 8192, 0), 0);
	fds = t_count_fds();
	maps = t_count_maps();
	for (int i = 0; i < 200; i++) {
		mmr_ring *b;

		CHECK_EQ(mmr_ring_open_fd(&b, mmr_ring_fd(a), 0), 0);
		mmr_ring_destroy(b);
	}
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	mmr_ring_destroy(a);
	return T_PASS;
}

/* Fail the n-th mmap of a create (reservation, views) for every n. */
static int leaks_failed_create(void)
{
	int fds, maps, failed = 0;
	mmr_ring *warm;

	/* The first create probes the system (with mmaps of its own). */
	CHECK_EQ(mmr_ring_create(&warm, 4096, 0), 0);
	mmr_ring_destroy(warm);
	fds = t_count_fds();
	maps = t_count_maps();

	for (unsigned skip = 0; skip < 8; skip++) {
		mmr_ring *r;
		int ret;

		mmri_fault_inject(MMRI_SYS_MMAP, ENOMEM, skip, 1);
		/* memfd: every view is an mmap (native mirrors with mremap). */
		ret = mmr_ring_create(&r, 4096, MMR_BACKEND_MEMFD);
		mmri_fault_clear();
		if (ret) {
			CHECK_EQ(ret, -ENOMEM);
			CHECK(r == NULL);
			failed++;
		} else {
			mmr_ring_destroy(r);
		}
		CHECK_EQ(t_count_fds(), fds);
		CHECK_EQ(t_count_maps(), maps);
	}
	CHECK(failed >= 3);	/* reservation and both views */
	return T_PASS;
}

static int leaks_failed_open(void)
{
	int fds, maps, failed = 0;
	mmr_ring *a;

	CHECK_EQ(mmr_ring_create(&a, 4096, 0), 0);
	fds = t_count_fds();
	maps = t_count_maps();
	for (unsigned skip = 0; skip < 6; skip++) {
		mmr_ring *b;
		int ret;

		mmri_fault_inject(MMRI_SYS_MMAP, ENOMEM, skip, 1);
		ret = mmr_ring_open_fd(&b, mmr_ring_fd(a), 0);
		mmri_fault_clear();
		if (ret)
			failed++;
		else
			mmr_ring_destroy(b);
		CHECK_EQ(t_count_fds(), fds);
		CHECK_EQ(t_count_maps(), maps);
	}
	CHECK(failed >= 4);	/* peek, reservation, both views */
	mmri_fault_inject(MMRI_SYS_FCNTL, EMFILE, 0, 1);
	{
		mmr_ring *b = NULL;

		CHECK(mmr_ring_open_fd(&b, mmr_ring_fd(a), 0) < 0);
		CHECK(b == NULL);
	}
	mmri_fault_clear();
	CHECK_EQ(t_count_fds(), fds);
	mmr_ring_destroy(a);
	return T_PASS;
}

T_MAIN(T(leaks_create_destroy), T(leaks_open_fd), T(leaks_failed_create),
       T(leaks_failed_open))
