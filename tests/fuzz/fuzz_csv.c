/*
 * Fuzz target: the CSV and TSV record readers (common/csv, common/reader)
 * and writer (common/writer).  The first input byte holds options, the
 * rest is the file:
 *	bits 0-2  columns - 1 of the header given to the reader (c0, c1, ...)
 *	bit 3     DH_READ_SKIP_BLANK
 *	bit 4     take the header from the file's first row instead, when
 *	          its names are distinct (a repeated name ends the program
 *	          with exit 3 in dh_read, which cannot run in process)
 *	bit 5     TSV instead of CSV
 *	bit 6     also read under a want of c1 and c3 (struct dh_json_want)
 * Holds:
 *   - CSV: the fast path and libcsv alone (DH_READ_NO_FASTPATH) give the
 *     same records, lines, raw bytes, fields and errors;
 *   - every accepted record written by the writer (header first) reads
 *     back as the same names and values, with no error;
 *   - under a want, the fast path and libcsv keep exactly the wanted
 *     columns of the same records, with the same errors.
 * Built and run by `make fuzz`; `make check` replays tests/fuzz/corpus-csv.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "json.h"
#include "out.h"
#include "reader.h"
#include "writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "fuzz_csv: " __VA_ARGS__);                     \
		fputc('\n', stderr);                                           \
		abort();                                                       \
	} while (0)

struct opts {
	enum dh_format fmt;
	unsigned flags;
	int ncols;	/* of the given header */
	int from_input; /* the header is the file's first row */
};

/* A header of n names c0, c1, ... */
static void
give_header(struct dh_reader *r, int n)
{
	static const char *const names[] = {"c0", "c1", "c2", "c3",
					    "c4", "c5", "c6", "c7"};
	struct dh_record h = DH_RECORD_INIT;
	int i;

	for (i = 0; i < n; i++)
		dh_record_add(&h, NULL, 0, names[i], 2, DH_V_STR);
	if (dh_reader_set_header(r, &h) != 0)
		FAIL("a header of distinct names refused");
	dh_record_release(&h);
}

static int
named(const struct dh_json_want *w, const char *name, size_t n)
{
	size_t i;

	for (i = 0; w != NULL && i < w->n; i++)
		if (w->plens[i] == n && memcmp(w->paths[i], name, n) == 0)
			return 1;
	return w == NULL;
}

/* The fields of rec that show names (NULL: all). */
static void
put_record(struct dh_buf *out, const struct dh_record *rec, const struct dh_json_want *show)
{
	size_t i;

	for (i = 0; i < rec->n; i++) {
		if (!named(show, rec->f[i].name, rec->f[i].nlen))
			continue;
		dh_buf_addf(out, "[%zu:", rec->f[i].nlen);
		dh_buf_add(out, rec->f[i].name, rec->f[i].nlen);
		dh_buf_addf(out, "=%zu:", rec->f[i].vlen);
		dh_buf_add(out, rec->f[i].val, rec->f[i].vlen);
		dh_buf_addc(out, ']');
	}
	dh_buf_addc(out, '\n');
}

/*
 * Would the reader's own header be the file's first row with distinct
 * names?  Rows are read as by a reader with a two-name header: the first
 * one that is not a bad row (a row of another width is one only for that
 * header) is the row a header-less reader would take.
 */
static int
header_ok(const char *p, size_t n, const struct opts *o)
{
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	int rc, ok = 1;
	size_t i, j;

	dh_input_open_mem(&in, p, n, "fuzz");
	dh_reader_open(&r, &in, o->fmt, o->flags);
	give_header(&r, 2);
	while ((rc = dh_read(&r, &rec)) != 0) {
		if (rc < 0 && strncmp(r.err.data, "expected ", 9) != 0)
			continue;
		for (i = 0; i < rec.n && ok; i++)
			for (j = 0; j < i && ok; j++)
				if (rec.f[i].vlen == rec.f[j].vlen &&
				    memcmp(rec.f[i].val, rec.f[j].val,
					   rec.f[i].vlen) == 0)
					ok = 0;
		break;
	}
	dh_reader_close(&r);
	dh_input_close(&in);
	dh_record_release(&rec);
	return ok;
}

/*
 * Read p[0..n) with flags: every record or error into log, the accepted
 * ones into good, and written by w when not NULL.  Returns the number of
 * bad records.
 */
