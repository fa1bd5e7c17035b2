/*
 * record: an ordered list of (name, value) fields.
 *
 * Ownership: a struct dh_record owns its field array and its arena; the
 * name and value slices of its fields are borrowed, either from the reader
 * that filled it (valid until the next read from that reader) or from the
 * record's own arena (valid until the record is reset or released).
 * Slices are not NUL-terminated.  Initialise with DH_RECORD_INIT; release
 * with dh_record_release().
 */
#ifndef DH_RECORD_H
#define DH_RECORD_H

#include <stddef.h>

#include "buf.h"

enum dh_vtype {
	DH_V_STR,   /* plain text (CSV, TSV, or decoded): val is the bytes */
	DH_V_JSTR,  /* JSON string token as read, quotes and escapes included */
	DH_V_NUM,   /* JSON number token as read */
	DH_V_TRUE,  /* JSON literals: val is the token */
	DH_V_FALSE,
	DH_V_NULL,
	DH_V_OBJ,   /* JSON object / array text as read (validated) */
	DH_V_ARR,
};

struct dh_field {
	const char *name; /* decoded name */
	size_t nlen;
	const char *val;
	size_t vlen;
	enum dh_vtype type;
};

struct dh_record {
	struct dh_field *f;
	size_t n, cap;
	const char *raw; /* the record's input bytes, borrowed from the reader */
	size_t rawlen;
	unsigned long long line; /* first input line of the record */
	struct dh_buf arena;     /* owned storage for decoded names / values */
	int keysep; /* flattened, and some key held the separator: names may
		     * collide (dh_flat_check) */
};

#define DH_RECORD_INIT {NULL, 0, 0, NULL, 0, 0, DH_BUF_INIT, 0}

void dh_record_reset(struct dh_record *r); /* n = 0, arena emptied */
void dh_record_release(struct dh_record *r);
/* Append a field; returns it (valid until the next add). */
struct dh_field *dh_record_add(struct dh_record *r, const char *name,
			       size_t nlen, const char *val, size_t vlen,
			       enum dh_vtype type);
/* The field named exactly name, or NULL. */
const struct dh_field *dh_record_get(const struct dh_record *r,
				     const char *name, size_t nlen);

/*
 * The field's value as plain text, JSON strings decoded: sets *p, *n,
 * borrowed from the field or from scratch (emptied first).  null is "".
 * Objects and arrays give their compact JSON text.
 */
void dh_field_text(const struct dh_field *f, struct dh_buf *scratch,
		   const char **p, size_t *n);

/*
 * Arena helpers: storing bytes in the arena may move it, so callers keep
 * offsets while building and call dh_record_fix() once the arena is done.
 * A field whose name / val pointer is DH_ARENA_REF(off) refers to the
 * arena at offset off.
 */
size_t dh_record_stash(struct dh_record *r, const void *p, size_t n);
#define DH_ARENA_TAG ((size_t)1 << (sizeof(size_t) * 8 - 1))
#define DH_ARENA_REF(off) ((const char *)(DH_ARENA_TAG | (off)))
void dh_record_fix(struct dh_record *r);

#endif
