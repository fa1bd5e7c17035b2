/*
 * lineage: the catalog of a state directory read from its files (DESIGN
 * §4, §5): tables, their partitions with status, and the graph of
 * recorded inputs (no daemon, no database).
 *
 * A table is a directory below STATE whose name segments are not
 * partitions (no '='); its partitions are the key=value directories below
 * it, the deepest of each path (dt=2026-11-20/hour=13).  A partition is
 *	ok          _SUCCESS, a manifest, its files there with their sizes;
 *	incomplete  no _SUCCESS;
 *	damaged     _SUCCESS, but the manifest is missing or unreadable, or
 *	            names a file that is missing or of another size;
 *	stale       complete, but a recorded input now has another hash (a
 *	            partition's manifest, a file's bytes) or is gone.
 * Hashes of data files are dh-check's job: the catalog only stats them.
 *
 * Ownership: struct dh_catalog owns everything in it; free it with
 * dh_catalog_release().
 */
#ifndef DH_LINEAGE_H
#define DH_LINEAGE_H

#include <stddef.h>

#include "buf.h"
#include "hash.h"
#include "hashmap.h"
#include "manifest.h"

enum dh_part_status { DH_PART_OK, DH_PART_INCOMPLETE, DH_PART_STALE, DH_PART_DAMAGED };

struct dh_cpart {
	char *path;   /* "clean/clicks/dt=2026-11-20", below STATE */
	size_t table; /* index into the catalog's tables */
	const char *name; /* in path: "dt=2026-11-20" */
	int has_success, has_manifest;
	struct dh_manifest m; /* when has_manifest */
	char mhash[DH_HASH_HEX]; /* xxh128 of the _MANIFEST bytes */
	unsigned long long records, bytes;
	enum dh_part_status status;
	char *why; /* what makes it damaged or stale */
	size_t *down; /* partitions that list this one as an input */
	size_t ndown;
};

struct dh_catalog {
	char *state;
	char **tables; /* sorted */
	size_t ntables;
	struct dh_cpart *parts; /* sorted by path */
	size_t nparts;
	struct dh_hashmap bypath; /* path -> index in parts */
	struct dh_hashmap filehash; /* input file path -> index in hashes */
	char (*hashes)[DH_HASH_HEX];
	size_t nhashes;
};

/* Read the state directory: 0, or -1 with why in err (it is not there). */
int dh_catalog_load(struct dh_catalog *c, const char *statedir, struct dh_buf *err);
void dh_catalog_release(struct dh_catalog *c);
/* The index of the partition at path ("table/k=v"), or -1. */
long dh_catalog_find(const struct dh_catalog *c, const char *path);
/* The index of a table, or -1. */
long dh_catalog_table(const struct dh_catalog *c, const char *name);
/*
 * Does operand arg name partition part?  It does when arg is its table,
 * the partition, or a prefix of partitions that holds a '='
 * ("t/dt=1" of "t/dt=1/h=2"); a directory of tables ("raw") names none.
 * table is dh_catalog_table(c, arg), found once by the caller.
 */
int dh_catalog_names(const struct dh_catalog *c, const char *arg, long table, size_t part);
/*
 * Mark in mark[] (nparts entries, caller's) every partition downstream of
 * part, transitively (part itself not included unless a cycle leads back).
 */
void dh_catalog_downstream(const struct dh_catalog *c, size_t part, unsigned char *mark);
/*
 * Verify a partition against its manifest, reading every byte (dh-check):
 * each listed file present, of its size and xxh128, with its number of
 * records; no data file the manifest does not list; no temporary file
 * left by a crashed writer.  Each problem is appended to problems as one
 * line.  The fields of its records and their kinds go to schema, sorted,
 * one "name" kind a line ("\"price\" number", the name quoted as
 * JSON), for drift between partitions.
 */
void dh_catalog_verify(struct dh_catalog *c, size_t part, struct dh_buf *problems,
		       struct dh_buf *schema);
/* "ok", "incomplete", "stale", "damaged". */
const char *dh_part_status_name(enum dh_part_status s);
/* An input of a manifest now: "ok", "changed" or "gone". */
const char *dh_catalog_input_state(struct dh_catalog *c, const struct dh_manifest_input *in);

#endif
