/* dh-dedup: drop duplicate records, by whole record or by key, in an
 * event-time window or across runs. */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "err.h"
#include "flatten.h"
#include "input.h"
#include "keyset.h"
#include "manifest.h"
#include "opt.h"
#include "pmap.h"
#include "progress.h"
#include "reader.h"
#include "reject.h"
#include "seen.h"
#include "spool.h"
#include "stats.h"
#include "timeparse.h"
#include "writer.h"
#include "xalloc.h"

enum {
	OPT_KEEP = DH_OPT_LONG,
	OPT_WITHIN,
	OPT_TIME,
	OPT_TIME_UNIT,
	OPT_SEEN,
	OPT_DUPS,
	OPT_MAX_MEMORY,
};

static const struct dh_opt opts[] = {
	DH_OPTION_INPUT_FORMAT,
	{'t', "output-format", "FMT", "output format (default: the input format)", DH_COMPLETE_FORMATS},
	{'k', "key", "FIELDS", "records are the same when these fields are: a,b.c (default: the whole record)", NULL},
	{OPT_KEEP, "keep", "WHICH", "which of the same records to keep: first (default, streaming) or last", "first last"},
	{OPT_WITHIN, "within", "DUR", "a duplicate only of one kept less than DUR away in event time (30m, 1h, 2d), with --time", NULL},
	{OPT_TIME, "time", "FIELD", "the event time of --within: ISO 8601 or epoch", NULL},
	{OPT_TIME_UNIT, "time-unit", "UNIT", "unit of integer epoch times: s, ms, us, ns (default: s)", "s ms us ns"},
	{OPT_SEEN, "seen", "FILE", "also drop keys that earlier runs saw, and add this run's to FILE", DH_COMPLETE_FILE},
	{OPT_DUPS, "dups", "FILE", "write every dropped record to FILE", DH_COMPLETE_FILE},
	{OPT_MAX_MEMORY, "max-memory", "SIZE", "exit 4 rather than let the key table grow past SIZE (512M, 2G)", NULL},
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
	"dh-dedup",
	"[-f FMT] [-t FMT] [-k FIELDS] [--keep first|last] [--within DUR --time FIELD] "
	"[--time-unit UNIT] [--seen FILE] [--dups FILE] [--max-memory SIZE] [--skip-blank] "
	"[--allow-incomplete] [--rejects FILE] [--max-rejects N] [--stats] [--metrics FORMAT] "
	"[FILE ...]",
	"Drop duplicate records: the same whole record (field names and values,\n"
	"whatever their order), or the same values of the -k fields. The records\n"
	"kept come out in input order, byte for byte as read when the formats\n"
	"match. With no FILE, or when FILE is -, read standard input.",
	opts,
	"Exit status:\n"
	"  0  success\n"
	"  1  more bad records than --max-rejects\n"
	"  2  usage error\n"
	"  3  bad input data (the message names file, line and field)\n"
	"  4  I/O or system error, a full disk or --max-memory included\n"
	"\n"
	"Examples:\n"
	"  dh-dedup events.jsonl > unique.jsonl\n"
	"  dh-dedup -k event_id --dups dups.jsonl --stats day.jsonl.gz > clean.jsonl\n"
	"  tail -f events.jsonl | dh-dedup -k event_id --within 1h --time ts\n"
	"  dh-dedup -k event_id --seen state/event_ids.seen landing/*.jsonl > new.jsonl\n",
};

/* What computing keys needs of its own: one per thread. */
struct keyer {
	struct dh_canon canon;
	struct dh_buf err, scratch;
};

/* Where records go: standard output, or the --dups file. */
struct sink {
	struct dh_out out;
	struct dh_writer w;
	int have_w;
	int header_done; /* passthrough CSV/TSV: the header line is out */
	int open;
};

/* A kept record's time in the key set: order-preserving as unsigned. */
#define TIME_KEY(t) ((uint64_t)(t) ^ ((uint64_t)1 << 63))
#define KEY_TIME(u) ((int64_t)((u) ^ ((uint64_t)1 << 63)))
/* --keep last: the value of a key that an earlier run saw */
#define SEEN_BEFORE UINT64_MAX

