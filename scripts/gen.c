/*
 * gen: a deterministic generator of clickstream events for benchmarks and
 * tests.  gen [-n ROWS] [-f csv|jsonl] [-s SEED] writes ROWS events to
 * standard output.  The same seed and row count give the same bytes, and
 * the CSV and JSON lines outputs of one seed hold the same events.
 *
 * The data carries what real event feeds carry and what dh must cope with:
 * about 3% of records are exact re-deliveries of a recent record, about 1%
 * reuse an earlier event_id with other content, timestamps go forward with
 * jitter and some late arrivals, user agents hold commas and double quotes
 * (so CSV needs quoting), prices are null outside purchases, and the JSON
 * holds a nested object that CSV flattens to fixed dotted columns.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "xalloc.h"

#define USERS 100000
#define DUP_RING 1024	   /* re-deliveries repeat one of these last records */
#define ID_RING 65536	   /* reused event ids come from this far back */
#define REC_MAX 4096	   /* no record renders longer than this */
#define OUT_SIZE (1 << 20) /* stdio buffer: one big fwrite per MiB */
#define SPAN_MS 259200000ULL /* three days of events, whatever ROWS is */
#define BASE_MS 1795132800000ULL /* 2026-11-20T00:00:00Z */

enum fmt { FMT_CSV, FMT_JSONL };

enum etype { VIEW, CLICK, SCROLL, ADD_TO_CART, PURCHASE, LOGIN, LOGOUT };

static const char *const etype_names[] = {
	"view", "click", "scroll", "add_to_cart", "purchase", "login", "logout",
};

/* Weights out of 1000 for events inside a session (login and logout are
 * decided by the session's first and last event). */
static const unsigned etype_weights[] = {430, 300, 170, 70, 30};

static const char *const countries[] = {
	"US", "DE", "GB", "FR", "IN", "BR", "JP", "CA", "ES", "IT",
	"NL", "PL", "SE", "AU", "MX", "KR", "TR", "CH", "NG", "ZA",
};
/* Skewed as traffic is: a few countries carry most of it. */
static const unsigned country_weights[] = {
	300, 100, 90, 70, 70, 60, 50, 50, 35, 30,
	25, 20, 15, 15, 15, 15, 10, 10, 10, 10,
};

static const char *const devices[] = {"mobile", "desktop", "tablet"};
static const unsigned device_weights[] = {550, 380, 70};

/* Real user agents per device; commas are common, double quotes appear in
 * the odd embedded browser and bot. */
