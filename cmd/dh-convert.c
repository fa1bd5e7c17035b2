/* dh-convert: records between CSV, TSV, JSON lines and JSON. */
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "flatten.h"
#include "input.h"
#include "json.h"
#include "manifest.h"
#include "opt.h"
#include "pmap.h"
#include "progress.h"
#include "reader.h"
#include "reject.h"
#include "spool.h"
#include "stats.h"
#include "writer.h"
#include "xalloc.h"

enum {
	OPT_FLATTEN = DH_OPT_LONG,
	OPT_UNFLATTEN,
	OPT_SEP,
	OPT_FIELDS,
	OPT_UNION,
	OPT_INFER,
};

static const struct dh_opt opts[] = {
	DH_OPTION_INPUT_FORMAT,
	{'t', "output-format", "FMT", "output format (default: the input format)", DH_COMPLETE_FORMATS},
	{OPT_FLATTEN, "flatten", NULL, "nested JSON to dotted fields: a.b, c.0", NULL},
	{OPT_UNFLATTEN, "unflatten", NULL, "dotted fields back to nested JSON", NULL},
	{OPT_SEP, "sep", "C", "separator of --flatten, --unflatten and --fields paths (default: .)", NULL},
	{OPT_FIELDS, "fields", "LIST", "select and order fields: a,b.c,d (dotted paths reach into nested JSON)", NULL},
	{OPT_UNION, "union", NULL, "CSV/TSV columns from all records, not the first (spools input to a temporary file)", NULL},
	{OPT_INFER, "infer", NULL, "CSV/TSV numbers, true/false and empty fields to JSON numbers, booleans, null", NULL},
	{'z', "compress", "CODEC", "compress the output: gzip, zstd, xz, bzip2", DH_COMPLETE_CODECS},
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
	"dh-convert",
	"[-f FMT] [-t FMT] [--flatten | --unflatten] [--sep C] [--fields LIST] "
	"[--union] [--infer] [-z CODEC] [--skip-blank] [--allow-incomplete] [--rejects FILE] "
	"[--max-rejects N] [--stats] [--metrics FORMAT] [FILE ...]",
	"Convert records between CSV, TSV, JSON lines and JSON; flatten, select, compress.\n"
	"With no FILE, or when FILE is -, read standard input. Compressed input\n"
	"(gzip, bzip2, xz, zstd, lz4) is detected by content. A FILE that is a\n"
	"partition directory stands for its data files, in manifest order.",
	opts,
	"Exit status:\n"
	"  0  success\n"
	"  1  more bad records than --max-rejects\n"
	"  2  usage error\n"
	"  3  bad input data (the message names file, line and field)\n"
	"  4  I/O or system error, a full disk included\n"
	"\n"
	"Examples:\n"
	"  dh-convert -t jsonl events.csv > events.jsonl\n"
	"  dh-convert -t csv --fields user_id,event_details.button_type clicks.jsonl.gz\n"
	"  dh-convert -t csv --union --rejects bad.jsonl -z zstd *.jsonl > all.csv.zst\n",
};

/* What converting a record needs of its own: one per thread. */
struct lane {
	struct dh_writer w; /* the main writer, or a clone of it */
	struct dh_record flat, sel;
	struct dh_buf err;
	const struct conv *c; /* workers: the settings, read-only */
	int scanflat;         /* the reader flattened already */
};

struct conv {
	enum dh_format from, to; /* -f and -t, or DH_FMT_NONE */
	enum dh_format cur;      /* the format of the file being read */
	int flatten, unflatten, infer, union_cols;
	char sep;
	char **fields;
	size_t *flens, nfields;
	struct lane main; /* the main thread's writer and scratch records */
	int nthreads;
	struct dh_out out;
	struct dh_rejects rj;
	struct dh_stats st;
	struct dh_progress pg;
	struct dh_spool spool;
	struct dh_hashmap ucols; /* --union: every field name, first seen first */
	char **unames;
	size_t *ulens, nunames;
};

static void
flush_out(void *arg)
{
	dh_out_flush(arg);
}

static void
parse_fields(struct conv *c, const char *list)
{
	const char *p = list;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == 0)
			dh_usage_error("--fields: empty field name in '%s'", list);
		for (size_t i = 0; i < c->nfields; i++)
			if (c->flens[i] == n && memcmp(c->fields[i], p, n) == 0)
				dh_usage_error("--fields: '%.*s' is named twice", (int)n, p);
		c->fields = dh_xreallocarray(c->fields, c->nfields + 1, sizeof(*c->fields));
		c->flens = dh_xreallocarray(c->flens, c->nfields + 1, sizeof(*c->flens));
		c->fields[c->nfields] = dh_xmemdup(p, n);
		c->flens[c->nfields++] = n;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

