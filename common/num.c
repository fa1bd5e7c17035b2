/* num: strict numbers, shortest doubles, exact sums. */
#include "num.h"

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

size_t
dh_num_fmt(double d, char out[32])
{
	int p, len = 0;

	/* when 15 digits read back, no shorter text does better: %g drops
	 * the trailing zeros of the shortest */
	for (p = 15; p <= 17; p++) {
		len = snprintf(out, 32, "%.*g", p, d);
		if (strtod(out, NULL) == d)
			break;
	}
	return (size_t)len;
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
	nd = dh_xcalloc((size_t)nn, sizeof(*nd));
	if (x->n > 0)
		memcpy(nd + (x->lo - nlo), x->d, (size_t)x->n * sizeof(*nd));
	free(x->d);
	x->d = nd;
	x->lo = nlo;
	x->n = nn;
}

void
dh_xsum_normalize(struct dh_xsum *x)
{
	int k;

	for (k = 0; k + 1 < x->n; k++) {
		int64_t low = (int64_t)((uint64_t)x->d[k] & M32);
		int64_t carry = (x->d[k] - low) / ((int64_t)1 << 32);

		x->d[k] = low;
		x->d[k + 1] += carry;
	}
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
		x->d[w - x->lo + k] += neg ? -part[k] : part[k];
	x->adds++;
}

void
dh_xsum_add(struct dh_xsum *x, double v)
{
	uint64_t bits, m;
	int e;

	memcpy(&bits, &v, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff);
	m = bits & (((uint64_t)1 << 52) - 1);
	if (e == 0)
		e = 1;
	else
		m |= (uint64_t)1 << 52;
	add_at(x, m, e - 1075 + BIAS, (int)(bits >> 63));
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
	x->d[pos - x->lo] += digit;
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
		x->d[y->lo + k - x->lo] += y->d[k];
	dh_xsum_normalize(x);
}

double
dh_xsum_value(struct dh_xsum *x)
{
	int64_t *mag;
	int n = x->n, h, k, neg, e, nb;
	unsigned __int128 acc = 0;
	uint64_t m64, keep, rem;
	int sticky = 0;
	double r;

	if (n == 0)
		return 0;
	dh_xsum_normalize(x);
	neg = x->d[n - 1] < 0;
	mag = dh_xreallocarray(NULL, (size_t)n, sizeof(*mag));
	for (k = 0; k < n; k++)
		mag[k] = neg ? -x->d[k] : x->d[k];
	if (neg) {
		for (k = 0; k + 1 < n; k++) {
			int64_t low = (int64_t)((uint64_t)mag[k] & M32);
			int64_t carry = (mag[k] - low) / ((int64_t)1 << 32);

			mag[k] = low;
			mag[k + 1] += carry;
		}
	}
	for (h = n - 1; h >= 0 && mag[h] == 0; h--)
		;
	if (h < 0) {
		free(mag);
		return 0;
	}
	/* the top digit may hold more than 32 bits: up to 128 in acc */
	acc = (unsigned __int128)(uint64_t)mag[h] << 64;
	if (h >= 1)
		acc |= (unsigned __int128)(uint64_t)mag[h - 1] << 32;
	if (h >= 2)
		acc |= (uint64_t)mag[h - 2];
	for (k = 0; k < h - 2; k++)
		if (mag[k] != 0)
			sticky = 1;
	e = 32 * (x->lo + h - 2) - BIAS; /* the weight of acc's bit 0 */
	free(mag);
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
	r = ldexp((double)keep, e + 11);
	return neg ? -r : r;
}

void
dh_xsum_release(struct dh_xsum *x)
{
	free(x->d);
	x->d = NULL;
	x->lo = x->n = 0;
	x->adds = 0;
}
