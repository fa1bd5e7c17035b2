/* dh-ingest: land raw data in a table, write-once and idempotently. */
/* realpath(3) is XSI */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "hash.h"
#include "hashmap.h"
#include "input.h"
#include "json.h"
#include "manifest.h"
#include "opt.h"
#include "partset.h"
#include "pmap.h"
#include "progress.h"
#include "publish.h"
#include "reader.h"
#include "reject.h"
#include "state.h"
#include "stats.h"
#include "table.h"
#include "timeparse.h"
#include "writer.h"
#include "xalloc.h"

enum {
	OPT_FORCE = DH_OPT_LONG,
	OPT_FOLLOW,
};

static const struct dh_opt opts[] = {
	{'s', "state", "DIR", "the state directory (default: $DH_STATE, else ./state)", DH_COMPLETE_FILE},
	{'f', "input-format", "FMT", "format of the data: csv, tsv, jsonl, json (default: the table's, else from the name, else sniffed)", DH_COMPLETE_FORMATS},
	{'p', "partition", "KEY=VALUE", "land into this partition (default: ingest_date=today, UTC)", NULL},
	{'z', "compress", "CODEC", "compress what arrives plain: gzip, zstd, xz, bzip2", DH_COMPLETE_CODECS},
	{OPT_FORCE, "force", NULL, "land a source again even when it was landed before", NULL},
	{OPT_FOLLOW, "follow", NULL, "land only the complete lines added to each file since the last run", NULL},
	DH_OPTION_WAIT,
	DH_OPTION_SKIP_BLANK,
	DH_OPTION_MAX_RATIO,
	DH_OPTION_MAX_INFLATED,
	DH_OPTION_REJECTS,
	DH_OPTION_MAX_REJECTS,
	DH_OPTION_STATS,
	DH_OPTION_METRICS,
	{0, NULL, NULL, NULL, NULL},
};

static const struct dh_cmd cmd = {
	"dh-ingest",
	"[-s DIR] [-f FMT] [-p KEY=VALUE]... [-z CODEC] [--force] [--follow] [--wait SECS] "
	"[--skip-blank] [--rejects FILE] [--max-rejects N] [--stats] "
	"[--metrics FORMAT] TABLE SOURCE ...",
	"Land raw data in TABLE of the state directory: each SOURCE (a file, a\n"
	"directory of files, or - for standard input) becomes a new data file of\n"
	"the partition, stored as received, after every record was validated.\n"
	"Nothing written before is rewritten; a source landed before (same name,\n"
	"size and xxh128) is skipped.",
	opts,
	"Exit status:\n"
	"  0  success (also when every source was landed before)\n"
	"  1  more bad records than --max-rejects\n"
	"  2  usage error\n"
	"  3  bad input data (nothing is landed)\n"
	"  4  I/O or system error, a full disk included (nothing is landed)\n"
	"  5  another process is writing the table\n"
	"\n"
	"Examples:\n"
	"  dh-ingest -s state raw/clicks landing/clicks-*.jsonl.gz\n"
	"  printf '{\"user_id\":21,\"ts\":\"2026-11-20T23:59:59Z\"}\\n' |\n"
	"    dh-ingest -p ingest_date=2026-11-20 raw/clicks -\n",
};

/* A source landed in this run, waiting to be published. */
struct landed {
	struct dh_tmpfile tmp;
	char *source;
	unsigned long long bytes, records;
	char hash[DH_HASH_HEX];
	char *suffix; /* ".jsonl.gz" */
	const char *codec; /* of the stored bytes, or NULL */
	int follow;        /* a --follow piece: */
	unsigned long long from, to, seq;
	char head[DH_HASH_HEX];
};

/* The last --follow piece landed from a source. */
struct fstate {
	unsigned long long to, seq;
	char head[DH_HASH_HEX];
};

struct ingest {
	const char *tabledir; /* sources are copied here first */
	const char *partdir;
	const char *codec;      /* -z */
	enum dh_format fmt;     /* -f or the table's; NONE: per source */
	unsigned rflags;
	int force;
	struct dh_hashmap known; /* "name\nbytes\nhash" of sources landed */
	int follow;
	struct dh_hashmap fmap;  /* --follow: source name -> index in fstates */
	struct fstate *fstates;
	size_t nfstates;
	struct landed *piece;    /* set while land_one lands a piece */
	struct landed *land;
	size_t nland;
	struct dh_rejects rj;
	struct dh_stats st;
	struct dh_progress pg;
};

static void
known_key(struct dh_buf *b, const char *name, unsigned long long bytes,
	  const char *hash)
{
	dh_buf_reset(b);
	dh_buf_addf(b, "%s\n%llu\n%s", name, bytes, hash);
}

