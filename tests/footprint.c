// SPDX-License-Identifier: MIT
/*
 * mmr footprint (tools/footprint.c): RSS counts a page once per view, the
 * unique count once; object sizes; huge pages in their own size; clean
 * errors for a process that exits mid-read or belongs to another user.
 * Each case measures the process it runs in (a forked child).
 */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "helpers.h"
#include "footprint.h"

#define MiB (1ULL << 20)
#define NOBODY 65534	/* Debian's nobody; no NSS in static builds */

static struct footprint fp;
static char err[512];

static int scan_self(int by_offset)
{
	struct fp_options opt = { .by_offset = by_offset };

	fp_free(&fp);
	fp_init(&fp);
	if (fp_scan(&fp, getpid(), &opt, err, sizeof(err)))
		return -1;
	fp_finish(&fp, &opt);
	return 0;
}

/* The object mapped at @p. */
static struct fp_object *object_at(const void *p)
{
	uint64_t a = (uintptr_t)p;

	for (size_t i = 0; i < fp.nview; i++)
		if (fp.view[i].start <= a && a < fp.view[i].end)
			return &fp.obj[fp.view[i].object];
	return NULL;
}

static void touch(volatile char *p, size_t len, int write)
{
	for (size_t i = 0; i < len; i += 4096) {
		if (write)
			p[i] = (char)i;
		else
			(void)p[i];
	}
}

#define CHECK_SCAN(by_offset) do {					\
	if (scan_self(by_offset)) {					\
		snprintf(t_msg, sizeof(t_msg), "%s:%d: fp_scan: %s",	\
			 __FILE__, __LINE__, err);			\
		return T_FAIL;						\
	}								\
} while (0)

/* The case: 64 MiB, three views, every page touched in each. */
static int memfd_three_views(void)
{
	size_t size = 64 * MiB;
	struct fp_object *o;
	mmr_region *r;
	char *v[3];

	CHECK_EQ(mmr_region_create(&r, size, MMR_BACKEND_MEMFD), 0);
	for (int i = 0; i < 3; i++) {
		v[i] = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
		CHECK(v[i]);
		touch(v[i], size, i == 0);
	}
	for (int by_offset = 0; by_offset < 2; by_offset++) {
		CHECK_SCAN(by_offset);
		o = object_at(v[0]);
		CHECK(o && o == object_at(v[1]) && o == object_at(v[2]));
		CHECK_EQ(o->kind, FP_MEMFD);
		CHECK_EQ(o->views, 3);
		CHECK_EQ(o->rss, 3 * size);
		CHECK_EQ(o->unique, size);
		CHECK_EQ(o->size, size);
		CHECK_EQ(o->resident, size);
		CHECK(o->pss_known && o->pss >= size - MiB && o->pss <= size + MiB);
		CHECK(fp.total.rss >= 3 * size && fp.total.unique >= size);
		CHECK(fp.total.rss - fp.total.unique >= 2 * size);
		CHECK(fp.process_rss >= 3 * size);
	}
	mmr_region_destroy(r);
	return T_PASS;
}

/* Some pages through one view, some through two, some through none. */
static int partially_touched(void)
{
	size_t size = 16 * MiB;
	struct fp_object *o;
	mmr_region *r;
	char *a, *b, *c;

	CHECK_EQ(mmr_region_create(&r, size, MMR_BACKEND_MEMFD), 0);
	a = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
	b = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
	c = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(a && b && c);
	touch(a, size / 2, 1);			/* [0, 8) MiB */
	touch(b + 6 * MiB, 4 * MiB, 0);		/* [6, 10) MiB */
	for (int by_offset = 0; by_offset < 2; by_offset++) {
		CHECK_SCAN(by_offset);
		o = object_at(a);
		CHECK(o && o == object_at(c));
		CHECK_EQ(o->views, 3);
		/* Read faults map up to 64 KiB of cached neighbours too. */
		CHECK(o->rss >= 12 * MiB && o->rss <= 12 * MiB + 64 * 1024);
		CHECK_EQ(o->unique, 10 * MiB);	/* [0, 10) MiB */
		CHECK_EQ(o->resident, 10 * MiB);
		CHECK_EQ(o->size, size);
	}
	/* Pages no view maps any more still cost: resident says so. */
	CHECK_EQ(mmr_unview(r, a, size), 0);
	CHECK_SCAN(0);
	o = object_at(b);
	CHECK_EQ(o->views, 2);
	CHECK(o->unique >= 4 * MiB && o->unique <= 4 * MiB + 64 * 1024);
	CHECK_EQ(o->resident, 10 * MiB);
	mmr_region_destroy(r);
	return T_PASS;
}

