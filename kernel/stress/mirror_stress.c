// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_stress: random operation stress for the MREMAP_MIRROR series.
 *
 * Several threads, and a forked child process with threads of its own, run
 * seeded random sequences of operations on shared objects (memfd, hugetlb
 * memfd, shared anonymous memory, System V segments, hugetlbfs files) and on
 * their mappings ("views"): mmap, mremap (MREMAP_MIRROR, MREMAP_POPULATE,
 * old_size == 0, grow, shrink, move, MREMAP_FIXED, MREMAP_DONTUNMAP), munmap,
 * mprotect, madvise, ftruncate, fallocate, mlock, mseal, fork, userfaultfd
 * and memfd seals.  Each thread owns its objects and keeps a model of them:
 * the bytes of each object by file offset, its size, which pages it holds,
 * and every view with its protection and state.  Data written through one
 * view is read back through the others; an access that must fault (past
 * EOF, a userfaultfd hole) must fault, one that must not must not; every
 * errno must be one the documentation allows for that case.  At the end the
 * HugePages and Shmem counters of /proc/meminfo must be back where they
 * started.
 *
 * Each thread's sequence depends on the seed only, so "--seed N" replays it
 * (with --threads 1 and no child, the run is fully deterministic up to the
 * hugetlb pool).  Exit status: 0 pass, 1 failures, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* From the series' include/uapi/linux/mman.h */
#ifndef MREMAP_MIRROR
#define MREMAP_MIRROR 32
#endif
#ifndef MREMAP_POPULATE
#define MREMAP_POPULATE 64
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 4U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef __NR_mseal
#define __NR_mseal 462
#endif

#define PG 4096UL
#define MAX_OBJS 6
#define MAX_VIEWS 40
#define RING 64
#define ARENA_LEN (256UL << 20)
#define MAX_WORKERS 16

/* ---- known issues of the series: see kernel/README.md "Known issues" ---- */

static const char *const known_names[] = {
	/* finding 3: hugetlb growth past EOF SIGBUSes while keeping a reservation */
	"hugetlb-grow-past-eof",
	/* finding 4: failed hugetlb growth leaves HugePages_Rsvd raised */
	"hugetlb-failed-growth",
	/* finding 5: old_size == 0 on SHM_HUGETLB maps past the segment */
	"shm-hugetlb-legacy-past-segment",
	/* finding 9: hugetlb MREMAP_POPULATE: recursive locking (lockdep) */
	"hugetlb-populate-nesting",
	/* finding 1: growth of a shared mapping after F_SEAL_FUTURE_WRITE */
	"seal-growth",
	/* finding 2: mirrors of userfaultfd-armed sources */
	"uffd-mirror",
};
#define NKNOWN (sizeof(known_names) / sizeof(known_names[0]))
static bool known_on[NKNOWN];

/* Times a hugetlb VMA reached past the model's view of it (op_mirror) */
static unsigned long vma_longer_than_view;

/*
 * A VMA of /proc/self/maps: its range, file offset and inode, and a class
 * from its path, since tmpfs numbers SysV segments by their id and other
 * files from a counter: 'S' SysV, 'm' memfd, 'z' shared anonymous,
 * 'a' shared anonymous hugetlb, 'f' another file, 0 none.
 */
struct vma_line {
	unsigned long start, end, off, ino;
	unsigned int dev;	/* major << 20 | minor */
	char cls;
	bool reservation;	/* private, PROT_NONE, no file: an arena's */
};

static bool parse_maps_line(const char *line, struct vma_line *m)
{
	unsigned int maj, min;
	char perms[8];
	int path = 0;

	if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &m->start, &m->end,
		   perms, &m->off, &maj, &min, &m->ino, &path) < 7)
		return false;
	m->dev = maj << 20 | min;
	m->reservation = !strcmp(perms, "---p") && !m->ino;
	line += path;
	m->cls = !strncmp(line, "/SYSV", 5) ? 'S' :
		 !strncmp(line, "/memfd:", 7) ? 'm' :
		 !strncmp(line, "/dev/zero", 9) ? 'z' :
		 !strncmp(line, "/anon_hugepage", 14) ? 'a' :
		 line[0] == '/' ? 'f' : 0;
	return true;
}

/*
 * Placement: an operation that leaves a hole in a worker's arena holds this
 * for writing until the hole is refilled; one that lets the kernel choose
 * an address holds it for reading, so that it can never land in a hole
 * another worker is about to refill (and later map over with MAP_FIXED).
 */
static pthread_rwlock_t placement = PTHREAD_RWLOCK_INITIALIZER;

/*
 * /proc/self/maps or smaps, read under placement: fopen() and the reader's
 * realloc() may mmap(), which is a placement like any other (xcalloc()).
 */
static FILE *maps_open(const char *path)
{
	FILE *f;

	pthread_rwlock_rdlock(&placement);
	f = fopen(path, "r");
	if (!f)
		pthread_rwlock_unlock(&placement);
	return f;
}

static void maps_close(FILE *f)
{
	fclose(f);
	pthread_rwlock_unlock(&placement);
}

/* Every VMA of /proc/self/maps into *@maps (to free()); returns how many */
static size_t maps_read(struct vma_line **maps)
{
	FILE *f = maps_open("/proc/self/maps");
	size_t n = 0, cap = 0;
	char line[512];

	*maps = NULL;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			*maps = realloc(*maps, cap * sizeof(**maps));
			if (!*maps)
				abort();
		}
		if (parse_maps_line(line, &(*maps)[n]))
			n++;
	}
	maps_close(f);
	return n;
}

/* The VMA holding @addr in @maps (@n of them), or NULL */
static const struct vma_line *maps_find(const struct vma_line *maps, size_t n,
					unsigned long addr)
{
	for (size_t k = 0; k < n; k++)
		if (maps[k].start <= addr && addr < maps[k].end)
			return &maps[k];
	return NULL;
}

/* The VMA holding @addr, per /proc/self/maps; false if none */
static bool vma_at(const char *addr, struct vma_line *out)
{
	struct vma_line *maps;
	size_t n = maps_read(&maps);
	const struct vma_line *m = maps_find(maps, n, (unsigned long)addr);

	if (m)
		*out = *m;
	free(maps);
	return m != NULL;
}

/* The end of the VMA holding @addr; 0 if none. */
static size_t vma_end(const char *addr)
{
	struct vma_line m;

	return vma_at(addr, &m) ? m.end : 0;
}

static bool known(const char *name)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (!strcmp(known_names[i], name))
			return known_on[i];
	abort();
}

/* ---- operations, errnos, statistics ---- */

enum op {
	OP_CREATE, OP_DESTROY, OP_MAP, OP_WRITE, OP_CHECK, OP_MIRROR, OP_LEGACY,
	OP_GROW, OP_SHRINK, OP_MOVE, OP_DONTUNMAP, OP_MUNMAP, OP_MPROTECT,
	OP_DONTNEED, OP_POPULATE, OP_REMOVE, OP_TRUNCATE, OP_PUNCH, OP_MLOCK,
	OP_MUNLOCK, OP_MSEAL, OP_FORK, OP_UFFD_REG, OP_UFFD_UNREG, OP_UFFD_COPY,
	OP_SEAL, OP_MINCORE, OP_BADARGS, NOPS
};

static const char *const op_names[NOPS] = {
	"create", "destroy", "map", "write", "check", "mirror", "legacy0",
	"grow", "shrink", "move", "dontunmap", "munmap", "mprotect",
	"dontneed", "populate", "remove", "truncate", "punch", "mlock",
	"munlock", "mseal", "fork", "uffd_reg", "uffd_unreg", "uffd_copy",
	"seal", "mincore", "badargs",
};

/* Relative weights of the operations */
static int op_weight[NOPS] = {
	[OP_CREATE] = 4, [OP_DESTROY] = 1, [OP_MAP] = 4, [OP_WRITE] = 16,
	[OP_CHECK] = 16, [OP_MIRROR] = 10, [OP_LEGACY] = 3, [OP_GROW] = 5,
	[OP_SHRINK] = 3, [OP_MOVE] = 4, [OP_DONTUNMAP] = 2, [OP_MUNMAP] = 4,
	[OP_MPROTECT] = 4, [OP_DONTNEED] = 3, [OP_POPULATE] = 3,
	[OP_REMOVE] = 2, [OP_TRUNCATE] = 3, [OP_PUNCH] = 3, [OP_MLOCK] = 2,
	[OP_MUNLOCK] = 2, [OP_MSEAL] = 1, [OP_FORK] = 1, [OP_UFFD_REG] = 2,
	[OP_UFFD_UNREG] = 2, [OP_UFFD_COPY] = 3, [OP_SEAL] = 2,
	[OP_MINCORE] = 3, [OP_BADARGS] = 2,
};

#define NERRNO 134

struct stats {
	unsigned long ops[NOPS];
	unsigned long errnos[NERRNO];
	unsigned long failures;
	unsigned long mismatches;
	unsigned long bad_errno;
	unsigned long bad_signal;
	unsigned long populate_miss;
	unsigned long vanished;
};

/* ---- model ---- */

enum kind {
	K_MEMFD, K_MEMFD_HUGE, K_SHANON, K_SHANON_HUGE, K_SYSV, K_SYSV_HUGE,
	K_HUGEFILE, NKINDS
};

static const char *const kind_names[NKINDS] = {
	"memfd", "memfd-hugetlb", "shared-anon", "shared-anon-hugetlb",
	"sysv", "sysv-hugetlb", "hugetlbfs-file",
};

static bool kind_huge(int k)
{
	return k == K_MEMFD_HUGE || k == K_SHANON_HUGE || k == K_SYSV_HUGE ||
	       k == K_HUGEFILE;
}

struct obj {
	bool used;
	int kind;
	int fd;			/* -1 for shared anonymous memory and SysV */
	int shmid;		/* SysV */
	size_t psz;		/* its page size: 4 KiB or the huge page size */
	size_t size;		/* i_size */
	size_t cap;		/* ftruncate() stays below */
	size_t vcap;		/* views stay below; the model covers this much */
	unsigned char *data;	/* vcap bytes */
	unsigned char *present;	/* per page: in the page cache */
	unsigned int seals;
	unsigned long ino;	/* its mappings' inode and device in maps */
	unsigned int dev;
};

/* The class of /proc/self/maps lines of @o's mappings (parse_maps_line()) */
static char obj_cls(const struct obj *o)
{
	switch (o->kind) {
	case K_SYSV:
	case K_SYSV_HUGE:
		return 'S';
	case K_MEMFD:
	case K_MEMFD_HUGE:
		return 'm';
	case K_SHANON:
		return 'z';
	case K_SHANON_HUGE:
		return 'a';
	default:
		return 'f';
	}
}

enum {
	V_LOCKED = 1, V_UFFD = 2, V_SEALED = 4,
};

struct view {
	char *addr;
	size_t len;
	int obj;
	size_t off;		/* object offset of addr */
	int prot;
	bool maywrite;		/* VM_MAYWRITE */
	unsigned int flags;
};

struct worker {
	int id;
	uint64_t seed;
	uint64_t rng;
	bool child;		/* in the forked process: mseal allowed */
	char *arena;
	unsigned char *owned;	/* per 4 KiB page of the arena */
	struct obj objs[MAX_OBJS];
	struct view views[MAX_VIEWS];
	int nviews;
	int uffd;
	unsigned long opno;
	char ring[RING][240];
	bool ring_shown;
	struct stats st;
	char cur[240];
	double deadline;
	int files;
};

static struct {
	uint64_t seed;
	double secs;
	int threads;
	int child_threads;
	bool verbose;
	bool require_series;
	size_t hpage;
	bool have_huge;
	bool have_mirror;
	bool have_populate;
	bool have_mseal;
	bool have_uffd;
	bool have_huge_grow;
	bool memlock_limited;
	const char *hugedir;
} cfg = {
	.secs = 60, .threads = 3, .child_threads = 1,
	.hugedir = "/dev/hugepages",
};

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * malloc() may mmap() (big blocks, a new malloc arena for a thread): that is
 * a placement like any other, so it waits for the arenas to be whole.
 */
static void *xcalloc(size_t n, size_t size)
{
	void *p;

	pthread_rwlock_rdlock(&placement);
	p = calloc(n, size);
	pthread_rwlock_unlock(&placement);
	if (!p)
		abort();
	return p;
}

/* ---- helpers ---- */

