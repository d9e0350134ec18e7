/* SPDX-License-Identifier: MIT */
/*
 * memmirror.h - memory mirroring for Linux: the same pages at several
 * virtual addresses of a process, on every kernel.
 *
 * Conventions:
 *  - functions returning int return 0 (or a non-negative value) on success
 *    and -errno on failure;
 *  - functions returning a pointer return NULL and set errno on failure;
 *  - after any failure, mmr_last_error() (thread-local) describes what
 *    failed, why, and what to do about it.
 *
 * ALIASING WARNING: C compilers assume that two different addresses never
 * hold the same byte. Writing through one view and reading the same bytes
 * through another view in the same thread needs a compiler barrier between
 * the two accesses (mmr_barrier()), or volatile/atomic accesses; without it
 * GCC at -O2 may return a stale value. Across threads, the usual atomics
 * already order the accesses.
 */
#ifndef MEMMIRROR_H
#define MEMMIRROR_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* MMR_VERSION_MAJOR, _MINOR, _PATCH and MMR_VERSION_STRING: the version of
 * this header, generated from the source tree's file VERSION. */
#include "memmirror_version.h"

/* The version of the library running, "MAJOR.MINOR.PATCH" (may be newer
 * than MMR_VERSION_STRING, the header's). */
const char *mmr_version(void);

/* Compiler barrier: use between a store through one view and a load of the
 * same bytes through another view in the same thread. */
#define mmr_barrier() __asm__ __volatile__("" ::: "memory")

/* Backends: the mechanism that creates the shared object and its views. */
enum mmr_backend {
	MMR_BACKEND_AUTO = 0,	/* best that works here (or $MMR_BACKEND) */
	MMR_BACKEND_MEMFD,	/* memfd_create (3.17+), hugetlb with 4.14+ */
	MMR_BACKEND_MREMAP,	/* MAP_SHARED|MAP_ANONYMOUS + mremap(old_size=0) */
	MMR_BACKEND_SYSV,	/* shmget/shmat, IPC_RMID at once */
	MMR_BACKEND_POSIX,	/* shm_open + shm_unlink */
	MMR_BACKEND_HUGETLBFS,	/* unlinked file on a mounted hugetlbfs */
	MMR_BACKEND_NATIVE,	/* the kernel's mremap(MREMAP_MIRROR) */
	MMR_BACKEND_COUNT	/* of this header; a newer library may have more */
};

/* Flags for mmr_region_create(), mmr_view(), mmr_mirror() and friends. The
 * low four bits of a create flag word hold an enum mmr_backend. */
#define MMR_BACKEND_MASK	0x0000000fu
#define MMR_HUGE_2MB		0x00000010u /* 2 MiB hugetlb pages, or fail */
#define MMR_HUGE_1GB		0x00000020u /* 1 GiB hugetlb pages, or fail */
#define MMR_HUGE		0x00000040u /* best hugetlb size, else THP,
					     * else base pages: see page_size */
#define MMR_THP			0x00000080u /* shmem transparent huge pages */
#define MMR_POPULATE		0x00000100u /* prefault now */
#define MMR_FIXED		0x00000200u /* map at addr, replacing */
#define MMR_FIXED_NOREPLACE	0x00000400u /* map at addr, EEXIST if busy */

/* mmr_region_open_fd(): refuse (EPERM) an object that is not sealed against
 * shrinking and growing (see mmr_region_seal()). */
#define MMR_REQUIRE_SEALED	0x00010000u
/* mmr_ring_open_fd(): attach a ring whose object is not sealed (posix or
 * hugetlbfs backend). Whoever else holds its fd can then ftruncate() it and
 * make this process die of SIGBUS on its next access: trust them. */
#define MMR_ACCEPT_UNSEALED	0x00020000u

/* mmr_ring_create() and mmr_ring_open_fd(): this handle holds the ring's
 * producer (consumer) end, as a pipe's end is held: its peer learns when
 * it closes the end (mmr_ring_close(), mmr_ring_destroy()), and when the
 * last holder of it goes without closing (exit, exec; a child forked with
 * the handle holds it too). See mmr_ring_create(3), "Ends of the ring". */
#define MMR_RING_PRODUCER	0x00040000u
#define MMR_RING_CONSUMER	0x00080000u
#define MMR_RING_ROLES		(MMR_RING_PRODUCER | MMR_RING_CONSUMER)
/* With a role: the calling thread holds the end, not its whole process.
 * If the thread exits without mmr_ring_close() (the main thread too), the
 * peer's waits return -EPIPE, as they do when the last holder process goes
 * (see mmr_ring_claim()). */
#define MMR_RING_THREAD		0x00100000u

