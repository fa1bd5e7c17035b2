/*
 * keyset: a set of 128-bit keys (xxh3 hashes) in one open-addressing
 * table with linear probing, each with an optional 64-bit value beside it
 * (one cache line holds both): 16 bytes a slot, 24 with values.  The table is at most 3/4 full and doubles when
 * it fills, so it has between 4/3 and 8/3 slots a key; while it doubles,
 * the old table and the new are both held.  For dh-dedup, and anything
 * else that must remember many keys in bounded memory.
 *
 * The all-zero key is reserved for empty slots: dh_key_of() never returns
 * it.
 *
 * Ownership: the set owns its arrays; value pointers it returns are valid
 * until the next put or sweep.
 */
#ifndef DH_KEYSET_H
#define DH_KEYSET_H

#include <stddef.h>
#include <stdint.h>

struct dh_key {
	uint64_t lo, hi;
};

struct dh_keyset {
	uint64_t *slots; /* per slot: key lo, key hi (, value) */
	size_t cap, n;   /* cap is a power of two (0: nothing allocated) */
	int with_vals;
	size_t stride;   /* 2 or 3 words */
	size_t max_bytes; /* 0: no limit; past it, exit 4 */
	size_t first_cap; /* slots of the first table, a power of two
			   * (0: 1024); small for many small sets */
};

/* The xxh3 128-bit hash of p[0..n), never all zero. */
struct dh_key dh_key_of(const void *p, size_t n);

void dh_keyset_init(struct dh_keyset *s, int with_vals, size_t max_bytes);
void dh_keyset_release(struct dh_keyset *s);
/*
 * Add key: 1 when it is new (its value set to val), 0 when present.
 * *valp (when not NULL) gets its value slot either way (NULL in a set
 * without values).  Growing past max_bytes is exit 4 with a message
 * saying how many keys it held.
 */
int dh_keyset_put(struct dh_keyset *s, struct dh_key k, uint64_t val,
		  uint64_t **valp);
/* 1 when key is present, with *valp set as dh_keyset_put() sets it. */
int dh_keyset_get(const struct dh_keyset *s, struct dh_key k, uint64_t **valp);
/* Start loading key's slot into the cache, for a lookup soon after. */
static inline void
dh_keyset_prefetch(const struct dh_keyset *s, struct dh_key k)
{
	if (s->cap > 0)
		__builtin_prefetch(&s->slots[((size_t)k.lo & (s->cap - 1)) * s->stride]);
}

/* Remove key: 1 when it was there. */
int dh_keyset_del(struct dh_keyset *s, struct dh_key k);
/* Would the next new key make the table grow (at most 3/4 full)? */
static inline int
dh_keyset_full(const struct dh_keyset *s)
{
	return (s->n + 1) * 4 > s->cap * 3;
}

/* Drop every key whose value is below min (a set with values); returns
 * how many went. */
size_t dh_keyset_sweep(struct dh_keyset *s, uint64_t min);
/* Bytes the table takes. */
size_t dh_keyset_bytes(const struct dh_keyset *s);
/* The table's slots, for iteration: slot i holds a key when it is not all
 * zero. */
static inline int
dh_keyset_used(const struct dh_keyset *s, size_t i)
{
	return (s->slots[i * s->stride] | s->slots[i * s->stride + 1]) != 0;
}

/* The key in slot i. */
static inline struct dh_key
dh_keyset_key(const struct dh_keyset *s, size_t i)
{
	struct dh_key k = {s->slots[i * s->stride], s->slots[i * s->stride + 1]};

	return k;
}

#endif
