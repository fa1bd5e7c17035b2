/*
 * input: one byte stream to read records from: a path, "-" or stdin.
 *
 * Compressed streams (gzip, bzip2, xz, zstd, lz4) are detected from their
 * magic bytes, which are read before libarchive sees the stream, and only
 * that one filter is enabled (never archive_read_support_filter_all).
 * Plain streams are read with read(2) straight into the parse buffer, with
 * no intermediate copy.
 *
 * Ownership: struct dh_input owns its buffer, descriptor and archive
 * handle; dh_input_close() releases them.  Bytes in buf[pos..end) are the
 * unread ones.  dh_input_fill() may move them to the front of buf and may
 * reallocate buf, so callers hold offsets from pos, never pointers, across
 * a fill.
 */
#ifndef DH_INPUT_H
#define DH_INPUT_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct archive;

struct dh_input {
	struct dh_loc loc; /* display name; line = current record's line */
	char *path;        /* owned copy of the name */
	int fd;
	int is_stdin;
	int is_mem; /* reads a caller's buffer (dh_input_open_mem) */
	int regular; /* a regular file: reads never block */
	char *buf;   /* owned */
	size_t cap, pos, end;
	int eof;
	unsigned long long line; /* lines consumed so far */
	unsigned long long bytes_raw; /* bytes read from fd (compressed) */
	unsigned long long bytes;     /* bytes delivered (decompressed) */
	const char *codec;            /* "gzip", ... or NULL when plain */
	struct archive *ar;
	char magic[8]; /* bytes read while detecting, handed to libarchive */
	size_t nmagic;
	char *rawbuf; /* libarchive read-callback buffer */
	/* Called before a read that would block, to flush pending output. */
	void (*idle)(void *);
	void *idle_arg;
};

/*
 * An input over the caller's bytes p[0..n) (borrowed: they must outlive
 * it), named name in messages; lines count from 1.  For chunks of a
 * bigger input (common/pmap).
 */
void dh_input_open_mem(struct dh_input *in, const char *p, size_t n,
		       const char *name);
/* The compression whose magic bytes start p[0..n) ("gzip", "bzip2",
 * "xz", "zstd", "lz4"), or NULL. */
const char *dh_input_codec_of(const char *p, size_t n);
/* Open path ("-" or NULL = stdin).  Exits 4 naming the path on failure. */
void dh_input_open(struct dh_input *in, const char *path);
/*
 * Read more bytes into buf after end, first moving buf[pos..end) to the
 * front (pos becomes 0) and growing buf when it is full.  Returns the
 * number of bytes added, 0 at end of input.  Exits 4 on read errors.
 */
size_t dh_input_fill(struct dh_input *in);
void dh_input_close(struct dh_input *in);

/*
 * The next line, without its "\n" (a "\r" before it is kept): sets *line
 * and *len, borrowed until the next call.  Counts in->line.  The last line
 * need not end in "\n".  Returns 1, or 0 at end of input.
 */
int dh_input_line(struct dh_input *in, const char **line, size_t *len);

/*
 * Bulk read for chunked processing: up to n bytes into dst, first the
 * buffered ones, then straight from the stream.  0 at end of input.  Does
 * not count lines.
 */
size_t dh_input_read(struct dh_input *in, char *dst, size_t n);

/* Peek at the first bytes of the (decompressed) stream without consuming
 * them: fills until at least n bytes or end of input; returns bytes held. */
size_t dh_input_peek(struct dh_input *in, size_t n);

/*
 * Decompression bomb limits, for every compressed stream dh reads: more
 * than ratio times the compressed bytes read so far (checked once past
 * DH_INFLATE_FREE decompressed bytes, so that a small, very repetitive
 * file passes), or more than size decompressed bytes, stops the command
 * with exit 3.  0 turns a limit off.  Defaults: DH_INFLATE_RATIO,
 * DH_INFLATE_SIZE; set from --max-ratio and --max-inflated.
 */
#define DH_INFLATE_RATIO 100ULL
#define DH_INFLATE_SIZE (64ULL << 30)
#define DH_INFLATE_FREE (16ULL << 20)
void dh_input_set_limits(unsigned long long ratio, unsigned long long size);
/* Exit 3 naming name (and codec, when not NULL) when out decompressed
 * bytes from raw compressed ones pass a limit. */
void dh_inflate_check(const char *name, const char *codec,
		      unsigned long long raw, unsigned long long out);

#endif
