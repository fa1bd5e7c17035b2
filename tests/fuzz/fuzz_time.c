/*
 * Fuzz target: event times and durations (common/timeparse).  The input,
 * in a buffer of exactly its size (no NUL: ASan sees any read past it),
 * is parsed as a time in each of the four epoch units.  Holds:
 *   - a refusal says why; an accepted time has 0 <= nsec < 1e9;
 *   - only an integer epoch depends on the unit, and then sec and nsec
 *     are exactly the integer in that unit (checked in 128 bits);
 *   - an accepted instant in the nanosecond range formats
 *     (dh_time_format) to ISO 8601 that parses to the same instant, and
 *     so does its decimal epoch form "S.NNNNNNNNN";
 *   - its bucket of every grain is recognised as that grain
 *     (dh_grain_of_bucket) and, for years 0-9999, starts at or before it:
 *     the bucket's first second has the same bucket, the one before not;
 *   - the input as a NUL-terminated duration: an accepted one is more
 *     than 0 and "<ns>ns" parses to the same.
 * Built and run by `make fuzz`; `make check` replays tests/fuzz/corpus-time.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "fuzz_time: " __VA_ARGS__);                    \
		fputc('\n', stderr);                                           \
		abort();                                                       \
	} while (0)

#define NS INT64_C(1000000000)

/* Parse exactly n bytes of s, from a buffer of that size. */
static int
parse(const char *s, size_t n, enum dh_time_unit u, int64_t *sec, int32_t *nsec,
      const char **why)
{
	char *p = malloc(n ? n : 1);
	int rc;

	memcpy(p, s, n);
	*why = NULL;
	rc = dh_time_parse(p, n, u, sec, nsec, why);
	free(p);
	if (rc != 0 && rc != -1)
		FAIL("dh_time_parse returned %d", rc);
	if (rc != 0 && (*why == NULL || **why == '\0'))
		FAIL("refused without a reason");
	if (rc == 0 && (*nsec < 0 || *nsec >= NS))
		FAIL("nsec %" PRId32 " out of range", *nsec);
	return rc;
}

