// SPDX-License-Identifier: MIT
/*
 * Handing a ring to another process in one call: its fd over a UNIX
 * socket (SCM_RIGHTS), with a small tag so that the receiver knows it got
 * a ring and not some other fd. The receiver trusts nothing it got: extra
 * or truncated descriptors are closed, the object is checked by
 * mmr_ring_open_fd() (seals, header) as any other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "ring_sync.h"
#include "syscall.h"

struct ring_tag {
	char name[8];		/* "mmr_ring" */
	uint32_t version;	/* RING_VERSION of the sender */
	uint32_t pad;
};

static const char tag_name[8] = { 'm', 'm', 'r', '_', 'r', 'i', 'n', 'g' };

int mmr_ring_send(int sock, const mmr_ring *r)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct ring_tag tag = { .version = RING_VERSION };
	int fds[3], nfds = 1;
	struct iovec iov = { &tag, sizeof(tag) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	if (!r)
		return mmri_err(EINVAL, "mmr_ring_send: ring is NULL");
	fd = mmr_region_fd(r->reg);
	if (fd < 0)
		return mmri_err(-fd, "mmr_ring_send: the ring's %s backend has no fd to "
				"send: create it with the memfd backend",
				mmr_backend_name(mmr_region_backend(r->reg)));
	/* The object, then the eventfds for poll() if this handle has them. */
	fds[0] = fd;
	if (r->efd[RING_CONSUMER] >= 0 && r->efd[RING_PRODUCER] >= 0) {
		fds[1] = r->efd[RING_CONSUMER];
		fds[2] = r->efd[RING_PRODUCER];
		nfds = 3;
	}
	memcpy(tag.name, tag_name, sizeof(tag.name));
	memset(ctl.buf, 0, sizeof(ctl.buf));	/* the padding goes out too */
	msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	n = mmri_sendmsg(sock, &msg, MSG_NOSIGNAL);
	if (n < 0)
		return mmri_err((int)-n, "mmr_ring_send: sendmsg on socket %d failed%s",
				sock, n == -ENOTSOCK ? ": not a socket" :
				n == -EPIPE ? ": the other end is closed" : "");
	if ((size_t)n != sizeof(tag))
		return mmri_err(EIO, "mmr_ring_send: sendmsg sent %zd of %zu bytes",
				n, sizeof(tag));
	return 0;
}

/* The first three descriptors a message carried in @fd; the others are
 * closed. Returns how many it carried. */
static int take_fds(struct msghdr *msg, int fd[3])
{
	int n = 0;

	fd[0] = fd[1] = fd[2] = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < 3)
				fd[n] = f;
			else
				mmri_close(f);
			n++;
		}
	}
	return n;
}

/*
 * A peer could send anything: what a poller needs is an eventfd that
 * never blocks, neither the reset read() of mmr_ring_poll_arm() nor a
 * publisher's write() (a counter near its maximum blocks a blocking one).
 * A blocking one is refused, not made non-blocking: its flags belong to
 * the sender's open file description too.
 */
static bool ring_is_eventfd(int fd)
{
	char path[64], link[64];
	ssize_t n;
	int fl;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = mmri_readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = 0;
	fl = mmri_fcntl(fd, F_GETFL, 0);
	return !strcmp(link, "anon_inode:[eventfd]") && fl >= 0 && (fl & O_NONBLOCK);
}

int mmr_ring_recv(int sock, mmr_ring **out, unsigned flags)
{
	/* Room for one more descriptor than we take (to see extras), and for
	 * the credentials a socket with SO_PASSCRED adds to every message. */
	union {
		char buf[CMSG_SPACE(4 * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct ring_tag tag;
	struct iovec iov = { &tag, sizeof(tag) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;
	int fd[3], nfds, ret;

	if (!out)
		return mmri_err(EINVAL, "mmr_ring_recv: out is NULL");
	*out = NULL;
	n = mmri_recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return mmri_err((int)-n, "mmr_ring_recv: recvmsg on socket %d failed%s",
				sock, n == -ENOTSOCK ? ": not a socket" : "");
	nfds = take_fds(&msg, fd);
	if (n == 0)
		ret = mmri_err(EPIPE, "mmr_ring_recv: the peer closed socket %d without "
			       "sending a ring", sock);
	else if ((size_t)n != sizeof(tag) || memcmp(tag.name, tag_name, sizeof(tag_name)))
		ret = mmri_err(EPROTO, "mmr_ring_recv: the message on socket %d is not "
			       "from mmr_ring_send()", sock);
	else if (tag.version != RING_VERSION)
		ret = mmri_err(EPROTO, "mmr_ring_recv: the sender's ring has layout "
			       "version %u; this library reads version %u",
			       tag.version, RING_VERSION);
	else if ((nfds != 1 && nfds != 3) || (msg.msg_flags & MSG_CTRUNC))
		ret = mmri_err(EPROTO, "mmr_ring_recv: the message carried %d descriptors%s, "
			       "not one or three", nfds, msg.msg_flags & MSG_CTRUNC ?
			       " (truncated)" : "");
	else if (nfds == 3 && (!ring_is_eventfd(fd[1]) || !ring_is_eventfd(fd[2])))
		ret = mmri_err(EPROTO, "mmr_ring_recv: the descriptors sent for poll() "
			       "are not eventfds, or block");
	else
		ret = mmr_ring_open_fd(out, fd[0], flags);
	if (!ret && nfds == 3) {
		/* The ring owns them now. */
		(*out)->efd[RING_CONSUMER] = fd[1];
		(*out)->efd[RING_PRODUCER] = fd[2];
		fd[1] = fd[2] = -1;
		mmri_ring_set_kicks(*out);
	}
	for (int i = 0; i < 3; i++)
		if (fd[i] >= 0)
			mmri_close(fd[i]);
	return ret;
}