/* Keep the latest --follow piece (highest seq) of each source. */
static void
note_piece(struct ingest *ig, const char *name, unsigned long long to,
	   unsigned long long seq, const char *head)
{
	int added;
	size_t *i = dh_hashmap_put(&ig->fmap, name, strlen(name), ig->nfstates, &added);
	struct fstate *f;

	if (added) {
		ig->fstates = dh_xreallocarray(ig->fstates, ig->nfstates + 1,
					       sizeof(*ig->fstates));
		f = &ig->fstates[ig->nfstates++];
		f->seq = 0;
	} else {
		f = &ig->fstates[*i];
	}
	if (added || seq > f->seq) {
		f->to = to;
		f->seq = seq;
		snprintf(f->head, sizeof(f->head), "%s", head);
	}
}

/* Every source named in the manifests below dir (the table). */
static void
scan_known(struct ingest *ig, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct dh_buf path = DH_BUF_INIT, key = DH_BUF_INIT, err = DH_BUF_INIT;

	/* no table yet knows no source; one that cannot be read is an error,
	 * or every source in it would land again */
	if (d == NULL && errno == ENOENT)
		return;
	if (d == NULL)
		dh_die_errno(DH_EXIT_IO, "%s", dir);
	while ((de = readdir(d)) != NULL) {
		struct dh_manifest m;
		size_t i;
		int added, rc;

		if (de->d_name[0] == '.' || strchr(de->d_name, '=') == NULL)
			continue;
		dh_buf_reset(&path);
		dh_buf_addf(&path, "%s/%s", dir, de->d_name);
		scan_known(ig, path.data);
		dh_buf_adds(&path, "/_MANIFEST");
		if (access(path.data, F_OK) != 0)
			continue;
		dh_buf_reset(&err);
		if ((rc = dh_manifest_load(path.data, &m, &err)) != 0)
			dh_die(rc == -2 ? DH_EXIT_IO : DH_EXIT_DATA, "%s: %s", path.data, err.data);
		for (i = 0; i < m.nfiles; i++) {
			if (m.files[i].source == NULL)
				continue;
			if (m.files[i].follow)
				note_piece(ig, m.files[i].source, m.files[i].follow_to,
					   m.files[i].follow_seq, m.files[i].follow_head);
			known_key(&key, m.files[i].source, m.files[i].source_bytes,
				  m.files[i].source_xxh128);
			dh_hashmap_put(&ig->known, key.data, key.len, 0, &added);
		}
		dh_manifest_release(&m);
	}
	closedir(d);
	dh_buf_release(&path);
	dh_buf_release(&key);
	dh_buf_release(&err);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SOURCE arguments as a list of files: directories walked in name order
 * (names starting with '.' or '_' skipped), "-" kept. */
static void
add_source(char ***list, size_t *n, const char *path, int top)
{
	struct stat st;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		char **names = NULL;
		size_t nn = 0, i;

		if (d == NULL)
			dh_die_errno(DH_EXIT_IO, "%s", path);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || de->d_name[0] == '_')
				continue;
			names = dh_xreallocarray(names, nn + 1, sizeof(*names));
			names[nn++] = dh_xstrdup(de->d_name);
		}
		closedir(d);
		qsort(names, nn, sizeof(*names), cmp_str);
		for (i = 0; i < nn; i++) {
			struct dh_buf p = DH_BUF_INIT;

			dh_buf_addf(&p, "%s/%s", path, names[i]);
			add_source(list, n, p.data, 0);
			dh_buf_release(&p);
			free(names[i]);
		}
		free(names);
		return;
	}
	/* inside a directory only regular files (symlinks to them too) */
	if (!top && (stat(path, &st) != 0 || !S_ISREG(st.st_mode)))
		return;
	*list = dh_xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = dh_xstrdup(path);
}

/*
 * Copy the source's bytes as received into a temporary file of the
 * partition (compressed with -z when they arrive plain), hashing them.
 * Returns the codec the stored bytes are in, or NULL.
 */
/* Where a source's bytes come from: a descriptor, or an archive entry. */
struct bytes_in {
	int fd;
	struct archive *ar;
	int limited; /* --follow: read only `left` more bytes */
	unsigned long long left;
	unsigned long long out; /* bytes read out of ar, for the bomb limits */
};

/*
 * A libarchive error that is the system's (a read that failed: exit 4),
 * not a damaged or unknown archive (exit 3).  libarchive says
 * "unrecognized format" with EILSEQ on Linux (its ARCHIVE_ERRNO_FILE_FORMAT,
 * not exported), misuse with EINVAL, and others with -1.
 */
static int
archive_io_error(struct archive *a)
{
	int e = archive_errno(a);

	return e > 0 && e != EILSEQ && e != EINVAL;
}

/* Exit on libarchive's error about name: 4 naming the system's error, or 3. */
static void
archive_die(struct archive *a, const char *name)
{
	if (archive_io_error(a))
		dh_die(DH_EXIT_IO, "%s: %s: %s", name, archive_error_string(a),
		       strerror(archive_errno(a)));
	dh_die(DH_EXIT_DATA, "%s: %s", name, archive_error_string(a));
}

