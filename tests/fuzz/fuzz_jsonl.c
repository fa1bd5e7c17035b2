/*
 * Differential fuzz target: the JSON-lines record scanner against jansson
 * (tests/jdiff.h).  Any disagreement on accept/reject or on the decoded
 * members aborts.  Built and run by `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../jdiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;

	if (jdiff_line((const char *)data, size, &why) == JDIFF_DISAGREE) {
		fprintf(stderr, "disagreement: %s\n", why);
		abort();
	}
	return 0;
}
