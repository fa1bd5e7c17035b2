/* dh-agg: group-by aggregates, event-time windows, mergeable states. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "err.h"
#include "flatten.h"
#include "input.h"
#include "manifest.h"
#include "opt.h"
#include "pmap.h"
#include "progress.h"
#include "reader.h"
#include "reject.h"
#include "stats.h"
#include "window.h"
#include "writer.h"
#include "xalloc.h"

enum {
	OPT_TIME = DH_OPT_LONG,
	OPT_TIME_UNIT,
	OPT_WINDOW,
	OPT_DELAY,
	OPT_LATENESS,
	OPT_ACCUMULATE,
	OPT_DISCARD,
	OPT_RETRACT,
	OPT_LATE,
	OPT_PARTIAL,
	OPT_MERGE,
	OPT_SKIP_INVALID,
};

static const struct dh_opt opts[] = {
	DH_OPTION_INPUT_FORMAT,
	{'t', "output-format", "FMT", "output format (default: the input format; JSON lines for --partial and --merge)", DH_COMPLETE_FORMATS},
	{'g', "group-by", "KEYS", "group by these fields: a,b.c (default: one group of all records)", NULL},
	{'a', "aggregates", "AGGS", "what to compute: count,sum:F,mean:F,min:F,max:F,var:F,stddev:F,median:F,p95:F,first:F,last:F,distinct:F,approx_distinct:F,nulls:F", NULL},
	{OPT_SKIP_INVALID, "skip-invalid", NULL, "leave values that are not numbers out of numeric aggregates, and count them", NULL},
	{OPT_TIME, "time", "FIELD", "the event time of --window: ISO 8601 or epoch", NULL},
	{OPT_TIME_UNIT, "time-unit", "UNIT", "unit of integer epoch times: s, ms, us, ns (default: s)", "s ms us ns"},
	{OPT_WINDOW, "window", "SPEC", "event-time windows: tumbling:SIZE, sliding:SIZE:PERIOD, session:GAP", NULL},
	{OPT_DELAY, "delay", "DUR", "the watermark trails the newest event time by DUR (default: 0)", NULL},
	{OPT_LATENESS, "lateness", "DUR", "update emitted windows with records up to DUR late (default: 0)", NULL},
	{OPT_ACCUMULATE, "accumulate", NULL, "a late pane holds the whole window's result (default)", NULL},
	{OPT_DISCARD, "discard", NULL, "a late pane holds only the records since the last pane", NULL},
	{OPT_RETRACT, "retract", NULL, "before a late pane, repeat the last one marked \"_retract\": true", NULL},
	{OPT_LATE, "late", "FILE", "write records later than the lateness to FILE", DH_COMPLETE_FILE},
	{OPT_PARTIAL, "partial", NULL, "write mergeable states (JSON lines) instead of results", NULL},
	{OPT_MERGE, "merge", NULL, "read states written by --partial, from any runs, and merge them", NULL},
	DH_OPTION_SKIP_BLANK,
	DH_OPTION_MAX_RATIO,
	DH_OPTION_MAX_INFLATED,
	DH_OPTION_ALLOW_INCOMPLETE,
	DH_OPTION_REJECTS,
	DH_OPTION_MAX_REJECTS,
	DH_OPTION_STATS,
	DH_OPTION_METRICS,
	{0, NULL, NULL, NULL, NULL},
};

static const struct dh_cmd cmd = {
	"dh-agg",
	"[-f FMT] [-t FMT] [-g KEYS] -a AGGS [--skip-invalid] [--time FIELD --window SPEC] "
	"[--time-unit UNIT] [--delay DUR] [--lateness DUR] [--accumulate | --discard | --retract] "
	"[--late FILE] [--partial | --merge] [--skip-blank] [--allow-incomplete] [--rejects FILE] "
	"[--max-rejects N] [--stats] [--metrics FORMAT] [FILE ...]",
	"Aggregate records by group, in event-time windows when asked, or write\n"
	"and merge partial states. Input need not be sorted. With no FILE, or\n"
	"when FILE is -, read standard input.",
	opts,
	"Exit status:\n"
	"  0  success\n"
	"  1  more bad records than --max-rejects\n"
	"  2  usage error\n"
	"  3  bad input data: a value that is not a number, an integer sum that\n"
	"     overflows (the message names file, line and field)\n"
	"  4  I/O or system error\n"
	"\n"
	"Examples:\n"
	"  dh-agg -g country -a count,sum:price,mean:price events.csv\n"
	"  dh-agg -g user_id -a count,p95:latency_ms -t csv events.jsonl.gz\n"
	"  tail -f events.jsonl | dh-agg -g page -a count --time ts --window tumbling:1m\n"
	"  dh-agg -g user_id -a count,first:url,last:url --time ts --window session:30m events.jsonl\n"
	"  dh-agg -g country -a count,mean:price --partial day1.jsonl > day1.state\n"
	"  dh-agg --merge day*.state\n",
};

struct agg {
	enum dh_format from, to;
	int have_writer;
	struct dh_out out;
	struct dh_writer w;
	struct dh_record flat;
	struct dh_buf err;
	const char *late_path;
	struct dh_out late_out;
	struct dh_writer late_w;
	int late_open, late_writer;
	enum dh_format late_fmt;
	unsigned long long *nlate;
	struct dh_rejects rj;
	struct dh_stats st;
	struct dh_progress pg;
	int nthreads;
	struct dh_win *win;
	/* JSON: the fields the run reads (keys, aggregated fields, time) */
	struct dh_json_want want;
};

