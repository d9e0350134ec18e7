// SPDX-License-Identifier: MIT
/* common/json.c, the JSON writer of mmr: escaping, separators, nulls,
 * errno names, and the top every document shares. */
#include "helpers.h"
#include "json.h"

static char *buf;
static size_t len;

static FILE *open_buf(void)
{
	free(buf);
	buf = NULL;
	return open_memstream(&buf, &len);
}

/* The document without newlines and indentation, for comparing. */
static const char *flat(void)
{
	static char out[4096];
	size_t o = 0;
	int in_string = 0;

	for (size_t i = 0; i < len && o + 1 < sizeof(out); i++) {
		char c = buf[i];

		if (c == '"' && (i == 0 || buf[i - 1] != '\\'))
			in_string = !in_string;
		if (!in_string && (c == '\n' || (c == ' ' && i && buf[i - 1] != ':' &&
						 buf[i - 1] != ',')))
			continue;
		if (!in_string && c == ' ')
			continue;
		out[o++] = c;
	}
	out[o] = 0;
	return out;
}

static int escaping(void)
{
	struct json j;
	FILE *f = open_buf();

	CHECK(f);
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, "q\"k", "a\"b\\c\nd\te\x01" "f\x7f");
	json_string(&j, "null", NULL);
	json_object_end(&j);
	fclose(f);
	CHECK(!strcmp(flat(), "{\"q\\\"k\":\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007f\",\"null\":null}"));
	return T_PASS;
}

static int nesting_and_values(void)
{
	struct json j;
	FILE *f = open_buf();

	CHECK(f);
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_array_begin(&j, "empty");
	json_array_end(&j);
	json_object_begin(&j, "o");
	json_object_end(&j);
	json_array_begin(&j, "a");
	json_int(&j, NULL, -3);
	json_uint(&j, NULL, 18446744073709551615ULL);
	json_bool(&j, NULL, 1);
	json_bool(&j, NULL, 0);
	json_double(&j, NULL, 1.5, 2, 1);
	json_double(&j, NULL, -1, 2, 1);	/* not measured */
	json_double(&j, NULL, -1, 1, 0);
	json_double(&j, NULL, 0.0 / 0.0, 1, 0);
	json_object_begin(&j, NULL);
	json_errno(&j, "e", ENOTSUP);
	json_errno(&j, "none", 0);
	json_errno(&j, "neg", -ESRCH);
	json_object_end(&j);
	json_array_end(&j);
	json_object_end(&j);
	fclose(f);
	CHECK(!strcmp(flat(), "{\"empty\":[],\"o\":{},\"a\":[-3,18446744073709551615,true,false,"
		      "1.50,null,-1.0,null,{\"e\":\"ENOTSUP\",\"none\":null,\"neg\":\"ESRCH\"}]}"));
	return T_PASS;
}

static int document_top(void)
{
	struct json j;
	FILE *f = open_buf();
	char want[256];

	CHECK(f);
	json_doc_begin(&j, f, "bench \"x\"");
	json_int(&j, "n", 1);
	json_array_begin(&j, "left_open");	/* json_doc_end closes it right */
	json_doc_end(&j);
	fclose(f);
	CHECK(len && buf[len - 1] == '\n');
	snprintf(want, sizeof(want), "{\"schema\":\"%s\",\"command\":\"bench \\\"x\\\"\","
		 "\"version\":\"%s\",\"kernel\":\"", MMR_JSON_SCHEMA, MMR_VERSION_STRING);
	CHECK(!strncmp(flat(), want, strlen(want)));
	CHECK(strstr(flat(), "\"result\":{\"n\":1,\"left_open\":[]}}"));
	return T_PASS;
}

static int errno_names(void)
{
	char b[16];

	CHECK(!strcmp(json_errno_name(ENOTSUP, b, sizeof(b)), "ENOTSUP"));
	CHECK(!strcmp(json_errno_name(EINVAL, b, sizeof(b)), "EINVAL"));
	CHECK(!strcmp(json_errno_name(-ENOMEM, b, sizeof(b)), "ENOMEM"));
	CHECK(!strcmp(json_errno_name(9999, b, sizeof(b)), "E9999"));
	return T_PASS;
}

/* Past 255 members an array still has a comma before each (the count of
 * members once wrapped at 256). */
static int many_members(void)
{
	struct json j;
	FILE *f = open_buf();
	size_t commas = 0;

	CHECK(f);
	json_init(&j, f);
	json_array_begin(&j, NULL);
	for (int i = 0; i < 1000; i++)
		json_int(&j, NULL, i);
	json_array_end(&j);
	fclose(f);
	for (size_t i = 0; i < len; i++)
		commas += buf[i] == ',';
	CHECK_EQ(commas, 999);
	CHECK(strstr(buf, "255,") && strstr(buf, "256,") && strstr(buf, "257,"));
	return T_PASS;
}

/* Whatever bytes a name holds, the document is valid UTF-8: characters
 * pass, every byte that is not part of one becomes \u00XX. */
static int utf8(void)
{
	struct json j;
	FILE *f = open_buf();

	CHECK(f);
	json_init(&j, f);
	json_array_begin(&j, NULL);
	json_string(&j, NULL, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");	/* e-acute, euro, emoji */
	json_string(&j, NULL, "a\xff\xfe" "b");	/* never UTF-8 */
	json_string(&j, NULL, "\xc3");		/* cut short */
	json_string(&j, NULL, "\xe2\x82" "x");	/* cut short, then more */
	json_string(&j, NULL, "\xc0\xaf");		/* overlong '/' */
	json_string(&j, NULL, "\xed\xa0\x80");	/* a surrogate */
	json_string(&j, NULL, "\xf4\x90\x80\x80");	/* past U+10FFFF */
	json_string(&j, NULL, "\x80");		/* a lone continuation byte */
	json_array_end(&j);
	fclose(f);
	CHECK(!strcmp(flat(), "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
		      "\"a\\u00ff\\u00feb\",\"\\u00c3\",\"\\u00e2\\u0082x\","
		      "\"\\u00c0\\u00af\",\"\\u00ed\\u00a0\\u0080\","
		      "\"\\u00f4\\u0090\\u0080\\u0080\",\"\\u0080\"]"));
	return T_PASS;
}

/* Cutting a string to a byte budget keeps whole characters. */
static int utf8_cut(void)
{
	CHECK_EQ(json_utf8_cut("abc", 2), 2);
	CHECK_EQ(json_utf8_cut("abc", 10), 3);
	CHECK_EQ(json_utf8_cut("a\xc3\xa9", 2), 1);	/* not half of e-acute */
	CHECK_EQ(json_utf8_cut("a\xc3\xa9", 3), 3);
	CHECK_EQ(json_utf8_cut("\xf0\x9f\x98\x80z", 3), 0);
	CHECK_EQ(json_utf8_cut("\xff\xfe", 1), 1);	/* stray bytes: one each */
	return T_PASS;
}

T_MAIN(T(escaping), T(nesting_and_values), T(document_top), T(errno_names),
       T(many_members), T(utf8), T(utf8_cut))
