// SPDX-License-Identifier: MIT
/*
 * mmr bench setup: the cost of making mirrored memory. For each backend,
 * create a region, make two views, destroy it, through the library and
 * through the raw system calls that do the same work; interleaved rounds,
 * median of each, and the ratio (the library's overhead).
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

#define SIZE (64u << 10)
#define ROUNDS 15

static int raw_memfd(void)
{
	int fd = (int)syscall(SYS_memfd_create, "memmirror", 1u);
	void *a, *b;

	if (fd < 0 || ftruncate(fd, SIZE))
		return -1;
	a = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		return -1;
	munmap(a, SIZE);
	munmap(b, SIZE);
	return close(fd);
}

static int raw_posix(void)
{
	static unsigned n;
	char name[64];
	void *a, *b;
	int fd;

	snprintf(name, sizeof(name), "/memmirror-bench-%d-%u", (int)getpid(), n++);
	snprintf(name, sizeof(name), "/dev/shm/memmirror-bench-%d-%u", (int)getpid(), n++);
	fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	unlink(name);
	if (ftruncate(fd, SIZE))
		return -1;
	a = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		return -1;
	munmap(a, SIZE);
	munmap(b, SIZE);
	return close(fd);
}

static int raw_mremap(void)
{
	void *m, *a, *b;

	m = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	a = (void *)syscall(SYS_mremap, m, 0, SIZE, 1, NULL);
	b = (void *)syscall(SYS_mremap, m, 0, SIZE, 1, NULL);
	if (a == MAP_FAILED || b == MAP_FAILED)
		return -1;
	munmap(a, SIZE);
	munmap(b, SIZE);
	return munmap(m, SIZE);
}

static int raw_sysv(void)
{
	int id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);
	void *m, *a, *b;

	if (id < 0)
		return -1;
	m = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	if (m == (void *)-1)
		return -1;
	a = (void *)syscall(SYS_mremap, m, 0, SIZE, 1, NULL);
	b = (void *)syscall(SYS_mremap, m, 0, SIZE, 1, NULL);
	if (a == MAP_FAILED || b == MAP_FAILED)
		return -1;
	munmap(a, SIZE);
	munmap(b, SIZE);
	return shmdt(m);
}

static int raw_native(void)
{
	int fd = (int)syscall(SYS_memfd_create, "memmirror", 1u);
	void *m, *a, *b;

	if (fd < 0 || ftruncate(fd, SIZE))
		return -1;
	m = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	a = (void *)syscall(SYS_mremap, m, SIZE, SIZE, 1 | 8, NULL);
	b = (void *)syscall(SYS_mremap, m, SIZE, SIZE, 1 | 8, NULL);
	if (a == MAP_FAILED || b == MAP_FAILED)
		return -1;
	munmap(a, SIZE);
	munmap(b, SIZE);
	munmap(m, SIZE);
	return close(fd);
}

static enum mmr_backend lib_backend;

static int lib(void)
{
	mmr_region *r;

	if (mmr_region_create(&r, SIZE, lib_backend))
		return -1;
	if (!mmr_view(r, 0, SIZE, NULL, PROT_READ | PROT_WRITE, 0) ||
	    !mmr_view(r, 0, SIZE, NULL, PROT_READ | PROT_WRITE, 0))
		return -1;
	mmr_region_destroy(r);
	return 0;
}

static const char usage[] =
	"usage: mmr bench setup [--json]\n\n"
	"Time creating a 64 KiB region, mapping two views and destroying it, through\n"
	"the library and through the same raw system calls, for every backend.\n\n"
	"  --json   one JSON object (schema " MMR_JSON_SCHEMA ", see mmr(1))\n"
	"  --help   this text\n";

int mmr_bench_setup(int argc, char **argv)
{
	static const struct {
		enum mmr_backend b;
		int (*raw)(void);
	} cases[] = {
		{ MMR_BACKEND_MEMFD, raw_memfd },
		{ MMR_BACKEND_POSIX, raw_posix },
		{ MMR_BACKEND_SYSV, raw_sysv },
		{ MMR_BACKEND_MREMAP, raw_mremap },
		{ MMR_BACKEND_NATIVE, raw_native },
	};
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int iters = 500, json = 0, c;
	struct mmr_probe_report rep;
	struct json j;

	cli_begin("bench setup", argc, argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h')
			return cli_help(usage);
		else
			return cli_bad_option("bench setup");
	}
	if (cli_no_operands("bench setup", argc, argv))
		return CLI_EXIT_USAGE;
	mmr_probe(&rep);
	if (json) {
		json_doc_begin(&j, stdout, "bench setup");
		json_uint(&j, "size", SIZE);
		json_int(&j, "iterations", iters);
		json_int(&j, "rounds", ROUNDS);
		json_array_begin(&j, "results");
	} else {
		printf("create + 2 views + destroy of a %u KiB region, median of %d rounds "
		       "of %d\n\n%-8s %12s %12s %8s\n", SIZE >> 10, ROUNDS, iters,
		       "backend", "library ns", "raw ns", "ratio");
	}
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct mmr_backend_status *st = &rep.backend[cases[k].b];
		const char *name = mmr_backend_name(cases[k].b);
		double l[ROUNDS], r[ROUNDS], lm, rm;

		if (!st->available) {
			if (json) {
				json_object_begin(&j, NULL);
				json_string(&j, "backend", name);
				json_null(&j, "library_ns");
				json_null(&j, "raw_ns");
				json_null(&j, "ratio");
				json_errno(&j, "error", st->error);
				json_string(&j, "why", st->why);
				json_object_end(&j);
			} else {
				printf("%-8s %12s %12s %8s  (%s)\n", name, "-", "-", "-", st->why);
			}
			continue;
		}
		lib_backend = cases[k].b;
		bench_round_ns(lib, iters / 10);	/* warm up */
		bench_round_ns(cases[k].raw, iters / 10);
		for (int i = 0; i < ROUNDS; i++) {	/* interleaved: same noise */
			l[i] = bench_round_ns(lib, iters);
			r[i] = bench_round_ns(cases[k].raw, iters);
			if (l[i] < 0 || r[i] < 0) {
				fprintf(stderr, "mmr bench setup: %s failed: %s\n", name,
					l[i] < 0 ? mmr_last_error() : strerror(errno));
				return 1;
			}
		}
		qsort(l, ROUNDS, sizeof(double), bench_cmp_double);
		qsort(r, ROUNDS, sizeof(double), bench_cmp_double);
		lm = l[ROUNDS / 2];
		rm = r[ROUNDS / 2];
		if (json) {
			json_object_begin(&j, NULL);
			json_string(&j, "backend", name);
			json_double(&j, "library_ns", lm, 0, 1);
			json_double(&j, "raw_ns", rm, 0, 1);
			json_double(&j, "ratio", lm / rm, 3, 1);
			json_null(&j, "error");
			json_null(&j, "why");
			json_object_end(&j);
		} else {
			printf("%-8s %12.0f %12.0f %7.3fx\n", name, lm, rm, lm / rm);
		}
	}
	if (json) {
		json_array_end(&j);
		json_doc_end(&j);
	}
	return 0;
}
