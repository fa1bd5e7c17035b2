/*
 * num: strict numbers for aggregates.  A value is a number when all of it
 * is a decimal number (JSON's grammar, plus a leading '+' or '.'); "inf",
 * "nan", hex and trailing text are not.  Integers that fit in 64 bits are
 * kept exact; doubles are printed as the shortest text that reads back as
 * the same double.
 *
 * struct dh_xsum adds doubles exactly (a fixed-point integer over the
 * whole double range, grown to the bits in use), so a sum does not depend
 * on the order of its terms: merged partial sums equal a single run's, bit
 * for bit, and the result is the correctly rounded sum.
 *
 * Ownership: struct dh_xsum owns its digits; initialise with DH_XSUM_INIT,
 * free with dh_xsum_release().
 */
#ifndef DH_NUM_H
#define DH_NUM_H

#include <stddef.h>
#include <stdint.h>

enum dh_num_kind {
	DH_NUM_NONE,  /* not a number */
	DH_NUM_INT,   /* an integer in int64 range: *i and *d */
	DH_NUM_BIG,   /* an integer beyond int64: *d only */
	DH_NUM_FLOAT, /* fraction or exponent: *d */
};

/* Classify and convert s[0..n). */
enum dh_num_kind dh_num_parse(const char *s, size_t n, int64_t *i, double *d);

/* The shortest text that strtod reads back as d ("0.1", "1e+300", "3");
 * out needs 32 bytes; returns the length.  d must be finite. */
size_t dh_num_fmt(double d, char out[32]);
/* An int64 in decimal; out needs 24 bytes; returns the length. */
size_t dh_num_fmt_int(int64_t v, char out[24]);

/* Digits held in the struct itself: a sum of prices needs about 7, of
 * their squares about 10; more go to the heap. */
#define DH_XSUM_INLINE 12

struct dh_xsum {
	int64_t *d;  /* NULL: the digits are in[] (a copy of the struct
		      * is a copy of the sum); else malloc'd */
	int lo, n;   /* the first digit is digit lo; n digits (0: the sum is 0) */
	uint32_t adds; /* additions since the carries were last propagated */
	int64_t in[DH_XSUM_INLINE]; /* base 2^32 digits, least significant first */
};

#define DH_XSUM_INIT {NULL, 0, 0, 0, {0}}

/* Digit k (0 .. n-1) of x. */
static inline int64_t
dh_xsum_digit(const struct dh_xsum *x, int k)
{
	return x->d != NULL ? x->d[k] : x->in[k];
}

/* Add a finite double exactly. */
void dh_xsum_add(struct dh_xsum *x, double v);
/* Add an int64 exactly. */
void dh_xsum_add_int(struct dh_xsum *x, int64_t v);
/* Add a 128-bit integer exactly. */
void dh_xsum_add_i128(struct dh_xsum *x, __int128 v);
/* x += y, exactly. */
void dh_xsum_merge(struct dh_xsum *x, const struct dh_xsum *y);
/*
 * Squares, for variances: a struct dh_xsum that only ever gets these
 * holds the exact sum of squares (at its own scale: read it only with
 * dh_xsum_variance).  Integers square exactly whatever their size.
 */
void dh_xsum_add_square(struct dh_xsum *x, double v);
void dh_xsum_add_square_int(struct dh_xsum *x, int64_t v);
/*
 * The sample variance of n values whose exact sum is s1 and exact sum of
 * squares s2: (n * s2 - s1^2) / (n (n - 1)) computed exactly and rounded
 * once, so that it depends neither on the order of the values nor on how
 * they were split and merged.  0, or -1 when n < 2.
 */
int dh_xsum_variance(struct dh_xsum *s1, struct dh_xsum *s2, uint64_t n, double *var);
/* The sum divided by n, exactly, then rounded once (a mean: finite
 * whenever the mean is, even when the sum is not). */
double dh_xsum_div(struct dh_xsum *x, uint64_t n);
/* The sum correctly rounded to a double (±HUGE_VAL when it overflows). */
double dh_xsum_value(struct dh_xsum *x);
/* Propagate carries: every digit but the top one in [0, 2^32).  The
 * digits can then be written out and read back with dh_xsum_set_digit. */
void dh_xsum_normalize(struct dh_xsum *x);
/* x += digit * 2^(32*pos): for reading a saved sum back. */
void dh_xsum_add_digit(struct dh_xsum *x, int pos, int64_t digit);
void dh_xsum_release(struct dh_xsum *x);

/* A byte count for people, into out: "512 B", "1.5 KiB" ... "2.0 PiB". */
void dh_num_bytes(char *out, size_t cap, double bytes);

#endif
