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
#include <limits.h>
#include <linux/membarrier.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ring_sync.h"

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
/* The longest a sleeper takes to notice that its peer process died. */
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
void ring_sync_attach(struct mmr_ring *r)
{
	r->light = ring_fence_init() == FENCE_LIGHT;
	r->peer_fd[0] = r->peer_fd[1] = -1;
	if (!r->light || atomic_exchange(&r->sh->light_peers, 1))
		return;
	ring_wake_both(r);
}

/* The publisher's slow half: the sleeper's threshold was met. */
void ring_wake(const struct mmr_ring *r, bool readable)
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
 * A process is named by its pid and its start time (clock ticks after
 * boot, /proc/<pid>/stat field 22): a pid can be reused, the pair cannot
 * (not within one tick). A thread likewise by its tid and its own start
 * time (/proc/<pid>/task/<tid>/stat). 0 if unknown, or if it has exited
 * and waits to be reaped (state Z or X, field 3): a killed child is dead
 * before its parent calls wait(), a main thread that called pthread_exit()
 * waits as a zombie for the other threads.
 */
static uint64_t proc_start(uint32_t pid, uint32_t tid)
{
	char path[80], buf[1024], *p;
	int n;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%u/task/%u/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	n = mmri_read_file(path, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	p = strrchr(buf, ')');	/* the command name may hold anything */
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

int ring_claim(struct mmr_ring *r, unsigned roles, bool thread, const char *fn)
{
	uint32_t pid, tid;
	uint64_t start;

	if (!roles)
		return 0;
	pid = (uint32_t)mmri_getpid();
	tid = thread ? (uint32_t)mmri_gettid() : 0;
	start = proc_start(pid, tid);
	if (!start)
		return mmri_err(ENOENT, "%s: cannot read this %s's start time from "
				"/proc/%u%s/stat (is /proc mounted?): the peer could not "
				"tell it from a later one with its id", fn,
				thread ? "thread" : "process", pid, thread ? "/task/<tid>" : "");
	for (int role = RING_PRODUCER; role <= RING_CONSUMER; role++) {
		struct ring_end *e = &r->sh->end[role];

		if (!(roles & (1u << role)))
			continue;
		/* start and tid before pid (release): a peer that sees the pid
		 * sees who holds the end; closed last: a new holder reopens it. */
		atomic_store_explicit(&e->pid, 0, memory_order_relaxed);
		atomic_store_explicit(&e->start, start, memory_order_relaxed);
		atomic_store_explicit(&e->tid, tid, memory_order_relaxed);
		atomic_store_explicit(&e->pid, pid, memory_order_release);
		atomic_store_explicit(&e->closed, 0, memory_order_release);
	}
	atomic_fetch_or(&r->roles, roles);
	return 0;
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
	r->peer_tid[role] = 0;
	r->peer_start[role] = 0;
	r->peer_seen_ns[role] = 0;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD 0200	/* O_EXCL: a pidfd of one thread (6.9+) */
#endif

/*
 * Is the holder (process @pid, or its thread @tid when not 0) started at
 * @start alive? A pidfd (5.3+; of one thread with PIDFD_THREAD, 6.9+)
 * pins it: it becomes readable when it exits, whoever gets its id
 * afterwards. It is opened once per holder and checked against the start
 * time right after, so an id reused before the open is caught too.
 * Without one: kill() or tgkill() with signal 0 and the start time, on
 * every check (a few microseconds, once per RING_LIVENESS_MS).
 */
static bool ring_peer_alive(struct mmr_ring *r, enum ring_role role, uint32_t pid,
			    uint32_t tid, uint64_t start)
{
	struct pollfd p;
	int fd;

	if ((pid_t)pid <= 0 || (pid_t)tid < 0)	/* a peer wrote garbage */
		return false;
	if (r->peer_pid[role] != pid || r->peer_tid[role] != tid ||
	    r->peer_start[role] != start) {
		ring_forget_peer(r, role);
		fd = tid ? mmri_pidfd_open((pid_t)tid, PIDFD_THREAD) :
			mmri_pidfd_open((pid_t)pid, 0);
		if (fd == -ESRCH)
			return false;
		if (proc_start(pid, tid) != start) {
			if (fd >= 0)
				mmri_close(fd);
			return false;
		}
		r->peer_fd[role] = fd >= 0 ? fd : -1;
		r->peer_pid[role] = pid;
		r->peer_tid[role] = tid;
		r->peer_start[role] = start;
	}
	if (r->peer_fd[role] < 0)
		return (tid ? mmri_tgkill((pid_t)pid, (pid_t)tid, 0) :
			mmri_kill((pid_t)pid, 0)) != -ESRCH && proc_start(pid, tid) == start;
	p = (struct pollfd){ .fd = r->peer_fd[role], .events = POLLIN };
	return mmri_poll(&p, 1, 0) == 0;
}

/*
 * The acquire half of ring_end_close(). *watch: the holder is another
 * process, or another thread that holds the end for itself: a sleeper
 * must look at it now and then (a death wakes nobody). Without @probe, a
 * holder already watched (the same ids and start time) is taken as alive
 * with no system call: a waiter woken by its peer's publication knows it
 * was alive a moment ago, and looks again after a slice with no wake-up.
 */
static enum ring_peer ring_end_state(struct mmr_ring *r, enum ring_role role, bool *watch,
				     bool probe)
{
	struct ring_end *e = &r->sh->end[role];
	uint32_t pid, tid;
	uint64_t start;

	*watch = false;
	if (atomic_load_explicit(&e->closed, memory_order_acquire))
		return PEER_CLOSED;
	pid = atomic_load_explicit(&e->pid, memory_order_acquire);
	if (!pid)
		return PEER_NONE;
	start = atomic_load_explicit(&e->start, memory_order_relaxed);
	tid = atomic_load_explicit(&e->tid, memory_order_relaxed);
	if (!probe && r->peer_pid[role] == pid && r->peer_tid[role] == tid &&
	    r->peer_start[role] == start) {
		*watch = true;
		return PEER_ALIVE;
	}
	if (pid == (uint32_t)mmri_getpid() &&
	    (!tid || tid == (uint32_t)mmri_gettid()))
		return PEER_ALIVE;	/* held by this process, or this thread */
	*watch = true;
	if (!ring_peer_alive(r, role, pid, tid, start))
		return PEER_DEAD;
	r->peer_seen_ns[role] = ring_now_ns();
	return PEER_ALIVE;
}

/*
 * Whether a wait must probe its peer before it sleeps: not if a probe
 * found it alive less than half a liveness slice ago. A wait that sleeps
 * watches in RING_LIVENESS_MS slices anyway, so a death is still seen
 * within 1.5 slices; small records that sleep on every few records are
 * spared a getpid() and a poll() per sleep.
 */
static bool ring_probe_due(const struct mmr_ring *r, enum ring_role role)
{
	uint64_t seen = r->peer_seen_ns[role];

	return !seen || ring_now_ns() - seen >= RING_LIVENESS_MS * 1000000ull / 2;
}

/*
 * Close the ends this handle claimed, if this process still holds them: a
 * child that inherited the handle across fork() and destroys its copy
 * leaves its parent's ends open (as closing an inherited pipe end does).
 * With @caller, an end a thread holds for itself is closed only by that
 * thread (two threads sharing a handle, an end each). Returns how many it
 * closed.
 */
static int ring_close_ends(struct mmr_ring *r, bool caller)
{
	uint32_t self = (uint32_t)mmri_getpid(), me = caller ? (uint32_t)mmri_gettid() : 0;
	unsigned roles = atomic_load(&r->roles), done = 0;
	int n = 0;

	for (int role = RING_PRODUCER; role <= RING_CONSUMER; role++) {
		struct ring_end *e = &r->sh->end[role];
		uint32_t tid;

		if (!(roles & (1u << role)))
			continue;
		tid = atomic_load_explicit(&e->tid, memory_order_relaxed);
		if (caller && tid && tid != me)
			continue;	/* another thread's end */
		done |= 1u << role;
		if (atomic_load_explicit(&e->pid, memory_order_relaxed) != self)
			continue;
		ring_end_close(r->sh, (enum ring_role)role);
		n++;
	}
	if (n)
		ring_wake_both(r);
	atomic_fetch_and(&r->roles, ~done);
	return n;
}

void ring_sync_detach(struct mmr_ring *r)
{
	if (!r->sh)
		return;
	if (atomic_load(&r->roles))
		ring_close_ends(r, false);
	for (int i = 0; i < 2; i++) {
		ring_forget_peer(r, (enum ring_role)i);
		if (r->efd[i] >= 0)
			mmri_close(r->efd[i]);
		r->efd[i] = -1;
	}
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
	return ring_claim(r, (flags & MMR_RING_PRODUCER ? 1u << RING_PRODUCER : 0) |
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
int ring_wait(struct mmr_ring *r, bool readable, size_t min, int timeout_ms,
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
	/* A peer about to publish is often a few hundred cycles away: a
	 * bounded spin spares the system calls of a sleep. */
	for (unsigned i = 0; i < r->spin; i++) {
		if (ring_ready(r, readable) >= min)
			return 0;
		cpu_relax();
	}
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &end);
		ts_add_ms(&end, timeout_ms);
	}
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
				PEER_DEAD ? "died without closing its end (its process, "
				"or its thread if it held the end with MMR_RING_THREAD)" :
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

int ring_poll_create(struct mmr_ring *r)
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
	mmri_read(efd, &count, sizeof(count));	/* -EAGAIN when already 0 */
	atomic_store(readable ? &r->sh->rd_poll : &r->sh->wr_poll, 1);
	ret = ring_check(r, readable, min, &watch, true);
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

int mmr_ring_peer_pidfd(mmr_ring *r)
{
	enum ring_role peer;
	bool readable, watch;

	if (!r)
		return mmri_err(EINVAL, "mmr_ring_peer_pidfd: ring is NULL");
	if (ring_poll_side(r, "mmr_ring_peer_pidfd", &readable) == -EINVAL)
		return -EINVAL;
	peer = readable ? RING_PRODUCER : RING_CONSUMER;
	ring_end_state(r, peer, &watch, true);
	if (r->peer_fd[peer] < 0)
		return mmri_err(ENOENT, "mmr_ring_peer_pidfd: no peer process to watch "
				"(none attached yet, the peer is this process, or the "
				"kernel has no pidfd_open)");
	return r->peer_fd[peer];
}
