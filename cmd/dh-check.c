/* dh-check: the integrity of a state directory's partitions, and the
 * expectations, profiles and anomalies of their data. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "expect.h"
#include "input.h"
#include "json.h"
#include "lineage.h"
#include "manifest.h"
#include "num.h"
#include "opt.h"
#include "out.h"
#include "profile.h"
#include "progress.h"
#include "publish.h"
#include "reader.h"
#include "reject.h"
#include "state.h"
#include "stats.h"
#include "timeparse.h"
#include "xalloc.h"

enum {
	OPT_JSON = DH_OPT_LONG,
	OPT_CONTINUOUS,
	OPT_SAMPLES,
	OPT_PROFILE,
	OPT_ANOMALY,
	OPT_Z,
	OPT_HISTORY,
	OPT_NO_RECORD,
};

static const struct dh_opt opts[] = {
	{'s', "state", "DIR", "the state directory (default: $DH_STATE, else ./state)", DH_COMPLETE_FILE},
	{'e', "expect", "EXPR", "hold the records to an expectation, e.g. 'not_null(user_id)' (repeatable)", NULL},
	{'r', "rules", "FILE", "read expectations from FILE, one a line ('#' starts a comment)", DH_COMPLETE_FILE},
	{OPT_SAMPLES, "samples", "N", "show up to N offending records of each expectation (default: 5)", NULL},
	{OPT_PROFILE, "profile", NULL, "per field: type, nulls, distinct count, least and greatest value, samples", NULL},
	{OPT_ANOMALY, "anomaly", NULL, "flag partitions whose records, bytes or null rates are outliers against the ones before", NULL},
	{OPT_Z, "z", "Z", "with --anomaly: an outlier is more than Z robust deviations off (default: 3)", NULL},
	{OPT_HISTORY, "history", "N", "with --anomaly: compare with the N partitions before (default: 7)", NULL},
	{OPT_NO_RECORD, "no-record", NULL, "do not record the results of expectations into a partition's manifest", NULL},
	{OPT_JSON, "json", NULL, "one JSON object a line, for machines", NULL},
	{OPT_CONTINUOUS, "continuous", NULL, "report gaps in a table's daily or hourly (monthly, yearly) first key", NULL},
	DH_OPTION_INPUT_FORMAT,
	DH_OPTION_SKIP_BLANK,
	DH_OPTION_MAX_RATIO,
	DH_OPTION_MAX_INFLATED,
	DH_OPTION_ALLOW_INCOMPLETE,
	DH_OPTION_REJECTS,
	DH_OPTION_MAX_REJECTS,
	DH_OPTION_WAIT,
	DH_OPTION_STATS,
	DH_OPTION_METRICS,
	{0, NULL, NULL, NULL, NULL},
};

static const struct dh_cmd cmd = {
	"dh-check",
	"[-s DIR] [-f FMT] [-e EXPR]... [-r FILE]... [--samples N] [--profile] [--anomaly [--z Z] [--history N]] [--no-record] [--json] [--continuous] [--skip-blank] [--allow-incomplete] [--rejects FILE [--max-rejects N]] [--wait SECS] [--stats] [--metrics FORMAT] [TABLE[/PARTITION] | FILE]...",
	"Without -e, -r, --profile or --anomaly: check the partitions of the state\n"
	"directory (or of each TABLE, or TABLE/PARTITION) against their manifests,\n"
	"reading every byte: each file present, of its size, xxh128 and number of\n"
	"records; no data file the manifest does not list; no temporary file left\n"
	"by a crashed writer; _SUCCESS only with a manifest; no stale partition;\n"
	"the same fields and kinds in every partition of a table. Prints each\n"
	"problem, one a line.\n"
	"\n"
	"With -e or -r: hold the records of each operand (a partition, a table, a\n"
	"FILE, or without one standard input) to the expectations: not_null(F),\n"
	"exists(F), unique(F[,F...]), between(F,LO,HI), match(F,'ERE'),\n"
	"in(F,V[,V...]), type(F,string|number|bool|object|array), rows(MIN,MAX),\n"
	"each optionally followed by mostly=FRACTION. The results for a partition\n"
	"are recorded into its manifest.",
	opts,
	"Exit status:\n"
	"  0  no problem; every expectation passed; no anomaly\n"
	"  1  some problem, failed expectation or anomaly (each is printed)\n"
	"  2  usage error, a malformed expectation, or no such table, partition\n"
	"     or file\n"
	"  3  a bad record (without --rejects), or an incomplete partition\n"
	"  4  the state directory or an input cannot be read, or a write error\n"
	"  5  recording into a manifest: another writer holds the table's lock\n"
	"\n"
	"Examples:\n"
	"  dh-check\n"
	"  dh-check clean/clicks --continuous\n"
	"  dh-check -e 'not_null(user_id)' -e 'between(price,0,1000) mostly=0.99' clean/clicks/dt=2026-11-20\n"
	"  dh-convert -t jsonl events.csv | dh-check -r rules.txt --samples 3\n"
	"  dh-check --profile events.jsonl\n"
	"  dh-check --anomaly --json clean/clicks\n",
};

struct check {
	struct dh_catalog c;
	int have_catalog;
	const char *state;
	struct dh_out out;
	int json;
	unsigned long long *problems;
	struct dh_buf line;
	/* expectations, profiles, anomalies */
	struct dh_expect *ex;
	size_t nex;
	unsigned long long *failed, *anomalies;
	size_t samples;
	int profile, record;
	enum dh_format from;
	struct dh_common co;
	struct dh_rejects rj;
	struct dh_stats st;
	struct dh_progress pg;
	struct dh_profile prof;
	unsigned rflags;
};

