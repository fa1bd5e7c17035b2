#include "profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "json.h"
#include "keyset.h"
#include "num.h"
#include "xalloc.h"

static const char *const kind_names[DH_K_N] = {"array",	"bool",	  "integer",
					       "number", "object", "string"};

void
dh_profile_init(struct dh_profile *p)
{
	memset(p, 0, sizeof(*p));
}

static int
kind_of(const struct dh_field *f)
{
	int64_t i;
	double d;

	switch (f->type) {
	case DH_V_STR:
		switch (dh_num_parse(f->val, f->vlen, &i, &d)) {
		case DH_NUM_INT: return DH_K_INTEGER;
		case DH_NUM_NONE: break;
		default: return DH_K_NUMBER;
		}
		if ((f->vlen == 4 && memcmp(f->val, "true", 4) == 0) ||
		    (f->vlen == 5 && memcmp(f->val, "false", 5) == 0))
			return DH_K_BOOL;
		return DH_K_STRING;
	case DH_V_NUM:
		return dh_num_parse(f->val, f->vlen, &i, &d) == DH_NUM_INT ? DH_K_INTEGER
									: DH_K_NUMBER;
	case DH_V_TRUE:
	case DH_V_FALSE: return DH_K_BOOL;
	case DH_V_OBJ: return DH_K_OBJECT;
	case DH_V_ARR: return DH_K_ARRAY;
	default: return DH_K_STRING;
	}
}

/* Is s[0..n) a number as JSON writes one? */
static int
json_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

static struct dh_profile_field *
field(struct dh_profile *p, const char *name, size_t nlen)
{
	size_t *v = dh_hashmap_get(&p->byname, name, nlen);
	struct dh_profile_field *f;
	int added;

	if (v != NULL)
		return &p->f[*v];
	p->f = dh_xreallocarray(p->f, p->n + 1, sizeof(*p->f));
	f = &p->f[p->n];
	memset(f, 0, sizeof(*f));
	f->name = dh_xmemdup(name, nlen);
	f->nlen = nlen;
	dh_hashmap_put(&p->byname, f->name, nlen, p->n++, &added);
	return f;
}

static void
set_text(char **dst, size_t *dlen, const char *v, size_t n)
{
	free(*dst);
	*dst = dh_xmemdup(v, n);
	*dlen = n;
}

static int
cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c != 0 ? c : an < bn ? -1 : an > bn;
}

void
dh_profile_feed(struct dh_profile *p, const struct dh_record *rec)
{
	size_t i;

	p->records++;
	for (i = 0; i < rec->n; i++) {
		const struct dh_field *rf = &rec->f[i];
		struct dh_profile_field *f = field(p, rf->name, rf->nlen);
		const char *v;
		size_t n, j;
		int k;
		struct dh_key key;

		if (rf->type == DH_V_NULL || (rf->type == DH_V_STR && rf->vlen == 0))
			continue;
		f->values++;
		k = kind_of(rf);
		f->kinds[k]++;
		dh_buf_reset(&p->canon);
		dh_canon_value(&p->canon, rf->type, rf->val, rf->vlen, &p->scratch);
		key = dh_key_of(p->canon.data, p->canon.len);
		dh_hll_add(&f->hll, key.lo);
		if (k == DH_K_INTEGER || k == DH_K_NUMBER) {
			int64_t iv;
			double d;
			int lo, hi;

			dh_num_parse(rf->val, rf->vlen, &iv, &d);
			lo = !f->has_num || d < f->lo;
			hi = !f->has_num || d > f->hi;
			if (lo || hi) {
				char t[32];
				char *text;

				/* a CSV number may be no JSON number ("+5", ".5", "01") */
				if (rf->type == DH_V_NUM || json_number(rf->val, rf->vlen))
					text = dh_xmemdup(rf->val, rf->vlen);
				else if (k == DH_K_INTEGER)
					text = dh_xmemdup(t, dh_num_fmt_int(iv, t));
				else
					text = dh_xmemdup(t, dh_num_fmt(d, t));
				if (lo) {
					free(f->lo_text);
					f->lo_text = dh_xstrdup(text);
					f->lo = d;
				}
				if (hi) {
					free(f->hi_text);
					f->hi_text = dh_xstrdup(text);
					f->hi = d;
				}
				free(text);
			}
			f->has_num = 1;
		}
		dh_field_text(rf, &p->scratch, &v, &n);
		if (f->min == NULL || cmp_bytes(v, n, f->min, f->minlen) < 0)
			set_text(&f->min, &f->minlen, v, n);
		if (f->max == NULL || cmp_bytes(v, n, f->max, f->maxlen) > 0)
			set_text(&f->max, &f->maxlen, v, n);
		if (f->nsamples < DH_PROFILE_SAMPLES) {
			struct dh_buf sb = DH_BUF_INIT;

			/* distinct by value: "a" and "\u0061" are one */
			for (j = 0; j < f->nsamples; j++)
				if (f->skeys[j].lo == key.lo && f->skeys[j].hi == key.hi)
					break;
			if (j == f->nsamples) {
				if (rf->type == DH_V_STR)
					dh_json_quote_any(&sb, rf->val, rf->vlen);
				else
					dh_buf_add(&sb, rf->val, rf->vlen);
				f->skeys[f->nsamples] = key;
				f->samples[f->nsamples++] = dh_buf_detach(&sb, NULL);
			}
			dh_buf_release(&sb);
		}
	}
}