static ssize_t
read_bytes(struct bytes_in *b, char *buf, size_t n, const char *name)
{
	ssize_t r;

	if (b->ar != NULL) {
		do
			r = archive_read_data(b->ar, buf, n);
		while (r == ARCHIVE_RETRY);
		if (r < 0)
			archive_die(b->ar, name);
		/* all the archive's entries so far against its bytes read */
		b->out += (unsigned long long)r;
		dh_inflate_check(name, NULL, (unsigned long long)archive_filter_bytes(b->ar, -1),
				 b->out);
		return r;
	}
	if (b->limited && n > b->left)
		n = (size_t)b->left;
	if (n == 0)
		return 0;
	do
		r = read(b->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		dh_die_errno(DH_EXIT_IO, "%s: read error", name);
	if (b->limited)
		b->left -= (unsigned long long)r;
	return r;
}

static const char *
copy_source(struct ingest *ig, struct bytes_in *src_in, const char *name,
	    struct landed *l)
{
	static char buf[1 << 20];
	XXH3_state_t *hs = XXH3_createState();
	const char *codec = NULL;
	ssize_t r;
	int first = 1;

	XXH3_128bits_reset(hs);
	for (;;) {
		r = read_bytes(src_in, buf, sizeof(buf), name);
		if (first) {
			/* stored as received: a compressed source stays as it is */
			const char *src = r > 0 ? dh_input_codec_of(buf, (size_t)r) : NULL;

			codec = src != NULL ? src : ig->codec;
			/* in the table directory until published: a skipped
			 * source leaves no partition directory behind */
			dh_tmp_create(&l->tmp, ig->tabledir, "part-new",
				      src != NULL ? NULL : ig->codec);
			first = 0;
		}
		if (r == 0)
			break;
		XXH3_128bits_update(hs, buf, (size_t)r);
		l->bytes += (unsigned long long)r;
		dh_out_write(&l->tmp.out, buf, (size_t)r);
	}
	{
		XXH128_canonical_t c;
		size_t i;

		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(hs));
		for (i = 0; i < 16; i++)
			snprintf(l->hash + 2 * i, 3, "%02x", c.digest[i]);
	}
	XXH3_freeState(hs);
	dh_tmp_finish(&l->tmp);
	return codec;
}

/*
 * Validation of a big stored file on every CPU (common/pmap): the main
 * thread reads (decompresses) chunks, the workers check their records;
 * bad ones reach the main thread in input order, as in a serial pass.
 */
static const char *
good_record(void *ts, struct dh_pmap_job *job, struct dh_record *rec)
{
	(void)ts;
	(void)rec;
	job->records_out++; /* a good record */
	return NULL;
}

/*
 * Read back the stored file in the table's format (messages name the
 * source as given): count its records;
 * a bad one stops the run, or with --rejects is set aside and the file
 * is written again holding the good records only, as they were received.
 */
static void
validate(struct ingest *ig, struct landed *l, const char *given,
	 enum dh_format fmt, const char *codec)
{
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	struct dh_tmpfile good;
	int rc, bad = 0, pass, par, nthreads = dh_pmap_threads();

	for (pass = 0; pass < 2; pass++) {
		dh_input_open(&in, l->tmp.tmp);
		in.loc.name = given; /* messages name the source, not the copy */
		dh_reader_open(&r, &in, fmt, ig->rflags);
		l->records = 0;
		par = pass == 0 && dh_pmap_fits(&in, fmt, nthreads, ig->rj.path != NULL);
		/* a CSV or TSV header, and a row a bare CR ended mid-line, are
		 * read here: workers start at a record's first byte */
		while ((!par || r.rem_len > 0 || (dh_format_delimited(fmt) && !r.have_header) ||
			l->records == 0) &&
		       (rc = dh_read(&r, &rec)) != 0) {
			if (pass == 0) {
				ig->st.records_in++;
				dh_progress(&ig->pg, in.bytes_raw);
			}
			if (rc < 0) {
				if (pass == 0) {
					ig->st.rejected++;
					bad = 1;
					dh_reject(&ig->rj, given, rec.line, rec.raw,
						  rec.rawlen, r.err.data);
				}
				continue;
			}
			if (pass == 1) {
				if (fmt == DH_FMT_JSON)
					dh_out_write(&good.out, l->records ? ",\n" : "[\n", 2);
				if (l->records == 0 && r.have_header) {
					struct dh_buf h = DH_BUF_INIT;

					dh_header_line(&h, fmt, r.names, r.nlens, r.ncols);
					dh_out_write(&good.out, h.data, h.len);
					dh_buf_release(&h);
				}
				dh_out_write(&good.out, rec.raw, rec.rawlen);
				if (fmt != DH_FMT_JSON)
					dh_out_putc(&good.out, '\n');
			}
			l->records++;
		}
		if (par && l->records > 0) {
			struct dh_pmap_src src = {given, fmt, ig->rflags, 0,
						  dh_format_delimited(fmt) ? &r : NULL, &ig->rj,
						  &ig->st.rejected, NULL};
			struct dh_pmap_rec_ops ops = {NULL, NULL, good_record, NULL, NULL};
			unsigned long long rejected = ig->st.rejected;
			struct dh_out none;

			dh_out_open_mem(&none); /* workers write nothing */
			dh_pmap_records(&in, nthreads, &src, &ops, &ig->pg, &none, &ig->st.records_in,
					&l->records);
			dh_out_close(&none);
			if (ig->st.rejected > rejected)
				bad = 1;
		}
		dh_reader_close(&r);
		dh_input_close(&in);
		if (pass == 0 && !bad)
			break;
		if (pass == 0) {
			dh_tmp_create(&good, ig->tabledir, "part-good", codec);
		} else {
			if (fmt == DH_FMT_JSON)
				dh_out_write(&good.out, l->records ? "\n]\n" : "[\n]\n",
					     l->records ? 3 : 4);
			dh_tmp_finish(&good);
			dh_tmp_abort(&l->tmp);
			l->tmp = good;
		}
	}
	ig->st.records_out += l->records;
	dh_record_release(&rec);
}

