/*
 * Fuzz target: the catalog of a state directory (common/lineage) over a
 * state the input describes, written into a fresh directory for each
 * input (under /dev/shm, else /tmp) and removed after.  The input is two
 * option bytes, then up to three parts separated by the line "%%": a
 * _MANIFEST's bytes, a data file's bytes, a _TABLE's bytes.
 *
 * Partition A is t/dt=1.  Option byte 0:
 *	bit 0  A has _SUCCESS
 *	bit 1  A's _MANIFEST is the first part as it is; else one written
 *	       with dh_manifest_dump, listing the data file with its size,
 *	       records (lines) and xxh128, as dh writes it
 *	bit 2  ... with a size one more than the file's
 *	bit 3  ... with another hash
 *	bit 4  the data file is not there
 *	bit 5  partition u/dt=2 (B) is there, complete, and lists A as an
 *	       input with A's manifest hash
 *	bit 6  ... with another hash
 *	bit 7  A has no _MANIFEST
 * Option byte 1:
 *	bit 0  the generated manifest's format is "jsonl", else "none"
 *	bit 1  the data file is "data", else "part-0.jsonl"
 *	bit 2  t/_TABLE holds the third part
 *	bit 3  A holds extra.jsonl, a file no manifest lists
 *	bit 4  A holds .tmp.x, a file a writer left
 *	bit 5  the data file is a directory
 *	bit 6  the generated manifest's records are one more
 *	bit 7  A's _MANIFEST is a symbolic link to a file with its bytes
 *
 * Holds, against what was written: dh_catalog_load finds the tables and
 * partitions; A has _SUCCESS and a manifest exactly when written so (the
 * manifest when dh_manifest_parse takes its bytes), with the manifest's
 * hash and totals; its status is incomplete without _SUCCESS, damaged
 * without a readable manifest or with a listed file missing or of another
 * size, stale when a recorded input changed or is gone, else ok; damaged
 * and stale say why.  B lists A downstream.  dh_catalog_verify (for the
 * formats it reads without ending the program: jsonl and unknown ones,
 * plain data) reports each listed file missing, of another size or hash,
 * the unlisted file and the temporary one, and nothing else: its report
 * is empty exactly when the partition is ok, complete and all matches.
 * Built and run by `make fuzz`; `make check` replays tests/fuzz/corpus-state.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "input.h"
#include "lineage.h"
#include "manifest.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "fuzz_state: " __VA_ARGS__);                   \
		fputc('\n', stderr);                                           \
		abort();                                                       \
	} while (0)

/* tmpfs when there is one: directories on a disk cost milliseconds */
static const char *
tmp_base(void)
{
	static const char *base;
	struct stat st;

	if (base == NULL)
		base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
			       access("/dev/shm", W_OK | X_OK) == 0
			   ? "/dev/shm"
			   : "/tmp";
	return base;
}

static void
rm_rf(int dfd, const char *name)
{
	int fd =
	    openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd < 0) {
		unlinkat(dfd, name, 0);
		return;
	}
	d = fdopendir(fd);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			rm_rf(dirfd(d), de->d_name);
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) != 0)
		FAIL("cannot remove %s", name);
}

static void
put_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		FAIL("cannot write %s", path);
}

static void
put_dir(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, 0755) != 0)
		FAIL("cannot make %s", path);
}

/* The lines dh_input_line gives of p[0..n). */
static unsigned long long
lines(const char *p, size_t n)
{
	unsigned long long k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		k += p[i] == '\n';
	return k + (n > 0 && p[n - 1] != '\n');
}

/* A hash that is not h: its first digit changed. */
static void
other_hash(char h[DH_HASH_HEX])
{
	h[0] = h[0] == '0' ? '1' : '0';
}

