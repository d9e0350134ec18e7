// SPDX-License-Identifier: MIT
/*
 * Borrowed huge pages (tools/hugepool.c, `mmr demo --borrow-huge-pages`):
 * given back at the end and when a signal ends the process, never over
 * someone else's change. A plain file stands in for nr_hugepages, so the
 * cases run anywhere; one case uses the real pool when root can.
 */
#include <fcntl.h>

#include "helpers.h"
#include "hugepool.h"

static char path[64];

static int make_pool(long v)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/mmr-hugepool-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	dprintf(fd, "%ld\n", v);
	close(fd);
	return 0;
}

static void set_pool(long v)
{
	FILE *f = fopen(path, "we");

	if (f) {
		fprintf(f, "%ld\n", v);
		fclose(f);
	}
}

static int given_back_at_the_end(void)
{
	long before, now;

	CHECK_EQ(make_pool(3), 0);
	CHECK_EQ(hugepool_borrow(path, 7, &before, &now), 0);
	CHECK_EQ(before, 3);
	CHECK_EQ(now, 7);
	CHECK_EQ(hugepool_read(path), 7);
	CHECK_EQ(hugepool_borrow(path, 9, NULL, NULL), -EBUSY);
	CHECK_EQ(hugepool_give_back(), 0);
	CHECK_EQ(hugepool_read(path), 3);
	CHECK_EQ(hugepool_give_back(), 0);	/* nothing borrowed: nothing done */
	CHECK_EQ(hugepool_read(path), 3);
	unlink(path);
	return T_PASS;
}

/* An administrator wrote the file meanwhile: theirs stays. */
static int admin_change_wins(void)
{
	CHECK_EQ(make_pool(0), 0);
	CHECK_EQ(hugepool_borrow(path, 4, NULL, NULL), 0);
	set_pool(64);
	CHECK_EQ(hugepool_give_back(), 1);
	CHECK_EQ(hugepool_read(path), 64);
	unlink(path);
	return T_PASS;
}

/* Ctrl-C, kill, a closed terminal: given back, and the process still dies
 * of the signal. */
static int given_back_on_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int status;
		pid_t pid;

		CHECK_EQ(make_pool(2), 0);
		pid = fork();
		if (pid == 0) {
			if (hugepool_borrow(path, 6, NULL, NULL))
				_exit(1);
			raise(sigs[i]);
			_exit(2);	/* not reached */
		}
		CHECK(pid > 0);
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sigs[i]);
		CHECK_EQ(hugepool_read(path), 2);
		unlink(path);
	}
	return T_PASS;
}

/* A signal after someone else's change leaves theirs too. */
static int signal_respects_admin_change(void)
{
	int p[2], status;
	pid_t pid;
	char c;

	CHECK_EQ(make_pool(1), 0);
	CHECK_EQ(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (hugepool_borrow(path, 5, NULL, NULL) || write(p[1], "b", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	CHECK_EQ(read(p[0], &c, 1), 1);
	close(p[0]);
	CHECK_EQ(hugepool_read(path), 5);
	set_pool(32);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CHECK_EQ(hugepool_read(path), 32);
	unlink(path);
	return T_PASS;
}

/* The real 2 MiB pool, as mmr demo uses it (root only). */
static int real_pool(void)
{
	const char *nr = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
	long before, now, after;
	int ret;

	if (geteuid() != 0)
		SKIP("not root: the pool cannot be raised");
	if (hugepool_read(nr) < 0)
		SKIP("no 2 MiB huge pages here");
	ret = hugepool_borrow(nr, hugepool_read(nr) + 1, &before, &now);
	if (ret)
		SKIP("cannot raise %s: %s", nr, strerror(-ret));
	CHECK_EQ(hugepool_give_back(), 0);
	after = hugepool_read(nr);
	CHECK_EQ(after, before);
	return T_PASS;
}

T_MAIN(T(given_back_at_the_end), T(admin_change_wins), T(given_back_on_signals),
       T(signal_respects_admin_change), T(real_pool))
