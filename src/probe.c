// SPDX-License-Identifier: MIT
/*
 * What works on this machine. Probed once and cached, but never trusted
 * blindly: region creation falls back to the next backend when the cached
 * best one fails, and mmr_probe_reset() forgets the cache (GNU Radio's
 * saved strategy that is never re-tested is the failure to avoid).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "linux_compat.h"
#include "region.h"
#include "error.h"
#include "fd_backend.h"
#include "util.h"
#include "probe_facts.h"
#include "syscall.h"


/* The cache is read and written only under probe_lock: other files get a
 * copy of what they need (mmri_probe_facts()), never a pointer into it. */
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mmr_probe_report cache;
static bool cache_valid;

/* A shortage that passes (fds, memory), not a lack of support: a backend
 * that failed for one of these is tried again, and the probe is redone. */
static bool transient(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM || err == EAGAIN ||
	       err == EINTR;
}

static const char *transient_why(int err)
{
	switch (err) {
	case EMFILE:
		return "too many open files in this process: raise ulimit -n";
	case ENFILE:
		return "the system file table is full";
	case ENOMEM:
		return "out of memory";
	default:
		return "a resource was busy";
	}
}

/* Does mremap() accept @flags for a mirror of a fresh mapping of @fd?
 * *@passing is set when the test itself could not run for a shortage. */
static bool mirror_works(int fd, size_t len, int map_flags, int mremap_flags,
			 bool *passing)
{
	volatile char *a, *b;
	bool ok = false;

	a = mmri_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | map_flags, fd, 0);
	if (IS_ERR((void *)a)) {
		*passing |= transient((int)-PTR_ERR((void *)a));
		return false;
	}
	b = mmri_mremap((void *)a, len, len, MREMAP_MIRROR | MREMAP_MAYMOVE |
			mremap_flags, NULL);
	if (!IS_ERR((void *)b)) {
		/* A kernel that gives the flag another meaning (a move, that
		 * leaves no source behind) must not pass for one that mirrors:
		 * the source must still be mapped, and share its pages. */
		ok = b != a && !mmri_madvise((void *)a, len, MADV_NORMAL);
		if (ok && !(map_flags & MAP_NORESERVE)) {
			a[0] = 42;
			__asm__ __volatile__("" ::: "memory");
			ok = b[0] == 42;
		}
		mmri_munmap((void *)b, len);
	}
	mmri_munmap((void *)a, len);
	return ok;
}

static void probe_native(struct mmr_probe_report *rep, bool *passing)
{
	size_t page = mmri_base_page();
	int fd;

	rep->native_mirror = mirror_works(-1, page, MAP_ANONYMOUS, 0, passing);
	if (!rep->native_mirror)
		return;
	rep->native_populate = mirror_works(-1, page, MAP_ANONYMOUS, MREMAP_POPULATE,
					     passing);
	/* No page is touched, so an empty pool does not matter; but a file
	 * size over RLIMIT_FSIZE would be a SIGXFSZ. */
	if (!mmri_fsize_ok(MMRI_SZ_2M))
		return;
	fd = mmri_memfd_create("memmirror-probe", MFD_CLOEXEC | MFD_HUGETLB);
	if (fd < 0) {
		*passing |= transient(-fd);
		return;
	}
	if (!mmri_ftruncate(fd, (off_t)MMRI_SZ_2M))
		rep->native_hugetlb = mirror_works(fd, MMRI_SZ_2M, MAP_NORESERVE, 0,
						   passing);
	mmri_close(fd);
}

static void probe_pools(struct mmr_probe_report *rep)
{
	const char *d2 = "/sys/kernel/mm/hugepages/hugepages-2048kB/";
	const char *d1 = "/sys/kernel/mm/hugepages/hugepages-1048576kB/";
	char path[128];

	snprintf(path, sizeof(path), "%snr_hugepages", d2);
	rep->huge_2m_total = mmri_read_long(path);
	snprintf(path, sizeof(path), "%sfree_hugepages", d2);
	rep->huge_2m_free = mmri_read_long(path);
	snprintf(path, sizeof(path), "%snr_hugepages", d1);
	rep->huge_1g_total = mmri_read_long(path);
	snprintf(path, sizeof(path), "%sfree_hugepages", d1);
	rep->huge_1g_free = mmri_read_long(path);
}