/* --infer: typed JSON values from CSV/TSV text. */
static void
infer(struct dh_record *rec)
{
	size_t i;

	for (i = 0; i < rec->n; i++) {
		struct dh_field *f = &rec->f[i];

		if (f->type != DH_V_STR)
			continue;
		if (f->vlen == 0) {
			f->type = DH_V_NULL;
			f->val = "null";
			f->vlen = 4;
		} else if (f->vlen == 4 && memcmp(f->val, "true", 4) == 0) {
			f->type = DH_V_TRUE;
		} else if (f->vlen == 5 && memcmp(f->val, "false", 5) == 0) {
			f->type = DH_V_FALSE;
		} else if (dh_json_is_number(f->val, f->vlen)) {
			f->type = DH_V_NUM;
		}
	}
}

static void
remember_columns(struct conv *c, const struct dh_record *rec)
{
	size_t i;

	for (i = 0; i < rec->n; i++) {
		int added;

		dh_hashmap_put(&c->ucols, rec->f[i].name, rec->f[i].nlen, 0, &added);
		if (!added)
			continue;
		c->unames = dh_xreallocarray(c->unames, c->nunames + 1, sizeof(*c->unames));
		c->ulens = dh_xreallocarray(c->ulens, c->nunames + 1, sizeof(*c->ulens));
		c->unames[c->nunames] = dh_xmemdup(rec->f[i].name, rec->f[i].nlen);
		c->ulens[c->nunames++] = rec->f[i].nlen;
	}
}

/*
 * Convert and write one record: 0, or -1 with the reason in l->err (the
 * record is bad: nothing was written).
 */
static int
convert(const struct conv *c, struct lane *l, struct dh_record *rec)
{
	struct dh_record *cur = rec;
	size_t i;

	/*
	 * --fields selects from the record as read (dotted paths reach into
	 * nested values), so a selected object stays whole: CSV and TSV get
	 * its JSON text.  Without --fields, nested values flatten for CSV.
	 */
	if (l->scanflat) {
		if (dh_flat_check(rec, c->sep, &l->err) != 0)
			return -1;
	} else if (c->flatten ||
		   (c->nfields == 0 && dh_format_delimited(c->to) && dh_record_nested(rec))) {
		if (dh_flatten(rec, &l->flat, c->sep) != 0) {
			dh_buf_reset(&l->err);
			dh_buf_add(&l->err, l->flat.arena.data, l->flat.arena.len);
			return -1;
		}
		cur = &l->flat;
	}
	if (c->nfields > 0) {
		dh_record_reset(&l->sel);
		l->sel.raw = rec->raw;
		l->sel.rawlen = rec->rawlen;
		l->sel.line = rec->line;
		for (i = 0; i < c->nfields; i++) {
			struct dh_field f;

			if (dh_record_lookup(cur, c->fields[i], c->flens[i], c->sep, &f))
				dh_record_add(&l->sel, f.name, f.nlen, f.val, f.vlen, f.type);
		}
		cur = &l->sel;
	}
	if (c->infer && dh_format_delimited(c->cur))
		infer(cur);
	return dh_write(&l->w, cur, &l->err);
}

/* The sequential path: spool for --union, else write, else reject. */
static void
convert_one(struct conv *c, struct dh_record *rec, const char *name)
{
	struct lane *l = &c->main;
	int rc;

	if (c->union_cols) {
		/* convert() up to the write, by hand: the spool takes it */
		struct dh_record *cur = rec;

		if (l->scanflat) {
			if (dh_flat_check(rec, c->sep, &l->err) != 0) {
				c->st.rejected++;
				dh_reject(&c->rj, name, rec->line, rec->raw, rec->rawlen,
					  l->err.data);
				return;
			}
		} else if (c->flatten || (c->nfields == 0 && dh_record_nested(rec))) {
			if (dh_flatten(rec, &l->flat, c->sep) != 0) {
				c->st.rejected++;
				dh_reject(&c->rj, name, rec->line, rec->raw, rec->rawlen,
					  l->flat.arena.data);
				return;
			}
			cur = &l->flat;
		}
		if (c->infer && dh_format_delimited(c->cur))
			infer(cur);
		remember_columns(c, cur);
		dh_spool_put(&c->spool, cur);
		return;
	}
	rc = convert(c, l, rec);
	if (rc == 0) {
		c->st.records_out++;
		return;
	}
	c->st.rejected++;
	dh_reject(&c->rj, name, rec->line, rec->raw, rec->rawlen, l->err.data);
}

