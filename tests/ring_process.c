// SPDX-License-Identifier: MIT
/*
 * The stream of ring_threads, across two processes: the consumer is a
 * child that attaches with mmr_ring_open_fd(), the fd passed over a UNIX
 * socket (SCM_RIGHTS) or inherited through fork().
 */
#include <stdint.h>
#include <sys/socket.h>

#include "helpers.h"
#include "ring_stream.h"

/* Child: attach, consume, send the checksum back. */
static void consumer_child(int sock, unsigned long n)
{
	uint64_t sum = 0;
	mmr_ring *r;
	int fd = t_recv_fd(sock);

	if (fd < 0 || mmr_ring_open_fd(&r, fd, 0))
		_exit(2);
	close(fd);
	if (stream_consume(r, n, &sum))
		_exit(3);
	if (write(sock, &sum, sizeof(sum)) != sizeof(sum))
		_exit(4);
	mmr_ring_destroy(r);
	_exit(0);
}

static int process_scm_rights(void)
{
	unsigned long n = stream_records();
	uint64_t sent, got = 0;
	int sv[2], status;
	mmr_ring *r;
	pid_t pid;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* Fork before the ring exists: the child can only know it by fd. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		consumer_child(sv[1], n);
	}
	close(sv[1]);
	CHECK_EQ(mmr_ring_create(&r, 2 * t_page(), 0), 0);
	CHECK_EQ(t_send_fd(sv[0], mmr_ring_fd(r)), 0);
	sent = stream_produce(r, n);
	CHECK(sent != 0);
	CHECK_EQ(read(sv[0], &got, sizeof(got)), sizeof(got));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(got == sent);
	CHECK_EQ(mmr_ring_error(r), 0);
	close(sv[0]);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* fork() after create: the child uses the ring it inherited, reversed
 * roles (the child produces), with a small ring so both sides sleep. */
static int process_fork_inherit(void)
{
	unsigned long n = stream_records() / 10;
	uint64_t got = 0, want;
	int sv[2], status;
	mmr_ring *r;
	pid_t pid;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		uint64_t sum = stream_produce(r, n);

		_exit(write(sv[1], &sum, sizeof(sum)) == sizeof(sum) ? 0 : 1);
	}
	CHECK_EQ(stream_consume(r, n, &got), 0);
	CHECK_EQ(read(sv[0], &want, sizeof(want)), sizeof(want));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(got == want);
	mmr_ring_destroy(r);
	close(sv[0]);
	close(sv[1]);
	return T_PASS;
}

/* Two attachments in one process see one ring, at different addresses. */
static int process_two_attachments(void)
{
	mmr_ring *a, *b;
	size_t avail;
	char *w;
	const char *rd;

	CHECK_EQ(mmr_ring_create(&a, 1, 0), 0);
	CHECK_EQ(mmr_ring_open_fd(&b, mmr_ring_fd(a), 0), 0);
	CHECK_EQ(mmr_ring_capacity(b), mmr_ring_capacity(a));
	w = mmr_ring_write_ptr(a, &avail);
	memcpy(w, "hello", 5);
	mmr_ring_produce(a, 5);
	rd = mmr_ring_read_ptr(b, &avail);
	CHECK(rd != w);
	CHECK_EQ(avail, 5);
	CHECK(!memcmp(rd, "hello", 5));
	mmr_ring_consume(b, 5);
	mmr_ring_read_ptr(a, &avail);
	CHECK_EQ(avail, 0);
	mmr_ring_destroy(b);
	mmr_ring_destroy(a);
	return T_PASS;
}

T_MAIN(T(process_scm_rights), T(process_fork_inherit), T(process_two_attachments))
