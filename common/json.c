#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json.h"
#include "xalloc.h"

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define HASZERO(x) (((x) - ONES) & ~(x) & HIGHS)

/* A key seen in the object being scanned, for duplicate detection. */
struct key {
	const char *p; /* raw token content, or NULL when decoded into kbuf */
	size_t off;    /* offset into kbuf when p is NULL */
	size_t n;
	uint32_t tag;  /* length and end bytes: most different keys differ here */
};

static uint32_t
key_tag(const char *p, size_t n)
{
	return n == 0 ? 0
		      : ((uint32_t)n << 16) ^ ((uint32_t)(unsigned char)p[0] << 8) ^
				(unsigned char)p[n - 1];
}

/* A key of a hint: learnt (in hint->bytes) or pending (in the text). */
struct dh_json_hint_key {
	const char *p;       /* pending: the token in the scanned text */
	size_t off;          /* learnt: the token's offset in hint->bytes */
	size_t len;          /* the token's length, quotes included */
	size_t obj;          /* position of the first key of its object */
	uint64_t w[2], m[2]; /* learnt: the token's first 16 bytes, and a mask
			      * of the bytes that are the token's */
	int esc;             /* holds escapes: never matched */
	int skip;            /* a top-level member no wanted path names */
};

struct scan {
	const char *s, *p, *e;
	struct dh_json_err *err;
	struct dh_json_hint *hint; /* NULL: none */
	const struct dh_json_want *want; /* NULL: every member is a field */
	size_t hpos;               /* keys seen so far, in document order */
	int hlive;                 /* every key so far matched the hint */
	size_t hcut;               /* when not: the position of the first miss */
	struct key *keys;
	size_t nkeys, capkeys;
	struct key small[64];
	struct dh_buf kbuf;
	struct dh_buf tmp;
	int flatten; /* nested members become fields named a.b, c.0 */
	char sep;
};

/* A field name being built: in the scanned text, or in the arena. */
struct fname {
	const char *p; /* NULL: at off in the record's arena */
	size_t off, len;
};

static int
fail(struct scan *sc, const char *at, const char *msg)
{
	sc->err->off = (size_t)(at - sc->s);
	sc->err->msg = msg;
	return -1;
}

