// SPDX-License-Identifier: MIT
/*
 * mmr bench ring: one producer thread and one consumer thread stream
 * records through
 *   mmr    - mmr_ring: the producer copies each record in place, the
 *            consumer parses it in place (an xor over its words);
 *   cow    - the copy-on-wrap ring of bench/ring_copy.c, same atomics:
 *            records that straddle the end are split by the producer and
 *            copied to a scratch buffer by the consumer before parsing;
 *   memcpy - one thread copying the same records into a buffer of the
 *            ring's size: the limit for the producer's work;
 *   gnuradio - GNU Radio's double-mapped gr::buffer, from a separate C++
 *            program (make bench-peers), when it is built.
 * Rounds interleave the methods; each figure is the median of its rounds.
 * Creation + destruction of a 1 MiB ring is timed the same way.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmirror.h"
#include "bench.h"
#include "ring_copy.h"

#define MAX_ROUNDS 15
#define STREAM_CAP (256u << 10)
#define CREATE_SIZE (1u << 20)

enum impl { I_MMR, I_COW, I_MEMCPY, I_COUNT };
static const char *const impl_name[I_COUNT] = { "mmr", "cow", "memcpy" };

struct job {
	enum impl impl;
	size_t rec, cap;
	unsigned long n;
	mmr_ring *ring;
	struct cow_ring *cow;
	unsigned char *src, *scratch;
	atomic_int go;
	uint64_t sum;
	unsigned long straddled;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	sched_yield();
#endif
}

/* The consumer's parsing: read every word of the record. */
static inline uint64_t parse(const unsigned char *p, size_t n)
{
	uint64_t x = 0, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		x ^= w;
	}
	for (; i < n; i++)
		x ^= p[i];
	return x;
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

static void produce_mmr(struct job *j)
{
	for (unsigned long i = 0; i < j->n; i++) {
		size_t avail;
		void *p = mmr_ring_write_ptr(j->ring, &avail);

		while (avail < j->rec) {
			cpu_relax();
			p = mmr_ring_write_ptr(j->ring, &avail);
		}
		memcpy(p, j->src, j->rec);
		mmr_ring_produce(j->ring, j->rec);
	}
}

static void produce_cow(struct job *j)
{
	for (unsigned long i = 0; i < j->n; i++)
		while (cow_ring_put(j->cow, j->src, j->rec))
			cpu_relax();
}

static void *producer(void *arg)
{
	struct job *j = arg;

	pin(0);
	while (!atomic_load(&j->go))
		cpu_relax();
	if (j->impl == I_MMR)
		produce_mmr(j);
	else
		produce_cow(j);
	return NULL;
}

static void consume_mmr(struct job *j)
{
	uint64_t sum = 0;

	for (unsigned long i = 0; i < j->n; i++) {
		size_t avail;
		const unsigned char *p = mmr_ring_read_ptr(j->ring, &avail);

		while (avail < j->rec) {
			cpu_relax();
			p = mmr_ring_read_ptr(j->ring, &avail);
		}
		sum ^= parse(p, j->rec);
		mmr_ring_consume(j->ring, j->rec);
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
		sum ^= parse(p, j->rec);
		cow_ring_consume(j->cow, j->rec);
	}
	j->sum = sum;
	j->straddled = straddled;
}

/* The limit: the producer's copies alone, over a buffer of the same size. */
static void run_memcpy(struct job *j)
{
	size_t off = 0;

	for (unsigned long i = 0; i < j->n; i++) {
		if (off + j->rec > j->cap)
			off = 0;
		memcpy(j->scratch + off, j->src, j->rec);
		__asm__ __volatile__("" ::: "memory");	/* keep every copy */
		off += j->rec;
	}
}

