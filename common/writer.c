#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json.h"
#include "writer.h"
#include "xalloc.h"

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define HASZERO(x) (((x) - ONES) & ~(x) & HIGHS)

void
dh_writer_init(struct dh_writer *w, struct dh_out *out, enum dh_format fmt,
	       unsigned flags, char sep)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->fmt = fmt;
	w->flags = flags;
	w->sep = sep;
}

static void
add_column(struct dh_writer *w, const char *name, size_t n)
{
	int added;

	dh_hashmap_put(&w->colmap, name, n, w->ncols, &added);
	if (!added)
		return;
	w->cols = dh_xreallocarray(w->cols, w->ncols + 1, sizeof(*w->cols));
	w->clens = dh_xreallocarray(w->clens, w->ncols + 1, sizeof(*w->clens));
	w->cols[w->ncols] = dh_xmemdup(name, n);
	w->clens[w->ncols] = n;
	w->ncols++;
}

void
dh_writer_set_columns(struct dh_writer *w, char *const *names,
		      const size_t *lens, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		add_column(w, names[i], lens[i]);
	w->have_cols = 1;
}

void
dh_writer_clone(const struct dh_writer *w, struct dh_writer *clone,
		struct dh_out *out)
{
	*clone = *w;
	clone->out = out;
	clone->is_clone = 1;
	clone->nrec = 1;
	clone->header_done = 1;
	memset(&clone->line, 0, sizeof(clone->line));
	memset(&clone->scratch, 0, sizeof(clone->scratch));
	clone->slot = NULL;
	clone->idx = clone->offs = NULL;
	clone->kc = NULL;
	clone->nkc = 0;
	memset(&clone->kcbuf, 0, sizeof(clone->kcbuf));
	clone->tmpcap = 0;
}

void
dh_writer_release(struct dh_writer *w)
{
	size_t i;

	free(w->kc);
	dh_buf_release(&w->kcbuf);
	if (w->is_clone) {
		free(w->slot);
		free(w->idx);
		free(w->offs);
		dh_buf_release(&w->line);
		dh_buf_release(&w->scratch);
		return;
	}
	for (i = 0; i < w->ncols; i++)
		free(w->cols[i]);
	free(w->cols);
	free(w->clens);
	free(w->slot);
	free(w->idx);
	free(w->offs);
	dh_hashmap_release(&w->colmap);
	dh_buf_release(&w->line);
	dh_buf_release(&w->scratch);
}

/* Does the word v hold one of the bytes a, b, c, d?  Exact for the
 * word as a whole: a false flag lies above a true one. */
static inline uint64_t
word_has(uint64_t v, char a, char b, char c, char d)
{
	return HASZERO(v ^ (ONES * (unsigned char)a)) | HASZERO(v ^ (ONES * (unsigned char)b)) |
	       HASZERO(v ^ (ONES * (unsigned char)c)) | HASZERO(v ^ (ONES * (unsigned char)d));
}

/*
 * Is one of a, b, c, d in p[0..n)?  16 bytes a step (SSE2), then the
 * last 16, 8 or 4 bytes in one overlapping step (loads stay within p),
 * bytes one by one only below 4.
 */
static inline int
has_any(const char *p, size_t n, char a, char b, char c, char d)
{
	uint64_t v, x;
	uint32_t w;
	size_t i;

#ifdef __SSE2__
	if (n >= 16) {
		const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c),
			      vd = _mm_set1_epi8(d);
		const char *q = p, *e = p + n;

		for (;;) {
			__m128i t = _mm_loadu_si128((const __m128i *)(const void *)q);

			if (_mm_movemask_epi8(_mm_or_si128(
				    _mm_or_si128(_mm_cmpeq_epi8(t, va), _mm_cmpeq_epi8(t, vb)),
				    _mm_or_si128(_mm_cmpeq_epi8(t, vc), _mm_cmpeq_epi8(t, vd)))))
				return 1;
			if (q + 16 == e)
				return 0;
			q = e - q >= 32 ? q + 16 : e - 16;
		}
	}
