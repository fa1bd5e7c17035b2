/*
 * stats: the counters of --stats (one JSON line on stderr at the end) and
 * --metrics graphite (Graphite plaintext lines on stderr).
 */
#ifndef DH_STATS_H
#define DH_STATS_H

#include <time.h>

struct dh_stats {
	unsigned long long records_in, records_out, rejected;
	unsigned long long bytes_in, bytes_out;
	struct timespec start;
};

void dh_stats_start(struct dh_stats *st);
/* mode: "json" or "graphite"; exits 2 on anything else. */
void dh_stats_print(const struct dh_stats *st, const char *mode);

/* At the end of a run: the JSON line when json is set, and the metrics
 * format when one is given (NULL: none). */
void dh_stats_report(const struct dh_stats *st, int json, const char *metrics);

#endif