/* "-"? digits: an integer epoch, the only form the unit applies to. */
static int
is_integer(const char *s, size_t n)
{
	size_t i = n > 0 && s[0] == '-';

	if (i == n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static void
check_integer(const char *s, size_t n, enum dh_time_unit u, int64_t sec,
	      int32_t nsec)
{
	static const int64_t per_ns[] = {NS, 1000000, 1000, 1};
	__int128 v = 0, got;
	size_t i = s[0] == '-';

	for (; i < n; i++)
		v = v * 10 + (s[i] - '0');
	if (s[0] == '-')
		v = -v;
	got = (__int128)sec * NS + nsec;
	if (got != v * per_ns[u])
		FAIL("integer epoch %.*s in unit %d gave %" PRId64
		     ".%09" PRId32,
		     (int)n, s, (int)u, sec, nsec);
}

static void
same_instant(const char *what, const char *text, int64_t sec, int32_t nsec)
{
	int64_t s2;
	int32_t n2;
	const char *why;

	if (parse(text, strlen(text), DH_UNIT_S, &s2, &n2, &why) != 0)
		FAIL("%s \"%s\" does not parse: %s", what, text, why);
	if (s2 != sec || n2 != nsec)
		FAIL("%s \"%s\" parses to %" PRId64 ".%09" PRId32
		     ", not %" PRId64 ".%09" PRId32,
		     what, text, s2, n2, sec, nsec);
}

static void
check_buckets(int64_t sec)
{
	static const char *const pad[] = {"-01-01", "-01", "", ":00Z"};
	int g;

	for (g = DH_GRAIN_YEAR; g <= DH_GRAIN_HOUR; g++) {
		char b[32], b2[32], start[48];
		size_t n = dh_time_bucket(sec, (enum dh_grain)g, b);
		enum dh_grain got;
		int64_t s0;
		int32_t n0;
		const char *why;

		if (n == 0 || n >= sizeof(b) || strlen(b) != n)
			FAIL("bucket of %" PRId64 ": length %zu", sec, n);
		if (dh_grain_of_bucket(b, &got) != 0 || (int)got != g)
			FAIL("bucket \"%s\" is not recognised as grain %d", b,
			     g);
		if (b[0] == '-' || (b[4] != '\0' && b[4] != '-'))
			continue; /* no ISO 8601 form for that year */
		snprintf(start, sizeof(start), "%s%s", b, pad[g]);
		if (parse(start, strlen(start), DH_UNIT_S, &s0, &n0, &why) != 0)
			FAIL("bucket start \"%s\" does not parse: %s", start,
			     why);
		if (n0 != 0 || s0 > sec)
			FAIL("bucket \"%s\" starts after %" PRId64, b, sec);
		dh_time_bucket(s0, (enum dh_grain)g, b2);
		if (strcmp(b, b2) != 0)
			FAIL("bucket \"%s\": its start is in \"%s\"", b, b2);
		dh_time_bucket(s0 - 1, (enum dh_grain)g, b2);
		if (strcmp(b, b2) == 0)
			FAIL("bucket \"%s\" starts before %s", b, start);
	}
}

static void
check_instant(int64_t sec, int32_t nsec)
{
	char iso[40], epoch[48];
	int64_t ns;
	size_t n;

	check_buckets(sec);
	/* dh_record_time's range: years 1678 to 2262 */
	if (sec > INT64_MAX / NS - 1 || sec < INT64_MIN / NS + 1)
		return;
	ns = sec * NS + nsec;
	n = dh_time_format(ns, iso);
	if (n != strlen(iso) || n < 20 || iso[n - 1] != 'Z')
		FAIL("dh_time_format(%" PRId64 ") gave \"%s\"", ns, iso);
	same_instant("formatted", iso, sec, nsec);
	if (ns >= 0)
		snprintf(epoch, sizeof(epoch), "%" PRId64 ".%09" PRId64,
			 ns / NS, ns % NS);
	else
		snprintf(epoch, sizeof(epoch), "-%" PRId64 ".%09" PRId64,
			 -(ns / NS), -(ns % NS));
	same_instant("epoch", epoch, sec, nsec);
}

static void
check_duration(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), again[32];
	int64_t ns, ns2;
	const char *why = NULL;

	memcpy(s, data, size);
	s[size] = '\0';
	if (dh_duration_parse(s, &ns, &why) == 0) {
		if (ns <= 0)
			FAIL("duration \"%s\" gave %" PRId64, s, ns);
		snprintf(again, sizeof(again), "%" PRId64 "ns", ns);
		if (dh_duration_parse(again, &ns2, &why) != 0 || ns2 != ns)
			FAIL("duration \"%s\" is %" PRId64
			     "ns, which does not parse back",
			     s, ns);
	} else if (why == NULL || *why == '\0') {
		FAIL("duration refused without a reason");
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int64_t sec[4];
	int32_t nsec[4];
	int rc[4], u, integer = is_integer(s, size);
	const char *why;

	for (u = DH_UNIT_S; u <= DH_UNIT_NS; u++) {
		rc[u] = parse(s, size, (enum dh_time_unit)u, &sec[u], &nsec[u],
			      &why);
		if (rc[u] == 0 && integer)
			check_integer(s, size, (enum dh_time_unit)u, sec[u],
				      nsec[u]);
		if (!integer && u > 0 &&
		    (rc[u] != rc[0] ||
		     (rc[0] == 0 && (sec[u] != sec[0] || nsec[u] != nsec[0]))))
			FAIL("\"%.*s\" depends on the epoch unit", (int)size,
			     s);
		if (rc[u] == 0)
			check_instant(sec[u], nsec[u]);
	}
	if (size < 256)
		check_duration(data, size);
	return 0;
}
