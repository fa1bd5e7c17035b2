#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "flatten.h"
#include "json.h"
#include "xalloc.h"

/* tags of the kinds of value */
enum { T_STR = 's', T_NUM = 'n', T_TRUE = 't', T_FALSE = 'f', T_NULL = 'z', T_OBJ = 'o', T_ARR = 'a' };

static void
put_len(struct dh_buf *out, uint64_t n)
{
	dh_buf_add(out, &n, sizeof(n));
}

/* tag (0: none), length, bytes: one reservation */
static inline void
put_piece(struct dh_buf *out, char tag, const char *p, size_t n)
{
	uint64_t len = n;
	size_t t = tag != 0;
	char *o = dh_buf_reserve(out, t + sizeof(len) + n);

	if (t)
		o[0] = tag;
	memcpy(o + t, &len, sizeof(len));
	if (n > 0)
		memcpy(o + t + sizeof(len), p, n);
	out->len += t + sizeof(len) + n;
	out->data[out->len] = '\0';
}

/* A JSON string token's decoded text, length-prefixed. */
static void
put_jstr(struct dh_buf *out, const char *tok, size_t n, struct dh_buf *scratch)
{
	if (memchr(tok, '\\', n) == NULL) {
		put_piece(out, T_STR, tok + 1, n - 2);
		return;
	}
	dh_buf_reset(scratch);
	dh_json_unescape(tok, n, scratch);
	put_piece(out, T_STR, scratch->data, scratch->len);
}

struct member {
	size_t off, klen, len; /* in the members buffer: key piece, then all */
};

static int
member_less(const char *base, const struct member *x, const struct member *y)
{
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(base + x->off, base + y->off, n);

	return c < 0 || (c == 0 && x->klen < y->klen);
}

/* An object or array, members in order (arrays) or sorted by key:
 * written straight into out, and put in order there when the keys came
 * out of order. */
static void
put_nested(struct dh_buf *out, enum dh_vtype type, const char *p, size_t n,
	   struct dh_buf *scratch)
{
	struct dh_json_iter it;
	struct member few[16], *ms = few;
	size_t nm = 0, cap = 16, i, j, count_at, base;
	const char *key, *val;
	size_t klen, vlen;
	enum dh_vtype vt;
	uint64_t count;
	int sorted = 1;

	dh_buf_addc(out, type == DH_V_OBJ ? T_OBJ : T_ARR);
	count_at = out->len;
	put_len(out, 0); /* the member count, once known */
	base = out->len;
	dh_json_iter_init(&it, p, n);
	while (dh_json_iter_next(&it, &key, &klen, &val, &vlen, &vt)) {
		if (nm == cap) {
			cap *= 2;
			if (ms == few) {
				ms = dh_xreallocarray(NULL, cap, sizeof(*ms));
				memcpy(ms, few, sizeof(few));
			} else {
				ms = dh_xreallocarray(ms, cap, sizeof(*ms));
			}
		}
		ms[nm].off = out->len - base;
		if (key != NULL)
			put_jstr(out, key, klen, scratch);
		ms[nm].klen = out->len - base - ms[nm].off;
		dh_canon_value(out, vt, val, vlen, scratch);
		ms[nm].len = out->len - base - ms[nm].off;
		if (type == DH_V_OBJ && nm > 0 &&
		    !member_less(out->data + base, &ms[nm - 1], &ms[nm]))
			sorted = 0;
		nm++;
	}
	count = nm;
	memcpy(out->data + count_at, &count, sizeof(count));
	if (!sorted) {
		/* insertion sort (objects have few members), then the members
		 * again in that order */
		char *mem = dh_xmemdup(out->data + base, out->len - base);

		for (i = 1; i < nm; i++) {
			struct member m = ms[i];

			for (j = i; j > 0 && member_less(mem, &m, &ms[j - 1]); j--)
				ms[j] = ms[j - 1];
			ms[j] = m;
		}
		out->len = base;
		for (i = 0; i < nm; i++)
			dh_buf_add(out, mem + ms[i].off, ms[i].len);
		free(mem);
	}
	if (ms != few)
		free(ms);
}

