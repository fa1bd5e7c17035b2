#include <dirent.h>
#include <stdint.h>
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
	struct dh_json_hint hint = DH_JSON_HINT_INIT;

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
			if (r != JDIFF_DISAGREE)
				r = jdiff_hinted(p, len, 1, &hint, &why);
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
	dh_json_hint_release(&hint);
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
		/* as fuzz_jsonl: its lines one after another with one hint */
		{
			struct dh_json_hint hint = DH_JSON_HINT_INIT;
			const char *p = data, *e = data + n;
			int flatten = n > 0 && (data[0] & 1);

			while (p < e) {
				const char *nl = memchr(p, '\n', (size_t)(e - p));
				size_t len = (size_t)((nl != NULL ? nl : e) - p);

				if (jdiff_hinted(p, len, flatten, &hint, &why) == JDIFF_DISAGREE) {
					unit_fail++;
					fprintf(stderr, "corpus %s, hinted: %s\n", de->d_name, why);
				}
				p += len + (nl != NULL);
			}
			dh_json_hint_release(&hint);
		}
		free(data);
	}
	closedir(d);
	CHECK(files > 0);
}


/*
 * Records that start like the one before: the hint must never let a
 * duplicate key through, in whatever object the same bytes were before.
 */
static void
test_hint_cases(void)
{
	static const char *const seq[][2] = {
		/* {record that teaches, record then scanned: 1 = accepted} */
		{"{\"a\":{\"a\":1}}", "{\"a\":1,\"a\":2}"},
		{"{\"a\":{\"y\":1},\"y\":2}", "{\"a\":{\"y\":1,\"y\":2}}"},
		{"{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":2,\"a\":3}"},
		{"{\"a\":1,\"b\":2}", "{\"a\":1,\"\\u0061\":3}"},
		{"{\"a\":[{\"k\":1},{\"k\":2}]}", "{\"a\":[{\"k\":1,\"k\":2}]}"},
		{"{\"key_longer_than_16_bytes\":1,\"b\":2}",
		 "{\"key_longer_than_16_bytes\":1,\"key_longer_than_16_bytes\":2}"},
		{"{\"abcdefghijklmn\":1,\"b\":2}", "{\"abcdefghijklmn\":1,\"abcdefghijklmn\":2}"},
		{"{\"a\":1,\"b\":2}", "{\"a\":1,\"b\""},
		{"{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":"},
		{"{\"ab\":1}", "{\"a\":1}"},
		{"{\"a\":1}", "{\"ab\":1}"},
	};
	static const int accepted[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
	size_t i;

	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct dh_json_hint hint = DH_JSON_HINT_INIT;
		struct dh_record r = DH_RECORD_INIT;
		struct dh_json_err err;
		const char *why;
		int flatten;

		for (flatten = 0; flatten < 2; flatten++) {
			dh_record_reset(&r);
			CHECK(dh_json_scan_hinted(seq[i][0], strlen(seq[i][0]), &r,
						  flatten, '.', &hint, NULL, &err) == 0);
			CHECK(hint.n > 0);
			CHECK(jdiff_hinted(seq[i][1], strlen(seq[i][1]), flatten,
					   &hint, &why) == JDIFF_AGREE);
			dh_record_reset(&r);
			/* taught again by the first: the second scanned once more */
			CHECK(dh_json_scan_hinted(seq[i][0], strlen(seq[i][0]), &r,
						  flatten, '.', &hint, NULL, &err) == 0);
			dh_record_reset(&r);
			CHECK((dh_json_scan_hinted(seq[i][1], strlen(seq[i][1]), &r,
						   flatten, '.', &hint, NULL, &err) == 0) ==
			      accepted[i]);
		}
		dh_record_release(&r);
		dh_json_hint_release(&hint);
	}
}

/*
 * Strings of 0 to 47 bytes with one special byte sequence at every
 * offset (the scanner looks at 16, then 8, then 1 byte a step): the
 * scanner and jansson agree on each.
 */
static void
test_string_offsets(void)
{
	static const char *const special[] = {"\x01", "\x1f", "\x7f", "\x80", "\xc3\xa9",
					      "\xc3", "\xe2\x82\xac", "\xed\xa0\x80",
					      "\\n", "\\u00e9", "\\x", "\\", " "};
	size_t len, at, k;
	int bad = 0, n = 0;

	for (len = 0; len < 48; len++)
		for (at = 0; at <= len; at++)
			for (k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
				struct dh_buf b = DH_BUF_INIT;
				const char *why;

				dh_buf_adds(&b, "{\"k\":\"");
				unit_special_at(&b, len, at, special[k]);
				dh_buf_adds(&b, "\"}");
				n++;
				if (jdiff_line(b.data, b.len, &why) == JDIFF_DISAGREE && bad++ < 5)
					fprintf(stderr, "offset %zu of %zu, special %zu: %s\n", at, len, k, why);
				dh_buf_release(&b);
			}
	CHECK(bad == 0);
	CHECK(n == 48 * 49 / 2 * 13);
}

/* dh_json_quote's rules one byte at a time (well-formed UTF-8 kept): -1
 * on bad UTF-8, as dh_json_quote. */
static int
quote_ref(struct dh_buf *out, const unsigned char *p, size_t n)
{
	size_t i;

	dh_buf_addc(out, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c >= 0x80) {
			struct dh_json_err err;
			size_t k = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
			struct dh_buf t = DH_BUF_INIT;
			int ok;

			/* the scanner says whether the sequence is UTF-8 */
			dh_buf_addc(&t, '"');
			dh_buf_add(&t, p + i, k <= n - i ? k : n - i);
			dh_buf_addc(&t, '"');
			ok = k <= n - i && dh_json_validate(t.data, t.len, &err) == 0;
			dh_buf_release(&t);
			if (!ok)
				return -1;
			dh_buf_add(out, p + i, k);
			i += k - 1;
		} else if (c == '"' || c == '\\') {
			dh_buf_addc(out, '\\');
			dh_buf_addc(out, (char)c);
		} else if (c >= 0x20) {
			dh_buf_addc(out, (char)c);
		} else if (c == '\n') {
			dh_buf_adds(out, "\\n");
		} else if (c == '\t') {
			dh_buf_adds(out, "\\t");
		} else if (c == '\r') {
			dh_buf_adds(out, "\\r");
		} else if (c == '\b') {
			dh_buf_adds(out, "\\b");
		} else if (c == '\f') {
			dh_buf_adds(out, "\\f");
		} else {
			dh_buf_addf(out, "\\u%04x", c);
		}
	}
	dh_buf_addc(out, '"');
	return 0;
}

