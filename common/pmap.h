/*
 * pmap: a line-oriented input processed in chunks by worker threads, the
 * results delivered in input order.  For per-record maps over formats
 * whose records end at known newlines (JSON lines and TSV; CSV through a
 * quote-counting cut): dh-convert uses it on big regular files, where a
 * chunk never waits for input.
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
 * The loop of a work function that reads records: job's chunk as records
 * of fmt (CSV and TSV under header's columns when header is not NULL),
 * each good one handed to each(), which returns NULL or why the record is
 * bad; bad ones go to dh_pmap_bad().  r and rec are the thread's own.
 * Counts job->records_in and sets job->lines.
 */
void dh_pmap_each(struct dh_pmap_job *job, const char *name, enum dh_format fmt,
		  unsigned rflags, const struct dh_reader *header, struct dh_reader *r,
		  struct dh_record *rec,
		  const char *(*each)(void *arg, struct dh_pmap_job *job,
				      const struct dh_record *rec),
		  void *arg);

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
