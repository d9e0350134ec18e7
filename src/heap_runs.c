// SPDX-License-Identifier: MIT
/*
 * The heap's committed ranges: a sorted list of disjoint, never adjacent
 * runs [start, end), and their total. Pure bookkeeping, no system call:
 * the heap asks for room first (mmri_runs_reserve), does the system calls,
 * and only then records what they did, which cannot fail.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heap_runs.h"

/* Room for one more run, asked before any system call so that recording
 * the result afterwards cannot fail. */
int mmri_runs_reserve(struct mmri_runs *l)
{
	return mmri_runs_reserve_more(l, 1);
}

int mmri_runs_reserve_more(struct mmri_runs *l, size_t more)
{
	struct mmri_range *n;
	size_t cap;

	if (l->nruns + more <= l->cap)
		return 0;
	cap = l->cap ? 2 * l->cap : 8;
	while (cap < l->nruns + more)
		cap *= 2;
	n = realloc(l->runs, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	l->runs = n;
	l->cap = cap;
	return 0;
}

/* Mark [s, e) committed (it lies in a gap): insert and merge neighbours. */
void mmri_runs_add(struct mmri_runs *l, size_t s, size_t e)
{
	size_t i = 0;

	while (i < l->nruns && l->runs[i].end < s)
		i++;
	l->total += e - s;
	if (i < l->nruns && l->runs[i].end == s) {
		l->runs[i].end = e;
		if (i + 1 < l->nruns && l->runs[i + 1].start == e) {
			l->runs[i].end = l->runs[i + 1].end;
			memmove(&l->runs[i + 1], &l->runs[i + 2],
				(l->nruns - i - 2) * sizeof(*l->runs));
			l->nruns--;
		}
		return;
	}
	if (i < l->nruns && l->runs[i].start == e) {
		l->runs[i].start = s;
		return;
	}
	memmove(&l->runs[i + 1], &l->runs[i], (l->nruns - i) * sizeof(*l->runs));
	l->runs[i] = (struct mmri_range){ s, e };
	l->nruns++;
}

/* Mark [s, e) uncommitted (it lies inside one run): trim or split it. */
void mmri_runs_remove(struct mmri_runs *l, size_t s, size_t e)
{
	size_t i = 0;

	while (l->runs[i].end < e)
		i++;
	l->total -= e - s;
	if (l->runs[i].start == s && l->runs[i].end == e) {
		memmove(&l->runs[i], &l->runs[i + 1], (l->nruns - i - 1) * sizeof(*l->runs));
		l->nruns--;
	} else if (l->runs[i].start == s) {
		l->runs[i].start = e;
	} else if (l->runs[i].end == e) {
		l->runs[i].end = s;
	} else {
		memmove(&l->runs[i + 2], &l->runs[i + 1],
			(l->nruns - i - 1) * sizeof(*l->runs));
		l->runs[i + 1] = (struct mmri_range){ e, l->runs[i].end };
		l->runs[i].end = s;
		l->nruns++;
	}
}

/*
 * The first committed (@want true) or uncommitted (@want false) piece of
 * [*s, e): returns true with [*s, *pe) set, or false if there is none.
 */
bool mmri_runs_next(const struct mmri_runs *l, size_t *s, size_t e, size_t *pe,
		    bool want)
{
	size_t a = *s;

	for (size_t i = 0; i <= l->nruns && a < e; i++) {
		size_t rs = i < l->nruns ? l->runs[i].start : SIZE_MAX;
		size_t re = i < l->nruns ? l->runs[i].end : SIZE_MAX;

		if (re <= a)
			continue;
		if (!want && a < rs) {		/* gap before run i */
			*s = a;
			*pe = rs < e ? rs : e;
			return true;
		}
		if (want && rs < e) {
			*s = rs > a ? rs : a;
			*pe = re < e ? re : e;
			return true;
		}
		a = re;
	}
	return false;
}

