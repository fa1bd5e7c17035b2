/*
 * canon: the canonical bytes of a record or of some of its values, for
 * hashing into dedup and uniqueness keys.
 *
 * Two records give the same bytes exactly when they have the same field
 * names with the same values: field order does not count, nor, in JSON,
 * whitespace, key order inside objects or how a string is escaped
 * ("\u0041" is "A").  Values keep their kind: the string "1" (a CSV field,
 * or "1" in JSON) is not the number 1, and numbers are compared as
 * written (1.0 is not 1).  Every piece is length-prefixed, so no two
 * different records run together into the same bytes.
 *
 * Ownership: struct dh_canon owns its scratch buffers; the bytes it
 * builds are in c->out until the next call.
 */
#ifndef DH_CANON_H
#define DH_CANON_H

#include "buf.h"
#include "record.h"

struct dh_canon {
	struct dh_buf out, scratch;
	size_t *perm, nperm, cap; /* the last record's fields, sorted by name */
	struct dh_buf names;      /* ... and its names, in record order */
	size_t *noffs;
};

#define DH_CANON_INIT {DH_BUF_INIT, DH_BUF_INIT, NULL, 0, 0, DH_BUF_INIT, NULL}

/* c->out = the canonical bytes of the whole record. */
void dh_canon_record(struct dh_canon *c, const struct dh_record *rec);
/*
 * c->out = the canonical bytes of the values at paths (dotted, as
 * dh_record_lookup finds them), in order.  Returns 0, or -1 when a path is
 * missing from the record: err then names it.
 */
int dh_canon_fields(struct dh_canon *c, const struct dh_record *rec,
		    char *const *paths, const size_t *plens, size_t npaths,
		    struct dh_buf *err);
/* Append the canonical bytes of one value. */
void dh_canon_value(struct dh_buf *out, enum dh_vtype type, const char *val,
		    size_t vlen, struct dh_buf *scratch);
void dh_canon_release(struct dh_canon *c);

#endif