/* A colored heap: 16 views of one object, each read in full. */
static int heap_sixteen_views(void)
{
	size_t size = 4 * MiB;
	struct fp_object *o;
	mmr_heap *h;

	/* memfd: the native backend adds its master mapping as a 17th view. */
	CHECK_EQ(mmr_heap_create(&h, size, 16, MMR_BACKEND_MEMFD), 0);
	CHECK_EQ(mmr_heap_commit(h, 0, mmr_heap_size(h)), 0);
	touch(mmr_heap_base(h, 0), size, 1);
	for (unsigned v = 1; v < 16; v++)
		touch(mmr_heap_base(h, v), size, 0);
	CHECK_SCAN(0);
	o = object_at(mmr_heap_base(h, 0));
	CHECK(o && o == object_at(mmr_heap_base(h, 15)));
	CHECK_EQ(o->views, 16);
	CHECK_EQ(o->rss, 16 * size);
	CHECK_EQ(o->unique, size);
	mmr_heap_destroy(h);
	return T_PASS;
}

/* A ring's data is mapped twice: a record across the end touches both. */
static int ring_two_data_views(void)
{
	size_t cap, n;
	struct fp_object *o;
	mmr_ring *r;
	char *w;

	/* memfd: the native backend adds its master mapping as a third view. */
	CHECK_EQ(mmr_ring_create(&r, 1 * MiB, MMR_BACKEND_MEMFD), 0);
	cap = mmr_ring_capacity(r);
	w = mmr_ring_write_ptr(r, &n);	/* all of view 1's data */
	CHECK(w && n == cap);
	memset(w, 1, n);
	mmr_ring_produce(r, n);
	mmr_ring_consume(r, n);
	w = mmr_ring_write_ptr(r, &n);
	mmr_ring_produce(r, cap / 2);
	mmr_ring_consume(r, cap / 2);
	w = mmr_ring_write_ptr(r, &n);	/* from the middle, across the end */
	CHECK(w && n == cap);
	memset(w, 2, n);
	CHECK_SCAN(0);
	o = object_at(w);
	CHECK(o && o == object_at(w + cap - 1));
	CHECK_EQ(o->views, 2);
	CHECK(o->size > 0 && (uint64_t)o->size > cap);
	CHECK_EQ(o->unique, o->size);		/* header + data, once */
	CHECK_EQ(o->rss, o->size + cap / 2);	/* half the data twice */
	mmr_ring_destroy(r);
	return T_PASS;
}

/* A SysV segment: its shmid is the inode; size from /proc/sysvipc/shm. */
static int sysv_segment(void)
{
	size_t size = 4 * MiB;
	struct fp_object *o;
	mmr_region *r;
	char *a, *b;

	if (mmr_region_create(&r, size, MMR_BACKEND_SYSV))
		SKIP("no sysv backend here: %s", mmr_last_error());
	a = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
	b = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(a && b);
	touch(a, size, 1);
	touch(b, size, 0);
	CHECK_SCAN(0);
	o = object_at(a);
	CHECK(o && o == object_at(b));
	CHECK_EQ(o->kind, FP_SYSV);
	CHECK(o->views >= 2);
	CHECK_EQ(o->rss, 2 * size);
	CHECK_EQ(o->unique, size);
	CHECK_EQ(o->size, size);
	CHECK_EQ(o->resident, size);
	CHECK(!strcmp(o->size_from, "sysvipc"));
	mmr_region_destroy(r);
	return T_PASS;
}

/* Each backend that works here: two views, kind named, counted once. */
static int every_backend(void)
{
	static const struct { enum mmr_backend b; enum fp_kind kind; } cases[] = {
		{ MMR_BACKEND_MEMFD, FP_MEMFD }, { MMR_BACKEND_POSIX, FP_POSIX },
		{ MMR_BACKEND_MREMAP, FP_SHARED_ANON }, { MMR_BACKEND_NATIVE, FP_MEMFD },
	};
	size_t size = 1 * MiB;
	int tried = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fp_object *o;
		mmr_region *r;
		char *a, *b;

		/* valgrind's mremap knows no old_size 0 */
		if ((cases[i].b == MMR_BACKEND_MREMAP && t_under_valgrind()) ||
		    mmr_region_create(&r, size, cases[i].b))
			continue;
		a = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
		b = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
		CHECK(a && b);
		touch(a, size, 1);
		touch(b, size, 0);
		CHECK_SCAN(0);
		o = object_at(a);
		CHECK(o && o == object_at(b));
		CHECK_EQ(o->kind, cases[i].kind);
		CHECK_EQ(o->rss, 2 * size);
		CHECK_EQ(o->unique, size);
		mmr_region_destroy(r);
		tried++;
	}
	CHECK(tried >= 2);
	return T_PASS;
}

