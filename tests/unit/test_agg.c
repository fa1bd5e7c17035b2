/* Unit tests for common/num, common/hll, common/agg and keyset deletion. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "hll.h"
#include "keyset.h"
#include "num.h"
#include "unit.h"

static void
test_parse(void)
{
	int64_t i;
	double d;

	CHECK(dh_num_parse("42", 2, &i, &d) == DH_NUM_INT && i == 42);
	CHECK(dh_num_parse("-9223372036854775808", 20, &i, &d) == DH_NUM_INT && i == INT64_MIN);
	CHECK(dh_num_parse("9223372036854775807", 19, &i, &d) == DH_NUM_INT && i == INT64_MAX);
	CHECK(dh_num_parse("9223372036854775808", 19, &i, &d) == DH_NUM_BIG);
	CHECK(dh_num_parse("123456789012345678901234567890", 30, &i, &d) == DH_NUM_BIG);
	CHECK(dh_num_parse("1.5", 3, &i, &d) == DH_NUM_FLOAT && d == 1.5);
	CHECK(dh_num_parse("+.5", 3, &i, &d) == DH_NUM_FLOAT && d == 0.5);
	CHECK(dh_num_parse("1e3", 3, &i, &d) == DH_NUM_FLOAT && d == 1000);
	CHECK(dh_num_parse("-2.5E-1", 7, &i, &d) == DH_NUM_FLOAT && d == -0.25);
	CHECK(dh_num_parse("5.", 2, &i, &d) == DH_NUM_FLOAT && d == 5);
	CHECK(dh_num_parse("", 0, &i, &d) == DH_NUM_NONE);
	CHECK(dh_num_parse("-", 1, &i, &d) == DH_NUM_NONE);
	CHECK(dh_num_parse(".", 1, &i, &d) == DH_NUM_NONE);
	CHECK(dh_num_parse("1x", 2, &i, &d) == DH_NUM_NONE);
	CHECK(dh_num_parse("inf", 3, &i, &d) == DH_NUM_NONE);
	CHECK(dh_num_parse("nan", 3, &i, &d) == DH_NUM_NONE);
	CHECK(dh_num_parse("0x10", 4, &i, &d) == DH_NUM_NONE);
	CHECK(dh_num_parse("1e", 2, &i, &d) == DH_NUM_NONE);
	CHECK(dh_num_parse(" 1", 2, &i, &d) == DH_NUM_NONE);
	CHECK(dh_num_parse("1 ", 2, &i, &d) == DH_NUM_NONE);
	/* not NUL-terminated: only n bytes count */
	CHECK(dh_num_parse("12x", 2, &i, &d) == DH_NUM_INT && i == 12);
}

static void
test_fmt(void)
{
	char b[32];
	size_t n;

	n = dh_num_fmt(0.1, b);
	CHECK_MEM(b, n, "0.1");
	n = dh_num_fmt(0.1 + 0.2, b);
	CHECK_MEM(b, n, "0.30000000000000004");
	n = dh_num_fmt(3.0, b);
	CHECK_MEM(b, n, "3");
	n = dh_num_fmt(1e300, b);
	CHECK_MEM(b, n, "1e+300");
	n = dh_num_fmt(-2.5, b);
	CHECK_MEM(b, n, "-2.5");
	n = dh_num_fmt(1.0 / 3, b);
	CHECK(strtod(b, NULL) == 1.0 / 3 && n <= 18);
	n = dh_num_fmt(5e-324, b);
	CHECK(strtod(b, NULL) == 5e-324);
	n = dh_num_fmt_int(INT64_MIN, b);
	CHECK_MEM(b, n, "-9223372036854775808");
}

/* xorshift: deterministic values over a wide range of magnitudes */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* dh_num_fmt as it was before its fast way for short decimals: the first
 * of %.15g, %.16g, %.17g that reads back */
static size_t
fmt_ref(double d, char out[32])
{
	int p, len = 0;

	for (p = 15; p <= 17; p++) {
		len = snprintf(out, 32, "%.*g", p, d);
		if (strtod(out, NULL) == d)
			break;
	}
	return (size_t)len;
}

/* dh_num_fmt(d) gives fmt_ref's bytes; the first few that do not are
 * shown, and all counted in *bad */
