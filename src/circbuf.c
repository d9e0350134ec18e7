// SPDX-License-Identifier: MIT
/*
 * Double-mapped buffers (mmr_circbuf): N bytes mapped twice, back to back,
 * and nothing else: the primitive of GNU Radio's vmcircbuf, slice-deque,
 * magic-buffer and FutureSDR's vmcircbuffer. Whatever the offset, the N
 * bytes from it are contiguous; the caller keeps its own indices.
 *
 * The 2N bytes are reserved PROT_NONE first (aligned to the region's page
 * size), then both views are mapped with MMR_FIXED over the reservation:
 * no other thread can take the second half between the two.
 *
 * Creating one costs a shared object and three or four mappings. A
 * released buffer of a size that fits the cache is kept, its pages given
 * back (mmr_region_discard: every view then reads zeros), and handed out
 * again by the next create of the same size and flags: a create is then a
 * lock and a list walk, no system call. The cache belongs to the process
 * that filled it: a child after fork() would share the parent's pages, so
 * it frees what it inherited instead of using it (a fork handler counts
 * forks; a buffer made before the last one is not this process's).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "region.h"
#include "error.h"
#include "util.h"
#include "syscall.h"

/* At most this many released buffers, each of at most CACHE_MAX_SIZE
 * bytes: address space only, their pages are given back. */
#define CACHE_SLOTS	8
#define CACHE_MAX_SIZE	(64u << 20)

struct mmr_circbuf {
	mmr_region *reg;
	unsigned char *base;	/* 2 * size bytes */
	size_t size;
	size_t min_size;	/* what create asked for: the cache's key */
	unsigned flags;
	unsigned views;		/* mapped over the reservation: 0, 1 or 2 */
	unsigned long forks;	/* fork_count when it was made */
	struct mmr_circbuf *next;	/* in the cache */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mmr_circbuf *cache;
static unsigned cached;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static unsigned long fork_count;	/* forks this process descends from */
static int fork_handler;	/* pthread_atfork worked: the cache is safe */

/* In the child, single-threaded: nothing made before is its own. */
static void count_fork(void)
{
	fork_count++;
}

static void register_fork(void)
{
	fork_handler = !pthread_atfork(NULL, NULL, count_fork);
}

static void circbuf_free(struct mmr_circbuf *cb)
{
	/* What the views do not cover of the reservation (after a failed
	 * map) first, while the views still hold their addresses; then the
	 * region, which unmaps the views. */
	if (cb->base && cb->views < 2)
		mmri_munmap(cb->base + cb->views * cb->size, (2 - cb->views) * cb->size);
	mmr_region_destroy(cb->reg);
	free(cb);
}

/* Reserve 2 * size bytes aligned to @page, then map the region twice. */
static int circbuf_map(struct mmr_circbuf *cb, size_t page)
{
	unsigned char *base, *v;

	base = mmri_reserve_aligned(2 * cb->size, page);
	if (IS_ERR(base))
		return mmri_err((int)-PTR_ERR(base), "mmr_circbuf_create: reserving %zu "
				"bytes of address space failed: %s", 2 * cb->size,
				mmri_map_hint((int)-PTR_ERR(base)));
	cb->base = base;
	for (; cb->views < 2; cb->views++) {
		v = mmr_view(cb->reg, 0, cb->size, base + cb->views * cb->size,
			     PROT_READ | PROT_WRITE, MMR_FIXED | (cb->flags & MMR_POPULATE));
		if (!v)
			return -errno;
	}
	return 0;
}

/* A cached buffer for (@min_size, @flags), or NULL. Buffers inherited
 * across fork() are freed on the way: their pages are the parent's. */
static struct mmr_circbuf *cache_take(size_t min_size, unsigned flags)
{
	struct mmr_circbuf **pp, *cb, *found = NULL, *stale = NULL;