static uint64_t rnd(struct worker *w)
{
	/* splitmix64 */
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rndn(struct worker *w, size_t n)
{
	return n ? rnd(w) % n : 0;
}

static bool chance(struct worker *w, int percent)
{
	return (int)rndn(w, 100) < percent;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *sys_mremap(void *old, size_t old_len, size_t new_len, int flags,
			void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags,
			       new_addr);
}

static int sys_mseal(void *addr, size_t len)
{
	return syscall(__NR_mseal, addr, len, 0);
}

/* The workers of this process, for views_alive()'s report */
static struct worker *workers_here[MAX_WORKERS];
static int nworkers_here;

static void print_ring(struct worker *w)
{
	unsigned long first = w->opno >= RING ? w->opno - RING + 1 : 0;

	fprintf(stderr, "  last operations of worker %d (seed %" PRIu64 "):\n",
		w->id, w->seed);
	for (unsigned long i = first; i <= w->opno; i++)
		fprintf(stderr, "    #%lu %s\n", i, w->ring[i % RING]);
}

static void show_ring(struct worker *w)
{
	unsigned long first = w->opno >= RING ? w->opno - RING + 1 : 0;

	if (w->ring_shown)
		return;
	w->ring_shown = true;
	fprintf(stderr, "  last operations of worker %d (seed %" PRIu64 "):\n",
		w->id, w->seed);
	for (unsigned long i = first; i <= w->opno; i++)
		fprintf(stderr, "    #%lu %s\n", i, w->ring[i % RING]);
}

static void fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	w->st.failures++;
	if (w->st.failures > 20)
		return;
	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "FAIL worker %d op #%lu (%s): ", w->id, w->opno,
		w->cur);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	show_ring(w);
	pthread_mutex_unlock(&print_lock);
}

/* Which worker's object a VMA maps, per the models (racy: a diagnosis) */
static void vma_owner(const struct vma_line *m, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s", m->cls ? "no object of any model" : "");
	for (int k = 0; k < nworkers_here; k++)
		for (int i = 0; i < MAX_OBJS; i++) {
			const struct obj *o = &workers_here[k]->objs[i];

			if (m->cls && o->used && o->ino == m->ino &&
			    o->dev == m->dev && obj_cls(o) == m->cls)
				snprintf(buf, sz, "worker %d's obj%d",
					 workers_here[k]->id, i);
		}
}

/*
 * After a failure: the VMAs that meet [lo, hi), with their flags
 * (/proc/self/smaps: "sl" is mseal()ed, "lo" VM_LOCKED, "ht" hugetlb).
 */
static void show_vmas(const char *lo, const char *hi)
{
	FILE *f = maps_open("/proc/self/smaps");
	struct vma_line m;
	char line[512];
	bool in = false;

	if (!f)
		return;
	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "  VMAs over %p-%p:\n", (void *)lo, (void *)hi);
	while (fgets(line, sizeof(line), f)) {
		if (parse_maps_line(line, &m)) {
			in = m.start < (unsigned long)hi &&
			     (unsigned long)lo < m.end;
			if (in) {
				char who[64];

				vma_owner(&m, who, sizeof(who));
				fprintf(stderr, "    %s", line);
				if (who[0])
					fprintf(stderr, "      (%s)\n", who);
			}
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			fprintf(stderr, "      %s", line);
		}
	}
	pthread_mutex_unlock(&print_lock);
	maps_close(f);
}

/* Describe the current operation (kept in a ring shown on failure) */
static void op_desc(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->cur, sizeof(w->cur), fmt, ap);
	va_end(ap);
	snprintf(w->ring[w->opno % RING], sizeof(w->ring[0]), "%s", w->cur);
	if (cfg.verbose) {
		pthread_mutex_lock(&print_lock);
		fprintf(stderr, "[w%d #%lu] %s\n", w->id, w->opno, w->cur);
		pthread_mutex_unlock(&print_lock);
	}
}

/* Record the outcome in the ring */
static void op_result(struct worker *w, int err)
{
	char *r = w->ring[w->opno % RING];
	size_t n = strlen(r);

	snprintf(r + n, sizeof(w->ring[0]) - n, " -> %s",
		 err ? strerror(err) : "ok");
}

#define E(x) (1U << (x))
/*
 * Check an outcome (0 or an errno) against the set allowed for it; count
 * the errnos.  Returns the outcome.
 */
static int expect(struct worker *w, int err, unsigned int allowed,
		  const char *what)
{
	unsigned int bit = err == 0 ? E(0) : err < 32 ? E(err) : 0;

	op_result(w, err);
	if (err > 0 && err < NERRNO)
		w->st.errnos[err]++;
	if (!(allowed & bit)) {
		w->st.bad_errno++;
		fail(w, "%s: got %s, allowed:%s%s%s%s%s%s%s%s%s%s", what,
		     err ? strerror(err) : "success",
		     allowed & E(0) ? " success" : "",
		     allowed & E(EINVAL) ? " EINVAL" : "",
		     allowed & E(EPERM) ? " EPERM" : "",
		     allowed & E(ENOMEM) ? " ENOMEM" : "",
		     allowed & E(EFAULT) ? " EFAULT" : "",
		     allowed & E(EACCES) ? " EACCES" : "",
		     allowed & E(EAGAIN) ? " EAGAIN" : "",
		     allowed & E(EBUSY) ? " EBUSY" : "",
		     allowed & E(EEXIST) ? " EEXIST" : "",
		     allowed & E(ENOSPC) ? " ENOSPC" : "");
	}
	return err;
}

/* Whether expect() failed on outcome @err */
static bool unexpected(int err, unsigned int allowed)
{
	return err >= 32 || !(allowed & E(err));
}

/* ---- faults ---- */

static __thread sigjmp_buf probe_env;
static __thread volatile int probe_armed;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	int n;

	(void)uc;
	if (probe_armed)
		siglongjmp(probe_env, sig);
	n = snprintf(msg, sizeof(msg),
		     "mirror_stress: signal %d at %p outside of a probe\n",
		     sig, si->si_addr);
	if (write(2, msg, n) < 0)
		_exit(3);
	_exit(3);
}

/* Copy @n bytes, by a load or store that may fault: 0 or the signal */
static int probe_copy(void *dst, const void *src, size_t n)
{
	int sig;

	sig = sigsetjmp(probe_env, 1);
	if (sig) {
		probe_armed = 0;
		return sig;
	}
	probe_armed = 1;
	__asm__ volatile("" ::: "memory");
	memcpy(dst, src, n);
	__asm__ volatile("" ::: "memory");
	probe_armed = 0;
	return 0;
}

/* ---- model queries ---- */

static struct obj *vobj(struct worker *w, struct view *v)
{
	return &w->objs[v->obj];
}

static bool obj_memfd(struct obj *o)
{
	return o->kind == K_MEMFD || o->kind == K_MEMFD_HUGE;
}

static bool write_sealed(struct obj *o)
{
	return o->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE);
}

static bool in_arena(struct worker *w, const char *a, size_t len)
{
	return a >= w->arena && a + len <= w->arena + ARENA_LEN;
}

/* The fault an access to object offset @off through @v must raise */
static int expected_fault(struct worker *w, struct view *v, size_t off,
			  bool write)
{
	struct obj *o = vobj(w, v);

	if (!(v->prot & PROT_READ) || (write && !(v->prot & PROT_WRITE)))
		return SIGSEGV;
	if (off >= o->size)
		return SIGBUS;
	if ((v->flags & V_UFFD) && !o->present[off / o->psz])
		return SIGBUS;
	return 0;
}

static void mark_present(struct obj *o, size_t off, size_t len)
{
	for (size_t p = off / o->psz; p * o->psz < off + len; p++)
		if (p * o->psz < o->size)
			o->present[p] = 1;
}

/* A hole from @off, @len bytes (page multiples): zeroes, nothing held */
static void model_punch(struct obj *o, size_t off, size_t len)
{
	if (off >= o->vcap)
		return;
	if (off + len > o->vcap)
		len = o->vcap - off;
	memset(o->data + off, 0, len);
	memset(o->present + off / o->psz, 0, len / o->psz);
}

static void model_resize(struct obj *o, size_t size)
{
	if (size < o->size)
		model_punch(o, size, o->size - size);
	o->size = size;
}

/*
 * hugetlbfs mmap() extends i_size of a file mapped writable: follow it.
 * The size may pass vcap (op_map() maps one page more than it keeps):
 * the model's bytes stop there, and so do the views.
 */
static void refresh_size(struct obj *o)
{
	struct stat st;

	if (o->fd < 0 || fstat(o->fd, &st))
		return;
	model_resize(o, st.st_size);
}

/*
 * After view @v of hugetlb object @o grew to @nlen bytes: series 04 extends
 * i_size over a writable mapping, as hugetlbfs_file_mmap() does for a new
 * one (not over a read-only one: its new part faults SIGBUS past EOF).
 * Shared anonymous hugetlb has no fd to ask: the rule alone moves its size;
 * for the others, fstat() must agree with the rule.
 */
static void grown_size(struct worker *w, struct obj *o, struct view *v,
		       size_t nlen)
{
	size_t want = o->size, end = v->off + nlen;
	struct stat st;

	if ((v->prot & PROT_WRITE) && end > want)
		want = end;
	if (o->fd >= 0 && !fstat(o->fd, &st) && (size_t)st.st_size != want) {
		fail(w, "hugetlb growth to obj offset %#zx (prot %d): i_size %#zx, expected %#zx",
		     end, v->prot, (size_t)st.st_size, want);
		refresh_size(o);
		return;
	}
	model_resize(o, want);
}

/*
 * Series 02 (hugetlbfs: don't let mmap() grow a file sealed with
 * F_SEAL_GROW): a writable mapping of a hugetlb file past its end, which
 * would extend it, fails with EPERM when it is sealed against growth; a
 * mirror is made by that same mmap() path.
 */
static bool huge_grows_sealed(struct obj *o, int prot, size_t end)
{
	return kind_huge(o->kind) && o->fd >= 0 && (prot & PROT_WRITE) &&
	       (o->seals & F_SEAL_GROW) && end > o->size;
}

/*
 * After a hugetlb mirror of @o up to object offset @end: it was made by
 * hugetlbfs_file_mmap(), which extends i_size over a writable mapping.  The
 * files say so by fstat(); shared anonymous hugetlb has no fd to ask, so
 * the rule moves the model's size (a SysV segment has a fixed size).
 */
static void mirrored_size(struct obj *o, struct view *t, size_t end)
{
	if (o->fd >= 0)
		refresh_size(o);
	else if (o->kind == K_SHANON_HUGE && (t->prot & PROT_WRITE) &&
		 end > o->size)
		model_resize(o, end);
}

/* Pages of a view that an mlock or populate makes present */
static void populate_view(struct worker *w, struct view *v, size_t from,
			  size_t len)
{
	struct obj *o = vobj(w, v);

	if (!(v->prot & PROT_READ))
		return;
	for (size_t i = from; i < from + len; i += o->psz) {
		size_t off = v->off + i;

		if (off >= o->size)
			break;
		if ((v->flags & V_UFFD) && !o->present[off / o->psz])
			break;
		o->present[off / o->psz] = 1;
	}
}

static int view_add(struct worker *w, struct view *tmpl, char *addr,
		    size_t len, size_t off)
{
	struct view *v;

	if (w->nviews >= MAX_VIEWS)
		abort();	/* callers check room first */
	v = &w->views[w->nviews++];
	*v = *tmpl;
	v->addr = addr;
	v->len = len;
	v->off = off;
	return w->nviews - 1;
}

static void view_del(struct worker *w, int i)
{
	w->views[i] = w->views[--w->nviews];
}

static bool range_sealed(struct worker *w, const char *a, size_t len)
{
	for (int i = 0; i < w->nviews; i++) {
		struct view *v = &w->views[i];

		if ((v->flags & V_SEALED) && v->addr < a + len &&
		    a < v->addr + v->len)
			return true;
	}
	return false;
}

/* The model after [a, a + len) is unmapped: trim and split views */
static void views_cut(struct worker *w, char *a, size_t len)
{
	char *e = a + len;

	for (int i = 0; i < w->nviews; i++) {
		struct view *v = &w->views[i];
		char *ve = v->addr + v->len;
		struct view t;

		if (ve <= a || v->addr >= e)
			continue;
		t = *v;
		if (v->addr < a && ve > e) {	/* split */
			v->len = a - v->addr;
			view_add(w, &t, e, ve - e, t.off + (e - t.addr));
		} else if (v->addr < a) {
			v->len = a - v->addr;
		} else if (ve > e) {
			v->off += e - v->addr;
			v->len = ve - e;
			v->addr = e;
		} else {
			view_del(w, i);
			i--;
		}
	}
}

/* Make [a, a + len) of view @i a view of its own; returns its index */
static int view_isolate(struct worker *w, int i, char *a, size_t len)
{
	struct view t = w->views[i];

	views_cut(w, a, len);
	return view_add(w, &t, a, len, t.off + (a - t.addr));
}

