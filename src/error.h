/* SPDX-License-Identifier: MIT */
/* error.c: the message behind mmr_last_error(). */
#ifndef MMRI_ERROR_H
#define MMRI_ERROR_H


/* Record a message for mmr_last_error(); return -err / NULL. */
int mmri_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *mmri_err_ptr(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Put "prefix: " before the message already recorded. */
int mmri_err_prefix(int err, const char *prefix);
/* Set the message to @text exactly. */
int mmri_err_raw(int err, const char *text);
/* Append a hint for a well-known errno of a mapping call. */
const char *mmri_map_hint(int err);
void mmri_clear_error(void);

#endif /* MMRI_ERROR_H */
