// SPDX-License-Identifier: MIT
/* Sharing a region with another process: by fork, and by its fd. */
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "helpers.h"

static int by_fork(void)
{
	volatile char *v;
	mmr_region *r;
	int status;
	pid_t pid;

	CHECK_EQ(mmr_region_create(&r, t_page(), 0), 0);
	v = mmr_view(r, 0, t_page(), NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(v);
	pid = fork();
	if (pid == 0) {
		v[10] = 'c';	/* views stay shared in the child */
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(v[10], 'c');
	mmr_region_destroy(r);
	return T_PASS;
}

/* The child has nothing of the parent's region but the fd it receives. */
static int child(int sock)
{
	mmr_region *r;
	char *v;
	int fd = t_recv_fd(sock);

	if (fd < 0 || mmr_region_open_fd(&r, fd, 0))
		return 1;
	close(fd);
	v = mmr_view(r, 0, mmr_region_size(r), NULL, PROT_READ | PROT_WRITE, 0);
	if (!v || v[0] != 'p')
		return 2;
	v[mmr_region_size(r) - 1] = 'k';
	mmr_region_destroy(r);
	return 0;
}

static int by_fd(enum mmr_backend b)
{
	struct mmr_probe_report rep;
	volatile char *v;
	int sv[2], status;
	mmr_region *r;
	pid_t pid;

	CHECK_EQ(mmr_probe(&rep), 0);
	if (!rep.backend[b].available)
		SKIP("%s backend unavailable", mmr_backend_name(b));
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(child(sv[1]));
	}
	close(sv[1]);
	CHECK_EQ(mmr_region_create(&r, 4 * t_page(), b), 0);	/* after fork */
	v = mmr_view(r, 0, 4 * t_page(), NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(v);
	v[0] = 'p';
	CHECK(mmr_region_fd(r) >= 0);
	CHECK_EQ(t_send_fd(sv[0], mmr_region_fd(r)), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_EQ(v[4 * t_page() - 1], 'k');
	close(sv[0]);
	mmr_region_destroy(r);
	return T_PASS;
}

static int fd_memfd(void) { return by_fd(MMR_BACKEND_MEMFD); }
static int fd_posix(void) { return by_fd(MMR_BACKEND_POSIX); }
static int fd_native(void) { return by_fd(MMR_BACKEND_NATIVE); }

static int open_fd_refuses(void)
{
	int fds = t_count_fds(), pipefd[2], fd;
	mmr_region *r = (void *)1;
	char path[] = "/tmp/memmirror-regular-XXXXXX";

	CHECK_EQ(mmr_region_open_fd(&r, -1, 0), -EBADF);
	CHECK(r == NULL);
	CHECK_EQ(pipe(pipefd), 0);
	CHECK_EQ(mmr_region_open_fd(&r, pipefd[0], 0), -EINVAL);
	CHECK(strstr(mmr_last_error(), "not a shared memory object"));
	close(pipefd[0]);
	close(pipefd[1]);
	fd = open("/proc/self/status", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(mmr_region_open_fd(&r, fd, 0), -EINVAL);
	close(fd);
	fd = mkstemp(path);
	if (fd >= 0) {
		unlink(path);
		CHECK_EQ(ftruncate(fd, 4096), 0);
		/* /tmp may be tmpfs (then it is shared memory) or a disk. */
		if (mmr_region_open_fd(&r, fd, 0) == 0)
			mmr_region_destroy(r);
		close(fd);
	}
	CHECK_EQ(mmr_region_open_fd(&r, 0, 1u << 20), -EINVAL);	/* flags */
	CHECK_EQ(mmr_region_open_fd(NULL, 0, 0), -EINVAL);
	CHECK_EQ(t_count_fds(), fds);
	return T_PASS;
}

static int mremap_has_no_fd(void)
{
	mmr_region *r;

	CHECK_EQ(mmr_region_create(&r, t_page(), MMR_BACKEND_MREMAP), 0);
	CHECK_EQ(mmr_region_fd(r), -EOPNOTSUPP);
	CHECK(strstr(mmr_last_error(), "memfd"));
	mmr_region_destroy(r);
	return T_PASS;
}

T_MAIN(T(by_fork), T(fd_memfd), T(fd_posix), T(fd_native), T(open_fd_refuses),
       T(mremap_has_no_fd))