static bool covered(struct worker *w, const char *p)
{
	for (int i = 0; i < w->nviews; i++)
		if (p >= w->views[i].addr &&
		    p < w->views[i].addr + w->views[i].len)
			return true;
	return false;
}

/*
 * Refill the holes that an operation left in [a, a + len) of the arena with
 * the PROT_NONE reservation; the caller holds placement for writing.
 */
static void arena_refill(struct worker *w, char *a, size_t len)
{
	char *lo = a > w->arena ? a : w->arena;
	char *hi = a + len < w->arena + ARENA_LEN ? a + len :
		   w->arena + ARENA_LEN;
	unsigned char vec;

	for (char *p = lo; p < hi; p += PG) {
		size_t pg = (p - w->arena) / PG;

		if (!w->owned[pg] || covered(w, p))
			continue;
		if (mincore(p, PG, &vec) == 0 || errno != ENOMEM)
			continue;	/* still mapped: the operation failed */
		if (mmap(p, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0) != p)
			w->owned[pg] = 0;
	}
}

/* Split the view that has @p inside it (not at its start) in two */
static void view_split_at(struct worker *w, char *p)
{
	for (int i = 0; i < w->nviews; i++) {
		struct view *v = &w->views[i];

		if (v->addr < p && p < v->addr + v->len) {
			view_isolate(w, i, p, v->addr + v->len - p);
			return;
		}
	}
}

/*
 * After a failed MAP_FIXED/MREMAP_FIXED operation: which of the model's
 * views in [a, a + len) are still mapped (a failing mmap_region() may have
 * unmapped its destination already)?  Drops the ones that are not; returns
 * whether any was.  Caller holds placement for writing.
 *
 * The unmap of the destination splits the VMAs at its edges before it
 * looks at the VMAs in between: when one of those is sealed (EPERM), the
 * splits stay (vms_gather_munmap_vmas()), and a later mremap() of a range
 * across an edge fails with EFAULT.  Split the model's views there too, so
 * that each view still lies within one VMA.
 */
static bool resync_dest(struct worker *w, char *a, size_t len)
{
	bool lost = false;
	unsigned char vec;

	view_split_at(w, a);
	view_split_at(w, a + len);
	for (char *p = a; p < a + len; p += PG) {
		if (!covered(w, p))
			continue;
		if (mincore(p, PG, &vec) && errno == ENOMEM) {
			views_cut(w, p, PG);
			lost = true;
		}
	}
	arena_refill(w, a, len);
	return lost;
}

/* A free, owned, aligned range of the arena not overlapping [x, x + xl) */
static char *arena_pick(struct worker *w, size_t len, size_t align,
			const char *x, size_t xl)
{
	for (int tries = 0; tries < 16; tries++) {
		size_t slots = (ARENA_LEN - len) / align;
		char *a = w->arena + rndn(w, slots + 1) * align;
		size_t pg = (a - w->arena) / PG;
		bool ok = true;

		if (x && a < x + xl && x < a + len)
			continue;
		for (size_t i = 0; i < len / PG && ok; i++)
			ok = w->owned[pg + i];
		/*
		 * Unmapping part of a hugetlb view at an address that is not
		 * huge-page aligned fails (EINVAL): not what is asked here.
		 */
		for (int i = 0; i < w->nviews && ok; i++) {
			struct view *v = &w->views[i];
			char *ve = v->addr + v->len;

			if (!kind_huge(vobj(w, v)->kind))
				continue;
			if ((a > v->addr && a < ve && (uintptr_t)a % cfg.hpage) ||
			    (a + len > v->addr && a + len < ve &&
			     (uintptr_t)(a + len) % cfg.hpage))
				ok = false;
		}
		if (ok)
			return a;
	}
	return NULL;
}

/* ---- picking ---- */

static int pick_obj(struct worker *w)
{
	int n = 0, idx[MAX_OBJS];

	for (int i = 0; i < MAX_OBJS; i++)
		if (w->objs[i].used)
			idx[n++] = i;
	return n ? idx[rndn(w, n)] : -1;
}

/* A view that passes @ok, or -1 */
static int pick_view(struct worker *w, bool (*ok)(struct worker *, struct view *))
{
	int n = 0, idx[MAX_VIEWS];

	for (int i = 0; i < w->nviews; i++)
		if (!ok || ok(w, &w->views[i]))
			idx[n++] = i;
	return n ? idx[rndn(w, n)] : -1;
}

static bool v_any(struct worker *w, struct view *v)
{
	(void)w;
	(void)v;
	return true;
}

static bool v_plain(struct worker *w, struct view *v)
{
	(void)w;
	return !(v->flags & V_UFFD);
}

static bool v_writable(struct worker *w, struct view *v)
{
	(void)w;
	return v->prot & PROT_WRITE;
}

static bool v_uffd(struct worker *w, struct view *v)
{
	(void)w;
	return v->flags & V_UFFD;
}

/* A page-aligned (to the object's page size) sub-range of view @v */
static void pick_sub(struct worker *w, struct view *v, size_t *start,
		     size_t *len)
{
	size_t psz = vobj(w, v)->psz, n = v->len / psz;
	size_t s = rndn(w, n);

	*start = s * psz;
	*len = (1 + rndn(w, n - s)) * psz;
}

/* ---- probing features ---- */

static size_t read_hpage(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	size_t kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

struct counters {
	long total, free, rsvd, surp, shmem;
};

static void read_counters(struct counters *c)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];

	memset(c, 0, sizeof(*c));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Total: %ld", &c->total);
		sscanf(line, "HugePages_Free: %ld", &c->free);
		sscanf(line, "HugePages_Rsvd: %ld", &c->rsvd);
		sscanf(line, "HugePages_Surp: %ld", &c->surp);
		sscanf(line, "Shmem: %ld kB", &c->shmem);
	}
	fclose(f);
}

