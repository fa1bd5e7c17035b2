/* dh-invalidate: remove _SUCCESS of partitions and of what was made from them. */
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "lineage.h"
#include "manifest.h"
#include "num.h"
#include "opt.h"
#include "out.h"
#include "publish.h"
#include "state.h"
#include "xalloc.h"

enum {
	OPT_REASON = DH_OPT_LONG,
	OPT_NO_DOWNSTREAM,
	OPT_FROM,
	OPT_TO,
	OPT_KEY,
	OPT_STALE,
};

static const struct dh_opt opts[] = {
	{'s', "state", "DIR", "the state directory (default: $DH_STATE, else ./state)", DH_COMPLETE_FILE},
	{'n', "dry-run", NULL, "print what would be invalidated; change nothing", NULL},
	{OPT_REASON, "reason", "TEXT", "why, for the journal (_log.jsonl)", NULL},
	{OPT_NO_DOWNSTREAM, "no-downstream", NULL, "only the partitions named, not what was made from them", NULL},
	{OPT_FROM, "from", "V", "partitions of TABLE whose first key (or --key) is V or after", NULL},
	{OPT_TO, "to", "V", "partitions of TABLE whose first key (or --key) is V or before", NULL},
	{OPT_KEY, "key", "K", "the partition key of --from and --to (default: each partition's first)", NULL},
	{OPT_STALE, "stale", NULL, "only stale partitions (of the TABLEs named, else of all)", NULL},
	DH_OPTION_WAIT,
	{0, NULL, NULL, NULL, NULL},
};

static const struct dh_cmd cmd = {
	"dh-invalidate",
	"[-s DIR] [-n] [--reason TEXT] [--no-downstream] [--from V] [--to V] [--key K] "
	"[--stale] [--wait SECS] [TABLE[/PARTITION] ...]",
	"Mark partitions incomplete by removing their _SUCCESS, and with them every\n"
	"partition made from them (their manifests list them as inputs),\n"
	"transitively. Data files stay. Prints each partition path, as\n"
	"STATE/TABLE/PARTITION, one a line, so that make can rebuild exactly those.",
	opts,
	"Exit status:\n"
	"  0  success (a partition that was already incomplete too)\n"
	"  2  usage error, or no such table or partition\n"
	"  4  I/O or system error\n"
	"  5  a table is locked by a writer (see --wait)\n"
	"\n"
	"Examples:\n"
	"  dh-invalidate raw/clicks/ingest_date=2026-11-20 --reason 'redelivered'\n"
	"  dh-invalidate --from 2026-11-18 --to 2026-11-19 raw/clicks && make\n"
	"  dh-invalidate --stale -n\n"
	"  dh-invalidate clean/clicks | sed 's|$|/_SUCCESS|' | xargs -r make\n",
};

/* The unescaped value of key in a partition name ("dt=2026-11-20/h=01"),
 * the first key's when key is NULL: 1, else 0. */
