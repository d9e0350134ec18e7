// SPDX-License-Identifier: MIT
/*
 * The ends' liveness has pipe semantics: an end is alive while a holder
 * holds it and gone when the last holder closes it, exits or execs,
 * whatever the pids, namespaces, /proc or clocks say. Each case here was
 * reported wrongly by the pid/start-time design (issue 24).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "helpers.h"
#include "ring_sync.h"
#include "syscall.h"

#define H_PID offsetof(struct ring_shared, end[RING_PRODUCER].pid)

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void ms_sleep(long ms)
{
	struct timespec d = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&d, NULL);
}

/* Produce @n bytes of 'x' on @p (no waiting: the ring has room). */
static int produce_n(mmr_ring *p, size_t n)
{
	unsigned char *w = mmr_ring_reserve(p, n);

	if (!w)
		return -1;
	memset(w, 'x', n);
	mmr_ring_produce(p, n);
	return 0;
}

/* Wait for one byte on the pipe the child writes once it is ready. */
static int ready_wait(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

static void ready_say(int fd)
{
	if (write(fd, "r", 1) != 1)
		_exit(9);
}

/* In a child: attach as the producer, say so, and stay until killed. */
static void __attribute__((noreturn)) hold_producer(mmr_ring *r, int ready_fd)
{
	mmr_ring *p;

	if (mmr_ring_open_fd(&p, mmr_ring_fd(r), MMR_RING_PRODUCER))
		_exit(1);
	ready_say(ready_fd);
	for (;;)
		pause();
}

static void *sleep_then_exit(void *arg)
{
	(void)arg;
	ms_sleep(3000);
	_exit(0);
}

/*
 * 1. The main thread of a process holds the producer end for itself
 * (MMR_RING_THREAD), produces 50 bytes and calls pthread_exit() while
 * another thread lives on: the consumer's wait for 51 gets -EPIPE, the
 * 50 bytes still there.
 */
static int main_thread_exit(void)
{
	struct timespec t0;
	int rdy[2], status;
	size_t avail;
	mmr_ring *r;
	pid_t pid;

	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(pipe(rdy), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		mmr_ring *p;
		pthread_t t;

		if (mmr_ring_open_fd(&p, mmr_ring_fd(r), MMR_RING_PRODUCER | MMR_RING_THREAD) ||
		    produce_n(p, 50) || pthread_create(&t, NULL, sleep_then_exit, NULL))
			_exit(1);
		ready_say(rdy[1]);
		ms_sleep(300);
		pthread_exit(NULL);
	}
	CHECK_EQ(ready_wait(rdy[0]), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(mmr_ring_wait_readable(r, 51, 3000), -EPIPE);
	CHECK(ms_since(&t0) < 1000);
	mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, 50);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	mmr_ring_destroy(r);
	close(rdy[0]);
	close(rdy[1]);
	return T_PASS;
}

/*
 * 2. Two handles of one process: A held the producer end, B claimed it
 * since. Destroying A closes nothing: B holds the end.
 */
static int old_handle_destroyed(void)
{
	mmr_ring *c, *a, *b;

	CHECK_EQ(mmr_ring_create(&c, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(mmr_ring_open_fd(&a, mmr_ring_fd(c), MMR_RING_PRODUCER), 0);
	CHECK_EQ(mmr_ring_open_fd(&b, mmr_ring_fd(c), 0), 0);
	CHECK_EQ(mmr_ring_claim(b, MMR_RING_PRODUCER), 0);
	mmr_ring_destroy(a);
	CHECK_EQ(mmr_ring_wait_readable(c, 1, 100), -ETIMEDOUT);
	CHECK_EQ(produce_n(b, 3), 0);
	CHECK_EQ(mmr_ring_wait_readable(c, 3, 100), 0);
	mmr_ring_destroy(b);
	CHECK_EQ(mmr_ring_wait_readable(c, 4, 100), MMR_RING_EOF);
	mmr_ring_destroy(c);
	return T_PASS;
}

/*
 * A child, set up by @enter (namespaces), attaches as the producer and
 * stays: the consumer must see it alive, then gone once it is killed.
 * @enter runs in the child before it forks the holder; it returns a
 * reason to skip, or NULL.
 */
static int alive_elsewhere(const char *(*enter)(void), int hide_proc)
{
	int rdy[2], hp[2], status;
	pid_t pid, holder = -1;
	char why[200] = "";
	mmr_ring *r;
	int ret;

	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(pipe(rdy), 0);
	CHECK_EQ(pipe(hp), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		const char *skip = enter ? enter() : NULL;
		pid_t holder;

		if (skip) {
			if (write(rdy[1], skip, strlen(skip)) < 0)
				_exit(1);
			_exit(77);
		}
		/* A fork, so that a new PID or time namespace applies. */
		holder = fork();
		if (holder == 0) {
			hold_producer(r, rdy[1]);
		}
		if (write(hp[1], &holder, sizeof(holder)) != sizeof(holder))
			_exit(1);
		waitpid(holder, NULL, 0);
		_exit(0);
	}
	close(rdy[1]);
	close(hp[1]);
	if (read(rdy[0], why, sizeof(why) - 1) <= 0 || strcmp(why, "r")) {
		waitpid(pid, &status, 0);
		mmr_ring_destroy(r);
		close(rdy[0]);
		close(hp[0]);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
			SKIP("%s", why);
		CHECK(!"the holder child failed to attach");
	}
	CHECK_EQ(read(hp[0], &holder, sizeof(holder)), sizeof(holder));
	if (hide_proc) {
		mmri_fault_inject(MMRI_SYS_READ, EACCES, 0, 0);
		mmri_fault_inject(MMRI_SYS_READLINK, EACCES, 0, 0);
	}
	ret = mmr_ring_wait_readable(r, 1, 300);
	mmri_fault_clear();
	kill(holder, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK_EQ(ret, -ETIMEDOUT);
	/* And gone once killed. */
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 2000), -EPIPE);
	close(rdy[0]);
	close(hp[0]);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* 5a. /proc/<pid> of the peer unreadable (hidepid=2, another user): the
 * consumer's reads of /proc fail; the peer is alive all the same. */
static int alive_hidden_proc(void)
{
	return alive_elsewhere(NULL, 1);
}

static const char *enter_userns(int flags)
{
	if (unshare(CLONE_NEWUSER | flags))
		return "no unprivileged user namespaces here (unshare failed)";
	return NULL;
}

/* 5b. The producer in a child PID namespace: its pid there is 1. */
static const char *enter_pidns(void)
{
	return enter_userns(CLONE_NEWPID);
}

static int alive_pid_namespace(void)
{
	return alive_elsewhere(enter_pidns, 0);
}

/* 5c. The producer in a time namespace whose boot time is 1000 s off. */
static const char *enter_timens(void)
{
	const char *why = enter_userns(CLONE_NEWTIME);
	int fd;

	if (why)
		return "no time namespaces here (unshare failed)";
	fd = open("/proc/self/timens_offsets", O_WRONLY);
	if (fd < 0 || write(fd, "boottime 1000 0", 15) != 15)
		return "cannot set a time namespace's boottime offset";
	close(fd);
	return NULL;
}

static int alive_time_namespace(void)
{
	return alive_elsewhere(enter_timens, 0);
}

/* Clock ticks after boot at which @pid started (/proc/<pid>/stat field 22). */
static unsigned long long start_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')'))) {
		for (int field = 2; field < 22 && p; field++)
			p = strchr(p + 1, ' ');
		if (p)
			v = strtoull(p + 1, NULL, 10);
	}
	fclose(f);
	return v;
}

