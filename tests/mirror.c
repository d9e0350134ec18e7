// SPDX-License-Identifier: MIT
/* mmr_mirror of the shared mappings a program already has. */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "helpers.h"
#include "syscall.h"

/* The mirror shows the source's bytes, both ways, and outlives it. */
static int check_mirror(char *src, size_t len, unsigned flags, void *at)
{
	volatile char *s = src, *m;

	s[len - 1] = 's';
	m = mmr_mirror(src, len, at, flags);
	CHECK(m);
	if (at)
		CHECK(m == at);
	CHECK(m != s);
	mmr_barrier();
	CHECK_EQ(m[len - 1], 's');
	m[0] = 'm';
	mmr_barrier();
	CHECK_EQ(s[0], 'm');
	CHECK_EQ(munmap(src, len), 0);
	CHECK_EQ(m[len - 1], 's');
	CHECK_EQ(munmap((void *)m, len), 0);
	return T_PASS;
}

static int shared_anon(void)
{
	size_t len = 4 * t_page();
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	return check_mirror(p, len, 0, NULL);
}

static int memfd(void)
{
	size_t len = 4 * t_page();
	int fd = (int)syscall(SYS_memfd_create, "mirror-test", 0);
	int fds;
	char *p;

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (off_t)len), 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	fds = t_count_fds();
	CHECK_EQ(check_mirror(p, len, MMR_POPULATE, NULL), T_PASS);
	CHECK_EQ(t_count_fds(), fds);	/* no fd left behind */
	close(fd);
	return T_PASS;
}

static int sysv(void)
{
	size_t len = 4 * t_page();
	int id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
	char *p;

	CHECK(id >= 0);
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	CHECK(p != (void *)-1);
	return check_mirror(p, len, 0, NULL);
}

static int tmpfs_file(void)
{
	char path[] = "/dev/shm/memmirror-test-XXXXXX";
	size_t len = 4 * t_page();
	int fd = mkstemp(path);
	char *p;

	if (fd < 0)
		SKIP("no writable tmpfs on /dev/shm");
	unlink(path);
	CHECK_EQ(ftruncate(fd, (off_t)len), 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	close(fd);
	return check_mirror(p, len, 0, NULL);
}

static int fixed_and_noreplace(void)
{
	size_t len = 2 * t_page();
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *spot = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED && spot != MAP_FAILED);
	CHECK(mmr_mirror(p, len, spot, MMR_FIXED_NOREPLACE) == NULL);
	CHECK_EQ(errno, EEXIST);
	CHECK(mmr_mirror(p, len, p + t_page(), MMR_FIXED) == NULL);	/* overlap */
	CHECK_EQ(errno, EINVAL);
	return check_mirror(p, len, MMR_FIXED, spot);
}

static int private_refused(void)
{
	size_t len = t_page();
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int maps = t_count_maps();

	CHECK(p != MAP_FAILED);
	errno = 0;
	CHECK(mmr_mirror(p, len, NULL, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(strstr(mmr_last_error(), "private"));
	CHECK_EQ(t_count_maps(), maps);
	return T_PASS;
}

static int unmapped_and_bad(void)
{
	size_t pg = t_page();
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	CHECK_EQ(munmap(p + pg, pg), 0);
	CHECK(mmr_mirror(p + pg, pg, NULL, 0) == NULL);
	CHECK_EQ(errno, EFAULT);
	CHECK(mmr_mirror(p, 2 * pg, NULL, 0) == NULL);	/* runs off the end */
	CHECK_EQ(errno, EFAULT);
	CHECK(mmr_mirror(p + 1, pg, NULL, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmr_mirror(NULL, pg, NULL, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmr_mirror(p, 0, NULL, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmr_mirror(p, pg, NULL, 1u << 30) == NULL);
	CHECK_EQ(errno, EINVAL);
	return T_PASS;
}

/* Mirrors of a region's view (any backend) work too. */
static int mirror_of_view(void)
{
	size_t len = 2 * t_page();
	mmr_region *r;
	char *v;

	CHECK_EQ(mmr_region_create(&r, len, 0), 0);
	v = mmr_view(r, 0, len, NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(v);
	v[1] = 'v';
	{
		volatile char *m = mmr_mirror(v, len, NULL, 0);

		CHECK(m);
		CHECK_EQ(m[1], 'v');
		munmap((void *)m, len);
	}
	mmr_region_destroy(r);
	return T_PASS;
}

/*
 * The last way to a mapped object is an fd the process holds. With no
 * /proc/self/map_files (unprivileged) and no mremap mirror (hugetlb, or
 * here a refusal injected the same way), a FIFO without a writer among the
 * fds must not be opened: opening it for reading would block forever.
 */
static int fifo_among_fds(void)
{
	char dir[] = "/tmp/mmr-fifo-XXXXXX", path[64];
	struct mmr_probe_report rep;
	size_t pg = t_page();
	volatile char *m;
	char *src;
	int fifo, fd;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK_EQ(mkfifo(path, 0600), 0);
	fifo = open(path, O_RDONLY | O_NONBLOCK);	/* a lower fd than the object's */
	unlink(path);
	rmdir(dir);
	CHECK(fifo >= 0);
	fd = (int)syscall(SYS_memfd_create, "t", 0);
	CHECK(fd > fifo);
	CHECK_EQ(ftruncate(fd, (off_t)pg), 0);
	CHECK_EQ(pwrite(fd, "obj", 3, 0), 3);
	src = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);	/* read-only: O_RDONLY */
	CHECK(src != MAP_FAILED);
	CHECK_EQ(mmr_probe(&rep), 0);
	mmri_fault_inject(MMRI_SYS_MREMAP, EINVAL, 0, 0);
	mmri_fault_inject(MMRI_SYS_OPEN, EACCES, 1, 1);	/* maps yes, map_files no */
	alarm(10);	/* a hang is a SIGALRM failure, not a stuck suite */
	m = mmr_mirror(src, pg, NULL, 0);
	alarm(0);
	mmri_fault_clear();
	CHECK(m);
	CHECK(m != src);
	CHECK_EQ(m[0], 'o');
	CHECK_EQ(m[2], 'j');
	munmap((void *)m, pg);
	munmap(src, pg);
	close(fd);
	close(fifo);
	return T_PASS;
}

/* Out of fds, /proc/self/maps cannot be read: say so, not "not mapped". */
static int maps_unreadable(void)
{
	size_t pg = t_page();
	char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct rlimit rl;

	CHECK(p != MAP_FAILED);
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = 64;
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (dup(0) >= 0)
		;
	CHECK_EQ(errno, EMFILE);
	CHECK(mmr_mirror(p, pg, NULL, 0) == NULL);
	CHECK_EQ(errno, EMFILE);
	CHECK(strstr(mmr_last_error(), "/proc/self/maps"));
	CHECK(strstr(mmr_last_error(), "ulimit -n"));
	CHECK(!strstr(mmr_last_error(), "not mapped"));
	return T_PASS;
}

T_MAIN(T(shared_anon), T(memfd), T(sysv), T(tmpfs_file), T(fixed_and_noreplace),
       T(private_refused), T(unmapped_and_bad), T(mirror_of_view), T(fifo_among_fds),
       T(maps_unreadable))
