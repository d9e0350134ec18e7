// SPDX-License-Identifier: MIT
/*
 * The example collector (examples/gc) under several random mutator
 * threads while it collects back to back with its own workers: each
 * thread builds and rewires graphs of its own objects (small and large),
 * publishes some in the shared roots, and checks what it reaches against
 * a shadow model kept outside the heap (ids, fields, payload bytes).
 * Relocation races the mutators; forwarding entries are installed with
 * CAS. Then memory of dead objects must go back (committed bytes, memfd
 * blocks). Under TSan this is the collector's race check (make check-tsan).
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "helpers.h"
#include "../examples/gc/gc.c"

#define MiB (1UL << 20)
#define MUTATORS 4

struct shadow {
	uint32_t nref, nbytes;
	uint32_t *refs;		/* local ids; 0 is null */
};

struct model {
	struct gc *gc;
	struct gc_thread *t;
	unsigned tid;
	struct shadow *obj;	/* by local id; id 0 unused */
	uint32_t nobj, cap;
	uint32_t roots[GC_NROOTS];
	uint8_t *seen;
	uint64_t rng;
	size_t bytes;		/* reachable, found by the last verify() */
	char why[256];
};

static uint32_t rnd(struct model *m, uint32_t n)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return n ? (uint32_t)(m->rng % n) : 0;
}

/* The object's id in the heap: owner thread and local id. */
static uint32_t gid(const struct model *m, uint32_t id)
{
	return (uint32_t)m->tid << 24 | id;
}

static unsigned char payload_byte(uint32_t g, unsigned j)
{
	return (unsigned char)(g * 31 + j * 7);
}

#define FAIL(m, ...) do {						\
	snprintf((m)->why, sizeof((m)->why), __VA_ARGS__);		\
	return -1;							\
} while (0)

/* Allocate an object and record it; 0 if the heap stays full. */
static uintptr_t new_obj(struct model *m, uint32_t *id_out)
{
	unsigned nref = rnd(m, 5);
	unsigned nbytes = rnd(m, 100) ? (rnd(m, 8) ? rnd(m, 200) : rnd(m, 4000)) :
		GC_SMALL_MAX + rnd(m, 3 * GC_PAGE);
	uintptr_t p = gc_alloc(m->t, nref, nbytes);
	uint32_t id;

	if (!p)
		return 0;
	if (m->nobj + 1 >= m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->obj = realloc(m->obj, m->cap * sizeof(*m->obj));
		m->seen = realloc(m->seen, m->cap);
		if (!m->obj || !m->seen)
			abort();
	}
	id = ++m->nobj;
	m->obj[id] = (struct shadow){ nref, nbytes, calloc(nref ? nref : 1, sizeof(uint32_t)) };
	gc_obj_set_id(p, gid(m, id));
	for (unsigned j = 0; j < nbytes; j += 1 + j / 64)	/* a sample */
		gc_payload_set(p, j, payload_byte(gid(m, id), j));
	*id_out = id;
	return p;
}

static int check_obj(struct model *m, uintptr_t p, uint32_t id)
{
	const struct shadow *s = &m->obj[id];

	if (gc_obj_id(p) != gid(m, id) || gc_obj_nref(p) != s->nref ||
	    gc_obj_nbytes(p) != s->nbytes)
		FAIL(m, "object %u: id %#x nref %u nbytes %u, expected %#x %u %u", id,
		     gc_obj_id(p), gc_obj_nref(p), gc_obj_nbytes(p), gid(m, id), s->nref,
		     s->nbytes);
	for (unsigned j = 0; j < s->nbytes; j += 1 + j / 64)
		if (gc_payload_get(p, j) != payload_byte(gid(m, id), j))
			FAIL(m, "object %u: payload byte %u differs", id, j);
	/* Every color reaches the same object. */
	for (unsigned v = 0; v < C_VIEWS; v++) {
		const struct gc_obj *c = mmr_heap_color(gc_heap(m->gc), gc_obj(p), v);

		if (!c || __atomic_load_n(&c->id, __ATOMIC_RELAXED) != gid(m, id))
			FAIL(m, "object %u: color %u reaches something else", id, v);
	}
	return 0;
}

/* Walk from a random root along random fields; heap and shadow must agree
 * at every step. Returns the object reached (0: none). */
