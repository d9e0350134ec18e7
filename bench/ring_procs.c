// SPDX-License-Identifier: MIT
/* mmr bench ring --procs: see bench/ring.c for the methods. */
#include "ring_bench.h"

/* ---- two processes, every byte read, against the kernel's IPC (--procs) ---- */

enum proc_method { PM_MMR, PM_PIPE, PM_VMSPLICE, PM_SOCKET, PM_COW, PM_ZMQ, PM_LIMIT,
		   PM_HANDOFF, PM_COUNT };
static const char *const pm_name[PM_COUNT] = { "mmr", "pipe", "vmsplice", "socketpair",
					       "cow", "zmq", "producer_alone", "handoff" };
/* mmr_ring's default spin (src/ring_sync.h), given to cow too. */
#define PROC_SPIN 256

/* Read exactly @n bytes. */
static int read_full(int fd, unsigned char *buf, size_t n)
{
	for (size_t k = 0; k < n;) {
		ssize_t m = read(fd, buf + k, n - k);

		if (m <= 0)
			return -1;
		k += (size_t)m;
	}
	return 0;
}

static int write_full(int fd, const unsigned char *buf, size_t n)
{
	for (size_t k = 0; k < n;) {
		ssize_t m = write(fd, buf + k, n - k);

		if (m <= 0)
			return -1;
		k += (size_t)m;
	}
	return 0;
}

/* vmsplice the record's pages into the pipe: no copy on this side. */
static int vmsplice_full(int fd, unsigned char *buf, size_t n)
{
	struct iovec iov = { buf, n };

	while (iov.iov_len) {
		ssize_t m = vmsplice(fd, &iov, 1, 0);

		if (m <= 0)
			return -1;
		iov.iov_base = (unsigned char *)iov.iov_base + m;
		iov.iov_len -= (size_t)m;
	}
	return 0;
}

/*
 * The two-process handoff limit: the same copy in and checksum in place
 * over a shared mapping, handed over a quarter of it at a time with one
 * flag per quarter, both sides spinning: no per-record protocol, no sleep.
 */
#define HO_BLOCKS 4

static _Atomic uint32_t *ho_flag(unsigned char *ho, size_t b)
{
	return (_Atomic uint32_t *)(ho + 128 * b);
}

/* Spin until the block's flag is @v; yield now and then: the two
 * processes are not pinned and may share a CPU. */
static void ho_wait(_Atomic uint32_t *f, uint32_t v)
{
	for (unsigned i = 1; atomic_load_explicit(f, memory_order_acquire) != v; i++) {
		cpu_relax();
		if (!(i % 4096))
			sched_yield();
	}
}

/*
 * A forked consumer reads @n records of @rec bytes and checksums every
 * byte (the ring's in place, the others from a read() buffer), then sends
 * the sum back; the producer checksums what it sent. Returns ns, 0 on a
 * failure or a wrong sum. vmsplice hands the pipe references to the
 * producer's pages: it rotates over enough buffers that none is rewritten
 * while the pipe may still hold it.
 */
