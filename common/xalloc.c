/* MAP_ANONYMOUS, madvise */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

#define HUGE_PAGE ((size_t)2 << 20)

/* bytes rounded up to whole pages (wraps to less on overflow) */
static size_t
page_round(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (bytes + page - 1) / page * page;
}

void *
dh_big_calloc(size_t bytes)
{
	size_t len, used;
	char *p, *a;

	if (bytes < HUGE_PAGE)
		return calloc(bytes ? bytes : 1, 1);
	/* a 2 MiB aligned start: map one huge page more, unmap the rest
	 * (whole pages: munmap wants an aligned start) */
	used = page_round(bytes);
	len = used + HUGE_PAGE;
	if (used < bytes || len < used)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (p + len > a + used)
		munmap(a + used, (size_t)(p + len - (a + used)));
#ifdef MADV_HUGEPAGE
	/* only advice: without huge pages it is ordinary memory */
	(void)madvise(a, bytes, MADV_HUGEPAGE);
#endif
	return a;
}

void
dh_big_free(void *p, size_t bytes)
{
	if (p == NULL)
		return;
	if (bytes < HUGE_PAGE)
		free(p);
	else
		munmap(p, page_round(bytes));
}
