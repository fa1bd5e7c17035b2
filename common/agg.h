/*
 * agg: aggregators (DESIGN §6): what -a lists, the state of one group,
 * updating it with a record, merging two states, the results as fields,
 * and the state as JSON for --partial / --merge.
 *
 *	count                    records in the group
 *	count:F  nulls:F         values of F that are / are not null
 *	sum:F mean:F min:F max:F var:F stddev:F median:F pNN:F   numbers
 *	first:F last:F           the first / last non-null value, as read
 *	distinct:F               distinct values, exact (128-bit hashes)
 *	approx_distinct:F        distinct values, HyperLogLog (0.81%)
 *
 * A value is null when the field is missing, JSON null or empty; nulls
 * count in nulls:F and nowhere else.  Numbers: integers sum exactly (in
 * 128 bits, so the order of terms never matters) and a sum that passes 64
 * bits is an error; other sums are exact then rounded once
 * (common/num's xsum), so they do not depend on order; var and stddev are
 * sample statistics computed exactly from exact sums of the values and of
 * their squares, then rounded once (no cancellation, and the same bits
 * however records were split among threads, runs and merges); median and pNN
 * interpolate linearly between the closest ranks (R's type 7, Miller's -i,
 * DuckDB's quantile_cont).  Output fields are named as Miller names them:
 * F_sum, F_p95; count alone is "count".
 *
 * Ownership: a spec owns its items and field paths (dh_agg_spec_release);
 * a state owns everything in it (dh_agg_free).  Results are added to a
 * record's arena.
 */
#ifndef DH_AGG_H
#define DH_AGG_H

#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "canon.h"
#include "hll.h"
#include "keyset.h"
#include "num.h"
#include "record.h"

enum dh_agg_kind {
	DH_AGG_COUNT,
	DH_AGG_NULLS,
	DH_AGG_SUM,
	DH_AGG_MEAN,
	DH_AGG_MIN,
	DH_AGG_MAX,
	DH_AGG_VAR,
	DH_AGG_STDDEV,
	DH_AGG_MEDIAN,
	DH_AGG_PCT,
	DH_AGG_FIRST,
	DH_AGG_LAST,
	DH_AGG_DISTINCT,
	DH_AGG_APPROX,
};

struct dh_agg_item {
	enum dh_agg_kind kind;
	int field;  /* index into spec->fields; -1 for count of records */
	double pct; /* pNN: NN */
	char *name; /* the output field */
};

/* What a field's state keeps, from the aggregators that read it. */
#define DH_AGG_NUM 1u      /* parse numbers: count, sum, min, max */
#define DH_AGG_SQUARES 2u  /* var, stddev */
#define DH_AGG_VALUES 4u   /* median, pNN */
#define DH_AGG_FIRST_V 8u
#define DH_AGG_LAST_V 16u
#define DH_AGG_DIST 32u
#define DH_AGG_HLL 64u
#define DH_AGG_SUM_V 128u /* sum, mean: integers beyond 64 bits refused */

struct dh_agg_field {
	char *path;
	size_t plen;
	unsigned needs;
};

struct dh_agg_spec {
	struct dh_agg_item *items;
	size_t nitems;
	struct dh_agg_field *fields;
	size_t nfields;
	char *text; /* the list as parsed, normalised: for --partial */
	int skip_invalid; /* --skip-invalid: bad numbers are skipped, counted */
};

/* A value kept as read: first, last. */
struct dh_agg_val {
	enum dh_vtype type;
	size_t len, cap;
	char *p;
};

struct dh_agg_fstate {
	uint64_t cnt, nulls; /* non-null values, null values */
	uint64_t num, nfloat; /* numbers, of which not int64 */
	__int128 isum; /* integers add exactly; a sum past 64 bits is an error
			* when it is the result, whatever the order */
	int64_t imin, imax;
	double dmin, dmax;
	struct dh_xsum xs; /* the non-integer numbers */
	struct dh_xsum xsq; /* var, stddev: the squares, exactly */
	struct dh_agg_more *m; /* NULL unless the field needs it */
};

/* What few fields need, apart so that the common state stays small (two
 * cache lines): the values of median and pNN, first, last, the sets. */
struct dh_agg_more {
	double *vals;
	size_t nvals, capvals;
	struct dh_agg_val first, last;
	uint64_t first_pos, last_pos; /* the records they came from */
	struct dh_keyset *dist;
	struct dh_hll *hll;
};

struct dh_agg_state {
	uint64_t count;
	struct dh_agg_fstate f[]; /* spec->nfields */
};

/* What updating needs besides the state: one per thread. */
struct dh_agg_scratch {
	struct dh_buf text, err;
	struct dh_canon canon;
	struct dh_field *fv; /* the record's value of each field */
	int *present;
	int64_t *iv;
	double *dv;
	enum dh_num_kind *kind;
	size_t n;
	uint64_t pos; /* the record's position in the input, for first/last */
};

/* Parse "count,sum:price,p95:price": 0, or -1 with why in err. */
int dh_agg_spec_parse(struct dh_agg_spec *s, const char *list, struct dh_buf *err);
void dh_agg_spec_release(struct dh_agg_spec *s);

struct dh_agg_state *dh_agg_new(const struct dh_agg_spec *s);
void dh_agg_free(const struct dh_agg_spec *s, struct dh_agg_state *st);
/* Empty the state (--discard after a pane). */
void dh_agg_clear(const struct dh_agg_spec *s, struct dh_agg_state *st);

void dh_agg_scratch_release(struct dh_agg_scratch *sc);
/*
 * Counting a record is two steps, so that one record can count in several
 * states (sliding windows) and a bad one in none.  dh_agg_prepare() reads
 * rec's values into sc (borrowed from rec: use them before the next read):
 * 0, or -1 with why in sc->err ('field "price": not a number: "1x"');
 * under skip_invalid a bad number is left out of its field's numeric
 * aggregates and *invalid counts it.  dh_agg_apply() counts them in st
 * (0: it cannot fail).
 */
int dh_agg_prepare(const struct dh_agg_spec *s, const struct dh_record *rec,
		   struct dh_agg_scratch *sc, unsigned long long *invalid);
int dh_agg_apply(const struct dh_agg_spec *s, struct dh_agg_state *st,
		 struct dh_agg_scratch *sc);
/* dst += src: 0, or -1 with why in err (an integer sum that overflows).
 * first and last go by the positions of their records; of equal ones
 * (saved states carry none), dst's first and src's last win. */
int dh_agg_merge(const struct dh_agg_spec *s, struct dh_agg_state *dst,
		 const struct dh_agg_state *src, struct dh_buf *err);
/* Add the results to out, one field per item, as references into its
 * arena (call dh_record_fix() when out is complete); 0, or -1 with why in
 * err (a sum beyond the double range). */
int dh_agg_result(const struct dh_agg_spec *s, struct dh_agg_state *st,
		  struct dh_record *out, struct dh_buf *err);
/* The state as one JSON object, appended to out: 0, or -1 with why in
 * err (a first or last value that is not UTF-8). */
int dh_agg_state_json(const struct dh_agg_spec *s, struct dh_agg_state *st,
		      struct dh_buf *out, struct dh_buf *err);
/* Read a state written by dh_agg_state_json into a new state: 0, or -1
 * with why in err. */
int dh_agg_state_read(const struct dh_agg_spec *s, json_t *j, struct dh_agg_state **st,
		      struct dh_buf *err);

#endif
