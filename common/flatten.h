/*
 * flatten: nested JSON values to dotted fields and back, and dotted-path
 * lookup (DESIGN §3).  {"a":{"b":1},"c":[2]} flattens to a.b=1, c.0=2;
 * empty objects and arrays stay as {} and [] values.
 *
 * Ownership: the out record's names live in its arena; its values borrow
 * from the in record, which must outlive it.
 */
#ifndef DH_FLATTEN_H
#define DH_FLATTEN_H

#include "record.h"

/* 1 when some field of rec is a non-empty object or array. */
int dh_record_nested(const struct dh_record *rec);
/*
 * out = rec flattened with separator sep (out is reset first).  Returns
 * 0, or -1 when two fields flatten to one name ({"a.b":1,"a":{"b":2}}):
 * then out's arena holds the message.
 */
int dh_flatten(const struct dh_record *rec, struct dh_record *out, char sep);
/*
 * 0, or -1 when two fields of a flattened record share a name (possible
 * only when a key holds sep); the message goes to err, or when err is NULL
 * to rec's arena (and rec is emptied).
 */
int dh_flat_check(struct dh_record *rec, char sep, struct dh_buf *err);
/*
 * Find the value at path: a field of that exact name, else the path's
 * segments walked into nested objects (and arrays by index).  Returns 1
 * and fills *f (name = the path), else 0.
 */
int dh_record_lookup(const struct dh_record *rec, const char *path,
		     size_t plen, char sep, struct dh_field *f);

#endif
