/*
 * pmap: a line-oriented input processed in chunks by worker threads, the
 * results delivered in input order.  For per-record maps over formats
 * whose records end at known newlines (JSON lines and TSV; CSV through a
 * quote-counting cut): dh-convert, dh-dedup, dh-agg, dh-partition and
 * dh-ingest use it on big regular files (dh-ingest on what it
 * decompresses), through dh_pmap_records() below.
 *
 * The caller's work function turns a chunk of whole lines into output
 * bytes (job->out) and bad records (dh_pmap_bad); the main thread writes
 * each chunk's bytes to the real output and hands bad records to the
 * caller's callback, in order, so output, rejects and the first fatal
 * error come out exactly as a sequential run would give them.
 *
 * Ownership: pmap owns the chunks and threads; thread states come from
 * the caller's tinit/tfree.  Lines handed to work are borrowed for the
 * call.
 */
#ifndef DH_PMAP_H
#define DH_PMAP_H

#include <stddef.h>

#include "input.h"
#include "reader.h"
#include "out.h"
#include "progress.h"
#include "reject.h"

struct dh_pmap_bad {
	size_t out_off;          /* output bytes of the chunk before it */
	unsigned long long line; /* 1-based within the chunk */
	char *raw;
	size_t rawlen;
	char *reason;
};

struct dh_pmap_job {
	char *in;
	size_t inlen, incap;
	struct dh_out out;
	unsigned long long seq;   /* the chunk's number in the input, from 0 */
	unsigned long long lines; /* lines in the chunk */
	unsigned long long records_in, records_out;
	struct dh_pmap_bad *bad;
	size_t nbad, capbad;
	int state;
};

struct dh_pmap_ops {
	void *(*tinit)(void *arg);   /* a worker's state */
	void (*tfree)(void *tstate);
	/* work: every line of job->in; a line is line (1-based) of the chunk */
	void (*work)(void *tstate, struct dh_pmap_job *job);
	/* main thread, in order: a bad record at absolute line */
	void (*bad)(void *arg, unsigned long long line, const char *raw,
		    size_t rawlen, const char *reason);
	void *arg;
	/*
	 * Where a chunk may end: the length of p[0..n)'s longest prefix
	 * that ends a record (its "\n" included), 0 when none does.  NULL:
	 * after the last newline (records are lines).  p starts a record.
	 */
	size_t (*cut)(const char *p, size_t n);
	/*
	 * NULL: each chunk's output bytes go to out.  Else the main thread
	 * hands them to emit instead, in order, cut only where a bad record
	 * falls (so whole entries, when work writes entries): for callers
	 * whose workers compute and the main thread decides (dh-dedup).
	 */
	void (*emit)(void *arg, const char *p, size_t n);
	/* NULL, or the command's progress line, updated after each chunk */
	struct dh_progress *progress;
};

/* Worker side: note a bad record at the chunk's current output offset. */
void dh_pmap_bad(struct dh_pmap_job *job, unsigned long long line,
		 const char *raw, size_t rawlen, const char *reason);

/*
 * The common case, a map over records: dh_pmap_records() reads each
 * chunk as records of src's format, with a reader and a record of each
 * worker's own, and hands every good record to ops->each(), which
 * returns NULL or why the record is bad.  Bad records (unreadable, or
 * refused by each) go to src->rj, counted in *src->rejected, in input
 * order.  CSV chunks are cut at newlines outside quotes (dh_csv_cut).
 */
struct dh_pmap_src {
	const char *name;               /* the input, as messages name it */
	enum dh_format fmt;
	unsigned rflags;                /* the reader's DH_READ_* flags */
	char sep;                       /* the reader's path separator (0: '.') */
	const struct dh_reader *header; /* CSV and TSV: the file's header, read */
	struct dh_rejects *rj;
	unsigned long long *rejected;
	const struct dh_json_want *want; /* the fields read (NULL: all) */
};

struct dh_pmap_rec_ops {
	/* a worker's own state (tinit NULL: none, each gets NULL) */
	void *(*tinit)(void *arg);
	void (*tfree)(void *tstate);
	/* worker: a good record (the worker's own: each may change it);
	 * may write to job->out, count job->records_out */
	const char *(*each)(void *tstate, struct dh_pmap_job *job, struct dh_record *rec);
	/* main thread: as struct dh_pmap_ops' emit (NULL: to out) */
	void (*emit)(void *arg, const char *p, size_t n);
	void *arg;
};

void dh_pmap_records(struct dh_input *in, int nthreads, const struct dh_pmap_src *src,
		     const struct dh_pmap_rec_ops *ops, struct dh_progress *progress,
		     struct dh_out *out, unsigned long long *records_in,
		     unsigned long long *records_out);

/*
 * Process the rest of in (from its current position) with nthreads
 * workers, writing to out.  in->line advances over the lines processed.
 * Adds the workers' record counts to *records_in and *records_out.
 */
void dh_pmap_lines(struct dh_input *in, int nthreads,
		   const struct dh_pmap_ops *ops, struct dh_out *out,
		   unsigned long long *records_in,
		   unsigned long long *records_out);

/* How many workers to use: $DH_THREADS when set, else the online CPUs,
 * at most 8. */
int dh_pmap_threads(void);
/*
 * Whether in may be read in chunks: a regular file of 16 MiB or more
 * (any size when $DH_THREADS is set), nthreads >= 2, and records that
 * chunks split exactly: JSON lines and TSV at newlines; CSV at newlines
 * outside quotes, which is exact up to the first malformed row, so only
 * when that row stops the run (rejects == 0: no --rejects).
 */
int dh_pmap_fits(const struct dh_input *in, enum dh_format fmt, int nthreads,
		 int rejects);

#endif
