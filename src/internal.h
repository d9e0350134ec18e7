/* SPDX-License-Identifier: MIT */
/* Private to libmemmirror: the region object and the backend interface. */
#ifndef MMR_INTERNAL_H
#define MMR_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "memmirror.h"
#include "syscall.h"

#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
/* From the memmirror kernel series (kernel/patches). */
#ifndef MREMAP_MIRROR
#define MREMAP_MIRROR 32
#endif
#ifndef MREMAP_POPULATE
#define MREMAP_POPULATE 64
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define MMRI_SZ_2M (2UL << 20)
#define MMRI_SZ_1G (1UL << 30)
/* Larger than any address space Linux gives a process (57-bit VA), and
 * in 32-bit code half of it. */
#define MMRI_MAX_SIZE ((size_t)1 << (sizeof(size_t) >= 8 ? 56 : 31))

struct mmri_view {
	void *addr;
	size_t len;
	size_t off;
};

struct mmr_region {
	const struct mmri_backend_ops *ops;
	size_t size;
	size_t page_size;	/* base or huge page size actually used */
	unsigned flags;		/* MMR_* create flags actually in effect */
	int fd;			/* memfd / shm / hugetlbfs file, or -1 */
	int shmid;		/* SysV segment id, or -1 */
	void *master;		/* mapping views are mirrored from, or NULL */
	size_t master_len;
	bool hugetlb;
	bool lazy;		/* hugetlb pages taken at commit, not at creation
				 * (the heap's region) */
	const char *owner;	/* "mmr_heap": mapped, resized and discarded only
				 * by its owner, or NULL */
	pthread_mutex_t lock;	/* protects views */
	struct mmri_view *views;	/* inline_views until more are needed */
	size_t nviews, cap;
	struct mmri_view inline_views[4];
};

