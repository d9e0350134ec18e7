// SPDX-License-Identifier: MIT
/*
 * Regions and their views: argument checks, backend choice and fallback,
 * and the list of views that mmr_region_destroy() unmaps. The backends do
 * the mapping; nothing here knows how.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "region.h"
#include "error.h"
#include "region_seal.h"
#include "util.h"
#include "probe_facts.h"
#include "syscall.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

/* Prefix the backend's message with the public function's name. */
static int fail(const char *fn, int err)
{
	return mmri_err_prefix(err, fn);
}

/* ---- creation ---- */

struct page_choice {
	size_t size;
	bool hugetlb;
};

/* The page sizes to try, best first. */
static int page_plan(unsigned flags, size_t size, struct page_choice *plan)
{
	size_t base = mmri_base_page();
	int n = 0;

	if (flags & MMR_HUGE_1GB) {
		plan[n++] = (struct page_choice){ MMRI_SZ_1G, true };
	} else if (flags & MMR_HUGE_2MB) {
		plan[n++] = (struct page_choice){ MMRI_SZ_2M, true };
	} else if (flags & MMR_HUGE) {
		struct mmri_probe_facts pf;
		long free1g = mmri_read_long("/sys/kernel/mm/hugepages/"
					     "hugepages-1048576kB/free_hugepages");

		if (size >= MMRI_SZ_1G && free1g > 0 &&
		    (size_t)free1g >= (size + MMRI_SZ_1G - 1) / MMRI_SZ_1G)
			plan[n++] = (struct page_choice){ MMRI_SZ_1G, true };
		mmri_probe_facts(&pf);
		if (pf.huge_2m)
			plan[n++] = (struct page_choice){ MMRI_SZ_2M, true };
		plan[n++] = (struct page_choice){ base, false };
	} else {
		plan[n++] = (struct page_choice){ base, false };
	}
	return n;
}

/* Backends to try for @b and this kind of page, best first: the registry's
 * order, less what the probe found missing (a passing shortage is not). */
static int backend_plan(enum mmr_backend b, bool hugetlb, bool need_fd,
			const struct mmri_backend_ops **plan)
{
	unsigned kind = hugetlb ? MMRI_PAGES_HUGETLB : MMRI_PAGES_BASE;
	const struct mmri_backend_ops *ops;
	struct mmri_probe_facts pf;
	int n = 0;

	if (b != MMR_BACKEND_AUTO) {
		plan[0] = mmri_backend_ops(b);
		return 1;
	}
	mmri_probe_facts(&pf);
	for (size_t i = 0; (ops = mmri_backend_nth(i)); i++) {
		unsigned usable = hugetlb ? pf.usable_hugetlb : pf.usable;

		if ((ops->pages & kind) && (usable & (1u << ops->id)) &&
		    (ops->has_fd || !need_fd))
			plan[n++] = ops;
	}
	return n;
}

