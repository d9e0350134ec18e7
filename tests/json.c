// SPDX-License-Identifier: MIT
/* tools/json.c, the JSON writer of mmr: escaping, separators, nulls,
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

T_MAIN(T(escaping), T(nesting_and_values), T(document_top), T(errno_names))
