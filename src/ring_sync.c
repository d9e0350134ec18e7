// SPDX-License-Identifier: MIT
/*
 * mmr_ring synchronisation: how a side that publishes wakes a side that
 * sleeps, how the sleeper goes to sleep without losing a wake-up, and how a
 * side learns that the other closed its end or died.
 *
 * The data path (ring.c) publishes indices with the inline pairs of
 * ring_sync.h; this file holds the slow paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/membarrier.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "linux_compat.h"
#include "error.h"
#include "ring_sync.h"
#include "syscall.h"

int mmri_ring_misuse(const struct mmr_ring *r, const char *fmt, ...)
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
 * A publisher stores its index, then reads the sleeper's threshold; a side
 * going to sleep stores its threshold, then reads the index. Each must see
 * the other's store, so one of the two needs a full fence between its store
 * and its load. Publishers run on every record; sleepers run rarely and are
 * about to make a system call anyway. So the sleeper pays: after storing
 * its threshold it calls membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), which
 * runs a full barrier on every CPU running a thread of a registered
 * process, and the publisher keeps program order with a compiler barrier
 * alone ("light"). A process that cannot register publishes with seq_cst
 * stores instead ("heavy"), as every process does on kernels without the
 * command (before 4.16, or CONFIG_MEMBARRIER=n). A sleeper that cannot
 * issue the barrier sleeps in short slices if a light peer ever attached
 * (light_peers in the header).
 */
enum ring_fence {
	FENCE_UNKNOWN,
	FENCE_LIGHT,		/* registered: publishers skip the fence */
	FENCE_NO_KERNEL,	/* no such command: every publisher here is heavy */
	FENCE_HEAVY,		/* the kernel has it, this process did not register */
};

#define RING_SLICE_MS	5	/* the longest a lost wake-up can delay a sleeper */
/* The longest a sleeper takes to notice that its peer died. */
#define RING_LIVENESS_MS 50

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
 * The sleeper's half: between storing its threshold and looking at the
 * index. False if it must sleep in slices: its barrier failed (a seccomp
 * filter, say, even one that fakes ENOSYS) and a light peer may miss it.
 */
static bool ring_sleeper_fence(const struct mmr_ring *r)
{
	/* The threshold store and the index loads are seq_cst: heavy peers
	 * need nothing more. */
	if (ring_fence_init() != FENCE_NO_KERNEL &&
	    !mmri_membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0))
		return true;
	return !atomic_load(&r->sh->light_peers);
}

/* Make a poller's eventfd readable (a counter: repeats are harmless). */
static void ring_kick(int efd)
{
	uint64_t one = 1;

	if (efd >= 0)
		mmri_write(efd, &one, sizeof(one));
}

static void ring_wake_both(const struct mmr_ring *r)
{
	struct ring_shared *sh = r->sh;

	atomic_fetch_add(&sh->head_seq, 1);
	atomic_fetch_add(&sh->tail_seq, 1);
	mmri_futex_wake((uint32_t *)&sh->head_seq, INT_MAX, 1);
	mmri_futex_wake((uint32_t *)&sh->tail_seq, INT_MAX, 1);
	ring_kick(r->efd[RING_CONSUMER]);
	ring_kick(r->efd[RING_PRODUCER]);
}

/*
 * Say in the header that this side publishes light, before it first does.
 * A sleeper that cannot issue the barrier and saw no light peer sleeps
 * without slices; wake both sides once so that it looks again.
 */
void mmri_ring_sync_attach(struct mmr_ring *r)
{
	r->light = ring_fence_init() == FENCE_LIGHT;
	r->peer_fd[0] = r->peer_fd[1] = -1;
	if (!r->light || atomic_exchange(&r->sh->light_peers, 1))
		return;
	ring_wake_both(r);
}

/* The publisher's slow half: the sleeper's threshold was met. */
void mmri_ring_wake(const struct mmr_ring *r, bool readable)
{
	struct ring_shared *sh = r->sh;
	_Atomic uint64_t *want = readable ? &sh->rd_want : &sh->wr_want;
	_Atomic uint32_t *seq = readable ? &sh->head_seq : &sh->tail_seq;

	if (!atomic_exchange(want, 0))
		return;
	atomic_fetch_add(seq, 1);
	if (atomic_load(readable ? &sh->rd_poll : &sh->wr_poll))
		ring_kick(r->efd[readable ? RING_CONSUMER : RING_PRODUCER]);
	else
		mmri_futex_wake((uint32_t *)seq, INT_MAX, 1);
}

