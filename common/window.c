/* window: groups, event-time windows, panes and saved states. */
#include "window.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "flatten.h"
#include "json.h"
#include "xalloc.h"

struct dh_win_pane {
	int64_t start, end;
	struct dh_agg_state *st;
	struct dh_agg_state *prev; /* retract: what the last pane said */
	int64_t prev_start, prev_end;
	uint64_t seq, first_pos;
	uint32_t gid, npanes, ver;
	int32_t next; /* the group's next live pane; free list link */
	int emitted, live;
};

/* A record added but not yet counted (see struct dh_win's lag). */
struct dh_win_lag {
	struct dh_key k;
	uint64_t pos;
	uint32_t g;         /* its group, once grouped */
	struct dh_buf vals; /* its key values, for a new group */
	/* its prepared numbers, per field (struct dh_agg_scratch's) */
	int *present;
	enum dh_num_kind *kind;
	int64_t *iv;
	double *dv;
};

/* Ring entries; a record is grouped LAG_B records after it is added and
 * counted LAG_D after that (its state is prefetched LAG_D / 2 before). */
#define LAG_N 32
#define LAG_B 8
#define LAG_D 12

struct dh_win_heap {
	int64_t t;
	uint64_t seq;
	int32_t pane;
	uint32_t ver;
};

int
dh_win_spec_parse(struct dh_win_spec *w, const char *s, struct dh_buf *err)
{
	const char *why, *c1 = strchr(s, ':'), *c2;
	char a[40], b[40];
	size_t kl;

	if (strlen(s) >= sizeof(w->text) || c1 == NULL)
		goto bad;
	kl = (size_t)(c1 - s);
	c2 = strchr(c1 + 1, ':');
	snprintf(a, sizeof(a), "%.*s", (int)(c2 ? c2 - c1 - 1 : (int)strlen(c1 + 1)), c1 + 1);
	if (kl == 7 && memcmp(s, "sliding", 7) == 0) {
		if (c2 == NULL)
			goto bad;
		snprintf(b, sizeof(b), "%s", c2 + 1);
		w->kind = DH_WIN_SLIDING;
	} else if (c2 != NULL) {
		goto bad;
	} else if (kl == 8 && memcmp(s, "tumbling", 8) == 0) {
		w->kind = DH_WIN_TUMBLING;
	} else if (kl == 7 && memcmp(s, "session", 7) == 0) {
		w->kind = DH_WIN_SESSION;
	} else {
		goto bad;
	}
	if (dh_duration_parse(a, &w->size, &why) != 0) {
		dh_buf_addf(err, "--window %s: %s: %s", s, a, why);
		return -1;
	}
	w->period = w->size;
	if (w->kind == DH_WIN_SLIDING) {
		if (dh_duration_parse(b, &w->period, &why) != 0) {
			dh_buf_addf(err, "--window %s: %s: %s", s, b, why);
			return -1;
		}
		if (w->period > w->size) {
			dh_buf_addf(err, "--window %s: the period is longer than the window, so "
					 "some records would fall in none", s);
			return -1;
		}
	}
	snprintf(w->text, sizeof(w->text), "%s", s);
	return 0;
bad:
	dh_buf_addf(err, "--window takes tumbling:SIZE, sliding:SIZE:PERIOD or session:GAP "
			 "(1h, 5m, 30s), not '%s'", s);
	return -1;
}

void
dh_win_init(struct dh_win *w, const struct dh_agg_spec *agg, const struct dh_win_spec *win,
	    char *const *keys, const size_t *klens, size_t nkeys, const char *time_field,
	    enum dh_time_unit unit, int partial, const struct dh_win_out *out)
{
	memset(w, 0, sizeof(*w));
	w->agg = agg;
	if (win != NULL)
		w->win = *win;
	w->keys = keys;
	w->klens = klens;
	w->nkeys = nkeys;
	w->time_field = time_field;
	w->unit = unit;
	w->partial = partial;
	w->out = *out;
	w->gfree = -1;
	w->pfree = -1;
	dh_keyset_init(&w->gset, 1, 0);
	if (w->win.kind == DH_WIN_NONE) {
		const unsigned nums = DH_AGG_NUM | DH_AGG_SQUARES | DH_AGG_SUM_V | DH_AGG_VALUES;
		size_t i, nf = agg->nfields;

		for (i = 0; i < nf && (agg->fields[i].needs & ~nums) == 0; i++)
			;
		if (i == nf) {
			w->lag = dh_xcalloc(LAG_N, sizeof(*w->lag));
			for (i = 0; i < LAG_N && nf > 0; i++) {
				w->lag[i].present = dh_xreallocarray(NULL, nf, sizeof(int));
				w->lag[i].kind = dh_xreallocarray(NULL, nf, sizeof(enum dh_num_kind));
				w->lag[i].iv = dh_xreallocarray(NULL, nf, sizeof(int64_t));
				w->lag[i].dv = dh_xreallocarray(NULL, nf, sizeof(double));
			}
		}
	}
}

/* --- the heap of pane deadlines, by (time, creation) --- */

