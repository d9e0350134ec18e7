// SPDX-License-Identifier: MIT
/*
 * gc: the example collector under several mutator threads. Each keeps a
 * list of records alive (updated in place), allocates short-lived garbage
 * and now and then a large object, and publishes records in the shared
 * roots for the others to read. The collector runs concurrently with its
 * own worker threads. At the end every list is checked.
 *
 *   build/examples/gc [seconds] [mutators] [workers]
 */
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>

#include "gc.h"

#define HEAP	(64u << 20)
#define RECORDS	5000

struct mut {
	struct gc *gc;
	unsigned id;
	double seconds;
	int bad;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Root 0: the list (newest first), root 1: a garbage chain. */
static int step(struct gc_thread *t, struct mut *m, unsigned i)
{
	uintptr_t p, q;

	if (i % 997 == 0) {		/* a large object, dropped soon */
		p = gc_alloc(t, 0, 3 * GC_PAGE + i % 1000);
		if (!p)
			return -1;
		gc_payload_set(p, 5, 7);
		gc_root_store(t, 2, p);
	}
	p = gc_alloc(t, 2, 16 + i % 200);
	if (!p)
		return -1;
	gc_obj_set_id(p, i);
	gc_store(t, p, 0, i % 100 ? gc_root_load(t, 1) : 0);
	gc_root_store(t, 1, p);
	/* Update a record in place: swap its payload byte. */
	q = gc_root_load(t, 0);
	for (unsigned k = i % 64; q && k; k--)
		q = gc_load(t, q, 0);
	if (q)
		gc_payload_set(q, 0, (unsigned char)(gc_payload_get(q, 0) + 1));
	/* Publish a record; read another thread's. */
	if (q && i % 16 == 0)
		gc_shared_store(t, m->id % GC_NSHARED, q);
	q = gc_shared_load(t, (m->id + 1 + i) % GC_NSHARED);
	if (q && gc_obj_nbytes(q) != 8)
		return -1;
	return 0;
}

static void *mutator(void *arg)
{
	struct mut *m = arg;
	struct gc_thread *t = gc_attach(m->gc);
	double end = now() + m->seconds;
	unsigned want = RECORDS;

	for (unsigned n = 0; n < RECORDS; n++) {
		uintptr_t p = gc_alloc(t, 1, 8);

		if (!p)
			goto fail;
		gc_obj_set_id(p, n);
		gc_store(t, p, 0, gc_root_load(t, 0));
		gc_root_store(t, 0, p);
	}
	for (unsigned i = 1; now() < end; i++) {
		if (step(t, m, i))
			goto fail;
		gc_safepoint(t);
	}
	for (uintptr_t p = gc_root_load(t, 0); p; p = gc_load(t, p, 0))
		if (gc_obj_id(p) != --want)
			goto fail;
	if (want)
		goto fail;
	gc_detach(t);
	return NULL;
fail:
	m->bad = 1;
	gc_detach(t);
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	unsigned nm = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
	unsigned nw = argc > 3 ? (unsigned)atoi(argv[3]) : 2;
	struct gc *gc = gc_create(HEAP, nw ? nw : 1, 0);
	struct mut m[64];
	pthread_t t[64];
	struct gc_stats st;
	int bad = 0;

	if (!gc || nm < 1 || nm > 64)
		return 1;
	for (unsigned i = 0; i < nm; i++) {
		m[i] = (struct mut){ gc, i, seconds, 0 };
		pthread_create(&t[i], NULL, mutator, &m[i]);
	}
	for (unsigned i = 0; i < nm; i++) {
		pthread_join(t[i], NULL);
		bad |= m[i].bad;
	}
	gc_get_stats(gc, &st);
	printf("%u mutators, %u GC workers, %.1f s, 64 MiB heap in 64 KiB pages\n",
	       nm, nw, seconds);
	printf("cycles %lu, pauses %lu (longest %.2f ms), live %zu KiB, committed %zu KiB\n",
	       st.cycles, st.pauses, st.max_pause_ms, st.live_bytes >> 10,
	       mmr_heap_committed(gc_heap(gc)) >> 10);
	printf("marked %lu, relocated %lu (%lu by mutators, %lu CAS races lost), "
	       "remapped %lu, healed %lu\n", st.marked, st.relocated,
	       st.relocated_by_mutator, st.cas_lost, st.remapped, st.healed);
	printf("pages: %lu evacuated, %lu freed empty, %lu large allocated, %lu freed\n",
	       st.pages_evacuated, st.pages_freed_empty, st.large_allocated, st.large_freed);
	printf("memory: %lu maps, %lu moves, %lu cache hits, %lu commits, %lu uncommits, "
	       "%lu allocation stalls\n", st.maps, st.moves, st.cache_hits, st.commits,
	       st.uncommits, st.stalls);
	gc_destroy(gc);
	if (bad) {
		fprintf(stderr, "gc: a list or a shared record is corrupt\n");
		return 1;
	}
	printf("every list intact\n");
	return 0;
}
