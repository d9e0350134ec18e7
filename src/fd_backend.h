/* SPDX-License-Identifier: MIT */
/* fd_backend.c: what every backend with a file descriptor shares. */
#ifndef MMRI_FD_BACKEND_H
#define MMRI_FD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

struct mmr_region;

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

/* Create r->fd as a memfd of r->size bytes (memfd and
 * native backends). */
int mmri_memfd_open(struct mmr_region *r, const char *name);

#endif /* MMRI_FD_BACKEND_H */
