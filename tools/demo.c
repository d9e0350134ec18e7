// SPDX-License-Identifier: MIT
/*
 * mmr demo: for every backend that works here, one region, two views, the
 * same bytes; then mirror a shared mapping and see a private one refused.
 *
 * Huge pages are borrowed only when asked (--borrow-huge-pages, root): the
 * 2 MiB pool is raised for the demo and put back at the end or on SIGINT,
 * SIGTERM or SIGHUP, and only if it still holds what the demo wrote, so an
 * administrator's change made meanwhile is never overwritten.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "memmirror.h"
#include "cli.h"
#include "commands.h"
#include "hugepool.h"

#define NR_2M "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define BORROW_PAGES 4

static const char usage[] =
	"usage: mmr demo [--borrow-huge-pages]\n\n"
	"Mirror memory with every backend that works here: create a region, write\n"
	"through one view, read through another; mirror a shared mapping, see a\n"
	"private one refused. Prints a table with timings.\n\n"
	"  --borrow-huge-pages  as root, when fewer than 4 free 2 MiB huge pages are\n"
	"                       reserved, raise the pool for the demo and put it back\n"
	"                       at the end (or on Ctrl-C), unless someone else changed\n"
	"                       it meanwhile\n"
	"  --help               this text\n";

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct demo_row {
	const char *what;
	char result[640];	/* whole: the end of a message says what to do */
	double us;
	int ok;
};

/* Create, write through one view, read through another, unmap, destroy. */
static int demo_backend(unsigned flags, size_t size, struct demo_row *row)
{
	volatile unsigned char *a, *b;
	double t0 = now_us();
	mmr_region *r;
	int ok = 1;

	if (mmr_region_create(&r, size, flags)) {
		snprintf(row->result, sizeof(row->result), "%s", mmr_last_error());
		row->us = now_us() - t0;
		return 0;
	}
	a = mmr_view(r, 0, mmr_region_size(r), NULL, PROT_READ | PROT_WRITE, 0);
	b = mmr_view(r, 0, mmr_region_size(r), NULL, PROT_READ | PROT_WRITE, 0);
	if (!a || !b) {
		snprintf(row->result, sizeof(row->result), "view failed: %s", mmr_last_error());
		mmr_region_destroy(r);
		return 0;
	}
	for (size_t i = 0; i < mmr_region_size(r); i += 4096)
		a[i] = (unsigned char)(i >> 12);
	mmr_barrier();
	for (size_t i = 0; i < mmr_region_size(r); i += 4096)
		ok &= b[i] == (unsigned char)(i >> 12);
	row->us = now_us() - t0;
	snprintf(row->result, sizeof(row->result), "%s: views %p and %p, %zu KiB pages, %s",
		 ok ? "mirrored" : "MISMATCH", (void *)a, (void *)b,
		 mmr_region_page_size(r) >> 10, mmr_backend_name(mmr_region_backend(r)));
	mmr_region_destroy(r);
	return ok;
}

static int demo_mirror(struct demo_row *row)
{
	size_t len = 64 * 4096;
	volatile char *src, *m;
	double t0 = now_us();
	int ok;

	src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED) {
		snprintf(row->result, sizeof(row->result), "mmap failed: %s", strerror(errno));
		return 0;
	}
	m = mmr_mirror((void *)src, len, NULL, 0);
	if (!m) {
		snprintf(row->result, sizeof(row->result), "%s", mmr_last_error());
		munmap((void *)src, len);
		return 0;
	}
	src[100] = 'M';
	mmr_barrier();
	ok = m[100] == 'M';
	row->us = now_us() - t0;
	snprintf(row->result, sizeof(row->result), "%s: %p mirrored at %p",
		 ok ? "mirrored" : "MISMATCH", (void *)src, (void *)m);
	munmap((void *)m, len);
	munmap((void *)src, len);
	return ok;
}

static int demo_private(struct demo_row *row)
{
	size_t len = 4096;
	double t0 = now_us();
	void *p, *m;
	int ok;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	m = mmr_mirror(p, len, NULL, 0);
	ok = !m && errno == EINVAL;
	row->us = now_us() - t0;
	snprintf(row->result, sizeof(row->result), "%s: %s", ok ? "refused" : "NOT REFUSED",
		 mmr_last_error());
	if (m)
		munmap(m, len);
	munmap(p, len);
	return ok;
}

