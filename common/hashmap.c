#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "hashmap.h"
#include "xalloc.h"

static struct dh_hashmap_slot *
find(const struct dh_hashmap *m, uint64_t h, const char *key, size_t klen)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;;) {
		struct dh_hashmap_slot *s = &m->slots[i];

		if (s->key == NULL ||
		    (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

size_t *
dh_hashmap_get(const struct dh_hashmap *m, const char *key, size_t klen)
{
	struct dh_hashmap_slot *s;

	if (m->n == 0)
		return NULL;
	s = find(m, XXH3_64bits(key, klen), key, klen);
	return s->key != NULL ? &s->val : NULL;
}

static void
grow(struct dh_hashmap *m)
{
	struct dh_hashmap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 16;
	m->slots = dh_xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < old.cap; i++)
		if (old.slots[i].key != NULL)
			*find(m, old.slots[i].hash, old.slots[i].key,
			      old.slots[i].klen) = old.slots[i];
	free(old.slots);
}

size_t *
dh_hashmap_put(struct dh_hashmap *m, const char *key, size_t klen, size_t val,
	       int *added)
{
	uint64_t h = XXH3_64bits(key, klen);
	struct dh_hashmap_slot *s;

	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	s = find(m, h, key, klen);
	*added = s->key == NULL;
	if (*added) {
		s->hash = h;
		s->key = dh_xmemdup(key, klen);
		s->klen = klen;
		s->val = val;
		m->n++;
	}
	return &s->val;
}

void
dh_hashmap_release(struct dh_hashmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
