// SPDX-License-Identifier: MIT
/*
 * The mmr command line, run as a user runs it: usage errors exit 2 with a
 * message, --help everywhere, a write error on stdout exits 1, JSON that
 * parses (checked by Debian's python3) with the shared schema, and mmr
 * footprint's numbers and errors. Runs the mmr built next to the tests.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "helpers.h"

#define PYTHON "/usr/bin/python3"
#define MiB (1UL << 20)

static char mmr[4096];
static char out_path[64], err_path[64];
static char out[1 << 16], err[1 << 13];

/* build/tests/cli -> build/mmr */
static int find_mmr(void)
{
	ssize_t n = readlink("/proc/self/exe", mmr, sizeof(mmr) - 16);
	char *slash;

	if (n <= 0)
		return -1;
	mmr[n] = 0;
	slash = strrchr(mmr, '/');
	if (!slash)
		return -1;
	*slash = 0;
	slash = strrchr(mmr, '/');
	if (!slash)
		return -1;
	strcpy(slash, "/mmr");
	return access(mmr, X_OK);
}

#define NEED_MMR() do {							\
	if (find_mmr())							\
		SKIP("no mmr next to the tests (%s): build it with make", mmr);	\
} while (0)

static void slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/* Run @prog with @argv, stdout to @stdout_to (NULL: captured in out[]),
 * stderr captured in err[], as @uid if >= 0. The exit status, 128+signal. */
