// SPDX-License-Identifier: MIT
/*
 * The example collector (examples/gc) under a random mutator: graphs are
 * built and rewired while collections run in small steps in between, and
 * after every cycle the reachable graph is compared with a shadow model
 * kept outside the heap (ids, fields, payload bytes). Memory of dead
 * objects must go back to the system (committed bytes, memfd blocks).
 */
#include <stdint.h>
#include <sys/stat.h>

#include "helpers.h"
#include "../examples/gc/gc.c"

#define MiB (1UL << 20)

struct shadow {
	uint16_t nref, nbytes;
	uint32_t *refs;		/* ids; 0 is null */
};

struct model {
	struct gc *gc;
	struct shadow *obj;	/* by id; id 0 unused */
	uint32_t nobj, cap;
	uint32_t roots[GC_NROOTS];
	uint8_t *seen;
	uint64_t rng;
};

static uint32_t rnd(struct model *m, uint32_t n)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return n ? (uint32_t)(m->rng % n) : 0;
}

static unsigned char payload_byte(uint32_t id, unsigned j)
{
	return (unsigned char)(id * 31 + j * 7);
}

/* Allocate an object (collecting once if the heap is full) and record it. */
static uintptr_t new_obj(struct model *m, uint32_t *id_out)
{
	unsigned nref = rnd(m, 5), nbytes = rnd(m, 8) ? rnd(m, 200) : rnd(m, 4000);
	uintptr_t p = gc_alloc(m->gc, nref, nbytes);
	struct gc_obj *o;
	uint32_t id;

	if (!p) {
		gc_collect(m->gc);
		p = gc_alloc(m->gc, nref, nbytes);
		if (!p)
			return 0;
	}
	if (m->nobj + 1 >= m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->obj = realloc(m->obj, m->cap * sizeof(*m->obj));
		m->seen = realloc(m->seen, m->cap);
		if (!m->obj || !m->seen)
			abort();
	}
	id = ++m->nobj;
	m->obj[id] = (struct shadow){ (uint16_t)nref, (uint16_t)nbytes,
				      calloc(nref ? nref : 1, sizeof(uint32_t)) };
	o = gc_obj(p);
	o->id = id;
	o->check = gc_obj_check(id, nref, nbytes);
	for (unsigned j = 0; j < nbytes; j++)
		gc_payload(p)[j] = payload_byte(id, j);
	mmr_barrier();
	*id_out = id;
	return p;
}

/* Walk from a random root along random fields; the heap and the shadow
 * must agree at every step. Returns 0 (walk hit nothing) or the object. */
static uintptr_t walk(struct model *m, uint32_t *id_out, int *bad)
{
	unsigned r = rnd(m, GC_NROOTS), steps = rnd(m, 6);
	uintptr_t p = gc_root_load(m->gc, r);
	uint32_t id = m->roots[r];

	for (;;) {
		if (!p != !id || (p && gc_obj(p)->id != id)) {
			*bad = 1;
			return 0;
		}
		if (!p || !steps--)
			break;
		if (!m->obj[id].nref)
			break;
		unsigned i = rnd(m, m->obj[id].nref);
		uintptr_t q = gc_load(m->gc, p, i);

		if (!q)
			break;
		p = q;
		id = m->obj[id].refs[i];
	}
	*id_out = id;
	return p;
}

