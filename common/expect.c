#include "expect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flatten.h"
#include "num.h"
#include "xalloc.h"

static const struct {
	const char *name;
	enum dh_expect_kind kind;
	size_t min, max;  /* arguments */
	size_t nfields;   /* leading arguments that are fields (0: all) */
} kinds[] = {
	{"not_null", DH_EXPECT_NOT_NULL, 1, 1, 1},
	{"exists", DH_EXPECT_EXISTS, 1, 1, 1},
	{"unique", DH_EXPECT_UNIQUE, 1, (size_t)-1, 0},
	{"between", DH_EXPECT_BETWEEN, 3, 3, 1},
	{"match", DH_EXPECT_MATCH, 2, 2, 1},
	{"in", DH_EXPECT_IN, 2, (size_t)-1, 1},
	{"type", DH_EXPECT_TYPE, 2, 2, 1},
	{"rows", DH_EXPECT_ROWS, 2, 2, (size_t)-1},
};

static const char *const types[] = {"string", "number", "bool", "object", "array"};

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
perr(struct dh_buf *err, const char *text, const char *at, const char *fmt, const char *what)
{
	dh_buf_addf(err, "column %zu: ", (size_t)(at - text) + 1);
	dh_buf_addf(err, fmt, what);
	return -1;
}

/* A number for a bound or mostly: all of s[0..n). */
static int
is_number(const char *s, size_t n, double *d)
{
	int64_t i;

	return dh_num_parse(s, n, &i, d) != DH_NUM_NONE;
}

/* Write arg to out as the normalised text has it: bare when it can be. */
static void
put_arg(struct dh_buf *out, const char *a, size_t n, int quote)
{
	size_t i;
	/* a bare "mostly=..." would read back as the option */
	int bare = n > 0 && !quote && !(n >= 7 && memcmp(a, "mostly=", 7) == 0);

	for (i = 0; i < n && bare; i++)
		if (strchr(",()'\" \t", a[i]) != NULL || a[i] == '\0')
			bare = 0;
	if (bare) {
		dh_buf_add(out, a, n);
		return;
	}
	dh_buf_addc(out, '\'');
	for (i = 0; i < n; i++) {
		if (a[i] == '\'')
			dh_buf_addc(out, '\'');
		dh_buf_addc(out, a[i]);
	}
	dh_buf_addc(out, '\'');
}

static void
add_arg(struct dh_expect *e, const char *a, size_t n)
{
	e->args = dh_xreallocarray(e->args, e->nargs + 1, sizeof(*e->args));
	e->alens = dh_xreallocarray(e->alens, e->nargs + 1, sizeof(*e->alens));
	e->args[e->nargs] = dh_xmemdup(a, n);
	e->alens[e->nargs++] = n;
}

/* "mostly=X" as one piece of text: 1 with *v, 0 when it is not one,
 * -1 (err) when X is not a fraction. */
static int
mostly_of(const char *text, const char *p, size_t n, double *v, struct dh_buf *err)
{
	if (n < 7 || memcmp(p, "mostly=", 7) != 0)
		return 0;
	if (!is_number(p + 7, n - 7, v) || !(*v >= 0 && *v <= 1)) {
		dh_buf_addf(err, "column %zu: mostly must be a fraction from 0 to 1, not \"%.*s\"",
			    (size_t)(p + 7 - text) + 1, (int)(n - 7), p + 7);
		return -1;
	}
	return 1;
}

/*
 * Compare two numbers' texts (both dh_num_parse numbers): exactly when
 * both are 64-bit integers, else as long doubles, whose 64-bit mantissa
 * holds every int64 and 2^63 apart (doubles would make 2^63 - 1 and 2^63
 * equal).
 */
static int
num_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int64_t ia, ib;
	double da, db;
	long double la, lb;
	char buf[64];
	size_t n;
	int ka, kb;

	/* both parsed: a text of 64 bytes or more is compared by its double */
	ka = dh_num_parse(a, an, &ia, &da);
	kb = dh_num_parse(b, bn, &ib, &db);

	if (ka == DH_NUM_INT && kb == DH_NUM_INT)
		return ia < ib ? -1 : ia > ib;
	n = an < sizeof(buf) - 1 ? an : sizeof(buf) - 1;
	memcpy(buf, a, n);
	buf[n] = '\0';
	la = an < sizeof(buf) ? strtold(buf, NULL) : (long double)da;
	n = bn < sizeof(buf) - 1 ? bn : sizeof(buf) - 1;
	memcpy(buf, b, n);
	buf[n] = '\0';
	lb = bn < sizeof(buf) ? strtold(buf, NULL) : (long double)db;
	return la < lb ? -1 : la > lb;
}

