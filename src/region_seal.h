/* SPDX-License-Identifier: MIT */
/* region_seal.c: whether a file is sealed against resizing. */
#ifndef MMRI_REGION_SEAL_H
#define MMRI_REGION_SEAL_H


/* 0 if @fd is sealed against shrink and grow, -EPERM if
 * not (or cannot be), another -errno if F_GET_SEALS failed. No message. */
int mmri_fd_sealed(int fd);
/* The same, with a message for @fn saying what to do (@flag_hint: how the
 * caller accepts the risk instead). */
int mmri_require_sealed(int fd, const char *fn, const char *flag_hint);

#endif /* MMRI_REGION_SEAL_H */
