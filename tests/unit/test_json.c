#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jdiff.h"
#include "json.h"
#include "unit.h"

#define SUITE "../shared/conformance/json-test-suite/test_parsing"

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct dh_buf b = DH_BUF_INIT;
	char tmp[4096];
	size_t k;

	if (f == NULL)
		return NULL;
	while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
		dh_buf_add(&b, tmp, k);
	fclose(f);
	return dh_buf_detach(&b, n);
}

/* Every file of JSONTestSuite, one record a line: scanner == jansson. */
static void
test_suite(void)
{
	DIR *d = opendir(SUITE);
	struct dirent *de;
	int files = 0, lines = 0;

	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		char *data, *p, *e;
		size_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", SUITE, de->d_name);
		data = slurp(path, &n);
		CHECK(data != NULL);
		if (data == NULL)
			continue;
		files++;
		for (p = data, e = data + n; p <= e;) {
			char *nl = memchr(p, '\n', (size_t)(e - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(e - p);
			const char *why;
			int r;

			if (nl == NULL && len == 0 && p != data)
				break;
			r = jdiff_line(p, len, &why);
			lines++;
			if (r == JDIFF_DISAGREE) {
				unit_fail++;
				fprintf(stderr, "%s: line %.*s: %s\n", de->d_name,
					(int)(len > 60 ? 60 : len), p, why);
			} else {
				unit_pass++;
			}
			if (nl == NULL)
				break;
			p = nl + 1;
		}
		free(data);
	}
	closedir(d);
	CHECK(files == 318);
	printf("json-test-suite: %d files, %d lines compared\n", files, lines);
}

static void
test_values(void)
{
	struct dh_record r = DH_RECORD_INIT;
	struct dh_json_err err;
	struct dh_buf b = DH_BUF_INIT;
	const char *line = "{\"a\":1e6,\"b\":123456789012345678901234567890,"
			   "\"c\\u0041\":\"x\\ny\",\"d\":{\"e\": [1, 2]}}";

	CHECK(dh_json_scan_object(line, strlen(line), &r, &err) == 0);
	CHECK(r.n == 4);
	CHECK_MEM(r.f[0].val, r.f[0].vlen, "1e6");
	CHECK_MEM(r.f[1].val, r.f[1].vlen, "123456789012345678901234567890");
	CHECK_MEM(r.f[2].name, r.f[2].nlen, "cA");
	dh_json_unescape(r.f[2].val, r.f[2].vlen, &b);
	CHECK_MEM(b.data, b.len, "x\ny");
	CHECK(r.f[3].type == DH_V_OBJ);
	dh_buf_reset(&b);
	dh_json_compact(r.f[3].val, r.f[3].vlen, &b);
	CHECK_MEM(b.data, b.len, "{\"e\":[1,2]}");
	dh_record_reset(&r);

	CHECK(dh_json_scan_object("{\"a\":1,\"a\":2}", 13, &r, &err) < 0);
	CHECK(strcmp(err.msg, "duplicate object key") == 0);
	CHECK(dh_json_scan_object("{\"a\":1,\"\\u0061\":2}", 18, &r, &err) < 0);
	CHECK(dh_json_scan_object("{\"a\":\"\xff\"}", 9, &r, &err) < 0);
	CHECK(dh_json_scan_object("", 0, &r, &err) < 0);
	CHECK(strcmp(err.msg, "blank line") == 0);

	dh_buf_reset(&b);
	CHECK(dh_json_quote(&b, "a\"b\\c\n\x01\xc3\xa9", 9, NULL) == 0);
	CHECK_MEM(b.data, b.len, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
	dh_buf_reset(&b);
	CHECK(dh_json_quote(&b, "ab\xc3", 3, NULL) < 0);
	CHECK(dh_json_is_number("-0.5e+3", 7));
	CHECK(!dh_json_is_number("007", 3));
	CHECK(!dh_json_is_number("1.", 2));
	dh_record_release(&r);
	dh_buf_release(&b);
}

/* jansson's depth limit: 2048 values deep, counting the innermost scalar. */
static void
test_depth(void)
{
	int depths[] = {2046, 2047, 2048, 2049, 2050};
	size_t i;

	for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		struct dh_buf b = DH_BUF_INIT;
		const char *why;
		int d;

		dh_buf_adds(&b, "{\"a\":");
		for (d = 1; d < depths[i]; d++)
			dh_buf_addc(&b, '[');
		for (d = 1; d < depths[i]; d++)
			dh_buf_addc(&b, ']');
		dh_buf_addc(&b, '}');
		CHECK(jdiff_line(b.data, b.len, &why) == JDIFF_AGREE);
		dh_buf_release(&b);
	}
}

/* Replay the fuzz corpus kept in tests/fuzz/corpus-jsonl (make fuzz). */
static void
test_corpus(void)
{
	DIR *d = opendir("tests/fuzz/corpus-jsonl");
	struct dirent *de;
	int files = 0;

	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		char *data;
		size_t n;
		const char *why;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "tests/fuzz/corpus-jsonl/%s", de->d_name);
		data = slurp(path, &n);
		if (data == NULL)
			continue;
		files++;
		if (jdiff_line(data, n, &why) == JDIFF_DISAGREE) {
			unit_fail++;
			fprintf(stderr, "corpus %s: %s\n", de->d_name, why);
		} else {
			unit_pass++;
		}
		free(data);
	}
	closedir(d);
	CHECK(files > 0);
}

int
main(void)
{
	test_values();
	test_depth();
	test_suite();
	test_corpus();
	return unit_done("test_json");
}