static int
heap_less(const struct dh_win_heap *a, const struct dh_win_heap *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void
heap_push(struct dh_win *w, int64_t t, int32_t pane)
{
	struct dh_win_heap e = {t, w->panes[pane].seq, pane, w->panes[pane].ver};
	size_t i;

	if (w->nheap == w->capheap) {
		w->capheap = w->capheap ? 2 * w->capheap : 256;
		w->heap = dh_xreallocarray(w->heap, w->capheap, sizeof(*w->heap));
	}
	for (i = w->nheap++; i > 0 && heap_less(&e, &w->heap[(i - 1) / 2]); i = (i - 1) / 2)
		w->heap[i] = w->heap[(i - 1) / 2];
	w->heap[i] = e;
}

static struct dh_win_heap
heap_pop(struct dh_win *w)
{
	struct dh_win_heap top = w->heap[0], last = w->heap[--w->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= w->nheap)
			break;
		if (c + 1 < w->nheap && heap_less(&w->heap[c + 1], &w->heap[c]))
			c++;
		if (!heap_less(&w->heap[c], &last))
			break;
		w->heap[i] = w->heap[c];
		i = c;
	}
	if (w->nheap > 0)
		w->heap[i] = last;
	return top;
}

/* --- groups --- */

struct dh_key
dh_win_group_key(const struct dh_win *w, const struct dh_record *rec, struct dh_canon *c)
{
	size_t i;

	dh_buf_reset(&c->out);
	for (i = 0; i < w->nkeys; i++) {
		struct dh_field f;

		if (dh_record_lookup(rec, w->keys[i], w->klens[i], '.', &f))
			dh_canon_value(&c->out, f.type, f.val, f.vlen, &c->scratch);
		else
			dh_canon_value(&c->out, DH_V_NULL, "null", 4, &c->scratch);
	}
	return dh_key_of(c->out.data, c->out.len);
}

/* Each group's values: per key a type byte, a length and the bytes. */
static void
save_value(struct dh_buf *b, enum dh_vtype t, const char *p, size_t n)
{
	uint64_t len = n;

	dh_buf_addc(b, (char)t);
	dh_buf_add(b, &len, sizeof(len));
	dh_buf_add(b, p, n);
}

/* A new group of key k with its values vals (malloc'd: w owns them). */
static uint32_t
add_group(struct dh_win *w, struct dh_key k, char *vals)
{
	uint32_t g;

	if (w->gfree >= 0) {
		g = (uint32_t)w->gfree;
		w->gfree = w->ghead[g];
	} else {
		if (w->ngroups == w->capgroups) {
			w->capgroups = w->capgroups ? 2 * w->capgroups : 64;
			w->ghead = dh_xreallocarray(w->ghead, w->capgroups, sizeof(*w->ghead));
			w->gkey = dh_xreallocarray(w->gkey, w->capgroups, sizeof(*w->gkey));
			w->goff = dh_xreallocarray(w->goff, w->capgroups, sizeof(*w->goff));
		}
		g = w->ngroups++;
	}
	w->ghead[g] = -1;
	w->gkey[g] = k;
	/* goff holds a malloc'd copy: groups come and go with windows */
	w->goff[g] = (size_t)vals;
	return g;
}

static uint32_t
new_group(struct dh_win *w, struct dh_key k, const struct dh_buf *vals)
{
	return add_group(w, k, dh_xmemdup(vals->data, vals->len));
}

static const char *
group_vals(const struct dh_win *w, uint32_t g)
{
	return (const char *)w->goff[g];
}

static void
free_group(struct dh_win *w, uint32_t g)
{
	dh_keyset_del(&w->gset, w->gkey[g]);
	free((char *)w->goff[g]);
	w->goff[g] = 0;
	w->ghead[g] = w->gfree;
	w->gfree = (int32_t)g;
}

/* b = rec's group key values (a missing one is null), as saved. */
static void
save_key_values(const struct dh_win *w, const struct dh_record *rec, struct dh_buf *b)
{
	size_t i;

	dh_buf_reset(b);
	for (i = 0; i < w->nkeys; i++) {
		struct dh_field f;

		if (dh_record_lookup(rec, w->keys[i], w->klens[i], '.', &f))
			save_value(b, f.type, f.val, f.vlen);
		else
			save_value(b, DH_V_NULL, "null", 4);
	}
}

/* The group of rec, whose key is k (made when new). */
static uint32_t
group_of(struct dh_win *w, const struct dh_record *rec, struct dh_key k)
{
	uint64_t *v;

	if (!dh_keyset_put(&w->gset, k, 0, &v))
		return (uint32_t)*v;
	save_key_values(w, rec, &w->scratch);
	*v = new_group(w, k, &w->scratch);
	return (uint32_t)*v;
}

/* --- panes --- */

/* A new pane of group g with state st (w owns it; NULL: a new one). */
static int32_t
add_pane(struct dh_win *w, uint32_t g, int64_t start, int64_t end, struct dh_agg_state *st)
{
	struct dh_win_pane *p;
	uint32_t ver;
	int32_t i;

	if (w->pfree >= 0) {
		i = w->pfree;
		w->pfree = w->panes[i].next;
		ver = w->panes[i].ver; /* free_pane() moved it on */
	} else {
		ver = 0;
		if (w->npanes == w->cappanes) {
			w->cappanes = w->cappanes ? 2 * w->cappanes : 64;
			w->panes = dh_xreallocarray(w->panes, w->cappanes, sizeof(*w->panes));
		}
		i = (int32_t)w->npanes++;
	}
	p = &w->panes[i];
	memset(p, 0, sizeof(*p));
	p->ver = ver; /* heap entries of the slot's last pane stay stale */
	p->start = start;
	p->end = end;
	p->gid = g;
	p->st = st != NULL ? st : dh_agg_new(w->agg);
	p->seq = w->seq++;
	p->first_pos = w->pos;
	p->live = 1;
	p->next = w->ghead[g];
	w->ghead[g] = i;
	if (w->win.kind != DH_WIN_NONE)
		heap_push(w, end, i);
	return i;
}