static void
fmt_same(double d, int *bad)
{
	char a[32], b[32];
	size_t na = dh_num_fmt(d, a), nb = fmt_ref(d, b);

	if ((na != nb || memcmp(a, b, na) != 0) && (*bad)++ < 5)
		fprintf(stderr, "dh_num_fmt(%.17g): %.*s, expected %.*s\n", d, (int)na, a,
			(int)nb, b);
}

/* the fast way gives the very bytes of the slow one: decimals of 0 to 12
 * places and up to 17 digits, at every magnitude near its limits, and
 * random bit patterns */
static void
test_fmt_fast(void)
{
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12};
	uint64_t seed = 42;
	int i, bad = 0;

	for (i = 0; i < 1000000; i++) {
		double d;
		uint64_t r = rnd(&seed);

		if (i % 4 == 3) {
			memcpy(&d, &r, sizeof(d));
			if (!isfinite(d))
				continue;
		} else {
			uint64_t digits = rnd(&seed) % 17 + 1, m = r % 100000000000000000ULL;
			uint64_t cap = 1;

			while (digits-- > 0)
				cap *= 10;
			m %= cap;
			d = (double)m / p10[rnd(&seed) % 13];
			if (r & 1)
				d = -d;
		}
		fmt_same(d, &bad);
	}
	CHECK(bad == 0);
	/* values of 15 to 17 digits between 1e-4 and 1e15, as means and
	 * deviations are: random ones, quotients, halves (ties: printf
	 * rounds them to even), neighbours of powers of ten */
	for (i = 0; i < 1000000; i++) {
		double d;
		uint64_t r = rnd(&seed);

		switch (i % 5) {
		case 0:
			d = ldexp((double)(r >> 11), -53) * pow(10, (double)(rnd(&seed) % 20) - 5);
			break;
		case 1:
			d = (double)(r % 100000000000ULL) / (double)(rnd(&seed) % 100000 + 1) / 100;
			break;
		case 2:
			d = (double)(r % 900000000000000ULL + 100000000000000ULL) + 0.5;
			break;
		case 3:
			d = nextafter(pow(10, (double)(r % 20) - 4), (rnd(&seed) & 1) ? 0 : 1e300);
			break;
		default:
			d = (double)(r % 1000000000000000ULL) / 1024;
			break;
		}
		if (r & 2)
			d = -d;
		fmt_same(d, &bad);
	}
	CHECK(bad == 0);
}

static void
test_xsum(void)
{
	struct dh_xsum a = DH_XSUM_INIT, b = DH_XSUM_INIT, c = DH_XSUM_INIT;
	double v[2000];
	uint64_t s = 88172645463325252ULL;
	int k;

	/* naive summation gets 0 here; the exact sum is 1 */
	dh_xsum_add(&a, 1e16);
	dh_xsum_add(&a, 1);
	dh_xsum_add(&a, -1e16);
	CHECK(dh_xsum_value(&a) == 1);
	dh_xsum_release(&a);

	dh_xsum_add(&a, 0.1);
	dh_xsum_add(&a, 0.2);
	CHECK(dh_xsum_value(&a) == 0.30000000000000004); /* correctly rounded */
	dh_xsum_add(&a, -0.1);
	dh_xsum_add(&a, -0.2);
	CHECK(dh_xsum_value(&a) == 0);
	dh_xsum_release(&a);

	dh_xsum_add(&a, -3.5);
	dh_xsum_add_int(&a, 2);
	CHECK(dh_xsum_value(&a) == -1.5);
	dh_xsum_add_int(&a, INT64_MIN);
	CHECK(dh_xsum_value(&a) == -9223372036854775808.0 - 1.5);
	dh_xsum_release(&a);

	dh_xsum_add(&a, 1.7976931348623157e308);
	dh_xsum_add(&a, 1.7976931348623157e308);
	CHECK(isinf(dh_xsum_value(&a)));
	dh_xsum_release(&a);
	dh_xsum_add(&a, 5e-324);
	dh_xsum_add(&a, 5e-324);
	CHECK(dh_xsum_value(&a) == 1e-323);
	dh_xsum_release(&a);

	/* order does not matter: forwards, backwards, and in two halves
	 * merged, all give the same bits */
	for (k = 0; k < 2000; k++) {
		uint64_t r = rnd(&s);

		v[k] = ldexp((double)(r >> 11), (int)(r % 200) - 150) * (r & 1 ? -1 : 1);
	}
	for (k = 0; k < 2000; k++)
		dh_xsum_add(&a, v[k]);
	for (k = 1999; k >= 0; k--)
		dh_xsum_add(&b, v[k]);
	CHECK(dh_xsum_value(&a) == dh_xsum_value(&b));
	dh_xsum_release(&b);
	for (k = 0; k < 1000; k++)
		dh_xsum_add(&b, v[k]);
	for (k = 1000; k < 2000; k++)
		dh_xsum_add(&c, v[k]);
	dh_xsum_merge(&c, &b);
	CHECK(dh_xsum_value(&a) == dh_xsum_value(&c));
	/* digits written out and read back */
	dh_xsum_release(&b);
	dh_xsum_normalize(&a);
	for (k = 0; k < a.n; k++)
		dh_xsum_add_digit(&b, a.lo + k, dh_xsum_digit(&a, k));
	CHECK(dh_xsum_value(&a) == dh_xsum_value(&b));
	dh_xsum_release(&a);
	dh_xsum_release(&b);
	dh_xsum_release(&c);
}

