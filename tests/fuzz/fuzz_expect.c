/*
 * Fuzz target: the expectation parser (common/expect) and one record held
 * to what it parsed.  The input is the expectation's text, a newline, and
 * a JSON line.  A parsed expectation's normalised text must parse again to
 * itself; anything else (a crash, a leak, undefined behaviour) is found by
 * the sanitizers.  Built and run by `make fuzz`; the corpus in
 * tests/fuzz/corpus-expect is replayed by test_expect in `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl = memchr(p, '\n', size);
	size_t tlen = nl ? (size_t)(nl - p) : size;
	char *text = malloc(tlen + 1);
	struct dh_expect e, again;
	struct dh_buf err = DH_BUF_INIT;

	memcpy(text, p, tlen);
	text[tlen] = '\0';
	if (dh_expect_parse(&e, text, &err) == 0) {
		struct dh_reader r;
		struct dh_record rec = DH_RECORD_INIT;

		dh_buf_reset(&err);
		if (dh_expect_parse(&again, e.text, &err) != 0 || strcmp(again.text, e.text) != 0) {
			fprintf(stderr, "normalised text %s does not parse to itself: %s\n", e.text,
				err.data ? err.data : again.text);
			abort();
		}
		dh_expect_release(&again);
		dh_expect_reset(&e, 2);
		memset(&r, 0, sizeof(r));
		dh_reader_open(&r, NULL, DH_FMT_JSONL, 0);
		if (nl != NULL &&
		    dh_reader_jsonl_line(&r, nl + 1, size - tlen - 1, 1, &rec) > 0) {
			dh_expect_feed(&e, &rec, "fuzz");
			dh_expect_feed(&e, &rec, "fuzz");
			(void)dh_expect_ok(&e);
		}
		dh_reader_close(&r);
		dh_record_release(&rec);
		dh_expect_release(&e);
	}
	dh_buf_release(&err);
	free(text);
	return 0;
}
