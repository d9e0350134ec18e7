// SPDX-License-Identifier: MIT
/*
 * mmr bench ring: records stream from a producer to a consumer through
 *   mmr     - mmr_ring through its inline fast path (struct
 *             mmr_ring_fast): the producer reserves each record's bytes
 *             (mmr_ring_fast_reserve) and copies the record in place, the
 *             consumer peeks at it (mmr_ring_fast_peek) and parses it in
 *             place;
 *   cow     - the copy-on-wrap ring of bench/ring_copy.c, same atomics:
 *             records that straddle the end are split by the producer and
 *             copied to a scratch buffer by the consumer before parsing;
 *   handoff - the limit for two threads: the same copies and parses over
 *             the same buffer, handed over a quarter of it at a time with
 *             one flag per quarter (no per-record protocol at all);
 *   memcpy  - the limit for one thread: the copies and the parses, one
 *             thread, no ring;
 *   gnuradio - GNU Radio's double-mapped gr::buffer, from a separate C++
 *             program (make bench-peers), when it is built;
 *   ck_ring, rte_ring - Concurrency Kit's ck_ring (records copied in and
 *             out of its slots) and DPDK's rte_ring zero-copy API, from
 *             separate programs too (bench/peers/, make bench-peers).
 * Two threads on two CPUs, and one thread that fills the ring and then
 * parses it (a receive buffer). Every method but GNU Radio runs on the same
 * physical pages (the mmr ring's): on a VM whose memory is not uniform, a
 * fresh buffer per method would compare pages, not rings. Rounds
 * interleave the methods; each figure is the median of its rounds.
 * Creation + destruction of a 1 MiB ring is timed the same way.
 */
#include "ring_bench.h"

/*
 * What the consumer reads of a record: every word (a parser, a checksum),
 * or two fields, one in its first and one in its last cache line (a
 * FlatBuffers or Cap'n Proto reader, a router looking at a header): a
 * consumer that needs the record contiguous but not all of it.
 */
static inline uint64_t consume_record(const struct job *j, const unsigned char *p)
{
	if (j->fields && j->rec >= 128)
		return bench_parse(p, 64) + bench_parse(p + j->rec - 64, 64);
	return bench_parse(p, j->rec);
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Back to every CPU: the GNU Radio program inherits our affinity. */
static void unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN) && c < CPU_SETSIZE; c++)
		CPU_SET(c, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* ---- the two-thread methods ---- */

/*
 * Run @body with R the record size, a constant for 8 and 64 bytes: the
 * copies of small records are then inline moves, as in ck_ring's typed
 * ring and in a program that knows its record type. Every method's
 * producer goes through it (cow's put is inline too).
 */
#define WITH_REC_SIZE(rec, body) do {					\
	switch (rec) {							\
	case 8: { const size_t R = 8; body; break; }			\
	case 64: { const size_t R = 64; body; break; }			\
	default: { const size_t R = (rec); body; break; }		\
	}								\
} while (0)

static void produce_mmr(struct job *j)
{
	WITH_REC_SIZE(j->rec, {
		for (unsigned long i = 0; i < j->n; i++) {
			void *p;

			while (!(p = mmr_ring_fast_reserve(&j->fp, R)))
				cpu_relax();
			memcpy(p, j->src, R);
			mmr_ring_fast_produce(&j->fp, R);
		}
	});
}

static void produce_cow(struct job *j)
{
	WITH_REC_SIZE(j->rec, {
		for (unsigned long i = 0; i < j->n; i++)
			while (cow_ring_put(j->cow, j->src, R))
				cpu_relax();
	});
}

/* Handoff blocks: up to four, each as many whole records as fit. */
static int handoff_blocks(const struct job *j, size_t *per)
{
	size_t nb = j->cap / j->rec;

	nb = nb > HANDOFF_BLOCKS ? HANDOFF_BLOCKS : nb ? nb : 1;
	*per = j->cap / nb / j->rec ? j->cap / nb / j->rec : 1;
	return (int)nb;
}

static void produce_handoff(struct job *j)
{
	size_t per;
	int nb = handoff_blocks(j, &per);
	unsigned long i = 0;

	for (int b = 0; i < j->n; b = (b + 1) % nb) {
		unsigned char *p = j->data + per * j->rec * (size_t)b;
		_Atomic uint32_t *f = &j->full[32 * b];

		while (atomic_load_explicit(f, memory_order_acquire))
			cpu_relax();
		WITH_REC_SIZE(j->rec, {
			for (size_t k = 0; k < per && i < j->n; k++, i++)
				memcpy(p + k * R, j->src, R);
		});
		atomic_store_explicit(f, 1, memory_order_release);
	}
}

