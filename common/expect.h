/*
 * expect: data expectations (dh-check -e, DESIGN §2): parsed from text,
 * fed record by record, judged at the end.
 *
 *	not_null(F)  exists(F)  unique(F[,F...])  between(F,LO,HI)
 *	match(F,'ERE')  in(F,V[,V...])  type(F,T)  rows(MIN,MAX)
 *
 * each optionally followed by "mostly=FRACTION" (or with it as a last
 * argument).  An argument is bare (no , ( ) ' or " inside; blanks around
 * it are dropped, blanks inside kept: in(city,New York)) or quoted with '
 * or ", the quote doubled inside.
 * F is a field name or a dotted path into nested JSON.
 *
 * What a record is held to: not_null and exists every record (a missing
 * field, and for not_null a null, is unexpected); the others only records
 * where every field named is present and not null, as SQL does.  A null is
 * JSON's null or an empty CSV/TSV field.  unique: each record whose values
 * were in an earlier record is unexpected (kept as 128-bit hashes, 16 bytes
 * a distinct key).  between: inclusive; a bound may be empty (none); a
 * value that is not a number is unexpected.  type: of a JSON value its
 * JSON type; a CSV/TSV text is a string, also a number when all of it is
 * one and a bool when it is true or false.  match: POSIX extended regular
 * expression, searched in the value's text, bytes as bytes.  rows: the
 * number of records of the whole input is within MIN..MAX (MAX may be
 * empty); it takes no mostly.
 *
 * An expectation passes when the share of expected values among those
 * held to it is at least mostly (default 1); with none held, it passes.
 *
 * Ownership: struct dh_expect owns its strings, its compiled expression,
 * its set of keys and its samples; dh_expect_release() frees them.
 */
#ifndef DH_EXPECT_H
#define DH_EXPECT_H

#include <regex.h>
#include <stddef.h>

#include "buf.h"
#include "canon.h"
#include "keyset.h"
#include "record.h"

enum dh_expect_kind {
	DH_EXPECT_NOT_NULL,
	DH_EXPECT_EXISTS,
	DH_EXPECT_UNIQUE,
	DH_EXPECT_BETWEEN,
	DH_EXPECT_MATCH,
	DH_EXPECT_IN,
	DH_EXPECT_TYPE,
	DH_EXPECT_ROWS,
};

struct dh_expect_sample {
	char *file;
	unsigned long long line;
	char *record; /* its bytes as read */
	size_t len;
};

struct dh_expect {
	enum dh_expect_kind kind;
	char *text;   /* normalised: "between(price,0,1000) mostly=0.99" */
	char **args;  /* the arguments, unquoted */
	size_t *alens;
	size_t nargs;
	size_t nfields; /* the first nfields arguments are fields */
	double mostly;
	/* between and rows: bounds */
	int has_lo, has_hi;
	char *lo, *hi; /* as written, compared as numbers */
	regex_t re;
	int has_re;
	/* running totals */
	unsigned long long records, held, unexpected;
	struct dh_keyset seen;
	struct dh_canon canon;
	struct dh_buf scratch;
	struct dh_expect_sample *samples;
	size_t nsamples, max_samples;
};

/*
 * Parse text into e: 0, or -1 with the reason and the column (from 1) of
 * the error in err ("column 9: expected ',' or ')'").
 */
int dh_expect_parse(struct dh_expect *e, const char *text, struct dh_buf *err);
/* Start over (a new input): totals, keys and samples cleared. */
void dh_expect_reset(struct dh_expect *e, size_t max_samples);
/* Hold one record to e; file names it in samples. */
void dh_expect_feed(struct dh_expect *e, const struct dh_record *rec, const char *file);
/* After the last record: does it pass? */
int dh_expect_ok(const struct dh_expect *e);
/* The percentage of unexpected among those held (0 when none). */
double dh_expect_percent(const struct dh_expect *e);
void dh_expect_release(struct dh_expect *e);

#endif
