/* agg: aggregators, their states, results and saved states. */
#include "agg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "flatten.h"
#include "json.h"
#include "xalloc.h"

static const struct {
	const char *name;
	enum dh_agg_kind kind;
	unsigned needs;
} kinds[] = {
	{"count", DH_AGG_COUNT, 0},
	{"nulls", DH_AGG_NULLS, 0},
	{"sum", DH_AGG_SUM, DH_AGG_NUM | DH_AGG_SUM_V},
	{"mean", DH_AGG_MEAN, DH_AGG_NUM | DH_AGG_SUM_V},
	{"min", DH_AGG_MIN, DH_AGG_NUM},
	{"max", DH_AGG_MAX, DH_AGG_NUM},
	{"var", DH_AGG_VAR, DH_AGG_NUM | DH_AGG_SQUARES},
	{"stddev", DH_AGG_STDDEV, DH_AGG_NUM | DH_AGG_SQUARES},
	{"median", DH_AGG_MEDIAN, DH_AGG_NUM | DH_AGG_VALUES},
	{"first", DH_AGG_FIRST, DH_AGG_FIRST_V},
	{"last", DH_AGG_LAST, DH_AGG_LAST_V},
	{"distinct", DH_AGG_DISTINCT, DH_AGG_DIST},
	{"approx_distinct", DH_AGG_APPROX, DH_AGG_HLL},
};

/* pNN: p0 to p100, a fraction allowed (p99.9). */
static int
parse_pct(const char *s, size_t n, double *p)
{
	int64_t i;

	if (n < 2 || s[0] != 'p' || s[1] < '0' || s[1] > '9')
		return -1;
	switch (dh_num_parse(s + 1, n - 1, &i, p)) {
	case DH_NUM_INT:
	case DH_NUM_FLOAT:
		break;
	default:
		return -1;
	}
	return memchr(s, 'e', n) || memchr(s, 'E', n) || *p < 0 || *p > 100 ? -1 : 0;
}

static int
field_index(struct dh_agg_spec *s, const char *path, size_t plen)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].plen == plen && memcmp(s->fields[i].path, path, plen) == 0)
			return (int)i;
	s->fields = dh_xreallocarray(s->fields, s->nfields + 1, sizeof(*s->fields));
	s->fields[s->nfields].path = dh_xmemdup(path, plen);
	s->fields[s->nfields].plen = plen;
	s->fields[s->nfields].needs = 0;
	return (int)s->nfields++;
}

int
dh_agg_spec_parse(struct dh_agg_spec *s, const char *list, struct dh_buf *err)
{
	const char *p = list;
	struct dh_buf text = DH_BUF_INIT;
	size_t i, j;

	memset(s, 0, sizeof(*s));
	for (;;) {
		const char *end = strchr(p, ','), *colon;
		size_t n = end ? (size_t)(end - p) : strlen(p), an;
		struct dh_agg_item it = {DH_AGG_COUNT, -1, 0, NULL};
		unsigned needs = 0;
		int found = 0;

		colon = memchr(p, ':', n);
		an = colon ? (size_t)(colon - p) : n;
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strlen(kinds[i].name) == an && memcmp(kinds[i].name, p, an) == 0) {
				it.kind = kinds[i].kind;
				needs = kinds[i].needs;
				found = 1;
			}
		if (!found && an >= 2 && p[0] == 'p' && p[1] >= '0' && p[1] <= '9' &&
		    parse_pct(p, an, &it.pct) != 0) {
			dh_buf_addf(err, "'%.*s': a percentile is p0 to p100 (p50, p99.9)", (int)an, p);
			goto fail;
		}
		if (!found && parse_pct(p, an, &it.pct) == 0) {
			it.kind = DH_AGG_PCT;
			needs = DH_AGG_NUM | DH_AGG_VALUES;
			found = 1;
		}
		if (!found) {
			dh_buf_addf(err, "unknown aggregator '%.*s' (count, nulls, sum, mean, min, "
					 "max, var, stddev, median, pNN, first, last, distinct, "
					 "approx_distinct)", (int)an, p);
			goto fail;
		}
		if (colon == NULL && it.kind != DH_AGG_COUNT) {
			dh_buf_addf(err, "'%.*s' needs a field: %.*s:FIELD", (int)an, p, (int)an, p);
			goto fail;
		}
		if (colon != NULL) {
			size_t plen = n - an - 1;

			if (plen == 0) {
				dh_buf_addf(err, "'%.*s': an empty field name", (int)n, p);
				goto fail;
			}
			it.field = field_index(s, colon + 1, plen);
			s->fields[it.field].needs |= needs;
			it.name = dh_xreallocarray(NULL, plen + an + 2, 1);
			memcpy(it.name, colon + 1, plen);
			it.name[plen] = '_';
			memcpy(it.name + plen + 1, p, an);
			it.name[plen + 1 + an] = '\0';
		} else {
			it.name = dh_xstrdup("count");
		}
		for (j = 0; j < s->nitems; j++)
			if (strcmp(s->items[j].name, it.name) == 0) {
				dh_buf_addf(err, "'%.*s' is listed twice", (int)n, p);
				free(it.name);
				goto fail;
			}
		s->items = dh_xreallocarray(s->items, s->nitems + 1, sizeof(*s->items));
		s->items[s->nitems++] = it;
		dh_buf_addf(&text, "%s%.*s", text.len ? "," : "", (int)n, p);
		if (end == NULL)
			break;
		p = end + 1;
	}
	s->text = text.data;
	return 0;