static inline void
skip_ws(struct scan *sc)
{
	while (sc->p < sc->e &&
	       (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
		sc->p++;
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned c = p[0], cp;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		n = 2;
		cp = c & 0x1F;
	} else if (c < 0xF0) {
		n = 3;
		cp = c & 0x0F;
	} else if (c < 0xF5) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

int
dh_utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (i + 8 <= n) {
			uint64_t v;

			memcpy(&v, p + i, 8);
			if ((v & HIGHS) == 0) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(p + i, n - i);
		if (k == 0) {
			if (bad)
				*bad = i;
			return 0;
		}
		i += k;
	}
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static long
hex4(const char *p, const char *e)
{
	long v = 0;
	int i;

	if (e - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int h = hexval((unsigned char)p[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * Scan a string token at sc->p (a '"').  *esc tells whether it holds
 * escapes; *nul whether it decodes to something holding a NUL byte.
 */
#ifdef __SSE2__
/* The bytes of v that a JSON string cannot hold as they are: one bit
 * each, a quote, a backslash, below 0x20 or from 0x80. */
static inline unsigned
special16(__m128i v)
{
	return (unsigned)_mm_movemask_epi8(
		_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
					  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			     _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));
}
#endif

/* The same for 8 bytes, one flag a byte (its high bit): exact up to the
 * first special byte, and a flag above one may be false. */
static inline uint64_t
special8(uint64_t v)
{
	return HASZERO(v ^ (ONES * '"')) | HASZERO(v ^ (ONES * '\\')) |
	       ((v - ONES * 0x20) & ~v & HIGHS) | (v & HIGHS);
}

static int
scan_string(struct scan *sc, int *esc, int *nul)
{
	const char *p = sc->p + 1, *e = sc->e;

	*esc = 0;
	*nul = 0;
	for (;;) {
		unsigned char c;

#ifdef __SSE2__
		/* 16 bytes a step: a quote, a backslash, or a byte below 0x20
		 * or from 0x80 (signed, both are below 0x20) stops it */
		while (e - p >= 16) {
			unsigned m = special16(_mm_loadu_si128((const __m128i *)(const void *)p));

			if (m) {
				p += __builtin_ctz(m);
				goto special;
			}
			p += 16;
		}
#endif
		while (e - p >= 8) {
			uint64_t v, m;

			memcpy(&v, p, 8);
			m = special8(v);
			if (m) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				/* the lowest flagged byte is the first special
				 * one (flags above it may be false positives) */
				p += __builtin_ctzll(m) / 8;
#endif
				break;
			}
			p += 8;
		}
		if (p >= e)
			return fail(sc, p, "premature end of input in a string");
#ifdef __SSE2__
special:
#endif
		c = (unsigned char)*p;
		if (c == '"') {
			sc->p = p + 1;
			return 0;
		}
		if (c < 0x20)
			return fail(sc, p, "control character in a string");
		if (c >= 0x80) {
			size_t k = utf8_seq((const unsigned char *)p, (size_t)(e - p));

			if (k == 0)
				return fail(sc, p, "invalid UTF-8");
			p += k;
			continue;
		}
		if (c != '\\') {
			p++;
			continue;
		}
		*esc = 1;
		if (e - p < 2)
			return fail(sc, p, "premature end of input in a string");
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			break;
		case 'u': {
			long v = hex4(p + 2, e);

			if (v < 0)
				return fail(sc, p, "invalid \\u escape");
			if (v >= 0xD800 && v <= 0xDBFF) {
				long w = (e - p >= 12 && p[6] == '\\' && p[7] == 'u')
						 ? hex4(p + 8, e)
						 : -1;

				if (w < 0xDC00 || w > 0xDFFF)
					return fail(sc, p, "lone surrogate in \\u escape");
				p += 12;
			} else if (v >= 0xDC00 && v <= 0xDFFF) {
				return fail(sc, p, "lone surrogate in \\u escape");
			} else {
				if (v == 0)
					*nul = 1;
				p += 6;
			}
			break;
		}
		default:
			return fail(sc, p, "invalid escape in a string");
		}
	}
}

static int
scan_number(struct scan *sc)
{
	const char *p = sc->p, *e = sc->e;

	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0') {
		p++;
	} else if (p < e && *p >= '1' && *p <= '9') {
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	} else {
		return fail(sc, sc->p, "invalid number");
	}
	if (p < e && *p == '.') {
		p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(sc, sc->p, "invalid number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(sc, sc->p, "invalid number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	/* "01" and "1x": the next token must not continue the number */
	if (p < e && ((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		      *p == '+' || *p == 'e' || *p == 'E'))
		return fail(sc, sc->p, "invalid number");
	sc->p = p;
	return 0;
}

static int
scan_literal(struct scan *sc, const char *word, size_t n)
{
	if ((size_t)(sc->e - sc->p) < n || memcmp(sc->p, word, n) != 0)
		return fail(sc, sc->p, "invalid literal");
	sc->p += n;
	return 0;
}

static int scan_value(struct scan *sc, int depth, enum dh_vtype *t);
static int scan_array(struct scan *sc, int depth, struct dh_record *rec,
		      const struct fname *prefix);

/* memchr for the short strings keys are: no call, no setup */
static inline int
has_byte(const char *p, size_t n, char c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == c)
			return 1;
	return 0;
}

size_t
dh_utoa(char *out, size_t v)
{
	char tmp[32];
	size_t n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/*
 * prefix + sep + key into the arena (key: raw token when tok, holding
 * escapes when esc; else bytes).  The prefix's own separators were
 * noted when it was made (a top-level key in scan_object, else here).
 */
static struct fname
join_name(struct scan *sc, struct dh_record *rec, const struct fname *prefix,
	  const char *key, size_t klen, int tok, int esc)
{
	struct fname n;
	char *o;

	n.p = NULL;
	n.off = rec->arena.len;
	o = dh_buf_reserve(&rec->arena, prefix->len + 1 + klen);
	memcpy(o, prefix->p ? prefix->p : rec->arena.data + prefix->off,
	       prefix->len);
	o[prefix->len] = sc->sep;
	rec->arena.len += prefix->len + 1;
	if (!tok)
		dh_buf_add(&rec->arena, key, klen);
	else if (!esc)
		dh_buf_add(&rec->arena, key + 1, klen - 2);
	else
		dh_json_unescape(key, klen, &rec->arena);
	n.len = rec->arena.len - n.off;
	/* the key as decoded: "a\u002eb" holds the separator too */
	if (has_byte(rec->arena.data + n.off + prefix->len + 1,
		     n.len - prefix->len - 1, sc->sep))
		rec->keysep = 1;
	return n;
}

static void
add_field(struct dh_record *rec, const struct fname *n, const char *v,
	  size_t vlen, enum dh_vtype t)
{
	dh_record_add(rec, n->p ? n->p : DH_ARENA_REF(n->off), n->len, v, vlen, t);
}

static int scan_object(struct scan *sc, int depth, struct dh_record *rec,
		       const struct fname *prefix);

/*
 * A member's value named name: flattened into rec when it is a non-empty
 * container and the scan flattens, else one field.
 */
static int
scan_member(struct scan *sc, int depth, struct dh_record *rec,
	    const struct fname *name)
{
	const char *v = sc->p;
	enum dh_vtype t;
	int rc;

	if (rec != NULL && sc->flatten && v < sc->e && (*v == '{' || *v == '[')) {
		size_t n0 = rec->n;

		if (depth > DH_JSON_MAX_DEPTH)
			return fail(sc, sc->p, "nested too deep (more than 2048 levels)");
		t = *v == '{' ? DH_V_OBJ : DH_V_ARR;
		rc = t == DH_V_OBJ ? scan_object(sc, depth, rec, name)
				   : scan_array(sc, depth, rec, name);
		if (rc == 0 && rec->n == n0) /* {} and [] stay as they are */
			add_field(rec, name, v, (size_t)(sc->p - v), t);
		return rc;
	}
	if ((rc = scan_value(sc, depth, &t)) != 0)
		return rc;
	if (rec != NULL)
		add_field(rec, name, v, (size_t)(sc->p - v), t);
	return 0;
}

static const char *
key_bytes(struct scan *sc, const struct key *k)
{
	return k->p != NULL ? k->p : sc->kbuf.data + k->off;
}

static int
cmp_keys_len(const struct key *a, const struct key *b)
{
	return a->n < b->n ? -1 : a->n > b->n;
}

/*
 * 1 when the text at sc->p is the hint's key at position pos, in the
 * object whose first key was at position obj: then sc->p is past it.
 * The first miss ends the matching for the rest of the record.
 */
static inline const struct dh_json_hint_key *
hint_match(struct scan *sc, size_t pos, size_t obj)
{
	const struct dh_json_hint_key *h;
	const char *p = sc->p;
	size_t avail = (size_t)(sc->e - p);

	if (!sc->hlive)
		return NULL;
	if (pos >= sc->hint->n)
		goto miss;
	h = &sc->hint->k[pos];
	if (h->obj != obj || h->esc)
		goto miss;
	if (h->len <= 16 && avail >= 16) {
		uint64_t a, b;

		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		if (((a ^ h->w[0]) & h->m[0]) | ((b ^ h->w[1]) & h->m[1]))
			goto miss;
	} else if (avail < h->len ||
		   memcmp(p, sc->hint->bytes.data + h->off, h->len) != 0) {
		goto miss;
	}
	/* The same bytes as a token a scan accepted, without a backslash:
	 * the same string, ending at the same quote. */
	sc->p = p + h->len;
	return h;
miss:
	sc->hlive = 0;
	sc->hcut = pos;
	return NULL;
}

/* After a miss: note the record's key token at position obj's object. */
static void
hint_note(struct scan *sc, const char *tok, size_t len, size_t obj, int esc,
	  int skip)
{
	struct dh_json_hint *h = sc->hint;
	struct dh_json_hint_key *k;

	if (h->npend == h->cappend) {
		h->cappend = h->cappend ? 2 * h->cappend : 64;
		h->pend = dh_xreallocarray(h->pend, h->cappend, sizeof(*h->pend));
	}
	k = &h->pend[h->npend++];
	memset(k, 0, sizeof(*k));
	k->p = tok;
	k->len = len;
	k->obj = obj;
	k->esc = esc;
	k->skip = skip;
}

/* Does no wanted path name the top-level key kb (decoded)? */
static int
unwanted(const struct dh_json_want *w, const char *kb, size_t n)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->plens[i] >= n && memcmp(w->paths[i], kb, n) == 0 &&
		    (w->plens[i] == n || w->paths[i][n] == '.'))
			return 0;
	return 1;
}

void
dh_json_want_add(struct dh_json_want *w, const char *path, size_t plen)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 8;
		w->paths = dh_xreallocarray(w->paths, w->cap, sizeof(*w->paths));
		w->plens = dh_xreallocarray(w->plens, w->cap, sizeof(*w->plens));
	}
	w->paths[w->n] = path;
	w->plens[w->n++] = plen;
}

void
dh_json_want_release(struct dh_json_want *w)
{
	free(w->paths);
	free(w->plens);
	memset(w, 0, sizeof(*w));
}

/* The record was accepted: learn its keys from the first miss on. */
static void
hint_learn(struct scan *sc)
{
	struct dh_json_hint *h = sc->hint;
	size_t i;

	if (sc->hlive)
		return;
	h->n = sc->hcut;
	h->bytes.len = h->n ? h->k[h->n - 1].off + h->k[h->n - 1].len : 0;
	if (h->n + h->npend > h->cap) {
		h->cap = 2 * (h->n + h->npend);
		h->k = dh_xreallocarray(h->k, h->cap, sizeof(*h->k));
	}
	for (i = 0; i < h->npend; i++) {
		struct dh_json_hint_key *k = &h->k[h->n++];
		unsigned char w[16] = {0}, m[16] = {0};

		*k = h->pend[i];
		k->off = h->bytes.len;
		dh_buf_add(&h->bytes, k->p, k->len);
		k->p = NULL;
		if (k->len <= 16) {
			memcpy(w, h->bytes.data + k->off, k->len);
			memset(m, 0xff, k->len);
		}
		memcpy(k->w, w, 16);
		memcpy(k->m, m, 16);
	}
	h->npend = 0;
}

void
dh_json_hint_release(struct dh_json_hint *h)
{
	free(h->k);
	free(h->pend);
	dh_buf_release(&h->bytes);
	memset(h, 0, sizeof(*h));
}

/*
 * Records the key of the object starting at keys[base]; -1 when it is
 * already there (checked only when check is set).  Linear for small
 * objects, sorted check for big ones.
 */
static int
add_key(struct scan *sc, size_t base, const char *tok, size_t toklen, int esc,
	int check)
{
	struct key k;
	size_t i;

	if (!esc) {
		k.p = tok + 1;
		k.n = toklen - 2;
		k.off = 0;
	} else {
		k.p = NULL;
		k.off = sc->kbuf.len;
		dh_json_unescape(tok, toklen, &sc->kbuf);
		k.n = sc->kbuf.len - k.off;
	}
	k.tag = 0;
	if (sc->nkeys - base <= 256) {
		const char *kb = key_bytes(sc, &k);

		k.tag = key_tag(kb, k.n);
		for (i = base; check && i < sc->nkeys; i++)
			if (sc->keys[i].tag == k.tag && sc->keys[i].n == k.n &&
			    memcmp(key_bytes(sc, &sc->keys[i]), kb, k.n) == 0)
				return -1;
	}
	if (sc->nkeys == sc->capkeys) {
		size_t cap = sc->capkeys * 2;

		if (sc->keys == sc->small) {
			sc->keys = dh_xreallocarray(NULL, cap, sizeof(*sc->keys));
			memcpy(sc->keys, sc->small, sizeof(sc->small));
		} else {
			sc->keys = dh_xreallocarray(sc->keys, cap, sizeof(*sc->keys));
		}
		sc->capkeys = cap;
	}
	sc->keys[sc->nkeys++] = k;
	return 0;
}

/*
 * The keys of the object whose first key was at position obj matched the
 * hint until the first miss, at sc->hcut: those are the hint's keys of
 * the same obj before it.  Put them in sc->keys, for the keys after them
 * to be checked against.
 */
static void
hint_keys(struct scan *sc, size_t base, size_t obj)
{
	const struct dh_json_hint *h = sc->hint;
	size_t i;

	for (i = obj; i < sc->hcut; i++)
		if (h->k[i].obj == obj)
			add_key(sc, base, h->bytes.data + h->k[i].off, h->k[i].len, 0, 0);
}

static int
cmp_keys(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = cmp_keys_len(x, y);

	return c != 0 ? c : memcmp(x->p, y->p, x->n);
}

/* For objects with more than 256 keys add_key() stops comparing: sort a
 * copy and look for equal neighbours.  Only unusual input gets here. */
static int
big_object_dups(struct scan *sc, size_t base)
{
	size_t n = sc->nkeys - base, i;
	struct key *v;
	int dup = 0;

	if (n <= 256)
		return 0;
	v = dh_xreallocarray(NULL, n, sizeof(*v));
	memcpy(v, sc->keys + base, n * sizeof(*v));
	for (i = 0; i < n; i++)
		if (v[i].p == NULL)
			v[i].p = sc->kbuf.data + v[i].off;
	qsort(v, n, sizeof(*v), cmp_keys);
	for (i = 1; i < n && !dup; i++)
		dup = cmp_keys(&v[i - 1], &v[i]) == 0;
	free(v);
	return dup;
}

static int
scan_object(struct scan *sc, int depth, struct dh_record *rec,
	    const struct fname *prefix)
{
	size_t base = sc->nkeys, obj = SIZE_MAX;
	int rc = 0, lazy = 0;

	sc->p++; /* '{' */
	skip_ws(sc);
	if (sc->p < sc->e && *sc->p == '}') {
		sc->p++;
		return 0;
	}
	for (;;) {
		const char *k;
		const struct dh_json_hint_key *h;
		size_t klen, pos;
		int esc, nul, skip;
		enum dh_vtype t;

		if (sc->p >= sc->e || *sc->p != '"') {
			rc = fail(sc, sc->p, "string or '}' expected");
			break;
		}
		k = sc->p;
		pos = sc->hpos++;
		if (obj == SIZE_MAX)
			obj = pos;
		skip = 0;
		if ((h = hint_match(sc, pos, obj)) != NULL) {
			/* the object's keys so far are the hint's, which were
			 * checked against each other when it was learnt */
			klen = (size_t)(sc->p - k);
			esc = 0;
			skip = h->skip;
			lazy = 1; /* not in sc->keys until a key must be checked */
		} else {
			if ((rc = scan_string(sc, &esc, &nul)) != 0)
				break;
			klen = (size_t)(sc->p - k);
			if (nul) {
				rc = fail(sc, k, "NUL byte in object key");
				break;
			}
			if (lazy) {
				hint_keys(sc, base, obj);
				lazy = 0;
			}
			if (add_key(sc, base, k, klen, esc, 1) != 0) {
				rc = fail(sc, k, "duplicate object key");
				break;
			}
			if (rec != NULL && prefix == NULL && sc->want != NULL) {
				const struct key *kk = &sc->keys[sc->nkeys - 1];

				skip = unwanted(sc->want, key_bytes(sc, kk), kk->n);
			}
			if (sc->hint != NULL)
				hint_note(sc, k, klen, obj, esc, skip);
		}
		skip_ws(sc);
		if (sc->p >= sc->e || *sc->p != ':') {
			rc = fail(sc, sc->p, "':' expected");
			break;
		}
		sc->p++;
		skip_ws(sc);
		if (rec == NULL || skip) {
			if ((rc = scan_value(sc, depth + 1, &t)) != 0)
				break;
		} else {
			struct fname name;

			/* decoded: "a\u002eb" holds the separator too */
			if (sc->flatten && prefix == NULL &&
			    (esc ? has_byte(sc->kbuf.data + sc->keys[sc->nkeys - 1].off,
					    sc->keys[sc->nkeys - 1].n, sc->sep)
				 : has_byte(k, klen, sc->sep)))
				rec->keysep = 1;
			if (prefix != NULL) {
				name = join_name(sc, rec, prefix, k, klen, 1, esc);
			} else if (!esc) {
				name.p = k + 1;
				name.off = 0;
				name.len = klen - 2;
			} else {
				name.p = NULL;
				name.off = rec->arena.len;
				dh_json_unescape(k, klen, &rec->arena);
				name.len = rec->arena.len - name.off;
			}
			if ((rc = scan_member(sc, depth + 1, rec, &name)) != 0)
				break;
		}
		skip_ws(sc);
		if (sc->p < sc->e && *sc->p == ',') {
			sc->p++;
			skip_ws(sc);
			continue;
		}
		if (sc->p < sc->e && *sc->p == '}') {
			sc->p++;
			break;
		}
		rc = fail(sc, sc->p, "',' or '}' expected");
		break;
	}
	if (rc == 0 && big_object_dups(sc, base))
		rc = fail(sc, sc->p - 1, "duplicate object key");
	sc->nkeys = base;
	if (base == 0)
		dh_buf_reset(&sc->kbuf);
	return rc;
}

static int
scan_array(struct scan *sc, int depth, struct dh_record *rec,
	   const struct fname *prefix)
{
	enum dh_vtype t;
	size_t index = 0;

	sc->p++; /* '[' */
	skip_ws(sc);
	if (sc->p < sc->e && *sc->p == ']') {
		sc->p++;
		return 0;
	}
	for (;;) {
		if (rec == NULL) {
			if (scan_value(sc, depth + 1, &t) != 0)
				return -1;
		} else {
			char idx[32];
			size_t n = dh_utoa(idx, index++);
			struct fname name = join_name(sc, rec, prefix, idx, n, 0, 0);

			if (scan_member(sc, depth + 1, rec, &name) != 0)
				return -1;
		}
		skip_ws(sc);
		if (sc->p < sc->e && *sc->p == ',') {
			sc->p++;
			skip_ws(sc);
			continue;
		}
		if (sc->p < sc->e && *sc->p == ']') {
			sc->p++;
			return 0;
		}
		return fail(sc, sc->p, "',' or ']' expected");
	}
}

static int
scan_value(struct scan *sc, int depth, enum dh_vtype *t)
{
	int esc, nul;

	if (depth > DH_JSON_MAX_DEPTH)
		return fail(sc, sc->p, "nested too deep (more than 2048 levels)");
	if (sc->p >= sc->e)
		return fail(sc, sc->p, "value expected");
	switch (*sc->p) {
	case '"':
		*t = DH_V_JSTR;
		return scan_string(sc, &esc, &nul);
	case '{':
		*t = DH_V_OBJ;
		return scan_object(sc, depth, NULL, NULL);
	case '[':
		*t = DH_V_ARR;
		return scan_array(sc, depth, NULL, NULL);
	case 't':
		*t = DH_V_TRUE;
		return scan_literal(sc, "true", 4);
	case 'f':
		*t = DH_V_FALSE;
		return scan_literal(sc, "false", 5);
	case 'n':
		*t = DH_V_NULL;
		return scan_literal(sc, "null", 4);
	default:
		*t = DH_V_NUM;
		return scan_number(sc);
	}
}

static void
scan_init(struct scan *sc, const char *p, size_t n, struct dh_json_err *err)
{
	sc->s = sc->p = p;
	sc->e = p + n;
	sc->err = err;
	sc->hint = NULL;
	sc->want = NULL;
	sc->hpos = 0;
	sc->hlive = 0;
	sc->hcut = 0;
	sc->flatten = 0;
	sc->sep = '.';
	sc->keys = sc->small;
	sc->nkeys = 0;
	sc->capkeys = sizeof(sc->small) / sizeof(sc->small[0]);
	memset(&sc->kbuf, 0, sizeof(sc->kbuf));
	memset(&sc->tmp, 0, sizeof(sc->tmp));
}

static void
scan_done(struct scan *sc)
{
	if (sc->keys != sc->small)
		free(sc->keys);
	dh_buf_release(&sc->kbuf);
	dh_buf_release(&sc->tmp);
}

int
dh_json_scan_flat(const char *p, size_t n, struct dh_record *rec, int flatten,
		  char sep, struct dh_json_err *err)
{
	return dh_json_scan_hinted(p, n, rec, flatten, sep, NULL, NULL, err);
}

int
dh_json_scan_hinted(const char *p, size_t n, struct dh_record *rec,
		    int flatten, char sep, struct dh_json_hint *hint,
		    const struct dh_json_want *want, struct dh_json_err *err)
{
	struct scan sc;
	int rc;
	size_t n0 = rec->n;

	scan_init(&sc, p, n, err);
	sc.flatten = flatten;
	sc.sep = sep;
	sc.want = want;
	if (hint != NULL) {
		sc.hint = hint;
		sc.hlive = 1;
		hint->npend = 0;
	}
	skip_ws(&sc);
	if (sc.p >= sc.e)
		rc = fail(&sc, sc.p, "blank line");
	else if (*sc.p != '{')
		rc = fail(&sc, sc.p, "a record must be a JSON object");
	else
		rc = scan_object(&sc, 1, rec, NULL);
	if (rc == 0) {
		skip_ws(&sc);
		if (sc.p != sc.e)
			rc = fail(&sc, sc.p, "end of record expected");
	}
	scan_done(&sc);
	if (rc != 0) {
		rec->n = n0;
	} else {
		dh_record_fix(rec);
		if (hint != NULL)
			hint_learn(&sc);
	}
	return rc;
}

int
dh_json_scan_object(const char *p, size_t n, struct dh_record *rec,
		    struct dh_json_err *err)
{
	return dh_json_scan_flat(p, n, rec, 0, '.', err);
}

int
dh_json_validate(const char *p, size_t n, struct dh_json_err *err)
{
	struct scan sc;
	enum dh_vtype t;
	int rc;

	scan_init(&sc, p, n, err);
	skip_ws(&sc);
	rc = scan_value(&sc, 1, &t);
	if (rc == 0) {
		skip_ws(&sc);
		if (sc.p != sc.e)
			rc = fail(&sc, sc.p, "end of input expected");
	}
	scan_done(&sc);
	return rc;
}

void
dh_json_explain(const char *p, size_t n, const struct dh_json_err *err,
		struct dh_buf *out)
{
	json_error_t je;
	json_t *j;
	char q[64];
	size_t off = err->off < n ? err->off : n;

	j = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (j == NULL && json_error_code(&je) != json_error_numeric_overflow) {
		dh_buf_addf(out, "invalid JSON at column %d: %s", je.column,
			    je.text);
		return;
	}
	json_decref(j);
	dh_buf_addf(out, "invalid JSON at column %zu: %s", off + 1, err->msg);
	if (off < n)
		dh_buf_addf(out, " near %s",
			    dh_quote(p + off, n - off > 16 ? 16 : n - off, q,
				     sizeof(q)));
}

static unsigned
put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

void
dh_json_unescape(const char *tok, size_t n, struct dh_buf *out)
{
	const char *p = tok + 1, *e = tok + n - 1;
	char *o = dh_buf_reserve(out, n), *o0 = o;

	while (p < e) {
		const char *bs = memchr(p, '\\', (size_t)(e - p));
		size_t k = bs ? (size_t)(bs - p) : (size_t)(e - p);

		memcpy(o, p, k);
		o += k;
		p += k;
		if (p >= e)
			break;
		switch (p[1]) {
		case 'b': *o++ = '\b'; p += 2; break;
		case 'f': *o++ = '\f'; p += 2; break;
		case 'n': *o++ = '\n'; p += 2; break;
		case 'r': *o++ = '\r'; p += 2; break;
		case 't': *o++ = '\t'; p += 2; break;
		case 'u': {
			unsigned long v = (unsigned long)hex4(p + 2, e);

			p += 6;
			if (v >= 0xD800 && v <= 0xDBFF) {
				unsigned long w = (unsigned long)hex4(p + 2, e);

				v = 0x10000 + ((v - 0xD800) << 10) + (w - 0xDC00);
				p += 6;
			}
			o += put_utf8(o, v);
			break;
		}
		default: *o++ = p[1]; p += 2; break;
		}
	}
	out->len += (size_t)(o - o0);
	out->data[out->len] = '\0';
}

void
dh_json_compact(const char *p, size_t n, struct dh_buf *out)
{
	const char *e = p + n;
	char *o = dh_buf_reserve(out, n), *o0 = o;

	while (p < e) {
		char c = *p;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			p++;
			continue;
		}
		*o++ = c;
		p++;
		if (c != '"')
			continue;
		while (p < e && *p != '"') {
			if (*p == '\\')
				*o++ = *p++;
			*o++ = *p++;
		}
		if (p < e)
			*o++ = *p++;
	}
	out->len += (size_t)(o - o0);
	out->data[out->len] = '\0';
}