struct dedup {
	enum dh_format from, to, cur;
	char **keys;
	size_t *klens, nkeys;
	struct dh_buf spec; /* "record" or "-k a,b": what --seen keys are of */
	int keep_last;
	/* --keep last of one input that passes through: the spool holds
	 * keys and raw bytes only (with more inputs a later one may have
	 * another format, and then every record is written from its fields) */
	int spool_keys;
	int64_t within; /* ns; 0: no window */
	const char *time_field;
	enum dh_time_unit unit;
	/* with keys: the fields read (keys, time), for JSON that passes */
	struct dh_json_want want;
	const char *seen_path, *dups_path;
	int64_t watermark; /* newest event time seen, ns */
	int have_wm;

	struct dh_keyset ks;
	struct keyer km; /* the main thread's */
	int nthreads;
	struct sink out, dups;
	int pass;           /* records go out as read */
	struct dh_buf header; /* passthrough CSV/TSV: the input's header line */
	struct dh_record flat;
	struct dh_buf err;
	struct dh_rejects rj;
	struct dh_stats st;
	struct dh_progress pg;
	unsigned long long *ndups;
	struct dh_spool spool; /* --keep last: the records, for a second pass */
	unsigned long long seq;
	/* --keep last: each input's name and the seq of its first record,
	 * so that the second pass names the file in messages */
	char **fnames;
	unsigned long long *fstart;
	size_t nfiles;
};

static void
flush_out(void *arg)
{
	struct dedup *d = arg;

	dh_out_flush(&d->out.out);
	if (d->dups.open)
		dh_out_flush(&d->dups.out);
}

static void
parse_keys(struct dedup *d, const char *list)
{
	const char *p = list;

	if (*list == '\0')
		dh_usage_error("-k takes a list of fields, not ''");
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == 0)
			dh_usage_error("-k %s: an empty field name", list);
		d->keys = dh_xreallocarray(d->keys, d->nkeys + 1, sizeof(*d->keys));
		d->klens = dh_xreallocarray(d->klens, d->nkeys + 1, sizeof(*d->klens));
		d->keys[d->nkeys] = dh_xmemdup(p, n);
		d->klens[d->nkeys++] = n;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

/* Write rec to a sink, as read when the formats allow. */
static int
emit(struct dedup *d, struct sink *s, const struct dh_record *rec)
{
	const struct dh_record *cur = rec;

	if (d->pass && rec->raw != NULL) {
		if (!s->header_done && d->header.len > 0)
			dh_out_write(&s->out, d->header.data, d->header.len);
		s->header_done = 1;
		dh_out_write(&s->out, rec->raw, rec->rawlen);
		dh_out_putc(&s->out, '\n');
		return 0;
	}
	if (!s->have_w) {
		dh_writer_init(&s->w, &s->out, d->to, 0, '.');
		s->have_w = 1;
	}
	if (dh_format_delimited(d->to) && dh_record_nested(rec)) {
		/* as dh-convert: nested JSON flattens for CSV and TSV */
		if (dh_flatten(rec, &d->flat, '.') != 0) {
			dh_buf_reset(&d->err);
			dh_buf_adds(&d->err, d->flat.arena.data);
			return -1;
		}
		cur = &d->flat;
	}
	return dh_write(&s->w, cur, &d->err);
}

static void
keep(struct dedup *d, const struct dh_record *rec, const char *name)
{
	if (emit(d, &d->out, rec) != 0) {
		d->st.rejected++;
		dh_reject(&d->rj, name, rec->line, rec->raw, rec->rawlen, d->err.data);
		return;
	}
	d->st.records_out++;
}

static void
drop(struct dedup *d, const struct dh_record *rec, const char *name)
{
	(*d->ndups)++;
	if (d->dups.open && emit(d, &d->dups, rec) != 0) {
		d->st.rejected++;
		dh_reject(&d->rj, name, rec->line, rec->raw, rec->rawlen, d->err.data);
	}
}

/* The record's key: 0, or -1 with the reason in km->err. */
static int
key_of(const struct dedup *d, struct keyer *km, const struct dh_record *rec, struct dh_key *k)
{
	if (d->nkeys == 0)
		dh_canon_record(&km->canon, rec);
	else if (dh_canon_fields(&km->canon, rec, d->keys, d->klens, d->nkeys, &km->err) != 0)
		return -1;
	*k = dh_key_of(km->canon.out.data, km->canon.out.len);
	return 0;
}

