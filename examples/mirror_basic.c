// SPDX-License-Identifier: MIT
/* The README's example: one region, a writable and a read-only view. */
#include <memmirror.h>
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	mmr_region *r;
	char *a, *b;

	if (mmr_region_create(&r, 1 << 20, MMR_BACKEND_AUTO)) {
		fprintf(stderr, "%s\n", mmr_last_error());
		return 1;
	}
	a = mmr_view(r, 0, 1 << 20, NULL, PROT_READ | PROT_WRITE, 0);
	b = mmr_view(r, 0, 1 << 20, NULL, PROT_READ, 0);
	if (!a || !b) {
		fprintf(stderr, "%s\n", mmr_last_error());
		mmr_region_destroy(r);
		return 1;
	}
	a[42] = 'x';
	mmr_barrier();	/* the compiler must not assume a and b differ */
	printf("%s backend: wrote '%c' at %p, read '%c' at %p\n",
	       mmr_backend_name(mmr_region_backend(r)), a[42], (void *)(a + 42), b[42],
	       (void *)(b + 42));
	mmr_region_destroy(r);
	return 0;
}
