#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "xalloc.h"

void
dh_buf_grow(struct dh_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1, cap = b->cap ? b->cap : 64;

	if (want < b->len)
		dh_die(DH_EXIT_IO, "out of memory (buffer overflow)");
	if (want <= b->cap)
		return;
	while (cap < want)
		cap = cap * 2 > cap ? cap * 2 : want;
	b->data = dh_xrealloc(b->data, cap);
	b->cap = cap;
}

void
dh_buf_adds(struct dh_buf *b, const char *s)
{
	dh_buf_add(b, s, strlen(s));
}

void
dh_buf_addf(struct dh_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	dh_buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
dh_buf_reset(struct dh_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
dh_buf_release(struct dh_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
dh_buf_detach(struct dh_buf *b, size_t *len)
{
	char *p = b->data;

	if (p == NULL)
		p = dh_xcalloc(1, 1);
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
