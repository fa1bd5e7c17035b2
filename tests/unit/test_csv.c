/*
 * The CSV fast path (lines with no quote and no CR, split on commas) must
 * give byte-identical fields to libcsv with CSV_STRICT | CSV_STRICT_FINI
 * and spaces kept.  Random lines are held against libcsv directly, and
 * whole random files are read with and without the fast path.
 */
#include <csv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "json.h"
#include "out.h"
#include "reader.h"
#include "writer.h"
#include "xalloc.h"
#include "unit.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

struct got {
	struct dh_buf fields[64];
	size_t n;
	int rows;
};

static void
cb1(void *s, size_t len, void *data)
{
	struct got *g = data;

	if (g->n < 64) {
		dh_buf_reset(&g->fields[g->n]);
		dh_buf_add(&g->fields[g->n], s, len);
	}
	g->n++;
}

static void
cb2(int c, void *data)
{
	struct got *g = data;

	(void)c;
	g->rows++;
}

static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void
test_split_vs_libcsv(void)
{
	static const char alphabet[] = {'a', 'b', ',', ' ', '\t', '\0', '\\', (char)0xc3, (char)0xa9, 'x', '\'', '"', '"', '\r'};
	int iter, bad = 0, slow = 0, fast = 0, ok, plain;
	struct got g;

	memset(&g, 0, sizeof(g));
	for (iter = 0; iter < 200000; iter++) {
		char line[128];
		size_t len = 1 + next() % 40, i;
		struct dh_record rec = DH_RECORD_INIT;
		struct csv_parser p;

		if (iter % 2 == 0) {
			for (i = 0; i < len; i++)
				line[i] = alphabet[next() % sizeof(alphabet)];
		} else {
			/* fields, some quoted (quotes doubled, mostly) */
			for (len = 0; len < 40;) {
				size_t k = next() % 6;

				if (len > 0)
					line[len++] = ',';
				if (next() % 2) {
					line[len++] = '"';
					for (i = 0; i < k; i++) {
						char c = alphabet[next() % sizeof(alphabet)];

						line[len++] = c;
						if (c == '"' && next() % 8)
							line[len++] = '"';
					}
					line[len++] = '"';
				} else {
					for (i = 0; i < k; i++)
						line[len++] = alphabet[next() % (sizeof(alphabet) - 3)];
				}
				if (next() % 4 == 0)
					break;
			}
			if (len == 0) /* a blank line never gets here */
				line[len++] = 'a';
		}
		line[len] = '\n';
		g.n = 0;
		g.rows = 0;
		csv_init(&p, CSV_STRICT | CSV_STRICT_FINI);
		csv_set_space_func(&p, no_space);
		ok = csv_parse(&p, line, len + 1, cb1, cb2, &g) == len + 1 &&
		     csv_fini(&p, cb1, cb2, &g) == 0;
		csv_free(&p);
		plain = memchr(line, '"', len) == NULL && memchr(line, '\r', len) == NULL;
		if (!dh_csv_split(line, len, &rec, NULL)) {
			/* libcsv takes it; a line of neither quotes nor CRs never */
			bad += plain;
			slow++;
		} else if (!ok || g.rows != 1 || g.n != rec.n) {
			if (bad++ < 3)
				fprintf(stderr, "split: libcsv %s, %zu fields, split %zu: %.*s\n",
					ok ? "accepts" : "rejects", g.n, rec.n, (int)len, line);
		} else {
			fast += !plain;
			for (i = 0; i < rec.n; i++)
				if (rec.f[i].vlen != g.fields[i].len ||
				    memcmp(rec.f[i].val, g.fields[i].data, rec.f[i].vlen) != 0)
					bad++;
		}
		dh_record_release(&rec);
	}
	CHECK(bad == 0);
	/* both ways were taken, quoted lines among the fast ones */
	CHECK(slow > 1000);
	CHECK(fast > 1000);
	for (iter = 0; iter < 64; iter++)
		dh_buf_release(&g.fields[iter]);
}

static int
wanted(const struct dh_json_want *w, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->plens[i] == n && memcmp(w->paths[i], name, n) == 0)
			return 1;
	return 0;
}

/* Read path with flags and the reader's want; serialise every record (or
 * error) into out, only the fields show names (NULL: all). */
