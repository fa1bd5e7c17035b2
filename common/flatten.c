#include <stdio.h>
#include <string.h>

#include "flatten.h"
#include "err.h"
#include "json.h"

static int
empty_container(const struct dh_field *f)
{
	size_t i;

	for (i = 1; i + 1 < f->vlen; i++)
		if (f->val[i] != ' ' && f->val[i] != '\t' && f->val[i] != '\n' &&
		    f->val[i] != '\r')
			return 0;
	return 1;
}

int
dh_record_nested(const struct dh_record *rec)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		if ((rec->f[i].type == DH_V_OBJ || rec->f[i].type == DH_V_ARR) &&
		    !empty_container(&rec->f[i]))
			return 1;
	return 0;
}

/* Append name + sep + key to the arena; returns the name's offset. */
static size_t
add_name(struct dh_record *out, size_t poff, size_t plen, const char *key,
	 size_t klen, int key_is_token, char sep)
{
	size_t off = out->arena.len;

	if (plen > 0) {
		/* the prefix is in the arena too: copy through a reserve */
		dh_buf_reserve(&out->arena, plen + 1);
		memmove(out->arena.data + off, out->arena.data + poff, plen);
		out->arena.len += plen;
		dh_buf_addc(&out->arena, sep);
	}
	{
		size_t kstart = out->arena.len;

		if (key_is_token && memchr(key, '\\', klen) != NULL)
			dh_json_unescape(key, klen, &out->arena);
		else if (key_is_token)
			dh_buf_add(&out->arena, key + 1, klen - 2);
		else
			dh_buf_add(&out->arena, key, klen);
		/* the key as decoded can hold the separator ("a\u002eb") */
		if (memchr(out->arena.data + kstart, sep, out->arena.len - kstart) != NULL)
			out->keysep = 1;
	}
	return off;
}

static void
flatten_value(struct dh_record *out, size_t noff, size_t nlen,
	      const char *val, size_t vlen, enum dh_vtype t, char sep)
{
	struct dh_json_iter it;
	const char *k, *v;
	size_t kl, vl;
	enum dh_vtype vt;
	struct dh_field tmp = {NULL, 0, val, vlen, t};

	if ((t != DH_V_OBJ && t != DH_V_ARR) || empty_container(&tmp)) {
		dh_record_add(out, DH_ARENA_REF(noff), nlen, val, vlen, t);
		return;
	}
	dh_json_iter_init(&it, val, vlen);
	while (dh_json_iter_next(&it, &k, &kl, &v, &vl, &vt)) {
		size_t off, start = out->arena.len;

		if (k == NULL) {
			char idx[32];
			size_t n = dh_utoa(idx, it.index - 1);

			off = add_name(out, noff, nlen, idx, n, 0, sep);
		} else {
			off = add_name(out, noff, nlen, k, kl, 1, sep);
		}
		flatten_value(out, off, out->arena.len - start, v, vl, vt, sep);
	}
}

int
dh_flatten(const struct dh_record *rec, struct dh_record *out, char sep)
{
	size_t i;

	dh_record_reset(out);
	out->raw = rec->raw;
	out->rawlen = rec->rawlen;
	out->line = rec->line;
	for (i = 0; i < rec->n; i++) {
		const struct dh_field *f = &rec->f[i];
		size_t off = add_name(out, 0, 0, f->name, f->nlen, 0, sep);

		flatten_value(out, off, f->nlen, f->val, f->vlen, f->type, sep);
	}
	dh_record_fix(out);
	return dh_flat_check(out, sep, NULL);
}

int
dh_flat_check(struct dh_record *rec, char sep, struct dh_buf *err)
{
	size_t i, j;

	/* only a key holding the separator can make a name twice */
	(void)sep;
	if (rec->n < 2 || !rec->keysep)
		return 0;
	for (i = 1; i < rec->n; i++)
		for (j = 0; j < i; j++)
			if (rec->f[i].nlen == rec->f[j].nlen &&
			    memcmp(rec->f[i].name, rec->f[j].name, rec->f[i].nlen) == 0) {
				char q[256];

				dh_quote(rec->f[i].name, rec->f[i].nlen, q, sizeof(q));
				if (err == NULL) {
					err = &rec->arena;
					rec->n = 0;
				}
				dh_buf_reset(err);
				dh_buf_addf(err, "flattening gives two fields named %s (a key holds the separator; choose another with --sep)", q);
				return -1;
			}
	return 0;
}

/* Does key token (with quotes) decode to s? */
static int
key_equals(const char *tok, size_t tlen, const char *s, size_t n)
{
	if (memchr(tok, '\\', tlen) == NULL)
		return tlen - 2 == n && memcmp(tok + 1, s, n) == 0;
	{
		struct dh_buf b = DH_BUF_INIT;
		int eq;

		dh_json_unescape(tok, tlen, &b);
		eq = b.len == n && memcmp(b.data, s, n) == 0;
		dh_buf_release(&b);
		return eq;
	}
}

static int
index_equals(size_t index, const char *s, size_t n)
{
	char idx[32];
	size_t k = dh_utoa(idx, index);

	return k == n && memcmp(idx, s, n) == 0;
}

int
dh_record_lookup(const struct dh_record *rec, const char *path, size_t plen,
		 char sep, struct dh_field *f)
{
	const struct dh_field *top = dh_record_get(rec, path, plen);
	const char *p, *e = path + plen, *s;
	const char *val;
	size_t vlen, i;
	enum dh_vtype t;

	if (top != NULL) {
		*f = *top;
		return 1;
	}
	/* the longest field name that is a prefix ending at a separator */
	top = NULL;
	for (i = 0; i < rec->n; i++) {
		const struct dh_field *g = &rec->f[i];

		if ((g->type == DH_V_OBJ || g->type == DH_V_ARR) &&
		    g->nlen < plen && path[g->nlen] == sep &&
		    memcmp(g->name, path, g->nlen) == 0 &&
		    (top == NULL || g->nlen > top->nlen))
			top = g;
	}
	if (top == NULL)
		return 0;
	val = top->val;
	vlen = top->vlen;
	t = top->type;
	for (p = path + top->nlen + 1; p <= e; p = s + 1) {
		struct dh_json_iter it;
		const char *k, *v;
		size_t kl, vl, sl;
		enum dh_vtype vt;
		int found = 0;

		s = memchr(p, sep, (size_t)(e - p));
		if (s == NULL)
			s = e;
		sl = (size_t)(s - p);
		if (t != DH_V_OBJ && t != DH_V_ARR)
			return 0;
		dh_json_iter_init(&it, val, vlen);
		while (dh_json_iter_next(&it, &k, &kl, &v, &vl, &vt)) {
			if (k != NULL ? key_equals(k, kl, p, sl)
				      : index_equals(it.index - 1, p, sl)) {
				val = v;
				vlen = vl;
				t = vt;
				found = 1;
				break;
			}
		}
		if (!found)
			return 0;
		if (s == e)
			break;
	}
	f->name = path;
	f->nlen = plen;
	f->val = val;
	f->vlen = vlen;
	f->type = t;
	return 1;
}