/* Lend the demo BORROW_PAGES free 2 MiB pages if the pool lacks them. */
static int borrow_huge_pages(const struct mmr_probe_report *rep)
{
	long before, now;
	int ret;

	if (rep->huge_2m_total < 0) {
		printf("(--borrow-huge-pages: this kernel or CPU has no 2 MiB huge pages)\n");
		return 0;
	}
	if (rep->huge_2m_free >= BORROW_PAGES)
		return 0;
	ret = hugepool_borrow(NR_2M, rep->huge_2m_total + BORROW_PAGES - rep->huge_2m_free,
			      &before, &now);
	if (ret) {
		printf("(--borrow-huge-pages: could not raise %s: %s%s)\n", NR_2M,
		       strerror(-ret), geteuid() ? "; only root can" : "");
		return 0;
	}
	printf("(borrowed 2 MiB huge pages for the demo: %s %ld -> %ld, given back at "
	       "the end)\n", NR_2M, before, now);
	return 1;
}

static void return_huge_pages(void)
{
	int ret = hugepool_give_back();

	switch (ret) {
	case 0:
		printf("(gave the huge pages back)\n");
		break;
	case 1:
		printf("(%s is now %ld: someone changed it while the demo ran, so it is "
		       "left as it is)\n", NR_2M, hugepool_read(NR_2M));
		break;
	default:
		fprintf(stderr, "mmr demo: could not give back the huge pages in %s: %s\n",
			NR_2M, strerror(-ret));
	}
}

int mmr_cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "borrow-huge-pages", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct mmr_probe_report rep;
	struct demo_row rows[16];
	int c, n = 0, failed = 0, tried = 0, borrow = 0, borrowed = 0;

	cli_begin("demo", argc, argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			borrow = 1;
			break;
		case 'h':
			return cli_help(usage);
		default:
			return cli_bad_option("demo");
		}
	}
	if (cli_no_operands("demo", argc, argv))
		return CLI_EXIT_USAGE;
	if (mmr_probe(&rep)) {
		fprintf(stderr, "mmr demo: %s\n", mmr_last_error());
		return 1;
	}
	printf("memmirror demo on Linux %s: one region, two views, same bytes\n", rep.kernel);
	if (borrow)
		borrowed = borrow_huge_pages(&rep);
	else if (rep.huge_2m_free == 0)
		printf("(no free 2 MiB huge pages: huge page steps use base pages or are skipped; as root, "
		       "--borrow-huge-pages lends the demo some)\n");
	fflush(stdout);
	putchar('\n');
	for (int b = 1; b < MMR_BACKEND_COUNT; b++) {
		struct demo_row *row = &rows[n++];

		memset(row, 0, sizeof(*row));
		row->what = mmr_backend_name(b);
		if (b == MMR_BACKEND_HUGETLBFS) {
			row->ok = demo_backend(b | MMR_HUGE_2MB, 2u << 20, row);
		} else if (!rep.backend[b].available) {
			snprintf(row->result, sizeof(row->result), "skipped: %s", rep.backend[b].why);
			row->ok = -1;
			continue;
		} else {
			row->ok = demo_backend(b, 1u << 20, row);
		}
		if (b == MMR_BACKEND_HUGETLBFS && !row->ok) {
			row->ok = -1;
			continue;
		}
		tried++;
		failed += !row->ok;
	}
	memset(&rows[n], 0, sizeof(rows[n]));
	rows[n].what = "huge (best)";
	rows[n].ok = demo_backend(MMR_HUGE, 4u << 20, &rows[n]);
	failed += !rows[n++].ok;
	memset(&rows[n], 0, sizeof(rows[n]));
	rows[n].what = "sysv 2M huge";
	rows[n].ok = demo_backend(MMR_BACKEND_SYSV | MMR_HUGE_2MB, 2u << 20, &rows[n]);
	if (!rows[n++].ok)
		rows[n - 1].ok = -1;	/* needs a reserved pool: shown, not failed */
	if (borrowed)
		return_huge_pages();
	memset(&rows[n], 0, sizeof(rows[n]));
	rows[n].what = "mirror shared";
	rows[n].ok = demo_mirror(&rows[n]);
	failed += !rows[n++].ok;
	memset(&rows[n], 0, sizeof(rows[n]));
	rows[n].what = "mirror private";
	rows[n].ok = demo_private(&rows[n]);
	failed += !rows[n++].ok;

	printf("%-15s %-6s %9s  %s\n", "step", "ok", "time(us)", "what happened");
	for (int i = 0; i < n; i++)
		printf("%-15s %-6s %9.1f  %s\n", rows[i].what,
		       rows[i].ok < 0 ? "skip" : rows[i].ok ? "yes" : "FAIL", rows[i].us,
		       rows[i].result);
	printf("\n%d backends worked, %d steps failed\n", tried, failed);
	return failed || !tried;
}