static void
problem(struct check *k, const char *where, const char *what)
{
	(*k->problems)++;
	dh_buf_reset(&k->line);
	if (k->json) {
		dh_buf_adds(&k->line, "{\"partition\":");
		dh_json_quote_any(&k->line, where, strlen(where));
		dh_buf_adds(&k->line, ",\"problem\":");
		dh_json_quote_any(&k->line, what, strlen(what));
		dh_buf_adds(&k->line, "}\n");
	} else {
		dh_buf_addf(&k->line, "%s: %s\n", where, what);
	}
	dh_out_write(&k->out, k->line.data, k->line.len);
}

/* Each line of text ("a\nb\n") as a problem of where. */
static void
problems_of(struct check *k, const char *where, struct dh_buf *text)
{
	char *p = text->data, *nl;

	while (p != NULL && (nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		problem(k, where, p);
		p = nl + 1;
	}
}

/* The length of a schema line's name: a JSON string, quotes included. */
static size_t
name_len(const char *p)
{
	size_t i = 1;

	while (p[i] != '\0' && p[i] != '"')
		i += p[i] == '\\' && p[i + 1] != '\0' ? 2 : 1;
	return p[i] == '"' ? i + 1 : i;
}

/* "\"name\" kind\n" lines: the kinds of name, "number,string", into out. */
static void
kinds_of(const char *schema, const char *name, size_t nlen, struct dh_buf *out)
{
	const char *p = schema;

	dh_buf_reset(out);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = name_len(p);

		if (l == nlen && memcmp(p, name, nlen) == 0 && p + l < nl) {
			if (out->len)
				dh_buf_addc(out, ',');
			dh_buf_add(out, p + l + 1, (size_t)(nl - p - l - 1));
		}
		p = nl + 1;
	}
}

/* Fields new, missing or of other kinds in schema than in base. */
static void
drift(struct check *k, const char *where, const char *base_where, const char *base,
      const char *schema)
{
	struct dh_buf a = DH_BUF_INIT, b = DH_BUF_INIT, msg = DH_BUF_INIT;
	const char *sides[2] = {schema, base};
	int side;

	for (side = 0; side < 2; side++) {
		const char *p = sides[side];
		const char *prev = NULL;
		size_t prevlen = 0;

		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t nlen = name_len(p);

			if (prev == NULL || prevlen != nlen || memcmp(prev, p, nlen) != 0) {
				kinds_of(schema, p, nlen, &a);
				kinds_of(base, p, nlen, &b);
				dh_buf_reset(&msg);
				if (b.len == 0)
					dh_buf_addf(&msg, "field %.*s (%s) is new: not in %s",
						    (int)nlen, p, a.data, base_where);
				else if (a.len == 0)
					dh_buf_addf(&msg, "field %.*s (%s in %s) is missing",
						    (int)nlen, p, b.data, base_where);
				else if (side == 0 && strcmp(a.data, b.data) != 0)
					dh_buf_addf(&msg, "field %.*s is %s, in %s %s", (int)nlen, p,
						    a.data, base_where, b.data);
				if (msg.len > 0)
					problem(k, where, msg.data);
			}
			prev = p;
			prevlen = nlen;
			p = nl + 1;
		}
	}
	dh_buf_release(&a);
	dh_buf_release(&b);
	dh_buf_release(&msg);
}

/* The first second of the bucket after the one sec is in. */
static int64_t
next_bucket(int64_t sec, enum dh_grain grain)
{
	char b[32], t[32];
	int y, m;
	int64_t s;
	int32_t ns;
	const char *why;

	if (grain == DH_GRAIN_HOUR)
		return sec + 3600;
	if (grain == DH_GRAIN_DAY)
		return sec + 86400;
	dh_time_bucket(sec, DH_GRAIN_MONTH, b);
	if (sscanf(b, "%d-%d", &y, &m) != 2)
		return sec + 86400;
	if (grain == DH_GRAIN_YEAR) {
		y++;
		m = 1;
	} else if (++m > 12) {
		m = 1;
		y++;
	}
	snprintf(t, sizeof(t), "%04d-%02d-01", y, m);
	if (dh_time_parse(t, strlen(t), DH_UNIT_S, &s, &ns, &why) != 0)
		return sec + 86400;
	return s;
}

/* --continuous: buckets missing between a table's first and last value
 * of its first key. */