/*
 * glibc's regcomp copies a repeated group once per repetition, and a
 * quantifier on a quantifier nests the copies: "(a{99}){99}" or "a+++..."
 * takes gigabytes.  0 when the pattern's size with its repetitions
 * unrolled stays under a limit and no quantifier follows another (which
 * POSIX leaves undefined anyway); else -1 with why.
 */
#define RE_MAX_SIZE 100000

static int
re_sane(const char *re, const char **why)
{
	double stack[64], cur = 0, last = 0; /* the size of the last atom */
	int depth = 0, quant = 0;
	const char *p = re;

	while (*p) {
		if (*p == '\\' && p[1] >= '1' && p[1] <= '9') {
			/* glibc takes them, in exponential time */
			*why = "a back-reference, which extended expressions do not have";
			return -1;
		}
		if (*p == '\\' && p[1] != '\0') {
			cur += last = 1;
			quant = 0;
			p += 2;
			continue;
		}
		if (*p == '[') {
			/* a bracket expression: one atom; ']' first is a member */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
					char c = p[1];
					const char *e = p + 2;

					while (*e && !(e[0] == c && e[1] == ']'))
						e++;
					p = *e ? e + 2 : e;
				} else {
					p++;
				}
			}
			if (*p)
				p++;
			cur += last = 1;
			quant = 0;
			continue;
		}
		if (*p == '(') {
			if (depth == 64) {
				*why = "groups nested over 64 deep";
				return -1;
			}
			stack[depth++] = cur;
			cur = 0;
			quant = 0;
			p++;
			continue;
		}
		if (*p == ')' && depth > 0) {
			last = cur + 1;
			cur = stack[--depth] + last;
			quant = 0;
			p++;
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			double times = 2;

			if (quant) {
				*why = "a quantifier after a quantifier (as in \"a+*\")";
				return -1;
			}
			quant = 1;
			if (*p == '{') {
				char *end;
				unsigned long a = strtoul(p + 1, &end, 10), b = a;

				if (*end == ',')
					b = end[1] == '}' ? a + 1 : strtoul(end + 1, &end, 10);
				else
					end--;
				times = (double)(b > a ? b : a) + 1;
				while (*p && *p != '}')
					p++;
				if (*p)
					p++;
			} else {
				p++;
			}
			cur += last * (times - 1);
			last *= times;
			if (cur > RE_MAX_SIZE) {
				*why = "the expression is too big with its repetitions unrolled";
				return -1;
			}
			continue;
		}
		cur += last = 1;
		quant = 0;
		p++;
	}
	return 0;
}