/* The fields w reads: JSON records keep only those members. */
static void
want_init(struct dh_json_want *want, const struct dh_win *w)
{
	size_t i;

	for (i = 0; i < w->nkeys; i++)
		dh_json_want_add(want, w->keys[i], w->klens[i]);
	for (i = 0; i < w->agg->nfields; i++)
		dh_json_want_add(want, w->agg->fields[i].path, w->agg->fields[i].plen);
	if (w->time_field != NULL)
		dh_json_want_add(want, w->time_field, strlen(w->time_field));
}

/* No result: CSV and TSV still get their header line, as dh-convert
 * gives one for a header without rows. */
static void
empty_header(struct agg *a, const struct dh_win *w)
{
	static const char *const before[] = {"window_start", "window_end"};
	static const char *const after[] = {"pane", "timing", "_retract"};
	char **names = NULL;
	size_t *lens = NULL, n = 0, i, nafter = 0;
	struct dh_buf line = DH_BUF_INIT;

	names = dh_xreallocarray(NULL, w->nkeys + w->agg->nitems + 6, sizeof(*names));
	lens = dh_xreallocarray(NULL, w->nkeys + w->agg->nitems + 6, sizeof(*lens));
	if (w->win.kind != DH_WIN_NONE) {
		for (i = 0; i < 2; i++)
			names[n++] = (char *)before[i];
		nafter = w->win.mode == DH_WIN_RETRACT ? 3 : 2;
	}
	for (i = 0; i < w->nkeys; i++)
		names[n++] = w->keys[i];
	for (i = 0; i < w->agg->nitems; i++)
		names[n++] = w->agg->items[i].name;
	for (i = 0; i < nafter; i++)
		names[n++] = (char *)after[i];
	for (i = 0; i < n; i++)
		lens[i] = strlen(names[i]);
	dh_header_line(&line, a->to, names, lens, n);
	dh_out_write(&a->out, line.data, line.len);
	dh_buf_release(&line);
	free(names);
	free(lens);
}

static void
flush_out(void *arg)
{
	struct agg *a = arg;

	dh_out_flush(&a->out);
}

static void
emit_rec(void *arg, const struct dh_record *rec)
{
	struct agg *a = arg;

	if (!a->have_writer) {
		dh_writer_init(&a->w, &a->out, a->to, 0, '.');
		a->have_writer = 1;
	}
	if (dh_write(&a->w, rec, &a->err) != 0)
		dh_die(DH_EXIT_DATA, "cannot write a result: %s", a->err.data);
	a->st.records_out++;
}

static void
emit_line(void *arg, const char *p, size_t n)
{
	struct agg *a = arg;

	dh_out_write(&a->out, p, n);
	dh_out_putc(&a->out, '\n');
	a->st.records_out++;
}

/*
 * Results made on another thread (struct dh_win_out's fork): records
 * through a clone of the writer, or saved state lines, into memory; the
 * main thread writes them in order.  A record that cannot be written
 * ends the lane: the main thread stops there, as emit_rec would have.
 */
struct rlane {
	struct agg *a;
	struct dh_out out;
	struct dh_writer w;
	int have_w, failed;
	unsigned long long nrec;
	struct dh_buf err;
};

static void
rlane_rec(void *arg, const struct dh_record *rec)
{
	struct rlane *l = arg;

	if (l->failed)
		return;
	if (dh_write(&l->w, rec, &l->err) != 0) {
		l->failed = 1;
		return;
	}
	l->nrec++;
}

