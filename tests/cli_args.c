// SPDX-License-Identifier: MIT
/* common/cli.c: numbers and sizes on the mmr command line are taken only
 * when they are all digits and fit; usage errors say so and give 2. */
#include "helpers.h"
#include "cli.h"

static int numbers(void)
{
	static const char *const bad[] = {
		"", "abc", "-1", "+1", " 1", "1 ", "1x", "0x10", "11",
		"18446744073709551616", "99999999999999999999999",
	};
	unsigned long long v;
	int i;

	CHECK(freopen("/dev/null", "w", stderr));	/* the refusals' messages */

	CHECK_EQ(cli_uint("t", "--n", "0", 0, 10, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(cli_uint("t", "--n", "10", 0, 10, &v), 0);
	CHECK_EQ(v, 10);
	CHECK_EQ(cli_uint("t", "--n", "18446744073709551615", 0, ~0ULL, &v), 0);
	CHECK(v == ~0ULL);
	v = 7;
	/* Each refused, v untouched. */
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		CHECK_EQ(cli_uint("t", "--n", bad[k], 0, 10, &v), -1);
		CHECK_EQ(v, 7);
	}
	CHECK_EQ(cli_int("t", "--rounds", "15", 1, 15, &i), 0);
	CHECK_EQ(i, 15);
	CHECK_EQ(cli_int("t", "--rounds", "0", 1, 15, &i), -1);
	CHECK_EQ(cli_int("t", "--rounds", "4294967297", 1, 15, &i), -1);	/* 2^32+1 */
	CHECK_EQ(i, 15);
	return T_PASS;
}

static int sizes(void)
{
	static const struct { const char *arg; unsigned long long want; } good[] = {
		{ "4096", 4096 }, { "4K", 4096 }, { "4k", 4096 }, { "4KiB", 4096 },
		{ "256M", 256ULL << 20 }, { "2G", 2ULL << 30 }, { "1T", 1ULL << 40 },
		{ "3MB", 3ULL << 20 },
	};
	static const char *const bad[] = {
		"", "M", "4X", "4KK", "4Kib", "-4K", "4 K", "17179869184T", "16777216T", "16777217T",
		"18446744073709551616",
	};
	size_t v;

	CHECK(freopen("/dev/null", "w", stderr));
	for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		/* 32-bit code: a size past SIZE_MAX (1T) is out of range. */
		if (good[k].want > SIZE_MAX) {
			CHECK_EQ(cli_size("t", "--size", good[k].arg, 1, SIZE_MAX, &v), -1);
			continue;
		}
		CHECK_EQ(cli_size("t", "--size", good[k].arg, 1, SIZE_MAX, &v), 0);
		CHECK_EQ(v, good[k].want);
	}
	v = 7;
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		if (cli_size("t", "--size", bad[k], 1, SIZE_MAX, &v) != -1) {
			snprintf(t_msg, sizeof(t_msg), "--size=%s taken as %zu", bad[k], v);
			return T_FAIL;
		}
		CHECK_EQ(v, 7);
	}
	CHECK_EQ(cli_size("t", "--size", "8K", 4096, 4096, &v), -1);	/* range */
	CHECK_EQ(cli_usage_error("t", "x"), CLI_EXIT_USAGE);
	return T_PASS;
}

T_MAIN(T(numbers), T(sizes))
