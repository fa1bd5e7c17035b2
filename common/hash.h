/*
 * hash: xxh128 of bytes and files, written as `xxhsum -H2` prints it
 * (32 lowercase hex digits of the canonical, big-endian form).
 */
#ifndef DH_HASH_H
#define DH_HASH_H

#include <stddef.h>

#define DH_HASH_HEX 33 /* 32 digits and a NUL */

void dh_hash_bytes(const void *p, size_t n, char hex[DH_HASH_HEX]);
/* The file's hash and size; 0, or -1 with errno set (nothing printed). */
int dh_hash_file(const char *path, char hex[DH_HASH_HEX],
		 unsigned long long *size);

#endif