/*
 * 6. The producer dies and its pid names, at once, a process started in
 * the same clock tick (as a pid reused within a tick would): the end is
 * dead all the same.
 */
static int dead_pid_reused_same_tick(void)
{
	pid_t a = -1, b = -1;
	uint32_t pid32;
	mmr_ring *r;
	char *h;
	int rdy[2], ret;

	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(pipe(rdy), 0);
	for (int tries = 0; tries < 50; tries++) {
		a = fork();
		CHECK(a >= 0);
		if (a == 0) {
			hold_producer(r, rdy[1]);
		}
		b = fork();
		CHECK(b >= 0);
		if (b == 0) {
			for (;;)
				pause();
		}
		CHECK_EQ(ready_wait(rdy[0]), 0);
		if (start_ticks(a) && start_ticks(a) == start_ticks(b))
			break;
		kill(a, SIGKILL);
		kill(b, SIGKILL);
		waitpid(a, NULL, 0);
		waitpid(b, NULL, 0);
		a = b = -1;
	}
	if (a < 0) {
		mmr_ring_destroy(r);
		SKIP("no two children started within one clock tick in 50 tries");
	}
	/* Seen alive: the consumer watches this holder. */
	ret = mmr_ring_wait_readable(r, 1, 60);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	h = mmap(NULL, t_page(), PROT_READ | PROT_WRITE, MAP_SHARED, mmr_ring_fd(r), 0);
	CHECK(h != MAP_FAILED);
	pid32 = (uint32_t)b;
	memcpy(h + H_PID, &pid32, 4);
	munmap(h, t_page());
	CHECK_EQ(ret, -ETIMEDOUT);
	ret = mmr_ring_wait_readable(r, 1, 1000);
	kill(b, SIGKILL);
	waitpid(b, NULL, 0);
	CHECK_EQ(ret, -EPIPE);
	mmr_ring_destroy(r);
	close(rdy[0]);
	close(rdy[1]);
	return T_PASS;
}