/* The record's event time in ns: 0, or -1 with the reason in km->err. */
static int
time_of(const struct dedup *d, struct keyer *km, const struct dh_record *rec, int64_t *t)
{
	return dh_record_time(rec, d->time_field, d->unit, t, &km->scratch, &km->err);
}

static void
keyer_release(struct keyer *km)
{
	dh_canon_release(&km->canon);
	dh_buf_release(&km->err);
	dh_buf_release(&km->scratch);
}

/* --within: is the record a duplicate of a kept one less than DUR away,
 * which the stream has not yet moved DUR past? */
static int
seen_within(struct dedup *d, struct dh_key k, int64_t t)
{
	uint64_t *v;
	int64_t kept;

	if (!d->have_wm || t > d->watermark) {
		d->watermark = t;
		d->have_wm = 1;
	}
	/* about to grow: first forget what the stream has moved past */
	if (dh_keyset_full(&d->ks) && d->watermark > INT64_MIN + d->within)
		dh_keyset_sweep(&d->ks, TIME_KEY(d->watermark - d->within) + 1);
	if (dh_keyset_put(&d->ks, k, TIME_KEY(t), &v))
		return 0;
	kept = KEY_TIME(*v);
	if (kept <= d->watermark - d->within || (t > kept ? t - kept : kept - t) >= d->within) {
		if (t > kept || kept <= d->watermark - d->within)
			*v = TIME_KEY(t);
		return 0;
	}
	return 1;
}

static void decide(struct dedup *d, const struct dh_record *rec, const char *name,
		   struct dh_key k, int64_t t);

static void
one(struct dedup *d, const struct dh_record *rec, const char *name)
{
	struct dh_key k;
	int64_t t = 0;

	if (key_of(d, &d->km, rec, &k) != 0 ||
	    (d->within > 0 && time_of(d, &d->km, rec, &t) != 0)) {
		d->st.rejected++;
		dh_reject(&d->rj, name, rec->line, rec->raw, rec->rawlen, d->km.err.data);
		return;
	}
	decide(d, rec, name, k, t);
}

/* Keep or drop a record whose key (and time) are known. */
static void
decide(struct dedup *d, const struct dh_record *rec, const char *name, struct dh_key k,
       int64_t t)
{
	uint64_t *v;

	if (d->keep_last) {
		/* first pass: remember the last position of each key */
		if (!dh_keyset_put(&d->ks, k, d->seq, &v) && *v != SEEN_BEFORE)
			*v = d->seq;
		d->seq++;
		if (d->spool_keys && d->pass) {
			/* what goes out is the raw bytes: park them with the
			 * key (one field), not the parsed record */
			struct dh_record kr = DH_RECORD_INIT;

			dh_record_add(&kr, "", 0, (const char *)&k, sizeof(k), DH_V_STR);
			kr.raw = rec->raw;
			kr.rawlen = rec->rawlen;
			kr.line = rec->line;
			dh_spool_put(&d->spool, &kr);
			dh_record_release(&kr);
		} else {
			dh_spool_put(&d->spool, rec);
		}
		return;
	}
	if (d->within > 0 ? seen_within(d, k, t) : !dh_keyset_put(&d->ks, k, 0, NULL))
		drop(d, rec, name);
	else
		keep(d, rec, name);
}

/*
 * Big files in chunks on every CPU: workers parse records and compute
 * their keys (and times), writing entries of struct entry and the raw
 * record; the main thread decides each in input order, so the output is
 * exactly a sequential run's.  Only when records pass through as read,
 * first kept, and chunks split exactly (JSON lines, TSV; CSV when a bad
 * row stops the run).  DH_THREADS=N sets the workers (1: never).
 */
struct entry {
	uint64_t lo, hi;
	int64_t t;
	uint64_t rawlen;
};

struct par {
	struct dedup *d;
	const char *name;
};

struct lane {
	const struct par *par;
	struct keyer km;
};

static void *
lane_new(void *arg)
{
	struct lane *l = dh_xcalloc(1, sizeof(*l));

	l->par = arg;
	return l;
}

static void
lane_free(void *ts)
{
	struct lane *l = ts;

	keyer_release(&l->km);
	free(l);
}

