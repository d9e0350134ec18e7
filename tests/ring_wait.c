// SPDX-License-Identifier: MIT
/* Sleeping on the ring: timeouts, wake-ups by the other side, bad minima. */
#include <limits.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "helpers.h"
#include "syscall.h"

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int wait_timeouts(void)
{
	struct timespec t0;
	size_t avail;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 0), -ETIMEDOUT);
	CHECK_EQ(mmr_ring_wait_writable(r, mmr_ring_capacity(r), 0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 50), -ETIMEDOUT);
	CHECK(ms_since(&t0) >= 49);
	CHECK(strstr(mmr_last_error(), "after 50 ms"));
	CHECK_EQ(mmr_ring_wait_readable(r, mmr_ring_capacity(r) + 1, -1), -EINVAL);
	mmr_ring_write_ptr(r, &avail);
	mmr_ring_produce(r, 10);
	CHECK_EQ(mmr_ring_wait_readable(r, 10, -1), 0);
	CHECK_EQ(mmr_ring_wait_readable(r, 11, 0), -ETIMEDOUT);
	CHECK_EQ(mmr_ring_wait_writable(r, mmr_ring_capacity(r), 20), -ETIMEDOUT);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* A huge spin count neither delays a wait that only checks nor runs past
 * a short timeout. */
static int wait_spin_bounded(void)
{
	struct timespec t0;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	CHECK_EQ(mmr_ring_set_spin(r, 1u << 28), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 0), -ETIMEDOUT);
	CHECK(ms_since(&t0) < 50);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 20), -ETIMEDOUT);
	CHECK(ms_since(&t0) < 250);
	CHECK_EQ(mmr_ring_set_spin(r, UINT_MAX), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(mmr_ring_wait_writable(r, mmr_ring_capacity(r) + 0, 0), 0);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 0), -ETIMEDOUT);
	CHECK(ms_since(&t0) < 50);
	mmr_ring_destroy(r);
	return T_PASS;
}

struct later {
	mmr_ring *r;
	int produce;	/* else consume */
	size_t n;
};

static void *act_later(void *arg)
{
	struct later *l = arg;
	struct timespec d = { 0, 30 * 1000000 };
	size_t avail;

	nanosleep(&d, NULL);
	if (l->produce) {
		/* In two steps: the sleeper wants both. */
		mmr_ring_write_ptr(l->r, &avail);
		mmr_ring_produce(l->r, l->n / 2);
		nanosleep(&d, NULL);
		mmr_ring_produce(l->r, l->n - l->n / 2);
	} else {
		mmr_ring_read_ptr(l->r, &avail);
		mmr_ring_consume(l->r, l->n);
	}
	return NULL;
}

static int wait_woken_readable(void)
{
	struct later l = { 0 };
	struct timespec t0;
	pthread_t t;
	size_t avail;

	CHECK_EQ(mmr_ring_create(&l.r, 1, 0), 0);
	l.produce = 1;
	l.n = 100;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(pthread_create(&t, NULL, act_later, &l), 0);
	CHECK_EQ(mmr_ring_wait_readable(l.r, 100, 5000), 0);
	CHECK(ms_since(&t0) < 4000);
	mmr_ring_read_ptr(l.r, &avail);
	CHECK_EQ(avail, 100);
	pthread_join(t, NULL);
	mmr_ring_destroy(l.r);
	return T_PASS;
}

static int wait_woken_writable(void)
{
	struct later l = { 0 };
	pthread_t t;
	size_t avail, cap;

	CHECK_EQ(mmr_ring_create(&l.r, 1, 0), 0);
	cap = mmr_ring_capacity(l.r);
	mmr_ring_write_ptr(l.r, &avail);
	mmr_ring_produce(l.r, cap);
	l.n = 64;
	CHECK_EQ(pthread_create(&t, NULL, act_later, &l), 0);
	CHECK_EQ(mmr_ring_wait_writable(l.r, 64, -1), 0);
	mmr_ring_write_ptr(l.r, &avail);
	CHECK_EQ(avail, 64);
	pthread_join(t, NULL);
	mmr_ring_destroy(l.r);
	return T_PASS;
}

/* Whether this kernel lets a process register for global barriers. */
static int t_membarrier_works(void)
{
	return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0) == 0;
}