static void *producer(void *arg)
{
	struct job *j = arg;

	pin(0);
	while (!atomic_load(&j->go))
		cpu_relax();
	if (j->impl == I_MMR)
		produce_mmr(j);
	else if (j->impl == I_COW)
		produce_cow(j);
	else
		produce_handoff(j);
	return NULL;
}

static void consume_mmr(struct job *j)
{
	uint64_t sum = 0;

	for (unsigned long i = 0; i < j->n; i++) {
		const unsigned char *p;

		while (!(p = mmr_ring_fast_peek(&j->fc, j->rec)))
			cpu_relax();
		sum += consume_record(j, p);
		mmr_ring_fast_consume(&j->fc, j->rec);
	}
	j->sum = sum;
}

static void consume_cow(struct job *j)
{
	unsigned long straddled = 0;
	uint64_t sum = 0;

	for (unsigned long i = 0; i < j->n; i++) {
		const unsigned char *p;

		while (!(p = cow_ring_peek(j->cow, j->rec, j->scratch)))
			cpu_relax();
		straddled += p == j->scratch;
		sum += consume_record(j, p);
		cow_ring_consume(j->cow, j->rec);
	}
	j->sum = sum;
	j->straddled = straddled;
}

static void consume_handoff(struct job *j)
{
	size_t per;
	int nb = handoff_blocks(j, &per);
	unsigned long i = 0;
	uint64_t sum = 0;

	for (int b = 0; i < j->n; b = (b + 1) % nb) {
		const unsigned char *p = j->data + per * j->rec * (size_t)b;
		_Atomic uint32_t *f = &j->full[32 * b];

		while (!atomic_load_explicit(f, memory_order_acquire))
			cpu_relax();
		for (size_t k = 0; k < per && i < j->n; k++, i++)
			sum += consume_record(j, p + k * j->rec);
		atomic_store_explicit(f, 0, memory_order_release);
	}
	j->sum = sum;
}

/* ---- the one-thread methods: fill the ring, then parse all of it ---- */

static void solo_mmr(struct job *j)
{
	uint64_t sum = 0;

	for (unsigned long i = 0; i < j->n;) {
		unsigned long k = 0;
		void *p;

		for (; i + k < j->n && (p = mmr_ring_fast_reserve(&j->fp, j->rec)); k++) {
			memcpy(p, j->src, j->rec);
			mmr_ring_fast_produce(&j->fp, j->rec);
		}
		for (; k; k--, i++) {
			const unsigned char *q = mmr_ring_fast_peek(&j->fc, j->rec);

			sum += consume_record(j, q);
			mmr_ring_fast_consume(&j->fc, j->rec);
		}
	}
	j->sum = sum;
}

static void solo_cow(struct job *j)
{
	unsigned long straddled = 0;
	uint64_t sum = 0;

	for (unsigned long i = 0; i < j->n;) {
		unsigned long k = 0;

		while (i + k < j->n && !cow_ring_put(j->cow, j->src, j->rec))
			k++;
		for (; k; k--, i++) {
			const unsigned char *q = cow_ring_peek(j->cow, j->rec, j->scratch);

			straddled += q == j->scratch;
			sum += consume_record(j, q);
			cow_ring_consume(j->cow, j->rec);
		}
	}
	j->sum = sum;
	j->straddled = straddled;
}

/* The limit: the same copies, then the same parses, in a plain buffer. */
static void solo_memcpy(struct job *j)
{
	size_t per = j->cap / j->rec ? j->cap / j->rec : 1;
	uint64_t sum = 0;

	for (unsigned long i = 0; i < j->n;) {
		unsigned long k = 0;

		for (; k < per && i + k < j->n; k++)
			memcpy(j->data + k * j->rec, j->src, j->rec);
		for (size_t m = 0; m < k; m++, i++)
			sum += consume_record(j, j->data + m * j->rec);
	}
	j->sum = sum;
}

