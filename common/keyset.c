#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "err.h"
#include "keyset.h"
#include "xalloc.h"

struct dh_key
dh_key_of(const void *p, size_t n)
{
	XXH128_hash_t h = XXH3_128bits(p, n);
	struct dh_key k = {h.low64, h.high64};

	if ((k.lo | k.hi) == 0)
		k.lo = 1; /* odds 2^-128; empty slots are all zero */
	return k;
}

void
dh_keyset_init(struct dh_keyset *s, int with_vals, size_t max_bytes)
{
	memset(s, 0, sizeof(*s));
	s->with_vals = with_vals;
	s->stride = with_vals ? 3 : 2;
	s->max_bytes = max_bytes;
}

static size_t
slot_bytes(const struct dh_keyset *s)
{
	return s->stride * sizeof(uint64_t);
}

void
dh_keyset_release(struct dh_keyset *s)
{
	size_t stride = s->stride;
	int with_vals = s->with_vals;

	dh_big_free(s->slots, s->cap * slot_bytes(s));
	memset(s, 0, sizeof(*s));
	s->with_vals = with_vals;
	s->stride = stride;
}

size_t
dh_keyset_bytes(const struct dh_keyset *s)
{
	return s->cap * slot_bytes(s);
}

/* The slot of k: where it is, or the empty one where it would go. */
static size_t
find(const uint64_t *slots, size_t stride, size_t mask, struct dh_key k)
{
	size_t i = (size_t)k.lo & mask;

	for (;;) {
		const uint64_t *p = slots + i * stride;

		if ((p[0] | p[1]) == 0 || (p[0] == k.lo && p[1] == k.hi))
			return i;
		i = (i + 1) & mask;
	}
}

/* Move every key into a table of cap slots (a power of two). */
static void
rehash(struct dh_keyset *s, size_t cap)
{
	uint64_t *slots;
	size_t i, mask = cap - 1, w = s->stride;

	if (s->max_bytes != 0 && cap * slot_bytes(s) + dh_keyset_bytes(s) > s->max_bytes)
		dh_die(DH_EXIT_IO,
		       "%zu distinct keys fill the memory allowed (--max-memory %zu MiB): "
		       "growing the key table would take %zu MiB more",
		       s->n, s->max_bytes >> 20, (cap * slot_bytes(s)) >> 20);
	slots = cap > SIZE_MAX / slot_bytes(s) ? NULL : dh_big_calloc(cap * slot_bytes(s));
	if (slots == NULL)
		dh_die(DH_EXIT_IO, "out of memory for %zu keys (%zu MiB)", s->n,
		       (cap * slot_bytes(s)) >> 20);
	for (i = 0; i < s->cap; i++) {
		size_t j;

		if (!dh_keyset_used(s, i))
			continue;
		j = find(slots, w, mask, dh_keyset_key(s, i));
		memcpy(slots + j * w, s->slots + i * w, w * sizeof(*slots));
	}
	dh_big_free(s->slots, s->cap * slot_bytes(s));
	s->slots = slots;
	s->cap = cap;
}

int
dh_keyset_put(struct dh_keyset *s, struct dh_key k, uint64_t val, uint64_t **valp)
{
	uint64_t *p;
	size_t i;

	if (s->stride == 0)
		s->stride = s->with_vals ? 3 : 2;
	/* load at most 3/4: linear probing stays short */
	if (dh_keyset_full(s))
		rehash(s, s->cap == 0 ? (s->first_cap ? s->first_cap : 1024) : s->cap * 2);
	i = find(s->slots, s->stride, s->cap - 1, k);
	p = s->slots + i * s->stride;
	if (valp != NULL)
		*valp = s->with_vals ? &p[2] : NULL;
	if ((p[0] | p[1]) != 0)
		return 0;
	p[0] = k.lo;
	p[1] = k.hi;
	if (s->with_vals)
		p[2] = val;
	s->n++;
	return 1;
}

int
dh_keyset_get(const struct dh_keyset *s, struct dh_key k, uint64_t **valp)
{
	uint64_t *p;

	if (s->cap == 0)
		return 0;
	p = s->slots + find(s->slots, s->stride, s->cap - 1, k) * s->stride;
	if ((p[0] | p[1]) == 0)
		return 0;
	if (valp != NULL)
		*valp = s->with_vals ? &p[2] : NULL;
	return 1;
}

int
dh_keyset_del(struct dh_keyset *s, struct dh_key k)
{
	size_t i, j, mask = s->cap - 1, w = s->stride;

	if (s->cap == 0)
		return 0;
	i = find(s->slots, w, mask, k);
	if (!dh_keyset_used(s, i))
		return 0;
	/* backward shift: move up each later key of the run that may live
	 * at i, so that no search stops early at the gap */
	for (j = (i + 1) & mask; dh_keyset_used(s, j); j = (j + 1) & mask) {
		size_t home = (size_t)s->slots[j * w] & mask;

		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			memcpy(s->slots + i * w, s->slots + j * w, w * sizeof(*s->slots));
			i = j;
		}
	}
	memset(s->slots + i * w, 0, w * sizeof(*s->slots));
	s->n--;
	return 1;
}

size_t
dh_keyset_sweep(struct dh_keyset *s, uint64_t min)
{
	size_t i, gone = 0, w = s->stride;

	if (!s->with_vals)
		return 0;
	/* clear in place, then rehash at the same size to close the gaps
	 * that linear probing cannot have */
	for (i = 0; i < s->cap; i++)
		if (dh_keyset_used(s, i) && s->slots[i * w + 2] < min) {
			s->slots[i * w] = s->slots[i * w + 1] = 0;
			gone++;
		}
	if (gone > 0) {
		size_t max = s->max_bytes;

		s->n -= gone;
		s->max_bytes = 0; /* the same size again: no new memory asked for */
		rehash(s, s->cap);
		s->max_bytes = max;
	}
	return gone;
}
