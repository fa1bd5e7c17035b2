/*
 * opt: one option table per command, the single source of its --help,
 * its getopt_long parsing and (through the hidden --dh-options listing)
 * its shell completions.  -h/--help and -V/--version are added here.
 *
 *	static const struct dh_opt opts[] = {
 *		{'f', "input-format", "FMT", "input format", DH_COMPLETE_FORMATS},
 *		{0}};
 *	struct dh_getopt g;
 *	dh_getopt_init(&g, &cmd, argc, argv);
 *	while ((c = dh_getopt(&g)) != -1) switch (c) { ... g.arg ... }
 *
 * Ownership: the tables are static; struct dh_getopt owns its copies.
 */
#ifndef DH_OPT_H
#define DH_OPT_H

#include <getopt.h>

#include "reader.h"

/* Completion hints for --dh-options. */
#define DH_COMPLETE_FORMATS "csv tsv jsonl json"
#define DH_COMPLETE_CODECS "gzip zstd xz bzip2"
#define DH_COMPLETE_FILE "@file"

/* Ids of long-only options start here. */
#define DH_OPT_LONG 256

struct dh_opt {
	int id;            /* the short letter, or >= DH_OPT_LONG */
	const char *lng;   /* long name without "--" */
	const char *arg;   /* argument name, NULL when it takes none */
	const char *help;  /* one line */
	const char *complete; /* words, "@file", or NULL */
};

struct dh_cmd {
	const char *name;
	const char *synopsis; /* after the name, exactly as the man page's */
	const char *purpose;  /* one line */
	const struct dh_opt *opts; /* ends with {0} */
	const char *details;  /* exit status, examples: printed after options */
};

struct dh_getopt {
	const struct dh_cmd *cmd;
	int argc;
	char **argv;
	char *arg;
	struct option *longopts;
	char *shortopts;
};

void dh_getopt_init(struct dh_getopt *g, const struct dh_cmd *cmd, int argc,
		    char **argv);
/* The next option's id, or -1 when options end (then optind is the first
 * operand).  Handles --help, --version and bad options itself. */
int dh_getopt(struct dh_getopt *g);
void dh_getopt_release(struct dh_getopt *g);

/* Parse a non-negative integer option value or exit 2. */
unsigned long long dh_opt_count(const struct dh_getopt *g, const char *what);
/* The option's argument as a format (-f, -t); what is "input" or
 * "output", for the usage error an unknown one is. */
enum dh_format dh_opt_format(const struct dh_getopt *g, const char *what);
/* The option's argument as a size: bytes, or with K, M, G, T (powers of
 * 1024; KB, MB... powers of 1000; KiB, MiB... as K, M); exit 2 else. */
unsigned long long dh_opt_size(const struct dh_getopt *g, const char *what);

/*
 * Options several commands share (DESIGN §7): a command lists the entries
 * it takes in its table and hands their ids to dh_opt_common().
 */
enum {
	DH_OPT_SKIP_BLANK = DH_OPT_LONG + 100,
	DH_OPT_ALLOW_INCOMPLETE,
	DH_OPT_REJECTS,
	DH_OPT_MAX_REJECTS,
	DH_OPT_STATS,
	DH_OPT_METRICS,
	DH_OPT_WAIT,
	DH_OPT_MAX_RATIO,
	DH_OPT_MAX_INFLATED,
};

#define DH_OPTION_INPUT_FORMAT {'f', "input-format", "FMT", "input format: csv, tsv, jsonl, json (default: from the file name, else sniffed)", DH_COMPLETE_FORMATS}
#define DH_OPTION_SKIP_BLANK {DH_OPT_SKIP_BLANK, "skip-blank", NULL, "ignore blank lines instead of rejecting them", NULL}
#define DH_OPTION_ALLOW_INCOMPLETE {DH_OPT_ALLOW_INCOMPLETE, "allow-incomplete", NULL, "read an input partition that has no _SUCCESS", NULL}
#define DH_OPTION_REJECTS {DH_OPT_REJECTS, "rejects", "FILE", "append bad records to FILE as JSON lines and go on", DH_COMPLETE_FILE}
#define DH_OPTION_MAX_REJECTS {DH_OPT_MAX_REJECTS, "max-rejects", "N", "with --rejects: exit 1 after more than N bad records", NULL}
#define DH_OPTION_STATS {DH_OPT_STATS, "stats", NULL, "print counters as one JSON line on stderr at the end", NULL}
#define DH_OPTION_METRICS {DH_OPT_METRICS, "metrics", "FORMAT", "print counters on stderr for monitoring: graphite", "graphite"}
#define DH_OPTION_MAX_RATIO {DH_OPT_MAX_RATIO, "max-ratio", "N", "stop at a compressed input that inflates over N times (default: 100; 0: no limit)", NULL}
#define DH_OPTION_MAX_INFLATED {DH_OPT_MAX_INFLATED, "max-inflated", "SIZE", "stop at a compressed input past SIZE decompressed (default: 64G; 0: no limit)", NULL}
#define DH_OPTION_WAIT {DH_OPT_WAIT, "wait", "SECS", "wait up to SECS for another writer of the table (default: 0)", NULL}

/* What the shared options said; zero it before parsing. */
struct dh_common {
	int skip_blank, allow_incomplete, stats, has_max;
	int has_ratio, has_inflated;
	unsigned long long max_ratio, max_inflated;
	const char *rejects, *metrics;
	unsigned long long max_rejects;
	double wait;
};

/* Take option id when it is a shared one: 1, else 0.  Bad values exit 2. */
int dh_opt_common(const struct dh_getopt *g, int id, struct dh_common *c);
/* After parsing: the checks between shared options (exit 2), and the
 * decompression limits handed to common/input. */
void dh_opt_common_done(const struct dh_common *c);

#endif
