// SPDX-License-Identifier: MIT
/* mmr bench ring --batch: see bench/ring.c for the methods. */
#include "ring_bench.h"

/* ---- small records, one at a time or in batches (--batch) ---- */

/* How the batch section moves records. */
enum batch_way { BW_CALLS, BW_INLINE, BW_BATCH, BW_COUNT };

struct batch_job {
	mmr_ring *r;
	size_t rec;
	unsigned long n;
	enum batch_way way;	/* one record per call, per inline call, batches */
	uint64_t sum;
	_Alignas(128) struct mmr_ring_fast fp;	/* as in struct job */
	_Alignas(128) struct mmr_ring_fast fc;
	_Alignas(128) char end;
};

#define BATCH_MAX 64

static void *batch_producer(void *arg)
{
	struct batch_job *j = arg;
	unsigned char rec[64] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	for (unsigned long i = 0; i < j->n;) {
		size_t k = j->way == BW_BATCH ? BATCH_MAX : 1;
		unsigned char *w;

		if (k > j->n - i)
			k = j->n - i;
		w = j->way == BW_BATCH ? mmr_ring_reserve_records(j->r, j->rec, &k) :
			j->way == BW_INLINE ? mmr_ring_fast_reserve(&j->fp, j->rec) :
			mmr_ring_reserve(j->r, j->rec);
		if (!w) {
			cpu_relax();
			continue;
		}
		for (size_t q = 0; q < k; q++, i++) {
			rec[0] = (unsigned char)i;
			memcpy(w + q * j->rec, rec, j->rec);
		}
		if (j->way == BW_INLINE)
			mmr_ring_fast_produce(&j->fp, j->rec);
		else
			mmr_ring_produce(j->r, k * j->rec);
	}
	return NULL;
}

static uint64_t batch_run(size_t rec, unsigned long n, enum batch_way way)
{
	struct batch_job j = { .rec = rec, .n = n, .way = way };
	uint64_t t0, sum = 0;
	pthread_t t;

	if (mmr_ring_create(&j.r, STREAM_CAP, 0))
		return 0;
	if (mmr_ring_fast_init(j.r, MMR_RING_PRODUCER, &j.fp) ||
	    mmr_ring_fast_init(j.r, MMR_RING_CONSUMER, &j.fc)) {
		mmr_ring_destroy(j.r);
		return 0;
	}
	t0 = wait_now_ns();
	if (pthread_create(&t, NULL, batch_producer, &j)) {
		mmr_ring_destroy(j.r);
		return 0;
	}
	for (unsigned long i = 0; i < n;) {
		size_t k = way == BW_BATCH ? BATCH_MAX : 1;
		const unsigned char *p;

		if (k > n - i)
			k = n - i;
		p = way == BW_BATCH ? mmr_ring_peek_records(j.r, rec, &k) :
			way == BW_INLINE ? mmr_ring_fast_peek(&j.fc, rec) : mmr_ring_peek(j.r, rec);
		if (!p) {
			cpu_relax();
			continue;
		}
		for (size_t q = 0; q < k; q++, i++)
			sum = sum * 31 + p[q * rec] + p[q * rec + rec - 1];
		if (way == BW_INLINE)
			mmr_ring_fast_consume(&j.fc, rec);
		else
			mmr_ring_consume(j.r, k * rec);
	}
	pthread_join(t, NULL);
	t0 = wait_now_ns() - t0;
	mmr_ring_destroy(j.r);
	return sum ? t0 : 0;	/* the sum keeps the reads; 0 is (nearly) impossible */
}

int ring_bench_batch(int rounds, int quick, int json)
{
	static const size_t recs[] = { 8, 64 };
	enum { NR = sizeof(recs) / sizeof(recs[0]) };
	uint64_t ns[NR][BW_COUNT][MAX_ROUNDS];
	unsigned long n = quick ? 2000000 : 10000000;

	for (int k = 0; k < rounds; k++)
		for (int i = 0; i < NR; i++)
			for (int b = 0; b < BW_COUNT; b++)
				if (!(ns[i][b][k] = batch_run(recs[i], n, (enum batch_way)b))) {
					fprintf(stderr, "mmr bench ring --batch: %s\n",
						mmr_last_error());
					return 1;
				}
	struct json j;

	if (json) {
		json_doc_begin(&j, stdout, "bench ring");
		json_int(&j, "rounds", rounds);
		json_array_begin(&j, "batch");
	} else
		printf("Two threads, small records (%lu per run), 256 KiB ring, spinning:\n"
		       "one mmr_ring_reserve/peek call per record, one inline mmr_ring_fast_"
		       "reserve/peek per record,\nand mmr_ring_reserve_records/peek_records "
		       "of up to %d (Mrec/s; ratios to the calls)\n\n%-8s %8s %8s %8s %9s "
		       "%9s\n", n, BATCH_MAX, "record", "calls", "inline", "batch",
		       "inline/c", "batch/c");
	for (int i = 0; i < NR; i++) {
		double one = n / ((double)ring_median(ns[i][BW_CALLS], rounds) / 1e9) / 1e6;
		double inl = n / ((double)ring_median(ns[i][BW_INLINE], rounds) / 1e9) / 1e6;
		double bat = n / ((double)ring_median(ns[i][BW_BATCH], rounds) / 1e9) / 1e6;
		double r_inl = ring_median_ratio(ns[i][BW_CALLS], ns[i][BW_INLINE], rounds);
		double ratio = ring_median_ratio(ns[i][BW_CALLS], ns[i][BW_BATCH], rounds);

		if (json) {
			json_object_begin(&j, NULL);
			json_uint(&j, "record", recs[i]);
			json_double(&j, "one_mrec_s", one, 1, 1);
			json_double(&j, "inline_mrec_s", inl, 1, 1);
			json_double(&j, "batch_mrec_s", bat, 1, 1);
			json_double(&j, "inline_vs_one", r_inl, 2, 1);
			json_double(&j, "batch_vs_one", ratio, 2, 1);
			json_object_end(&j);
		} else
			printf("%-8zu %8.1f %8.1f %8.1f %8.2fx %8.2fx\n", recs[i], one, inl, bat,
			       r_inl, ratio);
	}
	if (json) {
		json_array_end(&j);
		json_doc_end(&j);
	} else
		printf("\nmedian of %d interleaved rounds; ratio: median of per-round "
		       "ratios\n", rounds);
	return 0;
}
