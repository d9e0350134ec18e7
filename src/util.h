/* SPDX-License-Identifier: MIT */
/* util.c: small helpers of the mapping code. */
#ifndef MMRI_UTIL_H
#define MMRI_UTIL_H

#include <stddef.h>

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

#endif /* MMRI_UTIL_H */
