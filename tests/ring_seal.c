// SPDX-License-Identifier: MIT
/*
 * Size seals: a holder of a ring's (or a sealed region's) fd cannot
 * truncate it under the other side's mappings, which would kill that side
 * with SIGBUS; unsealed objects are refused unless the caller accepts the
 * risk with a flag.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>

#include "helpers.h"

/* The peer: another process that got the fd and truncates it. */
static int peer_truncate(int fd, off_t len)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(ftruncate(fd, len) == 0 ? 0 : errno == EPERM ? 1 : 2);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);	/* 0 done, 1 EPERM */
}

static int seal_ring_truncate_refused(void)
{
	mmr_ring *r, *peer;
	size_t avail, cap;
	struct stat st;
	const char *rd;
	char *w;

	CHECK_EQ(mmr_ring_create(&r, 1, 0), 0);
	cap = mmr_ring_capacity(r);
	CHECK_EQ(mmr_ring_open_fd(&peer, mmr_ring_fd(r), 0), 0);	/* sealed: ok */
	CHECK_EQ(peer_truncate(mmr_ring_fd(r), 0), 1);
	CHECK_EQ(peer_truncate(mmr_ring_fd(r), t_page()), 1);
	CHECK_EQ(peer_truncate(mmr_ring_fd(r), 1 << 30), 1);	/* no growth */
	errno = 0;
	CHECK_EQ(ftruncate(mmr_ring_fd(peer), 0), -1);
	CHECK_EQ(errno, EPERM);
	CHECK_EQ(fstat(mmr_ring_fd(r), &st), 0);
	CHECK_EQ(st.st_size, t_page() + cap);
	/* The honest side keeps working, across the end of the data too. */
	for (int i = 0; i < 3; i++) {
		w = mmr_ring_write_ptr(r, &avail);
		CHECK(w && avail == cap);
		memset(w, 'a' + i, cap);
		mmr_ring_produce(r, cap);
		rd = mmr_ring_read_ptr(peer, &avail);
		CHECK_EQ(avail, cap);
		CHECK(rd[0] == 'a' + i && rd[cap - 1] == 'a' + i);
		mmr_ring_consume(peer, cap - 100);
		mmr_ring_read_ptr(r, &avail);
		mmr_ring_consume(r, avail);
	}
	CHECK_EQ(mmr_ring_error(r), 0);
	mmr_ring_destroy(peer);
	mmr_ring_destroy(r);
	return T_PASS;
}

/* POSIX shm cannot be sealed: attaching it takes MMR_ACCEPT_UNSEALED. */
static int seal_ring_unsealed_refused(void)
{
	int fds = t_count_fds(), maps = t_count_maps();
	mmr_ring *r, *peer = (mmr_ring *)1;

	if (mmr_ring_create(&r, 1, MMR_BACKEND_POSIX))
		SKIP("posix backend unavailable: %s", mmr_last_error());
	CHECK_EQ(mmr_ring_open_fd(&peer, mmr_ring_fd(r), 0), -EPERM);
	CHECK(peer == NULL);
	CHECK(strstr(mmr_last_error(), "not sealed"));
	CHECK(strstr(mmr_last_error(), "MMR_ACCEPT_UNSEALED"));
	CHECK_EQ(mmr_ring_open_fd(&peer, mmr_ring_fd(r), MMR_ACCEPT_UNSEALED), 0);
	mmr_ring_destroy(peer);
	mmr_ring_destroy(r);
	CHECK_EQ(t_count_fds(), fds);
	CHECK_EQ(t_count_maps(), maps);
	return T_PASS;
}

static int seal_region(void)
{
	size_t len = 4 * t_page();
	mmr_region *reg, *peer;
	char *a, *b;

	CHECK_EQ(mmr_region_create(&reg, len, MMR_BACKEND_MEMFD), 0);
	a = mmr_view(reg, 0, len, NULL, PROT_READ | PROT_WRITE, 0);
	CHECK(a);
	/* Unsealed: a peer that demands a seal is refused... */
	CHECK_EQ(mmr_region_open_fd(&peer, mmr_region_fd(reg), MMR_REQUIRE_SEALED),
		 -EPERM);
	CHECK(strstr(mmr_last_error(), "not sealed"));
	CHECK_EQ(mmr_region_seal(reg), 0);
	CHECK_EQ(mmr_region_seal(reg), 0);		/* twice is fine */
	/* ...and accepted once sealed; truncation is refused from now on. */
	CHECK_EQ(mmr_region_open_fd(&peer, mmr_region_fd(reg), MMR_REQUIRE_SEALED), 0);
	CHECK_EQ(peer_truncate(mmr_region_fd(peer), 0), 1);
	CHECK_EQ(peer_truncate(mmr_region_fd(peer), 2 * len), 1);
	b = mmr_view(peer, 0, len, NULL, PROT_READ, 0);
	CHECK(b);
	a[len - 1] = 'z';
	mmr_barrier();
	CHECK(b[len - 1] == 'z');
	CHECK_EQ(mmr_region_resize(reg, 2 * len), -EPERM);
	CHECK(strstr(mmr_last_error(), "sealed"));
	mmr_region_destroy(peer);
	mmr_region_destroy(reg);
	return T_PASS;
}

static int seal_region_unsealable(void)
{
	mmr_region *reg;

	if (!mmr_region_create(&reg, t_page(), MMR_BACKEND_POSIX)) {
		CHECK_EQ(mmr_region_seal(reg), -EPERM);
		CHECK(strstr(mmr_last_error(), "cannot be sealed"));
		mmr_region_destroy(reg);
	}
	if (!mmr_region_create(&reg, t_page(), MMR_BACKEND_SYSV)) {
		CHECK_EQ(mmr_region_seal(reg), -EOPNOTSUPP);
		mmr_region_destroy(reg);
	}
	CHECK_EQ(mmr_region_seal(NULL), -EINVAL);
	return T_PASS;
}

T_MAIN(T(seal_ring_truncate_refused), T(seal_ring_unsealed_refused), T(seal_region),
       T(seal_region_unsealable))
