/* dh-partition: records into the key=value partitions of a table. */
/* realpath(3) is XSI */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "flatten.h"
#include "hash.h"
#include "input.h"
#include "manifest.h"
#include "opt.h"
#include "partset.h"
#include "pmap.h"
#include "progress.h"
#include "publish.h"
#include "reader.h"
#include "reject.h"
#include "state.h"
#include "stats.h"
#include "table.h"
#include "timeparse.h"
#include "writer.h"
#include "xalloc.h"

enum {
	OPT_BY = DH_OPT_LONG,
	OPT_FROM,
	OPT_APPEND,
	OPT_TIME_UNIT,
};

static const struct dh_opt opts[] = {
	{'s', "state", "DIR", "the state directory (default: $DH_STATE, else ./state)", DH_COMPLETE_FILE},
	DH_OPTION_INPUT_FORMAT,
	{'t', "output-format", "FMT", "format of the data files (default: the table's, else the input's)", DH_COMPLETE_FORMATS},
	{OPT_BY, "by", "SPEC", "partition by KEY=FIELD:GRAIN (year, month, day, hour of an event time), KEY=FIELD or FIELD", NULL},
	{'p', "partition", "KEY=VALUE", "write every record into this partition", NULL},
	{OPT_FROM, "from", "PATH", "record PATH (a partition or a file) as an input of the output", DH_COMPLETE_FILE},
	{OPT_APPEND, "append", NULL, "add a file to each partition instead of replacing it", NULL},
	{'z', "compress", "CODEC", "compress the data files: gzip, zstd, xz, bzip2", DH_COMPLETE_CODECS},
	{OPT_TIME_UNIT, "time-unit", "UNIT", "unit of integer epoch times: s, ms, us, ns (default: s)", "s ms us ns"},
	DH_OPTION_WAIT,
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
	"dh-partition",
	"[-s DIR] [-f FMT] [-t FMT] [--by SPEC]... [-p KEY=VALUE]... [--from PATH]... "
	"[--append] [-z CODEC] [--time-unit UNIT] [--wait SECS] [--skip-blank] [--allow-incomplete] "
	"[--rejects FILE] [--max-rejects N] [--stats] [--metrics FORMAT] TABLE [FILE ...]",
	"Split records into the key=value partitions of TABLE in the state directory,\n"
	"publishing each partition whole: data files, then _MANIFEST, then _SUCCESS.\n"
	"Each partition written is replaced (a rerun is idempotent) unless --append.",
	opts,
	"Exit status:\n"
	"  0  success\n"
	"  1  more bad records than --max-rejects\n"
	"  2  usage error\n"
	"  3  bad input data (nothing is published)\n"
	"  4  I/O or system error, a full disk included (nothing is published)\n"
	"  5  another process is writing the table\n"
	"\n"
	"Examples:\n"
	"  dh-partition -s state --by dt=ts:day clean/clicks clicks.jsonl\n"
	"  dh-partition -p dt=2026-11-20 --from transform.sh daily/metrics metrics.csv\n",
};

/* One --by or -p: key, and a field (with a time grain) or a constant. */
struct spec {
	char *key;
	char *field; /* NULL: constant value */
	char *value;
	int timed;
	enum dh_grain grain;
};

struct part {
	struct spec *specs;
	size_t nspecs;
	enum dh_time_unit unit;
};

/* What naming a record's partition needs of its own: one per thread. */
struct namer {
	struct dh_buf name, tmp;
};

/* A time key keeps one grain: day buckets and hour buckets in one table
 * would read as different partitions of the same hours. */
