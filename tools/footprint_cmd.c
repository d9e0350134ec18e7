// SPDX-License-Identifier: MIT
/* mmr footprint [--json] PID...: print what tools/footprint.c measured. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "footprint.h"
#include "json.h"

static const char usage[] =
	"usage: mmr footprint [--json] [--views] PID...\n\n"
	"What shared memory really costs each process: for every shared object it\n"
	"maps (memfd, SysV, POSIX shm, hugetlbfs, shared anonymous; one per\n"
	"device+inode) the RSS the kernel counts (once per view), the bytes of\n"
	"distinct resident pages (unique), the number of views, the object's own\n"
	"size and resident size, and the kernel's PSS. With several PIDs, a\n"
	"combined report follows, where an object shared by them counts once.\n\n"
	"  --json    one JSON object (schema " MMR_JSON_SCHEMA ", see mmr(1))\n"
	"  --views   list every view of every object too\n"
	"  --help    this text\n\n"
	"Root sees page frame numbers and dedupes physical pages; other users get\n"
	"distinct pages by their offset in each object, which is the same for\n"
	"shared mappings, and object sizes only through the process's open fds.\n";

/* 1536 -> "1.5K": binary units, as ps and top print them. */
static const char *human(char *buf, size_t len, uint64_t v)
{
	static const char units[] = "BKMGTP";
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%lluB", (unsigned long long)v);
	else
		snprintf(buf, len, "%.1f%c", d, units[u]);
	return buf;
}

static const char *human_opt(char *buf, size_t len, int64_t v)
{
	if (v < 0)
		return "?";
	return human(buf, len, (uint64_t)v);
}

static const char *unique_method(const struct footprint *fp)
{
	return fp->by_pfn ? "pfn" : "offset";
}

/* Objects of the kinds whose memmirror backends keep a master mapping. */
static int has_master(const struct footprint *fp)
{
	for (size_t i = 0; i < fp->nobj; i++)
		if (fp->obj[i].kind == FP_SYSV || fp->obj[i].kind == FP_SHARED_ANON ||
		    (fp->obj[i].kind == FP_MEMFD &&
		     !strncmp(fp->obj[i].name, "/memfd:memmirror-native", 23)))
			return 1;
	return 0;
}

static void print_notes(const struct footprint *fp)
{
	if (fp->by_pfn)
		printf("unique: distinct physical pages, by frame number in /proc/PID/pagemap.\n");
	else
		printf("unique: distinct resident pages by their offset in each object (frame "
		       "numbers need\n  CAP_SYS_ADMIN; for shared mappings the offset names "
		       "the same page).\n");
	if (fp->total.unknown_size)
		printf("size/resident of %u object%s unknown (?): no open fd of the process "
		       "refers to it\n  and /proc/PID/map_files needs CAP_SYS_ADMIN.\n",
		       fp->total.unknown_size, fp->total.unknown_size > 1 ? "s are" : " is");
	printf("PSS leaves out hugetlb pages, as the kernel does; RSS here includes them.\n");
	printf("tables: the page tables that map each object's resident pages, in every "
	       "view: each\n  view of G GiB of 4 KiB pages costs about 2 MiB of them per "
	       "GiB.\n");
	if (has_master(fp))
		printf("views count every mapping of an object: memmirror's sysv, mremap and "
		       "native\n  backends also keep one mapping of the whole object (the "
		       "master that views are\n  made from), so a region with N views of "
		       "them shows N+1.\n");
}