/* Nanoseconds to move j->n records, or 0 on failure. */
static uint64_t run_job(struct job *j)
{
	pthread_t tp;
	uint64_t t0, t1;

	atomic_store(&j->go, 0);
	if (j->solo) {
		pin(0);
		t0 = bench_now_ns();
		if (j->impl == I_MMR)
			solo_mmr(j);
		else if (j->impl == I_COW)
			solo_cow(j);
		else
			solo_memcpy(j);
		return bench_now_ns() - t0;
	}
	for (int b = 0; b < HANDOFF_BLOCKS; b++)
		atomic_store(&j->full[32 * b], 0);
	if (pthread_create(&tp, NULL, producer, j))
		return 0;
	pin(1);
	t0 = bench_now_ns();
	atomic_store(&j->go, 1);
	if (j->impl == I_MMR)
		consume_mmr(j);
	else if (j->impl == I_COW)
		consume_cow(j);
	else
		consume_handoff(j);
	t1 = bench_now_ns();
	pthread_join(tp, NULL);
	return t1 - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t ring_median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* ---- the peers: programs built by make bench-peers ---- */

/*
 * Each peer is a program of its own (bench/peers/), linked to its library,
 * so that mmr itself depends on none. It runs once per round and record
 * size, between our methods, so that all of them see the same moments of
 * this shared machine.
 */
enum peer_id { P_GNURADIO, P_CK, P_DPDK, P_COUNT };
static const char *const peer_prog[P_COUNT] = { "bench-gnuradio", "bench-ck", "bench-dpdk" };
static const char *const peer_label[P_COUNT] = { "gnuradio", "ck_ring", "rte_ring" };

struct peer {
	int present;
	char path[PATH_MAX];
	uint64_t create[MAX_ROUNDS * 8], first[MAX_ROUNDS * 8];	/* GNU Radio's */
	int ncreate;
};

/* @prog beside this mmr, in @path; whether it is there. */
int ring_peer_find(const char *prog, char *path, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", path, size - 32);
	char *slash;

	path[n > 0 ? n : 0] = 0;
	slash = strrchr(path, '/');
	if (slash)
		slash[1] = 0;
	else
		path[0] = 0;
	strcat(path, prog);
	return !access(path, X_OK);
}

static void peer_init(struct peer *pr, enum peer_id id)
{
	pr->present = ring_peer_find(peer_prog[id], pr->path, sizeof(pr->path));
}

/*
 * One round of @n records of @rec bytes: GB/s, or 0 if it did not run;
 * *sum: the consumer's checksum where the peer reports one (not GNU
 * Radio's, which XORs), else left alone.
 */
static double peer_once(struct peer *pr, size_t cap, size_t rec, unsigned long n,
			uint64_t *sum)
{
	char cmd[PATH_MAX + 128], line[256];
	double gbps = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "'%s' %zu 1 %zu:%lu", pr->path, cap, rec, n);
	unpin();	/* the program pins its own threads */
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s;
		size_t got;
		double v, w;

		if (sscanf(line, " {\"create_ns\": %lf, \"first_create_ns\": %lf}", &v, &w) == 2) {
			if (pr->ncreate < MAX_ROUNDS * 8) {
				pr->create[pr->ncreate] = (uint64_t)v;
				pr->first[pr->ncreate++] = (uint64_t)w;
			}
		} else if (sscanf(line, " {\"rec\": %zu, \"gbps\": %lf, \"sum\": %llu}", &got,
				  &v, &s) == 3 && got == rec) {
			gbps = v;
			*sum = s;
		} else if (sscanf(line, " {\"rec\": %zu, \"gbps\": %lf", &got, &v) == 2 &&
			   got == rec) {
			gbps = v;
		}
	}
	pclose(f);
	return gbps;
}

/* Median over rounds of a[r] / b[r] (times: b's speed over a's). */
double ring_median_ratio(const uint64_t *a, const uint64_t *b, int n)
{
	uint64_t q[MAX_ROUNDS];

	for (int r = 0; r < n; r++)
		q[r] = b[r] ? (uint64_t)(1e6 * (double)a[r] / (double)b[r]) : 0;
	return (double)ring_median(q, n) / 1e6;
}