/* 2 MiB hugetlb pages: counted in their own size; no PSS from the kernel. */
static int hugetlb_region(void)
{
	size_t size = 4 * MiB;
	struct fp_object *o;
	mmr_region *r;
	long old;
	char *a, *b;
	int ret;

	if (t_under_valgrind())
		SKIP("valgrind does not follow hugetlb mappings");
	old = t_hugepages_reserve(2);
	if (old < 0)
		return T_SKIP;
	ret = mmr_region_create(&r, size, MMR_BACKEND_MEMFD | MMR_HUGE_2MB);
	if (ret) {
		t_hugepages_restore(old);
		SKIP("no 2 MiB hugetlb memfd: %s", mmr_last_error());
	}
	a = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
	b = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
	if (a && b) {
		touch(a, size, 1);
		touch(b, size / 2, 0);	/* one of its two huge pages */
	}
	ret = scan_self(0);
	mmr_region_destroy(r);
	t_hugepages_restore(old);	/* before any CHECK can return */
	CHECK(a && b);
	CHECK(!ret);
	o = object_at(a);
	CHECK(o && o == object_at(b));
	CHECK(o->hugetlb);
	CHECK_EQ(o->page_size, 2 * MiB);
	CHECK_EQ(o->rss, size + 2 * MiB);
	CHECK_EQ(o->unique, size);
	CHECK_EQ(o->resident, size);
	CHECK(!o->pss_known);
	return T_PASS;
}

/* A file on a hugetlbfs mount of our own, mapped twice. */
static int hugetlbfs_file(void)
{
	size_t size = 4 * MiB;
	char dir[64], file[96];
	struct fp_object o = { .views = 0 }, *p;
	char *a = MAP_FAILED, *b = MAP_FAILED;
	long old;
	int fd = -1, ret = -1;

	if (geteuid() != 0)
		SKIP("mounting hugetlbfs needs root");
	if (t_under_valgrind())
		SKIP("valgrind does not follow hugetlb mappings");
	old = t_hugepages_reserve(2);
	if (old < 0)
		return T_SKIP;
	snprintf(dir, sizeof(dir), "/tmp/mmr-footprint-XXXXXX");
	if (!mkdtemp(dir)) {
		t_hugepages_restore(old);
		SKIP("mkdtemp: %s", strerror(errno));
	}
	if (mount("none", dir, "hugetlbfs", 0, "pagesize=2M")) {
		rmdir(dir);
		t_hugepages_restore(old);
		SKIP("cannot mount hugetlbfs: %s", strerror(errno));
	}
	snprintf(file, sizeof(file), "%s/region", dir);
	fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 && !ftruncate(fd, (off_t)size)) {
		a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	}
	if (a != MAP_FAILED && b != MAP_FAILED) {
		touch(a, size, 1);
		touch(b, size, 0);
		ret = scan_self(0);
		p = ret ? NULL : object_at(a);
		if (p && p == object_at(b))
			o = *p;
	}
	if (a != MAP_FAILED)
		munmap(a, size);
	if (b != MAP_FAILED)
		munmap(b, size);
	if (fd >= 0)
		close(fd);
	unlink(file);
	umount(dir);
	rmdir(dir);
	t_hugepages_restore(old);	/* before any CHECK can return */
	CHECK(a != MAP_FAILED && b != MAP_FAILED);
	CHECK(!ret);
	CHECK_EQ(o.views, 2);
	CHECK_EQ(o.kind, FP_HUGETLBFS);
	CHECK_EQ(o.page_size, 2 * MiB);
	CHECK_EQ(o.rss, 2 * size);
	CHECK_EQ(o.unique, size);
	CHECK_EQ(o.size, size);
	CHECK_EQ(o.resident, size);
	return T_PASS;
}

/* What a user without CAP_SYS_ADMIN sees of its own process: no frame
 * numbers, the same unique bytes by offset, sizes only through fds. */