/* ---- the ends: who holds them, closed or dead ---- */

/*
 * An end has pipe semantics: it is alive while a holder holds its claim's
 * lock, and the kernel drops that lock when the last holder goes, however
 * it goes; no pid, start time, namespace or /proc mount enters into it.
 *
 * An end held by a process: a shared (read) OFD lock, F_OFD_SETLK, on
 * byte ring_lock_byte() of the object, through an open file description
 * of the handle's own (close-on-exec). The kernel drops it when the last
 * fd of that description is closed: mmr_ring_destroy(), exit, or exec. A
 * child forked with the handle shares the description, so the end lives
 * on while either holds it, as a pipe's end does. A peer tests it with
 * F_OFD_GETLK through another description (locks of the one it tests
 * through do not count, and none is ever taken there).
 *
 * An end held by a thread (MMR_RING_THREAD): a robust process-shared
 * mutex in the header, locked by that thread. The kernel marks it
 * owner-died when the thread exits or its process execs; a peer tests it
 * with pthread_mutex_trylock(). Both sides must then use the same C
 * library (its pthread_mutex_t is in the shared header).
 *
 * Each claim takes a new token (the byte, or the mutex slot token & 1),
 * so an earlier holder that still holds its lock does not keep the end
 * alive once another holder claimed it.
 */
_Static_assert(sizeof(pthread_mutex_t) <= RING_MUTEX_SIZE &&
	       _Alignof(pthread_mutex_t) <= 16, "a mutex fits its slot");

static off_t ring_lock_byte(uint64_t token, enum ring_role role)
{
	/* Far from 0 only for readability in /proc/locks; any byte will do. */
	return (off_t)((token & ((1ull << 60) - 1)) * 2 + role);
}

static pthread_mutex_t *ring_mutex(struct ring_shared *sh, enum ring_role role,
				   uint64_t token)
{
	return (pthread_mutex_t *)(void *)sh->end[role].mutex[token & 1];
}

/* The creator makes the mutexes before publishing the header. */
int mmri_ring_ends_init(struct mmr_ring *r)
{
	pthread_mutexattr_t a;
	int ret;

	ret = pthread_mutexattr_init(&a);
	if (!ret)
		ret = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!ret)
		ret = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (!ret)
		ret = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	for (int i = 0; !ret && i < 4; i++)
		ret = pthread_mutex_init(ring_mutex(r->sh, (enum ring_role)(i / 2),
						    (uint64_t)i), &a);
	pthread_mutexattr_destroy(&a);
	if (ret)
		return mmri_err(ret, "cannot make the robust mutexes of the ring's ends");
	return 0;
}

/*
 * The file the ends' locks live on: the object itself, or, for a backend
 * without an fd (sysv, mremap: shared with children only), a memfd of our
 * own that the children inherit with the handle. -1 if neither: then an
 * end held by a process is never seen to die, only to close.
 */
void mmri_ring_lock_file(struct mmr_ring *r)
{
	int fd = mmr_region_fd(r->reg);

	mmri_clear_error();
	r->lock_fd = -1;
	r->lock_own = false;
	if (fd >= 0) {
		r->lock_fd = fd;
		return;
	}
	fd = mmri_memfd_create("mmr_ring-ends", MFD_CLOEXEC);
	if (fd >= 0) {
		r->lock_fd = fd;
		r->lock_own = true;
	}
}

/* A new open file description of the lock file: its own locks. */
static int ring_reopen(const struct mmr_ring *r, const char *fn)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", r->lock_fd);
	fd = mmri_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return mmri_err(-fd, "%s: cannot open the ring's object again through "
				"%s for a lock of this end's own (is /proc mounted?)",
				fn, path);
	return fd;
}

static int ring_lock(int fd, short type, int cmd, off_t byte)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = byte,
			    .l_len = 1 };
	int ret = mmri_fcntl(fd, cmd, (long)(uintptr_t)&fl);

	if (ret < 0)
		return ret;
	return cmd == F_OFD_GETLK ? fl.l_type != F_UNLCK : 0;
}