static void
gaps(struct check *k, size_t t, const unsigned char *mark)
{
	struct dh_buf v = DH_BUF_INIT, key = DH_BUF_INIT, where = DH_BUF_INIT, msg = DH_BUF_INIT;
	int64_t *secs = NULL, prev = 0;
	size_t n = 0, i;
	enum dh_grain grain = DH_GRAIN_DAY, g;
	int have = 0;

	for (i = 0; i < k->c.nparts; i++) {
		const struct dh_cpart *p = &k->c.parts[i];
		const char *eq = strchr(p->name, '='), *end;
		int64_t s;
		int32_t ns;
		const char *why;

		if (p->table != t || !mark[i] || eq == NULL)
			continue;
		end = strchr(eq, '/');
		if (end == NULL)
			end = eq + strlen(eq);
		dh_buf_reset(&key);
		dh_buf_add(&key, p->name, (size_t)(eq - p->name));
		dh_buf_reset(&v);
		dh_hive_unescape(&v, eq + 1, (size_t)(end - eq - 1));
		if (dh_grain_of_bucket(v.data, &g) != 0)
			continue; /* not a time bucket */
		dh_buf_adds(&v, g == DH_GRAIN_YEAR ? "-01-01" : g == DH_GRAIN_MONTH ? "-01" :
				g == DH_GRAIN_HOUR ? ":00" : "");
		if (dh_time_parse(v.data, v.len, DH_UNIT_S, &s, &ns, &why) != 0)
			continue;
		if (have && g != grain)
			continue; /* dh-partition refuses mixed grains */
		grain = g;
		have = 1;
		secs = dh_xreallocarray(secs, n + 1, sizeof(*secs));
		secs[n++] = s;
	}
	for (i = 0; i < n; i++) {
		int64_t s = secs[i];

		if (i > 0 && s == prev)
			continue; /* a prefix of several partitions */
		if (i > 0) {
			int64_t next = prev;

			for (;;) {
				char b[32];
				size_t bl;

				next = next_bucket(next, grain);
				if (next >= s)
					break;
				bl = dh_time_bucket(next, grain, b);
				dh_buf_reset(&where);
				dh_buf_addf(&where, "%s/%s=%.*s", k->c.tables[t], key.data, (int)bl, b);
				dh_buf_reset(&msg);
				dh_buf_addf(&msg, "missing: a gap in the %s sequence of %s",
					    dh_grain_name(grain), key.data);
				problem(k, where.data, msg.data);
			}
		}
		prev = s;
	}
	free(secs);
	dh_buf_release(&v);
	dh_buf_release(&key);
	dh_buf_release(&where);
	dh_buf_release(&msg);
}


/* ---- expectations and profiles: records read from an operand ---- */

/* An operand of -e, -r or --profile. */
struct unit {
	const char *arg;
	const char *name; /* in reports: the path below STATE, the file, "-" */
	long part;        /* one partition of the catalog, else -1 */
	unsigned char *mark; /* the catalog's partitions it reads, or NULL: a file */
};

static void
feed(struct check *k, const struct dh_record *rec, const char *file)
{
	size_t i;

	k->st.records_in++;
	for (i = 0; i < k->nex; i++)
		dh_expect_feed(&k->ex[i], rec, file);
	if (k->profile)
		dh_profile_feed(&k->prof, rec);
}

/* Read the records of path (named name) in format fmt (NONE: from the
 * name, else sniffed) into the expectations and the profile. */
static void
read_input(struct check *k, const char *path, const char *name, enum dh_format fmt)
{
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	int rc;

	dh_input_open(&in, path);
	fmt = dh_format_of(&in, path, fmt);
	dh_reader_open(&r, &in, fmt, k->rflags);
	while ((rc = dh_read(&r, &rec)) != 0) {
		dh_progress(&k->pg, in.bytes_raw);
		if (rc < 0) {
			k->st.rejected++;
			dh_reject(&k->rj, name, rec.line, rec.raw, rec.rawlen, r.err.data);
			continue;
		}
		feed(k, &rec, name);
	}
	k->st.bytes_in += in.bytes_raw;
	dh_reader_close(&r);
	dh_input_close(&in);
	dh_record_release(&rec);
}

/* The data files of partition i, in manifest order. */
static void
read_partition(struct check *k, size_t i)
{
	const struct dh_cpart *p = &k->c.parts[i];
	struct dh_buf dir = DH_BUF_INIT, name = DH_BUF_INIT;
	char **files, *format;
	size_t n, j;
	enum dh_format fmt;

	dh_buf_addf(&dir, "%s/%s", k->state, p->path);
	files = dh_partition_files(dir.data, k->co.allow_incomplete, &n, &format);
	fmt = k->from != DH_FMT_NONE ? k->from : dh_format_parse(format);
	for (j = 0; j < n; j++) {
		dh_buf_reset(&name);
		dh_buf_addf(&name, "%s/%s", p->path, files[j] + dir.len + 1);
		read_input(k, files[j], name.data, fmt);
		free(files[j]);
	}
	free(files);
	free(format);
	dh_buf_release(&dir);
	dh_buf_release(&name);
}

static void
put_samples(struct check *k, const struct dh_expect *e)
{
	size_t i;

	for (i = 0; i < e->nsamples; i++) {
		const struct dh_expect_sample *s = &e->samples[i];

		if (k->json) {
			dh_buf_adds(&k->line, i ? ",{\"file\":" : "{\"file\":");
			dh_json_quote_any(&k->line, s->file, strlen(s->file));
			dh_buf_addf(&k->line, ",\"line\":%llu,\"record\":", s->line);
			dh_json_quote_any(&k->line, s->record, s->len);
			dh_buf_addc(&k->line, '}');
		} else {
			dh_buf_addf(&k->line, "  %s:%llu: ", s->file, s->line);
			dh_buf_add(&k->line, s->record, s->len);
			dh_buf_addc(&k->line, '\n');
		}
	}
}

