/* The pieces of dh-dedup: canonical record bytes, the key set, durations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "input.h"
#include "keyset.h"
#include "reader.h"
#include "timeparse.h"
#include "unit.h"
#include "xalloc.h"

/* The key of one JSON line, as dh-dedup computes it. */
static struct dh_key
key_of_line(const char *line)
{
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	struct dh_canon c = DH_CANON_INIT;
	struct dh_key k = {0, 0};

	memset(&r, 0, sizeof(r));
	dh_reader_open(&r, NULL, DH_FMT_JSONL, 0);
	if (dh_reader_jsonl_line(&r, line, strlen(line), 1, &rec) == 1) {
		dh_canon_record(&c, &rec);
		k = dh_key_of(c.out.data, c.out.len);
	}
	dh_reader_close(&r);
	dh_record_release(&rec);
	dh_canon_release(&c);
	return k;
}

static int
same(const char *a, const char *b)
{
	struct dh_key x = key_of_line(a), y = key_of_line(b);

	return (x.lo | x.hi) != 0 && x.lo == y.lo && x.hi == y.hi;
}

static void
canon(void)
{
	static const char *const base = "{\"a\":1,\"b\":\"x\",\"c\":{\"y\":[1,{\"q\":null}],\"x\":2}}";
	/* the same record */
	CHECK(same(base, base));
	CHECK(same(base, "{\"c\":{\"x\":2,\"y\":[1,{\"q\":null}]},\"b\":\"x\",\"a\":1}"));
	CHECK(same(base, "{ \"a\" : 1 , \"b\" : \"\\u0078\" , \"c\" : { \"y\" : [ 1 , { \"q\" : null } ] , \"x\" : 2 } }"));
	CHECK(same("{\"\\u00e9\":\"\\/\"}", "{\"\xc3\xa9\":\"/\"}"));
	/* other records */
	CHECK(!same(base, "{\"a\":1.0,\"b\":\"x\",\"c\":{\"y\":[1,{\"q\":null}],\"x\":2}}"));
	CHECK(!same(base, "{\"a\":\"1\",\"b\":\"x\",\"c\":{\"y\":[1,{\"q\":null}],\"x\":2}}"));
	CHECK(!same(base, "{\"a\":1,\"b\":\"x\",\"c\":{\"y\":[{\"q\":null},1],\"x\":2}}"));
	CHECK(!same(base, "{\"a\":1,\"b\":\"x\",\"c\":{\"y\":[1,{\"q\":false}],\"x\":2}}"));
	CHECK(!same(base, "{\"a\":1,\"b\":\"x\"}"));
	/* pieces do not run together: names and values are length-prefixed */
	CHECK(!same("{\"ab\":\"c\"}", "{\"a\":\"bc\"}"));
	CHECK(!same("{\"a\":\"\",\"b\":\"\"}", "{\"a\":\"\"}"));
	CHECK(!same("{\"a\":[]}", "{\"a\":{}}"));
	CHECK(!same("{\"a\":[\"x\",\"y\"]}", "{\"a\":[\"xy\"]}"));
	CHECK(!same("{\"a\":null}", "{\"a\":\"\"}"));
	CHECK(!same("{\"a\":true}", "{\"a\":\"true\"}"));
}

static void
put64(struct dh_buf *b, uint64_t v)
{
	dh_buf_add(b, &v, sizeof(v));
}

/* The canonical bytes themselves: keys in --seen files are their hashes,
 * so they must not change from one version to the next. */
static void
canon_bytes(void)
{
	const char *line = "{\"b\":{\"y\":1,\"x\":[true,\"\\u0041\"]},\"a\":\"s\"}";
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	struct dh_canon c = DH_CANON_INIT;
	struct dh_buf want = DH_BUF_INIT;

	put64(&want, 2); /* fields, sorted by name */
	put64(&want, 1);
	dh_buf_add(&want, "as", 2);
	put64(&want, 1);
	dh_buf_addc(&want, 's');
	put64(&want, 1);
	dh_buf_add(&want, "bo", 2); /* an object of 2 members, sorted */
	put64(&want, 2);
	dh_buf_addc(&want, 's');
	put64(&want, 1);
	dh_buf_add(&want, "xa", 2); /* an array of 2 */
	put64(&want, 2);
	dh_buf_add(&want, "ts", 2);
	put64(&want, 1);
	dh_buf_addc(&want, 'A');
	dh_buf_addc(&want, 's');
	put64(&want, 1);
	dh_buf_add(&want, "yn", 2);
	put64(&want, 1);
	dh_buf_addc(&want, '1');
	memset(&r, 0, sizeof(r));
	dh_reader_open(&r, NULL, DH_FMT_JSONL, 0);
	CHECK(dh_reader_jsonl_line(&r, line, strlen(line), 1, &rec) == 1);
	dh_canon_record(&c, &rec);
	CHECK(c.out.len == want.len && memcmp(c.out.data, want.data, want.len) == 0);
	dh_reader_close(&r);
	dh_record_release(&rec);
	dh_canon_release(&c);
	dh_buf_release(&want);
}

