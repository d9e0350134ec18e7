/* SPDX-License-Identifier: MIT */
/*
 * Shared test helpers: a tiny harness that runs each test case in a forked
 * child (a crash fails one case, not the program), plus leak counters.
 *
 * A test case returns T_PASS, T_FAIL or T_SKIP; CHECK() fails it with the
 * file, line and mmr_last_error(). Output lines, parsed by tests/run.sh:
 *   PASS <program>/<case>
 *   FAIL <program>/<case>: <why>
 *   SKIP <program>/<case>: <reason>
 * Exit status: 0 all passed (or skipped), 1 something failed.
 */
#ifndef MMR_TEST_HELPERS_H
#define MMR_TEST_HELPERS_H

#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memmirror.h"

enum { T_PASS = 0, T_FAIL = 1, T_SKIP = 77 };

/* Why the running case failed or was skipped (set by CHECK and SKIP). */
extern char t_msg[512];

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		snprintf(t_msg, sizeof(t_msg), "%s:%d: CHECK(%s) failed"	\
			 " (errno %d; last error: %s)", __FILE__, __LINE__,	\
			 #cond, errno, mmr_last_error());		\
		return T_FAIL;						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		snprintf(t_msg, sizeof(t_msg), "%s:%d: %s == %lld, expected"	\
			 " %s == %lld (last error: %s)", __FILE__, __LINE__,	\
			 #a, _a, #b, _b, mmr_last_error());		\
		return T_FAIL;						\
	}								\
} while (0)

#define SKIP(...) do {							\
	snprintf(t_msg, sizeof(t_msg), __VA_ARGS__);			\
	return T_SKIP;							\
} while (0)

typedef int (*t_fn)(void);
struct t_case { const char *name; t_fn fn; };
#define T(fn) { #fn, fn }

/* Number of open file descriptors of this process. */
int t_count_fds(void);

/* Under ASan, TSan or valgrind the tool's own allocator maps and splits
 * private memory at will: then only shared mappings can be compared. */
int t_only_shared_maps(void);

int t_count_maps_of(int only_shared);

/* Running under valgrind, which emulates mremap, shmat and address space. */
int t_under_valgrind(void);

/* Number of mappings in /proc/self/maps (shared ones only under a tool). */
int t_count_maps(void);

/* Number of shared mappings: what a leaked view would add to. */
int t_count_shared_maps(void);

/* Is [addr, addr+len) covered by mappings in /proc/self/maps? */
int t_is_mapped(const void *addr, size_t len);

/* Pass @fd over a UNIX socket (SCM_RIGHTS). */
int t_send_fd(int sock, int fd);

/* Receive an fd sent by t_send_fd(), close-on-exec; -1 on failure. */
int t_recv_fd(int sock);

/* Move this process into a mount namespace of its own, so that it may mount
 * and unmount without touching the system; 0, or -1 with a reason in t_msg. */
int t_private_mounts(void);

size_t t_page(void);

/* Reserve n 2 MiB huge pages (root only); returns the old value to give
 * back with t_hugepages_restore(), or -1 with a reason in t_msg. */
long t_hugepages_reserve(long want_free);

void t_hugepages_restore(long old);

/* Run every case in a child process; print one line per case. */
int t_run(const char *prog, const struct t_case *cases, size_t n);

#define T_MAIN(...)							\
int main(int argc, char **argv)						\
{									\
	static const struct t_case cases[] = { __VA_ARGS__ };		\
	const char *p = strrchr(argv[0], '/');				\
	(void)argc;							\
	return t_run(p ? p + 1 : argv[0], cases,			\
		     sizeof(cases) / sizeof(cases[0]));			\
}

#endif /* MMR_TEST_HELPERS_H */