static int run_as(const char *stdout_to, int uid, const char *prog, char *const argv[])
{
	int status, fd;
	pid_t pid;

	snprintf(out_path, sizeof(out_path), "/tmp/mmr-cli-out-XXXXXX");
	snprintf(err_path, sizeof(err_path), "/tmp/mmr-cli-err-XXXXXX");
	fd = mkstemp(out_path);
	if (fd >= 0)
		close(fd);
	fd = mkstemp(err_path);
	if (fd >= 0)
		close(fd);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int o = open(stdout_to ? stdout_to : out_path, O_WRONLY | O_CLOEXEC);
		int e = open(err_path, O_WRONLY | O_CLOEXEC);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		if (uid >= 0 && (setgid((gid_t)uid) || setuid((uid_t)uid)))
			_exit(126);
		execv(prog, argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	slurp(out_path, out, sizeof(out));
	slurp(err_path, err, sizeof(err));
	unlink(out_path);
	unlink(err_path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define MAX_ARGS 16

/* mmr with a NULL-terminated list of arguments. */
static int run_mmr(const char *stdout_to, int uid, const char *arg, ...)
{
	char *argv[MAX_ARGS] = { mmr };
	int n = 1;
	va_list ap;

	va_start(ap, arg);
	for (; arg && n < MAX_ARGS - 1; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	va_end(ap);
	return run_as(stdout_to, uid, mmr, argv);
}

#define MMR(...) run_mmr(NULL, -1, __VA_ARGS__, (const char *)NULL)

#define CHECK_RUN(expect, ...) do {					\
	int _rc = MMR(__VA_ARGS__);					\
	if (_rc != (expect)) {						\
		snprintf(t_msg, sizeof(t_msg), "%s:%d: mmr %s: exit %d, "	\
			 "expected %d; stderr: %.200s", __FILE__, __LINE__,	\
			 #__VA_ARGS__, _rc, expect, err);		\
		return T_FAIL;						\
	}								\
} while (0)

/* Exit 2, nothing on stdout, a message and the --help hint on stderr. */
#define CHECK_USAGE(...) do {						\
	CHECK_RUN(2, __VA_ARGS__);					\
	CHECK(!out[0]);							\
	CHECK(strstr(err, "mmr") && strstr(err, "--help"));		\
} while (0)

static int usage_errors(void)
{
	NEED_MMR();
	CHECK_USAGE("probe", "--bogus");
	CHECK_USAGE("probe", "stray");
	CHECK_USAGE("probe", "--json=yes");
	CHECK_USAGE("demo", "--bogus");
	CHECK_USAGE("demo", "now");
	CHECK_USAGE("version", "--bogus");
	CHECK_USAGE("nosuchcommand");
	CHECK_USAGE("--bogus");
	CHECK_USAGE("bench");
	CHECK_USAGE("bench", "nosuch");
	CHECK_USAGE("bench", "setup", "--bogus");
	CHECK_USAGE("bench", "setup", "extra");
	CHECK_USAGE("bench", "heap", "--bogus");
	CHECK_USAGE("bench", "populate", "--bogus");
	CHECK_USAGE("bench", "populate", "512");
	CHECK_USAGE("bench", "populate", "--size=abc");
	CHECK_USAGE("bench", "populate", "--size=-1");
	CHECK_USAGE("bench", "populate", "--size=18446744073709551616");
	CHECK_USAGE("bench", "populate", "--size=16777217T");	/* wraps to 1T */
	CHECK_USAGE("bench", "populate", "--size=4097");
	CHECK_USAGE("bench", "populate", "--size=0");
	CHECK_USAGE("bench", "populate", "--size");
	CHECK_USAGE("bench", "ring", "--rounds=abc");
	CHECK_USAGE("bench", "ring", "--rounds=0");
	CHECK_USAGE("bench", "ring", "--rounds=7x");
	CHECK_USAGE("bench", "ring", "--rounds=99999999999999999999");
	CHECK_USAGE("bench", "ring", "--bogus");
	CHECK_USAGE("bench", "circbuf", "--size=4097");
	CHECK_USAGE("bench", "circbuf", "--size=0");
	CHECK_USAGE("bench", "circbuf", "extra");
	CHECK_USAGE("footprint");
	CHECK_USAGE("footprint", "abc");
	CHECK_USAGE("footprint", "0");
	CHECK_USAGE("footprint", "-5");
	CHECK_USAGE("footprint", "--bogus", "1");
	CHECK_USAGE("help", "probe", "x", "y");
	/* No command: the summary, on stderr. */
	CHECK_RUN(2, NULL);
	CHECK(strstr(err, "usage: mmr"));
	return T_PASS;
}

static int help_everywhere(void)
{
	static const char *const cmds[][2] = {
		{ "probe", NULL }, { "demo", NULL }, { "footprint", NULL },
		{ "version", NULL }, { "bench", NULL }, { "bench", "setup" },
		{ "bench", "populate" }, { "bench", "ring" }, { "bench", "heap" },
		{ "bench", "circbuf" },
	};

	NEED_MMR();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "usage: mmr %s%s%s", cmds[i][0],
			 cmds[i][1] ? " " : "", cmds[i][1] ? cmds[i][1] : "");
		if (cmds[i][1])
			CHECK_RUN(0, cmds[i][0], cmds[i][1], "--help");
		else
			CHECK_RUN(0, cmds[i][0], "--help");
		CHECK(!strncmp(out, prefix, strlen(prefix)));
		CHECK(!err[0]);
		/* `mmr help CMD` says the same. */
		if (cmds[i][1])
			CHECK_RUN(0, "help", cmds[i][0], cmds[i][1]);
		else
			CHECK_RUN(0, "help", cmds[i][0]);
		CHECK(!strncmp(out, prefix, strlen(prefix)));
	}
	CHECK_RUN(0, "--help");
	CHECK(strstr(out, "footprint") && strstr(out, "--borrow-huge-pages"));
	CHECK_RUN(0, "help");
	CHECK_RUN(0, "-h");
	CHECK_RUN(0, "version");
	CHECK(!strncmp(out, "mmr (memmirror) ", 16));
	CHECK_RUN(0, "--version");
	CHECK_RUN(0, "-V");
	CHECK(!strncmp(out, "mmr (memmirror) ", 16));
	CHECK_RUN(0, "--help");
	CHECK(strstr(out, "footprint [--json] [--views]"));
	return T_PASS;
}

/* As coreutils: output that cannot be written is a failure. */
static int write_error_is_failure(void)
{
	NEED_MMR();
	if (access("/dev/full", W_OK))
		SKIP("no /dev/full");
	CHECK_EQ(run_mmr("/dev/full", -1, "probe", NULL), 1);
	CHECK(strstr(err, "write error"));
	CHECK_EQ(run_mmr("/dev/full", -1, "probe", "--json", NULL), 1);
	CHECK_EQ(run_mmr("/dev/full", -1, "version", NULL), 1);
	CHECK_EQ(run_mmr("/dev/full", -1, "--help", NULL), 1);
	CHECK_EQ(run_mmr("/dev/full", -1, "footprint", "--help", NULL), 1);
	CHECK_EQ(run_mmr("/dev/full", -1, "bench", "populate", "--size=4M", NULL), 1);
	/* A usage error stays a usage error. */
	CHECK_EQ(run_mmr("/dev/full", -1, "probe", "--bogus", NULL), 2);
	return T_PASS;
}

/* Check the captured JSON with python3: the shared top, then @expr (a
 * Python expression over d, the document, and r, its result). */
static int json_ok(const char *command, const char *expr)
{
	char path[64], code[2048];
	char *argv[] = { PYTHON, "-c", code, path, (char *)command, NULL };
	int fd, rc;

	snprintf(path, sizeof(path), "/tmp/mmr-cli-json-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, out, strlen(out)) != (ssize_t)strlen(out))
		return -1;
	close(fd);
	snprintf(code, sizeof(code),
		 "import json, sys\n"
		 "d = json.load(open(sys.argv[1]))\n"
		 "assert list(d)[:6] == ['schema', 'command', 'version', 'kernel', 'cpus', "
		 "'result'], list(d)\n"
		 "assert d['schema'] == 'memmirror.mmr/1' and d['command'] == sys.argv[2]\n"
		 "r = d['result']\n"
		 "assert isinstance(r, dict)\n"
		 "assert %s, r\n", expr);
	rc = run_as(NULL, -1, PYTHON, argv);
	unlink(path);
	if (rc)
		snprintf(t_msg, sizeof(t_msg), "mmr %s: JSON check failed: %.400s", command, err);
	return rc;
}

#define NEED_PYTHON() do {						\
	if (access(PYTHON, X_OK))					\
		SKIP("%s is missing: cannot check the JSON", PYTHON);	\
} while (0)

#define CHECK_JSON(command, expr) do {					\
	if (json_ok(command, expr))					\
		return T_FAIL;						\
} while (0)