static void
check_grains(const char *tabledir, const char *table, const struct part *pt,
	     char *const *keys)
{
	struct dh_buf v = DH_BUF_INIT;
	enum dh_grain g;
	size_t i;

	for (i = 0; i < pt->nspecs; i++) {
		const struct spec *s = &pt->specs[i];

		if (!s->timed || !dh_table_sample_value(tabledir, keys, i, &v) ||
		    dh_grain_of_bucket(v.data, &g) != 0 || g == s->grain)
			continue;
		dh_usage_error("table %s holds %s partitions (%s=%s): --by %s=%s:%s would mix grains",
			       table, dh_grain_name(g), s->key, v.data, s->key, s->field,
			       dh_grain_name(s->grain));
	}
	dh_buf_release(&v);
}

static void
add_spec(struct part *pt, const char *arg, int constant)
{
	const char *eq = strchr(arg, '=');
	struct spec s;

	memset(&s, 0, sizeof(s));
	if (constant) {
		if (eq == NULL || eq == arg)
			dh_usage_error("-p takes KEY=VALUE, not '%s'", arg);
		s.key = dh_xmemdup(arg, (size_t)(eq - arg));
		s.value = dh_xstrdup(eq + 1);
	} else if (eq == NULL) {
		s.key = dh_xstrdup(arg);
		s.field = dh_xstrdup(arg);
	} else {
		const char *colon = strrchr(eq + 1, ':');

		s.key = dh_xmemdup(arg, (size_t)(eq - arg));
		if (colon != NULL && dh_grain_parse(colon + 1, &s.grain) == 0) {
			s.field = dh_xmemdup(eq + 1, (size_t)(colon - eq - 1));
			s.timed = 1;
		} else {
			if (colon != NULL)
				dh_usage_error("--by %s: unknown grain '%s' (year, month, day, hour)",
					       arg, colon + 1);
			s.field = dh_xstrdup(eq + 1);
		}
		if (*s.field == '\0')
			dh_usage_error("--by %s: no field", arg);
	}
	{
		struct dh_buf b = DH_BUF_INIT;
		const char *why, *v = s.value ? s.value : "x";
		size_t i;

		if (dh_partition_name(&b, s.key, strlen(s.key), v, strlen(v), &why) != 0)
			dh_usage_error("partition %s: %s", arg, why);
		for (i = 0; i < pt->nspecs; i++)
			if (strcasecmp(pt->specs[i].key, s.key) == 0)
				dh_usage_error("partition key '%s' is given twice", s.key);
		dh_buf_release(&b);
	}
	pt->specs = dh_xreallocarray(pt->specs, pt->nspecs + 1, sizeof(*pt->specs));
	pt->specs[pt->nspecs++] = s;
}

/* The partition name of rec ("k=v/k2=v2"): 0, or -1 with why in err. */
static int
name_of(const struct part *pt, struct namer *nm, const struct dh_record *rec,
	struct dh_buf *err)
{
	size_t i;

	dh_buf_reset(&nm->name);
	for (i = 0; i < pt->nspecs; i++) {
		const struct spec *s = &pt->specs[i];
		const char *v = s->value, *why;
		size_t vlen = v ? strlen(v) : 0;
		char q[256], bucket[32];

		if (i)
			dh_buf_addc(&nm->name, '/');
		if (s->field != NULL) {
			struct dh_field f;

			if (!dh_record_lookup(rec, s->field, strlen(s->field), '.', &f) ||
			    f.type == DH_V_NULL) {
				v = "";
				vlen = 0;
			} else {
				dh_field_text(&f, &nm->tmp, &v, &vlen);
			}
			if (s->timed && vlen > 0) {
				int64_t sec;
				int32_t ns;

				if (dh_time_parse(v, vlen, pt->unit, &sec, &ns, &why) != 0) {
					dh_buf_reset(err);
					dh_buf_addf(err, "field \"%s\": %s: %s", s->field, why,
						    dh_quote(v, vlen, q, sizeof(q)));
					return -1;
				}
				vlen = dh_time_bucket(sec, s->grain, bucket);
				v = bucket;
			}
		}
		if (dh_partition_name(&nm->name, s->key, strlen(s->key), v, vlen, &why) != 0) {
			dh_buf_reset(err);
			dh_buf_addf(err, "%s%s%s: %s", s->field ? "field \"" : "",
				    s->field ? s->field : "", s->field ? "\"" : "", why);
			dh_buf_addf(err, ": %s", dh_quote(v, vlen, q, sizeof(q)));
			return -1;
		}
	}
	return 0;
}

