/* SPDX-License-Identifier: MIT */
/* Private to libmemmirror: the region object and the backend interface. */
#ifndef MMR_INTERNAL_H
#define MMR_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

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
#define MREMAP_MIRROR 8
#endif
#ifndef MREMAP_POPULATE
#define MREMAP_POPULATE 16
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
/* Larger than any address space Linux gives a process (57-bit VA). */
#define MMRI_MAX_SIZE (1UL << 56)

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
	pthread_mutex_t lock;	/* protects views */
	struct mmri_view *views;	/* inline_views until more are needed */
	size_t nviews, cap;
	struct mmri_view inline_views[4];
};

struct mmri_backend_ops {
	enum mmr_backend id;
	const char *name;
	/* Fill @st; huge page support is probed by create, not here. */
	void (*probe)(struct mmr_backend_status *st,
		      const struct mmr_probe_report *rep);
	/* Create the object for r->size bytes of r->page_size pages. Leaves
	 * nothing behind on failure. Returns 0 or -errno (message set). */
	int (*create)(struct mmr_region *r);
	/* Map [off, off+len) at @addr (MAP_FIXED semantics if @fixed, else a
	 * hint or NULL). *@populate in: the caller wants the page tables
	 * filled; out: false if the backend already did. Returns the address
	 * or ERR_PTR (message set). */
	void *(*map)(struct mmr_region *r, size_t off, size_t len, void *addr,
		     int prot, bool fixed, bool *populate);
	int (*resize)(struct mmr_region *r, size_t new_size);
	int (*discard)(struct mmr_region *r, size_t off, size_t len);
	/* Free the object; views are already unmapped. */
	void (*destroy)(struct mmr_region *r);
};

extern const struct mmri_backend_ops mmri_memfd_ops, mmri_mremap_ops,
	mmri_sysv_ops, mmri_posix_ops, mmri_hugetlbfs_ops, mmri_native_ops;
const struct mmri_backend_ops *mmri_backend_ops(enum mmr_backend b);

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
int mmri_fd_discard(struct mmr_region *r, size_t off, size_t len);
void mmri_fd_destroy(struct mmr_region *r);
/* ftruncate with RLIMIT_FSIZE checked first (no SIGXFSZ), and for hugetlb
 * an fallocate that reserves the pages now. */
int mmri_fd_size(struct mmr_region *r, size_t old_size, size_t new_size);
unsigned mmri_hugetlb_flag_bits(size_t page_size);	/* log2 << 26 */
/* Re-read RLIMIT_FSIZE before the next resize (probe and reset call it). */
void mmri_fsize_limit_forget(void);
/* Can a file grow to @size without a SIGXFSZ (RLIMIT_FSIZE)? */
bool mmri_fsize_ok(size_t size);

/* region_seal.c: 0 if @fd is sealed against shrink and grow, -EPERM if
 * not (or cannot be), another -errno if F_GET_SEALS failed. No message. */
int mmri_fd_sealed(int fd);
/* The same, with a message for @fn saying what to do (@flag_hint: how the
 * caller accepts the risk instead). */
int mmri_require_sealed(int fd, const char *fn, const char *flag_hint);

/* backend_mremap.c: views mirrored from r->master (mremap, sysv). */
void *mmri_master_map(struct mmr_region *r, size_t off, size_t len, void *addr,
		      int prot, bool fixed, bool *populate);
int mmri_master_discard(struct mmr_region *r, size_t off, size_t len);

/* backend_memfd.c: create r->fd as a memfd of r->size bytes. */
int mmri_memfd_open(struct mmr_region *r, const char *name);

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

/* probe.c */
const struct mmr_probe_report *mmri_probe_cached(void);

/* region.c */
int mmri_region_add_view(struct mmr_region *r, void *addr, size_t off, size_t len);

#endif /* MMR_INTERNAL_H */
