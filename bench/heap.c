// SPDX-License-Identifier: MIT
/*
 * mmr bench heap: what multi-mapping buys a collector with colored
 * pointers. Walk a linked list of N nodes whose next pointers carry color
 * bits, dereferencing them as they are (every color is a view of the same
 * heap) versus masking the color off before every load (what a collector
 * must do on one mapping). Plain uncolored pointers are the floor. Lists
 * are laid out in order (prefetch-friendly: the mask shows) and shuffled
 * (cache and TLB misses dominate; several views also cost TLB entries).
 * Then the cost of committing and uncommitting heap memory per MiB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmirror.h"
#include "bench.h"

#define VIEWS	3
#define ROUNDS	5
#define MiB	(1UL << 20)

struct node {
	uintptr_t next;
	uint64_t val;
	uint64_t pad[6];	/* one cache line per node */
};

struct chase_result {
	const char *layout;
	size_t nodes;
	double plain, mirrored, mixed, masked;	/* ns per load */
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Link @n nodes in @order; color each pointer with @color, or a random
 * view if @color < 0 (a heap in the middle of a cycle). */
static void link_nodes(mmr_heap *h, struct node *base, const size_t *order, size_t n,
		       int color)
{
	for (size_t i = 0; i < n; i++) {
		struct node *to = &base[order[(i + 1) % n]];
		unsigned v = color < 0 ? (unsigned)(rnd() % VIEWS) : (unsigned)color;

		base[order[i]].next = (uintptr_t)mmr_heap_color(h, to, v);
		base[order[i]].val = i;
	}
	mmr_barrier();
}

__attribute__((noinline)) static uint64_t walk_direct(const struct node *p, size_t n)
{
	uint64_t sum = 0;

	while (n--) {
		sum += p->val;
		p = (const struct node *)p->next;
	}
	return sum;
}

__attribute__((noinline)) static uint64_t walk_masked(const struct node *p, size_t n,
						      uintptr_t mask)
{
	uint64_t sum = 0;

	while (n--) {
		sum += p->val;
		p = (const struct node *)(p->next & ~mask);
	}
	return sum;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Keeps the walks from being optimised away (file scope: clang calls a
 * static local that is only stored to "set but not used"). */
static volatile uint64_t sink;

/* Median ns per load of @rounds walks of @n loads. */
static double time_walk(const struct node *start, size_t n, uintptr_t mask, int masked)
{
	double t[ROUNDS];

	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = bench_now_ns();

		sink += masked ? walk_masked(start, n, mask) : walk_direct(start, n);
		t[r] = (double)(bench_now_ns() - t0) / (double)n;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp_double);
	return t[ROUNDS / 2];
}

static int chase(size_t n, int shuffled, struct chase_result *res)
{
	size_t bytes = n * sizeof(struct node), *order;
	uintptr_t mask;
	struct node *b0;
	mmr_heap *h;
	int ret;

	ret = mmr_heap_create(&h, bytes, VIEWS, 0);
	if (ret) {
		fprintf(stderr, "mmr bench heap: %s\n", mmr_last_error());
		return ret;
	}
	ret = mmr_heap_commit(h, 0, mmr_heap_size(h));
	order = malloc(n * sizeof(*order));
	if (ret || !order) {
		mmr_heap_destroy(h);
		free(order);
		return ret ? ret : -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n - 1; shuffled && i > 0; i--) {
		size_t j = rnd() % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	b0 = mmr_heap_base(h, 0);
	mask = mmr_heap_color_mask(h);
	res->layout = shuffled ? "shuffled" : "in order";
	res->nodes = n;

	/* Uncolored: view 0, colors are 0 bits. The floor. */
	link_nodes(h, b0, order, n, 0);
	res->plain = time_walk(&b0[order[0]], n, mask, 0);
	/* One color (view 2) everywhere: a heap between cycles. */
	link_nodes(h, b0, order, n, 2);
	res->mirrored = time_walk(&b0[order[0]], n, mask, 0);
	/* Mixed colors: views 0-2 at random, dereferenced as they are. */
	link_nodes(h, b0, order, n, -1);
	res->mixed = time_walk(&b0[order[0]], n, mask, 0);
	/* The same mixed colors, masked off on every load. */
	res->masked = time_walk(&b0[order[0]], n, mask, 1);
	free(order);
	mmr_heap_destroy(h);
	return 0;
}

struct commit_result {
	size_t chunk;
	unsigned flags;
	double commit_us_mib, uncommit_us_mib;
};

/* Commit and uncommit @chunk bytes at a time over a 1 GiB heap. */
static int commit_cost(size_t chunk, unsigned flags, struct commit_result *res)
{
	size_t size = 1024 * MiB, total = 256 * MiB;
	uint64_t tc = 0, tu = 0;
	mmr_heap *h;
	int ret = mmr_heap_create(&h, size, VIEWS, flags);

	if (ret) {
		fprintf(stderr, "mmr bench heap: %s\n", mmr_last_error());
		return ret;
	}
	for (int r = 0; r < 3; r++) {
		uint64_t t0 = bench_now_ns();

		for (size_t off = 0; off < total && !ret; off += chunk)
			ret = mmr_heap_commit(h, off, chunk);
		tc += bench_now_ns() - t0;
		t0 = bench_now_ns();
		for (size_t off = 0; off < total && !ret; off += chunk)
			ret = mmr_heap_uncommit(h, off, chunk);
		tu += bench_now_ns() - t0;
	}
	mmr_heap_destroy(h);
	if (ret) {
		fprintf(stderr, "mmr bench heap: %s\n", mmr_last_error());
		return ret;
	}
	res->chunk = chunk;
	res->flags = flags;
	res->commit_us_mib = (double)tc / 1e3 / (3.0 * (double)(total / MiB));
	res->uncommit_us_mib = (double)tu / 1e3 / (3.0 * (double)(total / MiB));
	return 0;
}

static const char usage[] =
	"usage: mmr bench heap [--json]\n\n"
	"Walk linked lists whose pointers carry color bits, through the colored\n"
	"views of an mmr_heap and by masking the color off every load; then the\n"
	"cost of committing and uncommitting heap memory.\n\n"
	"  --json   one JSON object (schema " MMR_JSON_SCHEMA ", see mmr(1))\n"
	"  --help   this text\n";

int mmr_bench_heap(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const size_t sizes[] = { 16384, 1u << 18, 2u << 20 };
	static const size_t chunks[] = { 64u << 10, 2u << 20, 64u << 20 };
	struct chase_result cr[6];
	struct commit_result co[4];
	int json = 0, nc = 0, nco = 0, c;
	struct json j;

	cli_begin("bench heap", argc, argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h')
			return cli_help(usage);
		else
			return cli_bad_option("bench heap");
	}
	if (cli_no_operands("bench heap", argc, argv))
		return CLI_EXIT_USAGE;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (int sh = 0; sh < 2; sh++)
			if (!chase(sizes[s], sh, &cr[nc]))
				nc++;
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
		if (!commit_cost(chunks[c], 0, &co[nco]))
			nco++;
	if (!commit_cost(2u << 20, MMR_POPULATE, &co[nco]))
		nco++;

	if (json) {
		json_doc_begin(&j, stdout, "bench heap");
		json_int(&j, "views", VIEWS);
		json_array_begin(&j, "chase");
		for (int i = 0; i < nc; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "layout", cr[i].layout);
			json_uint(&j, "nodes", cr[i].nodes);
			json_double(&j, "plain_ns", cr[i].plain, 3, 1);
			json_double(&j, "one_color_ns", cr[i].mirrored, 3, 1);
			json_double(&j, "mixed_colors_ns", cr[i].mixed, 3, 1);
			json_double(&j, "masked_ns", cr[i].masked, 3, 1);
			json_double(&j, "masked_over_mirrored", cr[i].masked / cr[i].mixed, 3, 1);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "commit");
		for (int i = 0; i < nco; i++) {
			json_object_begin(&j, NULL);
			json_uint(&j, "chunk", co[i].chunk);
			json_bool(&j, "populate", co[i].flags & MMR_POPULATE);
			json_double(&j, "commit_us_per_mib", co[i].commit_us_mib, 2, 1);
			json_double(&j, "uncommit_us_per_mib", co[i].uncommit_us_mib, 2, 1);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_doc_end(&j);
		return nc && nco ? 0 : 1;
	}
	printf("Pointer chase, %d views, ns per load (median of %d walks)\n", VIEWS, ROUNDS);
	printf("%-9s %8s %8s %10s %10s %8s %15s\n", "layout", "nodes", "plain",
	       "one color", "mixed", "masked", "masked/mixed");
	for (int i = 0; i < nc; i++)
		printf("%-9s %8zu %8.2f %10.2f %10.2f %8.2f %15.3f\n", cr[i].layout,
		       cr[i].nodes, cr[i].plain, cr[i].mirrored, cr[i].mixed, cr[i].masked,
		       cr[i].masked / cr[i].mixed);
	printf("\nCommit / uncommit, %d views, 256 MiB in chunks\n", VIEWS);
	printf("%-10s %-9s %14s %16s\n", "chunk", "populate", "commit us/MiB",
	       "uncommit us/MiB");
	for (int i = 0; i < nco; i++)
		printf("%-7zu KiB %-9s %14.1f %16.1f\n", co[i].chunk >> 10,
		       co[i].flags & MMR_POPULATE ? "yes" : "no", co[i].commit_us_mib,
		       co[i].uncommit_us_mib);
	return nc && nco ? 0 : 1;
}
