// SPDX-License-Identifier: MIT
/*
 * Random record sizes against a reference model: a plain byte queue kept
 * beside the ring. After every step the ring must offer exactly the bytes
 * the model holds, and exactly the free space it has left.
 */
#include <stdint.h>

#include "helpers.h"

struct model {
	uint8_t *q;		/* the bytes in the ring, oldest first */
	size_t len, cap;
};

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int check_ring(mmr_ring *r, const struct model *m)
{
	size_t avail;
	const uint8_t *rd = mmr_ring_read_ptr(r, &avail);

	CHECK_EQ(avail, m->len);
	if (memcmp(rd, m->q, m->len))
		CHECK(!"ring bytes differ from the model");
	mmr_ring_write_ptr(r, &avail);
	CHECK_EQ(avail, m->cap - m->len);
	return T_PASS;
}

static int model_run(size_t size, unsigned long steps)
{
	struct model m = { 0 };
	uint8_t stamp = 0;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, size, 0), 0);
	m.cap = mmr_ring_capacity(r);
	m.q = malloc(m.cap);
	CHECK(m.q);
	for (unsigned long s = 0; s < steps; s++) {
		uint64_t x = next();
		/* Mostly small records, sometimes up to the whole ring. */
		size_t n = (x & 7) ? (x >> 8) % 300 : (x >> 8) % (m.cap + 1);
		size_t avail;

		if (x & 0x10) {
			uint8_t *w = mmr_ring_write_ptr(r, &avail);

			if (n > avail)
				n = avail;
			for (size_t i = 0; i < n; i++)
				w[i] = m.q[m.len + i] = stamp++;
			mmr_ring_produce(r, n);
			m.len += n;
		} else {
			mmr_ring_read_ptr(r, &avail);
			if (n > avail)
				n = avail;
			mmr_ring_consume(r, n);
			memmove(m.q, m.q + n, m.len - n);
			m.len -= n;
		}
		if (check_ring(r, &m) != T_PASS)
			return T_FAIL;
	}
	CHECK_EQ(mmr_ring_error(r), 0);
	free(m.q);
	mmr_ring_destroy(r);
	return T_PASS;
}

static int model_one_page(void)
{
	return model_run(1, 200000);
}

static int model_three_pages(void)
{
	return model_run(2 * t_page() + 100, 200000);
}

T_MAIN(T(model_one_page), T(model_three_pages))