fail:
	dh_buf_release(&text);
	dh_agg_spec_release(s);
	return -1;
}

void
dh_agg_spec_release(struct dh_agg_spec *s)
{
	size_t i;

	for (i = 0; i < s->nitems; i++)
		free(s->items[i].name);
	for (i = 0; i < s->nfields; i++)
		free(s->fields[i].path);
	free(s->items);
	free(s->fields);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

static void
fstate_init(const struct dh_agg_field *fd, struct dh_agg_fstate *f)
{
	memset(f, 0, sizeof(*f));
	if (fd->needs & (DH_AGG_VALUES | DH_AGG_FIRST_V | DH_AGG_LAST_V | DH_AGG_DIST | DH_AGG_HLL))
		f->m = dh_xcalloc(1, sizeof(*f->m));
	if (fd->needs & DH_AGG_DIST) {
		f->m->dist = dh_xcalloc(1, sizeof(*f->m->dist));
		dh_keyset_init(f->m->dist, 0, 0);
		f->m->dist->first_cap = 8;
	}
	if (fd->needs & DH_AGG_HLL)
		f->m->hll = dh_xcalloc(1, sizeof(*f->m->hll));
}

static void
fstate_free(struct dh_agg_fstate *f)
{
	dh_xsum_release(&f->xs);
	dh_xsum_release(&f->xsq);
	if (f->m == NULL)
		return;
	free(f->m->vals);
	free(f->m->first.p);
	free(f->m->last.p);
	if (f->m->dist != NULL) {
		dh_keyset_release(f->m->dist);
		free(f->m->dist);
	}
	if (f->m->hll != NULL) {
		dh_hll_release(f->m->hll);
		free(f->m->hll);
	}
	free(f->m);
	f->m = NULL;
}

struct dh_agg_state *
dh_agg_new(const struct dh_agg_spec *s)
{
	struct dh_agg_state *st =
		dh_xcalloc(1, sizeof(*st) + s->nfields * sizeof(struct dh_agg_fstate));
	size_t i;

	for (i = 0; i < s->nfields; i++)
		fstate_init(&s->fields[i], &st->f[i]);
	return st;
}

void
dh_agg_free(const struct dh_agg_spec *s, struct dh_agg_state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < s->nfields; i++)
		fstate_free(&st->f[i]);
	free(st);
}

void
dh_agg_clear(const struct dh_agg_spec *s, struct dh_agg_state *st)
{
	size_t i;

	st->count = 0;
	for (i = 0; i < s->nfields; i++) {
		fstate_free(&st->f[i]);
		fstate_init(&s->fields[i], &st->f[i]);
	}
}

void
dh_agg_scratch_release(struct dh_agg_scratch *sc)
{
	dh_buf_release(&sc->text);
	dh_buf_release(&sc->err);
	dh_canon_release(&sc->canon);
	free(sc->fv);
	free(sc->present);
	free(sc->iv);
	free(sc->dv);
	free(sc->kind);
	memset(sc, 0, sizeof(*sc));
}

static void
val_set(struct dh_agg_val *v, enum dh_vtype type, const char *p, size_t n)
{
	if (v->cap < n + 1) {
		v->cap = n + 16;
		free(v->p);
		v->p = dh_xmalloc(v->cap);
	}
	memcpy(v->p, p, n);
	v->len = n;
	v->type = type;
}

static int
is_null(const struct dh_field *f)
{
	return f->type == DH_V_NULL || f->vlen == 0 || (f->type == DH_V_JSTR && f->vlen == 2);
}

static void
scratch_size(struct dh_agg_scratch *sc, size_t n)
{
	if (sc->n >= n)
		return;
	sc->fv = dh_xreallocarray(sc->fv, n, sizeof(*sc->fv));
	sc->present = dh_xreallocarray(sc->present, n, sizeof(*sc->present));
	sc->iv = dh_xreallocarray(sc->iv, n, sizeof(*sc->iv));
	sc->dv = dh_xreallocarray(sc->dv, n, sizeof(*sc->dv));
	sc->kind = dh_xreallocarray(sc->kind, n, sizeof(*sc->kind));
	sc->n = n;
}