static int32_t
new_pane(struct dh_win *w, uint32_t g, int64_t start, int64_t end)
{
	return add_pane(w, g, start, end, NULL);
}

static void
free_pane(struct dh_win *w, int32_t i)
{
	struct dh_win_pane *p = &w->panes[i];
	int32_t *link = &w->ghead[p->gid];

	while (*link != i)
		link = &w->panes[*link].next;
	*link = p->next;
	dh_agg_free(w->agg, p->st);
	dh_agg_free(w->agg, p->prev);
	p->st = p->prev = NULL;
	p->live = 0;
	p->ver++;
	if (w->ghead[p->gid] < 0)
		free_group(w, p->gid);
	p->next = w->pfree;
	w->pfree = i;
}

static void
add_time(struct dh_win *w, const char *name, int64_t t)
{
	char b[40];
	size_t n = dh_time_format(t, b);

	dh_record_add(&w->orec, name, strlen(name), DH_ARENA_REF(dh_record_stash(&w->orec, b, n)),
		      n, DH_V_STR);
}

/* Write one result: the pane's state st with its bounds, as pane number
 * pane with timing, or as a retraction. */
static int
render(struct dh_win *w, const struct dh_win_pane *p, struct dh_agg_state *st, int64_t start,
       int64_t end, uint32_t pane, const char *timing, int retraction)
{
	const char *v = group_vals(w, p->gid);
	size_t i;

	dh_record_reset(&w->orec);
	if (w->win.kind != DH_WIN_NONE) {
		add_time(w, "window_start", start);
		add_time(w, "window_end", end);
	}
	for (i = 0; i < w->nkeys; i++) {
		uint64_t len;

		memcpy(&len, v + 1, sizeof(len));
		dh_record_add(&w->orec, w->keys[i], w->klens[i], v + 1 + sizeof(len), len,
			      (enum dh_vtype)v[0]);
		v += 1 + sizeof(len) + len;
	}
	dh_buf_reset(&w->err);
	if (dh_agg_result(w->agg, st, &w->orec, &w->err) != 0)
		return -1;
	if (w->win.kind != DH_WIN_NONE) {
		char b[24];
		size_t n = dh_num_fmt_int(pane, b);

		dh_record_add(&w->orec, "pane", 4, DH_ARENA_REF(dh_record_stash(&w->orec, b, n)), n,
			      DH_V_NUM);
		dh_record_add(&w->orec, "timing", 6, timing, strlen(timing), DH_V_STR);
		if (w->win.mode == DH_WIN_RETRACT)
			dh_record_add(&w->orec, "_retract", 8, retraction ? "true" : "false",
				      retraction ? 4 : 5, retraction ? DH_V_TRUE : DH_V_FALSE);
	}
	dh_record_fix(&w->orec);
	w->out.rec(w->out.arg, &w->orec);
	return 0;
}

/* A saved state line for the pane: 0, or -1 with why in w->err (a
 * string value that is not UTF-8 cannot be written as JSON). */
static int
save(struct dh_win *w, struct dh_win_pane *p)
{
	const char *v = group_vals(w, p->gid);
	size_t i, bad;
	char b[40];

	dh_buf_reset(&w->line);
	dh_buf_adds(&w->line, "{\"dh_agg\":1,\"by\":[");
	for (i = 0; i < w->nkeys; i++) {
		if (i)
			dh_buf_addc(&w->line, ',');
		dh_json_quote(&w->line, w->keys[i], w->klens[i], &bad);
	}
	dh_buf_adds(&w->line, "],\"aggs\":");
	dh_json_quote(&w->line, w->agg->text, strlen(w->agg->text), &bad);
	if (w->win.kind != DH_WIN_NONE) {
		dh_buf_adds(&w->line, ",\"window\":");
		dh_json_quote(&w->line, w->win.text, strlen(w->win.text), &bad);
		dh_buf_adds(&w->line, ",\"window_start\":\"");
		dh_buf_add(&w->line, b, dh_time_format(p->start, b));
		dh_buf_adds(&w->line, "\",\"window_end\":\"");
		dh_buf_add(&w->line, b, dh_time_format(p->end, b));
		dh_buf_addc(&w->line, '"');
	}
	dh_buf_adds(&w->line, ",\"key\":[");
	for (i = 0; i < w->nkeys; i++) {
		uint64_t len;
		enum dh_vtype t = (enum dh_vtype)v[0];

		memcpy(&len, v + 1, sizeof(len));
		if (i)
			dh_buf_addc(&w->line, ',');
		if (t == DH_V_STR && dh_json_quote(&w->line, v + 1 + sizeof(len), len, &bad) != 0) {
			dh_buf_reset(&w->err);
			dh_buf_addf(&w->err, "field \"%.*s\": invalid UTF-8 at byte %zu (a saved state is JSON: its values must be UTF-8)",
				    (int)w->klens[i], w->keys[i], bad + 1);
			return -1;
		}
		if (t != DH_V_STR)
			dh_buf_add(&w->line, v + 1 + sizeof(len), len);
		v += 1 + sizeof(len) + len;
	}
	dh_buf_adds(&w->line, "],\"state\":");
	dh_buf_reset(&w->err);
	if (dh_agg_state_json(w->agg, p->st, &w->line, &w->err) != 0)
		return -1;
	dh_buf_addc(&w->line, '}');
	w->out.line(w->out.arg, w->line.data, w->line.len);
	return 0;
}