int
dh_expect_parse(struct dh_expect *e, const char *text, struct dh_buf *err)
{
	const char *p = text, *name;
	size_t nlen, k, i;
	struct dh_buf arg = DH_BUF_INIT, norm = DH_BUF_INIT;
	int rc = -1, has_mostly = 0;

	memset(e, 0, sizeof(*e));
	e->mostly = 1;
	while (blank(*p))
		p++;
	name = p;
	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	nlen = (size_t)(p - name);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strlen(kinds[k].name) == nlen && memcmp(kinds[k].name, name, nlen) == 0)
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0])) {
		if (nlen == 0)
			perr(err, text, name, "%sexpected an expectation: not_null, exists, unique, "
					      "between, match, in, type or rows", "");
		else
			dh_buf_addf(err, "column %zu: unknown expectation \"%.*s\" (not_null, exists, "
					 "unique, between, match, in, type or rows)",
				    (size_t)(name - text) + 1, (int)nlen, name);
		goto done;
	}
	e->kind = kinds[k].kind;
	while (blank(*p))
		p++;
	if (*p != '(') {
		perr(err, text, p, "expected '(' after %s", kinds[k].name);
		goto done;
	}
	p++;
	for (;;) {
		const char *start;
		int quoted = 0;

		while (blank(*p))
			p++;
		start = p;
		dh_buf_reset(&arg);
		if (*p == '\'' || *p == '"') {
			char q = *p++;

			quoted = 1;
			for (;;) {
				if (*p == '\0') {
					perr(err, text, start, "%sa quote that does not close", "");
					goto done;
				}
				if (*p == q && p[1] == q) {
					dh_buf_addc(&arg, q);
					p += 2;
				} else if (*p == q) {
					p++;
					break;
				} else {
					dh_buf_addc(&arg, *p++);
				}
			}
		} else {
			while (*p != '\0' && strchr(",()'\"", *p) == NULL)
				p++;
			while (p > start && blank(p[-1]))
				p--;
			dh_buf_add(&arg, start, (size_t)(p - start));
		}
		while (blank(*p))
			p++;
		if (!quoted) {
			double v;
			int m = mostly_of(text, start, arg.len, &v, err);

			if (m < 0)
				goto done;
			if (m > 0) {
				e->mostly = v;
				has_mostly = 1;
				if (*p != ')') {
					perr(err, text, p, "%sexpected ')' after mostly=", "");
					goto done;
				}
			}
			if (m > 0)
				goto close;
		}
		if (arg.len == 0 && !quoted && !(e->kind == DH_EXPECT_BETWEEN && e->nargs > 0) &&
		    e->kind != DH_EXPECT_ROWS) {
			perr(err, text, start, "%sexpected an argument", "");
			goto done;
		}
		add_arg(e, arg.data ? arg.data : "", arg.len);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p != ')') {
			perr(err, text, p, "%sexpected ',' or ')'", "");
			goto done;
		}
	close:
		p++;
		break;
	}
	if (e->nargs < kinds[k].min || e->nargs > kinds[k].max) {
		if (kinds[k].min == kinds[k].max)
			dh_buf_addf(err, "column %zu: %s takes %zu argument%s, not %zu",
				    (size_t)(name - text) + 1, kinds[k].name, kinds[k].min,
				    kinds[k].min == 1 ? "" : "s", e->nargs);
		else
			dh_buf_addf(err, "column %zu: %s takes at least %zu arguments, not %zu",
				    (size_t)(name - text) + 1, kinds[k].name, kinds[k].min, e->nargs);
		goto done;
	}
	while (blank(*p))
		p++;
	if (*p != '\0') {
		const char *m = p;
		double v;
		int r;

		while (*p != '\0' && !blank(*p))
			p++;
		r = mostly_of(text, m, (size_t)(p - m), &v, err);
		if (r < 0)
			goto done;
		if (r == 0 || has_mostly) {
			perr(err, text, m, "%sexpected the end, or mostly=FRACTION", "");
			goto done;
		}
		e->mostly = v;
		has_mostly = 1;
		while (blank(*p))
			p++;
		if (*p != '\0') {
			perr(err, text, p, "%sexpected the end", "");
			goto done;
		}
	}
	if (has_mostly && e->kind == DH_EXPECT_ROWS) {
		perr(err, text, name, "%srows counts the whole input: it takes no mostly", "");
		goto done;
	}
	e->nfields = kinds[k].nfields == 0 ? e->nargs : kinds[k].nfields == (size_t)-1 ? 0
										: kinds[k].nfields;
	/* the arguments that are not fields */
	if (e->kind == DH_EXPECT_BETWEEN || e->kind == DH_EXPECT_ROWS) {
		size_t b = e->kind == DH_EXPECT_ROWS ? 0 : 1;

		for (i = b; i < b + 2; i++) {
			double v;
			int64_t iv;

			if (e->alens[i] == 0)
				continue;
			if (!is_number(e->args[i], e->alens[i], &v) ||
			    (e->kind == DH_EXPECT_ROWS &&
			     (dh_num_parse(e->args[i], e->alens[i], &iv, &v) != DH_NUM_INT || iv < 0))) {
				dh_buf_addf(err, "column %zu: %s: not a %s: \"%s\"",
					    (size_t)(name - text) + 1, kinds[k].name,
					    e->kind == DH_EXPECT_ROWS ? "count" : "number", e->args[i]);
				goto done;
			}
			if (i == b) {
				e->has_lo = 1;
				e->lo = e->args[i];
			} else {
				e->has_hi = 1;
				e->hi = e->args[i];
			}
		}
		if (e->has_lo && e->has_hi && num_cmp(e->lo, strlen(e->lo), e->hi, strlen(e->hi)) > 0) {
			dh_buf_addf(err, "column %zu: %s: the low bound %s is above the high %s",
				    (size_t)(name - text) + 1, kinds[k].name, e->lo, e->hi);
			goto done;
		}
	} else if (e->kind == DH_EXPECT_MATCH) {
		const char *why;
		int r;

		if (strlen(e->args[1]) != e->alens[1]) {
			dh_buf_addf(err, "column %zu: match: a NUL byte in the expression",
				    (size_t)(name - text) + 1);
			goto done;
		}
		if (re_sane(e->args[1], &why) != 0) {
			dh_buf_addf(err, "column %zu: match: %s", (size_t)(name - text) + 1, why);
			goto done;
		}
		r = regcomp(&e->re, e->args[1], REG_EXTENDED | REG_NOSUB);
		if (r != 0) {
			char why[256];

			regerror(r, &e->re, why, sizeof(why));
			dh_buf_addf(err, "column %zu: match: not a regular expression: %s",
				    (size_t)(name - text) + 1, why);
			goto done;
		}
		e->has_re = 1;
	} else if (e->kind == DH_EXPECT_TYPE) {
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcmp(e->args[1], types[i]) == 0)
				break;
		if (i == sizeof(types) / sizeof(types[0])) {
			dh_buf_addf(err, "column %zu: type: no type \"%s\" (string, number, bool, object "
					 "or array)", (size_t)(name - text) + 1, e->args[1]);
			goto done;
		}
	}
	for (i = 0; i < e->nfields; i++)
		if (e->alens[i] == 0) {
			dh_buf_addf(err, "column %zu: %s: an empty field name",
				    (size_t)(name - text) + 1, kinds[k].name);
			goto done;
		}
	dh_buf_adds(&norm, kinds[k].name);
	dh_buf_addc(&norm, '(');
	for (i = 0; i < e->nargs; i++) {
		if (i > 0)
			dh_buf_addc(&norm, ',');
		if (e->alens[i] == 0 && (e->kind == DH_EXPECT_BETWEEN || e->kind == DH_EXPECT_ROWS))
			continue; /* no bound */
		put_arg(&norm, e->args[i], e->alens[i], e->kind == DH_EXPECT_MATCH && i == 1);
	}
	dh_buf_addc(&norm, ')');
	if (has_mostly) {
		char t[32];

		dh_num_fmt(e->mostly, t);
		dh_buf_addf(&norm, " mostly=%s", t);
	}
	e->text = dh_buf_detach(&norm, NULL);
	dh_keyset_init(&e->seen, 0, 0);
	rc = 0;
