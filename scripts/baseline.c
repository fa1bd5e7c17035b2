/*
 * baseline FILE: the machine's limit for a record converter, what reading,
 * splitting into lines and writing the same bytes costs.  It reads FILE
 * with read(2) in 256 KiB chunks, finds each line with memchr and copies
 * the line and a newline into a 256 KiB buffer written with write(2).
 * scripts/bench divides dh's time by this one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "xalloc.h"

#define CHUNK (256 * 1024)

struct out {
	char *b;
	size_t n;
};

static void
write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			dh_die_errno(DH_EXIT_IO, "write error");
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
out_line(struct out *o, const char *p, size_t n)
{
	/* A line longer than the buffer goes out as it is, not in pieces. */
	if (o->n + n + 1 > CHUNK) {
		write_all(o->b, o->n);
		o->n = 0;
		if (n + 1 > CHUNK) {
			write_all(p, n);
			write_all("\n", 1);
			return;
		}
	}
	memcpy(o->b + o->n, p, n);
	o->b[o->n + n] = '\n';
	o->n += n + 1;
}

int
main(int argc, char **argv)
{
	struct out o;
	char *in;
	size_t cap = 2 * CHUNK, have = 0;
	int fd;

	dh_err_init(argv[0]);
	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", dh_progname());
		return DH_EXIT_USAGE;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0)
		dh_die_errno(DH_EXIT_IO, "%s", argv[1]);
	in = dh_xmalloc(cap);
	o.b = dh_xmalloc(CHUNK);
	o.n = 0;
	for (;;) {
		ssize_t r;
		char *p, *end, *nl;

		/* The unfinished line stays at the front, with room for a
		 * whole chunk after it; the buffer grows only for a line
		 * longer than a chunk. */
		if (cap - have < CHUNK) {
			cap *= 2;
			in = dh_xrealloc(in, cap);
		}
		r = read(fd, in + have, CHUNK);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			dh_die_errno(DH_EXIT_IO, "%s", argv[1]);
		}
		if (r == 0)
			break;
		p = in;
		end = in + have + r;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			out_line(&o, p, (size_t)(nl - p));
			p = nl + 1;
		}
		have = (size_t)(end - p);
		memmove(in, p, have);
	}
	if (have > 0)
		out_line(&o, in, have);
	write_all(o.b, o.n);
	if (close(fd) != 0)
		dh_die_errno(DH_EXIT_IO, "%s", argv[1]);
	free(in);
	free(o.b);
	return 0;
}
