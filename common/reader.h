/*
 * reader: records from an input, in csv, tsv, jsonl or json (DESIGN §3).
 *
 *	struct dh_reader r;
 *	dh_reader_open(&r, &in, DH_FMT_CSV, 0);
 *	while ((rc = dh_read(&r, &rec)) != 0)
 *		if (rc < 0) reject r.err for rec.raw at rec.line
 *		else use rec
 *
 * Ownership: the reader borrows the input (which must outlive it) and owns
 * the CSV/TSV header.  Fields of a record it fills borrow from the input's
 * buffer or the record's arena and are valid until the next dh_read().
 */
#ifndef DH_READER_H
#define DH_READER_H

#include <csv.h>

#include "buf.h"
#include "input.h"
#include "json.h"
#include "record.h"

enum dh_format { DH_FMT_NONE, DH_FMT_CSV, DH_FMT_TSV, DH_FMT_JSONL, DH_FMT_JSON };

#define DH_READ_SKIP_BLANK 1u /* --skip-blank: blank lines are not errors */
#define DH_READ_NO_FASTPATH 2u /* CSV: every row through libcsv (tests) */
#define DH_READ_FLATTEN 4u /* JSON: nested values as a.b, c.0 fields (sep) */

struct dh_reader {
	struct dh_input *in;
	enum dh_format fmt;
	unsigned flags;
	char sep; /* for DH_READ_FLATTEN; '.' */
	struct dh_buf err; /* why the last record was rejected */
	unsigned long long nrec;
	/* csv and tsv: the header */
	char **names;
	size_t *nlens;
	size_t ncols;
	int have_header;
	int names_borrowed; /* the header belongs to another reader */
	/* csv: libcsv state, and the unparsed rest of the current line */
	struct csv_parser csv;
	int csv_live;
	size_t rem_off, rem_len; /* offset from in->buf, bytes left */
	int need_nl;
	int row_done, row_started, row_fields;
	struct dh_record *row;
	struct dh_buf rowraw;
	struct dh_record hdr;
	/* json: where we are in the array */
	int json_state;
	/* json and jsonl: the keys of the last record, to match the next */
	struct dh_json_hint hint;
	/* the fields the caller reads (NULL: all; set after dh_reader_open,
	 * borrowed): other JSON members are checked, not kept; other CSV and
	 * TSV columns are split and counted, not kept */
	const struct dh_json_want *want;
	/* csv and tsv under a want: the columns it names (NULL: all) */
	unsigned char *keep;
	int keep_done;
};

/* CSV and TSV: a header line, then rows. */
static inline int
dh_format_delimited(enum dh_format f)
{
	return f == DH_FMT_CSV || f == DH_FMT_TSV;
}

/*
 * Can records read as in pass through as read (their raw bytes) to an
 * output of format out?  JSON lines always; CSV and TSV from a single
 * input, under its header line.
 */
static inline int
dh_format_passes(enum dh_format in, enum dh_format out, size_t ninputs)
{
	return in == out && (in == DH_FMT_JSONL || (dh_format_delimited(in) && ninputs == 1));
}

/* "csv" → DH_FMT_CSV; DH_FMT_NONE when unknown. */
enum dh_format dh_format_parse(const char *s);
const char *dh_format_name(enum dh_format f);
/* From the file name (compression suffixes skipped), or DH_FMT_NONE. */
enum dh_format dh_format_from_name(const char *path);
/* From the first bytes of the stream: '{' jsonl, '[' json, a tab before
 * any comma on the first line tsv, else csv. */
enum dh_format dh_format_sniff(struct dh_input *in);
/* The input's format: given when not DH_FMT_NONE, else from in's path
 * (dh_format_from_name), else sniffed (-f, DESIGN §3). */
enum dh_format dh_format_of(struct dh_input *in, const char *path,
			    enum dh_format given);

void dh_reader_open(struct dh_reader *r, struct dh_input *in,
		    enum dh_format fmt, unsigned flags);
/* 1: a record; 0: end of input; -1: a bad record (r->err says why,
 * rec->raw and rec->line locate it); reading may go on after -1. */
int dh_read(struct dh_reader *r, struct dh_record *rec);
void dh_reader_close(struct dh_reader *r);
/*
 * One JSON line (without its newline) as line lineno into rec: 1, 0 for a
 * blank line skipped under DH_READ_SKIP_BLANK, -1 bad (r->err).  Needs no
 * input: chunked readers (common/pmap) call it from worker threads, one
 * reader each.
 */
int dh_reader_jsonl_line(struct dh_reader *r, const char *line, size_t len,
			 unsigned long long lineno, struct dh_record *rec);
/* A CSV/TSV row's fields get the header's names, and only the columns
 * r->want names stay (when it is set): 1, or -1 (r->err) when the row has
 * another number of fields. */
int dh_reader_name_fields(struct dh_reader *r, struct dh_record *rec);
/* CSV/TSV: which header columns r->want names, one flag a column; NULL
 * when there is no want or no header yet, or it names them all. */
const unsigned char *dh_reader_kept(struct dh_reader *r);
/* Read with from's CSV/TSV header (borrowed: from must outlive r). */
void dh_reader_share_header(struct dh_reader *r, const struct dh_reader *from);
/* Take rec's values as the CSV/TSV header; -1 (r->err) on a duplicate. */
int dh_reader_set_header(struct dh_reader *r, const struct dh_record *rec);

/* csv.c */
int dh_csv_read(struct dh_reader *r, struct dh_record *rec);
void dh_csv_init(struct dh_reader *r);
void dh_csv_free(struct dh_reader *r);
/*
 * The fast path: split a CSV line (without its newline) whose quoted
 * fields all close on it and are followed by a comma or its end, with no
 * quote in an unquoted field and no CR: returns 1, fields borrowed from
 * line (or, for doubled quotes, from rec's arena).  Otherwise 0, rec
 * untouched: libcsv must take the line.  With named (a reader with its
 * header), the fields get its names and only its kept columns
 * (dh_reader_kept) stay, as dh_reader_name_fields() would leave them; a
 * line of another number of fields is 0 then too.  Exposed for the test
 * that holds it against libcsv.
 */
int dh_csv_split(const char *line, size_t len, struct dh_record *rec,
		 struct dh_reader *named);
/*
 * For chunking (common/pmap): the length of p[0..n)'s longest prefix
 * ending in a newline outside quotes, counting quotes from p, which must
 * start a row; 0 when there is none.  Exact for well-formed CSV; after a
 * malformed row it may cut elsewhere, so chunked reading is only for runs
 * that stop at the first bad record.
 */
size_t dh_csv_cut(const char *p, size_t n);

#endif
