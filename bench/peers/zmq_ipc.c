// SPDX-License-Identifier: MIT
/*
 * ZeroMQ ipc:// (Debian libzmq3-dev) for the two-process section of `mmr
 * bench ring` (--procs), measured the way bench/ring.c measures the
 * others: a forked consumer checksums every byte of every record and
 * sends the sum back, the producer checksums what it sent, and the run
 * counts only if they agree. PUSH/PULL over ipc://; the producer sends
 * each record with zmq_send() (copied into a message), the consumer takes
 * it with zmq_msg_recv() and checksums it in the message (no copy out).
 * High-water marks of max(4, 256 KiB / REC) messages on both sides: about
 * the bytes in flight that the ring and the pipes get.
 *
 * usage: bench-zmq REC:COUNT...
 * prints one JSON line per record size: {"rec": n, "gbps": g, "ok": true}
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "../wait_sum.h"


static void *open_socket(void *ctx, int type, size_t rec)
{
	int hwm = (int)((256u << 10) / rec > 4 ? (256u << 10) / rec : 4);
	void *s = zmq_socket(ctx, type);

	if (!s || zmq_setsockopt(s, type == ZMQ_PUSH ? ZMQ_SNDHWM : ZMQ_RCVHWM, &hwm,
				 sizeof(hwm)))
		return NULL;
	return s;
}

static void consumer(const char *ep, size_t rec, unsigned long n, int res)
{
	void *ctx = zmq_ctx_new(), *s = ctx ? open_socket(ctx, ZMQ_PULL, rec) : NULL;
	uint64_t sum = 0;
	zmq_msg_t m;

	if (!s || zmq_bind(s, ep))
		_exit(1);
	for (unsigned long i = 0; i < n; i++) {
		if (zmq_msg_init(&m) || zmq_msg_recv(&m, s, 0) != (int)rec)
			_exit(1);
		sum = wait_sum(sum, zmq_msg_data(&m), rec);
		zmq_msg_close(&m);
	}
	if (write(res, &sum, sizeof(sum)) != sizeof(sum))
		_exit(1);
	zmq_close(s);
	zmq_ctx_term(ctx);
	_exit(0);
}

/* ns for @n records of @rec bytes, 0 on a failure or a wrong sum. */
static uint64_t run(size_t rec, unsigned long n)
{
	char ep[128], path[96];
	unsigned char *buf = malloc(rec);
	uint64_t sum = 0, got = 0, t0, t = 0;
	void *ctx = NULL, *s = NULL;
	int res[2], status, linger = -1;
	pid_t pid;

	snprintf(path, sizeof(path), "/tmp/mmr-bench-zmq-%d", (int)getpid());
	snprintf(ep, sizeof(ep), "ipc://%s", path);
	if (!buf || pipe(res))
		return 0;
	for (size_t i = 0; i < rec; i++)
		buf[i] = (unsigned char)(i * 7 + 1);
	pid = fork();
	if (pid == 0) {
		close(res[0]);
		consumer(ep, rec, n, res[1]);
	}
	if (pid < 0)
		goto out;
	ctx = zmq_ctx_new();
	s = ctx ? open_socket(ctx, ZMQ_PUSH, rec) : NULL;
	if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger)) ||
	    zmq_connect(s, ep))
		goto out;
	t0 = wait_now_ns();
	for (unsigned long i = 0; i < n; i++) {
		buf[0] = (unsigned char)i;	/* every record differs */
		sum = wait_sum(sum, buf, rec);
		if (zmq_send(s, buf, rec, 0) != (int)rec)
			goto out;
	}
	if (read(res[0], &got, sizeof(got)) != sizeof(got))
		got = ~sum;
	t = wait_now_ns() - t0;
out:
	if (s)
		zmq_close(s);
	if (ctx)
		zmq_ctx_term(ctx);
	if (pid > 0)
		waitpid(pid, &status, 0);
	unlink(path);
	close(res[0]);
	close(res[1]);
	free(buf);
	return got == sum ? t : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s REC:COUNT...\n", argv[0]);
		return 2;
	}
	for (int a = 1; a < argc; a++) {
		unsigned long n;
		size_t rec;
		uint64_t ns;

		if (sscanf(argv[a], "%zu:%lu", &rec, &n) != 2 || !rec || !n) {
			fprintf(stderr, "%s: bad REC:COUNT '%s'\n", argv[0], argv[a]);
			return 2;
		}
		ns = run(rec, n);
		if (!ns) {
			fprintf(stderr, "%s: %zu-byte records failed or the checksums "
				"differ\n", argv[0], rec);
			return 1;
		}
		printf("{\"rec\": %zu, \"gbps\": %.3f, \"ok\": true}\n", rec,
		       (double)rec * (double)n / (double)ns);
		fflush(stdout);
	}
	return 0;
}