/*
 * Is [p, e), the last 1 to 15 bytes of a string of n bytes, free of
 * special bytes?  Loads overlap what came before p but stay within the
 * string.  A false flag
 * (above a special byte before p) only answers 0, and the caller then
 * goes a byte at a time: 1 is always right.
 */
static inline int
tail_plain(size_t n, const unsigned char *p, const unsigned char *e)
{
	size_t r = (size_t)(e - p), k;
	uint64_t v = 0;

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	return 0; /* the shifts below take the first byte as the lowest */
#endif
#ifdef __SSE2__
	if (n >= 16)
		return (special16(_mm_loadu_si128((const __m128i *)(const void *)(e - 16))) >>
			(16 - r)) == 0;
#endif
	if (n >= 8) {
		if (r > 8) {
			memcpy(&v, p, 8);
			if (special8(v))
				return 0;
		}
		memcpy(&v, e - 8, 8);
		k = r < 8 ? r : 8;
		return (special8(v) >> (8 * (8 - k))) == 0;
	}
	if (n >= 4) {
		uint32_t w;

		if (r > 4) {
			memcpy(&w, p, 4);
			if (special8(w) & UINT64_C(0x80808080))
				return 0;
		}
		memcpy(&w, e - 4, 4);
		k = r < 4 ? r : 4;
		return ((special8(w) & UINT64_C(0x80808080)) >> (8 * (4 - k))) == 0;
	}
	return 0;
}