/*
 * Strict alternation over a ring: the producer waits for the ring to be
 * empty before each byte, the consumer waits for each byte, so both sleep
 * on nearly every step and every wake-up is needed: one lost wake-up
 * stalls the pair until a 5 s wait fails the test. This is what checks
 * the publication protocol (src/ring.c: light wakers, membarrier sleepers).
 */
struct pingpong {
	mmr_ring *r;
	int n;
	int bad;	/* the consumer's first failure, as a line number */
};

static void *pong(void *arg)
{
	struct pingpong *pp = arg;
	size_t avail;

	for (int i = 0; i < pp->n; i++) {
		const unsigned char *p;

		if (mmr_ring_wait_readable(pp->r, 1, 5000)) {
			pp->bad = __LINE__;
			break;
		}
		p = mmr_ring_read_ptr(pp->r, &avail);
		if (avail != 1 || *p != (unsigned char)i) {
			pp->bad = __LINE__;
			break;
		}
		mmr_ring_consume(pp->r, 1);
	}
	return NULL;
}

static int pingpong(int n)
{
	struct pingpong pp = { .n = n };
	pthread_t t;
	size_t cap, avail;
	int i;

	CHECK_EQ(mmr_ring_create(&pp.r, 1, 0), 0);
	cap = mmr_ring_capacity(pp.r);
	CHECK_EQ(pthread_create(&t, NULL, pong, &pp), 0);
	for (i = 0; i < n; i++) {
		unsigned char *p;

		if (mmr_ring_wait_writable(pp.r, cap, 5000))
			break;
		p = mmr_ring_write_ptr(pp.r, &avail);
		*p = (unsigned char)i;
		mmr_ring_produce(pp.r, 1);
	}
	pthread_join(t, NULL);
	CHECK_EQ(pp.bad, 0);
	CHECK_EQ(i, n);
	CHECK_EQ(mmr_ring_error(pp.r), 0);
	mmr_ring_destroy(pp.r);
	return T_PASS;
}

static int wait_pingpong(void)
{
	return pingpong(t_under_valgrind() ? 2000 : 20000);
}

/* Sleepers whose membarrier fails (seccomp, say) sleep in 5 ms slices:
 * slower when a wake-up is lost, never stuck. */
static int wait_pingpong_no_barrier(void)
{
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);	/* registers, if it can */
	mmr_ring_destroy(r);
	mmri_fault_inject(MMRI_SYS_MEMBARRIER, EPERM, 0, 0);
	return pingpong(500);
}

/* A process that cannot register publishes with full fences. */
static int wait_pingpong_heavy(void)
{
	mmri_fault_inject(MMRI_SYS_MEMBARRIER, EPERM, 0, 0);
	return pingpong(500);
}

/*
 * A consumer process that cannot issue the barrier and believes the kernel
 * has none (its seccomp filter fakes ENOSYS, say), fed by a light producer
 * process: it must learn from the header that a light peer exists and
 * sleep in slices, or a missed wake-up stalls the pair.
 */
static int wait_pingpong_blind_process(void)
{
	int n = t_under_valgrind() ? 1000 : 20000;
	int sv[2], status, i;
	size_t cap, avail;
	mmr_ring *r;
	pid_t pid;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();	/* before any ring: the child decides its own mode */
	CHECK(pid >= 0);
	if (!pid) {
		struct pingpong pp = { .n = n };
		int fd;

		mmri_fault_inject(MMRI_SYS_MEMBARRIER, ENOSYS, 0, 0);
		fd = t_recv_fd(sv[1]);
		if (fd < 0 || mmr_ring_open_fd(&pp.r, fd, 0))
			_exit(2);
		pong(&pp);
		_exit(pp.bad ? 3 : 0);
	}
	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	CHECK_EQ(t_send_fd(sv[0], mmr_ring_fd(r)), 0);
	cap = mmr_ring_capacity(r);
	for (i = 0; i < n; i++) {
		unsigned char *p;

		if (mmr_ring_wait_writable(r, cap, 5000))
			break;
		p = mmr_ring_write_ptr(r, &avail);
		*p = (unsigned char)i;
		mmr_ring_produce(r, 1);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_EQ(i, n);
	CHECK_EQ(mmr_ring_error(r), 0);
	mmr_ring_destroy(r);
	close(sv[0]);
	close(sv[1]);
	return T_PASS;
}

/*
 * The same blind consumer, waiting 100 ms for bytes that never come: it
 * sleeps in 5 ms slices when a light peer announced itself in the header,
 * and in one piece when there is none. Counted futex calls tell which.
 */
static int blind_sleeps(int light_parent, unsigned long *futex_calls)
{
	int sv[2], status;
	unsigned long calls = 0;
	mmr_ring *r;
	pid_t pid;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		unsigned long before;
		int fd;

		mmri_fault_inject(MMRI_SYS_MEMBARRIER, ENOSYS, 0, 0);
		fd = t_recv_fd(sv[1]);
		if (fd < 0 || mmr_ring_open_fd(&r, fd, 0))
			_exit(2);
		before = mmri_sys_calls(MMRI_SYS_FUTEX);
		if (mmr_ring_wait_readable(r, 1, 100) != -ETIMEDOUT)
			_exit(3);
		calls = mmri_sys_calls(MMRI_SYS_FUTEX) - before;
		_exit(write(sv[1], &calls, sizeof(calls)) == sizeof(calls) ? 0 : 4);
	}
	if (!light_parent)
		mmri_fault_inject(MMRI_SYS_MEMBARRIER, EPERM, 0, 0);
	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	CHECK_EQ(t_send_fd(sv[0], mmr_ring_fd(r)), 0);
	CHECK_EQ(read(sv[0], &calls, sizeof(calls)), sizeof(calls));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	mmr_ring_destroy(r);
	close(sv[0]);
	close(sv[1]);
	*futex_calls = calls;
	return T_PASS;
}