static int json_probe(void)
{
	NEED_MMR();
	NEED_PYTHON();
	CHECK_RUN(0, "probe", "--json");
	CHECK_JSON("probe",
		   "r['base_page_size'] > 0 and len(r['backends']) >= 5 and "
		   "all((b['available'] and b['error'] is None and b['why'] is None) or "
		   "(not b['available'] and b['error'].startswith('E') and b['why']) "
		   "for b in r['backends'].values()) and "
		   "(r['huge_2m']['total'] is None or r['huge_2m']['nr_hugepages_path'] == "
		   "'/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages') and "
		   "(r['huge_1g']['total'] is None or r['huge_1g']['nr_hugepages_path'] == "
		   "'/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages')");
	/* The text says where 1 GiB pages are reserved, when they can be. */
	CHECK_RUN(0, "probe");
	if (access("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", F_OK) == 0 &&
	    strstr(out, "1 GiB hugetlb pool     none"))
		CHECK(strstr(out, "hugepages-1048576kB/nr_hugepages"));
	return T_PASS;
}

static int json_benchmarks(void)
{
	NEED_MMR();
	NEED_PYTHON();
	CHECK_RUN(0, "bench", "populate", "--json", "--size=4M");
	CHECK_JSON("bench populate",
		   "r['size'] == 4 << 20 and len(r['results']) == 6 and "
		   "all(x['ns_per_page'] is None or x['ns_per_page'] > 0 for x in r['results'])");
	CHECK_RUN(0, "bench", "setup", "--json");
	CHECK_JSON("bench setup",
		   "all((x['ratio'] is None) == (x['error'] is not None) for x in r['results'])");
	if (getenv("MMR_TEST_QUICK"))
		return T_PASS;
	CHECK_RUN(0, "bench", "circbuf", "--json", "--size=4K");
	CHECK_JSON("bench circbuf",
		   "r['size'] == 4096 and len(r['results']) == 6 and "
		   "all(x['ns'] > 0 and x['ratio'] > 0 for x in r['results']) and "
		   "r['results'][0]['method'] == r['baseline']");
	CHECK_RUN(0, "bench", "ring", "--json", "--quick", "--rounds=1");
	CHECK_JSON("bench ring", "r['rounds'] == 1 and len(r['stream']) > 0 and "
		   "all(x['checksums_ok'] for x in r['stream'])");
	return T_PASS;
}

