/*
 * Fuzz target: partition directory names (common/state).  The input's
 * first byte picks the key (a fixed one, or up to 31 bytes of the input
 * when its top bit is set); the rest is the value.  Holds:
 *   - dh_hive_unescape(dh_hive_escape(v)) == v for every byte string but
 *     one: the value "__HIVE_DEFAULT_PARTITION__" itself is written as it
 *     is and reads back as "", as in Hive, Spark and DuckDB, so it shares
 *     the empty value's partition (a known collision of the convention);
 *   - the escape is non-empty and holds only bytes Hive leaves alone and
 *     %XX (uppercase hex) triplets: never a '/', a control byte or '=';
 *   - dh_partition_name succeeds exactly when the key is valid, the value
 *     UTF-8 (checked against a validator written here) and the name fits
 *     DH_NAME_MAX; then it appends "key=escape" (key lowercased), never
 *     "." or "..", and the value reads back; else it leaves the buffer as
 *     it was and says why.
 * Built and run by `make fuzz`; `make check` replays tests/fuzz/corpus-hive.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "fuzz_hive: " __VA_ARGS__);                    \
		fputc('\n', stderr);                                           \
		abort();                                                       \
	} while (0)

/* What Hive's FileUtils.escapePathName escapes, written out again. */
static int
escaped_byte(unsigned char c)
{
	static const char set[] = "\"#%'*/:=?\\{[]^";

	return c < 0x20 || c == 0x7f ||
	       (c != 0 && memchr(set, c, sizeof(set) - 1));
}

/* Strict UTF-8: shortest forms, no surrogates, at most U+10FFFF. */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, min, cp, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			min = 0x80;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			min = 0x800;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			min = 0x10000;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i - 1 < need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

static int
key_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || k[0] == '_')
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		      (k[i] >= 'A' && k[i] <= 'Z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

static int
hexdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int
is_default(const char *v, size_t n)
{
	return n == sizeof(DH_HIVE_DEFAULT) - 1 &&
	       memcmp(v, DH_HIVE_DEFAULT, n) == 0;
}

static void
check_escape(const char *v, size_t n, struct dh_buf *e)
{
	struct dh_buf back = DH_BUF_INIT;
	size_t i;

	dh_hive_escape(e, v, n);
	if (e->len == 0)
		FAIL("empty escape of %zu bytes", n);
	for (i = 0; i < e->len; i++) {
		unsigned char c = (unsigned char)e->data[i];

		if (c == '%') {
			if (i + 2 >= e->len)
				FAIL("'%%' at the end of an escape");
			if (!hexdigit(e->data[i + 1]) ||
			    !hexdigit(e->data[i + 2]))
				FAIL("'%%' without two uppercase hex digits");
			i += 2;
		} else if (escaped_byte(c)) {
			FAIL("byte 0x%02x left unescaped", c);
		}
	}
	dh_hive_unescape(&back, e->data, e->len);
	if (is_default(v, n)) {
		if (back.len != 0 || strcmp(e->data, DH_HIVE_DEFAULT) != 0)
			FAIL("the default partition's name changed");
	} else if (back.len != n || (n && memcmp(back.data, v, n) != 0))
		FAIL("unescape(escape(v)) != v for %zu bytes (escape \"%s\")",
		     n, e->data);
	dh_buf_release(&back);
}

static void
check_name(const char *k, size_t klen, const char *v, size_t vlen,
	   size_t esclen)
{
	static const char pre[] = "t/";
	struct dh_buf out = DH_BUF_INIT, back = DH_BUF_INIT;
	const char *why = NULL;
	int want = key_ok(k, klen) && utf8_ok((const unsigned char *)v, vlen) &&
		   klen + 1 + esclen <= DH_NAME_MAX;
	int rc;
	size_t i;

	dh_buf_adds(&out, pre);
	rc = dh_partition_name(&out, k, klen, v, vlen, &why);
	if (rc != 0 && rc != -1)
		FAIL("dh_partition_name returned %d", rc);
	if ((rc == 0) != want)
		FAIL("dh_partition_name gave %d, want %s (key %zu bytes, value "
		     "%zu, escape %zu)",
		     rc, want ? "success" : "refusal", klen, vlen, esclen);
	if (out.len < 2 || memcmp(out.data, pre, 2) != 0)
		FAIL("dh_partition_name changed what was in the buffer");
	if (rc != 0) {
		if (why == NULL || *why == '\0')
			FAIL("refused without a reason");
		if (out.len != 2 || out.data[2] != '\0')
			FAIL("a refused name left %zu bytes in the buffer",
			     out.len - 2);
	} else {
		const char *name = out.data + 2, *eq;
		size_t nlen = out.len - 2;

		if (nlen > DH_NAME_MAX)
			FAIL("name of %zu bytes", nlen);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    memchr(name, '/', nlen) != NULL || strlen(name) != nlen)
			FAIL("name \"%s\" is not one directory name", name);
		eq = memchr(name, '=', nlen);
		if (eq == NULL || (size_t)(eq - name) != klen)
			FAIL("name \"%s\": no '=' after the key", name);
		for (i = 0; i < klen; i++) {
			char c = k[i] >= 'A' && k[i] <= 'Z'
				     ? (char)(k[i] - 'A' + 'a')
				     : k[i];

			if (name[i] != c)
				FAIL("name \"%s\": key not lowercased", name);
		}
		dh_hive_unescape(&back, eq + 1, nlen - klen - 1);
		if (is_default(v, vlen)
			? back.len != 0
			: back.len != vlen ||
			      (vlen && memcmp(back.data, v, vlen) != 0))
			FAIL("name \"%s\" does not read back", name);
	}
	dh_buf_release(&out);
	dh_buf_release(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"dt", "hour", "Country", "a_1",
					   "_x", "",	 "a-b",	    "k"};
	const char *k, *v;
	size_t klen, vlen;
	struct dh_buf e = DH_BUF_INIT;

	if (size == 0)
		return 0;
	if (data[0] & 0x80) {
		klen = data[0] & 0x1f;
		if (klen > size - 1)
			klen = size - 1;
		k = (const char *)data + 1;
	} else {
		k = keys[data[0] % (sizeof(keys) / sizeof(keys[0]))];
		klen = strlen(k);
	}
	v = (const char *)data + 1 + (data[0] & 0x80 ? klen : 0);
	vlen = size - 1 - (data[0] & 0x80 ? klen : 0);
	check_escape(v, vlen, &e);
	check_name(k, klen, v, vlen, e.len);
	dh_buf_release(&e);
	return 0;
}
