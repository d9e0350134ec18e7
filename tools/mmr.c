// SPDX-License-Identifier: MIT
/* mmr: probe this machine, demonstrate mirroring, run the benchmarks,
 * measure what mirrored memory costs a process. This file dispatches. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmirror.h"
#include "../bench/bench.h"
#include "cli.h"
#include "commands.h"

/* Benchmarks live in bench/; a build without one says so. */
__attribute__((weak)) int mmr_bench_ring(int argc, char **argv);
__attribute__((weak)) int mmr_bench_heap(int argc, char **argv);
__attribute__((weak)) int mmr_bench_populate(int argc, char **argv);

static const char usage_text[] =
	"usage: mmr <command> [options]\n\n"
	"  probe [--json]           what works on this machine, and why not\n"
	"  demo [--borrow-huge-pages]  mirror memory with every backend that works here\n"
	"  footprint [--json] [--views] PID...  what mirrored memory really costs\n"
	"                           processes: RSS, distinct pages, page tables\n"
	"  bench setup [--json]     region create+view+destroy: library vs raw syscalls\n"
	"  bench populate [--json] [--size=SIZE]  ways to prefault a mirror\n"
	"  bench ring [--json] [--quick] [--rounds=N]  mmr_ring against copy-on-wrap,\n"
	"                           the limits, GNU Radio\n"
	"  bench heap [--json]      colored pointers through views vs masking\n"
	"  bench circbuf [--json] [--size=SIZE]  create+destroy of a double-mapped\n"
	"                           buffer: mmr_circbuf, GNU Radio, slice-deque\n"
	"  version, -V, --version   library version\n"
	"  help [command]           this text, or a command's own\n\n"
	"Every command takes --help. MMR_BACKEND=<name> overrides the automatic\n"
	"backend choice. Exit status: 0 success, 1 failure, 2 usage error.\n";

static const char bench_usage[] =
	"usage: mmr bench <setup|populate|ring|heap|circbuf> [--json] [options]\n\n"
	"Run one benchmark; `mmr bench <name> --help` lists its options.\n";

static const struct bench {
	const char *name;
	int (*fn)(int, char **);
} benches[] = {
	{ "setup", mmr_bench_setup },
	{ "populate", mmr_bench_populate },
	{ "ring", mmr_bench_ring },
	{ "heap", mmr_bench_heap },
	{ "circbuf", mmr_bench_circbuf },
};

static int cmd_bench(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("bench", "which benchmark? (setup, populate, ring, "
				       "heap or circbuf)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cli_help(bench_usage);
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		if (strcmp(argv[1], benches[i].name))
			continue;
		if (!benches[i].fn) {
			fprintf(stderr, "mmr bench %s: not part of this build\n", argv[1]);
			return CLI_EXIT_USAGE;
		}
		return benches[i].fn(argc - 1, argv + 1);
	}
	return cli_usage_error("bench", "unknown benchmark '%s'", argv[1]);
}

static int cmd_version(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	cli_begin("version", argc, argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_help("usage: mmr version\n\nPrint the library version.\n");
		return cli_bad_option("version");
	}
	if (cli_no_operands("version", argc, argv))
		return CLI_EXIT_USAGE;
	printf("mmr (memmirror) %s\n", MMR_VERSION_STRING);
	return 0;
}

static int run(int argc, char **argv);

/* `mmr help CMD...` is `mmr CMD... --help`. */
static int cmd_help(int argc, char **argv)
{
	char *args[4] = { NULL };
	int n = 0;

	if (argc < 2)
		return cli_help(usage_text);
	if (argc > 3)
		return cli_usage_error("help", "unexpected argument '%s'", argv[3]);
	args[n++] = "mmr";
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n++] = "--help";
	return run(n, args);
}

static int run(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "probe", mmr_cmd_probe },
		{ "demo", mmr_cmd_demo },
		{ "footprint", mmr_cmd_footprint },
		{ "bench", cmd_bench },
		{ "version", cmd_version },
		{ "help", cmd_help },
	};

	if (argc < 2) {
		fputs(usage_text, stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cli_help(usage_text);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mmr: unknown command '%s'\nTry 'mmr --help' for more "
		"information.\n", argv[1]);
	return CLI_EXIT_USAGE;
}

/* As coreutils: output that could not be written is a failure (exit 1),
 * e.g. `mmr probe > /dev/full`. */
static int close_stdout(int status)
{
	int earlier = ferror(stdout);

	if (fclose(stdout) == 0 && !earlier)
		return status;
	if (earlier)	/* errno of that write is gone */
		fprintf(stderr, "mmr: write error on standard output\n");
	else
		fprintf(stderr, "mmr: write error on standard output: %s\n", strerror(errno));
	return status ? status : 1;
}

int main(int argc, char **argv)
{
	return close_stdout(run(argc, argv));
}
