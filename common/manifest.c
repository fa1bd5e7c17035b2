#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "manifest.h"
#include "publish.h"
#include "xalloc.h"

void
dh_manifest_add_file(struct dh_manifest *m, const char *name,
		     unsigned long long bytes, unsigned long long records,
		     const char *xxh128)
{
	struct dh_manifest_file *f;

	m->files = dh_xreallocarray(m->files, m->nfiles + 1, sizeof(*m->files));
	f = &m->files[m->nfiles++];
	f->name = dh_xstrdup(name);
	f->bytes = bytes;
	f->records = records;
	snprintf(f->xxh128, sizeof(f->xxh128), "%s", xxh128);
	f->source = NULL;
	f->source_bytes = 0;
	f->source_xxh128[0] = '\0';
	f->follow = 0;
	f->follow_from = f->follow_to = f->follow_seq = 0;
	f->follow_head[0] = '\0';
}

void
dh_manifest_copy_file(struct dh_manifest *m, const struct dh_manifest_file *f)
{
	dh_manifest_add_file(m, f->name, f->bytes, f->records, f->xxh128);
	if (f->source != NULL)
		dh_manifest_set_source(m, f->source, f->source_bytes, f->source_xxh128);
	if (f->follow)
		dh_manifest_set_follow(m, f->follow_from, f->follow_to, f->follow_seq,
				       f->follow_head);
}

void
dh_manifest_set_follow(struct dh_manifest *m, unsigned long long from,
		       unsigned long long to, unsigned long long seq,
		       const char *head)
{
	struct dh_manifest_file *f = &m->files[m->nfiles - 1];

	f->follow = 1;
	f->follow_from = from;
	f->follow_to = to;
	f->follow_seq = seq;
	snprintf(f->follow_head, sizeof(f->follow_head), "%s", head);
}

void
dh_manifest_set_source(struct dh_manifest *m, const char *source,
		       unsigned long long bytes, const char *xxh128)
{
	struct dh_manifest_file *f = &m->files[m->nfiles - 1];

	free(f->source);
	f->source = dh_xstrdup(source);
	f->source_bytes = bytes;
	snprintf(f->source_xxh128, sizeof(f->source_xxh128), "%s", xxh128);
}

void
dh_manifest_add_input(struct dh_manifest *m, const char *path, int partition,
		      unsigned long long bytes, const char *xxh128)
{
	struct dh_manifest_input *in;

	m->inputs = dh_xreallocarray(m->inputs, m->ninputs + 1, sizeof(*m->inputs));
	in = &m->inputs[m->ninputs++];
	in->path = dh_xstrdup(path);
	in->partition = partition;
	in->bytes = bytes;
	snprintf(in->xxh128, sizeof(in->xxh128), "%s", xxh128);
}

static json_t *
jstr(const char *s)
{
	/* json_string refuses invalid UTF-8: names here are checked before */
	json_t *j = json_string(s != NULL ? s : "");

	if (j == NULL)
		dh_die(DH_EXIT_DATA, "not valid UTF-8 in a manifest: %s", s);
	return j;
}