/* Emit a pane now: on time or late. */
static int
fire(struct dh_win *w, int32_t i, const char *timing)
{
	struct dh_win_pane *p = &w->panes[i];

	if (w->win.mode == DH_WIN_RETRACT && p->prev != NULL &&
	    render(w, p, p->prev, p->prev_start, p->prev_end, p->npanes - 1, timing, 1) != 0)
		return -1;
	if (render(w, p, p->st, p->start, p->end, p->npanes, timing, 0) != 0)
		return -1;
	p->npanes++;
	p->emitted = 1;
	if (w->win.mode == DH_WIN_DISCARD) {
		dh_agg_clear(w->agg, p->st);
	} else if (w->win.mode == DH_WIN_RETRACT) {
		if (p->prev == NULL)
			p->prev = dh_agg_new(w->agg);
		else
			dh_agg_clear(w->agg, p->prev);
		if (dh_agg_merge(w->agg, p->prev, p->st, &w->err) != 0)
			return -1;
		p->prev_start = p->start;
		p->prev_end = p->end;
	}
	return 0;
}

/* When the pane must next be looked at: its end, once emitted its end
 * plus the lateness. */
static int64_t
deadline(const struct dh_win *w, const struct dh_win_pane *p)
{
	return p->emitted ? p->end + w->win.lateness : p->end;
}

/*
 * Deadlines the watermark has reached: fire panes, then drop them once
 * their lateness is over too.  Each live pane has one entry in the heap;
 * a session that grew since its entry was made gets a new one then, not
 * on every record.
 */
static int
advance(struct dh_win *w)
{
	while (w->nheap > 0 && w->heap[0].t <= w->wm) {
		struct dh_win_heap e = heap_pop(w);
		struct dh_win_pane *p = &w->panes[e.pane];

		if (!p->live || p->ver != e.ver)
			continue;
		if (deadline(w, p) > e.t) {
			heap_push(w, deadline(w, p), e.pane);
			continue;
		}
		if (!p->emitted && fire(w, e.pane, "on_time") != 0)
			return -1;
		p = &w->panes[e.pane];
		if (p->end + w->win.lateness <= w->wm)
			free_pane(w, e.pane);
		else
			heap_push(w, p->end + w->win.lateness, e.pane);
	}
	return 0;
}

/* Has the watermark gone past end plus the lateness? */
static int
expired(const struct dh_win *w, int64_t end)
{
	return w->have_wm && !w->partial && end + w->win.lateness <= w->wm;
}

/* After a pane changed: a late pane at once when its window has passed. */
static int
touched(struct dh_win *w, int32_t i)
{
	struct dh_win_pane *p = &w->panes[i];

	if (w->partial || !w->have_wm)
		return 0;
	if (p->emitted || p->end <= w->wm)
		return fire(w, i, "late");
	return 0;
}

/* Count the prepared record (dh_agg_prepare) in pane i. */
static int
count_in(struct dh_win *w, int32_t i)
{
	dh_buf_reset(&w->sc.err);
	if (dh_agg_apply(w->agg, w->panes[i].st, &w->sc) != 0) {
		dh_buf_reset(&w->err);
		dh_buf_add(&w->err, w->sc.err.data, w->sc.err.len);
		return -1;
	}
	return 0;
}

/* Sessions: merge the group's sessions that overlap [start, end) into
 * one, which is returned (made when there is none). */
static int32_t
session_merge(struct dh_win *w, uint32_t g, int64_t start, int64_t end, int *changed)
{
	int32_t i, next, keep = -1;

	*changed = 0;
	for (i = w->ghead[g]; i >= 0; i = next) {
		struct dh_win_pane *p = &w->panes[i];

		next = p->next;
		if (!(p->start < end && start < p->end))
			continue;
		if (keep < 0 || p->start < w->panes[keep].start) {
			if (keep >= 0) {
				/* the earlier session survives: swap roles */
				int32_t t = keep;

				keep = i;
				i = t;
			} else {
				keep = i;
				continue;
			}
		}
		/* fold session i into keep */
		{
			struct dh_win_pane *k = &w->panes[keep], *q = &w->panes[i];

			if (w->win.mode == DH_WIN_RETRACT && q->prev != NULL &&
			    render(w, q, q->prev, q->prev_start, q->prev_end, q->npanes - 1, "late",
				   1) != 0)
				return -2;
			k = &w->panes[keep];
			q = &w->panes[i];
			if (dh_agg_merge(w->agg, k->st, q->st, &w->err) != 0)
				return -2;
			if (q->start < k->start)
				k->start = q->start;
			if (q->end > k->end)
				k->end = q->end;
			if (q->npanes > k->npanes)
				k->npanes = q->npanes;
			k->emitted |= q->emitted;
			*changed = 1;
			free_pane(w, i);
		}
	}
	if (keep < 0)
		return new_pane(w, g, start, end);
	if (start < w->panes[keep].start) {
		w->panes[keep].start = start;
		*changed = 1;
	}
	if (end > w->panes[keep].end) {
		w->panes[keep].end = end;
		*changed = 1;
	}
	/* a grown session keeps its heap entry: advance() moves it */
	return keep;
}

/* --- the pipeline without a window (struct dh_win's lag) --- */

/* Stage 1, the record just prepared: keep what counting it needs, and
 * start loading its group's slot. */
