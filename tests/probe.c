// SPDX-License-Identifier: MIT
/* mmr_probe: what it reports matches the system, and it can be redone. */
#include <mntent.h>
#include <stddef.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include "helpers.h"
#include "syscall.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int report(void)
{
	struct mmr_probe_report rep, again;
	struct utsname u;
	int any = 0;

	CHECK_EQ(mmr_probe(&rep), 0);
	CHECK_EQ(uname(&u), 0);
	CHECK(!strcmp(rep.kernel, u.release));
	CHECK_EQ(rep.base_page_size, t_page());
	for (int b = 1; b < MMR_BACKEND_COUNT; b++) {
		any |= rep.backend[b].available;
		/* Every unavailable backend says why. */
		if (!rep.backend[b].available)
			CHECK(rep.backend[b].why[0] && rep.backend[b].error);
	}
	CHECK(any);
	CHECK(rep.best != MMR_BACKEND_AUTO && rep.backend[rep.best].available);
	CHECK_EQ(rep.huge_2m_total,
		 read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"));
	CHECK_EQ(rep.native_mirror, rep.backend[MMR_BACKEND_NATIVE].available);
	mmr_probe_reset();
	CHECK_EQ(mmr_probe(&again), 0);
	CHECK_EQ(again.best, rep.best);
	CHECK_EQ(mmr_probe(NULL), -EINVAL);
	return T_PASS;
}

/* Pool counters are read fresh on every call, not cached with the rest. */
static int pool_is_live(void)
{
	struct mmr_probe_report rep;
	long old = t_hugepages_reserve(2), seen;

	if (old < 0)
		return T_SKIP;

	mmr_probe(&rep);
	seen = rep.huge_2m_free;
	t_hugepages_restore(old);	/* before any CHECK can return */
	CHECK(seen >= 2);
	mmr_probe(&rep);
	CHECK_EQ(rep.huge_2m_total, old);
	return T_PASS;
}

/* Out of fds during the first probe: memfd and posix are down for now,
 * said so, and neither the result nor AUTO's choice stays that way. */
static int shortage_not_cached(void)
{
	struct mmr_probe_report rep;
	const char *why;
	mmr_region *r;

	mmr_probe_reset();
	mmri_fault_inject(MMRI_SYS_MEMFD_CREATE, EMFILE, 0, 0);
	mmri_fault_inject(MMRI_SYS_SHM_OPEN, EMFILE, 0, 0);
	CHECK_EQ(mmr_probe(&rep), 0);
	mmri_fault_clear();
	why = rep.backend[MMR_BACKEND_MEMFD].why;
	CHECK(!rep.backend[MMR_BACKEND_MEMFD].available);
	CHECK_EQ(rep.backend[MMR_BACKEND_MEMFD].error, EMFILE);
	CHECK(strstr(why, "ulimit -n"));
	CHECK(!strstr(why, "seccomp"));
	CHECK(!rep.backend[MMR_BACKEND_POSIX].available);
	/* The fds are back: AUTO gives a region with an fd again... */
	CHECK_EQ(mmr_region_create(&r, t_page(), MMR_BACKEND_AUTO), 0);
	CHECK(mmr_region_fd(r) >= 0);
	mmr_region_destroy(r);
	/* ...and the probe says so. */
	CHECK_EQ(mmr_probe(&rep), 0);
	CHECK(rep.backend[MMR_BACKEND_MEMFD].available);
	CHECK(rep.backend[MMR_BACKEND_POSIX].available);
	return T_PASS;
}

/* A /dev/shm on disk is refused by the posix backend, in probe and create. */
static int posix_needs_tmpfs(void)
{
	char dir[] = "/var/tmp/mmr-shm-XXXXXX", *made;
	struct mmr_probe_report rep;
	struct statfs sfs;
	mmr_region *r = NULL;
	int ret;

	if (t_private_mounts())
		return T_SKIP;
	made = mkdtemp(dir);
	if (!made && errno == ENOENT)
		SKIP("no /var/tmp here (an initramfs): no disk directory to put on /dev/shm");
	CHECK(made);
	CHECK_EQ(statfs(dir, &sfs), 0);
	if ((unsigned long)sfs.f_type == TMPFS_MAGIC) {
		rmdir(dir);
		SKIP("%s is a tmpfs: no disk directory to put on /dev/shm", dir);
	}
	CHECK_EQ(mount(dir, "/dev/shm", "none", MS_BIND, NULL), 0);
	mmr_probe_reset();
	CHECK_EQ(mmr_probe(&rep), 0);
	ret = mmr_region_create(&r, t_page(), MMR_BACKEND_POSIX);
	umount2("/dev/shm", MNT_DETACH);
	rmdir(dir);
	CHECK(!rep.backend[MMR_BACKEND_POSIX].available);
	CHECK(strstr(rep.backend[MMR_BACKEND_POSIX].why, "tmpfs"));
	CHECK_EQ(ret, -EOPNOTSUPP);
	CHECK(strstr(mmr_last_error(), "not a tmpfs"));
	CHECK(r == NULL);
	return T_PASS;
}

/* A hugetlbfs mounted at a path with a space (\040 in /proc/mounts). */
static int hugetlbfs_path_with_space(void)
{
	char dir[] = "/tmp/mmr huge-XXXXXX";
	struct mmr_probe_report rep;
	struct mntent *m;
	FILE *f;

	if (access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK))
		SKIP("no 2 MiB hugetlb pages in this kernel");
	if (t_private_mounts())
		return T_SKIP;
	/* Ours must be the only hugetlbfs. */
	f = setmntent("/proc/mounts", "re");
	CHECK(f);
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "hugetlbfs"))
			umount2(m->mnt_dir, MNT_DETACH);
	endmntent(f);
	CHECK(mkdtemp(dir));
	if (mount("none", dir, "hugetlbfs", 0, "pagesize=2M")) {
		rmdir(dir);
		SKIP("cannot mount hugetlbfs: %s", strerror(errno));
	}
	mmr_probe_reset();
	CHECK_EQ(mmr_probe(&rep), 0);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	CHECK(rep.backend[MMR_BACKEND_HUGETLBFS].available);
	CHECK(rep.hugetlbfs_2m_mounted);
	return T_PASS;
}