/* Let go of this handle's hold on @role: its lock or its mutex. */
static void ring_unhold(struct mmr_ring *r, enum ring_role role)
{
	if (r->end_fd[role] >= 0)
		mmri_close(r->end_fd[role]);
	else if (r->token[role] && r->owner_tid[role] == (uint32_t)mmri_gettid())
		pthread_mutex_unlock(ring_mutex(r->sh, role, r->token[role]));
	r->end_fd[role] = -1;
	r->token[role] = 0;
	r->owner_pid[role] = 0;
	r->owner_tid[role] = 0;
}

/* Lock a free mutex slot for @token in the calling thread. */
static int ring_hold_mutex(struct mmr_ring *r, enum ring_role role, uint64_t token,
			   const char *fn)
{
	pthread_mutex_t *m = ring_mutex(r->sh, role, token);
	int ret = pthread_mutex_trylock(m);

	if (ret == EOWNERDEAD)
		ret = pthread_mutex_consistent(m);
	if (ret == EDEADLK)	/* this thread held the slot's last claim */
		ret = 0;
	if (ret)
		return mmri_err(EBUSY, "%s: the %s end's earlier thread holders are "
				"alive and did not close it: close it in them first",
				fn, role == RING_PRODUCER ? "producer" : "consumer");
	return 0;
}

/* Hold @role for the process (a new lock) or the calling thread. */
static int ring_hold(struct mmr_ring *r, enum ring_role role, bool thread,
		     uint64_t token, const char *fn)
{
	int fd, ret;

	if (thread)
		return ring_hold_mutex(r, role, token, fn);
	if (r->lock_fd < 0) {
		r->end_fd[role] = -1;
		return 0;
	}
	fd = ring_reopen(r, fn);
	if (fd < 0)
		return fd;
	ret = ring_lock(fd, F_RDLCK, F_OFD_SETLK, ring_lock_byte(token, role));
	if (ret < 0) {
		mmri_close(fd);
		return mmri_err(-ret, "%s: cannot lock the ring's object (F_OFD_SETLK, "
				"Linux 3.15+) to hold its %s end", fn,
				role == RING_PRODUCER ? "producer" : "consumer");
	}
	r->end_fd[role] = fd;
	return 0;
}

int mmri_ring_claim(struct mmr_ring *r, unsigned roles, bool thread, const char *fn)
{
	uint32_t pid = (uint32_t)mmri_getpid(), tid = (uint32_t)mmri_gettid();

	for (int role = RING_PRODUCER; role <= RING_CONSUMER; role++) {
		struct ring_end *e = &r->sh->end[role];
		uint64_t token;
		int ret;

		if (!(roles & (1u << role)))
			continue;
		/* Our earlier claim of it is over: the new one replaces it. */
		if (r->token[role])
			ring_unhold(r, (enum ring_role)role);
		/* A thread's claim whose mutex slot is busy (a live earlier
		 * holder, or a peer testing it this instant) takes the next
		 * token: the other slot. */
		for (int tries = 0;; tries++) {
			token = atomic_fetch_add(&e->claims, 1) + 1;
			ret = ring_hold(r, (enum ring_role)role, thread, token, fn);
			if (ret != -EBUSY || tries == 3)
				break;
			mmri_clear_error();
		}
		if (ret)
			return ret;
		r->token[role] = token;
		r->owner_pid[role] = pid;
		r->owner_tid[role] = thread ? tid : 0;
		/* Held before the token is published (release): a peer that
		 * sees the token finds its lock; closed last: a new holder
		 * reopens it. */
		atomic_store_explicit(&e->thread, thread, memory_order_relaxed);
		atomic_store_explicit(&e->pid, pid, memory_order_relaxed);
		atomic_store_explicit(&e->kicks, r->efd[0] >= 0 && r->efd[1] >= 0,
				      memory_order_relaxed);
		atomic_store_explicit(&e->token, token, memory_order_release);
		atomic_store_explicit(&e->closed, 0, memory_order_release);
		atomic_fetch_or(&r->roles, 1u << role);
	}
	return 0;
}

