// SPDX-License-Identifier: MIT
/* Reading a process's shared memory footprint from /proc (see footprint.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "footprint.h"
#include "json.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define PM_CHUNK	4096	/* pagemap entries read at once */

static const char *const kind_names[FP_KIND_COUNT] = {
	"memfd", "sysv", "posix", "hugetlbfs", "shared_anon", "file",
};

const char *fp_kind_name(enum fp_kind k)
{
	return k < FP_KIND_COUNT ? kind_names[k] : "?";
}

void fp_init(struct footprint *fp)
{
	memset(fp, 0, sizeof(*fp));
	fp->base_page = (size_t)sysconf(_SC_PAGESIZE);
}

void fp_free(struct footprint *fp)
{
	for (size_t i = 0; i < fp->nobj; i++) {
		free(fp->obj[i].pages);
		free(fp->obj[i].tables);
	}
	free(fp->obj);
	free(fp->pids);
	free(fp->view);
	free(fp->resident);
	memset(fp, 0, sizeof(*fp));
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Say why a /proc file of @pid could not be used; returns -errno. */
static int proc_error(pid_t pid, const char *file, int err, char *msg, size_t len)
{
	if (err == ENOENT || err == ESRCH)
		snprintf(msg, len, "process %d: no such process (it exited?)", (int)pid);
	else if (err == EACCES || err == EPERM)
		snprintf(msg, len, "process %d: cannot read /proc/%d/%s: %s: it belongs to "
			 "another user; run as root or as its owner", (int)pid, (int)pid, file,
			 strerror(err));
	else
		snprintf(msg, len, "process %d: cannot read /proc/%d/%s: %s", (int)pid,
			 (int)pid, file, strerror(err));
	return err == ENOENT ? -ESRCH : -err;
}

static enum fp_kind classify(const char *name, int hugetlb)
{
	if (!strncmp(name, "/memfd:", 7))
		return FP_MEMFD;
	if (!strncmp(name, "/SYSV", 5))
		return FP_SYSV;
	if (!strcmp(name, "/dev/zero") || !strcmp(name, "/anon_hugepage") ||
	    !strncmp(name, "[anon_shmem", 11))
		return FP_SHARED_ANON;
	if (!strncmp(name, "/dev/shm/", 9))
		return FP_POSIX;
	return hugetlb ? FP_HUGETLBFS : FP_FILE;
}

struct mapping {
	uint64_t start, end, offset, inode;
	unsigned major, minor;
	char perms[5];
	char name[256];
	uint64_t rss, pss, swap, kernel_page;
};

static struct fp_object *find_object(struct footprint *fp, const struct mapping *m)
{
	for (size_t i = 0; i < fp->nobj; i++) {
		struct fp_object *o = &fp->obj[i];

		if (o->inode == m->inode && o->major == m->major && o->minor == m->minor)
			return o;
	}
	return NULL;
}

/* log2 of the bytes one page table maps: a table is one base page of
 * 8-byte entries, each mapping a page of @page_size (x86-64: 2 MiB for
 * 4 KiB pages, 1 GiB for 2 MiB pages). */
static unsigned table_shift(size_t page_size, size_t base_page)
{
	unsigned shift = 0;

	while (((size_t)1 << shift) < page_size)
		shift++;
	for (size_t n = base_page / 8; n > 1; n >>= 1)
		shift++;
	return shift;
}

/* A shared mapping joins its object, and its view if it continues one. */
static int add_shared(struct footprint *fp, pid_t pid, const struct mapping *m)
{
	struct fp_object *o = find_object(fp, m);
	struct fp_view *last = fp->nview ? &fp->view[fp->nview - 1] : NULL;
	uint64_t len = m->end - m->start;
	size_t idx;

	if (!o) {
		if (grow((void **)&fp->obj, &fp->objcap, fp->nobj, sizeof(*fp->obj)))
			return -ENOMEM;
		o = &fp->obj[fp->nobj++];
		memset(o, 0, sizeof(*o));
		o->major = m->major;
		o->minor = m->minor;
		o->inode = m->inode;
		snprintf(o->name, sizeof(o->name), "%s", m->name);
		o->page_size = m->kernel_page ? m->kernel_page : fp->base_page;
		o->hugetlb = o->page_size > fp->base_page;
		o->table_shift = table_shift(o->page_size, fp->base_page);
		o->kind = classify(o->name, o->hugetlb);
		o->pss_known = !o->hugetlb;
		o->size = o->resident = -1;
		o->pid = pid;
		o->vma_start = m->start;
		o->vma_end = m->end;
	}
	idx = (size_t)(o - fp->obj);
	if (m->rss) {
		if (grow((void **)&fp->resident, &fp->residentcap, fp->nresident,
			 sizeof(*fp->resident)))
			return -ENOMEM;
		fp->resident[fp->nresident++] = (struct fp_view){
			.pid = pid, .start = m->start, .end = m->end, .offset = m->offset,
			.object = idx,
		};
	}
	o->mappings++;
	o->mapped += len;
	o->rss += m->rss;
	o->pss += m->pss;
	o->swap += m->swap;
	if (last && last->pid == pid && last->object == idx && last->end == m->start &&
	    last->offset + (last->end - last->start) == m->offset) {
		last->end = m->end;
		last->rss += m->rss;
		last->pss += m->pss;
		last->swap += m->swap;
		return 0;
	}
	if (grow((void **)&fp->view, &fp->viewcap, fp->nview, sizeof(*fp->view)))
		return -ENOMEM;
	fp->view[fp->nview++] = (struct fp_view){
		.pid = pid, .start = m->start, .end = m->end, .offset = m->offset,
		.rss = m->rss, .pss = m->pss, .swap = m->swap, .object = idx,
	};
	memcpy(fp->view[fp->nview - 1].perms, m->perms, sizeof(m->perms));
	o->views++;
	return 0;
}

/* A header line of smaps: "start-end perms offset major:minor inode path". */
static int parse_header(const char *line, struct mapping *m)
{
	unsigned long long start, end, off, ino;
	int n = 0;
	const char *p;
	size_t len;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, m->perms, &off,
		   &m->major, &m->minor, &ino, &n) != 7 || !n)
		return 0;
	m->start = start;
	m->end = end;
	m->offset = off;
	m->inode = ino;
	p = line + n;
	len = strcspn(p, "\n");
	if (len > 10 && !strncmp(p + len - 10, " (deleted)", 10))
		len -= 10;
	if (len >= sizeof(m->name))	/* never half a character */
		len = json_utf8_cut(p, sizeof(m->name) - 1);
	memcpy(m->name, p, len);
	m->name[len] = 0;
	m->rss = m->pss = m->swap = m->kernel_page = 0;
	return 1;
}