/* The result of e, as a JSON object's members (no braces). */
static void
result_json(struct dh_buf *b, const struct dh_expect *e, int ok)
{
	char t[32];

	dh_buf_adds(b, "\"expect\":");
	dh_json_quote_any(b, e->text, strlen(e->text));
	dh_buf_addf(b, ",\"ok\":%s,\"records\":%llu", ok ? "true" : "false", e->records);
	if (e->kind != DH_EXPECT_ROWS) {
		dh_buf_addf(b, ",\"held\":%llu,\"unexpected\":%llu,\"percent\":", e->held,
			    e->unexpected);
		dh_num_fmt(dh_expect_percent(e), t);
		dh_buf_adds(b, t);
		dh_num_fmt(e->mostly, t);
		dh_buf_addf(b, ",\"mostly\":%s", t);
	}
}

/* Report each expectation's result for u, and record them into its
 * manifest when u is one partition. */
static void
report_expectations(struct check *k, const struct unit *u)
{
	char **rec = dh_xcalloc(k->nex + 1, sizeof(*rec));
	char now[32];
	size_t i, nrec = 0;

	dh_time_now_iso(now);
	for (i = 0; i < k->nex; i++) {
		const struct dh_expect *e = &k->ex[i];
		int ok = dh_expect_ok(e);
		struct dh_buf r = DH_BUF_INIT;
		size_t j;

		if (!ok)
			(*k->failed)++;
		dh_buf_reset(&k->line);
		if (k->json) {
			dh_buf_adds(&k->line, "{\"input\":");
			dh_json_quote_any(&k->line, u->name, strlen(u->name));
			dh_buf_addc(&k->line, ',');
			result_json(&k->line, e, ok);
			dh_buf_adds(&k->line, ",\"samples\":[");
			put_samples(k, e);
			dh_buf_adds(&k->line, "]}\n");
		} else if (e->kind == DH_EXPECT_ROWS) {
			dh_buf_addf(&k->line, "%s: %s: %s, %llu record%s\n", u->name, e->text,
				    ok ? "pass" : "FAIL", e->records, e->records == 1 ? "" : "s");
		} else {
			char t[32];

			dh_buf_addf(&k->line, "%s: %s: %s, %llu of %llu unexpected", u->name, e->text,
				    ok ? "pass" : "FAIL", e->unexpected, e->held);
			if (e->unexpected > 0) {
				snprintf(t, sizeof(t), "%.4g", dh_expect_percent(e));
				dh_buf_addf(&k->line, " (%s%%)", t);
			}
			dh_buf_addc(&k->line, '\n');
			put_samples(k, e);
		}
		dh_out_write(&k->out, k->line.data, k->line.len);
		/* the same expectation twice is recorded once */
		for (j = 0; j < i; j++)
			if (strcmp(k->ex[j].text, e->text) == 0)
				break;
		if (j < i)
			continue;
		dh_buf_addc(&r, '{');
		result_json(&r, e, ok);
		dh_buf_addf(&r, ",\"checked\":\"%s\",\"dh_version\":\"%s\"}", now, DH_VERSION);
		rec[nrec++] = dh_buf_detach(&r, NULL);
	}
	if (u->part >= 0 && k->record && k->nex > 0) {
		const struct dh_cpart *p = &k->c.parts[u->part];
		struct dh_buf dir = DH_BUF_INIT, err = DH_BUF_INIT;

		dh_buf_addf(&dir, "%s/%s", k->state, p->path);
		/* under the table lock: a killed recording's .tmp._MANIFEST goes */
		dh_remove_stale_tmp(dir.data);
		if (dh_manifest_set_checks(dir.data, rec, nrec, &err) != 0)
			dh_die(DH_EXIT_IO, "cannot record the results: %s", err.data);
		dh_buf_release(&dir);
		dh_buf_release(&err);
	}
	for (i = 0; i < nrec; i++)
		free(rec[i]);
	free(rec);
}

