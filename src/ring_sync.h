/* SPDX-License-Identifier: MIT */
/*
 * Private to libmemmirror: the ring's shared header, its handle, and the
 * synchronisation between producer and consumer (src/ring_sync.c).
 *
 * The index protocol (publishing head and tail, reading the peer's) is
 * memmirror.h's inline one (mmr_ring_fast_*), with its barrier
 * vocabulary; the library runs it on the handle's fast[] views. Here,
 * the other acquire/release pairs:
 *
 *   ring_publish_magic() release  ->  ring_acquire_magic() acquire
 *	the header's description is complete before a peer trusts it;
 *   ring_end_close()     release  ->  ring_end_state()     acquire
 *	the last index a side published is visible to the peer that sees
 *	its end closed (end of stream after the last byte, not before).
 *
 * The wake-up protocol (publisher against sleeper) is in ring_sync.c.
 */
#ifndef MMR_RING_SYNC_H
#define MMR_RING_SYNC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "region.h"

#define RING_MAGIC	0x474e4952524d4d31ull	/* "1MMRRING" little endian */
/* 3: waiters' thresholds (rd_want, wr_want) and the ends' liveness;
 * 4: an end held by a thread (ring_end.tid);
 * 5: ends held by locks (ring_end.token), not named by pids */
#define RING_VERSION	5u
/* Two cache lines: adjacent-line prefetchers fetch lines in pairs. */
#define RING_LINE	128

/* Checks before a wait sleeps: measured by `mmr bench ring` (RESULTS.md). */
#define RING_SPIN_DEFAULT 256u

enum ring_role { RING_PRODUCER, RING_CONSUMER };

/* Room for one pthread_mutex_t (40 bytes in glibc and musl on 64-bit). */
#define RING_MUTEX_SIZE	64

/*
 * One end of the ring as its peer sees it. Each claim of the end takes a
 * new token; the end is alive while its token's lock is held (ring_sync.c):
 * for an end held by a process, an OFD lock on byte ring_lock_byte() of
 * the object; for an end held by a thread, the robust mutex in slot
 * token & 1. Pids are recorded for mmr_ring_peer_pidfd() only.
 */
struct ring_end {
	_Atomic uint64_t token;		/* the holder's claim, 0: none yet */
	_Atomic uint64_t claims;	/* tokens handed out */
	_Atomic uint32_t closed;	/* 1 once closed (end of stream) */
	_Atomic uint32_t thread;	/* 1: a thread holds it (MMR_RING_THREAD) */
	_Atomic uint32_t pid;		/* the holder as it sees itself: a hint */
	_Atomic uint32_t kicks;		/* 1: the holder has the eventfds (poll) */
	_Alignas(16) unsigned char mutex[2][RING_MUTEX_SIZE];
};

/*
 * The shared header, at offset 0 of the object. Each index sits on its own
 * line, written by one side only; the waiters' thresholds, written only on
 * the way to sleep, have a line of their own so that checking them stays a
 * cache hit for the side that produces or consumes.
 */
struct ring_shared {
	_Atomic uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;	/* bytes before the data: one page */
	uint64_t capacity;
	_Atomic uint32_t errors;	/* misuses refused, both sides */
	_Atomic uint32_t light_peers;	/* 1 once a light publisher attached */

	_Alignas(RING_LINE) _Atomic uint64_t head;	/* producer */
	_Atomic uint32_t head_seq;	/* futex: bumped to wake the consumer */

	_Alignas(RING_LINE) _Atomic uint64_t tail;	/* consumer */
	_Atomic uint32_t tail_seq;	/* futex: bumped to wake the producer */

	/* A sleeper's threshold: the index the other side must reach (head
	 * for the consumer, tail for the producer) before waking it; 0 when
	 * nobody sleeps. */
	_Alignas(RING_LINE) _Atomic uint64_t rd_want;
	_Atomic uint64_t wr_want;
	/* 1 while that side waits in poll() on its eventfd (mmr_ring_poll_arm):
	 * the publisher that meets the threshold then writes the eventfd too. */
	_Atomic uint32_t rd_poll;
	_Atomic uint32_t wr_poll;

	_Alignas(RING_LINE) struct ring_end end[2];	/* enum ring_role */
};

/*
 * The layout is shared between processes and between library versions
 * (RING_VERSION): pin every field.
 */
#define RING_AT(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " at " #off)
RING_AT(struct ring_end, token, 0);
RING_AT(struct ring_end, claims, 8);
RING_AT(struct ring_end, closed, 16);
RING_AT(struct ring_end, thread, 20);
RING_AT(struct ring_end, pid, 24);
RING_AT(struct ring_end, kicks, 28);
RING_AT(struct ring_end, mutex, 32);
_Static_assert(sizeof(struct ring_end) == 160, "struct ring_end is 160 bytes");
RING_AT(struct ring_shared, magic, 0);
RING_AT(struct ring_shared, version, 8);
RING_AT(struct ring_shared, hdr_size, 12);
RING_AT(struct ring_shared, capacity, 16);
RING_AT(struct ring_shared, errors, 24);
RING_AT(struct ring_shared, light_peers, 28);
RING_AT(struct ring_shared, head, 128);
RING_AT(struct ring_shared, head_seq, 136);
RING_AT(struct ring_shared, tail, 256);
RING_AT(struct ring_shared, tail_seq, 264);
RING_AT(struct ring_shared, rd_want, 384);
RING_AT(struct ring_shared, wr_want, 392);
RING_AT(struct ring_shared, rd_poll, 400);
RING_AT(struct ring_shared, wr_poll, 404);
RING_AT(struct ring_shared, end, 512);
_Static_assert(sizeof(struct ring_shared) == 896, "struct ring_shared is 896 bytes");
_Static_assert(sizeof(struct ring_shared) <= 4096, "ring header fits a page");

