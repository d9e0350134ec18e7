// SPDX-License-Identifier: MIT
/*
 * The registry of backends: one line each, in the order MMR_BACKEND_AUTO
 * prefers them (for each kind of page, the first that the probe found
 * working). Region creation, the probe and the names all read this table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "region.h"
#include "backend.h"

/* Each defined by its backend_*.c; only the registry names them. */
extern const struct mmri_backend_ops mmri_native_ops, mmri_memfd_ops,
	mmri_hugetlbfs_ops, mmri_posix_ops, mmri_sysv_ops, mmri_mremap_ops;

static const struct mmri_backend_ops *const registry[] = {
	&mmri_native_ops,	/* the kernel's own mirror, when patched */
	&mmri_memfd_ops,	/* an fd, huge pages, growable */
	&mmri_hugetlbfs_ops,	/* hugetlb only: a file on a hugetlbfs mount */
	&mmri_posix_ops,	/* an fd where memfd is forbidden */
	&mmri_sysv_ops,		/* no fd, fixed size */
	&mmri_mremap_ops,	/* no fd, fixed size, base pages only */
};

#define NBACKENDS (sizeof(registry) / sizeof(registry[0]))
_Static_assert(NBACKENDS == MMR_BACKEND_COUNT - 1,
	       "every enum mmr_backend value has one line in the registry");
_Static_assert(MMR_BACKEND_COUNT <= MMR_BACKEND_SLOTS,
	       "struct mmr_probe_report has a slot for every backend");

const struct mmri_backend_ops *mmri_backend_nth(size_t i)
{
	return i < NBACKENDS ? registry[i] : NULL;
}

const struct mmri_backend_ops *mmri_backend_ops(enum mmr_backend b)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (registry[i]->id == b)
			return registry[i];
	return NULL;
}

void mmri_backend_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < NBACKENDS && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				      registry[i]->name);
}

const char *mmr_backend_name(enum mmr_backend b)
{
	const struct mmri_backend_ops *ops = mmri_backend_ops(b);

	if (b == MMR_BACKEND_AUTO)
		return "auto";
	return ops ? ops->name : "unknown";
}

int mmr_backend_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	if (!strcmp(name, "auto"))
		return MMR_BACKEND_AUTO;
	for (size_t i = 0; i < NBACKENDS; i++)
		if (!strcmp(name, registry[i]->name))
			return (int)registry[i]->id;
	return -EINVAL;
}
