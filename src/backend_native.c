// SPDX-License-Identifier: MIT
/*
 * The kernel's own mirroring: mremap(MREMAP_MIRROR), from the memmirror
 * kernel series. The object is a memfd (so fds and huge pages work); a
 * master mapping of all of it is the source every view is mirrored from,
 * and MREMAP_POPULATE, where present, fills a view's page tables from the
 * object's page cache without faulting.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "linux_compat.h"
#include "region.h"
#include "error.h"
#include "fd_backend.h"
#include "util.h"
#include "probe_facts.h"
#include "syscall.h"

static void native_probe(struct mmr_backend_status *st,
			 const struct mmr_probe_report *rep)
{
	if (!rep->native_mirror) {
		st->error = EOPNOTSUPP;
		snprintf(st->why, sizeof(st->why), "not supported by this kernel (%s): "
			 "MREMAP_MIRROR comes with the memmirror kernel patches", rep->kernel);
		return;
	}
	st->available = 1;
}

static int native_create(struct mmr_region *r)
{
	struct mmri_probe_facts pf;
	void *p;
	int ret;

	mmri_probe_facts(&pf);
	if (!pf.native_mirror)
		return mmri_err(EOPNOTSUPP, "MREMAP_MIRROR is not supported by this kernel "
				"(%s): use another backend, or boot a kernel with the "
				"memmirror patches", pf.kernel);
	if (r->hugetlb && !pf.native_hugetlb)
		return mmri_err(EOPNOTSUPP, "this kernel's MREMAP_MIRROR does not handle "
				"hugetlb mappings: use the memfd backend for huge pages");
	ret = mmri_memfd_open(r, "memmirror-native");
	if (ret)
		return ret;
	p = mmri_mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (IS_ERR(p)) {
		mmri_fd_destroy(r);
		return mmri_err((int)PTR_ERR(p), "mapping the memfd failed: %s",
				mmri_map_hint((int)-PTR_ERR(p)));
	}
	r->master = p;
	r->master_len = r->size;
	return 0;
}

static void *native_map(struct mmr_region *r, size_t off, size_t len, void *addr,
			int prot, bool fixed, bool *populate)
{
	int flags = MREMAP_MIRROR | MREMAP_MAYMOVE | (fixed ? MREMAP_FIXED : 0);
	struct mmri_probe_facts pf;
	void *p;
	int ret;

	if (*populate) {
		mmri_probe_facts(&pf);
		if (pf.native_populate)
			flags |= MREMAP_POPULATE;
	}
	p = mmri_mremap((char *)r->master + off, len, len, flags, addr);
	if (IS_ERR(p)) {
		mmri_err((int)PTR_ERR(p), "mremap(MREMAP_MIRROR) of %zu bytes at offset %zu "
			 "failed: %s", len, off, mmri_map_hint((int)-PTR_ERR(p)));
		return p;
	}
	ret = mmri_view_protect(p, len, prot, PROT_READ | PROT_WRITE);
	if (ret)
		return ERR_PTR(ret);
	if (flags & MREMAP_POPULATE)
		*populate = false;	/* the kernel filled the page tables */
	return p;
}

/* The master mapping must follow the object's size: re-map it. */
static int native_resize(struct mmr_region *r, size_t new_size)
{
	void *p;
	int ret;

	ret = mmri_fd_resize(r, new_size);
	if (ret)
		return ret;
	p = mmri_mremap(r->master, r->master_len, new_size, MREMAP_MAYMOVE, NULL);
	if (IS_ERR(p)) {
		mmri_fd_size(r, new_size, r->size);
		return mmri_err((int)PTR_ERR(p), "resizing the master mapping failed: %s",
				mmri_map_hint((int)-PTR_ERR(p)));
	}
	r->master = p;
	r->master_len = new_size;
	return 0;
}

static void native_destroy(struct mmr_region *r)
{
	if (r->master)
		mmri_munmap(r->master, r->master_len);
	r->master = NULL;
	mmri_fd_destroy(r);
}

const struct mmri_backend_ops mmri_native_ops = {
	.id = MMR_BACKEND_NATIVE,
	.name = "native",
	.pages = MMRI_PAGES_BASE | MMRI_PAGES_HUGETLB,
	.has_fd = true,
	.probe = native_probe,
	.create = native_create,
	.map = native_map,
	.resize = native_resize,
	.commit = mmri_fd_commit,
	.discard = mmri_fd_discard,
	.destroy = native_destroy,
};
