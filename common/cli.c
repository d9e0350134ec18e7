// SPDX-License-Identifier: MIT
/* Command-line conventions of mmr (see cli.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static char prog[64];

void cli_begin(const char *cmd, int argc, char **argv)
{
	snprintf(prog, sizeof(prog), "mmr %s", cmd);
	if (argc > 0)
		argv[0] = prog;	/* getopt_long names the program with it */
	optind = 0;		/* glibc: start over, a new argv */
	opterr = 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mmr %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'mmr %s --help' for more information.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_bad_option(const char *cmd)
{
	fprintf(stderr, "Try 'mmr %s --help' for more information.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_no_operands(const char *cmd, int argc, char **argv)
{
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	return 0;
}

/* All digits, no sign or space, no overflow: strtoull alone takes "-1". */
static int parse_digits(const char *s, const char **end, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (~0ULL - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*end = s;
	*out = v;
	return 0;
}

int cli_uint(const char *cmd, const char *opt, const char *arg, unsigned long long min,
	     unsigned long long max, unsigned long long *out)
{
	const char *end;
	unsigned long long v;
	int r = parse_digits(arg, &end, &v);

	if (r == 0 && *end)
		r = -1;
	if (r == -1) {
		cli_usage_error(cmd, "%s '%s': not a number", opt, arg);
		return -1;
	}
	if (r || v < min || v > max) {
		cli_usage_error(cmd, "%s '%s': out of range (%llu to %llu)", opt, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_int(const char *cmd, const char *opt, const char *arg, int min, int max, int *out)
{
	unsigned long long v;

	if (min < 0 || max < min)
		return -1;
	if (cli_uint(cmd, opt, arg, (unsigned long long)min, (unsigned long long)max, &v))
		return -1;
	*out = (int)v;
	return 0;
}

int cli_size(const char *cmd, const char *opt, const char *arg, size_t min, size_t max,
	     size_t *out)
{
	static const char units[] = "KMGT";
	const char *end, *u;
	unsigned long long v;
	int r = parse_digits(arg, &end, &v);
	unsigned shift = 0;

	if (r == 0 && *end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u || !*u || (end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B")))
			r = -1;
		else
			shift = 10u * (unsigned)(u - units + 1);
	}
	if (r == -1) {
		cli_usage_error(cmd, "%s '%s': not a size (a number of bytes, or with "
				"K, M, G or T)", opt, arg);
		return -1;
	}
	if (r == 0 && shift && v > (~0ULL >> shift))
		r = -ERANGE;
	if (r == 0)
		v <<= shift;
	if (r || v < min || v > max) {
		cli_usage_error(cmd, "%s '%s': out of range (%zu to %zu bytes)", opt, arg,
				min, max);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}