static void probe_features(void)
{
	char *p, *q;
	struct counters c;

	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	q = sys_mremap(p, 0, PG, MREMAP_MIRROR | MREMAP_MAYMOVE, NULL);
	cfg.have_mirror = q != MAP_FAILED;
	if (q != MAP_FAILED)
		munmap(q, PG);
	p[0] = 1;
	q = sys_mremap(p, 0, PG, MREMAP_MIRROR | MREMAP_MAYMOVE |
		       MREMAP_POPULATE, NULL);
	cfg.have_populate = q != MAP_FAILED;
	if (q != MAP_FAILED)
		munmap(q, PG);
	cfg.have_mseal = sys_mseal(p, PG) == 0;
	munmap(p, PG);	/* sealed: stays, one page */

	cfg.have_uffd = false;
	{
		int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
		struct uffdio_api api = { .api = UFFD_API,
					  .features = UFFD_FEATURE_SIGBUS };

		if (fd >= 0) {
			cfg.have_uffd = ioctl(fd, UFFDIO_API, &api) == 0;
			close(fd);
		}
	}

	cfg.hpage = read_hpage();
	read_counters(&c);
	cfg.have_huge = cfg.hpage && c.free >= 16 && access(cfg.hugedir, W_OK) == 0;
	cfg.have_huge_grow = false;
	if (cfg.have_huge) {
		int fd = memfd_create("probe", MFD_HUGETLB);

		if (fd >= 0 && ftruncate(fd, cfg.hpage) == 0) {
			p = mmap(NULL, cfg.hpage, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
			if (p != MAP_FAILED) {
				q = sys_mremap(p, cfg.hpage, 2 * cfg.hpage,
					       MREMAP_MAYMOVE, NULL);
				cfg.have_huge_grow = q != MAP_FAILED;
				munmap(q != MAP_FAILED ? q : p,
				       q != MAP_FAILED ? 2 * cfg.hpage : cfg.hpage);
			}
		}
		if (fd >= 0)
			close(fd);
	}
}

/* ---- operations ---- */

static int new_uffd(void)
{
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS };

	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int free_obj_slot(struct worker *w)
{
	for (int i = 0; i < MAX_OBJS; i++)
		if (!w->objs[i].used)
			return i;
	return -1;
}

/*
 * Map @len bytes of object @oi from @off; at an arena address (MAP_FIXED)
 * or where the kernel likes, then with room to grow behind it.
 */
static bool op_map(struct worker *w, int oi, bool first)
{
	struct obj *o = &w->objs[oi];
	size_t psz = o->psz;
	size_t len = (1 + rndn(w, o->cap / psz)) * psz;
	size_t off = first ? 0 : rndn(w, (o->vcap - len) / psz + 1) * psz;
	int prot = chance(w, 80) ? PROT_READ | PROT_WRITE : PROT_READ;
	bool fixed = chance(w, 50);
	char *at;
	unsigned int allowed = E(0);
	struct view t = { .obj = oi, .prot = prot, .maywrite = true };
	char *p;
	int err;

	if (w->nviews + 2 >= MAX_VIEWS)
		return false;
	if (o->fd < 0 && o->kind != K_SYSV && o->kind != K_SYSV_HUGE)
		return false;	/* shared anonymous memory: only its mirrors */
	/* shmat() maps the whole segment: pick a destination that size */
	if (o->kind == K_SYSV || o->kind == K_SYSV_HUGE) {
		off = 0;
		len = o->size;
	}
	at = fixed ? arena_pick(w, len, psz, NULL, 0) : NULL;
	fixed = at != NULL;
	op_desc(w, "map %s obj%d off=%#zx len=%#zx prot=%d at=%p",
		kind_names[o->kind], oi, off, len, prot, (void *)at);

	if (obj_memfd(o) && write_sealed(o)) {
		if (prot & PROT_WRITE)
			allowed = E(EPERM);
		else
			t.maywrite = false;
	}
	if (kind_huge(o->kind))
		allowed |= E(ENOMEM);	/* the pool may not back it */
	/* Not fixed: one page more is mapped (room to grow), then unmapped */
	if (huge_grows_sealed(o, prot, off + len + (fixed ? 0 : psz)))
		allowed = E(EPERM);
	if (fixed && range_sealed(w, at, len))
		allowed = E(EPERM);

	if (fixed)
		pthread_rwlock_wrlock(&placement);
	else
		pthread_rwlock_rdlock(&placement);
	if (o->kind == K_SYSV || o->kind == K_SYSV_HUGE) {
		int fl = prot & PROT_WRITE ? 0 : SHM_RDONLY;

		if (!(prot & PROT_WRITE))
			t.maywrite = false;
		p = shmat(o->shmid, at, fl | (fixed ? SHM_REMAP : 0));
	} else {
		p = mmap(at, len + (fixed ? 0 : psz), prot, MAP_SHARED |
			 (fixed ? MAP_FIXED : 0), o->fd, off);
	}
	err = p == MAP_FAILED ? errno : 0;
	if (!err && !fixed && o->fd >= 0)
		munmap(p + len, psz);	/* room to grow in place */
	/*
	 * A failed MAP_FIXED may have unmapped its destination: refill the
	 * arena before another worker's placement can land in the hole.
	 */
	if (err && fixed)
		resync_dest(w, at, len);
	pthread_rwlock_unlock(&placement);

	if (expect(w, err, allowed, "map") && unexpected(err, allowed) && fixed)
		show_vmas(at, at + len);
	if (err)
		return false;
	if (fixed)
		views_cut(w, at, len);
	view_add(w, &t, p, len, off);
	if (kind_huge(o->kind))
		refresh_size(o);
	return true;
}

/* What /proc/self/maps names @o's mappings by, from its first one at @p */
static void obj_identify(struct obj *o, const char *p)
{
	struct vma_line m;

	if (vma_at(p, &m) && m.cls == obj_cls(o)) {
		o->ino = m.ino;
		o->dev = m.dev;
	}
}

static void op_create(struct worker *w)
{
	int oi = free_obj_slot(w), kind;
	struct obj *o;
	char name[64];

	if (oi < 0 || w->nviews + 2 >= MAX_VIEWS)
		return;
	kind = rndn(w, NKINDS);
	if (kind_huge(kind) && (!cfg.have_huge || !cfg.have_mirror))
		kind = K_MEMFD;
	if (kind_huge(kind)) {
		int nh = 0;

		for (int i = 0; i < MAX_OBJS; i++)
			nh += w->objs[i].used && kind_huge(w->objs[i].kind);
		if (nh >= 2)
			kind = K_MEMFD;
	}
	o = &w->objs[oi];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->fd = -1;
	o->shmid = -1;
	o->psz = kind_huge(kind) ? cfg.hpage : PG;
	o->cap = (kind_huge(kind) ? 3 : 64) * o->psz;
	o->vcap = 2 * o->cap;
	o->size = (1 + rndn(w, o->cap / o->psz)) * o->psz;
	op_desc(w, "create %s obj%d size=%#zx", kind_names[kind], oi, o->size);

	switch (kind) {
	case K_MEMFD:
	case K_MEMFD_HUGE:
		o->fd = memfd_create("stress", MFD_CLOEXEC | MFD_ALLOW_SEALING |
				     (kind == K_MEMFD_HUGE ? MFD_HUGETLB : 0));
		break;
	case K_HUGEFILE:
		snprintf(name, sizeof(name), "%s/stress-%d-%d-%d", cfg.hugedir,
			 getpid(), w->id, w->files++);
		o->fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (o->fd >= 0)
			unlink(name);
		/* Sometimes empty: the first writable mmap() sets its size */
		if (chance(w, 30))
			o->size = 0;
		break;
	case K_SYSV:
	case K_SYSV_HUGE:
		o->shmid = shmget(IPC_PRIVATE, o->size, IPC_CREAT | 0600 |
				  (kind == K_SYSV_HUGE ? SHM_HUGETLB : 0));
		break;
	default:
		break;
	}
	if ((o->fd < 0 && (obj_memfd(o) || kind == K_HUGEFILE)) ||
	    ((kind == K_SYSV || kind == K_SYSV_HUGE) && o->shmid < 0)) {
		expect(w, errno, kind_huge(kind) ? E(ENOMEM) | E(ENOSPC) : 0,
		       "create");
		return;
	}
	if (o->fd >= 0 && ftruncate(o->fd, o->size)) {
		expect(w, errno, 0, "ftruncate");
		close(o->fd);
		return;
	}
	o->data = xcalloc(1, o->vcap);
	o->present = xcalloc(1, o->vcap / o->psz);
	o->used = true;

	if (kind == K_SHANON || kind == K_SHANON_HUGE) {
		struct view t = { .obj = oi, .maywrite = true,
				  .prot = PROT_READ | PROT_WRITE };
		char *p;

		pthread_rwlock_rdlock(&placement);
		p = mmap(NULL, o->size, t.prot, MAP_SHARED | MAP_ANONYMOUS |
			 (kind == K_SHANON_HUGE ? MAP_HUGETLB : 0), -1, 0);
		pthread_rwlock_unlock(&placement);
		if (expect(w, p == MAP_FAILED ? errno : 0,
			   E(0) | (kind_huge(kind) ? E(ENOMEM) : 0), "mmap")) {
			o->used = false;
			free(o->data);
			free(o->present);
			return;
		}
		view_add(w, &t, p, o->size, 0);
		obj_identify(o, p);
		return;
	}
	if (op_map(w, oi, true)) {
		obj_identify(o, w->views[w->nviews - 1].addr);
	} else if (o->shmid >= 0) {
		o->used = false;	/* a segment without mappings: gone */
		free(o->data);
		free(o->present);
	}
	if (o->shmid >= 0)	/* freed with its last mapping */
		shmctl(o->shmid, IPC_RMID, NULL);
}

/* Unmap a range of the model, the arena kept whole; returns 0 or errno */
static int unmap_range(struct worker *w, char *a, size_t len)
{
	int err;

	pthread_rwlock_wrlock(&placement);
	err = munmap(a, len) ? errno : 0;
	if (!err) {
		views_cut(w, a, len);
		arena_refill(w, a, len);
	}
	pthread_rwlock_unlock(&placement);
	return err;
}

static void destroy_obj(struct worker *w, int oi, bool quiet)
{
	struct obj *o = &w->objs[oi];
	int err;

	for (int i = 0; i < w->nviews; i++) {
		struct view *v = &w->views[i];

		if (v->obj != oi)
			continue;
		if (v->flags & V_SEALED)
			return;	/* stays until exit */
	}
	for (int i = w->nviews - 1; i >= 0; i--) {
		struct view *v = &w->views[i];

		if (v->obj != oi)
			continue;
		err = unmap_range(w, v->addr, v->len);
		if (err) {
			if (!quiet)
				fail(w, "munmap %p+%#zx: %s", (void *)v->addr,
				     v->len, strerror(err));
			view_del(w, i);
		}
		i = w->nviews;	/* views_cut() reorders */
	}
	if (o->fd >= 0)
		close(o->fd);
	free(o->data);
	free(o->present);
	o->used = false;
}

static void op_destroy(struct worker *w)
{
	int oi = pick_obj(w);

	if (oi < 0)
		return;
	op_desc(w, "destroy obj%d", oi);
	destroy_obj(w, oi, false);
	op_result(w, 0);
}

/* Write random bytes through a writable view, one page at a time */
static void op_write(struct worker *w)
{
	int vi = pick_view(w, v_writable);
	unsigned char buf[512];
	struct view *v;
	struct obj *o;
	size_t at, n;
	int want, sig;

	if (vi < 0)
		return;
	v = &w->views[vi];
	o = vobj(w, v);
	at = rndn(w, v->len);
	n = 1 + rndn(w, sizeof(buf));
	if (at + n > v->len)
		n = v->len - at;
	/* one page: one expected outcome */
	if (at / o->psz != (at + n - 1) / o->psz)
		n = o->psz - at % o->psz;
	for (size_t i = 0; i < n; i++)
		buf[i] = rnd(w);
	want = expected_fault(w, v, v->off + at, true);
	op_desc(w, "write %s obj%d view %p off=%#zx len=%zu expect=%d",
		kind_names[o->kind], v->obj, (void *)v->addr, v->off + at, n,
		want);
	sig = probe_copy(v->addr + at, buf, n);
	op_result(w, 0);
	if (sig != want) {
		w->st.bad_signal++;
		fail(w, "write at obj offset %#zx: signal %d, expected %d",
		     v->off + at, sig, want);
	}
	if (!sig) {
		memcpy(o->data + v->off + at, buf, n);
		mark_present(o, v->off + at, n);
	}
}

/* Read [at, at + n) of view @v (one page) and compare with the model */
static void check_range(struct worker *w, struct view *v, size_t at, size_t n)
{
	struct obj *o = vobj(w, v);
	unsigned char buf[512];
	int want = expected_fault(w, v, v->off + at, false), sig;

	if (want == SIGSEGV)
		return;
	sig = probe_copy(buf, v->addr + at, n);
	if (sig != want) {
		w->st.bad_signal++;
		fail(w, "read %s obj%d view %p at obj offset %#zx: signal %d, expected %d",
		     kind_names[o->kind], v->obj, (void *)v->addr, v->off + at,
		     sig, want);
		return;
	}
	if (sig)
		return;
	mark_present(o, v->off + at, n);
	if (memcmp(buf, o->data + v->off + at, n)) {
		size_t i = 0;

		while (buf[i] == o->data[v->off + at + i])
			i++;
		w->st.mismatches++;
		fail(w, "MISMATCH %s obj%d view %p (prot %d) obj offset %#zx: read %#x, model %#x",
		     kind_names[o->kind], v->obj, (void *)v->addr, v->prot,
		     v->off + at + i, buf[i], o->data[v->off + at + i]);
	}
}

/* Read one range of an object through every view that maps it */
static void op_check(struct worker *w)
{
	int oi = pick_obj(w);
	struct obj *o;
	size_t off, n;

	if (oi < 0)
		return;
	o = &w->objs[oi];
	off = rndn(w, o->vcap);
	n = 1 + rndn(w, 512);
	if (off / o->psz != (off + n - 1) / o->psz || off + n > o->vcap)
		n = o->psz - off % o->psz;
	if (n > 512)
		n = 512;
	op_desc(w, "check %s obj%d off=%#zx len=%zu size=%#zx",
		kind_names[o->kind], oi, off, n, o->size);
	for (int i = 0; i < w->nviews; i++) {
		struct view *v = &w->views[i];

		if (v->obj == oi && off >= v->off && off + n <= v->off + v->len)
			check_range(w, v, off - v->off, n);
	}
	op_result(w, 0);
}

/* /proc/self/pagemap present bits of [a, a + len), one per 4 KiB */
static bool pagemap_present(const char *a, size_t len, unsigned char *out)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t e[64];
	size_t n = len / PG, done = 0;

	if (fd < 0)
		return false;
	while (done < n) {
		size_t k = n - done > 64 ? 64 : n - done;
		off_t pos = ((uintptr_t)a / PG + done) * 8;

		if (pread(fd, e, k * 8, pos) != (ssize_t)(k * 8)) {
			close(fd);
			return false;
		}
		for (size_t i = 0; i < k; i++)
			out[done + i] = e[i] >> 63;
		done += k;
	}
	close(fd);
	return true;
}

/*
 * MREMAP_MIRROR (or old_size == 0 with @legacy) of a sub-range of a view,
 * with MREMAP_FIXED into the arena or where the kernel likes, sometimes
 * with MREMAP_POPULATE: then every page the source maps is mapped.
 */
static void op_mirror(struct worker *w, bool legacy)
{
	int vi = pick_view(w, v_any), flags = MREMAP_MAYMOVE;
	struct view *v, t;
	struct obj *o;
	size_t s, len, nlen;
	char *at = NULL, *p, *hint = NULL;
	unsigned int allowed = E(0);
	unsigned char *before = NULL, *after = NULL;
	bool populate, fixed, beyond_view = false;
	int err;

	if (vi < 0 || w->nviews + 3 >= MAX_VIEWS)
		return;
	if (!legacy && !cfg.have_mirror)
		return;
	v = &w->views[vi];
	o = vobj(w, v);
	/*
	 * Without the series, old_size == 0 ignores memfd seals (series 01)
	 * and copies the userfaultfd registration: not what is modelled.
	 */
	if (!cfg.have_mirror && (obj_memfd(o) || (v->flags & V_UFFD)))
		return;
	pick_sub(w, v, &s, &len);
	nlen = len;
	/* old_size == 0 may map further pages of the object than the source */
	if (legacy && chance(w, 30))
		nlen += rndn(w, 3) * o->psz;
	if (v->off + s + nlen > o->vcap)
		nlen = len;
	/* SHM_HUGETLB and MAP_SHARED|MAP_HUGETLB: no mmap() of their own */
	if (legacy && (o->kind == K_SYSV_HUGE || o->kind == K_SHANON_HUGE) &&
	    v->off + s + nlen > o->size &&
	    known("shm-hugetlb-legacy-past-segment"))
		nlen = len;
	populate = cfg.have_populate && chance(w, 40);
	if (populate && kind_huge(o->kind) && known("hugetlb-populate-nesting"))
		populate = false;
	if (populate)
		flags |= MREMAP_POPULATE;
	if (!legacy)
		flags |= MREMAP_MIRROR;
	fixed = chance(w, 50);
	if (fixed)
		at = arena_pick(w, nlen, o->psz, v->addr + s, nlen);
	fixed = at != NULL;
	if (fixed)
		flags |= MREMAP_FIXED;
	else if (chance(w, 30))
		/* ignored (hugetlb: EINVAL unless aligned, as in stock) */
		hint = w->arena + rndn(w, ARENA_LEN / o->psz) * o->psz;
	op_desc(w, "%s %s obj%d src %p+%#zx (off %#zx) len=%#zx flags=%#x at=%p%s",
		legacy ? "mremap(old_size 0)" : "mirror", kind_names[o->kind],
		v->obj, (void *)v->addr, s, v->off + s, nlen, flags,
		(void *)(fixed ? at : hint), v->flags & V_UFFD ? " uffd" : "");

	t = *v;
	t.flags &= ~(V_UFFD | V_SEALED);
	if (v->flags & V_SEALED)
		allowed = E(EPERM);
	else if (fixed && range_sealed(w, at, nlen))
		allowed = E(EPERM);
	else if (obj_memfd(o) && write_sealed(o) && (v->prot & PROT_WRITE))
		allowed = E(EPERM);
	if (obj_memfd(o) && write_sealed(o))
		t.maywrite = false;
	if (kind_huge(o->kind))
		allowed |= E(ENOMEM);	/* past the source: a new reservation */
	if (huge_grows_sealed(o, v->prot, v->off + s + nlen))
		allowed = E(EPERM);
	if (cfg.memlock_limited && (v->flags & V_LOCKED))
		allowed |= E(EAGAIN) | E(ENOMEM);
	if (v->flags & V_UFFD) {
		/* finding 2: a fixed series refuses (or inherits; not modelled) */
		if (!known("uffd-mirror"))
			allowed &= ~E(0);
		allowed |= E(EINVAL) | E(EBUSY) | E(EPERM);
	}
	/*
	 * Series 03, patch 5 (mremap.2): a hugetlb mirror stays within its source
	 * mapping, for old_size == 0 too (vma_to_mirror(): EINVAL before the
	 * seals and the destination are looked at).  The rule is about the
	 * kernel's VMA: where it reaches past the model's view (seed
	 * 1842093737, once in 51686 operations, cause not found), judge by
	 * the VMA and count the difference.
	 */
	if (kind_huge(o->kind) && s + nlen > v->len &&
	    !(v->flags & (V_SEALED | V_UFFD))) {
		size_t end = vma_end(v->addr);

		if ((size_t)v->addr + s + nlen > (end ? end : (size_t)v->addr + v->len)) {
			allowed = E(EINVAL);
		} else {
			/* What the model does not know of: not modelled */
			__atomic_fetch_add(&vma_longer_than_view, 1, __ATOMIC_RELAXED);
			beyond_view = true;
		}
	}

	if (populate) {
		before = xcalloc(1, nlen / PG);
		after = xcalloc(1, nlen / PG);
		if (!pagemap_present(v->addr + s, len, before))
			populate = false;
	}
	if (fixed)
		pthread_rwlock_wrlock(&placement);
	else
		pthread_rwlock_rdlock(&placement);
	p = sys_mremap(v->addr + s, legacy ? 0 : len, nlen, flags,
		       fixed ? at : hint);
	err = p == MAP_FAILED ? errno : 0;
	if (!err && populate && !pagemap_present(p, nlen, after))
		populate = false;
	if (err && fixed)
		resync_dest(w, at, nlen);
	pthread_rwlock_unlock(&placement);

	if (expect(w, err, allowed, legacy ? "mremap(0)" : "MREMAP_MIRROR")) {
		if (unexpected(err, allowed))
			show_vmas(v->addr, v->addr + v->len);
		goto out;
	}
	if (beyond_view) {
		/* A mirror of a part of the source the model has lost: drop it */
		pthread_rwlock_wrlock(&placement);
		if (fixed)
			views_cut(w, at, nlen);
		munmap(p, nlen);
		if (fixed)
			arena_refill(w, at, nlen);
		pthread_rwlock_unlock(&placement);
		goto out;
	}
	if (fixed)
		views_cut(w, at, nlen);
	vi = view_add(w, &t, p, nlen, t.off + s);
	if (kind_huge(o->kind))
		mirrored_size(o, &t, t.off + s + nlen);
	if (t.flags & V_LOCKED && !kind_huge(o->kind))
		populate_view(w, &w->views[vi], 0, nlen);
	if (populate) {
		for (size_t i = 0; i < len / PG; i++) {
			size_t off = t.off + s + i * PG;

			if (!before[i] || after[i] || off >= o->size)
				continue;
			w->st.populate_miss++;
			fail(w, "MREMAP_POPULATE: source page at obj offset %#zx is mapped, the mirror's is not",
			     off);
			break;
		}
	}
out:
	free(before);
	free(after);
}

