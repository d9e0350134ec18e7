// SPDX-License-Identifier: MIT
/*
 * gc: run the example collector under a small mutator. A long-lived list
 * of records is updated in place while short-lived garbage is allocated
 * around it; the collector runs in steps between mutator operations.
 * Prints, per cycle, live bytes and committed memory, then checks the list.
 *
 *   build/examples/gc [cycles]
 */
#include <stdio.h>
#include <stdlib.h>

#include "gc.h"

#define HEAP	(32u << 20)
#define RECORDS	20000

/* Append a record holding @n to the list in root 0 (at its head). */
static int push(struct gc *gc, unsigned n)
{
	uintptr_t p = gc_alloc(gc, 1, 32);

	if (!p) {
		gc_collect(gc);
		p = gc_alloc(gc, 1, 32);
		if (!p)
			return -1;
	}
	gc_obj(p)->id = n;
	gc_store(gc, p, 0, gc_root_load(gc, 0));
	gc_root_store(gc, 0, p);
	return 0;
}

/* Short-lived garbage: a chain in root 1, cut every 100 objects. */
static int churn(struct gc *gc, unsigned i)
{
	uintptr_t p = gc_alloc(gc, 2, 100 + i % 300);

	if (!p)
		return 0;
	gc_store(gc, p, 0, i % 100 ? gc_root_load(gc, 1) : 0);
	gc_root_store(gc, 1, p);
	return 0;
}

/* Walk the list: every record 0..RECORDS-1 once, newest first. */
static int check(struct gc *gc)
{
	unsigned want = RECORDS;

	for (uintptr_t p = gc_root_load(gc, 0); p; p = gc_load(gc, p, 0))
		if (gc_obj(p)->id != --want)
			return -1;
	return want ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long cycles = argc > 1 ? strtoul(argv[1], NULL, 0) : 20;
	struct gc *gc = gc_create(HEAP);
	const struct gc_stats *st;
	unsigned i = 0;

	if (!gc)
		return 1;
	st = gc_stats(gc);
	for (unsigned n = 0; n < RECORDS; n++)
		if (push(gc, n))
			return 1;
	printf("cycle  live KiB  committed KiB  relocated  by mutator  remapped\n");
	while (st->cycles < cycles) {
		churn(gc, i++);
		if (i % 8 == 0 && gc_step(gc, 256))
			printf("%5lu  %8zu  %13zu  %9lu  %10lu  %8lu\n", st->cycles,
			       st->live_bytes >> 10,
			       mmr_heap_committed(gc_heap(gc)) >> 10,
			       st->relocated_objs, st->relocated_by_mutator, st->remapped);
	}
	gc_root_store(gc, 1, 0);
	gc_collect(gc);
	gc_collect(gc);
	printf("after dropping the garbage: live %zu KiB, committed %zu KiB\n",
	       st->live_bytes >> 10, mmr_heap_committed(gc_heap(gc)) >> 10);
	if (check(gc)) {
		fprintf(stderr, "gc: the list is corrupt\n");
		return 1;
	}
	printf("list of %u records intact\n", RECORDS);
	gc_destroy(gc);
	return 0;
}
