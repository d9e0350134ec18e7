// SPDX-License-Identifier: MIT
/* mmr probe: what works on this machine, why the rest does not, and what
 * to do about it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmirror.h"
#include "cli.h"
#include "commands.h"
#include "json.h"

static const char usage[] =
	"usage: mmr probe [--json]\n\n"
	"Print which mirroring backends work on this machine (and why the others\n"
	"do not), kernel support, huge page pools and hugetlbfs mounts.\n\n"
	"  --json   one JSON object (schema " MMR_JSON_SCHEMA ", see mmr(1))\n"
	"  --help   this text\n";

struct pool {
	const char *name, *key;
	size_t page_size;
	long total, free_pages;
};

/* Pages of each size are reserved in their own file: writing
 * /proc/sys/vm/nr_hugepages only reserves pages of the default size. */
static void pool_path(const struct pool *p, char *buf, size_t len)
{
	snprintf(buf, len, "/sys/kernel/mm/hugepages/hugepages-%zukB/nr_hugepages",
		 p->page_size >> 10);
}

static void pools(const struct mmr_probe_report *rep, struct pool out[2])
{
	out[0] = (struct pool){ "2 MiB hugetlb pool", "huge_2m", 2u << 20,
				rep->huge_2m_total, rep->huge_2m_free };
	out[1] = (struct pool){ "1 GiB hugetlb pool", "huge_1g", 1u << 30,
				rep->huge_1g_total, rep->huge_1g_free };
}

/* What regions without an explicit backend use: $MMR_BACKEND overrides
 * AUTO's choice, and a name that is no backend makes every one fail. */
struct choice {
	const char *env;	/* MMR_BACKEND, NULL if unset or empty */
	int backend;		/* what they get; -1: the name is no backend */
	int works;		/* that backend works here */
};

static void choose(const struct mmr_probe_report *rep, struct choice *c)
{
	c->env = getenv("MMR_BACKEND");
	if (c->env && !*c->env)
		c->env = NULL;
	c->backend = c->env ? mmr_backend_from_name(c->env) : MMR_BACKEND_AUTO;
	if (c->backend == MMR_BACKEND_AUTO)
		c->backend = rep->best;
	c->works = c->backend > 0 && c->backend < MMR_BACKEND_COUNT &&
		   rep->backend[c->backend].available;
}

static void print_choice(const struct mmr_probe_report *rep, const struct choice *c)
{
	char names[128] = "";

	if (!c->env) {
		printf("Backends (AUTO picks %s):\n", mmr_backend_name(rep->best));
		return;
	}
	if (c->backend < 0) {
		for (int b = 1; b < MMR_BACKEND_COUNT; b++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 b > 1 ? ", " : "", mmr_backend_name(b));
		printf("MMR_BACKEND=%s is not a backend: every region created without one "
		       "fails.\n  Unset it, or set it to auto or one of: %s.\n\n", c->env,
		       names);
		printf("Backends (without MMR_BACKEND, AUTO would pick %s):\n",
		       mmr_backend_name(rep->best));
		return;
	}
	printf("Backends (MMR_BACKEND=%s: regions use %s%s; AUTO alone would pick %s):\n",
	       c->env, mmr_backend_name(c->backend),
	       c->works ? "" : ", which does NOT work here", mmr_backend_name(rep->best));
}

static const char *yesno(int v)
{
	return v ? "yes" : "no";
}