/*
 * Land one source: path names it in messages, source in the manifest
 * (absolute path, "-", or "ARCHIVE!ENTRY"); its bytes come from in.
 */
static void
land_one(struct ingest *ig, struct bytes_in *in, const char *path,
	 const char *source)
{
	struct landed l;
	struct dh_buf key = DH_BUF_INIT;
	const char *codec;
	enum dh_format fmt = ig->fmt;

	memset(&l, 0, sizeof(l));
	l.source = dh_xstrdup(source);
	codec = copy_source(ig, in, path, &l);
	known_key(&key, l.source, l.bytes, l.hash);
	if (ig->piece != NULL) {
		l.follow = 1;
		l.from = ig->piece->from;
		l.to = ig->piece->to;
		l.seq = ig->piece->seq;
		memcpy(l.head, ig->piece->head, sizeof(l.head));
		note_piece(ig, source, l.to, l.seq, l.head);
	} else if (!ig->force && dh_hashmap_get(&ig->known, key.data, key.len) != NULL) {
		dh_warn("%s: already ingested (same name, size and xxh128); skipped (use --force to ingest it again)",
			strcmp(path, "-") == 0 ? "(stdin)" : path);
		ig->st.bytes_in += l.bytes;
		dh_tmp_abort(&l.tmp);
		free(l.source);
		dh_buf_release(&key);
		return;
	}
	if (fmt == DH_FMT_NONE)
		fmt = dh_format_from_name(path);
	if (fmt == DH_FMT_NONE) {
		struct dh_input in;

		dh_input_open(&in, l.tmp.tmp);
		in.loc.name = path;
		fmt = dh_format_sniff(&in);
		dh_input_close(&in);
	}
	if (ig->fmt == DH_FMT_NONE)
		ig->fmt = fmt; /* the first source decides a new table's format */
	validate(ig, &l, strcmp(path, "-") == 0 ? "(stdin)" : path, fmt, codec);
	/* after: the progress line counts the bytes validated so far on top */
	ig->st.bytes_in += l.bytes;
	{
		struct dh_buf s = DH_BUF_INIT;

		dh_data_suffix(&s, fmt, codec);
		l.suffix = dh_buf_detach(&s, NULL);
	}
	l.codec = codec;
	ig->land = dh_xreallocarray(ig->land, ig->nland + 1, sizeof(*ig->land));
	ig->land[ig->nland++] = l;
	{
		/* a source named twice in one run lands once */
		int added;

		dh_hashmap_put(&ig->known, key.data, key.len, 0, &added);
	}
	dh_buf_release(&key);
}

/* Why an archive entry may not be landed, or NULL when it may. */
static const char *
entry_refused(struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e), *p;

	if (archive_entry_hardlink(e) != NULL)
		return "a hard link";
	if (archive_entry_filetype(e) == AE_IFLNK)
		return "a symbolic link";
	if (archive_entry_filetype(e) != AE_IFREG)
		return "not a plain file";
	if (name == NULL || *name == '\0')
		return "no name";
	if (name[0] == '/')
		return "an absolute name";
	for (p = name; *p != '\0';) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "a name with ..";
		p += n;
		if (*p == '/')
			p++;
	}
	return NULL;
}

/*
 * Land a SOURCE: standard input, a tar or zip archive (every plain file
 * in it, each a source of its own named ARCHIVE!ENTRY), or a file.
 */
