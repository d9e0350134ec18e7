// SPDX-License-Identifier: MIT
/*
 * W^X for a JIT (as .NET does): machine code is written through a RW view
 * and run through a RX view of the same pages; no page is ever writable and
 * executable at one address. x86-64 only: it emits `mov eax, imm32; ret`.
 */
#include <memmirror.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
#if defined(__x86_64__)
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *rw, code[] = { 0xb8, 0, 0, 0, 0, 0xc3 };
	void *rx;
	int (*fn)(void);
	int value = 1234;
	mmr_region *r;

	if (mmr_region_create(&r, page, MMR_BACKEND_AUTO)) {
		fprintf(stderr, "%s\n", mmr_last_error());
		return 1;
	}
	rw = mmr_view(r, 0, page, NULL, PROT_READ | PROT_WRITE, 0);
	rx = mmr_view(r, 0, page, NULL, PROT_READ | PROT_EXEC, 0);
	if (!rw || !rx) {
		fprintf(stderr, "%s (is exec of shared memory forbidden here?)\n",
			mmr_last_error());
		mmr_region_destroy(r);
		return 1;
	}
	memcpy(code + 1, &value, sizeof(value));
	memcpy(rw, code, sizeof(code));
	__builtin___clear_cache((char *)rx, (char *)rx + sizeof(code));
	mmr_barrier();
	fn = (int (*)(void))rx;
	printf("wrote code at %p (rw-), ran it at %p (r-x): it returned %d\n", (void *)rw,
	       rx, fn());
	mmr_region_destroy(r);
	return fn == NULL;
#else
	puts("jit_wx: x86-64 only");
	return 0;
#endif
}
