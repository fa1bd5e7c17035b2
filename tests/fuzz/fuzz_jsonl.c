/*
 * Differential fuzz target: the JSON-lines record scanner against jansson
 * (tests/jdiff.h).  Any disagreement on accept/reject or on the decoded
 * members aborts.  Then the input's lines are scanned one after another
 * with one hint (the keys of the record before), flattened when the first
 * byte is odd: each must give exactly what a scan without a hint gives.
 * Built and run by `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jdiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why, *p = (const char *)data, *e = p + size;
	struct dh_json_hint hint = DH_JSON_HINT_INIT;
	int flatten = size > 0 && (data[0] & 1);

	if (jdiff_line(p, size, &why) == JDIFF_DISAGREE) {
		fprintf(stderr, "disagreement: %s\n", why);
		abort();
	}
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t n = (size_t)((nl != NULL ? nl : e) - p);

		if (jdiff_hinted(p, n, flatten, &hint, &why) == JDIFF_DISAGREE) {
			fprintf(stderr, "hinted disagreement: %s\n", why);
			abort();
		}
		p += n + (nl != NULL);
	}
	dh_json_hint_release(&hint);
	return 0;
}