static unsigned target_backend = MMR_BACKEND_MEMFD;

/* A child with an 8 MiB region (memfd unless target_backend says
 * otherwise) mapped three times, all touched. */
static pid_t start_target(void)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		mmr_region *r;

		close(p[0]);
		if (mmr_region_create(&r, 8 * MiB, target_backend))
			_exit(1);
		for (int i = 0; i < 3; i++) {
			volatile char *v = mmr_view(r, 0, 8 * MiB, NULL,
						    PROT_READ | PROT_WRITE, 0);

			if (!v)
				_exit(1);
			for (size_t k = 0; k < 8 * MiB; k += 4096)
				v[k] = 1;
		}
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
	close(p[0]);
	return pid;
}

static void stop_target(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int footprint_of_a_process(void)
{
	pid_t pid;
	char spid[16], expr[512];
	int rc;

	NEED_MMR();
	NEED_PYTHON();
	pid = start_target();
	CHECK(pid > 0);
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	rc = MMR("footprint", "--json", spid);
	if (rc) {
		stop_target(pid);
		CHECK_EQ(rc, 0);
	}
	snprintf(expr, sizeof(expr),
		 "len(r['processes']) == 1 and r['processes'][0]['pid'] == %d and "
		 "r['processes'][0]['error'] is None and r['combined'] is None and "
		 "r['processes'][0]['master_mappings'] is False and "
		 "[(o['kind'], o['views'], o['rss'], o['unique'], o['size'], o['resident']) "
		 "for o in r['processes'][0]['objects'] if o['views'] == 3] == "
		 "[('memfd', 3, 24 << 20, 8 << 20, 8 << 20, 8 << 20)]", (int)pid);
	rc = json_ok("footprint", expr);
	if (!rc)
		rc = MMR("footprint", spid) || !strstr(out, "RSS counts 16.0M") ||
		     !strstr(out, "memfd:memmirror");
	if (!rc)	/* one line per view */
		rc = MMR("footprint", "--views", spid) || !strstr(out, "  view ");
	if (!rc)	/* the same process twice is the process once */
		rc = MMR("footprint", "--json", spid, spid) ||
		     json_ok("footprint", "len(r['processes']) == 1 and "
			     "r['combined'] is None and "
			     "r['processes'][0]['total']['rss'] < 48 << 20");
	stop_target(pid);
	CHECK_EQ(rc, 0);
	/* Gone: exit 1, a message, JSON that still parses and names it. */
	CHECK_RUN(1, "footprint", spid);
	CHECK(strstr(err, "no such process"));
	CHECK_RUN(1, "footprint", "--json", spid);
	CHECK_JSON("footprint", "r['processes'][0]['error'] == 'ESRCH'");
	return T_PASS;
}

/* Another user's process: exit 1 and a message saying what to do. */
static int footprint_of_another_user(void)
{
	char dir[64], copy[128], spid[16], *argv[5], lib[4096 + 32], libcopy[128];
	int uid = 65534, rc;	/* Debian's nobody; no NSS in static builds */
	pid_t pid;

	NEED_MMR();
	if (geteuid() != 0) {	/* we are the other user: init is root's */
		CHECK_RUN(1, "footprint", "1");
		CHECK(strstr(err, "another user"));
		return T_PASS;
	}
	/* nobody may not reach our build tree (a package build as root in a
	 * 0700 directory): a copy it can run, with the library next to mmr
	 * when mmr is linked to it (MMR_LINK=shared), found there. */
	snprintf(dir, sizeof(dir), "/tmp/mmr-cli-XXXXXX");
	CHECK(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(lib, sizeof(lib), "%s", mmr);
	snprintf(strrchr(lib, '/'), sizeof(lib) - (size_t)(strrchr(lib, '/') - lib),
		 "/libmemmirror.so.0");
	snprintf(libcopy, sizeof(libcopy), "%s/libmemmirror.so.0", dir);
	argv[0] = "/bin/cp";
	argv[1] = "-L";
	argv[2] = lib;
	argv[3] = libcopy;
	argv[4] = NULL;
	if (!access(lib, R_OK)) {
		CHECK_EQ(run_as(NULL, -1, "/bin/cp", argv), 0);
		chmod(libcopy, 0644);
		setenv("LD_LIBRARY_PATH", dir, 1);
	}
	snprintf(copy, sizeof(copy), "%s/mmr", dir);
	argv[1] = mmr;
	argv[2] = copy;
	argv[3] = NULL;
	CHECK_EQ(run_as(NULL, -1, "/bin/cp", argv), 0);
	chmod(copy, 0755);
	pid = start_target();
	CHECK(pid > 0);
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	argv[0] = copy;
	argv[1] = "footprint";
	argv[2] = spid;
	argv[3] = NULL;
	rc = run_as(NULL, uid, copy, argv);
	stop_target(pid);
	unlink(copy);
	unlink(libcopy);
	rmdir(dir);
	CHECK_EQ(rc, 1);
	CHECK(strstr(err, "another user") && strstr(err, "root"));
	return T_PASS;
}

#define MANY 10000	/* views of one page */

/* A child mapping what a hostile or just large process maps: names with
 * quotes, control characters and bytes that are not UTF-8, a name cut
 * at 255 bytes, and one page mapped MANY times. */
static pid_t start_hostile(const char *dir)
{
	static const char *const names[] = {
		"q\"uote\\back\tslash\x01", "\xff\xfe-not-utf8", "\xc3\xa9t\xc3\xa9",
	};
	char path[512];
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		size_t n;
		int fd;

		close(p[0]);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			fd = memfd_create(names[i], MFD_CLOEXEC);
			if (fd < 0 || ftruncate(fd, 4096) ||
			    mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
				_exit(1);
		}
		n = (size_t)snprintf(path, sizeof(path), "%s/\x80\xff", dir);
		for (int i = 0; i < 120; i++)
			n += (size_t)snprintf(path + n, sizeof(path) - n, "\xc3\xa9");
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, 4096) ||
		    mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
			_exit(1);
		unlink(path);
		fd = memfd_create("many", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, 4096))
			_exit(1);
		for (int i = 0; i < MANY; i++) {
			volatile char *v = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
						MAP_SHARED, fd, 0);

			if (v == MAP_FAILED)
				_exit(1);
			v[0] = 1;
		}
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
	close(p[0]);
	return pid;
}