static void
land_source(struct ingest *ig, const char *path)
{
	struct bytes_in in = {0, NULL, 0, 0, 0};
	char real[PATH_MAX];
	struct archive *a;
	struct archive_entry *e;
	int rc;

	if (strcmp(path, "-") == 0) {
		land_one(ig, &in, "-", "-");
		return;
	}
	/* only the tar and zip readers, and the five compression filters */
	a = archive_read_new();
	if (a == NULL)
		dh_die(DH_EXIT_IO, "%s: cannot start libarchive", path);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	if (archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *arch = realpath(path, real) != NULL ? real : path;
		struct dh_buf shown = DH_BUF_INIT, source = DH_BUF_INIT;

		in.ar = a;
		do {
			const char *why;
			char q[512];

			if (archive_entry_filetype(e) == AE_IFDIR)
				continue;
			if ((why = entry_refused(e)) != NULL) {
				const char *n = archive_entry_pathname(e);

				dh_die(DH_EXIT_DATA, "%s: entry %s refused: %s (an archive may hold only plain files with relative names)",
				       path, dh_quote(n ? n : "", n ? strlen(n) : 0, q, sizeof(q)), why);
			}
			dh_buf_reset(&shown);
			dh_buf_addf(&shown, "%s!%s", path, archive_entry_pathname(e));
			dh_buf_reset(&source);
			dh_buf_addf(&source, "%s!%s", arch, archive_entry_pathname(e));
			land_one(ig, &in, shown.data, source.data);
		} while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK);
		if (rc != ARCHIVE_EOF)
			archive_die(a, path);
		archive_read_free(a);
		dh_buf_release(&shown);
		dh_buf_release(&source);
		return;
	}
	/* not an archive: plain data; but one that could not be read is no
	 * proof of that (a tar would land as one file) */
	if (archive_io_error(a))
		dh_die(DH_EXIT_IO, "%s: %s", path, strerror(archive_errno(a)));
	archive_read_free(a);
	do
		in.fd = open(path, O_RDONLY | O_CLOEXEC);
	while (in.fd < 0 && errno == EINTR);
	if (in.fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", path);
	land_one(ig, &in, path, realpath(path, real) != NULL ? real : path);
	close(in.fd);
}

/* xxh128 of fd's first n bytes (n <= 4096) into hex; -1 when short. */
static int
head_hash(int fd, unsigned long long n, char hex[DH_HASH_HEX])
{
	char buf[4096];
	ssize_t r;

	if (n > sizeof(buf))
		n = sizeof(buf);
	r = pread(fd, buf, (size_t)n, 0);
	if (r < 0 || (unsigned long long)r != n)
		return -1;
	dh_hash_bytes(buf, (size_t)n, hex);
	return 0;
}

/* Offset just past the last newline in [start, size), or start. */
static unsigned long long
last_line_end(int fd, unsigned long long start, unsigned long long size,
	      const char *path)
{
	static char buf[1 << 16];
	unsigned long long at = size;

	while (at > start) {
		size_t n = at - start > sizeof(buf) ? sizeof(buf) : (size_t)(at - start);
		ssize_t r = pread(fd, buf, n, (off_t)(at - n));
		size_t i;

		if (r != (ssize_t)n)
			dh_die_errno(DH_EXIT_IO, "%s: read error", path);
		for (i = n; i > 0; i--)
			if (buf[i - 1] == '\n')
				return at - n + i;
		at -= n;
	}
	return start;
}

/* Land the complete lines of fd in [from, end of its last line). */
static void
land_piece(struct ingest *ig, int fd, const char *path, const char *name,
	   unsigned long long from, unsigned long long size,
	   unsigned long long seq)
{
	unsigned long long to = last_line_end(fd, from, size, path);
	struct bytes_in in = {fd, NULL, 1, to - from, 0};
	struct landed piece;

	if (to == from)
		return;
	memset(&piece, 0, sizeof(piece));
	piece.from = from;
	piece.to = to;
	piece.seq = seq;
	if (head_hash(fd, to, piece.head) != 0)
		dh_die_errno(DH_EXIT_IO, "%s: read error", path);
	if (lseek(fd, (off_t)from, SEEK_SET) < 0)
		dh_die_errno(DH_EXIT_IO, "%s", path);
	ig->piece = &piece;
	land_one(ig, &in, path, name);
	ig->piece = NULL;
}

/*
 * --follow: land what was appended to path since the last piece taken
 * from it.  A file that shrank was truncated, one whose first bytes
 * changed was rotated: then the rest of the old file is taken from
 * PATH.1 when it is there (logrotate's name), and the new one from 0.
 */
