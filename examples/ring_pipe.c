// SPDX-License-Identifier: MIT
/*
 * ring_pipe: two processes stream variable-size records through a shared
 * mmr_ring. The child is handed the ring over a UNIX socket
 * (mmr_ring_send() and mmr_ring_recv(): SCM_RIGHTS underneath) and parses
 * each record where it lies in the ring: no copy, even for records that
 * wrap around the end, because the ring's data is mapped twice back to
 * back. The producer closes its end when done: the consumer reads to the
 * end of the stream, as from a pipe; had the producer died, its wait
 * would have said so (-EPIPE) instead of sleeping for ever.
 *
 *   build/examples/ring_pipe [records]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memmirror.h"

/* A record: a header, then `len` bytes of text. */
struct rec {
	uint32_t len;	/* bytes of text after the header */
	uint32_t seq;
	char text[];
};

/* Records are 8-byte aligned so the header can be read in place. */
static size_t rec_size(uint32_t len)
{
	return (sizeof(struct rec) + len + 7) & ~(size_t)7;
}

static int consumer(int sock)
{
	unsigned long words = 0, wrapped = 0, i;
	uint64_t pos = 0;	/* bytes consumed so far */
	mmr_ring *r;
	int ret;

	if (mmr_ring_recv(sock, &r, MMR_RING_CONSUMER)) {
		fprintf(stderr, "consumer: %s\n", mmr_last_error());
		return 1;
	}
	for (i = 0;; i++) {
		const struct rec *rec;
		size_t avail;

		/* Sleep until a header is there, then until all of it is. */
		ret = mmr_ring_wait_readable(r, sizeof(*rec), -1);
		if (ret == MMR_RING_EOF)
			break;
		if (!ret) {
			rec = mmr_ring_read_ptr(r, &avail);
			ret = mmr_ring_wait_readable(r, rec_size(rec->len), -1);
		}
		if (ret) {
			fprintf(stderr, "consumer: %s\n", ret == MMR_RING_EOF ?
				"the stream ends inside a record" : mmr_last_error());
			return 1;
		}
		if (rec->seq != i) {
			fprintf(stderr, "consumer: record %u, expected %lu\n", rec->seq, i);
			return 1;
		}
		/* Parse in place: count the words of the text. */
		for (uint32_t k = 0; k < rec->len; k++)
			words += rec->text[k] == ' ';
		wrapped += pos % mmr_ring_capacity(r) + rec_size(rec->len) >
			mmr_ring_capacity(r);
		pos += rec_size(rec->len);
		mmr_ring_consume(r, rec_size(rec->len));
	}
	printf("consumer: %lu records, %lu words, %lu of them across the end of "
	       "the ring, all parsed in place, then the end of the stream\n", i,
	       words + i, wrapped);
	mmr_ring_destroy(r);
	return 0;
}

static int producer(mmr_ring *r, unsigned long n)
{
	static const char *const words[] = { "mirror", "ring", "page", "view", "fd" };

	for (unsigned long i = 0; i < n; i++) {
		char text[256];
		int len = 0;
		struct rec *rec;
		size_t avail;

		for (unsigned w = 0; w <= i % 12; w++)
			len += snprintf(text + len, sizeof(text) - (size_t)len, "%s%s",
					w ? " " : "", words[(i + w) % 5]);
		if (mmr_ring_wait_writable(r, rec_size((uint32_t)len), -1)) {
			fprintf(stderr, "producer: %s\n", mmr_last_error());
			return 1;
		}
		rec = mmr_ring_write_ptr(r, &avail);
		rec->len = (uint32_t)len;
		rec->seq = (uint32_t)i;
		memcpy(rec->text, text, (size_t)len);	/* may run past the end */
		mmr_ring_produce(r, rec_size((uint32_t)len));
	}
	return mmr_ring_close(r);	/* the consumer sees the end of stream */
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	int sv[2], status, ret;
	mmr_ring *r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		perror("socketpair");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		close(sv[0]);
		ret = consumer(sv[1]);
		fflush(stdout);
		_exit(ret);
	}
	close(sv[1]);
	/* One page: records wrap around the end all the time. */
	if (mmr_ring_create(&r, 4096, MMR_RING_PRODUCER) || mmr_ring_send(sv[0], r)) {
		fprintf(stderr, "producer: %s\n", mmr_last_error());
		return 1;
	}
	ret = producer(r, n);
	waitpid(pid, &status, 0);
	printf("producer: %lu records through a %zu-byte ring\n", n, mmr_ring_capacity(r));
	mmr_ring_destroy(r);
	return ret || !WIFEXITED(status) || WEXITSTATUS(status);
}