static const char *
lane_one(void *ts, struct dh_pmap_job *job, struct dh_record *rec)
{
	struct lane *l = ts;
	const struct dedup *d = l->par->d;
	struct dh_key k;
	struct entry e;

	e.t = 0;
	if (key_of(d, &l->km, rec, &k) != 0 ||
	    (d->within > 0 && time_of(d, &l->km, rec, &e.t) != 0))
		return l->km.err.data;
	e.lo = k.lo;
	e.hi = k.hi;
	e.rawlen = rec->rawlen;
	dh_out_write(&job->out, &e, sizeof(e));
	dh_out_write(&job->out, rec->raw, rec->rawlen);
	return NULL;
}

/* Start loading the set's slot of entry p's key; the next entry. */
static const char *
prefetch_entry(const struct dh_keyset *ks, const char *p)
{
	struct entry e;
	struct dh_key k;

	memcpy(&e, p, sizeof(e));
	k.lo = e.lo;
	k.hi = e.hi;
	dh_keyset_prefetch(ks, k);
	return p + sizeof(e) + e.rawlen;
}

/* Main thread, in order: whole entries. */
static void
lane_emit(void *arg, const char *p, size_t n)
{
	const struct par *par = arg;
	struct dh_record rec = DH_RECORD_INIT;
	const char *end = p + n, *ahead = p;
	int i;

	/* the set's slots of the next few keys load while these are decided */
	for (i = 0; i < 8 && end - ahead >= (ptrdiff_t)sizeof(struct entry); i++)
		ahead = prefetch_entry(&par->d->ks, ahead);
	while (n >= sizeof(struct entry)) {
		struct entry e;
		struct dh_key k;

		if (end - ahead >= (ptrdiff_t)sizeof(struct entry))
			ahead = prefetch_entry(&par->d->ks, ahead);
		memcpy(&e, p, sizeof(e));
		k.lo = e.lo;
		k.hi = e.hi;
		rec.raw = p + sizeof(e);
		rec.rawlen = (size_t)e.rawlen;
		decide(par->d, &rec, par->name, k, e.t);
		p += sizeof(e) + e.rawlen;
		n -= sizeof(e) + e.rawlen;
	}
}

static int
parallel_ok(const struct dedup *d, const struct dh_input *in, enum dh_format fmt)
{
	return d->pass && !d->keep_last && dh_pmap_fits(in, fmt, d->nthreads, d->rj.path != NULL);
}

static void
header_of(struct dedup *d, const struct dh_reader *r)
{
	if (d->pass && r->have_header && d->header.len == 0)
		dh_header_line(&d->header, d->cur, r->names, r->nlens, r->ncols);
}

static void
dedup_file(struct dedup *d, const char *path, unsigned rflags, size_t ninputs, int first)
{
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	enum dh_format fmt = d->from;
	unsigned long long nread = 0;
	int rc, par;

	dh_input_open(&in, path);
	in.idle = flush_out;
	in.idle_arg = d;
	fmt = dh_format_of(&in, path, fmt);
	if (first) {
		if (d->to == DH_FMT_NONE)
			d->to = fmt;
		/* records pass through as read when the formats allow */
		d->pass = dh_format_passes(fmt, d->to, ninputs);
	}
	if (d->pass && fmt != d->to)
		d->pass = 0; /* mixed inputs: re-serialise */
	d->cur = fmt;
	if (d->keep_last) {
		d->fnames = dh_xreallocarray(d->fnames, d->nfiles + 1, sizeof(*d->fnames));
		d->fstart = dh_xreallocarray(d->fstart, d->nfiles + 1, sizeof(*d->fstart));
		d->fnames[d->nfiles] = dh_xstrdup(in.loc.name);
		d->fstart[d->nfiles++] = d->seq;
	}
	par = parallel_ok(d, &in, fmt);
	dh_reader_open(&r, &in, fmt, rflags);
	/* records that pass through as read need only their key fields */
	if (d->pass && d->want.n > 0 && (!d->keep_last || d->spool_keys))
		r.want = &d->want;
	/* one by one until the header and a first record are read, and no
	 * CSV row is half used; then, when allowed, in parallel */
	while ((!par || nread == 0 || r.rem_len > 0 || (dh_format_delimited(fmt) && !r.have_header)) &&
	       (rc = dh_read(&r, &rec)) != 0) {
		nread++;
		d->st.records_in++;
		dh_progress(&d->pg, in.bytes_raw);
		if (rc < 0) {
			d->st.rejected++;
			dh_reject(&d->rj, in.loc.name, rec.line, rec.raw, rec.rawlen, r.err.data);
			continue;
		}
		header_of(d, &r);
		one(d, &rec, in.loc.name);
	}
	header_of(d, &r);
	if (par && nread > 0) {
		struct par p = {d, in.loc.name};
		struct dh_pmap_src src = {in.loc.name, fmt, rflags, 0,
					  dh_format_delimited(fmt) ? &r : NULL, &d->rj,
					  &d->st.rejected, r.want};
		struct dh_pmap_rec_ops ops = {lane_new, lane_free, lane_one, lane_emit, &p};
		unsigned long long out_unused = 0;

		dh_pmap_records(&in, d->nthreads, &src, &ops, &d->pg, &d->out.out,
				&d->st.records_in, &out_unused);
	}
	d->st.bytes_in += in.bytes_raw;
	dh_reader_close(&r);
	dh_input_close(&in);
	dh_record_release(&rec);
}

