/* num: strict numbers, shortest doubles, exact sums. */
#include "num.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

enum dh_num_kind
dh_num_parse(const char *s, size_t n, int64_t *i, double *d)
{
	size_t k = 0, mdigits = 0;
	int isint = 1, neg = 0;
	uint64_t u = 0;
	int over = 0;
	char small[128], *tmp;

	if (k < n && (s[k] == '-' || s[k] == '+'))
		neg = s[k++] == '-';
	for (; k < n && s[k] >= '0' && s[k] <= '9'; k++, mdigits++) {
		unsigned dig = (unsigned)(s[k] - '0');

		if (u > (UINT64_MAX - dig) / 10)
			over = 1;
		else
			u = u * 10 + dig;
	}
	if (k < n && s[k] == '.') {
		isint = 0;
		for (k++; k < n && s[k] >= '0' && s[k] <= '9'; k++)
			mdigits++;
	}
	if (mdigits == 0)
		return DH_NUM_NONE;
	if (k < n && (s[k] == 'e' || s[k] == 'E')) {
		size_t e0;

		isint = 0;
		k++;
		if (k < n && (s[k] == '-' || s[k] == '+'))
			k++;
		for (e0 = k; k < n && s[k] >= '0' && s[k] <= '9'; k++)
			;
		if (k == e0)
			return DH_NUM_NONE;
	}
	if (k != n)
		return DH_NUM_NONE;
	if (isint && !over && (neg ? u <= (uint64_t)INT64_MAX + 1 : u <= (uint64_t)INT64_MAX)) {
		*i = neg ? (int64_t)(0 - u) : (int64_t)u;
		*d = (double)*i;
		return DH_NUM_INT;
	}
	tmp = n < sizeof(small) ? small : dh_xmalloc(n + 1);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*d = strtod(tmp, NULL);
	if (tmp != small)
		free(tmp);
	return isint ? DH_NUM_BIG : DH_NUM_FLOAT;
}

