// SPDX-License-Identifier: MIT
/*
 * The library's only doorway to the kernel. Each wrapper first asks the
 * fault injector whether to fail, so tests can simulate ENOMEM, EMFILE,
 * ENOSPC, EPERM, EFBIG or EINTR at any call.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "syscall.h"

struct fault {
	atomic_int err;
	atomic_uint skip;
	atomic_uint count;	/* failures left; UINT_MAX: forever */
};

static struct fault faults[MMRI_SYS_COUNT];
static atomic_ulong calls[MMRI_SYS_COUNT];
static atomic_int armed;

void mmri_fault_inject(enum mmri_sys sys, int err, unsigned skip, unsigned count)
{
	if ((unsigned)sys >= MMRI_SYS_COUNT)
		return;
	atomic_store(&faults[sys].skip, skip);
	atomic_store(&faults[sys].count, count ? count : UINT_MAX);
	atomic_store(&faults[sys].err, err);
	atomic_store(&armed, 1);
}

void mmri_fault_clear(void)
{
	for (int i = 0; i < MMRI_SYS_COUNT; i++)
		atomic_store(&faults[i].err, 0);
	atomic_store(&armed, 0);
}

unsigned long mmri_sys_calls(enum mmri_sys sys)
{
	return (unsigned)sys < MMRI_SYS_COUNT ? atomic_load(&calls[sys]) : 0;
}

/* 0 to go ahead, or the errno to fail with. */
static int fault(enum mmri_sys sys)
{
	struct fault *f = &faults[sys];
	unsigned n;
	int err;

	atomic_fetch_add_explicit(&calls[sys], 1, memory_order_relaxed);
	if (!atomic_load_explicit(&armed, memory_order_relaxed))
		return 0;
	err = atomic_load(&f->err);
	if (!err)
		return 0;
	n = atomic_load(&f->skip);
	while (n) {
		if (atomic_compare_exchange_weak(&f->skip, &n, n - 1))
			return 0;
	}
	n = atomic_load(&f->count);
	while (n) {
		if (n == UINT_MAX || atomic_compare_exchange_weak(&f->count, &n, n - 1))
			return err;
	}
	return 0;
}

static int ret(long r)
{
	return r < 0 ? -errno : (int)r;
}

void *mmri_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	int err = fault(MMRI_SYS_MMAP);
	void *p;

	if (err)
		return ERR_PTR(-err);
	p = mmap(addr, len, prot, flags, fd, off);
	return p == MAP_FAILED ? ERR_PTR(-errno) : p;
}

int mmri_munmap(void *addr, size_t len)
{
	int err = fault(MMRI_SYS_MUNMAP);

	return err ? -err : ret(munmap(addr, len));
}

/* Raw syscall: glibc's mremap() refuses flags it does not know. */
void *mmri_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	int err = fault(MMRI_SYS_MREMAP);
	long r;

	if (err)
		return ERR_PTR(-err);
	r = syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
	return r == -1 ? ERR_PTR(-errno) : (void *)r;
}

int mmri_mprotect(void *addr, size_t len, int prot)
{
	int err = fault(MMRI_SYS_MPROTECT);

	return err ? -err : ret(mprotect(addr, len, prot));
}

int mmri_madvise(void *addr, size_t len, int advice)
{
	int err;
	long r;

	do {
		err = fault(MMRI_SYS_MADVISE);
		if (err)
			r = -err;
		else
			r = ret(madvise(addr, len, advice));
	} while (r == -EINTR);
	return (int)r;
}

int mmri_memfd_create(const char *name, unsigned flags)
{
	int err = fault(MMRI_SYS_MEMFD_CREATE);

	return err ? -err : ret(syscall(SYS_memfd_create, name, flags));
}

int mmri_ftruncate(int fd, off_t len)
{
	int r;

	do {
		int err = fault(MMRI_SYS_FTRUNCATE);

		r = err ? -err : ret(ftruncate(fd, len));
	} while (r == -EINTR);
	return r;
}

int mmri_fallocate(int fd, int mode, off_t off, off_t len)
{
	int r;

	do {
		int err = fault(MMRI_SYS_FALLOCATE);

		r = err ? -err : ret(fallocate(fd, mode, off, len));
	} while (r == -EINTR);
	return r;
}

int mmri_open(const char *path, int flags, mode_t mode)
{
	int r;

	do {
		int err = fault(MMRI_SYS_OPEN);

		r = err ? -err : ret(open(path, flags, mode));
	} while (r == -EINTR);
	return r;
}

/* Never retried: on Linux the fd is gone even when close() says EINTR. */
int mmri_close(int fd)
{
	int err = fault(MMRI_SYS_CLOSE);

	if (err) {
		close(fd);
		return err == EINTR ? 0 : -err;
	}
	return close(fd) && errno != EINTR ? -errno : 0;
}