done:
	dh_buf_release(&arg);
	dh_buf_release(&norm);
	if (rc != 0)
		dh_expect_release(e);
	return rc;
}

static void
clear_samples(struct dh_expect *e)
{
	size_t i;

	for (i = 0; i < e->nsamples; i++) {
		free(e->samples[i].file);
		free(e->samples[i].record);
	}
	e->nsamples = 0;
}

void
dh_expect_reset(struct dh_expect *e, size_t max_samples)
{
	clear_samples(e);
	e->max_samples = max_samples;
	e->records = e->held = e->unexpected = 0;
	if (e->kind == DH_EXPECT_UNIQUE) {
		dh_keyset_release(&e->seen);
		dh_keyset_init(&e->seen, 0, 0);
	}
}

static void
sample(struct dh_expect *e, const struct dh_record *rec, const char *file)
{
	struct dh_expect_sample *s;

	e->unexpected++;
	if (e->nsamples >= e->max_samples)
		return;
	e->samples = dh_xreallocarray(e->samples, e->nsamples + 1, sizeof(*e->samples));
	s = &e->samples[e->nsamples++];
	s->file = dh_xstrdup(file);
	s->line = rec->line;
	s->len = rec->rawlen;
	/* a CSV row's raw bytes end in its newline: not part of the record */
	while (s->len > 0 && (rec->raw[s->len - 1] == '\n' || rec->raw[s->len - 1] == '\r'))
		s->len--;
	s->record = dh_xmemdup(rec->raw ? rec->raw : "", s->len);
}

static int
is_null(const struct dh_field *f)
{
	return f->type == DH_V_NULL || (f->type == DH_V_STR && f->vlen == 0);
}

/* Is v (a number, or text of one) within the bounds? */
static int
within(const struct dh_expect *e, const char *v, size_t n)
{
	int64_t iv;
	double dv;

	if (dh_num_parse(v, n, &iv, &dv) == DH_NUM_NONE)
		return 0;
	if (e->has_lo && num_cmp(v, n, e->lo, strlen(e->lo)) < 0)
		return 0;
	if (e->has_hi && num_cmp(v, n, e->hi, strlen(e->hi)) > 0)
		return 0;
	return 1;
}

