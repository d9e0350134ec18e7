// SPDX-License-Identifier: MIT
/*
 * mmr_circbuf: N bytes mapped twice back to back on every backend, huge
 * pages where asked, zeros on every create (a reused buffer too), no
 * mapping or fd left after destroy and trim, bad input refused, a child
 * after fork() never handed its parent's pages, and threads creating and
 * destroying at once.
 */
#include <pthread.h>

#include "helpers.h"
#include "syscall.h"

#define KiB 1024UL
#define MiB (1024UL * 1024)

/* The two halves are the same bytes, both ways, and start zeroed. */
static int check_mirror(mmr_circbuf *cb)
{
	volatile unsigned char *p = mmr_circbuf_base(cb);
	size_t n = mmr_circbuf_size(cb), page = mmr_circbuf_page_size(cb);

	CHECK(p && n && page && n % page == 0);
	CHECK_EQ((uintptr_t)p % page, 0);
	CHECK(t_is_mapped((void *)p, 2 * n));
	for (size_t i = 0; i < n; i += 4096)
		CHECK_EQ(p[i] | p[n + i], 0);
	for (size_t i = 0; i < n; i += 4096) {
		p[i] = (unsigned char)(i >> 12 | 1);
		p[n + i + 7] = 0x5a;
	}
	mmr_barrier();
	for (size_t i = 0; i < n; i += 4096) {
		CHECK_EQ(p[n + i], (unsigned char)(i >> 12 | 1));
		CHECK_EQ(p[i + 7], 0x5a);
	}
	/* A span across the middle is contiguous: the point of it all. */
	memset((void *)(p + n - 100), 0x33, 200);
	mmr_barrier();
	CHECK_EQ(p[99], 0x33);
	CHECK_EQ(p[n + 99], 0x33);
	return T_PASS;
}

static int every_backend(void)
{
	int tried = 0;

	for (int b = 1; b < MMR_BACKEND_COUNT; b++) {
		mmr_circbuf *cb;
		int ret;

		if (b == MMR_BACKEND_MREMAP && t_under_valgrind())
			continue;	/* valgrind's mremap knows no old_size 0 */
		if (mmr_circbuf_create(&cb, 100 * KiB, (unsigned)b))
			continue;	/* not here (hugetlbfs needs MMR_HUGE*) */
		CHECK(mmr_circbuf_size(cb) >= 100 * KiB);
		ret = check_mirror(cb);
		mmr_circbuf_destroy(cb);
		if (ret)
			return ret;
		tried++;
	}
	mmr_circbuf_trim();
	CHECK(tried >= 2);
	return T_PASS;
}

/* Released and created again: the same address space, zeros again. */
static int reuse_reads_zeros(void)
{
	mmr_circbuf *a, *b;
	void *base;

	CHECK_EQ(mmr_circbuf_create(&a, 64 * KiB, MMR_BACKEND_MEMFD), 0);
	base = mmr_circbuf_base(a);
	memset(base, 0xee, 64 * KiB);
	mmr_circbuf_destroy(a);
	CHECK_EQ(mmr_circbuf_create(&b, 64 * KiB, MMR_BACKEND_MEMFD), 0);
	CHECK(mmr_circbuf_base(b) == base);	/* from the cache */
	CHECK_EQ(check_mirror(b), T_PASS);
	mmr_circbuf_destroy(b);
	/* A different size or flags never gets it. */
	CHECK_EQ(mmr_circbuf_create(&a, 64 * KiB, MMR_BACKEND_MEMFD), 0);
	CHECK_EQ(mmr_circbuf_create(&b, 128 * KiB, MMR_BACKEND_MEMFD), 0);
	CHECK_EQ(mmr_circbuf_size(b), 128 * KiB);
	mmr_circbuf_destroy(a);
	mmr_circbuf_destroy(b);
	mmr_circbuf_trim();
	return T_PASS;
}

/* Nothing is left once released buffers are trimmed. */
static int no_leaks(void)
{
	int maps = t_count_shared_maps(), fds = t_count_fds();
	mmr_circbuf *cb[20];

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 20; i++)
			CHECK_EQ(mmr_circbuf_create(&cb[i], (size_t)(i % 4 + 1) * 4096, 0), 0);
		for (int i = 0; i < 20; i++)
			mmr_circbuf_destroy(cb[i]);
	}
	CHECK(t_count_shared_maps() > maps);	/* some kept for reuse */
	mmr_circbuf_trim();
	CHECK_EQ(t_count_shared_maps(), maps);
	CHECK_EQ(t_count_fds(), fds);
	return T_PASS;
}

static int bad_input(void)
{
	int maps = t_count_shared_maps(), fds = t_count_fds();
	mmr_circbuf *cb = (mmr_circbuf *)1;

	CHECK_EQ(mmr_circbuf_create(NULL, 4096, 0), -EINVAL);
	CHECK_EQ(mmr_circbuf_create(&cb, 0, 0), -EINVAL);
	CHECK(cb == NULL);
	CHECK_EQ(mmr_circbuf_create(&cb, 4096, MMR_FIXED), -EINVAL);
	CHECK(strstr(mmr_last_error(), "mmr_circbuf_create"));
	CHECK_EQ(mmr_circbuf_create(&cb, (size_t)-1, 0), -EINVAL);
	CHECK_EQ(mmr_circbuf_create(&cb, 4096, MMR_BACKEND_COUNT), -EINVAL);
	CHECK_EQ(mmr_circbuf_create(&cb, 4096, MMR_HUGE_2MB | MMR_HUGE_1GB), -EINVAL);
	CHECK(!mmr_circbuf_base(NULL) && errno == EINVAL);
	CHECK_EQ(mmr_circbuf_size(NULL), 0);
	mmr_circbuf_destroy(NULL);
	CHECK_EQ(t_count_shared_maps(), maps);
	CHECK_EQ(t_count_fds(), fds);
	return T_PASS;
}