static char *
gen_manifest(const char *table, const char *part, const char *format,
	     const char *name, unsigned long long bytes,
	     unsigned long long records, const char *hash, const char *input,
	     const char *input_hash, size_t *len)
{
	struct dh_manifest m;
	char *text;

	memset(&m, 0, sizeof(m));
	m.table = strdup(table);
	m.partition = strdup(part);
	m.format = strdup(format);
	snprintf(m.created, sizeof(m.created), "2026-11-20T00:00:00Z");
	dh_manifest_add_file(&m, name, bytes, records, hash);
	if (input != NULL)
		dh_manifest_add_input(&m, input, 1, 0, input_hash);
	text = dh_manifest_dump(&m, len);
	dh_manifest_release(&m);
	return text;
}

/* What A's directory holds, by name: 0 nothing, 1 a file, 2 a directory. */
struct held {
	const char *dataname;
	int data; /* 0, 1 or 2 */
	const char *bytes;
	size_t n;
	int extra, tmp;
};

static int
held_kind(const struct held *h, const char *name, const char **p, size_t *n)
{
	if (strcmp(name, h->dataname) == 0 && h->data) {
		*p = h->bytes;
		*n = h->n;
		return h->data;
	}
	if (strcmp(name, "extra.jsonl") == 0 && h->extra) {
		*p = "{}\n";
		*n = 3;
		return 1;
	}
	if (strcmp(name, ".tmp.x") == 0 && h->tmp) {
		*p = "x";
		*n = 1;
		return 1;
	}
	return 0;
}

/* A problem line of the report, as "\nNAME: what". */
static int
reported(const struct dh_buf *problems, const char *name, const char *what)
{
	struct dh_buf b = DH_BUF_INIT;
	int found;

	dh_buf_addf(&b, "\n%s: %s", name, what);
	found = strstr(problems->data, b.data) != NULL;
	dh_buf_release(&b);
	return found;
}

/* Split the input at "\n%%\n" into up to three parts. */
static size_t
split(const char *p, size_t n, const char **part, size_t *len)
{
	size_t k = 0;

	while (k < 3) {
		const char *s = NULL;
		size_t i;

		for (i = 0; i + 4 <= n; i++)
			if (memcmp(p + i, "\n%%\n", 4) == 0) {
				s = p + i;
				break;
			}
		part[k] = p;
		len[k] = s ? (size_t)(s - p) : n;
		k++;
		if (s == NULL)
			break;
		n -= (size_t)(s - p) + 4;
		p = s + 4;
	}
	return k;
}

/* An input's state as the catalog should see it: "ok", "changed",
 * "gone", or NULL when the target cannot tell. */
