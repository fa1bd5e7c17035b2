/*
 * writer: records to an output stream in csv, tsv, jsonl or json.
 *
 * CSV and TSV take their columns from the first record, or from
 * dh_writer_set_columns() (--union, --fields).  A record lacking a column
 * gets an empty field; a record with a field that is not a column is an
 * error (dh_write() returns -1 and writes nothing).
 *
 * Ownership: the writer borrows the out stream, which must outlive it, and
 * owns its column names.  dh_write() does not keep the record.
 */
#ifndef DH_WRITER_H
#define DH_WRITER_H

#include "buf.h"
#include "hashmap.h"
#include "out.h"
#include "reader.h"
#include "record.h"

#define DH_WRITE_UNFLATTEN 1u /* JSON: a.b=1 becomes {"a":{"b":1}} */
#define DH_WRITE_HINT_UNION 2u /* a field not in the header: say "use --union" */

/* A field name and its quoted JSON key, at one field position. */
struct dh_keycache {
	size_t noff, nlen; /* the name's bytes in kcbuf */
	size_t off, len;   /* "name": in kcbuf */
};

struct dh_writer {
	struct dh_out *out;
	enum dh_format fmt;
	unsigned flags;
	char sep;
	struct dh_hashmap colmap;
	char **cols;
	size_t *clens;
	size_t ncols;
	int have_cols, header_done;
	unsigned long long nrec;
	struct dh_buf line, scratch;
	const struct dh_field **slot;
	size_t *idx, *offs;
	size_t tmpcap;
	int is_clone; /* shares cols and colmap with the writer it copies */
	struct dh_keycache *kc;
	size_t nkc;
	struct dh_buf kcbuf;
};

void dh_writer_init(struct dh_writer *w, struct dh_out *out,
		    enum dh_format fmt, unsigned flags, char sep);
/* Fix the CSV/TSV columns before the first record. */
void dh_writer_set_columns(struct dh_writer *w, char *const *names,
			   const size_t *lens, size_t n);
/* Write rec: 0, or -1 with the reason in *err (nothing written). */
int dh_write(struct dh_writer *w, const struct dh_record *rec,
	     struct dh_buf *err);
/* Write what ends the stream (a JSON array's "]"); does not close out. */
void dh_writer_finish(struct dh_writer *w);
void dh_writer_release(struct dh_writer *w);
/* Append a CSV or TSV header line of names, quoted as dh writes it. */
void dh_header_line(struct dh_buf *out, enum dh_format fmt,
		    char *const *names, const size_t *lens, size_t n);
/*
 * A writer for another thread: it writes to out, shares w's columns
 * read-only (w must have them fixed, and outlive the clone) and counts
 * as past its first record, so JSON arrays get "," before each record.
 */
void dh_writer_clone(const struct dh_writer *w, struct dh_writer *clone,
		     struct dh_out *out);

#endif
