/*
 * hashmap: byte-string keys to size_t values, open addressing, xxh3.
 *
 * Ownership: the map copies keys into its own storage and frees them in
 * dh_hashmap_release().  Initialise with DH_HASHMAP_INIT.
 */
#ifndef DH_HASHMAP_H
#define DH_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct dh_hashmap_slot {
	uint64_t hash;
	char *key; /* NULL: empty */
	size_t klen;
	size_t val;
};

struct dh_hashmap {
	struct dh_hashmap_slot *slots;
	size_t cap, n; /* cap is a power of two */
};

#define DH_HASHMAP_INIT {NULL, 0, 0}

/* The value of key, or NULL. */
size_t *dh_hashmap_get(const struct dh_hashmap *m, const char *key, size_t klen);
/* Insert key with val unless present; returns its value slot and sets
 * *added. */
size_t *dh_hashmap_put(struct dh_hashmap *m, const char *key, size_t klen,
		       size_t val, int *added);
void dh_hashmap_release(struct dh_hashmap *m);

#endif
