// SPDX-License-Identifier: MIT
/*
 * The ring's index protocol lives in memmirror.h, inline (struct
 * mmr_ring_fast): programs and this library run the same code. Here: the
 * library fills the struct, and keeps the slow halves of the inline
 * calls: waking a sleeping peer, looking at the peer's index again, and
 * refusing misuse with a message.
 *
 * The inline code is compiled into programs, so what it does with the
 * shared header is ABI (version 1, MMR_RING_FAST_VERSION): it loads its
 * own index relaxed, the peer's with acquire, and publishes with a
 * release store then a relaxed look at the peer's threshold when light,
 * seq_cst both when heavy, and a wake once the index meets the threshold
 * (the sleeper's half is in ring_sync.c). Changing it means a new
 * version, or a new SONAME.
 */
#include <stddef.h>
#include <string.h>

#include "error.h"
#include "ring_sync.h"

/*
 * The inline code reads the shared indices as plain uint64_t with
 * __atomic builtins: the same size, and aligned at least as a plain one
 * must be. (On i386 a plain uint64_t needs 4 bytes and an atomic one 8;
 * the header's indices sit on 128-byte lines, so the inline 8-byte
 * accesses are aligned there too, and so single loads and stores.)
 */
_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t) &&
	       _Alignof(_Atomic uint64_t) % _Alignof(uint64_t) == 0,
	       "atomic indices are laid out as plain ones");

