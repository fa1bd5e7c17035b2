/*
 * seen: the file of keys earlier runs saw (dh-dedup --seen), binary and
 * versioned, replaced crash-safely (DESIGN §6).
 *
 *	offset 0   8 bytes  "DHSEEN1\n"
 *	       8   8 bytes  number of keys N, little-endian
 *	      16   8 bytes  length L of the key spec, little-endian
 *	      24   L bytes  the key spec ("record", or "-k a,b"): keys of
 *	                    another spec are refused, never mixed
 *	  24 + L   N x 16   the keys: xxh3-128 low 64 bits, high 64 bits,
 *	                    each little-endian
 *	     end   16       xxh3-128 of everything before it, the same way
 *
 * Ownership: nothing is kept; keys go into the caller's set.
 */
#ifndef DH_SEEN_H
#define DH_SEEN_H

#include "keyset.h"

/*
 * Add the keys of path to s, each with value val: 1, or 0 when path does
 * not exist (no run saw anything yet).  A damaged or truncated file is
 * exit 3, one of another key spec exit 2, an unreadable one exit 4; each
 * names the file.
 */
int dh_seen_load(const char *path, const char *spec, struct dh_keyset *s,
		 uint64_t val);
/* Replace path with every key of s: a temporary file in its directory,
 * fsync, rename, fsync the directory.  Exit 4 on errors. */
void dh_seen_save(const char *path, const char *spec, const struct dh_keyset *s);

#endif