/* A profile's value for a text column: JSON (strings quoted). */
static void
report_profile(struct check *k, const struct unit *u)
{
	const struct dh_profile *p = &k->prof;
	struct dh_buf cell = DH_BUF_INIT;
	char **cells;
	size_t i, c, w[7] = {0};
	static const char *const heads[7] = {"field", "type",	"nulls",  "distinct",
					     "min",   "max",	"samples"};

	if (k->json) {
		for (i = 0; i < p->n; i++) {
			dh_buf_reset(&k->line);
			dh_buf_adds(&k->line, "{\"input\":");
			dh_json_quote_any(&k->line, u->name, strlen(u->name));
			dh_buf_addc(&k->line, ',');
			dh_buf_reset(&cell);
			dh_profile_json(p, i, &cell);
			dh_buf_add(&k->line, cell.data + 1, cell.len - 1); /* its '{' is ours */
			dh_buf_addc(&k->line, '\n');
			dh_out_write(&k->out, k->line.data, k->line.len);
		}
		dh_buf_release(&cell);
		return;
	}
	/* a table of columns, aligned */
	cells = dh_xcalloc((p->n + 1) * 7, sizeof(*cells));
	for (c = 0; c < 7; c++)
		cells[c] = dh_xstrdup(heads[c]);
	for (i = 0; i < p->n; i++) {
		const struct dh_profile_field *f = &p->f[i];
		unsigned long long nulls = dh_profile_nulls(p, i);
		char **row = cells + (i + 1) * 7;
		size_t j, m;
		dh_buf_reset(&cell);
		dh_buf_add(&cell, f->name, f->nlen);
		if (memchr(f->name, ' ', f->nlen) != NULL || strlen(cell.data) != f->nlen) {
			dh_buf_reset(&cell);
			dh_json_quote_any(&cell, f->name, f->nlen);
		}
		row[0] = dh_buf_detach(&cell, NULL);
		dh_profile_type(f, &cell);
		row[1] = dh_buf_detach(&cell, NULL);
		dh_buf_addf(&cell, "%llu (%.3g%%)", nulls,
			    p->records ? 100.0 * (double)nulls / (double)p->records : 0.0);
		row[2] = dh_buf_detach(&cell, NULL);
		dh_buf_addf(&cell, "%.0f", dh_profile_distinct(f));
		row[3] = dh_buf_detach(&cell, NULL);
		for (m = 0; m < 2; m++) {
			if (f->values == 0)
				dh_buf_adds(&cell, "-");
			else
				dh_profile_bound(f, (int)m, &cell);
			row[4 + m] = dh_buf_detach(&cell, NULL);
		}
		for (j = 0; j < f->nsamples; j++) {
			if (j)
				dh_buf_adds(&cell, ", ");
			dh_buf_adds(&cell, f->samples[j]);
		}
		row[6] = dh_buf_detach(&cell, NULL);
		if (row[6] == NULL)
			row[6] = dh_xstrdup("");
	}
	for (i = 0; i <= p->n; i++)
		for (c = 0; c < 6; c++)
			if (strlen(cells[i * 7 + c]) > w[c])
				w[c] = strlen(cells[i * 7 + c]);
	dh_buf_reset(&k->line);
	dh_buf_addf(&k->line, "%s: %llu record%s\n", u->name, p->records,
		    p->records == 1 ? "" : "s");
	for (i = 0; i <= p->n; i++) {
		for (c = 0; c < 7; c++) {
			const char *v = cells[i * 7 + c];

			dh_buf_adds(&k->line, v);
			if (c < 6)
				dh_buf_addf(&k->line, "%*s", (int)(w[c] - strlen(v) + 2), "");
			free(cells[i * 7 + c]);
		}
		dh_buf_addc(&k->line, '\n');
	}
	dh_out_write(&k->out, k->line.data, k->line.len);
	free(cells);
	dh_buf_release(&cell);
}

/* Read u, then report what it was held to. */
static void
check_unit(struct check *k, const struct unit *u)
{
	size_t i;
	int lock = -1;

	for (i = 0; i < k->nex; i++)
		dh_expect_reset(&k->ex[i], k->samples);
	dh_profile_release(&k->prof);
	dh_profile_init(&k->prof);
	if (u->mark == NULL) {
		read_input(k, u->arg, u->name, k->from);
	} else {
		if (u->part >= 0 && k->record && k->nex > 0) {
			/* the partition cannot be replaced between reading and recording */
			struct dh_buf dir = DH_BUF_INIT;
			const struct dh_cpart *p = &k->c.parts[u->part];

			dh_buf_addf(&dir, "%s/%s", k->state, k->c.tables[p->table]);
			lock = dh_table_lock(dir.data, k->c.tables[p->table], k->co.wait);
			dh_buf_release(&dir);
		}
		/* one partition named: incomplete is exit 3 (without
		 * --allow-incomplete); of a table, only the complete are read */
		for (i = 0; i < k->c.nparts; i++)
			if (u->mark[i] && (k->c.parts[i].has_success || k->co.allow_incomplete ||
					   (long)i == u->part))
				read_partition(k, i);
	}
	if (k->nex > 0)
		report_expectations(k, u);
	if (k->profile)
		report_profile(k, u);
	if (lock >= 0)
		close(lock);
}

/* ---- anomalies: each partition against the ones before it ---- */

struct nulls {
	int done;
	unsigned long long records;
	char **names;
	size_t *nlens;
	unsigned long long *values;
	size_t n;
};

static void
nulls_of(struct check *k, size_t part, struct nulls *nu)
{
	struct dh_profile saved = k->prof;
	size_t nex = k->nex, i;
	int profile = k->profile;

	if (nu->done)
		return;
	dh_profile_init(&k->prof);
	k->nex = 0;
	k->profile = 1;
	read_partition(k, part);
	nu->records = k->prof.records;
	nu->n = k->prof.n;
	nu->names = dh_xcalloc(nu->n + 1, sizeof(*nu->names));
	nu->nlens = dh_xcalloc(nu->n + 1, sizeof(*nu->nlens));
	nu->values = dh_xcalloc(nu->n + 1, sizeof(*nu->values));
	for (i = 0; i < nu->n; i++) {
		nu->names[i] = dh_xmemdup(k->prof.f[i].name, k->prof.f[i].nlen);
		nu->nlens[i] = k->prof.f[i].nlen;
		nu->values[i] = k->prof.f[i].values;
	}
	dh_profile_release(&k->prof);
	k->prof = saved;
	k->nex = nex;
	k->profile = profile;
	nu->done = 1;
}

/* A null rate of name in nu: its share of records without a value. */
static double
null_rate(const struct nulls *nu, const char *name, size_t nlen)
{
	size_t i;

	for (i = 0; i < nu->n; i++)
		if (nu->nlens[i] == nlen && memcmp(nu->names[i], name, nlen) == 0)
			return (double)(nu->records - nu->values[i]) / (double)nu->records;
	return 1.0;
}