/* The value of field i as a number into the scratch: 0 or -1 (err). */
static int
number_of(const struct dh_agg_spec *s, size_t i, struct dh_agg_scratch *sc)
{
	const struct dh_field *v = &sc->fv[i];
	const char *p = v->val;
	size_t n = v->vlen;
	char q[80];

	if (v->type == DH_V_JSTR || v->type == DH_V_STR)
		dh_field_text(v, &sc->text, &p, &n);
	sc->kind[i] = DH_NUM_NONE;
	if (v->type == DH_V_NUM || v->type == DH_V_STR || v->type == DH_V_JSTR)
		sc->kind[i] = dh_num_parse(p, n, &sc->iv[i], &sc->dv[i]);
	if (sc->kind[i] == DH_NUM_NONE) {
		dh_buf_reset(&sc->err);
		dh_buf_addf(&sc->err, "field \"%s\": not a number: %s", s->fields[i].path,
			    dh_quote(p, n, q, sizeof(q)));
		return -1;
	}
	if (sc->kind[i] == DH_NUM_FLOAT && !isfinite(sc->dv[i])) {
		dh_buf_reset(&sc->err);
		dh_buf_addf(&sc->err, "field \"%s\": number out of range: %s", s->fields[i].path,
			    dh_quote(p, n, q, sizeof(q)));
		return -1;
	}
	if (sc->kind[i] == DH_NUM_BIG && (s->fields[i].needs & DH_AGG_SUM_V)) {
		dh_buf_reset(&sc->err);
		dh_buf_addf(&sc->err, "field \"%s\": integer beyond 64 bits: %s",
			    s->fields[i].path, dh_quote(p, n, q, sizeof(q)));
		return -1;
	}
	return 0;
}

static void
add_number(struct dh_agg_fstate *f, unsigned needs, enum dh_num_kind kind, int64_t iv,
	   double dv)
{
	f->num++;
	if (kind == DH_NUM_INT) {
		f->isum += iv; /* 128 bits: no int64 terms overflow it */
		/* the first integer may come after other numbers */
		if (f->num - f->nfloat == 1 || iv < f->imin)
			f->imin = iv;
		if (f->num - f->nfloat == 1 || iv > f->imax)
			f->imax = iv;
	} else {
		f->nfloat++;
		dh_xsum_add(&f->xs, dv);
	}
	if (f->num == 1 || dv < f->dmin)
		f->dmin = dv;
	if (f->num == 1 || dv > f->dmax)
		f->dmax = dv;
	if (needs & DH_AGG_SQUARES) {
		if (kind == DH_NUM_INT)
			dh_xsum_add_square_int(&f->xsq, iv);
		else
			dh_xsum_add_square(&f->xsq, dv);
	}
	if (needs & DH_AGG_VALUES) {
		if (f->m->nvals == f->m->capvals) {
			f->m->capvals = f->m->capvals ? 2 * f->m->capvals : 4;
			f->m->vals = dh_xreallocarray(f->m->vals, f->m->capvals, sizeof(*f->m->vals));
		}
		f->m->vals[f->m->nvals++] = dv;
	}
}

static struct dh_key
value_key(const struct dh_field *v, struct dh_agg_scratch *sc)
{
	dh_buf_reset(&sc->canon.out);
	dh_canon_value(&sc->canon.out, v->type, v->val, v->vlen, &sc->canon.scratch);
	return dh_key_of(sc->canon.out.data, sc->canon.out.len);
}

int
dh_agg_prepare(const struct dh_agg_spec *s, const struct dh_record *rec,
	       struct dh_agg_scratch *sc, unsigned long long *invalid)
{
	size_t i;

	scratch_size(sc, s->nfields);
	for (i = 0; i < s->nfields; i++) {
		const struct dh_agg_field *fd = &s->fields[i];

		sc->present[i] = dh_record_lookup(rec, fd->path, fd->plen, '.', &sc->fv[i]) &&
				 !is_null(&sc->fv[i]);
		if (sc->present[i] && (fd->needs & DH_AGG_NUM) && number_of(s, i, sc) != 0) {
			if (!s->skip_invalid)
				return -1;
			sc->kind[i] = DH_NUM_NONE;
			(*invalid)++;
		}
	}
	return 0;
}

