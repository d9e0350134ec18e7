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
#include <linux/membarrier.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "internal.h"

#define RING_MAGIC	0x474e4952524d4d31ull	/* "1MMRRING" little endian */
/* 2: indices published with release stores (light peers, light_peers) */
#define RING_VERSION	2u
/* Two cache lines: adjacent-line prefetchers fetch lines in pairs. */
#define RING_LINE	128

/*
 * The shared header, at offset 0 of the object. Each index sits on its own
 * line, written by one side only; the waiting flags, written only on the way
 * to sleep, have a line of their own so that checking them stays a cache
 * hit for the side that produces or consumes.
 */
struct ring_shared {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;	/* bytes before the data: one page */
	uint64_t capacity;
	_Atomic uint32_t errors;	/* misuses refused, both sides */
	_Atomic uint32_t light_peers;	/* 1 once a light publisher attached */

	_Alignas(RING_LINE) _Atomic uint64_t head;	/* producer */
	_Atomic uint32_t head_seq;	/* futex: bumped to wake the consumer */

	_Alignas(RING_LINE) _Atomic uint64_t tail;	/* consumer */
	_Atomic uint32_t tail_seq;	/* futex: bumped to wake the producer */

	_Alignas(RING_LINE) _Atomic uint32_t rd_waiting;	/* consumer sleeps */
	_Atomic uint32_t wr_waiting;	/* producer sleeps */
};

_Static_assert(sizeof(struct ring_shared) <= 4096, "ring header fits a page");

struct mmr_ring {
	struct ring_shared *sh;
	unsigned char *data;	/* first copy; the second is at data + cap */
	size_t cap;
	size_t mask;		/* cap - 1 if cap is a power of two, else 0 */
	mmr_region *reg;
	void *base;		/* the reservation: hdr + 2 * cap bytes */
	size_t span;
	bool light;		/* publish without a fence (see ring_fence_init) */

	/* The last index seen of the other side, a lower bound (indices only
	 * grow) that spares produce() and consume() a trip to the peer's
	 * cache line. One line per side: the two may be different threads. */
	_Alignas(RING_LINE) uint64_t seen_tail;	/* producer's */
	_Alignas(RING_LINE) uint64_t seen_head;	/* consumer's */
};

static inline size_t ring_off(const struct mmr_ring *r, uint64_t idx)
{
	/* Page multiples are often powers of two; spare those the division. */
	return r->mask ? (size_t)(idx & r->mask) : (size_t)(idx % r->cap);
}

static int ring_misuse(const struct mmr_ring *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int ring_misuse(const struct mmr_ring *r, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	atomic_fetch_add_explicit(&r->sh->errors, 1, memory_order_relaxed);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mmri_err(EINVAL, "%s", msg);
}

/* ---- the publication fence ---- */

/*
 * produce() stores the head, then looks whether the consumer sleeps;
 * the consumer going to sleep stores its flag, then looks at the head (and
 * the same the other way round). Each side must see the other's store, so
 * one of the two needs a full fence between its store and its load. The
 * wakers run on every record; the sleepers run rarely and are about to make
 * a system call anyway. So the sleeper pays: after setting its flag it calls
 * membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), which runs a full barrier on
 * every CPU running a thread of a registered process, and the waker keeps
 * program order with a compiler barrier alone ("light"). A process that
 * cannot register publishes with seq_cst stores instead ("heavy"), as every
 * process does on kernels without the command (before 4.16, or
 * CONFIG_MEMBARRIER=n). A sleeper that cannot issue the barrier sleeps in
 * short slices if a light peer ever attached (light_peers in the header).
 */
enum ring_fence {
	FENCE_UNKNOWN,
	FENCE_LIGHT,		/* registered: wakers skip the fence */
	FENCE_NO_KERNEL,	/* no such command: every waker here is heavy */
	FENCE_HEAVY,		/* the kernel has it, this process did not register */
};

#define RING_SLICE_MS	5	/* the longest a lost wake-up can delay a sleeper */

static _Atomic int ring_fence_mode = FENCE_UNKNOWN;

static enum ring_fence ring_fence_init(void)
{
	int mode = atomic_load_explicit(&ring_fence_mode, memory_order_acquire);
	int cmds;

	if (mode != FENCE_UNKNOWN)
		return (enum ring_fence)mode;
	cmds = mmri_membarrier(MEMBARRIER_CMD_QUERY, 0);
	if (cmds == -ENOSYS || (cmds >= 0 && !(cmds & MEMBARRIER_CMD_GLOBAL_EXPEDITED)))
		mode = FENCE_NO_KERNEL;
	else if (cmds >= 0 &&
		 !mmri_membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0))
		mode = FENCE_LIGHT;
	else
		mode = FENCE_HEAVY;
	atomic_store_explicit(&ring_fence_mode, mode, memory_order_release);
	return (enum ring_fence)mode;
}