static void
rlane_line(void *arg, const char *p, size_t n)
{
	struct rlane *l = arg;

	dh_out_write(&l->out, p, n);
	dh_out_putc(&l->out, '\n');
	l->nrec++;
}

static int
rlane_fork(void *arg, struct dh_win_out *lo)
{
	struct agg *a = arg;
	struct rlane *l = dh_xcalloc(1, sizeof(*l));

	l->a = a;
	dh_out_open_mem(&l->out);
	if (a->have_writer) {
		dh_writer_clone(&a->w, &l->w, &l->out);
		l->have_w = 1;
	}
	*lo = (struct dh_win_out){rlane_rec, rlane_line, l, NULL, NULL, 0};
	return 0;
}

static void
rlane_join(void *arg, struct dh_win_out *lo, int write)
{
	struct agg *a = arg;
	struct rlane *l = lo->arg;

	if (write) {
		dh_out_write_block(&a->out, l->out.buf, l->out.len);
		a->st.records_out += l->nrec;
		if (l->failed)
			dh_die(DH_EXIT_DATA, "cannot write a result: %s", l->err.data);
	}
	if (l->have_w)
		dh_writer_release(&l->w);
	dh_out_close(&l->out);
	dh_buf_release(&l->err);
	free(l);
}

/* A record later than the lateness: counted, and kept in --late. */
static void
late(struct agg *a, const struct dh_record *rec, enum dh_format fmt, const char *name)
{
	(*a->nlate)++;
	if (a->late_path == NULL)
		return;
	if (!a->late_writer) {
		a->late_fmt = fmt == DH_FMT_JSON ? DH_FMT_JSONL : fmt;
		dh_writer_init(&a->late_w, &a->late_out, a->late_fmt, 0, '.');
		a->late_writer = 1;
	}
	if (fmt == DH_FMT_JSONL && a->late_fmt == DH_FMT_JSONL) {
		/* as read (and all there is: a chunked read's rec holds only
		 * the fields dh-agg uses) */
		dh_out_write(&a->late_out, rec->raw, rec->rawlen);
		dh_out_putc(&a->late_out, '\n');
	} else if (dh_write(&a->late_w, rec, &a->err) != 0) {
		a->st.rejected++;
		dh_reject(&a->rj, name, rec->line, rec->raw, rec->rawlen, a->err.data);
	}
}

/* After dh_win_add*(): a bad record is rejected, a late one kept aside. */
static void
counted(struct agg *a, const struct dh_record *rec, enum dh_format fmt, const char *name,
	int rc)
{
	if (rc < 0) {
		a->st.rejected++;
		dh_reject(&a->rj, name, rec->line, rec->raw, rec->rawlen, a->win->err.data);
	} else if (rc > 0) {
		late(a, rec, fmt, name);
	}
}

static enum dh_format
format_of(const struct agg *a, struct dh_input *in, const char *path)
{
	enum dh_format fmt = a->from;

	if (fmt == DH_FMT_NONE)
		fmt = dh_format_from_name(path);
	if (fmt == DH_FMT_NONE)
		fmt = dh_format_sniff(in);
	return fmt;
}

/*
 * Big files without a window in chunks on every CPU: each worker groups
 * its chunks into a table of its own, with each record's position (the
 * chunk's number, then the record's), and at the end the tables merge
 * into the main one, so that first, last and the order of groups are a
 * sequential run's.  Bad records reach the main thread in input order.
 */
#define POS_BITS 22 /* records of a chunk: a chunk is 4 MiB */

struct par {
	struct agg *a;
	struct dh_win *w;
	const char *name;
	uint64_t base; /* the first chunk's number */
	pthread_mutex_t mu;
	struct lane **lanes;
	size_t nlanes;
};

struct lane {
	struct par *par;
	struct dh_win w;
	uint64_t maxseq, idx, seq; /* seq: the chunk being read */
};

static void *
lane_new(void *arg)
{
	struct par *p = arg;
	struct lane *l = dh_xcalloc(1, sizeof(*l));

	l->par = p;
	dh_win_init(&l->w, p->w->agg, &p->w->win, p->w->keys, p->w->klens, p->w->nkeys, NULL,
		    DH_UNIT_S, p->w->partial, &p->w->out);
	pthread_mutex_lock(&p->mu);
	p->lanes = dh_xreallocarray(p->lanes, p->nlanes + 1, sizeof(*p->lanes));
	p->lanes[p->nlanes++] = l;
	pthread_mutex_unlock(&p->mu);
	return l;
}

static void
lane_done(void *ts)
{
	(void)ts; /* the main thread merges and frees the lanes */
}

