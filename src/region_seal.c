// SPDX-License-Identifier: MIT
/*
 * Size seals for regions shared by fd. A process that maps a shared file
 * dies with SIGBUS when it touches a page that another holder of the fd cut
 * off with ftruncate(). memfd seals (F_SEAL_SHRINK, F_SEAL_GROW) make the
 * size final, so the honest side can trust its mappings; F_SEAL_SEAL keeps
 * anyone from adding seals later. Only memfds (hugetlb ones from 4.16) can
 * be sealed: POSIX shm and hugetlbfs files cannot.
 */
#include <errno.h>
#include <fcntl.h>

#include "region.h"
#include "error.h"
#include "region_seal.h"
#include "syscall.h"

#ifndef F_ADD_SEALS
#define F_ADD_SEALS	1033
#define F_GET_SEALS	1034
#define F_SEAL_SEAL	0x0001
#define F_SEAL_SHRINK	0x0002
#define F_SEAL_GROW	0x0004
#endif

#define SIZE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW)

int mmr_region_seal(mmr_region *r)
{
	int ret;

	if (!r)
		return mmri_err(EINVAL, "mmr_region_seal: region is NULL");
	if (r->fd < 0)
		return mmri_err(EOPNOTSUPP, "mmr_region_seal: the %s backend has no fd "
				"to share, so nothing to seal", r->ops->name);
	ret = mmri_fcntl(r->fd, F_ADD_SEALS, SIZE_SEALS | F_SEAL_SEAL);
	if (ret == -EPERM && mmri_fd_sealed(r->fd) == 0)
		return 0;	/* sealed already */
	if (ret == -EPERM || ret == -EINVAL)
		return mmri_err(EPERM, "mmr_region_seal: the %s backend's object cannot "
				"be sealed (only memfd objects can): use MMR_BACKEND_MEMFD "
				"to share a region with processes you do not trust",
				r->ops->name);
	if (ret)
		return mmri_err(ret, "mmr_region_seal: F_ADD_SEALS failed");
	return 0;
}

int mmri_fd_sealed(int fd)
{
	int seals = mmri_fcntl(fd, F_GET_SEALS, 0);

	if (seals == -EINVAL)
		return -EPERM;	/* not a memfd: no seals at all */
	if (seals < 0)
		return seals;
	return (seals & SIZE_SEALS) == SIZE_SEALS ? 0 : -EPERM;
}

int mmri_require_sealed(int fd, const char *fn, const char *flag_hint)
{
	int ret = mmri_fd_sealed(fd);

	if (ret == -EPERM)
		return mmri_err(EPERM, "%s: the object behind fd %d is not sealed against "
				"shrinking and growing, so its other holders could "
				"ftruncate it and make this process die of SIGBUS: seal it "
				"with mmr_region_seal() before sharing it (memfd backend), or %s",
				fn, fd, flag_hint);
	if (ret)
		return mmri_err(ret, "%s: F_GET_SEALS on fd %d failed", fn, fd);
	return 0;
}
