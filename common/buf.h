/*
 * buf: a growable byte buffer, like git's strbuf.
 *
 * Ownership: a struct dh_buf owns data.  Initialise with DH_BUF_INIT (or
 * zero); dh_buf_release() frees and resets it; dh_buf_detach() hands the
 * bytes to the caller.  data is always NUL-terminated once anything has
 * been added, so it can be printed; len excludes that NUL.  Pointers into
 * data are invalidated by any call that adds bytes.
 */
#ifndef DH_BUF_H
#define DH_BUF_H

#include <stddef.h>
#include <string.h>

#include "err.h"

struct dh_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define DH_BUF_INIT {NULL, 0, 0}

/* Make room for at least extra more bytes (plus the NUL). */
void dh_buf_grow(struct dh_buf *b, size_t extra);
void dh_buf_adds(struct dh_buf *b, const char *s);
void dh_buf_addf(struct dh_buf *b, const char *fmt, ...) DH_PRINTF(2, 3);
void dh_buf_reset(struct dh_buf *b); /* len = 0, keeps the memory */
void dh_buf_release(struct dh_buf *b);
char *dh_buf_detach(struct dh_buf *b, size_t *len);

static inline char *
dh_buf_reserve(struct dh_buf *b, size_t n)
{
	if (b->cap - b->len < n + 1)
		dh_buf_grow(b, n);
	return b->data + b->len;
}

static inline void
dh_buf_add(struct dh_buf *b, const void *p, size_t n)
{
	dh_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void
dh_buf_addc(struct dh_buf *b, char c)
{
	dh_buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

/*
 * Are a[0..n) and b[0..n) the same bytes?  For the short names records
 * repeat (field names, keys): up to 16 bytes with two overlapping loads
 * each side, never past n, without a call; longer ones by memcmp.
 */
static inline int
dh_mem_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	if (n >= 8 && n <= 16) {
		unsigned long long x0, x1, y0, y1;

		memcpy(&x0, x, 8);
		memcpy(&y0, y, 8);
		memcpy(&x1, x + n - 8, 8);
		memcpy(&y1, y + n - 8, 8);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	if (n >= 4 && n < 8) {
		unsigned x0, x1, y0, y1;

		memcpy(&x0, x, 4);
		memcpy(&y0, y, 4);
		memcpy(&x1, x + n - 4, 4);
		memcpy(&y1, y + n - 4, 4);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	if (n < 4) {
		size_t i;

		for (i = 0; i < n; i++)
			if (x[i] != y[i])
				return 0;
		return 1;
	}
	return memcmp(a, b, n) == 0;
}

#endif
