// SPDX-License-Identifier: MIT
/*
 * mmr_ring_send()/mmr_ring_recv(): a ring handed over a UNIX socket in one
 * call each, and what the receiver refuses: a message that is not a ring,
 * extra descriptors (closed, not leaked), a closed socket.
 */
#include <stdint.h>
#include <sys/socket.h>

#include <sys/eventfd.h>

#include "helpers.h"
#include "ring_sync.h"

static int send_recv_process(void)
{
	int sv[2], status;
	mmr_ring *r;
	size_t avail;
	char *w;
	pid_t pid;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		mmr_ring *c;
		const char *p;

		close(sv[0]);
		if (mmr_ring_recv(sv[1], &c, MMR_RING_CONSUMER) ||
		    mmr_ring_wait_readable(c, 6, 5000))
			_exit(1);
		p = mmr_ring_read_ptr(c, &avail);
		if (avail != 6 || memcmp(p, "hello", 6))
			_exit(2);
		mmr_ring_consume(c, 6);
		_exit(mmr_ring_wait_readable(c, 1, 5000) == MMR_RING_EOF ? 0 : 3);
	}
	close(sv[1]);
	CHECK_EQ(mmr_ring_create(&r, 1, MMR_RING_PRODUCER), 0);
	CHECK_EQ(mmr_ring_send(sv[0], r), 0);
	w = mmr_ring_write_ptr(r, &avail);
	memcpy(w, "hello", 6);
	mmr_ring_produce(r, 6);
	CHECK_EQ(mmr_ring_close(r), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	mmr_ring_destroy(r);
	close(sv[0]);
	return T_PASS;
}

