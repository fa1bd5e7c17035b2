#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "reader.h"
#include "xalloc.h"

static const char *const fmt_names[] = {"", "csv", "tsv", "jsonl", "json"};

enum dh_format
dh_format_parse(const char *s)
{
	int i;

	for (i = DH_FMT_CSV; i <= DH_FMT_JSON; i++)
		if (strcmp(s, fmt_names[i]) == 0)
			return (enum dh_format)i;
	if (strcmp(s, "ndjson") == 0)
		return DH_FMT_JSONL;
	return DH_FMT_NONE;
}

const char *
dh_format_name(enum dh_format f)
{
	return fmt_names[f];
}

static int
ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n >= k && memcmp(s + n - k, suf, k) == 0;
}

enum dh_format
dh_format_from_name(const char *path)
{
	static const char *const zs[] = {".gz", ".bz2", ".xz", ".zst", ".zstd", ".lz4"};
	size_t n, i;

	if (path == NULL || strcmp(path, "-") == 0)
		return DH_FMT_NONE;
	n = strlen(path);
	for (i = 0; i < sizeof(zs) / sizeof(zs[0]); i++)
		if (ends_with(path, n, zs[i])) {
			n -= strlen(zs[i]);
			break;
		}
	if (ends_with(path, n, ".csv"))
		return DH_FMT_CSV;
	if (ends_with(path, n, ".tsv"))
		return DH_FMT_TSV;
	if (ends_with(path, n, ".jsonl") || ends_with(path, n, ".ndjson"))
		return DH_FMT_JSONL;
	if (ends_with(path, n, ".json"))
		return DH_FMT_JSON;
	return DH_FMT_NONE;
}

static int
starts_with_bom(struct dh_input *in)
{
	return !in->is_mem && in->line == 0 && in->pos == 0 &&
	       dh_input_peek(in, 3) >= 3 &&
	       memcmp(in->buf, "\xef\xbb\xbf", 3) == 0;
}

enum dh_format
dh_format_of(struct dh_input *in, const char *path, enum dh_format given)
{
	if (given == DH_FMT_NONE)
		given = dh_format_from_name(path);
	return given != DH_FMT_NONE ? given : dh_format_sniff(in);
}

enum dh_format
dh_format_sniff(struct dh_input *in)
{
	size_t have = dh_input_peek(in, 1), i;
	const char *p;

	if (have == 0)
		return DH_FMT_JSONL; /* empty: any reader gives zero records */
	p = in->buf + in->pos;
	if ((unsigned char)p[0] == 0xef && starts_with_bom(in)) {
		p += 3;
		have -= 3;
		if (have == 0)
			return DH_FMT_CSV;
	}
	if (p[0] == '{')
		return DH_FMT_JSONL;
	if (p[0] == '[')
		return DH_FMT_JSON;
	/* look at what is already here of the first line: never block for more */
	for (i = 0; i < have && p[i] != '\n'; i++) {
		if (p[i] == ',')
			return DH_FMT_CSV;
		if (p[i] == '\t')
			return DH_FMT_TSV;
	}
	return DH_FMT_CSV;
}

void
dh_reader_open(struct dh_reader *r, struct dh_input *in, enum dh_format fmt,
	       unsigned flags)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->fmt = fmt;
	r->flags = flags;
	r->sep = '.';
	if (fmt == DH_FMT_CSV)
		dh_csv_init(r);
	/* spreadsheets start CSV with a UTF-8 byte-order mark: not data */
	if ((fmt == DH_FMT_CSV || fmt == DH_FMT_TSV) && starts_with_bom(in))
		in->pos += 3;
}

void
dh_reader_close(struct dh_reader *r)
{
	size_t i;

	dh_csv_free(r);
	if (!r->names_borrowed) {
		for (i = 0; i < r->ncols; i++)
			free(r->names[i]);
		free(r->names);
		free(r->nlens);
	}
	dh_buf_release(&r->err);
	dh_buf_release(&r->rowraw);
	dh_record_release(&r->hdr);
	dh_json_hint_release(&r->hint);
	free(r->keep);
}

void
dh_reader_share_header(struct dh_reader *r, const struct dh_reader *from)
{
	r->names = from->names;
	r->nlens = from->nlens;
	r->ncols = from->ncols;
	r->have_header = from->have_header;
	r->names_borrowed = 1;
}

int
dh_reader_set_header(struct dh_reader *r, const struct dh_record *rec)
{
	size_t i, j;

	for (i = 0; i < rec->n; i++)
		for (j = 0; j < i; j++)
			if (rec->f[j].vlen == rec->f[i].vlen &&
			    memcmp(rec->f[j].val, rec->f[i].val, rec->f[i].vlen) == 0) {
				char q[128];

				dh_buf_reset(&r->err);
				dh_buf_addf(&r->err, "duplicate field name in header: %s",
					    dh_quote(rec->f[i].val, rec->f[i].vlen, q, sizeof(q)));
				return -1;
			}
	r->ncols = rec->n;
	r->names = dh_xreallocarray(NULL, rec->n, sizeof(*r->names));
	r->nlens = dh_xreallocarray(NULL, rec->n, sizeof(*r->nlens));
	for (i = 0; i < rec->n; i++) {
		r->names[i] = dh_xmemdup(rec->f[i].val, rec->f[i].vlen);
		r->nlens[i] = rec->f[i].vlen;
	}
	r->have_header = 1;
	return 0;
}

