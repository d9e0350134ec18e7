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
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
	qsort(t, ROUNDS, sizeof(t[0]), bench_cmp_double);
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

/* ---- mmr_heap against a replica of ZGC's scheme, per 2 MiB granule ---- */

#define GRAN	(2 * MiB)

/*
 * JDK 17's ZGC (zPhysicalMemoryBacking_linux.cpp, zVirtualMemory.cpp), in
 * C: memfd "java_heap"; three PROT_NONE reservations at 4/8/16 TiB of 16x
 * the heap; commit = fallocate + mmap(MAP_FIXED|MAP_SHARED) per view;
 * uncommit = an anonymous PROT_NONE map per view + a punched hole; a move
 * maps the same file offsets at the new addresses and unmaps the old ones.
 */
struct zgc {
	int fd;
	char *view[VIEWS];
	size_t reserve;
	size_t *phys;		/* per virtual granule: file offset */
};

static int zgc_create(struct zgc *z, size_t size, size_t reserve)
{
	z->fd = memfd_create("java_heap", MFD_CLOEXEC);
	z->reserve = reserve;
	z->phys = calloc(reserve / GRAN, sizeof(*z->phys));
	if (z->fd < 0 || ftruncate(z->fd, (off_t)size) || !z->phys)
		return -errno;
	for (unsigned v = 0; v < VIEWS; v++) {
		void *want = sizeof(void *) >= 8 ?
			(void *)(uintptr_t)((4ULL << 40) << v) : NULL;
		void *p = mmap(want, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			       MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

		if (p == MAP_FAILED)	/* ZGC's discontiguous fallback: anywhere */
			p = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
				 MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		z->view[v] = p;
	}
	return 0;
}

static void zgc_destroy(struct zgc *z)
{
	for (unsigned v = 0; v < VIEWS; v++)
		if (z->view[v])
			munmap(z->view[v], z->reserve);
	if (z->fd >= 0)
		close(z->fd);
	free(z->phys);
}

static int zgc_map(struct zgc *z, size_t voff, size_t poff, size_t len)
{
	for (unsigned v = 0; v < VIEWS; v++)
		if (mmap(z->view[v] + voff, len, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED,
			 z->fd, (off_t)poff) == MAP_FAILED)
			return -errno;
	for (size_t g = 0; g < len / GRAN; g++)
		z->phys[voff / GRAN + g] = poff + g * GRAN;
	return 0;
}

static int zgc_unmap(struct zgc *z, size_t voff, size_t len)
{
	for (unsigned v = 0; v < VIEWS; v++)
		if (mmap(z->view[v] + voff, len, PROT_NONE, MAP_FIXED | MAP_PRIVATE |
			 MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
			return -errno;
	return 0;
}

static int zgc_commit(struct zgc *z, size_t off, size_t len)
{
	if (fallocate(z->fd, 0, (off_t)off, (off_t)len))
		return -errno;
	return zgc_map(z, off, off, len);
}

static int zgc_uncommit(struct zgc *z, size_t voff, size_t len)
{
	size_t poff = z->phys[voff / GRAN];

	if (zgc_unmap(z, voff, len))
		return -errno;
	return fallocate(z->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)poff,
			 (off_t)len) ? -errno : 0;
}

static int zgc_move(struct zgc *z, size_t to, size_t from)
{
	int ret = zgc_map(z, to, z->phys[from / GRAN], GRAN);

	return ret ? ret : zgc_unmap(z, from, GRAN);
}

/* Both schemes behind one face. */
struct scheme {
	int is_zgc;
	struct zgc z;
	mmr_heap *h;
};

static int sch_create(struct scheme *s, int is_zgc, size_t size)
{
	struct mmr_heap_layout l = {
		.size = size, .reserve = 16 * size, .views = VIEWS,
		.flags = MMR_HEAP_ONE_BIT | MMR_BACKEND_MEMFD, .granule = GRAN,
	};

	memset(s, 0, sizeof(*s));
	s->is_zgc = is_zgc;
	s->z.fd = -1;
	if (is_zgc)
		return zgc_create(&s->z, size, 16 * size);
	return mmr_heap_create_layout(&s->h, &l);
}

static void sch_destroy(struct scheme *s)
{
	if (s->is_zgc)
		zgc_destroy(&s->z);
	else
		mmr_heap_destroy(s->h);
}

static char *sch_addr(struct scheme *s, unsigned v, size_t voff)
{
	return (s->is_zgc ? s->z.view[v] : (char *)mmr_heap_base(s->h, v)) + voff;
}

static int sch_commit(struct scheme *s, size_t off, size_t len)
{
	return s->is_zgc ? zgc_commit(&s->z, off, len) : mmr_heap_commit(s->h, off, len);
}

/* Uncommit what virtual @voff shows (physical @poff). */
static int sch_uncommit(struct scheme *s, size_t voff, size_t poff, size_t len)
{
	int ret;

	if (s->is_zgc)
		return zgc_uncommit(&s->z, voff, len);
	ret = mmr_heap_unmap(s->h, voff, len, MMR_HEAP_ALL_VIEWS);
	return ret ? ret : mmr_heap_uncommit_phys(s->h, poff, len);
}

static int sch_move(struct scheme *s, size_t to, size_t from)
{
	return s->is_zgc ? zgc_move(&s->z, to, from) :
		mmr_heap_move(s->h, to, from, GRAN, MMR_HEAP_ALL_VIEWS);
}

enum { OP_COMMIT, OP_TOUCH, OP_MOVE, OP_TOUCH_MOVED, OP_UNCOMMIT, NOPS };
static const char *const op_names[NOPS] = {
	"commit", "first touch (512 faults)", "move, contents kept",
	"touch after move", "uncommit",
};
static const char *const op_keys[NOPS] = {
	"commit_us", "first_touch_us", "move_us", "touch_after_move_us", "uncommit_us",
};

static void touch(char *p, size_t len, uint32_t val)
{
	for (size_t i = 0; i < len; i += 4096)
		*(volatile uint32_t *)(p + i) = val;
}

/* One round of @n granules: us per granule of each step into @us. */
static int granule_round(int is_zgc, size_t n, double *us)
{
	struct scheme s;
	uint64_t t[NOPS + 1];
	int ret = sch_create(&s, is_zgc, n * GRAN);

	if (ret)
		goto out;
	t[0] = bench_now_ns();
	for (size_t g = 0; g < n && !ret; g++)
		ret = sch_commit(&s, g * GRAN, GRAN);
	t[1] = bench_now_ns();
	for (size_t g = 0; g < n && !ret; g++)
		touch(sch_addr(&s, 0, g * GRAN), GRAN, (uint32_t)g + 1);
	t[2] = bench_now_ns();
	for (size_t g = 0; g < n && !ret; g++)
		ret = sch_move(&s, (n + g) * GRAN, g * GRAN);
	t[3] = bench_now_ns();
	for (size_t g = 0; g < n && !ret; g++) {
		char *p = sch_addr(&s, 0, (n + g) * GRAN);

		if (*(volatile uint32_t *)(p + GRAN - 4096) != (uint32_t)g + 1)
			ret = -EIO;	/* contents lost */
		touch(p, GRAN, (uint32_t)g + 2);
	}
	t[4] = bench_now_ns();
	for (size_t g = 0; g < n && !ret; g++)
		ret = sch_uncommit(&s, (n + g) * GRAN, g * GRAN, GRAN);
	t[5] = bench_now_ns();
	for (int i = 0; i < NOPS; i++)
		us[i] = (double)(t[i + 1] - t[i]) / 1e3 / (double)n;
out:
	if (ret)
		fprintf(stderr, "mmr bench heap: %s round failed: %s\n", is_zgc ? "ZGC" :
			"mmr_heap", ret == -EIO ? "a move lost the contents" :
			is_zgc ? strerror(-ret) : mmr_last_error());
	sch_destroy(&s);
	return ret;
}

/* The worst wait of a 2 MiB commit while another thread commits @big
 * bytes (disjoint ranges of the same heap). */
struct waiter {
	struct scheme *s;
	size_t off;
	atomic_int stop, started;
	uint64_t worst, first;
	unsigned long n;
	int ret;
};

static void *small_commits(void *arg)
{
	struct waiter *w = arg;

	/* The first one is issued 1 ms into the large commit: the wait the
	 * goal is about. The rest, back to back, give the worst. */
	while (!atomic_load(&w->started))
		;
	usleep(1000);
	while (!atomic_load(&w->stop) && !w->ret) {
		uint64_t t0 = bench_now_ns(), dt;

		w->ret = sch_commit(w->s, w->off, GRAN);
		dt = bench_now_ns() - t0;
		if (!w->n++)
			w->first = dt;
		if (dt > w->worst)
			w->worst = dt;
		if (!w->ret)
			w->ret = sch_uncommit(w->s, w->off, w->off, GRAN);
	}
	return NULL;
}

static int wait_round(int is_zgc, size_t big, double *first_ms, double *worst_ms,
		      double *big_ms, double *small_n)
{
	struct scheme s;
	struct waiter w = { .s = &s, .off = big };
	pthread_t t;
	uint64_t t0;
	int ret = sch_create(&s, is_zgc, big + GRAN);

	if (ret || pthread_create(&t, NULL, small_commits, &w)) {
		sch_destroy(&s);
		return ret ? ret : -EAGAIN;
	}
	t0 = bench_now_ns();
	atomic_store(&w.started, 1);
	ret = sch_commit(&s, 0, big);
	*big_ms = (double)(bench_now_ns() - t0) / 1e6;
	atomic_store(&w.stop, 1);
	pthread_join(t, NULL);
	*worst_ms = (double)w.worst / 1e6;
	*first_ms = (double)w.first / 1e6;
	*small_n = (double)w.n;
	if (!ret)
		ret = w.ret;
	if (ret)
		fprintf(stderr, "mmr bench heap: worst wait, %s: %s\n", is_zgc ? "ZGC" :
			"mmr_heap", is_zgc ? strerror(-ret) : mmr_last_error());
	sch_destroy(&s);
	return ret;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return v[n / 2];
}

struct zgc_result {
	size_t granules;
	int rounds;
	double us[2][NOPS];	/* [0] mmr_heap, [1] ZGC */
	double first_ms[2], worst_ms[2], big_ms[2], small_n[2];
	size_t big;
};

/* Rounds alternate which scheme goes first; medians per step. */
static int zgc_compare(size_t n, int rounds, size_t big, struct zgc_result *r)
{
	double us[2][NOPS][32], fm[2][32], wm[2][32], bm[2][32], sn[2][32];

	r->granules = n;
	r->rounds = rounds;
	r->big = big;
	for (int i = 0; i < rounds; i++) {
		for (int k = 0; k < 2; k++) {
			int z = (i + k) & 1;
			double one[NOPS];

			if (granule_round(z, n, one))
				return -1;
			for (int o = 0; o < NOPS; o++)
				us[z][o][i] = one[o];
		}
	}
	for (int i = 0; i < rounds; i++)
		for (int k = 0; k < 2; k++) {
			int z = (i + k) & 1;

			if (wait_round(z, big, &fm[z][i], &wm[z][i], &bm[z][i], &sn[z][i]))
				return -1;
		}
	for (int z = 0; z < 2; z++) {
		for (int o = 0; o < NOPS; o++)
			r->us[z][o] = median(us[z][o], rounds);
		r->worst_ms[z] = median(wm[z], rounds);
		r->first_ms[z] = median(fm[z], rounds);
		r->big_ms[z] = median(bm[z], rounds);
		r->small_n[z] = median(sn[z], rounds);
	}
	return 0;
}

static void zgc_print(const struct zgc_result *r)
{
	printf("\nmmr_heap vs ZGC's scheme (C replica), per 2 MiB granule, %d views, "
	       "median of %d rounds x %zu granules\n", VIEWS, r->rounds, r->granules);
	printf("%-26s %10s %10s %8s\n", "per granule", "mmr_heap", "ZGC", "ratio");
	for (int o = 0; o < NOPS; o++)
		printf("%-26s %7.1f us %7.1f us %7.2fx\n", op_names[o], r->us[0][o],
		       r->us[1][o], r->us[0][o] / r->us[1][o]);
	printf("%-26s %7.2f ms %7.2f ms %7.2fx\n", "wait, 2 MiB commit", r->first_ms[0],
	       r->first_ms[1], r->first_ms[0] / r->first_ms[1]);
	printf("%-26s %7.2f ms %7.2f ms %7.2fx\n", "worst of all such commits",
	       r->worst_ms[0], r->worst_ms[1], r->worst_ms[0] / r->worst_ms[1]);
	printf("  (issued 1 ms into another thread's %zu MiB commit, which took %.0f / %.0f "
	       "ms while %.0f / %.0f small commits got through)\n", r->big >> 20,
	       r->big_ms[0], r->big_ms[1], r->small_n[0], r->small_n[1]);
}

static void zgc_json(struct json *j, const struct zgc_result *r)
{
	json_object_begin(j, "vs_zgc");
	json_uint(j, "granule", GRAN);
	json_uint(j, "granules", r->granules);
	json_int(j, "rounds", r->rounds);
	for (int z = 0; z < 2; z++) {
		json_object_begin(j, z ? "zgc" : "mmr_heap");
		for (int o = 0; o < NOPS; o++)
			json_double(j, op_keys[o], r->us[z][o], 1, 1);
		json_double(j, "wait_ms", r->first_ms[z], 2, 1);
		json_double(j, "worst_wait_ms", r->worst_ms[z], 2, 1);
		json_double(j, "big_commit_ms", r->big_ms[z], 1, 1);
		json_double(j, "small_commits_meanwhile", r->small_n[z], 0, 1);
		json_object_end(j);
	}
	json_object_begin(j, "ratio");
	for (int o = 0; o < NOPS; o++)
		json_double(j, op_keys[o], r->us[0][o] / r->us[1][o], 3, 1);
	json_double(j, "wait_ms", r->first_ms[0] / r->first_ms[1], 3, 1);
	json_double(j, "worst_wait_ms", r->worst_ms[0] / r->worst_ms[1], 3, 1);
	json_object_end(j);
	json_uint(j, "big_commit_bytes", r->big);
	json_object_end(j);
}

static const char usage[] =
	"usage: mmr bench heap [--json] [--granules N] [--rounds N] [--zgc-only]\n\n"
	"Walk linked lists whose pointers carry color bits, through the colored\n"
	"views of an mmr_heap and by masking the color off every load; the cost\n"
	"of committing and uncommitting heap memory; then mmr_heap side by side\n"
	"with a C replica of ZGC's scheme, per 2 MiB granule: commit, first\n"
	"touch, move to a new address (contents kept), uncommit, and the worst\n"
	"wait of a 2 MiB commit behind another thread's 512 MiB commit.\n\n"
	"  --granules N  granules per round (default 256)\n"
	"  --rounds N    rounds, methods alternating (default 7)\n"
	"  --zgc-only    only the comparison with ZGC's scheme\n"
	"  --json   one JSON object (schema " MMR_JSON_SCHEMA ", see mmr(1))\n"
	"  --help   this text\n";

int mmr_bench_heap(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "granules", required_argument, NULL, 'g' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "zgc-only", no_argument, NULL, 'z' },
		{ 0 }
	};
	static const size_t sizes[] = { 16384, 1u << 18, 2u << 20 };
	static const size_t chunks[] = { 64u << 10, 2u << 20, 64u << 20 };
	struct chase_result cr[6];
	struct commit_result co[4];
	int json = 0, nc = 0, nco = 0, c, zgc_only = 0, zok;
	unsigned long long granules = 256, rounds = 7;
	struct zgc_result zr;
	struct json j;

	cli_begin("bench heap", argc, argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h')
			return cli_help(usage);
		else if (c == 'z')
			zgc_only = 1;
		else if (c == 'g' && cli_uint("bench heap", "--granules", optarg, 1, 4096, &granules))
			return CLI_EXIT_USAGE;
		else if (c == 'r' && cli_uint("bench heap", "--rounds", optarg, 1, 31, &rounds))
			return CLI_EXIT_USAGE;
		else if (c == 'g' || c == 'r')
			continue;
		else
			return cli_bad_option("bench heap");
	}
	if (cli_no_operands("bench heap", argc, argv))
		return CLI_EXIT_USAGE;
	for (size_t s = 0; !zgc_only && s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (int sh = 0; sh < 2; sh++)
			if (!chase(sizes[s], sh, &cr[nc]))
				nc++;
	for (size_t c = 0; !zgc_only && c < sizeof(chunks) / sizeof(chunks[0]); c++)
		if (!commit_cost(chunks[c], 0, &co[nco]))
			nco++;
	if (!zgc_only && !commit_cost(2u << 20, MMR_POPULATE, &co[nco]))
		nco++;
	zok = !zgc_compare((size_t)granules, (int)rounds, 512 * MiB, &zr);

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
		if (zok)
			zgc_json(&j, &zr);
		json_doc_end(&j);
		return (zgc_only || (nc && nco)) && zok ? 0 : 1;
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
	if (zok)
		zgc_print(&zr);
	return (zgc_only || (nc && nco)) && zok ? 0 : 1;
}
