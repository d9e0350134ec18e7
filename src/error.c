// SPDX-License-Identifier: MIT
/* Thread-local error messages: what failed, why, and what to do. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static _Thread_local char last_error[512];

const char *mmr_last_error(void)
{
	return last_error[0] ? last_error : "no error";
}

void mmri_clear_error(void)
{
	last_error[0] = 0;
}

static const char *errname(int err)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	const char *n = strerrorname_np(err);

	if (n)
		return n;
#endif
	return strerror(err);
}

/* The message, its errno name, and errno: what every mmri_err* does. */
static int record(int err, const char *fmt, va_list ap)
{
	char msg[sizeof(last_error)];

	if (err < 0)
		err = -err;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(last_error, sizeof(last_error), "%s (%s)", msg, errname(err));
	errno = err;
	return -err;
}

int mmri_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = record(err, fmt, ap);
	va_end(ap);
	return err;
}

void *mmri_err_ptr(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(err, fmt, ap);
	va_end(ap);
	return NULL;
}

int mmri_err_raw(int err, const char *text)
{
	if (err < 0)
		err = -err;
	snprintf(last_error, sizeof(last_error), "%s", text);
	errno = err;
	return -err;
}

int mmri_err_prefix(int err, const char *prefix)
{
	char msg[sizeof(last_error) + 128];

	snprintf(msg, sizeof(msg), "%s: %s", prefix, last_error);
	return mmri_err_raw(err, msg);
}

const char *mmri_map_hint(int err)
{
	switch (err) {
	case ENOMEM:
		return "out of memory or of mappings: check free memory, ulimit -v and "
		       "vm.max_map_count (sysctl vm.max_map_count=262144 raises it)";
	case EPERM:
		return "refused by policy: sealed memory, mseal, seccomp or an LSM";
	case EAGAIN:
		return "locked memory limit reached: raise ulimit -l";
	case EEXIST:
		return "the address range is already in use";
	case EINVAL:
		return "bad address, length or alignment";
	case EACCES:
		return "refused by file permissions or a security module (LSM)";
	case ENODEV:
		return "this kind of memory cannot be mapped again (only shared "
		       "anonymous, tmpfs/memfd, SysV, hugetlbfs and regular files can)";
	case ENOSPC:
		return "no free huge pages: reserve some with "
		       "echo N > /proc/sys/vm/nr_hugepages";
	default:
		return strerror(err);
	}
}
