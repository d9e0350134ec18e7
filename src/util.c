// SPDX-License-Identifier: MIT
/* Small helpers shared by the backends: files, prefaulting, reservations. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "linux_compat.h"
#include "error.h"
#include "util.h"
#include "syscall.h"

/* Atomic: the first calls may come from several threads at once. */
size_t mmri_base_page(void)
{
	static _Atomic size_t page;
	size_t p = atomic_load_explicit(&page, memory_order_relaxed);

	if (!p) {
		p = (size_t)sysconf(_SC_PAGESIZE);
		atomic_store_explicit(&page, p, memory_order_relaxed);
	}
	return p;
}

/* Read a small text file into @buf; returns bytes read or -errno. */
int mmri_read_file(const char *path, char *buf, size_t len)
{
	int fd = mmri_open(path, O_RDONLY | O_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = mmri_read(fd, buf, len - 1);
	mmri_close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	return (int)n;
}

/* A number from a sysfs/procfs file, or -1. */
long mmri_read_long(const char *path)
{
	char buf[64];

	if (mmri_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * Fill the page tables of a shared view. `mmr bench populate` measured, on
 * a resident memfd: MADV_POPULATE_READ 253 ns/page, MAP_POPULATE 258, a
 * read per page 281, MADV_POPULATE_WRITE 678, a write per page 1046. Read
 * faults of shmem and hugetlb allocate missing pages and, in a shared
 * mapping without write-notify, map them writable, so READ is enough even
 * for writable views. Kernels before 5.14 get the read-per-page loop.
 */
int mmri_populate(void *addr, size_t len, int prot)
{
	size_t page = mmri_base_page();
	int r;

	if (!(prot & (PROT_READ | PROT_WRITE)))
		return 0;
	r = mmri_madvise(addr, len, MADV_POPULATE_READ);
	if (r != -EINVAL)
		return r;
	if (!(prot & PROT_READ))
		return 0;	/* write-only views: faulted on first use */
	for (size_t off = 0; off < len; off += page)
		(void)*(volatile char *)((char *)addr + off);
	return 0;
}

int mmri_view_protect(void *p, size_t len, int prot, int have)
{
	int ret;

	if (prot == have)
		return 0;
	ret = mmri_mprotect(p, len, prot);
	if (ret) {
		mmri_munmap(p, len);
		mmri_err(ret, "mprotect of a new view to 0x%x failed", prot);
	}
	return ret;
}

int mmri_reserve_noreplace(void *addr, size_t len)
{
	void *p = mmri_mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			    MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (IS_ERR(p))
		return (int)PTR_ERR(p);
	if (p != addr) {
		/* Kernels before 4.17 treat the flag as a hint. */
		mmri_munmap(p, len);
		return -EEXIST;
	}
	return 0;
}

void *mmri_reserve_aligned(size_t len, size_t align)
{
	size_t span = len + align;
	char *p, *a;

	/* mmap aligns to base pages itself: no slack to trim (one system
	 * call where there were two, on every ring and circbuf create). */
	if (align <= mmri_base_page())
		return mmri_mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
				 MAP_NORESERVE, -1, 0);
	if (span < len)
		return ERR_PTR(-ENOMEM);
	p = mmri_mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		      MAP_NORESERVE, -1, 0);
	if (IS_ERR(p))
		return p;
	a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		mmri_munmap(p, (size_t)(a - p));
	if (a + len < p + span)
		mmri_munmap(a + len, (size_t)(p + span - (a + len)));
	return a;
}

static size_t parse_pagesize_opt(const char *opts)
{
	const char *p = strstr(opts, "pagesize=");
	char *end;
	size_t v;

	if (!p)
		return mmri_default_huge_page();
	v = strtoul(p + 9, &end, 10);
	switch (*end) {
	case 'G':
		return v << 30;
	case 'M':
		return v << 20;
	case 'K':
		return v << 10;
	default:
		return v;
	}
}

/* /proc/mounts writes space, tab, newline and backslash in paths as \ooo. */
static void unescape_mount_path(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = 0;
}

int mmri_hugetlbfs_mount(size_t page_size, char *path, size_t len)
{
	FILE *f = fopen("/proc/mounts", "re");
	char dev[256], dir[4096], type[64], opts[1024];
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %4095s %63s %1023s %*d %*d", dev, dir, type, opts) == 4) {
		if (strcmp(type, "hugetlbfs"))
			continue;
		if (page_size && parse_pagesize_opt(opts) != page_size)
			continue;
		unescape_mount_path(dir);
		if (access(dir, W_OK)) {
			r = -EACCES;
			continue;
		}
		if (strlen(dir) >= len) {
			r = -ENAMETOOLONG;
			continue;
		}
		strcpy(path, dir);
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

size_t mmri_default_huge_page(void)
{
	char buf[4096], *p;

	if (mmri_read_file("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return 0;
	p = strstr(buf, "Hugepagesize:");
	return p ? strtoul(p + 13, NULL, 10) << 10 : 0;
}
