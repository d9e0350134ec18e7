// SPDX-License-Identifier: MIT
/*
 * The ends of a ring: a producer that closes gives its consumer every byte
 * and then MMR_RING_EOF; a peer process that dies without closing (SIGKILL)
 * is seen by the other side's wait as -EPIPE within 100 ms, its bytes still
 * readable; a reused pid does not pass for the dead peer; a consumer that
 * goes away gives its producer -EPIPE. In processes and in threads, and
 * for ends that one thread holds for itself (MMR_RING_THREAD): that thread
 * returning or cancelled without closing is a death too.
 */
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "helpers.h"
#include "ring_sync.h"
#include "syscall.h"

#define H_TOKEN offsetof(struct ring_shared, end[RING_PRODUCER].token)
/* Long enough for any honest wait here, short enough to fail a lost wake-up. */
#define T_WAIT_MS 10000

static long ms_between(const struct timespec *t0, const struct timespec *t)
{
	return (t->tv_sec - t0->tv_sec) * 1000 + (t->tv_nsec - t0->tv_nsec) / 1000000;
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

/* Produce @n pattern bytes in chunks of up to @chunk. */
static int produce_pattern(mmr_ring *r, uint64_t n, size_t chunk)
{
	for (uint64_t done = 0; done < n;) {
		size_t avail, k;
		uint8_t *w;

		if (mmr_ring_wait_writable(r, 1, T_WAIT_MS))
			return -1;
		w = mmr_ring_write_ptr(r, &avail);
		k = avail < chunk ? avail : chunk;
		if (k > n - done)
			k = (size_t)(n - done);
		for (size_t i = 0; i < k; i++)
			w[i] = pattern(done + i);
		mmr_ring_produce(r, k);
		done += k;
	}
	return 0;
}

/* Consume until the wait says something other than 0; returns that and
 * the bytes seen in *got (-1 there if a byte was wrong). */
static int consume_pattern(mmr_ring *r, size_t min, int64_t *got)
{
	int ret;

	*got = 0;
	while (!(ret = mmr_ring_wait_readable(r, min, T_WAIT_MS))) {
		size_t avail;
		const uint8_t *p = mmr_ring_read_ptr(r, &avail);

		for (size_t i = 0; i < avail; i++)
			if (p[i] != pattern((uint64_t)*got + i)) {
				*got = -1;
				return ret;
			}
		*got += (int64_t)avail;
		mmr_ring_consume(r, avail);
	}
	return ret;
}

/* A forked child that destroys its inherited copy of the consumer's
 * handle does not close the parent's end; closing it there is refused. */
static int eof_fork_copy_keeps_end(void)
{
	mmr_ring *c, *p;
	int status;
	pid_t pid;

	CHECK_EQ(mmr_ring_create(&c, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(mmr_ring_open_fd(&p, mmr_ring_fd(c), MMR_RING_PRODUCER), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int ret = mmr_ring_close(c);

		mmr_ring_destroy(c);
		mmr_ring_destroy(p);
		_exit(ret == -EPERM ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Both ends still open here: no EOF, no EPIPE. */
	CHECK_EQ(mmr_ring_wait_readable(c, 1, 0), -ETIMEDOUT);
	CHECK_EQ(mmr_ring_wait_writable(p, 1, 0), 0);
	mmr_ring_destroy(p);
	CHECK_EQ(mmr_ring_wait_readable(c, 1, 0), MMR_RING_EOF);
	mmr_ring_destroy(c);
	return T_PASS;
}

/* A child process produces and closes; the parent drains, then EOF. */
static int eof_process(void)
{
	const uint64_t n = 3000000;
	int64_t got;
	int status;
	mmr_ring *r;
	pid_t pid;

	CHECK_EQ(mmr_ring_create(&r, 4 * t_page(), MMR_RING_CONSUMER), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		mmr_ring *p;

		if (mmr_ring_open_fd(&p, mmr_ring_fd(r), MMR_RING_PRODUCER) ||
		    produce_pattern(p, n, 1000) || mmr_ring_close(p))
			_exit(1);
		mmr_ring_destroy(p);
		_exit(0);
	}
	CHECK_EQ(consume_pattern(r, 1, &got), MMR_RING_EOF);
	CHECK_EQ(got, (int64_t)n);
	/* EOF stays. */
	CHECK_EQ(mmr_ring_wait_readable(r, 1, T_WAIT_MS), MMR_RING_EOF);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* A short tail after the close: fewer than min bytes left gives EOF, and
 * those bytes are there to read. */
static int eof_short_tail(void)
{
	mmr_ring *c, *p;
	size_t avail;

	CHECK_EQ(mmr_ring_create(&c, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(mmr_ring_open_fd(&p, mmr_ring_fd(c), MMR_RING_PRODUCER), 0);
	mmr_ring_write_ptr(p, &avail);
	mmr_ring_produce(p, 10);
	CHECK_EQ(mmr_ring_wait_readable(c, 100, 0), -ETIMEDOUT);
	mmr_ring_destroy(p);			/* closes the producer's end */
	CHECK_EQ(mmr_ring_wait_readable(c, 5, 0), 0);
	CHECK_EQ(mmr_ring_wait_readable(c, 100, T_WAIT_MS), MMR_RING_EOF);
	mmr_ring_read_ptr(c, &avail);
	CHECK_EQ(avail, 10);
	mmr_ring_consume(c, 10);
	CHECK_EQ(mmr_ring_wait_readable(c, 1, 0), MMR_RING_EOF);
	/* A handle without an end has nothing to close. */
	CHECK_EQ(mmr_ring_open_fd(&p, mmr_ring_fd(c), 0), 0);
	CHECK_EQ(mmr_ring_close(p), -EINVAL);
	CHECK(strstr(mmr_last_error(), "MMR_RING_PRODUCER"));
	mmr_ring_destroy(p);
	CHECK_EQ(mmr_ring_close(NULL), -EINVAL);
	mmr_ring_destroy(c);
	return T_PASS;
}

struct side {
	mmr_ring *r;
	int ret;
	int64_t got;
	uint64_t n;
};

static void *producer_thread(void *arg)
{
	struct side *s = arg;
	mmr_ring *p;

	s->ret = -1;
	if (mmr_ring_open_fd(&p, mmr_ring_fd(s->r), MMR_RING_PRODUCER))
		return NULL;
	s->ret = produce_pattern(p, s->n, 777);
	mmr_ring_destroy(p);
	return NULL;
}

/* Threads of one process: the same end of stream, sleeping consumer. */
static int eof_threads(void)
{
	struct side s = { .n = 2000000 };
	pthread_t t;

	CHECK_EQ(mmr_ring_create(&s.r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(pthread_create(&t, NULL, producer_thread, &s), 0);
	CHECK_EQ(consume_pattern(s.r, 1, &s.got), MMR_RING_EOF);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(s.ret, 0);
	CHECK_EQ(s.got, (int64_t)s.n);
	mmr_ring_destroy(s.r);
	return T_PASS;
}

/* The consumer closes: a producer waiting for room gets -EPIPE. */
static int eof_consumer_gone(void)
{
	mmr_ring *c, *p;
	size_t avail;

	CHECK_EQ(mmr_ring_create(&p, 1, MMR_RING_PRODUCER), 0);
	CHECK_EQ(mmr_ring_open_fd(&c, mmr_ring_fd(p), MMR_RING_CONSUMER), 0);
	mmr_ring_write_ptr(p, &avail);
	mmr_ring_produce(p, avail);
	CHECK_EQ(mmr_ring_wait_writable(p, 1, 0), -ETIMEDOUT);
	CHECK_EQ(mmr_ring_close(c), 0);
	CHECK_EQ(mmr_ring_wait_writable(p, 1, T_WAIT_MS), -EPIPE);
	CHECK(strstr(mmr_last_error(), "consumer closed"));
	mmr_ring_destroy(c);
	mmr_ring_destroy(p);
	return T_PASS;
}

struct killer {
	pid_t pid;
	struct timespec when;
};

static void *kill_later(void *arg)
{
	struct killer *k = arg;
	struct timespec d = { 0, 150 * 1000000 };

	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &k->when);
	kill(k->pid, SIGKILL);
	return NULL;
}

/* A child that attaches with @role, produces @n bytes if it produces,
 * says so on @fd, then hangs until killed. */
static pid_t child_then_hang(mmr_ring *r, unsigned role, uint64_t n, int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		mmr_ring *p;

		if (mmr_ring_open_fd(&p, mmr_ring_fd(r), role))
			_exit(1);
		if (role == MMR_RING_PRODUCER && produce_pattern(p, n, 100))
			_exit(1);
		if (write(fd, "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	return pid;
}

/* SIGKILL the producer while the consumer sleeps: -EPIPE within 100 ms,
 * every byte it produced still readable. */
static int producer_killed(void)
{
	struct timespec seen;
	struct killer k;
	int64_t got;
	pthread_t t;
	mmr_ring *r;
	int pfd[2];
	char c;

	CHECK_EQ(pipe(pfd), 0);
	CHECK_EQ(mmr_ring_create(&r, 4 * t_page(), MMR_RING_CONSUMER), 0);
	k.pid = child_then_hang(r, MMR_RING_PRODUCER, 1000, pfd[1]);
	CHECK(k.pid > 0);
	CHECK_EQ(read(pfd[0], &c, 1), 1);
	/* Sleep for more than was produced: only the death ends it. */
	CHECK_EQ(mmr_ring_wait_readable(r, 1001, 20), -ETIMEDOUT);
	CHECK_EQ(pthread_create(&t, NULL, kill_later, &k), 0);
	CHECK_EQ(mmr_ring_wait_readable(r, 1001, T_WAIT_MS), -EPIPE);
	clock_gettime(CLOCK_MONOTONIC, &seen);
	CHECK(strstr(mmr_last_error(), "died"));
	CHECK_EQ(pthread_join(t, NULL), 0);	/* then k.when is ours to read */
	CHECK(ms_between(&k.when, &seen) < 100);
	CHECK_EQ(consume_pattern(r, 1, &got), -EPIPE);
	CHECK_EQ(got, 1000);
	waitpid(k.pid, NULL, 0);
	/* Reaped now: still dead, not mistaken for whoever gets the pid. */
	CHECK_EQ(mmr_ring_wait_readable(r, 1, T_WAIT_MS), -EPIPE);
	mmr_ring_destroy(r);
	close(pfd[0]);
	close(pfd[1]);
	return T_PASS;
}

static int death_producer_killed(void)
{
	return producer_killed();
}

/* Killed and not yet reaped (a zombie): its fds are closed, its lock is
 * gone; /proc is not asked (a read of it fails here). */
static int death_producer_killed_no_proc(void)
{
	mmri_fault_inject(MMRI_SYS_READ, EACCES, 0, 0);
	mmri_fault_inject(MMRI_SYS_PIDFD_OPEN, ENOSYS, 0, 0);
	return producer_killed();
}

/* SIGKILL the consumer while the producer waits for room. */
static int death_consumer_killed(void)
{
	struct timespec seen;
	struct killer k;
	size_t avail;
	pthread_t t;
	mmr_ring *r;
	int pfd[2];
	char c;

	CHECK_EQ(pipe(pfd), 0);
	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_PRODUCER), 0);
	mmr_ring_write_ptr(r, &avail);
	mmr_ring_produce(r, avail);
	k.pid = child_then_hang(r, MMR_RING_CONSUMER, 0, pfd[1]);
	CHECK(k.pid > 0);
	CHECK_EQ(read(pfd[0], &c, 1), 1);
	CHECK_EQ(pthread_create(&t, NULL, kill_later, &k), 0);
	CHECK_EQ(mmr_ring_wait_writable(r, 1, T_WAIT_MS), -EPIPE);
	clock_gettime(CLOCK_MONOTONIC, &seen);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK(ms_between(&k.when, &seen) < 100);
	waitpid(k.pid, NULL, 0);
	mmr_ring_destroy(r);
	close(pfd[0]);
	close(pfd[1]);
	return T_PASS;
}

/*
 * The header names a claim that nobody holds (a peer wrote garbage, or the
 * holder is gone and its pid was reused): the peer is dead, whatever
 * process is alive.
 */
static int token_forged_check(mmr_ring *r)
{
	uint64_t token;
	char *h;

	h = mmap(NULL, t_page(), PROT_READ | PROT_WRITE, MAP_SHARED, mmr_ring_fd(r), 0);
	CHECK(h != MAP_FAILED);
	memcpy(&token, h + H_TOKEN, 8);
	CHECK(token != 0);		/* the claim recorded its token */
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 60), -ETIMEDOUT);
	token += 1001;	/* another byte, and another mutex slot */
	memcpy(h + H_TOKEN, &token, 8);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 1000), -EPIPE);
	munmap(h, t_page());
	return T_PASS;
}

static int death_token_forged(void)
{
	mmr_ring *r, *p;
	int ret;

	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(mmr_ring_open_fd(&p, mmr_ring_fd(r), MMR_RING_PRODUCER), 0);
	ret = token_forged_check(r);
	mmr_ring_destroy(p);
	mmr_ring_destroy(r);
	return ret;
}

/* ---- ends held by one thread (MMR_RING_THREAD) ---- */

struct holder {
	mmr_ring *r;		/* one handle, shared by both threads */
	unsigned flags;		/* for mmr_ring_claim() */
	uint64_t n;		/* bytes to produce, for a producer */
	int hang;		/* hang until cancelled, else return after 150 ms */
	int close;		/* close its end before returning */
	int ready[2];		/* it writes a byte there once it holds its end */
	int ret;
	struct timespec when;	/* when it returned, or unwound when cancelled */
};

/* Runs as a cancelled holder unwinds, just before it is gone. */
static void note_exit(void *arg)
{
	struct holder *h = arg;

	clock_gettime(CLOCK_MONOTONIC, &h->when);
}

static void *hold_then_go(void *arg)
{
	struct holder *h = arg;
	struct timespec d = { 0, 150 * 1000000 };

	h->ret = mmr_ring_claim(h->r, h->flags);
	if (!h->ret && (h->flags & MMR_RING_PRODUCER))
		h->ret = produce_pattern(h->r, h->n, 100);
	if (write(h->ready[1], "x", 1) != 1)
		h->ret = -1;
	if (h->hang) {
		pthread_cleanup_push(note_exit, h);
		for (;;)
			pause();	/* a cancellation point */
		pthread_cleanup_pop(0);
	}
	nanosleep(&d, NULL);
	if (h->close && mmr_ring_close(h->r))
		h->ret = -1;
	clock_gettime(CLOCK_MONOTONIC, &h->when);
	return NULL;
}

/* Start a holder thread; 0 once it holds its end (and produced). */
static int holder_start(struct holder *h, pthread_t *t)
{
	char c;

	if (pipe(h->ready) || pthread_create(t, NULL, hold_then_go, h))
		return -1;
	if (read(h->ready[0], &c, 1) != 1)
		return -1;
	return h->ret;
}

struct canceller {
	pthread_t victim;
	struct timespec when;
};

static void *cancel_later(void *arg)
{
	struct canceller *k = arg;
	struct timespec d = { 0, 150 * 1000000 };

	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &k->when);
	pthread_cancel(k->victim);
	return NULL;
}

/*
 * The producer thread holds its end for itself, produces 1000 bytes, then
 * returns (@cancel: is cancelled) without closing it; the consumer thread,
 * asleep for more, gets -EPIPE within 100 ms and still reads the 1000
 * bytes. One handle, shared by the two threads.
 */
static int producer_thread_gone(int cancel)
{
	struct holder h = { .flags = MMR_RING_PRODUCER | MMR_RING_THREAD, .n = 1000,
			    .hang = cancel };
	struct canceller k;
	struct timespec seen;
	pthread_t t, kt;
	int64_t got;

	CHECK_EQ(mmr_ring_create(&h.r, 4 * t_page(), 0), 0);
	CHECK_EQ(mmr_ring_claim(h.r, MMR_RING_CONSUMER | MMR_RING_THREAD), 0);
	CHECK_EQ(holder_start(&h, &t), 0);
	/* Alive and holding its end: a wait for more times out. */
	CHECK_EQ(mmr_ring_wait_readable(h.r, 1001, 20), -ETIMEDOUT);
	k.victim = t;
	if (cancel)
		CHECK_EQ(pthread_create(&kt, NULL, cancel_later, &k), 0);
	CHECK_EQ(mmr_ring_wait_readable(h.r, 1001, T_WAIT_MS), -EPIPE);
	clock_gettime(CLOCK_MONOTONIC, &seen);
	CHECK(strstr(mmr_last_error(), "died"));
	if (cancel)
		CHECK_EQ(pthread_join(kt, NULL), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	/* From its end (valgrind delivers a cancel 100 ms and more late). */
	CHECK(ms_between(&h.when, &seen) < 100);
	CHECK_EQ(consume_pattern(h.r, 1, &got), -EPIPE);
	CHECK_EQ(got, 1000);
	mmr_ring_destroy(h.r);
	close(h.ready[0]);
	close(h.ready[1]);
	return T_PASS;
}

static int death_thread_returns(void)
{
	return producer_thread_gone(0);
}

static int death_thread_cancelled(void)
{
	return producer_thread_gone(1);
}

/* Without pidfds or /proc: the robust mutex alone tells. */
static int death_thread_no_pidfd(void)
{
	mmri_fault_inject(MMRI_SYS_PIDFD_OPEN, EINVAL, 0, 0);
	mmri_fault_inject(MMRI_SYS_READ, EACCES, 0, 0);
	return producer_thread_gone(0);
}

/* The consumer thread goes without closing: the producer's wait for room
 * gets -EPIPE. */
static int death_consumer_thread(void)
{
	struct holder h = { .flags = MMR_RING_CONSUMER | MMR_RING_THREAD };
	struct timespec seen;
	size_t avail;
	pthread_t t;

	CHECK_EQ(mmr_ring_create(&h.r, 1, MMR_RING_PRODUCER | MMR_RING_THREAD), 0);
	mmr_ring_write_ptr(h.r, &avail);
	mmr_ring_produce(h.r, avail);
	CHECK_EQ(holder_start(&h, &t), 0);
	CHECK_EQ(mmr_ring_wait_writable(h.r, 1, 20), -ETIMEDOUT);
	CHECK_EQ(mmr_ring_wait_writable(h.r, 1, T_WAIT_MS), -EPIPE);
	clock_gettime(CLOCK_MONOTONIC, &seen);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK(ms_between(&h.when, &seen) < 100);
	mmr_ring_destroy(h.r);
	close(h.ready[0]);
	close(h.ready[1]);
	return T_PASS;
}

/*
 * A thread that closes its end on a shared handle closes that end only:
 * the consumer drains and gets MMR_RING_EOF, and its own end is still its
 * to close. A thread holding an end for the whole process (no
 * MMR_RING_THREAD) that returns without closing is no death.
 */
static int eof_thread_closes_own_end(void)
{
	struct holder h = { .flags = MMR_RING_PRODUCER | MMR_RING_THREAD, .n = 5000,
			    .close = 1 };
	struct holder p = { .flags = MMR_RING_PRODUCER, .n = 10 };
	int64_t got;
	pthread_t t;

	CHECK_EQ(mmr_ring_create(&h.r, 4 * t_page(), MMR_RING_CONSUMER | MMR_RING_THREAD), 0);
	CHECK_EQ(holder_start(&h, &t), 0);
	/* Not this thread's end: nothing to close here yet but its own. */
	CHECK_EQ(consume_pattern(h.r, 1, &got), MMR_RING_EOF);
	CHECK_EQ(got, 5000);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(h.ret, 0);
	CHECK_EQ(mmr_ring_close(h.r), 0);	/* the consumer's end, still held */
	CHECK_EQ(mmr_ring_close(h.r), -EINVAL);	/* none left */
	mmr_ring_destroy(h.r);
	close(h.ready[0]);
	close(h.ready[1]);

	/* Held for the process: the thread's return changes nothing. */
	CHECK_EQ(mmr_ring_create(&p.r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(holder_start(&p, &t), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(mmr_ring_wait_readable(p.r, 11, 100), -ETIMEDOUT);
	mmr_ring_destroy(p.r);
	close(p.ready[0]);
	close(p.ready[1]);
	return T_PASS;
}

/* The header names a thread's claim that nobody holds, its live thread
 * holding another: the holder is dead, not that thread. */
static int death_thread_token_forged(void)
{
	struct holder h = { .flags = MMR_RING_PRODUCER | MMR_RING_THREAD, .hang = 1 };
	pthread_t t;
	int ret;

	CHECK_EQ(mmr_ring_create(&h.r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(holder_start(&h, &t), 0);
	ret = token_forged_check(h.r);
	pthread_cancel(t);
	pthread_join(t, NULL);
	CHECK_EQ(ret, T_PASS);
	mmr_ring_destroy(h.r);
	close(h.ready[0]);
	close(h.ready[1]);
	return T_PASS;
}

static int claim_refusals(void)
{
	mmr_ring *r;

	CHECK_EQ(mmr_ring_claim(NULL, MMR_RING_PRODUCER), -EINVAL);
	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_THREAD), -EINVAL);
	CHECK(strstr(mmr_last_error(), "no end to hold"));
	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	CHECK_EQ(mmr_ring_claim(r, 0), -EINVAL);
	CHECK_EQ(mmr_ring_claim(r, MMR_RING_THREAD), -EINVAL);
	CHECK_EQ(mmr_ring_claim(r, MMR_RING_PRODUCER | MMR_POPULATE), -EINVAL);
	CHECK_EQ(mmr_ring_close(r), -EINVAL);	/* holds nothing */
	CHECK_EQ(mmr_ring_claim(r, MMR_RING_PRODUCER), 0);
	CHECK_EQ(mmr_ring_close(r), 0);
	mmr_ring_destroy(r);
	return T_PASS;
}

/*
 * A consumer that sleeps on nearly every byte (strict alternation with a
 * producer process) probes its live peer (an F_OFD_GETLK, fcntl()) about
 * once per half liveness slice, not once per sleep: a sleep is futex
 * calls, not five system calls.
 */
static int liveness_probes_sparse(void)
{
	int n = 3000, status;
	uint64_t futex0, poll0, futex, polls;
	mmr_ring *r;
	pid_t pid;

	if (t_under_valgrind())
		SKIP("valgrind slows each sleep to where every sleep is due a probe");
	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(mmr_ring_set_spin(r, 0), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		size_t cap = mmr_ring_capacity(r);
		mmr_ring *p;

		if (mmr_ring_open_fd(&p, mmr_ring_fd(r), MMR_RING_PRODUCER) ||
		    mmr_ring_set_spin(p, 0))
			_exit(1);
		for (int i = 0; i < n; i++) {
			unsigned char *w;

			if (mmr_ring_wait_writable(p, cap, T_WAIT_MS) || !(w = mmr_ring_reserve(p, 1)))
				_exit(2);
			*w = (unsigned char)i;
			mmr_ring_produce(p, 1);
		}
		_exit(mmr_ring_close(p) ? 3 : 0);
	}
	futex0 = mmri_sys_calls(MMRI_SYS_FUTEX);
	poll0 = mmri_sys_calls(MMRI_SYS_FCNTL) + mmri_sys_calls(MMRI_SYS_GETPID);
	for (int i = 0; i < n; i++) {
		const unsigned char *q;

		CHECK_EQ(mmr_ring_wait_readable(r, 1, T_WAIT_MS), 0);
		CHECK((q = mmr_ring_peek(r, 1)));
		CHECK_EQ(*q, (unsigned char)i);
		mmr_ring_consume(r, 1);
	}
	futex = mmri_sys_calls(MMRI_SYS_FUTEX) - futex0;
	polls = mmri_sys_calls(MMRI_SYS_FCNTL) + mmri_sys_calls(MMRI_SYS_GETPID) - poll0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	printf("# %d bytes in alternation: %llu futex calls, %llu fcntl+getpid\n", n,
	       (unsigned long long)futex, (unsigned long long)polls);
	if (futex < 200)
		SKIP("the consumer slept only %llu times: nothing to count",
		     (unsigned long long)futex / 2);
	CHECK(polls * 8 < futex);
	mmr_ring_destroy(r);
	return T_PASS;
}

T_MAIN(T(eof_process), T(eof_fork_copy_keeps_end), T(eof_short_tail), T(eof_threads), T(eof_consumer_gone),
       T(death_producer_killed),
       T(death_producer_killed_no_proc), T(death_consumer_killed), T(death_token_forged),
       T(death_thread_returns), T(death_thread_cancelled), T(death_thread_no_pidfd),
       T(death_consumer_thread), T(eof_thread_closes_own_end), T(death_thread_token_forged),
       T(claim_refusals), T(liveness_probes_sparse))