static const char *
input_state(const struct dh_manifest_input *in, int a_parsed,
	    const char *a_hash, int b_there, const char *b_hash)
{
	if (strcmp(in->path, "t/dt=1") == 0)
		return !a_parsed			 ? "gone"
		       : strcmp(a_hash, in->xxh128) == 0 ? "ok"
							 : "changed";
	if (strcmp(in->path, "u/dt=2") == 0)
		return !b_there				 ? "gone"
		       : strcmp(b_hash, in->xxh128) == 0 ? "ok"
							 : "changed";
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char root[64], adir[96], tdir[96], bdir[96];
	const char *part[3] = {"", "", ""}, *mbytes = NULL;
	size_t plen[3] = {0, 0, 0}, mlen = 0, i;
	unsigned o0, o1;
	char *copy, *gen = NULL, *bgen = NULL, dhash[DH_HASH_HEX],
		    ahash[DH_HASH_HEX], bhash[DH_HASH_HEX], ihash[DH_HASH_HEX];
	struct dh_manifest am;
	struct dh_buf err = DH_BUF_INIT, problems = DH_BUF_INIT,
		      schema = DH_BUF_INIT;
	struct dh_catalog c;
	struct held held;
	int a_parsed = 0, b_there, with_manifest, unsure = 0, files_ok = 1;
	long ai, bi = -1;
	const struct dh_cpart *a;
	enum dh_part_status want;
	enum dh_format fmt;

	if (size < 2)
		return 0;
	o0 = data[0];
	o1 = data[1];
	copy = malloc(size - 2 ? size - 2 : 1);
	memcpy(copy, data + 2, size - 2);
	split(copy, size - 2, part, plen);
	b_there = (o0 & 32) != 0;
	with_manifest = !(o0 & 128);
	held.dataname = o1 & 2 ? "data" : "part-0.jsonl";
	held.data = o0 & 16 ? 0 : o1 & 32 ? 2 : 1;
	held.bytes = part[1];
	held.n = plen[1];
	held.extra = (o1 & 8) != 0;
	held.tmp = (o1 & 16) != 0;
	dh_hash_bytes(part[1], plen[1], dhash);

	/* the manifest's bytes, and what the catalog should make of them */
	memset(&am, 0, sizeof(am));
	/* without one, B records the hash of a manifest that was there once */
	snprintf(ahash, sizeof(ahash), "%032d", 0);
	if (o0 & 2) {
		mbytes = part[0];
		mlen = plen[0];
	} else {
		char h[DH_HASH_HEX];

		memcpy(h, dhash, sizeof(h));
		if (o0 & 8)
			other_hash(h);
		gen = gen_manifest("t", "dt=1", o1 & 1 ? "jsonl" : "none",
				   held.dataname, plen[1] + ((o0 & 4) != 0),
				   lines(part[1], plen[1]) + ((o1 & 64) != 0),
				   h, NULL, NULL, &mlen);
		mbytes = gen;
	}
	if (with_manifest) {
		dh_manifest_hash(mbytes, mlen, ahash);
		a_parsed = dh_manifest_parse(mbytes, mlen, "_MANIFEST", &am,
					     &err) == 0 &&
			   !(o1 & 128);
		/* inputs: partitions of this state, never files outside it */
		for (i = 0; a_parsed && i < am.ninputs; i++)
			if (!am.inputs[i].partition ||
			    am.inputs[i].path[0] == '/' ||
			    strstr(am.inputs[i].path, "..") != NULL)
				goto out;
	}

	snprintf(root, sizeof(root), "%s/dh-fuzz-state.XXXXXX", tmp_base());
	if (mkdtemp(root) == NULL)
		FAIL("mkdtemp %s", root);
	snprintf(tdir, sizeof(tdir), "%s/t", root);
	snprintf(adir, sizeof(adir), "%s/t/dt=1", root);
	put_dir(root, "t");
	put_dir(tdir, "dt=1");
	if (o1 & 4)
		put_file(tdir, "_TABLE", part[2], plen[2]);
	if (o0 & 1)
		put_file(adir, "_SUCCESS", "", 0);
	if (with_manifest && (o1 & 128)) {
		char target[128], link[128];

		put_file(root, "_real", mbytes, mlen);
		snprintf(target, sizeof(target), "%s/_real", root);
		snprintf(link, sizeof(link), "%s/_MANIFEST", adir);
		if (symlink(target, link) != 0)
			FAIL("symlink");
	} else if (with_manifest) {
		put_file(adir, "_MANIFEST", mbytes, mlen);
	}
	if (held.data == 1)
		put_file(adir, held.dataname, part[1], plen[1]);
	else if (held.data == 2)
		put_dir(adir, held.dataname);
	if (held.extra)
		put_file(adir, "extra.jsonl", "{}\n", 3);
	if (held.tmp)
		put_file(adir, ".tmp.x", "x", 1);
	if (b_there) {
		size_t blen;

		memcpy(ihash, ahash, sizeof(ihash));
		if (o0 & 64)
			other_hash(ihash);
		snprintf(bdir, sizeof(bdir), "%s/u/dt=2", root);
		put_dir(root, "u");
		put_dir(root, "u/dt=2");
		put_file(bdir, "_SUCCESS", "", 0);
		put_file(bdir, "b", "b1\n", 3);
		dh_hash_bytes("b1\n", 3, bhash);
		bgen = gen_manifest("u", "dt=2", "none", "b", 3, 1, bhash,
				    "t/dt=1", ihash, &blen);
		put_file(bdir, "_MANIFEST", bgen, blen);
		dh_manifest_hash(bgen, blen, bhash);
	}

	/* the catalog */
	dh_buf_reset(&err);
	if (dh_catalog_load(&c, root, &err) != 0)
		FAIL("dh_catalog_load: %s", err.data);
	if (c.nparts != 1u + b_there || c.ntables != 1u + b_there ||
	    strcmp(c.tables[0], "t") != 0 ||
	    (b_there && strcmp(c.tables[1], "u") != 0))
		FAIL("%zu partitions in %zu tables", c.nparts, c.ntables);
	ai = dh_catalog_find(&c, "t/dt=1");
	if (b_there)
		bi = dh_catalog_find(&c, "u/dt=2");
	if (ai < 0 || (b_there && bi < 0))
		FAIL("a partition is not found by its path");
	a = &c.parts[ai];
	if (a->table != 0 || strcmp(a->name, "dt=1") != 0)
		FAIL("partition A in table %zu named %s", a->table, a->name);
	if (a->has_success != (int)(o0 & 1))
		FAIL("A: has_success %d", a->has_success);
	if (a->has_manifest != a_parsed)
		FAIL("A: has_manifest %d, the manifest %s", a->has_manifest,
		     a_parsed ? "parses" : "does not parse");
	if (with_manifest && !(o1 & 128) && strcmp(a->mhash, ahash) != 0)
		FAIL("A: manifest hash %s, not %s", a->mhash, ahash);
	if (a_parsed) {
		unsigned long long r = 0, b = 0;

		for (i = 0; i < am.nfiles; i++) {
			r += am.files[i].records;
			b += am.files[i].bytes;
		}
		if (a->records != r || a->bytes != b)
			FAIL("A: totals %llu, %llu, not %llu, %llu", a->records,
			     a->bytes, r, b);
	}

	/* A's status */
	for (i = 0; a_parsed && i < am.nfiles; i++) {
		const char *p;
		size_t n;

		if (held_kind(&held, am.files[i].name, &p, &n) != 1 ||
		    n != am.files[i].bytes)
			files_ok = 0;
	}
	if (!(o0 & 1))
		want = DH_PART_INCOMPLETE;
	else if (!a_parsed || !files_ok)
		want = DH_PART_DAMAGED;
	else
		want = DH_PART_OK;
	for (i = 0; want == DH_PART_OK && i < am.ninputs; i++) {
		const char *s =
		    input_state(&am.inputs[i], a_parsed, ahash, b_there, bhash);

		if (s == NULL)
			unsure = 1;
		else if (strcmp(s, "ok") != 0)
			want = DH_PART_STALE;
	}
	if (a->status != want &&
	    !(unsure && want == DH_PART_OK && a->status == DH_PART_STALE))
		FAIL("A is %s, not %s", dh_part_status_name(a->status),
		     dh_part_status_name(want));
	if ((a->status == DH_PART_DAMAGED || a->status == DH_PART_STALE) &&
	    (a->why == NULL || *a->why == '\0'))
		FAIL("A is %s without a reason",
		     dh_part_status_name(a->status));

	/* B, and the edge from A */
	if (b_there) {
		const struct dh_cpart *b = &c.parts[bi];
		const char *s = !a_parsed		    ? "gone"
				: strcmp(ahash, ihash) == 0 ? "ok"
							    : "changed";
		unsigned char *mark = calloc(c.nparts, 1);
		size_t k;
		int edge = 0;

		if (!b->has_success || !b->has_manifest ||
		    strcmp(b->mhash, bhash) != 0)
			FAIL("B: not read as written");
		if ((b->status == DH_PART_OK) != (strcmp(s, "ok") == 0) ||
		    (b->status != DH_PART_OK && b->status != DH_PART_STALE))
			FAIL("B is %s, its input A %s",
			     dh_part_status_name(b->status), s);
		for (k = 0; k < a->ndown; k++)
			edge |= a->down[k] == (size_t)bi;
		if (!edge)
			FAIL("B is not downstream of A");
		dh_catalog_downstream(&c, (size_t)ai, mark);
		if (!mark[bi])
			FAIL("B is not marked downstream of A");
		free(mark);
	}

	/* dh-check's verification of A */
	fmt = a_parsed ? dh_format_parse(am.format) : DH_FMT_NONE;
	if ((fmt == DH_FMT_NONE || fmt == DH_FMT_JSONL) &&
	    dh_input_codec_of(part[1], plen[1]) == NULL) {
		int expect_none =
		    a->status == DH_PART_OK || a->status == DH_PART_INCOMPLETE;
		size_t k;

		dh_buf_addc(&problems, '\n');
		dh_catalog_verify(&c, (size_t)ai, &problems, &schema);
		if (a->has_success && !a->has_manifest)
			expect_none = 0;
		if (a->status == DH_PART_STALE)
			expect_none = 0;
		if (a_parsed && am.has_totals) {
			unsigned long long r = 0, b = 0;

			for (i = 0; i < am.nfiles; i++) {
				r += am.files[i].records;
				b += am.files[i].bytes;
			}
			if (r != am.records || b != am.bytes)
				expect_none = 0;
		}
		for (i = 0; a_parsed && i < am.nfiles; i++) {
			const struct dh_manifest_file *f = &am.files[i];
			const char *p = NULL;
			size_t n = 0;
			int kind = held_kind(&held, f->name, &p, &n), missing,
			    sized, hashed;
			char h[DH_HASH_HEX];

			missing = kind != 1;
			sized = !missing && n != f->bytes;
			if (!missing)
				dh_hash_bytes(p, n, h);
			hashed =
			    !missing && !sized && strcmp(h, f->xxh128) != 0;
			dh_buf_reset(&err);
			dh_buf_addf(&err, "%zu bytes, the manifest says %llu",
				    n, f->bytes);
			if (reported(&problems, f->name,
				     "missing (the manifest lists it)") !=
				missing ||
			    reported(&problems, f->name, err.data) != sized ||
			    reported(&problems, f->name, "xxh128 ") != hashed)
				FAIL("verify: %s: missing %d, size %d, hash "
				     "%d, report:%s",
				     f->name, missing, sized, hashed,
				     problems.data);
			if (missing || sized || hashed)
				expect_none = 0;
			else if (fmt == DH_FMT_JSONL &&
				 lines(p, n) != f->records)
				expect_none = 0;
		}
		for (k = 0; k < 2; k++) {
			const char *nm = k ? "extra.jsonl" : held.dataname;
			int listed = 0, there = k ? held.extra : held.data != 0;

			for (i = 0; a_parsed && i < am.nfiles; i++)
				listed |= strcmp(am.files[i].name, nm) == 0;
			if (reported(
				&problems, nm,
				"a data file the manifest does not list") !=
			    (there && a_parsed && !listed))
				FAIL("verify: %s unlisted or not: %s", nm,
				     problems.data);
			if (there && a_parsed && !listed)
				expect_none = 0;
		}
		if (reported(&problems, ".tmp.x", "a temporary file") !=
		    held.tmp)
			FAIL("verify: the temporary file: %s", problems.data);
		if (held.tmp)
			expect_none = 0;
		/* bad JSON lines are reported too: not counted here */
		if (fmt == DH_FMT_JSONL &&
		    strstr(problems.data, ": a bad record: ") != NULL)
			expect_none = 0;
		if (expect_none != (problems.len == 1))
			FAIL("verify: %s report for a partition that is %s:%s",
			     problems.len == 1 ? "an empty" : "a",
			     dh_part_status_name(a->status), problems.data);
	}
	dh_catalog_release(&c);
	rm_rf(AT_FDCWD, root);
out:
	dh_manifest_release(&am);
	dh_buf_release(&err);
	dh_buf_release(&problems);
	dh_buf_release(&schema);
	free(gen);
	free(bgen);
	free(copy);
	return 0;
}
