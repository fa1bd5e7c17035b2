/*
 * spool: records parked in an unlinked temporary file (in $TMPDIR, else
 * /tmp) and read back in order, for passes that need all records first
 * (dh-convert --union) without holding them in memory.
 *
 * Ownership: struct dh_spool owns the file and its read buffer; records
 * read back borrow from that buffer until the next dh_spool_get().
 */
#ifndef DH_SPOOL_H
#define DH_SPOOL_H

#include <stdio.h>

#include "buf.h"
#include "record.h"

struct dh_spool {
	FILE *f;
	char *path; /* for messages */
	struct dh_buf rd;
	unsigned long long n;
	int keep_raw; /* set before the first put: records keep their raw
		       * input bytes (rec->raw) through the spool */
};

void dh_spool_open(struct dh_spool *s);
void dh_spool_put(struct dh_spool *s, const struct dh_record *rec);
void dh_spool_rewind(struct dh_spool *s);
/* 1 and rec filled (rec->raw too, with keep_raw), or 0 at the end. */
int dh_spool_get(struct dh_spool *s, struct dh_record *rec);
void dh_spool_close(struct dh_spool *s);

#endif
