// SPDX-License-Identifier: MIT
/*
 * Concurrency Kit's ck_ring (Debian libck-dev) measured the way `mmr bench
 * ring` measures mmr_ring: one producer thread copies records in, one
 * consumer thread takes them and parses every word. ck_ring's typed SPSC
 * interface (CK_RING_PROTOTYPE) is how it carries records by value: slots
 * of sizeof(record), the record copied into a slot on enqueue and out of
 * it into the consumer's buffer on dequeue. Slots: a power of two, one
 * left empty, so CAPACITY / REC slots hold one record less than CAPACITY.
 * See peer_stream.h for the usage and the output.
 */
#include <ck_ring.h>
#include <stdatomic.h>

#include "peer_stream.h"

#define SIZES(X) X(8) X(64) X(512) X(4096) X(16384) X(65536)

#define DEFINE(SZ)							\
	struct rec##SZ { unsigned char b[SZ]; };				\
	CK_RING_PROTOTYPE(r##SZ, rec##SZ)
SIZES(DEFINE)

struct job {
	struct ck_ring ring;
	void *slots;
	const unsigned char *src;
	unsigned long n;
	atomic_int go;
};

/* One producer and one consumer per record size: the copies are sizeof. */
#define STREAM(SZ)							\
static void *produce_##SZ(void *arg)					\
{									\
	struct job *j = arg;						\
									\
	peer_pin(0);							\
	while (!atomic_load(&j->go))					\
		peer_relax();						\
	for (unsigned long i = 0; i < j->n; i++)			\
		while (!ck_ring_enqueue_spsc_r##SZ(&j->ring, j->slots,	\
			(struct rec##SZ *)j->src))			\
			peer_relax();					\
	return NULL;							\
}									\
									\
static uint64_t consume_##SZ(struct job *j, unsigned char *buf)	\
{									\
	uint64_t sum = 0;						\
									\
	for (unsigned long i = 0; i < j->n; i++) {			\
		while (!ck_ring_dequeue_spsc_r##SZ(&j->ring, j->slots,	\
			(struct rec##SZ *)buf))				\
			peer_relax();					\
		sum += bench_parse(buf, SZ);				\
	}								\
	return sum;							\
}
SIZES(STREAM)

static uint64_t stream(size_t cap, size_t rec, unsigned long n, uint64_t *sum)
{
	struct job j = { .n = n };
	void *(*produce)(void *) = NULL;
	uint64_t (*consume)(struct job *, unsigned char *) = NULL;
	unsigned char *buf;
	uint64_t t0, t1;
	pthread_t t;

#define PICK(k) if (rec == k) { produce = produce_##k; consume = consume_##k; }
	SIZES(PICK)
	if (!produce || cap / rec < 2 || (cap / rec & (cap / rec - 1))) {
		fprintf(stderr, "bench-ck: records of 8, 64, 512, 4096, 16384 or 65536 "
			"bytes, at least two per ring, a power of two of them\n");
		return 0;
	}
	j.src = peer_record(rec);
	j.slots = aligned_alloc(4096, cap);
	buf = aligned_alloc(64, rec);
	if (!j.src || !j.slots || !buf)
		return 0;
	memset(j.slots, 0, cap);	/* resident before the clock starts */
	ck_ring_init(&j.ring, (unsigned)(cap / rec));
	if (pthread_create(&t, NULL, produce, &j))
		return 0;
	peer_pin(1);
	t0 = peer_now_ns();
	atomic_store(&j.go, 1);
	*sum = consume(&j, buf);
	t1 = peer_now_ns();
	pthread_join(t, NULL);
	free((void *)j.src);
	free(j.slots);
	free(buf);
	return t1 - t0;
}

int main(int argc, char **argv)
{
	return peer_main(argc, argv, stream);
}
