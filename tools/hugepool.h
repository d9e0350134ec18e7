/* SPDX-License-Identifier: MIT */
/*
 * Borrowing huge pages for a while (`mmr demo --borrow-huge-pages`): raise
 * a pool's nr_hugepages, and give it back at the end or when SIGINT,
 * SIGTERM or SIGHUP ends the process, but only if the file still holds
 * the value we wrote: an administrator's change made meanwhile wins.
 */
#ifndef MMR_TOOL_HUGEPOOL_H
#define MMR_TOOL_HUGEPOOL_H

/* The value in @path (an nr_hugepages file), or -1. Async-signal-safe. */
long hugepool_read(const char *path);
/* Write @total to @path (remembered for giving back) after installing the
 * signal handlers; what the kernel made of it is read back. 0 or -errno;
 * *before and *now (if not NULL) tell the change. */
int hugepool_borrow(const char *path, long total, long *before, long *now);
/* 0 given back, 1 left alone (changed by someone else), -errno the write
 * failed, 0 also when nothing is borrowed. Async-signal-safe. */
int hugepool_give_back(void);

#endif
