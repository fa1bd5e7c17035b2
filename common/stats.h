/*
 * stats: the counters of --stats (one JSON line on stderr at the end) and
 * --metrics graphite (Graphite plaintext lines on stderr).
 */
#ifndef DH_STATS_H
#define DH_STATS_H

#include <time.h>

#define DH_STATS_EXTRA 4

struct dh_stats {
	unsigned long long records_in, records_out, rejected;
	unsigned long long bytes_in, bytes_out;
	struct timespec start;
	/* a command's own counters, printed after bytes_out */
	const char *extra_name[DH_STATS_EXTRA];
	unsigned long long extra[DH_STATS_EXTRA];
	size_t nextra;
};

void dh_stats_start(struct dh_stats *st);
/* A counter of the command's own ("duplicates"), zero, reported with the
 * others; name is borrowed (a literal).  At most DH_STATS_EXTRA. */
unsigned long long *dh_stats_counter(struct dh_stats *st, const char *name);
/* mode: "json" or "graphite"; exits 2 on anything else. */
void dh_stats_print(const struct dh_stats *st, const char *mode);

/* At the end of a run: the JSON line when json is set, and the metrics
 * format when one is given (NULL: none). */
void dh_stats_report(const struct dh_stats *st, int json, const char *metrics);

#endif