struct row {
	size_t rec, cap;
	double gbps[I_COUNT];
	double peer[P_COUNT];	/* the peers' GB/s, 0 if not run */
	/* mmr's speed over cow's, the limit's and the peers': medians of the
	 * per-round ratios, which a machine changing pace between rounds
	 * does not skew the way a ratio of two medians can. */
	double vs_cow, vs_limit, vs_peer[P_COUNT];
	double straddle;	/* share of records that straddle the end */
	int sums_ok;		/* every method parsed the same bytes (the
				 * peers that report a checksum too) */
};

/* Enough records for ~64 MiB (fewer for tiny records, at least 2000). */
static unsigned long records_for(size_t rec, int quick)
{
	unsigned long n = (quick ? 16ul << 20 : 64ul << 20) / rec;

	if (n > (quick ? 1000000ul : 4000000ul))
		n = quick ? 1000000ul : 4000000ul;
	return n < 2000 ? 2000 : n;
}

/*
 * The cow ring and the limits borrow the mmr ring's pages: its first data
 * copy, and the unused second half of its header page for their indices
 * and flags (the ring's own header takes a few hundred bytes).
 */
static int borrow_pages(struct job *j)
{
	size_t avail, page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *hdr;

	j->data = mmr_ring_write_ptr(j->ring, &avail);	/* empty: offset 0 */
	hdr = j->data - page;
	j->full = (_Atomic uint32_t *)(hdr + page / 2);
	j->cow = cow_ring_create(j->cap, j->data, hdr + page / 2 + 1024);
	return j->cow && cow_ring_shared_size() <= page / 2 - 1024 ? 0 : -1;
}

static int measure(struct row *row, size_t rec, size_t cap, int rounds, int quick,
		   int solo, int fields, struct peer *pr)
{
	uint64_t ns[I_COUNT][MAX_ROUNDS], sums[I_COUNT], peer[P_COUNT][MAX_ROUNDS];
	uint64_t peer_sum[P_COUNT];
	struct job j = { 0 };
	int ret = -1;

	j.rec = rec;
	j.solo = solo;
	j.fields = fields;
	j.n = records_for(rec, quick);
	j.src = malloc(rec);
	j.scratch = malloc(rec);
	if (!j.src || !j.scratch)
		goto out;
	for (size_t i = 0; i < rec; i++)
		j.src[i] = (unsigned char)(i * 7 + 3);
	if (mmr_ring_create(&j.ring, cap, MMR_POPULATE)) {
		fprintf(stderr, "mmr bench ring: %s\n", mmr_last_error());
		goto out;
	}
	j.cap = mmr_ring_capacity(j.ring);
	if (mmr_ring_fast_init(j.ring, MMR_RING_PRODUCER, &j.fp) ||
	    mmr_ring_fast_init(j.ring, MMR_RING_CONSUMER, &j.fc)) {
		fprintf(stderr, "mmr bench ring: %s\n", mmr_last_error());
		goto out;
	}
	if (borrow_pages(&j))
		goto out;
	row->rec = rec;
	row->cap = j.cap;
	row->sums_ok = 0;
	for (int r = 0; r < rounds; r++) {
		/* Each round starts with another method: none is always the
		 * first after the peers' programs ran. */
		for (int k = 0; k < I_COUNT; k++) {
			int i = (k + r) % I_COUNT;

			j.impl = (enum impl)i;
			ns[i][r] = run_job(&j);
			sums[i] = j.sum;
			if (i == I_COW)
				row->straddle = (double)j.straddled / (double)j.n;
		}
		for (int p = 0; pr && p < P_COUNT; p++) {
			peer_sum[p] = sums[I_MMR];	/* unless the peer reports one */
			peer[p][r] = pr[p].present ? (uint64_t)(1000 * peer_once(&pr[p], cap,
						rec, j.n, &peer_sum[p])) : 0;
			if (peer[p][r] && peer_sum[p] != sums[I_MMR])
				row->sums_ok = -1;
		}
	}
	row->vs_cow = ring_median_ratio(ns[I_COW], ns[I_MMR], rounds);
	row->vs_limit = ring_median_ratio(ns[I_LIMIT], ns[I_MMR], rounds);
	for (int p = 0; p < P_COUNT; p++) {
		uint64_t peer_ns[MAX_ROUNDS];

		row->vs_peer[p] = row->peer[p] = 0;
		if (!pr || !pr[p].present)
			continue;
		for (int r = 0; r < rounds; r++)	/* the same work at the peer's speed */
			peer_ns[r] = peer[p][r] ? (uint64_t)(1e3 * (double)rec * (double)j.n /
							     (double)peer[p][r]) : 0;
		row->vs_peer[p] = ring_median_ratio(peer_ns, ns[I_MMR], rounds);
		row->peer[p] = (double)ring_median(peer[p], rounds) / 1000;
	}
	row->sums_ok = row->sums_ok != -1 && sums[I_MMR] == sums[I_COW] &&
		       sums[I_COW] == sums[I_LIMIT];
	for (int i = 0; i < I_COUNT; i++) {
		uint64_t m = ring_median(ns[i], rounds);

		row->gbps[i] = m ? (double)rec * (double)j.n / (double)m : 0;
	}
	ret = 0;
out:
	cow_ring_destroy(j.cow);
	mmr_ring_destroy(j.ring);
	free(j.src);
	free(j.scratch);
	return ret;
}