static int try_create(struct mmr_region **out, const struct mmri_backend_ops *ops,
		      const struct mmri_region_need *need, const struct page_choice *pc)
{
	unsigned flags = need->flags;
	struct mmr_region *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return mmri_err(ENOMEM, "out of memory for the region descriptor");
	r->ops = ops;
	r->page_size = pc->size;
	r->hugetlb = pc->hugetlb;
	r->lazy = need->lazy;
	r->size = ((need->size + pc->size - 1) & ~(pc->size - 1)) +
		need->header_pages * pc->size;
	r->fd = -1;
	r->shmid = -1;
	r->flags = ops->id | (flags & (MMR_POPULATE | MMR_THP));
	if (pc->hugetlb)
		r->flags |= pc->size == MMRI_SZ_1G ? MMR_HUGE_1GB : MMR_HUGE_2MB;
	else if (flags & MMR_HUGE)
		r->flags |= MMR_THP;	/* no hugetlb pages: ask for THP */
	pthread_mutex_init(&r->lock, NULL);
	ret = r->ops->create(r);
	if (ret) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

static int check_create_flags(const char *who, unsigned flags)
{
	unsigned huge = flags & (MMR_HUGE | MMR_HUGE_2MB | MMR_HUGE_1GB);

	if (flags & ~MMR_CREATE_FLAGS)
		return mmri_err(EINVAL, "%s: unknown flags 0x%x", who,
				flags & ~MMR_CREATE_FLAGS);
	if ((flags & MMR_BACKEND_MASK) >= MMR_BACKEND_COUNT)
		return mmri_err(EINVAL, "%s: backend %u does not exist", who,
				flags & MMR_BACKEND_MASK);
	if (huge & (huge - 1))
		return mmri_err(EINVAL, "%s: choose one of MMR_HUGE, MMR_HUGE_2MB and "
				"MMR_HUGE_1GB", who);
	if ((flags & MMR_THP) && (flags & (MMR_HUGE_2MB | MMR_HUGE_1GB)))
		return mmri_err(EINVAL, "%s: MMR_THP and hugetlb pages exclude each other",
				who);
	return 0;
}

/* The backend asked for: @b, else $MMR_BACKEND, else AUTO. */
static int choose_backend(const struct mmri_region_need *need, enum mmr_backend *b)
{
	const char *env = getenv("MMR_BACKEND");
	const struct mmri_backend_ops *ops;
	char names[128];
	int v;

	*b = (enum mmr_backend)(need->flags & MMR_BACKEND_MASK);
	if (*b == MMR_BACKEND_AUTO && env && *env) {
		v = mmr_backend_from_name(env);
		if (v < 0) {
			mmri_backend_names(names, sizeof(names));
			return mmri_err(EINVAL, "%s: MMR_BACKEND=%s is not one of auto, %s",
					need->who, env, names);
		}
		*b = (enum mmr_backend)v;
	}
	ops = mmri_backend_ops(*b);
	if (need->need_fd && ops && !ops->has_fd)
		return mmri_err(EOPNOTSUPP, "%s: the %s backend%s has no file descriptor, "
				"which this needs: use memfd, posix or hugetlbfs", need->who,
				ops->name, (need->flags & MMR_BACKEND_MASK) ? "" :
				" (MMR_BACKEND)");
	return 0;
}

int mmri_region_create(mmr_region **out, const struct mmri_region_need *need)
{
	const struct mmri_backend_ops *plan[MMR_BACKEND_COUNT], *first_ops = NULL;
	struct page_choice pages[3];
	size_t size = need->size;
	enum mmr_backend b;
	int npages, ret, first_err = 0;
	char first_msg[512] = "", text[600];

	*out = NULL;
	ret = check_create_flags(need->who, need->flags);
	if (!ret)
		ret = choose_backend(need, &b);
	if (ret)
		return ret;
	if (!size)
		return mmri_err(EINVAL, "%s: size is 0", need->who);
	if (size > MMRI_MAX_SIZE)
		return mmri_err(EINVAL, "%s: %zu bytes is larger than any Linux address "
				"space", need->who, size);
	npages = page_plan(need->flags, size, pages);
	for (int i = 0; i < npages; i++) {
		int nb;

		if (need->max_page && pages[i].size > need->max_page) {
			if (!first_err) {
				first_err = mmri_err(EINVAL, "%zu KiB pages are larger than "
						     "the %zu KiB this layout allows",
						     pages[i].size >> 10, need->max_page >> 10);
				snprintf(first_msg, sizeof(first_msg), "%s", mmr_last_error());
			}
			continue;
		}
		nb = backend_plan(b, pages[i].hugetlb, need->need_fd, plan);
		for (int j = 0; j < nb; j++) {
			ret = try_create(out, plan[j], need, &pages[i]);
			if (!ret)
				return 0;
			if (!first_err || !first_ops) {
				first_err = ret;
				snprintf(first_msg, sizeof(first_msg), "%s", mmr_last_error());
				first_ops = plan[j];
			}
		}
	}
	if (!first_err)
		return mmri_err(ENOSYS, "%s: no backend works on this system%s: run "
				"'mmr probe' to see why", need->who,
				need->need_fd ? " with a file descriptor" : "");
	if (first_ops)
		snprintf(text, sizeof(text), "%s: %s backend: %s", need->who,
			 first_ops->name, first_msg);
	else
		snprintf(text, sizeof(text), "%s: %s", need->who, first_msg);
	return mmri_err_raw(first_err, text);
}

int mmr_region_create(mmr_region **out, size_t size, unsigned flags)
{
	struct mmri_region_need need = {
		.who = "mmr_region_create", .size = size, .flags = flags,
	};

	if (!out)
		return mmri_err(EINVAL, "mmr_region_create: out is NULL");
	return mmri_region_create(out, &need);
}

static int fd_kind(int fd, const struct statfs *sfs, enum mmr_backend *b)
{
	char path[64], target[256];
	ssize_t n;

	if ((unsigned long)sfs->f_type == HUGETLBFS_MAGIC) {
		*b = MMR_BACKEND_HUGETLBFS;
		return 0;
	}
	if ((unsigned long)sfs->f_type != TMPFS_MAGIC)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = mmri_readlink(path, target, sizeof(target) - 1);
	if (n > 0 && !strncmp(target, "/memfd:", 7))
		*b = MMR_BACKEND_MEMFD;
	else
		*b = MMR_BACKEND_POSIX;
	return 0;
}

int mmr_region_open_fd(mmr_region **out, int fd, unsigned flags)
{
	struct mmr_region *r;
	enum mmr_backend b;
	struct statfs sfs;
	struct stat st;
	int ret;

	if (!out)
		return mmri_err(EINVAL, "mmr_region_open_fd: out is NULL");
	*out = NULL;
	if (flags & ~(MMR_POPULATE | MMR_THP | MMR_REQUIRE_SEALED))
		return mmri_err(EINVAL, "mmr_region_open_fd: only MMR_POPULATE, MMR_THP and "
				"MMR_REQUIRE_SEALED apply to an existing object (flags 0x%x)",
				flags);
	if (fd < 0)
		return mmri_err(EBADF, "mmr_region_open_fd: fd %d is not valid", fd);
	ret = mmri_fstat(fd, &st);
	if (!ret)
		ret = mmri_fstatfs(fd, &sfs);
	if (ret)
		return mmri_err(ret, "mmr_region_open_fd: fd %d cannot be examined", fd);
	if (!S_ISREG(st.st_mode) || fd_kind(fd, &sfs, &b))
		return mmri_err(EINVAL, "mmr_region_open_fd: fd %d is not a shared memory "
				"object (memfd, POSIX shm, tmpfs or hugetlbfs file)", fd);
	if (st.st_size <= 0)
		return mmri_err(EINVAL, "mmr_region_open_fd: the object behind fd %d is "
				"empty", fd);
	if ((flags & MMR_REQUIRE_SEALED) &&
	    (ret = mmri_require_sealed(fd, "mmr_region_open_fd", "open it without "
					"MMR_REQUIRE_SEALED if you trust every holder of the fd")))
		return ret;
	flags &= ~MMR_REQUIRE_SEALED;
	r = calloc(1, sizeof(*r));
	if (!r)
		return mmri_err(ENOMEM, "mmr_region_open_fd: out of memory");
	r->fd = mmri_fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (r->fd < 0) {
		ret = r->fd;
		free(r);
		return mmri_err(ret, "mmr_region_open_fd: dup of fd %d failed%s", fd,
				ret == -EMFILE ? ": too many open files, raise ulimit -n" : "");
	}
	r->ops = mmri_backend_ops(b);
	r->hugetlb = b == MMR_BACKEND_HUGETLBFS;
	r->page_size = r->hugetlb ? (size_t)sfs.f_bsize : mmri_base_page();
	if (r->hugetlb && sfs.f_bsize >= (long)MMRI_SZ_1G)
		r->flags = MMR_HUGE_1GB;
	else if (r->hugetlb)
		r->flags = MMR_HUGE_2MB;
	r->flags |= b | flags;
	r->size = (size_t)st.st_size;
	r->shmid = -1;
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

/* ---- views ---- */

int mmri_region_add_view(struct mmr_region *r, void *addr, size_t off, size_t len)
{
	if (!r->views) {
		r->views = r->inline_views;
		r->cap = sizeof(r->inline_views) / sizeof(r->inline_views[0]);
	}
	if (r->nviews == r->cap) {
		size_t cap = r->cap * 2;
		struct mmri_view *v;

		if (r->views == r->inline_views) {
			v = malloc(cap * sizeof(*v));
			if (v)
				memcpy(v, r->views, r->nviews * sizeof(*v));
		} else {
			v = realloc(r->views, cap * sizeof(*v));
		}
		if (!v)
			return -ENOMEM;
		r->views = v;
		r->cap = cap;
	}
	r->views[r->nviews++] = (struct mmri_view){ addr, len, off };
	return 0;
}

static int check_range(const char *fn, const struct mmr_region *r, size_t off,
		       size_t len)
{
	if (!r)
		return mmri_err(EINVAL, "%s: region is NULL", fn);
	if (!len)
		return mmri_err(EINVAL, "%s: length is 0", fn);
	if ((off | len) & (r->page_size - 1))
		return mmri_err(EINVAL, "%s: offset %zu and length %zu must be multiples "
				"of the region's page size (%zu)", fn, off, len, r->page_size);
	if (off > r->size || len > r->size - off)
		return mmri_err(EINVAL, "%s: [%zu, +%zu) goes past the end of the region "
				"(%zu bytes)", fn, off, len, r->size);
	return 0;
}

static int check_view_args(struct mmr_region *r, size_t off, size_t len, void *addr,
			   int prot, unsigned flags)
{
	int ret = check_range("mmr_view", r, off, len);

	if (ret)
		return ret;
	if (flags & ~MMR_VIEW_FLAGS)
		return mmri_err(EINVAL, "mmr_view: unknown flags 0x%x", flags & ~MMR_VIEW_FLAGS);
	if ((flags & MMR_FIXED) && (flags & MMR_FIXED_NOREPLACE))
		return mmri_err(EINVAL, "mmr_view: MMR_FIXED and MMR_FIXED_NOREPLACE "
				"exclude each other");
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return mmri_err(EINVAL, "mmr_view: prot 0x%x has bits other than PROT_READ, "
				"PROT_WRITE and PROT_EXEC", prot);
	if ((flags & (MMR_FIXED | MMR_FIXED_NOREPLACE)) && r->owner)
		return mmri_err(EBUSY, "mmr_view: this region belongs to an %s, whose "
				"bookkeeping a fixed view would bypass: use %s_map()",
				r->owner, r->owner);
	if ((flags & (MMR_FIXED | MMR_FIXED_NOREPLACE)) &&
	    (!addr || ((uintptr_t)addr & (r->page_size - 1))))
		return mmri_err(EINVAL, "mmr_view: a fixed address must be non-NULL and "
				"aligned to the page size (%zu): %p", r->page_size, addr);
	return 0;
}

void *mmr_view(mmr_region *r, size_t off, size_t len, void *addr, int prot,
	       unsigned flags)
{
	bool fixed = flags & (MMR_FIXED | MMR_FIXED_NOREPLACE);
	bool populate;
	void *p;
	int ret;

	ret = check_view_args(r, off, len, addr, prot, flags);
	if (ret)
		return NULL;
	populate = (flags | r->flags) & MMR_POPULATE;
	pthread_mutex_lock(&r->lock);
	if (flags & MMR_FIXED_NOREPLACE) {
		ret = mmri_reserve_noreplace(addr, len);
		if (ret) {
			pthread_mutex_unlock(&r->lock);
			return mmri_err_ptr(ret, "mmr_view: [%p, +%zu) %s (MMR_FIXED_NOREPLACE)",
					    addr, len, ret == -EEXIST ?
					    "is already mapped" : "cannot be reserved");
		}
	}
	p = r->ops->map(r, off, len, fixed ? addr : NULL, prot, fixed, &populate);
	if (IS_ERR(p)) {
		ret = (int)PTR_ERR(p);
		goto undo_reserve;
	}
	if (populate) {
		ret = mmri_populate(p, len, prot);
		if (ret) {
			mmri_err(ret, "prefaulting %zu bytes failed: %s", len, mmri_map_hint(-ret));
			goto undo_map;
		}
	}
	if (r->flags & MMR_THP)
		mmri_madvise(p, len, MADV_HUGEPAGE);	/* advice only: may be off */
	ret = mmri_region_add_view(r, p, off, len);
	if (ret) {
		mmri_err(ret, "out of memory for the view list");
		goto undo_map;
	}
	pthread_mutex_unlock(&r->lock);
	return p;

undo_map:
	if (fixed)	/* keep the caller's range reserved, never a hole */
		mmri_mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
			  MAP_NORESERVE, -1, 0);
	else
		mmri_munmap(p, len);
undo_reserve:
	if (flags & MMR_FIXED_NOREPLACE)
		mmri_munmap(addr, len);
	pthread_mutex_unlock(&r->lock);
	fail("mmr_view", ret);
	return NULL;
}

int mmr_unview(mmr_region *r, void *addr, size_t len)
{
	int ret;

	if (!r)
		return mmri_err(EINVAL, "mmr_unview: region is NULL");
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->nviews; i++) {
		if (r->views[i].addr != addr || r->views[i].len != len)
			continue;
		ret = mmri_munmap(addr, len);
		if (!ret)
			r->views[i] = r->views[--r->nviews];
		pthread_mutex_unlock(&r->lock);
		if (ret)
			return mmri_err(ret, "mmr_unview: munmap of [%p, +%zu) failed", addr, len);
		return 0;
	}
	pthread_mutex_unlock(&r->lock);
	return mmri_err(EINVAL, "mmr_unview: [%p, +%zu) is not a view of this region",
			addr, len);
}