int mmri_fcntl(int fd, int cmd, long arg)
{
	int err = fault(MMRI_SYS_FCNTL);

	return err ? -err : ret(fcntl(fd, cmd, arg));
}

int mmri_fstat(int fd, struct stat *st)
{
	int err = fault(MMRI_SYS_FSTAT);

	return err ? -err : ret(fstat(fd, st));
}

int mmri_fstatfs(int fd, struct statfs *st)
{
	int err = fault(MMRI_SYS_FSTATFS);

	return err ? -err : ret(fstatfs(fd, st));
}

int mmri_unlink(const char *path)
{
	int err = fault(MMRI_SYS_UNLINK);

	return err ? -err : ret(unlink(path));
}

int mmri_shmget(size_t size, int flags)
{
	int err = fault(MMRI_SYS_SHMGET);

	return err ? -err : ret(shmget(IPC_PRIVATE, size, flags));
}

void *mmri_shmat(int id, const void *addr, int flags)
{
	int err = fault(MMRI_SYS_SHMAT);
	void *p;

	if (err)
		return ERR_PTR(-err);
	p = shmat(id, addr, flags);
	return p == (void *)-1 ? ERR_PTR(-errno) : p;
}

int mmri_shmdt(const void *addr)
{
	int err = fault(MMRI_SYS_SHMDT);

	return err ? -err : ret(shmdt(addr));
}

int mmri_shmctl_rmid(int id)
{
	int err = fault(MMRI_SYS_SHMCTL);

	return err ? -err : ret(shmctl(id, IPC_RMID, NULL));
}

/* shm_open() is open() below /dev/shm; done by hand so that it needs no
 * librt on old glibc and goes through the injector. */
int mmri_shm_open(const char *name, int flags, mode_t mode)
{
	char path[PATH_MAX] = "/dev/shm/";
	size_t n = sizeof("/dev/shm/") - 1;
	int r;

	while (*name == '/')
		name++;
	for (size_t i = 0; name[i]; i++) {
		if (name[i] == '/' || n + 1 >= sizeof(path))
			return -EINVAL;
		path[n++] = name[i];
	}
	path[n] = 0;
	do {
		int err = fault(MMRI_SYS_SHM_OPEN);

		r = err ? -err : ret(open(path, flags | O_NOFOLLOW, mode));
	} while (r == -EINTR);
	return r;
}

int mmri_shm_unlink(const char *name)
{
	char path[PATH_MAX];

	while (*name == '/')
		name++;
	if ((size_t)snprintf(path, sizeof(path), "/dev/shm/%s", name) >= sizeof(path))
		return -ENAMETOOLONG;
	return mmri_unlink(path);
}

/*
 * futex() without a timeout. 32-bit code asks for futex_time64 (Linux 5.1)
 * first: the old futex of i386/armhf takes a 32-bit timespec and exists only
 * with CONFIG_COMPAT_32BIT_TIME (ENOSYS on kernels built without it, as the
 * test VM's). Kernels before 5.1 have only the old one.
 */
static long futex_call(uint32_t *uaddr, int op, uint32_t val)
{
#if defined(SYS_futex_time64) && (!defined(SYS_futex) || SYS_futex_time64 != SYS_futex)
	static atomic_int no_time64;

	if (!atomic_load_explicit(&no_time64, memory_order_relaxed)) {
		long r = syscall(SYS_futex_time64, uaddr, op, val, NULL, NULL, 0);

		if (r >= 0 || errno != ENOSYS)
			return r;
		atomic_store_explicit(&no_time64, 1, memory_order_relaxed);
	}
#endif
#ifdef SYS_futex
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

int mmri_futex_wait(uint32_t *uaddr, uint32_t val, int shared)
{
	int err = fault(MMRI_SYS_FUTEX);
	int op = FUTEX_WAIT | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	if (err)
		return -err;
	return ret(futex_call(uaddr, op, val));
}

int mmri_futex_wake(uint32_t *uaddr, int n, int shared)
{
	int err = fault(MMRI_SYS_FUTEX);
	int op = FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	if (err)
		return -err;
	return ret(futex_call(uaddr, op, (uint32_t)n));
}

ssize_t mmri_readlink(const char *path, char *buf, size_t len)
{
	int err = fault(MMRI_SYS_READLINK);
	ssize_t n;

	if (err)
		return -err;
	n = readlink(path, buf, len);
	return n < 0 ? -errno : n;
}

ssize_t mmri_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do {
		int err = fault(MMRI_SYS_READ);

		if (err) {
			n = -err;
		} else {
			n = read(fd, buf, len);
			if (n < 0)
				n = -errno;
		}
	} while (n == -EINTR);
	return n;
}

ssize_t mmri_getdents64(int fd, void *buf, size_t len)
{
	int err = fault(MMRI_SYS_GETDENTS);
	long n;

	if (err)
		return -err;
	n = syscall(SYS_getdents64, fd, buf, len);
	return n < 0 ? -errno : n;
}