static void
lag_add(struct dh_win *w, const struct dh_record *rec, struct dh_key k)
{
	struct dh_win_lag *e = &w->lag[w->lag_in % LAG_N];
	size_t nf = w->agg->nfields;

	e->k = k;
	e->pos = w->pos;
	save_key_values(w, rec, &e->vals);
	if (nf > 0) {
		memcpy(e->present, w->sc.present, nf * sizeof(*e->present));
		memcpy(e->kind, w->sc.kind, nf * sizeof(*e->kind));
		memcpy(e->iv, w->sc.iv, nf * sizeof(*e->iv));
		memcpy(e->dv, w->sc.dv, nf * sizeof(*e->dv));
	}
	dh_keyset_prefetch(&w->gset, k);
	w->lag_in++;
}

/* Stage 2: find (or make) the group, start loading its pane. */
static void
lag_group(struct dh_win *w)
{
	struct dh_win_lag *e = &w->lag[w->lag_b++ % LAG_N];
	uint64_t *v;

	if (dh_keyset_put(&w->gset, e->k, 0, &v)) {
		uint64_t pos = w->pos;

		*v = new_group(w, e->k, &e->vals);
		/* groups and panes are made together: pane g is group g's */
		w->pos = e->pos;
		new_pane(w, (uint32_t)*v, 0, 0);
		w->pos = pos;
	}
	e->g = (uint32_t)*v;
	__builtin_prefetch(&w->panes[e->g]);
}

/* Stage 3: count the oldest grouped record, after starting to load the
 * state of a later one. */
static int
lag_count(struct dh_win *w)
{
	struct dh_win_lag *e = &w->lag[w->lag_d % LAG_N];
	size_t nf = w->agg->nfields;

	if (w->lag_d + LAG_D / 2 < w->lag_b) {
		const char *st = (const char *)w->panes[w->lag[(w->lag_d + LAG_D / 2) % LAG_N].g].st;
		size_t size = sizeof(struct dh_agg_state) + nf * sizeof(struct dh_agg_fstate), o;

		for (o = 0; o < size && o < 6 * 64; o += 64)
			__builtin_prefetch(st + o, 1);
	}
	w->lag_d++;
	if (nf > 0) {
		memcpy(w->sc.present, e->present, nf * sizeof(*e->present));
		memcpy(w->sc.kind, e->kind, nf * sizeof(*e->kind));
		memcpy(w->sc.iv, e->iv, nf * sizeof(*e->iv));
		memcpy(w->sc.dv, e->dv, nf * sizeof(*e->dv));
	}
	w->sc.pos = e->pos;
	return count_in(w, (int32_t)e->g);
}

