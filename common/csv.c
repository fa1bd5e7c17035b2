/*
 * CSV through libcsv (CSV_STRICT | CSV_STRICT_FINI, spaces kept), with a
 * fast path for lines holding no quote and no carriage return: those are
 * split on commas directly, giving the bytes libcsv would (tests/unit/
 * test_csv.c holds the two against each other).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "reader.h"
#include "xalloc.h"

static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

void
dh_csv_init(struct dh_reader *r)
{
	if (csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI) != 0)
		dh_die(DH_EXIT_IO, "out of memory (libcsv)");
	csv_set_space_func(&r->csv, no_space);
	r->csv_live = 1;
	r->row_done = r->row_started = r->row_fields = 0;
}

void
dh_csv_free(struct dh_reader *r)
{
	if (r->csv_live)
		csv_free(&r->csv);
	r->csv_live = 0;
}

static void
cb_field(void *s, size_t len, void *data)
{
	struct dh_reader *r = data;
	size_t off = dh_record_stash(r->row, s, len);

	dh_record_add(r->row, NULL, 0, DH_ARENA_REF(off), len, DH_V_STR);
	r->row_fields++;
}

static void
cb_row(int c, void *data)
{
	struct dh_reader *r = data;

	(void)c;
	r->row_done = 1;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/*
 * A record ends at a newline with an even number of quotes before it.
 * The quotes of the whole chunk are counted first (their parity, 64
 * bytes a step with SSE2, then eight: both byte tests are exact), then
 * the chunk is walked back from its end, each quote flipping the parity,
 * to the first newline where it is even: most chunks are walked back
 * over one row only.
 */
size_t
dh_csv_cut(const char *p, size_t n)
{
	const uint64_t low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
	uint64_t par = 0;
	size_t i = 0, j;
	unsigned odd;

#ifdef __SSE2__
	{
		/* each byte lane flips between 0 and 0xff at every quote in
		 * it: the lanes' parities, summed, are the chunk's */
		const __m128i q = _mm_set1_epi8('"');
		__m128i a = _mm_setzero_si128(), b = a, c = a, d = a;
		unsigned m;

		for (; i + 64 <= n; i += 64) {
			const __m128i *v = (const __m128i *)(const void *)(p + i);

			a = _mm_xor_si128(a, _mm_cmpeq_epi8(_mm_loadu_si128(v), q));
			b = _mm_xor_si128(b, _mm_cmpeq_epi8(_mm_loadu_si128(v + 1), q));
			c = _mm_xor_si128(c, _mm_cmpeq_epi8(_mm_loadu_si128(v + 2), q));
			d = _mm_xor_si128(d, _mm_cmpeq_epi8(_mm_loadu_si128(v + 3), q));
		}
		a = _mm_xor_si128(_mm_xor_si128(a, b), _mm_xor_si128(c, d));
		m = (unsigned)_mm_movemask_epi8(a);
		m ^= m >> 8;
		m ^= m >> 4;
		m ^= m >> 2;
		m ^= m >> 1;
		par = (uint64_t)(m & 1) << 7; /* as the bytes' high bit below */
	}
#endif
	for (; i + 8 <= n; i += 8) {
		uint64_t v, x;

		memcpy(&v, p + i, 8);
		x = v ^ (ONES * '"');
		par ^= ~(((x & low7) + low7) | x | low7);
	}
	par ^= par >> 32;
	par ^= par >> 16;
	par ^= par >> 8;
	odd = (unsigned)(par >> 7) & 1;
	for (; i < n; i++)
		odd ^= p[i] == '"';
	for (j = n; j > 0; j--) {
		char c = p[j - 1];

		if (c == '\n' && !odd)
			return j;
		if (c == '"')
			odd ^= 1;
	}
	return 0;
}

/*
 * The first of a, b and c in [p, e), or e: eight bytes at a time (the
 * lowest flagged byte of a step is a true match).
 */
static inline const char *
find3(const char *p, const char *e, char a, char b, char c)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);

	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
				     _mm_cmpeq_epi8(v, vc)));

		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (e - p >= 8) {
		uint64_t v, x, y, z, m;

		memcpy(&v, p, 8);
		x = v ^ (ONES * (unsigned char)a);
		y = v ^ (ONES * (unsigned char)b);
		z = v ^ (ONES * (unsigned char)c);
		m = ((x - ONES) & ~x) | ((y - ONES) & ~y) | ((z - ONES) & ~z);
		m &= HIGHS;
		if (m) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + __builtin_ctzll(m) / 8;
#else
			break;
#endif
		}
		p += 8;
	}
	for (; p < e; p++)
		if (*p == a || *p == b || *p == c)
			return p;
	return e;
}