int
dh_json_quote(struct dh_buf *out, const char *s, size_t n, size_t *bad)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	char *o, *o0;

	/* worst case: every byte becomes \u00XX */
	o = o0 = dh_buf_reserve(out, 6 * n + 2);
	*o++ = '"';
	while (p < e) {
		unsigned char c;

#ifdef __SSE2__
		/* 16 bytes a step, copied as they are checked: a quote, a
		 * backslash, a byte below 0x20 or from 0x80 (signed, both are
		 * below 0x20) stops it */
		while (e - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			unsigned m = special16(v);

			_mm_storeu_si128((__m128i *)(void *)o, v);
			if (m) {
				size_t k = (size_t)__builtin_ctz(m);

				o += k;
				p += k;
				break;
			}
			o += 16;
			p += 16;
		}
#endif
		/* the rest at once when none of it is special */
		if (e - p > 0 && e - p < 16 && tail_plain(n, p, e)) {
			memcpy(o, p, (size_t)(e - p));
			o += e - p;
			break;
		}
		while (e - p >= 8) {
			uint64_t v;

			uint64_t m;

			memcpy(&v, p, 8);
			m = special8(v);
			memcpy(o, p, 8);
			if (m) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				/* keep the plain bytes before the first special one */
				size_t k = (size_t)__builtin_ctzll(m) / 8;

				o += k;
				p += k;
#endif
				break;
			}
			o += 8;
			p += 8;
		}
		if (p >= e)
			break;
		c = *p;
		if (c >= 0x80) {
			size_t k = utf8_seq(p, (size_t)(e - p));

			if (k == 0) {
				if (bad)
					*bad = (size_t)((const char *)p - s);
				out->data[out->len] = '\0';
				return -1;
			}
			memcpy(o, p, k);
			o += k;
			p += k;
			continue;
		}
		p++;
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c >= 0x20) {
			*o++ = (char)c;
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (c == '\r') {
			*o++ = '\\';
			*o++ = 'r';
		} else if (c == '\b') {
			*o++ = '\\';
			*o++ = 'b';
		} else if (c == '\f') {
			*o++ = '\\';
			*o++ = 'f';
		} else {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		}
	}
	*o++ = '"';
	out->len += (size_t)(o - o0);
	out->data[out->len] = '\0';
	return 0;
}

