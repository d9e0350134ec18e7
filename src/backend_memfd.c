// SPDX-License-Identifier: MIT
/* memfd_create(2): an anonymous file, hugetlb-backed with MFD_HUGETLB. */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"


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

/* Shared with the native backend, whose object is a memfd too. */
int mmri_memfd_open(struct mmr_region *r, const char *name)
{
	unsigned flags = MFD_CLOEXEC;
	int fd;

	if (r->hugetlb)
		flags |= MFD_HUGETLB | mmri_hugetlb_flag_bits(r->page_size);
	/* Sealable, so that a region can be sealed before it is shared
	 * (mmr_region_seal()); hugetlb memfds before 4.16 refuse it. */
	fd = mmri_memfd_create(name, flags | MFD_ALLOW_SEALING);
	if (fd == -EINVAL && r->hugetlb)
		fd = mmri_memfd_create(name, flags);
	if (fd < 0) {
		if (r->hugetlb && (fd == -EINVAL || fd == -ENOENT || fd == -ENODEV))
			return mmri_err(fd, "memfd_create(MFD_HUGETLB) with %zu KiB pages "
					"failed: the kernel lacks that huge page size or "
					"hugetlb memfd (4.14+)", r->page_size >> 10);
		return mmri_err(fd, "memfd_create failed%s", fd == -EMFILE ?
				": too many open files, raise ulimit -n" :
				fd == -ENFILE ? ": the system file table is full" : "");
	}
	return mmri_fd_adopt(r, fd);
}

static int memfd_create_region(struct mmr_region *r)
{
	return mmri_memfd_open(r, "memmirror");
}

const struct mmri_backend_ops mmri_memfd_ops = {
	.id = MMR_BACKEND_MEMFD,
	.name = "memfd",
	.probe = memfd_probe,
	.create = memfd_create_region,
	.map = mmri_fd_map,
	.resize = mmri_fd_resize,
	.discard = mmri_fd_discard,
	.destroy = mmri_fd_destroy,
};
