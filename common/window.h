/*
 * window: grouping records and event-time windows for dh-agg (DESIGN §6),
 * in Apache Beam's sense.
 *
 * Records are grouped by the values of the -g fields (a missing field is
 * null, a group of its own) and, with a window, by the windows their event
 * time falls in: tumbling:SIZE, sliding:SIZE:PERIOD, or session:GAP (per
 * group; records less than GAP apart share a session).  The watermark is
 * the largest event time seen less --delay.  A window is emitted (pane 0,
 * timing on_time) once the watermark reaches its end; a record for an
 * emitted window within --lateness makes a new pane at once (timing
 * late): the whole result (accumulate), only the new records' (discard),
 * or, with retract, the previous pane again marked "_retract": true, then
 * the whole result.  A record whose windows have all passed their end
 * plus the lateness is late: dh_win_add() says so and counts nothing.
 * Without a window, each group is one pane emitted at the end.
 *
 * With partial set, panes are written as saved states (JSON lines), all
 * at the end of input, and dh_win_merge_line() reads them back from any
 * number of runs, in any order.
 *
 * Ownership: struct dh_win borrows the specs, key paths and time field
 * (they must outlive it) and owns its groups, panes and states.
 */
#ifndef DH_WINDOW_H
#define DH_WINDOW_H

#include <stdint.h>

#include "agg.h"
#include "keyset.h"
#include "record.h"
#include "timeparse.h"

enum dh_win_kind { DH_WIN_NONE, DH_WIN_TUMBLING, DH_WIN_SLIDING, DH_WIN_SESSION };
enum dh_win_mode { DH_WIN_ACCUMULATE, DH_WIN_DISCARD, DH_WIN_RETRACT };

struct dh_win_spec {
	enum dh_win_kind kind;
	int64_t size, period; /* ns; tumbling: period = size; session: size = gap */
	int64_t delay, lateness;
	enum dh_win_mode mode;
	char text[80]; /* as given, for saved states */
};

/* "tumbling:1h", "sliding:1h:5m", "session:30m": 0, or -1 with why in
 * err.  Leaves delay, lateness and mode alone. */
int dh_win_spec_parse(struct dh_win_spec *w, const char *s, struct dh_buf *err);

/* Where results go: each result record, or each saved state line (JSON
 * without its newline). */
struct dh_win_out {
	void (*rec)(void *arg, const struct dh_record *out);
	void (*line)(void *arg, const char *p, size_t n);
	void *arg;
	/*
	 * Optional (fork NULL: results on the calling thread only).  Without
	 * a window, many results are made on nthreads threads, each a
	 * contiguous share of the output order.  After the first result is
	 * out, fork gives another thread an out of its own (into memory;
	 * 0, or -1: no more threads); join, on the calling thread and in
	 * order, writes what that out got when write is set, and frees it.
	 */
	int (*fork)(void *arg, struct dh_win_out *lane);
	void (*join)(void *arg, struct dh_win_out *lane, int write);
	int nthreads;
};

struct dh_win_pane;
struct dh_win_heap;

struct dh_win {
	const struct dh_agg_spec *agg;
	struct dh_win_spec win;
	char *const *keys;
	const size_t *klens;
	size_t nkeys;
	const char *time_field;
	enum dh_time_unit unit;
	int partial;
	struct dh_win_out out;

	/* groups: their key values (for output) and their live panes */
	struct dh_keyset gset; /* group key -> group index */
	struct dh_buf gvals;   /* each group's values, saved as JSON values */
	size_t *goff;
	int32_t *ghead; /* first live pane of the group, -1: none */
	struct dh_key *gkey;
	uint32_t ngroups, capgroups;
	int32_t gfree; /* a group index to reuse, chained through ghead */

	struct dh_win_pane *panes;
	uint32_t npanes, cappanes;
	int32_t pfree;
	struct dh_win_heap *heap;
	size_t nheap, capheap;
	uint64_t seq;

	uint64_t pos; /* the next record's position (first, last, output
		       * order); chunked readers set it per record */
	int64_t wm; /* the watermark, ns */
	int have_wm;

	struct dh_agg_scratch sc;
	struct dh_canon canon;
	struct dh_buf err, scratch, line;
	struct dh_record orec;
	unsigned long long invalid; /* bad numbers skipped (--skip-invalid) */

	/* Without a window, when the aggregates read only numbers, a record
	 * is counted some records after it is added (a software pipeline:
	 * its group's slot and state load from memory meanwhile).  Anything
	 * that reads the groups first counts what is pending. */
	struct dh_win_lag *lag; /* the ring, NULL: counted at once */
	uint64_t lag_in, lag_b, lag_d; /* added, grouped, counted */
};

void dh_win_init(struct dh_win *w, const struct dh_agg_spec *agg, const struct dh_win_spec *win,
		 char *const *keys, const size_t *klens, size_t nkeys, const char *time_field,
		 enum dh_time_unit unit, int partial, const struct dh_win_out *out);
/*
 * Count a record: 0; 1 when it is late beyond the lateness (counted
 * nowhere: the caller writes it to --late); -1 when it is bad, with why
 * in w->err (nothing counted).  May emit panes the watermark passes.
 */
int dh_win_add(struct dh_win *w, const struct dh_record *rec);
/* The same, for a record whose event time t (ns) and group key are known
 * already (dh_record_time, dh_win_group_key: worker threads). */
int dh_win_add_at(struct dh_win *w, const struct dh_record *rec, int64_t t, struct dh_key gk);
/* rec's group key, with c for scratch (so that any thread may ask). */
struct dh_key dh_win_group_key(const struct dh_win *w, const struct dh_record *rec,
			       struct dh_canon *c);
/*
 * --merge: the specs a saved state line was written with, to initialise
 * w with (the caller owns *agg, and *keys and *klens and their strings,
 * all malloc'd): 0, or -1 with why in err.
 */
int dh_win_read_header(const char *p, size_t n, struct dh_agg_spec *agg,
		       struct dh_win_spec *win, char ***keys, size_t **klens, size_t *nkeys,
		       struct dh_buf *err);
/* Merge one saved state line into w: 0, or -1 with why in w->err. */
int dh_win_merge_line(struct dh_win *w, const char *p, size_t n);
/* Without a window: merge the groups of from (another thread's, which
 * counted other records with their own positions) into w: 0, or -1 with
 * why in w->err. */
int dh_win_absorb(struct dh_win *w, struct dh_win *from);
/* End of input: emit every open pane. */
int dh_win_finish(struct dh_win *w);
void dh_win_release(struct dh_win *w);

#endif
