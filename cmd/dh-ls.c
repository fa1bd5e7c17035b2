/* dh-ls: the catalog of a state directory. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "lineage.h"
#include "opt.h"
#include "out.h"
#include "state.h"
#include "xalloc.h"

enum {
	OPT_JSON = DH_OPT_LONG,
	OPT_STALE,
	OPT_INCOMPLETE,
	OPT_INPUTS,
	OPT_DOWNSTREAM,
};

static const struct dh_opt opts[] = {
	{'s', "state", "DIR", "the state directory (default: $DH_STATE, else ./state)", DH_COMPLETE_FILE},
	{'l', "long", NULL, "status, records, bytes and build time of each; counts of each table", NULL},
	{OPT_JSON, "json", NULL, "one JSON object a line, for machines", NULL},
	{OPT_STALE, "stale", NULL, "only stale partitions: a recorded input changed or is gone", NULL},
	{OPT_INCOMPLETE, "incomplete", NULL, "only partitions without _SUCCESS", NULL},
	{OPT_INPUTS, "inputs", NULL, "the recorded inputs of TABLE/PARTITION, and whether each changed", NULL},
	{OPT_DOWNSTREAM, "downstream", NULL, "every partition made from TABLE[/PARTITION], transitively", NULL},
	{0, NULL, NULL, NULL, NULL},
};

static const struct dh_cmd cmd = {
	"dh-ls",
	"[-s DIR] [-l] [--json] [--stale] [--incomplete] [--inputs | --downstream] "
	"[TABLE[/PARTITION] ...]",
	"List the tables of the state directory, or the partitions of each TABLE\n"
	"(and of each TABLE/PARTITION prefix) with their status: ok, incomplete,\n"
	"stale (a recorded input changed or is gone) or damaged (a file the\n"
	"manifest lists is missing or of another size). Paths are relative to the\n"
	"state directory, as dh-invalidate and the other commands take them.",
	opts,
	"Exit status:\n"
	"  0  success\n"
	"  2  usage error, or no such table or partition\n"
	"  4  the state directory cannot be read, or a write error\n"
	"\n"
	"Examples:\n"
	"  dh-ls\n"
	"  dh-ls -l clean/clicks\n"
	"  dh-ls --stale | xargs -r dh-invalidate\n"
	"  dh-ls --downstream raw/clicks/ingest_date=2026-11-20\n"
	"  dh-ls --json clean/clicks | jq -r 'select(.status != \"ok\") | .partition'\n",
};

struct ls {
	struct dh_catalog c;
	struct dh_out out;
	int lng, json, stale, incomplete;
	struct dh_buf line;
};

/* A name from the file system may be any bytes: not UTF-8 ones are
 * shown as U+FFFD, never dropped. */
static void
put_str(struct dh_buf *b, const char *key, const char *v, int first)
{
	dh_buf_addf(b, "%s\"%s\":", first ? "{" : ",", key);
	if (v == NULL)
		dh_buf_adds(b, "null");
	else
		dh_json_quote_any(b, v, strlen(v));
}

static void
emit(struct ls *l)
{
	dh_buf_addc(&l->line, '\n');
	dh_out_write(&l->out, l->line.data, l->line.len);
	dh_buf_reset(&l->line);
}

static int
wanted(const struct ls *l, const struct dh_cpart *p)
{
	if (!l->stale && !l->incomplete)
		return 1;
	return (l->stale && p->status == DH_PART_STALE) ||
	       (l->incomplete && p->status == DH_PART_INCOMPLETE);
}

static void
list_part(struct ls *l, const struct dh_cpart *p)
{
	if (!wanted(l, p))
		return;
	if (l->json) {
		put_str(&l->line, "partition", p->path, 1);
		put_str(&l->line, "table", l->c.tables[p->table], 0);
		put_str(&l->line, "status", dh_part_status_name(p->status), 0);
		dh_buf_addf(&l->line, ",\"records\":%llu,\"bytes\":%llu,\"files\":%zu", p->records,
			    p->bytes, p->has_manifest ? p->m.nfiles : 0);
		put_str(&l->line, "created", p->has_manifest ? p->m.created : NULL, 0);
		put_str(&l->line, "why", p->why, 0);
		dh_buf_adds(&l->line, "}");
	} else if (l->lng) {
		dh_buf_addf(&l->line, "%-10s %12llu %14llu %-20s %s", dh_part_status_name(p->status),
			    p->records, p->bytes, p->has_manifest ? p->m.created : "-", p->path);
		if (p->why != NULL)
			dh_buf_addf(&l->line, "  (%s)", p->why);
	} else {
		dh_buf_adds(&l->line, p->path);
	}
	emit(l);
}