/* Workers of the parallel path (common/pmap). */
static void *
lane_new(void *arg)
{
	struct conv *c = arg;
	struct lane *l = dh_xcalloc(1, sizeof(*l));

	l->c = c;
	l->scanflat = c->main.scanflat;
	dh_writer_clone(&c->main.w, &l->w, NULL);
	return l;
}

static void
lane_free(void *ts)
{
	struct lane *l = ts;

	dh_writer_release(&l->w);
	dh_record_release(&l->flat);
	dh_record_release(&l->sel);
	dh_buf_release(&l->err);
	free(l);
}

/* Worker: a record of a chunk. */
static const char *
lane_one(void *ts, struct dh_pmap_job *job, struct dh_record *rec)
{
	struct lane *l = ts;

	l->w.out = &job->out;
	if (convert(l->c, l, rec) != 0)
		return l->err.data;
	job->records_out++;
	return NULL;
}

/*
 * Big files convert in chunks on every CPU when chunks split exactly:
 * JSON lines and TSV at newlines; CSV at newlines outside quotes, which
 * is exact up to the first malformed row, so only when that row stops the
 * run (no --rejects).  DH_THREADS=N sets the workers (1: never).
 */
static int
parallel_ok(const struct conv *c, const struct dh_input *in, enum dh_format fmt)
{
	return !c->union_cols && dh_pmap_fits(in, fmt, c->nthreads, c->rj.path != NULL);
}

static void
convert_file(struct conv *c, const char *path, unsigned rflags, int first)
{
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	enum dh_format fmt = c->from;
	int rc, par;

	dh_input_open(&in, path);
	in.idle = flush_out;
	in.idle_arg = &c->out;
	fmt = dh_format_of(&in, path, fmt);
	if (first && c->to == DH_FMT_NONE) {
		c->to = fmt;
		dh_writer_init(&c->main.w, &c->out, c->to,
			       DH_WRITE_HINT_UNION | (c->unflatten ? DH_WRITE_UNFLATTEN : 0), c->sep);
		if (c->nfields > 0 && dh_format_delimited(c->to))
			dh_writer_set_columns(&c->main.w, c->fields, c->flens, c->nfields);
	}
	c->cur = fmt;
	par = parallel_ok(c, &in, fmt);
	/* JSON flattens as it is scanned: no second walk over nested values */
	c->main.scanflat = (fmt == DH_FMT_JSONL || fmt == DH_FMT_JSON) &&
			   (c->flatten || (c->nfields == 0 && dh_format_delimited(c->to)));
	if (c->main.scanflat)
		rflags |= DH_READ_FLATTEN;
	dh_reader_open(&r, &in, fmt, rflags);
	r.sep = c->sep;
	/*
	 * Until a record is written (CSV columns and header, the JSON "[")
	 * every record goes one by one; then, when allowed, in parallel.  A
	 * CSV row that a bare CR ended mid-line holds the rest of its line:
	 * go on one by one until it is used up.  Each CSV or TSV file's
	 * header is read here, never by a worker.
	 */
	while ((!par || c->main.w.nrec == 0 || r.rem_len > 0 ||
		(dh_format_delimited(fmt) && !r.have_header)) &&
	       (rc = dh_read(&r, &rec)) != 0) {
		c->st.records_in++;
		dh_progress(&c->pg, in.bytes_raw);
		if (rc < 0) {
			c->st.rejected++;
			dh_reject(&c->rj, in.loc.name, rec.line, rec.raw, rec.rawlen,
				  r.err.data);
			continue;
		}
		convert_one(c, &rec, in.loc.name);
	}
	if (par && c->main.w.nrec > 0) {
		struct dh_pmap_src src = {in.loc.name, fmt, rflags, c->sep,
					  dh_format_delimited(fmt) ? &r : NULL, &c->rj,
					  &c->st.rejected, NULL};
		struct dh_pmap_rec_ops ops = {lane_new, lane_free, lane_one, NULL, c};

		dh_pmap_records(&in, c->nthreads, &src, &ops, &c->pg, &c->out,
				&c->st.records_in, &c->st.records_out);
	}
	/* a CSV or TSV of only a header still has its columns */
	if (r.have_header && !c->main.w.have_cols && dh_format_delimited(c->to) && !c->union_cols)
		dh_writer_set_columns(&c->main.w, r.names, r.nlens, r.ncols);
	c->st.bytes_in += in.bytes_raw;
	dh_reader_close(&r);
	dh_input_close(&in);
	dh_record_release(&rec);
}

static void
release(struct conv *c)
{
	size_t i;

	for (i = 0; i < c->nfields; i++)
		free(c->fields[i]);
	for (i = 0; i < c->nunames; i++)
		free(c->unames[i]);
	free(c->fields);
	free(c->flens);
	free(c->unames);
	free(c->ulens);
	dh_hashmap_release(&c->ucols);
	dh_record_release(&c->main.flat);
	dh_record_release(&c->main.sel);
	dh_buf_release(&c->main.err);
}