/* dh_json_quote (16 and 8 bytes a step) against quote_ref, with a special
 * byte sequence at every offset of strings 0 to 47 bytes long. */
static void
test_quote_offsets(void)
{
	static const char *const special[] = {"\x01", "\x1f", "\x7f", "\x80", "\xc3\xa9",
					      "\xc3", "\xe2\x82\xac", "\xed\xa0\x80", "\"",
					      "\\", "\n", "\t", "\r", "\b", "\f", "\xf0\x9f\x98\x80"};
	size_t len, at, k;
	int bad = 0;

	for (len = 0; len < 48; len++)
		for (at = 0; at <= len; at++)
			for (k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
				struct dh_buf in = DH_BUF_INIT, got = DH_BUF_INIT, want = DH_BUF_INIT;
				size_t where = 0;
				int rg, rw;

				unit_special_at(&in, len, at, special[k]);
				dh_buf_adds(&got, "x"); /* appends after what is there */
				rg = dh_json_quote(&got, in.data, in.len, &where);
				rw = quote_ref(&want, (const unsigned char *)in.data, in.len);
				if ((rg != 0) != (rw != 0) ||
				    (rg == 0 && (got.len != want.len + 1 ||
						 memcmp(got.data + 1, want.data, want.len) != 0)) ||
				    (rg != 0 && where != at)) {
					if (bad++ < 5)
						fprintf(stderr, "quote: offset %zu of %zu, special %zu: %s\n",
							at, len, k, got.data);
				}
				dh_buf_release(&in);
				dh_buf_release(&got);
				dh_buf_release(&want);
			}
	CHECK(bad == 0);
}

/* dh_mem_eq against memcmp: every length to 40, a difference at every
 * byte, or none. */
static void
test_mem_eq(void)
{
	char a[48], b[48];
	size_t n, d;
	int bad = 0;

	for (n = 0; n <= 40; n++) {
		for (d = 0; d < 48; d++)
			a[d] = b[d] = (char)('A' + d);
		bad += !dh_mem_eq(a, b, n);
		for (d = 0; d < n; d++) {
			b[d] ^= 0x20;
			bad += dh_mem_eq(a, b, n) != (memcmp(a, b, n) == 0);
			bad += dh_mem_eq(a, b, n);
			b[d] ^= 0x20;
		}
		b[n] ^= 0x20; /* past n: no difference */
		bad += !dh_mem_eq(a, b, n);
	}
	CHECK(bad == 0);
}

