// SPDX-License-Identifier: MIT
/*
 * mmr_mirror(): map the pages of an existing shared mapping a second time.
 * In order of preference: the kernel's MREMAP_MIRROR; the legacy
 * mremap(old_size=0), which refuses hugetlb; or the object behind the
 * mapping, reached through /proc/self/map_files (CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE), an open fd of this process, or its path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "linux_compat.h"
#include "memmirror.h"
#include "error.h"
#include "util.h"
#include "probe_facts.h"
#include "maps.h"
#include "syscall.h"

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static bool same_object(int fd, const struct mmri_vma *v)
{
	struct stat st;

	return !mmri_fstat(fd, &st) && st.st_ino == v->inode &&
	       major(st.st_dev) == v->dev_major && minor(st.st_dev) == v->dev_minor;
}

/*
 * An fd of this process that refers to the mapped object, opened again
 * with @want access (an fd we only dup could be read-only). Only the fd
 * that matches by device and inode is reopened, and without blocking or
 * taking a controlling terminal.
 */
static int find_open_fd(const struct mmri_vma *v, int want)
{
	char buf[4096];
	int dir, found = -ENOENT;
	ssize_t n;

	dir = mmri_open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dir < 0)
		return dir;
	while (found < 0 && (n = mmri_getdents64(dir, buf, sizeof(buf))) > 0) {
		for (ssize_t pos = 0; pos < n && found < 0;) {
			struct linux_dirent64 *d = (void *)(buf + pos);
			char path[64], *end;
			long num;
			int fd;

			pos += d->d_reclen;
			num = strtol(d->d_name, &end, 10);
			if (*end || end == d->d_name || num < 0 || num > INT_MAX ||
			    num == dir || !same_object((int)num, v))
				continue;
			snprintf(path, sizeof(path), "/proc/self/fd/%ld", num);
			fd = mmri_open(path, want | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
			if (fd < 0)
				continue;
			if (same_object(fd, v))
				found = fd;
			else
				mmri_close(fd);
		}
	}
	mmri_close(dir);
	return found;
}

static int open_object(const struct mmri_vma *v)
{
	int want = (v->prot & PROT_WRITE) ? O_RDWR : O_RDONLY;
	size_t plen = strlen(v->path);
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", v->start, v->end);
	fd = mmri_open(path, want | O_CLOEXEC, 0);
	if (fd >= 0)
		return fd;
	fd = find_open_fd(v, want);
	if (fd >= 0)
		return fd;
	if (v->path[0] == '/' && (plen < 10 || strcmp(v->path + plen - 10, " (deleted)"))) {
		fd = mmri_open(v->path, want | O_CLOEXEC, 0);
		if (fd >= 0 && !same_object(fd, v)) {
			mmri_close(fd);
			fd = -ENOENT;
		}
	}
	return fd;
}

static void *map_object(const struct mmri_vma *v, void *addr, size_t len,
			void *new_addr, bool fixed)
{
	unsigned long long off = v->offset + ((unsigned long)addr - v->start);
	void *p;
	int fd = open_object(v);

	if (fd < 0) {
		mmri_err(fd, "cannot reach the object mapped at %p (%s) to map it again: "
			 "run with CAP_SYS_ADMIN, keep an fd to it open, or use a kernel "
			 "with MREMAP_MIRROR", addr, v->path[0] ? v->path : "anonymous");
		return ERR_PTR(fd);
	}
	p = mmri_mmap(new_addr, len, v->prot, MAP_SHARED | (fixed ? MAP_FIXED : 0), fd,
		      (off_t)off);
	mmri_close(fd);
	if (IS_ERR(p))
		mmri_err((int)PTR_ERR(p), "mapping the object behind %p again failed: %s",
			 addr, mmri_map_hint((int)-PTR_ERR(p)));
	return p;
}

static void *mirror_vma(const struct mmri_vma *v, void *addr, size_t len,
			void *new_addr, unsigned flags, bool *populated)
{
	struct mmri_probe_facts pf;
	bool fixed = flags & (MMR_FIXED | MMR_FIXED_NOREPLACE);
	int mflags = MREMAP_MAYMOVE | (fixed ? MREMAP_FIXED : 0);
	void *p;

	mmri_probe_facts(&pf);
	if (pf.native_mirror) {
		int nflags = mflags | MREMAP_MIRROR;

		if ((flags & MMR_POPULATE) && pf.native_populate)
			nflags |= MREMAP_POPULATE;
		p = mmri_mremap(addr, len, len, nflags, new_addr);
		if (!IS_ERR(p)) {
			*populated = nflags & MREMAP_POPULATE;
			return p;
		}
		if (PTR_ERR(p) != -EINVAL) {
			mmri_err((int)PTR_ERR(p), "mremap(MREMAP_MIRROR) failed: %s",
				 mmri_map_hint((int)-PTR_ERR(p)));
			return p;
		}
	}
	p = mmri_mremap(addr, 0, len, mflags, new_addr);
	if (!IS_ERR(p))
		return p;
	if (PTR_ERR(p) != -EINVAL) {
		mmri_err((int)PTR_ERR(p), "mremap(old_size=0) failed: %s",
			 mmri_map_hint((int)-PTR_ERR(p)));
		return p;
	}
	return map_object(v, addr, len, fixed ? new_addr : NULL, fixed);
}

