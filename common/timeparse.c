#include <stdio.h>
#include <string.h>

#include "timeparse.h"

#include "err.h"
#include "flatten.h"

int
dh_time_unit_parse(const char *s, enum dh_time_unit *u)
{
	static const char *const names[] = {"s", "ms", "us", "ns"};
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*u = (enum dh_time_unit)i;
			return 0;
		}
	return -1;
}

static const char *const grain_names[] = {"year", "month", "day", "hour"};

const char *
dh_grain_name(enum dh_grain g)
{
	return grain_names[g];
}

int
dh_grain_parse(const char *s, enum dh_grain *g)
{
	const char *const *names = grain_names;
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*g = (enum dh_grain)i;
			return 0;
		}
	return -1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), H. Hinnant's. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int
digits(const char *s, size_t n, size_t at, size_t k, int *out)
{
	size_t i;
	int v = 0;

	if (at + k > n)
		return -1;
	for (i = 0; i < k; i++) {
		char c = s[at + i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

/* Fraction digits at s[*at..] into nanoseconds (extra digits dropped). */
static int32_t
fraction(const char *s, size_t n, size_t *at)
{
	int32_t ns = 0;
	int k = 0;

	while (*at < n && s[*at] >= '0' && s[*at] <= '9') {
		if (k < 9) {
			ns = ns * 10 + (s[*at] - '0');
			k++;
		}
		(*at)++;
	}
	while (k++ < 9)
		ns *= 10;
	return ns;
}

static int
parse_iso(const char *s, size_t n, int64_t *sec, int32_t *nsec, const char **why)
{
	int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0;
	size_t at = 10;
	int32_t ns = 0;
	int64_t t;

	*why = "not an ISO 8601 time or epoch seconds";
	if (digits(s, n, 0, 4, &y) || s[4] != '-' || digits(s, n, 5, 2, &mo) ||
	    s[7] != '-' || digits(s, n, 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
		*why = "no such date";
		return -1;
	}
	if (at < n) {
		if (s[at] != 'T' && s[at] != 't' && s[at] != ' ')
			return -1;
		if (digits(s, n, at + 1, 2, &h) || at + 3 >= n || s[at + 3] != ':' ||
		    digits(s, n, at + 4, 2, &mi))
			return -1;
		at += 6;
		if (at < n && s[at] == ':') {
			if (digits(s, n, at + 1, 2, &se))
				return -1;
			at += 3;
			if (at < n && (s[at] == '.' || s[at] == ',')) {
				size_t f = ++at;

				ns = fraction(s, n, &at);
				if (at == f)
					return -1;
			}
		}
		if (h > 23 || mi > 59 || se > 60) {
			*why = "no such time of day";
			return -1;
		}
		if (at < n && (s[at] == 'Z' || s[at] == 'z')) {
			at++;
		} else if (at < n && (s[at] == '+' || s[at] == '-')) {
			int sign = s[at] == '-' ? -1 : 1;

			if (digits(s, n, at + 1, 2, &oh))
				return -1;
			at += 3;
			if (at < n && s[at] == ':')
				at++;
			if (at < n) {
				if (digits(s, n, at, 2, &om))
					return -1;
				at += 2;
			}
			if (oh > 23 || om > 59)
				return -1;
			oh *= sign;
			om *= sign;
		}
		if (at != n)
			return -1;
	}
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
	    mi * 60 + se - (int64_t)oh * 3600 - (int64_t)om * 60;
	*sec = t;
	*nsec = ns;
	return 0;
}

int
dh_time_parse(const char *s, size_t n, enum dh_time_unit unit, int64_t *sec,
	      int32_t *nsec, const char **why)
{
	size_t at = 0, start;
	int neg = 0;
	uint64_t v = 0;

	if (n >= 10 && s[4] == '-')
		return parse_iso(s, n, sec, nsec, why);
	*why = "not an ISO 8601 time or epoch seconds";
	if (n > 0 && s[0] == '-') {
		neg = 1;
		at++;
	}
	start = at;
	while (at < n && s[at] >= '0' && s[at] <= '9') {
		if (v > (UINT64_MAX - 9) / 10) {
			*why = "epoch time out of range";
			return -1;
		}
		v = v * 10 + (uint64_t)(s[at] - '0');
		at++;
	}
	if (at == start)
		return -1;
	if (at < n && s[at] == '.') {
		size_t f = ++at;
		int32_t ns = fraction(s, n, &at);

		if (at == f || at != n)
			return -1;
		if (v > (uint64_t)INT64_MAX / 2) {
			*why = "epoch time out of range";
			return -1;
		}
		*sec = neg ? -(int64_t)v : (int64_t)v;
		*nsec = ns;
		if (neg && ns) {
			*sec -= 1;
			*nsec = 1000000000 - ns;
		}
		return 0;
	}
	if (at != n)
		return -1;
	{
		static const uint64_t per[] = {1, 1000, 1000000, 1000000000};
		uint64_t p = per[unit];
		int64_t q = (int64_t)(v / p), r = (int64_t)(v % p);

		if (v > (uint64_t)INT64_MAX) {
			*why = "epoch time out of range";
			return -1;
		}
		*sec = neg ? -q : q;
		*nsec = (int32_t)(r * (1000000000 / (int64_t)p));
		if (neg && *nsec) {
			*sec -= 1;
			*nsec = 1000000000 - *nsec;
		}
	}
	return 0;
}

size_t
dh_time_bucket(int64_t sec, enum dh_grain g, char out[32])
{
	int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	int64_t y;
	unsigned m, d;
	int h = (int)(sec - days * 86400) / 3600;
	int k;
	const char *sign;

	civil_from_days(days, &y, &m, &d);
	/* a year before 1 BC keeps four digits after its '-' ("-0243"), as
	 * dh_grain_of_bucket reads it */
	sign = y < 0 ? "-" : "";
	y = y < 0 ? -y : y;
	switch (g) {
	case DH_GRAIN_YEAR:
		k = snprintf(out, 32, "%s%04lld", sign, (long long)y);
		break;
	case DH_GRAIN_MONTH:
		k = snprintf(out, 32, "%s%04lld-%02u", sign, (long long)y, m);
		break;
	case DH_GRAIN_DAY:
		k = snprintf(out, 32, "%s%04lld-%02u-%02u", sign, (long long)y, m, d);
		break;
	default:
		k = snprintf(out, 32, "%s%04lld-%02u-%02uT%02d", sign, (long long)y, m, d, h);
		break;
	}
	return k > 0 ? (size_t)k : 0;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
dh_grain_of_bucket(const char *v, enum dh_grain *g)
{
	size_t n = strlen(v), y;

	if (n > 0 && v[0] == '-') {
		v++;
		n--;
	}
	for (y = 0; y < n && v[y] >= '0' && v[y] <= '9'; y++)
		;
	if (y < 4)
		return -1;
	v += y;
	n -= y;
	if (n == 0)
		*g = DH_GRAIN_YEAR;
	else if (n == 3 && v[0] == '-' && all_digits(v + 1, 2))
		*g = DH_GRAIN_MONTH;
	else if (n == 6 && v[0] == '-' && all_digits(v + 1, 2) && v[3] == '-' && all_digits(v + 4, 2))
		*g = DH_GRAIN_DAY;
	else if (n == 9 && v[0] == '-' && all_digits(v + 1, 2) && v[3] == '-' && all_digits(v + 4, 2) &&
		 v[6] == 'T' && all_digits(v + 7, 2))
		*g = DH_GRAIN_HOUR;
	else
		return -1;
	return 0;
}

int
dh_duration_parse(const char *s, int64_t *ns, const char **why)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {
		{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000LL},
		{"m", 60000000000LL}, {"h", 3600000000000LL}, {"d", 86400000000000LL},
		{"w", 604800000000000LL},
	};
	int64_t total = 0;
	const char *p = s;

	*why = "expected a number and a unit (ns, us, ms, s, m, h, d, w), as 30m or 1h30m";
	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		int64_t whole = 0, frac = 0, fscale = 1, unit = 0, part;
		size_t i, ulen = 0;
		int digits = 0;

		for (; *p >= '0' && *p <= '9'; p++, digits++) {
			if (whole > (INT64_MAX - (*p - '0')) / 10)
				goto range;
			whole = whole * 10 + (*p - '0');
		}
		if (*p == '.') {
			if (p[1] < '0' || p[1] > '9')
				return -1;
			for (p++; *p >= '0' && *p <= '9'; p++, digits++)
				if (fscale <= 100000000000000000LL) {
					frac = frac * 10 + (*p - '0');
					fscale *= 10;
				}
		}
		if (digits == 0)
			return -1;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].unit);

			if (strncmp(p, units[i].unit, n) == 0 && n > ulen &&
			    (p[n] == '\0' || (p[n] >= '0' && p[n] <= '9'))) {
				unit = units[i].ns;
				ulen = n;
			}
		}
		if (ulen == 0)
			return -1;
		p += ulen;
		part = (int64_t)((double)frac / (double)fscale * (double)unit);
		if (whole > INT64_MAX / unit || whole * unit > INT64_MAX - part)
			goto range;
		part += whole * unit;
		if (part > INT64_MAX - total)
			goto range;
		total += part;
	}
	if (total <= 0) {
		*why = "a duration must be more than 0";
		return -1;
	}
	*ns = total;
	return 0;
range:
	*why = "too long (at most 292 years)";
	return -1;
}