/* 2 MiB pages: the buffer and its halves aligned to them. */
static int huge_pages(void)
{
	mmr_circbuf *cb;
	long old;
	int ret;

	if (t_under_valgrind())
		SKIP("valgrind does not follow hugetlb mappings");
	old = t_hugepages_reserve(2);
	if (old < 0)
		return T_SKIP;
	ret = mmr_circbuf_create(&cb, 1 * MiB, MMR_HUGE_2MB);
	if (ret) {
		t_hugepages_restore(old);
		SKIP("no 2 MiB hugetlb pages: %s", mmr_last_error());
	}
	ret = mmr_circbuf_size(cb) == 2 * MiB && mmr_circbuf_page_size(cb) == 2 * MiB ?
	      check_mirror(cb) : T_FAIL;
	mmr_circbuf_destroy(cb);
	mmr_circbuf_trim();
	t_hugepages_restore(old);
	CHECK_EQ(ret, T_PASS);
	return T_PASS;
}

/* A child inherits the parent's released buffer but must not be handed
 * it: its pages would be the parent's. */
static int fork_gets_its_own(void)
{
	mmr_circbuf *cb;
	volatile unsigned char *p;
	int status, pipefd[2];
	pid_t pid;
	char c;

	CHECK_EQ(mmr_circbuf_create(&cb, 64 * KiB, MMR_BACKEND_MEMFD), 0);
	mmr_circbuf_destroy(cb);		/* kept for reuse, in the parent */
	CHECK_EQ(pipe(pipefd), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (mmr_circbuf_create(&cb, 64 * KiB, MMR_BACKEND_MEMFD))
			_exit(1);
		memset(mmr_circbuf_base(cb), 0x77, 64 * KiB);
		if (write(pipefd[1], "w", 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	CHECK_EQ(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(mmr_circbuf_create(&cb, 64 * KiB, MMR_BACKEND_MEMFD), 0);
	p = mmr_circbuf_base(cb);
	for (size_t i = 0; i < 64 * KiB; i += 512)
		CHECK_EQ(p[i], 0);
	mmr_circbuf_destroy(cb);
	mmr_circbuf_trim();
	return T_PASS;
}

static void *churn(void *arg)
{
	size_t size = (size_t)(uintptr_t)arg;

	for (int i = 0; i < 200; i++) {
		mmr_circbuf *cb;
		volatile unsigned char *p;

		if (mmr_circbuf_create(&cb, size, MMR_BACKEND_MEMFD))
			return (void *)1;
		p = mmr_circbuf_base(cb);
		p[size - 1] = (unsigned char)i;
		mmr_barrier();
		if (p[2 * size - 1] != (unsigned char)i || p[0] != 0)
			return (void *)1;
		mmr_circbuf_destroy(cb);
	}
	return NULL;
}

/* Threads creating and destroying at once: each gets a buffer of its
 * own, never one another thread holds. */
static int threads(void)
{
	pthread_t t[4];
	void *ret;
	int failed = 0;

	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, churn,
					(void *)(uintptr_t)((size_t)(i % 2 + 1) * 4096)), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &ret);
		failed |= ret != NULL;
	}
	mmr_circbuf_trim();
	CHECK(!failed);
	return T_PASS;
}

/* A failed reservation, first half or second half: an error that says
 * what failed, and no mapping or fd left. A failed hole punch on destroy:
 * the buffer is freed, not kept. */
static int faults(void)
{
	int maps, fds;
	mmr_circbuf *cb;

	mmr_circbuf_trim();
	CHECK_EQ(mmr_circbuf_create(&cb, 4096, MMR_BACKEND_MEMFD), 0);	/* warm */
	mmr_circbuf_destroy(cb);
	mmr_circbuf_trim();
	maps = t_count_maps();
	fds = t_count_fds();
	for (int skip = 0; skip < 3; skip++) {
		mmri_fault_inject(MMRI_SYS_MMAP, ENOMEM, skip, 1);
		CHECK_EQ(mmr_circbuf_create(&cb, 4096, MMR_BACKEND_MEMFD), -ENOMEM);
		CHECK(cb == NULL);
		CHECK(strstr(mmr_last_error(), skip ? "max_map_count" : "reserving"));
		CHECK_EQ(t_count_maps(), maps);
		CHECK_EQ(t_count_fds(), fds);
	}
	CHECK_EQ(mmr_circbuf_create(&cb, 4096, MMR_BACKEND_MEMFD), 0);
	mmri_fault_inject(MMRI_SYS_FALLOCATE, EIO, 0, 1);
	mmr_circbuf_destroy(cb);
	CHECK_EQ(t_count_maps(), maps);	/* not kept: it could not be emptied */
	CHECK_EQ(t_count_fds(), fds);
	return T_PASS;
}

T_MAIN(T(every_backend), T(reuse_reads_zeros), T(no_leaks), T(bad_input), T(huge_pages),
       T(fork_gets_its_own), T(threads), T(faults))