/*
 * The fast path, one pass over the line: unquoted fields end at a comma;
 * a quoted field must close on this line and be followed by a comma or
 * the line's end.  A quote inside an unquoted field, or a CR anywhere,
 * returns 0 (rec untouched): libcsv takes the line, errors included.
 */
int
dh_csv_split(const char *line, size_t len, struct dh_record *rec, struct dh_reader *named)
{
	const char *p = line, *e = line + len;
	size_t n0 = rec->n, a0 = rec->arena.len, col = 0, ncols = SIZE_MAX;
	const unsigned char *keep = NULL;
	char *const *names = NULL;
	const size_t *nlens = NULL;

	if (named != NULL) {
		keep = dh_reader_kept(named);
		names = named->names;
		nlens = named->nlens;
		ncols = named->ncols;
	}
/* the next field, column col: kept (named) or not */
#define FIELD(v, n)                                                                             \
	do {                                                                                    \
		if (col >= ncols)                                                               \
			goto slow;                                                              \
		if (keep == NULL || keep[col])                                                  \
			dh_record_add(rec, names ? names[col] : NULL, names ? nlens[col] : 0, v, \
				      n, DH_V_STR);                                             \
		col++;                                                                          \
	} while (0)

	for (;;) {
		if (p < e && *p == '"') {
			const char *q = p + 1, *start = q;
			int doubled = 0;

			for (;;) {
				q = find3(q, e, '"', '\r', '"');
				if (q == e || *q == '\r')
					goto slow;
				if (q + 1 < e && q[1] == '"') {
					doubled = 1;
					q += 2;
					continue;
				}
				break;
			}
			if (q + 1 < e && q[1] != ',')
				goto slow;
			if (!doubled) {
				FIELD(start, (size_t)(q - start));
			} else if (keep != NULL && col < ncols && !keep[col]) {
				col++; /* not kept: not unquoted either */
			} else {
				size_t off = rec->arena.len;
				char *o = dh_buf_reserve(&rec->arena, (size_t)(q - start)), *o0 = o;
				const char *s;

				for (s = start; s < q; s++) {
					*o++ = *s;
					if (*s == '"')
						s++;
				}
				rec->arena.len += (size_t)(o - o0);
				FIELD(DH_ARENA_REF(off), (size_t)(o - o0));
			}
			p = q + 1;
		} else {
			const char *c = find3(p, e, ',', '"', '\r');

			if (c < e && *c != ',')
				goto slow;
			FIELD(p, (size_t)(c - p));
			p = c;
		}
		if (p == e)
			break;
		p++; /* the comma */
		if (p == e) {
			FIELD(p, 0);
			break;
		}
	}
#undef FIELD
	/* another number of fields than the header's: libcsv's way words
	 * the error */
	if (named != NULL && col != ncols)
		goto slow;
	if (rec->arena.len > a0)
		dh_record_fix(rec);
	return 1;
slow:
	rec->n = n0;
	rec->arena.len = a0;
	return 0;
}

static int
is_blank(const char *p, size_t n)
{
	return n == 0 || (n == 1 && p[0] == '\r');
}

static int
bad(struct dh_reader *r, struct dh_record *rec, const char *msg)
{
	dh_buf_reset(&r->err);
	dh_buf_adds(&r->err, msg);
	rec->raw = r->rowraw.data;
	rec->rawlen = r->rowraw.len;
	/* resynchronise at the next line */
	dh_csv_free(r);
	dh_csv_init(r);
	r->rem_len = 0;
	r->need_nl = 0;
	return -1;
}

/* Feed bytes to libcsv; -1 on a parse error. */
static int
feed(struct dh_reader *r, const char *p, size_t n)
{
	dh_buf_add(&r->rowraw, p, n);
	if (csv_parse(&r->csv, p, n, cb_field, cb_row, r) != n)
		return -1;
	return 0;
}

/* A row with the header's names, or its field count is wrong. */
static int
finish_row(struct dh_reader *r, struct dh_record *rec)
{
	dh_record_fix(rec);
	if (!r->have_header)
		return dh_reader_set_header(r, rec) != 0 ? -2 : 0;
	return dh_reader_name_fields(r, rec);
}