int mmri_getrlimit(int resource, struct rlimit *rl)
{
	int err = fault(MMRI_SYS_GETRLIMIT);

	return err ? -err : ret(getrlimit(resource, rl));
}

int mmri_uname(struct utsname *u)
{
	int err = fault(MMRI_SYS_UNAME);

	return err ? -err : ret(uname(u));
}

int mmri_membarrier(int cmd, unsigned int flags)
{
	int err = fault(MMRI_SYS_MEMBARRIER);

	return err ? -err : ret(syscall(SYS_membarrier, cmd, flags, 0));
}

int mmri_futex_wait_timeout(uint32_t *uaddr, uint32_t val, int shared,
			    const struct timespec *rel)
{
	int err = fault(MMRI_SYS_FUTEX);
	int op = FUTEX_WAIT | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	if (err)
		return -err;
#if defined(SYS_futex_time64) && (!defined(SYS_futex) || SYS_futex_time64 != SYS_futex)
	{
		/* The time64 call takes a 64-bit timespec whatever time_t is. */
		static atomic_int no_time64;
		struct { int64_t tv_sec; int64_t tv_nsec; } ts64;

		if (!atomic_load_explicit(&no_time64, memory_order_relaxed)) {
			ts64.tv_sec = rel ? (int64_t)rel->tv_sec : 0;
			ts64.tv_nsec = rel ? (int64_t)rel->tv_nsec : 0;
			long r = syscall(SYS_futex_time64, uaddr, op, val,
					 rel ? &ts64 : NULL, NULL, 0);

			if (r >= 0 || errno != ENOSYS)
				return ret(r);
			atomic_store_explicit(&no_time64, 1, memory_order_relaxed);
		}
	}
#endif
#ifdef SYS_futex
	return ret(syscall(SYS_futex, uaddr, op, val, rel, NULL, 0));
#else
	errno = ENOSYS;
	return -ENOSYS;
#endif
}

int mmri_pidfd_open(pid_t pid, unsigned int flags)
{
	int err = fault(MMRI_SYS_PIDFD_OPEN);

#ifdef SYS_pidfd_open
	return err ? -err : ret(syscall(SYS_pidfd_open, pid, flags));
#else
	(void)pid;
	(void)flags;
	return err ? -err : -ENOSYS;
#endif
}

int mmri_poll(struct pollfd *fds, unsigned long n, int timeout_ms)
{
	int err = fault(MMRI_SYS_POLL);

	return err ? -err : ret(poll(fds, n, timeout_ms));
}

int mmri_kill(pid_t pid, int sig)
{
	int err = fault(MMRI_SYS_KILL);

	return err ? -err : ret(kill(pid, sig));
}

pid_t mmri_getpid(void)
{
	fault(MMRI_SYS_GETPID);	/* counted only: getpid cannot fail */
	return getpid();
}

int mmri_tgkill(pid_t pid, pid_t tid, int sig)
{
	int err = fault(MMRI_SYS_TGKILL);

	return err ? -err : ret(syscall(SYS_tgkill, pid, tid, sig));
}

pid_t mmri_gettid(void)
{
	fault(MMRI_SYS_GETTID);	/* counted only: gettid cannot fail */
	return (pid_t)syscall(SYS_gettid);
}

ssize_t mmri_sendmsg(int sock, const struct msghdr *msg, int flags)
{
	ssize_t n;

	do {
		int err = fault(MMRI_SYS_SENDMSG);

		n = err ? -err : sendmsg(sock, msg, flags);
		if (n < 0 && !err)
			n = -errno;
	} while (n == -EINTR);
	return n;
}

ssize_t mmri_recvmsg(int sock, struct msghdr *msg, int flags)
{
	ssize_t n;

	do {
		int err = fault(MMRI_SYS_RECVMSG);

		n = err ? -err : recvmsg(sock, msg, flags);
		if (n < 0 && !err)
			n = -errno;
	} while (n == -EINTR);
	return n;
}

int mmri_eventfd(void)
{
	int err = fault(MMRI_SYS_EVENTFD);

	return err ? -err : ret(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

ssize_t mmri_write(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do {
		int err = fault(MMRI_SYS_WRITE);

		n = err ? -err : write(fd, buf, len);
		if (n < 0 && !err)
			n = -errno;
	} while (n == -EINTR);
	return n;
}

int mmri_mbind(void *addr, size_t len, int mode, const unsigned long *nodemask,
	       unsigned long maxnode, unsigned flags)
{
	int err = fault(MMRI_SYS_MBIND);

#ifdef SYS_mbind
	return err ? -err : ret(syscall(SYS_mbind, addr, len, mode, nodemask, maxnode,
					flags));
#else
	(void)addr; (void)len; (void)mode; (void)nodemask; (void)maxnode; (void)flags;
	return err ? -err : -ENOSYS;
#endif
}