void
dh_canon_value(struct dh_buf *out, enum dh_vtype type, const char *val, size_t vlen,
	       struct dh_buf *scratch)
{
	switch (type) {
	case DH_V_STR: put_piece(out, T_STR, val, vlen); break;
	case DH_V_JSTR: put_jstr(out, val, vlen, scratch); break;
	case DH_V_NUM: put_piece(out, T_NUM, val, vlen); break;
	case DH_V_TRUE: dh_buf_addc(out, T_TRUE); break;
	case DH_V_FALSE: dh_buf_addc(out, T_FALSE); break;
	case DH_V_NULL: dh_buf_addc(out, T_NULL); break;
	case DH_V_OBJ:
	case DH_V_ARR: put_nested(out, type, val, vlen, scratch); break;
	}
}

/* Does rec have the names of the last record, in the same order? */
static int
same_names(const struct dh_canon *c, const struct dh_record *rec)
{
	size_t i;

	if (rec->n != c->nperm)
		return 0;
	for (i = 0; i < rec->n; i++) {
		const char *name = c->names.data + c->noffs[i];
		size_t len = c->noffs[i + 1] - c->noffs[i];

		if (rec->f[i].nlen != len || !dh_mem_eq(rec->f[i].name, name, len))
			return 0;
	}
	return 1;
}

static int
name_less(const struct dh_field *a, const struct dh_field *b)
{
	size_t n = a->nlen < b->nlen ? a->nlen : b->nlen;
	int c = memcmp(a->name, b->name, n);

	return c < 0 || (c == 0 && a->nlen < b->nlen);
}

/* Sort the record's field positions by name (insertion sort: records
 * have few fields), and remember the names for the next record. */
static void
learn_names(struct dh_canon *c, const struct dh_record *rec)
{
	size_t i, j;

	if (rec->n + 1 > c->cap) {
		c->cap = rec->n + 1;
		c->perm = dh_xreallocarray(c->perm, c->cap, sizeof(*c->perm));
		c->noffs = dh_xreallocarray(c->noffs, c->cap, sizeof(*c->noffs));
	}
	dh_buf_reset(&c->names);
	for (i = 0; i < rec->n; i++) {
		c->noffs[i] = c->names.len;
		dh_buf_add(&c->names, rec->f[i].name, rec->f[i].nlen);
		c->perm[i] = i;
		for (j = i; j > 0 && name_less(&rec->f[i], &rec->f[c->perm[j - 1]]); j--)
			c->perm[j] = c->perm[j - 1];
		c->perm[j] = i;
	}
	c->noffs[rec->n] = c->names.len;
	c->nperm = rec->n;
}

void
dh_canon_record(struct dh_canon *c, const struct dh_record *rec)
{
	size_t i;

	if (c->perm == NULL || !same_names(c, rec))
		learn_names(c, rec);
	dh_buf_reset(&c->out);
	dh_buf_reserve(&c->out, rec->rawlen + 32 * rec->n);
	put_len(&c->out, rec->n);
	for (i = 0; i < rec->n; i++) {
		const struct dh_field *f = &rec->f[c->perm[i]];

		put_piece(&c->out, 0, f->name, f->nlen);
		dh_canon_value(&c->out, f->type, f->val, f->vlen, &c->scratch);
	}
}

int
dh_canon_fields(struct dh_canon *c, const struct dh_record *rec, char *const *paths,
		const size_t *plens, size_t npaths, struct dh_buf *err)
{
	size_t i;

	dh_buf_reset(&c->out);
	for (i = 0; i < npaths; i++) {
		struct dh_field f;

		if (!dh_record_lookup(rec, paths[i], plens[i], '.', &f)) {
			dh_buf_reset(err);
			dh_buf_addf(err, "no field '%s' for the key", paths[i]);
			return -1;
		}
		dh_canon_value(&c->out, f.type, f.val, f.vlen, &c->scratch);
	}
	return 0;
}

void
dh_canon_release(struct dh_canon *c)
{
	dh_buf_release(&c->out);
	dh_buf_release(&c->scratch);
	dh_buf_release(&c->names);
	free(c->perm);
	free(c->noffs);
	memset(c, 0, sizeof(*c));
}
