/*
 * reject: what happens to a bad record (DESIGN §7).  Without a rejects
 * file the first bad record ends the program with exit 3 and a located
 * message.  With --rejects FILE each bad record is appended to FILE as a
 * JSON line {"file","line","reason","record"} (appended: a rerun never
 * wipes earlier rejects; the raw bytes, or when they
 * are not UTF-8, "record_base64" instead) and reading goes on; past
 * --max-rejects N the program exits 1.
 *
 * Ownership: struct dh_rejects owns its output stream.
 */
#ifndef DH_REJECT_H
#define DH_REJECT_H

#include "out.h"
#include "record.h"

struct dh_rejects {
	const char *path; /* NULL: stop at the first bad record */
	struct dh_out out;
	int open;
	unsigned long long count;
	unsigned long long max;
	int has_max;
};

void dh_rejects_init(struct dh_rejects *rj, const char *path);
void dh_rejects_set_max(struct dh_rejects *rj, unsigned long long max);
/* A bad record from name at line: dies or records it. */
void dh_reject(struct dh_rejects *rj, const char *name,
	       unsigned long long line, const char *raw, size_t rawlen,
	       const char *reason);
/* Close FILE and say on stderr how many bad records went there. */
void dh_rejects_close(struct dh_rejects *rj);

#endif