/*
 * Big inputs that pass through (the formats match) in chunks on every
 * CPU (common/pmap): workers read and name each record and write an
 * entry, the partition name and the record's bytes; the main thread
 * writes the entries to their partitions in input order, so every file
 * holds what a sequential run writes, and bad records reach --rejects in
 * order.  An entry: name length and record length (uint64_t each), the
 * name, the record.
 */
struct par {
	const struct part *pt;
	struct dh_partset *ps;
};

struct lane {
	struct par *par;
	struct namer nm;
	struct dh_buf err;
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

	dh_buf_release(&l->nm.name);
	dh_buf_release(&l->nm.tmp);
	dh_buf_release(&l->err);
	free(l);
}

static const char *
lane_one(void *ts, struct dh_pmap_job *job, struct dh_record *rec)
{
	struct lane *l = ts;
	uint64_t len[2];

	if (name_of(l->par->pt, &l->nm, rec, &l->err) != 0)
		return l->err.data;
	len[0] = l->nm.name.len;
	len[1] = rec->rawlen;
	dh_out_write(&job->out, len, sizeof(len));
	dh_out_write(&job->out, l->nm.name.data, l->nm.name.len);
	dh_out_write(&job->out, rec->raw, rec->rawlen);
	job->records_out++;
	return NULL;
}

/* Main thread, in order: whole entries. */
static void
lane_emit(void *arg, const char *b, size_t n)
{
	struct par *p = arg;

	while (n > 0) {
		uint64_t len[2];

		memcpy(len, b, sizeof(len));
		dh_partset_write_raw(p->ps, b + sizeof(len), len[0], b + sizeof(len) + len[0],
				     len[1]);
		b += sizeof(len) + len[0] + len[1];
		n -= sizeof(len) + len[0] + len[1];
	}
}

/* --from PATH: a partition (its manifest's hash) or a file (its own). */
static void
add_from(struct dh_partset *ps, const char *statedir, const char *path)
{
	struct dh_buf m = DH_BUF_INIT, rel = DH_BUF_INIT;
	char hex[DH_HASH_HEX], real[PATH_MAX], sreal[PATH_MAX];
	unsigned long long size;
	struct stat st;

	if (stat(path, &st) != 0)
		dh_die_errno(DH_EXIT_IO, "--from %s", path);
	ps->inputs = dh_xreallocarray(ps->inputs, ps->ninputs + 1, sizeof(*ps->inputs));
	if (S_ISDIR(st.st_mode)) {
		dh_buf_addf(&m, "%s/_MANIFEST", path);
		if (dh_manifest_hash_file(m.data, hex) != 0)
			dh_die_errno(DH_EXIT_IO, "--from %s: %s", path, m.data);
		/* a partition under the state directory is named relative to it */
		if (realpath(path, real) != NULL && realpath(statedir, sreal) != NULL &&
		    strncmp(real, sreal, strlen(sreal)) == 0 && real[strlen(sreal)] == '/')
			dh_buf_adds(&rel, real + strlen(sreal) + 1);
		else
			dh_buf_adds(&rel, realpath(path, real) ? real : path);
		ps->inputs[ps->ninputs].partition = 1;
		ps->inputs[ps->ninputs].bytes = 0;
	} else {
		if (dh_hash_file(path, hex, &size) != 0)
			dh_die_errno(DH_EXIT_IO, "--from %s", path);
		dh_buf_adds(&rel, realpath(path, real) ? real : path);
		ps->inputs[ps->ninputs].partition = 0;
		ps->inputs[ps->ninputs].bytes = size;
	}
	ps->inputs[ps->ninputs].path = dh_buf_detach(&rel, NULL);
	snprintf(ps->inputs[ps->ninputs].xxh128, DH_HASH_HEX, "%s", hex);
	ps->ninputs++;
	dh_buf_release(&m);
}

