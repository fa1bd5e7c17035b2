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

unsigned long long *
dh_stats_counter(struct dh_stats *st, const char *name)
{
	if (st->nextra == DH_STATS_EXTRA)
		dh_die(DH_EXIT_IO, "internal error: too many counters (%s)", name);
	st->extra_name[st->nextra] = name;
	st->extra[st->nextra] = 0;
	return &st->extra[st->nextra++];
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
		size_t i;

		fprintf(stderr,
			"{\"program\":\"%s\",\"records_in\":%llu,\"records_out\":%llu,"
			"\"rejected\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,",
			prog, st->records_in, st->records_out, st->rejected,
			st->bytes_in, st->bytes_out);
		for (i = 0; i < st->nextra; i++)
			fprintf(stderr, "\"%s\":%llu,", st->extra_name[i], st->extra[i]);
		fprintf(stderr, "\"seconds\":%.3f}\n", secs);
	} else if (strcmp(mode, "graphite") == 0) {
		long long t = (long long)time(NULL);
		size_t i;

		fprintf(stderr, "dh.%s.records_in %llu %lld\n", prog, st->records_in, t);
		fprintf(stderr, "dh.%s.records_out %llu %lld\n", prog, st->records_out, t);
		fprintf(stderr, "dh.%s.rejected %llu %lld\n", prog, st->rejected, t);
		fprintf(stderr, "dh.%s.bytes_in %llu %lld\n", prog, st->bytes_in, t);
		fprintf(stderr, "dh.%s.bytes_out %llu %lld\n", prog, st->bytes_out, t);
		for (i = 0; i < st->nextra; i++)
			fprintf(stderr, "dh.%s.%s %llu %lld\n", prog, st->extra_name[i],
				st->extra[i], t);
		fprintf(stderr, "dh.%s.seconds %.3f %lld\n", prog, secs, t);
	}
}