static int check_args(void *addr, size_t len, void *new_addr, unsigned flags)
{
	size_t page = mmri_base_page();
	uintptr_t a = (uintptr_t)addr, n = (uintptr_t)new_addr;

	if (flags & ~(MMR_POPULATE | MMR_FIXED | MMR_FIXED_NOREPLACE))
		return mmri_err(EINVAL, "mmr_mirror: unknown flags 0x%x",
				flags & ~(MMR_POPULATE | MMR_FIXED | MMR_FIXED_NOREPLACE));
	if ((flags & MMR_FIXED) && (flags & MMR_FIXED_NOREPLACE))
		return mmri_err(EINVAL, "mmr_mirror: MMR_FIXED and MMR_FIXED_NOREPLACE "
				"exclude each other");
	if (!addr || !len || ((a | len) & (page - 1)) || a + len < a)
		return mmri_err(EINVAL, "mmr_mirror: [%p, +%zu) must be a non-empty, "
				"page-aligned range", addr, len);
	if (!(flags & (MMR_FIXED | MMR_FIXED_NOREPLACE)))
		return 0;
	if (!new_addr || (n & (page - 1)) || n + len < n)
		return mmri_err(EINVAL, "mmr_mirror: fixed address %p must be non-NULL "
				"and page-aligned", new_addr);
	if (n < a + len && a < n + len)
		return mmri_err(EINVAL, "mmr_mirror: the mirror [%p, +%zu) would overlap "
				"its source", new_addr, len);
	return 0;
}

void *mmr_mirror(void *addr, size_t len, void *new_addr, unsigned flags)
{
	struct mmri_vma v;
	bool populated = false;
	void *p;
	int ret;

	if (check_args(addr, len, new_addr, flags))
		return NULL;
	ret = mmri_maps_find((unsigned long)addr, &v);
	if (ret == -EFAULT)
		return mmri_err_ptr(ret, "mmr_mirror: %p is not mapped", addr);
	if (ret)
		return mmri_err_ptr(ret, "mmr_mirror: /proc/self/maps could not be read "
				    "to find the mapping at %p%s", addr,
				    ret == -EMFILE ? ": too many open files, raise ulimit -n" :
				    ret == -ENFILE ? ": the system file table is full" :
				    ret == -ENOENT ? ": is /proc mounted?" : "");
	if ((unsigned long)addr + len > v.end)
		return mmri_err_ptr(EFAULT, "mmr_mirror: [%p, +%zu) runs past the end of "
				    "its mapping at 0x%lx", addr, len, v.end);
	if (!v.shared)
		return mmri_err_ptr(EINVAL, "mmr_mirror: %p is in a private mapping, whose "
				    "pages are copy-on-write and belong to it alone: map the "
				    "memory MAP_SHARED (or use mmr_region_create) to mirror it",
				    addr);
	if (flags & MMR_FIXED_NOREPLACE) {
		ret = mmri_reserve_noreplace(new_addr, len);
		if (ret)
			return mmri_err_ptr(ret, "mmr_mirror: [%p, +%zu) %s", new_addr, len,
					    ret == -EEXIST ? "is already mapped" :
					    "cannot be reserved");
	}
	p = mirror_vma(&v, addr, len, new_addr, flags, &populated);
	if (IS_ERR(p)) {
		ret = (int)PTR_ERR(p);
		goto fail;
	}
	if ((flags & MMR_POPULATE) && !populated) {
		ret = mmri_populate(p, len, v.prot);
		if (ret) {
			mmri_err(ret, "prefaulting the mirror failed: %s", mmri_map_hint(-ret));
			mmri_munmap(p, len);
			goto fail;
		}
	}
	return p;
fail:
	if (flags & MMR_FIXED_NOREPLACE)
		mmri_munmap(new_addr, len);
	mmri_err_prefix(ret, "mmr_mirror");
	return NULL;
}