char *
dh_manifest_dump(const struct dh_manifest *m, size_t *len)
{
	json_t *o = json_object(), *files = json_array(), *inputs = json_array();
	json_t *cmd = json_array();
	unsigned long long records = 0, bytes = 0;
	size_t i;
	char *text;
	struct dh_buf b = DH_BUF_INIT;

	for (i = 0; i < m->nfiles; i++) {
		json_t *f = json_object();

		json_object_set_new(f, "name", jstr(m->files[i].name));
		json_object_set_new(f, "bytes", json_integer((json_int_t)m->files[i].bytes));
		json_object_set_new(f, "records", json_integer((json_int_t)m->files[i].records));
		json_object_set_new(f, "xxh128", jstr(m->files[i].xxh128));
		if (m->files[i].source != NULL) {
			json_t *src = json_object();

			json_object_set_new(src, "name", jstr(m->files[i].source));
			json_object_set_new(src, "bytes", json_integer((json_int_t)m->files[i].source_bytes));
			json_object_set_new(src, "xxh128", jstr(m->files[i].source_xxh128));
			if (m->files[i].follow) {
				json_t *fo = json_object();

				json_object_set_new(fo, "from", json_integer((json_int_t)m->files[i].follow_from));
				json_object_set_new(fo, "to", json_integer((json_int_t)m->files[i].follow_to));
				json_object_set_new(fo, "seq", json_integer((json_int_t)m->files[i].follow_seq));
				json_object_set_new(fo, "head_xxh128", jstr(m->files[i].follow_head));
				json_object_set_new(src, "follow", fo);
			}
			json_object_set_new(f, "source", src);
		}
		json_array_append_new(files, f);
		records += m->files[i].records;
		bytes += m->files[i].bytes;
	}
	for (i = 0; i < m->ninputs; i++) {
		json_t *in = json_object();

		json_object_set_new(in, "path", jstr(m->inputs[i].path));
		if (m->inputs[i].partition) {
			json_object_set_new(in, "manifest_xxh128", jstr(m->inputs[i].xxh128));
		} else {
			json_object_set_new(in, "bytes", json_integer((json_int_t)m->inputs[i].bytes));
			json_object_set_new(in, "xxh128", jstr(m->inputs[i].xxh128));
		}
		json_array_append_new(inputs, in);
	}
	for (i = 0; i < m->ncommand; i++)
		json_array_append_new(cmd, jstr(m->command[i]));
	json_object_set_new(o, "dh_manifest", json_integer(1));
	json_object_set_new(o, "table", jstr(m->table));
	json_object_set_new(o, "partition", jstr(m->partition));
	json_object_set_new(o, "format", jstr(m->format));
	json_object_set_new(o, "compression", m->compression ? jstr(m->compression) : json_null());
	json_object_set_new(o, "files", files);
	json_object_set_new(o, "records", json_integer((json_int_t)records));
	json_object_set_new(o, "bytes", json_integer((json_int_t)bytes));
	json_object_set_new(o, "inputs", inputs);
	json_object_set_new(o, "command", cmd);
	json_object_set_new(o, "created", jstr(m->created));
	json_object_set_new(o, "dh_version", jstr(DH_VERSION));
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		dh_die(DH_EXIT_IO, "out of memory (manifest)");
	dh_buf_adds(&b, text);
	dh_buf_addc(&b, '\n');
	free(text);
	return dh_buf_detach(&b, len);
}

static int
plain_name(const char *s)
{
	return s[0] != '\0' && s[0] != '.' && s[0] != '_' && strchr(s, '/') == NULL;
}

static char *
get_str(json_t *o, const char *key, int required, struct dh_buf *err)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		if (required)
			dh_buf_addf(err, "field \"%s\" is missing", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		dh_buf_addf(err, "field \"%s\" is not a string", key);
		return NULL;
	}
	return dh_xmemdup(json_string_value(v), json_string_length(v));
}

/* A hash: the 32 characters of an xxh128, which the fixed-size fields
 * hold whole (a cut one could end inside a UTF-8 character). */
static char *
get_hash(json_t *o, const char *key, struct dh_buf *err)
{
	char *h = get_str(o, key, 1, err);

	if (h != NULL && strlen(h) != DH_HASH_HEX - 1) {
		dh_buf_addf(err, "field \"%s\" is not 32 hex digits", key);
		free(h);
		return NULL;
	}
	return h;
}

static int
get_count(json_t *o, const char *key, unsigned long long *out, struct dh_buf *err)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		dh_buf_addf(err, "field \"%s\" is not a count", key);
		return -1;
	}
	*out = (unsigned long long)json_integer_value(v);
	return 0;
}

int
dh_manifest_load(const char *path, struct dh_manifest *m, struct dh_buf *err)
{
	struct dh_buf b = DH_BUF_INIT;
	int rc;

	if (dh_slurp(AT_FDCWD, path, &b, DH_MANIFEST_MAX) != 0) {
		int e = errno;

		memset(m, 0, sizeof(*m));
		if (e == EFBIG)
			dh_buf_addf(err, "more than %zu MiB, larger than any manifest dh writes",
				    DH_MANIFEST_MAX >> 20);
		else if (e == ELOOP)
			dh_buf_adds(err, "a symbolic link (never followed)");
		else
			dh_buf_adds(err, strerror(e));
		dh_buf_release(&b);
		errno = e;
		return e == EFBIG || e == ELOOP ? -1 : -2;
	}
	rc = dh_manifest_parse(b.data, b.len, path, m, err);
	dh_buf_release(&b);
	return rc;
}