int
dh_json_is_number(const char *s, size_t n)
{
	struct scan sc;
	struct dh_json_err err;

	if (n == 0)
		return 0;
	scan_init(&sc, s, n, &err);
	return scan_number(&sc) == 0 && sc.p == sc.e;
}

/*
 * The first byte of [p, e) that is a, b, c, d or f (repeat one to ask
 * for fewer), or e: 16 bytes a step with SSE2.
 */
static inline const char *
find_any5(const char *p, const char *e, char a, char b, char c, char d, char f)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c),
		      vd = _mm_set1_epi8(d), vf = _mm_set1_epi8(f);

	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
				     _mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, vd))),
			_mm_cmpeq_epi8(v, vf)));

		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < e && *p != a && *p != b && *p != c && *p != d && *p != f)
		p++;
	return p;
}

/* End of the validated value at p (not past e): strings are skipped to
 * their next quote or backslash, containers to their next quote or
 * bracket, 16 bytes a step. */
static const char *
value_end(const char *p, const char *e)
{
	int depth = 0;

	do {
		switch (*p) {
		case '"':
			for (p++;;) {
				p = find_any5(p, e, '"', '\\', '"', '"', '"');
				if (p >= e)
					return e;
				if (*p == '"')
					break;
				p += 2; /* an escape: its second byte never ends it */
			}
			p++;
			break;
		case '{':
		case '[':
			depth++;
			p++;
			break;
		case '}':
		case ']':
			depth--;
			p++;
			break;
		default:
			if (depth == 0) {
				while (p < e && *p != ',' && *p != '}' &&
				       *p != ']' && *p != ' ' && *p != '\t' &&
				       *p != '\n' && *p != '\r')
					p++;
				return p;
			}
			/* inside a container: on to its next string or bracket */
			p = find_any5(p + 1, e, '"', '{', '}', '[', ']');
		}
	} while (depth > 0 && p < e);
	return p;
}

