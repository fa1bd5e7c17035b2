/* madvise(MADV_DONTNEED) is not POSIX: posix_madvise's does nothing on Linux */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "pmap.h"
#include "xalloc.h"

#define CHUNK (4u << 20)

enum { FREE, READY, TAKEN, DONE };

struct pmap {
	const struct dh_pmap_ops *ops;
	/* a plain regular file is mapped, and chunks point into it */
	const char *map;
	size_t mapsize, cursor;
	struct dh_pmap_job *jobs;
	size_t njobs;
	size_t next_take; /* the oldest READY job a worker may take */
	int quit;
	pthread_mutex_t mu;
	pthread_cond_t cv_ready, cv_done;
};

int
dh_pmap_threads(void)
{
	const char *env = getenv("DH_THREADS");
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (env != NULL && *env != '\0')
		return atoi(env);
	return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

int
dh_pmap_fits(const struct dh_input *in, enum dh_format fmt, int nthreads, int rejects)
{
	struct stat st;
	const char *env = getenv("DH_THREADS");

	if (!in->regular || nthreads < 2)
		return 0;
	if (fmt != DH_FMT_JSONL && fmt != DH_FMT_TSV && (fmt != DH_FMT_CSV || rejects))
		return 0;
	if (env != NULL && *env != '\0')
		return 1;
	return fstat(in->fd, &st) == 0 && st.st_size >= 16 * 1024 * 1024;
}

void
dh_pmap_bad(struct dh_pmap_job *job, unsigned long long line, const char *raw,
	    size_t rawlen, const char *reason)
{
	struct dh_pmap_bad *b;

	if (job->nbad == job->capbad) {
		job->capbad = job->capbad ? job->capbad * 2 : 8;
		job->bad = dh_xreallocarray(job->bad, job->capbad, sizeof(*job->bad));
	}
	b = &job->bad[job->nbad++];
	b->out_off = job->out.len;
	b->line = line;
	b->raw = dh_xmemdup(raw, rawlen);
	b->rawlen = rawlen;
	b->reason = dh_xstrdup(reason);
}

static void *
worker(void *arg)
{
	struct pmap *pm = arg;
	void *ts = pm->ops->tinit(pm->ops->arg);

	pthread_mutex_lock(&pm->mu);
	for (;;) {
		struct dh_pmap_job *job;

		while (!pm->quit && pm->jobs[pm->next_take].state != READY)
			pthread_cond_wait(&pm->cv_ready, &pm->mu);
		if (pm->jobs[pm->next_take].state != READY)
			break;
		job = &pm->jobs[pm->next_take];
		job->state = TAKEN;
		pm->next_take = (pm->next_take + 1) % pm->njobs;
		pthread_mutex_unlock(&pm->mu);
		pm->ops->work(ts, job);
		pthread_mutex_lock(&pm->mu);
		job->state = DONE;
		pthread_cond_broadcast(&pm->cv_done);
	}
	pthread_mutex_unlock(&pm->mu);
	pm->ops->tfree(ts);
	return NULL;
}

/* A finished job's bytes: to out, or to the caller's emit. */
static void
put(struct pmap *pm, struct dh_out *out, const char *p, size_t n)
{
	if (pm->ops->emit != NULL) {
		if (n > 0)
			pm->ops->emit(pm->ops->arg, p, n);
	} else {
		dh_out_write_block(out, p, n);
	}
}

/* Write a finished job's output and bad records, in order. */
static void
deliver(struct pmap *pm, struct dh_pmap_job *job, struct dh_input *in,
	struct dh_out *out, unsigned long long *rin, unsigned long long *rout)
{
	size_t i, off = 0;

	for (i = 0; i < job->nbad; i++) {
		struct dh_pmap_bad *b = &job->bad[i];

		put(pm, out, job->out.buf + off, b->out_off - off);
		off = b->out_off;
		pm->ops->bad(pm->ops->arg, in->line + b->line, b->raw, b->rawlen,
			     b->reason);
		free(b->raw);
		free(b->reason);
	}
	put(pm, out, job->out.buf + off, job->out.len - off);
	in->line += job->lines;
	*rin += job->records_in;
	*rout += job->records_out;
	job->nbad = 0;
	job->out.len = 0;
	job->records_in = job->records_out = 0;
	job->lines = 0;
}

static size_t
cut_lines(const char *p, size_t n)
{
	while (n > 0 && p[n - 1] != '\n')
		n--;
	return n;
}

/* From the mapped file: the next chunk of whole records, in place. */
static int
fill_mapped(struct pmap *pm, struct dh_pmap_job *job)
{
	size_t avail = pm->mapsize - pm->cursor, n = CHUNK, k;
	const char *p = pm->map + pm->cursor;

	if (avail == 0)
		return 0;
	for (;;) {
		if (n >= avail) {
			k = avail; /* the end: the last record may lack "\n" */
			break;
		}
		k = (pm->ops->cut ? pm->ops->cut : cut_lines)(p, n);
		if (k > 0)
			break;
		n *= 2;
	}
	job->in = (char *)(uintptr_t)p;
	job->inlen = k;
	pm->cursor += k;
	return 1;
}

/* Drop the pages of a delivered chunk from the resident set: the file
 * stays in the page cache, and RSS stays a few chunks however big it is. */
static void
release_mapped(struct pmap *pm, const struct dh_pmap_job *job)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t start = (size_t)(job->in - pm->map), end = start + job->inlen;

	start = (start + page - 1) / page * page;
	end = end / page * page;
	if (end > start)
		madvise((char *)(uintptr_t)pm->map + start, end - start, MADV_DONTNEED);
}