static const char *
lane_one(void *ts, struct dh_pmap_job *job, struct dh_record *rec)
{
	struct lane *l = ts;

	if (job->seq != l->seq) { /* a new chunk */
		l->seq = job->seq;
		l->idx = 0;
		if (job->seq > l->maxseq)
			l->maxseq = job->seq;
	}
	l->w.pos = ((l->par->base + job->seq) << POS_BITS) | l->idx++;
	return dh_win_add(&l->w, rec) != 0 ? l->w.err.data : NULL;
}

static void
agg_parallel(struct agg *a, struct dh_win *w, struct dh_input *in, enum dh_format fmt,
	     const struct dh_reader *r, unsigned rflags)
{
	struct par p;
	struct dh_pmap_src src = {in->loc.name, fmt, rflags, 0, dh_format_delimited(fmt) ? r : NULL,
				  &a->rj, &a->st.rejected, r->want};
	struct dh_pmap_rec_ops ops = {lane_new, lane_done, lane_one, NULL, &p};
	uint64_t maxseq = 0;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.a = a;
	p.w = w;
	p.name = in->loc.name;
	p.base = (w->pos >> POS_BITS) + 1;
	pthread_mutex_init(&p.mu, NULL);
	dh_pmap_records(in, a->nthreads, &src, &ops, &a->pg, &a->out, &a->st.records_in,
			&a->st.records_out);
	for (i = 0; i < p.nlanes; i++) {
		struct lane *l = p.lanes[i];

		if (dh_win_absorb(w, &l->w) != 0)
			dh_die(DH_EXIT_DATA, "%s: %s", p.name, w->err.data);
		if (l->maxseq > maxseq)
			maxseq = l->maxseq;
		dh_win_release(&l->w);
		free(l);
	}
	w->pos = (p.base + maxseq + 1) << POS_BITS;
	free(p.lanes);
	pthread_mutex_destroy(&p.mu);
}

/*
 * Windows need records in input order: workers parse chunks and cut each
 * record down to the fields dh-agg reads (group keys, aggregated fields,
 * the time), the main thread counts them in order.  An entry: struct
 * pentry, the raw record, then per field a type byte (ABSENT: missing),
 * a length and the value.
 */
#define ABSENT 0xff

struct pentry {
	int64_t t;         /* the event time, ns */
	struct dh_key key; /* the group */
	uint64_t rawlen, plen;
	uint64_t line;     /* in the chunk */
};

struct oseq {
	struct agg *a;
	struct dh_win *w;
	struct dh_input *in;
	const char *name;
	enum dh_format fmt;
	char **paths; /* borrowed from w and the spec */
	size_t *plens, npaths;
	int keep_raw; /* entries carry the raw record, for --late and --rejects */
	struct dh_record rec;
};

struct olane {
	struct oseq *o;
	struct dh_buf proj, scratch, err;
	struct dh_canon canon;
};

static void *
olane_new(void *arg)
{
	struct olane *l = dh_xcalloc(1, sizeof(*l));

	l->o = arg;
	return l;
}

static void
olane_free(void *ts)
{
	struct olane *l = ts;

	dh_buf_release(&l->proj);
	dh_buf_release(&l->scratch);
	dh_buf_release(&l->err);
	dh_canon_release(&l->canon);
	free(l);
}

static const char *
olane_one(void *ts, struct dh_pmap_job *job, struct dh_record *rec)
{
	struct olane *l = ts;
	const struct oseq *o = l->o;
	struct pentry e;
	size_t i;

	if (dh_record_time(rec, o->w->time_field, o->w->unit, &e.t, &l->scratch, &l->err) != 0)
		return l->err.data;
	e.key = dh_win_group_key(o->w, rec, &l->canon);
	dh_buf_reset(&l->proj);
	for (i = 0; i < o->npaths; i++) {
		struct dh_field f;
		uint64_t n;

		if (!dh_record_lookup(rec, o->paths[i], o->plens[i], '.', &f)) {
			dh_buf_addc(&l->proj, (char)ABSENT);
			continue;
		}
		n = f.vlen;
		dh_buf_addc(&l->proj, (char)f.type);
		dh_buf_add(&l->proj, &n, sizeof(n));
		dh_buf_add(&l->proj, f.val, f.vlen);
	}
	e.line = rec->line;
	e.rawlen = o->keep_raw ? rec->rawlen : 0;
	e.plen = l->proj.len;
	dh_out_write(&job->out, &e, sizeof(e));
	dh_out_write(&job->out, rec->raw, e.rawlen);
	dh_out_write(&job->out, l->proj.data, l->proj.len);
	return NULL;
}