static int
value_of(const char *name, const char *key, struct dh_buf *v)
{
	const char *p = name;

	for (;;) {
		const char *eq = strchr(p, '='), *end = strchr(p, '/');
		size_t klen;

		if (eq == NULL || (end != NULL && eq > end))
			return 0;
		klen = (size_t)(eq - p);
		if (end == NULL)
			end = p + strlen(p);
		if (key == NULL || (strlen(key) == klen && memcmp(key, p, klen) == 0)) {
			dh_buf_reset(v);
			dh_hive_unescape(v, eq + 1, (size_t)(end - eq - 1));
			return 1;
		}
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

/* Compare a partition value with a bound: as integers when both are,
 * else as bytes (ISO dates and times order so), a longer value by its
 * first bytes (2026-11-20T13 is within --to 2026-11-20). */
static int
cmp_value(const char *v, const char *bound)
{
	int64_t x, y;
	double d;
	size_t n = strlen(bound);

	if (dh_num_parse(v, strlen(v), &x, &d) == DH_NUM_INT &&
	    dh_num_parse(bound, n, &y, &d) == DH_NUM_INT)
		return (x > y) - (x < y);
	return strlen(v) > n ? strncmp(v, bound, n) : strcmp(v, bound);
}

struct sel {
	const char *state, *from, *to, *key;
	int stale, no_down;
	char **args;
	size_t nargs;
};

/* Mark the partitions the command line names (and, unless --no-downstream,
 * everything downstream of them) in mark[]. */
static void
select_parts(const struct sel *o, const struct dh_catalog *c, unsigned char *mark)
{
	struct dh_buf v = DH_BUF_INIT;
	size_t i, j;

	for (i = 0; i < o->nargs; i++) {
		const char *arg = o->args[i];
		long t = dh_catalog_table(c, arg);
		size_t n = 0;

		if (t < 0 && (o->from != NULL || o->to != NULL))
			dh_usage_error("--from and --to select partitions of a TABLE, not of '%s'", arg);
		for (j = 0; j < c->nparts; j++) {
			const struct dh_cpart *p = &c->parts[j];

			/* never a directory of tables: one typo would be a
			 * whole layer */
			if (!dh_catalog_names(c, arg, t, j))
				continue;
			n++;
			if (o->from != NULL || o->to != NULL) {
				if (!value_of(p->name, o->key, &v))
					continue;
				if ((o->from != NULL && cmp_value(v.data, o->from) < 0) ||
				    (o->to != NULL && cmp_value(v.data, o->to) > 0))
					continue;
			}
			if (o->stale && p->status != DH_PART_STALE)
				continue;
			mark[j] = 1;
		}
		if (t < 0 && n == 0)
			dh_die(DH_EXIT_USAGE, "no table or partition '%s' in %s", arg, o->state);
	}
	if (o->nargs == 0)
		for (i = 0; i < c->nparts; i++)
			mark[i] = c->parts[i].status == DH_PART_STALE;
	if (!o->no_down) {
		unsigned char *down = dh_xcalloc(c->nparts + 1, 1);

		for (i = 0; i < c->nparts; i++)
			if (mark[i])
				dh_catalog_downstream(c, i, down);
		for (i = 0; i < c->nparts; i++)
			mark[i] |= down[i];
		free(down);
	}
	dh_buf_release(&v);
}

static void
journal(const char *state, const struct dh_cpart *p, const char *table, const char *reason,
	char **argv, int argc, const char *now)
{
	json_t *o = json_object(), *cmdv = json_array();
	char *text;
	int i;

	for (i = 0; i < argc; i++) {
		json_t *arg = json_string(i == 0 ? dh_progname() : argv[i]);

		json_array_append_new(cmdv, arg != NULL ? arg : json_string("?"));
	}
	json_object_set_new(o, "time", json_string(now));
	json_object_set_new(o, "event", json_string("invalidate"));
	json_object_set_new(o, "table", json_string(table));
	json_object_set_new(o, "partition", json_string(p->name));
	if (reason != NULL) {
		json_t *r = json_string(reason); /* NULL: not UTF-8 */

		json_object_set_new(o, "reason", r != NULL ? r : json_string("?"));
	}
	json_object_set_new(o, "command", cmdv);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		dh_die(DH_EXIT_IO, "out of memory (journal)");
	{
		struct dh_buf b = DH_BUF_INIT;

		dh_buf_adds(&b, text);
		dh_buf_addc(&b, '\n');
		dh_journal(state, b.data);
		dh_buf_release(&b);
	}
	free(text);
}

int
main(int argc, char **argv)
{
	struct dh_catalog c;
	struct dh_getopt g;
	struct dh_out out;
	struct dh_common co;
	struct dh_buf err = DH_BUF_INIT, path = DH_BUF_INIT;
	struct sel o;
	const char *reason = NULL;
	unsigned char *mark = NULL;
	char **locked = NULL;
	int opt, dry = 0, *locks = NULL;
	size_t i, nlocks = 0, k;
	char now[32];

	dh_err_init(argv[0]);
	signal(SIGPIPE, SIG_DFL);
	memset(&co, 0, sizeof(co));
	memset(&o, 0, sizeof(o));
	dh_getopt_init(&g, &cmd, argc, argv);
	while ((opt = dh_getopt(&g)) != -1) {
		switch (opt) {
		case 's': o.state = g.arg; break;
		case 'n': dry = 1; break;
		case OPT_REASON: reason = g.arg; break;
		case OPT_NO_DOWNSTREAM: o.no_down = 1; break;
		case OPT_FROM: o.from = g.arg; break;
		case OPT_TO: o.to = g.arg; break;
		case OPT_KEY: o.key = g.arg; break;
		case OPT_STALE: o.stale = 1; break;
		default: dh_opt_common(&g, opt, &co); break;
		}
	}
	dh_opt_common_done(&co);
	if (optind == argc && !o.stale)
		dh_usage_error("name the partitions: TABLE[/PARTITION]..., or --stale");
	if ((o.from != NULL || o.to != NULL || o.key != NULL) && optind == argc)
		dh_usage_error("--from, --to and --key select partitions of the TABLEs named");
	if (o.key != NULL && o.from == NULL && o.to == NULL)
		dh_usage_error("--key names the key of --from and --to");
	{
		/* "st/" prints as "st": paths stay what make expects */
		char *st = dh_xstrdup(dh_state_dir(o.state));
		size_t n = strlen(st);

		while (n > 1 && st[n - 1] == '/')
			st[--n] = '\0';
		o.state = st;
	}
	/* operands as dh-ls prints them, or as this command and dh-partition
	 * print them (STATE/TABLE/PARTITION), a trailing '/' allowed */
	o.nargs = (size_t)(argc - optind);
	o.args = dh_xreallocarray(NULL, o.nargs + 1, sizeof(*o.args));
	for (i = 0; i < o.nargs; i++) {
		const char *a = argv[optind + (int)i];
		size_t sl = strlen(o.state), n;

		if (strncmp(a, o.state, sl) == 0 && a[sl] == '/')
			a += sl + 1;
		o.args[i] = dh_xstrdup(a);
		n = strlen(o.args[i]);
		while (n > 1 && o.args[i][n - 1] == '/')
			o.args[i][--n] = '\0';
	}
	/*
	 * Select, lock every table touched (in name order), then select
	 * again under the locks: a writer may have published meanwhile.
	 * Until the tables touched are all locked.
	 */
	for (;;) {
		int more = 0;

		if (dh_catalog_load(&c, o.state, &err) != 0)
			dh_die(DH_EXIT_IO, "%s", err.data);
		free(mark);
		mark = dh_xcalloc(c.nparts + 1, 1);
		select_parts(&o, &c, mark);
		for (i = 0; !dry && i < c.nparts; i++) {
			const char *t = c.tables[c.parts[i].table];

			if (!mark[i])
				continue;
			for (k = 0; k < nlocks && strcmp(locked[k], t) != 0; k++)
				;
			if (k < nlocks)
				continue;
			locked = dh_xreallocarray(locked, nlocks + 1, sizeof(*locked));
			locks = dh_xreallocarray(locks, nlocks + 1, sizeof(*locks));
			locked[nlocks] = dh_xstrdup(t);
			dh_buf_reset(&path);
			dh_buf_addf(&path, "%s/%s", o.state, t);
			locks[nlocks++] = dh_table_lock(path.data, t, co.wait);
			more = 1;
		}
		if (!more)
			break;
		dh_catalog_release(&c);
	}
	dh_time_now_iso(now);
	/* every change first, then the listing: a reader that stops early
	 * (| head) or a full disk cannot leave the job half done */
	for (i = 0; !dry && i < c.nparts; i++) {
		const struct dh_cpart *p = &c.parts[i];

		if (!mark[i] || !p->has_success)
			continue;
		/* journalled first: a crash in between leaves the marker, and a
		 * rerun journals it again; the other way round, the rerun would
		 * find the partition incomplete and the line would be lost */
		journal(o.state, p, c.tables[p->table], reason, argv, argc, now);
		dh_buf_reset(&path);
		dh_buf_addf(&path, "%s/%s", o.state, p->path);
		dh_unlink_sync(path.data, "_SUCCESS");
	}
	for (i = 0; i < nlocks; i++) {
		close(locks[i]);
		free(locked[i]);
	}
	dh_out_open_fd(&out, 1, "stdout", NULL);
	for (i = 0; i < c.nparts; i++) {
		if (!mark[i])
			continue;
		dh_buf_reset(&path);
		dh_buf_addf(&path, "%s/%s", o.state, c.parts[i].path);
		dh_out_write(&out, path.data, path.len);
		dh_out_putc(&out, '\n');
	}
	dh_out_close(&out);
	for (i = 0; i < o.nargs; i++)
		free(o.args[i]);
	free(o.args);
	free((char *)o.state);
	free(locks);
	free(locked);
	free(mark);
	dh_catalog_release(&c);
	dh_buf_release(&err);
	dh_buf_release(&path);
	dh_getopt_release(&g);
	return DH_EXIT_OK;
}