#define MMR_CREATE_FLAGS (MMR_BACKEND_MASK | MMR_HUGE_2MB | MMR_HUGE_1GB | \
			  MMR_HUGE | MMR_THP | MMR_POPULATE)
#define MMR_VIEW_FLAGS (MMR_POPULATE | MMR_FIXED | MMR_FIXED_NOREPLACE)

typedef struct mmr_region mmr_region;

/* ---- regions: shareable backing memory ---- */

int mmr_region_create(mmr_region **out, size_t size, unsigned flags);
/* Attach a region shared by another process through its fd (memfd, POSIX
 * shm or hugetlbfs file). The fd is duplicated; the caller keeps its own.
 * flags: MMR_POPULATE, MMR_THP, MMR_REQUIRE_SEALED. */
int mmr_region_open_fd(mmr_region **out, int fd, unsigned flags);
/* Unmap every view made through the region and free the memory. NULL ok. */
void mmr_region_destroy(mmr_region *r);
/* Seal the region's size for good (F_SEAL_SHRINK | F_SEAL_GROW |
 * F_SEAL_SEAL) so that no holder of its fd can truncate it under another's
 * mappings (SIGBUS). memfd backend only: -EPERM for posix and hugetlbfs
 * files, -EOPNOTSUPP without an fd. mmr_region_resize() then fails. */
int mmr_region_seal(mmr_region *r);

int mmr_region_resize(mmr_region *r, size_t new_size);
/* Give [off, off+len) back to the system: every view then reads zeros. */
int mmr_region_discard(mmr_region *r, size_t off, size_t len);
/* The region's file descriptor (close-on-exec), owned by the region, or
 * -EOPNOTSUPP for backends without one (mremap, sysv). */
int mmr_region_fd(const mmr_region *r);

size_t mmr_region_size(const mmr_region *r);
size_t mmr_region_page_size(const mmr_region *r);
enum mmr_backend mmr_region_backend(const mmr_region *r);
const char *mmr_backend_name(enum mmr_backend b);
/* Parse a backend name ("memfd", "sysv", ...); -EINVAL if unknown. */
int mmr_backend_from_name(const char *name);

/* ---- views ---- */

/* Map [off, off+len) of the region: at addr with MMR_FIXED (replacing
 * what is there) or MMR_FIXED_NOREPLACE (EEXIST if anything is there),
 * anywhere otherwise (addr is then ignored: pass NULL). prot is a mix of
 * PROT_READ, PROT_WRITE and PROT_EXEC. off and len must be multiples of
 * the region's page size. */
void *mmr_view(mmr_region *r, size_t off, size_t len, void *addr, int prot,
	       unsigned flags);
/* Unmap a view made by mmr_view(); addr and len must match it exactly. */
int mmr_unview(mmr_region *r, void *addr, size_t len);
/* Number of live views of the region. */
size_t mmr_region_view_count(const mmr_region *r);

/* ---- mirrors of existing mappings ---- */

/* Map the pages of [addr, addr+len), a shared mapping of this process, a
 * second time, at new_addr (with MMR_FIXED or MMR_FIXED_NOREPLACE) or
 * anywhere. Same object, same offsets, same protection. Private mappings
 * cannot be mirrored (EINVAL). Undo with munmap(). */
void *mmr_mirror(void *addr, size_t len, void *new_addr, unsigned flags);

/* ---- errors ---- */

/* Thread-local description of the last failure in this thread. */
const char *mmr_last_error(void);

/* ---- probing ---- */

struct mmr_backend_status {
	int available;		/* 1 if regions of base pages can be made */
	int error;		/* errno of the failed probe, 0 if available */
	char why[200];		/* why not, and how to fix it */
};

/* Room for every backend a create flag word can name (MMR_BACKEND_MASK):
 * a new backend never changes the report's layout. */
#define MMR_BACKEND_SLOTS 16

/*
 * Extensible: later versions only append fields. mmr_probe() fills this
 * layout; mmr_probe_size() fills as much of a caller's struct as both the
 * caller and the library know, and says how much that is.
 */
struct mmr_probe_report {
	struct mmr_backend_status backend[MMR_BACKEND_SLOTS];
	unsigned backend_count;		/* entries the library filled: its
					 * MMR_BACKEND_COUNT */
	enum mmr_backend best;		/* what MMR_BACKEND_AUTO picks */
	int native_mirror;		/* kernel has MREMAP_MIRROR */
	int native_populate;		/* kernel has MREMAP_POPULATE */
	int native_hugetlb;		/* MREMAP_MIRROR works on hugetlb */
	size_t base_page_size;
	long huge_2m_total, huge_2m_free;	/* -1: size not supported */
	long huge_1g_total, huge_1g_free;
	int hugetlbfs_2m_mounted, hugetlbfs_1g_mounted;
	char thp_shmem[32];		/* /sys/.../shmem_enabled choice */
	char kernel[96];		/* uname -r */
	unsigned kernel_major, kernel_minor;
};

