/* lineage: tables, partitions, status and the input graph of a state dir. */
#define _DEFAULT_SOURCE /* d_type: most directories need no stat */
#include "lineage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "input.h"
#include "json.h"
#include "publish.h"
#include "reader.h"
#include "xalloc.h"

const char *
dh_part_status_name(enum dh_part_status s)
{
	switch (s) {
	case DH_PART_OK: return "ok";
	case DH_PART_INCOMPLETE: return "incomplete";
	case DH_PART_STALE: return "stale";
	default: return "damaged";
	}
}

/* Read a whole small file: 0, or -1 (errno). */
static int
is_dir(int dirfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type == DT_DIR)
		return 1;
	if (de->d_type != DT_UNKNOWN)
		return 0; /* a symlink is never followed: it may leave the state */
	return fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static void
add_table(struct dh_catalog *c, const char *name)
{
	if (c->ntables > 0 && strcmp(c->tables[c->ntables - 1], name) == 0)
		return;
	c->tables = dh_xreallocarray(c->tables, c->ntables + 1, sizeof(*c->tables));
	c->tables[c->ntables++] = dh_xstrdup(name);
}

/* A partition directory: its status from what is in it. */
static void
add_part(struct dh_catalog *c, int dfd, const char *path, size_t tlen, struct dh_buf *scratch)
{
	struct dh_cpart *p;
	struct dh_buf err = DH_BUF_INIT;
	size_t i;

	c->parts = dh_xreallocarray(c->parts, c->nparts + 1, sizeof(*c->parts));
	p = &c->parts[c->nparts++];
	memset(p, 0, sizeof(*p));
	p->path = dh_xstrdup(path);
	p->table = tlen; /* the table name's length for now: an index later */
	p->has_success = faccessat(dfd, "_SUCCESS", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (!p->has_success && errno != ENOENT)
		dh_die_errno(DH_EXIT_IO, "%s/%s/_SUCCESS", c->state, path);
	/* an unreadable manifest is an error, never a partition that looks
	 * damaged or incomplete: only "not there" is a status */
	if (dh_slurp(dfd, "_MANIFEST", scratch, DH_MANIFEST_MAX) == 0) {
		dh_manifest_hash(scratch->data, scratch->len, p->mhash);
		if (dh_manifest_parse(scratch->data, scratch->len, "_MANIFEST", &p->m, &err) == 0) {
			p->has_manifest = 1;
		} else if (p->has_success) {
			struct dh_buf why = DH_BUF_INIT;

			dh_buf_addf(&why, "_MANIFEST: %s", err.data);
			p->why = dh_buf_detach(&why, NULL);
		}
	} else if (errno == ELOOP) {
		p->why = dh_xstrdup("_MANIFEST is a symbolic link (never followed)");
	} else if (errno == EFBIG) {
		struct dh_buf why = DH_BUF_INIT;

		dh_buf_addf(&why, "_MANIFEST: more than %zu MiB, larger than any manifest dh writes",
			    DH_MANIFEST_MAX >> 20);
		p->why = dh_buf_detach(&why, NULL);
	} else if (errno != ENOENT) {
		dh_die_errno(DH_EXIT_IO, "%s/%s/_MANIFEST", c->state, path);
	}
	if (!p->has_success) {
		p->status = DH_PART_INCOMPLETE;
	} else if (!p->has_manifest) {
		p->status = DH_PART_DAMAGED;
		if (p->why == NULL)
			p->why = dh_xstrdup("_SUCCESS without a _MANIFEST");
	}
	for (i = 0; p->has_manifest && i < p->m.nfiles; i++) {
		struct stat st;
		const struct dh_manifest_file *f = &p->m.files[i];

		p->records += f->records;
		p->bytes += f->bytes;
		if (p->status != DH_PART_OK || !p->has_success)
			continue;
		if (fstatat(dfd, f->name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
			p->status = DH_PART_DAMAGED;
			dh_buf_reset(&err);
			dh_buf_addf(&err, "%s: missing", f->name);
			p->why = dh_xstrdup(err.data);
		} else if ((unsigned long long)st.st_size != f->bytes) {
			p->status = DH_PART_DAMAGED;
			dh_buf_reset(&err);
			dh_buf_addf(&err, "%s: %lld bytes, the manifest says %llu", f->name,
				    (long long)st.st_size, f->bytes);
			p->why = dh_xstrdup(err.data);
		}
	}
	dh_buf_release(&err);
}

/*
 * Walk the directory rel (below the state, open as dfd).  tlen: the
 * length of the table name in rel once inside partitions, else 0.
 */
static void
walk(struct dh_catalog *c, int dfd, struct dh_buf *rel, size_t tlen, struct dh_buf *scratch)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	char **subs = NULL;
	size_t nsubs = 0, i, base = rel->len;
	int parts_below = 0, has_table_file = 0;

	if (d == NULL)
		dh_die_errno(DH_EXIT_IO, "%s/%s", c->state, rel->data);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, "_TABLE") == 0)
			has_table_file = 1;
		if (de->d_name[0] == '_' || de->d_name[0] == '.' || !is_dir(dirfd(d), de))
			continue;
		subs = dh_xreallocarray(subs, nsubs + 1, sizeof(*subs));
		subs[nsubs++] = dh_xstrdup(de->d_name);
		if (strchr(de->d_name, '=') != NULL)
			parts_below = 1;
	}
	if (tlen == 0 && base > 0 && (parts_below || has_table_file))
		add_table(c, rel->data);
	if (tlen > 0 && !parts_below)
		add_part(c, dirfd(d), rel->data, tlen, scratch);
	for (i = 0; i < nsubs; i++) {
		int isp = strchr(subs[i], '=') != NULL, fd;

		/* partitions live in tables; names with '=' elsewhere, and
		 * plain directories inside partitions, are not ours */
		if ((tlen > 0 && !isp) || (tlen == 0 && isp && base == 0)) {
			free(subs[i]);
			continue;
		}
		fd = openat(dirfd(d), subs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && errno != ENOENT) /* gone meanwhile: fine */
			dh_die_errno(DH_EXIT_IO, "%s/%s%s%s", c->state, rel->data, base ? "/" : "",
				     subs[i]);
		if (fd >= 0) {
			if (base > 0)
				dh_buf_addc(rel, '/');
			dh_buf_adds(rel, subs[i]);
			walk(c, fd, rel, tlen > 0 ? tlen : isp ? base : 0, scratch);
			rel->len = base;
			rel->data[base] = '\0';
		}
		free(subs[i]);
	}
	free(subs);
	closedir(d);
}

