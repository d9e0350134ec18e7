// SPDX-License-Identifier: MIT
/*
 * 32-bit code on a kernel without the old 32-bit-time system calls
 * (CONFIG_COMPAT_32BIT_TIME off, as y2038-clean kernels build): the ring's
 * futex waits and wakes must go through futex_time64. A seccomp filter
 * makes the old futex() fail with ENOSYS, as such a kernel does. 64-bit
 * code has only one futex(): skipped there.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "helpers.h"

#if defined(__i386__) && defined(SYS_futex_time64)
#define OLD_FUTEX_ARCH AUDIT_ARCH_I386
#endif

#ifdef OLD_FUTEX_ARCH
/* Old futex() -> ENOSYS for this process and its children. */
static int no_old_futex(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, OLD_FUTEX_ARCH, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
#endif

/* A wait that times out: -ETIMEDOUT, not the old futex's -ENOSYS. */
static int wait_without_old_futex(void)
{
#ifdef OLD_FUTEX_ARCH
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	if (no_old_futex())
		SKIP("seccomp filter refused (errno %d): cannot hide the old futex()", errno);
	CHECK_EQ(syscall(SYS_futex, NULL, 0, 0, NULL, NULL, 0), -1);
	CHECK_EQ(errno, ENOSYS);
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 50), -ETIMEDOUT);
	CHECK_EQ(mmr_ring_wait_writable(r, mmr_ring_capacity(r), 50), 0);
	mmr_ring_destroy(r);
	return T_PASS;
#else
	SKIP("not i386 code: futex() has 64-bit time here");
#endif
}

/* A consumer asleep is woken by a producer in another process. */
static int wake_without_old_futex(void)
{
#ifdef OLD_FUTEX_ARCH
	int status;
	mmr_ring *r;
	pid_t pid;

	CHECK_EQ(mmr_ring_create(&r, 4 * t_page(), MMR_RING_CONSUMER), 0);
	if (no_old_futex())
		SKIP("seccomp filter refused (errno %d): cannot hide the old futex()", errno);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		mmr_ring *p;
		size_t n;
		char *w;

		if (mmr_ring_open_fd(&p, mmr_ring_fd(r), MMR_RING_PRODUCER))
			_exit(1);
		usleep(100 * 1000);	/* let the parent fall asleep */
		w = mmr_ring_write_ptr(p, &n);
		if (!w || n < 8)
			_exit(2);
		memcpy(w, "time64!", 8);
		mmr_ring_produce(p, 8);
		if (mmr_ring_close(p))
			_exit(3);
		_exit(0);
	}
	CHECK_EQ(mmr_ring_wait_readable(r, 8, 10000), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	mmr_ring_destroy(r);
	return T_PASS;
#else
	SKIP("not i386 code: futex() has 64-bit time here");
#endif
}

T_MAIN(T(wait_without_old_futex), T(wake_without_old_futex))