/* The partition keys of this run, lowercased as directory names have
 * them; caller frees. */
static char **
spec_keys(const struct part *pt)
{
	char **keys = dh_xreallocarray(NULL, pt->nspecs + 1, sizeof(*keys));
	size_t i;

	for (i = 0; i < pt->nspecs; i++) {
		struct dh_buf lk = DH_BUF_INIT;
		const char *why;

		dh_partition_key(&lk, pt->specs[i].key, strlen(pt->specs[i].key), &why);
		keys[i] = dh_buf_detach(&lk, NULL);
	}
	keys[pt->nspecs] = NULL;
	return keys;
}

int
main(int argc, char **argv)
{
	struct dh_getopt g;
	struct part pt;
	struct namer nm;
	struct dh_partset ps;
	struct dh_rejects rj;
	struct dh_stats st;
	struct dh_progress pg;
	struct dh_buf err = DH_BUF_INIT, tabledir = DH_BUF_INIT;
	struct dh_common co;
	const char *state = NULL, *codec = NULL, *table;
	char **from = NULL;
	size_t nfrom = 0, i;
	enum dh_format in_fmt = DH_FMT_NONE, out_fmt = DH_FMT_NONE, table_fmt = DH_FMT_NONE;
	unsigned rflags;
	int opt, append = 0, have_table, lockfd, nthreads = dh_pmap_threads();
	char **inputs;
	/* static: still reachable when a check of them exits (valgrind) */
	static char **keys, **tkeys;
	/* JSON that passes through: the fields partitions are named from */
	static struct dh_json_want want;
	size_t ninputs, fi, ntkeys;

	dh_err_init(argv[0]);
	/* a reader of the printed paths going away (| head) must not stop a
	 * publish halfway: printing stops, publishing goes on */
	signal(SIGPIPE, SIG_IGN);
	memset(&pt, 0, sizeof(pt));
	memset(&nm, 0, sizeof(nm));
	pt.unit = DH_UNIT_S;
	dh_getopt_init(&g, &cmd, argc, argv);
	memset(&co, 0, sizeof(co));
	while ((opt = dh_getopt(&g)) != -1) {
		if (dh_opt_common(&g, opt, &co))
			continue;
		switch (opt) {
		case 's': state = g.arg; break;
		case 'f':
			in_fmt = dh_opt_format(&g, "input");
			break;
		case 't':
			out_fmt = dh_opt_format(&g, "output");
			break;
		case OPT_BY: add_spec(&pt, g.arg, 0); break;
		case 'p': add_spec(&pt, g.arg, 1); break;
		case OPT_FROM:
			from = dh_xreallocarray(from, nfrom + 1, sizeof(*from));
			from[nfrom++] = g.arg;
			break;
		case OPT_APPEND: append = 1; break;
		case 'z':
			if (!dh_out_codec_ok(g.arg))
				dh_usage_error("unknown compression '%s' (gzip, zstd, xz, bzip2)", g.arg);
			codec = g.arg;
			break;
		case OPT_TIME_UNIT:
			if (dh_time_unit_parse(g.arg, &pt.unit) != 0)
				dh_usage_error("unknown time unit '%s' (s, ms, us, ns)", g.arg);
			break;
		}
	}
	if (optind >= argc)
		dh_usage_error("no TABLE given");
	table = argv[optind++];
	if (!dh_table_name_ok(table))
		dh_usage_error("'%s' is not a table name (segments of A-Z a-z 0-9 _ . - separated by '/', none starting with '_' or '.')", table);
	if (pt.nspecs == 0)
		dh_usage_error("say how to partition: --by SPEC or -p KEY=VALUE");
	dh_opt_common_done(&co);
	rflags = co.skip_blank ? DH_READ_SKIP_BLANK : 0;
	state = dh_state_dir(state);
	dh_buf_addf(&tabledir, "%s/%s", state, table);
	dh_mkdirs_under(state, tabledir.data);
	lockfd = dh_table_lock(tabledir.data, table, co.wait);
	keys = spec_keys(&pt);
	for (i = 0; i < pt.nspecs; i++)
		if (pt.specs[i].field != NULL)
			dh_json_want_add(&want, pt.specs[i].field, strlen(pt.specs[i].field));
	have_table = dh_table_read(tabledir.data, &table_fmt, &tkeys, &ntkeys);
	if (have_table) {
		dh_table_check_keys(tabledir.data, table, tkeys, ntkeys, keys, pt.nspecs);
		check_grains(tabledir.data, table, &pt, keys);
	}
	if (have_table && out_fmt != DH_FMT_NONE && table_fmt != DH_FMT_NONE &&
	    out_fmt != table_fmt)
		dh_usage_error("table %s holds %s (see its _TABLE), not %s", table,
			       dh_format_name(table_fmt), dh_format_name(out_fmt));
	dh_stats_start(&st);
	dh_progress_start(&pg, &st, 0);
	dh_rejects_init(&rj, co.rejects);
	if (co.has_max)
		dh_rejects_set_max(&rj, co.max_rejects);

	/* inputs are read after the lock: a partition of this table too */
	inputs = dh_inputs_expand(argv + optind, (size_t)(argc - optind),
				  co.allow_incomplete, &ninputs);
	memset(&ps, 0, sizeof(ps));
	for (fi = 0; fi < ninputs; fi++) {
		const char *path = inputs[fi];
		struct dh_input in;
		struct dh_reader r;
		struct dh_record rec = DH_RECORD_INIT, flat = DH_RECORD_INIT, *cur;
		enum dh_format fmt = in_fmt;
		unsigned long long done = st.records_out; /* of the inputs before */
		int rc, par;

		dh_input_open(&in, path);
		fmt = dh_format_of(&in, path, fmt);
		if (fi == 0) {
			enum dh_format ofmt = out_fmt != DH_FMT_NONE ? out_fmt
					      : table_fmt != DH_FMT_NONE ? table_fmt : fmt;

			dh_partset_init(&ps, state, table, ofmt, codec);
			ps.append = append;
			/*
			 * Records pass through as read when the formats match:
			 * JSON lines always, CSV and TSV from a single input,
			 * whose header each partition file then starts with.
			 */
			ps.passthrough = dh_format_passes(fmt, ofmt, ninputs);
			/* the command as run, named without its directory */
			argv[0] = (char *)(uintptr_t)dh_progname();
			ps.command = argv;
			ps.ncommand = (size_t)argc;
			for (i = 0; i < nfrom; i++)
				add_from(&ps, state, from[i]);
		}
		if (ps.passthrough && fmt != ps.fmt)
			ps.passthrough = 0; /* with mixed inputs, re-serialise */
		dh_reader_open(&r, &in, fmt, rflags);
		if (ps.passthrough)
			r.want = &want;
		par = ps.passthrough && dh_pmap_fits(&in, fmt, nthreads, rj.path != NULL);
		/*
		 * The first record one by one (it sets the header line of
		 * the partition files), then, when allowed, in parallel.  A
		 * CSV row that a bare CR ended mid-line holds the rest of its
		 * line: go on one by one until it is used up.
		 */
		while ((!par || st.records_out == done || r.rem_len > 0 ||
			(dh_format_delimited(fmt) && !r.have_header)) &&
		       (rc = dh_read(&r, &rec)) != 0) {
			st.records_in++;
			dh_progress(&pg, in.bytes_raw);
			if (rc < 0) {
				st.rejected++;
				dh_reject(&rj, in.loc.name, rec.line, rec.raw, rec.rawlen, r.err.data);
				continue;
			}
			if (ps.passthrough && r.have_header && ps.header.len == 0)
				dh_header_line(&ps.header, fmt, r.names, r.nlens, r.ncols);
			cur = &rec;
			if (dh_format_delimited(ps.fmt) &&
			    dh_record_nested(&rec)) {
				/* as dh-convert: nested JSON flattens for CSV and TSV */
				if (dh_flatten(&rec, &flat, '.') != 0) {
					st.rejected++;
					dh_reject(&rj, in.loc.name, rec.line, rec.raw, rec.rawlen,
						  flat.arena.data);
					continue;
				}
				cur = &flat;
			}
			if (name_of(&pt, &nm, &rec, &err) != 0 ||
			    dh_partset_write(&ps, nm.name.data, nm.name.len, cur) != 0) {
				st.rejected++;
				dh_reject(&rj, in.loc.name, rec.line, rec.raw, rec.rawlen,
					  err.len ? err.data : ps.err.data);
				dh_buf_reset(&err);
				continue;
			}
			st.records_out++;
		}
		if (par && st.records_out > done) {
			struct par p = {&pt, &ps};
			struct dh_pmap_src src = {in.loc.name, fmt, rflags, 0,
						  dh_format_delimited(fmt) ? &r : NULL, &rj, &st.rejected,
						  r.want};
			struct dh_pmap_rec_ops ops = {lane_new, lane_free, lane_one, lane_emit, &p};
			struct dh_out none;

			dh_out_open_mem(&none); /* lane_emit writes the entries */
			dh_pmap_records(&in, nthreads, &src, &ops, &pg, &none, &st.records_in,
					&st.records_out);
			dh_out_close(&none);
		}
		st.bytes_in += in.bytes_raw;
		dh_reader_close(&r);
		dh_input_close(&in);
		dh_record_release(&rec);
		dh_record_release(&flat);
		free(inputs[fi]);
	}
	free(inputs);
	dh_progress_end(&pg);
	if (ps.tabledir == NULL) { /* no input file at all (an empty partition) */
		dh_partset_init(&ps, state, table,
				out_fmt != DH_FMT_NONE ? out_fmt
				: table_fmt != DH_FMT_NONE ? table_fmt : DH_FMT_JSONL,
				codec);
		ps.append = append;
		argv[0] = (char *)(uintptr_t)dh_progname();
		ps.command = argv;
		ps.ncommand = (size_t)argc;
		for (i = 0; i < nfrom; i++)
			add_from(&ps, state, from[i]);
	}
	/* -p alone names its partition: publish it even when empty */
	if (ps.nparts == 0 && pt.nspecs > 0) {
		size_t k;
		int constant = 1;

		for (k = 0; k < pt.nspecs; k++)
			constant &= pt.specs[k].field == NULL;
		if (constant) {
			struct dh_record none = DH_RECORD_INIT;

			if (name_of(&pt, &nm, &none, &err) == 0)
				dh_partset_touch(&ps, nm.name.data, nm.name.len);
		}
	}
	if (!have_table && ps.nparts > 0)
		dh_table_write(tabledir.data, table, ps.fmt, keys, pt.nspecs);
	dh_rejects_close(&rj);
	dh_partset_publish(&ps, 1);
	st.bytes_out = ps.bytes_out;
	dh_stats_report(&st, co.stats, co.metrics);
	close(lockfd);
	dh_partset_release(&ps);
	for (i = 0; i < pt.nspecs; i++) {
		free(pt.specs[i].key);
		free(pt.specs[i].field);
		free(pt.specs[i].value);
	}
	free(pt.specs);
	dh_json_want_release(&want);
	for (i = 0; i < pt.nspecs; i++)
		free(keys[i]);
	free(keys);
	for (i = 0; i < ntkeys; i++)
		free(tkeys[i]);
	free(tkeys);
	free(from);
	dh_buf_release(&nm.name);
	dh_buf_release(&nm.tmp);
	dh_buf_release(&err);
	dh_buf_release(&tabledir);
	dh_getopt_release(&g);
	return DH_EXIT_OK;
}