/* The eventfds arrived after the claim (mmr_ring_recv()): say so. */
void mmri_ring_set_kicks(struct mmr_ring *r)
{
	unsigned roles = atomic_load(&r->roles);

	for (int role = RING_PRODUCER; role <= RING_CONSUMER; role++)
		if ((roles & (1u << role)) && r->token[role] ==
		    atomic_load(&r->sh->end[role].token))
			atomic_store(&r->sh->end[role].kicks, 1);
}

/* Release: the last index this side published is seen with the close. */
static void ring_end_close(struct ring_shared *sh, enum ring_role role)
{
	atomic_store_explicit(&sh->end[role].closed, 1, memory_order_release);
}

enum ring_peer { PEER_NONE, PEER_ALIVE, PEER_CLOSED, PEER_DEAD };

static uint64_t ring_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void ring_forget_peer(struct mmr_ring *r, enum ring_role role)
{
	if (r->peer_fd[role] >= 0)
		mmri_close(r->peer_fd[role]);
	r->peer_fd[role] = -1;
	r->peer_pid[role] = 0;
	r->peer_seen_ns[role] = 0;
}

/* Is the mutex of a thread's claim @token held by a live thread? */
static bool ring_thread_holds(struct mmr_ring *r, enum ring_role role, uint64_t token)
{
	pthread_mutex_t *m = ring_mutex(r->sh, role, token);
	int ret = pthread_mutex_trylock(m);

	if (ret == EBUSY || ret == EDEADLK)
		return true;
	/* Free, or its holder died: we hold it now; give it back. */
	if (ret == EOWNERDEAD)
		pthread_mutex_consistent(m);
	if (!ret || ret == EOWNERDEAD)
		pthread_mutex_unlock(m);
	return false;
}

/* Is the lock of claim @token held? An error (fault injected, say)
 * counts as held: a live peer is never declared dead for one. */
static bool ring_token_held(struct mmr_ring *r, enum ring_role role, uint64_t token,
			    bool thread)
{
	if (thread)
		return ring_thread_holds(r, role, token);
	if (r->lock_fd < 0)
		return true;
	return ring_lock(r->lock_fd, F_WRLCK, F_OFD_GETLK, ring_lock_byte(token, role)) != 0;
}

/*
 * The acquire half of ring_end_close(). *watch: another handle holds the
 * end: a sleeper must look at it now and then (a death wakes nobody).
 * Without @probe, a holder already seen alive is taken as alive with no
 * system call: a waiter woken by its peer's publication knows it was
 * alive a moment ago, and looks again after a slice with no wake-up.
 */
static enum ring_peer ring_end_state(struct mmr_ring *r, enum ring_role role, bool *watch,
				     bool probe)
{
	struct ring_end *e = &r->sh->end[role];
	uint64_t token;
	bool thread;

	*watch = false;
	for (int tries = 0; tries < 3; tries++) {
		if (atomic_load_explicit(&e->closed, memory_order_acquire))
			return PEER_CLOSED;
		token = atomic_load_explicit(&e->token, memory_order_acquire);
		if (!token)
			return PEER_NONE;
		thread = atomic_load_explicit(&e->thread, memory_order_relaxed);
		if (token == r->token[role] && (!thread ||
		    r->owner_tid[role] == (uint32_t)mmri_gettid()))
			return PEER_ALIVE;	/* this handle (this thread) holds it */
		*watch = true;
		if (!probe && r->peer_seen_ns[role])
			return PEER_ALIVE;
		if (ring_token_held(r, role, token, thread)) {
			r->peer_seen_ns[role] = ring_now_ns();
			return PEER_ALIVE;
		}
		/* Gone, unless it closed meanwhile (closed before it let go)
		 * or a new holder claimed the end. */
		if (atomic_load_explicit(&e->closed, memory_order_acquire))
			return PEER_CLOSED;
		if (atomic_load_explicit(&e->token, memory_order_acquire) == token)
			return PEER_DEAD;
	}
	return PEER_ALIVE;	/* claimed again and again: someone holds it */
}

/*
 * Whether a wait must probe its peer before it sleeps: not if a probe
 * found it alive less than half a liveness slice ago. A wait that sleeps
 * watches in RING_LIVENESS_MS slices anyway, so a death is still seen
 * within 1.5 slices; small records that sleep on every few records are
 * spared a system call per sleep.
 */
