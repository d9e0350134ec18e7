/* SPDX-License-Identifier: MIT */
/* master_backend.c: views mirrored from r->master with mremap(old_size=0)
 * (mremap and sysv backends). */
#ifndef MMRI_MASTER_BACKEND_H
#define MMRI_MASTER_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

struct mmr_region;

void *mmri_master_map(struct mmr_region *r, size_t off, size_t len, void *addr,
		      int prot, bool fixed, bool *populate);
int mmri_master_commit(struct mmr_region *r, size_t off, size_t len);
int mmri_master_discard(struct mmr_region *r, size_t off, size_t len);

#endif /* MMRI_MASTER_BACKEND_H */