static void print_text(const struct footprint *fp, const char *title, int views,
		       int combined)
{
	char b[8][24];
	const struct fp_total *t = &fp->total;

	printf("%s: %u shared object%s, %u view%s\n", title, t->objects,
	       t->objects == 1 ? "" : "s", t->views, t->views == 1 ? "" : "s");
	if (t->objects) {
		printf("%-11s %9s %5s %8s %8s %8s %8s %8s %8s %8s  %s\n", "kind", "inode",
		       "views", "mapped", "RSS", "unique", "size", "resident", "PSS", "tables",
		       "object");
		for (size_t i = 0; i < fp->nobj; i++) {
			const struct fp_object *o = &fp->obj[i];
			char kind[24];

			snprintf(kind, sizeof(kind), "%s%s", fp_kind_name(o->kind),
				 o->hugetlb ? (o->page_size >= (1u << 30) ? " 1G" : " 2M") : "");
			printf("%-11s %9llu %5u %8s %8s %8s %8s %8s %8s %8s  %s\n", kind,
			       (unsigned long long)o->inode, o->views, human(b[0], 24, o->mapped),
			       human(b[1], 24, o->rss), human(b[2], 24, o->unique),
			       human_opt(b[3], 24, o->size), human_opt(b[4], 24, o->resident),
			       o->pss_known ? human(b[5], 24, o->pss) : "-",
			       human(b[7], 24, o->page_tables), o->name);
			for (size_t k = 0; views && k < fp->nview; k++) {
				const struct fp_view *v = &fp->view[k];

				if (v->object != i)
					continue;
				printf("  view %llx-%llx %s offset %llu pid %d: RSS %s\n",
				       (unsigned long long)v->start, (unsigned long long)v->end,
				       v->perms, (unsigned long long)v->offset, (int)v->pid,
				       human(b[6], 24, v->rss));
			}
		}
		printf("%-11s %9s %5u %8s %8s %8s %8s %8s %8s %8s\n", "total", "", t->views,
		       human(b[0], 24, t->mapped), human(b[1], 24, t->rss),
		       human(b[2], 24, t->unique), human(b[3], 24, t->size),
		       human(b[4], 24, t->resident), human(b[5], 24, t->pss),
		       human(b[7], 24, t->page_tables));
		if (t->rss > t->unique)
			printf("RSS counts %s of shared memory that is resident only once: "
			       "%.1fx the %s it costs.\n", human(b[0], 24, t->rss - t->unique),
			       t->unique ? (double)t->rss / (double)t->unique : 0.0,
			       human(b[1], 24, t->unique));
	}
	printf("Whole process%s (every mapping): RSS %s, PSS %s, page tables (VmPTE) %s.\n",
	       combined ? "es" : "", human(b[0], 24, fp->process_rss),
	       human(b[1], 24, fp->process_pss), human(b[2], 24, fp->process_pte));
	print_notes(fp);
}

