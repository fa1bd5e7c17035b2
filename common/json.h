/*
 * json: a streaming, validating JSON scanner for records, and the JSON
 * text helpers the writers need.  jansson is used for documents and to
 * word the error of a line this scanner rejected (dh_json_explain).
 *
 * The scanner accepts exactly what jansson 2.14 accepts with
 * JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL (UTF-8 validated everywhere,
 * no lone surrogates, no NUL in keys, duplicate keys rejected at every
 * level, nesting at most 2048 values deep), except that numbers too large
 * for a double or a 64-bit integer are accepted: dh passes number text
 * through unchanged and never converts it.
 *
 * Ownership: fields filled in by dh_json_scan_object() borrow from the
 * scanned text, or from the record's arena for keys with escapes.
 */
#ifndef DH_JSON_H
#define DH_JSON_H

#include <stddef.h>

#include "buf.h"
#include "record.h"

#define DH_JSON_MAX_DEPTH 2048

struct dh_json_err {
	size_t off;      /* byte offset of the error in the scanned text */
	const char *msg; /* static text */
};

/*
 * Scan text (one JSON object with optional surrounding whitespace) and
 * append its members to rec as fields.  Returns 0, or -1 with *err set.
 */
int dh_json_scan_object(const char *p, size_t n, struct dh_record *rec,
			struct dh_json_err *err);

/*
 * The same, flattening as it scans when flatten is set: a non-empty
 * nested object or array becomes fields named with sep (a.b, c.0), as
 * dh_flatten() would make them, without a second pass.
 */
int dh_json_scan_flat(const char *p, size_t n, struct dh_record *rec,
		      int flatten, char sep, struct dh_json_err *err);

/*
 * The keys of the last record a scan accepted, in document order, each
 * with the object it was in.  A record whose keys start the same way
 * (most records of a file) matches each key with one compare, without
 * scanning it as a string or checking it against the object's other
 * keys: they were all checked when the hint was learnt, and they are the
 * same bytes in the same objects.  From the first key that differs on,
 * the scan checks everything as usual and learns the rest anew.  Owned
 * by the caller (one per reader, for one want: it is not thread-safe,
 * and it keeps which keys want names); zero it first
 * (DH_JSON_HINT_INIT), release with dh_json_hint_release().
 */
struct dh_json_hint_key;
struct dh_json_hint {
	struct dh_json_hint_key *k; /* the learnt keys */
	size_t n, cap;
	struct dh_json_hint_key *pend; /* this record's keys past the match */
	size_t npend, cappend;
	struct dh_buf bytes; /* the learnt keys' tokens */
};
#define DH_JSON_HINT_INIT {NULL, 0, 0, NULL, 0, 0, DH_BUF_INIT}
void dh_json_hint_release(struct dh_json_hint *h);

/*
 * The fields a command reads (paths as dh_record_lookup() takes them,
 * with '.' between segments): a top-level member that none of them is or
 * starts is checked but not made a field.  Zero it first (or
 * DH_JSON_WANT_INIT); the paths are borrowed.
 */
struct dh_json_want {
	const char **paths;
	size_t *plens;
	size_t n, cap;
};
#define DH_JSON_WANT_INIT {NULL, NULL, 0, 0}
void dh_json_want_add(struct dh_json_want *w, const char *path, size_t plen);
void dh_json_want_release(struct dh_json_want *w);

/* dh_json_scan_flat() using and updating hint (NULL: none), making fields
 * only of the members want names (NULL: all). */
int dh_json_scan_hinted(const char *p, size_t n, struct dh_record *rec,
			int flatten, char sep, struct dh_json_hint *hint,
			const struct dh_json_want *want, struct dh_json_err *err);

/* Validate any one JSON value with optional whitespace (for tests). */
int dh_json_validate(const char *p, size_t n, struct dh_json_err *err);

/*
 * Word why text is not a valid record, using jansson's message when it
 * has one, into out: "invalid JSON at column 7: ...".
 */
void dh_json_explain(const char *p, size_t n, const struct dh_json_err *err,
		     struct dh_buf *out);

/* Decode a validated JSON string token (with quotes) onto out. */
void dh_json_unescape(const char *tok, size_t n, struct dh_buf *out);
/* Append validated JSON text with the whitespace outside strings removed. */
void dh_json_compact(const char *p, size_t n, struct dh_buf *out);
/*
 * Append s as a JSON string token.  Returns 0, or -1 when s is not valid
 * UTF-8 (*bad = offset of the first bad byte); nothing is appended then.
 */
int dh_json_quote(struct dh_buf *out, const char *s, size_t n, size_t *bad);
/* Append s as a JSON string token for display: its bytes that are not
 * valid UTF-8 each become U+FFFD.  For names and values in reports. */
void dh_json_quote_any(struct dh_buf *out, const char *s, size_t n);

/* 1 when s is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int dh_utf8_valid(const char *s, size_t n, size_t *bad);

/* Decimal digits of v into out (no NUL; 20 bytes do); returns their
 * count.  For array indexes in flattened names. */
size_t dh_utoa(char *out, size_t v);

/* 1 when s is exactly a JSON number. */
int dh_json_is_number(const char *s, size_t n);

/* Members of validated object / array text, in order. */
struct dh_json_iter {
	const char *p, *end;
	int is_array;
	size_t index;
};
void dh_json_iter_init(struct dh_json_iter *it, const char *p, size_t n);
/* Next member: key token with quotes (NULL in arrays), value token and
 * type.  Returns 1, or 0 at the end. */
int dh_json_iter_next(struct dh_json_iter *it, const char **key, size_t *klen,
		      const char **val, size_t *vlen, enum dh_vtype *type);

#endif
