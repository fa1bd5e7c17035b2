#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "num.h"
#include "xalloc.h"

#define DH_INPUT_CHUNK (256 * 1024)

struct codec {
	const char *name;
	const char *magic;
	size_t len;
	int (*enable)(struct archive *);
};

static const struct codec codecs[] = {
	{"gzip", "\x1f\x8b", 2, archive_read_support_filter_gzip},
	{"bzip2", "BZh", 3, archive_read_support_filter_bzip2},
	{"xz", "\xfd\x37\x7a\x58\x5a\x00", 6, archive_read_support_filter_xz},
	{"zstd", "\x28\xb5\x2f\xfd", 4, archive_read_support_filter_zstd},
	{"lz4", "\x04\x22\x4d\x18", 4, archive_read_support_filter_lz4},
	{"lz4", "\x02\x21\x4c\x18", 4, archive_read_support_filter_lz4},
};

static unsigned long long max_ratio = DH_INFLATE_RATIO,
			  max_size = DH_INFLATE_SIZE;

void
dh_input_set_limits(unsigned long long ratio, unsigned long long size)
{
	max_ratio = ratio;
	max_size = size;
}

void
dh_inflate_check(const char *name, const char *codec, unsigned long long raw,
		 unsigned long long out)
{
	char o[32], r[32];

	if (max_size != 0 && out > max_size) {
		dh_num_bytes(o, sizeof(o), (double)max_size);
		dh_die(DH_EXIT_DATA, "%s%s%s: decompresses to more than %s (--max-inflated SIZE raises the limit, 0 removes it)",
		       name, codec ? ": " : "", codec ? codec : "", o);
	}
	if (max_ratio != 0 && out > DH_INFLATE_FREE && out / max_ratio > raw) {
		dh_num_bytes(o, sizeof(o), (double)out);
		dh_num_bytes(r, sizeof(r), (double)raw);
		dh_die(DH_EXIT_DATA, "%s%s%s: decompresses to more than %llu times its size (%s from %s read so far): a decompression bomb? (--max-ratio N raises the limit, 0 removes it)",
		       name, codec ? ": " : "", codec ? codec : "", max_ratio, o, r);
	}
}

/* read(2) that first flushes pending output when it would block. */
static ssize_t
raw_read(struct dh_input *in, char *p, size_t n)
{
	ssize_t r;

	if (!in->regular && in->idle != NULL) {
		struct pollfd pfd = {.fd = in->fd, .events = POLLIN};

		if (poll(&pfd, 1, 0) == 0)
			in->idle(in->idle_arg);
	}
	do
		r = read(in->fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		dh_die_errno(DH_EXIT_IO, "%s: read error", in->loc.name);
	in->bytes_raw += (unsigned long long)r;
	return r;
}

static la_ssize_t
ar_read(struct archive *a, void *arg, const void **out)
{
	struct dh_input *in = arg;
	ssize_t r;

	(void)a;
	if (in->nmagic > 0) {
		/* the bytes consumed while detecting come first */
		memcpy(in->rawbuf, in->magic, in->nmagic);
		r = (ssize_t)in->nmagic;
		in->nmagic = 0;
	} else {
		r = raw_read(in, in->rawbuf, DH_INPUT_CHUNK);
	}
	*out = in->rawbuf;
	return r;
}

static const struct codec *
detect(const char *p, size_t n, int *need_more)
{
	size_t i;

	*need_more = 0;
	for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		size_t k = codecs[i].len < n ? codecs[i].len : n;

		if (memcmp(p, codecs[i].magic, k) != 0)
			continue;
		if (k == codecs[i].len)
			return &codecs[i];
		*need_more = 1;
	}
	return NULL;
}

const char *
dh_input_codec_of(const char *p, size_t n)
{
	int more;
	const struct codec *c = detect(p, n, &more);

	return c != NULL ? c->name : NULL;
}

void
dh_input_open_mem(struct dh_input *in, const char *p, size_t n,
		  const char *name)
{
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->is_mem = 1;
	in->regular = 1;
	in->path = dh_xstrdup(name);
	in->loc.name = in->path;
	/* never written: fill() stops at eof before it would move bytes */
	in->buf = (char *)(uintptr_t)p;
	in->cap = in->end = n;
	in->eof = 1;
	in->bytes = n;
}