/* --keep last, second pass: each record that is its key's last. */
static void
keep_last(struct dedup *d)
{
	struct dh_record rec = DH_RECORD_INIT;
	unsigned long long seq = 0;
	size_t fi = 0, i;

	dh_spool_rewind(&d->spool);
	while (dh_spool_get(&d->spool, &rec)) {
		struct dh_key k;
		uint64_t *v = NULL;

		while (fi + 1 < d->nfiles && seq >= d->fstart[fi + 1])
			fi++;

		if (d->spool_keys && d->pass && rec.n == 1 && rec.f[0].vlen == sizeof(k))
			memcpy(&k, rec.f[0].val, sizeof(k));
		else if (key_of(d, &d->km, &rec, &k) != 0)
			k.lo = k.hi = 0;
		if ((k.lo | k.hi) == 0 || !dh_keyset_get(&d->ks, k, &v))
			dh_die(DH_EXIT_IO, "%s: internal error: a spooled record lost its key",
			       d->spool.path);
		if (*v == seq)
			keep(d, &rec, d->fnames[fi]);
		else
			drop(d, &rec, d->fnames[fi]);
		seq++;
	}
	for (i = 0; i < d->nfiles; i++)
		free(d->fnames[i]);
	free(d->fnames);
	free(d->fstart);
	dh_record_release(&rec);
}

static void
sink_close(struct dedup *d, struct sink *s)
{
	if (s->have_w) {
		dh_writer_finish(&s->w);
		dh_writer_release(&s->w);
	} else if (dh_format_delimited(d->to) && d->pass && !s->header_done && d->header.len > 0) {
		/* no record went out: the header alone, as dh-convert does */
		dh_out_write(&s->out, d->header.data, d->header.len);
	}
	dh_out_close(&s->out);
}

