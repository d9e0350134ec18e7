/* SPDX-License-Identifier: MIT */
#ifndef MMR_MAPS_H
#define MMR_MAPS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/mman.h>

/* One line of /proc/self/maps. */
struct mmri_vma {
	unsigned long start, end;
	unsigned long long offset;
	unsigned dev_major, dev_minor;
	unsigned long inode;
	int prot;
	bool shared;
	char path[PATH_MAX];
};

/* The mapping containing @addr: 0, -EFAULT if none, or another -errno. */
int mmri_maps_find(unsigned long addr, struct mmri_vma *out);

#endif