static int without_root(void)
{
	size_t size = 4 * MiB;
	struct fp_object *o;
	mmr_region *r, *anon = NULL;
	char *v[3], *a = NULL;

	if (geteuid() == 0) {
		if (setgid(NOBODY) || setuid(NOBODY))
			SKIP("cannot become nobody: %s", strerror(errno));
		/* setuid made us undumpable: /proc/self/pagemap root's again */
		prctl(PR_SET_DUMPABLE, 1);
	}
	CHECK_EQ(mmr_region_create(&r, size, MMR_BACKEND_MEMFD), 0);
	for (int i = 0; i < 3; i++) {
		v[i] = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
		CHECK(v[i]);
		touch(v[i], size, i == 0);
	}
	if (!t_under_valgrind() && !mmr_region_create(&anon, size, MMR_BACKEND_MREMAP)) {
		a = mmr_view(anon, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
		CHECK(a);
		touch(a, size, 1);
	}
	CHECK_SCAN(0);
	CHECK(!fp.by_pfn && fp.pfn_hidden);
	o = object_at(v[0]);
	CHECK(o && o == object_at(v[2]));
	CHECK_EQ(o->rss, 3 * size);
	CHECK_EQ(o->unique, size);
	CHECK_EQ(o->size, size);		/* the region's fd */
	CHECK(!strcmp(o->size_from, "fd"));
	if (a) {	/* shared anonymous memory has no fd to look through */
		o = object_at(a);
		CHECK(o && o->kind == FP_SHARED_ANON);
		CHECK_EQ(o->size, -1);
		CHECK_EQ(o->unique, size);
		CHECK(fp.total.unknown_size >= 1);
		mmr_region_destroy(anon);
	}
	mmr_region_destroy(r);
	return T_PASS;
}

/* A child that maps a mirrored region, says so, and waits to be killed. */
static pid_t start_target(void)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		mmr_region *r;
		char *a, *b;

		close(p[0]);
		if (mmr_region_create(&r, 4 * MiB, MMR_BACKEND_MEMFD))
			_exit(1);
		a = mmr_view(r, 0, 4 * MiB, NULL, PROT_READ | PROT_WRITE, 0);
		b = mmr_view(r, 0, 4 * MiB, NULL, PROT_READ | PROT_WRITE, 0);
		if (!a || !b)
			_exit(1);
		touch(a, 4 * MiB, 1);
		touch(b, 4 * MiB, 0);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	close(p[0]);
	return pid;
}

struct exit_mid_read {
	pid_t pid;
	int reap;
};

static void kill_target(void *arg)
{
	struct exit_mid_read *e = arg;

	kill(e->pid, SIGKILL);
	if (e->reap)
		waitpid(e->pid, NULL, 0);
	else
		usleep(100000);	/* dead, not reaped: a zombie without an mm */
}

/* The process goes away between its maps and its page tables. */
static int pid_exits_mid_read(void)
{
	for (int reap = 0; reap < 2; reap++) {
		struct exit_mid_read e = { start_target(), reap };
		struct fp_options opt = { .after_maps = kill_target, .arg = &e };
		struct footprint f;
		int ret;

		CHECK(e.pid > 0);
		fp_init(&f);
		ret = fp_scan(&f, e.pid, &opt, err, sizeof(err));
		fp_free(&f);
		if (!reap)
			waitpid(e.pid, NULL, 0);
		CHECK_EQ(ret, -ESRCH);
		CHECK(strstr(err, "exited"));
	}
	return T_PASS;
}

/* Someone else's process: refused with a message saying what to do. */
static int other_users_pid(void)
{
	pid_t target, child;
	int status;

	if (geteuid() != 0) {
		struct footprint f;
		int ret;

		fp_init(&f);
		ret = fp_scan(&f, 1, NULL, err, sizeof(err));	/* root's init */
		fp_free(&f);
		CHECK_EQ(ret, -EACCES);
		CHECK(strstr(err, "another user"));
		return T_PASS;
	}
	target = start_target();
	CHECK(target > 0);
	child = fork();
	if (child == 0) {
		struct footprint f;
		int ret;

		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(3);
		fp_init(&f);
		ret = fp_scan(&f, target, NULL, err, sizeof(err));
		fp_free(&f);
		_exit(ret == -EACCES && strstr(err, "another user") && strstr(err, "root") ?
		      0 : 1);
	}
	waitpid(child, &status, 0);
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	return T_PASS;
}