/* Growing views: not the arena's (no room behind them), unless moved */
static void op_grow(struct worker *w)
{
	int vi = pick_view(w, v_plain), flags = 0;
	struct view *v;
	struct obj *o;
	size_t nlen, olen;
	char *at = NULL, *p, *old;
	unsigned int allowed = E(0);
	bool fixed = false, arena, lost = false;
	struct view t;
	int err, mode;

	if (vi < 0 || w->nviews + 3 >= MAX_VIEWS)
		return;
	v = &w->views[vi];
	o = vobj(w, v);
	if (kind_huge(o->kind) && !cfg.have_huge_grow)
		return;
	nlen = v->len + (1 + rndn(w, 3)) * o->psz;
	if (v->off + nlen > o->vcap)
		return;
	mode = rndn(w, 3);	/* in place, MAYMOVE, MAYMOVE|FIXED */
	if (kind_huge(o->kind) && known("hugetlb-failed-growth") && mode == 0)
		mode = 1;	/* in place fails for want of room, mostly */
	if (kind_huge(o->kind) && known("hugetlb-grow-past-eof") &&
	    v->off + nlen > o->size)
		return;
	if (mode >= 1)
		flags |= MREMAP_MAYMOVE;
	if (mode == 2) {
		at = arena_pick(w, nlen, o->psz, v->addr, v->len);
		fixed = at != NULL;
		if (fixed)
			flags |= MREMAP_FIXED;
	}
	if (cfg.have_populate && chance(w, 30) &&
	    !(kind_huge(o->kind) && known("hugetlb-populate-nesting")))
		flags |= MREMAP_POPULATE;
	arena = in_arena(w, v->addr, v->len);
	op_desc(w, "grow %s obj%d view %p (off %#zx) %#zx -> %#zx flags=%#x at=%p",
		kind_names[o->kind], v->obj, (void *)v->addr, v->off, v->len,
		nlen, flags, (void *)at);

	if (!(flags & MREMAP_MAYMOVE))
		allowed |= E(ENOMEM);	/* no room behind it */
	if (kind_huge(o->kind))
		allowed |= E(ENOMEM);	/* the pool */
	if (cfg.memlock_limited && (v->flags & V_LOCKED))
		allowed |= E(EAGAIN) | E(ENOMEM);
	if (obj_memfd(o) && write_sealed(o) && v->maywrite) {
		/*
		 * Finding 1, series 01 (mremap.2, "Growing a mapping of a
		 * sealed memfd"): a mapping that is writable or could be
		 * made writable (VM_MAYWRITE) cannot grow: EPERM.
		 */
		allowed |= E(EPERM);
		/* (without the series, as in stock kernels, it grows) */
		if (!known("seal-growth") && cfg.have_mirror)
			allowed &= ~E(0);
	}
	if (kind_huge(o->kind) && v->off + nlen > o->size) {
		/*
		 * Series 04 (mremap.2, "hugetlb growth"): a SysV SHM_HUGETLB
		 * segment cannot grow past the size shmget() reserved
		 * (EINVAL); a writable mapping of any other hugetlb object
		 * extends i_size as hugetlbfs_file_mmap() does, unless the
		 * memfd is sealed F_SEAL_GROW (EPERM).  Both are checked
		 * only once the growth can proceed: in place without room,
		 * ENOMEM comes first.
		 */
		if (o->kind == K_SYSV_HUGE)
			allowed = E(EINVAL) | (allowed & ~E(0));
		else if ((v->prot & PROT_WRITE) && (o->seals & F_SEAL_GROW))
			allowed = E(EPERM) | (allowed & ~E(0));
	}
	if ((v->flags & V_SEALED) || (fixed && range_sealed(w, at, nlen)))
		allowed = E(EPERM);

	old = v->addr;
	t = *v;
	olen = v->len;
	if (fixed || arena)
		pthread_rwlock_wrlock(&placement);
	else
		pthread_rwlock_rdlock(&placement);
	p = sys_mremap(v->addr, v->len, nlen, flags, at);
	err = p == MAP_FAILED ? errno : 0;
	/*
	 * The model follows before placement is released: a hole that the
	 * remap left in the arena (the old place of a moved view, or a
	 * destination a failed remap unmapped) must be refilled before any
	 * other worker's placement can land in it.  Released between the
	 * two, another worker's mapping could take the hole, and the next
	 * MAP_FIXED into this arena would replace it (seed 1797310556).
	 */
	if (err && fixed) {
		lost = resync_dest(w, at, nlen);
	} else if (!err && p != old) {
		if (fixed)
			views_cut(w, at, nlen);
		views_cut(w, old, olen);
		arena_refill(w, old, olen);
	}
	pthread_rwlock_unlock(&placement);

	if (expect(w, err, allowed, "mremap grow")) {
		if (unexpected(err, allowed))
			show_vmas(fixed ? at : old, (fixed ? at : old) + nlen);
		/* finding 4: a failed FIXED remap unmapped its target */
		if (lost && kind_huge(o->kind) && !known("hugetlb-failed-growth"))
			fail(w, "failed MREMAP_FIXED growth unmapped the destination %p (finding 4)",
			     (void *)at);
		return;
	}
	{
		if (p != old)
			vi = view_add(w, &t, p, nlen, t.off);
		else
			v->len = nlen;
		if (kind_huge(o->kind))
			grown_size(w, o, &t, nlen);
		if (t.flags & V_LOCKED)
			populate_view(w, &w->views[vi], olen, nlen - olen);
	}
}

static void op_shrink(struct worker *w)
{
	int vi = pick_view(w, v_plain), flags = 0;
	struct view *v;
	struct obj *o;
	size_t nlen;
	unsigned int allowed = E(0);
	char *p;
	int err;

	if (vi < 0)
		return;
	v = &w->views[vi];
	o = vobj(w, v);
	if (v->len <= o->psz)
		return;
	nlen = (1 + rndn(w, v->len / o->psz - 1)) * o->psz;
	/* A remap that creates nothing: MREMAP_POPULATE is refused */
	if (cfg.have_populate && chance(w, 15)) {
		flags |= MREMAP_POPULATE;
		allowed = E(EINVAL);
	}
	if (v->flags & V_SEALED)
		allowed = E(EPERM) | (allowed & E(EINVAL));
	op_desc(w, "shrink %s obj%d view %p %#zx -> %#zx flags=%#x",
		kind_names[o->kind], v->obj, (void *)v->addr, v->len, nlen,
		flags);
	pthread_rwlock_wrlock(&placement);
	p = sys_mremap(v->addr, v->len, nlen, flags, NULL);
	err = p == MAP_FAILED ? errno : 0;
	if (!err) {
		char *tail = v->addr + nlen;
		size_t tl = v->len - nlen;

		views_cut(w, tail, tl);
		arena_refill(w, tail, tl);
	}
	pthread_rwlock_unlock(&placement);
	expect(w, err, allowed, "mremap shrink");
}

/* A move to the arena, or MREMAP_DONTUNMAP (which keeps the source) */
static void op_move(struct worker *w, bool dontunmap)
{
	int vi = pick_view(w, v_plain), flags = MREMAP_MAYMOVE;
	struct view *v, t;
	struct obj *o;
	char *at, *p, *old;
	unsigned int allowed = E(0);
	size_t len;
	int err;

	if (vi < 0 || w->nviews + 3 >= MAX_VIEWS)
		return;
	v = &w->views[vi];
	o = vobj(w, v);
	len = v->len;
	at = arena_pick(w, len, o->psz, v->addr, len);
	if (at)
		flags |= MREMAP_FIXED;
	else if (!dontunmap)
		return;
	if (dontunmap)
		flags |= MREMAP_DONTUNMAP;
	if (cfg.have_populate && chance(w, 20) &&
	    !(kind_huge(o->kind) && known("hugetlb-populate-nesting")))
		flags |= MREMAP_POPULATE;	/* refused: a move has nothing new */
	op_desc(w, "%s %s obj%d view %p len=%#zx flags=%#x at=%p",
		dontunmap ? "dontunmap" : "move", kind_names[o->kind], v->obj,
		(void *)v->addr, len, flags, (void *)at);
	/* hugetlb (VM_DONTEXPAND) cannot; SysV is left to the kernel */
	if (dontunmap && (kind_huge(o->kind) || o->kind == K_SYSV))
		allowed |= E(EINVAL);
	if ((v->flags & V_SEALED) || (at && range_sealed(w, at, len)))
		allowed = E(EPERM) | (allowed & E(EINVAL));
	/* series 05, patch 2: MREMAP_POPULATE on a move is EINVAL, checked first */
	if (flags & MREMAP_POPULATE)
		allowed = E(EINVAL);
	old = v->addr;
	t = *v;
	pthread_rwlock_wrlock(&placement);
	p = sys_mremap(old, len, len, flags, at);
	err = p == MAP_FAILED ? errno : 0;
	if (!err) {
		if (at)
			views_cut(w, at, len);
		if (!dontunmap) {
			views_cut(w, old, len);
			arena_refill(w, old, len);
		} else {
			/* The source stays, unlocked: the lock moved */
			for (int i = 0; i < w->nviews; i++)
				if (w->views[i].addr == old &&
				    w->views[i].len == len)
					w->views[i].flags &= ~V_LOCKED;
		}
		view_add(w, &t, p, len, t.off);
	} else if (at) {
		resync_dest(w, at, len);
	}
	pthread_rwlock_unlock(&placement);
	if (expect(w, err, allowed, dontunmap ? "MREMAP_DONTUNMAP" : "mremap move") &&
	    unexpected(err, allowed) && at)
		show_vmas(at, at + len);
}

static void op_munmap(struct worker *w)
{
	int vi = pick_view(w, v_any);
	unsigned int allowed;
	struct view *v;
	size_t s, len;
	int err;

	if (vi < 0 || w->nviews + 2 >= MAX_VIEWS)
		return;
	v = &w->views[vi];
	pick_sub(w, v, &s, &len);
	op_desc(w, "munmap obj%d %p+%#zx len=%#zx", v->obj, (void *)v->addr,
		s, len);
	/*
	 * Before the unmap: it cuts the model's views, and another view may
	 * take @v's slot (seed 1844728228: a sealed one, whose EPERM was then
	 * expected of an unmap that rightly succeeded).
	 */
	allowed = v->flags & V_SEALED ? E(EPERM) : E(0);
	err = unmap_range(w, v->addr + s, len);
	expect(w, err, allowed, "munmap");
}