static void parse_field(const char *line, struct mapping *m)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "Rss:", offsetof(struct mapping, rss) },
		{ "Pss:", offsetof(struct mapping, pss) },
		{ "Swap:", offsetof(struct mapping, swap) },
		{ "KernelPageSize:", offsetof(struct mapping, kernel_page) },
		{ "Shared_Hugetlb:", offsetof(struct mapping, rss) },	/* hugetlb is */
		{ "Private_Hugetlb:", offsetof(struct mapping, rss) },	/* not in Rss */
	};
	unsigned long long kb;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t kl = strlen(keys[i].key);

		if (strncmp(line, keys[i].key, kl) || sscanf(line + kl, "%llu", &kb) != 1)
			continue;
		*(uint64_t *)((char *)m + keys[i].off) += kb << 10;
		return;
	}
}

static int finish_mapping(struct footprint *fp, pid_t pid, const struct mapping *m)
{
	fp->process_rss += m->rss;
	fp->process_pss += m->pss;
	if (m->perms[3] != 's' || !m->inode)
		return 0;
	return add_shared(fp, pid, m);
}

/* Lines are read whole (getline): a path of any length is one line, and
 * what follows in it is never taken for a field. */
static int read_smaps(struct footprint *fp, pid_t pid, char *err, size_t errlen)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	struct mapping m;
	int have = 0, ret = 0, any = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return proc_error(pid, "smaps", errno, err, errlen);
	errno = 0;
	while (!ret && getline(&line, &cap, f) > 0) {
		struct mapping next;

		if (parse_header(line, &next)) {
			if (have)
				ret = finish_mapping(fp, pid, &m);
			m = next;
			have = any = 1;
		} else if (have) {
			parse_field(line, &m);
		}
	}
	if (!ret && ferror(f))
		ret = proc_error(pid, "smaps", errno ? errno : EIO, err, errlen);
	else if (!ret && have)
		ret = finish_mapping(fp, pid, &m);
	free(line);
	fclose(f);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "process %d: out of memory", (int)pid);
	if (!ret && !any) {
		snprintf(err, errlen, "process %d has no memory mappings: it exited, or it "
			 "is a kernel thread", (int)pid);
		ret = -ESRCH;
	}
	return ret;
}

static int add_page(struct fp_object *o, uint64_t pfn, uint64_t index)
{
	if (grow((void **)&o->pages, &o->cap, o->npages, sizeof(*o->pages)))
		return -ENOMEM;
	o->pages[o->npages++] = (struct fp_page){ pfn, index };
	return 0;
}

