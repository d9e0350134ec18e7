// SPDX-License-Identifier: MIT
/*
 * Operations shared by the backends whose object is a file: memfd, POSIX
 * shm and hugetlbfs (and the native backend's memfd). A view is mmap();
 * commit is fallocate, discard punches a hole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "linux_compat.h"
#include "region.h"
#include "error.h"
#include "fd_backend.h"
#include "syscall.h"

unsigned mmri_hugetlb_flag_bits(size_t page_size)
{
	return (unsigned)__builtin_ctzll(page_size) << 26;	/* MAP_HUGE_SHIFT */
}

void *mmri_fd_map(struct mmr_region *r, size_t off, size_t len, void *addr,
		  int prot, bool fixed, bool *populate)
{
	int flags = MAP_SHARED | (fixed ? MAP_FIXED : 0);
	void *p;

	(void)populate;

	p = mmri_mmap(addr, len, prot, flags, r->fd, (off_t)off);
	if (IS_ERR(p))
		mmri_err((int)PTR_ERR(p), "mmap of %zu bytes at offset %zu failed: %s",
			 len, off, mmri_map_hint((int)-PTR_ERR(p)));
	return p;
}

/*
 * RLIMIT_FSIZE, read once and again on every mmr_probe()/mmr_probe_reset():
 * a getrlimit per region would cost 10% of creating one (bench setup).
 */
static _Atomic unsigned long long fsize_limit;
static atomic_bool fsize_known;

void mmri_fsize_limit_forget(void)
{
	atomic_store(&fsize_known, false);
}

static unsigned long long fsize_max(void)
{
	struct rlimit rl;

	if (!atomic_load_explicit(&fsize_known, memory_order_acquire)) {
		if (mmri_getrlimit(RLIMIT_FSIZE, &rl))
			return RLIM_INFINITY;
		atomic_store(&fsize_limit, rl.rlim_cur);
		atomic_store_explicit(&fsize_known, true, memory_order_release);
	}
	return atomic_load(&fsize_limit);
}

bool mmri_fsize_ok(size_t size)
{
	unsigned long long limit = fsize_max();

	return limit == RLIM_INFINITY || size <= limit;
}

/*
 * Grow or shrink the file. RLIMIT_FSIZE is checked first because the kernel
 * answers an ftruncate past it with SIGXFSZ, which kills the process.
 * hugetlb files get their new pages allocated now (fallocate): a mapping
 * of a hugetlbfs file that the pool cannot back would SIGBUS later.
 */
int mmri_fd_size(struct mmr_region *r, size_t old_size, size_t new_size)
{
	unsigned long long limit = fsize_max();
	int ret;

	if (limit != RLIM_INFINITY && new_size > limit)
		return mmri_err(EFBIG, "%zu bytes exceed RLIMIT_FSIZE (%llu bytes): "
				"raise it with ulimit -f unlimited", new_size, limit);
	if (r->hugetlb && new_size < old_size) {
		ret = mmri_ftruncate(r->fd, (off_t)new_size);
		if (ret)
			return mmri_err(ret, "ftruncate of the hugetlb object to %zu bytes failed",
					new_size);
		return 0;
	}
	ret = mmri_ftruncate(r->fd, (off_t)new_size);
	if (ret)
		return mmri_err(ret, "ftruncate to %zu bytes failed%s", new_size,
				ret == -EFBIG ? ": the size exceeds the file size limit" :
				ret == -EPERM ? ": the object is sealed" : "");
	if (new_size > old_size && ((r->hugetlb && !r->lazy) || (r->flags & MMR_POPULATE))) {
		ret = mmri_fallocate(r->fd, 0, (off_t)old_size, (off_t)(new_size - old_size));
		if (ret) {
			mmri_ftruncate(r->fd, (off_t)old_size);
			if (ret == -ENOSPC && r->hugetlb)
				return mmri_err(ENOSPC, "not enough free %zu KiB huge pages for "
						"%zu bytes: reserve some with echo N > "
						"/sys/kernel/mm/hugepages/hugepages-%zukB/nr_hugepages",
						r->page_size >> 10, new_size - old_size,
						r->page_size >> 10);
			return mmri_err(ret, "allocating %zu bytes of memory failed",
					new_size - old_size);
		}
	}
	return 0;
}

