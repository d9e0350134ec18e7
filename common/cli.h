/* SPDX-License-Identifier: MIT */
/*
 * Command-line conventions shared by every mmr subcommand (and the
 * benchmarks in bench/): getopt_long, messages "mmr <cmd>: what is wrong"
 * followed by "Try 'mmr <cmd> --help'.", exit status 2 for usage errors.
 * Numbers are refused unless they are all digits and fit (no sign, no
 * wrap-around), sizes may end in K, M, G or T (binary units).
 */
#ifndef MMR_TOOL_CLI_H
#define MMR_TOOL_CLI_H

#include <getopt.h>
#include <stddef.h>

#define CLI_EXIT_USAGE 2

/* Before getopt_long on a subcommand's @argv: messages of getopt itself
 * then start with "mmr <cmd>" (@cmd is "probe", "bench ring"...). */
void cli_begin(const char *cmd, int argc, char **argv);
/* Print "mmr <cmd>: <message>" and the --help hint on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* getopt_long returned '?' (it printed why): the hint; returns 2. */
int cli_bad_option(const char *cmd);
/* Refuse operands left after the options: 0 if none, else 2. */
int cli_no_operands(const char *cmd, int argc, char **argv);
/* Print @text on stdout (--help); returns 0. */
int cli_help(const char *text);

/* Parse a decimal number in [min, max]; 0, or a usage message and -1. */
int cli_uint(const char *cmd, const char *opt, const char *arg, unsigned long long min,
	     unsigned long long max, unsigned long long *out);
int cli_int(const char *cmd, const char *opt, const char *arg, int min, int max, int *out);
/* Parse a size in bytes with an optional K, M, G or T suffix (KiB...). */
int cli_size(const char *cmd, const char *opt, const char *arg, size_t min, size_t max,
	     size_t *out);

#endif