/*
 * 7. The producer execs (its ring fd and mappings gone): the consumer
 * sees the end gone, as a pipe's reader sees EOF.
 */
static int dead_after_exec(void)
{
	struct timespec t0;
	int rdy[2];
	mmr_ring *r;
	pid_t pid;
	int ret;

	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(pipe2(rdy, O_CLOEXEC), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		mmr_ring *p;

		if (mmr_ring_open_fd(&p, mmr_ring_fd(r), MMR_RING_PRODUCER))
			_exit(1);
		ready_say(rdy[1]);
		ms_sleep(100);
		execlp("sleep", "sleep", "5", (char *)NULL);
		_exit(2);
	}
	CHECK_EQ(ready_wait(rdy[0]), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = mmr_ring_wait_readable(r, 1, 2000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK_EQ(ret, -EPIPE);
	CHECK(ms_since(&t0) < 1000);
	mmr_ring_destroy(r);
	close(rdy[0]);
	close(rdy[1]);
	return T_PASS;
}

/*
 * A child forked with the producer's handle keeps the end alive after
 * the process that claimed it exits without closing, as a forked child
 * keeps a pipe's end open; the end dies with the last holder.
 */
static int alive_in_forked_child(void)
{
	int rdy[2], status;
	pid_t pid, holder = -1;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(pipe(rdy), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		mmr_ring *p;
		pid_t c;

		if (mmr_ring_open_fd(&p, mmr_ring_fd(r), MMR_RING_PRODUCER))
			_exit(1);
		c = fork();
		if (c == 0) {
			for (;;)
				pause();
		}
		if (write(rdy[1], &c, sizeof(c)) != sizeof(c))
			_exit(1);
		_exit(0);	/* without closing */
	}
	CHECK_EQ(read(rdy[0], &holder, sizeof(holder)), sizeof(holder));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 200), -ETIMEDOUT);
	kill(holder, SIGKILL);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 2000), -EPIPE);
	mmr_ring_destroy(r);
	close(rdy[0]);
	close(rdy[1]);
	return T_PASS;
}

struct thread_holder {
	mmr_ring *h;
	int ready[2];
};

static void *hold_as_thread(void *arg)
{
	struct thread_holder *t = arg;

	if (mmr_ring_claim(t->h, MMR_RING_PRODUCER | MMR_RING_THREAD))
		return NULL;
	ready_say(t->ready[1]);
	for (;;)
		pause();	/* until cancelled */
	return NULL;
}

/*
 * An end has two mutex slots for threads: with two live thread holders
 * that did not close it, a third thread claim is refused (EBUSY); once
 * one of them exits, the claim goes through, on the slot it freed.
 */
static int thread_claims_two_slots(void)
{
	struct thread_holder t[2];
	pthread_t th[2];
	mmr_ring *c, *x;

	CHECK_EQ(mmr_ring_create(&c, 1, MMR_RING_CONSUMER), 0);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(mmr_ring_open_fd(&t[i].h, mmr_ring_fd(c), 0), 0);
		CHECK_EQ(pipe(t[i].ready), 0);
		CHECK_EQ(pthread_create(&th[i], NULL, hold_as_thread, &t[i]), 0);
		CHECK_EQ(ready_wait(t[i].ready[0]), 0);
	}
	CHECK_EQ(mmr_ring_open_fd(&x, mmr_ring_fd(c), 0), 0);
	CHECK_EQ(mmr_ring_claim(x, MMR_RING_PRODUCER | MMR_RING_THREAD), -EBUSY);
	CHECK(strstr(mmr_last_error(), "alive and did not close"));
	pthread_cancel(th[0]);
	pthread_join(th[0], NULL);
	CHECK_EQ(mmr_ring_claim(x, MMR_RING_PRODUCER | MMR_RING_THREAD), 0);
	CHECK_EQ(mmr_ring_wait_readable(c, 1, 60), -ETIMEDOUT);	/* x holds it */
	mmr_ring_destroy(x);
	CHECK_EQ(mmr_ring_wait_readable(c, 1, 100), MMR_RING_EOF);
	pthread_cancel(th[1]);
	pthread_join(th[1], NULL);
	for (int i = 0; i < 2; i++) {
		mmr_ring_destroy(t[i].h);
		close(t[i].ready[0]);
		close(t[i].ready[1]);
	}
	mmr_ring_destroy(c);
	return T_PASS;
}

T_MAIN(T(main_thread_exit), T(old_handle_destroyed), T(alive_hidden_proc),
       T(alive_pid_namespace), T(alive_time_namespace), T(dead_pid_reused_same_tick),
       T(dead_after_exec), T(alive_in_forked_child),
       T(thread_claims_two_slots))