/* Fill *rep. Probed once per process and cached (thread-safe); huge page
 * pool counters are re-read on every call. */
int mmr_probe(struct mmr_probe_report *rep);
/* Fill the first @size bytes of *rep (pass sizeof(*rep)); bytes past what
 * this library knows are zeroed. Returns the bytes filled, or -EINVAL. */
int mmr_probe_size(struct mmr_probe_report *rep, size_t size);
/* Forget the cached probe: the next mmr_probe() tests everything again. */
void mmr_probe_reset(void);

/* ---- ring buffer: src/ring.c (see mmr_ring_create(3)) ---- */

/*
 * A single-producer single-consumer byte ring whose data is mapped twice,
 * back to back: every free or filled span is contiguous, so records are
 * written and parsed in place, never split at the end. The indices live in
 * a header page of the shared object: a ring made with mmr_ring_create()
 * can be attached by another process from its fd (mmr_ring_open_fd()).
 *
 * Indices run free: an empty ring offers mmr_ring_capacity() bytes. One
 * thread (or process) produces, one consumes; nothing else is locked.
 * Misuse (producing more than was free, consuming more than was filled)
 * changes nothing, records a message for mmr_last_error() and counts in
 * mmr_ring_error(). The functions cross views with compiler barriers, so
 * one thread may both produce and consume (see mmr_ring_create(3)).
 */
typedef struct mmr_ring mmr_ring;

/* min_size is rounded up to the page (or huge page) size. flags: the
 * create flags of mmr_region_create() (backend, MMR_HUGE*, MMR_POPULATE);
 * with no backend named, $MMR_BACKEND or AUTO's order, fd backends first. */
int mmr_ring_create(mmr_ring **out, size_t min_size, unsigned flags);
/* Attach the ring behind @fd (from mmr_ring_fd() of another process); the
 * fd is duplicated. flags: 0 or MMR_POPULATE. -EINVAL if @fd holds no ring
 * of this version. */
int mmr_ring_open_fd(mmr_ring **out, int fd, unsigned flags);
void mmr_ring_destroy(mmr_ring *r);

/* Producer: where to write, and how many contiguous bytes are free. */
void *mmr_ring_write_ptr(mmr_ring *r, size_t *avail);
/* Publish @n bytes written at mmr_ring_write_ptr(). */
void mmr_ring_produce(mmr_ring *r, size_t n);
/* Consumer: where to read, and how many contiguous bytes are filled. */
const void *mmr_ring_read_ptr(mmr_ring *r, size_t *avail);
/* Release @n bytes read at mmr_ring_read_ptr() to the producer. */
void mmr_ring_consume(mmr_ring *r, size_t n);
/* For a known size: @n contiguous free bytes (then mmr_ring_produce()), or
 * the next @n filled bytes (then mmr_ring_consume()); NULL with errno
 * EAGAIN while there are fewer, EINVAL if @n > capacity. The other side's
 * index is read only when the last one seen is not enough. */
void *mmr_ring_reserve(mmr_ring *r, size_t n);
const void *mmr_ring_peek(mmr_ring *r, size_t n);
/* Batches of records of @size bytes: *count in, the most wanted; out, how
 * many are free (filled) and contiguous there, at least 1; then produce
 * (consume) count * size bytes at once. NULL with errno EAGAIN (*count 0)
 * while not even one is, EINVAL for a NULL ring or count, a 0 size or
 * *count, or a record larger than the capacity. */
void *mmr_ring_reserve_records(mmr_ring *r, size_t size, size_t *count);
const void *mmr_ring_peek_records(mmr_ring *r, size_t size, size_t *count);

/* Sleep (futex on the shared header) until at least @min bytes can be
 * read (written), or @timeout_ms pass (-1: forever, 0: just check). The
 * other side wakes the sleeper only once @min is reached. 0 when ready;
 * MMR_RING_EOF (readable) when the producer closed its end and fewer than
 * @min bytes are left (read them with mmr_ring_read_ptr()); -EPIPE when the
 * peer's end is dead: every holder of it exited or exec'd without closing
 * (its thread exited, for an end held with MMR_RING_THREAD) (readable:
 * once fewer than @min bytes are left; every byte it produced can still be
 * read) or, for writable, the consumer closed or is dead; -ETIMEDOUT;
 * -EINVAL if @min exceeds the capacity. A death is seen within 50 ms. The
 * spin before sleeping (mmr_ring_set_spin()) stops after 100 us or at the
 * timeout; timeout 0 does not spin. */