static bool ring_probe_due(const struct mmr_ring *r, enum ring_role role)
{
	uint64_t seen = r->peer_seen_ns[role];

	return !seen || ring_now_ns() - seen >= RING_LIVENESS_MS * 1000000ull / 2;
}

/*
 * Close the ends this handle claimed and still holds: if another handle
 * claimed an end since, it is that handle's now and stays open. A copy of
 * the handle inherited across fork() closes nothing: it only lets go of
 * its share of the lock (as closing an inherited pipe end does). With
 * @caller, an end a thread holds for itself is closed only by that
 * thread (two threads sharing a handle, an end each). Returns how many
 * it closed.
 */
static int ring_close_ends(struct mmr_ring *r, bool caller)
{
	uint32_t self = (uint32_t)mmri_getpid(), me = (uint32_t)mmri_gettid();
	unsigned roles = atomic_load(&r->roles), done = 0;
	int n = 0;

	for (int role = RING_PRODUCER; role <= RING_CONSUMER; role++) {
		struct ring_end *e = &r->sh->end[role];
		bool ours;

		if (!(roles & (1u << role)))
			continue;
		if (caller && r->owner_tid[role] && r->owner_tid[role] != me)
			continue;	/* another thread's end */
		done |= 1u << role;
		ours = r->owner_pid[role] == self &&
			atomic_load_explicit(&e->token, memory_order_relaxed) == r->token[role];
		/* Closed before the lock goes: a peer that finds the lock
		 * gone finds the close too. */
		if (ours) {
			ring_end_close(r->sh, (enum ring_role)role);
			n++;
		}
		if (r->owner_pid[role] == self)
			ring_unhold(r, (enum ring_role)role);
	}
	if (n)
		ring_wake_both(r);
	atomic_fetch_and(&r->roles, ~done);
	return n;
}

void mmri_ring_sync_detach(struct mmr_ring *r)
{
	if (!r->sh)
		return;
	if (atomic_load(&r->roles))
		ring_close_ends(r, false);
	for (int i = 0; i < 2; i++) {
		/* A copy inherited across fork(): drop its share of the lock. */
		if (r->end_fd[i] >= 0)
			mmri_close(r->end_fd[i]);
		r->end_fd[i] = -1;
		ring_forget_peer(r, (enum ring_role)i);
		if (r->efd[i] >= 0)
			mmri_close(r->efd[i]);
		r->efd[i] = -1;
	}
	if (r->lock_own && r->lock_fd >= 0)
		mmri_close(r->lock_fd);
	r->lock_fd = -1;
}

int mmr_ring_close(mmr_ring *r)
{
	if (!r)
		return mmri_err(EINVAL, "mmr_ring_close: ring is NULL");
	if (!atomic_load(&r->roles))
		return mmri_err(EINVAL, "mmr_ring_close: this handle holds no end of the "
				"ring: create or open it with MMR_RING_PRODUCER or "
				"MMR_RING_CONSUMER, or claim one with mmr_ring_claim()");
	if (!ring_close_ends(r, true))
		return mmri_err(EPERM, "mmr_ring_close: this handle's ends are held by "
				"another process or thread now (the handle was inherited "
				"across fork(), another handle claimed them, or another "
				"thread holds them with MMR_RING_THREAD)");
	return 0;
}