static uintptr_t walk(struct model *m, uint32_t *id_out, int *bad)
{
	unsigned r = rnd(m, GC_NROOTS), steps = rnd(m, 6);
	uintptr_t p = gc_root_load(m->t, r);
	uint32_t id = m->roots[r];

	for (;;) {
		if (!p != !id || (p && gc_obj_id(p) != gid(m, id))) {
			snprintf(m->why, sizeof(m->why), "walk: heap %#x, shadow %u",
				 p ? gc_obj_id(p) : 0, id);
			*bad = 1;
			return 0;
		}
		if (!p || !steps-- || !m->obj[id].nref)
			break;
		unsigned i = rnd(m, m->obj[id].nref);
		uintptr_t q = gc_load(m->t, p, i);

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
	unsigned i, r;

	switch (rnd(m, 12)) {
	case 0: case 1: case 2: case 3:		/* allocate and link */
		p = new_obj(m, &id);		/* a safepoint: then walk */
		if (!p)
			return 0;
		for (i = 0; i < m->obj[id].nref; i++) {
			t = rnd(m, 3) ? walk(m, &tid, &bad) : 0;
			gc_store(m->t, p, i, t);
			m->obj[id].refs[i] = t ? tid : 0;
		}
		t = walk(m, &tid, &bad);
		if (t && m->obj[tid].nref && rnd(m, 4)) {	/* insert, as in a list */
			i = rnd(m, m->obj[tid].nref);
			if (m->obj[id].nref) {
				gc_store(m->t, p, 0, gc_load(m->t, t, i));
				m->obj[id].refs[0] = m->obj[tid].refs[i];
			}
			gc_store(m->t, t, i, p);
			m->obj[tid].refs[i] = id;
		} else {
			r = rnd(m, GC_NROOTS);
			if (m->obj[id].nref) {
				gc_store(m->t, p, 0, gc_root_load(m->t, r));
				m->obj[id].refs[0] = m->roots[r];
			}
			gc_root_store(m->t, r, p);
			m->roots[r] = id;
		}
		break;
	case 4: case 5: case 6:			/* rewire a field */
		p = walk(m, &id, &bad);
		if (!p || !m->obj[id].nref)
			break;
		t = rnd(m, 4) ? walk(m, &tid, &bad) : 0;
		i = rnd(m, m->obj[id].nref);
		gc_store(m->t, p, i, t);
		m->obj[id].refs[i] = t ? tid : 0;
		break;
	case 7:					/* move a root */
		p = walk(m, &id, &bad);
		r = rnd(m, GC_NROOTS);
		gc_root_store(m->t, r, p);
		m->roots[r] = p ? id : 0;
		break;
	case 8:					/* publish, and read another's */
		p = walk(m, &id, &bad);
		if (p)
			gc_shared_store(m->t, rnd(m, GC_NSHARED), p);
		t = gc_shared_load(m->t, rnd(m, GC_NSHARED));
		if (t) {
			uint32_t g = gc_obj_id(t);
			unsigned nb = gc_obj_nbytes(t);

			for (unsigned j = 0; j < nb; j += 1 + j / 64)
				if (gc_payload_get(t, j) != payload_byte(g, j))
					FAIL(m, "shared object %#x: payload byte %u", g, j);
		}
		break;
	default:				/* drop a root */
		if (rnd(m, 4) == 0) {
			r = rnd(m, GC_NROOTS);
			gc_root_store(m->t, r, 0);
			m->roots[r] = 0;
		}
		break;
	}
	return bad ? -1 : 0;
}

/* Traverse the heap from the roots and the shadow in lockstep. */
static int verify(struct model *m)
{
	uint32_t *stack = malloc((m->nobj + 1) * sizeof(*stack));
	uintptr_t *pstack = malloc((m->nobj + 1) * sizeof(*pstack));
	size_t n = 0;
	int ret = 0;

	if (!stack || !pstack)
		abort();
	m->bytes = 0;
	memset(m->seen, 0, m->nobj + 1);
	for (unsigned r = 0; r < GC_NROOTS && !ret; r++) {
		uintptr_t p = gc_root_load(m->t, r);

		if (!p != !m->roots[r]) {
			snprintf(m->why, sizeof(m->why), "root %u", r);
			ret = -1;
		} else if (p && !m->seen[m->roots[r]]) {
			m->seen[m->roots[r]] = 1;
			stack[n] = m->roots[r];
			pstack[n++] = p;
		}
	}
	/* Objects of this thread published in the shared roots. */
	for (unsigned r = 0; r < GC_NSHARED && !ret; r++) {
		uintptr_t p = gc_shared_load(m->t, r);
		uint32_t g = p ? gc_obj_id(p) : 0;

		if (p && g >> 24 == m->tid && !m->seen[g & 0xffffff]) {
			m->seen[g & 0xffffff] = 1;
			stack[n] = g & 0xffffff;
			pstack[n++] = p;
		}
	}
	while (n && !ret) {
		uint32_t id = stack[--n];
		uintptr_t p = pstack[n];

		ret = check_obj(m, p, id);
		m->bytes += __atomic_load_n(&gc_obj(p)->size, __ATOMIC_RELAXED);
		for (unsigned i = 0; i < m->obj[id].nref && !ret; i++) {
			uintptr_t q = gc_load(m->t, p, i);
			uint32_t qid = m->obj[id].refs[i];

			if (!q != !qid || (q && gc_obj_id(q) != gid(m, qid))) {
				snprintf(m->why, sizeof(m->why), "field %u of %u", i, id);
				ret = -1;
			} else if (q && !m->seen[qid]) {
				m->seen[qid] = 1;
				stack[n] = qid;
				pstack[n++] = q;
			}
		}
	}
	free(stack);
	free(pstack);
	return ret;
}

static void model_free(struct model *m)
{
	for (uint32_t i = 1; i <= m->nobj; i++)
		free(m->obj[i].refs);
	free(m->obj);
	free(m->seen);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct run {
	struct gc *gc;
	pthread_barrier_t stop;
	double seconds;
	struct model m[MUTATORS];
	int bad[MUTATORS];
} run;

static void wait_all(struct model *m)
{
	gc_blocking_begin(m->t);
	pthread_barrier_wait(&run.stop);
	gc_blocking_end(m->t);
}

static void *mutator(void *arg)
{
	struct model *m = arg;
	double end = now_s() + run.seconds;
	long op;

	m->t = gc_attach(run.gc);
	for (op = 0; now_s() < end || op < 2000; op++) {
		if (mutate(m))
			goto bad;
		if (op % 8 == 0)
			gc_safepoint(m->t);
		if (op % 3000 == 2999 && verify(m))
			goto bad;
	}
	/* All stop mutating; two whole cycles after that; then the heap
	 * and the shadow must agree and the last mark must have found
	 * exactly what the shadows reach. */
	wait_all(m);
	gc_collect(m->t);
	gc_collect(m->t);
	if (verify(m))
		goto bad;
	wait_all(m);
	wait_all(m);	/* main reads the stats in between */
	gc_detach(m->t);
	return NULL;
bad:
	run.bad[m->tid] = 1;
	fprintf(stderr, "mutator %u: %s\n", m->tid, m->why);
	abort();
}

static long backing_bytes(struct gc *gc)
{
	struct stat st;
	int fd = mmr_region_fd(mmr_heap_region(gc_heap(gc)));

	if (fd < 0 || fstat(fd, &st))
		return -1;
	return (long)st.st_blocks * 512;
}

/* Mutators race the collector for a few seconds (MMR_GC_SECONDS). */
static int threads_race_collector(void)
{
	const char *env = getenv("MMR_GC_SECONDS");
	pthread_t th[MUTATORS];
	struct gc_stats st;
	size_t bytes = 0;

	run.seconds = env ? atof(env) : getenv("MMR_TEST_QUICK") ? 1 : 3;
	run.gc = gc_create(32 * MiB, 2, 0);
	CHECK(run.gc);
	pthread_barrier_init(&run.stop, NULL, MUTATORS + 1);
	for (unsigned i = 0; i < MUTATORS; i++) {
		run.m[i] = (struct model){ .gc = run.gc, .tid = i,
					   .rng = (i + 1) * 0x9e3779b97f4a7c15ull };
		CHECK_EQ(pthread_create(&th[i], NULL, mutator, &run.m[i]), 0);
	}
	pthread_barrier_wait(&run.stop);	/* mutation over */
	pthread_barrier_wait(&run.stop);	/* verified after two cycles */
	gc_get_stats(run.gc, &st);
	for (unsigned i = 0; i < MUTATORS; i++)
		bytes += run.m[i].bytes;
	pthread_barrier_wait(&run.stop);
	for (unsigned i = 0; i < MUTATORS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(run.bad[i], 0);
	}
	printf("# %lu cycles, %lu pauses (longest %.1f ms), %lu marked, %lu relocated "
	       "(%lu by mutators, %lu CAS races lost), %lu remapped, %lu pages "
	       "evacuated, %lu freed empty, %lu large, %lu maps, %lu moves, %lu cache "
	       "hits, %lu commits, %lu uncommits, live %zu KiB\n", st.cycles, st.pauses,
	       st.max_pause_ms, st.marked, st.relocated, st.relocated_by_mutator,
	       st.cas_lost, st.remapped, st.pages_evacuated, st.pages_freed_empty,
	       st.large_allocated, st.maps, st.moves, st.cache_hits, st.commits,
	       st.uncommits, bytes >> 10);
	CHECK_EQ(st.live_bytes, bytes);
	CHECK(st.cycles >= 3);
	CHECK(st.relocated > 0);
	CHECK(st.pages_evacuated > 0);
	CHECK(st.remapped > 0);
	CHECK(st.large_allocated > 0);
	CHECK(st.cache_hits > 0);	/* committed memory used again */
	CHECK(st.maps > st.commits);	/* ... at new addresses */
	gc_destroy(run.gc);
	for (unsigned i = 0; i < MUTATORS; i++)
		model_free(&run.m[i]);
	pthread_barrier_destroy(&run.stop);
	return T_PASS;
}

/* A big graph dies but for every 64th object, scattered over all pages:
 * evacuation compacts the survivors and the memory goes back, but for
 * the page cache's eighth of the heap. */
static int dead_memory_returned(void)
{
	struct model m = { .rng = 42, .tid = 0 };
	uintptr_t keep = 0, drop = 0;
	uint32_t keep_id = 0, drop_id = 0;
	size_t before, after;
	struct gc_stats st;
	unsigned k = 0;
	long blocks;

	if (sizeof(void *) < 8)
		SKIP("the 64 MiB collector reserves 4x its heap in 3 colors: more "
		     "than a 32-bit address space holds");
	m.gc = gc_create(64 * MiB, 2, 1000000);
	CHECK(m.gc);
	m.t = gc_attach(m.gc);
	while (mmr_heap_committed(gc_heap(m.gc)) < 24 * MiB) {
		uint32_t id;
		uintptr_t p = new_obj(&m, &id);
		uintptr_t *head = k++ % 64 ? &drop : &keep;

		keep = gc_root_load(m.t, 0);	/* new_obj() was a safepoint */
		drop = gc_root_load(m.t, 1);
		uint32_t *head_id = head == &drop ? &drop_id : &keep_id;

		CHECK(p);
		if (!m.obj[id].nref)
			continue;	/* unreachable at once */
		gc_store(m.t, p, 0, *head);
		m.obj[id].refs[0] = *head_id;
		*head = p;
		*head_id = id;
		gc_root_store(m.t, 0, keep);
		gc_root_store(m.t, 1, drop);
	}
	gc_root_store(m.t, 1, 0);
	m.roots[0] = keep_id;
	before = mmr_heap_committed(gc_heap(m.gc));
	CHECK(backing_bytes(m.gc) >= (long)before);
	gc_collect(m.t);
	gc_collect(m.t);
	CHECK_EQ(verify(&m), 0);
	after = mmr_heap_committed(gc_heap(m.gc));
	blocks = backing_bytes(m.gc);
	gc_get_stats(m.gc, &st);
	printf("# committed %zu KiB -> %zu KiB (live %zu KiB), memfd holds %ld KiB, "
	       "%lu pages evacuated, %lu freed empty, %lu uncommits\n", before >> 10,
	       after >> 10, m.bytes >> 10, blocks >> 10, st.pages_evacuated,
	       st.pages_freed_empty, st.uncommits);
	CHECK(m.bytes > 0);
	CHECK(st.pages_evacuated > 0);
	CHECK(after <= 2 * m.bytes + 8 * MiB + 4 * GC_PAGE);
	CHECK(blocks >= 0 && (size_t)blocks <= after);
	gc_detach(m.t);
	gc_destroy(m.gc);
	model_free(&m);
	return T_PASS;
}

T_MAIN(T(threads_race_collector), T(dead_memory_returned))
