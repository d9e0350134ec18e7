/* SPDX-License-Identifier: MIT */
/*
 * What shared memory really costs a process (`mmr footprint`): for every
 * shared object it maps (memfd, SysV segment, POSIX shm, hugetlbfs file,
 * shared anonymous memory, other shared files; one object per
 * device+inode) the kernel's RSS and PSS summed over its mappings, the
 * bytes of distinct pages resident (each page once however many views map
 * it), the number of views, and the object's own size and resident size.
 *
 * Distinct pages are found in /proc/PID/pagemap: by page frame number when
 * the kernel shows them (CAP_SYS_ADMIN), else by the page's offset in its
 * object, which is the same page for every shared mapping of that object.
 * Huge pages count in their own size.
 */
#ifndef MMR_TOOL_FOOTPRINT_H
#define MMR_TOOL_FOOTPRINT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum fp_kind {
	FP_MEMFD, FP_SYSV, FP_POSIX, FP_HUGETLBFS, FP_SHARED_ANON, FP_FILE, FP_KIND_COUNT
};

struct fp_view {
	pid_t pid;
	uint64_t start, end, offset;	/* offset: bytes into the object */
	char perms[5];
	uint64_t rss, pss, swap;	/* rss includes hugetlb pages */
	size_t object;			/* index in footprint.obj */
};

/* One resident page seen through a view: its frame and its page index. */
struct fp_page {
	uint64_t pfn, index;
};

/* A last-level page table of process @pid: the one that maps virtual
 * address table << fp_object.table_shift. */
struct fp_table {
	uint64_t pid, table;
};

struct fp_object {
	unsigned major, minor;
	uint64_t inode;
	char name[256];		/* path in maps, without " (deleted)"; cut at a
				 * UTF-8 character boundary if longer */
	enum fp_kind kind;
	size_t page_size;	/* the kernel's page size for its mappings */
	int hugetlb;
	unsigned mappings, views;	/* VMAs; views: contiguous runs of them */
	uint64_t mapped, rss, pss, swap;
	int pss_known;		/* the kernel computes no PSS for hugetlb */
	uint64_t unique;	/* bytes of distinct resident pages */
	/* Bytes of the last-level page tables its resident pages are mapped
	 * through, in every view: one base page per table (a table that also
	 * maps a neighbouring object counts for both). */
	uint64_t page_tables;
	unsigned table_shift;	/* a table maps 1 << table_shift bytes */
	int64_t size, resident;	/* the object's own; -1 unknown */
	const char *size_from;	/* "fd", "map_files", "sysvipc" or NULL */
	pid_t pid;		/* the first process seen mapping it */
	uint64_t vma_start, vma_end;	/* its first mapping, for map_files */
	struct fp_page *pages;	/* while scanning */
	size_t npages, cap;
	struct fp_table *tables;	/* while scanning */
	size_t ntables, tcap;
};

struct fp_total {
	uint64_t mapped, rss, pss, unique, size, resident, page_tables;
	unsigned objects, views, mappings, unknown_size;
};

struct footprint {
	struct fp_object *obj;
	size_t nobj, objcap;
	struct fp_view *view;
	size_t nview, viewcap;
	/* Mappings with resident pages: only those are read in pagemap (a
	 * heap's reserved views can span terabytes of nothing). */
	struct fp_view *resident;
	size_t nresident, residentcap;
	uint64_t process_rss, process_pss;	/* every mapping, as top shows */
	uint64_t process_pte;	/* VmPTE: all the page tables of the processes */
	pid_t *pids;		/* scanned, each once */
	size_t npids, pidcap;
	int by_pfn;		/* distinct pages told by frame number */
	int pfn_hidden;		/* a present page showed no frame number */
	struct fp_total total;
	size_t base_page;
};

struct fp_options {
	int by_offset;		/* never use frame numbers (tests) */
	/* Called between reading the maps and the page tables (tests). */
	void (*after_maps)(void *arg);
	void *arg;
};

void fp_init(struct footprint *fp);
/* Add process @pid to @fp (several calls merge objects by device+inode;
 * a process already added is not added again).
 * 0, or -errno with a message saying what failed and what to do in @err. */
int fp_scan(struct footprint *fp, pid_t pid, const struct fp_options *opt, char *err,
	    size_t errlen);
/* Count distinct pages and totals once every process was scanned. */
void fp_finish(struct footprint *fp, const struct fp_options *opt);
void fp_free(struct footprint *fp);

const char *fp_kind_name(enum fp_kind k);

#endif