/* One random mutation; 0, or -1 if the heap disagreed with the shadow. */
static int mutate(struct model *m)
{
	uint32_t id = 0, tid = 0;
	uintptr_t p, t;
	int bad = 0;

	switch (rnd(m, 10)) {
	case 0: case 1: case 2: case 3:		/* allocate and link */
		p = new_obj(m, &id);
		if (!p)
			return 0;
		for (unsigned i = 0; i < m->obj[id].nref; i++) {
			t = rnd(m, 3) ? walk(m, &tid, &bad) : 0;
			gc_store(m->gc, p, i, t);
			m->obj[id].refs[i] = t ? tid : 0;
		}
		/* Insert it in front of what a field or root held, as in a
		 * list, so the graph grows instead of churning. */
		t = walk(m, &tid, &bad);
		if (t && m->obj[tid].nref && rnd(m, 4)) {
			unsigned i = rnd(m, m->obj[tid].nref);

			if (m->obj[id].nref) {
				gc_store(m->gc, p, 0, gc_load(m->gc, t, i));
				m->obj[id].refs[0] = m->obj[tid].refs[i];
			}
			gc_store(m->gc, t, i, p);
			m->obj[tid].refs[i] = id;
		} else {
			unsigned r = rnd(m, GC_NROOTS);

			if (m->obj[id].nref) {
				gc_store(m->gc, p, 0, gc_root_load(m->gc, r));
				m->obj[id].refs[0] = m->roots[r];
			}
			gc_root_store(m->gc, r, p);
			m->roots[r] = id;
		}
		break;
	case 4: case 5: case 6:			/* rewire a field */
		p = walk(m, &id, &bad);
		if (!p || !m->obj[id].nref)
			break;
		t = rnd(m, 4) ? walk(m, &tid, &bad) : 0;
		{
			unsigned i = rnd(m, m->obj[id].nref);

			gc_store(m->gc, p, i, t);
			m->obj[id].refs[i] = t ? tid : 0;
		}
		break;
	case 7:					/* move a root */
		p = walk(m, &id, &bad);
		{
			unsigned r = rnd(m, GC_NROOTS);

			gc_root_store(m->gc, r, p);
			m->roots[r] = p ? id : 0;
		}
		break;
	default:				/* drop a root */
		/* More often as the heap fills, to stay clear of full. */
		if (rnd(m, gc_used_bytes(m->gc) > mmr_heap_size(gc_heap(m->gc)) / 2 ?
			2 : 40) == 0) {
			unsigned r = rnd(m, GC_NROOTS);

			gc_root_store(m->gc, r, 0);
			m->roots[r] = 0;
		}
		break;
	}
	return bad ? -1 : 0;
}

static int check_obj(struct model *m, uintptr_t p, uint32_t id)
{
	const struct shadow *s = &m->obj[id];
	struct gc_obj *o = gc_obj(p);

	CHECK_EQ(o->id, id);
	CHECK_EQ(o->nref, s->nref);
	CHECK_EQ(o->nbytes, s->nbytes);
	CHECK_EQ(o->check, gc_obj_check(id, s->nref, s->nbytes));
	for (unsigned j = 0; j < s->nbytes; j++)
		CHECK_EQ(gc_payload(p)[j], payload_byte(id, j));
	/* Every color reaches the same object. */
	for (unsigned v = 0; v < C_VIEWS; v++) {
		const struct gc_obj *c = mmr_heap_color(gc_heap(m->gc), o, v);

		CHECK(c);
		CHECK_EQ(__atomic_load_n(&c->id, __ATOMIC_RELAXED), id);
	}
	return T_PASS;
}

/* Traverse the heap from the roots (through the barrier) and the shadow
 * in lockstep; returns T_PASS and the reachable bytes in *bytes. */
static int verify(struct model *m, size_t *bytes)
{
	uint32_t *stack = malloc((m->nobj + 1) * sizeof(*stack) * 2);
	uintptr_t *pstack = malloc((m->nobj + 1) * sizeof(*pstack) * 2);
	size_t n = 0;

	CHECK(stack && pstack);
	*bytes = 0;
	memset(m->seen, 0, m->nobj + 1);
	for (unsigned r = 0; r < GC_NROOTS; r++) {
		uintptr_t p = gc_root_load(m->gc, r);

		CHECK_EQ(!p, !m->roots[r]);
		if (!p || m->seen[m->roots[r]])
			continue;
		m->seen[m->roots[r]] = 1;
		stack[n] = m->roots[r];
		pstack[n++] = p;
	}
	while (n) {
		uint32_t id = stack[--n];
		uintptr_t p = pstack[n];

		if (check_obj(m, p, id) != T_PASS) {
			free(stack);
			free(pstack);
			return T_FAIL;
		}
		*bytes += gc_obj(p)->size;
		for (unsigned i = 0; i < m->obj[id].nref; i++) {
			uintptr_t q = gc_load(m->gc, p, i);
			uint32_t qid = m->obj[id].refs[i];

			CHECK_EQ(!q, !qid);
			if (!q || m->seen[qid])
				continue;
			m->seen[qid] = 1;
			stack[n] = qid;
			pstack[n++] = q;
		}
	}
	free(stack);
	free(pstack);
	return T_PASS;
}

static void model_free(struct model *m)
{
	for (uint32_t i = 1; i <= m->nobj; i++)
		free(m->obj[i].refs);
	free(m->obj);
	free(m->seen);
	gc_destroy(m->gc);
}

static long backing_bytes(struct gc *gc)
{
	struct stat st;
	int fd = mmr_region_fd(mmr_heap_region(gc_heap(gc)));

	if (fd < 0 || fstat(fd, &st))
		return -1;
	return (long)st.st_blocks * 512;
}

/* Mutate while collecting in small steps; verify after every cycle.
 * MMR_TEST_QUICK (valgrind, the emulated i386 run): one seed of four. */