#define MMR_RING_EOF 1
int mmr_ring_wait_readable(mmr_ring *r, size_t min, int timeout_ms);
int mmr_ring_wait_writable(mmr_ring *r, size_t min, int timeout_ms);
/* Close the ends this handle holds (MMR_RING_PRODUCER/CONSUMER): the
 * consumer then drains and gets MMR_RING_EOF, the producer -EPIPE.
 * mmr_ring_destroy() does it too. */
int mmr_ring_close(mmr_ring *r);
/* Claim ends of the ring for this handle: @flags MMR_RING_PRODUCER and/or
 * MMR_RING_CONSUMER, with MMR_RING_THREAD for the calling thread alone
 * (two threads sharing a handle, an end each: each thread's
 * mmr_ring_close() then closes its own end). The end's earlier holder no
 * longer holds it (nor keeps it alive). */
int mmr_ring_claim(mmr_ring *r, unsigned flags);
/* Waiting in poll()/epoll beside other fds. The handle must hold exactly
 * one end. mmr_ring_poll_fd(): an eventfd (owned by the ring) that becomes
 * readable when the consumer's (producer's) threshold set by
 * mmr_ring_poll_arm() is met or the peer closes. mmr_ring_poll_arm(): 0
 * when @min bytes are ready now, MMR_RING_EOF, -EPIPE, or -EAGAIN: armed,
 * poll the fd, then call it again. The eventfds travel with
 * mmr_ring_send() and fork(); a ring from mmr_ring_open_fd() has none
 * (-EOPNOTSUPP), and arming against a peer without them is -EOPNOTSUPP.
 * mmr_ring_peer_pidfd(): a pidfd of the process that last claimed the
 * peer's end (owned by the ring), readable when it exits: a hint to call
 * mmr_ring_poll_arm() (the end may outlive it), or -ENOENT. */
int mmr_ring_poll_fd(const mmr_ring *r);
int mmr_ring_poll_arm(mmr_ring *r, size_t min);
int mmr_ring_peer_pidfd(mmr_ring *r);
/* How many times a wait checks the indices before it sleeps (default 256,
 * measured in bench/RESULTS.md); 0 sleeps at once. */
int mmr_ring_set_spin(mmr_ring *r, unsigned checks);

/* Hand the ring to the process at the other end of UNIX socket @sock
 * (SCM_RIGHTS), and take it there: mmr_ring_recv() attaches it as
 * mmr_ring_open_fd(out, fd, flags) would (@flags: MMR_POPULATE,
 * MMR_ACCEPT_UNSEALED, MMR_RING_PRODUCER or MMR_RING_CONSUMER). -EPROTO
 * if the message is not a ring, -EPIPE if the peer closed the socket. */
int mmr_ring_send(int sock, const mmr_ring *r);
int mmr_ring_recv(int sock, mmr_ring **out, unsigned flags);

size_t mmr_ring_capacity(const mmr_ring *r);
/* The shared object's fd (owned by the ring), or -EOPNOTSUPP. */
int mmr_ring_fd(const mmr_ring *r);
/* How many misuses (bad produce/consume, corrupt indices) were refused,
 * counted in the shared header: sticky, seen by both processes. */
int mmr_ring_error(const mmr_ring *r);

/* ---- the ring's inline fast path: src/ring_fast.c (mmr_ring_fast_init(3)) ---- */

/*
 * One end of a ring as a program sees it when it moves records one at a
 * time: the per-record calls below are static inline over this struct (as
 * liburing's are over its rings), so a record costs a few instructions and
 * no call. mmr_ring_fast_init() fills it; waits, wake-ups of a sleeping
 * peer, liveness and misuse stay in the library.
 *
 * ABI: the struct's layout and the protocol the inline code follows with
 * the shared header (free-running 64-bit indices, the peer's threshold
 * checked after each release store, see mmr_ring_fast_init(3)) are part of
 * SONAME 0, as numbered by MMR_RING_FAST_VERSION: a later library fills
 * the struct for the version and size a program was built with, or refuses
 * it with -EPROTO; it never changes what version 1 means.
 */
#define MMR_RING_FAST_VERSION	1u
/* flags: publish with a release store alone (the sleeper runs membarrier). */
#define MMR_RING_FAST_LIGHT	0x1u

struct mmr_ring_fast {
	uint32_t size;		/* bytes the library filled (sizeof, version 1) */
	uint32_t version;	/* MMR_RING_FAST_VERSION it was filled for */
	uint32_t role;		/* MMR_RING_PRODUCER or MMR_RING_CONSUMER; 0:
				 * not set up (every call refuses) */
	uint32_t flags;		/* MMR_RING_FAST_LIGHT */
	mmr_ring *ring;		/* the handle, for the slow paths */
	unsigned char *data;	/* first copy of the data; the second follows */
	uint64_t cap;		/* data bytes */
	uint64_t mask;		/* cap - 1 if cap is a power of two, else 0 */
	uint64_t *own;		/* this end's index (head or tail), shared */
	const uint64_t *peer;	/* the other end's index, shared */
	uint64_t *want;		/* the other end's threshold: 0, or the index
				 * at which it wants waking */
	uint64_t seen;		/* the other end's index as last read */
};