static void
anomaly(struct check *k, const char *where, const char *what, const char *field, size_t flen,
	double x, const double *hist, size_t n, double zmax)
{
	double med, z = dh_robust_z(hist, n, x, &med);
	char xs[32], ms[32], zs[32];

	if (!(fabs(z) > zmax))
		return;
	(*k->anomalies)++;
	dh_num_fmt(x, xs);
	dh_num_fmt(med, ms);
	if (isinf(z))
		snprintf(zs, sizeof(zs), "%s", z > 0 ? "+inf" : "-inf");
	else
		snprintf(zs, sizeof(zs), "%.3g", z);
	dh_buf_reset(&k->line);
	if (k->json) {
		dh_buf_adds(&k->line, "{\"partition\":");
		dh_json_quote_any(&k->line, where, strlen(where));
		dh_buf_addf(&k->line, ",\"anomaly\":\"%s\"", what);
		if (field != NULL) {
			dh_buf_adds(&k->line, ",\"field\":");
			dh_json_quote_any(&k->line, field, flen);
		}
		dh_buf_addf(&k->line, ",\"value\":%s,\"median\":%s,\"z\":%s,\"history\":%zu}\n", xs,
			    ms, isinf(z) ? "null" : zs, n);
	} else {
		dh_buf_addf(&k->line, "%s: anomaly: %s", where, what);
		if (field != NULL) {
			dh_buf_adds(&k->line, " of ");
			dh_json_quote_any(&k->line, field, flen);
		}
		dh_buf_addf(&k->line, " %s, the median of the %zu partition%s before is %s (z %s)\n",
			    xs, n, n == 1 ? "" : "s", ms, zs);
	}
	dh_out_write(&k->out, k->line.data, k->line.len);
}

#define MIN_HISTORY 3

/* --anomaly: each marked complete partition against up to history
 * complete partitions of its table before it. */
static void
anomalies(struct check *k, const unsigned char *mark, size_t history, double zmax)
{
	struct nulls *nu = dh_xcalloc(k->c.nparts + 1, sizeof(*nu));
	size_t *order = dh_xcalloc(k->c.nparts + 1, sizeof(*order));
	double *hist = dh_xcalloc(history + 1, sizeof(*hist));
	size_t t, i, j, m;

	for (t = 0; t < k->c.ntables; t++) {
		/* the table's complete partitions, in path (key) order */
		for (i = 0, m = 0; i < k->c.nparts; i++)
			if (k->c.parts[i].table == t && k->c.parts[i].has_success &&
			    k->c.parts[i].has_manifest)
				order[m++] = i;
		for (j = MIN_HISTORY; j < m; j++) {
			const struct dh_cpart *p = &k->c.parts[order[j]];
			size_t from = j > history ? j - history : 0, n = j - from, h, f;

			if (!mark[order[j]])
				continue;
			for (h = 0; h < n; h++)
				hist[h] = (double)k->c.parts[order[from + h]].records;
			anomaly(k, p->path, "records", NULL, 0, (double)p->records, hist, n, zmax);
			for (h = 0; h < n; h++)
				hist[h] = (double)k->c.parts[order[from + h]].bytes;
			anomaly(k, p->path, "bytes", NULL, 0, (double)p->bytes, hist, n, zmax);
			/* null rates of the fields of the partition and of those before */
			for (h = from; h <= j; h++)
				nulls_of(k, order[h], &nu[order[h]]);
			for (h = from; h <= j; h++) {
				const struct nulls *src = &nu[order[h]];

				for (f = 0; f < src->n; f++) {
					const char *name = src->names[f];
					size_t nlen = src->nlens[f], q, r, g = 0;

					/* each field once: at its first partition */
					for (q = from; q < h; q++) {
						const struct nulls *o = &nu[order[q]];

						for (r = 0; r < o->n; r++)
							if (o->nlens[r] == nlen &&
							    memcmp(o->names[r], name, nlen) == 0)
								break;
						if (r < o->n)
							break;
					}
					if (q < h)
						continue;
					for (q = from; q < j; q++)
						if (nu[order[q]].records > 0)
							hist[g++] = null_rate(&nu[order[q]], name, nlen);
					if (g >= MIN_HISTORY && nu[order[j]].records > 0)
						anomaly(k, p->path, "null rate", name, nlen,
							null_rate(&nu[order[j]], name, nlen), hist, g,
							zmax);
				}
			}
		}
	}
	for (i = 0; i < k->c.nparts; i++) {
		for (j = 0; j < nu[i].n; j++)
			free(nu[i].names[j]);
		free(nu[i].names);
		free(nu[i].nlens);
		free(nu[i].values);
	}
	free(nu);
	free(order);
	free(hist);
}

/* -r FILE: an expectation a line; blank lines and '#' comments skipped. */
static void
read_rules(struct check *k, const char *path)
{
	struct dh_input in;
	const char *line;
	size_t len;
	struct dh_buf text = DH_BUF_INIT, err = DH_BUF_INIT;

	dh_input_open(&in, path);
	while (dh_input_line(&in, &line, &len)) {
		size_t a = 0;

		if (len > 0 && line[len - 1] == '\r')
			len--;
		while (a < len && (line[a] == ' ' || line[a] == '\t'))
			a++;
		if (a == len || line[a] == '#')
			continue;
		dh_buf_reset(&text);
		dh_buf_add(&text, line, len);
		if (memchr(line, '\0', len) != NULL)
			dh_die(DH_EXIT_USAGE, "%s:%llu: a NUL byte in an expectation", in.loc.name,
			       in.line);
		k->ex = dh_xreallocarray(k->ex, k->nex + 1, sizeof(*k->ex));
		dh_buf_reset(&err);
		if (dh_expect_parse(&k->ex[k->nex], text.data, &err) != 0)
			dh_die(DH_EXIT_USAGE, "%s:%llu: %s", in.loc.name, in.line, err.data);
		k->nex++;
	}
	dh_input_close(&in);
	dh_buf_release(&text);
	dh_buf_release(&err);
}

