/* SPDX-License-Identifier: MIT */
/*
 * A stream of variable-size records through an mmr_ring, shared by the
 * thread and process tests. Record: u32 length, u32 sequence number, then
 * length - 8 bytes of a pattern that depends on both. The consumer parses
 * records in place and folds every byte into a checksum that the producer
 * computes from the same recipe.
 */
#ifndef MMR_TEST_RING_STREAM_H
#define MMR_TEST_RING_STREAM_H

#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "memmirror.h"

#define STREAM_MIN 8u
#define STREAM_MAX 63u

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define STREAM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define STREAM_SANITIZED 1
#endif
#endif

/* 10^7 records in a plain build; fewer under sanitizers or when asked. */
static inline unsigned long stream_records(void)
{
#ifdef STREAM_SANITIZED
	return 1000000;
#else
	return getenv("MMR_TEST_QUICK") ? 1000000 : 10000000;
#endif
}

static inline uint32_t stream_len(uint32_t seq)
{
	uint32_t x = seq * 2654435761u;

	return STREAM_MIN + (x >> 16) % (STREAM_MAX - STREAM_MIN + 1);
}

static inline uint8_t stream_byte(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 7u + i * 13u);
}

static inline uint64_t stream_fold(uint64_t sum, const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		sum = sum * 31 + p[i];
	return sum;
}

/* Write record @seq at @p; returns @p. */
static inline uint8_t *stream_fill(uint8_t *p, uint32_t seq, uint32_t len)
{
	memcpy(p, &len, 4);
	memcpy(p + 4, &seq, 4);
	for (uint32_t i = 8; i < len; i++)
		p[i] = stream_byte(seq, i);
	return p;
}

/* Whether the bytes after the header are record @seq's. */
static inline int stream_body_ok(const uint8_t *p, uint32_t seq, uint32_t len)
{
	for (uint32_t i = 8; i < len; i++)
		if (p[i] != stream_byte(seq, i))
			return 0;
	return 1;
}

/* Spin a little, then sleep on the futex: both paths get exercised. */
static inline int stream_wait(mmr_ring *r, size_t need, int writable, unsigned *spins)
{
	if (++*spins < 64) {
		sched_yield();
		return 0;
	}
	*spins = 0;
	return writable ? mmr_ring_wait_writable(r, need, 10000) :
		mmr_ring_wait_readable(r, need, 10000);
}

/* Produce @n records; returns the checksum, or 0 after a wait failed. */
static inline uint64_t stream_produce(mmr_ring *r, unsigned long n)
{
	uint64_t sum = 0;
	unsigned spins = 0;

	for (uint32_t seq = 0; seq < n; seq++) {
		uint32_t len = stream_len(seq);
		size_t avail;
		uint8_t *p = mmr_ring_write_ptr(r, &avail);

		while (avail < len) {
			if (stream_wait(r, len, 1, &spins))
				return 0;
			p = mmr_ring_write_ptr(r, &avail);
		}
		sum = stream_fold(sum, stream_fill(p, seq, len), len);
		mmr_ring_produce(r, len);
	}
	return sum;
}

/* Consume @n records; 0 and the checksum, or -1 on a bad record. */
static inline int stream_consume(mmr_ring *r, unsigned long n, uint64_t *sum_out)
{
	uint64_t sum = 0;
	unsigned spins = 0;
	uint32_t seq = 0;

	while (seq < n) {
		size_t avail;
		const uint8_t *p = mmr_ring_read_ptr(r, &avail);
		uint32_t len, got;

		if (avail < 8) {
			if (stream_wait(r, 8, 0, &spins))
				return -1;
			continue;
		}
		memcpy(&len, p, 4);
		memcpy(&got, p + 4, 4);
		if (got != seq || len != stream_len(seq))
			return -1;
		while (avail < len) {
			if (stream_wait(r, len, 0, &spins))
				return -1;
			p = mmr_ring_read_ptr(r, &avail);
		}
		if (!stream_body_ok(p, seq, len))
			return -1;
		sum = stream_fold(sum, p, len);
		mmr_ring_consume(r, len);
		seq++;
	}
	*sum_out = sum;
	return 0;
}

/* The same stream through mmr_ring_reserve() and mmr_ring_peek(). */
static inline uint64_t stream_produce_reserve(mmr_ring *r, unsigned long n)
{
	uint64_t sum = 0;

	for (uint32_t seq = 0; seq < n; seq++) {
		uint32_t len = stream_len(seq);
		uint8_t *p;

		while (!(p = mmr_ring_reserve(r, len)))
			sched_yield();
		sum = stream_fold(sum, stream_fill(p, seq, len), len);
		mmr_ring_produce(r, len);
	}
	return sum;
}

static inline int stream_consume_peek(mmr_ring *r, unsigned long n, uint64_t *sum_out)
{
	uint64_t sum = 0;

	for (uint32_t seq = 0; seq < n; seq++) {
		const uint8_t *p;
		uint32_t len, got;

		while (!(p = mmr_ring_peek(r, 8)))
			sched_yield();
		memcpy(&len, p, 4);
		memcpy(&got, p + 4, 4);
		if (got != seq || len != stream_len(seq))
			return -1;
		while (!(p = mmr_ring_peek(r, len)))
			sched_yield();
		if (!stream_body_ok(p, seq, len))
			return -1;
		sum = stream_fold(sum, p, len);
		mmr_ring_consume(r, len);
	}
	*sum_out = sum;
	return 0;
}

#endif