/* Fill @f for the @role (MMR_RING_PRODUCER or MMR_RING_CONSUMER) end of
 * @r, for a program built with @version and @size: call it through
 * mmr_ring_fast_init(). 0, -EINVAL (NULL, bad role, @size too small), or
 * -EPROTO (a version this library does not speak); on failure @f is left
 * unusable (every call on it refuses with EINVAL). */
int mmr_ring_fast_setup(mmr_ring *r, unsigned role, struct mmr_ring_fast *f,
			unsigned version, size_t size);
/* The slow halves of the inline calls. mmr_ring_fast_wake(): wake the
 * sleeping peer. mmr_ring_fast_slow(): what the inline call @op
 * (MMR_RING_FAST_GET: reserve or peek; MMR_RING_FAST_PUT: produce or
 * consume) of the @role end could not do from the last index seen: it
 * looks at the peer's index again, then does the call, or refuses a
 * NULL, unset or wrong-end @f, more bytes than the capacity or than are
 * free (filled), and corrupt indices (EINVAL, message, counted in
 * mmr_ring_error()); a GET returns NULL with errno EAGAIN while fewer
 * bytes are free (filled). mmr_ring_fast_refuse(): the same refusals for
 * programs built with earlier headers, the end named by @fn. */
#define MMR_RING_FAST_GET	0u
#define MMR_RING_FAST_PUT	1u
void mmr_ring_fast_wake(const struct mmr_ring_fast *f);
void *mmr_ring_fast_slow(struct mmr_ring_fast *f, unsigned role, unsigned op, size_t n);
void *mmr_ring_fast_refuse(const struct mmr_ring_fast *f, const char *fn);

static inline int mmr_ring_fast_init(mmr_ring *r, unsigned role,
				     struct mmr_ring_fast *f)
{
	return mmr_ring_fast_setup(r, role, f, MMR_RING_FAST_VERSION, sizeof(*f));
}

/*
 * The ring's index protocol, written once: these inline calls are what
 * programs compile in, and what the library's own mmr_ring_produce(),
 * mmr_ring_consume(), mmr_ring_reserve() and mmr_ring_peek() run (as
 * liburing's library and programs share its inline ring helpers).
 *
 * The barriers, by name:
 *   mmr_ring_fast_own_()      this end's index: written by this end only,
 *			       its own last store, no ordering;
 *   mmr_ring_fast_acquire_()  the peer's index, acquire: the producer's
 *			       stores to the bytes it produced happen before
 *			       the consumer's loads of them; the consumer's
 *			       loads of the bytes it released happen before
 *			       the producer overwrites them;
 *   mmr_ring_fast_publish_()  release store of this end's index, then a
 *			       look at the peer's threshold: light, program
 *			       order alone (a sleeper runs membarrier(2)
 *			       after storing its threshold); heavy, both
 *			       seq_cst. The pairing is in src/ring_sync.c.
 * and mmr_barrier() around the spans, which the caller reads and writes
 * through a view the peer reaches through the other.
 *
 * Producer and consumer make the same move with one number changed (as
 * DPDK's __rte_ring_headtail_move_head_st takes the capacity or 0): the
 * bytes an end may move are bias + peer - own, bias the capacity for the
 * producer (free = capacity + tail - head) and 0 for the consumer
 * (filled = head - tail); more than the capacity means corrupt indices.
 */
static inline uint64_t mmr_ring_fast_own_(const struct mmr_ring_fast *f)
{
	return __atomic_load_n(f->own, __ATOMIC_RELAXED);
}

static inline uint64_t mmr_ring_fast_acquire_(const struct mmr_ring_fast *f)
{
	return __atomic_load_n(f->peer, __ATOMIC_ACQUIRE);
}

static inline size_t mmr_ring_fast_off_(const struct mmr_ring_fast *f, uint64_t idx)
{
	return (size_t)(f->mask ? idx & f->mask : idx % f->cap);
}

/* Store this end's new index, then wake the peer if it sleeps and @idx
 * meets its threshold. */