/* The page table that maps @addr in @pid, once per run of pages. */
static int add_table(struct fp_object *o, pid_t pid, uint64_t addr)
{
	struct fp_table t = { (uint64_t)pid, addr >> o->table_shift };
	struct fp_table *last = o->ntables ? &o->tables[o->ntables - 1] : NULL;

	if (last && last->pid == t.pid && last->table == t.table)
		return 0;
	if (grow((void **)&o->tables, &o->tcap, o->ntables, sizeof(*o->tables)))
		return -ENOMEM;
	o->tables[o->ntables++] = t;
	return 0;
}

/* Read @n pagemap entries from virtual page @vpage; 0 entries: exited. */
static int read_entries(int fd, uint64_t vpage, uint64_t *buf, size_t n)
{
	ssize_t got = pread(fd, buf, n * sizeof(*buf), (off_t)(vpage * sizeof(*buf)));

	if (got < 0)
		return -errno;
	if ((size_t)got < n * sizeof(*buf))
		return -ESRCH;	/* the address space went away under us */
	return 0;
}

/* Record every resident page of mapping @v: its frame and its page in the
 * object. */
static int scan_view(struct footprint *fp, int fd, const struct fp_view *v)
{
	struct fp_object *o = &fp->obj[v->object];
	uint64_t step = o->page_size / fp->base_page, buf[PM_CHUNK];
	uint64_t first = v->start / fp->base_page, last = v->end / fp->base_page;
	int ret;

	for (uint64_t vp = first; vp < last;) {
		/* Huge pages: the entry of each one's first base page says it all. */
		size_t n = step > 1 ? 1 : (size_t)(last - vp < PM_CHUNK ? last - vp : PM_CHUNK);

		ret = read_entries(fd, vp, buf, n);
		if (ret)
			return ret;
		for (size_t i = 0; i < n; i++) {
			uint64_t e = buf[i], at = (vp + i) * fp->base_page - v->start;

			if (!(e & PM_PRESENT))
				continue;
			if (!(e & PM_PFN_MASK))
				fp->pfn_hidden = 1;
			ret = add_page(o, e & PM_PFN_MASK, (v->offset + at) / o->page_size);
			if (!ret)
				ret = add_table(o, v->pid, v->start + at);
			if (ret)
				return ret;
		}
		vp += step > 1 ? step : n;
	}
	return 0;
}

static int read_pagemap(struct footprint *fp, pid_t pid, size_t from, char *err,
			size_t errlen)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return proc_error(pid, "pagemap", errno, err, errlen);
	for (size_t i = from; i < fp->nresident && !ret; i++)
		ret = scan_view(fp, fd, &fp->resident[i]);
	close(fd);
	if (ret == -ESRCH)
		snprintf(err, errlen, "process %d exited while it was being read", (int)pid);
	else if (ret == -ENOMEM)
		snprintf(err, errlen, "process %d: out of memory", (int)pid);
	else if (ret)
		proc_error(pid, "pagemap", -ret, err, errlen);
	return ret;
}

static void set_size(struct fp_object *o, const struct stat *st, const char *from)
{
	o->size = (int64_t)st->st_size;
	o->resident = (int64_t)st->st_blocks * 512;	/* hugetlbfs counts them too */
	o->size_from = from;
}

static int same_inode(const struct fp_object *o, const struct stat *st)
{
	return (uint64_t)st->st_ino == o->inode && major(st->st_dev) == o->major &&
	       minor(st->st_dev) == o->minor;
}

/* SysV segments: /proc/sysvipc/shm has the size and resident size of each,
 * the shmid being the inode number in maps. */
static void sysv_sizes(struct footprint *fp)
{
	unsigned long long id, size, rss, swap;
	char line[512];
	FILE *f = fopen("/proc/sysvipc/shm", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %llu %*s %llu %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
			   "%llu %llu", &id, &size, &rss, &swap) != 4)
			continue;
		for (size_t i = 0; i < fp->nobj; i++) {
			struct fp_object *o = &fp->obj[i];

			if (o->kind != FP_SYSV || o->inode != id || o->size >= 0)
				continue;
			o->size = (int64_t)size;
			o->resident = (int64_t)rss;
			o->size_from = "sysvipc";
		}
	}
	fclose(f);
}

/* The object's own size, from the process's side: map_files (root), else
 * an fd of the process that refers to it. */