/*
 * A mapped file cut short under us raises SIGBUS on the missing pages.
 * The handler can only use what is set up before: this one message, the
 * one piece of state here that is not a caller's (signals leave no other
 * way).
 */
static char bus_msg[512];
static size_t bus_len;

static void
on_sigbus(int sig)
{
	(void)sig;
	if (write(2, bus_msg, bus_len) < 0)
		_exit(DH_EXIT_IO);
	_exit(DH_EXIT_IO);
}

static void
catch_sigbus(const char *name)
{
	struct sigaction sa;
	int n = snprintf(bus_msg, sizeof(bus_msg),
			 "%s: %s: the file shrank while it was being read\n",
			 dh_progname(), name);

	bus_len = n > 0 && (size_t)n < sizeof(bus_msg) ? (size_t)n : 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* Map in's file from where reading got to; 0 when it cannot be. */
static int
map_input(struct pmap *pm, struct dh_input *in)
{
	struct stat st;
	off_t at;
	void *m;

	if (in->ar != NULL || in->is_mem || in->fd < 0 || !in->regular ||
	    fstat(in->fd, &st) != 0 || st.st_size <= 0)
		return 0;
	at = lseek(in->fd, 0, SEEK_CUR);
	if (at < 0 || (size_t)at < in->end - in->pos || at > st.st_size)
		return 0;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, in->fd, 0);
	if (m == MAP_FAILED)
		return 0;
	catch_sigbus(in->loc.name);
	pm->map = m;
	pm->mapsize = (size_t)st.st_size;
	/* the bytes the input read ahead are next */
	pm->cursor = (size_t)at - (in->end - in->pos);
	in->pos = in->end;
	return 1;
}

/* Fill job with whole records: the carried rest, then fresh bytes. */
static int
fill(struct dh_input *in, const struct dh_pmap_ops *ops,
     struct dh_pmap_job *job, char **carry, size_t *ncarry, size_t *capcarry)
{
	size_t got, keep, k = 0;

