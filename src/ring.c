// SPDX-License-Identifier: MIT
/*
 * mmr_ring: a single-producer single-consumer byte ring over one region,
 * laid out as [header page][data] and mapped as
 *
 *	base: [header][data copy 1][data copy 2]
 *
 * so that data + (index % capacity) is followed by capacity contiguous
 * bytes whatever the index. The address range is reserved first (PROT_NONE)
 * and the views are placed over it with MMR_FIXED: no other thread can take
 * the second half between the two mappings.
 *
 * The header page is shared: another process attaches with the fd and sees
 * the same indices. Everything a peer wrote there is checked before use;
 * a corrupt or hostile peer can stop the ring but not make us read or write
 * outside it.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "region.h"
#include "error.h"
#include "region_seal.h"
#include "util.h"
#include "ring_sync.h"
#include "syscall.h"

/* ---- setup ---- */

/* Reserve the range, then place both views over it. */
static int ring_map(struct mmr_ring *r, size_t hdr)
{
	size_t page = mmr_region_page_size(r->reg);
	unsigned char *base, *v;

	r->span = hdr + 2 * r->cap;
	base = mmri_reserve_aligned(r->span, page);
	if (IS_ERR(base))
		return mmri_err((int)PTR_ERR(base), "reserving %zu bytes of address "
				"space failed: %s", r->span,
				mmri_map_hint((int)-PTR_ERR(base)));
	r->base = base;
	v = mmr_view(r->reg, 0, hdr + r->cap, base, PROT_READ | PROT_WRITE, MMR_FIXED);
	if (!v)
		return -errno;
	v = mmr_view(r->reg, hdr, r->cap, base + hdr + r->cap,
		     PROT_READ | PROT_WRITE, MMR_FIXED);
	if (!v)
		return -errno;
	r->sh = (struct ring_shared *)base;
	r->data = base + hdr;
	return 0;
}

/* The ends a create or open flag word claims (1 << enum ring_role). */
static unsigned ring_roles(unsigned flags)
{
	return (flags & MMR_RING_PRODUCER ? 1u << RING_PRODUCER : 0) |
	       (flags & MMR_RING_CONSUMER ? 1u << RING_CONSUMER : 0);
}

static struct mmr_ring *ring_alloc(void)
{
	struct mmr_ring *r = aligned_alloc(RING_LINE, sizeof(*r));

	if (r) {
		memset(r, 0, sizeof(*r));
		r->peer_fd[0] = r->peer_fd[1] = -1;
		r->end_fd[0] = r->end_fd[1] = -1;
		r->efd[0] = r->efd[1] = -1;
		r->lock_fd = -1;
		r->spin = RING_SPIN_DEFAULT;
	}
	return r;
}

static void ring_free(struct mmr_ring *r)
{
	mmri_ring_sync_detach(r);
	/* Destroying the region unmaps the views; the munmap then returns
	 * what is left of the reservation after a failed ring_map(). */
	mmr_region_destroy(r->reg);
	if (r->base)
		mmri_munmap(r->base, r->span);
	free(r);
}

/* The views the library's own produce/consume/reserve/peek run on. */
static void ring_fast_views(struct mmr_ring *r)
{
	mmri_ring_fast_fill(r, MMR_RING_PRODUCER, &r->fast[RING_PRODUCER]);
	mmri_ring_fast_fill(r, MMR_RING_CONSUMER, &r->fast[RING_CONSUMER]);
}

static void ring_set_cap(struct mmr_ring *r, size_t cap)
{
	r->cap = cap;
	r->mask = (cap & (cap - 1)) ? 0 : cap - 1;
}

/*
 * @size: the data rounded up to base pages, plus one base page for the
 * header. The region plans it for the page size it picks: the data
 * rounded up to that page, plus one such page in front, so nothing needs
 * resizing after. No backend named: $MMR_BACKEND, then AUTO's order, which
 * puts the backends with an fd (mmr_ring_fd()) first.
 */