/* The members of one report, in the object the caller opened. */
static void json_report(struct json *j, const struct footprint *fp)
{
	const struct fp_total *t = &fp->total;

	json_string(j, "unique_method", unique_method(fp));
	/* Objects of kinds whose memmirror backends count a master mapping
	 * among the views (sysv, mremap, native): see print_notes(). */
	json_bool(j, "master_mappings", has_master(fp));
	json_object_begin(j, "process");
	json_uint(j, "rss", fp->process_rss);
	json_uint(j, "pss", fp->process_pss);
	json_uint(j, "page_tables", fp->process_pte);
	json_object_end(j);
	json_array_begin(j, "objects");
	for (size_t i = 0; i < fp->nobj; i++) {
		const struct fp_object *o = &fp->obj[i];
		char dev[24];

		snprintf(dev, sizeof(dev), "%x:%x", o->major, o->minor);
		json_object_begin(j, NULL);
		json_string(j, "name", o->name);
		json_string(j, "kind", fp_kind_name(o->kind));
		json_string(j, "dev", dev);
		json_uint(j, "inode", o->inode);
		json_uint(j, "page_size", o->page_size);
		json_bool(j, "hugetlb", o->hugetlb);
		json_uint(j, "views", o->views);
		json_uint(j, "mappings", o->mappings);
		json_uint(j, "mapped", o->mapped);
		json_uint(j, "rss", o->rss);
		json_uint(j, "unique", o->unique);
		json_uint(j, "page_tables", o->page_tables);
		if (o->pss_known)
			json_uint(j, "pss", o->pss);
		else
			json_null(j, "pss");
		json_uint(j, "swap", o->swap);
		if (o->size >= 0) {
			json_int(j, "size", o->size);
			json_int(j, "resident", o->resident);
		} else {
			json_null(j, "size");
			json_null(j, "resident");
		}
		json_string(j, "size_from", o->size_from);
		json_array_begin(j, "view_list");
		for (size_t k = 0; k < fp->nview; k++) {
			const struct fp_view *v = &fp->view[k];

			if (v->object != i)
				continue;
			json_object_begin(j, NULL);
			json_int(j, "pid", v->pid);
			json_uint(j, "start", v->start);
			json_uint(j, "end", v->end);
			json_uint(j, "offset", v->offset);
			json_string(j, "perms", v->perms);
			json_uint(j, "rss", v->rss);
			json_object_end(j);
		}
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_begin(j, "total");
	json_uint(j, "objects", t->objects);
	json_uint(j, "views", t->views);
	json_uint(j, "mapped", t->mapped);
	json_uint(j, "rss", t->rss);
	json_uint(j, "unique", t->unique);
	json_uint(j, "page_tables", t->page_tables);
	json_uint(j, "pss", t->pss);
	json_uint(j, "size", t->size);
	json_uint(j, "resident", t->resident);
	json_uint(j, "unknown_size", t->unknown_size);
	json_object_end(j);
}

static int seen(const pid_t *pids, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

static int parse_pid(const char *arg, pid_t *pid)
{
	int v;

	if (cli_int("footprint", "PID", arg, 1, 0x3fffffff, &v))
		return -1;
	*pid = v;
	return 0;
}

int mmr_cmd_footprint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "views", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, json = 0, views = 0, failed = 0, npids, ret;
	struct footprint all;
	struct json j;
	pid_t *pids;
	char err[512];

	cli_begin("footprint", argc, argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'v':
			views = 1;
			break;
		case 'h':
			return cli_help(usage);
		default:
			return cli_bad_option("footprint");
		}
	}
	npids = argc - optind;
	if (npids < 1)
		return cli_usage_error("footprint", "which process? (a PID)");
	pids = calloc((size_t)npids, sizeof(*pids));
	if (!pids) {
		fprintf(stderr, "mmr footprint: out of memory\n");
		return 1;
	}
	for (int i = 0, n = npids; i < n; i++) {
		pid_t pid;

		if (parse_pid(argv[optind + i], &pid)) {
			free(pids);
			return CLI_EXIT_USAGE;
		}
		if (seen(pids, i - (n - npids), pid))
			npids--;	/* a process counts once, however often named */
		else
			pids[i - (n - npids)] = pid;
	}
	if (json) {
		json_doc_begin(&j, stdout, "footprint");
		json_array_begin(&j, "processes");
	}
	fp_init(&all);
	for (int i = 0; i < npids; i++) {
		struct footprint fp;
		char title[64];

		fp_init(&fp);
		ret = fp_scan(&fp, pids[i], NULL, err, sizeof(err));
		if (!ret && npids > 1)
			ret = fp_scan(&all, pids[i], NULL, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "mmr footprint: %s\n", err);
			failed = 1;
			fp_free(&fp);
			if (json) {
				json_object_begin(&j, NULL);
				json_int(&j, "pid", pids[i]);
				json_errno(&j, "error", ret);
				json_string(&j, "message", err);
				json_object_end(&j);
			}
			continue;
		}
		fp_finish(&fp, NULL);
		snprintf(title, sizeof(title), "PID %d", (int)pids[i]);
		if (json) {
			json_object_begin(&j, NULL);
			json_int(&j, "pid", pids[i]);
			json_null(&j, "error");
			json_report(&j, &fp);
			json_object_end(&j);
		} else {
			print_text(&fp, title, views, 0);
			putchar('\n');
		}
		fp_free(&fp);
	}
	fp_finish(&all, NULL);
	if (json) {
		json_array_end(&j);
		if (npids > 1) {
			json_object_begin(&j, "combined");
			json_report(&j, &all);
			json_object_end(&j);
		} else {
			json_null(&j, "combined");
		}
		json_doc_end(&j);
	} else if (npids > 1) {
		print_text(&all, "All these processes together", views, 1);
	}
	fp_free(&all);
	free(pids);
	return failed;
}
