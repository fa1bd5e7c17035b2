/*
 * out: a buffered output stream to a descriptor, optionally compressed
 * through a libarchive write filter (gzip, zstd, xz, bzip2).
 *
 * Write errors exit 4 naming the output; a closed pipe (EPIPE) ends the
 * program quietly, as `| head` expects.  Ownership: struct dh_out owns its
 * buffer and archive handle, not the descriptor unless opened by path.
 */
#ifndef DH_OUT_H
#define DH_OUT_H

#include <stddef.h>
#include <string.h>

struct archive;

struct dh_out {
	int fd;
	int own_fd;
	const char *name; /* borrowed, for messages */
	char *buf;
	size_t len, cap;
	struct archive *ar;
	unsigned long long bytes;   /* bytes handed to the stream (uncompressed) */
	unsigned long long written; /* bytes written to the descriptor */
};

/* An in-memory stream (fd -1): it grows instead of flushing; the bytes
 * are buf[0..len).  Used for the chunks of common/pmap. */
void dh_out_open_mem(struct dh_out *o);

/* Compression names accepted by -z; 0 when codec is one of them. */
int dh_out_codec_ok(const char *codec);
void dh_out_open_fd(struct dh_out *o, int fd, const char *name,
		    const char *codec);
/* Create path (mode 0666 & ~umask), truncating it, or appending to it
 * when append is set. */
void dh_out_open_path(struct dh_out *o, const char *path, const char *codec,
		      int append);
void dh_out_flush(struct dh_out *o);
/* Flush, finish the compressed stream and close what was opened. */
void dh_out_close(struct dh_out *o);
void dh_out_grow(struct dh_out *o, size_t n);

/* Room for n more bytes at the returned pointer; then dh_out_commit(n). */
static inline char *
dh_out_reserve(struct dh_out *o, size_t n)
{
	if (o->cap - o->len < n)
		dh_out_grow(o, n);
	return o->buf + o->len;
}

static inline void
dh_out_commit(struct dh_out *o, size_t n)
{
	o->len += n;
	o->bytes += n;
}

static inline void
dh_out_write(struct dh_out *o, const void *p, size_t n)
{
	memcpy(dh_out_reserve(o, n), p, n);
	dh_out_commit(o, n);
}

/*
 * The same for a big block (a chunk's output): to an uncompressed
 * descriptor it goes straight to write(2) after what is buffered,
 * without a copy.
 */
void dh_out_write_block(struct dh_out *o, const void *p, size_t n);

static inline void
dh_out_putc(struct dh_out *o, char c)
{
	*dh_out_reserve(o, 1) = c;
	dh_out_commit(o, 1);
}

#endif