/* Big tables: zeroed, every byte usable, sizes that are not whole pages
 * too (the allocator trims its mapping to pages). */
static void
big_alloc(void)
{
	static const size_t sizes[] = {100, (2u << 20) - 1, 2u << 20, (3u << 20) + 5, 24u * 262144};
	size_t i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = dh_big_calloc(sizes[i]);
		int zero = 1;

		CHECK(p != NULL);
		if (p == NULL)
			continue;
		for (j = 0; j < sizes[i]; j += 4093)
			zero &= p[j] == 0;
		zero &= p[sizes[i] - 1] == 0;
		CHECK(zero);
		memset(p, 0xa5, sizes[i]);
		dh_big_free(p, sizes[i]);
	}
	dh_big_free(NULL, 1u << 22);
}

static void
keyset(void)
{
	struct dh_keyset s;
	uint64_t *v;
	size_t i, n = 100000, found = 0;

	dh_keyset_init(&s, 1, 0);
	for (i = 0; i < n; i++) {
		struct dh_key k = dh_key_of(&i, sizeof(i));

		found += (size_t)dh_keyset_put(&s, k, i, &v);
	}
	CHECK(found == n); /* every key new */
	found = 0;
	CHECK(s.n == n);
	CHECK(s.cap * 3 >= s.n * 4); /* at most 3/4 full */
	CHECK(dh_keyset_bytes(&s) == s.cap * 24);
	for (i = 0; i < n; i++) {
		struct dh_key k = dh_key_of(&i, sizeof(i));

		if (dh_keyset_get(&s, k, &v) && *v == i)
			found++;
		if (i % 1000 == 0 && (dh_keyset_put(&s, k, 0, &v) != 0 || *v != i))
			found = 0; /* a second put must find the first */
	}
	CHECK(found == n);
	/* forget every key whose value is below n/2: the rest stay found */
	CHECK(dh_keyset_sweep(&s, n / 2) == n / 2);
	CHECK(s.n == n / 2);
	found = 0;
	for (i = 0; i < n; i++) {
		struct dh_key k = dh_key_of(&i, sizeof(i));

		if (dh_keyset_get(&s, k, &v) != (i >= n / 2))
			break;
		found++;
	}
	CHECK(found == n);
	dh_keyset_release(&s);
	/* no all-zero key comes out of dh_key_of */
	{
		struct dh_key k = dh_key_of("", 0);

		CHECK((k.lo | k.hi) != 0);
	}
}

static void
duration(void)
{
	static const struct {
		const char *s;
		int64_t ns;
	} good[] = {
		{"1ns", 1}, {"1us", 1000}, {"1ms", 1000000}, {"1s", 1000000000LL},
		{"30m", 1800000000000LL}, {"1h30m", 5400000000000LL}, {"1.5s", 1500000000LL},
		{"2d", 172800000000000LL}, {"1w", 604800000000000LL}, {"0.5ms", 500000},
	};
	static const char *const bad[] = {"", "0s", "1", "h", "1x", "1h-", "-5m", "1.h", ".5",
					  "1 h", "99999999999d", "1mss"};
	size_t i;
	int64_t ns;
	const char *why;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(dh_duration_parse(good[i].s, &ns, &why) == 0 && ns == good[i].ns);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(dh_duration_parse(bad[i], &ns, &why) != 0 && why != NULL);
}

int
main(void)
{
	canon();
	canon_bytes();
	big_alloc();
	keyset();
	duration();
	return unit_done("test_dedup");
}
