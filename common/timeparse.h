/*
 * timeparse: event times (DESIGN §3): ISO 8601 ("2026-11-20T13:45:00Z",
 * "2026-11-20 13:45:00.123+01:00", "2026-11-20") or decimal epoch
 * seconds with any fraction ("1457741907.959400112"); integers in other
 * units with dh_time_unit.  Everything is UTC.
 */
#ifndef DH_TIMEPARSE_H
#define DH_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "record.h"

enum dh_time_unit { DH_UNIT_S, DH_UNIT_MS, DH_UNIT_US, DH_UNIT_NS };
enum dh_grain { DH_GRAIN_YEAR, DH_GRAIN_MONTH, DH_GRAIN_DAY, DH_GRAIN_HOUR };

/* "s", "ms", "us", "ns" → 0 and *u; -1 when unknown. */
int dh_time_unit_parse(const char *s, enum dh_time_unit *u);
/* "year", "month", "day", "hour" → 0 and *g; -1 when unknown. */
int dh_grain_parse(const char *s, enum dh_grain *g);
/* "year", "month", "day" or "hour". */
const char *dh_grain_name(enum dh_grain g);

/*
 * Parse s[0..n) to seconds and nanoseconds since the epoch (UTC).  Epoch
 * integers are in unit; epoch numbers with a fraction are seconds.
 * Returns 0, or -1 with a reason in *why (static text).
 */
int dh_time_parse(const char *s, size_t n, enum dh_time_unit unit,
		  int64_t *sec, int32_t *nsec, const char **why);

/*
 * A duration: numbers with units, summed ("30m", "1h30m", "1.5s", "2d";
 * units ns, us, ms, s, m, h, d, w), into *ns.  Returns 0, or -1 with a
 * reason in *why (static text).  Zero is an error.
 */
int dh_duration_parse(const char *s, int64_t *ns, const char **why);

/* The bucket of sec for grain: "2026", "2026-11", "2026-11-20",
 * "2026-11-20T13"; returns its length. */
size_t dh_time_bucket(int64_t sec, enum dh_grain g, char out[32]);
/* Nanoseconds since the epoch as ISO 8601 UTC, fractions only when not
 * zero: "2026-11-01T00:00:00Z", "2026-11-01T00:00:00.25Z"; returns the
 * length. */
size_t dh_time_format(int64_t ns, char out[40]);
/* The event time of rec's field (a dotted path) in ns since the epoch:
 * 0, or -1 with why in err ('field "ts": ...: "x"').  scratch holds
 * decoded text. */
int dh_record_time(const struct dh_record *rec, const char *field, enum dh_time_unit unit,
		   int64_t *t, struct dh_buf *scratch, struct dh_buf *err);
/* The grain whose bucket v looks like ("2026-11-20": day); -1 when v is
 * no bucket of any grain. */
int dh_grain_of_bucket(const char *v, enum dh_grain *g);

#endif
