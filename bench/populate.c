// SPDX-License-Identifier: MIT
/*
 * mmr bench populate: how fast can a new view of memory that is already
 * resident get its page tables filled? A fully resident memfd region, then
 * for each method a fresh view, filled, timed, unmapped: ns per 4 KiB page.
 * The library's MMR_POPULATE uses the fastest userspace method measured
 * here, and MREMAP_POPULATE where the kernel has it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memmirror.h"
#include "bench.h"
#include "linux_compat.h"	/* MADV_POPULATE_* on older headers */

enum method { TOUCH_READ, TOUCH_WRITE, MAP_POP, POP_READ, POP_WRITE, NATIVE_POP, NMETHODS };

static const char *const method_names[NMETHODS] = {
	"touch (read)", "touch (write)", "MAP_POPULATE", "MADV_POPULATE_READ",
	"MADV_POPULATE_WRITE", "MREMAP_POPULATE",
};

struct ctx {
	int fd;
	char *master;
	size_t size;
	int native;
};

/* One populated view made by @m, in ns per page; -1 if unsupported. */
static double one(struct ctx *c, enum method m)
{
	size_t page = 4096, pages = c->size / page;
	int mflags = MAP_SHARED | (m == MAP_POP ? MAP_POPULATE : 0);
	uint64_t t0 = bench_now_ns(), t1;
	volatile char *v;
	long r = 0;

	if (m == NATIVE_POP)
		v = (void *)syscall(SYS_mremap, c->master, c->size, c->size, 1 | 8 | 16, NULL);
	else
		v = mmap(NULL, c->size, PROT_READ | PROT_WRITE, mflags, c->fd, 0);
	if (v == MAP_FAILED)
		return -1;
	switch (m) {
	case TOUCH_READ:
		for (size_t i = 0; i < pages; i++)
			(void)v[i * page];
		break;
	case TOUCH_WRITE:
		for (size_t i = 0; i < pages; i++)
			__atomic_fetch_add((char *)&v[i * page], 0, __ATOMIC_RELAXED);
		break;
	case POP_READ:
		r = madvise((void *)v, c->size, MADV_POPULATE_READ);
		break;
	case POP_WRITE:
		r = madvise((void *)v, c->size, MADV_POPULATE_WRITE);
		break;
	default:
		break;
	}
	t1 = bench_now_ns();
	munmap((void *)v, c->size);
	return r ? -1 : (double)(t1 - t0) / (double)pages;
}

static const char usage[] =
	"usage: mmr bench populate [--json] [--size=SIZE]\n\n"
	"Time ways of filling the page tables of a new view of a resident memfd\n"
	"region, in ns per 4 KiB page.\n\n"
	"  --size=SIZE  the region, in bytes or with K, M, G (default 256M)\n"
	"  --json       one JSON object (schema " MMR_JSON_SCHEMA ", see mmr(1))\n"
	"  --help       this text\n";

/* At most half of the machine's memory: the region is made resident. */
static size_t max_size(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	return pages > 0 && page > 0 ? (size_t)pages / 2 * (size_t)page : (size_t)1 << 30;
}

int mmr_bench_populate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	size_t size = 256u << 20;
	struct mmr_probe_report rep;
	double med[NMETHODS];
	struct json j;
	struct ctx c;
	enum { ROUNDS = 7 };
	mmr_region *r;
	int json = 0, opt;

	cli_begin("bench populate", argc, argv);
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 's':
			if (cli_size("bench populate", "--size", optarg, 4096, max_size(), &size))
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			return cli_help(usage);
		default:
			return cli_bad_option("bench populate");
		}
	}
	if (cli_no_operands("bench populate", argc, argv))
		return CLI_EXIT_USAGE;
	if (size % 4096)
		return cli_usage_error("bench populate", "--size %zu: not a multiple of 4 KiB",
				       size);
	mmr_probe(&rep);
	c.size = size;
	c.native = rep.native_populate;
	if (mmr_region_create(&r, c.size, MMR_BACKEND_MEMFD | MMR_POPULATE)) {
		fprintf(stderr, "mmr bench populate: %s\n", mmr_last_error());
		return 1;
	}
	c.fd = mmr_region_fd(r);
	c.master = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, c.fd, 0);
	if (c.master == MAP_FAILED) {
		fprintf(stderr, "mmr bench populate: mmap: %s\n", strerror(errno));
		mmr_region_destroy(r);
		return 1;
	}
	for (int m = 0; m < NMETHODS; m++) {
		double t[ROUNDS];

		med[m] = -1;
		if (m == NATIVE_POP && !c.native)
			continue;
		one(&c, (enum method)m);	/* warm up */
		for (int i = 0; i < ROUNDS; i++)
			t[i] = one(&c, (enum method)m);
		qsort(t, ROUNDS, sizeof(t[0]), bench_cmp_double);
		med[m] = t[0] < 0 ? -1 : t[ROUNDS / 2];
	}
	if (json) {
		json_doc_begin(&j, stdout, "bench populate");
		json_uint(&j, "size", size);
		json_int(&j, "rounds", ROUNDS);
		json_array_begin(&j, "results");
		for (int m = 0; m < NMETHODS; m++) {
			json_object_begin(&j, NULL);
			json_string(&j, "method", method_names[m]);
			json_double(&j, "ns_per_page", med[m], 1, 1);
			json_double(&j, "speedup_vs_populate_read", med[m] > 0 && med[POP_READ] > 0 ?
				    med[POP_READ] / med[m] : -1, 2, 1);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_doc_end(&j);
	} else {
		printf("filling the page tables of a new view of a resident %zu MiB memfd "
		       "(kernel %s), median of %d\n\n%-22s %12s %22s\n", size >> 20, rep.kernel,
		       ROUNDS, "method", "ns/page", "vs MADV_POPULATE_READ");
		for (int m = 0; m < NMETHODS; m++) {
			if (med[m] < 0)
				printf("%-22s %12s %22s\n", method_names[m], "-", "unsupported");
			else
				printf("%-22s %12.1f %21.2fx\n", method_names[m], med[m],
				       med[POP_READ] > 0 ? med[POP_READ] / med[m] : 0);
		}
	}
	munmap(c.master, c.size);
	mmr_region_destroy(r);
	return 0;
}