/* Main thread, in order: whole entries; o->in->line is the chunk's first
 * line less one. */
static void
oseq_emit(void *arg, const char *p, size_t n)
{
	struct oseq *o = arg;

	while (n >= sizeof(struct pentry)) {
		struct pentry e;
		const char *q;
		size_t i;

		memcpy(&e, p, sizeof(e));
		dh_record_reset(&o->rec);
		o->rec.raw = e.rawlen > 0 ? p + sizeof(e) : NULL;
		o->rec.rawlen = (size_t)e.rawlen;
		o->rec.line = o->in->line + e.line;
		q = p + sizeof(e) + e.rawlen;
		for (i = 0; i < o->npaths; i++) {
			uint64_t len;

			if ((unsigned char)*q == ABSENT) {
				q++;
				continue;
			}
			memcpy(&len, q + 1, sizeof(len));
			dh_record_add(&o->rec, o->paths[i], o->plens[i], q + 1 + sizeof(len), len,
				      (enum dh_vtype)(unsigned char)*q);
			q += 1 + sizeof(len) + len;
		}
		counted(o->a, &o->rec, o->fmt, o->name, dh_win_add_at(o->w, &o->rec, e.t, e.key));
		p += sizeof(e) + e.rawlen + e.plen;
		n -= sizeof(e) + e.rawlen + e.plen;
	}
}

static void
add_path(struct oseq *o, const char *p, size_t n)
{
	o->paths = dh_xreallocarray(o->paths, o->npaths + 1, sizeof(*o->paths));
	o->plens = dh_xreallocarray(o->plens, o->npaths + 1, sizeof(*o->plens));
	o->paths[o->npaths] = (char *)p;
	o->plens[o->npaths++] = n;
}

static void
agg_ordered(struct agg *a, struct dh_win *w, struct dh_input *in, enum dh_format fmt,
	    const struct dh_reader *r, unsigned rflags)
{
	struct oseq o;
	struct dh_pmap_src src = {in->loc.name, fmt, rflags, 0, dh_format_delimited(fmt) ? r : NULL,
				  &a->rj, &a->st.rejected, r->want};
	struct dh_pmap_rec_ops ops = {olane_new, olane_free, olane_one, oseq_emit, &o};
	unsigned long long out_unused = 0;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.a = a;
	o.w = w;
	o.in = in;
	o.name = in->loc.name;
	o.fmt = fmt;
	/* without them a bad record stops the run, and its message needs
	 * only the line: leaving the raw bytes out keeps entries small */
	o.keep_raw = a->late_path != NULL || a->rj.path != NULL;
	for (i = 0; i < w->nkeys; i++)
		add_path(&o, w->keys[i], w->klens[i]);
	for (i = 0; i < w->agg->nfields; i++)
		add_path(&o, w->agg->fields[i].path, w->agg->fields[i].plen);
	dh_pmap_records(in, a->nthreads, &src, &ops, &a->pg, &a->out, &a->st.records_in,
			&out_unused);
	free(o.paths);
	free(o.plens);
	dh_record_release(&o.rec);
}

static void
agg_file(struct agg *a, struct dh_win *w, const char *path, unsigned rflags)
{
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	enum dh_format fmt;
	unsigned long long nread = 0;
	int rc, par;

	dh_input_open(&in, path);
	in.idle = flush_out;
	in.idle_arg = a;
	fmt = format_of(a, &in, path);
	if (a->to == DH_FMT_NONE)
		a->to = fmt == DH_FMT_JSON ? DH_FMT_JSONL : fmt;
	par = dh_pmap_fits(&in, fmt, a->nthreads, a->rj.path != NULL) &&
	      (w->win.kind == DH_WIN_NONE || a->late_path == NULL || fmt == DH_FMT_JSONL);
	dh_reader_open(&r, &in, fmt, rflags);
	/* --late writes late records from their fields, unless they are
	 * JSON lines (written as read) */
	if (a->late_path == NULL || fmt == DH_FMT_JSONL)
		r.want = &a->want;
	/* one by one until the header and a first record are read, and no
	 * CSV row is half used; then, when allowed, in parallel */
	while ((!par || nread == 0 || r.rem_len > 0 || (dh_format_delimited(fmt) && !r.have_header)) &&
	       (rc = dh_read(&r, &rec)) != 0) {
		nread++;
		a->st.records_in++;
		dh_progress(&a->pg, in.bytes_raw);
		if (rc < 0) {
			a->st.rejected++;
			dh_reject(&a->rj, in.loc.name, rec.line, rec.raw, rec.rawlen, r.err.data);
			continue;
		}
		counted(a, &rec, fmt, in.loc.name, dh_win_add(w, &rec));
	}
	if (par && nread > 0) {
		if (w->win.kind == DH_WIN_NONE)
			agg_parallel(a, w, &in, fmt, &r, rflags);
		else
			agg_ordered(a, w, &in, fmt, &r, rflags);
	}
	a->st.bytes_in += in.bytes_raw;
	dh_reader_close(&r);
	dh_input_close(&in);
	dh_record_release(&rec);
}