static int ring_region(mmr_region **reg, size_t size, unsigned flags)
{
	struct mmri_region_need need = {
		.who = "mmr_region_create",
		.size = size - mmri_base_page(),
		.header_pages = 1,
		.flags = flags,
	};

	return mmri_region_create(reg, &need);
}

/*
 * Make the object's size final, so that no holder of the fd can truncate
 * it under a peer's mappings (SIGBUS). Backends that cannot seal (posix,
 * hugetlbfs files) or share (sysv, mremap) give a ring that only
 * MMR_ACCEPT_UNSEALED attaches.
 */
static int ring_seal(mmr_region *reg)
{
	int ret = mmr_region_seal(reg);

	if (ret == -EPERM || ret == -EOPNOTSUPP) {
		mmri_clear_error();
		return 0;
	}
	return ret;
}

int mmr_ring_create(mmr_ring **out, size_t min_size, unsigned flags)
{
	size_t base = mmri_base_page(), page, cap;
	struct mmr_ring *r;
	int ret;

	if (!out)
		return mmri_err(EINVAL, "mmr_ring_create: out is NULL");
	*out = NULL;
	if (flags & ~(MMR_CREATE_FLAGS | MMR_RING_ROLES | MMR_RING_THREAD))
		return mmri_err(EINVAL, "mmr_ring_create: flags 0x%x are neither create "
				"flags nor ring roles", flags & ~(MMR_CREATE_FLAGS | MMR_RING_ROLES |
								 MMR_RING_THREAD));
	if ((flags & MMR_RING_THREAD) && !(flags & MMR_RING_ROLES))
		return mmri_err(EINVAL, "mmr_ring_create: MMR_RING_THREAD without "
				"MMR_RING_PRODUCER or MMR_RING_CONSUMER: no end to hold");
	if (!min_size || min_size > MMRI_MAX_SIZE / 4)
		return mmri_err(EINVAL, "mmr_ring_create: size %zu is 0 or too large",
				min_size);
	r = ring_alloc();
	if (!r)
		return mmri_err(ENOMEM, "mmr_ring_create: out of memory");
	/* The region plans the page size (MMR_HUGE may fall back to base
	 * pages) and sizes itself for it: one header page, then the data. */
	ret = ring_region(&r->reg, (min_size + base - 1) / base * base + base,
			  flags & MMR_CREATE_FLAGS);
	if (ret)
		goto fail;
	page = mmr_region_page_size(r->reg);
	cap = mmr_region_size(r->reg) - page;
	ret = ring_seal(r->reg);
	if (ret)
		goto fail;
	ring_set_cap(r, cap);
	ret = ring_map(r, page);
	if (ret)
		goto fail;
	r->sh->version = RING_VERSION;
	r->sh->hdr_size = (uint32_t)page;
	r->sh->capacity = cap;
	ret = mmri_ring_ends_init(r);
	if (ret)
		goto fail;
	/* Last, so that a peer never sees a ring half described. */
	ring_publish_magic(r->sh);
	mmri_ring_lock_file(r);
	mmri_ring_sync_attach(r);
	ring_fast_views(r);
	ret = mmri_ring_poll_create(r);
	if (ret)
		goto fail;
	ret = mmri_ring_claim(r, ring_roles(flags), flags & MMR_RING_THREAD, "mmr_ring_create");
	if (ret)
		goto fail;
	*out = r;
	return 0;
fail:
	ring_free(r);
	return mmri_err_prefix(ret, "mmr_ring_create");
}

