/*
 * Results without a window made on several threads (struct dh_win_out's
 * fork and join): the same records in the same order as one thread
 * gives, also when fork refuses a thread and when one share fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"
#include "unit.h"

/* An out: each result's fields as "name=value;" lines into a buffer. */
struct sink {
	struct dh_buf text;
	int forks_left; /* fork refuses past it (-1: never) */
};

static void
put(struct dh_buf *b, const struct dh_record *rec)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		dh_buf_addf(b, "%.*s=%.*s;", (int)rec->f[i].nlen, rec->f[i].name,
			    (int)rec->f[i].vlen, rec->f[i].val);
	dh_buf_addc(b, '\n');
}

static void
sink_rec(void *arg, const struct dh_record *rec)
{
	put(&((struct sink *)arg)->text, rec);
}

static void
sink_line(void *arg, const char *p, size_t n)
{
	struct sink *s = arg;

	dh_buf_add(&s->text, p, n);
	dh_buf_addc(&s->text, '\n');
}

static int
sink_fork(void *arg, struct dh_win_out *lane)
{
	struct sink *s = arg, *l;

	if (s->forks_left == 0)
		return -1;
	if (s->forks_left > 0)
		s->forks_left--;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -1;
	*lane = (struct dh_win_out){sink_rec, sink_line, l, NULL, NULL, 0};
	return 0;
}

static void
sink_join(void *arg, struct dh_win_out *lane, int write)
{
	struct sink *s = arg, *l = lane->arg;

	if (write)
		dh_buf_add(&s->text, l->text.data ? l->text.data : "", l->text.len);
	dh_buf_release(&l->text);
	free(l);
}

/* ngroups groups of g (values 0 .. ngroups - 1, first seen in a shuffled
 * order) through a dh_win with nthreads and forks_left; the output. */
static int
run(size_t ngroups, int nthreads, int forks_left, int partial, struct dh_buf *text)
{
	struct dh_agg_spec spec;
	struct dh_buf err = DH_BUF_INIT;
	struct dh_win w;
	struct sink s = {DH_BUF_INIT, forks_left};
	struct dh_win_out out = {sink_rec, sink_line, &s, sink_fork, sink_join, nthreads};
	struct dh_record rec = DH_RECORD_INIT;
	static char key[] = "g";
	static char *keys[] = {key};
	static const size_t klens[] = {1};
	size_t i;
	int rc = 0;

	if (dh_agg_spec_parse(&spec, "count,sum:v,median:v", &err) != 0)
		return -1;
	dh_win_init(&w, &spec, NULL, keys, klens, 1, NULL, DH_UNIT_S, partial, &out);
	for (i = 0; i < 3 * ngroups && rc == 0; i++) {
		char g[32], v[32];
		/* a permutation of the groups, each seen three times */
		size_t k = (i * 7919) % ngroups;

		snprintf(g, sizeof(g), "k%zu", k);
		snprintf(v, sizeof(v), "%zu.5", i % 13);
		dh_record_reset(&rec);
		dh_record_add(&rec, "g", 1, g, strlen(g), DH_V_STR);
		dh_record_add(&rec, "v", 1, v, strlen(v), DH_V_STR);
		rc = dh_win_add(&w, &rec);
		w.pos = i + 1;
	}
	if (rc == 0)
		rc = dh_win_finish(&w);
	dh_buf_reset(text);
	dh_buf_add(text, s.text.data ? s.text.data : "", s.text.len);
	dh_win_release(&w);
	dh_agg_spec_release(&spec);
	dh_record_release(&rec);
	dh_buf_release(&s.text);
	dh_buf_release(&err);
	return rc;
}

static void
test_threads(void)
{
	struct dh_buf one = DH_BUF_INIT, got = DH_BUF_INIT;
	int partial;

	for (partial = 0; partial < 2; partial++) {
		size_t lines = 0, i;

		CHECK(run(10007, 1, -1, partial, &one) == 0);
		for (i = 0; i < one.len; i++)
			lines += one.data[i] == '\n';
		CHECK(lines == 10007);
		/* two, three and eight threads; fork refusing the second and
		 * the first thread: what no thread takes is made anyway */
		CHECK(run(10007, 2, -1, partial, &got) == 0 && got.len == one.len &&
		      memcmp(got.data, one.data, one.len) == 0);
		CHECK(run(10007, 3, -1, partial, &got) == 0 && got.len == one.len &&
		      memcmp(got.data, one.data, one.len) == 0);
		CHECK(run(10007, 8, -1, partial, &got) == 0 && got.len == one.len &&
		      memcmp(got.data, one.data, one.len) == 0);
		CHECK(run(10007, 3, 1, partial, &got) == 0 && got.len == one.len &&
		      memcmp(got.data, one.data, one.len) == 0);
		CHECK(run(10007, 3, 0, partial, &got) == 0 && got.len == one.len &&
		      memcmp(got.data, one.data, one.len) == 0);
		/* fewer groups than threads' worth: one thread */
		CHECK(run(100, 8, -1, partial, &got) == 0);
	}
	dh_buf_release(&one);
	dh_buf_release(&got);
}

int
main(void)
{
	test_threads();
	return unit_done("test_window");
}