/* One process named twice counts once: not twice the views and RSS. */
static int same_process_twice(void)
{
	pid_t a = start_target();
	struct fp_object o = { .views = 0 };
	struct footprint f;
	uint64_t rss = 0;
	int ret;

	CHECK(a > 0);
	fp_init(&f);
	ret = fp_scan(&f, a, NULL, err, sizeof(err));
	rss = f.process_rss;
	if (!ret)
		ret = fp_scan(&f, a, NULL, err, sizeof(err));	/* the same, twice */
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	CHECK_EQ(ret, 0);
	fp_finish(&f, NULL);
	/* The region: under valgrind the target also maps valgrind's files. */
	for (size_t i = 0; i < f.nobj; i++)
		if (f.obj[i].kind == FP_MEMFD && f.obj[i].size == (int64_t)(4 * MiB))
			o = f.obj[i];
	CHECK_EQ(f.process_rss, rss);
	CHECK_EQ(f.npids, 1);
	fp_free(&f);
	CHECK_EQ(o.views, 2);
	CHECK_EQ(o.rss, 8 * MiB);
	CHECK_EQ(o.unique, 4 * MiB);
	return T_PASS;
}

/* Each view of 64 MiB of 4 KiB pages needs 32 page tables of 4 KiB (one
 * per 2 MiB): the three views cost three times that; VmPTE holds them. */
static int page_tables_per_view(void)
{
	size_t size = 64 * MiB, per_view = size / (2 * MiB) * 4096;
	struct fp_object *o;
	mmr_region *r;
	char *v[3];

	if (t_page() != 4096)
		SKIP("page tables sized for 4 KiB pages; this kernel uses %zu", t_page());
	CHECK_EQ(mmr_region_create(&r, size, MMR_BACKEND_MEMFD), 0);
	for (int i = 0; i < 3; i++) {
		v[i] = mmr_view(r, 0, size, NULL, PROT_READ | PROT_WRITE, 0);
		CHECK(v[i]);
		touch(v[i], size, i == 0);
	}
	CHECK_SCAN(0);
	o = object_at(v[0]);
	CHECK(o && o == object_at(v[2]));
	/* A view not aligned to 2 MiB straddles one table more. */
	CHECK(o->page_tables >= 3 * per_view && o->page_tables <= 3 * (per_view + 4096));
	CHECK(fp.total.page_tables >= o->page_tables);
	CHECK(fp.process_pte >= 3 * per_view);
	mmr_region_destroy(r);
	return T_PASS;
}

#define DEEP 19		/* directories of 200 bytes: a path past 4096 bytes */
#define FAKE_RSS "Rss:     1073741824 kB"

static void remove_deep(int top, int *fds, int made, const char *leaf)
{
	char d[201];

	memset(d, 'd', 200);
	d[200] = 0;
	if (made == DEEP && leaf)
		unlinkat(fds[DEEP - 1], leaf, 0);
	for (int i = made - 1; i >= 0; i--) {
		close(fds[i]);
		unlinkat(i ? fds[i - 1] : top, d, AT_REMOVEDIR);
	}
}

/* Where the path starts in the smaps line of @addr, or -1. */
static long path_column(const void *addr)
{
	char *line = NULL, head[32];
	size_t cap = 0;
	long col = -1;
	FILE *f = fopen("/proc/self/smaps", "re");

	snprintf(head, sizeof(head), "%lx-", (unsigned long)(uintptr_t)addr);
	while (f && getline(&line, &cap, f) > 0)
		if (!strncmp(line, head, strlen(head))) {
			col = strchr(line, '/') ? strchr(line, '/') - line : -1;
			break;
		}
	free(line);
	if (f)
		fclose(f);
	return col;
}

/* A mapped file whose path is longer than a 4096-byte line buffer and
 * ends in what looks like an smaps field: the field is part of the name
 * (once the tool read 1 TB of RSS there). Long names are cut whole
 * characters at a time. */