static char *
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

size_t
dh_time_format(int64_t ns, char out[40])
{
	int64_t sec = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
	int64_t frac = ns - sec * 1000000000;
	int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	int64_t rest = sec - days * 86400, y;
	unsigned m, d;
	char *p = out;

	civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999) {
		/* the common case without printf: it is per output record */
		p = put2(p, (unsigned)(y / 100));
		p = put2(p, (unsigned)(y % 100));
	} else {
		p += snprintf(p, 24, "%04lld", (long long)y);
	}
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, (unsigned)(rest / 3600));
	*p++ = ':';
	p = put2(p, (unsigned)(rest / 60 % 60));
	*p++ = ':';
	p = put2(p, (unsigned)(rest % 60));
	if (frac != 0) {
		int digits = 9, k;

		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		*p++ = '.';
		for (k = digits - 1; k >= 0; k--) {
			p[k] = (char)('0' + frac % 10);
			frac /= 10;
		}
		p += digits;
	}
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - out);
}

int
dh_record_time(const struct dh_record *rec, const char *field, enum dh_time_unit unit,
	       int64_t *t, struct dh_buf *scratch, struct dh_buf *err)
{
	struct dh_field f;
	const char *p, *why;
	size_t n;
	int64_t sec;
	int32_t ns;
	char q[80];

	dh_buf_reset(err);
	if (!dh_record_lookup(rec, field, strlen(field), '.', &f)) {
		dh_buf_addf(err, "no field '%s' for --time", field);
		return -1;
	}
	dh_field_text(&f, scratch, &p, &n);
	if (dh_time_parse(p, n, unit, &sec, &ns, &why) != 0) {
		dh_buf_addf(err, "field \"%s\": %s: %s", field, why, dh_quote(p, n, q, sizeof(q)));
		return -1;
	}
	if (sec > INT64_MAX / 1000000000 - 1 || sec < INT64_MIN / 1000000000 + 1) {
		dh_buf_addf(err, "field \"%s\": out of range (years 1678 to 2262): %s", field,
			    dh_quote(p, n, q, sizeof(q)));
		return -1;
	}
	*t = sec * 1000000000 + ns;
	return 0;
}