/* Read one row (header or data) into rec: 1, 2 for a data row the fast
 * path named already, 0 at end, -1 bad. */
static int
read_row(struct dh_reader *r, struct dh_record *rec)
{
	struct dh_input *in = r->in;
	const char *line;
	size_t len;

	dh_record_reset(rec);
	dh_buf_reset(&r->rowraw);
	r->row = rec;
	r->row_done = 0;
	r->row_fields = 0;
	/* a bare CR may have ended the last row mid-line: go on from there */
	r->row_started = r->rem_len > 0;
	if (r->row_started)
		rec->line = in->line;
	for (;;) {
		if (r->rem_len == 0 && r->need_nl) {
			r->need_nl = 0;
			/* the last line's newline: the row's own when it is
			 * still open, else it ends the previous row */
			if (r->row_started)
				dh_buf_addc(&r->rowraw, '\n');
			if (csv_parse(&r->csv, "\n", 1, cb_field, cb_row, r) != 1)
				return bad(r, rec, "libcsv: parse error");
			if (r->row_done)
				break;
		}
		if (r->rem_len == 0) {
			if (!dh_input_line(in, &line, &len)) {
				/*
				 * Nothing was started, or only line ends were fed
				 * after a row a bare CR ended (libcsv's pstate 0 is
				 * "no row begun"): the input is over.
				 */
				if (!r->row_started || (r->row_fields == 0 && r->csv.pstate == 0))
					return 0;
				if (csv_fini(&r->csv, cb_field, cb_row, r) != 0)
					return bad(r, rec, "unterminated quoted field");
				dh_csv_free(r);
				dh_csv_init(r);
				break;
			}
			if (!r->row_started) {
				rec->line = in->line;
				if (is_blank(line, len)) {
					if (r->flags & DH_READ_SKIP_BLANK)
						continue;
					dh_buf_reset(&r->rowraw);
					dh_buf_add(&r->rowraw, line, len);
					dh_buf_reset(&r->err);
					dh_buf_adds(&r->err, "blank line (use --skip-blank to ignore blank lines)");
					rec->raw = r->rowraw.data;
					rec->rawlen = r->rowraw.len;
					return -1;
				}
				if (!(r->flags & DH_READ_NO_FASTPATH)) {
					size_t n = len - (line[len - 1] == '\r');

					if (dh_csv_split(line, n, rec,
							 r->have_header ? r : NULL)) {
						rec->raw = line;
						rec->rawlen = n;
						/* a data row is named already */
						return r->have_header ? 2 : 1;
					}
				}
				r->row_started = 1;
			}
			r->rem_off = (size_t)(line - in->buf);
			r->rem_len = len;
			r->need_nl = 1;
		}
		{
			const char *p = in->buf + r->rem_off;
			const char *cr = memchr(p, '\r', r->rem_len);
			size_t n = cr ? (size_t)(cr - p) + 1 : r->rem_len;

			r->rem_off += n;
			r->rem_len -= n;
			if (feed(r, p, n) != 0) {
				int e = csv_error(&r->csv);

				return bad(r, rec, e == CSV_EPARSE
							   ? "malformed quoted field (a quote must be doubled inside quotes, and a quoted field must end at a comma or line end)"
							   : csv_strerror(e));
			}
		}
		if (r->row_done)
			break;
	}
	rec->raw = r->rowraw.data;
	rec->rawlen = r->rowraw.len;
	/* the record without its line end, LF or CRLF */
	if (rec->rawlen && rec->raw[rec->rawlen - 1] == '\n')
		rec->rawlen--;
	if (rec->rawlen && rec->raw[rec->rawlen - 1] == '\r')
		rec->rawlen--;
	return 1;
}

int
dh_csv_read(struct dh_reader *r, struct dh_record *rec)
{
	int rc;

	for (;;) {
		rc = read_row(r, rec);
		if (rc <= 0)
			return rc;
		if (rc == 2)
			return 1;
		if (!r->have_header) {
			rc = finish_row(r, rec);
			if (rc == -2)
				dh_die_at(&(struct dh_loc){r->in->loc.name, rec->line},
					  "%s", r->err.data);
			continue;
		}
		return finish_row(r, rec);
	}
}