static const char *const ua_mobile[] = {
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/119.0.6045.169 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 12; M2101K6G Build/SKQ1.210908.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/442.0.0.35.109;]",
};
static const char *const ua_desktop[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
};
static const char *const ua_tablet[] = {
	"Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Safari/537.36",
	"Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/119.3.1 like Chrome/119.0.6045.193 Safari/537.36",
};
/* The few clients that put double quotes in their user agent. */
static const char *const ua_quoted[] = {
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 308.0.2.18.106 (iPhone14,5; iOS 17_0; en_US; en; scale=3.00; 1170x2532; \"app\")",
	"Mozilla/5.0 (compatible; \"ShopMonitor\"/2.1; +https://monitor.example.com/bot, contact \"ops@example.com\")",
	"\"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"",
};
static const char *const *const uas[] = {ua_mobile, ua_desktop, ua_tablet};
static const unsigned nuas[] = {
	sizeof ua_mobile / sizeof *ua_mobile,
	sizeof ua_desktop / sizeof *ua_desktop,
	sizeof ua_tablet / sizeof *ua_tablet,
};

static const char *const referrers[] = {
	"https://www.google.com/",
	"https://www.google.com/search?q=running+shoes",
	"https://www.bing.com/search?q=usb-c+cable&form=QBLH",
	"https://t.co/x7Kq2LmZpA",
	"https://www.facebook.com/",
	"https://l.instagram.com/?u=https%3A%2F%2Fshop.example.com%2F&e=AT0",
	"https://news.ycombinator.com/item?id=38412345",
	"https://duckduckgo.com/",
	"https://shop.example.com/category/shoes?sort=price_asc",
	"https://mail.example.org/",
};

static const char *const categories[] = {
	"shoes", "electronics", "books", "garden", "toys", "kitchen", "sports",
	"beauty",
};
static const char *const search_terms[] = {
	"red+shoes", "usb-c%20cable", "gift+ideas", "lego", "coffee+grinder",
	"yoga%20mat", "4k+monitor", "running+shoes+men",
};
static const char *const refs[] = {"home", "search", "recs", "email", "ads"};
static const char *const sorts[] = {"price_asc", "price_desc", "new", "top"};

static const char *const buttons[] = {
	"primary", "secondary", "link", "icon", "cta", "add-to-cart",
};
static const char *const tags[] = {
	"promo", "new", "sale", "featured", "mobile", "hero", "footer", "nav",
	"recommended", "bestseller", "banner", "sidebar",
};

#define NELEM(a) (sizeof(a) / sizeof *(a))

/* xoshiro256**, seeded through splitmix64 as its authors recommend. */
struct rng {
	uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static void
rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n) for n < 2^32, by multiply-shift (no modulo bias worth
 * the name at these sizes). */
static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static unsigned
rng_weighted(struct rng *r, const unsigned *w, unsigned n)
{
	unsigned total = 0, i, x;

	for (i = 0; i < n; i++)
		total += w[i];
	x = rng_below(r, total);
	for (i = 0; i + 1 < n && x >= w[i]; i++)
		x -= w[i];
	return i;
}

/* A session in progress: events of one user arrive in bursts. */
struct session {
	uint32_t user;
	uint32_t left; /* events still to come, the current one included */
	uint64_t id;
	int first;
};

/* A record under construction; fixed size because every field is bounded. */
struct rec {
	char b[REC_MAX];
	size_t n;
};

struct gen {
	struct rng rng;
	enum fmt fmt;
	unsigned long long rows;
	struct session *sessions;
	uint32_t nsessions;
	uint64_t (*ids)[2];	/* ring of recent event ids */
	struct rec *dups;	/* ring of recent records */
	unsigned long long ndone;
	struct rec r;
	uint64_t uid_seed;	/* per-user attributes hash from this */
};

static void
put(struct rec *r, const char *s, size_t n)
{
	memcpy(r->b + r->n, s, n);
	r->n += n;
}

static void
put_s(struct rec *r, const char *s)
{
	put(r, s, strlen(s));
}

static void
put_c(struct rec *r, char c)
{
	r->b[r->n++] = c;
}

static void
put_uint(struct rec *r, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(r, tmp + i, sizeof tmp - i);
}

/* v in exactly width digits, zero-padded. */
static void
put_pad(struct rec *r, unsigned long long v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		r->b[r->n + i] = (char)('0' + v % 10);
		v /= 10;
	}
	r->n += width;
}

static void
put_hex(struct rec *r, uint64_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = digits - 1; i >= 0; i--) {
		r->b[r->n + i] = hex[v & 15];
		v >>= 4;
	}
	r->n += digits;
}

/* The field as RFC 4180 wants it: quoted only when it must be. */
static void
put_csv(struct rec *r, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			break;
	if (i == n) {
		put(r, s, n);
		return;
	}
	put_c(r, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			put_c(r, '"');
		put_c(r, s[i]);
	}
	put_c(r, '"');
}

static void
put_json(struct rec *r, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	put_c(r, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			put_c(r, '\\');
			put_c(r, (char)c);
		} else if (c < 0x20) {
			put_s(r, "\\u00");
			put_c(r, hex[c >> 4]);
			put_c(r, hex[c & 15]);
		} else {
			put_c(r, (char)c);
		}
	}
	put_c(r, '"');
}

