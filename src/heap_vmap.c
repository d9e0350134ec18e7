// SPDX-License-Identifier: MIT
/*
 * The heap's virtual bookkeeping, one list per view: sorted, disjoint
 * extents "virtual [vs, ve) shows physical [ps, ...)". Pure bookkeeping as
 * heap_runs.c: room is asked for before the system calls, so that
 * recording what they did cannot fail.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "heap_vmap.h"

int mmri_vmap_reserve(struct mmri_vmap *m, size_t more)
{
	struct mmri_ext *n;
	size_t cap;

	if (m->n + more <= m->cap)
		return 0;
	cap = m->cap ? 2 * m->cap : 8;
	while (cap < m->n + more)
		cap *= 2;
	n = realloc(m->ext, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->ext = n;
	m->cap = cap;
	return 0;
}

/* Index of the first extent that ends after @v. */
static size_t first_after(const struct mmri_vmap *m, size_t v)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->ext[mid].ve <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool continues(const struct mmri_ext *a, size_t vs, size_t ps)
{
	return a->ve == vs && a->ps + (a->ve - a->vs) == ps;
}

void mmri_vmap_add(struct mmri_vmap *m, size_t vs, size_t ve, size_t ps)
{
	size_t i = first_after(m, vs);
	bool left = i > 0 && continues(&m->ext[i - 1], vs, ps);
	bool right = i < m->n && m->ext[i].vs == ve && m->ext[i].ps == ps + (ve - vs);

	if (left && right) {
		m->ext[i - 1].ve = m->ext[i].ve;
		memmove(&m->ext[i], &m->ext[i + 1], (m->n - i - 1) * sizeof(*m->ext));
		m->n--;
	} else if (left) {
		m->ext[i - 1].ve = ve;
	} else if (right) {
		m->ext[i].vs = vs;
		m->ext[i].ps = ps;
	} else {
		memmove(&m->ext[i + 1], &m->ext[i], (m->n - i) * sizeof(*m->ext));
		m->ext[i] = (struct mmri_ext){ vs, ve, ps };
		m->n++;
	}
}

void mmri_vmap_remove(struct mmri_vmap *m, size_t vs, size_t ve)
{
	size_t i = first_after(m, vs), j;
	struct mmri_ext *a = &m->ext[i];

	/* Split the extent around [vs, ve): the one case that adds one. */
	if (a->vs < vs && a->ve > ve) {
		memmove(&m->ext[i + 2], &m->ext[i + 1], (m->n - i - 1) * sizeof(*m->ext));
		m->ext[i + 1] = (struct mmri_ext){ ve, a->ve, a->ps + (ve - a->vs) };
		a->ve = vs;
		m->n++;
		return;
	}
	if (a->vs < vs) {	/* keep its head */
		a->ve = vs;
		i++;
	}
	for (j = i; j < m->n && m->ext[j].ve <= ve; j++)
		;
	if (j < m->n && m->ext[j].vs < ve) {	/* keep its tail */
		m->ext[j].ps += ve - m->ext[j].vs;
		m->ext[j].vs = ve;
	}
	memmove(&m->ext[i], &m->ext[j], (m->n - j) * sizeof(*m->ext));
	m->n -= j - i;
}

bool mmri_vmap_next(const struct mmri_vmap *m, size_t *s, size_t e, size_t *pe,
		    size_t *ps, bool want)
{
	size_t a = *s, i = first_after(m, a);

	if (a >= e)
		return false;
	if (want) {
		if (i == m->n || m->ext[i].vs >= e)
			return false;
		if (m->ext[i].vs > a)
			a = m->ext[i].vs;
		*s = a;
		*pe = m->ext[i].ve < e ? m->ext[i].ve : e;
		*ps = m->ext[i].ps + (a - m->ext[i].vs);
		return true;
	}
	/* Skip mapped extents that cover a. */
	while (i < m->n && m->ext[i].vs <= a) {
		a = m->ext[i].ve;
		i++;
		if (a >= e)
			return false;
	}
	*s = a;
	*pe = i < m->n && m->ext[i].vs < e ? m->ext[i].vs : e;
	return true;
}

bool mmri_vmap_shows(const struct mmri_vmap *m, size_t ps, size_t pe,
		     bool skip_identity)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct mmri_ext *x = &m->ext[i];
		size_t xe = x->ps + (x->ve - x->vs);

		if (x->ps >= pe || xe <= ps)
			continue;
		if (skip_identity && x->vs == x->ps)
			continue;
		return true;
	}
	return false;
}