static uint64_t proc_run(enum proc_method m, size_t rec, unsigned long n)
{
	size_t cap = rec * 4 > (256u << 10) ? rec * 4 : (256u << 10);
	size_t nbuf = m == PM_VMSPLICE ? 2 * (cap / rec) + 2 : 1;
	int res[2], ch[2] = { -1, -1 }, status;
	uint64_t sum = 0, got = 0, t0, t = 0;
	unsigned char *bufs;
	struct cow_ring *cw = NULL;
	struct mmr_ring_fast fp;
	mmr_ring *r = NULL;
	unsigned char *ho = NULL;	/* handoff: a page of flags, then cap bytes */
	size_t per = cap / rec / HO_BLOCKS;	/* records per handoff block */
	pid_t pid;

	bufs = aligned_alloc(4096, (nbuf * rec + 4095) / 4096 * 4096);
	if (!bufs || pipe(res))
		return 0;
	for (size_t i = 0; i < nbuf * rec; i++)
		bufs[i] = (unsigned char)(i * 7 + 1);
	/* Prefaulted, as cow's mapping is (MAP_POPULATE). */
	if (m == PM_MMR && (mmr_ring_create(&r, cap, MMR_RING_PRODUCER | MMR_POPULATE)))
		goto out;
	if (m == PM_COW && !(cw = cow_ring_create(cap, NULL, NULL)))
		goto out;
	if (m == PM_HANDOFF) {
		ho = mmap(NULL, cap + 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (ho == MAP_FAILED) {
			ho = NULL;
			goto out;
		}
	}
	if ((m == PM_PIPE || m == PM_VMSPLICE) && pipe(ch))
		goto out;
	if (m == PM_SOCKET && socketpair(AF_UNIX, SOCK_STREAM, 0, ch))
		goto out;
	if (ch[1] >= 0 && m != PM_SOCKET)
		fcntl(ch[1], F_SETPIPE_SZ, (int)cap);	/* as big as the ring */
	if (m == PM_SOCKET) {
		int sz = (int)cap;

		setsockopt(ch[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(ch[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	pid = fork();
	if (pid == 0) {
		unsigned char *in = r || ho ? NULL : malloc(rec);	/* cow: scratch */
		mmr_ring *c = NULL;
		uint64_t s = 0;

		struct mmr_ring_fast fc;

		if (r && (mmr_ring_open_fd(&c, mmr_ring_fd(r), MMR_RING_CONSUMER | MMR_POPULATE) ||
			  mmr_ring_fast_init(c, MMR_RING_CONSUMER, &fc)))
			_exit(1);
		for (unsigned long i = 0; i < n; i++) {
			/* Both rings: try, and sleep only when the record is
			 * not there yet (the producer's index is read only
			 * when the one seen last is short). */
			if (c) {
				const unsigned char *p;

				while (!(p = mmr_ring_fast_peek(&fc, rec)))
					if (mmr_ring_wait_readable(c, rec, -1))
						_exit(1);
				s = wait_sum(s, p, rec);
				mmr_ring_fast_consume(&fc, rec);
			} else if (cw) {
				const unsigned char *p;

				if (!in)
					_exit(1);
				while (!(p = cow_ring_peek(cw, rec, in)))
					cow_ring_wait(cw, 1, rec, PROC_SPIN);
				s = wait_sum(s, p, rec);
				cow_ring_consume(cw, rec);
			} else if (ho) {
				size_t k = i % (HO_BLOCKS * per);

				if (!(k % per))
					ho_wait(ho_flag(ho, k / per), 1);
				s = wait_sum(s, ho + 4096 + k * rec, rec);
				if (k % per == per - 1)
					atomic_store_explicit(ho_flag(ho, k / per), 0,
							      memory_order_release);
			} else {
				if (!in || read_full(ch[0], in, rec))
					_exit(1);
				s = wait_sum(s, in, rec);
			}
		}
		_exit(write(res[1], &s, sizeof(s)) == sizeof(s) ? 0 : 1);
	}
	if (pid < 0 || (r && mmr_ring_fast_init(r, MMR_RING_PRODUCER, &fp)))
		goto out;
	t0 = wait_now_ns();
	for (unsigned long i = 0; i < n; i++) {
		unsigned char *b = bufs + (i % nbuf) * rec;
		int bad = 0;

		b[0] = (unsigned char)i;	/* every record differs */
		sum = wait_sum(sum, b, rec);
		if (r) {
			void *w;

			/* reserve, not write_ptr(): the same cached look at
			 * the consumer's index as cow_ring_put(). */
			while (!bad && !(w = mmr_ring_fast_reserve(&fp, rec)))
				bad = mmr_ring_wait_writable(r, rec, -1) != 0;
			if (!bad) {
				memcpy(w, b, rec);
				mmr_ring_fast_produce(&fp, rec);
			}
		} else if (cw) {
			while (cow_ring_put(cw, b, rec))
				cow_ring_wait(cw, 0, rec, PROC_SPIN);
		} else if (ho) {
			size_t k = i % (HO_BLOCKS * per);

			if (!(k % per))
				ho_wait(ho_flag(ho, k / per), 0);
			memcpy(ho + 4096 + k * rec, b, rec);
			if (k % per == per - 1 || i == n - 1)
				atomic_store_explicit(ho_flag(ho, k / per), 1,
						      memory_order_release);
		} else if (m == PM_VMSPLICE) {
			bad = vmsplice_full(ch[1], b, rec);
		} else {
			bad = write_full(ch[1], b, rec);
		}
		if (bad)
			break;
	}
	if (read(res[0], &got, sizeof(got)) != sizeof(got))
		got = ~sum;
	t = wait_now_ns() - t0;
	waitpid(pid, &status, 0);
out:
	mmr_ring_destroy(r);
	cow_ring_destroy(cw);
	if (ho)
		munmap(ho, cap + 4096);
	for (int i = 0; i < 2; i++) {
		close(res[i]);
		if (ch[i] >= 0)
			close(ch[i]);
	}
	free(bufs);
	return got == sum && t ? t : 0;
}

/*
 * The producer's own work alone, in this process, with no consumer: the
 * checksum of each record and one copy of it into a buffer as large as
 * the ring. Every method does at least this on the producer's side (the
 * checksum is how the run is verified), so no transport can move records
 * faster here: this bounds mmr's ratio to each of the others.
 */
static uint64_t proc_run_alone(size_t rec, unsigned long n)
{
	size_t cap = rec * 4 > (256u << 10) ? rec * 4 : (256u << 10), slots = cap / rec;
	unsigned char *b = aligned_alloc(4096, (rec + 4095) / 4096 * 4096);
	unsigned char *ring = aligned_alloc(4096, cap);
	uint64_t sum = 0, t0, t = 0;

	if (b && ring) {
		for (size_t i = 0; i < rec; i++)
			b[i] = (unsigned char)(i * 7 + 1);
		memset(ring, 0, cap);
		t0 = wait_now_ns();
		for (unsigned long i = 0; i < n; i++) {
			b[0] = (unsigned char)i;
			sum = wait_sum(sum, b, rec);
			memcpy(ring + (i % slots) * rec, b, rec);
			__asm__ __volatile__("" : : "r"(ring) : "memory");	/* keep the copy */
		}
		t = wait_now_ns() - t0;
	}
	free(b);
	free(ring);
	return sum == 42 ? t + 1 : t;	/* the sum keeps the checksum */
}

/*
 * ZeroMQ ipc:// through build/bench-zmq (bench/peers/zmq_ipc.c), which
 * forks and checksums the same way: ns, 0 if it failed.
 */
static uint64_t proc_run_zmq(const char *prog, size_t rec, unsigned long n)
{
	char cmd[PATH_MAX + 64], line[256];
	double gbps = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "'%s' %zu:%lu", prog, rec, n);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		size_t got;
		double v;

		if (sscanf(line, " {\"rec\": %zu, \"gbps\": %lf, \"ok\": true}", &got, &v) == 2 &&
		    got == rec)
			gbps = v;
	}
	pclose(f);
	return gbps > 0 ? (uint64_t)((double)rec * (double)n / gbps) : 0;
}

/* Small records: fewer bytes, the per-record cost rules (a pipe moves
 * 8 B records at some MB/s). */
static unsigned long proc_records(size_t rec, uint64_t bytes)
{
	return (unsigned long)((rec < 64 ? bytes / 64 : rec < 1024 ? bytes / 8 : bytes) / rec);
}

int ring_bench_procs(int rounds, int quick, int json)
{
	static const size_t recs[] = { 8, 64, 1024, 4096, 65536, 1u << 20 };
	enum { NR = sizeof(recs) / sizeof(recs[0]) };
	static uint64_t ns[NR][PM_COUNT][MAX_ROUNDS];
	uint64_t bytes = quick ? 64ull << 20 : 256ull << 20;
	char zmq[PATH_MAX];
	int have_zmq = ring_peer_find("bench-zmq", zmq, sizeof(zmq));

	for (int k = 0; k < rounds; k++)
		for (int i = 0; i < NR; i++)
			for (int q = 0; q < PM_COUNT; q++) {
				/* Rotated: each round starts with another method. */
				int m = (q + k) % PM_COUNT;
				unsigned long n = proc_records(recs[i], bytes);

				if (m == PM_ZMQ) {
					if (have_zmq && !(ns[i][m][k] = proc_run_zmq(zmq, recs[i], n))) {
						fprintf(stderr, "mmr bench ring --procs: %s with "
							"%zu-byte records failed\n", zmq, recs[i]);
						return 1;
					}
					continue;
				}
				if (m == PM_LIMIT) {
					ns[i][m][k] = proc_run_alone(recs[i], n);
					continue;
				}
				if (!(ns[i][m][k] = proc_run((enum proc_method)m, recs[i], n))) {
					fprintf(stderr, "mmr bench ring --procs: %s with %zu-byte "
						"records failed (%s)\n", pm_name[m], recs[i],
						mmr_last_error());
					return 1;
				}
			}
	struct json j;

	if (json) {
		json_doc_begin(&j, stdout, "bench ring");
		json_int(&j, "rounds", rounds);
		json_array_begin(&j, "two_processes");
	} else
		printf("Two processes, every byte checksummed by the consumer (mmr in "
		       "place, the others from read()),\nboth sides sleeping when they "
		       "must; GB/s, and mmr's speed over each (median of per-round "
		       "ratios)\n\n%-8s %7s %7s %8s %7s %7s %7s %7s %7s %9s %9s %10s %8s %8s %8s "
		       "%9s %9s\n", "record", "mmr", "pipe", "vmsplice", "socket", "cow", "zmq",
		       "alone", "handoff", "mmr/pipe", "mmr/vmsp", "mmr/socket", "mmr/cow",
		       "mmr/zmq", "mmr/hoff", "alone/pipe", "hoff/pipe");
	for (int i = 0; i < NR; i++) {
		unsigned long n = proc_records(recs[i], bytes);
		double gbs[PM_COUNT], ratio[PM_COUNT];

		for (int m = 0; m < PM_COUNT; m++) {
			uint64_t med = ring_median(ns[i][m], rounds);

			gbs[m] = med ? (double)n * recs[i] / (double)med : 0;
			ratio[m] = med ? ring_median_ratio(ns[i][m], ns[i][PM_MMR], rounds) : 0;
		}
		if (json) {
			json_object_begin(&j, NULL);
			json_uint(&j, "record", recs[i]);
			json_object_begin(&j, "gb_s");
			for (int m = 0; m < PM_COUNT; m++)
				if (gbs[m] > 0)
					json_double(&j, pm_name[m], gbs[m], 3, 1);
				else
					json_null(&j, pm_name[m]);	/* zmq not built */
			json_object_end(&j);
			json_object_begin(&j, "mmr_vs");
			for (int m = 1; m < PM_COUNT; m++)
				if (gbs[m] > 0)
					json_double(&j, pm_name[m], ratio[m], 2, 1);
				else
					json_null(&j, pm_name[m]);
			json_object_end(&j);
			/* The most any transport could be over pipe here. */
			json_double(&j, "producer_alone_vs_pipe",
				    ring_median_ratio(ns[i][PM_PIPE], ns[i][PM_LIMIT], rounds), 2, 1);
			json_double(&j, "handoff_vs_pipe",
				    ring_median_ratio(ns[i][PM_PIPE], ns[i][PM_HANDOFF], rounds), 2, 1);
			json_object_end(&j);
		} else {
			printf("%-8zu %7.3f %7.3f %8.3f %7.3f %7.3f ", recs[i], gbs[0], gbs[1],
			       gbs[2], gbs[3], gbs[4]);
			if (gbs[PM_ZMQ] > 0)
				printf("%7.3f", gbs[PM_ZMQ]);
			else
				printf("%7s", "-");
			printf(" %7.3f %7.3f %8.2fx %8.2fx %9.2fx %7.2fx ", gbs[PM_LIMIT],
			       gbs[PM_HANDOFF], ratio[1], ratio[2], ratio[3], ratio[4]);
			if (gbs[PM_ZMQ] > 0)
				printf("%7.2fx", ratio[PM_ZMQ]);
			else
				printf("%8s", "-");
			printf(" %7.2fx %8.2fx %8.2fx\n", ratio[PM_HANDOFF],
			       ring_median_ratio(ns[i][PM_PIPE], ns[i][PM_LIMIT], rounds),
			       ring_median_ratio(ns[i][PM_PIPE], ns[i][PM_HANDOFF], rounds));
		}
	}
	if (json) {
		json_array_end(&j);
		json_doc_end(&j);
	} else
		printf("\nalone: the producer's work (checksum, one copy) in one process, no "
		       "consumer;\nhandoff: the same work in two processes, a quarter "
		       "ring at a time, spinning (the two-process limit)\n"
		       "median of %d interleaved rounds; checksums verified; ring (and "
		       "pipe, socket buffer) of max(4 records, 256 KiB)%s\n", rounds,
		       have_zmq ? "" : "\nzmq: skipped: bench-zmq not built, run make bench-peers");
	return 0;
}
