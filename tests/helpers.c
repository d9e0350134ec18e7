// SPDX-License-Identifier: MIT
/* The shared test helpers of helpers.h, compiled once and linked into every
 * test program. */
#include <time.h>
#include <sys/mount.h>

#include "helpers.h"

char t_msg[512];

/* Number of open file descriptors of this process. */
int t_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* Under ASan, TSan or valgrind the tool's own allocator maps and splits
 * private memory at will: then only shared mappings can be compared. */
int t_only_shared_maps(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return 1;
#else
	const char *pre = getenv("LD_PRELOAD");

	return pre && strstr(pre, "vgpreload");
#endif
}

int t_count_maps_of(int only_shared)
{
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0;
	char line[4096], perms[8];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f))
			continue;	/* a long path: count its line once */
		if (sscanf(line, "%*s %7s", perms) == 1 &&
		    (!only_shared || perms[3] == 's'))
			n++;
	}
	fclose(f);
	return n;
}

/* Running under valgrind, which emulates mremap, shmat and address space. */
int t_under_valgrind(void)
{
	const char *pre = getenv("LD_PRELOAD");

	return pre && strstr(pre, "vgpreload");
}

/* Number of mappings in /proc/self/maps (shared ones only under a tool). */
int t_count_maps(void)
{
	return t_count_maps_of(t_only_shared_maps());
}

/* Number of shared mappings: what a leaked view would add to. */
int t_count_shared_maps(void)
{
	return t_count_maps_of(1);
}

/* Is [addr, addr+len) covered by mappings in /proc/self/maps? */
int t_is_mapped(const void *addr, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long s, e, a = (unsigned long)addr, end = a + len;
	char line[512];
	int found = 0;

	if (!f)
		return -1;
	while (a < end && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &s, &e) != 2)
			continue;
		if (s <= a && a < e)
			a = e;
	}
	found = a >= end;
	fclose(f);
	return found;
}

/* Pass @fd over a UNIX socket (SCM_RIGHTS). */
int t_send_fd(int sock, int fd)
{
	char byte = 'f', buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *c;

	memset(buf, 0, sizeof(buf));	/* the padding goes to the kernel too */
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Receive an fd sent by t_send_fd(), close-on-exec; -1 on failure. */
int t_recv_fd(int sock)
{
	char byte, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* Move this process into a mount namespace of its own, so that it may mount
 * and unmount without touching the system; 0, or -1 with a reason in t_msg. */
int t_private_mounts(void)
{
	if (unshare(CLONE_NEWNS) || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL)) {
		snprintf(t_msg, sizeof(t_msg), "needs a mount namespace of its own "
			 "(root, CAP_SYS_ADMIN): %s", strerror(errno));
		return -1;
	}
	return 0;
}

size_t t_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Reserve n 2 MiB huge pages (root only); returns the old value to give
 * back with t_hugepages_restore(), or -1 with a reason in t_msg. */
long t_hugepages_reserve(long want_free)
{
	const char *nr = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
	const char *fr = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages";
	long old = -1, free_now = 0;
	FILE *f;

	f = fopen(nr, "re");
	if (!f || fscanf(f, "%ld", &old) != 1) {
		if (f)
			fclose(f);
		snprintf(t_msg, sizeof(t_msg), "no 2 MiB hugetlb support");
		return -1;
	}
	fclose(f);
	f = fopen(fr, "re");
	if (f) {
		if (fscanf(f, "%ld", &free_now) != 1)
			free_now = 0;
		fclose(f);
	}
	if (free_now >= want_free)
		return old;
	f = fopen(nr, "we");
	if (!f) {
		snprintf(t_msg, sizeof(t_msg),
			 "cannot reserve huge pages (%s): run as root", strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", old + (want_free - free_now));
	if (fclose(f)) {
		snprintf(t_msg, sizeof(t_msg), "writing nr_hugepages: %s", strerror(errno));
		return -1;
	}
	f = fopen(fr, "re");
	if (!f || fscanf(f, "%ld", &free_now) != 1 || free_now < want_free) {
		if (f)
			fclose(f);
		snprintf(t_msg, sizeof(t_msg),
			 "kernel gave only %ld free 2 MiB pages (memory fragmented?)", free_now);
		f = fopen(nr, "we");
		if (f) {
			fprintf(f, "%ld\n", old);
			fclose(f);
		}
		return -1;
	}
	fclose(f);
	return old;
}

void t_hugepages_restore(long old)
{
	FILE *f;

	if (old < 0)
		return;
	f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "we");
	if (f) {
		fprintf(f, "%ld\n", old);
		fclose(f);
	}
}

/* Run every case in a child process; print one line per case. */
int t_run(const char *prog, const struct t_case *cases, size_t n)
{
	const char *only = getenv("MMR_TEST_ONLY");
	/* MMR_TEST_TIMES=1: a TIME line per case (what makes a slow run slow). */
	int times = getenv("MMR_TEST_TIMES") != NULL;
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < n; i++) {
		int pipefd[2], status = 0;
		char why[sizeof(t_msg)] = "";
		ssize_t got = 0;
		struct timespec t0, t1;
		pid_t pid;

		if (only && !strstr(cases[i].name, only))
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (pipe(pipefd))
			return 1;
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			int r;

			close(pipefd[0]);
			alarm(300);
			t_msg[0] = 0;
			r = cases[i].fn();
			if (write(pipefd[1], t_msg, strlen(t_msg)) < 0)
				_exit(2);
			fflush(NULL);
			_exit(r);
		}
		close(pipefd[1]);
		for (;;) {
			ssize_t k = read(pipefd[0], why + got, sizeof(why) - 1 - got);

			if (k <= 0)
				break;
			got += k;
		}
		why[got] = 0;
		close(pipefd[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == T_PASS) {
			printf("PASS %s/%s\n", prog, cases[i].name);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == T_SKIP) {
			printf("SKIP %s/%s: %s\n", prog, cases[i].name, why);
		} else {
			failed = 1;
			if (WIFSIGNALED(status))
				printf("FAIL %s/%s: killed by signal %d (%s)\n", prog,
				       cases[i].name, WTERMSIG(status),
				       strsignal(WTERMSIG(status)));
			else
				printf("FAIL %s/%s: %s\n", prog, cases[i].name,
				       why[0] ? why : "exited with an error");
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (times)
			printf("TIME %s/%s %.2fs\n", prog, cases[i].name,
			       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	return failed;
}