/*
 * The sleeper's half: between storing its flag and looking at the index.
 * False if it must sleep in slices: its barrier failed (a seccomp filter,
 * say, even one that fakes ENOSYS) and a light peer may miss its flag.
 */
static bool ring_sleeper_fence(const struct mmr_ring *r)
{
	/* The flag store and the index loads are seq_cst: heavy peers need
	 * nothing more. */
	if (ring_fence_init() != FENCE_NO_KERNEL &&
	    !mmri_membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0))
		return true;
	return !atomic_load(&r->sh->light_peers);
}

/*
 * Say in the header that this side publishes light, before it first does.
 * A sleeper that cannot issue the barrier and saw no light peer sleeps
 * without slices; wake both sides once so that it looks again.
 */
static void ring_announce_light(struct mmr_ring *r)
{
	struct ring_shared *sh = r->sh;

	if (!r->light || atomic_exchange(&sh->light_peers, 1))
		return;
	atomic_fetch_add(&sh->head_seq, 1);
	atomic_fetch_add(&sh->tail_seq, 1);
	mmri_futex_wake((uint32_t *)&sh->head_seq, INT_MAX, 1);
	mmri_futex_wake((uint32_t *)&sh->tail_seq, INT_MAX, 1);
}

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

static struct mmr_ring *ring_alloc(void)
{
	struct mmr_ring *r = aligned_alloc(RING_LINE, sizeof(*r));

	if (r)
		memset(r, 0, sizeof(*r));
	return r;
}

static void ring_free(struct mmr_ring *r)
{
	/* Destroying the region unmaps the views; the munmap then returns
	 * what is left of the reservation after a failed ring_map(). */
	mmr_region_destroy(r->reg);
	if (r->base)
		mmri_munmap(r->base, r->span);
	free(r);
}

static void ring_set_cap(struct mmr_ring *r, size_t cap)
{
	r->cap = cap;
	r->mask = (cap & (cap - 1)) ? 0 : cap - 1;
}

/* Memfd unless the caller or $MMR_BACKEND names a backend: a ring is
 * usually made to be shared, and memfd gives it an fd on every kernel. */
static int ring_region(mmr_region **reg, size_t size, unsigned flags)
{
	const char *env = getenv("MMR_BACKEND");

	if (!(flags & MMR_BACKEND_MASK) && !(env && *env) &&
	    !mmr_region_create(reg, size, flags | MMR_BACKEND_MEMFD))
		return 0;
	return mmr_region_create(reg, size, flags);
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
	size_t base = mmri_base_page(), page, want, cap;
	struct mmr_ring *r;
	int ret;

	if (!out)
		return mmri_err(EINVAL, "mmr_ring_create: out is NULL");
	*out = NULL;
	if (flags & ~MMR_CREATE_FLAGS)
		return mmri_err(EINVAL, "mmr_ring_create: flags 0x%x are not create flags",
				flags & ~MMR_CREATE_FLAGS);
	if (!min_size || min_size > MMRI_MAX_SIZE / 4)
		return mmri_err(EINVAL, "mmr_ring_create: size %zu is 0 or too large",
				min_size);
	r = ring_alloc();
	if (!r)
		return mmri_err(ENOMEM, "mmr_ring_create: out of memory");
	/* The page size is known only once the region exists (MMR_HUGE may
	 * fall back to base pages): size it for base pages, then fix it. */
	ret = ring_region(&r->reg, (min_size + base - 1) / base * base + base, flags);
	if (ret)
		goto fail;
	page = mmr_region_page_size(r->reg);
	cap = (min_size + page - 1) / page * page;
	want = page + cap;
	if (mmr_region_size(r->reg) != want) {
		ret = mmr_region_resize(r->reg, want);
		if (ret)
			goto fail;
	}
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
	/* Last, so that a peer never sees a ring half described. */
	__atomic_store_n(&r->sh->magic, RING_MAGIC, __ATOMIC_RELEASE);
	r->light = ring_fence_init() == FENCE_LIGHT;
	ring_announce_light(r);
	*out = r;
	return 0;
fail:
	ring_free(r);
	return mmri_err_prefix(ret, "mmr_ring_create");
}