static void
read_all(const char *path, unsigned flags, const struct dh_json_want *want,
	 const struct dh_json_want *show, struct dh_buf *out)
{
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	int rc;
	size_t i;

	dh_input_open(&in, path);
	dh_reader_open(&r, &in, DH_FMT_CSV, flags);
	r.want = want;
	while ((rc = dh_read(&r, &rec)) != 0) {
		dh_buf_addf(out, "%d@%llu:", rc, rec.line);
		if (rc < 0) {
			dh_buf_add(out, rec.raw, rec.rawlen);
			dh_buf_addc(out, '\n');
			continue;
		}
		for (i = 0; i < rec.n; i++) {
			if (show != NULL && !wanted(show, rec.f[i].name, rec.f[i].nlen))
				continue;
			dh_buf_addf(out, "[%zu:", rec.f[i].vlen);
			dh_buf_add(out, rec.f[i].name, rec.f[i].nlen);
			dh_buf_addc(out, '=');
			dh_buf_add(out, rec.f[i].val, rec.f[i].vlen);
			dh_buf_addc(out, ']');
		}
		dh_buf_addc(out, '\n');
	}
	dh_reader_close(&r);
	dh_input_close(&in);
	dh_record_release(&rec);
}

static void
test_files(void)
{
	static const char *const cells[] = {"a", "", " b ", "\"q\"", "\"x,y\"", "\"l1\nl2\"", "\"cr\r\nlf\"", "1.5", "\xc3\xa9", "\"\"\"\"", "t\tab", "x\"y", "\"u\"v", "a,b"};
	char path[] = "/tmp/dh-test-csv.XXXXXX";
	int fd = mkstemp(path), round, diff = 0;

	CHECK(fd >= 0);
	for (round = 0; round < 200; round++) {
		struct dh_buf file = DH_BUF_INIT, a = DH_BUF_INIT, b = DH_BUF_INIT;
		int rows = 1 + (int)(next() % 30), cols = 1 + (int)(next() % 5);
		int r, c;

		for (c = 0; c < cols; c++)
			dh_buf_addf(&file, "%sh%d", c ? "," : "", c);
		dh_buf_addc(&file, '\n');
		for (r = 0; r < rows; r++) {
			for (c = 0; c < cols; c++) {
				if (c)
					dh_buf_addc(&file, ',');
				dh_buf_adds(&file, cells[next() % (sizeof(cells) / sizeof(cells[0]))]);
			}
			dh_buf_adds(&file, next() % 4 == 0 ? "\r\n" : "\n");
		}
		if (ftruncate(fd, 0) != 0 || pwrite(fd, file.data, file.len, 0) != (ssize_t)file.len)
			diff++;
		read_all(path, 0, NULL, NULL, &a);
		read_all(path, DH_READ_NO_FASTPATH, NULL, NULL, &b);
		if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
			diff++;
			fprintf(stderr, "fast path differs on:\n%s\n--- fast\n%s--- libcsv\n%s", file.data, a.data, b.data);
		}
		/* under a want (some columns, a name that is none, a dotted
		 * one), both ways keep exactly the named columns, and reject
		 * the same rows with the same counts */
		{
			static const char *const names[] = {"h0", "h1", "h2", "h3", "h4", "hx", "h1.x"};
			struct dh_json_want want = DH_JSON_WANT_INIT;
			struct dh_buf all = DH_BUF_INIT, fast = DH_BUF_INIT, slow = DH_BUF_INIT;
			size_t k;

			for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
				if (next() % 2)
					dh_json_want_add(&want, names[k], strlen(names[k]));
			read_all(path, 0, NULL, &want, &all);
			read_all(path, 0, &want, NULL, &fast);
			read_all(path, DH_READ_NO_FASTPATH, &want, NULL, &slow);
			if (fast.len != all.len || memcmp(fast.data, all.data, all.len) != 0 ||
			    slow.len != all.len || memcmp(slow.data, all.data, all.len) != 0) {
				diff++;
				fprintf(stderr, "want differs on:\n%s\n--- all\n%s--- fast\n%s--- libcsv\n%s",
					file.data, all.data, fast.data, slow.data);
			}
			dh_json_want_release(&want);
			dh_buf_release(&all);
			dh_buf_release(&fast);
			dh_buf_release(&slow);
		}
		dh_buf_release(&file);
		dh_buf_release(&a);
		dh_buf_release(&b);
	}
	close(fd);
	unlink(path);
	CHECK(diff == 0);
}

