// SPDX-License-Identifier: MIT
/*
 * The inline fast path (struct mmr_ring_fast): bytes written through the
 * producer's view are read through the consumer's, across the end of the
 * data, between threads and processes; a sleeping peer is woken by the
 * inline publication; misuse and garbage indices are refused, not obeyed.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "helpers.h"
#include "ring_stream.h"

static int fast_basic(void)
{
	struct mmr_ring_fast p, c;
	size_t cap, avail;
	unsigned char *w;
	const unsigned char *q;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	cap = mmr_ring_capacity(r);
	CHECK_EQ(mmr_ring_fast_init(r, MMR_RING_PRODUCER, &p), 0);
	CHECK_EQ(mmr_ring_fast_init(r, MMR_RING_CONSUMER, &c), 0);
	CHECK_EQ(p.size, sizeof(p));
	CHECK_EQ(p.version, MMR_RING_FAST_VERSION);
	CHECK_EQ(p.cap, cap);
	errno = 0;
	CHECK(!mmr_ring_fast_peek(&c, 1));		/* empty */
	CHECK_EQ(errno, EAGAIN);

	/* Written through the fast view, read through the handle. */
	CHECK((w = mmr_ring_fast_reserve(&p, 100)));
	CHECK(w == mmr_ring_write_ptr(r, &avail));
	for (int i = 0; i < 100; i++)
		w[i] = (unsigned char)(i * 5 + 1);
	mmr_ring_fast_produce(&p, 100);
	q = mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, 100);
	CHECK_EQ(q[99], (unsigned char)(99 * 5 + 1));
	/* And by the consumer's fast view, then released through it. */
	CHECK((q = mmr_ring_fast_peek(&c, 100)));
	CHECK_EQ(q[0], 1);
	errno = 0;
	CHECK(!mmr_ring_fast_peek(&c, 101));
	CHECK_EQ(errno, EAGAIN);
	mmr_ring_fast_consume(&c, 100);
	mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, 0);

	/* Full: EAGAIN until the consumer releases, through the handle. */
	CHECK(mmr_ring_fast_reserve(&p, cap));
	mmr_ring_fast_produce(&p, cap);
	errno = 0;
	CHECK(!mmr_ring_fast_reserve(&p, 1));
	CHECK_EQ(errno, EAGAIN);
	CHECK(mmr_ring_peek(r, 64));
	mmr_ring_consume(r, 64);
	CHECK(mmr_ring_fast_reserve(&p, 64));	/* looks at the tail again */
	CHECK(!mmr_ring_fast_reserve(&p, 65));
	CHECK_EQ(mmr_ring_error(r), 0);		/* "full" is no misuse */
	mmr_ring_destroy(r);
	return T_PASS;
}

/* Records of odd sizes around the ring many times: each one contiguous. */
static int fast_wrap(void)
{
	struct mmr_ring_fast p, c;
	uint64_t sent = 0, got = 0;
	size_t cap;
	mmr_ring *r;
	int straddled = 0;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	cap = mmr_ring_capacity(r);
	CHECK_EQ(mmr_ring_fast_init(r, MMR_RING_PRODUCER, &p), 0);
	CHECK_EQ(mmr_ring_fast_init(r, MMR_RING_CONSUMER, &c), 0);
	for (uint32_t seq = 0; seq < 20000; seq++) {
		uint32_t len = 1 + (seq * 2654435761u >> 20) % 997;
		uint8_t *w;
		const uint8_t *q;
		size_t off;

		CHECK((w = mmr_ring_fast_reserve(&p, len)));
		off = (size_t)(w - p.data);
		straddled += off + len > cap;
		stream_fill(w, seq, len);
		sent = stream_fold(sent, w, len);
		mmr_ring_fast_produce(&p, len);
		CHECK((q = mmr_ring_fast_peek(&c, len)));
		CHECK(q == w);
		got = stream_fold(got, q, len);
		/* The mirror: the part past the end is at the start of the data. */
		if (off + len > cap)
			CHECK_EQ(c.data[off + len - 1 - cap], q[len - 1]);
		mmr_ring_fast_consume(&c, len);
	}
	CHECK(got == sent);
	CHECK(straddled > 100);
	CHECK_EQ(mmr_ring_error(r), 0);
	mmr_ring_destroy(r);
	return T_PASS;
}

/*
 * Strict alternation, each side sleeping in the library's wait before
 * every byte and publishing inline: a wake-up the inline publication
 * forgets stalls the pair until a 5 s wait fails.
 */
struct alt {
	mmr_ring *r;
	int n, bad;
};

