// SPDX-License-Identifier: MIT
/*
 * mmr bench circbuf: the cost of creating and destroying a buffer mapped
 * twice back to back, the way each project that needs one makes it:
 *
 *   mmr_circbuf         repeated create+destroy (the cache of released
 *                       buffers serves the creates)
 *   mmr_circbuf, trimmed  the same with mmr_circbuf_trim() after each
 *                       destroy: every create makes a new object
 *   gnuradio shm_open   GNU Radio's vmcircbuf_mmap_shm_open: shm_open a
 *                       named object, ftruncate 2N, mmap 2N, mmap the
 *                       first N again over the second half (MAP_FIXED),
 *                       close, shm_unlink; munmap 2N
 *   gnuradio sysv_shm   GNU Radio's vmcircbuf_sysv_shm: three SysV
 *                       segments (guard page, 2N+2 pages to find room, N),
 *                       attach/detach to find the address, four attaches
 *                       (guard, N, N, guard), IPC_RMID; four detaches
 *   slice-deque memfd   slice-deque's Linux way: memfd_create, ftruncate N,
 *                       mmap 2N, mmap the first N again over the second
 *                       half (MAP_FIXED), close; munmap 2N
 *   mmr_ring            mmr_ring_create+destroy (a ring, not a bare buffer:
 *                       a header page, indices, a sealed memfd), for scale
 *
 * Interleaved rounds, the median of each method, the ratio to GNU Radio's
 * default (shm_open). Nothing is touched: the cost of making the buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memmirror.h"
#include "bench.h"

#define ROUNDS 11

static size_t size = 64u << 10;

static int lib_cached(void)
{
	mmr_circbuf *cb;

	if (mmr_circbuf_create(&cb, size, MMR_BACKEND_MEMFD))
		return -1;
	mmr_circbuf_destroy(cb);
	return 0;
}

static int lib_trimmed(void)
{
	mmr_circbuf *cb;

	if (mmr_circbuf_create(&cb, size, MMR_BACKEND_MEMFD))
		return -1;
	mmr_circbuf_destroy(cb);
	mmr_circbuf_trim();
	return 0;
}

static int gr_shm_open(void)
{
	static unsigned counter;
	char name[64];
	char *first, *second;
	int fd;

	snprintf(name, sizeof(name), "/gnuradio-%d-%u", (int)getpid(), counter++);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)(2 * size)))
		goto fail;
	first = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (first == MAP_FAILED)
		goto fail;
	second = mmap(first + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (second == MAP_FAILED)
		goto fail;
	close(fd);
	if (shm_unlink(name))
		return -1;
	return munmap(first, 2 * size);
fail:
	close(fd);
	shm_unlink(name);
	return -1;
}

static int gr_sysv_shm(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int guard, room, seg, ok = 0;
	char *base;

	guard = shmget(IPC_PRIVATE, page, IPC_CREAT | 0400);
	room = shmget(IPC_PRIVATE, 2 * size + 2 * page, IPC_CREAT | 0700);
	seg = shmget(IPC_PRIVATE, size, IPC_CREAT | 0700);
	if (guard < 0 || room < 0 || seg < 0)
		goto out;
	base = shmat(room, NULL, 0);
	shmctl(room, IPC_RMID, NULL);
	room = -1;
	if (base == (void *)-1)
		goto out;
	shmdt(base);	/* the room found; now fill it */
	if (shmat(guard, base, SHM_RDONLY) == (void *)-1 ||
	    shmat(seg, base + page, 0) == (void *)-1 ||
	    shmat(seg, base + page + size, 0) == (void *)-1 ||
	    shmat(guard, base + page + 2 * size, SHM_RDONLY) == (void *)-1)
		goto out;
	ok = !shmdt(base) && !shmdt(base + page) && !shmdt(base + page + size) &&
	     !shmdt(base + page + 2 * size);
out:
	if (guard >= 0)
		shmctl(guard, IPC_RMID, NULL);
	if (room >= 0)
		shmctl(room, IPC_RMID, NULL);
	if (seg >= 0)
		shmctl(seg, IPC_RMID, NULL);
	return ok ? 0 : -1;
}