/* The report's layout does not depend on how many backends there are, and
 * mmr_probe_size() serves callers built with a longer or shorter struct. */
static int report_extensible(void)
{
	struct {
		struct mmr_probe_report rep;
		unsigned char future[64];	/* fields of a later version */
	} big;
	struct mmr_probe_report rep;
	size_t part = offsetof(struct mmr_probe_report, kernel);

	_Static_assert(sizeof(rep.backend) / sizeof(rep.backend[0]) == MMR_BACKEND_SLOTS,
		       "the backend array has a fixed number of slots");
	memset(&big, 0xa5, sizeof(big));
	CHECK_EQ(mmr_probe_size(&big.rep, sizeof(big)), sizeof(big.rep));
	for (size_t i = 0; i < sizeof(big.future); i++)
		CHECK_EQ(big.future[i], 0);		/* unknown to this library: zeroed */
	CHECK_EQ(big.rep.backend_count, MMR_BACKEND_COUNT);
	CHECK_EQ(mmr_probe(&rep), 0);
	CHECK_EQ(rep.best, big.rep.best);
	CHECK(!strcmp(rep.kernel, big.rep.kernel));
	/* An older, shorter struct: only its bytes are written. */
	memset(&big, 0xa5, sizeof(big));
	CHECK_EQ(mmr_probe_size(&big.rep, part), part);
	CHECK_EQ((unsigned char)big.rep.kernel[0], 0xa5);
	CHECK_EQ(big.rep.best, rep.best);
	CHECK_EQ(mmr_probe_size(&big.rep, 4), -EINVAL);
	CHECK_EQ(mmr_probe_size(NULL, sizeof(rep)), -EINVAL);
	return T_PASS;
}

/* mmr_version() is the library's version, which this build's header names. */
static int version(void)
{
	unsigned a, b, c;
	char tail;

	CHECK(mmr_version());
	CHECK(!strcmp(mmr_version(), MMR_VERSION_STRING));
	CHECK_EQ(sscanf(mmr_version(), "%u.%u.%u%c", &a, &b, &c, &tail), 3);
	CHECK_EQ(a, MMR_VERSION_MAJOR);
	CHECK_EQ(b, MMR_VERSION_MINOR);
	CHECK_EQ(c, MMR_VERSION_PATCH);
	return T_PASS;
}

T_MAIN(T(report), T(pool_is_live), T(shortage_not_cached), T(posix_needs_tmpfs),
       T(hugetlbfs_path_with_space), T(report_extensible), T(version))