/* Nanoseconds to move j->n records, or 0 on failure. */
static uint64_t run_job(struct job *j)
{
	pthread_t tp;
	uint64_t t0, t1;

	atomic_store(&j->go, 0);
	if (j->impl == I_MEMCPY) {
		pin(0);
		t0 = bench_now_ns();
		run_memcpy(j);
		return bench_now_ns() - t0;
	}
	if (pthread_create(&tp, NULL, producer, j))
		return 0;
	pin(1);
	t0 = bench_now_ns();
	atomic_store(&j->go, 1);
	if (j->impl == I_MMR)
		consume_mmr(j);
	else
		consume_cow(j);
	t1 = bench_now_ns();
	pthread_join(tp, NULL);
	return t1 - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

struct row {
	size_t rec, cap;
	double gbps[I_COUNT];
	double straddle;	/* share of records that straddle the end */
};

/* Enough records for ~64 MiB (fewer for tiny records, at least 2000). */
static unsigned long records_for(size_t rec, int quick)
{
	unsigned long n = (quick ? 16ul << 20 : 64ul << 20) / rec;

	if (n > (quick ? 1000000ul : 4000000ul))
		n = quick ? 1000000ul : 4000000ul;
	return n < 2000 ? 2000 : n;
}

static int measure(struct row *row, size_t rec, size_t cap, int rounds, int quick,
		   int with_memcpy)
{
	uint64_t ns[I_COUNT][MAX_ROUNDS];
	struct job j = { 0 };
	int ret = -1;

	j.rec = rec;
	j.n = records_for(rec, quick);
	j.src = malloc(rec);
	j.scratch = malloc(cap > rec ? cap : rec);
	if (!j.src || !j.scratch)
		goto out;
	for (size_t i = 0; i < rec; i++)
		j.src[i] = (unsigned char)(i * 7 + 3);
	memset(j.scratch, 0, cap > rec ? cap : rec);
	if (mmr_ring_create(&j.ring, cap, MMR_POPULATE)) {
		fprintf(stderr, "mmr bench ring: %s\n", mmr_last_error());
		goto out;
	}
	j.cap = mmr_ring_capacity(j.ring);
	j.cow = cow_ring_create(j.cap);
	if (!j.cow)
		goto out;
	row->rec = rec;
	row->cap = j.cap;
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < I_COUNT; i++) {
			if (i == I_MEMCPY && !with_memcpy) {
				ns[i][r] = 0;
				continue;
			}
			j.impl = (enum impl)i;
			ns[i][r] = run_job(&j);
			if (i == I_COW)
				row->straddle = (double)j.straddled / (double)j.n;
		}
	}
	for (int i = 0; i < I_COUNT; i++) {
		uint64_t m = median(ns[i], rounds);

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
	return median(ns, rounds);
}

/* ---- GNU Radio, through build/bench-gnuradio ---- */

struct peer {
	int present;
	double first_create_ns, create_ns;
	size_t rec[16];
	double gbps[16];
	int n;
};

static void peer_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 32);
	char *slash;

	buf[n > 0 ? n : 0] = 0;
	slash = strrchr(buf, '/');
	if (slash)
		slash[1] = 0;
	else
		buf[0] = 0;
	strcat(buf, "bench-gnuradio");
}

static void run_peer(struct peer *pr, const size_t *recs, int nrec, int rounds, int quick)
{
	char path[PATH_MAX], cmd[PATH_MAX + 512], line[256];
	size_t len;
	FILE *f;

	peer_path(path, sizeof(path));
	if (access(path, X_OK))
		return;
	len = (size_t)snprintf(cmd, sizeof(cmd), "'%s' %u %d", path, STREAM_CAP, rounds);
	for (int i = 0; i < nrec && len < sizeof(cmd) - 64; i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " %zu:%lu", recs[i],
					records_for(recs[i], quick));
	unpin();
	f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		size_t rec;
		double v, w;

		if (sscanf(line, " {\"create_ns\": %lf, \"first_create_ns\": %lf}", &v, &w) == 2) {
			pr->create_ns = v;
			pr->first_create_ns = w;
			pr->present = 1;
		} else if (sscanf(line, " {\"rec\": %zu, \"gbps\": %lf}", &rec, &v) == 2 &&
			   pr->n < 16) {
			pr->rec[pr->n] = rec;
			pr->gbps[pr->n++] = v;
		}
	}
	pclose(f);
}

static double peer_gbps(const struct peer *pr, size_t rec)
{
	for (int i = 0; i < pr->n; i++)
		if (pr->rec[i] == rec)
			return pr->gbps[i];
	return 0;
}

/* ---- output ---- */