static void op_mprotect(struct worker *w)
{
	static const int prots[] = { PROT_NONE, PROT_READ,
				     PROT_READ | PROT_WRITE };
	int vi = pick_view(w, v_any), prot = prots[rndn(w, 3)];
	struct view *v;
	size_t s, len;
	unsigned int allowed = E(0);
	int err;

	if (vi < 0 || w->nviews + 2 >= MAX_VIEWS)
		return;
	v = &w->views[vi];
	pick_sub(w, v, &s, &len);
	op_desc(w, "mprotect obj%d %p+%#zx len=%#zx prot=%d maywrite=%d",
		v->obj, (void *)v->addr, s, len, prot, v->maywrite);
	if ((prot & PROT_WRITE) && !v->maywrite)
		allowed = E(EACCES);
	if (v->flags & V_SEALED)
		allowed = E(EPERM) | (allowed & E(EACCES));
	err = mprotect(v->addr + s, len, prot) ? errno : 0;
	if (!expect(w, err, allowed, "mprotect")) {
		vi = view_isolate(w, vi, v->addr + s, len);
		w->views[vi].prot = prot;
	}
}

static void op_madvise(struct worker *w, int advice)
{
	int vi = pick_view(w, v_any);
	struct view *v;
	struct obj *o;
	size_t s, len;
	unsigned int allowed = E(0);
	int err;

	if (vi < 0)
		return;
	v = &w->views[vi];
	o = vobj(w, v);
	pick_sub(w, v, &s, &len);
	if (advice == MADV_POPULATE_READ && chance(w, 50))
		advice = MADV_POPULATE_WRITE;
	op_desc(w, "madvise(%d) %s obj%d %p+%#zx len=%#zx prot=%d flags=%#x",
		advice, kind_names[o->kind], v->obj, (void *)v->addr, s, len,
		v->prot, v->flags);
	switch (advice) {
	case MADV_DONTNEED:
		if (v->flags & V_LOCKED)
			allowed = E(EINVAL);
		break;
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE: {
		bool w_ = advice == MADV_POPULATE_WRITE;

		if (!(v->prot & PROT_READ) || (w_ && !(v->prot & PROT_WRITE))) {
			allowed = E(EINVAL) | E(EFAULT);
			break;
		}
		for (size_t i = s; i < s + len; i += o->psz)
			if (expected_fault(w, v, v->off + i, w_))
				allowed = E(EFAULT);
		break;
	}
	case MADV_REMOVE:
		if (v->flags & V_LOCKED)
			allowed = E(EINVAL);
		else if (!v->maywrite)
			allowed = E(EACCES);
		if (obj_memfd(o) && write_sealed(o) && !(v->flags & V_LOCKED))
			allowed = (allowed & ~E(0)) | E(EPERM);
		break;
	}
	err = madvise(v->addr + s, len, advice) ? errno : 0;
	expect(w, err, allowed, "madvise");
	if (advice == MADV_POPULATE_READ || advice == MADV_POPULATE_WRITE) {
		/* up to the first page that faults, when the protection allows */
		if ((v->prot & PROT_READ) && (!err || err == EFAULT) &&
		    (advice == MADV_POPULATE_READ || (v->prot & PROT_WRITE)))
			populate_view(w, v, s, len);
	} else if (advice == MADV_REMOVE && !err) {
		size_t end = v->off + s + len;

		if (end > o->size)
			end = o->size;
		if (v->off + s < end)
			model_punch(o, v->off + s, end - v->off - s);
	}
}

static void op_truncate(struct worker *w)
{
	int oi = pick_obj(w);
	struct obj *o;
	size_t size;
	unsigned int allowed = E(0);
	int err;

	if (oi < 0)
		return;
	o = &w->objs[oi];
	if (o->fd < 0)
		return;
	size = rndn(w, o->cap / o->psz + 1) * o->psz;
	op_desc(w, "ftruncate %s obj%d %#zx -> %#zx seals=%#x",
		kind_names[o->kind], oi, o->size, size, o->seals);
	if ((size < o->size && (o->seals & F_SEAL_SHRINK)) ||
	    (size > o->size && (o->seals & F_SEAL_GROW)))
		allowed = E(EPERM);
	err = ftruncate(o->fd, size) ? errno : 0;
	if (!expect(w, err, allowed, "ftruncate"))
		model_resize(o, size);
}

static void op_punch(struct worker *w)
{
	int oi = pick_obj(w);
	struct obj *o;
	size_t off, len;
	unsigned int allowed = E(0);
	int err;

	if (oi < 0)
		return;
	o = &w->objs[oi];
	if (o->fd < 0)
		return;
	off = rndn(w, o->cap / o->psz) * o->psz;
	len = (1 + rndn(w, 4)) * o->psz;
	op_desc(w, "punch %s obj%d off=%#zx len=%#zx seals=%#x",
		kind_names[o->kind], oi, off, len, o->seals);
	if (write_sealed(o))
		allowed = E(EPERM);
	err = fallocate(o->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
			len) ? errno : 0;
	if (!expect(w, err, allowed, "fallocate punch") && off < o->size)
		model_punch(o, off, off + len > o->size ? o->size - off : len);
}

static void op_mlock(struct worker *w, bool lock)
{
	int vi = pick_view(w, v_plain);
	struct view *v;
	struct obj *o;
	unsigned int allowed = E(0);
	int err;

	/* Over RLIMIT_MEMLOCK, ENOMEM would not say whether the VMA is locked */
	if (vi < 0 || cfg.memlock_limited)
		return;
	v = &w->views[vi];
	o = vobj(w, v);
	op_desc(w, "%s %s obj%d %p len=%#zx", lock ? "mlock" : "munlock",
		kind_names[o->kind], v->obj, (void *)v->addr, v->len);
	if (lock && (v->prot & PROT_READ))
		for (size_t i = 0; i < v->len; i += o->psz)
			if (v->off + i >= o->size)
				allowed = E(ENOMEM);	/* population SIGBUSes */
	if (lock && !(v->prot & PROT_READ))
		allowed = E(ENOMEM);	/* PROT_NONE is never populated */
	err = (lock ? mlock(v->addr, v->len) : munlock(v->addr, v->len)) ?
	      errno : 0;
	expect(w, err, allowed, lock ? "mlock" : "munlock");
	if (lock) {
		/* hugetlb VMAs are never VM_LOCKED, only populated */
		if (!kind_huge(o->kind) &&
		    (!err || (err == ENOMEM && !cfg.memlock_limited)))
			v->flags |= V_LOCKED;
		populate_view(w, v, 0, v->len);
	} else if (!err) {
		v->flags &= ~V_LOCKED;
	}
}

static void op_mseal(struct worker *w)
{
	int vi = pick_view(w, v_any);
	struct view *v;
	int err;

	int sealed = 0;

	if (vi < 0 || !w->child || !cfg.have_mseal)
		return;
	/* Sealed views stay until exit: keep most of them free to change */
	for (int i = 0; i < w->nviews; i++)
		sealed += !!(w->views[i].flags & V_SEALED);
	if (sealed >= 3 || (w->views[vi].flags & V_SEALED))
		return;
	v = &w->views[vi];
	op_desc(w, "mseal obj%d %p len=%#zx", v->obj, (void *)v->addr, v->len);
	err = sys_mseal(v->addr, v->len) ? errno : 0;
	if (!expect(w, err, E(0), "mseal"))
		v->flags |= V_SEALED;
}

/*
 * fork(): the child reads a page of every view it inherited and writes one
 * page through one of them; the parent checks the write.  Views registered
 * with userfaultfd are not (the child's copies are not registered).
 */
static void op_fork(struct worker *w)
{
	int vi = pick_view(w, v_writable), status;
	unsigned char buf[256];
	size_t offs[MAX_VIEWS];
	struct view *v = vi >= 0 ? &w->views[vi] : NULL;
	size_t at = 0;
	int want = -1;
	pid_t pid;

	if (v) {
		at = rndn(w, v->len - sizeof(buf) + 1);
		if (at / vobj(w, v)->psz != (at + sizeof(buf) - 1) / vobj(w, v)->psz)
			at -= (at + sizeof(buf)) % vobj(w, v)->psz;
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = rnd(w);
		want = (v->flags & V_UFFD) ? -1 :
		       expected_fault(w, v, v->off + at, true);
	}
	op_desc(w, "fork, child writes %zu bytes at %p (obj offset %#zx, expect %d)",
		sizeof(buf), v ? (void *)(v->addr + at) : NULL,
		v ? v->off + at : 0, want);
	/* What the child reads: chosen here, the parent marks it present */
	for (int i = 0; i < w->nviews; i++) {
		struct view *u = &w->views[i];

		offs[i] = u->off + rndn(w, u->len / vobj(w, u)->psz) *
				   vobj(w, u)->psz;
	}
	pid = fork();
	if (pid < 0) {
		expect(w, errno, E(EAGAIN) | E(ENOMEM), "fork");
		return;
	}
	if (pid == 0) {
		int bad = 0;

		for (int i = 0; i < w->nviews; i++) {
			struct view *u = &w->views[i];
			struct obj *o = vobj(w, u);
			size_t off = offs[i];
			unsigned char tmp[64];
			int e = expected_fault(w, u, off, false), sig;

			if ((u->flags & V_UFFD) || e == SIGSEGV)
				continue;
			sig = probe_copy(tmp, u->addr + (off - u->off), sizeof(tmp));
			if (sig != e)
				bad |= 2;
			else if (!sig && memcmp(tmp, o->data + off, sizeof(tmp)))
				bad |= 1;
		}
		if (want >= 0 && probe_copy(v->addr + at, buf, sizeof(buf)) != want)
			bad |= 2;
		_exit(bad);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		fail(w, "fork child died: status %#x", status);
		return;
	}
	op_result(w, WEXITSTATUS(status) ? EIO : 0);
	if (WEXITSTATUS(status) & 1) {
		w->st.mismatches++;
		fail(w, "MISMATCH in a forked child's view");
	}
	if (WEXITSTATUS(status) & 2) {
		w->st.bad_signal++;
		fail(w, "unexpected fault (or none) in a forked child");
	}
	for (int i = 0; i < w->nviews; i++) {
		struct view *u = &w->views[i];

		if (!(u->flags & V_UFFD) && !expected_fault(w, u, offs[i], false))
			mark_present(vobj(w, u), offs[i], 64);
	}
	if (want == 0) {
		memcpy(vobj(w, v)->data + v->off + at, buf, sizeof(buf));
		mark_present(vobj(w, v), v->off + at, sizeof(buf));
	}
}

