// SPDX-License-Identifier: MIT
/* An unlinked file on a mounted hugetlbfs (found through /proc/mounts). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "region.h"
#include "error.h"
#include "fd_backend.h"
#include "util.h"
#include "syscall.h"

/* Create a fresh file in directory @path and unlink it at once. */
static int open_unlinked(char *path, size_t len)
{
	static atomic_uint counter;
	size_t dirlen = strlen(path);
	struct timespec ts;
	int fd = -EEXIST;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (int tries = 0; tries < 16 && fd == -EEXIST; tries++) {
		snprintf(path + dirlen, len - dirlen, "/memmirror-%d-%lx-%u",
			 (int)getpid(), (unsigned long)ts.tv_nsec,
			 atomic_fetch_add(&counter, 1));
		fd = mmri_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd >= 0)
		mmri_unlink(path);
	path[dirlen] = 0;
	return fd;
}

static void hugetlbfs_probe(struct mmr_backend_status *st,
			 const struct mmr_probe_report *rep)
{
	(void)rep;
	char dir[PATH_MAX];
	int r = mmri_hugetlbfs_mount(0, dir, sizeof(dir));

	if (r) {
		st->error = -r;
		snprintf(st->why, sizeof(st->why), r == -EACCES ?
			 "hugetlbfs is mounted but not writable by this user" :
			 "no hugetlbfs mounted: mount -t hugetlbfs none /dev/hugepages");
		return;
	}
	st->available = 1;
}

static int hugetlbfs_create(struct mmr_region *r)
{
	char path[PATH_MAX];
	int fd, ret;

	if (!r->hugetlb)
		return mmri_err(EINVAL, "the hugetlbfs backend needs huge pages: add "
				"MMR_HUGE, MMR_HUGE_2MB or MMR_HUGE_1GB");
	ret = mmri_hugetlbfs_mount(r->page_size, path, sizeof(path) - 24);
	if (ret)
		return mmri_err(ret, "no writable hugetlbfs mount with %zu KiB pages: "
				"mount -t hugetlbfs -o pagesize=%zuK none /dev/hugepages",
				r->page_size >> 10, r->page_size >> 10);
	fd = open_unlinked(path, sizeof(path));
	if (fd < 0)
		return mmri_err(fd, "creating a file in hugetlbfs mount %s failed", path);
	return mmri_fd_adopt(r, fd);
}

const struct mmri_backend_ops mmri_hugetlbfs_ops = {
	.id = MMR_BACKEND_HUGETLBFS,
	.name = "hugetlbfs",
	.pages = MMRI_PAGES_HUGETLB,
	.has_fd = true,
	.probe = hugetlbfs_probe,
	.create = hugetlbfs_create,
	.map = mmri_fd_map,
	.resize = mmri_fd_resize,
	.commit = mmri_fd_commit,
	.discard = mmri_fd_discard,
	.destroy = mmri_fd_destroy,
};
