#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

static _Noreturn void
oom(size_t n)
{
	dh_die(DH_EXIT_IO, "out of memory (allocating %zu bytes)", n);
}

void *
dh_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
dh_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
dh_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom(n);
	return p;
}

void *
dh_xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	return dh_xrealloc(p, nmemb * size);
}

char *
dh_xstrdup(const char *s)
{
	return dh_xmemdup(s, strlen(s));
}

char *
dh_xmemdup(const void *p, size_t n)
{
	char *s = dh_xmalloc(n + 1);

	if (n > 0) /* p may be NULL then: an empty buffer's data */
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}