static int
cmp_part(const void *a, const void *b)
{
	return strcmp(((const struct dh_cpart *)a)->path, ((const struct dh_cpart *)b)->path);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

long
dh_catalog_find(const struct dh_catalog *c, const char *path)
{
	size_t *v = dh_hashmap_get(&c->bypath, path, strlen(path));

	return v ? (long)*v : -1;
}

long
dh_catalog_table(const struct dh_catalog *c, const char *name)
{
	size_t lo = 0, hi = c->ntables;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(c->tables[mid], name);

		if (r == 0)
			return (long)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const char *
dh_catalog_input_state(struct dh_catalog *c, const struct dh_manifest_input *in)
{
	if (in->partition) {
		long q = dh_catalog_find(c, in->path);
		struct dh_buf b = DH_BUF_INIT;
		char hex[DH_HASH_HEX];
		int rc;

		if (q >= 0)
			return !c->parts[q].has_manifest ? "gone"
			       : strcmp(c->parts[q].mhash, in->xxh128) == 0 ? "ok" : "changed";
		/* a partition outside this state directory: read it */
		if (in->path[0] == '/')
			dh_buf_addf(&b, "%s/_MANIFEST", in->path);
		else
			dh_buf_addf(&b, "%s/%s/_MANIFEST", c->state, in->path);
		rc = dh_manifest_hash_file(b.data, hex);
		dh_buf_release(&b);
		return rc != 0 ? "gone" : strcmp(hex, in->xxh128) == 0 ? "ok" : "changed";
	} else {
		size_t *v = dh_hashmap_get(&c->filehash, in->path, strlen(in->path));
		unsigned long long size;
		int added;

		if (v == NULL) {
			c->hashes = dh_xreallocarray(c->hashes, c->nhashes + 1, sizeof(*c->hashes));
			if (dh_hash_file(in->path, c->hashes[c->nhashes], &size) != 0)
				c->hashes[c->nhashes][0] = '\0'; /* gone */
			v = dh_hashmap_put(&c->filehash, in->path, strlen(in->path), c->nhashes++,
					   &added);
		}
		return c->hashes[*v][0] == '\0'		       ? "gone"
		       : strcmp(c->hashes[*v], in->xxh128) == 0 ? "ok"
								: "changed";
	}
}

int
dh_catalog_load(struct dh_catalog *c, const char *statedir, struct dh_buf *err)
{
	struct dh_buf rel = DH_BUF_INIT, scratch = DH_BUF_INIT;
	int fd = open(statedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t i, j;

	memset(c, 0, sizeof(*c));
	c->state = dh_xstrdup(statedir);
	if (fd < 0) {
		dh_buf_addf(err, "%s: %s", statedir, strerror(errno));
		return -1;
	}
	dh_buf_adds(&rel, "");
	walk(c, fd, &rel, 0, &scratch);
	dh_buf_release(&rel);
	dh_buf_release(&scratch);
	if (c->ntables > 0) /* qsort wants an array, even of nothing */
		qsort(c->tables, c->ntables, sizeof(*c->tables), cmp_str);
	if (c->nparts > 0)
		qsort(c->parts, c->nparts, sizeof(*c->parts), cmp_part);
	for (i = 0; i < c->nparts; i++) {
		struct dh_cpart *p = &c->parts[i];
		size_t tlen = p->table;
		char save = p->path[tlen];
		int added;

		p->path[tlen] = '\0';
		p->table = (size_t)dh_catalog_table(c, p->path);
		p->path[tlen] = save;
		p->name = p->path + tlen + 1;
		dh_hashmap_put(&c->bypath, p->path, strlen(p->path), i, &added);
	}
	/* edges, then staleness: an input changed or gone */
	for (i = 0; i < c->nparts; i++) {
		struct dh_cpart *p = &c->parts[i];

		for (j = 0; p->has_manifest && j < p->m.ninputs; j++) {
			const struct dh_manifest_input *in = &p->m.inputs[j];
			long q = in->partition ? dh_catalog_find(c, in->path) : -1;

			if (q >= 0) {
				struct dh_cpart *u = &c->parts[q];

				u->down = dh_xreallocarray(u->down, u->ndown + 1, sizeof(*u->down));
				u->down[u->ndown++] = i;
			}
			if (p->status == DH_PART_OK &&
			    strcmp(dh_catalog_input_state(c, in), "ok") != 0) {
				struct dh_buf why = DH_BUF_INIT;

				dh_buf_addf(&why, "input %s %s", in->path,
					    dh_catalog_input_state(c, in));
				p->status = DH_PART_STALE;
				p->why = dh_buf_detach(&why, NULL);
			}
		}
	}
	return 0;
}

int
dh_catalog_names(const struct dh_catalog *c, const char *arg, long table, size_t part)
{
	const struct dh_cpart *p = &c->parts[part];
	size_t len = strlen(arg);

	if (table >= 0)
		return p->table == (size_t)table;
	return strcmp(p->path, arg) == 0 || (strchr(arg, '=') != NULL &&
					     strncmp(p->path, arg, len) == 0 && p->path[len] == '/');
}

void
dh_catalog_downstream(const struct dh_catalog *c, size_t part, unsigned char *mark)
{
	size_t *stack = dh_xreallocarray(NULL, 1, sizeof(*stack)), n = 0, cap = 1, i;

	stack[n++] = part;
	while (n > 0) {
		const struct dh_cpart *p = &c->parts[stack[--n]];

		for (i = 0; i < p->ndown; i++) {
			if (mark[p->down[i]])
				continue;
			mark[p->down[i]] = 1;
			if (n == cap) {
				cap *= 2;
				stack = dh_xreallocarray(stack, cap, sizeof(*stack));
			}
			stack[n++] = p->down[i];
		}
	}
	free(stack);
}

void
dh_catalog_release(struct dh_catalog *c)
{
	size_t i;

	for (i = 0; i < c->nparts; i++) {
		free(c->parts[i].path);
		free(c->parts[i].why);
		free(c->parts[i].down);
		if (c->parts[i].has_manifest)
			dh_manifest_release(&c->parts[i].m);
	}
	for (i = 0; i < c->ntables; i++)
		free(c->tables[i]);
	free(c->tables);
	free(c->parts);
	free(c->hashes);
	free(c->state);
	dh_hashmap_release(&c->bypath);
	dh_hashmap_release(&c->filehash);
	memset(c, 0, sizeof(*c));
}

static const char *
kind_of(enum dh_vtype t)
{
	switch (t) {
	case DH_V_NUM: return "number";
	case DH_V_TRUE:
	case DH_V_FALSE: return "bool";
	case DH_V_NULL: return "null";
	case DH_V_OBJ: return "object";
	case DH_V_ARR: return "array";
	default: return "string";
	}
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Count f's records in format fmt; the field kinds seen go to kinds. */
static unsigned long long
count_records(const char *path, enum dh_format fmt, struct dh_hashmap *kinds, char ***lines,
	      size_t *nlines, struct dh_buf *problems, const char *name)
{
	struct dh_input in;
	struct dh_reader r;
	struct dh_record rec = DH_RECORD_INIT;
	unsigned long long n = 0;
	int rc, bad = 0;

	dh_input_open(&in, path);
	dh_reader_open(&r, &in, fmt, 0);
	while ((rc = dh_read(&r, &rec)) != 0) {
		size_t i;

		n++;
		if (rc < 0) {
			if (bad++ == 0)
				dh_buf_addf(problems, "%s:%llu: a bad record: %s\n", name, rec.line,
					    r.err.data);
			continue;
		}
		for (i = 0; i < rec.n; i++) {
			struct dh_buf k = DH_BUF_INIT;
			int added;

			/* a null says nothing about a field's kind */
			if (rec.f[i].type == DH_V_NULL)
				continue;
			dh_json_quote_any(&k, rec.f[i].name, rec.f[i].nlen);
			dh_buf_addf(&k, " %s", kind_of(rec.f[i].type));
			dh_hashmap_put(kinds, k.data, k.len, 0, &added);
			if (added) {
				*lines = dh_xreallocarray(*lines, *nlines + 1, sizeof(**lines));
				(*lines)[(*nlines)++] = dh_buf_detach(&k, NULL);
			} else {
				dh_buf_release(&k);
			}
		}
	}
	dh_reader_close(&r);
	dh_input_close(&in);
	dh_record_release(&rec);
	return n;
}

static int
listed(const struct dh_manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nfiles; i++)
		if (strcmp(m->files[i].name, name) == 0)
			return 1;
	return 0;
}

void
dh_catalog_verify(struct dh_catalog *c, size_t part, struct dh_buf *problems,
		  struct dh_buf *schema)
{
	struct dh_cpart *p = &c->parts[part];
	struct dh_buf dir = DH_BUF_INIT, file = DH_BUF_INIT;
	struct dh_hashmap kinds = DH_HASHMAP_INIT;
	char **lines = NULL;
	size_t nlines = 0, i;
	enum dh_format fmt;
	DIR *d;
	struct dirent *de;

	dh_buf_addf(&dir, "%s/%s", c->state, p->path);
	if (p->has_success && !p->has_manifest)
		dh_buf_addf(problems, "%s\n", p->why ? p->why : "_SUCCESS without a _MANIFEST");
	if (p->status == DH_PART_STALE)
		dh_buf_addf(problems, "stale: %s\n", p->why);
	fmt = p->has_manifest ? dh_format_parse(p->m.format) : DH_FMT_NONE;
	if (p->has_manifest && p->m.has_totals) {
		unsigned long long r = 0, b = 0;

		for (i = 0; i < p->m.nfiles; i++) {
			r += p->m.files[i].records;
			b += p->m.files[i].bytes;
		}
		if (r != p->m.records)
			dh_buf_addf(problems, "_MANIFEST: \"records\" is %llu, its files hold %llu\n",
				    p->m.records, r);
		if (b != p->m.bytes)
			dh_buf_addf(problems, "_MANIFEST: \"bytes\" is %llu, its files hold %llu\n",
				    p->m.bytes, b);
	}
	for (i = 0; p->has_manifest && i < p->m.nfiles; i++) {
		const struct dh_manifest_file *f = &p->m.files[i];
		struct stat st;
		char hex[DH_HASH_HEX];
		unsigned long long size, n;

		dh_buf_reset(&file);
		dh_buf_addf(&file, "%s/%s", dir.data, f->name);
		if (lstat(file.data, &st) != 0 || !S_ISREG(st.st_mode)) {
			dh_buf_addf(problems, "%s: missing (the manifest lists it)\n", f->name);
			continue;
		}
		if (dh_hash_file(file.data, hex, &size) != 0) {
			dh_buf_addf(problems, "%s: %s\n", f->name, strerror(errno));
			continue;
		}
		if (size != f->bytes)
			dh_buf_addf(problems, "%s: %llu bytes, the manifest says %llu\n", f->name, size,
				    f->bytes);
		else if (strcmp(hex, f->xxh128) != 0)
			dh_buf_addf(problems, "%s: xxh128 %s, the manifest says %s\n", f->name, hex,
				    f->xxh128);
		else if (fmt != DH_FMT_NONE) {
			n = count_records(file.data, fmt, &kinds, &lines, &nlines, problems, f->name);
			if (n != f->records)
				dh_buf_addf(problems, "%s: %llu records, the manifest says %llu\n",
					    f->name, n, f->records);
		}
	}
	if ((d = opendir(dir.data)) != NULL) {
		char **names = NULL;
		size_t nnames = 0;

		/* in name order: the same report every run */
		while ((de = readdir(d)) != NULL) {
			names = dh_xreallocarray(names, nnames + 1, sizeof(*names));
			names[nnames++] = dh_xstrdup(de->d_name);
		}
		closedir(d);
		qsort(names, nnames, sizeof(*names), cmp_line);
		for (i = 0; i < nnames; i++) {
			const char *nm = names[i];

			if (strncmp(nm, ".tmp.", 5) == 0)
				dh_buf_addf(problems, "%s: a temporary file left by a writer that "
						      "did not finish\n", nm);
			else if (nm[0] != '.' && nm[0] != '_' && strchr(nm, '=') == NULL &&
				 p->has_manifest && !listed(&p->m, nm))
				dh_buf_addf(problems, "%s: a data file the manifest does not list\n", nm);
			free(names[i]);
		}
		free(names);
	}
	if (nlines > 0)
		qsort(lines, nlines, sizeof(*lines), cmp_line);
	for (i = 0; i < nlines; i++) {
		dh_buf_addf(schema, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	dh_hashmap_release(&kinds);
	dh_buf_release(&dir);
	dh_buf_release(&file);
}