/* ---- creation ---- */

static uint64_t create_destroy_ns(int rounds, int iters)
{
	uint64_t ns[MAX_ROUNDS];

	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = bench_now_ns();

		for (int i = 0; i < iters; i++) {
			mmr_ring *ring;

			if (mmr_ring_create(&ring, CREATE_SIZE, 0))
				return 0;
			mmr_ring_destroy(ring);
		}
		ns[r] = (bench_now_ns() - t0) / (uint64_t)iters;
	}
	return ring_median(ns, rounds);
}

/* ---- output ---- */

/* Two threads: mmr, cow, handoff (+ the peers when @pr). */
static void print_duo(const char *title, const struct row *rows, int n,
		      const struct peer *pr)
{
	printf("\n%s\n", title);
	printf("%7s %6s %8s | %7s %7s %7s", "record", "ring", "straddle", "mmr", "cow",
	       "handoff");
	for (int p = 0; pr && p < P_COUNT; p++)
		printf(" %8s", peer_label[p]);
	printf(" | %7s %9s", "mmr/cow", "mmr/hoff");
	for (int p = 0; pr && p < P_COUNT; p++)
		printf(" %9.9s", p == P_GNURADIO ? "mmr/gnur" : p == P_CK ? "mmr/ck" :
		       "mmr/rte");
	printf("\n");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		printf("%7zu %5zuK %7.0f%% | %7.2f %7.2f %7.2f", r->rec, r->cap >> 10,
		       100 * r->straddle, r->gbps[I_MMR], r->gbps[I_COW], r->gbps[I_LIMIT]);
		for (int p = 0; pr && p < P_COUNT; p++) {
			if (r->peer[p] > 0)
				printf(" %8.2f", r->peer[p]);
			else
				printf(" %8s", "-");
		}
		printf(" | %6.2fx %8.0f%%", r->vs_cow, 100 * r->vs_limit);
		for (int p = 0; pr && p < P_COUNT; p++) {
			if (r->peer[p] > 0)
				printf(" %8.2fx", r->vs_peer[p]);
			else
				printf(" %9s", "-");
		}
		printf("%s\n", r->sums_ok ? "" : "  (checksums differ!)");
	}
}

/* One thread: mmr, cow, memcpy. */
static void print_solo(const char *title, const struct row *rows, int n)
{
	printf("\n%s\n", title);
	printf("%7s %6s %8s | %7s %7s %7s | %7s %9s\n", "record", "ring", "straddle",
	       "mmr", "cow", "memcpy", "mmr/cow", "mmr/cpy");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		printf("%7zu %5zuK %7.0f%% | %7.2f %7.2f %7.2f | %6.2fx %8.0f%%%s\n", r->rec,
		       r->cap >> 10, 100 * r->straddle, r->gbps[I_MMR], r->gbps[I_COW],
		       r->gbps[I_LIMIT], r->vs_cow, 100 * r->vs_limit,
		       r->sums_ok ? "" : "  (checksums differ!)");
	}
}

/* Straddling records: a full parse and a two-field read side by side. */
static void print_straddle(const char *title, const struct row *full,
			   const struct row *fields, int n)
{
	printf("\n%s\n", title);
	printf("%7s %6s %8s | %7s %7s %7s | %7s %7s %7s\n", "", "", "",
	       "every", "word", "", "two", "fields", "");
	printf("%7s %6s %8s | %7s %7s %7s | %7s %7s %7s\n", "record", "ring", "straddle",
	       "mmr", "cow", "mmr/cow", "mmr", "cow", "mmr/cow");
	for (int i = 0; i < n; i++)
		printf("%7zu %5zuK %7.0f%% | %7.2f %7.2f %6.2fx | %7.2f %7.2f %6.2fx%s\n",
		       full[i].rec, full[i].cap >> 10, 100 * full[i].straddle,
		       full[i].gbps[I_MMR], full[i].gbps[I_COW], full[i].vs_cow,
		       fields[i].gbps[I_MMR], fields[i].gbps[I_COW], fields[i].vs_cow,
		       full[i].sums_ok && fields[i].sums_ok ? "" : "  (checksums differ!)");
}

