// SPDX-License-Identifier: MIT
/*
 * The legacy mechanism: a MAP_SHARED|MAP_ANONYMOUS master mapping, and
 * views made with mremap(master + off, 0, len, MREMAP_MAYMOVE), which maps
 * the same shmem pages again. Works since Linux 2.4; refuses hugetlb; the
 * size of a shared anonymous mapping's object is fixed at creation.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "linux_compat.h"
#include "region.h"
#include "error.h"
#include "master_backend.h"
#include "util.h"
#include "syscall.h"

static void mremap_probe(struct mmr_backend_status *st,
			 const struct mmr_probe_report *rep)
{
	(void)rep;
	size_t page = mmri_base_page();
	volatile char *a, *b;

	a = mmri_mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (IS_ERR((void *)a)) {
		st->error = (int)-PTR_ERR((void *)a);
		snprintf(st->why, sizeof(st->why), "shared anonymous mmap failed");
		return;
	}
	b = mmri_mremap((void *)a, 0, page, MREMAP_MAYMOVE, NULL);
	if (IS_ERR((void *)b)) {
		st->error = (int)-PTR_ERR((void *)b);
		snprintf(st->why, sizeof(st->why), "mremap(old_size=0) refused by this kernel");
	} else {
		a[0] = 42;
		st->available = b[0] == 42;
		if (!st->available) {
			st->error = EIO;
			snprintf(st->why, sizeof(st->why), "mremap(old_size=0) made a copy, not a mirror");
		}
		mmri_munmap((void *)b, page);
	}
	mmri_munmap((void *)a, page);
}

static int mremap_create(struct mmr_region *r)
{
	void *p;
	int ret;

	if (r->hugetlb)
		return mmri_err(EINVAL, "mremap(old_size=0) cannot mirror hugetlb mappings "
				"on this kernel: use the memfd, hugetlbfs or sysv backend");
	p = mmri_mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (IS_ERR(p))
		return mmri_err((int)PTR_ERR(p), "shared anonymous mmap of %zu bytes failed: %s",
				r->size, mmri_map_hint((int)-PTR_ERR(p)));
	if (r->flags & MMR_POPULATE) {
		ret = mmri_populate(p, r->size, PROT_READ | PROT_WRITE);
		if (ret) {
			mmri_munmap(p, r->size);
			return mmri_err(ret, "allocating %zu bytes failed", r->size);
		}
	}
	r->master = p;
	r->master_len = r->size;
	return 0;
}

static int mremap_resize(struct mmr_region *r, size_t new_size)
{
	(void)new_size;
	return mmri_err(EOPNOTSUPP, "a shared anonymous mapping has a "
			"fixed size (mremap backend): use the memfd backend to resize (%zu bytes)",
			r->size);
}

static void mremap_destroy(struct mmr_region *r)
{
	if (r->master)
		mmri_munmap(r->master, r->master_len);
	r->master = NULL;
}

const struct mmri_backend_ops mmri_mremap_ops = {
	.id = MMR_BACKEND_MREMAP,
	.name = "mremap",
	.pages = MMRI_PAGES_BASE,
	.has_fd = false,
	.probe = mremap_probe,
	.create = mremap_create,
	.map = mmri_master_map,
	.resize = mremap_resize,
	.commit = mmri_master_commit,
	.discard = mmri_master_discard,
	.destroy = mremap_destroy,
};
