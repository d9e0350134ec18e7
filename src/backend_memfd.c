// SPDX-License-Identifier: MIT
/* memfd_create(2): an anonymous file, hugetlb-backed with MFD_HUGETLB. */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "linux_compat.h"
#include "region.h"
#include "fd_backend.h"
#include "syscall.h"

static void memfd_probe(struct mmr_backend_status *st,
			 const struct mmr_probe_report *rep)
{
	(void)rep;
	int fd = mmri_memfd_create("memmirror-probe", MFD_CLOEXEC);

	if (fd < 0) {
		st->error = -fd;
		snprintf(st->why, sizeof(st->why), fd == -ENOSYS ?
			 "memfd_create is missing (kernel older than 3.17)" :
			 "memfd_create failed (%d): seccomp or vm.memfd_noexec may forbid it", -fd);
		return;
	}
	mmri_close(fd);
	st->available = 1;
}

static int memfd_create_region(struct mmr_region *r)
{
	return mmri_memfd_open(r, "memmirror");
}

const struct mmri_backend_ops mmri_memfd_ops = {
	.id = MMR_BACKEND_MEMFD,
	.name = "memfd",
	.pages = MMRI_PAGES_BASE | MMRI_PAGES_HUGETLB,
	.has_fd = true,
	.probe = memfd_probe,
	.create = memfd_create_region,
	.map = mmri_fd_map,
	.resize = mmri_fd_resize,
	.commit = mmri_fd_commit,
	.discard = mmri_fd_discard,
	.destroy = mmri_fd_destroy,
};
