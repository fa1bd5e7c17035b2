/* Names in the state directory: table names, Hive escaping, hashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "state.h"
#include "unit.h"

static void
test_table_names(void)
{
	CHECK(dh_table_name_ok("clicks"));
	CHECK(dh_table_name_ok("raw/clicks"));
	CHECK(dh_table_name_ok("a.b-c_d/E9"));
	CHECK(!dh_table_name_ok(""));
	CHECK(!dh_table_name_ok("_x"));
	CHECK(!dh_table_name_ok(".x"));
	CHECK(!dh_table_name_ok("raw/_x"));
	CHECK(!dh_table_name_ok("raw//x"));
	CHECK(!dh_table_name_ok("/raw"));
	CHECK(!dh_table_name_ok("raw/"));
	CHECK(!dh_table_name_ok("raw/.."));
	CHECK(!dh_table_name_ok("a b"));
	CHECK(!dh_table_name_ok("a=b"));
}

/* Each value, its escaped directory value, and that it maps back. */
static void
test_escaping(void)
{
	static const struct {
		const char *v;
		size_t n;
		const char *want;
	} cases[] = {
		{"2026-11-20", 10, "2026-11-20"},
		{"../../etc", 9, "..%2F..%2Fetc"},
		{"a/b", 3, "a%2Fb"},
		{"", 0, DH_HIVE_DEFAULT},
		{".", 1, "."},
		{"..", 2, ".."},
		{"x=y", 3, "x%3Dy"},
		{"%41", 3, "%2541"},
		{"a\nb", 3, "a%0Ab"},
		{"caf\xc3\xa9", 5, "caf\xc3\xa9"},
		{"\"#%'*/:=?\\{[]^", 14, "%22%23%25%27%2A%2F%3A%3D%3F%5C%7B%5B%5D%5E"},
		{"\x01\x1f\x7f", 3, "%01%1F%7F"},
		{"a b;c", 5, "a b;c"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dh_buf e = DH_BUF_INIT, back = DH_BUF_INIT;

		dh_hive_escape(&e, cases[i].v, cases[i].n);
		CHECK_MEM(e.data, e.len, cases[i].want);
		CHECK(memchr(e.data, '/', e.len) == NULL);
		dh_hive_unescape(&back, e.data, e.len);
		CHECK(back.len == cases[i].n &&
		      (cases[i].n == 0 || memcmp(back.data, cases[i].v, cases[i].n) == 0));
		dh_buf_release(&e);
		dh_buf_release(&back);
	}
}

/* Every byte string of up to 2 bytes round-trips and stays one name. */
static void
test_roundtrip_all_pairs(void)
{
	int a, b, bad = 0;

	for (a = -1; a < 256; a++)
		for (b = -1; b < 256; b++) {
			char v[2];
			size_t n = 0;
			struct dh_buf e = DH_BUF_INIT, back = DH_BUF_INIT;

			if (a >= 0)
				v[n++] = (char)a;
			if (b >= 0)
				v[n++] = (char)b;
			dh_hive_escape(&e, v, n);
			dh_hive_unescape(&back, e.data, e.len);
			if (back.len != n || (n && memcmp(back.data, v, n) != 0) ||
			    memchr(e.data, '/', e.len) != NULL)
				bad++;
			dh_buf_release(&e);
			dh_buf_release(&back);
		}
	CHECK(bad == 0);
}

static void
test_partition_names(void)
{
	struct dh_buf b = DH_BUF_INIT;
	const char *why = NULL;
	char big[300];

	CHECK(dh_partition_name(&b, "DT", 2, "2026-11-20", 10, &why) == 0);
	CHECK_MEM(b.data, b.len, "dt=2026-11-20");
	dh_buf_reset(&b);
	CHECK(dh_partition_name(&b, "dt", 2, "", 0, &why) == 0);
	CHECK_MEM(b.data, b.len, "dt=" DH_HIVE_DEFAULT);
	dh_buf_reset(&b);
	CHECK(dh_partition_name(&b, "dt", 2, "\xff", 1, &why) < 0);
	CHECK(b.len == 0);
	CHECK(strstr(why, "UTF-8") != NULL);
	memset(big, 'x', sizeof(big));
	CHECK(dh_partition_name(&b, "k", 1, big, 254, &why) < 0);
	CHECK(strstr(why, "255") != NULL);
	CHECK(dh_partition_name(&b, "k", 1, big, 253, &why) == 0);
	CHECK(b.len == 255);
	dh_buf_reset(&b);
	CHECK(dh_partition_name(&b, "_k", 2, "v", 1, &why) < 0);
	CHECK(dh_partition_name(&b, "a-b", 3, "v", 1, &why) < 0);
	dh_buf_release(&b);
}

/* xxh128 as `xxhsum -H2` prints it. */
static void
test_hash(void)
{
	char hex[DH_HASH_HEX];
	char path[] = "/tmp/dh-test-hash.XXXXXX";
	int fd = mkstemp(path);
	unsigned long long size = 0;

	dh_hash_bytes("", 0, hex);
	CHECK(strcmp(hex, "99aa06d3014798d86001c324468d497f") == 0);
	dh_hash_bytes("abc", 3, hex);
	CHECK(strcmp(hex, "06b05ab6733a618578af5f94892f3950") == 0);
	CHECK(fd >= 0 && write(fd, "abc", 3) == 3);
	close(fd);
	CHECK(dh_hash_file(path, hex, &size) == 0);
	CHECK(strcmp(hex, "06b05ab6733a618578af5f94892f3950") == 0 && size == 3);
	unlink(path);
	CHECK(dh_hash_file(path, hex, &size) < 0);
}

int
main(void)
{
	test_table_names();
	test_escaping();
	test_roundtrip_all_pairs();
	test_partition_names();
	test_hash();
	return unit_done("test_state");
}