/* struct mmr_ring_fast, version 1, is frozen: pin every field. */
#define FAST_AT(field, off) \
	_Static_assert(offsetof(struct mmr_ring_fast, field) == (off), \
		       "mmr_ring_fast." #field " at " #off)
#define P sizeof(void *)
FAST_AT(size, 0);
FAST_AT(version, 4);
FAST_AT(role, 8);
FAST_AT(flags, 12);
FAST_AT(ring, 16);
#if UINTPTR_MAX == UINT64_MAX || (defined(__i386__) && !defined(__x86_64__))
FAST_AT(data, 16 + P);
FAST_AT(cap, 16 + 2 * P);
FAST_AT(mask, 24 + 2 * P);
FAST_AT(own, 32 + 2 * P);
FAST_AT(peer, 32 + 3 * P);
FAST_AT(want, 32 + 4 * P);
FAST_AT(seen, 32 + 5 * P);
_Static_assert(sizeof(struct mmr_ring_fast) == 40 + 5 * P, "mmr_ring_fast size");
#endif
#undef P

/* Fill @f for the @role end of @r (MMR_RING_PRODUCER or _CONSUMER). */
void mmri_ring_fast_fill(struct mmr_ring *r, unsigned role, struct mmr_ring_fast *f)
{
	struct ring_shared *sh = r->sh;
	bool producer = role == MMR_RING_PRODUCER;

	f->size = (uint32_t)sizeof(*f);
	f->version = MMR_RING_FAST_VERSION;
	f->flags = r->light ? MMR_RING_FAST_LIGHT : 0;
	f->ring = r;
	f->data = r->data;
	f->cap = r->cap;
	f->mask = r->mask;
	f->own = (uint64_t *)(producer ? &sh->head : &sh->tail);
	f->peer = (const uint64_t *)(producer ? &sh->tail : &sh->head);
	f->want = (uint64_t *)(producer ? &sh->rd_want : &sh->wr_want);
	f->seen = mmr_ring_fast_acquire_(f);
	/* Last: the view is usable once it says which end it is. */
	f->role = role;
}

int mmr_ring_fast_setup(mmr_ring *r, unsigned role, struct mmr_ring_fast *f,
			unsigned version, size_t size)
{
	const char *fn = "mmr_ring_fast_init";

	if (!f)
		return mmri_err(EINVAL, "%s: the fast view is NULL", fn);
	/* Unusable until the end: role 0 makes every inline call refuse. */
	if (size >= sizeof(f->size) + sizeof(f->version) + sizeof(f->role))
		memset(f, 0, size < sizeof(*f) ? size : sizeof(*f));
	if (version != MMR_RING_FAST_VERSION)
		return mmri_err(EPROTO, "%s: the program was built for fast path "
				"version %u, this library speaks version %u: rebuild it "
				"against this memmirror.h", fn, version, MMR_RING_FAST_VERSION);
	if (size < sizeof(*f))
		return mmri_err(EINVAL, "%s: the struct is %zu bytes, version %u has "
				"%zu: pass sizeof(struct mmr_ring_fast) (mmr_ring_fast_init() "
				"does)", fn, size, version, sizeof(*f));
	if (!r)
		return mmri_err(EINVAL, "%s: ring is NULL", fn);
	if (role != MMR_RING_PRODUCER && role != MMR_RING_CONSUMER)
		return mmri_err(EINVAL, "%s: role 0x%x: give MMR_RING_PRODUCER or "
				"MMR_RING_CONSUMER, one view per end", fn, role);
	mmri_ring_fast_fill(r, role, f);
	return 0;
}

void mmr_ring_fast_wake(const struct mmr_ring_fast *f)
{
	if (f && f->ring)
		mmri_ring_wake(f->ring, f->role == MMR_RING_PRODUCER);
}

static const char *const fast_fn[2][2] = {
	{ "mmr_ring_reserve", "mmr_ring_produce" },	/* producer: get, put */
	{ "mmr_ring_peek", "mmr_ring_consume" },	/* consumer */
};

/* Refuse a call on a NULL, unset or wrong-end view: EINVAL, message. */
static void *fast_refuse(const struct mmr_ring_fast *f, bool producer, const char *fn)
{
	if (!f)
		mmri_err(EINVAL, "%s: the fast view is NULL", fn);
	else if (!f->role || !f->ring)
		mmri_err(EINVAL, "%s: the fast view is not set up (mmr_ring_fast_init() "
			 "failed or was not called)", fn);
	else
		mmri_err(EINVAL, "%s: this fast view is the %s's: set one up with "
			 "MMR_RING_%s for this end", fn, producer ? "consumer" : "producer",
			 producer ? "PRODUCER" : "CONSUMER");
	errno = EINVAL;
	return NULL;
}

static void *fast_misuse(const struct mmr_ring_fast *f, const char *fn, size_t n,
			 uint64_t avail, bool producer)
{
	if (n > f->cap)
		mmri_ring_misuse(f->ring, "%s: more bytes than the capacity (%llu)", fn,
				 (unsigned long long)f->cap);
	else if (avail > f->cap)
		mmri_ring_misuse(f->ring, "%s: corrupt indices (own %llu, peer's %llu, "
				 "capacity %llu)", fn,
				 (unsigned long long)mmr_ring_fast_own_(f),
				 (unsigned long long)f->seen, (unsigned long long)f->cap);
	else
		mmri_ring_misuse(f->ring, "%s: %zu bytes but only %llu are %s: ignored",
				 fn, n, (unsigned long long)avail,
				 producer ? "free" : "filled");
	errno = EINVAL;
	return NULL;
}

void *mmr_ring_fast_slow(struct mmr_ring_fast *f, unsigned role, unsigned op, size_t n)
{
	bool producer = role == MMR_RING_PRODUCER;
	const char *fn = fast_fn[!producer][op == MMR_RING_FAST_PUT];
	uint64_t own, bias, avail;

	if (!f || !f->role || !f->ring || f->role != role ||
	    (role != MMR_RING_PRODUCER && role != MMR_RING_CONSUMER))
		return fast_refuse(f, producer, fn);
	own = mmr_ring_fast_own_(f);
	bias = mmr_ring_fast_bias_(f, role);
	f->seen = mmr_ring_fast_acquire_(f);
	avail = bias + f->seen - own;
	if (n > f->cap || avail > f->cap || (op == MMR_RING_FAST_PUT && n > avail))
		return fast_misuse(f, fn, n, avail, producer);
	if (op == MMR_RING_FAST_GET) {
		if (n > avail) {
			errno = EAGAIN;
			return NULL;
		}
		mmr_barrier();
		return f->data + mmr_ring_fast_off_(f, own);
	}
	mmr_barrier();
	mmr_ring_fast_publish_(f, own + n);
	mmr_barrier();
	return NULL;
}

/*
 * For programs built with the header before mmr_ring_fast_slow(): their
 * inline calls name themselves. The names are compared whole.
 */
void *mmr_ring_fast_refuse(const struct mmr_ring_fast *f, const char *fn)
{
	bool producer = fn && (!strcmp(fn, "mmr_ring_fast_reserve") ||
			       !strcmp(fn, "mmr_ring_fast_produce"));
	bool get = fn && (!strcmp(fn, "mmr_ring_fast_reserve") ||
			  !strcmp(fn, "mmr_ring_fast_peek"));

	fn = fn ? fn : "mmr_ring_fast";
	if (!f || !f->role || !f->ring ||
	    f->role != (producer ? MMR_RING_PRODUCER : MMR_RING_CONSUMER))
		return fast_refuse(f, producer, fn);
	if (get)
		return mmr_ring_fast_slow((struct mmr_ring_fast *)f, f->role,
					  MMR_RING_FAST_GET, (size_t)f->cap + 1);
	return fast_misuse(f, fn, (size_t)f->cap + 1, 0, producer);
}