unsigned long long
dh_profile_nulls(const struct dh_profile *p, size_t i)
{
	return p->records - p->f[i].values;
}

void
dh_profile_type(const struct dh_profile_field *f, struct dh_buf *out)
{
	unsigned long long k[DH_K_N];
	size_t i;
	int any = 0;

	memcpy(k, f->kinds, sizeof(k));
	if (k[DH_K_INTEGER] && k[DH_K_NUMBER]) {
		k[DH_K_NUMBER] += k[DH_K_INTEGER];
		k[DH_K_INTEGER] = 0;
	}
	for (i = 0; i < DH_K_N; i++) {
		if (k[i] == 0)
			continue;
		if (any++)
			dh_buf_addc(out, ',');
		dh_buf_adds(out, kind_names[i]);
	}
	if (!any)
		dh_buf_adds(out, "null");
}

/* Numbers compare as numbers when every value is one. */
static int
numeric(const struct dh_profile_field *f)
{
	return f->has_num && f->values == f->kinds[DH_K_INTEGER] + f->kinds[DH_K_NUMBER];
}

double
dh_profile_distinct(const struct dh_profile_field *f)
{
	double d = f->values ? floor(dh_hll_estimate(&f->hll) + 0.5) : 0;

	/* the estimate can pass the number of values: never say more */
	return d > (double)f->values ? (double)f->values : d;
}

void
dh_profile_bound(const struct dh_profile_field *f, int max, struct dh_buf *out)
{
	if (f->values == 0)
		dh_buf_adds(out, "null");
	else if (numeric(f))
		dh_buf_adds(out, max ? f->hi_text : f->lo_text);
	else if (max)
		dh_json_quote_any(out, f->max, f->maxlen);
	else
		dh_json_quote_any(out, f->min, f->minlen);
}

void
dh_profile_json(const struct dh_profile *p, size_t i, struct dh_buf *out)
{
	const struct dh_profile_field *f = &p->f[i];
	unsigned long long nulls = dh_profile_nulls(p, i);
	char t[32];
	size_t j, k;

	dh_buf_adds(out, "{\"field\":");
	dh_json_quote_any(out, f->name, f->nlen);
	dh_buf_adds(out, ",\"type\":\"");
	dh_profile_type(f, out);
	dh_buf_addf(out, "\",\"records\":%llu,\"nulls\":%llu,\"null_rate\":", p->records, nulls);
	dh_num_fmt(p->records ? (double)nulls / (double)p->records : 0, t);
	dh_buf_adds(out, t);
	dh_buf_addf(out, ",\"distinct\":%.0f,\"kinds\":{", dh_profile_distinct(f));
	for (j = 0, k = 0; j < DH_K_N; j++)
		if (f->kinds[j])
			dh_buf_addf(out, "%s\"%s\":%llu", k++ ? "," : "", kind_names[j], f->kinds[j]);
	dh_buf_adds(out, "},\"min\":");
	dh_profile_bound(f, 0, out);
	dh_buf_adds(out, ",\"max\":");
	dh_profile_bound(f, 1, out);
	dh_buf_adds(out, ",\"samples\":[");
	for (j = 0; j < f->nsamples; j++) {
		if (j)
			dh_buf_addc(out, ',');
		dh_buf_adds(out, f->samples[j]);
	}
	dh_buf_adds(out, "]}");
}

void
dh_profile_release(struct dh_profile *p)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		struct dh_profile_field *f = &p->f[i];

		free(f->name);
		free(f->lo_text);
		free(f->hi_text);
		free(f->min);
		free(f->max);
		for (j = 0; j < f->nsamples; j++)
			free(f->samples[j]);
		dh_hll_release(&f->hll);
	}
	free(p->f);
	dh_hashmap_release(&p->byname);
	dh_buf_release(&p->scratch);
	dh_buf_release(&p->canon);
	memset(p, 0, sizeof(*p));
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double
dh_robust_z(const double *hist, size_t n, double x, double *median)
{
	double *d = dh_xreallocarray(NULL, n, sizeof(*d));
	double m, mad, mean = 0, sd;
	size_t i;

	memcpy(d, hist, n * sizeof(*d));
	m = median_of(d, n);
	for (i = 0; i < n; i++) {
		d[i] = fabs(hist[i] - m);
		mean += d[i];
	}
	mean /= (double)n;
	mad = median_of(d, n);
	free(d);
	*median = m;
	/* the spread: from the MAD, else the mean absolute deviation, and
	 * never under 1% of the median (a flat history) */
	sd = mad > 0 ? mad / 0.6745 : mean * 1.2533;
	if (sd < fabs(m) * 0.01)
		sd = fabs(m) * 0.01;
	if (sd > 0)
		return (x - m) / sd;
	return x == m ? 0 : x > m ? HUGE_VAL : -HUGE_VAL;
}