/* The powers of ten a double holds exactly. */
static const double p10[] = {1,    1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
			     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
			     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/*
 * The fast way for most values aggregates give (sums of prices): d is
 * m / 10^k for a whole m below 10^15 and the smallest such k <= 9 when
 * (double)m / 10^k == d (both exact, so the division rounds the decimal
 * m/10^k correctly, as strtod would).  %.15g prints such a value as this
 * decimal: fewer than 16 digits, d within a rounding of it, and fixed
 * notation from 1e-4 up.  Returns the length, or 0 when d is not one.
 */
static size_t
fmt_decimal(double d, char out[32])
{
	double a = d < 0 ? -d : d;
	int k;

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	for (k = 0; k <= 9; k++) {
		double x = a * p10[k];
		uint64_t m, ip, fp;
		char digits[24];
		size_t n = 0, len = 0;
		int i;

		if (x >= 1e15)
			return 0;
		m = (uint64_t)(x + 0.5);
		if ((double)m / p10[k] != a)
			continue;
		ip = m / (uint64_t)p10[k];
		fp = m % (uint64_t)p10[k];
		if (d < 0)
			out[len++] = '-';
		do
			digits[n++] = (char)('0' + ip % 10);
		while ((ip /= 10) != 0);
		while (n > 0)
			out[len++] = digits[--n];
		if (k > 0) {
			out[len++] = '.';
			for (i = k - 1; i >= 0; i--) {
				out[len + (size_t)i] = (char)('0' + fp % 10);
				fp /= 10;
			}
			len += (size_t)k;
		}
		out[len] = '\0';
		return len;
	}
	return 0;
}

/*
 * The rest of [1e-4, 1e15) without printf: what the first of %.15g,
 * %.16g and %.17g that reads back as d gives.  d = m * 2^-t exactly, so
 * rounding it to p significant digits is integer work: n = m * 10^s / 2^t
 * rounded half to even (as printf rounds the exact value), s = p - 1 - x
 * for d's decimal exponent x (0 <= s <= 21: m * 10^s < 2^123).  n reads
 * back as d when (double)n / 10^s == d: both exact when n < 2^53, so the
 * division rounds as strtod does (else strtod decides); 17 digits always
 * read back.  Fixed notation, as %g gives for exponents -4 to p - 1.
 * Returns the length, or 0 when d is outside the range.
 */
/* 10^k <= m * 2^-t, exactly (-4 <= k <= 15, 0 < t <= 65, m < 2^53) */
static int
pow10_le(uint64_t m, int t, int k)
{
	unsigned __int128 a = m, b = 1;
	int i;

	for (i = 0; i < k; i++)
		b *= 10;
	for (i = 0; i < -k; i++)
		a *= 10;
	return a >= b << t;
}

static size_t
fmt_digits(double d, char out[32])
{
	double a = d < 0 ? -d : d;
	uint64_t m, n = 0;
	int e, t, x, p, s = 0;

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	m = (uint64_t)ldexp(frexp(a, &e), 53); /* a = m * 2^(e - 53), m < 2^53 */
	t = 53 - e;                             /* > 0: a < 2^50 */
	/* x: the decimal exponent, 10^x <= a < 10^(x+1), exactly */
	x = (int)floor(log10(a));
	while (x > -4 && !pow10_le(m, t, x))
		x--;
	while (x < 14 && pow10_le(m, t, x + 1))
		x++;
	for (p = 15; p <= 17; p++) {
		unsigned __int128 v, q, r, half;
		int i;

		s = p - 1 - x;
		for (v = m, i = 0; i < s; i++)
			v *= 10;
		q = v >> t;
		r = v & ((((unsigned __int128)1) << t) - 1);
		half = ((unsigned __int128)1) << (t - 1);
		if (r > half || (r == half && (q & 1)))
			q++;
		n = (uint64_t)q;
		if (n >= (uint64_t)p10[p]) {
			/* rounded up to 10^p: one digit fewer, exponent x + 1 */
			if (s == 0)
				return 0; /* 1e+15 */
			n /= 10;
			s--;
		}
		if (p == 17)
			break;
		if (n < (UINT64_C(1) << 53)) {
			if ((double)n / p10[s] == a)
				break;
		} else {
			char tmp[48];

			snprintf(tmp, sizeof(tmp), "%" PRIu64 "e-%d", n, s);
			if (strtod(tmp, NULL) == a)
				break;
		}
	}
	{
		char dig[24];
		size_t len = 0, nd = 0, i;
		int intd; /* digits before the point; <= 0: "0.00..." */

		while (s > 0 && n % 10 == 0) {
			n /= 10; /* %g drops the fraction's trailing zeros */
			s--;
		}
		do
			dig[nd++] = (char)('0' + n % 10);
		while ((n /= 10) != 0);
		/* dig holds the nd digits, least significant first */
		intd = (int)nd - s;
		if (d < 0)
			out[len++] = '-';
		if (intd <= 0) {
			out[len++] = '0';
			out[len++] = '.';
			for (i = 0; i < (size_t)-intd; i++)
				out[len++] = '0';
			while (nd > 0)
				out[len++] = dig[--nd];
		} else {
			for (i = 0; i < (size_t)intd; i++)
				out[len++] = nd > 0 ? dig[--nd] : '0';
			if (nd > 0) {
				out[len++] = '.';
				while (nd > 0)
					out[len++] = dig[--nd];
			}
		}
		out[len] = '\0';
		return len;
	}
}

size_t
dh_num_fmt(double d, char out[32])
{
	int p;
	size_t len;

	if ((len = fmt_decimal(d, out)) > 0)
		return len;
	if ((len = fmt_digits(d, out)) > 0)
		return len;

	/* when 15 digits read back, no shorter text does better: %g drops
	 * the trailing zeros of the shortest */
	for (p = 15; p <= 17; p++) {
		len = (size_t)snprintf(out, 32, "%.*g", p, d);
		if (strtod(out, NULL) == d)
			break;
	}
	return len;
}

size_t
dh_num_fmt_int(int64_t v, char out[24])
{
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char tmp[24];
	size_t n = 0, k = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		out[k++] = '-';
	while (n > 0)
		out[k++] = tmp[--n];
	out[k] = '\0';
	return k;
}

/* The value of digit k is d[k] * 2^(32 * (lo + k) - BIAS). */
#define BIAS 1088 /* 34 digits: below the smallest subnormal's 2^-1074 */
#define M32 0xffffffffLL
#define NORM_EVERY (1u << 30)

static int64_t *
digits(struct dh_xsum *x)
{
	return x->d != NULL ? x->d : x->in;
}

/* Make digits pos .. pos + span - 1 exist, with two spare above. */
static void
cover(struct dh_xsum *x, int pos, int span)
{
	int lo = pos, hi = pos + span + 2; /* exclusive */
	int nlo, nhi, nn;
	int64_t *nd;

	if (x->n > 0 && lo >= x->lo && hi <= x->lo + x->n)
		return;
	nlo = x->n > 0 && x->lo < lo ? x->lo : lo;
	nhi = x->n > 0 && x->lo + x->n > hi ? x->lo + x->n : hi;
	nn = nhi - nlo;
	if (nn <= DH_XSUM_INLINE) {
		/* still in the struct (so never on the heap yet) */
		int64_t tmp[DH_XSUM_INLINE];

		memset(tmp, 0, sizeof(tmp));
		if (x->n > 0)
			memcpy(tmp + (x->lo - nlo), x->in, (size_t)x->n * sizeof(*tmp));
		memcpy(x->in, tmp, sizeof(tmp));
	} else {
		nd = dh_xcalloc((size_t)nn, sizeof(*nd));
		if (x->n > 0)
			memcpy(nd + (x->lo - nlo), digits(x), (size_t)x->n * sizeof(*nd));
		free(x->d);
		x->d = nd;
	}
	x->lo = nlo;
	x->n = nn;
}

/* Carry d[0..n-1] up: every digit but the last in [0, 2^32). */
static void
carry(int64_t *d, int n)
{
	int k;

	for (k = 0; k + 1 < n; k++) {
		int64_t low = (int64_t)((uint64_t)d[k] & M32);

		d[k + 1] += (d[k] - low) / ((int64_t)1 << 32);
		d[k] = low;
	}
}

void
dh_xsum_normalize(struct dh_xsum *x)
{
	carry(digits(x), x->n);
	x->adds = 0;
}

/* Add mag * 2^(p - BIAS), p >= 0, with sign. */
static void
add_at(struct dh_xsum *x, uint64_t mag, int p, int neg)
{
	int w = p >> 5, s = p & 31, k;
	unsigned __int128 v = (unsigned __int128)mag << s;
	int64_t part[3];

	if (mag == 0)
		return;
	if (x->adds >= NORM_EVERY)
		dh_xsum_normalize(x);
	cover(x, w, 3);
	part[0] = (int64_t)(uint64_t)(v & M32);
	part[1] = (int64_t)(uint64_t)((v >> 32) & M32);
	part[2] = (int64_t)(uint64_t)(v >> 64);
	for (k = 0; k < 3; k++)
		digits(x)[w - x->lo + k] += neg ? -part[k] : part[k];
	x->adds++;
}

/* v = (-1)^sign * m * 2^e exactly, m below 2^53; returns the sign. */
static int
split_double(double v, uint64_t *m, int *e)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	*e = (int)((bits >> 52) & 0x7ff);
	*m = bits & (((uint64_t)1 << 52) - 1);
	if (*e == 0)
		*e = 1; /* subnormal */
	else
		*m |= (uint64_t)1 << 52;
	*e -= 1075;
	return (int)(bits >> 63);
}

