/* dh-check: the integrity of a state directory's partitions. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "lineage.h"
#include "opt.h"
#include "out.h"
#include "state.h"
#include "stats.h"
#include "timeparse.h"
#include "xalloc.h"

enum {
	OPT_JSON = DH_OPT_LONG,
	OPT_CONTINUOUS,
};

static const struct dh_opt opts[] = {
	{'s', "state", "DIR", "the state directory (default: $DH_STATE, else ./state)", DH_COMPLETE_FILE},
	{OPT_JSON, "json", NULL, "one JSON object a line, for machines", NULL},
	{OPT_CONTINUOUS, "continuous", NULL, "report gaps in a table's daily or hourly (monthly, yearly) first key", NULL},
	DH_OPTION_STATS,
	DH_OPTION_METRICS,
	{0, NULL, NULL, NULL, NULL},
};

static const struct dh_cmd cmd = {
	"dh-check",
	"[-s DIR] [--json] [--continuous] [--stats] [--metrics FORMAT] [TABLE[/PARTITION] ...]",
	"Check the partitions of the state directory (or of each TABLE, or\n"
	"TABLE/PARTITION) against their manifests, reading every byte: each file\n"
	"present, of its size, xxh128 and number of records; no data file the\n"
	"manifest does not list; no temporary file left by a crashed writer;\n"
	"_SUCCESS only with a manifest; no stale partition; the same fields and\n"
	"kinds in every partition of a table. Prints each problem, one a line.",
	opts,
	"Exit status:\n"
	"  0  no problem\n"
	"  1  some problem (each is printed)\n"
	"  2  usage error, or no such table or partition\n"
	"  4  the state directory cannot be read, or a write error\n"
	"\n"
	"Examples:\n"
	"  dh-check\n"
	"  dh-check clean/clicks --continuous\n"
	"  dh-check --json | jq -r .problem\n",
};

struct check {
	struct dh_catalog c;
	struct dh_out out;
	int json;
	unsigned long long *problems;
	struct dh_buf line;
};

static void
problem(struct check *k, const char *where, const char *what)
{
	size_t bad;

	(*k->problems)++;
	dh_buf_reset(&k->line);
	if (k->json) {
		dh_buf_adds(&k->line, "{\"partition\":");
		dh_json_quote(&k->line, where, strlen(where), &bad);
		dh_buf_adds(&k->line, ",\"problem\":");
		dh_json_quote(&k->line, what, strlen(what), &bad);
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

int
main(int argc, char **argv)
{
	struct check k;
	struct dh_getopt g;
	struct dh_common co;
	struct dh_stats st;
	struct dh_buf err = DH_BUF_INIT, probs = DH_BUF_INIT, schema = DH_BUF_INIT;
	char **base = NULL;
	const char **base_where = NULL;
	const char *state = NULL;
	unsigned char *mark;
	int opt, continuous = 0;
	size_t i;
	unsigned long long checked = 0;

	dh_err_init(argv[0]);
	signal(SIGPIPE, SIG_DFL);
	memset(&k, 0, sizeof(k));
	memset(&co, 0, sizeof(co));
	dh_getopt_init(&g, &cmd, argc, argv);
	while ((opt = dh_getopt(&g)) != -1) {
		if (dh_opt_common(&g, opt, &co))
			continue;
		switch (opt) {
		case 's': state = g.arg; break;
		case OPT_JSON: k.json = 1; break;
		case OPT_CONTINUOUS: continuous = 1; break;
		}
	}
	dh_opt_common_done(&co);
	dh_stats_start(&st);
	k.problems = dh_stats_counter(&st, "problems");
	state = dh_state_dir(state);
	if (dh_catalog_load(&k.c, state, &err) != 0)
		dh_die(DH_EXIT_IO, "%s", err.data);
	mark = dh_xcalloc(k.c.nparts + 1, 1);
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		long t = dh_catalog_table(&k.c, argv[i]);
		size_t j, n = 0;

		for (j = 0; j < k.c.nparts; j++)
			if (dh_catalog_names(&k.c, argv[i], t, j)) {
				mark[j] = 1;
				n++;
			}
		if (t < 0 && n == 0)
			dh_die(DH_EXIT_USAGE, "no table or partition '%s' in %s", argv[i], state);
	}
	if (optind == argc)
		memset(mark, 1, k.c.nparts);
	dh_out_open_fd(&k.out, 1, "stdout", NULL);
	base = dh_xcalloc(k.c.ntables + 1, sizeof(*base));
	base_where = dh_xcalloc(k.c.ntables + 1, sizeof(*base_where));
	for (i = 0; i < k.c.nparts; i++) {
		const struct dh_cpart *p = &k.c.parts[i];

		if (!mark[i] || !p->has_success)
			continue; /* incomplete: being rebuilt, nothing to hold it to */
		checked++;
		dh_buf_reset(&probs);
		dh_buf_reset(&schema);
		dh_catalog_verify(&k.c, i, &probs, &schema);
		if (probs.len > 0) {
			/* its records were not all read: no fields to compare */
			problems_of(&k, p->path, &probs);
			continue;
		}
		/* the first complete partition of a table sets its fields */
		if (base[p->table] == NULL) {
			base[p->table] = dh_xstrdup(schema.data ? schema.data : "");
			base_where[p->table] = p->path;
		} else {
			drift(&k, p->path, base_where[p->table], base[p->table],
			      schema.data ? schema.data : "");
		}
		st.records_in += p->records;
		st.bytes_in += p->bytes;
	}
	for (i = 0; continuous && i < k.c.ntables; i++)
		gaps(&k, i, mark);
	dh_out_close(&k.out);
	if (!k.json)
		dh_warn("%llu partition%s checked: %llu problem%s", checked, checked == 1 ? "" : "s",
			*k.problems, *k.problems == 1 ? "" : "s");
	dh_stats_report(&st, co.stats, co.metrics);
	for (i = 0; i < k.c.ntables; i++)
		free(base[i]);
	free(base);
	free(base_where);
	free(mark);
	dh_catalog_release(&k.c);
	dh_buf_release(&k.line);
	dh_buf_release(&err);
	dh_buf_release(&probs);
	dh_buf_release(&schema);
	dh_getopt_release(&g);
	return *k.problems > 0 ? DH_EXIT_FAIL : DH_EXIT_OK;
}
