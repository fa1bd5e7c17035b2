#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "out.h"
#include "xalloc.h"

#define DH_OUT_CHUNK (256 * 1024)

static const struct {
	const char *name;
	int (*add)(struct archive *);
} filters[] = {
	{"gzip", archive_write_add_filter_gzip},
	{"zstd", archive_write_add_filter_zstd},
	{"xz", archive_write_add_filter_xz},
	{"bzip2", archive_write_add_filter_bzip2},
};

int
dh_out_codec_ok(const char *codec)
{
	size_t i;

	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (strcmp(codec, filters[i].name) == 0)
			return 1;
	return 0;
}

static _Noreturn void
write_failed(struct dh_out *o, int err)
{
	if (err == EPIPE) {
		/* the reader went away (| head): end quietly, as with SIGPIPE */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		_exit(DH_EXIT_IO);
	}
	errno = err;
	dh_die_errno(DH_EXIT_IO, "write error: %s", o->name);
}

static void
write_all(struct dh_out *o, int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			write_failed(o, errno);
		}
		p += w;
		n -= (size_t)w;
		o->written += (unsigned long long)w;
	}
}

static la_ssize_t
ar_write(struct archive *a, void *arg, const void *p, size_t n)
{
	struct dh_out *o = arg;

	(void)a;
	write_all(o, o->fd, p, n);
	return (la_ssize_t)n;
}

void
dh_out_open_fd(struct dh_out *o, int fd, const char *name, const char *codec)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->name = name;
	o->cap = DH_OUT_CHUNK;
	o->buf = dh_xmalloc(o->cap);
	if (codec == NULL)
		return;
	o->ar = archive_write_new();
	if (o->ar == NULL)
		dh_die(DH_EXIT_IO, "%s: cannot start libarchive", name);
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (strcmp(codec, filters[i].name) == 0)
			break;
	if (i == sizeof(filters) / sizeof(filters[0]))
		dh_die(DH_EXIT_USAGE, "unknown compression: %s", codec);
	if (filters[i].add(o->ar) != ARCHIVE_OK ||
	    archive_write_set_format_raw(o->ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(o->ar, 1) != ARCHIVE_OK ||
	    archive_write_open(o->ar, o, NULL, ar_write, NULL) != ARCHIVE_OK)
		dh_die(DH_EXIT_IO, "%s: %s: %s", name, codec,
		       archive_error_string(o->ar));
	{
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_pathname(e, "data");
		if (archive_write_header(o->ar, e) != ARCHIVE_OK)
			dh_die(DH_EXIT_IO, "%s: %s: %s", name, codec,
			       archive_error_string(o->ar));
		archive_entry_free(e);
	}
}

void
dh_out_open_mem(struct dh_out *o)
{
	dh_out_open_fd(o, -1, "(memory)", NULL);
}

void
dh_out_open_path(struct dh_out *o, const char *path, const char *codec,
		 int append)
{
	int fd;

	do
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
					(append ? O_APPEND : O_TRUNC), 0666);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", path);
	dh_out_open_fd(o, fd, path, codec);
	o->own_fd = 1;
}

void
dh_out_flush(struct dh_out *o)
{
	if (o->len == 0 || (o->fd < 0 && o->ar == NULL))
		return;
	if (o->ar != NULL) {
		if (archive_write_data(o->ar, o->buf, o->len) < 0)
			dh_die(DH_EXIT_IO, "write error: %s: %s", o->name,
			       archive_error_string(o->ar));
	} else {
		write_all(o, o->fd, o->buf, o->len);
	}
	o->len = 0;
}

void
dh_out_write_block(struct dh_out *o, const void *p, size_t n)
{
	if (o->fd < 0 || o->ar != NULL || n < o->cap / 2) {
		dh_out_write(o, p, n);
		return;
	}
	dh_out_flush(o);
	write_all(o, o->fd, p, n);
	o->bytes += n;
}

void
dh_out_grow(struct dh_out *o, size_t n)
{
	if (o->fd < 0 && o->ar == NULL) {
		o->cap = o->cap * 2 > o->len + n ? o->cap * 2 : o->len + n;
		o->buf = dh_xrealloc(o->buf, o->cap);
		return;
	}
	dh_out_flush(o);
	if (o->cap < n) {
		o->cap = n;
		o->buf = dh_xrealloc(o->buf, o->cap);
	}
}

void
dh_out_close(struct dh_out *o)
{
	dh_out_flush(o);
	if (o->ar != NULL) {
		if (archive_write_close(o->ar) != ARCHIVE_OK)
			dh_die(DH_EXIT_IO, "write error: %s: %s", o->name,
			       archive_error_string(o->ar));
		archive_write_free(o->ar);
	}
	if (o->own_fd && close(o->fd) != 0)
		dh_die_errno(DH_EXIT_IO, "write error: %s", o->name);
	free(o->buf);
	o->buf = NULL;
	o->ar = NULL;
}
