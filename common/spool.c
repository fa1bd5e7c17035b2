#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "spool.h"
#include "xalloc.h"

void
dh_spool_open(struct dh_spool *s)
{
	const char *dir = getenv("TMPDIR");
	struct dh_buf p = DH_BUF_INIT;
	int fd;

	memset(s, 0, sizeof(*s));
	dh_buf_addf(&p, "%s/dh-spool.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(p.data);
	if (fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", p.data);
	unlink(p.data);
	s->path = dh_buf_detach(&p, NULL);
	s->f = fdopen(fd, "w+b");
	if (s->f == NULL)
		dh_die_errno(DH_EXIT_IO, "%s", s->path);
}

static void
put(struct dh_spool *s, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, s->f) != n)
		dh_die_errno(DH_EXIT_IO, "write error: %s", s->path);
}

void
dh_spool_put(struct dh_spool *s, const struct dh_record *rec)
{
	uint64_t hdr[3] = {rec->line, rec->n, s->keep_raw ? rec->rawlen : 0};
	size_t i;

	put(s, hdr, sizeof(hdr));
	if (s->keep_raw)
		put(s, rec->raw, rec->rawlen);
	for (i = 0; i < rec->n; i++) {
		const struct dh_field *f = &rec->f[i];
		uint64_t fh[3] = {f->type, f->nlen, f->vlen};

		put(s, fh, sizeof(fh));
		put(s, f->name, f->nlen);
		put(s, f->val, f->vlen);
	}
	s->n++;
}

void
dh_spool_rewind(struct dh_spool *s)
{
	if (fflush(s->f) != 0)
		dh_die_errno(DH_EXIT_IO, "write error: %s", s->path);
	rewind(s->f);
}

static int
get(struct dh_spool *s, void *p, size_t n)
{
	if (n && fread(p, 1, n, s->f) != n) {
		if (ferror(s->f))
			dh_die_errno(DH_EXIT_IO, "read error: %s", s->path);
		return 0;
	}
	return 1;
}

int
dh_spool_get(struct dh_spool *s, struct dh_record *rec)
{
	uint64_t hdr[3], i;
	size_t total = 0;

	dh_record_reset(rec);
	dh_buf_reset(&s->rd);
	dh_buf_reserve(&s->rd, 0);
	if (!get(s, hdr, sizeof(hdr)))
		return 0;
	rec->line = hdr[0];
	if (hdr[2] > 0) {
		char *p = dh_buf_reserve(&s->rd, hdr[2]);

		if (!get(s, p, hdr[2]))
			dh_die(DH_EXIT_IO, "%s: truncated spool file", s->path);
		s->rd.len += hdr[2];
		total += hdr[2];
	}
	for (i = 0; i < hdr[1]; i++) {
		uint64_t fh[3];
		char *p;

		if (!get(s, fh, sizeof(fh)))
			dh_die(DH_EXIT_IO, "%s: truncated spool file", s->path);
		p = dh_buf_reserve(&s->rd, fh[1] + fh[2]);
		if (!get(s, p, fh[1] + fh[2]))
			dh_die(DH_EXIT_IO, "%s: truncated spool file", s->path);
		dh_record_add(rec, DH_ARENA_REF(total), fh[1],
			      DH_ARENA_REF(total + fh[1]), fh[2],
			      (enum dh_vtype)fh[0]);
		s->rd.len += fh[1] + fh[2];
		total += fh[1] + fh[2];
	}
	rec->raw = s->rd.data;
	rec->rawlen = hdr[2];
	/* point the fields into the read buffer (it is the arena here) */
	for (i = 0; i < rec->n; i++) {
		rec->f[i].name = s->rd.data + ((uintptr_t)rec->f[i].name & ~DH_ARENA_TAG);
		rec->f[i].val = s->rd.data + ((uintptr_t)rec->f[i].val & ~DH_ARENA_TAG);
	}
	return 1;
}

void
dh_spool_close(struct dh_spool *s)
{
	if (s->f != NULL)
		fclose(s->f);
	free(s->path);
	dh_buf_release(&s->rd);
	memset(s, 0, sizeof(*s));
}
