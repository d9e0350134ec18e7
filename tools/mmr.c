// SPDX-License-Identifier: MIT
/* mmr: probe this machine, demonstrate mirroring, run the benchmarks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "memmirror.h"
#include "../bench/bench.h"

/* Benchmarks live in bench/; a build without one says so. */
__attribute__((weak)) int mmr_bench_ring(int argc, char **argv);
__attribute__((weak)) int mmr_bench_heap(int argc, char **argv);
__attribute__((weak)) int mmr_bench_populate(int argc, char **argv);

static const char *yesno(int v)
{
	return v ? "yes" : "no";
}

static void print_pool(const char *name, long total, long free_pages)
{
	if (total < 0)
		printf("  %-22s not supported by this kernel/CPU\n", name);
	else
		printf("  %-22s %ld reserved, %ld free%s\n", name, total, free_pages,
		       total ? "" : " (reserve: echo N > /proc/sys/vm/nr_hugepages)");
}

static int probe_text(const struct mmr_probe_report *rep)
{
	printf("memmirror %s on Linux %s, base page %zu bytes\n\n", MMR_VERSION_STRING,
	       rep->kernel, rep->base_page_size);
	printf("Backends (AUTO picks %s):\n", mmr_backend_name(rep->best));
	for (int b = 1; b < MMR_BACKEND_COUNT; b++) {
		const struct mmr_backend_status *st = &rep->backend[b];

		printf("  %-10s %s%s%s\n", mmr_backend_name(b), st->available ? "works" : "no",
		       st->available ? "" : ": ", st->available ? "" : st->why);
	}
	printf("\nKernel mirroring (MREMAP_MIRROR): %s, MREMAP_POPULATE: %s, hugetlb: %s\n",
	       yesno(rep->native_mirror), yesno(rep->native_populate),
	       yesno(rep->native_hugetlb));
	printf("\nHuge pages:\n");
	print_pool("2 MiB hugetlb pool", rep->huge_2m_total, rep->huge_2m_free);
	print_pool("1 GiB hugetlb pool", rep->huge_1g_total, rep->huge_1g_free);
	printf("  %-22s 2 MiB: %s, 1 GiB: %s\n", "hugetlbfs mounted",
	       yesno(rep->hugetlbfs_2m_mounted), yesno(rep->hugetlbfs_1g_mounted));
	printf("  %-22s %s\n", "shmem THP mode", rep->thp_shmem);
	return 0;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int probe_json(const struct mmr_probe_report *rep)
{
	printf("{\"version\": \"%s\", \"kernel\": ", MMR_VERSION_STRING);
	json_string(rep->kernel);
	printf(", \"base_page_size\": %zu, \"best\": \"%s\", \"backends\": {",
	       rep->base_page_size, mmr_backend_name(rep->best));
	for (int b = 1; b < MMR_BACKEND_COUNT; b++) {
		printf("%s\"%s\": {\"available\": %s, \"error\": %d, \"why\": ", b > 1 ? ", " : "",
		       mmr_backend_name(b), rep->backend[b].available ? "true" : "false",
		       rep->backend[b].error);
		json_string(rep->backend[b].why);
		putchar('}');
	}
	printf("}, \"native_mirror\": %s, \"native_populate\": %s, \"native_hugetlb\": %s, ",
	       rep->native_mirror ? "true" : "false", rep->native_populate ? "true" : "false",
	       rep->native_hugetlb ? "true" : "false");
	printf("\"huge_2m\": {\"total\": %ld, \"free\": %ld}, \"huge_1g\": {\"total\": %ld, "
	       "\"free\": %ld}, \"hugetlbfs_2m_mounted\": %s, \"hugetlbfs_1g_mounted\": %s, "
	       "\"thp_shmem\": ", rep->huge_2m_total, rep->huge_2m_free, rep->huge_1g_total,
	       rep->huge_1g_free, rep->hugetlbfs_2m_mounted ? "true" : "false",
	       rep->hugetlbfs_1g_mounted ? "true" : "false");
	json_string(rep->thp_shmem);
	printf("}\n");
	return 0;
}

static int cmd_probe(int argc, char **argv)
{
	struct mmr_probe_report rep;
	int ret = mmr_probe(&rep);

	if (ret) {
		fprintf(stderr, "mmr probe: %s\n", mmr_last_error());
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "--json"))
		return probe_json(&rep);
	return probe_text(&rep);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct demo_row {
	const char *what;
	char result[160];
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
	snprintf(row->result, sizeof(row->result), "%s: %.120s", ok ? "refused" : "NOT REFUSED",
		 mmr_last_error());
	if (m)
		munmap(m, len);
	munmap(p, len);
	return ok;
}

#define NR_2M "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	fprintf(f, "%ld\n", v);
	return fclose(f);
}

/* As root with an empty pool, lend the demo 4 huge pages, given back after. */
static long demo_reserve_huge(const struct mmr_probe_report *rep)
{
	long old = rep->huge_2m_total;

	if (geteuid() != 0 || old < 0 || rep->huge_2m_free >= 4)
		return -1;
	if (write_long(NR_2M, old + 4) || read_long(NR_2M) < old + 1) {
		write_long(NR_2M, old);
		return -1;
	}
	printf("(reserved 2 MiB huge pages for the demo: nr_hugepages %ld -> %ld, "
	       "restored at the end)\n", old, read_long(NR_2M));
	return old;
}

static int cmd_demo(void)
{
	struct mmr_probe_report rep;
	struct demo_row rows[16];
	int n = 0, failed = 0, tried = 0;
	long old_huge;

	mmr_probe(&rep);
	printf("memmirror demo on Linux %s: one region, two views, same bytes\n", rep.kernel);
	old_huge = demo_reserve_huge(&rep);
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
	if (old_huge >= 0)
		write_long(NR_2M, old_huge);
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

static void usage(FILE *f)
{
	fprintf(f, "usage: mmr <command> [options]\n\n"
		"  probe [--json]        what works on this machine, and why not\n"
		"  demo                  mirror memory with every backend that works here\n"
		"  bench setup [--json]  region create+view+destroy: library vs raw syscalls\n"
		"  bench populate [--json]  ways to prefault a mirror\n"
		"  bench ring [--json]   mmr_ring against copy-on-wrap, the limits, GNU Radio\n"
		"  bench heap [--json]   colored pointers through views vs masking\n"
		"  version               library version\n"
		"  help                  this text\n\n"
		"MMR_BACKEND=<name> overrides the automatic backend choice.\n");
}

static int cmd_bench(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} benches[] = {
		{ "setup", mmr_bench_setup },
		{ "populate", mmr_bench_populate },
		{ "ring", mmr_bench_ring },
		{ "heap", mmr_bench_heap },
	};

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		if (strcmp(argv[1], benches[i].name))
			continue;
		if (!benches[i].fn) {
			fprintf(stderr, "mmr bench %s: not part of this build\n", argv[1]);
			return 2;
		}
		return benches[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "mmr bench: unknown benchmark '%s'\n", argv[1]);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("mmr (memmirror) %s\n", MMR_VERSION_STRING);
		return 0;
	}
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(argv[1], "demo"))
		return cmd_demo();
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 1, argv + 1);
	fprintf(stderr, "mmr: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
