/* SPDX-License-Identifier: MIT */
/*
 * The one JSON writer of the mmr tool: every command that prints JSON
 * (probe, every benchmark, footprint) goes through it, so strings are
 * escaped, separators are right, and every document has the same top:
 *
 *   {"schema": "memmirror.mmr/1", "command": "...", "version": "...",
 *    "kernel": "...", "cpus": N, "result": {...}}
 *
 * Unknown or unsupported values are written as null, errors by name
 * ("ENOTSUP"), never as raw numbers.
 */
#ifndef MMR_TOOL_JSON_H
#define MMR_TOOL_JSON_H

#include <stdio.h>

/* Bump when a key changes meaning or disappears (adding keys does not). */
#define MMR_JSON_SCHEMA "memmirror.mmr/1"
#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	unsigned long items[JSON_MAX_DEPTH];	/* members written at each level */
	unsigned char array[JSON_MAX_DEPTH];	/* the level is an array */
};

void json_init(struct json *j, FILE *f);

/* @key is the member name inside an object, NULL inside an array or at
 * the top. */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);

/* NULL: null. Bytes that are not UTF-8 are written as \u00XX (the
 * Latin-1 character of that byte), so the document stays valid UTF-8. */
void json_string(struct json *j, const char *key, const char *s);
void json_int(struct json *j, const char *key, long long v);
void json_uint(struct json *j, const char *key, unsigned long long v);
void json_bool(struct json *j, const char *key, int v);
void json_null(struct json *j, const char *key);
/* @decimals digits after the point; NaN, infinities and v < 0 when
 * @negative_is_null are written as null (a measurement that was not made). */
void json_double(struct json *j, const char *key, double v, int decimals,
		 int negative_is_null);
/* An errno value by name ("ENOTSUP"); 0 is null. */
void json_errno(struct json *j, const char *key, int err);

/* The shared top of every document: opens it and its "result" object. */
void json_doc_begin(struct json *j, FILE *f, const char *command);
/* Closes "result" and the document, ends the line. */
void json_doc_end(struct json *j);

/* How many bytes of @s to keep to cut it to at most @max bytes without
 * splitting a UTF-8 character. */
size_t json_utf8_cut(const char *s, size_t max);

/* The symbolic name of an errno value ("ENOTSUP"), or "E<number>". */
const char *json_errno_name(int err, char *buf, size_t len);

#endif
