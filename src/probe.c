// SPDX-License-Identifier: MIT
/*
 * What works on this machine. Probed once and cached, but never trusted
 * blindly: region creation falls back to the next backend when the cached
 * best one fails, and mmr_probe_reset() forgets the cache (GNU Radio's
 * saved strategy that is never re-tested is the failure to avoid).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "internal.h"


static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mmr_probe_report cache;
static bool cache_valid;

/* Does mremap() accept @flags for a mirror of a fresh mapping of @fd? */
static bool mirror_works(int fd, size_t len, int map_flags, int mremap_flags)
{
	volatile char *a, *b;
	bool ok = false;

	a = mmri_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | map_flags, fd, 0);
	if (IS_ERR((void *)a))
		return false;
	b = mmri_mremap((void *)a, len, len, MREMAP_MIRROR | MREMAP_MAYMOVE |
			mremap_flags, NULL);
	if (!IS_ERR((void *)b)) {
		ok = b != a;
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

static void probe_native(struct mmr_probe_report *rep)
{
	size_t page = mmri_base_page();
	int fd;

	rep->native_mirror = mirror_works(-1, page, MAP_ANONYMOUS, 0);
	if (!rep->native_mirror)
		return;
	rep->native_populate = mirror_works(-1, page, MAP_ANONYMOUS, MREMAP_POPULATE);
	/* No page is touched, so an empty pool does not matter; but a file
	 * size over RLIMIT_FSIZE would be a SIGXFSZ. */
	if (!mmri_fsize_ok(MMRI_SZ_2M))
		return;
	fd = mmri_memfd_create("memmirror-probe", MFD_CLOEXEC | MFD_HUGETLB);
	if (fd < 0)
		return;
	if (!mmri_ftruncate(fd, (off_t)MMRI_SZ_2M))
		rep->native_hugetlb = mirror_works(fd, MMRI_SZ_2M, MAP_NORESERVE, 0);
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

static void probe_all(struct mmr_probe_report *rep)
{
	static const enum mmr_backend order[] = {
		MMR_BACKEND_NATIVE, MMR_BACKEND_MEMFD, MMR_BACKEND_POSIX,
		MMR_BACKEND_SYSV, MMR_BACKEND_MREMAP,
	};

	memset(rep, 0, sizeof(*rep));
	probe_system(rep);
	probe_pools(rep);
	probe_native(rep);
	for (int b = 1; b < MMR_BACKEND_COUNT; b++)
		mmri_backend_ops(b)->probe(&rep->backend[b], rep);
	rep->best = MMR_BACKEND_AUTO;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (rep->backend[order[i]].available) {
			rep->best = order[i];
			break;
		}
	}
}

const struct mmr_probe_report *mmri_probe_cached(void)
{
	pthread_mutex_lock(&probe_lock);
	if (!cache_valid) {
		struct mmr_probe_report fresh;

		probe_all(&fresh);
		cache = fresh;
		cache_valid = true;
	}
	pthread_mutex_unlock(&probe_lock);
	return &cache;
}

int mmr_probe(struct mmr_probe_report *rep)
{
	if (!rep)
		return mmri_err(EINVAL, "mmr_probe: report is NULL");
	mmri_probe_cached();
	mmri_fsize_limit_forget();
	pthread_mutex_lock(&probe_lock);
	probe_pools(&cache);
	*rep = cache;
	pthread_mutex_unlock(&probe_lock);
	return 0;
}

void mmr_probe_reset(void)
{
	pthread_mutex_lock(&probe_lock);
	cache_valid = false;
	pthread_mutex_unlock(&probe_lock);
	mmri_fsize_limit_forget();
}
