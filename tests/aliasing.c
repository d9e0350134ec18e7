// SPDX-License-Identifier: MIT
/*
 * The compiler trap of every mirror (see memmirror.h): two views back to
 * back, b[size] is b[0]. Built at -O2 like the rest, this checks that the
 * documented remedy, mmr_barrier() between the store through one view and
 * the load through the other, gives the right value.
 */
#include "helpers.h"

#define SIZE 4096	/* a constant the compiler can see, as in the trap */

static int run(void)
{
	mmr_region *r;
	char *base, *b;

	if (t_page() != SIZE)
		SKIP("page size is not 4096");
	base = mmap(NULL, 2 * SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(base != MAP_FAILED);
	CHECK_EQ(mmr_region_create(&r, SIZE, 0), 0);
	b = mmr_view(r, 0, SIZE, base, PROT_READ | PROT_WRITE, MMR_FIXED);
	CHECK(b == base);
	CHECK(mmr_view(r, 0, SIZE, base + SIZE, PROT_READ | PROT_WRITE, MMR_FIXED));
	b[SIZE] = 5;
	b[0] = 1;
	mmr_barrier();
	CHECK_EQ(b[SIZE], 1);
	b[SIZE + 9] = 7;
	mmr_barrier();
	CHECK_EQ(b[9], 7);
	mmr_region_destroy(r);
	return T_PASS;
}

static int back_to_back(void) { return run(); }

T_MAIN(T(back_to_back))