static void
days_to_civil(long long z, int *y, unsigned *m, unsigned *d)
{
	/* Howard Hinnant's days_from_civil inverse, exact for the proleptic
	 * Gregorian calendar. */
	long long era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (long long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

/* The values of one event, each already rendered as plain text; the
 * writer adds quoting. */
struct event {
	char id[33];
	char user[8];
	char session[18];
	const char *type;
	char ts[25];
	char epoch[21];
	struct rec url;
	const char *referrer;
	const char *country;
	const char *device;
	char price[16];		/* empty: none */
	const char *ua;
	const char *button;
	struct rec x, y;
	const char *tag[2];
};

static void
render_time(struct event *e, uint64_t ms, uint32_t subms_ns)
{
	struct rec t;
	int y;
	unsigned mo, d;
	uint64_t secs = ms / 1000, sod = secs % 86400;

	days_to_civil((long long)(secs / 86400), &y, &mo, &d);
	t.n = 0;
	put_pad(&t, (unsigned)y, 4);
	put_c(&t, '-');
	put_pad(&t, mo, 2);
	put_c(&t, '-');
	put_pad(&t, d, 2);
	put_c(&t, 'T');
	put_pad(&t, sod / 3600, 2);
	put_c(&t, ':');
	put_pad(&t, sod / 60 % 60, 2);
	put_c(&t, ':');
	put_pad(&t, sod % 60, 2);
	put_c(&t, '.');
	put_pad(&t, ms % 1000, 3);
	put_c(&t, 'Z');
	memcpy(e->ts, t.b, t.n);
	e->ts[t.n] = '\0';

	/* Devices send nanoseconds; ts is that time truncated to the ms. */
	t.n = 0;
	put_uint(&t, secs);
	put_c(&t, '.');
	put_pad(&t, ms % 1000, 3);
	put_pad(&t, subms_ns, 6);
	memcpy(e->epoch, t.b, t.n);
	e->epoch[t.n] = '\0';
}

static void
render_url(struct gen *g, struct event *e, enum etype type)
{
	struct rng *r = &g->rng;
	struct rec *u = &e->url;
	unsigned k;

	u->n = 0;
	if (type == PURCHASE) {
		put_s(u, "/checkout/confirm?order=");
		put_uint(u, 100000000 + rng_below(r, 900000000));
		return;
	}
	if (type == ADD_TO_CART) {
		put_s(u, "/cart/add?product=");
		put_uint(u, 1000 + rng_below(r, 90000));
		put_s(u, "&qty=");
		put_uint(u, 1 + rng_below(r, 3));
		return;
	}
	if (type == LOGIN || type == LOGOUT) {
		put_s(u, type == LOGIN ? "/account/login?next=%2F" :
					 "/account/logout");
		return;
	}
	k = rng_below(r, 100);
	if (k < 8) {
		put_c(u, '/');
	} else if (k < 45) {
		put_s(u, "/products/");
		put_uint(u, 1000 + rng_below(r, 90000));
		put_s(u, "?ref=");
		put_s(u, refs[rng_below(r, NELEM(refs))]);
	} else if (k < 65) {
		put_s(u, "/category/");
		put_s(u, categories[rng_below(r, NELEM(categories))]);
		put_s(u, "?sort=");
		put_s(u, sorts[rng_below(r, NELEM(sorts))]);
		put_s(u, "&page=");
		put_uint(u, 1 + rng_below(r, 12));
	} else if (k < 82) {
		put_s(u, "/search?q=");
		put_s(u, search_terms[rng_below(r, NELEM(search_terms))]);
		put_s(u, "&page=");
		put_uint(u, 1 + rng_below(r, 5));
	} else if (k < 90) {
		put_s(u, "/cart");
	} else if (k < 95) {
		/* Unencoded commas, as real sites send them: CSV must quote. */
		put_s(u, "/compare?ids=");
		put_uint(u, 1000 + rng_below(r, 90000));
		put_c(u, ',');
		put_uint(u, 1000 + rng_below(r, 90000));
	} else {
		put_s(u, "/checkout?step=");
		put_uint(u, 1 + rng_below(r, 3));
	}
	if (rng_below(r, 10) == 0)
		put_s(u, k < 8 || (k >= 82 && k < 90) ?
				 "?utm_source=newsletter&utm_campaign=bf2026" :
				 "&utm_source=newsletter&utm_campaign=bf2026");
}

/* A new session for a user drawn with a mild skew toward low ids, so that
 * some users are busier than others yet nearly all of them show up. */
static void
session_new(struct gen *g, struct session *s)
{
	uint64_t u = rng_next(&g->rng) >> 40;	/* 24 bits */
	uint64_t sq = u * u >> 24;		/* skewed, still 24 bits */

	s->user = (uint32_t)((sq * USERS) >> 24);
	s->id = rng_next(&g->rng);
	s->left = 1 + rng_below(&g->rng, 8) + rng_below(&g->rng, 16) *
						  (rng_below(&g->rng, 4) == 0);
	s->first = 1;
}

/* Attributes fixed for a user: country, device and browser. */
static void
user_attrs(struct gen *g, uint32_t user, struct event *e)
{
	struct rng ur;
	unsigned dev;

	rng_seed(&ur, g->uid_seed ^ ((uint64_t)user * 0x9e3779b97f4a7c15ULL));
	e->country = countries[rng_weighted(&ur, country_weights,
					    NELEM(country_weights))];
	dev = rng_weighted(&ur, device_weights, NELEM(device_weights));
	e->device = devices[dev];
	if (rng_below(&ur, 100) < 2)
		e->ua = ua_quoted[rng_below(&ur, NELEM(ua_quoted))];
	else
		e->ua = uas[dev][rng_below(&ur, nuas[dev])];
}

static void
make_event(struct gen *g, struct event *e, unsigned long long i)
{
	struct rng *r = &g->rng;
	struct session *s = &g->sessions[rng_below(r, g->nsessions)];
	enum etype type;
	uint64_t ms, a, b;
	unsigned t0, t1, x, y;

	if (s->left == 0)
		session_new(g, s);

	/* About 1% reuse an earlier id: a client bug, not a re-delivery. */
	if (g->ndone > 0 && rng_below(r, 100) == 0) {
		unsigned long long back = g->ndone < ID_RING ? g->ndone : ID_RING;
		unsigned long long j = g->ndone - 1 - rng_below(r, (uint32_t)back);

		a = g->ids[j % ID_RING][0];
		b = g->ids[j % ID_RING][1];
	} else {
		a = rng_next(r);
		b = rng_next(r);
	}
	g->ids[g->ndone % ID_RING][0] = a;
	g->ids[g->ndone % ID_RING][1] = b;
	g->ndone++;
	{
		struct rec t;

		t.n = 0;
		put_hex(&t, a, 16);
		put_hex(&t, b, 16);
		memcpy(e->id, t.b, 32);
		e->id[32] = '\0';
		t.n = 0;
		put_c(&t, 'u');
		put_pad(&t, s->user, 6);
		memcpy(e->user, t.b, t.n);
		e->user[t.n] = '\0';
		t.n = 0;
		put_c(&t, 's');
		put_hex(&t, s->id, 16);
		memcpy(e->session, t.b, t.n);
		e->session[t.n] = '\0';
	}

	if (s->first && rng_below(r, 5) == 0)
		type = LOGIN;
	else if (s->left == 1 && !s->first && rng_below(r, 4) == 0)
		type = LOGOUT;
	else
		type = (enum etype)rng_weighted(r, etype_weights,
						NELEM(etype_weights));
	s->first = 0;
	s->left--;
	e->type = etype_names[type];

	/* Forward over SPAN_MS with jitter; one in 200 arrives minutes late. */
	ms = BASE_MS + SPAN_MS * i / g->rows + rng_below(r, 2000);
	if (rng_below(r, 200) == 0)
		ms -= rng_below(r, 300000);
	render_time(e, ms, rng_below(r, 1000000));

	render_url(g, e, type);
	e->referrer = rng_below(r, 10) < 3 ?
			      "" :
			      referrers[rng_below(r, NELEM(referrers))];
	user_attrs(g, s->user, e);

	e->price[0] = '\0';
	if (type == PURCHASE || type == ADD_TO_CART) {
		struct rec t;
		uint32_t cents = rng_below(r, 5) == 0 ?
					 99 + rng_below(r, 150000) :
					 99 + rng_below(r, 10000);

		t.n = 0;
		put_uint(&t, cents / 100);
		put_c(&t, '.');
		put_pad(&t, cents % 100, 2);
		memcpy(e->price, t.b, t.n);
		e->price[t.n] = '\0';
	}

	e->button = type == CLICK ? buttons[rng_below(r, NELEM(buttons))] :
				    "none";
	x = rng_below(r, 1920);
	y = rng_below(r, 6000);
	e->x.n = e->y.n = 0;
	put_uint(&e->x, x);
	put_uint(&e->y, y);
	/* Touch screens report half pixels: numbers are not all integers. */
	if (e->device[0] == 'm' && rng_below(r, 2) == 0) {
		put_s(&e->x, ".5");
		put_s(&e->y, ".5");
	}
	t0 = rng_below(r, NELEM(tags));
	t1 = (t0 + 1 + rng_below(r, NELEM(tags) - 1)) % NELEM(tags);
	e->tag[0] = tags[t0];
	e->tag[1] = tags[t1];
}

static void
csv_str(struct rec *r, const char *s)
{
	put_csv(r, s, strlen(s));
}

static void
render_csv(struct rec *r, const struct event *e)
{
	r->n = 0;
	put(r, e->id, 32);
	put_c(r, ',');
	put_s(r, e->user);
	put_c(r, ',');
	put_s(r, e->session);
	put_c(r, ',');
	put_s(r, e->type);
	put_c(r, ',');
	put_s(r, e->ts);
	put_c(r, ',');
	put_s(r, e->epoch);
	put_c(r, ',');
	put_csv(r, e->url.b, e->url.n);
	put_c(r, ',');
	csv_str(r, e->referrer);
	put_c(r, ',');
	put_s(r, e->country);
	put_c(r, ',');
	put_s(r, e->device);
	put_c(r, ',');
	put_s(r, e->price);
	put_c(r, ',');
	csv_str(r, e->ua);
	put_c(r, ',');
	csv_str(r, e->button);
	put_c(r, ',');
	put(r, e->x.b, e->x.n);
	put_c(r, ',');
	put(r, e->y.b, e->y.n);
	put_c(r, ',');
	csv_str(r, e->tag[0]);
	put_c(r, ',');
	csv_str(r, e->tag[1]);
	put_c(r, '\n');
}

static void
json_str(struct rec *r, const char *key, const char *s)
{
	put_s(r, key);
	put_json(r, s, strlen(s));
}

static void
render_jsonl(struct rec *r, const struct event *e)
{
	r->n = 0;
	json_str(r, "{\"event_id\":", e->id);
	json_str(r, ",\"user_id\":", e->user);
	json_str(r, ",\"session_id\":", e->session);
	json_str(r, ",\"event_type\":", e->type);
	json_str(r, ",\"ts\":", e->ts);
	json_str(r, ",\"ts_epoch\":", e->epoch);
	put_s(r, ",\"url\":");
	put_json(r, e->url.b, e->url.n);
	json_str(r, ",\"referrer\":", e->referrer);
	json_str(r, ",\"country\":", e->country);
	json_str(r, ",\"device\":", e->device);
	put_s(r, ",\"price\":");
	put_s(r, e->price[0] ? e->price : "null");
	json_str(r, ",\"user_agent\":", e->ua);
	json_str(r, ",\"event_details\":{\"button_type\":", e->button);
	put_s(r, ",\"position\":{\"x\":");
	put(r, e->x.b, e->x.n);
	put_s(r, ",\"y\":");
	put(r, e->y.b, e->y.n);
	json_str(r, "},\"tags\":[", e->tag[0]);
	put_c(r, ',');
	put_json(r, e->tag[1], strlen(e->tag[1]));
	put_s(r, "]}}\n");
}

static const char csv_header[] =
	"event_id,user_id,session_id,event_type,ts,ts_epoch,url,referrer,"
	"country,device,price,user_agent,event_details.button_type,"
	"event_details.position.x,event_details.position.y,"
	"event_details.tags.0,event_details.tags.1\n";

static void
out_write(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		dh_die_errno(DH_EXIT_IO, "write error");
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s [-n ROWS] [-f csv|jsonl] [-s SEED]\n",
		dh_progname());
	exit(DH_EXIT_USAGE);
}

static unsigned long long
number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		usage();
	v = strtoull(s, &end, 10);
	if (errno || *end)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	struct gen *g;
	struct event *e;
	unsigned long long i, seed = 1;
	uint64_t sm;
	char *obuf;
	int c;

	dh_err_init(argv[0]);
	g = dh_xcalloc(1, sizeof *g);
	g->rows = 1000;
	g->fmt = FMT_CSV;
	while ((c = getopt(argc, argv, "n:f:s:")) != -1) {
		switch (c) {
		case 'n':
			g->rows = number(optarg);
			break;
		case 'f':
			if (strcmp(optarg, "csv") == 0)
				g->fmt = FMT_CSV;
			else if (strcmp(optarg, "jsonl") == 0)
				g->fmt = FMT_JSONL;
			else
				usage();
			break;
		case 's':
			seed = number(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	obuf = dh_xmalloc(OUT_SIZE);
	if (setvbuf(stdout, obuf, _IOFBF, OUT_SIZE) != 0)
		dh_die(DH_EXIT_IO, "setvbuf failed");

	rng_seed(&g->rng, seed);
	sm = seed ^ 0x5deece66dULL;
	g->uid_seed = splitmix64(&sm);
	/* Enough concurrent sessions that each lasts minutes of event time. */
	g->nsessions = (uint32_t)(g->rows / 200);
	if (g->nsessions < 16)
		g->nsessions = 16;
	if (g->nsessions > 2048)
		g->nsessions = 2048;
	g->sessions = dh_xcalloc(g->nsessions, sizeof *g->sessions);
	g->ids = dh_xcalloc(ID_RING, sizeof *g->ids);
	g->dups = dh_xcalloc(DUP_RING, sizeof *g->dups);
	e = dh_xcalloc(1, sizeof *e);

	if (g->fmt == FMT_CSV)
		out_write(csv_header, sizeof csv_header - 1);
	for (i = 0; i < g->rows; i++) {
		struct rec *slot = &g->dups[i % DUP_RING];

		/* A re-delivery: the same bytes as one of the last records. */
		if (i > 0 && rng_below(&g->rng, 100) < 3) {
			unsigned long long back = i < DUP_RING ? i : DUP_RING;
			unsigned long long j =
				i - 1 - rng_below(&g->rng, (uint32_t)back);
			const struct rec *old = &g->dups[j % DUP_RING];

			out_write(old->b, old->n);
			/* Keep it in the ring so that re-deliveries repeat. */
			if (slot != old) {
				memcpy(slot->b, old->b, old->n);
				slot->n = old->n;
			}
			continue;
		}
		make_event(g, e, i);
		if (g->fmt == FMT_CSV)
			render_csv(slot, e);
		else
			render_jsonl(slot, e);
		out_write(slot->b, slot->n);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		dh_die_errno(DH_EXIT_IO, "write error");
	if (fclose(stdout) != 0)
		dh_die_errno(DH_EXIT_IO, "write error");
	free(e);
	free(g->dups);
	free(g->ids);
	free(g->sessions);
	free(g);
	free(obuf);
	return 0;
}