/* Sample variance, exact then rounded once, in any order or split. */
static void
test_variance(void)
{
	struct dh_xsum s1 = DH_XSUM_INIT, s2 = DH_XSUM_INIT, t1 = DH_XSUM_INIT, t2 = DH_XSUM_INIT;
	struct dh_xsum u1 = DH_XSUM_INIT, u2 = DH_XSUM_INIT;
	double v[1000], var, var2, mean = 0, m2 = 0;
	uint64_t s = 2463534242ULL;
	int k;

	for (k = 1; k <= 4; k++) {
		dh_xsum_add_int(&s1, k);
		dh_xsum_add_square_int(&s2, k);
	}
	CHECK(dh_xsum_variance(&s1, &s2, 4, &var) == 0 && var == 5.0 / 3);
	CHECK(dh_xsum_variance(&s1, &s2, 1, &var) == -1);
	dh_xsum_release(&s1);
	dh_xsum_release(&s2);
	/* no cancellation: Python's statistics.variance gives the same */
	dh_xsum_add(&s1, 1e16);
	dh_xsum_add(&s1, 1);
	dh_xsum_add(&s1, -1e16);
	dh_xsum_add(&s1, 3);
	dh_xsum_add_square(&s2, 1e16);
	dh_xsum_add_square(&s2, 1);
	dh_xsum_add_square(&s2, -1e16);
	dh_xsum_add_square(&s2, 3);
	CHECK(dh_xsum_variance(&s1, &s2, 4, &var) == 0 && var == 6.666666666666667e+31);
	dh_xsum_release(&s1);
	dh_xsum_release(&s2);
	/* random values: forwards, backwards and in halves give the same
	 * bits, and agree with a careful two-pass computation */
	for (k = 0; k < 1000; k++)
		v[k] = 1000 + (double)(rnd(&s) % 100000) / 100;
	for (k = 0; k < 1000; k++) {
		dh_xsum_add(&s1, v[k]);
		dh_xsum_add_square(&s2, v[k]);
		dh_xsum_add(&t1, v[999 - k]);
		dh_xsum_add_square(&t2, v[999 - k]);
		mean += v[k] / 1000;
	}
	dh_xsum_release(&u1);
	for (k = 0; k < 500; k++) {
		dh_xsum_add(&u1, v[k]);
		dh_xsum_add_square(&u2, v[k]);
	}
	{
		struct dh_xsum w1 = DH_XSUM_INIT, w2 = DH_XSUM_INIT;

		for (k = 500; k < 1000; k++) {
			dh_xsum_add(&w1, v[k]);
			dh_xsum_add_square(&w2, v[k]);
		}
		dh_xsum_merge(&u1, &w1);
		dh_xsum_merge(&u2, &w2);
		dh_xsum_release(&w1);
		dh_xsum_release(&w2);
	}
	for (k = 0; k < 1000; k++)
		m2 += (v[k] - mean) * (v[k] - mean);
	CHECK(dh_xsum_variance(&s1, &s2, 1000, &var) == 0);
	CHECK(dh_xsum_variance(&t1, &t2, 1000, &var2) == 0 && var2 == var);
	CHECK(dh_xsum_variance(&u1, &u2, 1000, &var2) == 0 && var2 == var);
	CHECK(fabs(var - m2 / 999) <= 1e-12 * var);
	dh_xsum_release(&s1);
	dh_xsum_release(&s2);
	dh_xsum_release(&t1);
	dh_xsum_release(&t2);
	dh_xsum_release(&u1);
	dh_xsum_release(&u2);
}