int
main(int argc, char **argv)
{
	struct dedup d;
	struct dh_getopt g;
	struct dh_common co;
	unsigned long long max_mem = 0;
	unsigned rflags;
	int opt;
	char **inputs;
	size_t ninputs, i;
	const char *why;

	dh_err_init(argv[0]);
	signal(SIGPIPE, SIG_DFL);
	memset(&d, 0, sizeof(d));
	memset(&co, 0, sizeof(co));
	d.unit = DH_UNIT_S;
	d.nthreads = dh_pmap_threads();
	dh_getopt_init(&g, &cmd, argc, argv);
	while ((opt = dh_getopt(&g)) != -1) {
		if (dh_opt_common(&g, opt, &co))
			continue;
		switch (opt) {
		case 'f':
			d.from = dh_opt_format(&g, "input");
			break;
		case 't':
			d.to = dh_opt_format(&g, "output");
			break;
		case 'k': parse_keys(&d, g.arg); break;
		case OPT_KEEP:
			if (strcmp(g.arg, "first") == 0)
				d.keep_last = 0;
			else if (strcmp(g.arg, "last") == 0)
				d.keep_last = 1;
			else
				dh_usage_error("--keep takes first or last, not '%s'", g.arg);
			break;
		case OPT_WITHIN:
			if (dh_duration_parse(g.arg, &d.within, &why) != 0)
				dh_usage_error("--within %s: %s", g.arg, why);
			break;
		case OPT_TIME: d.time_field = g.arg; break;
		case OPT_TIME_UNIT:
			if (dh_time_unit_parse(g.arg, &d.unit) != 0)
				dh_usage_error("unknown time unit '%s' (s, ms, us, ns)", g.arg);
			break;
		case OPT_SEEN: d.seen_path = g.arg; break;
		case OPT_DUPS: d.dups_path = g.arg; break;
		case OPT_MAX_MEMORY: max_mem = dh_opt_size(&g, "--max-memory"); break;
		}
	}
	if ((d.within > 0) != (d.time_field != NULL))
		dh_usage_error(d.within > 0 ? "--within needs --time FIELD, the event time"
					    : "--time needs --within DUR");
	if (d.within > 0 && d.keep_last)
		dh_usage_error("--within and --keep last exclude each other: --keep last reads the "
			       "whole input first, --within is for endless streams");
	if (d.within > 0 && d.seen_path != NULL)
		dh_usage_error("--within and --seen exclude each other: --seen remembers every key, "
			       "--within forgets keys once the stream has moved past them");
	if (d.dups_path != NULL && strcmp(d.dups_path, "-") == 0)
		dh_usage_error("--dups -: standard output carries the records kept; name a file "
			       "(/dev/stderr, a FIFO)");
	if (d.dups_path != NULL && d.seen_path != NULL && strcmp(d.dups_path, d.seen_path) == 0)
		dh_usage_error("--dups and --seen name the same file");
	dh_opt_common_done(&co);
	rflags = co.skip_blank ? DH_READ_SKIP_BLANK : 0;
	if (d.nkeys == 0) {
		dh_buf_adds(&d.spec, "record");
	} else {
		dh_buf_adds(&d.spec, "-k ");
		for (i = 0; i < d.nkeys; i++) {
			dh_buf_addf(&d.spec, "%s%s", i ? "," : "", d.keys[i]);
			dh_json_want_add(&d.want, d.keys[i], d.klens[i]);
		}
		if (d.time_field != NULL)
			dh_json_want_add(&d.want, d.time_field, strlen(d.time_field));
	}
	dh_stats_start(&d.st);
	dh_progress_start(&d.pg, &d.st, DH_PROGRESS_RECORDS);
	d.ndups = dh_stats_counter(&d.st, "duplicates");
	dh_rejects_init(&d.rj, co.rejects);
	if (co.has_max)
		dh_rejects_set_max(&d.rj, co.max_rejects);
	dh_keyset_init(&d.ks, d.keep_last || d.within > 0, (size_t)max_mem);
	if (d.seen_path != NULL)
		dh_seen_load(d.seen_path, d.spec.data, &d.ks, SEEN_BEFORE);
	dh_out_open_fd(&d.out.out, 1, "stdout", NULL);
	d.out.open = 1;
	if (d.dups_path != NULL) {
		dh_out_open_path(&d.dups.out, d.dups_path, NULL, 0);
		d.dups.open = 1;
	}
	if (d.keep_last) {
		dh_spool_open(&d.spool);
		d.spool.keep_raw = 1;
	}
	inputs = dh_inputs_expand(argv + optind, (size_t)(argc - optind), co.allow_incomplete,
				  &ninputs);
	d.spool_keys = d.keep_last && ninputs == 1;
	for (i = 0; i < ninputs; i++) {
		dedup_file(&d, inputs[i], rflags, ninputs, i == 0);
		free(inputs[i]);
	}
	free(inputs);
	dh_progress_end(&d.pg);
	if (d.to == DH_FMT_NONE)
		d.to = DH_FMT_JSONL; /* no input named a format: empty stdin */
	if (d.keep_last) {
		keep_last(&d);
		dh_spool_close(&d.spool);
	}
	sink_close(&d, &d.out);
	if (d.dups.open)
		sink_close(&d, &d.dups);
	d.st.bytes_out = d.out.out.written;
	dh_rejects_close(&d.rj);
	/* the keys of this run count as seen only once its output is out */
	if (d.seen_path != NULL)
		dh_seen_save(d.seen_path, d.spec.data, &d.ks);
	dh_stats_report(&d.st, co.stats, co.metrics);
	for (i = 0; i < d.nkeys; i++)
		free(d.keys[i]);
	free(d.keys);
	free(d.klens);
	dh_json_want_release(&d.want);
	dh_keyset_release(&d.ks);
	keyer_release(&d.km);
	dh_record_release(&d.flat);
	dh_buf_release(&d.spec);
	dh_buf_release(&d.header);
	dh_buf_release(&d.err);
	dh_getopt_release(&g);
	return DH_EXIT_OK;
}
