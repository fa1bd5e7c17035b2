#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "input.h"
#include "opt.h"
#include "reader.h"
#include "xalloc.h"

#define OPT_LIST (DH_OPT_LONG - 1)

static const struct dh_opt builtin[] = {
	{'h', "help", NULL, "show this help and exit", NULL},
	{'V', "version", NULL, "show the version and exit", NULL},
	{0, NULL, NULL, NULL, NULL},
};

static size_t
count(const struct dh_opt *o)
{
	size_t n = 0;

	while (o[n].lng != NULL)
		n++;
	return n;
}

void
dh_getopt_init(struct dh_getopt *g, const struct dh_cmd *cmd, int argc,
	       char **argv)
{
	size_t n = count(cmd->opts), i, k = 0, s = 0;

	memset(g, 0, sizeof(*g));
	g->cmd = cmd;
	g->argc = argc;
	g->argv = argv;
	g->longopts = dh_xcalloc(n + 4, sizeof(*g->longopts));
	g->shortopts = dh_xcalloc(2 * n + 8, 1);
	g->shortopts[s++] = ':';
	for (i = 0; i < n + 2; i++) {
		const struct dh_opt *o = i < n ? &cmd->opts[i] : &builtin[i - n];

		g->longopts[k].name = o->lng;
		g->longopts[k].has_arg = o->arg ? required_argument : no_argument;
		g->longopts[k].val = o->id;
		k++;
		if (o->id < DH_OPT_LONG) {
			g->shortopts[s++] = (char)o->id;
			if (o->arg)
				g->shortopts[s++] = ':';
		}
	}
	g->longopts[k].name = "dh-options";
	g->longopts[k].val = OPT_LIST;
}

void
dh_getopt_release(struct dh_getopt *g)
{
	free(g->longopts);
	free(g->shortopts);
}

static void
print_opt(FILE *f, const struct dh_opt *o)
{
	char left[64];

	if (o->id < DH_OPT_LONG)
		snprintf(left, sizeof(left), "-%c, --%s%s%s", o->id, o->lng,
			 o->arg ? "=" : "", o->arg ? o->arg : "");
	else
		snprintf(left, sizeof(left), "    --%s%s%s", o->lng,
			 o->arg ? "=" : "", o->arg ? o->arg : "");
	if (strlen(left) <= 24)
		fprintf(f, "  %-24s  %s\n", left, o->help);
	else
		fprintf(f, "  %s\n  %-24s  %s\n", left, "", o->help);
}

static _Noreturn void
help(const struct dh_cmd *c)
{
	const struct dh_opt *o;

	printf("Usage: %s %s\n%s\n\nOptions:\n", c->name, c->synopsis, c->purpose);
	for (o = c->opts; o->lng != NULL; o++)
		print_opt(stdout, o);
	for (o = builtin; o->lng != NULL; o++)
		print_opt(stdout, o);
	if (c->details != NULL)
		printf("\n%s", c->details);
	printf("\nSee %s(1) for more, and dh(7) for what all commands share.\n", c->name);
	if (fflush(stdout) != 0 || ferror(stdout))
		dh_die_errno(DH_EXIT_IO, "write error: stdout");
	exit(DH_EXIT_OK);
}

/* Machine-readable option table for scripts/gen-completions. */
static _Noreturn void
list(const struct dh_cmd *c)
{
	const struct dh_opt *o;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (o = pass ? builtin : c->opts; o->lng != NULL; o++)
			printf("%c\t%s\t%s\t%s\t%s\n",
			       o->id < DH_OPT_LONG ? o->id : '-', o->lng,
			       o->arg ? o->arg : "-",
			       o->complete ? o->complete : "-", o->help);
	exit(DH_EXIT_OK);
}

int
dh_getopt(struct dh_getopt *g)
{
	int c;

	opterr = 0;
	c = getopt_long(g->argc, g->argv, g->shortopts, g->longopts, NULL);
	g->arg = optarg;
	switch (c) {
	case 'h':
		help(g->cmd);
	case 'V':
		printf("%s (dh) %s\n", g->cmd->name, DH_VERSION);
		if (fflush(stdout) != 0 || ferror(stdout))
			dh_die_errno(DH_EXIT_IO, "write error: stdout");
		exit(DH_EXIT_OK);
	case OPT_LIST:
		list(g->cmd);
	case ':':
		if (optopt != 0 && optopt < DH_OPT_LONG)
			dh_usage_error("option requires an argument -- '%c'", optopt);
		dh_usage_error("option '%s' requires an argument", g->argv[optind - 1]);
	case '?':
		if (optopt != 0)
			dh_usage_error("invalid option -- '%c'", optopt);
		dh_usage_error("unrecognized option '%s'", g->argv[optind - 1]);
	default:
		return c;
	}
}

