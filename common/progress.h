/*
 * progress: the progress line of a long run (DESIGN §7), on stderr when
 * it is a terminal, rewritten in place at most once a second and cleared
 * at the end:
 *
 *	dh-convert: 1843200 records, 512.0 MiB read, 85.3 MiB/s
 *
 *	struct dh_progress pg;
 *	dh_progress_start(&pg, &st, DH_PROGRESS_RECORDS);
 *	while (dh_read(&r, &rec) > 0) {
 *		st.records_in++;
 *		dh_progress(&pg, in.bytes_raw);
 *		...
 *	}
 *	st.bytes_in += in.bytes_raw;
 *	...
 *	dh_progress_end(&pg);
 *
 * dh_progress() costs a test and an increment: the clock is read once
 * every DH_PROGRESS_EVERY calls.  Nothing at all is written when stderr is
 * not a terminal, nor, for a command that writes records to stdout as it
 * goes, when stdout is a terminal too (the records and the line would
 * overwrite each other).  Messages through common/err clear the line first.
 *
 * Ownership: struct dh_progress belongs to the command; it borrows the
 * command's counters (st), which must outlive it.
 */
#ifndef DH_PROGRESS_H
#define DH_PROGRESS_H

#include <time.h>

#include "stats.h"

#define DH_PROGRESS_EVERY 4096u /* calls between two looks at the clock */

/* dh_progress_start(): stdout carries records while the run goes on */
#define DH_PROGRESS_RECORDS 1

struct dh_progress {
	const struct dh_stats *st; /* records_in, and bytes_in of inputs done */
	int on;
	unsigned calls;
	struct timespec start, last; /* last: when the line was last written */
	int width; /* of the line on the terminal; 0: none shown */
};

void dh_progress_start(struct dh_progress *p, const struct dh_stats *st,
		       int flags);
/* Where the clock is read and the line written: through dh_progress(). */
void dh_progress_show(struct dh_progress *p, unsigned long long bytes);

/* After each record: bytes are those read so far of the current input
 * (st->bytes_in holds the ones before it). */
static inline void
dh_progress(struct dh_progress *p, unsigned long long bytes)
{
	if (p->on && ++p->calls >= DH_PROGRESS_EVERY) {
		p->calls = 0;
		dh_progress_show(p, bytes);
	}
}

/* The same after a big step (a chunk of records): reads the clock now. */
static inline void
dh_progress_step(struct dh_progress *p, unsigned long long bytes)
{
	if (p != NULL && p->on)
		dh_progress_show(p, bytes);
}

/* Clear the line, if one is shown, and write no more. */
void dh_progress_end(struct dh_progress *p);
/* Clear the line shown, if any, before another message (common/err). */
void dh_progress_clear(void);

#endif
