/* hll: HyperLogLog with a sparse start. */
#include "hll.h"

#include <math.h>
#include <stdlib.h>

#include "xalloc.h"

/* Sparse while the table (4 bytes a slot, at most 3/4 full) is smaller
 * than the dense registers. */
#define SPARSE_MAX_CAP (DH_HLL_M / 4)

static uint32_t
slot_of(uint32_t idx, uint32_t cap)
{
	return (idx * 2654435761u) & (cap - 1);
}

static void
make_dense(struct dh_hll *h)
{
	uint32_t i;

	h->dense = dh_xcalloc(DH_HLL_M, 1);
	for (i = 0; i < h->cap; i++)
		if (h->sparse[i] != 0)
			h->dense[(h->sparse[i] >> 8) - 1] = (uint8_t)(h->sparse[i] & 0xff);
	free(h->sparse);
	h->sparse = NULL;
	h->cap = h->n = 0;
}

static void sparse_set(struct dh_hll *h, uint32_t idx, uint8_t rank);

static void
sparse_grow(struct dh_hll *h)
{
	uint32_t *old = h->sparse, oldcap = h->cap, i;

	h->cap = oldcap ? oldcap * 2 : 16;
	h->sparse = dh_xcalloc(h->cap, sizeof(*h->sparse));
	h->n = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i] != 0)
			sparse_set(h, (old[i] >> 8) - 1, (uint8_t)(old[i] & 0xff));
	free(old);
}

static void
sparse_set(struct dh_hll *h, uint32_t idx, uint8_t rank)
{
	uint32_t s, tag = (idx + 1) << 8;

	if ((h->n + 1) * 4 > h->cap * 3) {
		if (h->cap >= SPARSE_MAX_CAP) {
			make_dense(h);
			if (h->dense[idx] < rank)
				h->dense[idx] = rank;
			return;
		}
		sparse_grow(h);
	}
	for (s = slot_of(idx, h->cap);; s = (s + 1) & (h->cap - 1)) {
		if (h->sparse[s] == 0) {
			h->sparse[s] = tag | rank;
			h->n++;
			return;
		}
		if ((h->sparse[s] & ~0xffu) == tag) {
			if ((h->sparse[s] & 0xff) < rank)
				h->sparse[s] = tag | rank;
			return;
		}
	}
}

void
dh_hll_set(struct dh_hll *h, uint32_t idx, uint8_t rank)
{
	if (rank == 0)
		return;
	if (h->dense != NULL) {
		if (h->dense[idx] < rank)
			h->dense[idx] = rank;
		return;
	}
	sparse_set(h, idx, rank);
}

void
dh_hll_add(struct dh_hll *h, uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash >> (64 - DH_HLL_P));
	uint64_t w = (hash << DH_HLL_P) | ((uint64_t)1 << (DH_HLL_P - 1));

	dh_hll_set(h, idx, (uint8_t)(__builtin_clzll(w) + 1));
}

uint8_t
dh_hll_get(const struct dh_hll *h, uint32_t idx)
{
	uint32_t s, tag = (idx + 1) << 8;

	if (h->dense != NULL)
		return h->dense[idx];
	if (h->cap == 0)
		return 0;
	for (s = slot_of(idx, h->cap); h->sparse[s] != 0; s = (s + 1) & (h->cap - 1))
		if ((h->sparse[s] & ~0xffu) == tag)
			return (uint8_t)(h->sparse[s] & 0xff);
	return 0;
}

void
dh_hll_merge(struct dh_hll *h, const struct dh_hll *o)
{
	uint32_t i;

	if (o->dense != NULL) {
		for (i = 0; i < DH_HLL_M; i++)
			dh_hll_set(h, i, o->dense[i]);
		return;
	}
	for (i = 0; i < o->cap; i++)
		if (o->sparse[i] != 0)
			dh_hll_set(h, (o->sparse[i] >> 8) - 1, (uint8_t)(o->sparse[i] & 0xff));
}

double
dh_hll_estimate(const struct dh_hll *h)
{
	double m = DH_HLL_M, e;
	/* sum of 2^-rank in fixed point, exact: the estimate does not
	 * depend on the sketch's layout (sparse or dense, merged or not) */
	unsigned __int128 sum = 0;
	uint32_t i, zeros = 0;

	if (h->dense != NULL) {
		for (i = 0; i < DH_HLL_M; i++) {
			sum += (unsigned __int128)1 << (64 - h->dense[i]);
			zeros += h->dense[i] == 0;
		}
	} else {
		zeros = DH_HLL_M - h->n;
		sum = (unsigned __int128)zeros << 64;
		for (i = 0; i < h->cap; i++)
			if (h->sparse[i] != 0)
				sum += (unsigned __int128)1 << (64 - (h->sparse[i] & 0xff));
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / ldexp((double)sum, -64);
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);
	return e;
}

void
dh_hll_release(struct dh_hll *h)
{
	free(h->dense);
	free(h->sparse);
	h->dense = NULL;
	h->sparse = NULL;
	h->cap = h->n = 0;
}
