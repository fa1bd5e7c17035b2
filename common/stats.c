#include <stdio.h>
#include <string.h>

#include "err.h"
#include "stats.h"

void
dh_stats_start(struct dh_stats *st)
{
	memset(st, 0, sizeof(*st));
	clock_gettime(CLOCK_MONOTONIC, &st->start);
}

void
dh_stats_report(const struct dh_stats *st, int json, const char *metrics)
{
	if (json)
		dh_stats_print(st, "json");
	if (metrics != NULL)
		dh_stats_print(st, metrics);
}

void
dh_stats_print(const struct dh_stats *st, const char *mode)
{
	struct timespec now;
	double secs;
	const char *prog = dh_progname();

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - st->start.tv_sec) +
	       (double)(now.tv_nsec - st->start.tv_nsec) / 1e9;
	if (strcmp(mode, "json") == 0) {
		fprintf(stderr,
			"{\"program\":\"%s\",\"records_in\":%llu,\"records_out\":%llu,"
			"\"rejected\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,"
			"\"seconds\":%.3f}\n",
			prog, st->records_in, st->records_out, st->rejected,
			st->bytes_in, st->bytes_out, secs);
	} else if (strcmp(mode, "graphite") == 0) {
		long long t = (long long)time(NULL);

		fprintf(stderr, "dh.%s.records_in %llu %lld\n", prog, st->records_in, t);
		fprintf(stderr, "dh.%s.records_out %llu %lld\n", prog, st->records_out, t);
		fprintf(stderr, "dh.%s.rejected %llu %lld\n", prog, st->rejected, t);
		fprintf(stderr, "dh.%s.bytes_in %llu %lld\n", prog, st->bytes_in, t);
		fprintf(stderr, "dh.%s.bytes_out %llu %lld\n", prog, st->bytes_out, t);
		fprintf(stderr, "dh.%s.seconds %.3f %lld\n", prog, secs, t);
	}
}