static inline void mmr_ring_fast_publish_(const struct mmr_ring_fast *f, uint64_t idx)
{
	uint64_t w;

	if (f->flags & MMR_RING_FAST_LIGHT) {
		__atomic_store_n(f->own, idx, __ATOMIC_RELEASE);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		w = __atomic_load_n(f->want, __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(f->own, idx, __ATOMIC_SEQ_CST);
		w = __atomic_load_n(f->want, __ATOMIC_SEQ_CST);
	}
	if (__builtin_expect(w != 0, 0) && (int64_t)(idx - w) >= 0)
		mmr_ring_fast_wake(f);
}

/* Whether @n bytes are not there by the peer's index @peer: fewer than
 * @n, or corrupt indices (as one unsigned comparison: n <= avail <= cap). */
static inline int mmr_ring_fast_short_(const struct mmr_ring_fast *f, uint64_t bias,
				       uint64_t own, uint64_t peer, size_t n)
{
	return bias + peer - own - n > f->cap - n;
}

/* The bias of an end: the capacity for the producer, 0 for the consumer. */
static inline uint64_t mmr_ring_fast_bias_(const struct mmr_ring_fast *f, unsigned role)
{
	return role == MMR_RING_PRODUCER ? f->cap : 0;
}

/* reserve (producer) and peek (consumer): @n contiguous bytes; the
 * peer's line is read only when the last index seen leaves too few. */
static inline void *mmr_ring_fast_get_(struct mmr_ring_fast *f, unsigned role, size_t n)
{
	uint64_t own, bias;

	if (__builtin_expect(!f || f->role != role || n > f->cap, 0))
		return mmr_ring_fast_slow(f, role, MMR_RING_FAST_GET, n);
	own = mmr_ring_fast_own_(f);
	bias = mmr_ring_fast_bias_(f, role);
	if (__builtin_expect(mmr_ring_fast_short_(f, bias, own, f->seen, n), 0)) {
		f->seen = mmr_ring_fast_acquire_(f);
		if (mmr_ring_fast_short_(f, bias, own, f->seen, n)) {
			if (bias + f->seen - own <= f->cap) {
				errno = EAGAIN;
				return NULL;
			}
			return mmr_ring_fast_slow(f, role, MMR_RING_FAST_GET, n);
		}
	}
	mmr_barrier();
	return f->data + mmr_ring_fast_off_(f, own);
}

/* produce (producer) and consume (consumer): publish @n bytes moved at
 * the get; the slow path looks at the peer's index again, or refuses. */
static inline void mmr_ring_fast_put_(struct mmr_ring_fast *f, unsigned role, size_t n)
{
	uint64_t own, bias;

	if (__builtin_expect(!f || f->role != role, 0)) {
		mmr_ring_fast_slow(f, role, MMR_RING_FAST_PUT, n);
		return;
	}
	own = mmr_ring_fast_own_(f);
	bias = mmr_ring_fast_bias_(f, role);
	/* The caller's accesses to the span stay before the release. */
	mmr_barrier();
	if (__builtin_expect(n > f->cap ||
			     mmr_ring_fast_short_(f, bias, own, f->seen, n), 0)) {
		mmr_ring_fast_slow(f, role, MMR_RING_FAST_PUT, n);
		return;
	}
	mmr_ring_fast_publish_(f, own + n);
	mmr_barrier();
}

/* mmr_ring_reserve() inline: @n contiguous free bytes, or NULL with errno
 * EAGAIN (fewer free) or EINVAL (misuse, corrupt indices: message). */
static inline void *mmr_ring_fast_reserve(struct mmr_ring_fast *f, size_t n)
{
	return mmr_ring_fast_get_(f, MMR_RING_PRODUCER, n);
}

/* mmr_ring_produce() inline: publish @n bytes written at the reserve. */
static inline void mmr_ring_fast_produce(struct mmr_ring_fast *f, size_t n)
{
	mmr_ring_fast_put_(f, MMR_RING_PRODUCER, n);
}

/* mmr_ring_peek() inline: the next @n filled bytes, or NULL with errno
 * EAGAIN (fewer filled) or EINVAL. */
static inline const void *mmr_ring_fast_peek(struct mmr_ring_fast *f, size_t n)
{
	return mmr_ring_fast_get_(f, MMR_RING_CONSUMER, n);
}

/* mmr_ring_consume() inline: release @n bytes read at the peek. */
static inline void mmr_ring_fast_consume(struct mmr_ring_fast *f, size_t n)
{
	mmr_ring_fast_put_(f, MMR_RING_CONSUMER, n);
}

/* ---- end of ring buffer ---- */




/* ---- multi-view heap with colored pointers: src/heap.c ---- */

/*
 * A heap mapped at 2 to 16 virtual addresses ("views") that differ only in
 * a few high "color" bits, for garbage collectors that keep mark or
 * relocation state in their pointers (ZGC's multi-mapping). Every colored
 * address of an object reaches the same bytes, so a pointer's color is a
 * pure bit operation:
 *   mmr_heap_color(h, p, v) == (p & ~mmr_heap_color_mask(h)) |
 *                              ((uintptr_t)v << mmr_heap_color_shift(h))
 *
 * The address space of every view is reserved at creation (MAP_NORESERVE:
 * free until used); memory is committed and uncommitted in ranges, for all
 * views at once. Uncommitted ranges are PROT_NONE in every view: touching
 * them raises SIGSEGV. Freshly committed memory reads as zeros.
 *
 * See the aliasing warning above: a store through one color and a load
 * through another in the same thread need mmr_barrier() between them.
 */
typedef struct mmr_heap mmr_heap;

#define MMR_HEAP_MIN_VIEWS	2
#define MMR_HEAP_MAX_VIEWS	16

/* Create a heap of @size bytes (rounded up to the page size) and @nviews
 * views. @flags: a backend (default: $MMR_BACKEND, else AUTO), MMR_HUGE*,
 * MMR_THP, MMR_POPULATE (commit prefaults every view). */
int mmr_heap_create(mmr_heap **out, size_t size, unsigned nviews, unsigned flags);
/* Unmap every view and free the memory. NULL is fine. */
void mmr_heap_destroy(mmr_heap *h);

/* Address of byte 0 of the heap through @view; NULL (EINVAL) if no view. */
void *mmr_heap_base(const mmr_heap *h, unsigned view);
/* @p recolored for @view; NULL (EINVAL) if @p is outside the heap's slots
 * or @view does not exist. */
void *mmr_heap_color(const mmr_heap *h, const void *p, unsigned view);
/* The view (color) @p points into, or UINT_MAX (EINVAL) if outside. */
unsigned mmr_heap_view_of(const mmr_heap *h, const void *p);
uintptr_t mmr_heap_color_mask(const mmr_heap *h);
unsigned mmr_heap_color_shift(const mmr_heap *h);
unsigned mmr_heap_views(const mmr_heap *h);
size_t mmr_heap_size(const mmr_heap *h);
/* Granularity of commit/uncommit offsets and lengths (the page size). */
size_t mmr_heap_page_size(const mmr_heap *h);

/* Back [off, off+len) with memory in every view (allocated now, so a
 * shortage is an error here and not a SIGBUS later). Committing a range
 * that is partly committed keeps the committed part's contents. */
int mmr_heap_commit(mmr_heap *h, size_t off, size_t len);
/* Return [off, off+len) to the system; every view faults on it after. */
int mmr_heap_uncommit(mmr_heap *h, size_t off, size_t len);
/* Bytes committed now. */
size_t mmr_heap_committed(const mmr_heap *h);
/* The backing region (for mmr_region_fd() and friends); owned by @h. */
mmr_region *mmr_heap_region(const mmr_heap *h);

/*
 * Physical and virtual apart (as ZGC's page cache needs). The heap's
 * memory ("physical": byte offsets 0 .. mmr_heap_size() of its object) and
 * its address space ("virtual": offsets 0 .. mmr_heap_reserved() of every
 * view) are kept apart: any committed granule can be mapped at any free
 * virtual offset of all views or of chosen ones, unmapped (the address
 * space stays reserved and faults), and moved to another virtual offset
 * with its contents. The library keeps both books and refuses a misuse
 * (mapping memory that is not committed, mapping over a mapped range,
 * unmapping what is not mapped, uncommitting memory still mapped) with an
 * errno and a message, never leaving a view that shows other data.
 *
 * mmr_heap_commit(h, off, len) is physical commit plus a map at virtual
 * offset off in every view (file offset X at view offset X); it refuses
 * (EBUSY) a range mapped elsewhere with mmr_heap_map().
 */

/* mmr_heap_layout.flags, with the create flags (a backend, MMR_HUGE*,
 * MMR_THP, MMR_POPULATE). */
#define MMR_HEAP_ONE_BIT	0x01000000u /* view v's color is bit shift+v (ZGC's
					     * Marked0/Marked1/Remapped), not the
					     * number v at shift */