static void
follow_source(struct ingest *ig, const char *path)
{
	char real[PATH_MAX], head[DH_HASH_HEX];
	const char *name;
	struct stat st;
	size_t *i;
	struct fstate last = {0, 0, ""};
	unsigned long long from = 0;
	int fd;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		dh_usage_error("--follow takes regular files, not %s", path);
	{
		char magic[8];
		ssize_t r = pread(fd, magic, sizeof(magic), 0);

		if (r > 0 && dh_input_codec_of(magic, (size_t)r) != NULL)
			dh_usage_error("--follow cannot follow %s: it is compressed", path);
	}
	name = realpath(path, real) != NULL ? real : path;
	i = dh_hashmap_get(&ig->fmap, name, strlen(name));
	if (i != NULL)
		last = ig->fstates[*i];
	if (i != NULL && (head_hash(fd, last.to, head) != 0 ||
			  strcmp(head, last.head) != 0)) {
		/* not the bytes last read: rotated (the old file may be
		 * PATH.1, with lines added since) or truncated */
		struct dh_buf old = DH_BUF_INIT;
		int ofd, rotated = 0;

		dh_buf_addf(&old, "%s.1", path);
		ofd = open(old.data, O_RDONLY | O_CLOEXEC);
		if (ofd >= 0) {
			struct stat ost;

			if (fstat(ofd, &ost) == 0 && (unsigned long long)ost.st_size >= last.to &&
			    head_hash(ofd, last.to, head) == 0 && strcmp(head, last.head) == 0) {
				rotated = 1;
				land_piece(ig, ofd, old.data, name, last.to,
					   (unsigned long long)ost.st_size, last.seq + 1);
				last.seq++;
			}
			close(ofd);
		}
		if (rotated)
			dh_warn("%s: rotated to %s; took its last lines, then the new file from the start",
				path, old.data);
		else if ((unsigned long long)st.st_size < last.to)
			dh_warn("%s: shorter than when last read (truncated); reading it from the start", path);
		else
			dh_warn("%s: not the file last read (replaced); reading it from the start", path);
		dh_buf_release(&old);
	} else if (i != NULL) {
		from = last.to;
	}
	land_piece(ig, fd, path, name, from, (unsigned long long)st.st_size, last.seq + 1);
	close(fd);
}

/* Make the landed files part of the partition, as DESIGN §4 publishes. */
static void
publish(struct ingest *ig, const char *statedir, const char *table,
	const char *partname, char **argv, int argc)
{
	struct dh_buf path = DH_BUF_INIT, err = DH_BUF_INIT, name = DH_BUF_INIT;
	struct dh_manifest m, old;
	char *text;
	size_t i, len;
	int have_old, n = 0, rc;

	memset(&m, 0, sizeof(m));
	dh_buf_addf(&path, "%s/_MANIFEST", ig->partdir);
	have_old = access(path.data, F_OK) == 0;
	if (have_old && (rc = dh_manifest_load(path.data, &old, &err)) != 0)
		dh_die(rc == -2 ? DH_EXIT_IO : DH_EXIT_DATA, "%s: %s (the partition cannot take more files)",
		       path.data, err.data);
	m.table = (char *)(uintptr_t)table;
	m.partition = (char *)(uintptr_t)partname;
	m.format = (char *)(uintptr_t)dh_format_name(ig->fmt);
	m.compression = NULL;
	if (have_old) {
		for (i = 0; i < old.nfiles; i++)
			dh_manifest_copy_file(&m, &old.files[i]);
	}
	/* one codec for every file, or "mixed" */
	{
		const char *c = NULL;
		int first = 1, mixed = 0;

		if (have_old && old.nfiles > 0) {
			c = old.compression;
			first = 0;
			mixed = c != NULL && strcmp(c, "mixed") == 0;
		}
		for (i = 0; i < ig->nland && !mixed; i++) {
			const char *lc = ig->land[i].codec;

			if (first) {
				c = lc;
				first = 0;
			} else if ((c == NULL) != (lc == NULL) ||
				   (c != NULL && strcmp(c, lc) != 0)) {
				mixed = 1;
			}
		}
		m.compression = (char *)(uintptr_t)(mixed ? "mixed" : c);
	}
	dh_mkdirs_under(ig->tabledir, ig->partdir);
	/* a killed run's files (unlisted) go before numbering, so that a
	 * rerun names its files as an uninterrupted run would */
	dh_remove_unlisted(ig->partdir, have_old ? &old : NULL);
	dh_unlink_sync(ig->partdir, "_SUCCESS");
	for (i = 0; i < ig->nland; i++) {
		struct landed *l = &ig->land[i];
		char hex[DH_HASH_HEX];
		unsigned long long size;

		n = dh_part_next_number(ig->partdir, n);
		dh_buf_reset(&name);
		dh_buf_addf(&name, "part-%05d%s", n, l->suffix);
		free(l->tmp.final);
		dh_buf_reset(&path);
		dh_buf_addf(&path, "%s/%s", ig->partdir, name.data);
		l->tmp.final = dh_buf_detach(&path, NULL);
		if (dh_hash_file(l->tmp.tmp, hex, &size) != 0)
			dh_die_errno(DH_EXIT_IO, "%s", l->tmp.tmp);
		dh_tmp_commit(&l->tmp);
		ig->st.bytes_out += size;
		dh_manifest_add_file(&m, name.data, size, l->records, hex);
		dh_manifest_set_source(&m, l->source, l->bytes, l->hash);
		if (l->follow)
			dh_manifest_set_follow(&m, l->from, l->to, l->seq, l->head);
		n++;
	}
	/* the files moved from the table directory into the partition */
	dh_fsync_dir(ig->partdir);
	dh_fsync_dir(ig->tabledir);
	argv[0] = (char *)(uintptr_t)dh_progname();
	m.command = argv;
	m.ncommand = (size_t)argc;
	dh_time_now_iso(m.created);
	/* journalled before the manifest: once the manifest lists the files
	 * a rerun lands nothing, so a crash after it must find the line
	 * written (a crash before it leaves a line for a landing the rerun
	 * makes again) */
	{
		struct dh_buf j = DH_BUF_INIT;

		dh_buf_addf(&j, "{\"time\":\"%s\",\"event\":\"ingest\",\"table\":", m.created);
		dh_json_quote(&j, table, strlen(table), NULL);
		dh_buf_adds(&j, ",\"partition\":");
		dh_json_quote(&j, partname, strlen(partname), NULL);
		dh_buf_addf(&j, ",\"files\":%zu,\"records\":%llu}\n", ig->nland,
			    ig->st.records_out);
		dh_journal(statedir, j.data);
		dh_buf_release(&j);
	}
	text = dh_manifest_dump(&m, &len);
	dh_publish_bytes(ig->partdir, "_MANIFEST", text, len);
	free(text);
	dh_remove_unlisted(ig->partdir, &m);
	dh_publish_bytes(ig->partdir, "_SUCCESS", "", 0);
	for (i = 0; i < m.nfiles; i++) {
		free(m.files[i].name);
		free(m.files[i].source);
	}
	free(m.files);
	if (have_old)
		dh_manifest_release(&old);
	dh_buf_release(&path);
	dh_buf_release(&err);
	dh_buf_release(&name);
}