void
dh_xsum_add(struct dh_xsum *x, double v)
{
	uint64_t m;
	int e, neg = split_double(v, &m, &e);

	add_at(x, m, e + BIAS, neg);
}

void
dh_xsum_add_int(struct dh_xsum *x, int64_t v)
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	add_at(x, mag, BIAS, v < 0);
}

void
dh_xsum_add_i128(struct dh_xsum *x, __int128 v)
{
	unsigned __int128 mag = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;

	add_at(x, (uint64_t)mag, BIAS, v < 0);
	add_at(x, (uint64_t)(mag >> 64), BIAS + 64, v < 0);
}

void
dh_xsum_add_digit(struct dh_xsum *x, int pos, int64_t digit)
{
	if (digit == 0)
		return;
	cover(x, pos, 1);
	digits(x)[pos - x->lo] += digit;
	dh_xsum_normalize(x);
}

void
dh_xsum_merge(struct dh_xsum *x, const struct dh_xsum *y)
{
	int k;

	if (y->n == 0)
		return;
	dh_xsum_normalize(x);
	cover(x, y->lo, y->n);
	for (k = 0; k < y->n; k++)
		digits(x)[y->lo + k - x->lo] += dh_xsum_digit(y, k);
	dh_xsum_normalize(x);
}

/*
 * Round sum(mag[k] * 2^(32k + e0)) + (sticky: a little more) to the
 * nearest double, ties to even.  Digits below the top may hold 32 bits,
 * the top one 64.
 */