#define MMR_HEAP_FIXED_BASE	0x02000000u /* base exactly, EEXIST if taken */
#define MMR_HEAP_STRICT_MAPS	0x04000000u /* fail (ENOMEM) instead of warning when
					     * vm.max_map_count is too low */
#define MMR_HEAP_ALL_VIEWS	(~0u)	    /* a views mask naming every view */

struct mmr_heap_layout {
	size_t size;		/* physical: bytes of memory the heap may hold */
	size_t reserve;		/* virtual: bytes of address space per view, at
				 * least size (0: size); ZGC reserves 16x */
	unsigned views;		/* 2 to 16 */
	unsigned flags;		/* create flags | MMR_HEAP_* */
	unsigned color_shift;	/* lowest color bit (0: the library's choice) */
	uintptr_t base;		/* the address with no color bits set that view
				 * addresses are built on: with MMR_HEAP_FIXED_BASE
				 * exactly (0 is fine with MMR_HEAP_ONE_BIT: ZGC's
				 * views at 4/8/16 TiB), else a hint */
	size_t granule;		/* the unit the caller maps in, for the
				 * vm.max_map_count check (0: 2 MiB) */
};

/* Create a heap with the caller's layout. EINVAL with the numbers when the
 * address space cannot hold it, EEXIST when a fixed base is taken. */