int
dh_agg_apply(const struct dh_agg_spec *s, struct dh_agg_state *st, struct dh_agg_scratch *sc)
{
	size_t i;

	st->count++;
	for (i = 0; i < s->nfields; i++) {
		const struct dh_agg_field *fd = &s->fields[i];
		struct dh_agg_fstate *f = &st->f[i];
		const struct dh_field *v = &sc->fv[i];

		if (!sc->present[i]) {
			f->nulls++;
			continue;
		}
		f->cnt++;
		if ((fd->needs & DH_AGG_NUM) && sc->kind[i] != DH_NUM_NONE)
			add_number(f, fd->needs, sc->kind[i], sc->iv[i], sc->dv[i]);
		if ((fd->needs & DH_AGG_FIRST_V) && f->cnt == 1) {
			val_set(&f->m->first, v->type, v->val, v->vlen);
			f->m->first_pos = sc->pos;
		}
		if (fd->needs & DH_AGG_LAST_V) {
			val_set(&f->m->last, v->type, v->val, v->vlen);
			f->m->last_pos = sc->pos;
		}
		if (fd->needs & (DH_AGG_DIST | DH_AGG_HLL)) {
			struct dh_key k = value_key(v, sc);

			if (f->m->dist != NULL)
				dh_keyset_put(f->m->dist, k, 0, NULL);
			if (f->m->hll != NULL)
				dh_hll_add(f->m->hll, k.lo);
		}
	}
	return 0;
}

static void
merge_field(struct dh_agg_fstate *d, const struct dh_agg_fstate *s)
{
	if (s->num > 0) {
		d->isum += s->isum;
		if (d->num - d->nfloat == 0 || (s->num - s->nfloat > 0 && s->imin < d->imin))
			d->imin = s->imin;
		if (d->num - d->nfloat == 0 || (s->num - s->nfloat > 0 && s->imax > d->imax))
			d->imax = s->imax;
		if (d->num == 0 || s->dmin < d->dmin)
			d->dmin = s->dmin;
		if (d->num == 0 || s->dmax > d->dmax)
			d->dmax = s->dmax;
		dh_xsum_merge(&d->xs, &s->xs);
		dh_xsum_merge(&d->xsq, &s->xsq);
		if (s->m != NULL && d->m != NULL && s->m->nvals > 0) {
			if (d->m->nvals + s->m->nvals > d->m->capvals) {
				d->m->capvals = d->m->nvals + s->m->nvals;
				d->m->vals = dh_xreallocarray(d->m->vals, d->m->capvals, sizeof(*d->m->vals));
			}
			memcpy(d->m->vals + d->m->nvals, s->m->vals, s->m->nvals * sizeof(*s->m->vals));
			d->m->nvals += s->m->nvals;
		}
		d->num += s->num;
		d->nfloat += s->nfloat;
	}
	if (s->m == NULL || d->m == NULL)
		goto counts;
	if (s->m->first.len > 0 && (d->m->first.len == 0 || s->m->first_pos < d->m->first_pos)) {
		val_set(&d->m->first, s->m->first.type, s->m->first.p, s->m->first.len);
		d->m->first_pos = s->m->first_pos;
	}
	if (s->m->last.len > 0 && (d->m->last.len == 0 || s->m->last_pos >= d->m->last_pos)) {
		val_set(&d->m->last, s->m->last.type, s->m->last.p, s->m->last.len);
		d->m->last_pos = s->m->last_pos;
	}
	if (s->m->dist != NULL && d->m->dist != NULL) {
		size_t i;

		for (i = 0; i < s->m->dist->cap; i++)
			if (dh_keyset_used(s->m->dist, i))
				dh_keyset_put(d->m->dist, dh_keyset_key(s->m->dist, i), 0, NULL);
	}
	if (s->m->hll != NULL && d->m->hll != NULL)
		dh_hll_merge(d->m->hll, s->m->hll);
counts:
	d->cnt += s->cnt;
	d->nulls += s->nulls;
}

int
dh_agg_merge(const struct dh_agg_spec *s, struct dh_agg_state *dst,
	     const struct dh_agg_state *src, struct dh_buf *err)
{
	size_t i;

	(void)err; /* nothing fails: sums add in 128 bits and exactly */
	for (i = 0; i < s->nfields; i++)
		merge_field(&dst->f[i], &src->f[i]);
	dst->count += src->count;
	return 0;
}

/* Numbers in order, -0 before 0: one order whatever they came in. */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	if (x == y)
		return (signbit(y) != 0) - (signbit(x) != 0);
	return (x > y) - (x < y);
}

