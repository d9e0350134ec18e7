// SPDX-License-Identifier: MIT
/* mmr_probe: what it reports matches the system, and it can be redone. */
#include <sys/utsname.h>

#include "helpers.h"

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int report(void)
{
	struct mmr_probe_report rep, again;
	struct utsname u;
	int any = 0;

	CHECK_EQ(mmr_probe(&rep), 0);
	CHECK_EQ(uname(&u), 0);
	CHECK(!strcmp(rep.kernel, u.release));
	CHECK_EQ(rep.base_page_size, t_page());
	for (int b = 1; b < MMR_BACKEND_COUNT; b++) {
		any |= rep.backend[b].available;
		/* Every unavailable backend says why. */
		if (!rep.backend[b].available)
			CHECK(rep.backend[b].why[0] && rep.backend[b].error);
	}
	CHECK(any);
	CHECK(rep.best != MMR_BACKEND_AUTO && rep.backend[rep.best].available);
	CHECK_EQ(rep.huge_2m_total,
		 read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"));
	CHECK_EQ(rep.native_mirror, rep.backend[MMR_BACKEND_NATIVE].available);
	mmr_probe_reset();
	CHECK_EQ(mmr_probe(&again), 0);
	CHECK_EQ(again.best, rep.best);
	CHECK_EQ(mmr_probe(NULL), -EINVAL);
	return T_PASS;
}

/* Pool counters are read fresh on every call, not cached with the rest. */
static int pool_is_live(void)
{
	struct mmr_probe_report rep;
	long old = t_hugepages_reserve(2), seen;

	if (old < 0)
		return T_SKIP;

	mmr_probe(&rep);
	seen = rep.huge_2m_free;
	t_hugepages_restore(old);	/* before any CHECK can return */
	CHECK(seen >= 2);
	mmr_probe(&rep);
	CHECK_EQ(rep.huge_2m_total, old);
	return T_PASS;
}

T_MAIN(T(report), T(pool_is_live))