/* --merge: saved states, one a line; the first sets the specs. */
struct merge {
	struct dh_agg_spec agg;
	struct dh_win_spec win;
	char **keys;
	size_t *klens, nkeys;
	int ready;
};

static void
merge_file(struct agg *a, struct merge *m, struct dh_win *w, const struct dh_win_out *wo,
	   int partial, const char *path)
{
	struct dh_input in;
	const char *line;
	size_t len;

	dh_input_open(&in, path);
	in.idle = flush_out;
	in.idle_arg = a;
	while (dh_input_line(&in, &line, &len)) {
		a->st.records_in++;
		dh_progress(&a->pg, in.bytes_raw);
		if (len == 0)
			continue;
		if (!m->ready) {
			dh_buf_reset(&a->err);
			if (dh_win_read_header(line, len, &m->agg, &m->win, &m->keys, &m->klens,
					       &m->nkeys, &a->err) != 0) {
				struct dh_loc loc = {in.loc.name, in.line};

				dh_die_at(&loc, "%s", a->err.data);
			}
			dh_win_init(w, &m->agg, &m->win, m->keys, m->klens, m->nkeys, NULL,
				    DH_UNIT_S, partial, wo);
			m->ready = 1;
		}
		if (dh_win_merge_line(w, line, len) != 0) {
			a->st.rejected++;
			dh_reject(&a->rj, in.loc.name, in.line, line, len, w->err.data);
		}
	}
	a->st.bytes_in += in.bytes_raw;
	dh_input_close(&in);
}

/* A duration that may be 0 (--delay, --lateness: 0 is their default). */
static int64_t
duration0(const char *arg, const char *opt)
{
	const char *why;
	int64_t ns;

	if (strcmp(arg, "0") == 0)
		return 0;
	if (dh_duration_parse(arg, &ns, &why) == 0)
		return ns;
	if (strcmp(why, "a duration must be more than 0") == 0)
		return 0; /* "0s", "0m" */
	dh_usage_error("%s %s: %s", opt, arg, why);
}

/* Output field names are unique: a group key may not be called as an
 * aggregate's result or a window's field. */
static void
check_names(const struct dh_agg_spec *spec, char *const *keys, size_t nkeys, int window,
	    int retract)
{
	static const char *const wnames[] = {"window_start", "window_end", "pane", "timing"};
	size_t i, j;

	for (i = 0; i < nkeys; i++) {
		for (j = 0; j < nkeys; j++)
			if (j != i && strcmp(keys[i], keys[j]) == 0)
				dh_usage_error("-g names '%s' twice", keys[i]);
		for (j = 0; j < spec->nitems; j++)
			if (strcmp(keys[i], spec->items[j].name) == 0)
				dh_usage_error("the group key '%s' has the name of a result field "
					       "of -a", keys[i]);
		for (j = 0; window && j < sizeof(wnames) / sizeof(wnames[0]); j++)
			if (strcmp(keys[i], wnames[j]) == 0)
				dh_usage_error("the group key '%s' has the name of a window field",
					       keys[i]);
		if (retract && strcmp(keys[i], "_retract") == 0)
			dh_usage_error("the group key '_retract' has the name of --retract's field");
	}
	for (i = 0; i < spec->nitems; i++)
		for (j = 0; window && j < sizeof(wnames) / sizeof(wnames[0]); j++)
			if (strcmp(spec->items[i].name, wnames[j]) == 0)
				dh_usage_error("the result '%s' of -a has the name of a window field",
					       wnames[j]);
}

static void
parse_keys(const char *list, char ***keys, size_t **klens, size_t *nkeys)
{
	const char *p = list;

	if (*list == '\0')
		dh_usage_error("-g takes a list of fields, not ''");
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == 0)
			dh_usage_error("-g %s: an empty field name", list);
		*keys = dh_xreallocarray(*keys, *nkeys + 1, sizeof(**keys));
		*klens = dh_xreallocarray(*klens, *nkeys + 1, sizeof(**klens));
		(*keys)[*nkeys] = dh_xmemdup(p, n);
		(*klens)[(*nkeys)++] = n;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