size_t mmr_region_view_count(const mmr_region *r)
{
	size_t n;

	if (!r)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&r->lock);
	n = r->nviews;
	pthread_mutex_unlock((pthread_mutex_t *)&r->lock);
	return n;
}

/* ---- the rest of a region's life ---- */

int mmr_region_resize(mmr_region *r, size_t new_size)
{
	int ret = 0;

	if (!r)
		return mmri_err(EINVAL, "mmr_region_resize: region is NULL");
	if (!new_size || new_size > MMRI_MAX_SIZE)
		return mmri_err(EINVAL, "mmr_region_resize: bad size %zu", new_size);
	if (r->owner)
		return mmri_err(EBUSY, "mmr_region_resize: this region belongs to an %s: "
				"its size is the heap's", r->owner);
	new_size = (new_size + r->page_size - 1) & ~(r->page_size - 1);
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->nviews; i++) {
		if (r->views[i].off + r->views[i].len > new_size) {
			ret = mmri_err(EBUSY, "mmr_region_resize: the view at %p maps up to "
				       "offset %zu, past the new size %zu: unview it first",
				       r->views[i].addr, r->views[i].off + r->views[i].len,
				       new_size);
			goto out;
		}
	}
	if (new_size != r->size) {
		ret = r->ops->resize(r, new_size);
		if (ret)
			fail("mmr_region_resize", ret);
		else
			r->size = new_size;
	}
out:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* Run @op (the backend's commit or discard) on [off, off+len) under the
 * region's lock: not while a resize is under way, and only if the range
 * is still inside the region once the lock is held. Its failures are
 * prefixed with @prefix, if any. */
static int locked_range_op(mmr_region *r, const char *fn, size_t off, size_t len,
			   int (*op)(struct mmr_region *, size_t, size_t),
			   const char *prefix)
{
	int ret = check_range(fn, r, off, len);

	if (ret)
		return ret;
	pthread_mutex_lock(&r->lock);
	if (off > r->size || len > r->size - off)
		ret = mmri_err(EINVAL, "the region shrank to %zu bytes", r->size);
	else
		ret = op(r, off, len);
	pthread_mutex_unlock(&r->lock);
	return ret && prefix ? fail(prefix, ret) : ret;
}

int mmri_region_commit(mmr_region *r, size_t off, size_t len)
{
	return locked_range_op(r, "commit", off, len, r ? r->ops->commit : NULL, NULL);
}

int mmr_region_discard(mmr_region *r, size_t off, size_t len)
{
	if (r && r->owner)
		return mmri_err(EBUSY, "mmr_region_discard: this region belongs to an %s: "
				"use %s_uncommit()", r->owner, r->owner);
	return locked_range_op(r, "mmr_region_discard", off, len,
			       r ? r->ops->discard : NULL, "mmr_region_discard");
}

int mmr_region_fd(const mmr_region *r)
{
	if (!r)
		return mmri_err(EINVAL, "mmr_region_fd: region is NULL");
	if (r->fd < 0)
		return mmri_err(EOPNOTSUPP, "mmr_region_fd: the %s backend has no file "
				"descriptor: use memfd, posix or hugetlbfs to share by fd",
				r->ops->name);
	return r->fd;
}

size_t mmr_region_size(const mmr_region *r)
{
	return r ? r->size : 0;
}

size_t mmr_region_page_size(const mmr_region *r)
{
	return r ? r->page_size : 0;
}

enum mmr_backend mmr_region_backend(const mmr_region *r)
{
	return r ? r->ops->id : MMR_BACKEND_AUTO;
}

void mmr_region_destroy(mmr_region *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nviews; i++)
		mmri_munmap(r->views[i].addr, r->views[i].len);
	r->ops->destroy(r);
	if (r->views != r->inline_views)
		free(r->views);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