	pthread_mutex_lock(&cache_lock);
	for (pp = &cache; (cb = *pp);) {
		if (cb->forks != fork_count) {
			*pp = cb->next;
			cached--;
			cb->next = stale;
			stale = cb;
		} else if (!found && cb->min_size == min_size && cb->flags == flags) {
			*pp = cb->next;
			cached--;
			found = cb;
		} else {
			pp = &cb->next;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	while ((cb = stale)) {
		stale = cb->next;
		circbuf_free(cb);
	}
	if (found)
		found->next = NULL;
	return found;
}

/* Keep @cb for the next create, its pages given back; 0 if kept. */
static int cache_put(struct mmr_circbuf *cb)
{
	int kept = 0;

	if (!fork_handler || cb->size > CACHE_MAX_SIZE || cb->forks != fork_count)
		return -1;
	if (mmr_region_discard(cb->reg, 0, cb->size)) {
		mmri_clear_error();	/* destroy fails in nothing: freed instead */
		return -1;
	}
	pthread_mutex_lock(&cache_lock);
	if (cached < CACHE_SLOTS) {
		cb->next = cache;
		cache = cb;
		cached++;
		kept = 1;
	}
	pthread_mutex_unlock(&cache_lock);
	return kept ? 0 : -1;
}

int mmr_circbuf_create(mmr_circbuf **out, size_t min_size, unsigned flags)
{
	struct mmri_region_need need = {
		.who = "mmr_circbuf_create",
		.size = min_size,
		.flags = flags,
	};
	struct mmr_circbuf *cb;
	int ret;

	if (!out)
		return mmri_err(EINVAL, "mmr_circbuf_create: out is NULL");
	*out = NULL;
	if (flags & ~MMR_CREATE_FLAGS)
		return mmri_err(EINVAL, "mmr_circbuf_create: flags 0x%x are not create "
				"flags (backend, MMR_HUGE*, MMR_THP, MMR_POPULATE)",
				flags & ~MMR_CREATE_FLAGS);
	if (!min_size || min_size > MMRI_MAX_SIZE / 4)
		return mmri_err(EINVAL, "mmr_circbuf_create: size %zu is 0 or too large",
				min_size);
	cb = cache_take(min_size, flags);
	if (cb) {
		if (flags & MMR_POPULATE)
			mmri_populate(cb->base, cb->size, PROT_READ | PROT_WRITE);
		*out = cb;
		return 0;
	}
	cb = calloc(1, sizeof(*cb));
	if (!cb)
		return mmri_err(ENOMEM, "mmr_circbuf_create: out of memory");
	cb->min_size = min_size;
	cb->flags = flags;
	pthread_once(&fork_once, register_fork);
	cb->forks = fork_count;
	ret = mmri_region_create(&cb->reg, &need);
	if (!ret) {
		cb->size = mmr_region_size(cb->reg);
		ret = circbuf_map(cb, mmr_region_page_size(cb->reg));
	}
	if (ret) {
		circbuf_free(cb);
		return ret;
	}
	*out = cb;
	return 0;
}

void mmr_circbuf_destroy(mmr_circbuf *cb)
{
	if (cb && cache_put(cb))
		circbuf_free(cb);
}

void mmr_circbuf_trim(void)
{
	struct mmr_circbuf *cb, *list;

	pthread_mutex_lock(&cache_lock);
	list = cache;
	cache = NULL;
	cached = 0;
	pthread_mutex_unlock(&cache_lock);
	while ((cb = list)) {
		list = cb->next;
		/* A child's inherited buffers are freed here as well: the
		 * unmapping is its own, the parent's pages stay. */
		circbuf_free(cb);
	}
}

void *mmr_circbuf_base(const mmr_circbuf *cb)
{
	if (!cb)
		return mmri_err_ptr(EINVAL, "mmr_circbuf_base: buffer is NULL");
	return cb->base;
}

size_t mmr_circbuf_size(const mmr_circbuf *cb)
{
	return cb ? cb->size : 0;
}

size_t mmr_circbuf_page_size(const mmr_circbuf *cb)
{
	return cb ? mmr_region_page_size(cb->reg) : 0;
}