	if (job->incap < CHUNK + *ncarry) {
		job->incap = CHUNK + *ncarry;
		job->in = dh_xrealloc(job->in, job->incap);
	}
	if (*ncarry > 0)
		memcpy(job->in, *carry, *ncarry);
	job->inlen = *ncarry;
	*ncarry = 0;
	for (;;) {
		got = dh_input_read(in, job->in + job->inlen, job->incap - job->inlen);
		job->inlen += got;
		if (got == 0) /* end of input: the last record may lack "\n" */
			return job->inlen > 0;
		if (job->inlen < job->incap)
			continue;
		k = (ops->cut ? ops->cut : cut_lines)(job->in, job->inlen);
		if (k > 0)
			break;
		/* one record longer than the chunk: grow */
		job->incap *= 2;
		job->in = dh_xrealloc(job->in, job->incap);
	}
	keep = job->inlen - k;
	if (*capcarry < keep) {
		*capcarry = keep;
		*carry = dh_xrealloc(*carry, keep);
	}
	memcpy(*carry, job->in + k, keep);
	*ncarry = keep;
	job->inlen = k;
	return 1;
}

void
dh_pmap_lines(struct dh_input *in, int nthreads, const struct dh_pmap_ops *ops,
	      struct dh_out *out, unsigned long long *records_in,
	      unsigned long long *records_out)
{
	struct pmap pm;
	pthread_t *th;
	char *carry = NULL;
	size_t ncarry = 0, capcarry = 0, next_fill = 0, next_write = 0, i;
	unsigned long long nchunks = 0;
	int t, more = 1;

	memset(&pm, 0, sizeof(pm));
	pm.ops = ops;
	pm.njobs = (size_t)nthreads * 2 + 1;
	pm.jobs = dh_xcalloc(pm.njobs, sizeof(*pm.jobs));
	for (i = 0; i < pm.njobs; i++)
		dh_out_open_mem(&pm.jobs[i].out);
	pthread_mutex_init(&pm.mu, NULL);
	pthread_cond_init(&pm.cv_ready, NULL);
	pthread_cond_init(&pm.cv_done, NULL);
	map_input(&pm, in);
	th = dh_xcalloc((size_t)nthreads, sizeof(*th));
	for (t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, &pm) != 0)
			dh_die(DH_EXIT_IO, "cannot start a worker thread");
	for (;;) {
		struct dh_pmap_job *job;

		/* deliver finished jobs in order; wait when the ring is full */
		pthread_mutex_lock(&pm.mu);
		for (;;) {
			job = &pm.jobs[next_write];
			if (job->state == DONE) {
				pthread_mutex_unlock(&pm.mu);
				deliver(&pm, job, in, out, records_in, records_out);
				dh_progress_step(ops->progress,
						 pm.map != NULL ? pm.cursor : in->bytes_raw);
				if (pm.map != NULL)
					release_mapped(&pm, job);
				pthread_mutex_lock(&pm.mu);
				job->state = FREE;
				next_write = (next_write + 1) % pm.njobs;
				continue;
			}
			if (job->state == FREE && !more)
				break; /* all delivered */
			if (pm.jobs[next_fill].state == FREE && more)
				break; /* room to fill */
			pthread_cond_wait(&pm.cv_done, &pm.mu);
		}
		pthread_mutex_unlock(&pm.mu);
		if (!more)
			break;
		job = &pm.jobs[next_fill];
		more = pm.map != NULL ? fill_mapped(&pm, job)
				      : fill(in, ops, job, &carry, &ncarry, &capcarry);
		if (!more)
			continue;
		job->seq = nchunks++;
		pthread_mutex_lock(&pm.mu);
		job->state = READY;
		next_fill = (next_fill + 1) % pm.njobs;
		pthread_cond_broadcast(&pm.cv_ready);
		pthread_mutex_unlock(&pm.mu);
	}
	pthread_mutex_lock(&pm.mu);
	pm.quit = 1;
	pthread_cond_broadcast(&pm.cv_ready);
	pthread_mutex_unlock(&pm.mu);
	for (t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	if (pm.map != NULL) {
		/* every byte up to the cursor has now been read */
		in->bytes_raw = pm.cursor;
		in->bytes = pm.cursor;
		in->eof = 1;
		munmap((void *)(uintptr_t)pm.map, pm.mapsize);
	}
	for (i = 0; i < pm.njobs; i++) {
		if (pm.map == NULL)
			free(pm.jobs[i].in);
		free(pm.jobs[i].bad);
		dh_out_close(&pm.jobs[i].out);
	}
	free(pm.jobs);
	free(th);
	free(carry);
	pthread_mutex_destroy(&pm.mu);
	pthread_cond_destroy(&pm.cv_ready);
	pthread_cond_destroy(&pm.cv_done);
}

