// SPDX-License-Identifier: MIT
/* The JSON writer of the mmr tool (see json.h): pretty, escaped, one shape. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "memmirror.h"
#include "json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void indent(struct json *j)
{
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Length of the valid UTF-8 sequence at @s (1 to 4), or 0 if it is not
 * one: a stray continuation byte, an overlong form, a surrogate, a value
 * past U+10FFFF, or a sequence cut short. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;	/* allowed range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (c == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;	/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;	/* past U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t json_utf8_cut(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (u[i]) {
		size_t n = utf8_len(u + i);

		if (!n)
			n = 1;	/* a stray byte is a character of its own (\u00XX) */
		if (i + n > max)
			break;
		i += n;
	}
	return i;
}

static void put_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;
		size_t n;

		if (c >= 0x80) {
			n = utf8_len(s);
			if (!n) {
				fprintf(f, "\\u%04x", c);
				continue;
			}
			fwrite(s, 1, n, f);
			s += n - 1;
		} else if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Separator, indentation and "key": before a value. */
static void member(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->items[j->depth - 1]++)
			fputc(',', j->f);
		indent(j);
		if (!j->array[j->depth - 1]) {
			put_string(j->f, key ? key : "");
			fputs(": ", j->f);
		}
	}
}

static void open_level(struct json *j, const char *key, int array)
{
	member(j, key);
	fputc(array ? '[' : '{', j->f);
	if (j->depth < JSON_MAX_DEPTH) {
		j->items[j->depth] = 0;
		j->array[j->depth] = (unsigned char)array;
	}
	j->depth++;
}

static void close_level(struct json *j, int array)
{
	int had = j->depth <= JSON_MAX_DEPTH && j->items[j->depth - 1];

	j->depth--;
	if (had)
		indent(j);
	fputc(array ? ']' : '}', j->f);
}

void json_object_begin(struct json *j, const char *key)
{
	open_level(j, key, 0);
}

void json_object_end(struct json *j)
{
	close_level(j, 0);
}

void json_array_begin(struct json *j, const char *key)
{
	open_level(j, key, 1);
}

void json_array_end(struct json *j)
{
	close_level(j, 1);
}

void json_string(struct json *j, const char *key, const char *s)
{
	member(j, key);
	if (s)
		put_string(j->f, s);
	else
		fputs("null", j->f);
}

void json_int(struct json *j, const char *key, long long v)
{
	member(j, key);
	fprintf(j->f, "%lld", v);
}

void json_uint(struct json *j, const char *key, unsigned long long v)
{
	member(j, key);
	fprintf(j->f, "%llu", v);
}

void json_bool(struct json *j, const char *key, int v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void json_double(struct json *j, const char *key, double v, int decimals,
		 int negative_is_null)
{
	member(j, key);
	if (!isfinite(v) || (negative_is_null && v < 0))
		fputs("null", j->f);
	else
		fprintf(j->f, "%.*f", decimals, v);
}

const char *json_errno_name(int err, char *buf, size_t len)
{
	const char *n = NULL;

	if (err < 0)
		err = -err;
	if (err == ENOTSUP)	/* glibc says EOPNOTSUPP, the same number */
		return "ENOTSUP";
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	n = strerrorname_np(err);
#endif
	if (n)
		return n;
	snprintf(buf, len, "E%d", err);
	return buf;
}

void json_errno(struct json *j, const char *key, int err)
{
	char buf[16];

	if (!err)
		json_null(j, key);
	else
		json_string(j, key, json_errno_name(err, buf, sizeof(buf)));
}

void json_doc_begin(struct json *j, FILE *f, const char *command)
{
	struct utsname u;

	json_init(j, f);
	json_object_begin(j, NULL);
	json_string(j, "schema", MMR_JSON_SCHEMA);
	json_string(j, "command", command);
	json_string(j, "version", MMR_VERSION_STRING);
	json_string(j, "kernel", uname(&u) ? NULL : u.release);
	json_int(j, "cpus", sysconf(_SC_NPROCESSORS_ONLN));
	json_object_begin(j, "result");
}

void json_doc_end(struct json *j)
{
	while (j->depth > 0)
		close_level(j, j->depth <= JSON_MAX_DEPTH && j->array[j->depth - 1]);
	fputc('\n', j->f);
}
