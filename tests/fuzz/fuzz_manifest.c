/*
 * Fuzz target: the manifest reader (common/manifest).  The input is a
 * _MANIFEST's bytes, in a buffer of exactly their size.  Holds:
 *   - dh_manifest_parse accepts, or refuses saying why;
 *   - an accepted manifest names only plain files (not empty, no '/', no
 *     leading '.' or '_') with 32-character hashes;
 *   - dh_manifest_dump of it parses again to the same table, partition,
 *     format, compression, files (names, counts, hashes, sources, pieces),
 *     inputs, command and creation time, with totals that are the sums of
 *     its files; dumping that again gives the same bytes;
 *   - the identity hash of a dump (no checks in it) is the hash of its
 *     bytes.
 * Built and run by `make fuzz`; `make check` replays
 * tests/fuzz/corpus-manifest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "fuzz_manifest: " __VA_ARGS__);                \
		fputc('\n', stderr);                                           \
		abort();                                                       \
	} while (0)

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
same_manifest(const struct dh_manifest *a, const struct dh_manifest *b)
{
	unsigned long long records = 0, bytes = 0;
	size_t i;

	if (!same_str(a->table, b->table) ||
	    !same_str(a->partition, b->partition) ||
	    !same_str(a->format, b->format) ||
	    !same_str(a->compression, b->compression) ||
	    strcmp(a->created, b->created) != 0)
		FAIL(
		    "table, partition, format, compression or created changed");
	if (a->nfiles != b->nfiles || a->ninputs != b->ninputs ||
	    a->ncommand != b->ncommand)
		FAIL("%zu files, %zu inputs, %zu command words became %zu, "
		     "%zu, %zu",
		     a->nfiles, a->ninputs, a->ncommand, b->nfiles, b->ninputs,
		     b->ncommand);
	for (i = 0; i < a->nfiles; i++) {
		const struct dh_manifest_file *f = &a->files[i],
					      *g = &b->files[i];

		if (strcmp(f->name, g->name) != 0 || f->bytes != g->bytes ||
		    f->records != g->records ||
		    strcmp(f->xxh128, g->xxh128) != 0)
			FAIL("file %zu changed", i);
		if (!same_str(f->source, g->source) ||
		    (f->source != NULL &&
		     (f->source_bytes != g->source_bytes ||
		      strcmp(f->source_xxh128, g->source_xxh128) != 0)))
			FAIL("file %zu: its source changed", i);
		if (f->follow != g->follow ||
		    (f->follow &&
		     (f->follow_from != g->follow_from ||
		      f->follow_to != g->follow_to ||
		      f->follow_seq != g->follow_seq ||
		      strcmp(f->follow_head, g->follow_head) != 0)))
			FAIL("file %zu: its piece changed", i);
		records += g->records;
		bytes += g->bytes;
	}
	for (i = 0; i < a->ninputs; i++) {
		const struct dh_manifest_input *x = &a->inputs[i],
					       *y = &b->inputs[i];

		if (strcmp(x->path, y->path) != 0 ||
		    x->partition != y->partition ||
		    strcmp(x->xxh128, y->xxh128) != 0 ||
		    (!x->partition && x->bytes != y->bytes))
			FAIL("input %zu changed", i);
	}
	for (i = 0; i < a->ncommand; i++)
		if (strcmp(a->command[i], b->command[i]) != 0)
			FAIL("command word %zu changed", i);
	if (!b->has_totals || b->records != records || b->bytes != bytes)
		FAIL("a dump's totals are not the sums of its files");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1), *text, *text2, h1[DH_HASH_HEX],
	     h2[DH_HASH_HEX];
	struct dh_manifest m, m2, m3;
	struct dh_buf err = DH_BUF_INIT;
	size_t i, len, len2;

	memcpy(p, data, size);
	if (dh_manifest_parse(p, size, "_MANIFEST", &m, &err) != 0) {
		if (err.len == 0)
			FAIL("refused without a reason");
		if (m.files != NULL || m.table != NULL || m.nfiles != 0)
			FAIL("a refused manifest kept what it read");
		goto done;
	}
	for (i = 0; i < m.nfiles; i++) {
		const char *n = m.files[i].name;

		if (n[0] == '\0' || n[0] == '.' || n[0] == '_' ||
		    strchr(n, '/') != NULL)
			FAIL("accepted file name \"%s\"", n);
		if (strlen(m.files[i].xxh128) != 32)
			FAIL("accepted hash \"%s\"", m.files[i].xxh128);
	}
	text = dh_manifest_dump(&m, &len);
	if (strlen(text) != len)
		FAIL("a dump holds a NUL");
	dh_buf_reset(&err);
	if (dh_manifest_parse(text, len, "_MANIFEST", &m2, &err) != 0)
		FAIL("a dump does not parse: %s\n%s", err.data, text);
	same_manifest(&m, &m2);
	text2 = dh_manifest_dump(&m2, &len2);
	if (len2 != len || memcmp(text, text2, len) != 0)
		FAIL("dumping again changed the manifest:\n%s\n%s", text,
		     text2);
	if (dh_manifest_parse(text2, len2, "_MANIFEST", &m3, &err) != 0)
		FAIL("the second dump does not parse");
	same_manifest(&m2, &m3);
	dh_manifest_hash(text, len, h1);
	dh_hash_bytes(text, len, h2);
	if (strcmp(h1, h2) != 0)
		FAIL("the identity of a manifest without checks is not its "
		     "hash");
	dh_manifest_release(&m3);
	dh_manifest_release(&m2);
	free(text);
	free(text2);
	dh_manifest_release(&m);
done:
	dh_buf_release(&err);
	free(p);
	return 0;
}