/* mmr footprint --json of that process is valid JSON in valid UTF-8
 * (python3 -m json.tool, and a strict UTF-8 decode), counts every view,
 * and the table prints every name whole. */
static int footprint_hostile(void)
{
	char dir[64], json_path[96], spid[16], code[1024];
	char *tool[] = { PYTHON, "-m", "json.tool", json_path, "/dev/null", NULL };
	char *check[] = { PYTHON, "-c", code, json_path, dir, NULL };
	pid_t pid;
	int fd, rc;

	NEED_MMR();
	NEED_PYTHON();
	snprintf(dir, sizeof(dir), "/tmp/mmr-cli-hostile-XXXXXX");
	CHECK(mkdtemp(dir));
	pid = start_hostile(dir);
	rmdir(dir);
	CHECK(pid > 0);
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(json_path, sizeof(json_path), "/tmp/mmr-cli-fp-XXXXXX");
	fd = mkstemp(json_path);
	if (fd >= 0)
		close(fd);
	rc = fd < 0 ? -1 : run_mmr(json_path, -1, "footprint", "--json", spid,
				   (const char *)NULL);
	if (!rc)
		rc = run_mmr("/dev/null", -1, "footprint", "--views", spid, (const char *)NULL);
	stop_target(pid);
	if (rc) {
		unlink(json_path);
		snprintf(t_msg, sizeof(t_msg), "mmr footprint: exit %d: %.300s", rc, err);
		return T_FAIL;
	}
	snprintf(code, sizeof(code),
		 "import json, sys\n"
		 "d = json.loads(open(sys.argv[1], 'rb').read().decode('utf-8', 'strict'))\n"
		 "o = d['result']['processes'][0]['objects']\n"
		 "many = [x for x in o if x['name'] == '/memfd:many']\n"
		 "assert many and many[0]['views'] == %d, [x['views'] for x in many]\n"
		 "assert len(many[0]['view_list']) == %d\n"
		 "names = [x['name'] for x in o]\n"
		 "for want in ['/memfd:q\"uote\\\\back\\tslash\\x01', "
		 "'/memfd:\\xff\\xfe-not-utf8', '/memfd:\\xe9t\\xe9']:\n"
		 "    assert any(n.startswith(want) for n in names), (want, names)\n"
		 "long = [n for n in names if n.startswith(sys.argv[2])]\n"
		 "assert long and long[0].endswith('\\xe9') and len(long[0].encode()) <= 257, long\n",
		 MANY, MANY);
	rc = run_as(NULL, -1, PYTHON, tool);
	if (rc)
		snprintf(t_msg, sizeof(t_msg), "python3 -m json.tool: %.400s", err);
	else if ((rc = run_as(NULL, -1, PYTHON, check)))
		snprintf(t_msg, sizeof(t_msg), "JSON content: %.400s", err);
	unlink(json_path);
	return rc ? T_FAIL : T_PASS;
}

