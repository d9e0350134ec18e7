// SPDX-License-Identifier: MIT
/*
 * Bad use never corrupts the ring: too-large produce/consume calls are
 * refused and counted, foreign fds are refused with a clear message, and
 * indices a peer scribbled over stop the ring instead of escaping it.
 */
#include <stdint.h>
#include <sys/syscall.h>

#include "helpers.h"
#include "ring_sync.h"

/* The shared header as src/ring.c lays it out (layout version 2). */
#define H_MAGIC offsetof(struct ring_shared, magic)
#define H_VERSION offsetof(struct ring_shared, version)
#define H_CAPACITY offsetof(struct ring_shared, capacity)
#define H_HEAD offsetof(struct ring_shared, head)
#define H_TAIL offsetof(struct ring_shared, tail)

static void *map_header(int fd)
{
	void *p = mmap(NULL, t_page(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int misuse_produce_too_much(void)
{
	size_t cap, avail;
	mmr_ring *r;
	char *w;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	cap = mmr_ring_capacity(r);
	w = mmr_ring_write_ptr(r, &avail);
	memset(w, 'a', 100);
	mmr_ring_produce(r, 100);
	mmr_ring_produce(r, cap);	/* only cap - 100 free */
	CHECK_EQ(mmr_ring_error(r), 1);
	CHECK(strstr(mmr_last_error(), "mmr_ring_produce"));
	mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, 100);		/* unchanged */
	mmr_ring_produce(r, SIZE_MAX);
	CHECK_EQ(mmr_ring_error(r), 2);
	mmr_ring_write_ptr(r, &avail);
	CHECK_EQ(avail, cap - 100);
	mmr_ring_destroy(r);
	return T_PASS;
}

static int misuse_consume_too_much(void)
{
	size_t avail;
	mmr_ring *r;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	mmr_ring_consume(r, 1);		/* empty */
	CHECK_EQ(mmr_ring_error(r), 1);
	CHECK(strstr(mmr_last_error(), "mmr_ring_consume"));
	mmr_ring_write_ptr(r, &avail);
	mmr_ring_produce(r, 10);
	mmr_ring_consume(r, 11);
	CHECK_EQ(mmr_ring_error(r), 2);
	mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, 10);
	mmr_ring_consume(r, 10);	/* valid use still works */
	mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, 0);
	CHECK_EQ(mmr_ring_error(r), 2);
	mmr_ring_destroy(r);
	return T_PASS;
}

static int misuse_bad_create(void)
{
	mmr_ring *r = (mmr_ring *)1;

	CHECK_EQ(mmr_ring_create(&r, 0, 0), -EINVAL);
	CHECK(r == NULL);
	CHECK_EQ(mmr_ring_create(&r, 4096, MMR_FIXED), -EINVAL);
	CHECK_EQ(mmr_ring_create(&r, SIZE_MAX, 0), -EINVAL);
	CHECK_EQ(mmr_ring_create(NULL, 4096, 0), -EINVAL);
	CHECK_EQ(mmr_ring_wait_readable(NULL, 1, 0), -EINVAL);
	CHECK_EQ(mmr_ring_fd(NULL), -EINVAL);
	CHECK_EQ(mmr_ring_capacity(NULL), 0);
	mmr_ring_destroy(NULL);
	return T_PASS;
}

/* NULL rings and NULL out-parameters: EINVAL and a message, no fault. */
static int misuse_null_everywhere(void)
{
	size_t avail = 123;
	mmr_ring *r;

	errno = 0;
	CHECK(!mmr_ring_write_ptr(NULL, &avail));
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(avail, 0);
	CHECK(strstr(mmr_last_error(), "mmr_ring_write_ptr: ring is NULL"));
	errno = 0;
	CHECK(!mmr_ring_read_ptr(NULL, &avail));
	CHECK_EQ(errno, EINVAL);
	CHECK(strstr(mmr_last_error(), "mmr_ring_read_ptr: ring is NULL"));
	mmr_ring_produce(NULL, 1);
	CHECK(strstr(mmr_last_error(), "mmr_ring_produce: ring is NULL"));
	mmr_ring_consume(NULL, 1);
	CHECK(strstr(mmr_last_error(), "mmr_ring_consume: ring is NULL"));
	errno = 0;
	CHECK(!mmr_ring_reserve(NULL, 1));
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(!mmr_ring_peek(NULL, 1));
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(mmr_ring_wait_writable(NULL, 1, 0), -EINVAL);
	CHECK_EQ(mmr_ring_error(NULL), 0);
	CHECK_EQ(mmr_ring_open_fd(NULL, 0, 0), -EINVAL);

	/* A real ring and a NULL avail: refused, the ring unchanged. */
	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	errno = 0;
	CHECK(!mmr_ring_write_ptr(r, NULL));
	CHECK_EQ(errno, EINVAL);
	CHECK(strstr(mmr_last_error(), "avail is NULL"));
	errno = 0;
	CHECK(!mmr_ring_read_ptr(r, NULL));
	CHECK_EQ(errno, EINVAL);
	CHECK(mmr_ring_write_ptr(r, &avail));
	CHECK_EQ(avail, mmr_ring_capacity(r));
	mmr_ring_destroy(r);
	return T_PASS;
}