static void object_sizes(struct footprint *fp, pid_t pid)
{
	char path[96];
	struct stat st;
	struct dirent *e;
	int missing = 0;
	DIR *d;

	sysv_sizes(fp);
	for (size_t i = 0; i < fp->nobj; i++) {
		struct fp_object *o = &fp->obj[i];

		if (o->size >= 0 || o->pid != pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)pid,
			 (unsigned long long)o->vma_start, (unsigned long long)o->vma_end);
		if (!stat(path, &st) && same_inode(o, &st))
			set_size(o, &st, "map_files");
		else
			missing = 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = missing ? opendir(path) : NULL;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%.20s", (int)pid, e->d_name);
		if (stat(path, &st))
			continue;
		for (size_t i = 0; i < fp->nobj; i++)
			if (fp->obj[i].size < 0 && same_inode(&fp->obj[i], &st))
				set_size(&fp->obj[i], &st, "fd");
	}
	if (d)
		closedir(d);
}

/* VmPTE of /proc/PID/status in bytes: every page table of the process. */
static uint64_t vm_pte(pid_t pid)
{
	unsigned long long kb = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %llu", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb << 10;
}

int fp_scan(struct footprint *fp, pid_t pid, const struct fp_options *opt, char *err,
	    size_t errlen)
{
	size_t from = fp->nresident;
	int ret;

	err[0] = 0;
	if (pid <= 0) {
		snprintf(err, errlen, "%d is not a process id", (int)pid);
		return -EINVAL;
	}
	for (size_t i = 0; i < fp->npids; i++)
		if (fp->pids[i] == pid)
			return 0;	/* counted already: once is right */
	if (grow((void **)&fp->pids, &fp->pidcap, fp->npids, sizeof(*fp->pids))) {
		snprintf(err, errlen, "process %d: out of memory", (int)pid);
		return -ENOMEM;
	}
	ret = read_smaps(fp, pid, err, errlen);
	if (ret)
		return ret;
	if (opt && opt->after_maps)
		opt->after_maps(opt->arg);
	ret = read_pagemap(fp, pid, from, err, errlen);
	if (ret)
		return ret;
	object_sizes(fp, pid);
	fp->process_pte += vm_pte(pid);
	fp->pids[fp->npids++] = pid;
	return 0;
}

static int has_cap_sys_admin(void)
{
	unsigned long long caps = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return !!(caps & (1ULL << 21));	/* CAP_SYS_ADMIN */
}

static int cmp_pfn(const void *a, const void *b)
{
	uint64_t x = ((const struct fp_page *)a)->pfn, y = ((const struct fp_page *)b)->pfn;

	return (x > y) - (x < y);
}

static int cmp_table(const void *a, const void *b)
{
	const struct fp_table *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return (x->table > y->table) - (x->table < y->table);
}

/* Distinct page tables, each a base page. */
static uint64_t count_tables(struct fp_object *o, size_t base_page)
{
	size_t distinct = 0;

	if (o->ntables)
		qsort(o->tables, o->ntables, sizeof(*o->tables), cmp_table);
	for (size_t k = 0; k < o->ntables; k++)
		distinct += !k || cmp_table(&o->tables[k], &o->tables[k - 1]);
	free(o->tables);
	o->tables = NULL;
	o->ntables = o->tcap = 0;
	return (uint64_t)distinct * base_page;
}

static int cmp_index(const void *a, const void *b)
{
	uint64_t x = ((const struct fp_page *)a)->index;
	uint64_t y = ((const struct fp_page *)b)->index;

	return (x > y) - (x < y);
}

void fp_finish(struct footprint *fp, const struct fp_options *opt)
{
	struct fp_total *t = &fp->total;

	fp->by_pfn = !(opt && opt->by_offset) && !fp->pfn_hidden && has_cap_sys_admin();
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < fp->nobj; i++) {
		struct fp_object *o = &fp->obj[i];
		size_t distinct = 0;

		if (o->npages)	/* qsort(NULL, 0) is undefined */
			qsort(o->pages, o->npages, sizeof(*o->pages),
			      fp->by_pfn ? cmp_pfn : cmp_index);
		for (size_t k = 0; k < o->npages; k++)
			distinct += !k || (fp->by_pfn ? o->pages[k].pfn != o->pages[k - 1].pfn :
					   o->pages[k].index != o->pages[k - 1].index);
		o->unique = (uint64_t)distinct * o->page_size;
		free(o->pages);
		o->pages = NULL;
		o->npages = o->cap = 0;
		o->page_tables = count_tables(o, fp->base_page);

		t->objects++;
		t->views += o->views;
		t->mappings += o->mappings;
		t->mapped += o->mapped;
		t->rss += o->rss;
		t->pss += o->pss_known ? o->pss : 0;
		t->unique += o->unique;
		t->page_tables += o->page_tables;
		if (o->size < 0) {
			t->unknown_size++;
		} else {
			t->size += (uint64_t)o->size;
			t->resident += (uint64_t)o->resident;
		}
	}
}