int
dh_manifest_parse(const char *p, size_t n, const char *path, struct dh_manifest *m,
		  struct dh_buf *err)
{
	json_error_t je;
	json_t *o, *files, *inputs, *cmd, *v;
	size_t i;
	unsigned long long sum_records = 0, sum_bytes = 0;

	memset(m, 0, sizeof(*m));
	(void)path;
	o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		dh_buf_addf(err, "line %d: %s", je.line, je.text);
		return -1;
	}
	v = json_object_get(o, "dh_manifest");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		dh_buf_adds(err, "not a version 1 manifest");
		goto fail;
	}
	if ((m->table = get_str(o, "table", 1, err)) == NULL ||
	    (m->partition = get_str(o, "partition", 1, err)) == NULL ||
	    (m->format = get_str(o, "format", 1, err)) == NULL)
		goto fail;
	m->compression = get_str(o, "compression", 0, err);
	if (err->len)
		goto fail;
	if (json_object_get(o, "records") != NULL || json_object_get(o, "bytes") != NULL) {
		if (get_count(o, "records", &m->records, err) || get_count(o, "bytes", &m->bytes, err))
			goto fail;
		m->has_totals = 1;
	}
	files = json_object_get(o, "files");
	if (!json_is_array(files)) {
		dh_buf_adds(err, "field \"files\" is not an array");
		goto fail;
	}
	for (i = 0; i < json_array_size(files); i++) {
		json_t *f = json_array_get(files, i);
		char *name = get_str(f, "name", 1, err), *h;
		unsigned long long bytes, records;

		if (name == NULL)
			goto fail;
		if (!plain_name(name)) {
			dh_buf_addf(err, "file name \"%s\" is not a plain name in the partition", name);
			free(name);
			goto fail;
		}
		h = get_str(f, "xxh128", 1, err);
		if (h == NULL || strlen(h) != 32 || get_count(f, "bytes", &bytes, err) ||
		    get_count(f, "records", &records, err)) {
			if (h != NULL && strlen(h) != 32 && err->len == 0)
				dh_buf_adds(err, "field \"xxh128\" is not 32 hex digits");
			free(name);
			free(h);
			goto fail;
		}
		/* the totals a dump writes must be counts too */
		if (records > (unsigned long long)LLONG_MAX - sum_records ||
		    bytes > (unsigned long long)LLONG_MAX - sum_bytes) {
			dh_buf_adds(err, "the files' records or bytes add up to more than a count holds");
			free(name);
			free(h);
			goto fail;
		}
		sum_records += records;
		sum_bytes += bytes;
		dh_manifest_add_file(m, name, bytes, records, h);
		free(name);
		free(h);
		{
			json_t *src = json_object_get(f, "source");
			char *sn, *sh;
			unsigned long long sb;

			if (json_is_object(src)) {
				sn = get_str(src, "name", 1, err);
				sh = get_hash(src, "xxh128", err);
				if (sn == NULL || sh == NULL || get_count(src, "bytes", &sb, err)) {
					free(sn);
					free(sh);
					goto fail;
				}
				dh_manifest_set_source(m, sn, sb, sh);
				free(sn);
				free(sh);
				if (json_is_object(json_object_get(src, "follow"))) {
					json_t *fo = json_object_get(src, "follow");
					unsigned long long from, to, seq;
					char *hh = get_hash(fo, "head_xxh128", err);

					if (hh == NULL || get_count(fo, "from", &from, err) ||
					    get_count(fo, "to", &to, err) ||
					    get_count(fo, "seq", &seq, err)) {
						free(hh);
						goto fail;
					}
					dh_manifest_set_follow(m, from, to, seq, hh);
					free(hh);
				}
			}
		}
	}
	inputs = json_object_get(o, "inputs");
	for (i = 0; json_is_array(inputs) && i < json_array_size(inputs); i++) {
		json_t *in = json_array_get(inputs, i);
		char *p = get_str(in, "path", 1, err), *h;
		unsigned long long bytes = 0;
		int part = json_object_get(in, "manifest_xxh128") != NULL;

		if (p == NULL)
			goto fail;
		h = get_hash(in, part ? "manifest_xxh128" : "xxh128", err);
		if (h == NULL || (!part && get_count(in, "bytes", &bytes, err))) {
			free(p);
			free(h);
			goto fail;
		}
		dh_manifest_add_input(m, p, part, bytes, h);
		free(p);
		free(h);
	}
	cmd = json_object_get(o, "command");
	for (i = 0; json_is_array(cmd) && i < json_array_size(cmd); i++) {
		json_t *c = json_array_get(cmd, i);

		if (!json_is_string(c))
			continue;
		m->command = dh_xreallocarray(m->command, m->ncommand + 1, sizeof(*m->command));
		m->command[m->ncommand++] = dh_xstrdup(json_string_value(c));
	}
	v = json_object_get(o, "created");
	if (json_is_string(v)) {
		const char *c = json_string_value(v);
		size_t k = strlen(c);

		/* a longer one is cut, never inside a UTF-8 character */
		if (k >= sizeof(m->created))
			for (k = sizeof(m->created) - 1;
			     k > 0 && ((unsigned char)c[k] & 0xc0) == 0x80; k--)
				;
		memcpy(m->created, c, k);
		m->created[k] = '\0';
	}
	json_decref(o);
	return 0;
