// SPDX-License-Identifier: MIT
/*
 * The ring's inline fast path (memmirror.h, struct mmr_ring_fast): the
 * library fills the struct a program's inline reserve/produce/peek/consume
 * work on, and keeps their slow halves: waking a sleeping peer and
 * refusing misuse with a message.
 *
 * The inline code is compiled into programs, so what it does with the
 * shared header is ABI (version 1, MMR_RING_FAST_VERSION): it loads its
 * own index relaxed, the peer's with acquire, and publishes as
 * ring_publish() in ring_sync.h does: a release store then a relaxed look
 * at the peer's threshold when light, seq_cst both when heavy, and a wake
 * once the index meets the threshold. Changing ring_publish() means
 * keeping version 1 working here, or a new SONAME.
 */
#include <stddef.h>
#include <string.h>

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

int mmr_ring_fast_setup(mmr_ring *r, unsigned role, struct mmr_ring_fast *f,
			unsigned version, size_t size)
{
	const char *fn = "mmr_ring_fast_init";
	struct ring_shared *sh;
	bool producer;

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
	sh = r->sh;
	producer = role == MMR_RING_PRODUCER;
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
	f->seen = producer ? ring_acquire_tail(sh) : ring_acquire_head(sh);
	/* Last: the view is usable once it says which end it is. */
	f->role = role;
	return 0;
}

void mmr_ring_fast_wake(const struct mmr_ring_fast *f)
{
	if (f && f->ring)
		mmri_ring_wake(f->ring, f->role == MMR_RING_PRODUCER);
}

void *mmr_ring_fast_refuse(const struct mmr_ring_fast *f, const char *fn)
{
	bool producer = strstr(fn, "reserve") || strstr(fn, "produce");

	if (!f)
		mmri_err(EINVAL, "%s: the fast view is NULL", fn);
	else if (!f->role || !f->ring)
		mmri_err(EINVAL, "%s: the fast view is not set up (mmr_ring_fast_init() "
			 "failed or was not called)", fn);
	else if (f->role != (producer ? MMR_RING_PRODUCER : MMR_RING_CONSUMER))
		mmri_err(EINVAL, "%s: this fast view is the %s's: set one up with "
			 "MMR_RING_%s for this end", fn, producer ? "consumer" : "producer",
			 producer ? "PRODUCER" : "CONSUMER");
	else
		mmri_ring_misuse(f->ring, "%s: more bytes than the capacity (%llu)", fn,
			    (unsigned long long)f->cap);
	errno = EINVAL;
	return NULL;
}