static double
mag_to_double(const int64_t *mag, int n, int e0, int sticky)
{
	unsigned __int128 acc;
	uint64_t m64, keep, rem;
	int h, k, e, nb;

	for (h = n - 1; h >= 0 && mag[h] == 0; h--)
		;
	if (h < 0)
		return 0;
	acc = (unsigned __int128)(uint64_t)mag[h] << 64;
	if (h >= 1)
		acc |= (unsigned __int128)(uint64_t)mag[h - 1] << 32;
	if (h >= 2)
		acc |= (uint64_t)mag[h - 2];
	for (k = 0; k < h - 2; k++)
		if (mag[k] != 0)
			sticky = 1;
	e = 32 * (h - 2) + e0; /* the weight of acc's bit 0 */
	nb = 128;
	while (nb > 0 && !((acc >> (nb - 1)) & 1))
		nb--;
	if (nb > 64) {
		int sh = nb - 64;

		if (acc & (((unsigned __int128)1 << sh) - 1))
			sticky = 1;
		m64 = (uint64_t)(acc >> sh);
		e += sh;
	} else {
		m64 = (uint64_t)acc << (64 - nb);
		e -= 64 - nb;
	}
	keep = m64 >> 11;
	rem = m64 & 0x7ff;
	if (rem > 0x400 || (rem == 0x400 && (sticky || (keep & 1))))
		keep++;
	if (keep >> 53) {
		keep >>= 1;
		e++;
	}
	return ldexp((double)keep, e + 11);
}

/* The magnitude of x as digits all below 2^32 (two more than x has, for
 * the top one's carries); *neg its sign.  Caller frees. */
static int64_t *
magnitude(struct dh_xsum *x, int *neg)
{
	int n = x->n, k;
	int64_t *mag = dh_xcalloc((size_t)n + 3, sizeof(*mag));

	dh_xsum_normalize(x);
	*neg = n > 0 && digits(x)[n - 1] < 0;
	for (k = 0; k < n; k++)
		mag[k] = *neg ? -digits(x)[k] : digits(x)[k];
	carry(mag, n + 3);
	return mag;
}

double
dh_xsum_value(struct dh_xsum *x)
{
	int64_t *mag;
	int neg;
	double r;

	if (x->n == 0)
		return 0;
	mag = magnitude(x, &neg);
	r = mag_to_double(mag, x->n + 3, 32 * x->lo - BIAS, 0);
	free(mag);
	return neg ? -r : r;
}

/* q = q / d (digits below 2^32, most significant last): the remainder. */
static uint64_t
div_small(int64_t *q, int n, uint64_t d)
{
	unsigned __int128 rem = 0;
	int k;

	for (k = n - 1; k >= 0; k--) {
		unsigned __int128 cur = (rem << 32) | (uint64_t)q[k];

		q[k] = (int64_t)(uint64_t)(cur / d);
		rem = cur % d;
	}
	return (uint64_t)rem;
}

double
dh_xsum_div(struct dh_xsum *x, uint64_t n)
{
	int64_t *mag, *q;
	int neg, len, sticky;
	double r;

	if (x->n == 0 || n == 0)
		return 0;
	mag = magnitude(x, &neg);
	/* six zero digits below keep 53 bits and more after dividing */
	len = x->n + 3 + 6;
	q = dh_xcalloc((size_t)len, sizeof(*q));
	memcpy(q + 6, mag, (size_t)(x->n + 3) * sizeof(*q));
	free(mag);
	sticky = div_small(q, len, n) != 0;
	r = mag_to_double(q, len, 32 * (x->lo - 6) - BIAS, sticky);
	free(q);
	return neg ? -r : r;
}

/* Squares are kept at twice the scale: below 2^-2148, the smallest. */
#define BIAS2 (2 * BIAS)

