/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flags the benchmarks use, for C libraries whose headers lack them
 * (bench.sh builds against the patched kernel's exported headers, which
 * have the series' own).
 */
#ifndef BENCH_FLAGS_H
#define BENCH_FLAGS_H

#include <sys/mman.h>

#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#ifndef MREMAP_MIRROR
#define MREMAP_MIRROR 32
#endif
#ifndef MREMAP_POPULATE
#define MREMAP_POPULATE 64
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 4
#endif

#endif