static void
list_table(struct ls *l, size_t t)
{
	unsigned long long n[4] = {0, 0, 0, 0}, records = 0, bytes = 0, parts = 0;
	size_t i;

	for (i = 0; i < l->c.nparts; i++) {
		const struct dh_cpart *p = &l->c.parts[i];

		if (p->table != t)
			continue;
		parts++;
		n[p->status]++;
		records += p->records;
		bytes += p->bytes;
	}
	if (l->json) {
		put_str(&l->line, "table", l->c.tables[t], 1);
		dh_buf_addf(&l->line, ",\"partitions\":%llu,\"ok\":%llu,\"incomplete\":%llu,"
				      "\"stale\":%llu,\"damaged\":%llu,\"records\":%llu,\"bytes\":%llu}",
			    parts, n[DH_PART_OK], n[DH_PART_INCOMPLETE], n[DH_PART_STALE],
			    n[DH_PART_DAMAGED], records, bytes);
	} else if (l->lng) {
		dh_buf_addf(&l->line, "%6llu partitions: %llu ok, %llu incomplete, %llu stale, "
				      "%llu damaged; %llu records, %llu bytes  %s",
			    parts, n[DH_PART_OK], n[DH_PART_INCOMPLETE], n[DH_PART_STALE],
			    n[DH_PART_DAMAGED], records, bytes, l->c.tables[t]);
	} else {
		dh_buf_adds(&l->line, l->c.tables[t]);
	}
	emit(l);
}

/* The partitions an argument names: a table, a partition, or a prefix of
 * partitions ("t/dt=1" of "t/dt=1/hour=2"); marks them; 0 when none. */
static size_t
select_arg(const struct dh_catalog *c, const char *arg, unsigned char *mark)
{
	size_t i, n = 0;
	long t = dh_catalog_table(c, arg);

	for (i = 0; i < c->nparts; i++)
		if (dh_catalog_names(c, arg, t, i)) {
			mark[i] = 1;
			n++;
		}
	return t >= 0 ? 1 + n : n;
}

static void
list_inputs(struct ls *l, const struct dh_cpart *p)
{
	size_t j;

	for (j = 0; p->has_manifest && j < p->m.ninputs; j++) {
		const struct dh_manifest_input *in = &p->m.inputs[j];
		const char *state = dh_catalog_input_state(&l->c, in);

		if (l->json) {
			put_str(&l->line, "partition", p->path, 1);
			put_str(&l->line, "input", in->path, 0);
			put_str(&l->line, "kind", in->partition ? "partition" : "file", 0);
			put_str(&l->line, "state", state, 0);
			put_str(&l->line, "xxh128", in->xxh128, 0);
			dh_buf_addc(&l->line, '}');
		} else if (l->lng) {
			dh_buf_addf(&l->line, "%-8s %-9s %s", state, in->partition ? "partition" : "file",
				    in->path);
		} else {
			dh_buf_adds(&l->line, in->path);
		}
		emit(l);
	}
}

int
main(int argc, char **argv)
{
	struct ls l;
	struct dh_getopt g;
	struct dh_buf err = DH_BUF_INIT;
	const char *state = NULL;
	unsigned char *mark;
	int opt, inputs = 0, downstream = 0;
	size_t i;

	dh_err_init(argv[0]);
	signal(SIGPIPE, SIG_DFL);
	memset(&l, 0, sizeof(l));
	dh_getopt_init(&g, &cmd, argc, argv);
	while ((opt = dh_getopt(&g)) != -1) {
		switch (opt) {
		case 's': state = g.arg; break;
		case 'l': l.lng = 1; break;
		case OPT_JSON: l.json = 1; break;
		case OPT_STALE: l.stale = 1; break;
		case OPT_INCOMPLETE: l.incomplete = 1; break;
		case OPT_INPUTS: inputs = 1; break;
		case OPT_DOWNSTREAM: downstream = 1; break;
		}
	}
	if (inputs && downstream)
		dh_usage_error("--inputs and --downstream exclude each other");
	if ((inputs || downstream) && optind == argc)
		dh_usage_error("--%s needs a TABLE/PARTITION", inputs ? "inputs" : "downstream");
	state = dh_state_dir(state);
	if (dh_catalog_load(&l.c, state, &err) != 0)
		dh_die(DH_EXIT_IO, "%s", err.data);
	dh_out_open_fd(&l.out, 1, "stdout", NULL);
	mark = dh_xcalloc(l.c.nparts + 1, 1);
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		size_t k = select_arg(&l.c, argv[i], mark);

		if (k == 0)
			dh_die(DH_EXIT_USAGE, "no table or partition '%s' in %s", argv[i], state);
	}
	if (downstream) {
		unsigned char *down = dh_xcalloc(l.c.nparts + 1, 1);

		for (i = 0; i < l.c.nparts; i++)
			if (mark[i])
				dh_catalog_downstream(&l.c, i, down);
		for (i = 0; i < l.c.nparts; i++)
			if (down[i])
				list_part(&l, &l.c.parts[i]);
		free(down);
	} else if (inputs) {
		for (i = 0; i < l.c.nparts; i++)
			if (mark[i])
				list_inputs(&l, &l.c.parts[i]);
	} else if (optind < argc || l.stale || l.incomplete) {
		for (i = 0; i < l.c.nparts; i++)
			if (optind == argc || mark[i])
				list_part(&l, &l.c.parts[i]);
	} else {
		for (i = 0; i < l.c.ntables; i++)
			list_table(&l, i);
	}
	dh_out_close(&l.out);
	free(mark);
	dh_catalog_release(&l.c);
	dh_buf_release(&l.line);
	dh_buf_release(&err);
	dh_getopt_release(&g);
	return DH_EXIT_OK;
}