int mmr_ring_claim(mmr_ring *r, unsigned flags)
{
	if (!r)
		return mmri_err(EINVAL, "mmr_ring_claim: ring is NULL");
	if (!(flags & MMR_RING_ROLES) || (flags & ~(MMR_RING_ROLES | MMR_RING_THREAD)))
		return mmri_err(EINVAL, "mmr_ring_claim: flags 0x%x: give MMR_RING_PRODUCER "
				"and/or MMR_RING_CONSUMER, and MMR_RING_THREAD for the "
				"calling thread alone", flags);
	return mmri_ring_claim(r, (flags & MMR_RING_PRODUCER ? 1u << RING_PRODUCER : 0) |
			       (flags & MMR_RING_CONSUMER ? 1u << RING_CONSUMER : 0),
			       flags & MMR_RING_THREAD, "mmr_ring_claim");
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

static bool ts_longer(const struct timespec *a, long ms)
{
	return a->tv_sec > ms / 1000 ||
	       (a->tv_sec == ms / 1000 && a->tv_nsec > (ms % 1000) * 1000000L);
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

/* The index the other side must publish for @min bytes to be ready. */
static uint64_t ring_target(const struct mmr_ring *r, bool readable, size_t min)
{
	if (readable)
		return atomic_load(&r->sh->tail) + min;
	return atomic_load(&r->sh->head) + min - r->cap;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * A peer about to publish is often a few hundred cycles away: a bounded
 * spin spares the system calls of a sleep. Bounded in time as well as in
 * checks (whatever mmr_ring_set_spin() said): never past the timeout, and
 * not at all for a wait that only checks (timeout 0).
 */
#define RING_SPIN_MAX_NS 100000ull	/* 100 us: a few sleeps' worth */

static bool ring_spin(const struct mmr_ring *r, bool readable, size_t min,
		      int timeout_ms, const struct timespec *end)
{
	struct timespec left;
	uint64_t stop = 0;

	if (!timeout_ms)
		return ring_ready(r, readable) >= min;
	for (unsigned i = 0; i < r->spin; i++) {
		if (ring_ready(r, readable) >= min)
			return true;
		cpu_relax();
		if ((i & 255) != 255)
			continue;
		/* Every 256 checks, the clock: a long spin stops in time. */
		if (!stop)
			stop = ring_now_ns() + RING_SPIN_MAX_NS;
		else if (ring_now_ns() >= stop)
			break;
		if (timeout_ms > 0 && !ts_left(end, &left))
			break;
	}
	return false;
}

enum { WAIT_READY = 0, WAIT_EOF = MMR_RING_EOF, WAIT_SLEEP = 2 };

/*
 * Whether to sleep: WAIT_READY, WAIT_EOF (the producer closed and fewer
 * than @min bytes are left), -EPIPE (the peer closed, for a producer, or
 * died), or WAIT_SLEEP; *watch: the peer is another process to watch.
 */
static int ring_check(struct mmr_ring *r, bool readable, size_t min, bool *watch,
		      bool probe)
{
	enum ring_peer peer = ring_end_state(r, readable ? RING_PRODUCER : RING_CONSUMER,
					     watch, probe);

	if (!readable)
		return peer == PEER_CLOSED || peer == PEER_DEAD ? -EPIPE :
			ring_ready(r, false) >= min ? WAIT_READY : WAIT_SLEEP;
	/* After the end's state (acquire): every byte before a close or a
	 * death is counted here. */
	if (ring_ready(r, true) >= min)
		return WAIT_READY;
	return peer == PEER_CLOSED ? WAIT_EOF : peer == PEER_DEAD ? -EPIPE : WAIT_SLEEP;
}

/*
 * Sleep on @seq until ring_ready() >= min. The order is what makes it safe:
 * read the futex word, look at the ends, store the threshold, fence, then
 * look at the index (all seq_cst). A peer that moves the index past the
 * threshold after our look sees the threshold and bumps the word, so the
 * futex either wakes us or refuses to sleep (EAGAIN); a close bumps it
 * always. A death wakes nobody: a sleeper watching another process sleeps
 * in RING_LIVENESS_MS slices and checks its pidfd between them.
 */
static int ring_wait(struct mmr_ring *r, bool readable, size_t min, int timeout_ms,
		     const char *fn)
{
	struct ring_shared *sh = r->sh;
	_Atomic uint64_t *want = readable ? &sh->rd_want : &sh->wr_want;
	_Atomic uint32_t *seq = readable ? &sh->head_seq : &sh->tail_seq;
	const struct timespec slice = { 0, RING_SLICE_MS * 1000000L };
	const struct timespec live = { 0, RING_LIVENESS_MS * 1000000L };
	struct timespec end, left;
	bool watch = false, probe;
	int ret;

	if (min > r->cap)
		return mmri_err(EINVAL, "%s: %zu bytes is more than the capacity (%zu)",
				fn, min, r->cap);
	min = min ? min : 1;
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &end);
		ts_add_ms(&end, timeout_ms);
	}
	if (ring_spin(r, readable, min, timeout_ms, &end))
		return 0;
	probe = ring_probe_due(r, readable ? RING_PRODUCER : RING_CONSUMER);
	for (;;) {
		uint32_t s = atomic_load(seq);
		const struct timespec *rel = NULL;

		ret = ring_check(r, readable, min, &watch, probe);
		if (ret != WAIT_SLEEP)
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
		/* On the futex, not in poll(): the publisher must wake that. */
		atomic_store(readable ? &sh->rd_poll : &sh->wr_poll, 0);
		atomic_store(want, ring_target(r, readable, min));
		/* Now about to sleep: make a light peer see the threshold. */
		if (!ring_sleeper_fence(r) && (!rel || ts_longer(rel, RING_SLICE_MS)))
			rel = &slice;
		if (watch && (!rel || ts_longer(rel, RING_LIVENESS_MS)))
			rel = &live;
		if (ring_ready(r, readable) >= min) {
			ret = 0;
			break;
		}
		ret = mmri_futex_wait_timeout((uint32_t *)seq, s, 1, rel);
		if (ret && ret != -EAGAIN && ret != -EINTR && ret != -ETIMEDOUT)
			break;
		/* Woken (or refused: the word moved): the peer just published. */
		probe = ret == -ETIMEDOUT || ret == -EINTR;
	}
	atomic_store(want, 0);
	mmr_barrier();
	switch (ret) {
	case WAIT_READY:
	case WAIT_EOF:
		return ret;
	case -ETIMEDOUT:
		return mmri_err(ETIMEDOUT, "%s: fewer than %zu bytes after %d ms", fn,
				min, timeout_ms);
	case -EPIPE:
		return mmri_err(EPIPE, "%s: the %s %s; %zu bytes are %s", fn,
				readable ? "producer" : "consumer",
				readable || ring_end_state(r, RING_CONSUMER, &watch, true) ==
				PEER_DEAD ? "died without closing its end (its last holder "
				"exited or exec'd; for an end held with MMR_RING_THREAD, "
				"its thread exited)" :
				"closed its end", ring_ready(r, readable),
				readable ? "left to read" : "free, but nobody will read them");
	default:
		return mmri_err(-ret, "%s: futex wait failed", fn);
	}
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

int mmr_ring_set_spin(mmr_ring *r, unsigned checks)
{
	if (!r)
		return mmri_err(EINVAL, "mmr_ring_set_spin: ring is NULL");
	r->spin = checks;
	return 0;
}

/* ---- waiting in poll(2) ---- */

int mmri_ring_poll_create(struct mmr_ring *r)
{
	for (int i = 0; i < 2; i++) {
		r->efd[i] = mmri_eventfd();
		if (r->efd[i] < 0) {
			int ret = r->efd[i];

			r->efd[i] = -1;
			return mmri_err(-ret, "eventfd for poll() failed%s", ret == -EMFILE ?
					": too many open files, raise ulimit -n" : "");
		}
	}
	return 0;
}

/* The side a handle waits as: its only end. */
static int ring_poll_side(const struct mmr_ring *r, const char *fn, bool *readable)
{
	unsigned roles = atomic_load(&r->roles);

	*readable = roles == (1u << RING_CONSUMER);
	if (roles != (1u << RING_CONSUMER) && roles != (1u << RING_PRODUCER))
		return mmri_err(EINVAL, "%s: the handle must hold exactly one end of the "
				"ring (MMR_RING_PRODUCER or MMR_RING_CONSUMER) to know "
				"what to wait for", fn);
	if (r->efd[*readable ? RING_CONSUMER : RING_PRODUCER] < 0)
		return mmri_err(EOPNOTSUPP, "%s: this ring came without its eventfds "
				"(mmr_ring_open_fd() of a bare fd): receive it with "
				"mmr_ring_recv() or inherit it across fork()", fn);
	return 0;
}

int mmr_ring_poll_fd(const mmr_ring *r)
{
	bool readable;
	int ret;

	if (!r)
		return mmri_err(EINVAL, "mmr_ring_poll_fd: ring is NULL");
	ret = ring_poll_side(r, "mmr_ring_poll_fd", &readable);
	return ret ? ret : r->efd[readable ? RING_CONSUMER : RING_PRODUCER];
}

/*
 * The waits' protocol with poll() in place of the futex: reset the
 * eventfd, say we poll, store the threshold, fence, look again. A
 * publisher that meets the threshold after our look sees it and writes
 * the eventfd; one that met it before is seen by the look.
 */
int mmr_ring_poll_arm(mmr_ring *r, size_t min)
{
	const char *fn = "mmr_ring_poll_arm";
	_Atomic uint64_t *want;
	struct ring_end *peer;
	uint64_t count;
	bool readable, watch;
	int ret, efd;

	if (!r)
		return mmri_err(EINVAL, "%s: ring is NULL", fn);
	ret = ring_poll_side(r, fn, &readable);
	if (ret)
		return ret;
	if (min > r->cap)
		return mmri_err(EINVAL, "%s: %zu bytes is more than the capacity (%zu)",
				fn, min, r->cap);
	min = min ? min : 1;
	efd = r->efd[readable ? RING_CONSUMER : RING_PRODUCER];
	want = readable ? &r->sh->rd_want : &r->sh->wr_want;
	peer = &r->sh->end[readable ? RING_PRODUCER : RING_CONSUMER];
	mmri_read(efd, &count, sizeof(count));	/* -EAGAIN when already 0 */
	atomic_store(readable ? &r->sh->rd_poll : &r->sh->wr_poll, 1);
	ret = ring_check(r, readable, min, &watch, true);
	/* A peer without the eventfds cannot write ours: it would publish,
	 * or close, and the poller would never hear of it. */
	if (ret == WAIT_SLEEP && atomic_load(&peer->token) && !atomic_load(&peer->kicks)) {
		atomic_store(readable ? &r->sh->rd_poll : &r->sh->wr_poll, 0);
		return mmri_err(EOPNOTSUPP, "%s: the %s attached without the ring's "
				"eventfds (mmr_ring_open_fd() of a bare fd) and cannot wake "
				"a poller: hand it the ring with mmr_ring_send() or fork(), "
				"or wait with mmr_ring_wait_%s()", fn,
				readable ? "producer" : "consumer",
				readable ? "readable" : "writable");
	}
	if (ret == WAIT_SLEEP) {
		atomic_store(want, ring_target(r, readable, min));
		if (!ring_sleeper_fence(r))
			ring_kick(efd);	/* cannot fence: the poller looks again */
		ret = ring_ready(r, readable) >= min ? WAIT_READY : -EAGAIN;
	}
	if (ret != -EAGAIN)
		atomic_store(want, 0);
	if (ret == -EPIPE)
		return mmri_err(EPIPE, "%s: the %s", fn, readable ?
				"producer died without closing its end" :
				"consumer closed its end or died");
	return ret;
}

/*
 * A pidfd of the process that last claimed the peer's end, as a hint for
 * poll(): the end's liveness is its lock, not this process (a child may
 * hold the end on, and a pid seen from another PID namespace names
 * another process).
 */
int mmr_ring_peer_pidfd(mmr_ring *r)
{
	enum ring_role peer;
	bool readable, watch;
	uint32_t pid;
	int fd;

	if (!r)
		return mmri_err(EINVAL, "mmr_ring_peer_pidfd: ring is NULL");
	if (ring_poll_side(r, "mmr_ring_peer_pidfd", &readable) == -EINVAL)
		return -EINVAL;
	peer = readable ? RING_PRODUCER : RING_CONSUMER;
	pid = atomic_load(&r->sh->end[peer].pid);
	if (ring_end_state(r, peer, &watch, true) != PEER_ALIVE || !watch ||
	    pid == (uint32_t)mmri_getpid() || (pid_t)pid <= 0)
		return mmri_err(ENOENT, "mmr_ring_peer_pidfd: no peer process to watch "
				"(none attached yet, it is gone, or the peer is this "
				"process)");
	if (r->peer_fd[peer] >= 0 && r->peer_pid[peer] == pid)
		return r->peer_fd[peer];
	ring_forget_peer(r, peer);
	fd = mmri_pidfd_open((pid_t)pid, 0);
	if (fd < 0)
		return mmri_err(-fd == ESRCH ? ENOENT : -fd, "mmr_ring_peer_pidfd: "
				"pidfd_open(%u) failed (Linux 5.3+; a peer in another "
				"PID namespace has no pid here)", pid);
	r->peer_fd[peer] = fd;
	r->peer_pid[peer] = pid;
	return fd;
}
