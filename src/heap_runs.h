/* SPDX-License-Identifier: MIT */
/* The heap's committed runs (src/heap_runs.c). */
#ifndef MMR_HEAP_RUNS_H
#define MMR_HEAP_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

struct mmri_range {
	size_t start, end;
};

/* Zero-initialised: empty. */
struct mmri_runs {
	struct mmri_range *runs;	/* sorted, disjoint, never adjacent */
	size_t nruns, cap;
	size_t total;			/* bytes in all runs */
};

/* Room for one more run (what an add or a split needs): 0 or -ENOMEM. */
int mmri_runs_reserve(struct mmri_runs *l);
/* Room for @more runs beyond those there: 0 or -ENOMEM. */
int mmri_runs_reserve_more(struct mmri_runs *l, size_t more);
/* Record [s, e), which lies in a gap; merges with its neighbours. */
void mmri_runs_add(struct mmri_runs *l, size_t s, size_t e);
/* Forget [s, e), which lies inside one run; trims or splits it. */
void mmri_runs_remove(struct mmri_runs *l, size_t s, size_t e);
/* The first piece of [*s, e) that is in a run (@want true) or in a gap
 * (@want false): true with [*s, *pe) set, false if there is none. */
bool mmri_runs_next(const struct mmri_runs *l, size_t *s, size_t e, size_t *pe,
		    bool want);
static inline void mmri_runs_free(struct mmri_runs *l)
{
	free(l->runs);
	l->runs = NULL;
	l->nruns = l->cap = l->total = 0;
}

#endif /* MMR_HEAP_RUNS_H */