static int
cmp_key(const void *a, const void *b)
{
	const struct dh_key *x = a, *y = b;

	if (x->hi != y->hi)
		return (x->hi > y->hi) - (x->hi < y->hi);
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Type 7: linear between the closest ranks of the sorted values. */
static double
percentile(const double *v, size_t n, double p)
{
	double h = (double)(n - 1) * p / 100, lo = floor(h);
	size_t i = (size_t)lo;
	double f = h - lo, r;

	if (i + 1 >= n || h == lo)
		return v[i < n ? i : n - 1];
	r = v[i] + f * (v[i + 1] - v[i]);
	/* the difference of two huge values of other signs overflows */
	return isfinite(r) ? r : v[i] * (1 - f) + v[i + 1] * f;
}

static void
put_num(struct dh_record *out, const char *name, double d)
{
	char b[32];
	size_t n = dh_num_fmt(d, b);

	dh_record_add(out, name, strlen(name), DH_ARENA_REF(dh_record_stash(out, b, n)), n,
		      DH_V_NUM);
}

static void
put_int(struct dh_record *out, const char *name, int64_t v)
{
	char b[24];
	size_t n = dh_num_fmt_int(v, b);

	dh_record_add(out, name, strlen(name), DH_ARENA_REF(dh_record_stash(out, b, n)), n,
		      DH_V_NUM);
}

static void
put_null(struct dh_record *out, const char *name)
{
	dh_record_add(out, name, strlen(name), "null", 4, DH_V_NULL);
}

static void
put_val(struct dh_record *out, const char *name, const struct dh_agg_val *v)
{
	if (v->len == 0) {
		put_null(out, name);
		return;
	}
	dh_record_add(out, name, strlen(name), DH_ARENA_REF(dh_record_stash(out, v->p, v->len)),
		      v->len, v->type);
}

/* v in decimal, into b (48 bytes). */
static const char *
i128_text(__int128 v, char b[48])
{
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	char *p = b + 47;

	*p = '\0';
	do {
		*--p = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u > 0);
	if (v < 0)
		*--p = '-';
	return p;
}

/* The exact total of a field's numbers, rounded once. */
static double
total(struct dh_agg_fstate *f)
{
	struct dh_xsum x = DH_XSUM_INIT;
	double r;

	if (f->nfloat == 0 && f->isum >= INT64_MIN && f->isum <= INT64_MAX)
		return (double)(int64_t)f->isum;
	dh_xsum_merge(&x, &f->xs);
	dh_xsum_add_i128(&x, f->isum);
	r = dh_xsum_value(&x);
	dh_xsum_release(&x);
	return r;
}

int
dh_agg_result(const struct dh_agg_spec *s, struct dh_agg_state *st, struct dh_record *out,
	      struct dh_buf *err)
{
	size_t i;

	for (i = 0; i < s->nitems; i++) {
		const struct dh_agg_item *it = &s->items[i];
		struct dh_agg_fstate *f = it->field >= 0 ? &st->f[it->field] : NULL;
		int ints = f != NULL && f->nfloat == 0;
		double t;

		switch (it->kind) {
		case DH_AGG_COUNT:
			put_int(out, it->name, (int64_t)(f ? f->cnt : st->count));
			break;
		case DH_AGG_NULLS: put_int(out, it->name, (int64_t)f->nulls); break;
		case DH_AGG_SUM:
			if (ints) {
				char b[48];

				if (f->isum < INT64_MIN || f->isum > INT64_MAX) {
					dh_buf_addf(err, "field \"%s\": the integer sum overflows 64 "
							 "bits: %s", s->fields[it->field].path,
						    i128_text(f->isum, b));
					return -1;
				}
				put_int(out, it->name, (int64_t)f->isum);
				break;
			}
			t = total(f);
			if (!isfinite(t)) {
				dh_buf_addf(err, "field \"%s\": the sum is beyond the range of a "
						 "double", s->fields[it->field].path);
				return -1;
			}
			put_num(out, it->name, t);
			break;
		case DH_AGG_MEAN:
			if (f->num == 0) {
				put_null(out, it->name);
				break;
			}
			{
				/* the exact total over n, rounded once */
				struct dh_xsum x = DH_XSUM_INIT;

				dh_xsum_merge(&x, &f->xs);
				dh_xsum_add_i128(&x, f->isum);
				t = dh_xsum_div(&x, f->num);
				dh_xsum_release(&x);
			}
			put_num(out, it->name, t);
			break;
		case DH_AGG_MIN:
		case DH_AGG_MAX:
			if (f->num == 0)
				put_null(out, it->name);
			else if (ints)
				put_int(out, it->name, it->kind == DH_AGG_MIN ? f->imin : f->imax);
			else
				put_num(out, it->name, it->kind == DH_AGG_MIN ? f->dmin : f->dmax);
			break;
		case DH_AGG_VAR:
		case DH_AGG_STDDEV:
			if (f->num < 2) {
				put_null(out, it->name);
				break;
			}
			{
				struct dh_xsum s1 = DH_XSUM_INIT;

				dh_xsum_merge(&s1, &f->xs);
				dh_xsum_add_i128(&s1, f->isum);
				if (dh_xsum_variance(&s1, &f->xsq, f->num, &t) != 0 || !isfinite(t)) {
					dh_xsum_release(&s1);
					dh_buf_addf(err, "field \"%s\": the variance is beyond the "
							 "range of a double", s->fields[it->field].path);
					return -1;
				}
				dh_xsum_release(&s1);
			}
			put_num(out, it->name, it->kind == DH_AGG_VAR ? t : sqrt(t));
			break;
		case DH_AGG_MEDIAN:
		case DH_AGG_PCT:
			if (f->m->nvals == 0) {
				put_null(out, it->name);
				break;
			}
			qsort(f->m->vals, f->m->nvals, sizeof(*f->m->vals), cmp_double);
			put_num(out, it->name,
				percentile(f->m->vals, f->m->nvals, it->kind == DH_AGG_MEDIAN ? 50 : it->pct));
			break;
		case DH_AGG_FIRST: put_val(out, it->name, &f->m->first); break;
		case DH_AGG_LAST: put_val(out, it->name, &f->m->last); break;
		case DH_AGG_DISTINCT: put_int(out, it->name, (int64_t)f->m->dist->n); break;
		case DH_AGG_APPROX:
			put_int(out, it->name, (int64_t)llround(dh_hll_estimate(f->m->hll)));
			break;
		}
	}
	return 0;
}

/* Saved states: {"n":N,"f":[{field state}...]} with only the parts the
 * spec needs; doubles as the shortest text that reads back the same. */

static void
json_num(struct dh_buf *out, const char *key, double d)
{
	char b[32];

	dh_buf_addf(out, ",\"%s\":", key);
	dh_buf_add(out, b, dh_num_fmt(d, b));
}

/* 0, or -1 with why in err when a string value is not UTF-8. */
static int
json_val(struct dh_buf *out, const char *key, const struct dh_agg_val *v,
	 const struct dh_agg_field *fd, struct dh_buf *err)
{
	size_t bad;

	if (v->len == 0)
		return 0;
	dh_buf_addf(out, ",\"%s\":", key);
	if (v->type != DH_V_STR) {
		dh_buf_add(out, v->p, v->len);
	} else if (dh_json_quote(out, v->p, v->len, &bad) != 0) {
		dh_buf_addf(err, "field \"%.*s\": invalid UTF-8 at byte %zu (a saved state is JSON: its values must be UTF-8)",
			    (int)fd->plen, fd->path, bad + 1);
		return -1;
	}
	return 0;
}

/* An exact sum: [first digit's position, digits...], carries done. */
static void
json_xsum(struct dh_buf *out, const char *key, struct dh_xsum *x)
{
	int lo = 0, hi = x->n, k;
	int64_t top;

	if (x->n == 0)
		return;
	dh_xsum_normalize(x);
	/*
	 * The same sum is the same text, however it was added up (threads
	 * merge in any order, and leave digits of 0 at either end): no
	 * digit of 0 at the top or bottom, and no -1 atop 2^32 - 1 (that is
	 * -1 a digit lower).
	 */
	while (hi > 0 && dh_xsum_digit(x, hi - 1) == 0)
		hi--;
	top = hi > 0 ? dh_xsum_digit(x, hi - 1) : 0;
	while (hi > 1 && top == -1 && dh_xsum_digit(x, hi - 2) == INT64_C(0xffffffff))
		hi--;
	while (lo < hi && dh_xsum_digit(x, lo) == 0)
		lo++;
	if (lo == hi)
		return; /* 0, as no digits */
	dh_buf_addf(out, ",\"%s\":[%d", key, x->lo + lo);
	for (k = lo; k < hi; k++)
		dh_buf_addf(out, ",%lld", (long long)(k == hi - 1 ? top : dh_xsum_digit(x, k)));
	dh_buf_addc(out, ']');
}

int
dh_agg_state_json(const struct dh_agg_spec *s, struct dh_agg_state *st, struct dh_buf *out,
		  struct dh_buf *err)
{
	size_t i, k;

	dh_buf_addf(out, "{\"n\":%llu,\"f\":[", (unsigned long long)st->count);
	for (i = 0; i < s->nfields; i++) {
		const struct dh_agg_field *fd = &s->fields[i];
		struct dh_agg_fstate *f = &st->f[i];

		dh_buf_addf(out, "%s{\"cnt\":%llu,\"nulls\":%llu", i ? "," : "",
			    (unsigned long long)f->cnt, (unsigned long long)f->nulls);
		if ((fd->needs & DH_AGG_NUM) && f->num > 0) {
			char b[48];

			/* the integer total may pass 64 bits: a string */
			dh_buf_addf(out, ",\"num\":%llu,\"nfloat\":%llu,\"isum\":\"%s\"",
				    (unsigned long long)f->num, (unsigned long long)f->nfloat,
				    i128_text(f->isum, b));
			if (f->num > f->nfloat)
				dh_buf_addf(out, ",\"imin\":%lld,\"imax\":%lld", (long long)f->imin,
					    (long long)f->imax);
			json_num(out, "dmin", f->dmin);
			json_num(out, "dmax", f->dmax);
			json_xsum(out, "xsum", &f->xs);
			json_xsum(out, "xsq", &f->xsq);
			if (fd->needs & DH_AGG_VALUES) {
				/* sorted: the same values are the same text,
				 * whatever order the threads merged them in */
				qsort(f->m->vals, f->m->nvals, sizeof(*f->m->vals), cmp_double);
				dh_buf_adds(out, ",\"vals\":[");
				for (k = 0; k < f->m->nvals; k++) {
					char b[32];

					if (k)
						dh_buf_addc(out, ',');
					dh_buf_add(out, b, dh_num_fmt(f->m->vals[k], b));
				}
				dh_buf_addc(out, ']');
			}
		}
		if (f->m != NULL && (json_val(out, "first", &f->m->first, fd, err) != 0 ||
				     json_val(out, "last", &f->m->last, fd, err) != 0))
			return -1;
		if (f->m != NULL && f->m->dist != NULL) {
			/* sorted, not in the table's order (which depends on
			 * the order of insertion) */
			struct dh_key *ks = dh_xreallocarray(NULL, f->m->dist->n + 1, sizeof(*ks));
			size_t nk = 0;

			for (k = 0; k < f->m->dist->cap; k++)
				if (dh_keyset_used(f->m->dist, k))
					ks[nk++] = dh_keyset_key(f->m->dist, k);
			qsort(ks, nk, sizeof(*ks), cmp_key);
			dh_buf_adds(out, ",\"dist\":[");
			for (k = 0; k < nk; k++)
				dh_buf_addf(out, "%s\"%016llx%016llx\"", k ? "," : "",
					    (unsigned long long)ks[k].hi, (unsigned long long)ks[k].lo);
			dh_buf_addc(out, ']');
			free(ks);
		}
		if (f->m != NULL && f->m->hll != NULL) {
			int first = 1;
			uint32_t r;

			/* the registers set, as [index, rank] pairs */
			dh_buf_adds(out, ",\"hll\":[");
			for (r = 0; r < DH_HLL_M; r++) {
				uint8_t rank = dh_hll_get(f->m->hll, r);

				if (rank == 0)
					continue;
				dh_buf_addf(out, "%s%u,%u", first ? "" : ",", r, rank);
				first = 0;
			}
			dh_buf_addc(out, ']');
		}
		dh_buf_addc(out, '}');
	}
	dh_buf_adds(out, "]}");
	return 0;
}

/* Readers of a saved state's members: 0 when absent or read, -1 bad. */
static int
get_u64(json_t *o, const char *key, uint64_t *v)
{
	json_t *j = json_object_get(o, key);

	if (j == NULL)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return -1;
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

static int
get_i64(json_t *o, const char *key, int64_t *v)
{
	json_t *j = json_object_get(o, key);

	if (j == NULL)
		return 0;
	if (!json_is_integer(j))
		return -1;
	*v = json_integer_value(j);
	return 0;
}

static int
get_i128(json_t *o, const char *key, __int128 *v)
{
	const char *p = json_string_value(json_object_get(o, key));
	unsigned __int128 u = 0;
	int neg;

	if (json_object_get(o, key) == NULL)
		return 0;
	if (p == NULL)
		return -1;
	neg = *p == '-';
	p += neg;
	if (*p == '\0' || strlen(p) > 38)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		u = u * 10 + (unsigned)(*p - '0');
	}
	*v = neg ? -(__int128)u : (__int128)u;
	return 0;
}

static int
get_dbl(json_t *o, const char *key, double *v)
{
	json_t *j = json_object_get(o, key);

	if (j == NULL)
		return 0;
	if (!json_is_number(j))
		return -1;
	*v = json_number_value(j);
	return 0;
}

static int
get_val(json_t *o, const char *key, struct dh_agg_val *v)
{
	json_t *j = json_object_get(o, key);
	char *text;

	if (j == NULL)
		return 0;
	text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text == NULL)
		return -1;
	val_set(v,
		json_is_string(j) ? DH_V_JSTR
		: json_is_number(j) ? DH_V_NUM
		: json_is_true(j) ? DH_V_TRUE
		: json_is_false(j) ? DH_V_FALSE
		: json_is_object(j) ? DH_V_OBJ
		: json_is_array(j) ? DH_V_ARR : DH_V_NULL,
		text, strlen(text));
	free(text);
	return 0;
}

