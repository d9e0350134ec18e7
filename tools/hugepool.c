// SPDX-License-Identifier: MIT
/* Borrowed huge page pools, given back on exit and on signals (hugepool.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hugepool.h"

/* Everything the signal handler reads is set before it can run. */
static volatile sig_atomic_t borrowed;
static char pool_path[256];
static long pool_before, pool_set;

static const int give_back_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSIGNALS (sizeof(give_back_signals) / sizeof(give_back_signals[0]))

long hugepool_read(const char *path)
{
	char buf[32];
	ssize_t n;
	long v = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (buf[i] - '0');
	return v;
}

/* Async-signal-safe: no stdio. */
static int write_value(const char *path, long v)
{
	char buf[32], *p = buf + sizeof(buf);
	int fd, err = 0;
	size_t len;

	*--p = '\n';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v && p > buf);
	len = (size_t)(buf + sizeof(buf) - p);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, p, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

int hugepool_give_back(void)
{
	if (!borrowed)
		return 0;
	borrowed = 0;
	if (hugepool_read(pool_path) != pool_set)
		return 1;
	return write_value(pool_path, pool_before);
}

static void on_signal(int sig)
{
	int saved = errno;

	hugepool_give_back();
	errno = saved;
	signal(sig, SIG_DFL);
	raise(sig);	/* die of it, as without us */
}

int hugepool_borrow(const char *path, long total, long *before, long *now)
{
	struct sigaction sa;
	sigset_t block, old;
	long was = hugepool_read(path), got;
	int ret;

	if (borrowed)
		return -EBUSY;
	if (was < 0)
		return -ENOENT;
	if (strlen(path) >= sizeof(pool_path))
		return -ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&block);
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaddset(&block, give_back_signals[i]);
	sa.sa_mask = block;
	/* No signal between the write and knowing what to give back. */
	sigprocmask(SIG_BLOCK, &block, &old);
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaction(give_back_signals[i], &sa, NULL);
	ret = write_value(path, total);
	got = ret ? -1 : hugepool_read(path);
	if (got >= 0) {
		snprintf(pool_path, sizeof(pool_path), "%s", path);
		pool_before = was;
		pool_set = got;
		borrowed = 1;
	} else if (!ret) {
		ret = -EIO;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (before)
		*before = was;
	if (now)
		*now = got;
	return ret;
}
