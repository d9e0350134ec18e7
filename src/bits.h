/* SPDX-License-Identifier: MIT */
/* Bit counts that hold for 32- and 64-bit code alike. */
#ifndef MMR_BITS_H
#define MMR_BITS_H

#include <limits.h>
#include <stdint.h>

/* Bits needed to write @x: 0 for 0, 1 for 1, 3 for 5. */
static inline unsigned mmri_bit_width(unsigned long long x)
{
	return x ? (unsigned)(sizeof(x) * CHAR_BIT) - (unsigned)__builtin_clzll(x) : 0;
}

/* The smallest n with 2^n >= @x (0 for 0 and 1). */
static inline unsigned mmri_log2_ceil(unsigned long long x)
{
	return x <= 1 ? 0 : mmri_bit_width(x - 1);
}

#endif /* MMR_BITS_H */