static int
get_xsum(json_t *o, const char *key, struct dh_xsum *x)
{
	json_t *a = json_object_get(o, key), *lo, *e;
	size_t k;

	if (a == NULL)
		return 0;
	lo = json_array_get(a, 0);
	/* squares reach digit 140 or so; nothing real goes past 200 */
	if (!json_is_array(a) || !json_is_integer(lo) || json_integer_value(lo) < 0 ||
	    json_integer_value(lo) > 200 || json_array_size(a) > 200)
		return -1;
	for (k = 1; k < json_array_size(a); k++) {
		e = json_array_get(a, k);
		if (!json_is_integer(e) || json_integer_value(e) > ((json_int_t)1 << 40) ||
		    json_integer_value(e) < -((json_int_t)1 << 40))
			return -1;
		dh_xsum_add_digit(x, (int)json_integer_value(lo) + (int)k - 1, json_integer_value(e));
	}
	return 0;
}

static int
read_field(const struct dh_agg_field *fd, json_t *o, struct dh_agg_fstate *f)
{
	json_t *a, *e;
	size_t k;

	if (!json_is_object(o) || get_u64(o, "cnt", &f->cnt) || get_u64(o, "nulls", &f->nulls) ||
	    get_u64(o, "num", &f->num) || get_u64(o, "nfloat", &f->nfloat) ||
	    get_i128(o, "isum", &f->isum) || get_i64(o, "imin", &f->imin) ||
	    get_i64(o, "imax", &f->imax) || get_dbl(o, "dmin", &f->dmin) ||
	    get_dbl(o, "dmax", &f->dmax) || get_xsum(o, "xsum", &f->xs) ||
	    get_xsum(o, "xsq", &f->xsq) || f->nfloat > f->num)
		return -1;
	if (f->m == NULL) {
		/* a field with no values kept has none in its state */
		if (json_object_get(o, "first") || json_object_get(o, "last") ||
		    json_object_get(o, "vals") || json_object_get(o, "dist") ||
		    json_object_get(o, "hll"))
			return -1;
		return 0;
	}
	if (get_val(o, "first", &f->m->first) || get_val(o, "last", &f->m->last))
		return -1;
	if ((a = json_object_get(o, "vals")) != NULL) {
		if (!json_is_array(a) || !(fd->needs & DH_AGG_VALUES))
			return -1;
		f->m->nvals = f->m->capvals = json_array_size(a);
		f->m->vals = dh_xreallocarray(NULL, f->m->capvals + 1, sizeof(*f->m->vals));
		json_array_foreach(a, k, e) {
			if (!json_is_number(e))
				return -1;
			f->m->vals[k] = json_number_value(e);
		}
	}
	if ((a = json_object_get(o, "dist")) != NULL) {
		if (!json_is_array(a) || f->m->dist == NULL)
			return -1;
		json_array_foreach(a, k, e) {
			const char *h = json_string_value(e);
			struct dh_key key;
			unsigned long long hi, lo;

			if (h == NULL || strlen(h) != 32 || sscanf(h, "%16llx%16llx", &hi, &lo) != 2)
				return -1;
			key.hi = hi;
			key.lo = lo;
			if ((key.hi | key.lo) == 0)
				return -1;
			dh_keyset_put(f->m->dist, key, 0, NULL);
		}
	}
	if ((a = json_object_get(o, "hll")) != NULL) {
		if (!json_is_array(a) || f->m->hll == NULL || json_array_size(a) % 2 != 0)
			return -1;
		for (k = 0; k < json_array_size(a); k += 2) {
			json_int_t idx = json_integer_value(json_array_get(a, k));
			json_int_t rank = json_integer_value(json_array_get(a, k + 1));

			if (idx < 0 || idx >= (json_int_t)DH_HLL_M || rank < 1 || rank > 64)
				return -1;
			dh_hll_set(f->m->hll, (uint32_t)idx, (uint8_t)rank);
		}
	}
	return 0;
}

int
dh_agg_state_read(const struct dh_agg_spec *s, json_t *j, struct dh_agg_state **stp,
		  struct dh_buf *err)
{
	struct dh_agg_state *st = dh_agg_new(s);
	json_t *fa = json_object_get(j, "f");
	size_t i;

	if (!json_is_object(j) || get_u64(j, "n", &st->count) != 0 || !json_is_array(fa) ||
	    json_array_size(fa) != s->nfields)
		goto bad;
	for (i = 0; i < s->nfields; i++)
		if (read_field(&s->fields[i], json_array_get(fa, i), &st->f[i]) != 0) {
			dh_buf_addf(err, "a bad saved state of field \"%s\"", s->fields[i].path);
			dh_agg_free(s, st);
			return -1;
		}
	*stp = st;
	return 0;
bad:
	dh_buf_adds(err, "a bad saved state");
	dh_agg_free(s, st);
	return -1;
}
