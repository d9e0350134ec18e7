/* SPDX-License-Identifier: MIT */
/* probe.c: what region creation and mirroring need from the probe, copied
 * under the probe's lock (the cache itself is never shared). */
#ifndef MMRI_PROBE_FACTS_H
#define MMRI_PROBE_FACTS_H

#include <stdbool.h>

struct mmri_probe_facts {
	unsigned usable;	/* bit b: backend b works, or failed for a passing
				 * shortage (EMFILE...) and is worth a try */
	unsigned usable_hugetlb;	/* the same for hugetlb pages, as far as
					 * the probe knows */
	bool native_mirror, native_populate, native_hugetlb;
	bool huge_2m;		/* the kernel has 2 MiB hugetlb pages */
	char kernel[96];	/* uname -r, for messages */
};
void mmri_probe_facts(struct mmri_probe_facts *f);

#endif /* MMRI_PROBE_FACTS_H */