const unsigned char *
dh_reader_kept(struct dh_reader *r)
{
	size_t i, j, nkept = 0;

	if (r->keep_done || r->want == NULL || !r->have_header)
		return r->keep;
	r->keep_done = 1;
	r->keep = dh_xcalloc(r->ncols + 1, 1);
	/* CSV and TSV values are strings: a path reaches a column by its
	 * whole name, never into it */
	for (i = 0; i < r->ncols; i++)
		for (j = 0; j < r->want->n && !r->keep[i]; j++)
			if (r->want->plens[j] == r->nlens[i] &&
			    memcmp(r->want->paths[j], r->names[i], r->nlens[i]) == 0) {
				r->keep[i] = 1;
				nkept++;
			}
	if (nkept == r->ncols) {
		free(r->keep);
		r->keep = NULL;
	}
	return r->keep;
}

int
dh_reader_name_fields(struct dh_reader *r, struct dh_record *rec)
{
	const unsigned char *keep = dh_reader_kept(r);
	size_t i, j;

	if (rec->n != r->ncols) {
		dh_buf_reset(&r->err);
		dh_buf_addf(&r->err, "expected %zu fields (as the header), found %zu",
			    r->ncols, rec->n);
		return -1;
	}
	for (i = j = 0; i < rec->n; i++) {
		if (keep != NULL && !keep[i])
			continue;
		rec->f[j] = rec->f[i];
		rec->f[j].name = r->names[i];
		rec->f[j].nlen = r->nlens[i];
		j++;
	}
	rec->n = j;
	return 1;
}

static int
reject(struct dh_reader *r, struct dh_record *rec, const char *line,
       size_t len, const char *msg)
{
	dh_buf_reset(&r->err);
	dh_buf_adds(&r->err, msg);
	rec->raw = line;
	rec->rawlen = len;
	return -1;
}

