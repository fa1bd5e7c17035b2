#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "publish.h"
#include "state.h"
#include "table.h"
#include "xalloc.h"

int
dh_table_read(const char *tabledir, enum dh_format *fmt, char ***keys,
	      size_t *nkeys)
{
	struct dh_buf path = DH_BUF_INIT, text = DH_BUF_INIT;
	json_error_t je;
	json_t *o, *k, *f;
	size_t i;

	*keys = NULL;
	*nkeys = 0;
	*fmt = DH_FMT_NONE;
	dh_buf_addf(&path, "%s/_TABLE", tabledir);
	if (access(path.data, F_OK) != 0) {
		dh_buf_release(&path);
		return 0;
	}
	if (dh_slurp(AT_FDCWD, path.data, &text, DH_TABLE_MAX) != 0) {
		if (errno == EFBIG)
			dh_die(DH_EXIT_DATA, "%s: more than %zu KiB, larger than any _TABLE dh writes",
			       path.data, DH_TABLE_MAX >> 10);
		if (errno == ELOOP)
			dh_die(DH_EXIT_DATA, "%s: a symbolic link (never followed)", path.data);
		dh_die_errno(DH_EXIT_IO, "%s", path.data);
	}
	o = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, &je);
	dh_buf_release(&text);
	if (o == NULL || !json_is_object(o))
		dh_die(DH_EXIT_DATA, "%s:%d: %s", path.data, je.line,
		       o == NULL ? je.text : "not a JSON object");
	f = json_object_get(o, "format");
	if (json_is_string(f))
		*fmt = dh_format_parse(json_string_value(f));
	k = json_object_get(o, "partition_keys");
	for (i = 0; json_is_array(k) && i < json_array_size(k); i++) {
		json_t *key = json_array_get(k, i);

		if (!json_is_string(key))
			dh_die(DH_EXIT_DATA, "%s: partition_keys holds a non-string", path.data);
		*keys = dh_xreallocarray(*keys, *nkeys + 1, sizeof(**keys));
		(*keys)[(*nkeys)++] = dh_xstrdup(json_string_value(key));
	}
	json_decref(o);
	dh_buf_release(&path);
	return 1;
}

void
dh_table_write(const char *tabledir, const char *table, enum dh_format fmt,
	       char *const *keys, size_t nkeys)
{
	json_t *o = json_object(), *k = json_array(), *owner;
	const char *user = getenv("USER");
	struct dh_buf b = DH_BUF_INIT;
	char *text;
	size_t i;

	for (i = 0; i < nkeys; i++)
		json_array_append_new(k, json_string(keys[i]));
	owner = user != NULL ? json_string(user) : NULL; /* NULL: not UTF-8 */
	json_object_set_new(o, "name", json_string(table));
	json_object_set_new(o, "format", json_string(dh_format_name(fmt)));
	json_object_set_new(o, "partition_keys", k);
	json_object_set_new(o, "description", json_string(""));
	json_object_set_new(o, "owner", owner != NULL ? owner : json_string(""));
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		dh_die(DH_EXIT_IO, "out of memory (_TABLE)");
	dh_buf_adds(&b, text);
	dh_buf_addc(&b, '\n');
	dh_publish_bytes(tabledir, "_TABLE", b.data, b.len);
	dh_buf_release(&b);
	free(text);
}

void
dh_table_check_keys(const char *tabledir, const char *table, char *const *have,
		    size_t nhave, char *const *want, size_t nwant)
{
	struct dh_buf list = DH_BUF_INIT;
	size_t i;
	int same = nhave == nwant;

	for (i = 0; same && i < nhave; i++)
		same = strcmp(have[i], want[i]) == 0;
	if (same)
		return;
	for (i = 0; i < nhave; i++)
		dh_buf_addf(&list, "%s%s", i ? "," : "", have[i]);
	dh_usage_error("table %s is partitioned by %s (see %s/_TABLE)", table,
		       nhave ? list.data : "no key", tabledir);
}

int
dh_table_sample_value(const char *tabledir, char *const *keys, size_t depth,
		      struct dh_buf *value)
{
	struct dh_buf dir = DH_BUF_INIT;
	size_t d;
	int found = 1;

	dh_buf_adds(&dir, tabledir);
	for (d = 0; d <= depth && found; d++) {
		DIR *dp = opendir(dir.data);
		struct dirent *de;
		size_t kl = strlen(keys[d]);

		found = 0;
		if (dp == NULL && errno != ENOENT)
			dh_die_errno(DH_EXIT_IO, "%s", dir.data);
		if (dp == NULL)
			break;
		while ((de = readdir(dp)) != NULL) {
			if (strncmp(de->d_name, keys[d], kl) != 0 || de->d_name[kl] != '=')
				continue;
			dh_buf_addf(&dir, "/%s", de->d_name);
			if (d == depth) {
				dh_buf_reset(value);
				dh_hive_unescape(value, de->d_name + kl + 1,
						 strlen(de->d_name + kl + 1));
			}
			found = 1;
			break;
		}
		closedir(dp);
	}
	dh_buf_release(&dir);
	return found;
}
