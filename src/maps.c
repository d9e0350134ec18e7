// SPDX-License-Identifier: MIT
/* Look up the mapping that holds an address in /proc/self/maps. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "syscall.h"

static int parse_line(char *line, struct mmri_vma *v)
{
	unsigned long long off;
	unsigned maj, min;
	int pathpos = 0;
	char perms[8];

	if (sscanf(line, "%lx-%lx %7s %llx %x:%x %lu %n", &v->start, &v->end, perms,
		   &off, &maj, &min, &v->inode, &pathpos) < 7)
		return -EINVAL;
	v->offset = off;
	v->dev_major = maj;
	v->dev_minor = min;
	v->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	v->shared = perms[3] == 's';
	v->path[0] = 0;
	if (pathpos > 0) {
		char *p = line + pathpos, *nl = strchr(p, '\n');

		if (nl)
			*nl = 0;
		snprintf(v->path, sizeof(v->path), "%s", p);
	}
	return 0;
}

int mmri_maps_find(unsigned long addr, struct mmri_vma *out)
{
	char buf[8192 + 1], *line, *nl;
	size_t have = 0;
	int fd, ret = -EFAULT;

	fd = mmri_open("/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n = mmri_read(fd, buf + have, sizeof(buf) - 1 - have);

		if (n < 0) {
			ret = (int)n;
			break;
		}
		have += (size_t)n;
		buf[have] = 0;
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			struct mmri_vma v;

			*nl = 0;
			if (!parse_line(line, &v) && v.start <= addr && addr < v.end) {
				*out = v;
				ret = 0;
				goto out;
			}
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
		if (n == 0 || have == sizeof(buf) - 1)
			break;
	}
out:
	mmri_close(fd);
	return ret;
}