static void print_json_rows(struct json *j, const char *name, const struct row *rows,
			    int n, int solo)
{
	char key[64];

	json_array_begin(j, name);
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		json_object_begin(j, NULL);
		json_uint(j, "record", r->rec);
		json_uint(j, "capacity", r->cap);
		json_double(j, "straddle", r->straddle, 4, 0);
		for (int k = 0; k < I_COUNT; k++) {
			snprintf(key, sizeof(key), "%s_gbps", impl_name[solo][k]);
			json_double(j, key, r->gbps[k], 3, 1);
		}
		json_double(j, "mmr_vs_cow", r->vs_cow, 3, 1);
		snprintf(key, sizeof(key), "mmr_vs_%s", impl_name[solo][I_LIMIT]);
		json_double(j, key, r->vs_limit, 3, 1);
		for (int p = 0; p < P_COUNT; p++) {
			snprintf(key, sizeof(key), "%s_gbps", peer_label[p]);
			if (r->peer[p] > 0)
				json_double(j, key, r->peer[p], 3, 1);
			else
				json_null(j, key);
			snprintf(key, sizeof(key), "mmr_vs_%s", peer_label[p]);
			if (r->peer[p] > 0)
				json_double(j, key, r->vs_peer[p], 3, 1);
			else
				json_null(j, key);
		}
		json_bool(j, "checksums_ok", r->sums_ok);
		json_object_end(j);
	}
	json_array_end(j);
}

static const char usage[] =
	"usage: mmr bench ring [--json] [--quick] [--rounds=N] [--waits | --batch | --procs]\n\n"
	"Stream records through mmr_ring and through a copy-on-wrap ring on the same\n"
	"pages, against the limits and (if built) GNU Radio's double-mapped buffers.\n\n"
	"  --waits      two processes sleeping in mmr_ring_wait_*: spin settings vs a pipe\n"
	"  --batch      small records one per call vs reserve/peek_records batches\n"
	"  --procs      two processes against pipe, vmsplice, socketpair, copy-on-wrap\n"
	"  --quick      3 short rounds\n"
	"  --rounds=N   rounds per measurement, 1 to 15 (default 7)\n"
	"  --json       one JSON object (schema " MMR_JSON_SCHEMA ", see mmr(1))\n"
	"  --help       this text\n";