fail:
	json_decref(o);
	dh_manifest_release(m);
	return -1;
}

void
dh_manifest_release(struct dh_manifest *m)
{
	size_t i;

	for (i = 0; i < m->nfiles; i++) {
		free(m->files[i].name);
		free(m->files[i].source);
	}
	for (i = 0; i < m->ninputs; i++)
		free(m->inputs[i].path);
	for (i = 0; i < m->ncommand; i++)
		free(m->command[i]);
	free(m->files);
	free(m->inputs);
	free(m->command);
	free(m->table);
	free(m->partition);
	free(m->format);
	free(m->compression);
	memset(m, 0, sizeof(*m));
}

char **
dh_partition_files(const char *dir, int allow_incomplete, size_t *n,
		   char **format)
{
	struct dh_buf p = DH_BUF_INIT, err = DH_BUF_INIT;
	struct dh_manifest m;
	char **files;
	size_t i;
	int rc;

	dh_buf_addf(&p, "%s/_MANIFEST", dir);
	if (access(p.data, F_OK) != 0)
		dh_die(DH_EXIT_IO, "%s: is a directory, not a partition (it has no _MANIFEST)", dir);
	dh_buf_reset(&p);
	dh_buf_addf(&p, "%s/_SUCCESS", dir);
	if (access(p.data, F_OK) != 0 && !allow_incomplete)
		dh_die(DH_EXIT_DATA, "%s: the partition is incomplete: it has no _SUCCESS (use --allow-incomplete to read it anyway)",
		       dir);
	dh_buf_reset(&p);
	dh_buf_addf(&p, "%s/_MANIFEST", dir);
	if ((rc = dh_manifest_load(p.data, &m, &err)) != 0)
		dh_die(rc == -2 ? DH_EXIT_IO : DH_EXIT_DATA, "%s: %s", p.data, err.data);
	files = dh_xreallocarray(NULL, m.nfiles + 1, sizeof(*files));
	for (i = 0; i < m.nfiles; i++) {
		dh_buf_reset(&p);
		dh_buf_addf(&p, "%s/%s", dir, m.files[i].name);
		files[i] = dh_buf_detach(&p, NULL);
	}
	files[m.nfiles] = NULL;
	*n = m.nfiles;
	*format = dh_xstrdup(m.format);
	dh_manifest_release(&m);
	dh_buf_release(&p);
	dh_buf_release(&err);
	return files;
}

char **
dh_inputs_expand(char **args, size_t nargs, int allow_incomplete, size_t *n)
{
	char **out = NULL;
	size_t i, k = 0;

	for (i = 0; i < (nargs ? nargs : 1); i++) {
		const char *a = nargs ? args[i] : "-";
		struct stat st;

		if (strcmp(a, "-") != 0 && stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
			size_t nf, j;
			char *fmt;
			char **files = dh_partition_files(a, allow_incomplete, &nf, &fmt);

			free(fmt);
			out = dh_xreallocarray(out, k + nf + 1, sizeof(*out));
			for (j = 0; j < nf; j++)
				out[k++] = files[j];
			free(files);
			continue;
		}
		out = dh_xreallocarray(out, k + 2, sizeof(*out));
		out[k++] = dh_xstrdup(a);
	}
	if (out == NULL)
		out = dh_xcalloc(1, sizeof(*out));
	out[k] = NULL;
	*n = k;
	return out;
}

