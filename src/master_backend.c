// SPDX-License-Identifier: MIT
/*
 * Operations shared by the backends without a file, whose object is reached
 * through a master mapping of all of it: mremap (a shared anonymous
 * mapping) and sysv (the segment's first attachment).
 */
#include <errno.h>
#include <sys/mman.h>

#include "linux_compat.h"
#include "region.h"
#include "error.h"
#include "master_backend.h"
#include "util.h"
#include "syscall.h"

/* A view is a mirror of part of the master mapping. */
void *mmri_master_map(struct mmr_region *r, size_t off, size_t len, void *addr,
		      int prot, bool fixed, bool *populate)
{
	void *p;
	int ret;

	(void)populate;
	p = mmri_mremap((char *)r->master + off, 0, len,
			MREMAP_MAYMOVE | (fixed ? MREMAP_FIXED : 0), addr);
	if (IS_ERR(p)) {
		mmri_err((int)PTR_ERR(p), "mremap(old_size=0) of %zu bytes at offset %zu "
			 "failed: %s", len, off, mmri_map_hint((int)-PTR_ERR(p)));
		return p;
	}
	ret = mmri_view_protect(p, len, prot, PROT_READ | PROT_WRITE);
	if (ret)
		return ERR_PTR(ret);
	return p;
}

int mmri_master_discard(struct mmr_region *r, size_t off, size_t len)
{
	int ret = mmri_madvise((char *)r->master + off, len, MADV_REMOVE);

	if (ret)
		return mmri_err(ret, "MADV_REMOVE of %zu bytes at %zu "
				"failed", len, off);
	return 0;
}

/* Fault the pages in through the master: shmem allocates on a read fault. */
int mmri_master_commit(struct mmr_region *r, size_t off, size_t len)
{
	int ret = mmri_populate((char *)r->master + off, len, PROT_READ | PROT_WRITE);

	if (ret)
		return mmri_err(ret, "allocating %zu bytes at %zu failed%s", len, off,
				ret == -ENOMEM ? ": out of memory" : "");
	return 0;
}
