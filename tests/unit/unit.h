/*
 * A tiny unit-test harness: CHECK(cond) and CHECK_STR(got, want) count
 * results; unit_done() prints "N passed, N failed" and gives the exit code.
 */
#ifndef DH_UNIT_H
#define DH_UNIT_H

#include <stdio.h>
#include <string.h>

#include "buf.h"

static int unit_pass, unit_fail;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			unit_pass++;                                           \
		} else {                                                       \
			unit_fail++;                                           \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_MEM(got, gotlen, want)                                           \
	do {                                                                   \
		const char *w_ = (want);                                       \
		size_t wl_ = strlen(w_);                                       \
		if ((gotlen) == wl_ && memcmp((got), w_, wl_) == 0) {          \
			unit_pass++;                                           \
		} else {                                                       \
			unit_fail++;                                           \
			fprintf(stderr, "%s:%d: got \"%.*s\", want \"%s\"\n",  \
				__FILE__, __LINE__, (int)(gotlen), (got), w_); \
		}                                                              \
	} while (0)

/* Append len letters (a, b, c...) to b with special before letter at
 * (at == len: after the last): scanners and quoters meet it at every
 * offset of their 16- and 8-byte steps. */
static inline void
unit_special_at(struct dh_buf *b, size_t len, size_t at, const char *special)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (i == at)
			dh_buf_adds(b, special);
		dh_buf_addc(b, (char)('a' + i % 26));
	}
	if (at == len)
		dh_buf_adds(b, special);
}

static int
unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

#endif
