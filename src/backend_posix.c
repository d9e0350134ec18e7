// SPDX-License-Identifier: MIT
/* POSIX shared memory: shm_open(3) under /dev/shm, unlinked at once. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "region.h"
#include "error.h"
#include "fd_backend.h"
#include "syscall.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/*
 * A /dev/shm that is not a tmpfs puts the "shared memory" on disk, and the
 * library's own *_open_fd() would then refuse its fds: refuse it here.
 * Returns 0 or -EOPNOTSUPP (or the fstatfs error); closes nothing.
 */
static int check_tmpfs(int fd)
{
	struct statfs sfs;
	int ret = mmri_fstatfs(fd, &sfs);

	if (ret)
		return ret;
	return (unsigned long)sfs.f_type == TMPFS_MAGIC ? 0 : -EOPNOTSUPP;
}

#define NOT_TMPFS "/dev/shm is not a tmpfs (the objects would be files on disk): " \
	"mount -t tmpfs tmpfs /dev/shm"

static int open_unlinked(char *name, size_t len)
{
	static atomic_uint counter;
	struct timespec ts;
	int fd = -EEXIST;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (int tries = 0; tries < 16 && fd == -EEXIST; tries++) {
		snprintf(name, len, "/memmirror-%d-%lx-%u", (int)getpid(),
			 (unsigned long)ts.tv_nsec, atomic_fetch_add(&counter, 1));
		fd = mmri_shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd >= 0)
		mmri_shm_unlink(name);
	return fd;
}

static void posix_probe(struct mmr_backend_status *st,
			 const struct mmr_probe_report *rep)
{
	(void)rep;
	char name[64];
	int fd = open_unlinked(name, sizeof(name));

	if (fd < 0) {
		st->error = -fd;
		snprintf(st->why, sizeof(st->why), "shm_open in /dev/shm failed (%d): "
			 "is a tmpfs mounted on /dev/shm and writable?", -fd);
		return;
	}
	st->error = -check_tmpfs(fd);
	mmri_close(fd);
	if (st->error) {
		snprintf(st->why, sizeof(st->why), st->error == EOPNOTSUPP ? NOT_TMPFS :
			 "fstatfs of a /dev/shm object failed (%d)", st->error);
		return;
	}
	st->available = 1;
}

static int posix_create(struct mmr_region *r)
{
	char name[64];
	int fd, ret;

	if (r->hugetlb)
		return mmri_err(EINVAL, "POSIX shm has no hugetlb pages: use the memfd or "
				"hugetlbfs backend (or MMR_THP)");
	fd = open_unlinked(name, sizeof(name));
	if (fd < 0)
		return mmri_err(fd, "shm_open(%s) failed%s", name, fd == -EMFILE ?
				": too many open files, raise ulimit -n" :
				": is a writable tmpfs mounted on /dev/shm?");
	ret = check_tmpfs(fd);
	if (ret) {
		mmri_close(fd);
		return ret == -EOPNOTSUPP ? mmri_err(ret, NOT_TMPFS) :
			mmri_err(ret, "fstatfs of the new /dev/shm object failed");
	}
	return mmri_fd_adopt(r, fd);
}

const struct mmri_backend_ops mmri_posix_ops = {
	.id = MMR_BACKEND_POSIX,
	.name = "posix",
	.pages = MMRI_PAGES_BASE,
	.has_fd = true,
	.probe = posix_probe,
	.create = posix_create,
	.map = mmri_fd_map,
	.resize = mmri_fd_resize,
	.commit = mmri_fd_commit,
	.discard = mmri_fd_discard,
	.destroy = mmri_fd_destroy,
};