static void probe_system(struct mmr_probe_report *rep)
{
	char buf[256], dir[PATH_MAX], *s, *e;
	struct utsname u;

	if (!mmri_uname(&u)) {
		snprintf(rep->kernel, sizeof(rep->kernel), "%s", u.release);
		sscanf(u.release, "%u.%u", &rep->kernel_major, &rep->kernel_minor);
	}
	rep->base_page_size = mmri_base_page();
	rep->hugetlbfs_2m_mounted = !mmri_hugetlbfs_mount(MMRI_SZ_2M, dir, sizeof(dir));
	rep->hugetlbfs_1g_mounted = !mmri_hugetlbfs_mount(MMRI_SZ_1G, dir, sizeof(dir));
	snprintf(rep->thp_shmem, sizeof(rep->thp_shmem), "unsupported");
	if (mmri_read_file("/sys/kernel/mm/transparent_hugepage/shmem_enabled", buf,
			   sizeof(buf)) > 0 && (s = strchr(buf, '[')) && (e = strchr(s, ']'))) {
		*e = 0;
		snprintf(rep->thp_shmem, sizeof(rep->thp_shmem), "%s", s + 1);
	}
}

/* Probe everything into @rep; returns false if a shortage spoiled a test. */
static bool probe_all(struct mmr_probe_report *rep)
{
	const struct mmri_backend_ops *ops;
	bool passing = false;

	memset(rep, 0, sizeof(*rep));
	rep->backend_count = MMR_BACKEND_COUNT;
	probe_system(rep);
	probe_pools(rep);
	probe_native(rep, &passing);
	for (int b = 1; b < MMR_BACKEND_COUNT; b++) {
		struct mmr_backend_status *st = &rep->backend[b];

		mmri_backend_ops(b)->probe(st, rep);
		if (!st->available && transient(st->error)) {
			passing = true;
			snprintf(st->why, sizeof(st->why), "%s (for now: tried again on "
				 "the next region and probe)", transient_why(st->error));
		}
	}
	rep->best = MMR_BACKEND_AUTO;
	for (size_t i = 0; (ops = mmri_backend_nth(i)); i++) {
		if ((ops->pages & MMRI_PAGES_BASE) && rep->backend[ops->id].available) {
			rep->best = ops->id;
			break;
		}
	}
	return !passing;
}

/* Probe now if the cache is not valid. Called with probe_lock held. */
static void refresh_locked(void)
{
	if (!cache_valid) {
		struct mmr_probe_report fresh;

		/* A result spoiled by a shortage is shown but not kept. */
		cache_valid = probe_all(&fresh);
		cache = fresh;
	}
}

void mmri_probe_facts(struct mmri_probe_facts *f)
{
	pthread_mutex_lock(&probe_lock);
	refresh_locked();
	f->usable = 0;
	for (int b = 1; b < MMR_BACKEND_COUNT; b++)
		if (cache.backend[b].available || transient(cache.backend[b].error))
			f->usable |= 1u << b;
	f->usable_hugetlb = f->usable;
	if (!cache.native_hugetlb)
		f->usable_hugetlb &= ~(1u << MMR_BACKEND_NATIVE);
	f->native_mirror = cache.native_mirror;
	f->native_populate = cache.native_populate;
	f->native_hugetlb = cache.native_hugetlb;
	f->huge_2m = cache.huge_2m_total >= 0;
	snprintf(f->kernel, sizeof(f->kernel), "%s", cache.kernel);
	pthread_mutex_unlock(&probe_lock);
}

/* The report as this library lays it out; callers built against an older
 * header pass a shorter prefix of it. */
static int probe_into(const char *fn, void *rep, size_t size)
{
	size_t n = size < sizeof(cache) ? size : sizeof(cache);

	if (!rep)
		return mmri_err(EINVAL, "%s: report is NULL", fn);
	if (size < offsetof(struct mmr_probe_report, best))
		return mmri_err(EINVAL, "%s: a report of %zu bytes is too small", fn, size);
	mmri_fsize_limit_forget();
	pthread_mutex_lock(&probe_lock);
	refresh_locked();
	probe_pools(&cache);
	memcpy(rep, &cache, n);
	pthread_mutex_unlock(&probe_lock);
	if (size > n)
		memset((char *)rep + n, 0, size - n);
	return (int)n;
}

int mmr_probe(struct mmr_probe_report *rep)
{
	/* The 0.1 layout, for good: a later release that appends fields
	 * keeps this copying only the fields of 0.1. */
	int ret = probe_into("mmr_probe", rep, sizeof(*rep));

	return ret < 0 ? ret : 0;
}

int mmr_probe_size(struct mmr_probe_report *rep, size_t size)
{
	return probe_into("mmr_probe_size", rep, size);
}

void mmr_probe_reset(void)
{
	pthread_mutex_lock(&probe_lock);
	cache_valid = false;
	pthread_mutex_unlock(&probe_lock);
	mmri_fsize_limit_forget();
}