void
dh_time_now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The checks member, as dh_manifest_set_checks() writes it: a top-level
 * member on a line of its own after the last one.  Nothing else in a
 * manifest dh writes starts a line with it (nested lines are indented
 * further, and strings hold no raw newline). */
static const char checks_mark[] = ",\n  \"checks\": [";

static size_t
without_checks(const char *p, size_t n)
{
	size_t i, ml = sizeof(checks_mark) - 1;

	for (i = 0; i + ml <= n; i++)
		if (p[i] == ',' && memcmp(p + i, checks_mark, ml) == 0)
			return i;
	return n;
}

void
dh_manifest_hash(const char *p, size_t n, char hex[DH_HASH_HEX])
{
	size_t cut = without_checks(p, n);
	struct dh_buf b = DH_BUF_INIT;

	if (cut == n) {
		dh_hash_bytes(p, n, hex);
		return;
	}
	dh_buf_add(&b, p, cut);
	dh_buf_adds(&b, "\n}\n");
	dh_hash_bytes(b.data, b.len, hex);
	dh_buf_release(&b);
}

int
dh_manifest_hash_file(const char *path, char hex[DH_HASH_HEX])
{
	struct dh_buf b = DH_BUF_INIT;
	int rc = dh_slurp(AT_FDCWD, path, &b, DH_MANIFEST_MAX);

	if (rc == 0)
		dh_manifest_hash(b.data ? b.data : "", b.len, hex);
	dh_buf_release(&b);
	return rc;
}

int
dh_manifest_set_checks(const char *dir, char *const *checks, size_t n, struct dh_buf *err)
{
	struct dh_buf path = DH_BUF_INIT, old = DH_BUF_INIT, out = DH_BUF_INIT;
	json_t *o = NULL, *prev;
	json_error_t je;
	size_t cut, i, j, added = 0;
	int rc = -1;

	dh_buf_addf(&path, "%s/_MANIFEST", dir);
	if (dh_slurp(AT_FDCWD, path.data, &old, DH_MANIFEST_MAX) != 0) {
		dh_buf_addf(err, "%s: %s", path.data, strerror(errno));
		goto done;
	}
	o = json_loadb(old.data ? old.data : "", old.len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		dh_buf_addf(err, "%s: line %d: %s", path.data, je.line, je.text);
		goto done;
	}
	cut = without_checks(old.data, old.len);
	if (cut == old.len) {
		/* no checks yet: the manifest ends "\n}\n" */
		if (old.len < 3 || memcmp(old.data + old.len - 3, "\n}\n", 3) != 0) {
			dh_buf_addf(err, "%s: not laid out as dh writes it", path.data);
			goto done;
		}
		cut = old.len - 3;
	}
	dh_buf_add(&out, old.data, cut);
	dh_buf_adds(&out, checks_mark);
	/* earlier results of other expectations stay, in their order */
	prev = json_object_get(o, "checks");
	for (i = 0; json_is_array(prev) && i < json_array_size(prev); i++) {
		json_t *c = json_array_get(prev, i);
		const char *e = json_string_value(json_object_get(c, "expect"));
		char *text;

		for (j = 0; e != NULL && j < n; j++) {
			json_t *nc = json_loads(checks[j], 0, NULL);
			int same = nc != NULL &&
				   json_equal(json_object_get(nc, "expect"), json_object_get(c, "expect"));

			json_decref(nc);
			if (same)
				break;
		}
		if (e != NULL && j < n)
			continue;
		text = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (text == NULL)
			dh_die(DH_EXIT_IO, "out of memory (manifest)");
		dh_buf_adds(&out, added++ ? ",\n    " : "\n    ");
		dh_buf_adds(&out, text);
		free(text);
	}
	for (j = 0; j < n; j++) {
		dh_buf_adds(&out, added++ ? ",\n    " : "\n    ");
		dh_buf_adds(&out, checks[j]);
	}
	dh_buf_adds(&out, "\n  ]\n}\n");
	dh_publish_bytes(dir, "_MANIFEST", out.data, out.len);
	rc = 0;
done:
	json_decref(o);
	dh_buf_release(&path);
	dh_buf_release(&old);
	dh_buf_release(&out);
	return rc;
}
