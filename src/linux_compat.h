/* SPDX-License-Identifier: MIT */
/* Kernel flags older system headers may lack (values from the kernel's uapi
 * and, for MREMAP_MIRROR/MREMAP_POPULATE, from kernel/patches). */
#ifndef MMRI_LINUX_COMPAT_H
#define MMRI_LINUX_COMPAT_H

#include <sys/mman.h>

#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
/* From the memmirror kernel series (kernel/patches). */
#ifndef MREMAP_MIRROR
#define MREMAP_MIRROR 32
#endif
#ifndef MREMAP_POPULATE
#define MREMAP_POPULATE 64
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#endif /* MMRI_LINUX_COMPAT_H */