int mmr_bench_ring(int argc, char **argv)
{
	static const size_t stream_recs[] = { 8, 64, 512, 4096, 16384, 65536 };
	/* Records just over a third or a half of the ring: most straddle. */
	static const struct { size_t rec, cap; } straddle[] = {
		{ 1400, 4096 }, { 5000, 12288 }, { 20000, 49152 }, { 70000, 163840 },
	};
	enum { NS = sizeof(stream_recs) / sizeof(stream_recs[0]),
	       NX = sizeof(straddle) / sizeof(straddle[0]) };
	struct row srows[2][NS], xrows[2][2][NX];	/* [solo][fields] */
	static struct peer pr[P_COUNT];
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "waits", no_argument, NULL, 'w' },
		{ "batch", no_argument, NULL, 'b' },
		{ "procs", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int json = 0, quick = 0, rounds = 7, have_rounds = 0, c;
	int waits = 0, batch = 0, procs = 0;
	uint64_t create_ns;
	struct json j;

	cli_begin("bench ring", argc, argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'q':
			quick = 1;
			break;
		case 'r':
			if (cli_int("bench ring", "--rounds", optarg, 1, MAX_ROUNDS, &rounds))
				return CLI_EXIT_USAGE;
			have_rounds = 1;
			break;
		case 'w':
			waits = 1;
			break;
		case 'b':
			batch = 1;
			break;
		case 'p':
			procs = 1;
			break;
		case 'h':
			return cli_help(usage);
		default:
			return cli_bad_option("bench ring");
		}
	}
	if (cli_no_operands("bench ring", argc, argv))
		return CLI_EXIT_USAGE;
	if (quick && !have_rounds)
		rounds = 3;
	if (waits + batch + procs > 1) {
		fprintf(stderr, "mmr bench ring: --waits, --batch and --procs are "
			"separate benchmarks: give one\n");
		return CLI_EXIT_USAGE;
	}
	if (waits)
		return ring_bench_waits(rounds, quick, json);
	if (batch)
		return ring_bench_batch(rounds, quick, json);
	if (procs)
		return ring_bench_procs(rounds, quick, json);
	for (int p = 0; p < P_COUNT; p++)
		peer_init(&pr[p], (enum peer_id)p);
	create_ns = create_destroy_ns(rounds, quick ? 50 : 300);
	if (!create_ns) {
		fprintf(stderr, "mmr bench ring: %s\n", mmr_last_error());
		return 1;
	}
	for (int solo = 0; solo < 2; solo++) {
		for (int i = 0; i < NS; i++)
			if (measure(&srows[solo][i], stream_recs[i], STREAM_CAP, rounds, quick,
				    solo, 0, solo ? NULL : pr))
				return 1;
		for (int f = 0; f < 2; f++)
			for (int i = 0; i < NX; i++)
				if (measure(&xrows[solo][f][i], straddle[i].rec, straddle[i].cap,
					    rounds, quick, solo, f, NULL))
					return 1;
	}
	if (json) {
		json_doc_begin(&j, stdout, "bench ring");
		json_int(&j, "rounds", rounds);
		json_object_begin(&j, "create_destroy_1mib_ns");
		json_uint(&j, "mmr", create_ns);
		if (pr[P_GNURADIO].ncreate) {
			json_uint(&j, "gnuradio", ring_median(pr[P_GNURADIO].create, pr[P_GNURADIO].ncreate));
			json_uint(&j, "gnuradio_first", ring_median(pr[P_GNURADIO].first, pr[P_GNURADIO].ncreate));
		} else {
			json_null(&j, "gnuradio");
			json_null(&j, "gnuradio_first");
		}
		json_object_end(&j);
		print_json_rows(&j, "stream", srows[0], NS, 0);
		print_json_rows(&j, "straddle", xrows[0][0], NX, 0);
		print_json_rows(&j, "straddle_two_fields", xrows[0][1], NX, 0);
		print_json_rows(&j, "one_thread_stream", srows[1], NS, 1);
		print_json_rows(&j, "one_thread_straddle", xrows[1][0], NX, 1);
		print_json_rows(&j, "one_thread_straddle_two_fields", xrows[1][1], NX, 1);
		json_doc_end(&j);
		return 0;
	}
	printf("Ring create + destroy, 1 MiB: mmr_ring %.1f us", create_ns / 1000.0);
	if (pr[P_GNURADIO].ncreate)
		printf(", GNU Radio gr::make_buffer %.1f us (first in the process %.1f us)",
		       ring_median(pr[P_GNURADIO].create, pr[P_GNURADIO].ncreate) / 1000.0,
		       ring_median(pr[P_GNURADIO].first, pr[P_GNURADIO].ncreate) / 1000.0);
	printf("\n");
	print_duo("Two threads, streaming (GB/s; the producer copies each record in, "
		  "the consumer parses it in place):", srows[0], NS, pr);
	print_straddle("Two threads, records straddling the end (ring of ~2.5 records); "
		       "the consumer reads every word, or two fields:", xrows[0][0], xrows[0][1],
		       NX);
	print_solo("One thread fills the ring, then parses it, streaming:", srows[1], NS);
	print_straddle("One thread, records straddling the end:", xrows[1][0], xrows[1][1], NX);
	for (int p = 0; p < P_COUNT; p++)
		if (!pr[p].present)
			printf("\n%s: skipped: %s not built, run make bench-peers\n",
			       peer_label[p], peer_prog[p]);
	printf("\nRatios are medians of per-round ratios.\nhandoff: the same copies and parses handed over a quarter ring at a time "
	       "(the two-thread limit);\nmemcpy: the same copies, then parses, in one thread "
	       "(the one-thread limit).\nmedian of %d interleaved rounds; GB/s = 10^9 bytes "
	       "per second\n", rounds);
	return 0;
}