void
dh_xsum_add_square(struct dh_xsum *x, double v)
{
	uint64_t m;
	unsigned __int128 sq;
	int e, p;

	split_double(v, &m, &e);
	/* v^2 = m^2 * 2^(2e): m^2 is exact in 106 bits */
	sq = (unsigned __int128)m * m;
	p = 2 * e + BIAS2;
	add_at(x, (uint64_t)sq, p, 0);
	add_at(x, (uint64_t)(sq >> 64), p + 64, 0);
}

void
dh_xsum_add_square_int(struct dh_xsum *x, int64_t v)
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	unsigned __int128 sq = (unsigned __int128)mag * mag;

	add_at(x, (uint64_t)sq, BIAS2, 0);
	add_at(x, (uint64_t)(sq >> 64), BIAS2 + 64, 0);
}

int
dh_xsum_variance(struct dh_xsum *s1, struct dh_xsum *s2, uint64_t n, double *var)
{
	int64_t *a, *c, *num;
	unsigned __int128 *col;
	int na = s1->n + 3, nc = s2->n + 3, neg, lo, len, i, j, k, sticky;
	int64_t borrow = 0;

	if (n < 2)
		return -1;
	if (s2->n == 0) {
		*var = 0; /* every value 0 */
		return 0;
	}
	a = magnitude(s1, &neg);
	c = magnitude(s2, &neg);
	/* n * S2 - S1^2, at the scale 2^-BIAS2, from digit lo up */
	lo = s1->n > 0 && 2 * s1->lo < s2->lo ? 2 * s1->lo : s2->lo;
	/* six zero digits below: the quotient keeps 53 bits and more
	 * after dividing by n (n - 1), below 2^128 */
	lo -= 6;
	len = (s1->n > 0 ? 2 * s1->lo + 2 * na : 0) - lo;
	if (s2->lo + nc + 3 - lo > len)
		len = s2->lo + nc + 3 - lo;
	len += 2;
	col = dh_xcalloc((size_t)len, sizeof(*col));
	num = dh_xcalloc((size_t)len, sizeof(*num));
	for (k = 0; k < nc; k++) {
		unsigned __int128 t = (unsigned __int128)n * (uint64_t)c[k];

		col[s2->lo + k - lo] += t & M32;
		col[s2->lo + k - lo + 1] += (t >> 32) & M32;
		col[s2->lo + k - lo + 2] += t >> 64;
	}
	for (k = 0; k + 1 < len; k++) {
		num[k] = (int64_t)(uint64_t)(col[k] & M32);
		col[k + 1] += col[k] >> 32;
	}
	num[len - 1] = (int64_t)(uint64_t)col[len - 1];
	memset(col, 0, (size_t)len * sizeof(*col));
	for (i = 0; s1->n > 0 && i < na; i++)
		for (j = 0; j < na; j++) {
			unsigned __int128 t = (unsigned __int128)(uint64_t)a[i] * (uint64_t)a[j];
			int at = 2 * s1->lo + i + j - lo;

			col[at] += t & M32;
			col[at + 1] += t >> 32;
		}
	for (k = 0; k < len; k++) {
		int64_t sq = (int64_t)(uint64_t)(col[k] & M32), d;

		if (k + 1 < len)
			col[k + 1] += col[k] >> 32;
		d = num[k] - sq - borrow;
		borrow = d < 0;
		num[k] = d < 0 ? d + ((int64_t)1 << 32) : d;
	}
	free(col);
	free(a);
	free(c);
	if (borrow) {
		/* n S2 >= S1^2 always: only a bug gets here */
		free(num);
		return -1;
	}
	sticky = div_small(num, len, n) != 0;
	sticky |= div_small(num, len, n - 1) != 0;
	*var = mag_to_double(num, len, 32 * lo - BIAS2, sticky);
	free(num);
	return 0;
}

void
dh_xsum_release(struct dh_xsum *x)
{
	free(x->d);
	x->d = NULL;
	x->lo = x->n = 0;
	x->adds = 0;
}

void
dh_num_bytes(char *out, size_t cap, double v)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%.0f B", v);
	else
		snprintf(out, cap, "%.1f %s", v, unit[u]);
}