#endif
	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&v, p + i, 8);
			if (word_has(v, a, b, c, d))
				return 1;
		}
		memcpy(&v, p + n - 8, 8);
		return word_has(v, a, b, c, d) != 0;
	}
	if (n >= 4) {
		memcpy(&w, p, 4);
		x = w;
		memcpy(&w, p + n - 4, 4);
		/* the high half of each word is 0: not one of the bytes
		 * unless one is NUL, which the caller never asks for */
		return ((word_has(x, a, b, c, d) | word_has(w, a, b, c, d)) & UINT64_C(0x80808080)) != 0;
	}
	for (i = 0; i < n; i++)
		if (p[i] == a || p[i] == b || p[i] == c || p[i] == d)
			return 1;
	return 0;
}

/* A CSV field needs quotes when it holds a comma, quote, CR or LF. */
static int
csv_needs_quotes(const char *p, size_t n)
{
	return has_any(p, n, ',', '"', '\n', '\r');
}

/* A JSON string's content holds neither a backslash nor a comma. */
static int
jstr_plain(const char *p, size_t n)
{
	return !has_any(p, n, ',', '\\', ',', '\\');
}

static void
csv_put(struct dh_buf *b, const char *p, size_t n, int lone)
{
	const char *e = p + n;
	char *o;

	if (!csv_needs_quotes(p, n)) {
		/* a lone empty field would read back as a blank line */
		if (lone && n == 0) {
			dh_buf_add(b, "\"\"", 2);
			return;
		}
		dh_buf_add(b, p, n);
		return;
	}
	o = dh_buf_reserve(b, 2 * n + 2);
	*o++ = '"';
	while (p < e) {
		/* runs without a quote go in one copy; a quote is doubled */
		const char *q = memchr(p, '"', (size_t)(e - p));
		size_t k = (size_t)((q != NULL ? q : e) - p);

		memcpy(o, p, k);
		o += k;
		p += k;
		if (q != NULL) {
			*o++ = '"';
			*o++ = '"';
			p++;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
}

static void
tsv_put(struct dh_buf *b, const char *p, size_t n)
{
	const char *e = p + n;
	char *o = dh_buf_reserve(b, 2 * n);

	while (p < e) {
		char c = *p++;

		switch (c) {
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		default: *o++ = c;
		}
	}
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
}

static void
put_text(struct dh_writer *w, const char *p, size_t n)
{
	if (w->fmt == DH_FMT_TSV)
		tsv_put(&w->line, p, n);
	else
		csv_put(&w->line, p, n, w->ncols == 1);
}

static void
write_header(struct dh_writer *w)
{
	dh_buf_reset(&w->line);
	dh_header_line(&w->line, w->fmt, w->cols, w->clens, w->ncols);
	dh_out_write(w->out, w->line.data, w->line.len);
	w->header_done = 1;
}

void
dh_header_line(struct dh_buf *out, enum dh_format fmt, char *const *names,
	       const size_t *lens, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			dh_buf_addc(out, fmt == DH_FMT_TSV ? '\t' : ',');
		if (fmt == DH_FMT_TSV)
			tsv_put(out, names[i], lens[i]);
		else
			csv_put(out, names[i], lens[i], n == 1);
	}
	dh_buf_addc(out, '\n');
}

static void
grow_tmp(struct dh_writer *w, size_t n)
{
	if (n <= w->tmpcap)
		return;
	w->tmpcap = n * 2;
	w->slot = dh_xreallocarray(w->slot, w->tmpcap, sizeof(*w->slot));
	w->idx = dh_xreallocarray(w->idx, w->tmpcap, sizeof(*w->idx));
	w->offs = dh_xreallocarray(w->offs, w->tmpcap, sizeof(*w->offs));
}

static int
write_delimited(struct dh_writer *w, const struct dh_record *rec,
		struct dh_buf *err)
{
	size_t i;
	char sep = w->fmt == DH_FMT_TSV ? '\t' : ',';

	if (!w->have_cols) {
		for (i = 0; i < rec->n; i++)
			add_column(w, rec->f[i].name, rec->f[i].nlen);
		w->have_cols = 1;
	}
	grow_tmp(w, w->ncols + 1);
	for (i = 0; i < rec->n && i < w->ncols; i++)
		if (rec->f[i].nlen != w->clens[i] ||
		    !dh_mem_eq(rec->f[i].name, w->cols[i], w->clens[i]))
			break;
	if (i == rec->n && i == w->ncols) {
		for (i = 0; i < rec->n; i++)
			w->slot[i] = &rec->f[i];
	} else {
		memset(w->slot, 0, w->ncols * sizeof(*w->slot));
		for (i = 0; i < rec->n; i++) {
			size_t *j = dh_hashmap_get(&w->colmap, rec->f[i].name,
						   rec->f[i].nlen);

			if (j == NULL) {
				char q[256];

				dh_buf_reset(err);
				dh_buf_addf(err, "field %s is not in the %s header, which was written from the first record%s",
					    dh_quote(rec->f[i].name, rec->f[i].nlen, q, sizeof(q)),
					    w->fmt == DH_FMT_TSV ? "TSV" : "CSV",
					    w->flags & DH_WRITE_HINT_UNION
						    ? " (use --union to collect all fields first)"
						    : "");
				return -1;
			}
			w->slot[*j] = &rec->f[i];
		}
	}
	if (!w->header_done)
		write_header(w);
	dh_buf_reset(&w->line);
	for (i = 0; i < w->ncols; i++) {
		const struct dh_field *f = w->slot[i];

		if (i)
			dh_buf_addc(&w->line, sep);
		if (f == NULL) {
			/* a lone empty CSV field must not read back as a blank line */
			if (w->ncols == 1 && w->fmt == DH_FMT_CSV)
				dh_buf_add(&w->line, "\"\"", 2);
			continue;
		}
		if (f->type == DH_V_STR) {
			put_text(w, f->val, f->vlen);
		} else if (f->type == DH_V_NUM || f->type == DH_V_TRUE ||
			   f->type == DH_V_FALSE) {
			/* never needs quotes or escapes */
			dh_buf_add(&w->line, f->val, f->vlen);
		} else if (f->type == DH_V_NULL) {
			if (w->ncols == 1 && w->fmt == DH_FMT_CSV)
				dh_buf_add(&w->line, "\"\"", 2);
		} else if (f->type == DH_V_JSTR && w->fmt == DH_FMT_CSV &&
			   jstr_plain(f->val + 1, f->vlen - 2)) {
			/* no escapes and no comma: the token's bytes are the
			 * field (a JSON string holds no raw quote, CR or LF) */
			dh_buf_add(&w->line, f->val + 1, f->vlen - 2);
			if (f->vlen == 2 && w->ncols == 1)
				dh_buf_add(&w->line, "\"\"", 2);
		} else if (f->type == DH_V_JSTR &&
			   memchr(f->val, '\\', f->vlen) == NULL) {
			put_text(w, f->val + 1, f->vlen - 2);
		} else {
			const char *p;
			size_t n;

			dh_field_text(f, &w->scratch, &p, &n);
			put_text(w, p, n);
		}
	}
	dh_buf_addc(&w->line, '\n');
	return 0;
}

static int
put_json_string(struct dh_buf *b, const char *p, size_t n, const char *what,
		struct dh_buf *err)
{
	size_t bad;

	if (dh_json_quote(b, p, n, &bad) == 0)
		return 0;
	dh_buf_reset(err);
	dh_buf_addf(err, "%s: invalid UTF-8 at byte %zu (JSON output must be UTF-8)",
		    what, bad + 1);
	return -1;
}

static int
put_json_value(struct dh_writer *w, const struct dh_field *f, int unflat,
	       struct dh_buf *err)
{
	char q[256];

	switch (f->type) {
	case DH_V_STR:
		if (unflat && f->vlen == 2 &&
		    (memcmp(f->val, "{}", 2) == 0 || memcmp(f->val, "[]", 2) == 0)) {
			dh_buf_add(&w->line, f->val, 2);
			return 0;
		}
		if (dh_json_quote(&w->line, f->val, f->vlen, NULL) == 0)
			return 0;
		dh_quote(f->name, f->nlen, q, sizeof(q));
		{
			char what[300];

			snprintf(what, sizeof(what), "field %s", q);
			return put_json_string(&w->line, f->val, f->vlen, what, err);
		}
	case DH_V_OBJ:
	case DH_V_ARR:
		dh_json_compact(f->val, f->vlen, &w->line);
		return 0;
	default:
		dh_buf_add(&w->line, f->val, f->vlen);
		return 0;
	}
}

static int
put_key(struct dh_writer *w, const char *p, size_t n, struct dh_buf *err)
{
	if (put_json_string(&w->line, p, n, "field name", err) != 0)
		return -1;
	dh_buf_addc(&w->line, ':');
	return 0;
}

/*
 * The key of field i, quoted once per name: records mostly repeat the
 * last one's names.  Compared by bytes: a name's pointer may be reused
 * for another name (a reader's buffer).
 */
static int
put_cached_key(struct dh_writer *w, size_t i, const struct dh_field *f,
	       struct dh_buf *err)
{
	struct dh_keycache *k;
	size_t start;

	if (i < w->nkc && w->kc[i].nlen == f->nlen &&
	    dh_mem_eq(w->kcbuf.data + w->kc[i].noff, f->name, f->nlen)) {
		k = &w->kc[i];
		dh_buf_add(&w->line, w->kcbuf.data + k->off, k->len);
		return 0;
	}
	start = w->line.len;
	if (put_key(w, f->name, f->nlen, err) != 0)
		return -1;
	if (i >= w->nkc) {
		w->kc = dh_xreallocarray(w->kc, i + 1, sizeof(*w->kc));
		while (w->nkc <= i)
			w->kc[w->nkc++].nlen = SIZE_MAX;
	}
	k = &w->kc[i];
	k->nlen = f->nlen;
	k->noff = w->kcbuf.len;
	dh_buf_add(&w->kcbuf, f->name, f->nlen);
	k->off = w->kcbuf.len;
	k->len = w->line.len - start;
	dh_buf_add(&w->kcbuf, w->line.data + start, k->len);
	if (w->kcbuf.len > (1u << 20)) { /* names that change: start over */
		w->nkc = 0;
		dh_buf_reset(&w->kcbuf);
	}
	return 0;
}

/* Length of the first segment of name (before sep). */
static size_t
seglen(const char *p, size_t n, char sep)
{
	const char *s = memchr(p, sep, n);

	return s ? (size_t)(s - p) : n;
}

/*
 * Unflatten: write the fields idx[0..n) as one object, their names
 * starting offs[i] bytes in.  Fields sharing a first segment become one
 * nested object; an object keyed 0, 1, 2... becomes an array.
 */
static int
put_unflat(struct dh_writer *w, const struct dh_record *rec, size_t *idx,
	   size_t *offs, size_t n, struct dh_buf *err)
{
	size_t i, j, k, nseg = 0;
	int is_array = n > 0;
	char *used = dh_xcalloc(n ? n : 1, 1);
	int rc = 0;

	/* an array when the first segments are 0, 1, 2... in order */
	for (i = 0; i < n && is_array; i++) {
		const struct dh_field *f = &rec->f[idx[i]];
		const char *s = f->name + offs[i];
		size_t sl = seglen(s, f->nlen - offs[i], w->sep);
		char want[32];
		int wl;

		wl = snprintf(want, sizeof(want), "%zu", nseg);
		if (sl == (size_t)wl && memcmp(s, want, sl) == 0) {
			nseg++;
			continue;
		}
		wl = snprintf(want, sizeof(want), "%zu", nseg - 1);
		if (nseg == 0 || sl != (size_t)wl || memcmp(s, want, sl) != 0)
			is_array = 0;
	}
	dh_buf_addc(&w->line, is_array ? '[' : '{');
	for (i = 0, k = 0; i < n && rc == 0; i++) {
		const struct dh_field *f = &rec->f[idx[i]];
		const char *s = f->name + offs[i];
		size_t rest = f->nlen - offs[i], sl = seglen(s, rest, w->sep);
		size_t m = 0;
		size_t *sub_idx, *sub_offs;

		if (used[i])
			continue;
		if (k++)
			dh_buf_addc(&w->line, ',');
		if (!is_array && put_key(w, s, sl, err) != 0) {
			rc = -1;
			break;
		}
		if (sl == rest) {
			used[i] = 1;
			/* a leaf: no other field may continue this name */
			for (j = i + 1; j < n; j++) {
				const struct dh_field *g = &rec->f[idx[j]];
				const char *t = g->name + offs[j];
				size_t tl = seglen(t, g->nlen - offs[j], w->sep);

				if (tl == sl && memcmp(t, s, sl) == 0) {
					char q[256];

					dh_buf_reset(err);
					dh_buf_addf(err, "cannot unflatten: field %s is a value and also holds fields",
						    dh_quote(f->name, f->nlen, q, sizeof(q)));
					rc = -1;
					break;
				}
			}
			if (rc == 0)
				rc = put_json_value(w, f, 1, err);
			continue;
		}
		sub_idx = dh_xreallocarray(NULL, n, sizeof(*sub_idx));
		sub_offs = dh_xreallocarray(NULL, n, sizeof(*sub_offs));
		for (j = i; j < n; j++) {
			const struct dh_field *g = &rec->f[idx[j]];
			const char *t = g->name + offs[j];
			size_t tr = g->nlen - offs[j], tl = seglen(t, tr, w->sep);

			if (used[j] || tl != sl || memcmp(t, s, sl) != 0)
				continue;
			if (tl == tr) {
				char q[256];

				dh_buf_reset(err);
				dh_buf_addf(err, "cannot unflatten: field %s is a value and also holds fields",
					    dh_quote(g->name, g->nlen, q, sizeof(q)));
				rc = -1;
				break;
			}
			used[j] = 1;
			sub_idx[m] = idx[j];
			sub_offs[m] = offs[j] + sl + 1;
			m++;
		}
		if (rc == 0)
			rc = put_unflat(w, rec, sub_idx, sub_offs, m, err);
		free(sub_idx);
		free(sub_offs);
	}
	free(used);
	dh_buf_addc(&w->line, is_array ? ']' : '}');
	return rc;
}

static int
write_json(struct dh_writer *w, const struct dh_record *rec, struct dh_buf *err)
{
	size_t i;

	dh_buf_reset(&w->line);
	if (w->fmt == DH_FMT_JSON)
		dh_buf_add(&w->line, w->nrec ? ",\n" : "[\n", 2);
	if (w->flags & DH_WRITE_UNFLATTEN) {
		grow_tmp(w, rec->n + 1);
		for (i = 0; i < rec->n; i++) {
			w->idx[i] = i;
			w->offs[i] = 0;
		}
		if (put_unflat(w, rec, w->idx, w->offs, rec->n, err) != 0)
			return -1;
	} else {
		dh_buf_addc(&w->line, '{');
		for (i = 0; i < rec->n; i++) {
			const struct dh_field *f = &rec->f[i];

			if (i)
				dh_buf_addc(&w->line, ',');
			if (put_cached_key(w, i, f, err) != 0 ||
			    put_json_value(w, f, 0, err) != 0)
				return -1;
		}
		dh_buf_addc(&w->line, '}');
	}
	if (w->fmt == DH_FMT_JSONL)
		dh_buf_addc(&w->line, '\n');
	return 0;
}

int
dh_write(struct dh_writer *w, const struct dh_record *rec, struct dh_buf *err)
{
	int rc;

	if (w->fmt == DH_FMT_CSV || w->fmt == DH_FMT_TSV)
		rc = write_delimited(w, rec, err);
	else
		rc = write_json(w, rec, err);
	if (rc != 0)
		return rc;
	dh_out_write(w->out, w->line.data, w->line.len);
	w->nrec++;
	return 0;
}

void
dh_writer_finish(struct dh_writer *w)
{
	if ((w->fmt == DH_FMT_CSV || w->fmt == DH_FMT_TSV) && !w->header_done &&
	    w->have_cols && w->ncols > 0)
		write_header(w);
	if (w->fmt == DH_FMT_JSON)
		dh_out_write(w->out, w->nrec ? "\n]\n" : "[\n]\n", w->nrec ? 3 : 4);
}