static void
test_hll(void)
{
	struct dh_hll h = DH_HLL_INIT, x = DH_HLL_INIT, y = DH_HLL_INIT;
	uint64_t i;
	double e;

	CHECK(dh_hll_estimate(&h) == 0);
	for (i = 0; i < 1000; i++) {
		struct dh_key k = dh_key_of(&i, sizeof(i));

		dh_hll_add(&h, k.lo);
		dh_hll_add(&h, k.lo); /* twice: still one value */
	}
	e = dh_hll_estimate(&h);
	CHECK(h.dense == NULL || h.sparse == NULL);
	CHECK(fabs(e - 1000) < 20);
	for (i = 1000; i < 1000000; i++) {
		struct dh_key k = dh_key_of(&i, sizeof(i));

		dh_hll_add(&h, k.lo);
		dh_hll_add(i % 2 ? &x : &y, k.lo);
	}
	e = dh_hll_estimate(&h);
	CHECK(h.dense != NULL);
	CHECK(fabs(e - 1000000) < 20000); /* within 2% */
	/* merged halves (and the first thousand) equal the whole */
	for (i = 0; i < 1000; i++) {
		struct dh_key k = dh_key_of(&i, sizeof(i));

		dh_hll_add(&x, k.lo);
	}
	dh_hll_merge(&x, &y);
	CHECK(dh_hll_estimate(&x) == e);
	for (i = 0; i < DH_HLL_M; i++)
		if (dh_hll_get(&x, (uint32_t)i) != dh_hll_get(&h, (uint32_t)i))
			break;
	CHECK(i == DH_HLL_M);
	dh_hll_release(&h);
	dh_hll_release(&x);
	dh_hll_release(&y);
}

static void
test_keyset_del(void)
{
	struct dh_keyset s;
	uint64_t i, *v;
	int all = 1;

	dh_keyset_init(&s, 1, 0);
	s.first_cap = 8;
	for (i = 0; i < 5000; i++)
		dh_keyset_put(&s, dh_key_of(&i, sizeof(i)), i, NULL);
	for (i = 0; i < 5000; i += 2)
		CHECK(dh_keyset_del(&s, dh_key_of(&i, sizeof(i))) == 1 || (all = 0));
	CHECK(s.n == 2500);
	for (i = 0; i < 5000; i++) {
		int there = dh_keyset_get(&s, dh_key_of(&i, sizeof(i)), &v);

		if (there != (int)(i % 2) || (there && *v != i))
			all = 0;
	}
	CHECK(all);
	i = 1;
	CHECK(dh_keyset_del(&s, dh_key_of(&i, sizeof(i))) == 1);
	CHECK(dh_keyset_del(&s, dh_key_of(&i, sizeof(i))) == 0);
	dh_keyset_release(&s);
}

/* One record of one field. */
static void
one(struct dh_record *r, const char *name, const char *val, enum dh_vtype t)
{
	dh_record_reset(r);
	dh_record_add(r, name, strlen(name), val, strlen(val), t);
}

static void
result_is(const struct dh_agg_spec *s, struct dh_agg_state *st, const char *want)
{
	struct dh_record out = DH_RECORD_INIT;
	struct dh_buf b = DH_BUF_INIT, err = DH_BUF_INIT;
	size_t i;

	CHECK(dh_agg_result(s, st, &out, &err) == 0);
	dh_record_fix(&out);
	for (i = 0; i < out.n; i++)
		dh_buf_addf(&b, "%s%.*s=%.*s", i ? " " : "", (int)out.f[i].nlen, out.f[i].name,
			    (int)out.f[i].vlen, out.f[i].val);
	CHECK_MEM(b.data, b.len, want);
	dh_buf_release(&b);
	dh_buf_release(&err);
	dh_record_release(&out);
}