static void print_table(const char *title, const struct row *rows, int n,
			const struct peer *pr, int stream)
{
	printf("\n%s\n", title);
	printf("%8s %8s %9s %9s %9s %9s %10s %9s %9s\n", "record", "ring", "mmr GB/s",
	       "cow GB/s", stream ? "memcpy" : "-", stream ? "gnuradio" : "-",
	       "straddle", "mmr/cow", stream ? "mmr/cpy" : "");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		double g = pr->present ? peer_gbps(pr, r->rec) : 0;

		printf("%8zu %7zuK %9.2f %9.2f ", r->rec, r->cap >> 10, r->gbps[I_MMR],
		       r->gbps[I_COW]);
		if (stream)
			printf("%9.2f ", r->gbps[I_MEMCPY]);
		else
			printf("%9s ", "-");
		if (stream && g > 0)
			printf("%9.2f ", g);
		else
			printf("%9s ", "-");
		printf("%9.1f%% %8.2fx", 100 * r->straddle, r->gbps[I_MMR] / r->gbps[I_COW]);
		if (stream)
			printf(" %8.0f%%", 100 * r->gbps[I_MMR] / r->gbps[I_MEMCPY]);
		printf("\n");
	}
}

static void print_json_rows(const char *name, const struct row *rows, int n,
			    const struct peer *pr)
{
	printf("  \"%s\": [\n", name);
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		printf("    {\"record\": %zu, \"capacity\": %zu, \"straddle\": %.4f",
		       r->rec, r->cap, r->straddle);
		for (int k = 0; k < I_COUNT; k++)
			if (r->gbps[k] > 0)
				printf(", \"%s_gbps\": %.3f", impl_name[k], r->gbps[k]);
		if (pr && peer_gbps(pr, r->rec) > 0)
			printf(", \"gnuradio_gbps\": %.3f", peer_gbps(pr, r->rec));
		printf("}%s\n", i + 1 < n ? "," : "");
	}
	printf("  ]");
}

int mmr_bench_ring(int argc, char **argv)
{
	static const size_t stream_recs[] = { 8, 64, 512, 4096, 16384, 65536 };
	/* Records just over a third or a half of the ring: most straddle. */
	static const struct { size_t rec, cap; } straddle[] = {
		{ 1400, 4096 }, { 5000, 12288 }, { 20000, 49152 }, { 70000, 163840 },
	};
	enum { NS = sizeof(stream_recs) / sizeof(stream_recs[0]),
	       NX = sizeof(straddle) / sizeof(straddle[0]) };
	struct row srows[NS], xrows[NX];
	struct peer pr = { 0 };
	int json = 0, quick = 0, rounds = 7;
	uint64_t create_ns;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strncmp(argv[i], "--rounds=", 9))
			rounds = atoi(argv[i] + 9);
		else {
			fprintf(stderr, "usage: mmr bench ring [--json] [--quick] [--rounds=N]\n");
			return 2;
		}
	}
	if (quick)
		rounds = 3;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 7;
	create_ns = create_destroy_ns(rounds, quick ? 50 : 300);
	if (!create_ns) {
		fprintf(stderr, "mmr bench ring: %s\n", mmr_last_error());
		return 1;
	}
	for (int i = 0; i < NS; i++)
		if (measure(&srows[i], stream_recs[i], STREAM_CAP, rounds, quick, 1))
			return 1;
	for (int i = 0; i < NX; i++)
		if (measure(&xrows[i], straddle[i].rec, straddle[i].cap, rounds, quick, 0))
			return 1;
	run_peer(&pr, stream_recs, NS, rounds, quick);
	if (json) {
		printf("{\n  \"cpus\": %ld,\n  \"rounds\": %d,\n", sysconf(_SC_NPROCESSORS_ONLN),
		       rounds);
		printf("  \"create_destroy_1mib_ns\": {\"mmr\": %llu", (unsigned long long)create_ns);
		if (pr.present)
			printf(", \"gnuradio\": %.0f, \"gnuradio_first\": %.0f", pr.create_ns,
			       pr.first_create_ns);
		printf("},\n");
		print_json_rows("stream", srows, NS, pr.present ? &pr : NULL);
		printf(",\n");
		print_json_rows("straddle", xrows, NX, NULL);
		printf("\n}\n");
		return 0;
	}
	printf("Ring create + destroy, 1 MiB: mmr_ring %.1f us", create_ns / 1000.0);
	if (pr.present)
		printf(", GNU Radio gr::make_buffer %.1f us (first in the process %.1f us)",
		       pr.create_ns / 1000.0, pr.first_create_ns / 1000.0);
	printf("\n");
	print_table("Streaming (producer copies in, consumer parses in place):", srows, NS,
		    &pr, 1);
	print_table("Records straddling the end (ring of ~2.5 records):", xrows, NX, &pr, 0);
	if (!pr.present)
		printf("\ngnuradio: skipped: gnuradio-dev not installed, run make bench-peers\n");
	printf("\nmedian of %d interleaved rounds; GB/s = 10^9 bytes per second\n", rounds);
	return 0;
}