static void
add_expect(struct check *k, const char *text)
{
	struct dh_buf err = DH_BUF_INIT;
	char q[256];

	k->ex = dh_xreallocarray(k->ex, k->nex + 1, sizeof(*k->ex));
	if (dh_expect_parse(&k->ex[k->nex], text, &err) != 0)
		dh_usage_error("-e %s: %s", dh_quote(text, strlen(text), q, sizeof(q)), err.data);
	k->nex++;
	dh_buf_release(&err);
}

static int
load_catalog(struct check *k, struct dh_buf *err)
{
	if (k->have_catalog == 0)
		k->have_catalog = dh_catalog_load(&k->c, k->state, err) == 0 ? 1 : -1;
	return k->have_catalog > 0 ? 0 : -1;
}

/* The partitions arg names into mark; how many (-1: no table, partition or prefix). */
static long
names(struct check *k, const char *arg, unsigned char *mark)
{
	long t = dh_catalog_table(&k->c, arg), n = 0;
	size_t j;

	for (j = 0; j < k->c.nparts; j++)
		if (dh_catalog_names(&k->c, arg, t, j)) {
			mark[j] = 1;
			n++;
		}
	return t < 0 && n == 0 ? -1 : n;
}

/* Without -e, -r, --profile, --anomaly: every marked complete partition
 * against its manifest, drift between partitions, gaps. */
static void
integrity(struct check *k, const unsigned char *mark, int continuous,
	  unsigned long long *checked)
{
	struct dh_buf probs = DH_BUF_INIT, schema = DH_BUF_INIT;
	char **base = dh_xcalloc(k->c.ntables + 1, sizeof(*base));
	const char **base_where = dh_xcalloc(k->c.ntables + 1, sizeof(*base_where));
	size_t i;

	for (i = 0; i < k->c.nparts; i++) {
		const struct dh_cpart *p = &k->c.parts[i];

		if (!mark[i] || !p->has_success)
			continue; /* incomplete: being rebuilt, nothing to hold it to */
		(*checked)++;
		dh_buf_reset(&probs);
		dh_buf_reset(&schema);
		dh_catalog_verify(&k->c, i, &probs, &schema);
		if (probs.len > 0) {
			/* its records were not all read: no fields to compare */
			problems_of(k, p->path, &probs);
			continue;
		}
		/* the first complete partition of a table sets its fields */
		if (base[p->table] == NULL) {
			base[p->table] = dh_xstrdup(schema.data ? schema.data : "");
			base_where[p->table] = p->path;
		} else {
			drift(k, p->path, base_where[p->table], base[p->table],
			      schema.data ? schema.data : "");
		}
		k->st.records_in += p->records;
		k->st.bytes_in += p->bytes;
		dh_progress_step(&k->pg, 0);
	}
	for (i = 0; continuous && i < k->c.ntables; i++)
		gaps(k, i, mark);
	for (i = 0; i < k->c.ntables; i++)
		free(base[i]);
	free(base);
	free(base_where);
	dh_buf_release(&probs);
	dh_buf_release(&schema);
}

static double
parse_z(const char *s)
{
	char *end;
	double z = strtod(s, &end);

	if (end == s || *end != '\0' || !(z > 0) || isinf(z))
		dh_usage_error("--z: not a positive number: '%s'", s);
	return z;
}