/* Send @nfds copies of @fd with @payload. */
static int send_raw(int sock, const void *payload, size_t len, int fd, int nfds)
{
	char buf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { (void *)payload, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	memset(buf, 0, sizeof(buf));
	if (nfds) {
		msg.msg_control = buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		for (int i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, 0) == (ssize_t)len ? 0 : -1;
}

static int send_recv_refusals(void)
{
	struct { char name[8]; uint32_t version, pad; } tag = { "mmr_rin", RING_VERSION, 0 };
	mmr_ring *r, *got = (mmr_ring *)1;
	int sv[2], fds, maps;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fds = t_count_fds();
	maps = t_count_maps();
	/* Not a ring's tag. */
	CHECK_EQ(send_raw(sv[0], "garbage-garbage!", 16, mmr_ring_fd(r), 1), 0);
	CHECK_EQ(mmr_ring_recv(sv[1], &got, 0), -EPROTO);
	CHECK(got == NULL);
	CHECK(strstr(mmr_last_error(), "not from mmr_ring_send"));
	/* The right tag, three memfds: not eventfds; all closed, none kept. */
	memcpy(tag.name, "mmr_ring", 8);
	CHECK_EQ(send_raw(sv[0], &tag, sizeof(tag), mmr_ring_fd(r), 3), 0);
	CHECK_EQ(mmr_ring_recv(sv[1], &got, 0), -EPROTO);
	CHECK(strstr(mmr_last_error(), "not eventfds"));
	/* Four descriptors. */
	CHECK_EQ(send_raw(sv[0], &tag, sizeof(tag), mmr_ring_fd(r), 4), 0);
	CHECK_EQ(mmr_ring_recv(sv[1], &got, 0), -EPROTO);
	CHECK(strstr(mmr_last_error(), "4 descriptors"));
	/* The right tag and no descriptor. */
	CHECK_EQ(send_raw(sv[0], &tag, sizeof(tag), -1, 0), 0);
	CHECK_EQ(mmr_ring_recv(sv[1], &got, 0), -EPROTO);
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	/* A real one still works on the same socket. */
	CHECK_EQ(mmr_ring_send(sv[0], r), 0);
	CHECK_EQ(mmr_ring_recv(sv[1], &got, 0), 0);
	CHECK_EQ(mmr_ring_capacity(got), mmr_ring_capacity(r));
	mmr_ring_destroy(got);
	/* Bad arguments and a closed peer. */
	CHECK_EQ(mmr_ring_send(sv[0], NULL), -EINVAL);
	CHECK_EQ(mmr_ring_recv(sv[1], NULL, 0), -EINVAL);
	CHECK_EQ(mmr_ring_send(-1, r), -EBADF);
	close(sv[0]);
	CHECK_EQ(mmr_ring_recv(sv[1], &got, 0), -EPIPE);
	close(sv[1]);
	CHECK_EQ(t_count_fds(), fds - 2);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* Send a real ring's object with two eventfds made with @efd_flags. */
static int send_with_eventfds(int sock, mmr_ring *r, int efd_flags, uint64_t count)
{
	struct ring_tag_raw { char name[8]; uint32_t version, pad; } tag = {
		"mmr_rin", RING_VERSION, 0 };
	union { char buf[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr a; } ctl;
	struct iovec iov = { &tag, sizeof(tag) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	int fds[3], ret;

	memcpy(tag.name, "mmr_ring", 8);
	fds[0] = mmr_ring_fd(r);
	fds[1] = eventfd(0, efd_flags);
	fds[2] = eventfd(0, efd_flags);
	if (fds[1] < 0 || fds[2] < 0)
		return -1;
	if (count && (write(fds[1], &count, 8) != 8 || write(fds[2], &count, 8) != 8))
		return -1;
	memset(ctl.buf, 0, sizeof(ctl.buf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	ret = sendmsg(sock, &msg, 0) == (ssize_t)sizeof(tag) ? 0 : -1;
	close(fds[1]);
	close(fds[2]);
	return ret;
}

/*
 * A hostile sender's eventfds block (no O_NONBLOCK): a poller's reset
 * read() would hang on a zero counter, a publisher's write() on one near
 * its maximum. Refused at the receive, every descriptor closed.
 */
static int recv_blocking_eventfds(void)
{
	mmr_ring *r, *got = NULL;
	int sv[2], fds;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fds = t_count_fds();
	CHECK_EQ(send_with_eventfds(sv[0], r, EFD_CLOEXEC, 0), 0);
	CHECK_EQ(mmr_ring_recv(sv[1], &got, MMR_RING_CONSUMER), -EPROTO);
	CHECK(strstr(mmr_last_error(), "block"));
	CHECK_EQ(send_with_eventfds(sv[0], r, EFD_CLOEXEC, 0xfffffffffffffffeull), 0);
	CHECK_EQ(mmr_ring_recv(sv[1], &got, MMR_RING_PRODUCER), -EPROTO);
	CHECK_EQ(t_count_fds(), fds);
	/* Non-blocking ones near the maximum: accepted, and nothing hangs. */
	CHECK_EQ(send_with_eventfds(sv[0], r, EFD_CLOEXEC | EFD_NONBLOCK,
				    0xfffffffffffffffeull), 0);
	CHECK_EQ(mmr_ring_recv(sv[1], &got, MMR_RING_PRODUCER), 0);
	CHECK(mmr_ring_reserve(got, 1));
	mmr_ring_produce(got, 1);
	CHECK_EQ(mmr_ring_poll_arm(got, 1), 0);
	mmr_ring_destroy(got);
	close(sv[0]);
	close(sv[1]);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* A receiving socket with SO_PASSCRED gets credentials with every
 * message: an honest ring still arrives whole. */
static int recv_passcred(void)
{
	mmr_ring *r, *got = NULL;
	int sv[2], on = 1;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	CHECK_EQ(mmr_ring_send(sv[0], r), 0);
	CHECK_EQ(mmr_ring_recv(sv[1], &got, MMR_RING_CONSUMER), 0);
	CHECK(mmr_ring_poll_fd(got) >= 0);	/* the eventfds came too */
	mmr_ring_destroy(got);
	close(sv[0]);
	close(sv[1]);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* A ring without an fd cannot be sent. */
static int send_no_fd(void)
{
	mmr_ring *r;
	int sv[2];

	if (mmr_ring_create(&r, 1, MMR_BACKEND_SYSV))
		SKIP("sysv backend unavailable: %s", mmr_last_error());
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(mmr_ring_send(sv[0], r), -EOPNOTSUPP);
	CHECK(strstr(mmr_last_error(), "no fd"));
	close(sv[0]);
	close(sv[1]);
	mmr_ring_destroy(r);
	return T_PASS;
}

T_MAIN(T(send_recv_process), T(send_recv_refusals), T(send_no_fd), T(recv_blocking_eventfds), T(recv_passcred))
