#include <string.h>

#include "err.h"
#include "json.h"
#include "reject.h"

void
dh_rejects_init(struct dh_rejects *rj, const char *path)
{
	memset(rj, 0, sizeof(*rj));
	rj->path = path;
}

void
dh_rejects_set_max(struct dh_rejects *rj, unsigned long long max)
{
	rj->max = max;
	rj->has_max = 1;
}

static void
base64(struct dh_buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		dh_buf_addc(b, tab[v >> 18]);
		dh_buf_addc(b, tab[(v >> 12) & 63]);
		dh_buf_addc(b, tab[(v >> 6) & 63]);
		dh_buf_addc(b, tab[v & 63]);
	}
	if (i < n) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);

		dh_buf_addc(b, tab[v >> 18]);
		dh_buf_addc(b, tab[(v >> 12) & 63]);
		dh_buf_addc(b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		dh_buf_addc(b, '=');
	}
}

void
dh_reject(struct dh_rejects *rj, const char *name, unsigned long long line,
	  const char *raw, size_t rawlen, const char *reason)
{
	struct dh_buf b = DH_BUF_INIT;

	if (rj->path == NULL) {
		struct dh_loc loc = {name, line};

		dh_die_at(&loc, "%s", reason);
	}
	if (!rj->open) {
		dh_out_open_path(&rj->out, rj->path, NULL, 1);
		rj->open = 1;
	}
	dh_buf_adds(&b, "{\"file\":");
	if (dh_json_quote(&b, name, strlen(name), NULL) != 0)
		dh_buf_adds(&b, "\"?\"");
	dh_buf_addf(&b, ",\"line\":%llu,\"reason\":", line);
	if (dh_json_quote(&b, reason, strlen(reason), NULL) != 0)
		dh_buf_adds(&b, "\"?\"");
	if (dh_utf8_valid(raw, rawlen, NULL)) {
		dh_buf_adds(&b, ",\"record\":");
		dh_json_quote(&b, raw, rawlen, NULL);
	} else {
		dh_buf_adds(&b, ",\"record_base64\":\"");
		base64(&b, (const unsigned char *)raw, rawlen);
		dh_buf_addc(&b, '"');
	}
	dh_buf_adds(&b, "}\n");
	dh_out_write(&rj->out, b.data, b.len);
	dh_buf_release(&b);
	rj->count++;
	if (rj->has_max && rj->count > rj->max) {
		dh_rejects_close(rj);
		dh_die(DH_EXIT_FAIL, "%s:%llu: too many rejected records (more than --max-rejects %llu); see %s",
		       name, line, rj->max, rj->path);
	}
}

void
dh_rejects_close(struct dh_rejects *rj)
{
	if (!rj->open)
		return;
	dh_out_close(&rj->out);
	rj->open = 0;
	/* said once, so that a run that goes on is not mistaken for clean */
	if (rj->count > 0 && !(rj->has_max && rj->count > rj->max))
		dh_warn("%llu bad record%s written to %s", rj->count,
			rj->count == 1 ? "" : "s", rj->path);
}