int
main(int argc, char **argv)
{
	struct check k;
	struct dh_getopt g;
	struct dh_buf err = DH_BUF_INIT;
	struct unit *units = NULL;
	size_t nunits = 0, history = 7;
	unsigned char *mark = NULL;
	int opt, continuous = 0, anomaly_mode = 0, quality;
	size_t i;
	double zmax = 3;
	unsigned long long checked = 0;
	char **rules = NULL;
	size_t nrules = 0;

	dh_err_init(argv[0]);
	signal(SIGPIPE, SIG_DFL);
	memset(&k, 0, sizeof(k));
	k.samples = 5;
	k.record = 1;
	dh_getopt_init(&g, &cmd, argc, argv);
	while ((opt = dh_getopt(&g)) != -1) {
		if (dh_opt_common(&g, opt, &k.co))
			continue;
		switch (opt) {
		case 's': k.state = g.arg; break;
		case 'e': add_expect(&k, g.arg); break;
		case 'r':
			rules = dh_xreallocarray(rules, nrules + 1, sizeof(*rules));
			rules[nrules++] = g.arg;
			break;
		case 'f': k.from = dh_opt_format(&g, "input"); break;
		case OPT_SAMPLES: k.samples = (size_t)dh_opt_count(&g, "--samples"); break;
		case OPT_PROFILE: k.profile = 1; break;
		case OPT_ANOMALY: anomaly_mode = 1; break;
		case OPT_Z: zmax = parse_z(g.arg); break;
		case OPT_HISTORY: history = (size_t)dh_opt_count(&g, "--history"); break;
		case OPT_NO_RECORD: k.record = 0; break;
		case OPT_JSON: k.json = 1; break;
		case OPT_CONTINUOUS: continuous = 1; break;
		}
	}
	dh_opt_common_done(&k.co);
	for (i = 0; i < nrules; i++)
		read_rules(&k, rules[i]);
	if (nrules > 0 && k.nex == 0)
		dh_usage_error("-r: no expectation in %s", nrules == 1 ? rules[0] : "the files");
	if (anomaly_mode && history < MIN_HISTORY)
		dh_usage_error("--history: at least %d partitions", MIN_HISTORY);
	quality = k.nex > 0 || k.profile || anomaly_mode;
	if (!quality && (k.from || k.co.rejects || k.co.skip_blank || k.co.allow_incomplete))
		dh_usage_error("-f, --rejects, --skip-blank and --allow-incomplete go with -e, -r or "
			       "--profile");
	if (continuous && quality)
		dh_usage_error("--continuous is an integrity check: not with -e, -r, --profile or "
			       "--anomaly");
	k.rflags = k.co.skip_blank ? DH_READ_SKIP_BLANK : 0;
	dh_stats_start(&k.st);
	dh_progress_start(&k.pg, &k.st, DH_PROGRESS_RECORDS);
	k.problems = dh_stats_counter(&k.st, "problems");
	k.failed = dh_stats_counter(&k.st, "failed");
	k.anomalies = dh_stats_counter(&k.st, "anomalies");
	k.state = dh_state_dir(k.state);
	dh_rejects_init(&k.rj, k.co.rejects);
	if (k.co.has_max)
		dh_rejects_set_max(&k.rj, k.co.max_rejects);
	dh_out_open_fd(&k.out, 1, "stdout", NULL);
	/* the operands: partitions of the state directory, or files */
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		const char *a = argv[i];
		struct unit *u;
		struct stat sb;

		units = dh_xreallocarray(units, nunits + 1, sizeof(*units));
		u = &units[nunits++];
		u->arg = u->name = a;
		u->part = -1;
		u->mark = NULL;
		if (strcmp(a, "-") == 0 && (k.nex > 0 || k.profile))
			continue;
		if (load_catalog(&k, &err) == 0) {
			u->mark = dh_xcalloc(k.c.nparts + 1, 1);
			if (names(&k, a, u->mark) >= 0) {
				u->part = dh_catalog_find(&k.c, a);
				if (u->part >= 0)
					u->name = k.c.parts[u->part].path;
				continue;
			}
			free(u->mark);
			u->mark = NULL;
		}
		if ((k.nex > 0 || k.profile) && stat(a, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
			if (anomaly_mode)
				dh_usage_error("--anomaly judges partitions of the state directory, "
					       "and '%s' is a file", a);
			continue;
		}
		/* a state directory that is there but cannot be read is an
		 * I/O error, not a missing one */
		if (k.have_catalog < 0 && (!(k.nex > 0 || k.profile) || stat(k.state, &sb) == 0))
			dh_die(DH_EXIT_IO, "%s", err.data);
		if (k.have_catalog < 0)
			dh_die(DH_EXIT_USAGE, "no such file '%s', and no state directory %s", a,
			       k.state);
		dh_die(DH_EXIT_USAGE, "no table or partition '%s' in %s%s", a, k.state,
		       k.nex > 0 || k.profile ? ", and no such file" : "");
	}
	if (nunits == 0 && (k.nex > 0 || k.profile) && anomaly_mode)
		dh_usage_error("with --anomaly, -e, -r and --profile need TABLE or PARTITION operands");
	if (nunits == 0 && (k.nex > 0 || k.profile) && !anomaly_mode) {
		/* a filter's input */
		units = dh_xcalloc(1, sizeof(*units));
		units[0].arg = "-";
		units[0].name = "-";
		units[0].part = -1;
		nunits = 1;
	}
	if (!quality || anomaly_mode) {
		if (load_catalog(&k, &err) != 0)
			dh_die(DH_EXIT_IO, "%s", err.data);
		mark = dh_xcalloc(k.c.nparts + 1, 1);
		for (i = 0; i < nunits; i++)
			if (units[i].mark != NULL)
				for (size_t j = 0; j < k.c.nparts; j++)
					mark[j] |= units[i].mark[j];
		if (nunits == 0)
			memset(mark, 1, k.c.nparts);
	}
	if (!quality)
		integrity(&k, mark, continuous, &checked);
	for (i = 0; quality && (k.nex > 0 || k.profile) && i < nunits; i++)
		check_unit(&k, &units[i]);
	if (anomaly_mode)
		anomalies(&k, mark, history, zmax);
	dh_progress_end(&k.pg);
	dh_out_close(&k.out);
	dh_rejects_close(&k.rj);
	if (!k.json && !quality)
		dh_warn("%llu partition%s checked: %llu problem%s", checked, checked == 1 ? "" : "s",
			*k.problems, *k.problems == 1 ? "" : "s");
	dh_stats_report(&k.st, k.co.stats, k.co.metrics);
	for (i = 0; i < nunits; i++)
		free(units[i].mark);
	free(units);
	free(mark);
	free(rules);
	for (i = 0; i < k.nex; i++)
		dh_expect_release(&k.ex[i]);
	free(k.ex);
	dh_profile_release(&k.prof);
	if (k.have_catalog != 0)
		dh_catalog_release(&k.c);
	dh_buf_release(&k.line);
	dh_buf_release(&err);
	dh_getopt_release(&g);
	return *k.problems + *k.failed + *k.anomalies > 0 ? DH_EXIT_FAIL : DH_EXIT_OK;
}