static int
all_space(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

int
dh_reader_jsonl_line(struct dh_reader *r, const char *line, size_t len,
		     unsigned long long lineno, struct dh_record *rec)
{
	struct dh_json_err err;

	dh_record_reset(rec);
	rec->line = lineno;
	rec->raw = line;
	rec->rawlen = len;
	if (all_space(line, len)) {
		if (r->flags & DH_READ_SKIP_BLANK)
			return 0;
		return reject(r, rec, line, len,
			      "blank line (use --skip-blank to ignore blank lines)");
	}
	if (dh_json_scan_hinted(line, len, rec, (r->flags & DH_READ_FLATTEN) != 0, r->sep, &r->hint, r->want, &err) == 0)
		return 1;
	dh_buf_reset(&r->err);
	if (lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		dh_buf_adds(&r->err, "invalid JSON at column 1: a UTF-8 byte-order mark starts the input (JSON text must not have one)");
	else
		dh_json_explain(line, len, &err, &r->err);
	return -1;
}

static int
read_jsonl(struct dh_reader *r, struct dh_record *rec)
{
	const char *line;
	size_t len;
	int rc;

	do {
		if (!dh_input_line(r->in, &line, &len))
			return 0;
		rc = dh_reader_jsonl_line(r, line, len, r->in->line, rec);
	} while (rc == 0);
	return rc;
}

/* TSV: split on tabs; \t \n \r \\ decoded (other backslashes kept). */
static void
tsv_split(struct dh_record *rec, const char *line, size_t len)
{
	const char *p = line, *e = line + len;

	for (;;) {
		const char *t = memchr(p, '\t', (size_t)(e - p));
		const char *fe = t ? t : e;
		size_t n = (size_t)(fe - p);

		if (memchr(p, '\\', n) == NULL) {
			dh_record_add(rec, NULL, 0, p, n, DH_V_STR);
		} else {
			size_t off = rec->arena.len, i;
			char *o = dh_buf_reserve(&rec->arena, n), *o0 = o;

			for (i = 0; i < n; i++) {
				char c = p[i];

				if (c == '\\' && i + 1 < n) {
					char d = p[i + 1];

					if (d == 't' || d == 'n' || d == 'r' || d == '\\') {
						*o++ = d == 't' ? '\t' : d == 'n' ? '\n' : d == 'r' ? '\r' : '\\';
						i++;
						continue;
					}
				}
				*o++ = c;
			}
			rec->arena.len += (size_t)(o - o0);
			dh_record_add(rec, NULL, 0, DH_ARENA_REF(off),
				      (size_t)(o - o0), DH_V_STR);
		}
		if (t == NULL)
			break;
		p = t + 1;
	}
	dh_record_fix(rec);
}

static int
read_tsv(struct dh_reader *r, struct dh_record *rec)
{
	const char *line;
	size_t len;

	for (;;) {
		dh_record_reset(rec);
		if (!dh_input_line(r->in, &line, &len))
			return 0;
		rec->line = r->in->line;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		rec->raw = line;
		rec->rawlen = len;
		/* one column: a blank line is one empty value (TSV cannot quote) */
		if (len == 0 && r->have_header && r->ncols == 1) {
			dh_record_add(rec, NULL, 0, line, 0, DH_V_STR);
			return dh_reader_name_fields(r, rec);
		}
		if (len == 0) {
			if (r->flags & DH_READ_SKIP_BLANK)
				continue;
			return reject(r, rec, line, rec->rawlen,
				      "blank line (use --skip-blank to ignore blank lines)");
		}
		tsv_split(rec, line, len);
		if (!r->have_header) {
			if (dh_reader_set_header(r, rec) != 0)
				dh_die_at(&(struct dh_loc){r->in->loc.name, rec->line},
					  "%s", r->err.data);
			continue;
		}
		return dh_reader_name_fields(r, rec);
	}
}

/*
 * JSON array, read streaming: find each element's end with a structural
 * scan (strings and nesting), then validate it with the record scanner.
 * json_state: 0 before '[', 1 in the array, 2 after ']'.
 */
static int
ensure(struct dh_input *in, size_t off)
{
	while (in->pos + off >= in->end)
		if (dh_input_fill(in) == 0)
			return 0;
	return 1;
}

static void
consume(struct dh_input *in, size_t n)
{
	const char *p = in->buf + in->pos, *e = p + n;

	while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		in->line++;
		p++;
	}
	in->pos += n;
}

static int
skip_ws(struct dh_input *in)
{
	for (;;) {
		if (!ensure(in, 0))
			return 0;
		while (in->pos < in->end) {
			char c = in->buf[in->pos];

			if (c == '\n')
				in->line++;
			else if (c != ' ' && c != '\t' && c != '\r')
				return 1;
			in->pos++;
		}
	}
}

static _Noreturn void
json_fatal(struct dh_reader *r, const char *msg)
{
	dh_die_at(&(struct dh_loc){r->in->loc.name, r->in->line + 1}, "%s", msg);
}

static int
read_json(struct dh_reader *r, struct dh_record *rec)
{
	struct dh_input *in = r->in;
	struct dh_json_err err;

	dh_record_reset(rec);
	if (r->json_state == 0) {
		if (!skip_ws(in))
			return 0; /* empty input */
		if (starts_with_bom(in))
			json_fatal(r, "invalid JSON: a UTF-8 byte-order mark starts the input (JSON text must not have one)");
		if (in->buf[in->pos] != '[')
			json_fatal(r, "invalid JSON: '[' expected (a JSON input is one array of objects; use -f jsonl for one object a line)");
		in->pos++;
		r->json_state = 1;
		if (!skip_ws(in))
			json_fatal(r, "invalid JSON: premature end of input in the array");
		if (in->buf[in->pos] == ']') {
			in->pos++;
			r->json_state = 2;
		}
	} else if (r->json_state == 1) {
		if (!skip_ws(in))
			json_fatal(r, "invalid JSON: premature end of input in the array");
		if (in->buf[in->pos] == ']') {
			in->pos++;
			r->json_state = 2;
		} else if (in->buf[in->pos] == ',') {
			in->pos++;
			if (!skip_ws(in))
				json_fatal(r, "invalid JSON: premature end of input in the array");
		} else {
			json_fatal(r, "invalid JSON: ',' or ']' expected between records");
		}
	}
	if (r->json_state == 2) {
		if (skip_ws(in))
			json_fatal(r, "invalid JSON: end of input expected after the array");
		return 0;
	}
	{
		size_t off = 0;
		int depth = 0, instr = 0;
		const char *p;

		rec->line = in->line + 1;
		for (;;) {
			char c;

			if (!ensure(in, off))
				json_fatal(r, "invalid JSON: premature end of input in a record");
			c = in->buf[in->pos + off];
			if (instr) {
				if (c == '\\')
					off++;
				else if (c == '"')
					instr = 0;
				off++;
				continue;
			}
			if (c == '"') {
				instr = 1;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']') {
				if (depth == 0)
					break;
				if (--depth == 0) {
					off++;
					break;
				}
			} else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' ||
						  c == '\t' || c == '\r')) {
				break;
			}
			off++;
		}
		p = in->buf + in->pos;
		rec->raw = p;
		rec->rawlen = off;
		consume(in, off);
		r->nrec++;
		if (dh_json_scan_hinted(p, off, rec, (r->flags & DH_READ_FLATTEN) != 0, r->sep, &r->hint, r->want, &err) == 0)
			return 1;
		/* located by line; the record number helps in a long array */
		dh_buf_reset(&r->err);
		dh_buf_addf(&r->err, "record %llu: ", r->nrec);
		dh_json_explain(p, off, &err, &r->err);
		return -1;
	}
}

int
dh_read(struct dh_reader *r, struct dh_record *rec)
{
	switch (r->fmt) {
	case DH_FMT_CSV:
		return dh_csv_read(r, rec);
	case DH_FMT_TSV:
		return read_tsv(r, rec);
	case DH_FMT_JSON:
		return read_json(r, rec);
	default:
		return read_jsonl(r, rec);
	}
}
