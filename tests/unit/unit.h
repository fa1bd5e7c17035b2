/*
 * A tiny unit-test harness: CHECK(cond) and CHECK_STR(got, want) count
 * results; unit_done() prints "N passed, N failed" and gives the exit code.
 */
#ifndef DH_UNIT_H
#define DH_UNIT_H

#include <stdio.h>
#include <string.h>

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

static int
unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

#endif