int
main(int argc, char **argv)
{
	struct conv c;
	struct dh_getopt g;
	struct dh_common co;
	const char *codec = NULL;
	unsigned rflags;
	int opt;
	char **inputs;
	size_t ninputs, k;

	dh_err_init(argv[0]);
	signal(SIGPIPE, SIG_DFL);
	memset(&c, 0, sizeof(c));
	memset(&co, 0, sizeof(co));
	c.sep = '.';
	c.nthreads = dh_pmap_threads();
	dh_getopt_init(&g, &cmd, argc, argv);
	while ((opt = dh_getopt(&g)) != -1) {
		if (dh_opt_common(&g, opt, &co))
			continue;
		switch (opt) {
		case 'f':
			c.from = dh_opt_format(&g, "input");
			break;
		case 't':
			c.to = dh_opt_format(&g, "output");
			break;
		case OPT_FLATTEN: c.flatten = 1; break;
		case OPT_UNFLATTEN: c.unflatten = 1; break;
		case OPT_SEP:
			if (strlen(g.arg) != 1)
				dh_usage_error("--sep takes one character, not '%s'", g.arg);
			c.sep = g.arg[0];
			break;
		case OPT_FIELDS: parse_fields(&c, g.arg); break;
		case OPT_UNION: c.union_cols = 1; break;
		case OPT_INFER: c.infer = 1; break;
		case 'z':
			if (!dh_out_codec_ok(g.arg))
				dh_usage_error("unknown compression '%s' (gzip, zstd, xz, bzip2)", g.arg);
			codec = g.arg;
			break;
		}
	}
	if (c.flatten && c.unflatten)
		dh_usage_error("--flatten and --unflatten exclude each other");
	dh_opt_common_done(&co);
	rflags = co.skip_blank ? DH_READ_SKIP_BLANK : 0;
	dh_stats_start(&c.st);
	dh_progress_start(&c.pg, &c.st, DH_PROGRESS_RECORDS);
	dh_rejects_init(&c.rj, co.rejects);
	if (co.has_max)
		dh_rejects_set_max(&c.rj, co.max_rejects);
	dh_out_open_fd(&c.out, 1, "stdout", codec);
	if (c.to != DH_FMT_NONE) {
		dh_writer_init(&c.main.w, &c.out, c.to,
			       DH_WRITE_HINT_UNION | (c.unflatten ? DH_WRITE_UNFLATTEN : 0), c.sep);
		if (c.nfields > 0 && dh_format_delimited(c.to))
			dh_writer_set_columns(&c.main.w, c.fields, c.flens, c.nfields);
	}
	if (c.union_cols && (c.nfields > 0 || (c.to != DH_FMT_NONE && !dh_format_delimited(c.to))))
		c.union_cols = 0; /* the columns are known, or there are none */
	if (c.union_cols)
		dh_spool_open(&c.spool);
	inputs = dh_inputs_expand(argv + optind, (size_t)(argc - optind),
				  co.allow_incomplete, &ninputs);
	for (k = 0; k < ninputs; k++) {
		convert_file(&c, inputs[k], rflags, k == 0);
		free(inputs[k]);
	}
	free(inputs);
	dh_progress_end(&c.pg);
	if (c.to == DH_FMT_NONE) /* no input named a format: empty stdin */
		dh_writer_init(&c.main.w, &c.out, DH_FMT_JSONL, 0, c.sep);
	if (c.union_cols) {
		struct dh_record rec = DH_RECORD_INIT;

		/* every record is in the spool: now the columns are known */
		if (dh_format_delimited(c.to))
			dh_writer_set_columns(&c.main.w, c.unames, c.ulens, c.nunames);
		dh_spool_rewind(&c.spool);
		while (dh_spool_get(&c.spool, &rec)) {
			if (dh_write(&c.main.w, &rec, &c.main.err) != 0)
				dh_die(DH_EXIT_DATA, "%s", c.main.err.data);
			c.st.records_out++;
		}
		dh_record_release(&rec);
	}
	dh_writer_finish(&c.main.w);
	dh_out_close(&c.out);
	c.st.bytes_out = c.out.written;
	dh_rejects_close(&c.rj);
	dh_stats_report(&c.st, co.stats, co.metrics);
	if (c.union_cols)
		dh_spool_close(&c.spool);
	dh_writer_release(&c.main.w);
	dh_getopt_release(&g);
	release(&c);
	return DH_EXIT_OK;
}