/* Check what a peer left in the header before trusting any of it. */
static int ring_check_header(int fd, struct ring_shared *sh, size_t page,
			     size_t size)
{
	uint64_t magic = ring_acquire_magic(sh);

	if (magic != RING_MAGIC)
		return mmri_err(EINVAL, "fd %d does not hold an mmr_ring (magic 0x%llx, "
				"expected 0x%llx)", fd, (unsigned long long)magic,
				(unsigned long long)RING_MAGIC);
	if (sh->version != RING_VERSION)
		return mmri_err(EINVAL, "the ring behind fd %d has layout version %u; "
				"this library reads version %u", fd, sh->version,
				RING_VERSION);
	if (sh->hdr_size != page)
		return mmri_err(EINVAL, "the ring behind fd %d has a %u-byte header, "
				"not one page (%zu bytes)", fd, sh->hdr_size, page);
	if (!sh->capacity || sh->capacity % page || sh->capacity != size - page)
		return mmri_err(EINVAL, "the ring behind fd %d claims %llu bytes of "
				"data but the object holds %zu after its header", fd,
				(unsigned long long)sh->capacity, size - page);
	return 0;
}

/* Map just the header page and read the capacity from it. */
static int ring_peek(struct mmr_ring *r, int fd, size_t *cap)
{
	size_t page = mmr_region_page_size(r->reg), size = mmr_region_size(r->reg);
	void *v;
	int ret;

	if (size < 2 * page || size % page)
		return mmri_err(EINVAL, "fd %d is %zu bytes: not an mmr_ring (a header "
				"page and whole data pages of %zu bytes)", fd, size, page);
	v = mmr_view(r->reg, 0, page, NULL, PROT_READ, 0);
	if (!v)
		return -errno;
	ret = ring_check_header(fd, v, page, size);
	*cap = size - page;
	mmr_unview(r->reg, v, page);
	return ret;
}

int mmr_ring_open_fd(mmr_ring **out, int fd, unsigned flags)
{
	struct mmr_ring *r;
	size_t cap = 0;
	int ret;

	if (!out)
		return mmri_err(EINVAL, "mmr_ring_open_fd: out is NULL");
	*out = NULL;
	if (flags & ~(MMR_POPULATE | MMR_ACCEPT_UNSEALED | MMR_RING_ROLES | MMR_RING_THREAD))
		return mmri_err(EINVAL, "mmr_ring_open_fd: only MMR_POPULATE, "
				"MMR_ACCEPT_UNSEALED, the ring roles and MMR_RING_THREAD "
				"apply (flags 0x%x)", flags);
	if ((flags & MMR_RING_THREAD) && !(flags & MMR_RING_ROLES))
		return mmri_err(EINVAL, "mmr_ring_open_fd: MMR_RING_THREAD without "
				"MMR_RING_PRODUCER or MMR_RING_CONSUMER: no end to hold");
	/* Before anything is mapped: a truncated mapping is a SIGBUS. */
	if (fd >= 0 && !(flags & MMR_ACCEPT_UNSEALED) &&
	    (ret = mmri_require_sealed(fd, "mmr_ring_open_fd", "attach with "
				       "MMR_ACCEPT_UNSEALED if you trust every holder "
				       "of the fd")))
		return ret;
	r = ring_alloc();
	if (!r)
		return mmri_err(ENOMEM, "mmr_ring_open_fd: out of memory");
	ret = mmr_region_open_fd(&r->reg, fd, flags & MMR_POPULATE);
	if (!ret)
		ret = ring_peek(r, fd, &cap);
	if (ret)
		goto fail;
	ring_set_cap(r, cap);
	ret = ring_map(r, mmr_region_page_size(r->reg));
	/* The peer may have rewritten the header since the peek. */
	if (!ret)
		ret = ring_check_header(fd, r->sh, mmr_region_page_size(r->reg),
					mmr_region_size(r->reg));
	if (ret)
		goto fail;
	mmri_ring_sync_attach(r);
	ring_fast_views(r);
	mmri_ring_lock_file(r);
	ret = mmri_ring_claim(r, ring_roles(flags), flags & MMR_RING_THREAD, "mmr_ring_open_fd");
	if (ret)
		goto fail;
	*out = r;
	return 0;
fail:
	ring_free(r);
	return mmri_err_prefix(ret, "mmr_ring_open_fd");
}