int mmr_heap_create_layout(mmr_heap **out, const struct mmr_heap_layout *layout);
/* Bytes of address space per view (the virtual offsets' limit). */
size_t mmr_heap_reserved(const mmr_heap *h);
/* NULL, or why this heap may run out of mappings (vm.max_map_count). */
const char *mmr_heap_warning(const mmr_heap *h);

/* mmr_heap_commit_phys() NUMA policies (Linux MPOL_* values). */
#define MMR_NUMA_DEFAULT	0
#define MMR_NUMA_PREFERRED	1
#define MMR_NUMA_INTERLEAVE	3

/* Allocate the memory of physical [off, off+len) without mapping it. What
 * can be committed is: *@done (may be NULL) is the length of the prefix of
 * the range committed on return; a shortage returns -ENOMEM/-ENOSPC with
 * *@done < @len. @numa_mode != MMR_NUMA_DEFAULT places the range's pages on
 * the nodes of bit mask @nodes (fd backends, base pages). */
int mmr_heap_commit_phys(mmr_heap *h, size_t off, size_t len, int numa_mode,
			 unsigned long nodes, size_t *done);
/* Give physical [off, off+len) back; EBUSY if any of it is still mapped. */
int mmr_heap_uncommit_phys(mmr_heap *h, size_t off, size_t len);
/* Map committed physical [poff, poff+len) at virtual @voff of the views in
 * bit mask @views (MMR_HEAP_ALL_VIEWS: all). EINVAL if not committed,
 * EEXIST if any of the virtual range is mapped in one of those views. */
int mmr_heap_map(mmr_heap *h, size_t voff, size_t poff, size_t len, unsigned views);
/* Unmap virtual [voff, voff+len) of @views, keeping it reserved (it
 * faults); EINVAL if any of it is not mapped. */
int mmr_heap_unmap(mmr_heap *h, size_t voff, size_t len, unsigned views);
/* Move what is mapped at virtual [from, from+len) of @views to @to, with
 * its contents (the memory stays, only addresses change). */
int mmr_heap_move(mmr_heap *h, size_t to, size_t from, size_t len, unsigned views);
/* The physical offset mapped at virtual @voff of @view: 0 and *@poff, or
 * -ENOENT if nothing is mapped there. */
int mmr_heap_phys_of(const mmr_heap *h, unsigned view, size_t voff, size_t *poff);

/* ---- end of multi-view heap ---- */

/* ---- double-mapped buffer: src/circbuf.c (see mmr_circbuf_create(3)) ---- */

/*
 * N bytes mapped twice, back to back, and no protocol: base[i] and
 * base[i + N] are the same byte, so the N bytes from any offset in
 * [0, N] are contiguous. The caller keeps its own indices (GNU Radio's
 * vmcircbuf, slice-deque, magic-buffer). Thread-safe; a released buffer
 * may be kept, its pages given back, for the next create of the same size
 * and flags, which is then cheap (mmr_circbuf_trim() frees them).
 */
typedef struct mmr_circbuf mmr_circbuf;

/* min_size is rounded up to the page (or huge page) size; the memory
 * reads zeros. flags: the create flags of mmr_region_create() (backend,
 * MMR_HUGE*, MMR_THP, MMR_POPULATE); with no backend, $MMR_BACKEND or
 * AUTO's choice. */
int mmr_circbuf_create(mmr_circbuf **out, size_t min_size, unsigned flags);
/* Unmap both halves (or keep them for a later create). NULL ok. */
void mmr_circbuf_destroy(mmr_circbuf *cb);
/* The first of the 2 * mmr_circbuf_size() bytes. */
void *mmr_circbuf_base(const mmr_circbuf *cb);
/* N: the buffer's size, a multiple of its page size. */
size_t mmr_circbuf_size(const mmr_circbuf *cb);
size_t mmr_circbuf_page_size(const mmr_circbuf *cb);
/* Unmap the released buffers kept for reuse. */
void mmr_circbuf_trim(void);

/* ---- end of double-mapped buffer ---- */

#ifdef __cplusplus
}
#endif

#endif /* MEMMIRROR_H */