/*
 * Nothing landed, but the partition has a _MANIFEST and no _SUCCESS (a
 * crash between the two, or dh-invalidate): when every listed file is
 * there with its size and xxh128, publish it again.  1 when it did.
 */
static int
repair(const char *partdir)
{
	struct dh_buf path = DH_BUF_INIT, err = DH_BUF_INIT;
	struct dh_manifest m;
	size_t i;
	int ok = 1;

	dh_buf_addf(&path, "%s/_SUCCESS", partdir);
	if (access(path.data, F_OK) == 0)
		goto out;
	dh_buf_reset(&path);
	dh_buf_addf(&path, "%s/_MANIFEST", partdir);
	if (access(path.data, F_OK) != 0 || dh_manifest_load(path.data, &m, &err) != 0)
		goto out;
	for (i = 0; i < m.nfiles && ok; i++) {
		char hex[DH_HASH_HEX];
		unsigned long long size;

		dh_buf_reset(&path);
		dh_buf_addf(&path, "%s/%s", partdir, m.files[i].name);
		ok = dh_hash_file(path.data, hex, &size) == 0 &&
		     size == m.files[i].bytes && strcmp(hex, m.files[i].xxh128) == 0;
	}
	if (ok) {
		dh_remove_unlisted(partdir, &m);
		dh_publish_bytes(partdir, "_SUCCESS", "", 0);
		dh_warn("%s: had no _SUCCESS (a publish left unfinished, or dh-invalidate) and its files match its manifest: published again",
			partdir);
	}
	dh_manifest_release(&m);
	dh_buf_release(&path);
	dh_buf_release(&err);
	return ok;
out:
	dh_buf_release(&path);
	dh_buf_release(&err);
	return 0;
}