int mmri_fd_adopt(struct mmr_region *r, int fd)
{
	int ret;

	r->fd = fd;
	ret = mmri_fd_size(r, 0, r->size);
	if (ret) {
		mmri_close(fd);
		r->fd = -1;
	}
	return ret;
}

int mmri_fd_resize(struct mmr_region *r, size_t new_size)
{
	return mmri_fd_size(r, r->size, new_size);
}

/* tmpfs and hugetlbfs allocate with fallocate; a file system without it
 * allocates on the first fault instead. */
int mmri_fd_commit(struct mmr_region *r, size_t off, size_t len)
{
	int ret = mmri_fallocate(r->fd, 0, (off_t)off, (off_t)len);

	if (ret == -EOPNOTSUPP)
		return 0;
	if (ret)
		return mmri_err(ret, "allocating %zu bytes at %zu failed%s", len, off,
				ret == -ENOSPC && r->hugetlb ? ": not enough free huge "
				"pages (see /sys/kernel/mm/hugepages)" : "");
	return 0;
}

/*
 * Commit through a temporary shared mapping of the range: fallocate has no
 * mapping to carry a hint, so THP with shmem_enabled=advise never gets a
 * huge page from it (ZGC allocates the same way). mbind on a shmem mapping
 * sets the file's own policy for the range: it outlives the temporary
 * mapping and places every later allocation there too. The pages are
 * allocated with MADV_POPULATE_WRITE (5.14+), which reports a shortage as
 * an error instead of a SIGBUS; older kernels fall back to fallocate.
 */
int mmri_fd_commit_mapped(struct mmr_region *r, size_t off, size_t len, int mode,
			  unsigned long nodes, bool thp)
{
	void *p = mmri_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED |
			    (r->hugetlb ? MAP_NORESERVE : 0), r->fd, (off_t)off);
	int ret = 0;

	if (IS_ERR(p))
		return mmri_err((int)PTR_ERR(p), "mapping %zu bytes at %zu to commit them "
				"failed: %s", len, off, mmri_map_hint((int)-PTR_ERR(p)));
	if (mode) {
		ret = mmri_mbind(p, len, mode, &nodes, sizeof(nodes) * 8 + 1, 0);
		if (ret) {
			mmri_err(ret, "mbind of %zu bytes at %zu (policy %d, nodes 0x%lx) "
				 "failed%s", len, off, mode, nodes,
				 ret == -ENOSYS ? ": this kernel has no NUMA support" :
				 ret == -EINVAL ? ": no such node, or a bad policy" : "");
			goto out;
		}
	}
	if (thp && !r->hugetlb) {
		mmri_madvise(p, len, MADV_HUGEPAGE);	/* advice: may be off */
		ret = mmri_madvise(p, len, MADV_POPULATE_WRITE);
		if (ret != -EINVAL) {
			if (ret)
				mmri_err(ret == -EFAULT ? -ENOMEM : ret, "allocating %zu bytes "
					 "at %zu failed: out of memory", len, off);
			ret = ret == -EFAULT ? -ENOMEM : ret;
			goto out;
		}
	}
	ret = mmri_fd_commit(r, off, len);
out:
	mmri_munmap(p, len);
	return ret;
}

/* The memfd and native backends' object. */
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

int mmri_fd_discard(struct mmr_region *r, size_t off, size_t len)
{
	int ret = mmri_fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 (off_t)off, (off_t)len);

	if (ret)
		return mmri_err(ret, "punching a hole of %zu bytes "
				"at %zu failed", len, off);
	return 0;
}

void mmri_fd_destroy(struct mmr_region *r)
{
	if (r->fd >= 0)
		mmri_close(r->fd);
	r->fd = -1;
}