int
dh_opt_common(const struct dh_getopt *g, int id, struct dh_common *c)
{
	char *end;

	switch (id) {
	case DH_OPT_SKIP_BLANK:
		c->skip_blank = 1;
		return 1;
	case DH_OPT_ALLOW_INCOMPLETE:
		c->allow_incomplete = 1;
		return 1;
	case DH_OPT_REJECTS:
		c->rejects = g->arg;
		return 1;
	case DH_OPT_MAX_REJECTS:
		c->max_rejects = dh_opt_count(g, "--max-rejects");
		c->has_max = 1;
		return 1;
	case DH_OPT_MAX_RATIO:
		c->max_ratio = dh_opt_count(g, "--max-ratio");
		c->has_ratio = 1;
		return 1;
	case DH_OPT_MAX_INFLATED:
		c->max_inflated = dh_opt_size(g, "--max-inflated");
		c->has_inflated = 1;
		return 1;
	case DH_OPT_STATS:
		c->stats = 1;
		return 1;
	case DH_OPT_METRICS:
		if (strcmp(g->arg, "graphite") != 0)
			dh_usage_error("unknown metrics format '%s' (graphite)", g->arg);
		c->metrics = g->arg;
		return 1;
	case DH_OPT_WAIT:
		errno = 0;
		c->wait = strtod(g->arg, &end);
		if (errno || *end || end == g->arg || c->wait < 0)
			dh_usage_error("--wait: not a number of seconds: '%s'", g->arg);
		return 1;
	default:
		return 0;
	}
}

void
dh_opt_common_done(const struct dh_common *c)
{
	if (c->has_max && c->rejects == NULL)
		dh_usage_error("--max-rejects needs --rejects FILE");
	dh_input_set_limits(c->has_ratio ? c->max_ratio : DH_INFLATE_RATIO,
			    c->has_inflated ? c->max_inflated : DH_INFLATE_SIZE);
}

unsigned long long
dh_opt_count(const struct dh_getopt *g, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (g->arg[0] < '0' || g->arg[0] > '9')
		dh_usage_error("%s: not a non-negative integer: '%s'", what, g->arg);
	v = strtoull(g->arg, &end, 10);
	if (errno != 0 || *end != '\0')
		dh_usage_error("%s: not a non-negative integer: '%s'", what, g->arg);
	return v;
}

enum dh_format
dh_opt_format(const struct dh_getopt *g, const char *what)
{
	enum dh_format f = dh_format_parse(g->arg);

	if (f == DH_FMT_NONE)
		dh_usage_error("unknown %s format '%s' (csv, tsv, jsonl, json)", what, g->arg);
	return f;
}

unsigned long long
dh_opt_size(const struct dh_getopt *g, const char *what)
{
	static const struct {
		const char *suffix;
		unsigned long long mult;
	} units[] = {
		{"", 1}, {"B", 1},
		{"K", 1ULL << 10}, {"KB", 1000}, {"KiB", 1ULL << 10},
		{"M", 1ULL << 20}, {"MB", 1000000}, {"MiB", 1ULL << 20},
		{"G", 1ULL << 30}, {"GB", 1000000000}, {"GiB", 1ULL << 30},
		{"T", 1ULL << 40}, {"TB", 1000000000000ULL}, {"TiB", 1ULL << 40},
	};
	char *end;
	unsigned long long v;
	size_t i;

	errno = 0;
	if (g->arg[0] < '0' || g->arg[0] > '9')
		dh_usage_error("%s: not a size: '%s' (bytes, or with K, M, G, T)", what, g->arg);
	v = strtoull(g->arg, &end, 10);
	for (i = 0; errno == 0 && i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].suffix) == 0) {
			if (v > ~0ULL / units[i].mult)
				break;
			return v * units[i].mult;
		}
	dh_usage_error("%s: not a size: '%s' (bytes, or with K, M, G, T)", what, g->arg);
	return 0;
}