/* probe says what MMR_BACKEND does to regions: the backend they get, or
 * that they all fail when it names no backend. */
static int probe_env_backend(void)
{
	NEED_MMR();
	setenv("MMR_BACKEND", "sysv", 1);
	CHECK_RUN(0, "probe");
	CHECK(strstr(out, "MMR_BACKEND=sysv: regions use sysv"));
	CHECK(!strstr(out, "AUTO picks"));
	setenv("MMR_BACKEND", "nosuch", 1);
	CHECK_RUN(0, "probe");
	CHECK(strstr(out, "MMR_BACKEND=nosuch is not a backend: every region"));
	CHECK(strstr(out, "Unset it"));
	if (!access(PYTHON, X_OK)) {
		CHECK_RUN(0, "probe", "--json");
		CHECK_JSON("probe", "r['env_backend'] == 'nosuch' and r['default'] is None "
			   "and not r['default_works']");
	}
	unsetenv("MMR_BACKEND");
	CHECK_RUN(0, "probe");
	CHECK(strstr(out, "AUTO picks"));
	return T_PASS;
}

/* demo prints messages whole: their end says what to do. */
static int demo_messages_whole(void)
{
	const char *line;

	NEED_MMR();
	if (MMR("demo") > 1)
		CHECK(0);
	line = strstr(out, "mirror private");
	CHECK(line);
	CHECK(strstr(line, "(or use mmr_region_create) to mirror it"));
	return T_PASS;
}

/* An mremap region: its master mapping is a fourth view, and the text and
 * the JSON say why. */
static int footprint_master_mapping(void)
{
	char spid[16];
	pid_t pid;
	int rc;

	NEED_MMR();
	NEED_PYTHON();
	if (t_under_valgrind())
		SKIP("valgrind's mremap knows no old_size 0");
	target_backend = MMR_BACKEND_MREMAP;
	pid = start_target();
	CHECK(pid > 0);
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	rc = MMR("footprint", spid);
	if (!rc && !strstr(out, "master"))
		rc = -1;
	if (!rc)
		rc = MMR("footprint", "--json", spid) ||
		     json_ok("footprint", "r['processes'][0]['master_mappings'] is True and "
			     "[o['views'] for o in r['processes'][0]['objects'] "
			     "if o['kind'] == 'shared_anon' and o['unique'] == 8 << 20] == [4]");
	stop_target(pid);
	CHECK_EQ(rc, 0);
	return T_PASS;
}

T_MAIN(T(usage_errors), T(help_everywhere), T(write_error_is_failure), T(json_probe),
       T(json_benchmarks), T(footprint_of_a_process), T(footprint_of_another_user),
       T(footprint_hostile), T(probe_env_backend), T(demo_messages_whole),
       T(footprint_master_mapping))