static int
of_type(const struct dh_field *f, const char *t)
{
	int64_t i;
	double d;

	switch (f->type) {
	case DH_V_STR:
		if (strcmp(t, "string") == 0)
			return 1;
		if (strcmp(t, "number") == 0)
			return dh_num_parse(f->val, f->vlen, &i, &d) != DH_NUM_NONE;
		if (strcmp(t, "bool") == 0)
			return (f->vlen == 4 && memcmp(f->val, "true", 4) == 0) ||
			       (f->vlen == 5 && memcmp(f->val, "false", 5) == 0);
		return 0;
	case DH_V_JSTR: return strcmp(t, "string") == 0;
	case DH_V_NUM: return strcmp(t, "number") == 0;
	case DH_V_TRUE:
	case DH_V_FALSE: return strcmp(t, "bool") == 0;
	case DH_V_OBJ: return strcmp(t, "object") == 0;
	case DH_V_ARR: return strcmp(t, "array") == 0;
	default: return 0;
	}
}

void
dh_expect_feed(struct dh_expect *e, const struct dh_record *rec, const char *file)
{
	struct dh_field f;
	const char *v;
	size_t n, i;
	int ok = 1;

	e->records++;
	switch (e->kind) {
	case DH_EXPECT_ROWS:
		return;
	case DH_EXPECT_NOT_NULL:
	case DH_EXPECT_EXISTS:
		e->held++;
		if (!dh_record_lookup(rec, e->args[0], e->alens[0], '.', &f) ||
		    (e->kind == DH_EXPECT_NOT_NULL && is_null(&f)))
			sample(e, rec, file);
		return;
	case DH_EXPECT_UNIQUE: {
		struct dh_key k;

		for (i = 0; i < e->nfields; i++)
			if (!dh_record_lookup(rec, e->args[i], e->alens[i], '.', &f) || is_null(&f))
				return;
		if (dh_canon_fields(&e->canon, rec, e->args, e->alens, e->nfields, &e->scratch) != 0)
			return;
		e->held++;
		k = dh_key_of(e->canon.out.data, e->canon.out.len);
		if (!dh_keyset_put(&e->seen, k, 0, NULL))
			sample(e, rec, file);
		return;
	}
	default:
		break;
	}
	if (!dh_record_lookup(rec, e->args[0], e->alens[0], '.', &f) || is_null(&f))
		return;
	e->held++;
	switch (e->kind) {
	case DH_EXPECT_BETWEEN:
		if (f.type == DH_V_NUM || f.type == DH_V_STR || f.type == DH_V_JSTR) {
			dh_field_text(&f, &e->scratch, &v, &n);
			ok = within(e, v, n);
		} else {
			ok = 0;
		}
		break;
	case DH_EXPECT_TYPE:
		ok = of_type(&f, e->args[1]);
		break;
	case DH_EXPECT_IN:
		dh_field_text(&f, &e->scratch, &v, &n);
		ok = 0;
		for (i = 1; i < e->nargs && !ok; i++)
			ok = e->alens[i] == n && memcmp(e->args[i], v, n) == 0;
		break;
	case DH_EXPECT_MATCH: {
		struct dh_buf z = DH_BUF_INIT;

		dh_field_text(&f, &e->scratch, &v, &n);
		/* regexec reads up to a NUL: a value holding one cannot match whole */
		if (memchr(v, '\0', n) != NULL) {
			ok = 0;
		} else {
			dh_buf_add(&z, v, n);
			dh_buf_addc(&z, '\0');
			ok = regexec(&e->re, z.data, 0, NULL, 0) == 0;
		}
		dh_buf_release(&z);
		break;
	}
	default:
		break;
	}
	if (!ok)
		sample(e, rec, file);
}

int
dh_expect_ok(const struct dh_expect *e)
{
	if (e->kind == DH_EXPECT_ROWS) {
		int64_t b;
		double d;

		if (e->has_lo && dh_num_parse(e->lo, strlen(e->lo), &b, &d) == DH_NUM_INT &&
		    e->records < (unsigned long long)b)
			return 0;
		if (e->has_hi && dh_num_parse(e->hi, strlen(e->hi), &b, &d) == DH_NUM_INT &&
		    e->records > (unsigned long long)b)
			return 0;
		return 1;
	}
	if (e->held == 0)
		return 1;
	return (double)(e->held - e->unexpected) / (double)e->held >= e->mostly;
}

double
dh_expect_percent(const struct dh_expect *e)
{
	return e->held == 0 ? 0 : 100.0 * (double)e->unexpected / (double)e->held;
}

void
dh_expect_release(struct dh_expect *e)
{
	size_t i;

	clear_samples(e);
	free(e->samples);
	for (i = 0; i < e->nargs; i++)
		free(e->args[i]);
	free(e->args);
	free(e->alens);
	free(e->text);
	if (e->has_re)
		regfree(&e->re);
	dh_keyset_release(&e->seen);
	dh_canon_release(&e->canon);
	dh_buf_release(&e->scratch);
	memset(e, 0, sizeof(*e));
}
