/* SPDX-License-Identifier: MIT */
/*
 * The backend interface, and the registry of backends (src/backend.c).
 * A new backend is one file, backend_<name>.c, exporting only its ops
 * table, plus its line in the registry (and its enum mmr_backend value).
 */
#ifndef MMR_BACKEND_H
#define MMR_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "memmirror.h"

struct mmr_region;

/* What pages a backend can make regions of. */
#define MMRI_PAGES_BASE		1u	/* base pages (and THP) */
#define MMRI_PAGES_HUGETLB	2u	/* hugetlb pages */

struct mmri_backend_ops {
	enum mmr_backend id;
	const char *name;
	unsigned pages;		/* MMRI_PAGES_* */
	bool has_fd;		/* regions have a file descriptor to share */
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
	/* Allocate the memory of [off, off+len) now, so that a shortage is an
	 * error here and not a SIGBUS later. */
	int (*commit)(struct mmr_region *r, size_t off, size_t len);
	/* Give the memory of [off, off+len) back: it reads as zeros after. */
	int (*discard)(struct mmr_region *r, size_t off, size_t len);
	/* Free the object; views are already unmapped. */
	void (*destroy)(struct mmr_region *r);
};

/* The backend @b, or NULL for MMR_BACKEND_AUTO and unknown values. */
const struct mmri_backend_ops *mmri_backend_ops(enum mmr_backend b);
/* The @i-th backend in AUTO's order of preference (best first), or NULL
 * past the last: every backend, whatever pages it makes. */
const struct mmri_backend_ops *mmri_backend_nth(size_t i);
/* "native, memfd, ..." into @buf, for messages that list the choices. */
void mmri_backend_names(char *buf, size_t len);

#endif /* MMR_BACKEND_H */