struct mmr_ring {
	struct ring_shared *sh;
	unsigned char *data;	/* first copy; the second is at data + cap */
	size_t cap;
	size_t mask;		/* cap - 1 if cap is a power of two, else 0 */
	mmr_region *reg;
	void *base;		/* the reservation: hdr + 2 * cap bytes */
	size_t span;
	bool light;		/* publish without a fence (see ring_sync.c) */
	/* 1 << enum ring_role this handle claimed; atomic: two threads may
	 * claim an end each on one handle (mmr_ring_claim()). */
	_Atomic unsigned roles;
	unsigned spin;		/* checks before a wait goes to sleep */

	/* eventfds that wake a consumer (producer) polling them; -1 when the
	 * ring came without them (mmr_ring_open_fd() of a bare fd). */
	int efd[2];		/* [RING_CONSUMER]: consumer's, [RING_PRODUCER] */

	/* The ends this handle holds: the open file description whose OFD
	 * lock keeps a process's end alive (-1 for a thread's end), the
	 * claim's token, and who claimed it (a copy inherited across fork()
	 * keeps the end alive but does not close it). Atomic (relaxed): two
	 * threads may hold an end each on one handle and look at the other. */
	int end_fd[2];
	_Atomic uint64_t token[2];
	_Atomic uint32_t owner_pid[2];
	_Atomic uint32_t owner_tid[2];	/* the holder of a thread's end, else 0 */
	/* The file the ends' locks are on (the object's fd, or a memfd of
	 * our own for a backend without one), and whether it is ours. */
	int lock_fd;
	bool lock_own;

	int peer_fd[2];		/* mmr_ring_peer_pidfd(): a pidfd, or -1 */
	uint32_t peer_pid[2];
	uint64_t peer_seen_ns[2];	/* when a probe last found it alive */

	/* Each end as the inline protocol of memmirror.h sees it: the
	 * library's produce/consume/reserve/peek run it on these. One line
	 * per end: the two may be different threads. [enum ring_role] */
	_Alignas(RING_LINE) struct mmr_ring_fast fast[2];
};

static inline void ring_publish_magic(struct ring_shared *sh)
{
	atomic_store_explicit(&sh->magic, RING_MAGIC, memory_order_release);
}

static inline uint64_t ring_acquire_magic(struct ring_shared *sh)
{
	return atomic_load_explicit(&sh->magic, memory_order_acquire);
}

/* ring_sync.c: wake the consumer (@readable) or the producer: its
 * threshold was met. */
void mmri_ring_wake(const struct mmr_ring *r, bool readable);

/* ring_fast.c: fill @f for the @role end (MMR_RING_PRODUCER/CONSUMER). */
void mmri_ring_fast_fill(struct mmr_ring *r, unsigned role, struct mmr_ring_fast *f);

/* ---- ring_sync.c ---- */

/* Set how this handle publishes (light or heavy, decided once per
 * process) and announce a light publisher in the header. */
void mmri_ring_sync_attach(struct mmr_ring *r);
/* The creator's part of the ends: their mutexes, before the magic. */
int mmri_ring_ends_init(struct mmr_ring *r);
/* Find the file the ends' locks live on (r->lock_fd). */
void mmri_ring_lock_file(struct mmr_ring *r);
/* Claim the ends in @roles (1 << enum ring_role) for this process, or
 * with @thread for the calling thread. */
int mmri_ring_claim(struct mmr_ring *r, unsigned roles, bool thread, const char *fn);
/* The handle got its eventfds after it claimed its ends: tell the peer. */
void mmri_ring_set_kicks(struct mmr_ring *r);
/* Make the two eventfds of a new ring; 0 or -errno (message set). */
int mmri_ring_poll_create(struct mmr_ring *r);
/* Close the ends this handle claimed, let go of their locks, close the
 * eventfds. */
void mmri_ring_sync_detach(struct mmr_ring *r);

/* Count a misuse in the header and record the message (EINVAL). */
int mmri_ring_misuse(const struct mmr_ring *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Filled bytes, or SIZE_MAX with the error counted if the indices cannot be
 * right (a peer wrote garbage): then the ring stays stopped instead of
 * handing out a span outside the data.
 */
static inline size_t ring_fill(const struct mmr_ring *r, uint64_t head, uint64_t tail)
{
	uint64_t fill = head - tail;

	if (__builtin_expect(fill > r->cap, 0)) {
		mmri_ring_misuse(r, "mmr_ring: corrupt indices (head %llu, tail %llu, "
			    "capacity %zu)", (unsigned long long)head,
			    (unsigned long long)tail, r->cap);
		return SIZE_MAX;
	}
	return (size_t)fill;
}

#endif /* MMR_RING_SYNC_H */
