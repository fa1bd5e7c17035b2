/*
 * table: a table's _TABLE file (DESIGN §4): name, format, partition keys,
 * description, owner, as JSON.
 *
 * Ownership: dh_table_read() gives the caller the keys array and strings.
 */
#ifndef DH_TABLE_H
#define DH_TABLE_H

#include <stddef.h>

#include "reader.h"

struct dh_buf;

/*
 * Read TABLEDIR/_TABLE: 1 with *fmt and the keys (caller frees each and
 * the array), or 0 when there is none.  A damaged file is exit 3.
 */
int dh_table_read(const char *tabledir, enum dh_format *fmt, char ***keys,
		  size_t *nkeys);
/* Write TABLEDIR/_TABLE crash-safely; owner is $USER. */
void dh_table_write(const char *tabledir, const char *table,
		    enum dh_format fmt, char *const *keys, size_t nkeys);
/* Exit 2 unless keys are the table's (same names, same order). */
void dh_table_check_keys(const char *tabledir, const char *table,
			 char *const *have, size_t nhave, char *const *want,
			 size_t nwant);

/* The value of keys[depth] in some partition directory of the table
 * (unescaped, into value): 1, or 0 when the table has none yet. Which one
 * is unspecified: for checks that every partition agrees on (a time
 * grain). */
int dh_table_sample_value(const char *tabledir, char *const *keys, size_t depth,
			  struct dh_buf *value);

#endif
