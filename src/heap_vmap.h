/* SPDX-License-Identifier: MIT */
/* What one view of the heap maps where (src/heap_vmap.c). */
#ifndef MMR_HEAP_VMAP_H
#define MMR_HEAP_VMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* Virtual [vs, ve) shows physical [ps, ps + ve - vs). */
struct mmri_ext {
	size_t vs, ve, ps;
};

/* Zero-initialised: nothing mapped. */
struct mmri_vmap {
	struct mmri_ext *ext;	/* sorted by vs, disjoint; neighbours that
				 * continue each other in both spaces merge */
	size_t n, cap;
};

/* Room for @more extents beyond those there: 0 or -ENOMEM. */
int mmri_vmap_reserve(struct mmri_vmap *m, size_t more);
/* Record [vs, ve) -> ps; [vs, ve) is unmapped. Needs room for one. */
void mmri_vmap_add(struct mmri_vmap *m, size_t vs, size_t ve, size_t ps);
/* Forget [vs, ve), which is all mapped. Needs room for one (a split). */
void mmri_vmap_remove(struct mmri_vmap *m, size_t vs, size_t ve);
/* The first mapped (@want true, *ps set) or unmapped piece of [*s, e):
 * true with [*s, *pe), false if none. */
bool mmri_vmap_next(const struct mmri_vmap *m, size_t *s, size_t e, size_t *pe,
		    size_t *ps, bool want);
/* Does any extent show a byte of physical [ps, pe)? With @skip_identity,
 * extents with vs == ps (file offset X at view offset X) do not count. */
bool mmri_vmap_shows(const struct mmri_vmap *m, size_t ps, size_t pe,
		     bool skip_identity);
static inline void mmri_vmap_free(struct mmri_vmap *m)
{
	free(m->ext);
	m->ext = NULL;
	m->n = m->cap = 0;
}

#endif /* MMR_HEAP_VMAP_H */
