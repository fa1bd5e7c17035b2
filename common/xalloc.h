/*
 * xalloc: allocation that cannot fail: on exhaustion it exits 4 with a
 * message.  The caller owns and frees what these return.
 */
#ifndef DH_XALLOC_H
#define DH_XALLOC_H

#include <stddef.h>

void *dh_xmalloc(size_t n);
void *dh_xcalloc(size_t nmemb, size_t size);
void *dh_xrealloc(void *p, size_t n);
/* realloc for an array of nmemb elements, checking the multiplication */
void *dh_xreallocarray(void *p, size_t nmemb, size_t size);
char *dh_xstrdup(const char *s);
char *dh_xmemdup(const void *p, size_t n); /* adds a NUL */
/*
 * Zeroed memory for a big table read at random (hash tables): from 2 MiB
 * up it is mapped on its own with transparent huge pages asked for
 * (madvise), so that random reads miss the TLB less.  NULL when out of
 * memory.  Free with dh_big_free() and the same size.
 */
void *dh_big_calloc(size_t bytes);
void dh_big_free(void *p, size_t bytes);

#endif