static int random_graphs(void)
{
	const uint64_t seeds = getenv("MMR_TEST_QUICK") ? 1 : 4;

	for (uint64_t seed = 1; seed <= seeds; seed++) {
		struct model m = { .rng = seed * 0x9e3779b97f4a7c15ull };
		unsigned long cycles = 0;
		size_t bytes;

		m.gc = gc_create(16 * MiB);
		CHECK(m.gc);
		for (long op = 0; op < 60000; op++) {
			CHECK_EQ(mutate(&m), 0);
			if (op % 4)
				continue;
			if (gc_step(m.gc, 64)) {
				cycles++;
				CHECK_EQ(verify(&m, &bytes), T_PASS);
			} else if (rnd(&m, 16) == 0) {
				/* Verify mid-cycle too: the barrier heals. */
				CHECK_EQ(verify(&m, &bytes), T_PASS);
			}
		}
		gc_collect(m.gc);
		CHECK_EQ(verify(&m, &bytes), T_PASS);
		/* The last mark found exactly what the shadow reaches. */
		gc_collect(m.gc);
		CHECK_EQ(gc_stats(m.gc)->live_bytes, bytes);
		CHECK(cycles >= 20);
		CHECK(gc_stats(m.gc)->pages_evacuated > 0);
		CHECK(gc_stats(m.gc)->relocated_by_mutator > 0);
		CHECK(gc_stats(m.gc)->remapped > 0);
		CHECK_EQ(mmr_heap_committed(gc_heap(m.gc)), gc_used_bytes(m.gc));
		printf("# seed %llu: %lu cycles, %lu marked, %lu relocated (%lu by the "
		       "mutator), %lu remapped, %lu pages evacuated, %lu freed empty, "
		       "live %zu KiB, committed %zu KiB\n", (unsigned long long)seed,
		       gc_stats(m.gc)->cycles, gc_stats(m.gc)->marked_objs,
		       gc_stats(m.gc)->relocated_objs, gc_stats(m.gc)->relocated_by_mutator,
		       gc_stats(m.gc)->remapped, gc_stats(m.gc)->pages_evacuated,
		       gc_stats(m.gc)->pages_freed_empty, bytes >> 10,
		       mmr_heap_committed(gc_heap(m.gc)) >> 10);
		model_free(&m);
	}
	return T_PASS;
}

/* A big graph dies but for every 64th object, scattered over all pages:
 * evacuation compacts the survivors and the memory goes back. */
static int dead_memory_returned(void)
{
	struct model m = { .rng = 42 };
	uintptr_t keep = 0, drop = 0;
	uint32_t keep_id = 0, drop_id = 0;
	size_t bytes, before, after;
	long blocks;
	unsigned k = 0;

	m.gc = gc_create(64 * MiB);
	CHECK(m.gc);
	while (mmr_heap_committed(gc_heap(m.gc)) < 24 * MiB) {
		uint32_t id;
		uintptr_t p = new_obj(&m, &id);
		uintptr_t *head = k++ % 64 ? &drop : &keep;
		uint32_t *head_id = head == &drop ? &drop_id : &keep_id;

		CHECK(p);
		if (!m.obj[id].nref)
			continue;	/* unreachable at once */
		gc_store(m.gc, p, 0, *head);
		m.obj[id].refs[0] = *head_id;
		*head = p;
		*head_id = id;
	}
	gc_root_store(m.gc, 0, keep);
	m.roots[0] = keep_id;
	before = mmr_heap_committed(gc_heap(m.gc));
	CHECK(backing_bytes(m.gc) >= (long)before);
	gc_collect(m.gc);
	gc_collect(m.gc);
	CHECK_EQ(verify(&m, &bytes), T_PASS);
	after = mmr_heap_committed(gc_heap(m.gc));
	blocks = backing_bytes(m.gc);
	printf("# committed %zu KiB -> %zu KiB (live %zu KiB), memfd holds %ld KiB, "
	       "%lu pages evacuated, %lu freed empty\n", before >> 10, after >> 10,
	       bytes >> 10, blocks >> 10, gc_stats(m.gc)->pages_evacuated,
	       gc_stats(m.gc)->pages_freed_empty);
	CHECK(bytes > 0);
	CHECK(gc_stats(m.gc)->pages_evacuated > 0);
	CHECK(after < before / 4);
	CHECK(after <= 2 * bytes + 4 * GC_PAGE);
	CHECK(blocks >= 0 && (size_t)blocks <= after);
	model_free(&m);
	return T_PASS;
}

T_MAIN(T(random_graphs), T(dead_memory_returned))