/* A memfd of @size bytes filled by @fill (NULL: zeros). */
static int memfd_with(size_t size, void (*fill)(void *hdr))
{
	int fd = (int)syscall(SYS_memfd_create, "not-a-ring", 1u /* CLOEXEC */);
	void *h;

	if (fd < 0 || ftruncate(fd, (off_t)size))
		return -1;
	if (fill) {
		h = map_header(fd);
		if (!h)
			return -1;
		fill(h);
		munmap(h, t_page());
	}
	return fd;
}

static void fill_garbage(void *h)
{
	memset(h, 0x5a, t_page());
}

static int misuse_foreign_fd(void)
{
	mmr_ring *r = (mmr_ring *)1;
	int fds = t_count_fds(), maps = t_count_maps();
	int fd, pfd[2];

	fd = memfd_with(2 * t_page(), NULL);	/* zeros */
	CHECK(fd >= 0);
	CHECK_EQ(mmr_ring_open_fd(&r, fd, 0), -EPERM);	/* not sealed */
	CHECK(strstr(mmr_last_error(), "not sealed"));
	/* Past the seal check, the header is what tells. */
	CHECK_EQ(mmr_ring_open_fd(&r, fd, MMR_ACCEPT_UNSEALED), -EINVAL);
	CHECK(r == NULL);
	CHECK(strstr(mmr_last_error(), "does not hold an mmr_ring"));
	close(fd);
	fd = memfd_with(4 * t_page(), fill_garbage);
	CHECK(fd >= 0);
	CHECK_EQ(mmr_ring_open_fd(&r, fd, MMR_ACCEPT_UNSEALED), -EINVAL);
	close(fd);
	fd = memfd_with(100, NULL);		/* smaller than a page */
	CHECK(fd >= 0);
	CHECK_EQ(mmr_ring_open_fd(&r, fd, MMR_ACCEPT_UNSEALED), -EINVAL);
	CHECK(strstr(mmr_last_error(), "not an mmr_ring"));
	close(fd);
	CHECK_EQ(pipe(pfd), 0);
	CHECK_EQ(mmr_ring_open_fd(&r, pfd[0], MMR_ACCEPT_UNSEALED), -EINVAL);
	close(pfd[0]);
	close(pfd[1]);
	CHECK_EQ(mmr_ring_open_fd(&r, -1, 0), -EBADF);
	CHECK_EQ(mmr_ring_open_fd(&r, 0, MMR_FIXED), -EINVAL);
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	return T_PASS;
}

/* A real ring whose header was then damaged one field at a time. */
static int misuse_damaged_header(void)
{
	static const struct { size_t off; uint64_t val; int width; const char *msg; } cases[] = {
		{ H_MAGIC, 0x1234, 8, "does not hold an mmr_ring" },
		{ H_VERSION, 99, 4, "layout version 99" },
		{ H_CAPACITY, 8192, 8, "claims 8192 bytes" },
		{ H_CAPACITY, 100, 8, "claims 100 bytes" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mmr_ring *a, *b = (mmr_ring *)1;
		char *h;

		CHECK_EQ(mmr_ring_create(&a, 1, 0), 0);
		h = map_header(mmr_ring_fd(a));
		CHECK(h);
		if (cases[i].width == 8)
			memcpy(h + cases[i].off, &cases[i].val, 8);
		else
			memcpy(h + cases[i].off, &(uint32_t){ (uint32_t)cases[i].val }, 4);
		CHECK_EQ(mmr_ring_open_fd(&b, mmr_ring_fd(a), 0), -EINVAL);
		CHECK(b == NULL);
		if (!strstr(mmr_last_error(), cases[i].msg))
			CHECK(!"message does not say what is wrong");
		munmap(h, t_page());
		mmr_ring_destroy(a);
	}
	return T_PASS;
}

/* A peer wrote nonsense indices: the ring offers nothing, counts it. */
static int misuse_corrupt_indices(void)
{
	uint64_t head = 1000000, tail = 5;
	size_t avail;
	mmr_ring *r;
	char *h;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	h = map_header(mmr_ring_fd(r));
	CHECK(h);
	memcpy(h + H_HEAD, &head, 8);
	memcpy(h + H_TAIL, &tail, 8);
	mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, 0);
	mmr_ring_write_ptr(r, &avail);
	CHECK_EQ(avail, 0);
	mmr_ring_produce(r, 1);
	mmr_ring_consume(r, 1);
	CHECK(mmr_ring_error(r) >= 3);
	CHECK(strstr(mmr_last_error(), "corrupt indices"));
	CHECK(!memcmp(h + H_HEAD, &head, 8));	/* left alone */
	CHECK(!memcmp(h + H_TAIL, &tail, 8));
	CHECK_EQ(mmr_ring_wait_readable(r, 1, 0), -ETIMEDOUT);
	errno = 0;
	CHECK(!mmr_ring_reserve(r, 1));		/* stopped, not just full */
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(!mmr_ring_peek(r, 1));
	CHECK_EQ(errno, EINVAL);
	CHECK(mmr_ring_error(r) >= 5);
	/* Tail behind head by less than the capacity: usable again. */
	tail = head - 10;
	memcpy(h + H_TAIL, &tail, 8);
	mmr_ring_read_ptr(r, &avail);
	CHECK_EQ(avail, 10);
	munmap(h, t_page());
	mmr_ring_destroy(r);
	return T_PASS;
}

T_MAIN(T(misuse_produce_too_much), T(misuse_consume_too_much), T(misuse_bad_create),
       T(misuse_null_everywhere),
       T(misuse_foreign_fd), T(misuse_damaged_header), T(misuse_corrupt_indices))