static void op_uffd_reg(struct worker *w, bool reg)
{
	int vi = pick_view(w, reg ? v_plain : v_uffd);
	struct view *v;
	int err;

	if (vi < 0 || w->uffd < 0)
		return;
	v = &w->views[vi];
	op_desc(w, "uffd %s %s obj%d %p len=%#zx", reg ? "register" : "unregister",
		kind_names[vobj(w, v)->kind], v->obj, (void *)v->addr, v->len);
	if (reg) {
		struct uffdio_register r = {
			.range = { (uintptr_t)v->addr, v->len },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		/* SysV shm VMAs are not shmem's: only hugetlb ones register */
		unsigned int allowed = vobj(w, v)->kind == K_SYSV ? E(EINVAL) :
				       !v->maywrite ? E(EPERM) : E(0);

		err = ioctl(w->uffd, UFFDIO_REGISTER, &r) ? errno : 0;
		if (!expect(w, err, allowed, "UFFDIO_REGISTER"))
			v->flags |= V_UFFD;
	} else {
		struct uffdio_range r = { (uintptr_t)v->addr, v->len };

		err = ioctl(w->uffd, UFFDIO_UNREGISTER, &r) ? errno : 0;
		if (!expect(w, err, E(0), "UFFDIO_UNREGISTER"))
			v->flags &= ~V_UFFD;
	}
}

/* Fill a page through userfaultfd: EEXIST if the object already holds it */
static void op_uffd_copy(struct worker *w)
{
	int vi = pick_view(w, v_uffd);
	struct uffdio_copy c = { 0 };
	struct view *v;
	struct obj *o;
	unsigned char *src;
	size_t pg, off;
	unsigned int allowed;
	int err;

	if (vi < 0)
		return;
	v = &w->views[vi];
	o = vobj(w, v);
	if (!(v->prot & PROT_WRITE))
		return;
	pg = rndn(w, v->len / o->psz) * o->psz;
	off = v->off + pg;
	if (off >= o->size)
		return;
	src = xcalloc(1, o->psz);
	for (size_t i = 0; i < o->psz; i += 8) {
		uint64_t r = rnd(w);

		memcpy(src + i, &r, 8);
	}
	c.dst = (uintptr_t)(v->addr + pg);
	c.src = (uintptr_t)src;
	c.len = o->psz;
	allowed = o->present[off / o->psz] ? E(EEXIST) : E(0);
	op_desc(w, "UFFDIO_COPY %s obj%d at obj offset %#zx present=%d",
		kind_names[o->kind], v->obj, off, o->present[off / o->psz]);
	err = ioctl(w->uffd, UFFDIO_COPY, &c) ? errno : 0;
	if (kind_huge(o->kind))
		allowed |= E(ENOMEM);
	if (!expect(w, err, allowed, "UFFDIO_COPY")) {
		memcpy(o->data + off, src, o->psz);
		o->present[off / o->psz] = 1;
	}
	free(src);
}

static void op_seal(struct worker *w)
{
	static const unsigned int seals[] = {
		F_SEAL_FUTURE_WRITE, F_SEAL_WRITE, F_SEAL_GROW, F_SEAL_SHRINK,
		F_SEAL_FUTURE_WRITE, F_SEAL_SEAL,
	};
	int oi = pick_obj(w);
	unsigned int seal = seals[rndn(w, 6)], allowed = E(0);
	struct obj *o;
	int err;

	if (oi < 0 || !obj_memfd(&w->objs[oi]) || chance(w, 50))
		return;
	o = &w->objs[oi];
	op_desc(w, "seal %s obj%d %#x (has %#x)", kind_names[o->kind], oi,
		seal, o->seals);
	if (seal == F_SEAL_WRITE) {
		/* EBUSY while a shared mapping may write (also: a fork child) */
		allowed |= E(EBUSY);
		for (int i = 0; i < w->nviews; i++)
			if (w->views[i].obj == oi && w->views[i].maywrite)
				allowed = E(EBUSY);
	}
	if (o->seals & F_SEAL_SEAL)
		allowed = E(EPERM);
	err = fcntl(o->fd, F_ADD_SEALS, seal) ? errno : 0;
	if (!expect(w, err, allowed, "F_ADD_SEALS"))
		o->seals |= seal;
}

/* Which pages of a 4 KiB shmem object are in the page cache: the model */
static void op_mincore(struct worker *w)
{
	int vi = pick_view(w, v_any);
	unsigned char vec[512];
	struct view *v;
	struct obj *o;

	if (vi < 0)
		return;
	v = &w->views[vi];
	o = vobj(w, v);
	if (kind_huge(o->kind) || v->len / PG > sizeof(vec))
		return;
	op_desc(w, "mincore %s obj%d %p len=%#zx", kind_names[o->kind], v->obj,
		(void *)v->addr, v->len);
	if (expect(w, mincore(v->addr, v->len, vec) ? errno : 0, E(0), "mincore"))
		return;
	for (size_t i = 0; i < v->len / PG; i++) {
		size_t off = v->off + i * PG;
		int want = off < o->size && o->present[off / PG];

		if ((vec[i] & 1) != want) {
			w->st.mismatches++;
			fail(w, "mincore: page at obj offset %#zx resident=%d, model %d",
			     off, vec[i] & 1, want);
			return;
		}
	}
}

/* Arguments mremap.2 refuses with EINVAL: nothing may change */
static void op_badargs(struct worker *w)
{
	int vi = pick_view(w, v_any), c = rndn(w, 6), flags;
	struct view *v;
	size_t len, nlen;
	char *src, *at = NULL, *p;
	unsigned int extra = 0;
	const char *what;

	if (vi < 0 || !cfg.have_mirror)
		return;
	v = &w->views[vi];
	src = v->addr;
	len = nlen = v->len;
	flags = MREMAP_MIRROR | MREMAP_MAYMOVE;
	switch (c) {
	case 0:
		what = "old_size neither 0 nor new_size";
		nlen = len + vobj(w, v)->psz;
		break;
	case 1:
		what = "MREMAP_MIRROR without MREMAP_MAYMOVE";
		flags = MREMAP_MIRROR;
		break;
	case 2:
		what = "MREMAP_MIRROR with MREMAP_DONTUNMAP";
		flags |= MREMAP_DONTUNMAP;
		break;
	case 3:
		what = "MREMAP_MIRROR|MREMAP_FIXED onto its source";
		flags |= MREMAP_FIXED;
		at = src;
		/*
		 * vma_to_mirror() refuses a userfaultfd-registered source
		 * (EBUSY, series 03) before it looks at the destination.
		 */
		if (v->flags & V_UFFD)
			extra = E(EBUSY);
		break;
	case 4: {
		/* a page of the arena's private reservation */
		size_t pg = rndn(w, ARENA_LEN / PG);

		what = "MREMAP_MIRROR of a private mapping";
		src = w->arena + pg * PG;
		if (!w->owned[pg] || covered(w, src))
			return;
		len = nlen = PG;
		break;
	}
	default:
		what = "an unknown flag (128)";
		flags |= 128;
		break;
	}
	op_desc(w, "bad mremap: %s: src %p len=%#zx new=%#zx flags=%#x at=%p",
		what, (void *)src, len, nlen, flags, (void *)at);
	p = sys_mremap(src, len, nlen, flags, at);
	if (p != MAP_FAILED) {
		expect(w, 0, E(EINVAL), what);
		if (!at)
			munmap(p, nlen);
		return;
	}
	/* mseal'd source: EPERM may come first */
	expect(w, errno, E(EINVAL) | extra |
	       (v->flags & V_SEALED && c != 4 ? E(EPERM) : 0), what);
}

/* ---- workers ---- */

static enum op pick_op(struct worker *w)
{
	int total = 0, r;

	for (int i = 0; i < NOPS; i++)
		total += op_weight[i];
	r = rndn(w, total);
	for (int i = 0; i < NOPS; i++) {
		r -= op_weight[i];
		if (r < 0)
			return i;
	}
	return OP_CHECK;
}

/*
 * Shared anonymous memory and SysV segments (IPC_RMID at creation) are gone
 * with their last mapping: so is their model.
 */
static void reap_objs(struct worker *w)
{
	for (int i = 0; i < MAX_OBJS; i++) {
		struct obj *o = &w->objs[i];
		bool mapped = false;

		if (!o->used || o->fd >= 0)
			continue;
		for (int j = 0; j < w->nviews && !mapped; j++)
			mapped = w->views[j].obj == i;
		if (!mapped) {
			free(o->data);
			free(o->present);
			o->used = false;
		}
	}
}

/*
 * Every view of the model must still be mapped: nothing but the worker
 * itself unmaps its views (other workers map only where the kernel finds
 * room, or MAP_FIXED into their own arenas).  A view gone behind the
 * model's back is reported with the recent operations of every worker
 * of this process, since one of them did it (another worker's operation,
 * or the kernel).  Checked every few operations: mincore() is cheap.
 */
static void views_alive(struct worker *w)
{
	unsigned char vec;

	for (int i = 0; i < w->nviews; i++) {
		struct view *v = &w->views[i];

		if (!mincore(v->addr, PG, &vec) || errno != ENOMEM)
			continue;
		w->st.vanished++;
		fail(w, "view %p+%#zx of %s obj%d (off %#zx) is not mapped any more",
		     (void *)v->addr, v->len, kind_names[vobj(w, v)->kind],
		     v->obj, v->off);
		pthread_mutex_lock(&print_lock);
		for (int k = 0; k < nworkers_here; k++)
			if (workers_here[k] != w)
				print_ring(workers_here[k]);
		pthread_mutex_unlock(&print_lock);
		view_del(w, i);
		i--;
	}
}

/* Report a view or VMA the model and the kernel disagree on */
static void identity_fail(struct worker *w, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->st.vanished++;
	fail(w, "%s", msg);
	pthread_mutex_lock(&print_lock);
	for (int k = 0; k < nworkers_here; k++)
		if (workers_here[k] != w)
			print_ring(workers_here[k]);
	pthread_mutex_unlock(&print_lock);
}

/* The view of @oi that maps @a at object offset @off, or -1 */
static int view_mapping(struct worker *w, int oi, unsigned long a, size_t off)
{
	for (int i = 0; i < w->nviews; i++) {
		struct view *v = &w->views[i];
		unsigned long va = (unsigned long)v->addr;

		if (v->obj == oi && va <= a && a < va + v->len &&
		    v->off + (a - va) == off)
			return i;
	}
	return -1;
}

/*
 * Stronger than views_alive(), both ways, per /proc/self/maps: every view
 * must still be mapped by its own object at its own offset, and every
 * VMA of one of the worker's objects must be one of its views.  A view
 * unmapped behind the model's back and taken by another mapping since,
 * where mincore() sees a page mapped and says nothing, is caught by the
 * first; a mapping the model has dropped but the kernel kept (which
 * then sits in the way of the worker's MAP_FIXED) by the second.
 */
static void views_identity(struct worker *w)
{
	struct vma_line *maps;
	size_t n = maps_read(&maps);

	for (int i = 0; i < w->nviews; i++) {
		struct view *v = &w->views[i];
		struct obj *o = vobj(w, v);
		unsigned long a = (unsigned long)v->addr, e = a + v->len;
		const struct vma_line *m = NULL;

		if (!o->ino)
			continue;
		while (a < e) {
			m = maps_find(maps, n, a);
			if (!m || m->ino != o->ino || m->dev != o->dev ||
			    m->cls != obj_cls(o) ||
			    m->off + (a - m->start) != v->off + (a - (unsigned long)v->addr))
				break;
			a = m->end;
		}
		if (a >= e || !m)	/* all there, or gone: views_alive() */
			continue;
		identity_fail(w, "view %p+%#zx of %s obj%d (off %#zx, ino %lu): at %#lx the VMA %lx-%lx maps ino %lu (%c) offset %#lx",
			      (void *)v->addr, v->len, kind_names[o->kind], v->obj,
			      v->off, o->ino, a, m->start, m->end, m->ino,
			      m->cls ? m->cls : '-', m->off + (a - m->start));
		view_del(w, i);
		i--;
	}
	for (size_t k = 0; k < n; k++) {
		const struct vma_line *m = &maps[k];

		for (int oi = 0; oi < MAX_OBJS; oi++) {
			struct obj *o = &w->objs[oi];
			unsigned long a;

			if (!o->used || !o->ino || o->ino != m->ino ||
			    o->dev != m->dev || obj_cls(o) != m->cls)
				continue;
			for (a = m->start; a < m->end; a += o->psz)
				if (view_mapping(w, oi, a, m->off + (a - m->start)) < 0)
					break;
			if (a < m->end)
				identity_fail(w, "the VMA %lx-%lx (offset %#lx) of %s obj%d is not in the model at %#lx",
					      m->start, m->end, m->off,
					      kind_names[o->kind], oi, a);
		}
		/*
		 * A page of the arena that the worker owns is its view or
		 * its reservation: anything else there, another worker's
		 * mapping the kernel placed in a hole, would be replaced by
		 * the worker's next MAP_FIXED.
		 */
		unsigned long lo = (unsigned long)w->arena, hi = lo + ARENA_LEN;

		if (m->reservation || m->end <= lo || hi <= m->start)
			continue;
		for (unsigned long a = m->start > lo ? m->start : lo;
		     a < m->end && a < hi; a += PG) {
			char *p = (char *)a;
			size_t pg = (p - w->arena) / PG;

			if (!w->owned[pg] || covered(w, p))
				continue;
			{
				char who[64];

				vma_owner(m, who, sizeof(who));
				identity_fail(w, "arena page %p, owned, is mapped by the VMA %lx-%lx (ino %lu, %s), not by a view",
					      p, m->start, m->end, m->ino, who);
			}
			/* Reported once a VMA: none of it is the arena's */
			for (; a < m->end && a < hi; a += PG)
				if (!covered(w, (char *)a))
					w->owned[(a - lo) / PG] = 0;
			break;
		}
	}
	free(maps);
}

static void run_op(struct worker *w, enum op op)
{
	reap_objs(w);
	w->cur[0] = 0;
	snprintf(w->ring[w->opno % RING], sizeof(w->ring[0]), "%s (nothing to do)",
		 op_names[op]);
	switch (op) {
	case OP_CREATE: op_create(w); break;
	case OP_DESTROY: op_destroy(w); break;
	case OP_MAP: {
		int oi = pick_obj(w);

		if (oi >= 0)
			op_map(w, oi, false);
		break;
	}
	case OP_WRITE: op_write(w); break;
	case OP_CHECK: op_check(w); break;
	case OP_MIRROR: op_mirror(w, false); break;
	case OP_LEGACY: op_mirror(w, true); break;
	case OP_GROW: op_grow(w); break;
	case OP_SHRINK: op_shrink(w); break;
	case OP_MOVE: op_move(w, false); break;
	case OP_DONTUNMAP: op_move(w, true); break;
	case OP_MUNMAP: op_munmap(w); break;
	case OP_MPROTECT: op_mprotect(w); break;
	case OP_DONTNEED: op_madvise(w, MADV_DONTNEED); break;
	case OP_POPULATE: op_madvise(w, MADV_POPULATE_READ); break;
	case OP_REMOVE: op_madvise(w, MADV_REMOVE); break;
	case OP_TRUNCATE: op_truncate(w); break;
	case OP_PUNCH: op_punch(w); break;
	case OP_MLOCK: op_mlock(w, true); break;
	case OP_MUNLOCK: op_mlock(w, false); break;
	case OP_MSEAL: op_mseal(w); break;
	case OP_FORK: op_fork(w); break;
	case OP_UFFD_REG: op_uffd_reg(w, true); break;
	case OP_UFFD_UNREG: op_uffd_reg(w, false); break;
	case OP_UFFD_COPY: op_uffd_copy(w); break;
	case OP_SEAL: op_seal(w); break;
	case OP_MINCORE: op_mincore(w); break;
	case OP_BADARGS: op_badargs(w); break;
	default: break;
	}
	if (w->cur[0])	/* it did something */
		w->st.ops[op]++;
	if (w->opno % 8 == 0)
		views_alive(w);
	if (w->opno % 16 == 0)
		views_identity(w);
	w->opno++;
}

/* Every page of every view, once, at the end: the model holds */
static void check_all(struct worker *w)
{
	for (int i = 0; i < w->nviews; i++) {
		struct view *v = &w->views[i];
		struct obj *o = vobj(w, v);

		for (size_t at = 0; at < v->len; at += o->psz)
			check_range(w, v, at, 64);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->uffd = cfg.have_uffd ? new_uffd() : -1;
	while (now() < w->deadline && w->st.failures < 20)
		run_op(w, pick_op(w));
	snprintf(w->cur, sizeof(w->cur), "final check");
	check_all(w);
	for (int i = 0; i < MAX_OBJS; i++)
		if (w->objs[i].used)
			destroy_obj(w, i, false);
	if (w->uffd >= 0)
		close(w->uffd);
	return NULL;
}

static struct worker *worker_new(int id, bool child)
{
	struct worker *w = calloc(1, sizeof(*w));
	char *a;

	if (!w)
		abort();
	w->id = id;
	w->child = child;
	w->seed = cfg.seed * 1000003ULL + id;
	w->rng = w->seed;
	w->deadline = now() + cfg.secs;
	/* A huge-page-aligned arena of PROT_NONE: MAP_FIXED lands only here */
	a = mmap(NULL, ARENA_LEN + cfg.hpage + PG, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a == MAP_FAILED) {
		perror("mmap arena");
		exit(1);
	}
	w->arena = (char *)(((uintptr_t)a + cfg.hpage - 1) & ~(cfg.hpage - 1));
	w->owned = malloc(ARENA_LEN / PG);
	if (!w->owned)
		abort();
	memset(w->owned, 1, ARENA_LEN / PG);
	return w;
}

static void stats_add(struct stats *to, const struct stats *s)
{
	for (int i = 0; i < NOPS; i++)
		to->ops[i] += s->ops[i];
	for (int i = 0; i < NERRNO; i++)
		to->errnos[i] += s->errnos[i];
	to->failures += s->failures;
	to->mismatches += s->mismatches;
	to->bad_errno += s->bad_errno;
	to->bad_signal += s->bad_signal;
	to->populate_miss += s->populate_miss;
	to->vanished += s->vanished;
}

/* Run @n workers in this process; sum their statistics into @st */
static void run_workers(int n, int first_id, bool child, struct stats *st)
{
	struct worker *w[MAX_WORKERS];
	pthread_t t[MAX_WORKERS];

	/*
	 * Every arena first, then the threads (their stacks are placements
	 * too): no arena may have a hole while either is mapped.
	 */
	for (int i = 0; i < n; i++)
		w[i] = workers_here[nworkers_here++] = worker_new(first_id + i, child);
	pthread_rwlock_wrlock(&placement);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, worker_main, w[i])) {
			perror("pthread_create");
			exit(1);
		}
	}
	pthread_rwlock_unlock(&placement);
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		stats_add(st, &w[i]->st);
	}
}

