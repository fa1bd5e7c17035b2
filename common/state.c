#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "state.h"

const char *
dh_state_dir(const char *opt)
{
	const char *env = getenv("DH_STATE");

	if (opt != NULL && *opt != '\0')
		return opt;
	if (env != NULL && *env != '\0')
		return env;
	return "state";
}

static int
name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int
dh_table_name_ok(const char *name)
{
	const char *p = name;

	if (*p == '\0')
		return 0;
	for (;;) {
		const char *seg = p;

		if (*p == '_' || *p == '.' || *p == '/' || *p == '\0')
			return 0;
		while (*p != '\0' && *p != '/') {
			if (!name_char((unsigned char)*p))
				return 0;
			p++;
		}
		if (p == seg)
			return 0;
		if (*p == '\0')
			return 1;
		p++; /* '/' */
	}
}

/* Hive's FileUtils.charToEscape, for the ASCII range. */
static int
hive_escapes(unsigned char c)
{
	return c < 0x20 || c == 0x7f || (c != 0 && strchr("\"#%'*/:=?\\{[]^", c) != NULL);
}

void
dh_hive_escape(struct dh_buf *out, const char *v, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	if (n == 0) {
		dh_buf_adds(out, DH_HIVE_DEFAULT);
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (hive_escapes(c)) {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			dh_buf_add(out, e, 3);
		} else {
			dh_buf_addc(out, (char)c);
		}
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
dh_hive_unescape(struct dh_buf *out, const char *s, size_t n)
{
	size_t i;

	if (n == strlen(DH_HIVE_DEFAULT) && memcmp(s, DH_HIVE_DEFAULT, n) == 0)
		return;
	for (i = 0; i < n; i++) {
		int h, l;

		if (s[i] == '%' && i + 2 < n &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			dh_buf_addc(out, (char)(h * 16 + l));
			i += 2;
		} else {
			dh_buf_addc(out, s[i]);
		}
	}
}

int
dh_partition_name(struct dh_buf *out, const char *key, size_t klen,
		  const char *v, size_t vlen, const char **why)
{
	size_t start = out->len, i;

	if (klen == 0 || key[0] == '_') {
		*why = "a partition key must not be empty or start with '_'";
		return -1;
	}
	for (i = 0; i < klen; i++) {
		char c = key[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
			*why = "a partition key holds only letters, digits and '_'";
			out->len = start;
			out->data[start] = '\0';
			return -1;
		}
		dh_buf_addc(out, c);
	}
	if (!dh_utf8_valid(v, vlen, NULL)) {
		*why = "the partition value is not valid UTF-8";
		out->len = start;
		out->data[start] = '\0';
		return -1;
	}
	dh_buf_addc(out, '=');
	dh_hive_escape(out, v, vlen);
	if (out->len - start > DH_NAME_MAX) {
		*why = "the partition directory name would be longer than 255 bytes";
		out->len = start;
		out->data[start] = '\0';
		return -1;
	}
	return 0;
}