/* Count every record added: before anything reads the groups. */
static int
lag_flush(struct dh_win *w)
{
	if (w->lag == NULL)
		return 0;
	while (w->lag_b < w->lag_in)
		lag_group(w);
	while (w->lag_d < w->lag_b)
		if (lag_count(w) != 0)
			return -1;
	return 0;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int
dh_win_add(struct dh_win *w, const struct dh_record *rec)
{
	int64_t t = 0;

	if (w->win.kind != DH_WIN_NONE &&
	    dh_record_time(rec, w->time_field, w->unit, &t, &w->scratch, &w->err) != 0)
		return -1;
	return dh_win_add_at(w, rec, t, dh_win_group_key(w, rec, &w->canon));
}

int
dh_win_add_at(struct dh_win *w, const struct dh_record *rec, int64_t t, struct dh_key gk)
{
	int64_t s, last;
	uint32_t g;
	int32_t i;
	int changed;

	/* the group's slot loads while the values are read */
	dh_keyset_prefetch(&w->gset, gk);
	/* the record's values first: a bad one makes no group or pane */
	if (dh_agg_prepare(w->agg, rec, &w->sc, &w->invalid) != 0) {
		dh_buf_reset(&w->err);
		dh_buf_add(&w->err, w->sc.err.data, w->sc.err.len);
		return -1;
	}
	w->sc.pos = w->pos;
	switch (w->win.kind) {
	case DH_WIN_NONE:
		if (w->lag != NULL) {
			lag_add(w, rec, gk);
			w->pos++;
			if (w->lag_in - w->lag_b > LAG_B)
				lag_group(w);
			if (w->lag_b - w->lag_d > LAG_D)
				return lag_count(w);
			return 0;
		}
		g = group_of(w, rec, gk);
		/* without a window groups and panes are made together and
		 * never freed: group g's pane is pane g */
		if (g == w->npanes)
			new_pane(w, g, 0, 0);
		w->pos++;
		return count_in(w, (int32_t)g);
	case DH_WIN_TUMBLING:
	case DH_WIN_SLIDING:
		last = floor_div(t, w->win.period) * w->win.period;
		if (expired(w, last + w->win.size))
			return 1; /* even its latest window is gone */
		g = group_of(w, rec, gk);
		for (s = last; s + w->win.size > t; s -= w->win.period) {
			if (expired(w, s + w->win.size))
				continue;
			for (i = w->ghead[g]; i >= 0 && w->panes[i].start != s; i = w->panes[i].next)
				;
			if (i < 0)
				i = new_pane(w, g, s, s + w->win.size);
			if (count_in(w, i) != 0)
				return -1;
			if (touched(w, i) != 0)
				return -1;
		}
		break;
	case DH_WIN_SESSION:
		if (expired(w, t + w->win.size))
			return 1;
		g = group_of(w, rec, gk);
		i = session_merge(w, g, t, t + w->win.size, &changed);
		if (i < 0)
			return -1;
		if (count_in(w, i) != 0)
			return -1;
		if (touched(w, i) != 0)
			return -1;
		break;
	}
	w->pos++;
	if (!w->partial && (!w->have_wm || t - w->win.delay > w->wm)) {
		w->wm = t - w->win.delay;
		w->have_wm = 1;
		return advance(w) != 0 ? -1 : 0;
	}
	return 0;
}

/* The JSON value j as a token and its record type. */
static char *
token_of(json_t *j, enum dh_vtype *t)
{
	*t = json_is_string(j) ? DH_V_JSTR
	     : json_is_number(j) ? DH_V_NUM
	     : json_is_true(j) ? DH_V_TRUE
	     : json_is_false(j) ? DH_V_FALSE
	     : json_is_object(j) ? DH_V_OBJ
	     : json_is_array(j) ? DH_V_ARR : DH_V_NULL;
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int
bad_state(struct dh_win *w, const char *what)
{
	dh_buf_reset(&w->err);
	dh_buf_addf(&w->err, "not a dh-agg saved state: %s", what);
	return -1;
}

/* Do the line's "by", "aggs" and "window" match ours? */
static int
same_header(struct dh_win *w, json_t *j)
{
	json_t *by = json_object_get(j, "by"), *win = json_object_get(j, "window");
	const char *aggs = json_string_value(json_object_get(j, "aggs"));
	size_t i;

	if (!json_is_array(by) || json_array_size(by) != w->nkeys || aggs == NULL ||
	    strcmp(aggs, w->agg->text) != 0)
		return 0;
	for (i = 0; i < w->nkeys; i++) {
		const char *k = json_string_value(json_array_get(by, i));

		if (k == NULL || strlen(k) != w->klens[i] || memcmp(k, w->keys[i], w->klens[i]) != 0)
			return 0;
	}
	if (w->win.kind == DH_WIN_NONE)
		return win == NULL || json_is_null(win);
	return json_is_string(win) && strcmp(json_string_value(win), w->win.text) == 0;
}

static int
state_time(json_t *j, const char *key, int64_t *t)
{
	const char *s = json_string_value(json_object_get(j, key)), *why;
	int64_t sec;
	int32_t ns;

	if (s == NULL || dh_time_parse(s, strlen(s), DH_UNIT_S, &sec, &ns, &why) != 0 ||
	    sec > INT64_MAX / 1000000000 - 1 || sec < INT64_MIN / 1000000000 + 1)
		return -1;
	*t = sec * 1000000000 + ns;
	return 0;
}

int
dh_win_read_header(const char *p, size_t n, struct dh_agg_spec *agg, struct dh_win_spec *win,
		   char ***keys, size_t **klens, size_t *nkeys, struct dh_buf *err)
{
	json_error_t je;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je), *by, *wj;
	const char *aggs;
	size_t i;
	int rc = -1;

	if (j == NULL) {
		dh_buf_addf(err, "not a dh-agg saved state: %s", je.text);
		return -1;
	}
	by = json_object_get(j, "by");
	wj = json_object_get(j, "window");
	aggs = json_string_value(json_object_get(j, "aggs"));
	if (!json_is_integer(json_object_get(j, "dh_agg"))) {
		dh_buf_adds(err, "not a dh-agg saved state (written by dh-agg --partial)");
		goto out;
	}
	if (json_integer_value(json_object_get(j, "dh_agg")) != 1) {
		dh_buf_addf(err, "a saved state of version %lld: this dh-agg reads version 1",
			    (long long)json_integer_value(json_object_get(j, "dh_agg")));
		goto out;
	}
	if (!json_is_array(by) || aggs == NULL || (wj != NULL && !json_is_null(wj) &&
						   !json_is_string(wj))) {
		dh_buf_adds(err, "not a dh-agg saved state: no \"by\", \"aggs\" or \"window\"");
		goto out;
	}
	if (dh_agg_spec_parse(agg, aggs, err) != 0)
		goto out;
	memset(win, 0, sizeof(*win));
	if (json_is_string(wj) && dh_win_spec_parse(win, json_string_value(wj), err) != 0) {
		dh_agg_spec_release(agg);
		goto out;
	}
	*nkeys = json_array_size(by);
	*keys = dh_xreallocarray(NULL, *nkeys + 1, sizeof(**keys));
	*klens = dh_xreallocarray(NULL, *nkeys + 1, sizeof(**klens));
	for (i = 0; i < *nkeys; i++) {
		const char *k = json_string_value(json_array_get(by, i));

		(*keys)[i] = dh_xstrdup(k ? k : "");
		(*klens)[i] = strlen((*keys)[i]);
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int
dh_win_merge_line(struct dh_win *w, const char *p, size_t n)
{
	json_error_t je;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je), *key;
	struct dh_agg_state *st = NULL;
	int64_t start = 0, end = 0;
	struct dh_key k;
	uint64_t *v;
	uint32_t g;
	int32_t i;
	size_t x;
	int rc = -1, changed;

	if (lag_flush(w) != 0) {
		json_decref(j);
		return -1;
	}
	if (j == NULL)
		return bad_state(w, je.text);
	key = json_object_get(j, "key");
	if (!json_is_integer(json_object_get(j, "dh_agg"))) {
		bad_state(w, "no \"dh_agg\" version (written by dh-agg --partial?)");
		goto out;
	}
	if (json_integer_value(json_object_get(j, "dh_agg")) != 1) {
		dh_buf_reset(&w->err);
		dh_buf_addf(&w->err, "a saved state of version %lld: this dh-agg reads version 1",
			    (long long)json_integer_value(json_object_get(j, "dh_agg")));
		goto out;
	}
	if (!same_header(w, j)) {
		dh_buf_reset(&w->err);
		dh_buf_addf(&w->err, "a saved state of other groups, aggregators or window than "
				     "the first (-a %s%s%s)", w->agg->text,
			    w->win.kind != DH_WIN_NONE ? " --window " : "", w->win.text);
		goto out;
	}
	if (!json_is_array(key) || json_array_size(key) != w->nkeys) {
		bad_state(w, "\"key\" is not an array of the group values");
		goto out;
	}
	if (w->win.kind != DH_WIN_NONE &&
	    (state_time(j, "window_start", &start) != 0 || state_time(j, "window_end", &end) != 0 ||
	     end <= start)) {
		bad_state(w, "no window_start and window_end");
		goto out;
	}
	dh_buf_reset(&w->err);
	if (dh_agg_state_read(w->agg, json_object_get(j, "state"), &st, &w->err) != 0) {
		struct dh_buf why = DH_BUF_INIT;

		dh_buf_adds(&why, w->err.data);
		bad_state(w, why.data);
		dh_buf_release(&why);
		goto out;
	}
	/* the group, as group_of() finds it for a record */
	dh_buf_reset(&w->canon.out);
	dh_buf_reset(&w->scratch);
	for (x = 0; x < w->nkeys; x++) {
		enum dh_vtype t;
		char *tok = token_of(json_array_get(key, x), &t);

		dh_canon_value(&w->canon.out, t, tok, strlen(tok), &w->canon.scratch);
		save_value(&w->scratch, t, tok, strlen(tok));
		free(tok);
	}
	k = dh_key_of(w->canon.out.data, w->canon.out.len);
	if (dh_keyset_put(&w->gset, k, 0, &v))
		*v = new_group(w, k, &w->scratch);
	g = (uint32_t)*v;
	switch (w->win.kind) {
	case DH_WIN_NONE:
		if ((i = w->ghead[g]) < 0)
			i = new_pane(w, g, 0, 0);
		break;
	case DH_WIN_SESSION:
		if ((i = session_merge(w, g, start, end, &changed)) < 0)
			goto out;
		break;
	default:
		for (i = w->ghead[g]; i >= 0 && w->panes[i].start != start; i = w->panes[i].next)
			;
		if (i < 0)
			i = new_pane(w, g, start, end);
		break;
	}
	dh_buf_reset(&w->err);
	if (dh_agg_merge(w->agg, w->panes[i].st, st, &w->err) != 0)
		goto out;
	rc = 0;
out:
	dh_agg_free(w->agg, st);
	json_decref(j);
	return rc;
}

/* Exchange the groups and panes of a and b (windows of the same specs). */
static void
swap_groups(struct dh_win *a, struct dh_win *b)
{
#define SWAP(f)                      \
	do {                         \
		__typeof__(a->f) t_ = a->f; \
		a->f = b->f;         \
		b->f = t_;           \
	} while (0)
	SWAP(gset);
	SWAP(gvals);
	SWAP(goff);
	SWAP(ghead);
	SWAP(gkey);
	SWAP(ngroups);
	SWAP(capgroups);
	SWAP(gfree);
	SWAP(panes);
	SWAP(npanes);
	SWAP(cappanes);
	SWAP(pfree);
#undef SWAP
}

/*
 * A group new to w takes from's key values and state as they are (from
 * keeps nothing of it to free); a group w has merges.  Without a window
 * each group has one pane, pane g of group g.
 */
int
dh_win_absorb(struct dh_win *w, struct dh_win *from)
{
	uint32_t k;
	int rc = 0;

	if (lag_flush(w) != 0 || lag_flush(from) != 0)
		return -1;
	/* the groups of the side with more stay where they are, and the
	 * fewer merge into them (w's first is often one record's) */
	if (from->npanes > w->npanes)
		swap_groups(w, from);
	for (k = 0; k < from->npanes && rc == 0; k++) {
		struct dh_win_pane *q = &from->panes[k];
		struct dh_key key = from->gkey[q->gid];
		uint64_t *gv;
		int32_t i;

		if (k + 8 < from->npanes)
			dh_keyset_prefetch(&w->gset, from->gkey[from->panes[k + 8].gid]);
		if (dh_keyset_put(&w->gset, key, 0, &gv)) {
			/* the key values and the state move over */
			*gv = add_group(w, key, (char *)from->goff[q->gid]);
			from->goff[q->gid] = 0;
			i = add_pane(w, (uint32_t)*gv, 0, 0, q->st);
			q->st = NULL;
			w->panes[i].first_pos = q->first_pos;
			continue;
		}
		i = w->ghead[*gv];
		if (q->first_pos < w->panes[i].first_pos)
			w->panes[i].first_pos = q->first_pos;
		dh_buf_reset(&w->err);
		rc = dh_agg_merge(w->agg, w->panes[i].st, q->st, &w->err);
	}
	w->invalid += from->invalid;
	return rc;
}

struct ranked {
	uint64_t pos;
	uint32_t pane;
};

static int
by_pos(const void *a, const void *b)
{
	uint64_t x = ((const struct ranked *)a)->pos, y = ((const struct ranked *)b)->pos;

	return (x > y) - (x < y);
}

/* Results without a window, order[from..to), on w's thread. */
static int
finish_range(struct dh_win *w, const struct ranked *order, uint32_t from, uint32_t to)
{
	uint32_t k;

	for (k = from; k < to; k++) {
		struct dh_win_pane *p = &w->panes[order[k].pane];

		if ((w->partial ? save(w, p) : render(w, p, p->st, 0, 0, 0, NULL, 0)) != 0)
			return -1;
	}
	return 0;
}

/*
 * One more thread's share of the results.  lw is a copy of the struct
 * dh_win with an out, record and buffers of its own: everything else it
 * only reads (the groups' values), but for the states of its own share,
 * which a result may change (median sorts its values).
 */
struct fin_lane {
	struct dh_win lw;
	const struct ranked *order;
	uint32_t from, to;
	int rc, started;
	pthread_t th;
};

static void *
fin_thread(void *arg)
{
	struct fin_lane *f = arg;

	f->rc = finish_range(&f->lw, f->order, f->from, f->to);
	return NULL;
}

#define FIN_MIN 4096 /* fewer results: one thread */

static int
finish_ranked(struct dh_win *w, const struct ranked *order, uint32_t n)
{
	struct fin_lane *f;
	uint32_t share, at;
	int nt = w->out.fork != NULL && n >= FIN_MIN ? w->out.nthreads : 1, t, rc;

	if (nt <= 1)
		return finish_range(w, order, 0, n);
	/* the first result here: the output takes its columns from it */
	if (finish_range(w, order, 0, 1) != 0)
		return -1;
	f = dh_xcalloc((size_t)nt, sizeof(*f));
	share = (n - 1 + (uint32_t)nt - 1) / (uint32_t)nt;
	at = 1 + share < n ? 1 + share : n;
	for (t = 1; t < nt; t++) {
		struct fin_lane *l = &f[t];

		l->lw = *w;
		l->lw.orec = (struct dh_record)DH_RECORD_INIT;
		l->lw.err = l->lw.scratch = l->lw.line = (struct dh_buf)DH_BUF_INIT;
		if (w->out.fork(w->out.arg, &l->lw.out) != 0)
			break;
		l->order = order;
		l->from = at;
		at = n - at > share ? at + share : n;
		l->to = at;
		l->started = pthread_create(&l->th, NULL, fin_thread, l) == 0;
	}
	nt = t;
	/* this thread's share, then the others' in order; a share that
	 * could not start a thread, and what no thread took (fork said
	 * no), are made here */
	rc = finish_range(w, order, 1, 1 + share < n ? 1 + share : n);
	for (t = 1; t < nt; t++) {
		struct fin_lane *l = &f[t];

		if (l->started)
			pthread_join(l->th, NULL);
		else if (rc == 0)
			l->rc = finish_range(&l->lw, order, l->from, l->to);
		w->out.join(w->out.arg, &l->lw.out, rc == 0);
		if (rc == 0 && l->rc != 0) {
			dh_buf_reset(&w->err);
			dh_buf_add(&w->err, l->lw.err.data, l->lw.err.len);
			rc = -1;
		}
		dh_record_release(&l->lw.orec);
		dh_buf_release(&l->lw.err);
		dh_buf_release(&l->lw.scratch);
		dh_buf_release(&l->lw.line);
	}
	if (rc == 0 && at < n)
		rc = finish_range(w, order, at, n);
	free(f);
	return rc;
}

int
dh_win_finish(struct dh_win *w)
{
	uint32_t k;

	if (lag_flush(w) != 0)
		return -1;
	if (w->win.kind == DH_WIN_NONE) {
		/* one group of all records: a result even for no records, as
		 * SQL gives one row for SELECT count(*) */
		if (w->nkeys == 0 && w->npanes == 0) {
			dh_buf_reset(&w->scratch);
			dh_keyset_put(&w->gset, dh_key_of("", 0), 0, NULL);
			new_pane(w, new_group(w, dh_key_of("", 0), &w->scratch), 0, 0);
		}
		/* without a window panes are never freed; groups come out in
		 * the order they were first seen (absorbed ones included) */
		struct ranked *order = dh_xreallocarray(NULL, w->npanes + 1, sizeof(*order));
		int rc = 0;

		for (k = 0; k < w->npanes; k++) {
			order[k].pos = w->panes[k].first_pos;
			order[k].pane = k;
		}
		qsort(order, w->npanes, sizeof(*order), by_pos);
		rc = finish_ranked(w, order, w->npanes);
		free(order);
		return rc;
	}
	while (w->nheap > 0) {
		struct dh_win_heap e = heap_pop(w);
		struct dh_win_pane *p = &w->panes[e.pane];

		if (!p->live || p->ver != e.ver)
			continue;
		if (!p->emitted && p->end > e.t) {
			heap_push(w, p->end, e.pane); /* a session that grew */
			continue;
		}
		if (w->partial ? save(w, p) != 0
			       : !p->emitted && fire(w, e.pane, "on_time") != 0)
			return -1;
		free_pane(w, e.pane);
	}
	return 0;
}

void
dh_win_release(struct dh_win *w)
{
	uint32_t k;

	for (k = 0; k < w->npanes; k++)
		if (w->panes[k].live) {
			dh_agg_free(w->agg, w->panes[k].st);
			dh_agg_free(w->agg, w->panes[k].prev);
		}
	for (k = 0; k < w->ngroups; k++)
		free((char *)w->goff[k]);
	for (k = 0; w->lag != NULL && k < LAG_N; k++) {
		dh_buf_release(&w->lag[k].vals);
		free(w->lag[k].present);
		free(w->lag[k].kind);
		free(w->lag[k].iv);
		free(w->lag[k].dv);
	}
	free(w->lag);
	free(w->panes);
	free(w->heap);
	free(w->ghead);
	free(w->gkey);
	free(w->goff);
	dh_keyset_release(&w->gset);
	dh_agg_scratch_release(&w->sc);
	dh_canon_release(&w->canon);
	dh_buf_release(&w->err);
	dh_buf_release(&w->scratch);
	dh_buf_release(&w->line);
	dh_record_release(&w->orec);
}