static void print_summary(const char *who, const struct stats *st)
{
	unsigned long total = 0;

	for (int i = 0; i < NOPS; i++)
		total += st->ops[i];
	printf("%s: %lu ops:", who, total);
	for (int i = 0; i < NOPS; i++)
		printf(" %s=%lu", op_names[i], st->ops[i]);
	printf("; errnos:");
	for (int i = 1; i < NERRNO; i++)
		if (st->errnos[i])
			printf(" %s=%lu", strerrorname_np(i) ? strerrorname_np(i) : "?",
			       st->errnos[i]);
	printf("; mismatches=%lu unexpected_errno=%lu unexpected_fault=%lu populate_miss=%lu vanished=%lu failures=%lu vma_longer_than_view=%lu\n",
	       st->mismatches, st->bad_errno, st->bad_signal, st->populate_miss,
	       st->vanished, st->failures,
	       __atomic_load_n(&vma_longer_than_view, __ATOMIC_RELAXED));
}

/* What could still hold shared memory: a mapping, a segment, an fd */
static void show_leftovers(void)
{
	static const char *const files[] = { "/proc/self/maps", "/proc/sysvipc/shm" };
	char line[512], path[64], target[256];

	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");

		while (f && fgets(line, sizeof(line), f))
			if (i == 1 || strstr(line, "memfd:") || strstr(line, "SYSV") ||
			    strstr(line, "/dev/zero") || strstr(line, "anon_hugepage") ||
			    strstr(line, "stress-"))
				printf("mirror_stress: left in %s: %s", files[i], line);
		if (f)
			fclose(f);
	}
	for (int fd = 3; fd < 1024; fd++) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		if (strstr(target, "memfd:") || strstr(target, "stress-"))
			printf("mirror_stress: left open: fd %d -> %s\n", fd, target);
	}
}

/* --skip a,b: leave these operations out (to narrow a failure down) */
static void skip_ops(const char *list)
{
	char *dup = strdup(list), *tok, *save = NULL;

	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < NOPS; i++)
			if (!strcmp(tok, op_names[i]))
				break;
		if (i == NOPS) {
			fprintf(stderr, "mirror_stress: no operation \"%s\"\n", tok);
			exit(2);
		}
		op_weight[i] = 0;
	}
	free(dup);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: mirror_stress [--seed N] [--secs S] [--threads N] [--child-threads N]\n"
		"                     [--known LIST] [--skip OPS] [--require-series] [--verbose]\n"
		"  STRESS_S=S sets --secs (default 60), STRESS_SEED=N --seed,\n"
		"  STRESS_KNOWN=a,b the known issues of the series to work around\n"
		"  (\"none\" for none), from: ");
	for (size_t i = 0; i < NKNOWN; i++)
		fprintf(stderr, "%s%s", i ? "," : "", known_names[i]);
	fputc('\n', stderr);
	exit(2);
}

static void set_known(const char *list)
{
	char *dup = strdup(list), *tok, *save = NULL;

	memset(known_on, 0, sizeof(known_on));
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		if (!strcmp(tok, "none"))
			continue;
		if (!strcmp(tok, "all")) {
			memset(known_on, 1, sizeof(known_on));
			continue;
		}
		for (i = 0; i < NKNOWN; i++)
			if (!strcmp(tok, known_names[i]))
				break;
		if (i == NKNOWN) {
			fprintf(stderr, "mirror_stress: unknown known issue \"%s\"\n", tok);
			usage();
		}
		known_on[i] = true;
	}
	free(dup);
}

int main(int argc, char **argv)
{
	struct stats total = { 0 }, *child_st;
	struct counters c0, c1;
	struct sigaction sa = { 0 };
	const char *env;
	pid_t child = -1;
	int status, rc = 0;

	cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	if ((env = getenv("STRESS_S")))
		cfg.secs = atof(env);
	if ((env = getenv("STRESS_SEED")))
		cfg.seed = strtoull(env, NULL, 0);
	set_known(getenv("STRESS_KNOWN") ? getenv("STRESS_KNOWN") : "none");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seed") && v)
			cfg.seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--secs") && v)
			cfg.secs = atof(argv[++i]);
		else if (!strcmp(a, "--threads") && v)
			cfg.threads = atoi(argv[++i]);
		else if (!strcmp(a, "--child-threads") && v)
			cfg.child_threads = atoi(argv[++i]);
		else if (!strcmp(a, "--known") && v)
			set_known(argv[++i]);
		else if (!strcmp(a, "--skip") && v)
			skip_ops(argv[++i]);
		else if (!strcmp(a, "--require-series"))
			cfg.require_series = true;
		else if (!strcmp(a, "--verbose"))
			cfg.verbose = true;
		else
			usage();
	}
	if (cfg.threads < 0 || cfg.threads > MAX_WORKERS ||
	    cfg.child_threads < 0 || cfg.child_threads > MAX_WORKERS)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	{
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		/* mlock()ed mirrors count twice: no limit, or EAGAIN/ENOMEM */
		cfg.memlock_limited = setrlimit(RLIMIT_MEMLOCK, &rl) != 0;
	}
	probe_features();
	if (!cfg.hpage)
		cfg.hpage = 2UL << 20;
	printf("mirror_stress: seed=%" PRIu64 " secs=%g threads=%d child-threads=%d\n",
	       cfg.seed, cfg.secs, cfg.threads, cfg.child_threads);
	printf("mirror_stress: features: MREMAP_MIRROR=%d MREMAP_POPULATE=%d hugetlb=%d hugetlb-growth=%d mseal=%d userfaultfd=%d\n",
	       cfg.have_mirror, cfg.have_populate, cfg.have_huge,
	       cfg.have_huge_grow, cfg.have_mseal, cfg.have_uffd);
	printf("mirror_stress: known issues worked around:");
	for (size_t i = 0; i < NKNOWN; i++)
		if (known_on[i])
			printf(" %s", known_names[i]);
	printf("\nmirror_stress: reproduce with: mirror_stress --seed %" PRIu64 " --secs %g --threads %d --child-threads %d --known %s...\n",
	       cfg.seed, cfg.secs, cfg.threads, cfg.child_threads,
	       getenv("STRESS_KNOWN") ? getenv("STRESS_KNOWN") : "none");
	if (cfg.require_series && (!cfg.have_mirror || !cfg.have_populate ||
				   !cfg.have_huge || !cfg.have_huge_grow)) {
		printf("mirror_stress: FAIL: the series' features are missing\n");
		return 1;
	}

	/* The child's statistics: a shmem page, there before counting starts */
	child_st = mmap(NULL, sizeof(*child_st), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (child_st == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(child_st, 0, sizeof(*child_st));
	/*
	 * meminfo sums per-CPU deltas that are folded in about once a second:
	 * the pages just touched (probes, this one) show up only then.
	 */
	read_counters(&c0);
	for (int i = 0; i < 10; i++) {
		sleep(1);
		read_counters(&c1);
		if (!memcmp(&c0, &c1, sizeof(c0)))
			break;
		c0 = c1;
	}
	if (cfg.child_threads) {
		fflush(stdout);
		child = fork();
		if (child < 0) {
			perror("fork");
			return 1;
		}
		if (child == 0) {
			run_workers(cfg.child_threads, 100, true, child_st);
			print_summary("mirror_stress child", child_st);
			_exit(0);
		}
	}
	run_workers(cfg.threads, 0, false, &total);
	if (child > 0) {
		if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			printf("mirror_stress: FAIL: the child process ended with status %#x\n",
			       status);
			total.failures++;
		}
		stats_add(&total, child_st);
	}

	/* Freed memory may take a moment (deferred work): wait a little */
	for (int i = 0; i < 50; i++) {
		read_counters(&c1);
		if (!memcmp(&c0, &c1, sizeof(c0)))
			break;
		usleep(100000);
	}
	printf("mirror_stress: counters before: HugePages_Total=%ld Free=%ld Rsvd=%ld Surp=%ld Shmem=%ld kB\n",
	       c0.total, c0.free, c0.rsvd, c0.surp, c0.shmem);
	printf("mirror_stress: counters after:  HugePages_Total=%ld Free=%ld Rsvd=%ld Surp=%ld Shmem=%ld kB\n",
	       c1.total, c1.free, c1.rsvd, c1.surp, c1.shmem);
	if (memcmp(&c0, &c1, sizeof(c0))) {
		printf("mirror_stress: FAIL: HugePages/Shmem counters not back to their start\n");
		show_leftovers();
		total.failures++;
	}
	print_summary("mirror_stress", &total);
	rc = total.failures ? 1 : 0;
	printf("mirror_stress: %s (seed %" PRIu64 ")\n", rc ? "FAIL" : "PASS",
	       cfg.seed);
	return rc;
}
