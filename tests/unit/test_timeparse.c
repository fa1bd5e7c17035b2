/* Event times: ISO 8601 and epoch forms, UTC buckets. */
#include <string.h>

#include "timeparse.h"
#include "unit.h"

static void
check(const char *s, enum dh_time_unit u, long long want_sec, int want_ns)
{
	int64_t sec = 0;
	int32_t ns = 0;
	const char *why = NULL;
	int rc = dh_time_parse(s, strlen(s), u, &sec, &ns, &why);

	CHECK(rc == 0);
	if (rc != 0 || sec != want_sec || ns != want_ns) {
		unit_fail++;
		fprintf(stderr, "%s: got %lld.%09d (%s), want %lld.%09d\n", s,
			(long long)sec, (int)ns, rc ? why : "ok", want_sec, want_ns);
	}
}

static void
bad(const char *s)
{
	int64_t sec;
	int32_t ns;
	const char *why = NULL;

	CHECK(dh_time_parse(s, strlen(s), DH_UNIT_S, &sec, &ns, &why) < 0);
	CHECK(why != NULL);
}

static void
bucket(long long sec, enum dh_grain g, const char *want)
{
	char out[32];
	size_t n = dh_time_bucket(sec, g, out);

	CHECK_MEM(out, n, want);
}

static void
check_format(int64_t ns, const char *want)
{
	char b[40];
	size_t n = dh_time_format(ns, b);

	CHECK_MEM(b, n, want);
}

int
main(void)
{
	check_format(0, "1970-01-01T00:00:00Z");
	check_format(1795182300LL * 1000000000, "2026-11-20T13:45:00Z");
	check_format(1795182300LL * 1000000000 + 250000000, "2026-11-20T13:45:00.25Z");
	check_format(1795182300LL * 1000000000 + 1, "2026-11-20T13:45:00.000000001Z");
	check_format(-1, "1969-12-31T23:59:59.999999999Z");
	check_format(-86400LL * 1000000000, "1969-12-31T00:00:00Z");
	check_format(1709164800LL * 1000000000, "2024-02-29T00:00:00Z");
	/* expected values from `date -u -d ... +%s` */
	check("2026-11-20T13:45:00Z", DH_UNIT_S, 1795182300, 0);
	check("2026-11-20 13:45:00.123+01:00", DH_UNIT_S, 1795178700, 123000000);
	check("2026-11-20T13:45Z", DH_UNIT_S, 1795182300, 0);
	check("2026-11-20", DH_UNIT_S, 1795132800, 0);
	check("2026-11-20T13:45:00.5-0230", DH_UNIT_S, 1795191300, 500000000);
	check("2024-02-29T00:00:00Z", DH_UNIT_S, 1709164800, 0);
	check("1457741907.959400112", DH_UNIT_S, 1457741907, 959400112);
	check("1457741907", DH_UNIT_S, 1457741907, 0);
	check("1457741907959", DH_UNIT_MS, 1457741907, 959000000);
	check("1457741907959400", DH_UNIT_US, 1457741907, 959400000);
	check("1457741907959400112", DH_UNIT_NS, 1457741907, 959400112);
	check("-1.5", DH_UNIT_S, -2, 500000000);
	check("1969-12-31T23:59:59Z", DH_UNIT_S, -1, 0);
	bad("");
	bad("yesterday");
	bad("2026-13-01");
	bad("2026-02-29");
	bad("2026-11-20T25:00:00Z");
	bad("2026-11-20T13:45:00Zjunk");
	bad("1.");
	bad("12a");
	bad("99999999999999999999999");
	bucket(1795182300, DH_GRAIN_DAY, "2026-11-20");
	bucket(1795182300, DH_GRAIN_HOUR, "2026-11-20T13");
	bucket(1795182300, DH_GRAIN_MONTH, "2026-11");
	bucket(1795182300, DH_GRAIN_YEAR, "2026");
	bucket(-1, DH_GRAIN_HOUR, "1969-12-31T23");
	/* every bucket reads back as its grain; other values as none */
	{
		static const char *const bad_buckets[] = {
			"", "26", "2026-1", "2026-11-2", "2026-11-20T1", "2026-11-20 13",
			"2026-11-20T13:00", "x2026", "2026-ab", "__HIVE_DEFAULT_PARTITION__"};
		enum dh_grain g;
		char out[32];
		int k;
		size_t i;

		for (k = DH_GRAIN_YEAR; k <= DH_GRAIN_HOUR; k++) {
			dh_time_bucket(1795182300, (enum dh_grain)k, out);
			CHECK(dh_grain_of_bucket(out, &g) == 0 && g == (enum dh_grain)k);
		}
		CHECK(strcmp(dh_grain_name(DH_GRAIN_DAY), "day") == 0);
		CHECK(strcmp(dh_grain_name(DH_GRAIN_HOUR), "hour") == 0);
		CHECK(dh_grain_of_bucket("-0001-12-31", &g) == 0 && g == DH_GRAIN_DAY);
		for (i = 0; i < sizeof(bad_buckets) / sizeof(bad_buckets[0]); i++)
			CHECK(dh_grain_of_bucket(bad_buckets[i], &g) != 0);
	}
	return unit_done("test_timeparse");
}
