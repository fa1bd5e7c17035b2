/* dh-convert: records between CSV, TSV, JSON lines and JSON. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "flatten.h"
#include "input.h"
#include "json.h"
#include "opt.h"
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
	OPT_SKIP_BLANK,
	OPT_REJECTS,
	OPT_MAX_REJECTS,
	OPT_STATS,
	OPT_METRICS,
};

static const struct dh_opt opts[] = {
	{'f', "input-format", "FMT", "input format: csv, tsv, jsonl, json (default: from the file name, else sniffed)", DH_COMPLETE_FORMATS},
	{'t', "output-format", "FMT", "output format (default: the input format)", DH_COMPLETE_FORMATS},
	{OPT_FLATTEN, "flatten", NULL, "nested JSON to dotted fields: a.b, c.0", NULL},
	{OPT_UNFLATTEN, "unflatten", NULL, "dotted fields back to nested JSON", NULL},
	{OPT_SEP, "sep", "C", "separator of --flatten, --unflatten and --fields paths (default: .)", NULL},
	{OPT_FIELDS, "fields", "LIST", "select and order fields: a,b.c,d (dotted paths reach into nested JSON)", NULL},
	{OPT_UNION, "union", NULL, "CSV/TSV columns from all records, not the first (spools input to a temporary file)", NULL},
	{OPT_INFER, "infer", NULL, "CSV/TSV numbers, true/false and empty fields to JSON numbers, booleans, null", NULL},
	{'z', "compress", "CODEC", "compress the output: gzip, zstd, xz, bzip2", DH_COMPLETE_CODECS},
	{OPT_SKIP_BLANK, "skip-blank", NULL, "ignore blank lines instead of rejecting them", NULL},
	{OPT_REJECTS, "rejects", "FILE", "append bad records to FILE as JSON lines and go on", DH_COMPLETE_FILE},
	{OPT_MAX_REJECTS, "max-rejects", "N", "with --rejects: exit 1 after more than N bad records", NULL},
	{OPT_STATS, "stats", NULL, "print counters as one JSON line on stderr at the end", NULL},
	{OPT_METRICS, "metrics", "FORMAT", "print counters on stderr for monitoring: graphite", "graphite"},
	{0, NULL, NULL, NULL, NULL},
};

static const struct dh_cmd cmd = {
	"dh-convert",
	"[-f FMT] [-t FMT] [--flatten | --unflatten] [--sep C] [--fields LIST] "
	"[--union] [--infer] [-z CODEC] [--skip-blank] [--rejects FILE] "
	"[--max-rejects N] [--stats] [--metrics FORMAT] [FILE ...]",
	"Convert records between CSV, TSV, JSON lines and JSON; flatten, select, compress.\n"
	"With no FILE, or when FILE is -, read standard input. Compressed input\n"
	"(gzip, bzip2, xz, zstd, lz4) is detected by content.",
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

struct conv {
	enum dh_format from, to; /* -f and -t, or DH_FMT_NONE */
	enum dh_format cur;      /* the format of the file being read */
	int flatten, unflatten, infer, union_cols;
	char sep;
	char **fields;
	size_t *flens, nfields;
	struct dh_writer w;
	struct dh_out out;
	struct dh_rejects rj;
	struct dh_stats st;
	struct dh_spool spool;
	struct dh_record flat, sel;
	struct dh_buf err;
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
		c->fields = dh_xreallocarray(c->fields, c->nfields + 1, sizeof(*c->fields));
		c->flens = dh_xreallocarray(c->flens, c->nfields + 1, sizeof(*c->flens));
		c->fields[c->nfields] = dh_xmemdup(p, n);
		c->flens[c->nfields++] = n;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

