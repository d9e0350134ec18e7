// SPDX-License-Identifier: MIT
/*
 * A ring in poll(): the eventfd of mmr_ring_poll_fd() becomes readable when
 * the threshold armed by mmr_ring_poll_arm() is met or the peer closes;
 * the peer's pidfd when it dies.
 */
#include <poll.h>
#include <time.h>
#include <stdint.h>
#include <sys/socket.h>

#include "helpers.h"

/* A child that receives the ring as its producer, produces @n bytes in
 * steps of @step with pauses, then closes (or hangs if @hang). */
static pid_t producer_child(int sock, size_t n, size_t step, int hang)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct timespec d = { 0, 20 * 1000000 };
		mmr_ring *p;

		if (mmr_ring_recv(sock, &p, MMR_RING_PRODUCER))
			_exit(1);
		for (size_t done = 0; done < n; done += step) {
			size_t avail;
			char *w;

			nanosleep(&d, NULL);
			if (mmr_ring_wait_writable(p, step, 5000))
				_exit(2);
			w = mmr_ring_write_ptr(p, &avail);
			memset(w, 'p', step);
			mmr_ring_produce(p, step);
		}
		while (hang)
			pause();
		mmr_ring_destroy(p);	/* closes the end */
		_exit(0);
	}
	return pid;
}

static int poll_process(void)
{
	size_t got = 0, polls = 0;
	int sv[2], status, ret;
	mmr_ring *r;
	pid_t pid;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(mmr_ring_send(sv[0], r), 0);
	pid = producer_child(sv[1], 1000, 100, 0);
	CHECK(pid > 0);
	for (;;) {
		struct pollfd p = { .fd = mmr_ring_poll_fd(r), .events = POLLIN };
		size_t avail;

		ret = mmr_ring_poll_arm(r, 300);
		if (ret == -EAGAIN) {
			/* Not a timeout: the producer's threshold wakes us. */
			CHECK_EQ(poll(&p, 1, 5000), 1);
			polls++;
			continue;
		}
		if (ret == MMR_RING_EOF) {
			mmr_ring_read_ptr(r, &avail);	/* the tail under 300 */
			got += avail;
			break;
		}
		CHECK_EQ(ret, 0);
		mmr_ring_read_ptr(r, &avail);
		CHECK(avail >= 300);
		got += avail;
		mmr_ring_consume(r, avail);
	}
	CHECK_EQ(got, 1000);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Three wake-ups for 3 x 300 bytes, one for the close: not ten. */
	CHECK(polls >= 2 && polls <= 6);
	mmr_ring_destroy(r);
	close(sv[0]);
	close(sv[1]);
	return T_PASS;
}

static int poll_peer_death(void)
{
	int sv[2], pidfd;
	mmr_ring *r;
	pid_t pid;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(mmr_ring_send(sv[0], r), 0);
	pid = producer_child(sv[1], 100, 100, 1);
	CHECK(pid > 0);
	CHECK_EQ(mmr_ring_wait_readable(r, 100, 5000), 0);
	CHECK_EQ(mmr_ring_poll_arm(r, 200), -EAGAIN);
	pidfd = mmr_ring_peer_pidfd(r);
	if (pidfd == -ENOENT) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		mmr_ring_destroy(r);
		close(sv[0]);
		close(sv[1]);
		SKIP("no pidfd_open here (valgrind does not know it): %s",
		     mmr_last_error());
	}
	CHECK(pidfd >= 0);
	kill(pid, SIGKILL);
	{
		struct pollfd p[2] = {
			{ .fd = mmr_ring_poll_fd(r), .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};

		CHECK_EQ(poll(p, 2, 5000), 1);
		CHECK(p[1].revents & POLLIN);
	}
	CHECK_EQ(mmr_ring_poll_arm(r, 200), -EPIPE);
	CHECK_EQ(mmr_ring_poll_arm(r, 100), 0);	/* its bytes are still there */
	waitpid(pid, NULL, 0);
	mmr_ring_destroy(r);
	close(sv[0]);
	close(sv[1]);
	return T_PASS;
}

/*
 * The producer attached with mmr_ring_open_fd() of a bare fd: it has no
 * eventfd to write. A poller must not be left armed on one that nobody
 * writes: either arming refuses, or the poll sees the bytes.
 */
static int poll_bare_producer(void)
{
	struct pollfd pfd;
	mmr_ring *c, *p;
	int ret;

	CHECK_EQ(mmr_ring_create(&c, 1, MMR_RING_CONSUMER), 0);
	CHECK_EQ(mmr_ring_open_fd(&p, mmr_ring_fd(c), MMR_RING_PRODUCER), 0);
	ret = mmr_ring_poll_arm(c, 10);
	if (ret == -EAGAIN) {
		unsigned char *w = mmr_ring_reserve(p, 10);

		CHECK(w);
		memset(w, 1, 10);
		mmr_ring_produce(p, 10);
		pfd = (struct pollfd){ .fd = mmr_ring_poll_fd(c), .events = POLLIN };
		CHECK_EQ(poll(&pfd, 1, 1000), 1);
	} else {
		CHECK_EQ(ret, -EOPNOTSUPP);
		CHECK(strstr(mmr_last_error(), "cannot wake a poller"));
		/* The threshold is not left behind: a publication wakes nobody. */
		CHECK(mmr_ring_reserve(p, 10));
		mmr_ring_produce(p, 10);
		CHECK_EQ(mmr_ring_wait_readable(c, 10, 0), 0);
	}
	mmr_ring_destroy(p);
	mmr_ring_destroy(c);
	return T_PASS;
}

static int poll_refusals(void)
{
	mmr_ring *r, *b;

	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_ROLES), 0);
	CHECK_EQ(mmr_ring_poll_fd(r), -EINVAL);
	CHECK(strstr(mmr_last_error(), "exactly one end"));
	CHECK_EQ(mmr_ring_poll_arm(r, 1), -EINVAL);
	CHECK_EQ(mmr_ring_open_fd(&b, mmr_ring_fd(r), MMR_RING_CONSUMER), 0);
	CHECK_EQ(mmr_ring_poll_fd(b), -EOPNOTSUPP);
	CHECK(strstr(mmr_last_error(), "mmr_ring_recv"));
	CHECK_EQ(mmr_ring_poll_fd(NULL), -EINVAL);
	CHECK_EQ(mmr_ring_poll_arm(NULL, 1), -EINVAL);
	mmr_ring_destroy(b);
	mmr_ring_destroy(r);
	return T_PASS;
}

T_MAIN(T(poll_process), T(poll_peer_death), T(poll_refusals), T(poll_bare_producer))