static unsigned long
read_all(const char *p, size_t n, const struct opts *o, unsigned flags,
	 struct dh_buf *log, struct dh_buf *good, struct dh_writer *w,
	 const struct dh_json_want *want, const struct dh_json_want *show)
{
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	struct dh_buf err = DH_BUF_INIT;
	unsigned long bad = 0;
	int rc;

	dh_input_open_mem(&in, p, n, "fuzz");
	dh_reader_open(&r, &in, o->fmt, o->flags | flags);
	r.want = want;
	if (!o->from_input)
		give_header(&r, o->ncols);
	while ((rc = dh_read(&r, &rec)) != 0) {
		if (rc != 1 && rc != -1)
			FAIL("dh_read returned %d", rc);
		dh_buf_addf(log, "%d@%llu:", rc, rec.line);
		dh_buf_add(log, rec.raw, rec.rawlen);
		dh_buf_addc(log, '|');
		if (rc < 0) {
			if (r.err.len == 0)
				FAIL("a bad record without a reason");
			dh_buf_add(log, r.err.data, r.err.len);
			dh_buf_addc(log, '\n');
			bad++;
			continue;
		}
		if (want == NULL ? rec.n != r.ncols : rec.n > r.ncols)
			FAIL("a record of %zu fields under %zu names", rec.n,
			     r.ncols);
		put_record(log, &rec, show);
		put_record(good, &rec, show);
		if (w != NULL && dh_write(w, &rec, &err) != 0)
			FAIL("the writer refused a record read: %s", err.data);
	}
	/* a header alone is written too */
	if (w != NULL && r.have_header && !w->header_done) {
		struct dh_buf h = DH_BUF_INIT;

		dh_header_line(&h, o->fmt, r.names, r.nlens, r.ncols);
		dh_out_write(w->out, h.data, h.len);
		dh_buf_release(&h);
	}
	dh_reader_close(&r);
	dh_input_close(&in);
	dh_record_release(&rec);
	dh_buf_release(&err);
	return bad;
}

static int
same(const struct dh_buf *a, const struct dh_buf *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opts o;
	struct dh_buf fast = DH_BUF_INIT, slow = DH_BUF_INIT,
		      good = DH_BUF_INIT, good2 = DH_BUF_INIT,
		      back = DH_BUF_INIT, junk = DH_BUF_INIT;
	struct dh_out out;
	struct dh_writer w;
	size_t n;
	char *copy, *wcopy;

	if (size == 0)
		return 0;
	o.ncols = (data[0] & 7) + 1;
	o.flags = data[0] & 8 ? DH_READ_SKIP_BLANK : 0;
	o.fmt = data[0] & 32 ? DH_FMT_TSV : DH_FMT_CSV;
	o.from_input = 0;
	/* exactly n bytes: a read past them is ASan's */
	n = size - 1;
	copy = malloc(n ? n : 1);
	memcpy(copy, data + 1, n);
	if (data[0] & 16)
		o.from_input = header_ok(copy, n, &o);

	dh_out_open_mem(&out);
	dh_writer_init(&w, &out, o.fmt, 0, '.');
	read_all(copy, n, &o, 0, &fast, &good, &w, NULL, NULL);
	if (o.fmt == DH_FMT_CSV) {
		read_all(copy, n, &o, DH_READ_NO_FASTPATH, &slow, &junk, NULL, NULL, NULL);
		if (!same(&fast, &slow))
			FAIL("the fast path and libcsv differ:\n--- "
			     "fast\n%s--- libcsv\n%s",
			     fast.data ? fast.data : "",
			     slow.data ? slow.data : "");
	}
	if (data[0] & 64) {
		/* a want keeps the columns it names, both ways */
		struct dh_json_want want = DH_JSON_WANT_INIT;
		struct dh_buf all = DH_BUF_INIT, wf = DH_BUF_INIT, ws = DH_BUF_INIT;

		dh_json_want_add(&want, "c1", 2);
		dh_json_want_add(&want, "c3", 2);
		read_all(copy, n, &o, 0, &all, &junk, NULL, NULL, &want);
		read_all(copy, n, &o, 0, &wf, &junk, NULL, &want, NULL);
		if (!same(&all, &wf))
			FAIL("a want keeps other columns:\n--- all\n%s--- want\n%s",
			     all.data ? all.data : "", wf.data ? wf.data : "");
		if (o.fmt == DH_FMT_CSV) {
			read_all(copy, n, &o, DH_READ_NO_FASTPATH, &ws, &junk, NULL, &want, NULL);
			if (!same(&all, &ws))
				FAIL("a want through libcsv differs:\n--- all\n%s--- want\n%s",
				     all.data ? all.data : "", ws.data ? ws.data : "");
		}
		dh_json_want_release(&want);
		dh_buf_release(&all);
		dh_buf_release(&wf);
		dh_buf_release(&ws);
	}
	/* what was written reads back, under the header it wrote */
	dh_writer_finish(&w);
	o.flags = 0;
	o.from_input = 1;
	wcopy = malloc(out.len ? out.len : 1);
	memcpy(wcopy, out.buf, out.len);
	if (read_all(wcopy, out.len, &o, 0, &back, &good2, NULL, NULL, NULL) != 0 ||
	    !same(&good, &good2))
		FAIL("written records do not read back:\n--- read\n%s--- "
		     "written\n%.*s--- read back\n%s",
		     good.data ? good.data : "", (int)out.len, out.buf,
		     back.data ? back.data : "");
	free(wcopy);
	dh_writer_release(&w);
	dh_out_close(&out);
	free(copy);
	dh_buf_release(&fast);
	dh_buf_release(&slow);
	dh_buf_release(&good);
	dh_buf_release(&good2);
	dh_buf_release(&back);
	dh_buf_release(&junk);
	return 0;
}
