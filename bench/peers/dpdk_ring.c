// SPDX-License-Identifier: MIT
/*
 * DPDK's rte_ring (Debian libdpdk-dev) through its zero-copy API, measured
 * the way `mmr bench ring` measures mmr_ring: the producer thread gets a
 * slot (rte_ring_enqueue_zc_bulk_elem_start), copies the record into it
 * and commits it; the consumer thread gets the slot
 * (rte_ring_dequeue_zc_bulk_elem_start), parses every word in place and
 * releases it: what mmr_ring_reserve()/peek() do. One element per record
 * (esize = REC: elements never straddle the end). The ring lives in memory
 * of ours (rte_ring_get_memsize_elem + rte_ring_init): no EAL, no huge
 * pages, nothing initialised but the ring. A power of two of slots, one
 * left empty, as DPDK rings are without RING_F_EXACT_SZ.
 * See peer_stream.h for the usage and the output.
 */
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>
#include <stdatomic.h>

#include "peer_stream.h"

struct job {
	struct rte_ring *ring;
	const unsigned char *src;
	unsigned esize;
	unsigned long n;
	atomic_int go;
};

static void *produce(void *arg)
{
	struct job *j = arg;
	struct rte_ring_zc_data zc;

	peer_pin(0);
	while (!atomic_load(&j->go))
		peer_relax();
	for (unsigned long i = 0; i < j->n; i++) {
		while (!rte_ring_enqueue_zc_bulk_elem_start(j->ring, j->esize, 1, &zc, NULL))
			peer_relax();
		memcpy(zc.ptr1, j->src, j->esize);
		rte_ring_enqueue_zc_elem_finish(j->ring, 1);
	}
	return NULL;
}

static uint64_t consume(struct job *j)
{
	struct rte_ring_zc_data zc;
	uint64_t sum = 0;

	for (unsigned long i = 0; i < j->n; i++) {
		while (!rte_ring_dequeue_zc_bulk_elem_start(j->ring, j->esize, 1, &zc, NULL))
			peer_relax();
		sum += bench_parse(zc.ptr1, j->esize);
		rte_ring_dequeue_zc_elem_finish(j->ring, 1);
	}
	return sum;
}

static uint64_t stream(size_t cap, size_t rec, unsigned long n, uint64_t *sum)
{
	struct job j = { .n = n, .esize = (unsigned)rec };
	unsigned count = (unsigned)(cap / rec);
	ssize_t size;
	uint64_t t0, t1;
	pthread_t t;

	if (rec % 4 || count < 2 || (count & (count - 1))) {
		fprintf(stderr, "bench-dpdk: records of a multiple of 4 bytes, at least "
			"two per ring, a power of two of them\n");
		return 0;
	}
	size = rte_ring_get_memsize_elem(j.esize, count);
	if (size < 0)
		return 0;
	j.ring = aligned_alloc(4096, ((size_t)size + 4095) / 4096 * 4096);
	j.src = peer_record(rec);
	if (!j.ring || !j.src)
		return 0;
	memset(j.ring, 0, (size_t)size);	/* resident before the clock starts */
	if (rte_ring_init(j.ring, "mmr-bench", count, RING_F_SP_ENQ | RING_F_SC_DEQ))
		return 0;
	if (pthread_create(&t, NULL, produce, &j))
		return 0;
	peer_pin(1);
	t0 = peer_now_ns();
	atomic_store(&j.go, 1);
	*sum = consume(&j);
	t1 = peer_now_ns();
	pthread_join(t, NULL);
	free(j.ring);
	free((void *)j.src);
	return t1 - t0;
}

int main(int argc, char **argv)
{
	return peer_main(argc, argv, stream);
}
