/*
 * manifest: a partition's _MANIFEST (DESIGN §4), written and read with
 * jansson.  Keys keep the documented order; hashes are xxh128 as
 * `xxhsum -H2` prints them.
 *
 * Ownership: struct dh_manifest owns every string and array in it;
 * dh_manifest_release() frees them.  Initialise with memset 0.
 */
#ifndef DH_MANIFEST_H
#define DH_MANIFEST_H

#include <stddef.h>

#include "buf.h"
#include "hash.h"

struct dh_manifest_file {
	char *name;
	unsigned long long bytes, records;
	char xxh128[DH_HASH_HEX];
	/* dh-ingest: what the file was landed from (NULL when not) */
	char *source;
	unsigned long long source_bytes;
	char source_xxh128[DH_HASH_HEX];
	/* dh-ingest --follow: the source's bytes [from, to), the seq-th piece
	 * taken, and the hash of its first min(to, 4096) bytes (rotation) */
	int follow;
	unsigned long long follow_from, follow_to, follow_seq;
	char follow_head[DH_HASH_HEX];
};

struct dh_manifest_input {
	char *path;
	int partition; /* 1: manifest_xxh128 of a partition; 0: a file */
	unsigned long long bytes;
	char xxh128[DH_HASH_HEX];
};

struct dh_manifest {
	char *table, *partition, *format, *compression; /* compression may be NULL */
	struct dh_manifest_file *files;
	size_t nfiles;
	struct dh_manifest_input *inputs;
	size_t ninputs;
	char **command;
	size_t ncommand;
	char created[32];
	/* read back: the totals as written (a writer sums its files) */
	unsigned long long records, bytes;
	int has_totals;
};

void dh_manifest_add_file(struct dh_manifest *m, const char *name,
			  unsigned long long bytes, unsigned long long records,
			  const char *xxh128);
/* Say the last added file was landed from source (name, size, hash). */
void dh_manifest_set_source(struct dh_manifest *m, const char *source,
			    unsigned long long bytes, const char *xxh128);
/* Add a copy of another manifest's file entry, source and piece too. */
void dh_manifest_copy_file(struct dh_manifest *m,
			   const struct dh_manifest_file *f);
/* Say the last added file is a --follow piece of its source. */
void dh_manifest_set_follow(struct dh_manifest *m, unsigned long long from,
			    unsigned long long to, unsigned long long seq,
			    const char *head);
void dh_manifest_add_input(struct dh_manifest *m, const char *path,
			   int partition, unsigned long long bytes,
			   const char *xxh128);
/* The manifest as JSON text (indented, newline at the end); caller frees. */
char *dh_manifest_dump(const struct dh_manifest *m, size_t *len);
/*
 * Read path into m: 0, or -1 with the reason in err, or -2 when the file
 * could not be read (an I/O error: errno set, its text in err), which
 * callers report as exit 4 where a bad manifest is 3.  File names that are
 * not plain names in the partition (a '/', "..", a leading '.' or '_')
 * are refused: a manifest never points outside its partition.  A
 * symbolic link is not followed, more than DH_MANIFEST_MAX bytes not read.
 */
int dh_manifest_load(const char *path, struct dh_manifest *m,
		     struct dh_buf *err);
/* The same from the bytes p[0..n) of a manifest (path names it). */
int dh_manifest_parse(const char *p, size_t n, const char *path, struct dh_manifest *m,
		      struct dh_buf *err);
void dh_manifest_release(struct dh_manifest *m);

/*
 * A manifest's identity, which its consumers record as manifest_xxh128:
 * the xxh128 of its bytes p[0..n) without the "checks" member that
 * dh-check adds at the end (recording a check changes nothing the
 * manifest describes, so it makes nothing downstream stale).  Of a
 * manifest without checks, that is the hash of its bytes.
 */
void dh_manifest_hash(const char *p, size_t n, char hex[DH_HASH_HEX]);
/* The same of the file path: 0, or -1 with errno set. */
int dh_manifest_hash_file(const char *path, char hex[DH_HASH_HEX]);
/*
 * Record check results into dir/_MANIFEST, crash-safely: checks[0..n) are
 * compact JSON objects, each with an "expect" string; they replace the
 * recorded results of the same expectations and are added after the
 * others.  The caller holds the table's lock.  0, or -1 with why in err
 * (the manifest cannot be read, or is not laid out as dh writes it).
 */
int dh_manifest_set_checks(const char *dir, char *const *checks, size_t n,
			   struct dh_buf *err);

/*
 * The data files of the partition directory dir, in manifest order, as
 * paths ("dir/name"), and their format name (from the manifest).  A
 * partition without _SUCCESS is refused with exit 3 unless
 * allow_incomplete; an unreadable manifest is exit 3 too.  Caller frees
 * the paths and the array.
 */
char **dh_partition_files(const char *dir, int allow_incomplete, size_t *n,
			  char **format);

/*
 * The inputs named on a command line (none: "-"), with each partition
 * directory replaced by its data files (dh_partition_files).  Caller
 * frees the paths and the array (NULL-terminated); *n is their number.
 */
char **dh_inputs_expand(char **args, size_t nargs, int allow_incomplete,
			size_t *n);

/* Now as ISO 8601 UTC with T and Z, no fraction, into out[32]. */
void dh_time_now_iso(char out[32]);

#endif