static int hostile_long_path(void)
{
	char dir[64], d[201], leaf[256], name[256];
	int top, fds[DEEP], made = 0, fd = -1;
	size_t dirlen;
	struct fp_object *o;
	char *p = MAP_FAILED;
	long col, pad;
	int ret = T_FAIL;

	snprintf(dir, sizeof(dir), "/tmp/mmr-fp-long-XXXXXX");
	CHECK(mkdtemp(dir));
	top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(top >= 0);
	memset(d, 'd', 200);
	d[200] = 0;
	for (; made < DEEP; made++) {
		if (mkdirat(made ? fds[made - 1] : top, d, 0700))
			break;
		fds[made] = openat(made ? fds[made - 1] : top, d,
				   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[made] < 0)
			break;
	}
	dirlen = strlen(dir) + (size_t)made * 201;
	snprintf(leaf, sizeof(leaf), "f");
	if (made == DEEP)
		fd = openat(fds[DEEP - 1], leaf, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 && !ftruncate(fd, 4096))
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto out;
	p[0] = 1;
	/* Rename it so that the fake field starts at byte 4095 of its line:
	 * where a 4096-byte fgets cuts it. */
	col = path_column(p);
	pad = 4095 - col - (long)dirlen - 1;
	if (col < 0 || pad < 1 || pad + strlen(FAKE_RSS) > 255) {
		snprintf(t_msg, sizeof(t_msg), "cannot align the path (column %ld)", col);
		goto out;
	}
	memset(name, 'x', (size_t)pad);
	snprintf(name + pad, sizeof(name) - (size_t)pad, "%s", FAKE_RSS);
	if (renameat(fds[DEEP - 1], leaf, fds[DEEP - 1], name))
		goto out;
	snprintf(leaf, sizeof(leaf), "%s", name);
	if (scan_self(0)) {
		snprintf(t_msg, sizeof(t_msg), "fp_scan: %s", err);
		goto out;
	}
	o = object_at(p);
	ret = T_PASS;
	if (fp.process_rss >= (1ULL << 40) || !o || o->rss != 4096 ||
	    strncmp(o->name, dir, strlen(dir)) || strlen(o->name) > 255) {
		snprintf(t_msg, sizeof(t_msg), "process RSS %llu, object RSS %llu, name %.40s",
			 (unsigned long long)fp.process_rss,
			 o ? (unsigned long long)o->rss : 0ULL, o ? o->name : "(none)");
		ret = T_FAIL;
	}
out:
	if (p != MAP_FAILED)
		munmap(p, 4096);
	if (fd >= 0)
		close(fd);
	remove_deep(top, fds, made, fd >= 0 ? leaf : NULL);
	close(top);
	rmdir(dir);
	return ret;
}

/* A name cut to 255 bytes keeps whole UTF-8 characters. */
static int cut_at_character(void)
{
	char dir[64], path[512];
	struct fp_object *o;
	char *p[2] = { MAP_FAILED, MAP_FAILED };
	int ret = T_PASS;

	snprintf(dir, sizeof(dir), "/tmp/mmr-fp-utf8-XXXXXX");
	CHECK(mkdtemp(dir));
	for (int odd = 0; odd < 2; odd++) {	/* a cut at an odd and an even byte */
		size_t n = (size_t)snprintf(path, sizeof(path), "%s/%s", dir, odd ? "a" : "");
		int fd;

		for (int i = 0; i < 120; i++)
			n += (size_t)snprintf(path + n, sizeof(path) - n, "\xc3\xa9");
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 && !ftruncate(fd, 4096))
			p[odd] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (fd >= 0)
			close(fd);
		unlink(path);
		if (p[odd] == MAP_FAILED)
			ret = T_FAIL;
		else
			p[odd][0] = 1;
	}
	rmdir(dir);
	if (ret == T_PASS && scan_self(0))
		ret = T_FAIL;
	for (int odd = 0; ret == T_PASS && odd < 2; odd++) {
		o = object_at(p[odd]);
		size_t n = o ? strlen(o->name) : 0;

		/* ends in a whole "\xc3\xa9", and nothing else was lost */
		if (!o || n < 250 || n > 255 || (unsigned char)o->name[n - 1] != 0xa9 ||
		    strncmp(o->name, dir, strlen(dir)))
			ret = T_FAIL;
	}
	for (int odd = 0; odd < 2; odd++)
		if (p[odd] != MAP_FAILED)
			munmap(p[odd], 4096);
	if (ret != T_PASS)
		snprintf(t_msg, sizeof(t_msg), "a name was cut inside a character");
	return ret;
}

T_MAIN(T(memfd_three_views), T(partially_touched), T(heap_sixteen_views),
       T(ring_two_data_views), T(sysv_segment), T(every_backend), T(hugetlb_region),
       T(pid_exits_mid_read), T(other_users_pid), T(same_process_twice),
       T(without_root), T(hugetlbfs_file), T(page_tables_per_view), T(hostile_long_path),
       T(cut_at_character))