/* error.c: record a message for mmr_last_error(); return -err / NULL. */
int mmri_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *mmri_err_ptr(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Put "prefix: " before the message already recorded. */
int mmri_err_prefix(int err, const char *prefix);
/* Set the message to @text exactly. */
int mmri_err_raw(int err, const char *text);
/* Append a hint for a well-known errno of a mapping call. */
const char *mmri_map_hint(int err);
void mmri_clear_error(void);

/* fd_backend.c: operations shared by every backend that has a file. */
void *mmri_fd_map(struct mmr_region *r, size_t off, size_t len, void *addr,
		  int prot, bool fixed, bool *populate);
/* Make @fd the region's object, sized to r->size; closes it on failure. */
int mmri_fd_adopt(struct mmr_region *r, int fd);
int mmri_fd_resize(struct mmr_region *r, size_t new_size);
int mmri_fd_commit(struct mmr_region *r, size_t off, size_t len);
int mmri_fd_discard(struct mmr_region *r, size_t off, size_t len);
/* Commit [off, off+len) through a temporary mapping that carries what
 * fallocate cannot: a NUMA policy (@mode an MPOL_* other than 0, over
 * @nodes) and MADV_HUGEPAGE (@thp). */
int mmri_fd_commit_mapped(struct mmr_region *r, size_t off, size_t len, int mode,
			  unsigned long nodes, bool thp);
void mmri_fd_destroy(struct mmr_region *r);
/* ftruncate with RLIMIT_FSIZE checked first (no SIGXFSZ), and for hugetlb
 * an fallocate that reserves the pages now (not for a lazy region). */
int mmri_fd_size(struct mmr_region *r, size_t old_size, size_t new_size);
unsigned mmri_hugetlb_flag_bits(size_t page_size);	/* log2 << 26 */
/* Re-read RLIMIT_FSIZE before the next resize (probe and reset call it). */
void mmri_fsize_limit_forget(void);
/* Can a file grow to @size without a SIGXFSZ (RLIMIT_FSIZE)? */
bool mmri_fsize_ok(size_t size);

/* fd_backend.c: create r->fd as a memfd of r->size bytes (memfd and
 * native backends). */
int mmri_memfd_open(struct mmr_region *r, const char *name);

/* region_seal.c: 0 if @fd is sealed against shrink and grow, -EPERM if
 * not (or cannot be), another -errno if F_GET_SEALS failed. No message. */
int mmri_fd_sealed(int fd);
/* The same, with a message for @fn saying what to do (@flag_hint: how the
 * caller accepts the risk instead). */
int mmri_require_sealed(int fd, const char *fn, const char *flag_hint);

/* master_backend.c: views mirrored from r->master with mremap(old_size=0)
 * (mremap and sysv backends). */
void *mmri_master_map(struct mmr_region *r, size_t off, size_t len, void *addr,
		      int prot, bool fixed, bool *populate);
int mmri_master_commit(struct mmr_region *r, size_t off, size_t len);
int mmri_master_discard(struct mmr_region *r, size_t off, size_t len);

/* util.c */
/* Give a view made read-write its final protection; unmaps it on failure. */
int mmri_view_protect(void *p, size_t len, int prot, int have);
size_t mmri_base_page(void);
int mmri_read_file(const char *path, char *buf, size_t len);
long mmri_read_long(const char *path);
/* Prefault [addr, addr+len) with MADV_POPULATE_* or by touching. */
int mmri_populate(void *addr, size_t len, int prot);
/* Reserve [addr, addr+len) with PROT_NONE, failing with -EEXIST if any
 * of it is mapped: the race-free way to honour MMR_FIXED_NOREPLACE. */
int mmri_reserve_noreplace(void *addr, size_t len);
/* Reserve @len bytes of address space aligned to @align (PROT_NONE). */
void *mmri_reserve_aligned(size_t len, size_t align);
/* Find the hugetlbfs mount for @page_size (0: any) in /proc/mounts. */
int mmri_hugetlbfs_mount(size_t page_size, char *path, size_t len);
size_t mmri_default_huge_page(void);

/* probe.c: what region creation and mirroring need from the probe, copied
 * under the probe's lock (the cache itself is never shared). */
struct mmri_probe_facts {
	unsigned usable;	/* bit b: backend b works, or failed for a passing
				 * shortage (EMFILE...) and is worth a try */
	unsigned usable_hugetlb;	/* the same for hugetlb pages, as far as
					 * the probe knows */
	bool native_mirror, native_populate, native_hugetlb;
	bool huge_2m;		/* the kernel has 2 MiB hugetlb pages */
	char kernel[96];	/* uname -r, for messages */
};
void mmri_probe_facts(struct mmri_probe_facts *f);

/* region.c */
int mmri_region_add_view(struct mmr_region *r, void *addr, size_t off, size_t len);

/* What a caller of mmri_region_create() needs; the region plans the page
 * size, the backend and the rounding once, right the first time. */
struct mmri_region_need {
	const char *who;	/* the public function, for messages */
	size_t size;		/* bytes wanted, rounded up to the page size chosen */
	size_t header_pages;	/* whole pages added in front (the ring's header) */
	unsigned flags;		/* create flags: a backend (AUTO: $MMR_BACKEND, then
				 * the registry's order), MMR_HUGE*, MMR_THP,
				 * MMR_POPULATE */
	bool need_fd;		/* only backends with a file descriptor */
	size_t max_page;	/* the largest page the caller's layout fits; 0: any */
	bool lazy;		/* no hugetlb pages at creation: commit takes them */
};
/* The one way regions are made (mmr_region_create, ring and heap). The
 * size is need->size rounded up to the page size chosen, plus the header
 * pages. Returns 0 or -errno with a message that names need->who. */
int mmri_region_create(struct mmr_region **out, const struct mmri_region_need *need);
/* Allocate the memory of [off, off+len) now (commit of a heap). */
int mmri_region_commit(struct mmr_region *r, size_t off, size_t len);

#endif /* MMR_INTERNAL_H */
