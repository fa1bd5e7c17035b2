#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "record.h"
#include "xalloc.h"

void
dh_record_reset(struct dh_record *r)
{
	r->n = 0;
	r->keysep = 0;
	r->raw = NULL;
	r->rawlen = 0;
	dh_buf_reset(&r->arena);
}

void
dh_record_release(struct dh_record *r)
{
	free(r->f);
	dh_buf_release(&r->arena);
	memset(r, 0, sizeof(*r));
}

struct dh_field *
dh_record_add(struct dh_record *r, const char *name, size_t nlen,
	      const char *val, size_t vlen, enum dh_vtype type)
{
	struct dh_field *f;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->f = dh_xreallocarray(r->f, r->cap, sizeof(*r->f));
	}
	f = &r->f[r->n++];
	f->name = name;
	f->nlen = nlen;
	f->val = val;
	f->vlen = vlen;
	f->type = type;
	return f;
}

const struct dh_field *
dh_record_get(const struct dh_record *r, const char *name, size_t nlen)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->f[i].nlen == nlen && dh_mem_eq(r->f[i].name, name, nlen))
			return &r->f[i];
	return NULL;
}

size_t
dh_record_stash(struct dh_record *r, const void *p, size_t n)
{
	size_t off = r->arena.len;

	dh_buf_add(&r->arena, p, n);
	return off;
}

void
dh_record_fix(struct dh_record *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct dh_field *f = &r->f[i];

		if ((uintptr_t)f->name & DH_ARENA_TAG)
			f->name = r->arena.data + ((uintptr_t)f->name & ~DH_ARENA_TAG);
		if ((uintptr_t)f->val & DH_ARENA_TAG)
			f->val = r->arena.data + ((uintptr_t)f->val & ~DH_ARENA_TAG);
	}
}

void
dh_field_text(const struct dh_field *f, struct dh_buf *scratch,
	      const char **p, size_t *n)
{
	switch (f->type) {
	case DH_V_JSTR:
		if (memchr(f->val, '\\', f->vlen) == NULL) {
			*p = f->val + 1;
			*n = f->vlen - 2;
			return;
		}
		dh_buf_reset(scratch);
		dh_json_unescape(f->val, f->vlen, scratch);
		*p = scratch->data;
		*n = scratch->len;
		return;
	case DH_V_NULL:
		*p = "";
		*n = 0;
		return;
	case DH_V_OBJ:
	case DH_V_ARR:
		dh_buf_reset(scratch);
		dh_json_compact(f->val, f->vlen, scratch);
		*p = scratch->data;
		*n = scratch->len;
		return;
	default:
		*p = f->val;
		*n = f->vlen;
		return;
	}
}
