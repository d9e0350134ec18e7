/* SPDX-License-Identifier: MIT */
/* The region object (region.c), which every backend and user of a
 * region in the library shares. */
#ifndef MMRI_REGION_H
#define MMRI_REGION_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "backend.h"
#include "memmirror.h"

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

#endif /* MMRI_REGION_H */