static void
test_agg(void)
{
	struct dh_agg_spec s;
	struct dh_agg_scratch sc;
	struct dh_agg_state *all, *x, *y;
	struct dh_record r = DH_RECORD_INIT;
	struct dh_buf err = DH_BUF_INIT;
	unsigned long long invalid = 0;
	static const char *const vals[] = {"3", "1.5", "", "null", "7", "-2", "1.5"};
	size_t k;

	memset(&sc, 0, sizeof(sc));
	CHECK(dh_agg_spec_parse(&s, "count,count:v,nulls:v,sum:v,mean:v,min:v,max:v,median:v,"
				    "p25:v,first:v,last:v,distinct:v",
				&err) == 0);
	all = dh_agg_new(&s);
	x = dh_agg_new(&s);
	y = dh_agg_new(&s);
	for (k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
		one(&r, "v", vals[k], strcmp(vals[k], "null") == 0 ? DH_V_NULL : DH_V_STR);
		sc.pos = k;
		CHECK(dh_agg_prepare(&s, &r, &sc, &invalid) == 0);
		CHECK(dh_agg_apply(&s, all, &sc) == 0);
		CHECK(dh_agg_apply(&s, k % 2 ? x : y, &sc) == 0);
	}
	result_is(&s, all, "count=7 v_count=5 v_nulls=2 v_sum=11 v_mean=2.2 v_min=-2 v_max=7 "
			   "v_median=1.5 v_p25=1.5 v_first=3 v_last=1.5 v_distinct=4");
	/* merged in either order, by positions */
	CHECK(dh_agg_merge(&s, x, y, &err) == 0);
	result_is(&s, x, "count=7 v_count=5 v_nulls=2 v_sum=11 v_mean=2.2 v_min=-2 v_max=7 "
			 "v_median=1.5 v_p25=1.5 v_first=3 v_last=1.5 v_distinct=4");
	/* a bad number leaves the state alone */
	one(&r, "v", "1x", DH_V_STR);
	CHECK(dh_agg_prepare(&s, &r, &sc, &invalid) == -1);
	CHECK_MEM(sc.err.data, sc.err.len, "field \"v\": not a number: \"1x\"");
	/* an integer sum past 64 bits is an error as a result, whatever the
	 * order of its terms: here it comes back into range */
	{
		struct dh_agg_state *z = dh_agg_new(&s);
		struct dh_record out = DH_RECORD_INIT;
		static const char *const big[] = {"9223372036854775807", "8",
						  "-9223372036854775808"};

		for (k = 0; k < 3; k++) {
			one(&r, "v", big[k], DH_V_STR);
			CHECK(dh_agg_prepare(&s, &r, &sc, &invalid) == 0);
			CHECK(dh_agg_apply(&s, z, &sc) == 0);
			if (k == 1) {
				dh_buf_reset(&err);
				CHECK(dh_agg_result(&s, z, &out, &err) == -1);
				CHECK_MEM(err.data, err.len,
					  "field \"v\": the integer sum overflows 64 bits: "
					  "9223372036854775815");
				dh_record_reset(&out);
			}
		}
		dh_buf_reset(&err);
		CHECK(dh_agg_result(&s, z, &out, &err) == 0);
		dh_record_fix(&out);
		CHECK(out.n > 3 && out.f[3].vlen == 1 && out.f[3].val[0] == '7');
		dh_record_release(&out);
		dh_agg_free(&s, z);
	}
	dh_agg_free(&s, all);
	dh_agg_free(&s, x);
	dh_agg_free(&s, y);
	dh_agg_spec_release(&s);

	dh_buf_reset(&err);
	CHECK(dh_agg_spec_parse(&s, "sum", &err) == -1);
	CHECK_MEM(err.data, err.len, "'sum' needs a field: sum:FIELD");
	dh_buf_reset(&err);
	CHECK(dh_agg_spec_parse(&s, "p101:x", &err) == -1);
	dh_buf_reset(&err);
	CHECK(dh_agg_spec_parse(&s, "sum:x,sum:x", &err) == -1);
	CHECK_MEM(err.data, err.len, "'sum:x' is listed twice");
	CHECK(dh_agg_spec_parse(&s, "p99.9:lat", &err) == 0 && strcmp(s.items[0].name, "lat_p99.9") == 0);
	dh_agg_spec_release(&s);
	dh_agg_scratch_release(&sc);
	dh_record_release(&r);
	dh_buf_release(&err);
}

