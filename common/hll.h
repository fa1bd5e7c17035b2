/*
 * hll: HyperLogLog distinct counts (Flajolet et al. 2007, with linear
 * counting for small cardinalities), 2^14 registers: standard error
 * 0.81%.  A sketch starts sparse (a small table of the registers set) and
 * turns dense (16 KiB) only when that would be smaller, so that millions
 * of small groups stay cheap.  Sketches merge by taking each register's
 * maximum, so merging is exact: merged sketches equal one sketch of all
 * the values.
 *
 * Ownership: struct dh_hll owns its arrays; initialise with DH_HLL_INIT,
 * free with dh_hll_release().
 */
#ifndef DH_HLL_H
#define DH_HLL_H

#include <stddef.h>
#include <stdint.h>

#define DH_HLL_P 14
#define DH_HLL_M (1u << DH_HLL_P)

struct dh_hll {
	uint8_t *dense;   /* DH_HLL_M registers, or NULL while sparse */
	uint32_t *sparse; /* open addressing: (index + 1) << 8 | rank; 0 empty */
	uint32_t cap, n;
};

#define DH_HLL_INIT {NULL, NULL, 0, 0}

/* Count a value by its 64-bit hash. */
void dh_hll_add(struct dh_hll *h, uint64_t hash);
/* Set register idx to at least rank (for merging and reading back). */
void dh_hll_set(struct dh_hll *h, uint32_t idx, uint8_t rank);
void dh_hll_merge(struct dh_hll *h, const struct dh_hll *o);
/* Register idx's rank (0: never set). */
uint8_t dh_hll_get(const struct dh_hll *h, uint32_t idx);
double dh_hll_estimate(const struct dh_hll *h);
void dh_hll_release(struct dh_hll *h);

#endif