static int wait_blind_sleeper_slices(void)
{
	unsigned long calls = 0;
	int ret = blind_sleeps(1, &calls);

	if (ret)
		return ret;
	if (calls == 1 && !t_membarrier_works())
		SKIP("membarrier(2) is not available here: no process publishes light");
	CHECK(calls >= 5);	/* 100 ms in 5 ms slices: about 20 */
	return T_PASS;
}

static int wait_blind_sleeper_whole(void)
{
	unsigned long calls = 0;
	int ret = blind_sleeps(0, &calls);	/* this process cannot register */

	if (ret)
		return ret;
	CHECK(calls <= 2);	/* no light peer: one sleep */
	return T_PASS;
}

/*
 * A blind process already asleep when a light one attaches: the attach
 * wakes it, it finds the light peer in the header and goes on in slices.
 * The light child attaches, stays 100 ms, then produces the byte the
 * sleeper waits for: the slices are counted from the attach, however late
 * it comes (under TSan, fork and attach take 50 ms and more: a fixed
 * window that assumed the attach at 50 ms left too few slices now and
 * then). A sleeper the attach did not wake sleeps in one piece until the
 * byte comes: one or two futex calls.
 */
static int wait_blind_sleeper_woken_by_attach(void)
{
	struct timespec d = { 0, 50 * 1000000 };
	unsigned long before, calls;
	int sv[2], status;
	mmr_ring *r;
	pid_t pid;

	if (!t_membarrier_works())
		SKIP("membarrier(2) is not available here: no process publishes light");
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {	/* light: attaches after 50 ms, one byte 100 ms later */
		int fd = t_recv_fd(sv[1]);
		unsigned char *p;

		nanosleep(&d, NULL);
		if (fd < 0 || mmr_ring_open_fd(&r, fd, 0))
			_exit(2);
		nanosleep(&d, NULL);
		nanosleep(&d, NULL);
		p = mmr_ring_reserve(r, 1);
		if (!p)
			_exit(3);
		*p = 42;
		mmr_ring_produce(r, 1);
		mmr_ring_destroy(r);
		_exit(0);
	}
	mmri_fault_inject(MMRI_SYS_MEMBARRIER, ENOSYS, 0, 0);
	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	CHECK_EQ(t_send_fd(sv[0], mmr_ring_fd(r)), 0);
	before = mmri_sys_calls(MMRI_SYS_FUTEX);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 10000), 0);
	calls = mmri_sys_calls(MMRI_SYS_FUTEX) - before;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK(calls >= 5);	/* woken by the attach, then 100 ms in 5 ms slices */
	mmr_ring_destroy(r);
	close(sv[0]);
	close(sv[1]);
	return T_PASS;
}

T_MAIN(T(wait_timeouts), T(wait_spin_bounded), T(wait_woken_readable), T(wait_woken_writable),
       T(wait_pingpong), T(wait_pingpong_no_barrier), T(wait_pingpong_heavy),
       T(wait_pingpong_blind_process), T(wait_blind_sleeper_slices),
       T(wait_blind_sleeper_whole), T(wait_blind_sleeper_woken_by_attach))
