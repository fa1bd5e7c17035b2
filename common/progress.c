#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "num.h"
#include "progress.h"

/*
 * The line on the terminal now, so that a message from anywhere (a
 * warning, the error that stops the run) can clear it first.  One stderr,
 * one line: the only state here that is not the command's.
 */
static struct dh_progress *shown;

/* Are descriptors a and b the same terminal? */
static int
same_tty(int a, int b)
{
	struct stat sa, sb;

	return isatty(a) && isatty(b) && fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_rdev == sb.st_rdev;
}

void
dh_progress_start(struct dh_progress *p, const struct dh_stats *st, int flags)
{
	memset(p, 0, sizeof(*p));
	p->st = st;
	p->on = isatty(STDERR_FILENO) &&
		!((flags & DH_PROGRESS_RECORDS) && same_tty(STDOUT_FILENO, STDERR_FILENO));
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

static double
since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
dh_progress_show(struct dh_progress *p, unsigned long long bytes)
{
	struct timespec now;
	char line[160], b[32], rate[32];
	double secs;
	int len;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&p->last, &now) < 1.0)
		return;
	p->last = now;
	secs = since(&p->start, &now);
	bytes += p->st->bytes_in;
	dh_num_bytes(b, sizeof(b), (double)bytes);
	dh_num_bytes(rate, sizeof(rate), secs > 0 ? (double)bytes / secs : 0);
	len = snprintf(line, sizeof(line), "%s: %llu records, %s read, %s/s",
		       dh_progname(), p->st->records_in, b, rate);
	if (len < 0)
		return;
	if (len >= (int)sizeof(line))
		len = (int)sizeof(line) - 1;
	/* pad over a longer line before; the cursor stays at its end */
	fprintf(stderr, "\r%s%*s", line, p->width > len ? p->width - len : 0, "");
	if (p->width > len)
		fprintf(stderr, "\r%s", line);
	fflush(stderr);
	p->width = len;
	shown = p;
}

static void
clear(struct dh_progress *p)
{
	if (p->width > 0) {
		fprintf(stderr, "\r%*s\r", p->width, "");
		fflush(stderr);
		p->width = 0;
	}
	if (shown == p)
		shown = NULL;
}

void
dh_progress_end(struct dh_progress *p)
{
	clear(p);
	p->on = 0;
}

void
dh_progress_clear(void)
{
	if (shown != NULL)
		clear(shown);
}