/* xorshift64*: the same records on every run */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* The end of the validated value at p, one byte at a time with a flag
 * for "in a string" (the reference for test_iter, written apart from
 * json.c's value_end). */
static const char *
value_end_ref(const char *p, const char *e)
{
	const char *q = p;
	int depth = 0, in_str = 0;

	if (*q != '"' && *q != '{' && *q != '[') {
		/* a number or literal ends at a separator or space */
		while (q < e && strchr(",}] \t\n\r", *q) == NULL)
			q++;
		return q;
	}
	for (; q < e; q++) {
		if (in_str) {
			if (*q == '\\')
				q++;
			else if (*q == '"')
				in_str = 0;
		} else if (*q == '"') {
			in_str = 1;
		} else if (*q == '{' || *q == '[') {
			depth++;
		} else if (*q == '}' || *q == ']') {
			depth--;
		}
		if (!in_str && depth == 0)
			return q + 1;
	}
	return q;
}

/* A random JSON value: strings long and short with escapes and brackets
 * inside, numbers, literals, nested objects and arrays, some spacing. */
static void
gen_iter_value(struct dh_buf *b, uint64_t *s, int depth)
{
	static const char *const bits[] = {"a", "{", "}", "[", "]", ",", ":", "\\\"", "\\\\",
					   "\\n", "\\u00e9", "\xc3\xa9", " "};
	unsigned k = (unsigned)(rnd(s) % (depth < 4 ? 6 : 3)), i, n;

	switch (k) {
	case 0:
		dh_buf_addf(b, "-%u.5e%u", (unsigned)(rnd(s) % 100000), (unsigned)(rnd(s) % 9));
		break;
	case 1:
		dh_buf_addc(b, '"');
		n = (unsigned)(rnd(s) % 40);
		for (i = 0; i < n; i++)
			dh_buf_adds(b, rnd(s) % 3 ? "x" : bits[rnd(s) % (sizeof(bits) / sizeof(bits[0]))]);
		dh_buf_addc(b, '"');
		break;
	case 2:
		dh_buf_adds(b, rnd(s) % 2 ? "true" : "null");
		break;
	default:
		n = (unsigned)(rnd(s) % 5);
		dh_buf_addc(b, k == 3 ? '[' : '{');
		for (i = 0; i < n; i++) {
			if (i)
				dh_buf_adds(b, rnd(s) % 4 ? "," : " , ");
			if (k != 3)
				dh_buf_addf(b, "\"k%u\\\"%u\"%s:", i, (unsigned)(rnd(s) % 7),
					    rnd(s) % 4 ? "" : " ");
			gen_iter_value(b, s, depth + 1);
		}
		dh_buf_addc(b, k == 3 ? ']' : '}');
	}
}

/* Walk container p[0..n) with dh_json_iter and with value_end_ref, into
 * nested containers too: 0 when every member agrees. */
static int
iter_agrees(const char *p, size_t n)
{
	struct dh_json_iter it;
	const char *key, *val, *q = p + 1, *e = p + n - 1;
	size_t klen, vlen;
	enum dh_vtype t;
	int bad = 0;

	dh_json_iter_init(&it, p, n);
	while (dh_json_iter_next(&it, &key, &klen, &val, &vlen, &t)) {
		const char *ve;

		while (q < e && strchr(" \t\n\r,:", *q) != NULL)
			q++;
		if (*p == '{') {
			ve = value_end_ref(q, e);
			if (key != q || klen != (size_t)(ve - q))
				return 1;
			q = ve;
			while (q < e && strchr(" \t\n\r,:", *q) != NULL)
				q++;
		}
		ve = value_end_ref(q, e);
		if (val != q || vlen != (size_t)(ve - q))
			return 1;
		q = ve;
		if (t == DH_V_OBJ || t == DH_V_ARR)
			bad += iter_agrees(val, vlen);
	}
	while (q < e && strchr(" \t\n\r,:", *q) != NULL)
		q++;
	return bad + (q != e);
}

static void
test_iter(void)
{
	uint64_t s = 99;
	int round, bad = 0, n = 0;

	for (round = 0; round < 20000; round++) {
		struct dh_buf b = DH_BUF_INIT;
		struct dh_json_err err;

		dh_buf_addc(&b, round % 2 ? '[' : '{');
		{
			unsigned i, m = 1 + (unsigned)(rnd(&s) % 6);

			for (i = 0; i < m; i++) {
				if (i)
					dh_buf_addc(&b, ',');
				if (round % 2 == 0)
					dh_buf_addf(&b, "\"m%u\":", i);
				gen_iter_value(&b, &s, 0);
			}
		}
		dh_buf_addc(&b, round % 2 ? ']' : '}');
		/* only valid JSON is iterated */
		if (dh_json_validate(b.data, b.len, &err) == 0) {
			n++;
			if (iter_agrees(b.data, b.len) && bad++ < 3)
				fprintf(stderr, "iter differs on %s\n", b.data);
		}
		dh_buf_release(&b);
	}
	CHECK(bad == 0);
	CHECK(n > 15000);
}

/* A random value from a small set of keys, so that records share keys
 * and duplicates happen. */
static void
gen_value(struct dh_buf *b, uint64_t *s, int depth)
{
	static const char *const keys[] = {
		"a", "b", "ab", "x.y", "\\u0061", "abcdefghijklmn",
		"abcdefghijklmno", "key_longer_than_16_bytes", "\\\"q"};
	unsigned k = (unsigned)(rnd(s) % (depth < 3 ? 6 : 3)), i, n;

	switch (k) {
	case 0:
		dh_buf_addf(b, "%u", (unsigned)(rnd(s) % 100));
		break;
	case 1:
		dh_buf_adds(b, "\"v\"");
		break;
	case 2:
		dh_buf_adds(b, "null");
		break;
	case 3:
	case 4:
		n = (unsigned)(rnd(s) % 5);
		dh_buf_addc(b, '{');
		for (i = 0; i < n; i++) {
			if (i)
				dh_buf_addc(b, ',');
			dh_buf_addf(b, "\"%s\":", keys[rnd(s) % (sizeof(keys) / sizeof(keys[0]))]);
			gen_value(b, s, depth + 1);
		}
		dh_buf_addc(b, '}');
		break;
	default:
		n = (unsigned)(rnd(s) % 3);
		dh_buf_addc(b, '[');
		for (i = 0; i < n; i++) {
			if (i)
				dh_buf_addc(b, ',');
			gen_value(b, s, depth + 1);
		}
		dh_buf_addc(b, ']');
		break;
	}
}

/*
 * 200,000 records drawn mostly from a pool of 16, so that a record often
 * has the keys of the one before, some cut short: with one hint, every
 * scan gives what a scan without one gives (jdiff_hinted), and so does
 * every record against jansson.
 */
static void
test_hint_random(void)
{
	struct dh_buf pool[16];
	struct dh_json_hint hint = DH_JSON_HINT_INIT;
	uint64_t s = 42;
	size_t i;
	int bad = 0, ok = 0, j;

	memset(pool, 0, sizeof(pool));
	for (j = 0; j < 16; j++)
		do {
			dh_buf_reset(&pool[j]);
			gen_value(&pool[j], &s, 0);
		} while (pool[j].data[0] != '{');
	for (i = 0; i < 200000; i++) {
		struct dh_buf *b = &pool[rnd(&s) % 16];
		size_t n = b->len;
		const char *why;

		if (rnd(&s) % 8 == 0) { /* a fresh record into the pool */
			do {
				dh_buf_reset(b);
				gen_value(b, &s, 0);
			} while (b->data[0] != '{');
			n = b->len;
		}
		if (rnd(&s) % 16 == 0) /* cut short */
			n = rnd(&s) % n;
		if (jdiff_hinted(b->data, n, (int)(i & 1), &hint, &why) != JDIFF_AGREE) {
			bad++;
			if (bad < 5)
				fprintf(stderr, "hint: %.*s: %s\n", (int)n, b->data, why);
		} else {
			ok++;
		}
		if (i % 50 == 0 && jdiff_line(b->data, n, &why) == JDIFF_DISAGREE) {
			bad++;
			fprintf(stderr, "jansson: %.*s: %s\n", (int)n, b->data, why);
		}
	}
	CHECK(bad == 0);
	CHECK(ok == 200000);
	CHECK(hint.n > 0);
	for (j = 0; j < 16; j++)
		dh_buf_release(&pool[j]);
	dh_json_hint_release(&hint);
}

int
main(void)
{
	test_values();
	test_depth();
	test_hint_cases();
	test_string_offsets();
	test_quote_offsets();
	test_mem_eq();
	test_iter();
	test_hint_random();
	test_suite();
	test_corpus();
	return unit_done("test_json");
}