int
main(int argc, char **argv)
{
	struct agg a;
	struct dh_getopt g;
	struct dh_common co;
	struct dh_agg_spec spec;
	struct dh_win_spec win;
	struct dh_win w;
	struct merge m;
	struct dh_win_out wo;
	const char *aggs = NULL, *time_field = NULL;
	enum dh_time_unit unit = DH_UNIT_S;
	char **keys = NULL, **inputs;
	size_t *klens = NULL, nkeys = 0, ninputs, i;
	int opt, partial = 0, merge = 0, skip_invalid = 0, have_unit = 0, mode_set = 0, have_delay = 0, have_lateness = 0;
	unsigned long long *ninvalid;

	dh_err_init(argv[0]);
	signal(SIGPIPE, SIG_DFL);
	memset(&a, 0, sizeof(a));
	memset(&co, 0, sizeof(co));
	memset(&win, 0, sizeof(win));
	memset(&m, 0, sizeof(m));
	memset(&w, 0, sizeof(w));
	dh_getopt_init(&g, &cmd, argc, argv);
	while ((opt = dh_getopt(&g)) != -1) {
		struct dh_buf err = DH_BUF_INIT;

		if (dh_opt_common(&g, opt, &co))
			continue;
		switch (opt) {
		case 'f': a.from = dh_opt_format(&g, "input"); break;
		case 't': a.to = dh_opt_format(&g, "output"); break;
		case 'g': parse_keys(g.arg, &keys, &klens, &nkeys); break;
		case 'a': aggs = g.arg; break;
		case OPT_SKIP_INVALID: skip_invalid = 1; break;
		case OPT_TIME: time_field = g.arg; break;
		case OPT_TIME_UNIT:
			if (dh_time_unit_parse(g.arg, &unit) != 0)
				dh_usage_error("unknown time unit '%s' (s, ms, us, ns)", g.arg);
			have_unit = 1;
			break;
		case OPT_WINDOW:
			if (dh_win_spec_parse(&win, g.arg, &err) != 0)
				dh_usage_error("%s", err.data);
			break;
		case OPT_DELAY:
			win.delay = duration0(g.arg, "--delay");
			have_delay = 1;
			break;
		case OPT_LATENESS:
			win.lateness = duration0(g.arg, "--lateness");
			have_lateness = 1;
			break;
		case OPT_ACCUMULATE:
		case OPT_DISCARD:
		case OPT_RETRACT:
			if (mode_set)
				dh_usage_error("--accumulate, --discard and --retract exclude each other");
			mode_set = 1;
			win.mode = opt == OPT_DISCARD   ? DH_WIN_DISCARD
				   : opt == OPT_RETRACT ? DH_WIN_RETRACT
							: DH_WIN_ACCUMULATE;
			break;
		case OPT_LATE: a.late_path = g.arg; break;
		case OPT_PARTIAL: partial = 1; break;
		case OPT_MERGE: merge = 1; break;
		}
		dh_buf_release(&err);
	}
	dh_opt_common_done(&co);
	if (a.late_path != NULL && strcmp(a.late_path, "-") == 0)
		dh_usage_error("--late -: standard output carries the results; name a file "
			       "(/dev/stderr, a FIFO)");
	if (merge) {
		if (aggs != NULL || nkeys > 0 || win.kind != DH_WIN_NONE || time_field != NULL)
			dh_usage_error("--merge takes the groups, aggregates and window from the "
				       "saved states: no -g, -a, --window or --time");
	} else if (aggs == NULL) {
		dh_usage_error("-a AGGS is required: what to compute (count,sum:price,...)");
	}
	if (!merge && (win.kind != DH_WIN_NONE) != (time_field != NULL))
		dh_usage_error(time_field != NULL ? "--time needs --window SPEC"
						  : "--window needs --time FIELD, the event time");
	if (have_unit && time_field == NULL)
		dh_usage_error("--time-unit needs --time FIELD and --window SPEC");
	if ((have_delay || have_lateness || mode_set || a.late_path != NULL) &&
	    (win.kind == DH_WIN_NONE || partial))
		dh_usage_error(partial ? "--partial writes each window's state at the end of input: "
					 "no --delay, --lateness, --late, --accumulate, --discard or --retract"
				       : "--delay, --lateness, --late, --accumulate, --discard and "
					 "--retract need --window");
	if (aggs != NULL) {
		struct dh_buf err = DH_BUF_INIT;

		if (dh_agg_spec_parse(&spec, aggs, &err) != 0)
			dh_usage_error("-a %s: %s", aggs, err.data);
		spec.skip_invalid = skip_invalid;
		dh_buf_release(&err);
		check_names(&spec, keys, nkeys, win.kind != DH_WIN_NONE, win.mode == DH_WIN_RETRACT);
	}
	if (partial || merge) {
		if (partial && a.to != DH_FMT_NONE && a.to != DH_FMT_JSONL)
			dh_usage_error("--partial writes JSON lines: no -t %s", dh_format_name(a.to));
		if (a.to == DH_FMT_NONE)
			a.to = DH_FMT_JSONL;
	}

	a.nthreads = dh_pmap_threads();
	dh_stats_start(&a.st);
	dh_progress_start(&a.pg, &a.st, win.kind != DH_WIN_NONE ? DH_PROGRESS_RECORDS : 0);
	a.nlate = dh_stats_counter(&a.st, "late");
	ninvalid = dh_stats_counter(&a.st, "invalid");
	dh_rejects_init(&a.rj, co.rejects);
	if (co.has_max)
		dh_rejects_set_max(&a.rj, co.max_rejects);
	dh_out_open_fd(&a.out, 1, "stdout", NULL);
	wo.rec = emit_rec;
	wo.line = emit_line;
	wo.arg = &a;
	wo.fork = rlane_fork;
	wo.join = rlane_join;
	wo.nthreads = a.nthreads;
	/* --late FILE holds this run's late records: none is an empty file */
	if (a.late_path != NULL) {
		dh_out_open_path(&a.late_out, a.late_path, NULL, 0);
		a.late_open = 1;
	}
	a.win = &w;
	if (!merge) {
		dh_win_init(&w, &spec, &win, keys, klens, nkeys, time_field, unit, partial, &wo);
		want_init(&a.want, &w);
	}
	inputs = dh_inputs_expand(argv + optind, (size_t)(argc - optind), co.allow_incomplete,
				  &ninputs);
	for (i = 0; i < ninputs; i++) {
		if (merge)
			merge_file(&a, &m, &w, &wo, partial, inputs[i]);
		else
			agg_file(&a, &w, inputs[i], co.skip_blank ? DH_READ_SKIP_BLANK : 0);
		free(inputs[i]);
	}
	free(inputs);
	dh_progress_end(&a.pg);
	if (a.to == DH_FMT_NONE)
		a.to = DH_FMT_JSONL; /* no input named a format: empty stdin */
	if ((!merge || m.ready) && dh_win_finish(&w) != 0)
		dh_die(DH_EXIT_DATA, "%s", w.err.data);
	*ninvalid = w.invalid;
	if (!a.have_writer && !partial && dh_format_delimited(a.to) && (!merge || m.ready))
		empty_header(&a, &w);
	if (a.have_writer) {
		dh_writer_finish(&a.w);
		dh_writer_release(&a.w);
	}
	dh_out_close(&a.out);
	if (a.late_writer) {
		dh_writer_finish(&a.late_w);
		dh_writer_release(&a.late_w);
	}
	if (a.late_open)
		dh_out_close(&a.late_out);
	if (*a.nlate > 0)
		dh_warn("%llu record%s later than the allowed lateness%s%s%s", *a.nlate,
			*a.nlate == 1 ? "" : "s",
			a.late_path ? " (written to " : " (dropped: keep them with --late FILE",
			a.late_path ? a.late_path : "", ")");
	if (w.invalid > 0)
		dh_warn("%llu value%s that %s left out (--skip-invalid)", w.invalid,
			w.invalid == 1 ? "" : "s", w.invalid == 1 ? "is not a number" : "are not numbers");
	a.st.bytes_out = a.out.written;
	dh_rejects_close(&a.rj);
	dh_stats_report(&a.st, co.stats, co.metrics);
	if (!merge || m.ready)
		dh_win_release(&w);
	dh_json_want_release(&a.want);
	if (aggs != NULL)
		dh_agg_spec_release(&spec);
	if (m.ready) {
		dh_agg_spec_release(&m.agg);
		for (i = 0; i < m.nkeys; i++)
			free(m.keys[i]);
		free(m.keys);
		free(m.klens);
	}
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	free(klens);
	dh_record_release(&a.flat);
	dh_buf_release(&a.err);
	dh_getopt_release(&g);
	return DH_EXIT_OK;
}
