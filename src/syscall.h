/* SPDX-License-Identifier: MIT */
/*
 * Every system call the library makes goes through these wrappers, so that
 * tests can inject failures (mmri_fault_inject()) in one place.
 *
 * Convention (as liburing's src/syscall.h): int wrappers return the result
 * or -errno; pointer wrappers return the pointer or ERR_PTR(-errno). errno
 * is never the channel. Restartable calls retry on EINTR.
 */
#ifndef MMR_SYSCALL_H
#define MMR_SYSCALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

enum mmri_sys {
	MMRI_SYS_MMAP,
	MMRI_SYS_MUNMAP,
	MMRI_SYS_MREMAP,
	MMRI_SYS_MPROTECT,
	MMRI_SYS_MADVISE,
	MMRI_SYS_MEMFD_CREATE,
	MMRI_SYS_FTRUNCATE,
	MMRI_SYS_FALLOCATE,
	MMRI_SYS_OPEN,
	MMRI_SYS_CLOSE,
	MMRI_SYS_FCNTL,
	MMRI_SYS_FSTAT,
	MMRI_SYS_FSTATFS,
	MMRI_SYS_UNLINK,
	MMRI_SYS_SHMGET,
	MMRI_SYS_SHMAT,
	MMRI_SYS_SHMDT,
	MMRI_SYS_SHMCTL,
	MMRI_SYS_SHM_OPEN,
	MMRI_SYS_FUTEX,
	MMRI_SYS_READLINK,
	MMRI_SYS_READ,
	MMRI_SYS_GETDENTS,
	MMRI_SYS_GETRLIMIT,
	MMRI_SYS_UNAME,
	MMRI_SYS_MEMBARRIER,
	MMRI_SYS_PIDFD_OPEN,
	MMRI_SYS_POLL,
	MMRI_SYS_KILL,
	MMRI_SYS_GETPID,
	MMRI_SYS_SENDMSG,
	MMRI_SYS_RECVMSG,
	MMRI_SYS_EVENTFD,
	MMRI_SYS_WRITE,
	MMRI_SYS_TGKILL,
	MMRI_SYS_GETTID,
	MMRI_SYS_MBIND,
	MMRI_SYS_COUNT
};

/* Make the calls to @sys after the next @skip successful ones fail with
 * @err, @count times (0: forever). mmri_fault_clear() disarms all. */
void mmri_fault_inject(enum mmri_sys sys, int err, unsigned skip, unsigned count);
void mmri_fault_clear(void);
/* How many times @sys was called (handy to check that a fault was hit). */
unsigned long mmri_sys_calls(enum mmri_sys sys);

static inline void *ERR_PTR(long err) { return (void *)err; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline int IS_ERR(const void *p)
{
	return (uintptr_t)p >= (uintptr_t)-4095;
}

void *mmri_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int mmri_munmap(void *addr, size_t len);
void *mmri_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr);
int mmri_mprotect(void *addr, size_t len, int prot);
int mmri_madvise(void *addr, size_t len, int advice);
int mmri_memfd_create(const char *name, unsigned flags);
int mmri_ftruncate(int fd, off_t len);
int mmri_fallocate(int fd, int mode, off_t off, off_t len);
int mmri_open(const char *path, int flags, mode_t mode);
int mmri_close(int fd);
int mmri_fcntl(int fd, int cmd, long arg);
int mmri_fstat(int fd, struct stat *st);
int mmri_fstatfs(int fd, struct statfs *st);
int mmri_unlink(const char *path);
int mmri_shmget(size_t size, int flags);
void *mmri_shmat(int id, const void *addr, int flags);
int mmri_shmdt(const void *addr);
int mmri_shmctl_rmid(int id);
int mmri_shm_open(const char *name, int flags, mode_t mode);
int mmri_shm_unlink(const char *name);
ssize_t mmri_readlink(const char *path, char *buf, size_t len);
ssize_t mmri_read(int fd, void *buf, size_t len);
struct utsname;
int mmri_uname(struct utsname *u);
int mmri_getrlimit(int resource, struct rlimit *rl);
ssize_t mmri_getdents64(int fd, void *buf, size_t len);
int mmri_futex_wait(uint32_t *uaddr, uint32_t val, int shared);
int mmri_futex_wake(uint32_t *uaddr, int n, int shared);
/* FUTEX_WAIT with a relative timeout (NULL: none); -ETIMEDOUT, -EAGAIN
 * (the word changed) and -EINTR are returned, not retried. */
struct timespec;
/* membarrier(2); -ENOSYS where the kernel has none. */
int mmri_membarrier(int cmd, unsigned int flags);
int mmri_futex_wait_timeout(uint32_t *uaddr, uint32_t val, int shared,
			    const struct timespec *rel);

/* pidfd_open(2) (5.3+), -ENOSYS before; close-on-exec. */
int mmri_pidfd_open(pid_t pid, unsigned int flags);
struct pollfd;
/* poll(2); -EINTR is returned, not retried. */
int mmri_poll(struct pollfd *fds, unsigned long n, int timeout_ms);
int mmri_kill(pid_t pid, int sig);
/* tgkill(2): signal @sig to thread @tid of process @pid. */
int mmri_tgkill(pid_t pid, pid_t tid, int sig);
pid_t mmri_getpid(void);
pid_t mmri_gettid(void);
struct msghdr;
/* sendmsg(2)/recvmsg(2), retried on EINTR. */
ssize_t mmri_sendmsg(int sock, const struct msghdr *msg, int flags);
ssize_t mmri_recvmsg(int sock, struct msghdr *msg, int flags);

/* mbind(2) through the raw system call (no libnuma): -ENOSYS without
 * CONFIG_NUMA. */
int mmri_mbind(void *addr, size_t len, int mode, const unsigned long *nodemask,
	       unsigned long maxnode, unsigned flags);

/* eventfd(2) with EFD_CLOEXEC | EFD_NONBLOCK. */
int mmri_eventfd(void);
/* write(2), retried on EINTR. */
ssize_t mmri_write(int fd, const void *buf, size_t len);

#endif /* MMR_SYSCALL_H */