/* The records of job's chunk: each good one to each(), which returns
 * NULL or why it is bad; bad ones to dh_pmap_bad().  Counts
 * job->records_in and sets job->lines. */
static void
each_record(struct dh_pmap_job *job, const struct dh_pmap_src *src, struct dh_reader *r,
	    struct dh_record *rec,
	    const char *(*each)(void *arg, struct dh_pmap_job *job, struct dh_record *rec),
	    void *arg)
{
	struct dh_input in;
	const char *why;
	int rc;

	dh_input_open_mem(&in, job->in, job->inlen, src->name);
	dh_reader_open(r, &in, src->fmt, src->rflags);
	r->want = src->want;
	if (src->sep != 0)
		r->sep = src->sep;
	if (src->header != NULL)
		dh_reader_share_header(r, src->header);
	while ((rc = dh_read(r, rec)) != 0) {
		job->records_in++;
		why = rc < 0 ? r->err.data : each(arg, job, rec);
		if (why != NULL)
			dh_pmap_bad(job, rec->line, rec->raw, rec->rawlen, why);
	}
	job->lines = in.line;
	dh_reader_close(r);
	dh_input_close(&in);
}

struct rec_ctx {
	const struct dh_pmap_src *src;
	const struct dh_pmap_rec_ops *ops;
};

struct rec_lane {
	const struct rec_ctx *ctx;
	void *ts; /* the caller's */
	struct dh_reader r;
	struct dh_record rec;
};

static void *
rec_tinit(void *arg)
{
	const struct rec_ctx *ctx = arg;
	struct rec_lane *l = dh_xcalloc(1, sizeof(*l));

	l->ctx = ctx;
	l->ts = ctx->ops->tinit != NULL ? ctx->ops->tinit(ctx->ops->arg) : NULL;
	return l;
}

static void
rec_tfree(void *ts)
{
	struct rec_lane *l = ts;

	if (l->ctx->ops->tfree != NULL)
		l->ctx->ops->tfree(l->ts);
	dh_record_release(&l->rec);
	free(l);
}

static void
rec_work(void *ts, struct dh_pmap_job *job)
{
	struct rec_lane *l = ts;

	each_record(job, l->ctx->src, &l->r, &l->rec, l->ctx->ops->each, l->ts);
}

static void
rec_bad(void *arg, unsigned long long line, const char *raw, size_t rawlen, const char *reason)
{
	const struct rec_ctx *ctx = arg;

	(*ctx->src->rejected)++;
	dh_reject(ctx->src->rj, ctx->src->name, line, raw, rawlen, reason);
}

static void
rec_emit(void *arg, const char *p, size_t n)
{
	const struct rec_ctx *ctx = arg;

	ctx->ops->emit(ctx->ops->arg, p, n);
}

void
dh_pmap_records(struct dh_input *in, int nthreads, const struct dh_pmap_src *src,
		const struct dh_pmap_rec_ops *ops, struct dh_progress *progress,
		struct dh_out *out, unsigned long long *records_in,
		unsigned long long *records_out)
{
	struct rec_ctx ctx = {src, ops};
	struct dh_pmap_ops po = {rec_tinit, rec_tfree, rec_work, rec_bad, &ctx,
				 src->fmt == DH_FMT_CSV ? dh_csv_cut : NULL,
				 ops->emit != NULL ? rec_emit : NULL, progress};

	dh_pmap_lines(in, nthreads, &po, out, records_in, records_out);
}