/*
 * A saved state is the same text however its records were added up:
 * in one run, or in shares merged in any order (the threads of a run).
 * Sums that cancel to 0, and negative ones (-1 atop 2^32 - 1), included;
 * the values of median and the hashes of distinct come out sorted.
 */
static void
test_state_text(void)
{
	struct dh_agg_spec s;
	struct dh_agg_scratch sc;
	struct dh_buf err = DH_BUF_INIT, a = DH_BUF_INIT, b = DH_BUF_INIT;
	struct dh_record r = DH_RECORD_INIT;
	unsigned long long invalid = 0;
	uint64_t seed = 7;
	int round, bad = 0;

	memset(&sc, 0, sizeof(sc));
	CHECK(dh_agg_spec_parse(&s, "sum:v,stddev:v,median:v,distinct:v", &err) == 0);
	for (round = 0; round < 3000; round++) {
		struct dh_agg_state *all = dh_agg_new(&s), *part[4];
		size_t n = 1 + rnd(&seed) % 40, k, np = 1 + rnd(&seed) % 4;
		char v[40];

		for (k = 0; k < np; k++)
			part[k] = dh_agg_new(&s);
		double prev = 0;

		for (k = 0; k < n; k++) {
			uint64_t x = rnd(&seed);
			double d;

			switch (x % 5) {
			case 4: d = -prev; break; /* cancels the low digits of one before */
			case 0: d = (double)(int64_t)(x >> 40) / 100; break; /* prices, +-0.01 */
			case 1: d = ldexp((double)(x >> 11), -53) * pow(10, (double)(rnd(&seed) % 40) - 20); break;
			case 2: d = -0.1 * (double)(1 + x % 3); break;
			default: d = (x >> 8) % 2 ? 1e15 + 0.5 : -(1e15 + 0.5); break;
			}
			if (x % 3 == 0 && x % 5 != 4)
				d = -d;
			prev = d;
			snprintf(v, sizeof(v), "%.17g", d);
			one(&r, "v", v, DH_V_STR);
			sc.pos = k;
			if (dh_agg_prepare(&s, &r, &sc, &invalid) != 0 ||
			    dh_agg_apply(&s, all, &sc) != 0 ||
			    dh_agg_apply(&s, part[rnd(&seed) % np], &sc) != 0)
				bad++;
		}
		/* merged from the last share down */
		for (k = np - 1; k > 0; k--)
			bad += dh_agg_merge(&s, part[k - 1], part[k], &err) != 0;
		dh_buf_reset(&a);
		dh_buf_reset(&b);
		bad += dh_agg_state_json(&s, all, &a, &err) != 0;
		bad += dh_agg_state_json(&s, part[0], &b, &err) != 0;
		if ((a.len != b.len || memcmp(a.data, b.data, a.len) != 0) && bad++ < 3)
			fprintf(stderr, "state text differs:\n%s\n%s\n", a.data, b.data);
		/* and read back (--merge), it is written the same again */
		{
			json_t *j = json_loadb(b.data, b.len, 0, NULL);
			struct dh_agg_state *back = NULL;

			bad += j == NULL || dh_agg_state_read(&s, j, &back, &err) != 0;
			dh_buf_reset(&a);
			bad += back == NULL || dh_agg_state_json(&s, back, &a, &err) != 0;
			if ((a.len != b.len || memcmp(a.data, b.data, a.len) != 0) && bad++ < 3)
				fprintf(stderr, "state text read back differs:\n%s\n%s\n", b.data, a.data);
			dh_agg_free(&s, back);
			json_decref(j);
		}
		dh_agg_free(&s, all);
		for (k = 0; k < np; k++)
			dh_agg_free(&s, part[k]);
	}
	CHECK(bad == 0);
	dh_agg_spec_release(&s);
	dh_agg_scratch_release(&sc);
	dh_record_release(&r);
	dh_buf_release(&err);
	dh_buf_release(&a);
	dh_buf_release(&b);
}

int
main(void)
{
	test_parse();
	test_fmt();
	test_fmt_fast();
	test_xsum();
	test_variance();
	test_hll();
	test_keyset_del();
	test_agg();
	test_state_text();
	return unit_done("test_agg");
}
