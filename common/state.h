/*
 * state: names in the state directory (DESIGN §4): where it is, which
 * table names are valid, and partition directory names, with values
 * escaped exactly as Hive's FileUtils.escapePathName escapes them.
 *
 * Ownership: functions append to a caller's struct dh_buf; nothing here
 * keeps memory.
 */
#ifndef DH_STATE_H
#define DH_STATE_H

#include <stddef.h>

#include "buf.h"

#define DH_HIVE_DEFAULT "__HIVE_DEFAULT_PARTITION__"
#define DH_NAME_MAX 255 /* bytes of one directory name */

/* -s DIR, else $DH_STATE, else "state". */
const char *dh_state_dir(const char *opt);

/*
 * 1 when name is a table name: one or more '/'-separated segments of
 * [A-Za-z0-9_.-], none empty and none starting with '_' or '.'.
 */
int dh_table_name_ok(const char *name);

/*
 * Append value escaped as Hive does: %XX (uppercase hex) for bytes
 * 0x00-0x1F, 0x7F and " # % ' * / : = ? \ { [ ] ^; nothing else changes.
 * An empty value is __HIVE_DEFAULT_PARTITION__.
 */
void dh_hive_escape(struct dh_buf *out, const char *v, size_t n);
/* Append the value a (partition directory) name stands for: %XX decoded;
 * __HIVE_DEFAULT_PARTITION__ gives "". */
void dh_hive_unescape(struct dh_buf *out, const char *s, size_t n);

/* Append key as partition directories name it (lowercased): 0, or -1
 * with *why when it is not [A-Za-z0-9_] or starts with '_'. */
int dh_partition_key(struct dh_buf *out, const char *key, size_t klen,
		     const char **why);
/*
 * Append "key=escaped value" for a partition directory.  Returns 0, or -1
 * with the reason in *why (static text) when the key is not a valid key
 * ([a-z0-9_], lowercased here, not starting with '_'), the value is not
 * UTF-8, or the name would pass DH_NAME_MAX bytes: never truncated.
 */
int dh_partition_name(struct dh_buf *out, const char *key, size_t klen,
		      const char *v, size_t vlen, const char **why);

/*
 * Take the table's writer lock (flock on TABLEDIR/_LOCK), waiting up to
 * wait_secs; past that exit 5 naming the table.  Then removes the
 * .tmp.* files a killed writer left in TABLEDIR itself.  Returns the
 * descriptor to keep open until the end.
 */
int dh_table_lock(const char *tabledir, const char *table, double wait_secs);
/* Append one JSON line (with its newline) to STATE/_log.jsonl, fsynced. */
void dh_journal(const char *statedir, const char *json_line);

#endif
