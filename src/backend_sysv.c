// SPDX-License-Identifier: MIT
/*
 * System V shared memory: shmget(IPC_PRIVATE), one attachment kept as the
 * master, and IPC_RMID at once so the segment dies with its last mapping.
 * Linux lets a process attach a segment already marked for removal, which
 * is how hugetlb views are made (mremap(old_size=0) refuses hugetlb).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "linux_compat.h"
#include "region.h"
#include "error.h"
#include "fd_backend.h"
#include "master_backend.h"
#include "util.h"
#include "syscall.h"

#ifndef SHM_HUGETLB
#define SHM_HUGETLB 04000
#endif

static void sysv_probe(struct mmr_backend_status *st,
			 const struct mmr_probe_report *rep)
{
	(void)rep;
	int id = mmri_shmget(mmri_base_page(), IPC_CREAT | 0600);

	if (id < 0) {
		st->error = -id;
		snprintf(st->why, sizeof(st->why), id == -ENOSYS ?
			 "the kernel was built without CONFIG_SYSVIPC" :
			 "shmget failed: check kernel.shmmni and kernel.shmall");
		return;
	}
	mmri_shmctl_rmid(id);
	st->available = 1;
}

static int shmget_error(struct mmr_region *r, int err)
{
	switch (err) {
	case -EINVAL:
		return mmri_err(err, "shmget of %zu bytes failed: larger than kernel.shmmax "
				"(%ld): raise it with sysctl kernel.shmmax=%zu", r->size,
				mmri_read_long("/proc/sys/kernel/shmmax"), r->size);
	case -ENOSPC:
		return mmri_err(err, "shmget failed: kernel.shmmni (%ld segments) or "
				"kernel.shmall reached: raise them with sysctl",
				mmri_read_long("/proc/sys/kernel/shmmni"));
	case -EPERM:
		return mmri_err(err, "shmget(SHM_HUGETLB) needs CAP_IPC_LOCK or membership "
				"of vm.hugetlb_shm_group");
	case -ENOMEM:
		return mmri_err(err, r->hugetlb ? "shmget(SHM_HUGETLB) failed: not enough "
				"free huge pages: echo N > /proc/sys/vm/nr_hugepages" :
				"shmget failed: out of memory");
	default:
		return mmri_err(err, "shmget of %zu bytes failed", r->size);
	}
}

static int sysv_create(struct mmr_region *r)
{
	int flags = IPC_CREAT | 0600;
	void *p;
	int id;

	if (r->hugetlb)
		flags |= SHM_HUGETLB | (int)mmri_hugetlb_flag_bits(r->page_size);
	id = mmri_shmget(r->size, flags);
	if (id < 0)
		return shmget_error(r, id);
	p = mmri_shmat(id, NULL, 0);
	mmri_shmctl_rmid(id);
	if (IS_ERR(p))
		return mmri_err((int)PTR_ERR(p), "shmat failed: %s",
				mmri_map_hint((int)-PTR_ERR(p)));
	if (r->flags & MMR_POPULATE) {
		int ret = mmri_populate(p, r->size, PROT_READ | PROT_WRITE);

		if (ret) {
			mmri_shmdt(p);
			return mmri_err(ret, "allocating %zu bytes failed", r->size);
		}
	}
	r->shmid = id;
	r->master = p;
	r->master_len = r->size;
	return 0;
}

/*
 * Attach the whole segment again, trim it to [off, off+len), and move that
 * to @addr if asked (hugetlb mremap moves work since 5.16). Used for
 * hugetlb, which mremap(old_size=0) refuses, and where mremap(old_size=0)
 * is unavailable (valgrind, for one).
 */
static void *sysv_shmat_map(struct mmr_region *r, size_t off, size_t len, void *addr,
			   int prot, bool fixed, bool *populate)
{
	char *p, *v;
	int ret;

	(void)populate;
	/* Read-write always, then mprotect: a view made PROT_NONE or read-only
	 * may be made writable later (the heap commits that way), which a
	 * SHM_RDONLY attachment refuses (EACCES). */
	p = mmri_shmat(r->shmid, NULL, 0);
	if (IS_ERR(p)) {
		mmri_err((int)PTR_ERR(p), "shmat of the hugetlb segment failed: %s",
			 mmri_map_hint((int)-PTR_ERR(p)));
		return p;
	}
	if (off)
		mmri_munmap(p, off);
	if (off + len < r->size)
		mmri_munmap(p + off + len, r->size - off - len);
	v = p + off;
	if (fixed && v != addr) {
		void *q = mmri_mremap(v, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, addr);

		if (IS_ERR(q)) {
			mmri_munmap(v, len);
			mmri_err((int)PTR_ERR(q), "moving a hugetlb SysV view to a fixed "
				 "address failed (needs Linux 5.16+)");
			return q;
		}
		v = q;
	}
	ret = mmri_view_protect(v, len, prot, PROT_READ | PROT_WRITE);
	if (ret)
		return ERR_PTR(ret);
	return v;
}

static void *sysv_map(struct mmr_region *r, size_t off, size_t len, void *addr,
		      int prot, bool fixed, bool *populate)
{
	void *p;

	if (r->hugetlb)
		return sysv_shmat_map(r, off, len, addr, prot, fixed, populate);
	p = mmri_master_map(r, off, len, addr, prot, fixed, populate);
	if (p == ERR_PTR(-EINVAL))
		p = sysv_shmat_map(r, off, len, addr, prot, fixed, populate);
	return p;
}

static int sysv_resize(struct mmr_region *r, size_t new_size)
{
	(void)new_size;
	return mmri_err(EOPNOTSUPP, "SysV segments have a fixed size "
			"(%zu bytes): use the memfd backend to resize", r->size);
}

static void sysv_destroy(struct mmr_region *r)
{
	if (r->master)
		mmri_shmdt(r->master);
	r->master = NULL;
	r->shmid = -1;
}

const struct mmri_backend_ops mmri_sysv_ops = {
	.id = MMR_BACKEND_SYSV,
	.name = "sysv",
	.pages = MMRI_PAGES_BASE | MMRI_PAGES_HUGETLB,
	.has_fd = false,
	.probe = sysv_probe,
	.create = sysv_create,
	.map = sysv_map,
	.resize = sysv_resize,
	.commit = mmri_master_commit,
	.discard = mmri_master_discard,
	.destroy = sysv_destroy,
};