static int slice_deque(void)
{
	int fd = (int)syscall(SYS_memfd_create, "slice_deque", 1u /* MFD_CLOEXEC */);
	char *first, *second;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size))
		goto fail;
	first = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (first == MAP_FAILED)
		goto fail;
	second = mmap(first + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (second == MAP_FAILED)
		goto fail;
	close(fd);
	return munmap(first, 2 * size);
fail:
	close(fd);
	return -1;
}

static int ring(void)
{
	mmr_ring *r;

	if (mmr_ring_create(&r, size, MMR_BACKEND_MEMFD))
		return -1;
	mmr_ring_destroy(r);
	return 0;
}

static const char usage[] =
	"usage: mmr bench circbuf [--json] [--size=SIZE]\n\n"
	"Time creating and destroying a buffer of SIZE bytes (default 64K) mapped\n"
	"twice back to back: mmr_circbuf (with and without its cache of released\n"
	"buffers), GNU Radio's vmcircbuf factories (shm_open, sysv_shm),\n"
	"slice-deque's memfd + mmap twice, and mmr_ring_create for scale.\n\n"
	"  --json         one JSON object (schema " MMR_JSON_SCHEMA ", see mmr(1))\n"
	"  --size=SIZE    bytes, a multiple of the page size (K, M suffixes)\n"
	"  --help         this text\n";

int mmr_bench_circbuf(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} cases[] = {
		{ "gnuradio shm_open", gr_shm_open },
		{ "gnuradio sysv_shm", gr_sysv_shm },
		{ "slice-deque memfd", slice_deque },
		{ "mmr_ring", ring },
		{ "mmr_circbuf, trimmed", lib_trimmed },
		{ "mmr_circbuf", lib_cached },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	double t[N][ROUNDS], med[N];
	int iters = 300, json = 0, c;
	struct json j;

	cli_begin("bench circbuf", argc, argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 's' && cli_size("bench circbuf", "--size", optarg, page,
					      (size_t)1 << 30, &size))
			return CLI_EXIT_USAGE;
		else if (c == 'h')
			return cli_help(usage);
		else if (c != 's')
			return cli_bad_option("bench circbuf");
	}
	if (cli_no_operands("bench circbuf", argc, argv))
		return CLI_EXIT_USAGE;
	if (size % page)
		return cli_usage_error("bench circbuf", "--size=%zu is not a multiple of the "
				       "page size (%zu)", size, page);
	for (int k = 0; k < N; k++)	/* warm up, and fail early */
		if (bench_round_ns(cases[k].fn, 10) < 0) {
			fprintf(stderr, "mmr bench circbuf: %s failed: %s\n", cases[k].name,
				k >= 3 ? mmr_last_error() : strerror(errno));
			return 1;
		}
	for (int i = 0; i < ROUNDS; i++)	/* interleaved: the same noise */
		for (int k = 0; k < N; k++)
			t[k][i] = bench_round_ns(cases[k].fn, iters);
	for (int k = 0; k < N; k++) {
		qsort(t[k], ROUNDS, sizeof(double), bench_cmp_double);
		med[k] = t[k][ROUNDS / 2];
	}
	mmr_circbuf_trim();
	if (json) {
		json_doc_begin(&j, stdout, "bench circbuf");
		json_uint(&j, "size", size);
		json_int(&j, "iterations", iters);
		json_int(&j, "rounds", ROUNDS);
		json_string(&j, "baseline", cases[0].name);
		json_array_begin(&j, "results");
		for (int k = 0; k < N; k++) {
			json_object_begin(&j, NULL);
			json_string(&j, "method", cases[k].name);
			json_double(&j, "ns", med[k], 0, 1);
			json_double(&j, "ns_min", t[k][0], 0, 1);
			json_double(&j, "ns_max", t[k][ROUNDS - 1], 0, 1);
			json_double(&j, "ratio", med[k] / med[0], 3, 1);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_doc_end(&j);
		return 0;
	}
	printf("create + destroy of a %zu KiB buffer mapped twice, median of %d "
	       "interleaved rounds of %d\n\n%-22s %10s %10s %10s %9s\n", size >> 10, ROUNDS,
	       iters, "method", "ns", "min", "max", "vs GNU Radio");
	for (int k = 0; k < N; k++)
		printf("%-22s %10.0f %10.0f %10.0f %8.3fx\n", cases[k].name, med[k], t[k][0],
		       t[k][ROUNDS - 1], med[k] / med[0]);
	return 0;
}
