/*
 * partset: the partitions of one table being written by one command run,
 * published crash-safely at the end (DESIGN §4).
 *
 * Records go to a temporary file per partition, in the partition's own
 * directory.  Only so many stay open (an LRU under the descriptor limit);
 * the others are reopened for appending when their next record comes.
 * dh_partset_publish() then makes each partition whole: data files under
 * temporary names, all durable, before any _SUCCESS is touched; then per
 * partition: _SUCCESS removed, files renamed in, _MANIFEST written, files
 * the manifest no longer lists removed, _SUCCESS written last.
 *
 * Ownership: struct dh_partset owns its partitions, writers and names.
 */
#ifndef DH_PARTSET_H
#define DH_PARTSET_H

#include "hashmap.h"
#include "manifest.h"
#include "publish.h"
#include "reader.h"
#include "record.h"
#include "writer.h"

struct dh_part {
	char *name;  /* "k=v/k2=v2", relative to the table */
	char *dir;   /* STATE/TABLE/k=v/k2=v2 */
	struct dh_tmpfile tmp;
	int is_open;
	unsigned long long last_use;
	unsigned long long records;
	struct dh_writer w;
	int have_writer;
};

struct dh_partset {
	const char *statedir, *table;
	char *tabledir;
	enum dh_format fmt;   /* of the data files */
	const char *codec;    /* -z, or NULL */
	int append;           /* --append: add files instead of replacing */
	int passthrough;      /* write each record's input bytes */
	struct dh_buf header; /* CSV/TSV: the header line, for passthrough */
	struct dh_hashmap map;
	struct dh_part **parts; /* each allocated alone: writers point into them */
	size_t nparts, capparts;
	size_t nopen, maxopen;
	unsigned long long tick;
	struct dh_manifest_input *inputs; /* --from, copied into each manifest */
	size_t ninputs;
	char **command;
	size_t ncommand;
	struct dh_buf err;
	unsigned long long bytes_out; /* bytes of the data files published */
};

void dh_partset_init(struct dh_partset *ps, const char *statedir,
		     const char *table, enum dh_format fmt, const char *codec);
/* Write rec into partition name (creating it); 0, or -1 with ps->err. */
int dh_partset_write(struct dh_partset *ps, const char *name, size_t nlen,
		     const struct dh_record *rec);
/* Passthrough (ps->passthrough): rec's input bytes raw[0..rawlen) into
 * partition name, with the header line first in a new file. */
void dh_partset_write_raw(struct dh_partset *ps, const char *name, size_t nlen,
			  const char *raw, size_t rawlen);
/* Create partition name with no records yet (-p on empty input). */
void dh_partset_touch(struct dh_partset *ps, const char *name, size_t nlen);
/* Publish every partition; print_paths: one "STATE/TABLE/NAME" a line on
 * stdout each. */
void dh_partset_publish(struct dh_partset *ps, int print_paths);
void dh_partset_release(struct dh_partset *ps);

/*
 * The first n for which dir holds no "part-NNNNN." entry (data or
 * temporary), counting up from start: the next data file's number.
 */
int dh_part_next_number(const char *dir, int start);
/* Remove data files m does not list (all of them when m is NULL) and
 * stale .tmp. files from dir (the caller holds the table lock, so none is
 * another writer's). */
void dh_remove_unlisted(const char *dir, const struct dh_manifest *m);
/* The same without the temporary files: for a caller whose own temporary
 * file is already in dir. */
void dh_remove_unlisted_data(const char *dir, const struct dh_manifest *m);
/* ".jsonl", ".csv" ... with ".gz", ".zst" ... for the codec. */
void dh_data_suffix(struct dh_buf *out, enum dh_format fmt, const char *codec);

#endif