/* dh_csv_cut against the byte-at-a-time definition: the end of the last
 * newline outside quotes, or 0. */
static size_t
cut_ref(const char *p, size_t n)
{
	size_t i, best = 0;
	int odd = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '"')
			odd = !odd;
		else if (p[i] == '\n' && !odd)
			best = i + 1;
	}
	return best;
}

static void
test_cut(void)
{
	/* 0xa2 and 0x8a: a quote and a newline with the high bit set */
	static const char alphabet[] = "a\n\"\v\x0b,\x01\xff\xa2\x8a";
	char buf[200];
	int round, bad = 0;

	for (round = 0; round < 200000; round++) {
		size_t n = next() % sizeof(buf), i;

		for (i = 0; i < n; i++)
			buf[i] = alphabet[next() % (sizeof(alphabet) - 1)];
		if (dh_csv_cut(buf, n) != cut_ref(buf, n) && bad++ < 5)
			fprintf(stderr, "dh_csv_cut: %zu, expected %zu (n %zu)\n", dh_csv_cut(buf, n),
				cut_ref(buf, n), n);
	}
	CHECK(bad == 0);
}

/*
 * The CSV writer's quoting decisions (16, 8 and 4 bytes a step): values
 * with a comma, quote, CR, LF or backslash at every offset of strings 0
 * to 47 bytes long, written as strings and as JSON string tokens, read
 * back by libcsv as they were.
 */
static void
test_write_quoting(void)
{
	static const char *const special[] = {",", "\"", "\n", "\r", "\\", "x", "\\n", "\"\""};
	char path[] = "/tmp/dh-test-csvw.XXXXXX";
	int fd = mkstemp(path), bad = 0;
	struct dh_out out;
	struct dh_writer w;
	struct dh_buf err = DH_BUF_INIT, tok = DH_BUF_INIT;
	struct dh_buf *vals = NULL;
	size_t nvals = 0, len, at, k, i;
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;

	CHECK(fd >= 0);
	dh_out_open_mem(&out);
	dh_writer_init(&w, &out, DH_FMT_CSV, 0, '.');
	for (len = 0; len < 48; len++)
		for (at = 0; at <= len; at++)
			for (k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
				struct dh_buf v = DH_BUF_INIT;

				unit_special_at(&v, len, at, special[k]);
				dh_buf_reset(&tok);
				bad += dh_json_quote(&tok, v.data, v.len, NULL) != 0;
				dh_record_reset(&rec);
				dh_record_add(&rec, "s", 1, v.data, v.len, DH_V_STR);
				dh_record_add(&rec, "j", 1, tok.data, tok.len, DH_V_JSTR);
				if (dh_write(&w, &rec, &err) != 0)
					bad++;
				vals = dh_xreallocarray(vals, nvals + 1, sizeof(*vals));
				vals[nvals++] = v;
			}
	dh_writer_finish(&w);
	if (pwrite(fd, out.buf, out.len, 0) != (ssize_t)out.len)
		bad++;
	dh_input_open(&in, path);
	dh_reader_open(&r, &in, DH_FMT_CSV, DH_READ_NO_FASTPATH);
	for (i = 0; i < nvals; i++) {
		if (dh_read(&r, &rec) != 1 || rec.n != 2 || rec.f[0].vlen != vals[i].len ||
		    memcmp(rec.f[0].val, vals[i].data, vals[i].len) != 0 ||
		    rec.f[1].vlen != vals[i].len ||
		    memcmp(rec.f[1].val, vals[i].data, vals[i].len) != 0) {
			if (bad++ < 3)
				fprintf(stderr, "CSV writer: value %zu (%s) read back otherwise\n", i,
					vals[i].data);
		}
	}
	CHECK(dh_read(&r, &rec) == 0);
	CHECK(bad == 0);
	dh_reader_close(&r);
	dh_input_close(&in);
	for (i = 0; i < nvals; i++)
		dh_buf_release(&vals[i]);
	free(vals);
	dh_writer_release(&w);
	dh_out_close(&out);
	dh_record_release(&rec);
	dh_buf_release(&err);
	dh_buf_release(&tok);
	close(fd);
	unlink(path);
}

int
main(void)
{
	test_cut();
	test_write_quoting();
	test_split_vs_libcsv();
	test_files();
	return unit_done("test_csv");
}