static void *alt_consumer(void *arg)
{
	struct alt *a = arg;
	struct mmr_ring_fast c;

	if (mmr_ring_fast_init(a->r, MMR_RING_CONSUMER, &c)) {
		a->bad = __LINE__;
		return NULL;
	}
	for (int i = 0; i < a->n; i++) {
		const unsigned char *q;

		if (mmr_ring_wait_readable(a->r, 1, 5000) || !(q = mmr_ring_fast_peek(&c, 1)) ||
		    *q != (unsigned char)i) {
			a->bad = __LINE__;
			break;
		}
		mmr_ring_fast_consume(&c, 1);
	}
	return NULL;
}

static int fast_wakes_sleeper(void)
{
	struct alt a = { .n = t_under_valgrind() ? 2000 : 20000 };
	struct mmr_ring_fast p;
	pthread_t t;
	size_t cap;
	int i;

	CHECK_EQ(mmr_ring_create(&a.r, 1, 0), 0);
	CHECK_EQ(mmr_ring_set_spin(a.r, 0), 0);	/* sleep at once: wake-ups count */
	cap = mmr_ring_capacity(a.r);
	CHECK_EQ(mmr_ring_fast_init(a.r, MMR_RING_PRODUCER, &p), 0);
	CHECK_EQ(pthread_create(&t, NULL, alt_consumer, &a), 0);
	for (i = 0; i < a.n; i++) {
		unsigned char *w;

		if (mmr_ring_wait_writable(a.r, cap, 5000) || !(w = mmr_ring_fast_reserve(&p, 1)))
			break;
		*w = (unsigned char)i;
		mmr_ring_fast_produce(&p, 1);
	}
	pthread_join(t, NULL);
	CHECK_EQ(a.bad, 0);
	CHECK_EQ(i, a.n);
	CHECK_EQ(mmr_ring_error(a.r), 0);
	mmr_ring_destroy(a.r);
	return T_PASS;
}

