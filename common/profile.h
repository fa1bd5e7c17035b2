/*
 * profile: what the values of each field of a stream of records are
 * (dh-check --profile), the schema a crawler would infer: per field its
 * type, nulls, distinct count (HyperLogLog, common/hll), least and
 * greatest value and the first few distinct values.  Also the robust
 * z-score dh-check --anomaly judges a partition by.
 *
 * A null is JSON's null, an empty CSV/TSV field, or the field missing
 * from a record.  A CSV/TSV text is an integer or a number when all of it
 * is one, a bool when it is true or false, else a string; a JSON value
 * has its JSON type (a number is an integer when it is written as one).
 * The type of a field is the one kind of all its values, "number" when
 * they are integers and other numbers, else the kinds joined by commas
 * in name order ("integer,string"); "null" when it never had a value.
 * The least and greatest are numbers when every value is one (written as
 * JSON numbers: a CSV "+5" is 5), else texts in byte order.
 *
 * Ownership: struct dh_profile owns its fields and their strings;
 * dh_profile_release() frees them.
 */
#ifndef DH_PROFILE_H
#define DH_PROFILE_H

#include <stddef.h>

#include "buf.h"
#include "hashmap.h"
#include "hll.h"
#include "keyset.h"
#include "record.h"

#define DH_PROFILE_SAMPLES 3

/* in the order their names sort, as dh-check's drift messages join kinds */
enum { DH_K_ARRAY, DH_K_BOOL, DH_K_INTEGER, DH_K_NUMBER, DH_K_OBJECT, DH_K_STRING, DH_K_N };

struct dh_profile_field {
	char *name;
	size_t nlen;
	unsigned long long values; /* records where it is not null */
	unsigned long long kinds[DH_K_N];
	struct dh_hll hll;
	int has_num;
	double lo, hi;          /* numbers: the least and greatest... */
	char *lo_text, *hi_text; /* ...as JSON numbers */
	char *min, *max;         /* every value's text, in byte order */
	size_t minlen, maxlen;
	char *samples[DH_PROFILE_SAMPLES]; /* the first distinct values, as JSON */
	struct dh_key skeys[DH_PROFILE_SAMPLES]; /* ...their canonical hashes */
	size_t nsamples;
};

struct dh_profile {
	unsigned long long records;
	struct dh_profile_field *f; /* in the order first seen */
	size_t n;
	struct dh_hashmap byname;
	struct dh_buf scratch, canon;
};

void dh_profile_init(struct dh_profile *p);
void dh_profile_feed(struct dh_profile *p, const struct dh_record *rec);
/* Nulls of field i, missing records included. */
unsigned long long dh_profile_nulls(const struct dh_profile *p, size_t i);
/* The field's inferred type, into out. */
void dh_profile_type(const struct dh_profile_field *f, struct dh_buf *out);
/* The field's distinct count: the HyperLogLog estimate, rounded, never
 * above its number of values. */
double dh_profile_distinct(const struct dh_profile_field *f);
/* Append its least (max 0) or greatest (max 1) value as JSON, a number
 * or a string; "null" when it never had a value. */
void dh_profile_bound(const struct dh_profile_field *f, int max, struct dh_buf *out);
/* Field i as one JSON object (no newline) appended to out. */
void dh_profile_json(const struct dh_profile *p, size_t i, struct dh_buf *out);
void dh_profile_release(struct dh_profile *p);

/*
 * How far x is from hist[0..n) in robust standard deviations (Iglewicz
 * and Hoaglin's modified z-score): (x - median) / (MAD / 0.6745).  When
 * the MAD is 0 (more than half the history one value, as null rates of 0
 * are) the spread is 1.2533 times the mean absolute deviation instead,
 * and it is never taken under 1% of the median, so that a history
 * without spread does not make any change an outlier.  A history of
 * zeros has no spread at all: then x is 0 away, or +-HUGE_VAL.  *median
 * gets the median.  n > 0.
 */
double dh_robust_z(const double *hist, size_t n, double x, double *median);

#endif
