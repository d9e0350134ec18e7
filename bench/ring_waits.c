// SPDX-License-Identifier: MIT
/* mmr bench ring --waits: see bench/ring.c for the methods. */
#include "ring_bench.h"

/* ---- waits: two processes that sleep when they must (--waits) ---- */

#define WAIT_REC 1024u
#define WAIT_CAP (64u << 10)

/*
 * One run: a forked consumer reads @n records of WAIT_REC bytes and sends
 * back its checksum; via the ring (@spin checks before each sleep) or, with
 * @spin < 0, a pipe. Returns ns, 0 on a failure or a wrong checksum.
 */
static uint64_t wait_run(int spin, unsigned long n)
{
	static unsigned char rec[WAIT_REC];
	int res[2], data[2] = { -1, -1 }, status;
	uint64_t sum = 0, got = 0, t0, t;
	mmr_ring *r = NULL;
	pid_t pid;

	for (size_t i = 0; i < WAIT_REC; i++)
		rec[i] = (unsigned char)(i * 7);
	if (pipe(res) || (spin < 0 && pipe(data)))
		return 0;
	if (spin >= 0 && (mmr_ring_create(&r, WAIT_CAP, 0) ||
			  mmr_ring_set_spin(r, (unsigned)spin)))
		return 0;
	pid = fork();
	if (pid == 0) {
		unsigned char buf[WAIT_REC];
		uint64_t s = 0;

		for (unsigned long i = 0; i < n; i++) {
			if (r) {
				size_t avail;
				const unsigned char *p;

				if (mmr_ring_wait_readable(r, WAIT_REC, -1))
					_exit(1);
				p = mmr_ring_read_ptr(r, &avail);
				s = wait_sum(s, p, WAIT_REC);
				mmr_ring_consume(r, WAIT_REC);
			} else {
				for (size_t k = 0; k < WAIT_REC;) {
					ssize_t m = read(data[0], buf + k, WAIT_REC - k);

					if (m <= 0)
						_exit(1);
					k += (size_t)m;
				}
				s = wait_sum(s, buf, WAIT_REC);
			}
		}
		_exit(write(res[1], &s, sizeof(s)) == sizeof(s) ? 0 : 1);
	}
	t0 = wait_now_ns();
	for (unsigned long i = 0; i < n && pid > 0; i++) {
		rec[0] = (unsigned char)i;
		sum = wait_sum(sum, rec, WAIT_REC);
		if (r) {
			size_t avail;

			if (mmr_ring_wait_writable(r, WAIT_REC, -1))
				break;
			memcpy(mmr_ring_write_ptr(r, &avail), rec, WAIT_REC);
			mmr_ring_produce(r, WAIT_REC);
		} else if (write(data[1], rec, WAIT_REC) != WAIT_REC) {
			break;
		}
	}
	if (pid > 0 && read(res[0], &got, sizeof(got)) != sizeof(got))
		got = ~sum;
	t = wait_now_ns() - t0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	mmr_ring_destroy(r);
	for (int i = 0; i < 2; i++) {
		close(res[i]);
		if (data[i] >= 0)
			close(data[i]);
	}
	return pid > 0 && got == sum ? t : 0;
}

int ring_bench_waits(int rounds, int quick, int json)
{
	static const int spins[] = { -1, 0, 16, 64, 256, 1024, 4096 };
	enum { NSPIN = sizeof(spins) / sizeof(spins[0]) };
	unsigned long n = (quick ? 16ul : 64ul) << 20 >> 10;
	uint64_t ns[NSPIN][MAX_ROUNDS];

	/* Interleaved: every round runs every setting once. */
	for (int k = 0; k < rounds; k++)
		for (int i = 0; i < NSPIN; i++)
			if (!(ns[i][k] = wait_run(spins[i], n))) {
				fprintf(stderr, "mmr bench ring --waits: run failed (%s)\n",
					mmr_last_error());
				return 1;
			}
	struct json j;

	if (json) {
		json_doc_begin(&j, stdout, "bench ring");
		json_int(&j, "rounds", rounds);
		json_array_begin(&j, "waits");
	} else
		printf("Two processes, %u-byte records through a %u KiB ring, each side "
		       "sleeping in mmr_ring_wait_* when it must;\nspin: checks before "
		       "sleeping (mmr_ring_set_spin); ratio: median of per-round ratios "
		       "to pipe write/read\n\n%-8s %10s %10s\n", WAIT_REC, WAIT_CAP >> 10,
		       "spin", "MB/s", "vs pipe");
	for (int i = 0; i < NSPIN; i++) {
		double mbs = (double)n * WAIT_REC / ((double)ring_median(ns[i], rounds) / 1e9) / 1e6;
		double ratio = ring_median_ratio(ns[0], ns[i], rounds);

		if (json) {
			json_object_begin(&j, NULL);
			if (spins[i] < 0)
				json_null(&j, "spin");	/* the pipe itself */
			else
				json_int(&j, "spin", spins[i]);
			json_string(&j, "method", spins[i] < 0 ? "pipe" : "mmr");
			json_double(&j, "mb_s", mbs, 1, 1);
			json_double(&j, "vs_pipe", ratio, 2, 1);
			json_object_end(&j);
		} else if (spins[i] < 0)
			printf("%-8s %10.1f %10s\n", "pipe", mbs, "1.00");
		else
			printf("%-8d %10.1f %10.2f\n", spins[i], mbs, ratio);
	}
	if (json) {
		json_array_end(&j);
		json_doc_end(&j);
	} else
		printf("\nmedian of %d interleaved rounds; checksums verified\n", rounds);
	return 0;
}