static int
delimited(enum dh_format f)
{
	return f == DH_FMT_CSV || f == DH_FMT_TSV;
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

static void
convert(struct conv *c, struct dh_record *rec, const char *name)
{
	struct dh_record *cur = rec;
	size_t i;

	/*
	 * --fields selects from the record as read (dotted paths reach into
	 * nested values), so a selected object stays whole: CSV and TSV get
	 * its JSON text.  Without --fields, nested values flatten for CSV.
	 */
	if (c->flatten || (c->nfields == 0 && delimited(c->to) && dh_record_nested(rec))) {
		if (dh_flatten(rec, &c->flat, c->sep) != 0) {
			c->st.rejected++;
			dh_reject(&c->rj, name, rec->line, rec->raw, rec->rawlen,
				  c->flat.arena.data);
			return;
		}
		cur = &c->flat;
	}
	if (c->nfields > 0) {
		dh_record_reset(&c->sel);
		c->sel.raw = rec->raw;
		c->sel.rawlen = rec->rawlen;
		c->sel.line = rec->line;
		for (i = 0; i < c->nfields; i++) {
			struct dh_field f;

			if (dh_record_lookup(cur, c->fields[i], c->flens[i], c->sep, &f))
				dh_record_add(&c->sel, f.name, f.nlen, f.val, f.vlen, f.type);
		}
		cur = &c->sel;
	}
	if (c->infer && delimited(c->cur))
		infer(cur);
	if (c->union_cols) {
		remember_columns(c, cur);
		dh_spool_put(&c->spool, cur);
		return;
	}
	if (dh_write(&c->w, cur, &c->err) == 0) {
		c->st.records_out++;
		return;
	}
	c->st.rejected++;
	dh_reject(&c->rj, name, rec->line, rec->raw, rec->rawlen, c->err.data);
}

static void
convert_file(struct conv *c, const char *path, unsigned rflags, int first)
{
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	enum dh_format fmt = c->from;
	int rc;

	dh_input_open(&in, path);
	in.idle = flush_out;
	in.idle_arg = &c->out;
	if (fmt == DH_FMT_NONE)
		fmt = dh_format_from_name(path);
	if (fmt == DH_FMT_NONE)
		fmt = dh_format_sniff(&in);
	if (first && c->to == DH_FMT_NONE) {
		c->to = fmt;
		dh_writer_init(&c->w, &c->out, c->to,
			       c->unflatten ? DH_WRITE_UNFLATTEN : 0, c->sep);
		if (c->nfields > 0 && delimited(c->to))
			dh_writer_set_columns(&c->w, c->fields, c->flens, c->nfields);
	}
	c->cur = fmt;
	dh_reader_open(&r, &in, fmt, rflags);
	while ((rc = dh_read(&r, &rec)) != 0) {
		c->st.records_in++;
		if (rc < 0) {
			c->st.rejected++;
			dh_reject(&c->rj, in.loc.name, rec.line, rec.raw, rec.rawlen,
				  r.err.data);
			continue;
		}
		convert(c, &rec, in.loc.name);
	}
	/* a CSV or TSV of only a header still has its columns */
	if (r.have_header && !c->w.have_cols && delimited(c->to) && !c->union_cols)
		dh_writer_set_columns(&c->w, r.names, r.nlens, r.ncols);
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
	dh_record_release(&c->flat);
	dh_record_release(&c->sel);
	dh_buf_release(&c->err);
}

int
main(int argc, char **argv)
{
	struct conv c;
	struct dh_getopt g;
	const char *codec = NULL, *metrics = NULL, *rejects = NULL;
	unsigned rflags = 0;
	int opt, stats = 0, i, has_max = 0;
	unsigned long long max_rejects = 0;

	dh_err_init(argv[0]);
	signal(SIGPIPE, SIG_DFL);
	memset(&c, 0, sizeof(c));
	c.sep = '.';
	dh_getopt_init(&g, &cmd, argc, argv);
	while ((opt = dh_getopt(&g)) != -1) {
		switch (opt) {
		case 'f':
			if ((c.from = dh_format_parse(g.arg)) == DH_FMT_NONE)
				dh_usage_error("unknown input format '%s' (csv, tsv, jsonl, json)", g.arg);
			break;
		case 't':
			if ((c.to = dh_format_parse(g.arg)) == DH_FMT_NONE)
				dh_usage_error("unknown output format '%s' (csv, tsv, jsonl, json)", g.arg);
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
		case OPT_SKIP_BLANK: rflags |= DH_READ_SKIP_BLANK; break;
		case OPT_REJECTS: rejects = g.arg; break;
		case OPT_MAX_REJECTS:
			max_rejects = dh_opt_count(&g, "--max-rejects");
			has_max = 1;
			break;
		case OPT_STATS: stats = 1; break;
		case OPT_METRICS:
			if (strcmp(g.arg, "graphite") != 0)
				dh_usage_error("unknown metrics format '%s' (graphite)", g.arg);
			metrics = g.arg;
			break;
		}
	}
	if (c.flatten && c.unflatten)
		dh_usage_error("--flatten and --unflatten exclude each other");
	if (has_max && rejects == NULL)
		dh_usage_error("--max-rejects needs --rejects FILE");
	dh_stats_start(&c.st);
	dh_rejects_init(&c.rj, rejects);
	if (has_max)
		dh_rejects_set_max(&c.rj, max_rejects);
	dh_out_open_fd(&c.out, 1, "stdout", codec);
	if (c.to != DH_FMT_NONE) {
		dh_writer_init(&c.w, &c.out, c.to, c.unflatten ? DH_WRITE_UNFLATTEN : 0, c.sep);
		if (c.nfields > 0 && delimited(c.to))
			dh_writer_set_columns(&c.w, c.fields, c.flens, c.nfields);
	}
	if (c.union_cols && (c.nfields > 0 || (c.to != DH_FMT_NONE && !delimited(c.to))))
		c.union_cols = 0; /* the columns are known, or there are none */
	if (c.union_cols)
		dh_spool_open(&c.spool);
	if (optind >= argc)
		convert_file(&c, "-", rflags, 1);
	for (i = optind; i < argc; i++)
		convert_file(&c, argv[i], rflags, i == optind);
	if (c.to == DH_FMT_NONE) /* no input named a format: empty stdin */
		dh_writer_init(&c.w, &c.out, DH_FMT_JSONL, 0, c.sep);
	if (c.union_cols) {
		struct dh_record rec = DH_RECORD_INIT;

		/* every record is in the spool: now the columns are known */
		if (delimited(c.to))
			dh_writer_set_columns(&c.w, c.unames, c.ulens, c.nunames);
		dh_spool_rewind(&c.spool);
		while (dh_spool_get(&c.spool, &rec)) {
			if (dh_write(&c.w, &rec, &c.err) != 0)
				dh_die(DH_EXIT_DATA, "%s", c.err.data);
			c.st.records_out++;
		}
		dh_record_release(&rec);
	}
	dh_writer_finish(&c.w);
	dh_out_close(&c.out);
	c.st.bytes_out = c.out.written;
	dh_rejects_close(&c.rj);
	if (stats)
		dh_stats_print(&c.st, "json");
	if (metrics)
		dh_stats_print(&c.st, metrics);
	if (c.rj.count > 0)
		dh_warn("%llu bad record%s written to %s", c.rj.count,
			c.rj.count == 1 ? "" : "s", rejects);
	if (c.union_cols)
		dh_spool_close(&c.spool);
	dh_writer_release(&c.w);
	dh_getopt_release(&g);
	release(&c);
	return DH_EXIT_OK;
}