int
main(int argc, char **argv)
{
	struct dh_getopt g;
	struct ingest ig;
	struct dh_buf tabledir = DH_BUF_INIT, partname = DH_BUF_INIT,
		      partdir = DH_BUF_INIT;
	struct dh_common co;
	const char *state = NULL, *table;
	char **keys = NULL, **tkeys = NULL, **sources = NULL;
	size_t nkeys = 0, ntkeys = 0, nsources = 0, i;
	enum dh_format table_fmt = DH_FMT_NONE;
	int opt, have_table, lockfd;

	dh_err_init(argv[0]);
	/* a closed listing (| head) must not stop a landing halfway */
	signal(SIGPIPE, SIG_IGN);
	memset(&ig, 0, sizeof(ig));
	memset(&co, 0, sizeof(co));
	dh_getopt_init(&g, &cmd, argc, argv);
	while ((opt = dh_getopt(&g)) != -1) {
		if (dh_opt_common(&g, opt, &co))
			continue;
		switch (opt) {
		case 's': state = g.arg; break;
		case 'f':
			ig.fmt = dh_opt_format(&g, "input");
			break;
		case 'p': {
			const char *eq = strchr(g.arg, '='), *why;
			struct dh_buf lk = DH_BUF_INIT;

			if (eq == NULL || eq == g.arg)
				dh_usage_error("-p takes KEY=VALUE, not '%s'", g.arg);
			if (partname.len)
				dh_buf_addc(&partname, '/');
			if (dh_partition_name(&partname, g.arg, (size_t)(eq - g.arg),
					      eq + 1, strlen(eq + 1), &why) != 0)
				dh_usage_error("partition %s: %s", g.arg, why);
			dh_partition_key(&lk, g.arg, (size_t)(eq - g.arg), &why);
			for (i = 0; i < nkeys; i++)
				if (strcmp(keys[i], lk.data) == 0)
					dh_usage_error("partition key '%s' is given twice", lk.data);
			keys = dh_xreallocarray(keys, nkeys + 1, sizeof(*keys));
			keys[nkeys++] = dh_buf_detach(&lk, NULL);
			break;
		}
		case 'z':
			if (!dh_out_codec_ok(g.arg))
				dh_usage_error("unknown compression '%s' (gzip, zstd, xz, bzip2)", g.arg);
			ig.codec = g.arg;
			break;
		case OPT_FORCE: ig.force = 1; break;
		case OPT_FOLLOW: ig.follow = 1; break;
		}
	}
	if (argc - optind < 2)
		dh_usage_error(optind >= argc ? "no TABLE given" : "no SOURCE given");
	table = argv[optind++];
	if (!dh_table_name_ok(table))
		dh_usage_error("'%s' is not a table name (segments of A-Z a-z 0-9 _ . - separated by '/', none starting with '_' or '.')", table);
	dh_opt_common_done(&co);
	ig.rflags = co.skip_blank ? DH_READ_SKIP_BLANK : 0;
	if (nkeys == 0) {
		/* the default partition: the day of landing, in UTC */
		char day[32];
		const char *why;
		size_t n = dh_time_bucket((int64_t)time(NULL), DH_GRAIN_DAY, day);

		dh_partition_name(&partname, "ingest_date", 11, day, n, &why);
		keys = dh_xreallocarray(keys, 1, sizeof(*keys));
		keys[nkeys++] = dh_xstrdup("ingest_date");
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		size_t j;

		for (j = (size_t)optind; j < i; j++)
			if (strcmp(argv[i], "-") == 0 && strcmp(argv[j], "-") == 0)
				dh_usage_error("- (standard input) is given twice");
		add_source(&sources, &nsources, argv[i], 1);
	}

	state = dh_state_dir(state);
	dh_buf_addf(&tabledir, "%s/%s", state, table);
	dh_mkdirs_under(state, tabledir.data);
	lockfd = dh_table_lock(tabledir.data, table, co.wait);
	have_table = dh_table_read(tabledir.data, &table_fmt, &tkeys, &ntkeys);
	if (have_table)
		dh_table_check_keys(tabledir.data, table, tkeys, ntkeys, keys, nkeys);
	if (have_table && table_fmt != DH_FMT_NONE) {
		if (ig.fmt != DH_FMT_NONE && ig.fmt != table_fmt)
			dh_usage_error("table %s holds %s (see its _TABLE), not %s", table,
				       dh_format_name(table_fmt), dh_format_name(ig.fmt));
		ig.fmt = table_fmt;
	}
	dh_buf_addf(&partdir, "%s/%s", tabledir.data, partname.data);
	ig.partdir = partdir.data;
	ig.tabledir = tabledir.data;
	scan_known(&ig, tabledir.data);
	dh_stats_start(&ig.st);
	dh_progress_start(&ig.pg, &ig.st, 0);
	dh_rejects_init(&ig.rj, co.rejects);
	if (co.has_max)
		dh_rejects_set_max(&ig.rj, co.max_rejects);

	for (i = 0; i < nsources; i++) {
		if (ig.follow && strcmp(sources[i], "-") == 0)
			dh_usage_error("--follow takes files, not standard input");
		if (ig.follow)
			follow_source(&ig, sources[i]);
		else
			land_source(&ig, sources[i]);
	}
	dh_progress_end(&ig.pg);
	if (ig.nland > 0) {
		if (!have_table)
			dh_table_write(tabledir.data, table, ig.fmt, keys, nkeys);
		dh_rejects_close(&ig.rj);
		publish(&ig, state, table, partname.data, argv, argc);
	}
	/* a partition published, anew or again, is named on stdout */
	if (ig.nland > 0 || repair(partdir.data)) {
		printf("%s\n", partdir.data);
		if ((fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE)
			dh_die_errno(DH_EXIT_IO, "write error: stdout");
	}
	dh_rejects_close(&ig.rj);
	dh_stats_report(&ig.st, co.stats, co.metrics);
	close(lockfd);
	for (i = 0; i < ig.nland; i++) {
		free(ig.land[i].source);
		free(ig.land[i].suffix);
	}
	free(ig.land);
	for (i = 0; i < nsources; i++)
		free(sources[i]);
	free(sources);
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	for (i = 0; i < ntkeys; i++)
		free(tkeys[i]);
	free(tkeys);
	dh_hashmap_release(&ig.known);
	dh_hashmap_release(&ig.fmap);
	free(ig.fstates);
	dh_buf_release(&tabledir);
	dh_buf_release(&partname);
	dh_buf_release(&partdir);
	dh_getopt_release(&g);
	return DH_EXIT_OK;
}