void
dh_input_open(struct dh_input *in, const char *path)
{
	struct stat st;
	const struct codec *c;
	int more;

	memset(in, 0, sizeof(*in));
	if (path == NULL || strcmp(path, "-") == 0) {
		in->fd = 0;
		in->is_stdin = 1;
		in->path = dh_xstrdup("(stdin)");
	} else {
		do
			in->fd = open(path, O_RDONLY | O_CLOEXEC);
		while (in->fd < 0 && errno == EINTR);
		if (in->fd < 0)
			dh_die_errno(DH_EXIT_IO, "%s", path);
		in->path = dh_xstrdup(path);
	}
	in->loc.name = in->path;
	if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode))
		dh_die(DH_EXIT_IO, "%s: is a directory", in->path);
	in->regular = fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode);
	in->cap = DH_INPUT_CHUNK;
	in->buf = dh_xmalloc(in->cap + 1);

	/*
	 * Read the magic bytes ourselves: libarchive's bidders would ask for
	 * more bytes than a short line on a pipe may ever bring.
	 */
	for (;;) {
		ssize_t r = raw_read(in, in->magic + in->nmagic,
				     sizeof(in->magic) - in->nmagic);

		if (r == 0)
			break;
		in->nmagic += (size_t)r;
		c = detect(in->magic, in->nmagic, &more);
		if (c != NULL || !more || in->nmagic == sizeof(in->magic))
			break;
	}
	c = in->nmagic ? detect(in->magic, in->nmagic, &more) : NULL;
	if (c == NULL) {
		memcpy(in->buf, in->magic, in->nmagic);
		in->end = in->nmagic;
		in->bytes = in->nmagic;
		in->nmagic = 0;
		if (in->end == 0)
			in->eof = 1;
		return;
	}
	in->codec = c->name;
	in->rawbuf = dh_xmalloc(DH_INPUT_CHUNK);
	in->ar = archive_read_new();
	if (in->ar == NULL)
		dh_die(DH_EXIT_IO, "%s: cannot start libarchive", in->path);
	if (c->enable(in->ar) != ARCHIVE_OK ||
	    archive_read_support_format_raw(in->ar) != ARCHIVE_OK)
		dh_die(DH_EXIT_IO, "%s: %s: %s", in->path, c->name,
		       archive_error_string(in->ar));
	if (archive_read_open(in->ar, in, NULL, ar_read, NULL) != ARCHIVE_OK)
		dh_die(DH_EXIT_DATA, "%s: %s: %s", in->path, c->name,
		       archive_error_string(in->ar));
	{
		struct archive_entry *e;

		if (archive_read_next_header(in->ar, &e) != ARCHIVE_OK)
			dh_die(DH_EXIT_DATA, "%s: %s: %s", in->path, c->name,
			       archive_error_string(in->ar));
	}
}

size_t
dh_input_fill(struct dh_input *in)
{
	ssize_t r;

	if (in->eof)
		return 0;
	if (in->pos > 0) {
		memmove(in->buf, in->buf + in->pos, in->end - in->pos);
		in->end -= in->pos;
		in->pos = 0;
	}
	if (in->cap - in->end < DH_INPUT_CHUNK / 2) {
		in->cap *= 2;
		in->buf = dh_xrealloc(in->buf, in->cap + 1);
	}
	if (in->ar != NULL) {
		do
			r = archive_read_data(in->ar, in->buf + in->end,
					      in->cap - in->end);
		while (r == ARCHIVE_RETRY);
		if (r < 0)
			dh_die(DH_EXIT_DATA, "%s: %s: %s", in->loc.name, in->codec,
			       archive_error_string(in->ar));
		dh_inflate_check(in->loc.name, in->codec, in->bytes_raw,
				 in->bytes + (unsigned long long)r);
	} else {
		r = raw_read(in, in->buf + in->end, in->cap - in->end);
	}
	if (r == 0)
		in->eof = 1;
	in->end += (size_t)r;
	in->bytes += (unsigned long long)r;
	return (size_t)r;
}

size_t
dh_input_read(struct dh_input *in, char *dst, size_t n)
{
	size_t have = in->end - in->pos;
	ssize_t r;

	if (have > 0) {
		if (have > n)
			have = n;
		memcpy(dst, in->buf + in->pos, have);
		in->pos += have;
		return have;
	}
	if (in->eof)
		return 0;
	if (in->ar != NULL) {
		do
			r = archive_read_data(in->ar, dst, n);
		while (r == ARCHIVE_RETRY);
		if (r < 0)
			dh_die(DH_EXIT_DATA, "%s: %s: %s", in->loc.name, in->codec,
			       archive_error_string(in->ar));
		dh_inflate_check(in->loc.name, in->codec, in->bytes_raw,
				 in->bytes + (unsigned long long)r);
	} else {
		r = raw_read(in, dst, n);
	}
	if (r == 0)
		in->eof = 1;
	in->bytes += (unsigned long long)r;
	return (size_t)r;
}

size_t
dh_input_peek(struct dh_input *in, size_t n)
{
	while (in->end - in->pos < n && dh_input_fill(in) > 0)
		;
	return in->end - in->pos;
}

int
dh_input_line(struct dh_input *in, const char **line, size_t *len)
{
	size_t scan = 0;

	for (;;) {
		char *s = in->buf + in->pos, *nl;
		size_t avail = in->end - in->pos;

		nl = memchr(s + scan, '\n', avail - scan);
		if (nl != NULL) {
			*line = s;
			*len = (size_t)(nl - s);
			in->pos += *len + 1;
			in->line++;
			return 1;
		}
		scan = avail;
		if (dh_input_fill(in) == 0) {
			if (in->end == in->pos)
				return 0;
			*line = in->buf + in->pos;
			*len = in->end - in->pos;
			in->pos = in->end;
			in->line++;
			return 1;
		}
	}
}

void
dh_input_close(struct dh_input *in)
{
	if (in->ar != NULL)
		archive_read_free(in->ar);
	if (!in->is_stdin && in->fd >= 0)
		close(in->fd);
	if (!in->is_mem)
		free(in->buf);
	free(in->rawbuf);
	free(in->path);
	memset(in, 0, sizeof(*in));
	in->fd = -1;
}