void mmr_ring_destroy(mmr_ring *r)
{
	if (r)
		ring_free(r);
}

size_t mmr_ring_capacity(const mmr_ring *r)
{
	return r ? r->cap : 0;
}

int mmr_ring_fd(const mmr_ring *r)
{
	if (!r)
		return mmri_err(EINVAL, "mmr_ring_fd: ring is NULL");
	return mmr_region_fd(r->reg);
}

int mmr_ring_error(const mmr_ring *r)
{
	uint32_t n;

	if (!r)
		return 0;
	n = atomic_load_explicit(&r->sh->errors, memory_order_relaxed);
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* ---- the fast path: memmirror.h's inline protocol on the handle's views ---- */

static inline struct mmr_ring_fast *ring_end(mmr_ring *r, bool producer)
{
	return &r->fast[producer ? RING_PRODUCER : RING_CONSUMER];
}

/*
 * Bytes the end may move (free for the producer, filled for the
 * consumer), from the last index of the peer seen if that gives @want,
 * else (and always for @want 0) from its index now. SIZE_MAX, with the misuse counted, if the
 * indices cannot be right (a peer wrote garbage): then the ring stays
 * stopped instead of handing out a span outside the data.
 */
static void ring_corrupt(const struct mmr_ring_fast *f, bool producer, uint64_t own)
{
	mmri_ring_misuse(f->ring, "mmr_ring: corrupt indices (%s %llu, %s %llu, "
			 "capacity %llu)", producer ? "head" : "tail",
			 (unsigned long long)own, producer ? "tail" : "head",
			 (unsigned long long)f->seen, (unsigned long long)f->cap);
}

static inline size_t ring_avail(struct mmr_ring_fast *f, bool producer, uint64_t own,
				size_t want)
{
	uint64_t bias = mmr_ring_fast_bias_(f, producer ? MMR_RING_PRODUCER : MMR_RING_CONSUMER);

	if (want && !mmr_ring_fast_short_(f, bias, own, f->seen, want))
		return (size_t)(bias + f->seen - own);
	f->seen = mmr_ring_fast_acquire_(f);
	if (__builtin_expect(bias + f->seen - own > f->cap, 0)) {
		ring_corrupt(f, producer, own);
		return SIZE_MAX;
	}
	return (size_t)(bias + f->seen - own);
}

/* NULL ring or NULL avail: a message and EINVAL, never a fault. */
static void *ring_null_ptr(const char *fn, const mmr_ring *r, size_t *avail)
{
	if (avail)
		*avail = 0;
	mmri_err(EINVAL, "%s: %s is NULL", fn, !r ? "ring" : "avail");
	errno = EINVAL;
	return NULL;
}

/* write_ptr() and read_ptr(): the span and everything there is (want 0:
 * the peer's index now). */
static inline void *ring_ptr(mmr_ring *r, bool producer, size_t *avail)
{
	struct mmr_ring_fast *f = ring_end(r, producer);
	uint64_t own = mmr_ring_fast_own_(f);
	size_t n = ring_avail(f, producer, own, 0);

	*avail = n == SIZE_MAX ? 0 : n;
	mmr_barrier();
	return f->data + mmr_ring_fast_off_(f, own);
}

void *mmr_ring_write_ptr(mmr_ring *r, size_t *avail)
{
	if (__builtin_expect(!r || !avail, 0))
		return ring_null_ptr("mmr_ring_write_ptr", r, avail);
	return ring_ptr(r, true, avail);
}

const void *mmr_ring_read_ptr(mmr_ring *r, size_t *avail)
{
	if (__builtin_expect(!r || !avail, 0))
		return ring_null_ptr("mmr_ring_read_ptr", r, avail);
	return ring_ptr(r, false, avail);
}

void mmr_ring_produce(mmr_ring *r, size_t n)
{
	if (__builtin_expect(!r, 0)) {
		mmri_err(EINVAL, "mmr_ring_produce: ring is NULL");
		return;
	}
	mmr_ring_fast_produce(&r->fast[RING_PRODUCER], n);
}

void mmr_ring_consume(mmr_ring *r, size_t n)
{
	if (__builtin_expect(!r, 0)) {
		mmri_err(EINVAL, "mmr_ring_consume: ring is NULL");
		return;
	}
	mmr_ring_fast_consume(&r->fast[RING_CONSUMER], n);
}

/* ---- records of a known size ---- */

/* More than the capacity is a wrong size, not a misuse to count. */
static bool ring_size_ok(const mmr_ring *r, size_t n, const char *fn)
{
	if (__builtin_expect(r && n <= r->cap, 1))
		return true;
	mmri_err(EINVAL, "%s: %s", fn, !r ? "ring is NULL" :
		 "more bytes than the capacity");
	errno = EINVAL;
	return false;
}

/*
 * The same as write_ptr()/read_ptr() for a caller that knows how many bytes
 * it needs: the other side's index is read only when the last one seen
 * leaves too little, so a producer that is ahead touches the consumer's
 * cache line about once per ring, not once per record.
 */
void *mmr_ring_reserve(mmr_ring *r, size_t n)
{
	if (!ring_size_ok(r, n, "mmr_ring_reserve"))
		return NULL;
	return mmr_ring_fast_reserve(&r->fast[RING_PRODUCER], n);
}

const void *mmr_ring_peek(mmr_ring *r, size_t n)
{
	if (!ring_size_ok(r, n, "mmr_ring_peek"))
		return NULL;
	return mmr_ring_fast_peek(&r->fast[RING_CONSUMER], n);
}

/* ---- batches of fixed-size records ---- */

/* Check a batch call's arguments; *want: bytes for the most records. */
static bool ring_batch_args(const struct mmr_ring *r, size_t size, size_t *count,
			    const char *fn, size_t *want)
{
	const char *why = !r ? "ring is NULL" : !count ? "count is NULL" :
		!size ? "record size is 0" : !*count ? "*count is 0" :
		size > r->cap ? "a record is larger than the capacity" : NULL;

	if (why) {
		mmri_err(EINVAL, "%s: %s", fn, why);
		errno = EINVAL;
		return false;
	}
	/* At most what the ring holds: no overflow, nothing to wait for. */
	if (*count > r->cap / size)
		*count = r->cap / size;
	*want = *count * size;
	return true;
}

/*
 * Up to *count records of @size bytes at once: one look at the other
 * side's index (only when the last one seen leaves too little) and one
 * produce()/consume() for the lot.
 */
static void *ring_records(mmr_ring *r, bool producer, size_t size, size_t *count,
			  const char *fn)
{
	struct mmr_ring_fast *f;
	size_t want, avail;
	uint64_t own;

	if (!ring_batch_args(r, size, count, fn, &want))
		return NULL;
	f = ring_end(r, producer);
	own = mmr_ring_fast_own_(f);
	avail = ring_avail(f, producer, own, want);
	if (__builtin_expect(avail == SIZE_MAX || avail < size, 0)) {
		*count = 0;
		errno = avail == SIZE_MAX ? EINVAL : EAGAIN;
		return NULL;
	}
	if (avail < want)
		*count = avail / size;
	mmr_barrier();
	return f->data + mmr_ring_fast_off_(f, own);
}

void *mmr_ring_reserve_records(mmr_ring *r, size_t size, size_t *count)
{
	return ring_records(r, true, size, count, "mmr_ring_reserve_records");
}

const void *mmr_ring_peek_records(mmr_ring *r, size_t size, size_t *count)
{
	return ring_records(r, false, size, count, "mmr_ring_peek_records");
}