void
dh_json_iter_init(struct dh_json_iter *it, const char *p, size_t n)
{
	it->p = p + 1;
	it->end = p + n - 1;
	it->is_array = *p == '[';
	it->index = 0;
}

static const char *
skip_ws_sep(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
			 *p == ',' || *p == ':'))
		p++;
	return p;
}

int
dh_json_iter_next(struct dh_json_iter *it, const char **key, size_t *klen,
		  const char **val, size_t *vlen, enum dh_vtype *type)
{
	const char *p = skip_ws_sep(it->p, it->end), *ve;

	if (p >= it->end)
		return 0;
	*key = NULL;
	*klen = 0;
	if (!it->is_array) {
		ve = value_end(p, it->end);
		*key = p;
		*klen = (size_t)(ve - p);
		p = skip_ws_sep(ve, it->end);
	}
	ve = value_end(p, it->end);
	*val = p;
	*vlen = (size_t)(ve - p);
	switch (*p) {
	case '"': *type = DH_V_JSTR; break;
	case '{': *type = DH_V_OBJ; break;
	case '[': *type = DH_V_ARR; break;
	case 't': *type = DH_V_TRUE; break;
	case 'f': *type = DH_V_FALSE; break;
	case 'n': *type = DH_V_NULL; break;
	default: *type = DH_V_NUM; break;
	}
	it->p = ve;
	it->index++;
	return 1;
}

void
dh_json_quote_any(struct dh_buf *out, const char *s, size_t n)
{
	struct dh_buf fixed = DH_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	if (dh_json_quote(out, s, n, NULL) == 0)
		return;
	while (p < e) {
		size_t k = *p < 0x80 ? 1 : utf8_seq(p, (size_t)(e - p));

		if (k == 0) {
			dh_buf_adds(&fixed, "\xef\xbf\xbd");
			p++;
		} else {
			dh_buf_add(&fixed, p, k);
			p += k;
		}
	}
	dh_json_quote(out, fixed.data ? fixed.data : "", fixed.len, NULL);
	dh_buf_release(&fixed);
}