static void print_text(const struct mmr_probe_report *rep)
{
	struct pool pl[2];
	struct choice c;
	char path[128];

	printf("memmirror %s on Linux %s, base page %zu bytes\n\n", MMR_VERSION_STRING,
	       rep->kernel, rep->base_page_size);
	choose(rep, &c);
	print_choice(rep, &c);
	for (int b = 1; b < MMR_BACKEND_COUNT; b++) {
		const struct mmr_backend_status *st = &rep->backend[b];

		printf("  %-10s %s%s%s\n", mmr_backend_name(b), st->available ? "works" : "no",
		       st->available ? "" : ": ", st->available ? "" : st->why);
	}
	printf("\nKernel mirroring (MREMAP_MIRROR): %s, MREMAP_POPULATE: %s, hugetlb: %s\n",
	       yesno(rep->native_mirror), yesno(rep->native_populate),
	       yesno(rep->native_hugetlb));
	printf("\nHuge pages:\n");
	pools(rep, pl);
	for (int i = 0; i < 2; i++) {
		pool_path(&pl[i], path, sizeof(path));
		if (pl[i].total < 0)
			printf("  %-22s not supported by this kernel/CPU\n", pl[i].name);
		else if (pl[i].total)
			printf("  %-22s %ld reserved, %ld free\n", pl[i].name, pl[i].total,
			       pl[i].free_pages);
		else
			printf("  %-22s none reserved (as root: echo N > %s)\n", pl[i].name,
			       path);
	}
	printf("  %-22s 2 MiB: %s, 1 GiB: %s\n", "hugetlbfs mounted",
	       yesno(rep->hugetlbfs_2m_mounted), yesno(rep->hugetlbfs_1g_mounted));
	printf("  %-22s %s\n", "shmem THP mode", rep->thp_shmem);
}

static void print_json(const struct mmr_probe_report *rep)
{
	struct choice c;
	struct pool pl[2];
	struct json j;
	char path[128];

	json_doc_begin(&j, stdout, "probe");
	json_uint(&j, "base_page_size", rep->base_page_size);
	json_string(&j, "best", mmr_backend_name(rep->best));
	choose(rep, &c);
	/* What regions without an explicit backend get: MMR_BACKEND's choice;
	 * null with env_backend set: the name is no backend, they all fail. */
	json_string(&j, "env_backend", c.env);
	json_string(&j, "default", c.backend < 0 ? NULL : mmr_backend_name(c.backend));
	json_bool(&j, "default_works", c.works);
	json_object_begin(&j, "backends");
	for (int b = 1; b < MMR_BACKEND_COUNT; b++) {
		const struct mmr_backend_status *st = &rep->backend[b];

		json_object_begin(&j, mmr_backend_name(b));
		json_bool(&j, "available", st->available);
		json_errno(&j, "error", st->available ? 0 : st->error);
		json_string(&j, "why", st->available || !st->why[0] ? NULL : st->why);
		json_object_end(&j);
	}
	json_object_end(&j);
	json_bool(&j, "native_mirror", rep->native_mirror);
	json_bool(&j, "native_populate", rep->native_populate);
	json_bool(&j, "native_hugetlb", rep->native_hugetlb);
	pools(rep, pl);
	for (int i = 0; i < 2; i++) {
		pool_path(&pl[i], path, sizeof(path));
		json_object_begin(&j, pl[i].key);
		json_uint(&j, "page_size", pl[i].page_size);
		if (pl[i].total < 0) {
			json_null(&j, "total");
			json_null(&j, "free");
			json_null(&j, "nr_hugepages_path");
		} else {
			json_int(&j, "total", pl[i].total);
			json_int(&j, "free", pl[i].free_pages);
			json_string(&j, "nr_hugepages_path", path);
		}
		json_object_end(&j);
	}
	json_bool(&j, "hugetlbfs_2m_mounted", rep->hugetlbfs_2m_mounted);
	json_bool(&j, "hugetlbfs_1g_mounted", rep->hugetlbfs_1g_mounted);
	json_string(&j, "thp_shmem", rep->thp_shmem[0] ? rep->thp_shmem : NULL);
	json_doc_end(&j);
}

int mmr_cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct mmr_probe_report rep;
	int c, json = 0;

	cli_begin("probe", argc, argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help(usage);
		default:
			return cli_bad_option("probe");
		}
	}
	if (cli_no_operands("probe", argc, argv))
		return CLI_EXIT_USAGE;
	if (mmr_probe(&rep)) {
		fprintf(stderr, "mmr probe: %s\n", mmr_last_error());
		return 1;
	}
	if (json)
		print_json(&rep);
	else
		print_text(&rep);
	return 0;
}