/* Check what a peer left in the header before trusting any of it. */
static int ring_check_header(int fd, const struct ring_shared *sh, size_t page,
			     size_t size)
{
	uint64_t magic = __atomic_load_n(&sh->magic, __ATOMIC_ACQUIRE);

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
	if (flags & ~(MMR_POPULATE | MMR_ACCEPT_UNSEALED))
		return mmri_err(EINVAL, "mmr_ring_open_fd: only MMR_POPULATE and "
				"MMR_ACCEPT_UNSEALED apply (flags 0x%x)", flags);
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
	r->light = ring_fence_init() == FENCE_LIGHT;
	ring_announce_light(r);
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

/* ---- the fast path ---- */

/*
 * Filled bytes, or 0 with the error counted if the indices cannot be right
 * (a peer wrote garbage): then the ring stays stopped instead of handing
 * out a span outside the data.
 */
static inline size_t ring_fill(const struct mmr_ring *r, uint64_t head, uint64_t tail)
{
	uint64_t fill = head - tail;

	if (__builtin_expect(fill > r->cap, 0)) {
		ring_misuse(r, "mmr_ring: corrupt indices (head %llu, tail %llu, "
			    "capacity %zu)", (unsigned long long)head,
			    (unsigned long long)tail, r->cap);
		return SIZE_MAX;
	}
	return (size_t)fill;
}

/* ring_fill() without counting: for hints that may be stale. */
static inline size_t ring_fill_quiet(const struct mmr_ring *r, uint64_t head,
				     uint64_t tail)
{
	uint64_t fill = head - tail;

	return fill > r->cap ? SIZE_MAX : (size_t)fill;
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

void *mmr_ring_write_ptr(mmr_ring *r, size_t *avail)
{
	uint64_t head, tail;
	size_t fill;

	if (__builtin_expect(!r || !avail, 0))
		return ring_null_ptr("mmr_ring_write_ptr", r, avail);
	head = atomic_load_explicit(&r->sh->head, memory_order_relaxed);
	/* Acquire: the consumer's reads of the bytes it freed are done. */
	tail = atomic_load_explicit(&r->sh->tail, memory_order_acquire);
	fill = ring_fill(r, head, tail);

	r->seen_tail = tail;
	*avail = fill == SIZE_MAX ? 0 : r->cap - fill;
	mmr_barrier();
	return r->data + ring_off(r, head);
}

/* Wake the side sleeping on @seq: it said so in *waiting. */
static void ring_wake(_Atomic uint32_t *waiting, _Atomic uint32_t *seq)
{
	if (!atomic_exchange(waiting, 0))
		return;
	atomic_fetch_add(seq, 1);
	mmri_futex_wake((uint32_t *)seq, INT_MAX, 1);
}

/*
 * Store a new index, then wake the other side if it sleeps. Light: a
 * release store and program order (the sleeper's membarrier does the
 * rest); heavy: seq_cst, paired with the sleeper's seq_cst flag store.
 */
static inline void ring_publish(const struct mmr_ring *r, _Atomic uint64_t *idx,
				uint64_t v, _Atomic uint32_t *waiting,
				_Atomic uint32_t *seq)
{
	if (r->light) {
		atomic_store_explicit(idx, v, memory_order_release);
		atomic_signal_fence(memory_order_seq_cst);
		if (__builtin_expect(atomic_load_explicit(waiting, memory_order_relaxed), 0))
			ring_wake(waiting, seq);
		return;
	}
	atomic_store(idx, v);
	if (__builtin_expect(atomic_load(waiting), 0))
		ring_wake(waiting, seq);
}

/* Free bytes for the producer, from the last tail seen if that is enough. */
static inline size_t ring_free_for(struct mmr_ring *r, uint64_t head, size_t n)
{
	uint64_t tail = r->seen_tail;
	size_t fill = ring_fill_quiet(r, head, tail);

	if (fill != SIZE_MAX && n <= r->cap - fill)
		return r->cap - fill;
	tail = atomic_load_explicit(&r->sh->tail, memory_order_acquire);
	r->seen_tail = tail;
	fill = ring_fill(r, head, tail);
	return fill == SIZE_MAX ? SIZE_MAX : r->cap - fill;
}

void mmr_ring_produce(mmr_ring *r, size_t n)
{
	struct ring_shared *sh;
	uint64_t head;
	size_t room;

	if (__builtin_expect(!r, 0)) {
		mmri_err(EINVAL, "mmr_ring_produce: ring is NULL");
		return;
	}
	sh = r->sh;
	head = atomic_load_explicit(&sh->head, memory_order_relaxed);
	room = ring_free_for(r, head, n);

	/* The caller wrote through a view the consumer may read through the
	 * other: keep the compiler from moving those stores past this point. */
	mmr_barrier();
	if (__builtin_expect(room == SIZE_MAX || n > room, 0)) {
		if (room != SIZE_MAX)
			ring_misuse(r, "mmr_ring_produce: %zu bytes but only %zu are free: "
				    "ignored", n, room);
		return;
	}
	/* Release: the data is published; a consumer going to sleep either
	 * sees this head or is woken. */
	ring_publish(r, &sh->head, head + n, &sh->rd_waiting, &sh->head_seq);
	mmr_barrier();
}

const void *mmr_ring_read_ptr(mmr_ring *r, size_t *avail)
{
	uint64_t tail, head;
	size_t fill;

	if (__builtin_expect(!r || !avail, 0))
		return ring_null_ptr("mmr_ring_read_ptr", r, avail);
	tail = atomic_load_explicit(&r->sh->tail, memory_order_relaxed);
	/* Acquire: the producer's writes of these bytes are visible. */
	head = atomic_load_explicit(&r->sh->head, memory_order_acquire);
	fill = ring_fill(r, head, tail);

	r->seen_head = head;
	*avail = fill == SIZE_MAX ? 0 : fill;
	mmr_barrier();
	return r->data + ring_off(r, tail);
}

/* Filled bytes for the consumer, from the last head seen if that is enough. */
static inline size_t ring_filled_for(struct mmr_ring *r, uint64_t tail, size_t n)
{
	uint64_t head = r->seen_head;
	size_t fill = ring_fill_quiet(r, head, tail);

	if (fill != SIZE_MAX && n <= fill)
		return fill;
	head = atomic_load_explicit(&r->sh->head, memory_order_acquire);
	r->seen_head = head;
	return ring_fill(r, head, tail);
}

void mmr_ring_consume(mmr_ring *r, size_t n)
{
	struct ring_shared *sh;
	uint64_t tail;
	size_t fill;

	if (__builtin_expect(!r, 0)) {
		mmri_err(EINVAL, "mmr_ring_consume: ring is NULL");
		return;
	}
	sh = r->sh;
	tail = atomic_load_explicit(&sh->tail, memory_order_relaxed);
	fill = ring_filled_for(r, tail, n);

	/* The caller's loads of these bytes must stay before the release. */
	mmr_barrier();
	if (__builtin_expect(fill == SIZE_MAX || n > fill, 0)) {
		if (fill != SIZE_MAX)
			ring_misuse(r, "mmr_ring_consume: %zu bytes but only %zu are "
				    "filled: ignored", n, fill);
		return;
	}
	ring_publish(r, &sh->tail, tail + n, &sh->wr_waiting, &sh->tail_seq);
	mmr_barrier();
}

/* ---- records of a known size ---- */

/*
 * The same as write_ptr()/read_ptr() for a caller that knows how many bytes
 * it needs: the other side's index is read only when the last one seen
 * leaves too little, so a producer that is ahead touches the consumer's
 * cache line about once per ring, not once per record.
 */
void *mmr_ring_reserve(mmr_ring *r, size_t n)
{
	uint64_t head;
	size_t room;

	if (!r || n > r->cap) {
		mmri_err(EINVAL, "mmr_ring_reserve: %s", !r ? "ring is NULL" :
			 "more bytes than the capacity");
		errno = EINVAL;
		return NULL;
	}
	head = atomic_load_explicit(&r->sh->head, memory_order_relaxed);
	room = ring_free_for(r, head, n);
	if (__builtin_expect(room == SIZE_MAX || room < n, 0)) {
		errno = room == SIZE_MAX ? EINVAL : EAGAIN;
		return NULL;
	}
	mmr_barrier();
	return r->data + ring_off(r, head);
}

const void *mmr_ring_peek(mmr_ring *r, size_t n)
{
	uint64_t tail;
	size_t fill;

	if (!r || n > r->cap) {
		mmri_err(EINVAL, "mmr_ring_peek: %s", !r ? "ring is NULL" :
			 "more bytes than the capacity");
		errno = EINVAL;
		return NULL;
	}
	tail = atomic_load_explicit(&r->sh->tail, memory_order_relaxed);
	fill = ring_filled_for(r, tail, n);
	if (__builtin_expect(fill == SIZE_MAX || fill < n, 0)) {
		errno = fill == SIZE_MAX ? EINVAL : EAGAIN;
		return NULL;
	}
	mmr_barrier();
	return r->data + ring_off(r, tail);
}

/* ---- sleeping ---- */

static void ts_add_ms(struct timespec *ts, int ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Time left until @end, false if none. */
static bool ts_left(const struct timespec *end, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = end->tv_sec - now.tv_sec;
	left->tv_nsec = end->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000;
	}
	return left->tv_sec >= 0;
}

/* Bytes ready for this side: filled for the consumer, free for the producer. */
static size_t ring_ready(const struct mmr_ring *r, bool readable)
{
	uint64_t head = atomic_load(&r->sh->head);
	uint64_t tail = atomic_load(&r->sh->tail);
	size_t fill = ring_fill(r, head, tail);

	if (fill == SIZE_MAX)
		return 0;
	return readable ? fill : r->cap - fill;
}

/*
 * Sleep on @seq until ring_ready() >= min. The order is what makes it safe:
 * read the futex word, say we sleep, then look at the index (all seq_cst).
 * A peer that moves the index after our look sees the flag and bumps the
 * word, so the futex either wakes us or refuses to sleep (EAGAIN).
 */
static int ring_wait(struct mmr_ring *r, bool readable, size_t min, int timeout_ms,
		     const char *fn)
{
	struct ring_shared *sh = r->sh;
	_Atomic uint32_t *waiting = readable ? &sh->rd_waiting : &sh->wr_waiting;
	_Atomic uint32_t *seq = readable ? &sh->head_seq : &sh->tail_seq;
	const struct timespec slice = { 0, RING_SLICE_MS * 1000000L };
	struct timespec end, left;
	int ret = 0;

	if (min > r->cap)
		return mmri_err(EINVAL, "%s: %zu bytes is more than the capacity (%zu)",
				fn, min, r->cap);
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &end);
		ts_add_ms(&end, timeout_ms);
	}
	for (;;) {
		uint32_t s = atomic_load(seq);
		const struct timespec *rel = NULL;

		atomic_store(waiting, 1);
		if (ring_ready(r, readable) >= (min ? min : 1))
			break;
		if (!timeout_ms) {
			ret = -ETIMEDOUT;
			break;
		}
		if (timeout_ms > 0) {
			if (!ts_left(&end, &left)) {
				ret = -ETIMEDOUT;
				break;
			}
			rel = &left;
		}
		/* Now about to sleep: make a light peer see the flag. */
		if (!ring_sleeper_fence(r) && (!rel || left.tv_sec ||
					      left.tv_nsec > slice.tv_nsec))
			rel = &slice;
		if (ring_ready(r, readable) >= (min ? min : 1))
			break;
		ret = mmri_futex_wait_timeout((uint32_t *)seq, s, 1, rel);
		if (ret && ret != -EAGAIN && ret != -EINTR && ret != -ETIMEDOUT)
			break;
		ret = 0;
	}
	atomic_store(waiting, 0);
	mmr_barrier();
	if (ret == -ETIMEDOUT)
		return mmri_err(ETIMEDOUT, "%s: fewer than %zu bytes after %d ms", fn,
				min ? min : 1, timeout_ms);
	if (ret)
		return mmri_err(ret, "%s: futex wait failed", fn);
	return 0;
}

int mmr_ring_wait_readable(mmr_ring *r, size_t min, int timeout_ms)
{
	if (!r)
		return mmri_err(EINVAL, "mmr_ring_wait_readable: ring is NULL");
	return ring_wait(r, true, min, timeout_ms, "mmr_ring_wait_readable");
}

int mmr_ring_wait_writable(mmr_ring *r, size_t min, int timeout_ms)
{
	if (!r)
		return mmri_err(EINVAL, "mmr_ring_wait_writable: ring is NULL");
	return ring_wait(r, false, min, timeout_ms, "mmr_ring_wait_writable");
}