/* The stream of ring_process through fast views: a child consumes. */
static int fast_process(void)
{
	unsigned long n = stream_records() / 10;
	struct mmr_ring_fast p;
	uint64_t sent = 0, got = 0;
	int sv[2], status;
	mmr_ring *r;
	pid_t pid;

	CHECK_EQ(mmr_ring_create(&r, 2 * t_page(), MMR_RING_PRODUCER), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct mmr_ring_fast c;
		uint64_t sum = 0;
		mmr_ring *cr;

		close(sv[0]);
		if (mmr_ring_open_fd(&cr, mmr_ring_fd(r), MMR_RING_CONSUMER) ||
		    mmr_ring_fast_init(cr, MMR_RING_CONSUMER, &c))
			_exit(2);
		for (uint32_t seq = 0; seq < n; seq++) {
			const uint8_t *q;
			uint32_t len;

			while (!(q = mmr_ring_fast_peek(&c, 4)))
				if (mmr_ring_wait_readable(cr, 4, 5000))
					_exit(3);
			memcpy(&len, q, 4);
			while (!(q = mmr_ring_fast_peek(&c, len)))
				if (mmr_ring_wait_readable(cr, len, 5000))
					_exit(4);
			sum = stream_fold(sum, q, len);
			mmr_ring_fast_consume(&c, len);
		}
		if (write(sv[1], &sum, sizeof(sum)) != sizeof(sum))
			_exit(5);
		_exit(0);
	}
	close(sv[1]);
	CHECK_EQ(mmr_ring_fast_init(r, MMR_RING_PRODUCER, &p), 0);
	for (uint32_t seq = 0; seq < n; seq++) {
		uint32_t len = stream_len(seq);
		uint8_t *w;

		while (!(w = mmr_ring_fast_reserve(&p, len)))
			CHECK_EQ(mmr_ring_wait_writable(r, len, 5000), 0);
		stream_fill(w, seq, len);
		sent = stream_fold(sent, w, len);
		mmr_ring_fast_produce(&p, len);
	}
	CHECK_EQ(read(sv[0], &got, sizeof(got)), sizeof(got));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(got == sent);
	CHECK_EQ(mmr_ring_error(r), 0);
	close(sv[0]);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* Misuse: EINVAL and a message, never a crash or a moved index. */
static int fast_misuse(void)
{
	struct mmr_ring_fast p, c, z;
	size_t cap, avail;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	cap = mmr_ring_capacity(r);
	/* Setting up. */
	CHECK_EQ(mmr_ring_fast_init(NULL, MMR_RING_PRODUCER, &p), -EINVAL);
	CHECK(strstr(mmr_last_error(), "ring is NULL"));
	CHECK_EQ(p.role, 0);				/* left unusable */
	CHECK_EQ(mmr_ring_fast_init(r, MMR_RING_PRODUCER, NULL), -EINVAL);
	CHECK_EQ(mmr_ring_fast_init(r, 0, &p), -EINVAL);
	CHECK_EQ(mmr_ring_fast_init(r, MMR_RING_ROLES, &p), -EINVAL);
	CHECK(strstr(mmr_last_error(), "one view per end"));
	CHECK_EQ(mmr_ring_fast_setup(r, MMR_RING_PRODUCER, &p, MMR_RING_FAST_VERSION + 1,
				     sizeof(p)), -EPROTO);
	CHECK(strstr(mmr_last_error(), "rebuild"));
	CHECK_EQ(mmr_ring_fast_setup(r, MMR_RING_PRODUCER, &p, MMR_RING_FAST_VERSION,
				     sizeof(p) - 8), -EINVAL);
	/* A view that is NULL, not set up, or the other end's. */
	memset(&z, 0, sizeof(z));
	CHECK_EQ(mmr_ring_fast_init(r, MMR_RING_PRODUCER, &p), 0);
	CHECK_EQ(mmr_ring_fast_init(r, MMR_RING_CONSUMER, &c), 0);
	errno = 0;
	CHECK(!mmr_ring_fast_reserve(NULL, 1));
	CHECK_EQ(errno, EINVAL);
	CHECK(!mmr_ring_fast_peek(NULL, 1));
	mmr_ring_fast_produce(NULL, 1);
	mmr_ring_fast_consume(NULL, 1);
	CHECK(strstr(mmr_last_error(), "NULL"));
	errno = 0;
	CHECK(!mmr_ring_fast_reserve(&z, 1));
	CHECK_EQ(errno, EINVAL);
	CHECK(strstr(mmr_last_error(), "not set up"));
	mmr_ring_fast_produce(&z, 1);
	mmr_ring_fast_consume(&z, 1);
	CHECK(!mmr_ring_fast_peek(&z, 1));
	CHECK(!mmr_ring_fast_reserve(&c, 1));
	CHECK(strstr(mmr_last_error(), "consumer's"));
	CHECK(!mmr_ring_fast_peek(&p, 1));
	mmr_ring_fast_produce(&c, 1);
	mmr_ring_fast_consume(&p, 1);
	/* The slow half names the end it was called for, whatever the
	 * caller's name; the entry point of earlier headers compares
	 * names whole ("a_reserve_like_name" is no reserve). */
	CHECK(!mmr_ring_fast_slow(&c, MMR_RING_PRODUCER, MMR_RING_FAST_GET, 1));
	CHECK(strstr(mmr_last_error(), "mmr_ring_reserve: this fast view is the consumer's"));
	CHECK(!mmr_ring_fast_slow(&p, MMR_RING_CONSUMER, MMR_RING_FAST_PUT, 1));
	CHECK(strstr(mmr_last_error(), "mmr_ring_consume: this fast view is the producer's"));
	CHECK(!mmr_ring_fast_refuse(&c, "mmr_ring_fast_reserve"));
	CHECK(strstr(mmr_last_error(), "consumer's"));
	CHECK(!mmr_ring_fast_refuse(&p, "not_reserve_at_all"));
	CHECK(strstr(mmr_last_error(), "producer's"));
	mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, 0);				/* nothing moved */
	CHECK_EQ(mmr_ring_error(r), 0);
	/* More than the capacity, more than is free or filled: refused. */
	errno = 0;
	CHECK(!mmr_ring_fast_reserve(&p, cap + 1));
	CHECK_EQ(errno, EINVAL);
	CHECK(strstr(mmr_last_error(), "capacity"));
	CHECK(!mmr_ring_fast_peek(&c, cap + 1));
	CHECK_EQ(mmr_ring_error(r), 2);
	mmr_ring_fast_produce(&p, cap + 1);
	mmr_ring_fast_consume(&c, 1);
	mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, 0);
	CHECK_EQ(mmr_ring_error(r), 4);
	CHECK(mmr_ring_fast_reserve(&p, 10));
	mmr_ring_fast_produce(&p, 10);
	mmr_ring_fast_consume(&c, 11);		/* one more than filled */
	CHECK(mmr_ring_fast_peek(&c, 10));
	CHECK_EQ(mmr_ring_error(r), 5);
	/* A peer that writes garbage into its index stops the ring. */
	__atomic_store_n(c.own, (uint64_t)1 << 60, __ATOMIC_RELEASE);
	errno = 0;
	CHECK(!mmr_ring_fast_reserve(&p, cap));
	CHECK_EQ(errno, EINVAL);
	CHECK(strstr(mmr_last_error(), "corrupt"));
	__atomic_store_n(p.own, (uint64_t)1 << 62, __ATOMIC_RELEASE);
	CHECK(!mmr_ring_fast_peek(&c, 1));
	CHECK(mmr_ring_error(r) >= 7);
	mmr_ring_destroy(r);
	return T_PASS;
}

T_MAIN(T(fast_basic), T(fast_wrap), T(fast_wakes_sleeper), T(fast_process), T(fast_misuse))
