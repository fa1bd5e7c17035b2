#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "err.h"
#include "hash.h"
#include "partset.h"
#include "state.h"
#include "xalloc.h"

void
dh_data_suffix(struct dh_buf *out, enum dh_format fmt, const char *codec)
{
	dh_buf_addf(out, ".%s", dh_format_name(fmt));
	if (codec == NULL)
		return;
	if (strcmp(codec, "gzip") == 0)
		dh_buf_adds(out, ".gz");
	else if (strcmp(codec, "zstd") == 0)
		dh_buf_adds(out, ".zst");
	else if (strcmp(codec, "xz") == 0)
		dh_buf_adds(out, ".xz");
	else if (strcmp(codec, "bzip2") == 0)
		dh_buf_adds(out, ".bz2");
	else if (strcmp(codec, "lz4") == 0)
		dh_buf_adds(out, ".lz4");
}

void
dh_partset_init(struct dh_partset *ps, const char *statedir, const char *table,
		enum dh_format fmt, const char *codec)
{
	struct rlimit rl;
	struct dh_buf b = DH_BUF_INIT;

	memset(ps, 0, sizeof(*ps));
	ps->statedir = statedir;
	ps->table = table;
	dh_buf_addf(&b, "%s/%s", statedir, table);
	ps->tabledir = dh_buf_detach(&b, NULL);
	ps->fmt = fmt;
	ps->codec = codec;
	/* leave room for stdio, the lock, the journal, inputs and libraries */
	ps->maxopen = 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < ps->maxopen + 24)
		ps->maxopen = rl.rlim_cur > 28 ? (size_t)rl.rlim_cur - 24 : 4;
}

static void
part_close(struct dh_partset *ps, struct dh_part *p)
{
	if (!p->is_open)
		return;
	dh_out_close(&p->tmp.out);
	if (close(p->tmp.fd) != 0)
		dh_die_errno(DH_EXIT_IO, "write error: %s", p->tmp.tmp);
	p->tmp.open = 0;
	p->is_open = 0;
	ps->nopen--;
}

static void
make_room(struct dh_partset *ps)
{
	struct dh_part *lru = NULL;
	size_t i;

	if (ps->nopen < ps->maxopen)
		return;
	for (i = 0; i < ps->nparts; i++) {
		struct dh_part *p = ps->parts[i];

		if (p->is_open && (lru == NULL || p->last_use < lru->last_use))
			lru = p;
	}
	if (lru != NULL)
		part_close(ps, lru);
}

static void
part_open(struct dh_partset *ps, struct dh_part *p)
{
	int fd;

	if (p->is_open)
		return;
	make_room(ps);
	do
		fd = open(p->tmp.tmp, O_WRONLY | O_APPEND | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", p->tmp.tmp);
	p->tmp.fd = fd;
	dh_out_open_fd(&p->tmp.out, fd, p->tmp.final, NULL);
	p->tmp.open = 1;
	p->is_open = 1;
	ps->nopen++;
}

static struct dh_part *
get_part(struct dh_partset *ps, const char *name, size_t nlen)
{
	size_t *idx = dh_hashmap_get(&ps->map, name, nlen);
	struct dh_part *p;
	struct dh_buf b = DH_BUF_INIT;
	int added;

	if (idx != NULL)
		return ps->parts[*idx];
	p = dh_xcalloc(1, sizeof(*p));
	p->name = dh_xmemdup(name, nlen);
	dh_buf_addf(&b, "%s/%s", ps->tabledir, p->name);
	p->dir = dh_buf_detach(&b, NULL);
	dh_mkdirs_under(ps->tabledir, p->dir);
	make_room(ps);
	dh_tmp_create(&p->tmp, p->dir, "part-new", NULL);
	p->is_open = 1;
	ps->nopen++;
	if (ps->nparts == ps->capparts) {
		ps->capparts = ps->capparts ? ps->capparts * 2 : 16;
		ps->parts = dh_xreallocarray(ps->parts, ps->capparts, sizeof(*ps->parts));
	}
	dh_hashmap_put(&ps->map, name, nlen, ps->nparts, &added);
	ps->parts[ps->nparts++] = p;
	return p;
}

void
dh_partset_touch(struct dh_partset *ps, const char *name, size_t nlen)
{
	get_part(ps, name, nlen);
}

void
dh_partset_write_raw(struct dh_partset *ps, const char *name, size_t nlen, const char *raw,
		     size_t rawlen)
{
	struct dh_part *p = get_part(ps, name, nlen);

	part_open(ps, p);
	p->last_use = ++ps->tick;
	if (p->records == 0 && ps->header.len > 0)
		dh_out_write(&p->tmp.out, ps->header.data, ps->header.len);
	dh_out_write(&p->tmp.out, raw, rawlen);
	dh_out_putc(&p->tmp.out, '\n');
	p->records++;
}

int
dh_partset_write(struct dh_partset *ps, const char *name, size_t nlen,
		 const struct dh_record *rec)
{
	struct dh_part *p;

	if (ps->passthrough) {
		dh_partset_write_raw(ps, name, nlen, rec->raw, rec->rawlen);
		return 0;
	}
	p = get_part(ps, name, nlen);
	part_open(ps, p);
	p->last_use = ++ps->tick;
	if (!p->have_writer) {
		dh_writer_init(&p->w, &p->tmp.out, ps->fmt, 0, '.');
		p->have_writer = 1;
	}
	if (dh_write(&p->w, rec, &ps->err) != 0)
		return -1;
	p->records++;
	return 0;
}

/* Compress a finished temp file into a new one with the codec. */
static void
compress_part(struct dh_partset *ps, struct dh_part *p)
{
	struct dh_tmpfile z;
	struct dh_buf suffix = DH_BUF_INIT;
	char *buf = dh_xmalloc(1 << 20);
	int fd;
	ssize_t r;

	dh_buf_adds(&suffix, "part-new");
	dh_data_suffix(&suffix, ps->fmt, ps->codec);
	dh_tmp_create(&z, p->dir, suffix.data, ps->codec);
	do
		fd = open(p->tmp.tmp, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", p->tmp.tmp);
	while ((r = read(fd, buf, 1 << 20)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			dh_die_errno(DH_EXIT_IO, "read error: %s", p->tmp.tmp);
		}
		dh_out_write(&z.out, buf, (size_t)r);
	}
	close(fd);
	dh_tmp_finish(&z);
	dh_tmp_abort(&p->tmp);
	p->tmp = z;
	free(buf);
	dh_buf_release(&suffix);
}

static int
listed(const struct dh_manifest *m, const char *name)
{
	size_t i;

	for (i = 0; m != NULL && i < m->nfiles; i++)
		if (strcmp(m->files[i].name, name) == 0)
			return 1;
	return 0;
}

/* Remove data files (not _ or . names) that m does not list, and
 * temporary files a killed run left; fsync dir when any went. */
static int
unlisted_data(const char *name, void *arg)
{
	return name[0] != '_' && name[0] != '.' && !listed(arg, name);
}

void
dh_remove_unlisted_data(const char *dir, const struct dh_manifest *m)
{
	dh_remove_where(dir, unlisted_data, (void *)(uintptr_t)m);
}

void
dh_remove_unlisted(const char *dir, const struct dh_manifest *m)
{
	dh_remove_unlisted_data(dir, m);
	/* a crashed run's temporary files go too: the lock says no other
	 * writer is at work */
	dh_remove_stale_tmp(dir);
}

/* Does some entry of dir (a data file, or a temporary one) begin with
 * stem "part-NNNNN" followed by '.'? */
static int
number_taken(const char *dir, const char *stem)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = strlen(stem);
	int taken = 0;

	if (d == NULL)
		dh_die_errno(DH_EXIT_IO, "%s", dir);
	while (!taken && (de = readdir(d)) != NULL)
		taken = strncmp(de->d_name, stem, n) == 0 && de->d_name[n] == '.';
	closedir(d);
	return taken;
}

int
dh_part_next_number(const char *dir, int start)
{
	char stem[32];

	for (;; start++) {
		snprintf(stem, sizeof(stem), "part-%05d", start);
		if (!number_taken(dir, stem))
			return start;
	}
}

static void
journal(struct dh_partset *ps, const struct dh_part *p, const struct dh_manifest *m)
{
	struct dh_buf b = DH_BUF_INIT;
	char *text;
	size_t i;
	json_t *o = json_object(), *cmd = json_array();

	for (i = 0; i < ps->ncommand; i++) {
		json_t *arg = json_string(ps->command[i]); /* NULL: not UTF-8 */

		json_array_append_new(cmd, arg != NULL ? arg : json_string("?"));
	}
	json_object_set_new(o, "time", json_string(m->created));
	json_object_set_new(o, "event", json_string(ps->append ? "append" : "publish"));
	json_object_set_new(o, "table", json_string(ps->table));
	json_object_set_new(o, "partition", json_string(p->name));
	json_object_set_new(o, "records", json_integer((json_int_t)p->records));
	json_object_set_new(o, "command", cmd);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		dh_die(DH_EXIT_IO, "out of memory (journal)");
	dh_buf_adds(&b, text);
	dh_buf_addc(&b, '\n');
	free(text);
	dh_journal(ps->statedir, b.data);
	dh_buf_release(&b);
}

static void
publish_one(struct dh_partset *ps, struct dh_part *p, int print_paths)
{
	struct dh_manifest m, old;
	struct dh_buf b = DH_BUF_INIT, err = DH_BUF_INIT, suffix = DH_BUF_INIT;
	char hex[DH_HASH_HEX];
	unsigned long long size;
	char *text;
	size_t len, i;
	int have_old, n, rc = 0;

	memset(&m, 0, sizeof(m));
	dh_buf_addf(&b, "%s/_MANIFEST", p->dir);
	have_old = access(b.data, F_OK) == 0 && (rc = dh_manifest_load(b.data, &old, &err)) == 0;
	if (ps->append && access(b.data, F_OK) == 0 && !have_old)
		dh_die(rc == -2 ? DH_EXIT_IO : DH_EXIT_DATA,
		       "%s: %s (cannot append to a partition whose manifest is unreadable)", b.data,
		       err.data);
	if (ps->append && have_old && old.nfiles > 0 &&
	    !((old.compression == NULL && ps->codec == NULL) ||
	      (old.compression != NULL && ps->codec != NULL &&
	       strcmp(old.compression, ps->codec) == 0)))
		dh_die(DH_EXIT_USAGE, "%s: the partition's files are %s; --append must use the same -z",
		       p->dir, old.compression ? old.compression : "not compressed");
	dh_data_suffix(&suffix, ps->fmt, ps->codec);
	/* what a killed run left (files the manifest does not list) goes
	 * first, so that it takes no number from the file that follows */
	if (ps->append)
		dh_remove_unlisted_data(p->dir, have_old ? &old : NULL);
	/* the new file's name: part-00000, or in append mode the next number
	 * no file of the partition has, whatever its suffix */
	for (n = 0;; n++) {
		dh_buf_reset(&b);
		dh_buf_addf(&b, "part-%05d", n);
		if (!ps->append || !number_taken(p->dir, b.data))
			break;
	}
	dh_buf_adds(&b, suffix.data);
	free(p->tmp.final);
	dh_buf_reset(&err);
	dh_buf_addf(&err, "%s/%s", p->dir, b.data);
	p->tmp.final = dh_buf_detach(&err, NULL);
	if (dh_hash_file(p->tmp.tmp, hex, &size) != 0)
		dh_die_errno(DH_EXIT_IO, "%s", p->tmp.tmp);

	m.table = (char *)(uintptr_t)ps->table;
	m.partition = p->name;
	m.format = (char *)(uintptr_t)dh_format_name(ps->fmt);
	m.compression = (char *)(uintptr_t)ps->codec;
	if (ps->append && have_old)
		for (i = 0; i < old.nfiles; i++)
			dh_manifest_copy_file(&m, &old.files[i]);
	dh_manifest_add_file(&m, b.data, size, p->records, hex);
	for (i = 0; i < ps->ninputs; i++)
		dh_manifest_add_input(&m, ps->inputs[i].path, ps->inputs[i].partition,
				      ps->inputs[i].bytes, ps->inputs[i].xxh128);
	m.command = ps->command;
	m.ncommand = ps->ncommand;
	dh_time_now_iso(m.created);

	/* from here to _SUCCESS the partition reads as incomplete */
	dh_unlink_sync(p->dir, "_SUCCESS");
	dh_tmp_commit(&p->tmp);
	dh_fsync_dir(p->dir);
	/* journalled before the manifest: a crash after _SUCCESS must not
	 * leave a publish the journal does not know (a crash before it
	 * leaves a line for a publish the rerun makes again) */
	journal(ps, p, &m);
	text = dh_manifest_dump(&m, &len);
	dh_publish_bytes(p->dir, "_MANIFEST", text, len);
	free(text);
	dh_remove_unlisted(p->dir, &m);
	dh_publish_bytes(p->dir, "_SUCCESS", "", 0);
	ps->bytes_out += size;
	if (print_paths)
		printf("%s/%s/%s\n", ps->statedir, ps->table, p->name);

	/* m borrows its table, format, command: free only what it made */
	for (i = 0; i < m.nfiles; i++) {
		free(m.files[i].name);
		free(m.files[i].source);
	}
	for (i = 0; i < m.ninputs; i++)
		free(m.inputs[i].path);
	free(m.files);
	free(m.inputs);
	if (have_old)
		dh_manifest_release(&old);
	dh_buf_release(&b);
	dh_buf_release(&err);
	dh_buf_release(&suffix);
}

void
dh_partset_publish(struct dh_partset *ps, int print_paths)
{
	size_t i;

	/* every data file complete and durable before any _SUCCESS moves */
	for (i = 0; i < ps->nparts; i++) {
		struct dh_part *p = ps->parts[i];

		part_open(ps, p);
		if (p->have_writer)
			dh_writer_finish(&p->w);
		dh_tmp_finish(&p->tmp);
		p->is_open = 0;
		ps->nopen--;
		if (ps->codec != NULL)
			compress_part(ps, p);
	}
	for (i = 0; i < ps->nparts; i++)
		publish_one(ps, ps->parts[i], print_paths);
	/* a closed pipe (| head) only ends the listing; the publish is done */
	if (print_paths && (fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE)
		dh_die_errno(DH_EXIT_IO, "write error: stdout");
}

void
dh_partset_release(struct dh_partset *ps)
{
	size_t i;

	for (i = 0; i < ps->nparts; i++) {
		struct dh_part *p = ps->parts[i];

		if (p->tmp.tmp != NULL)
			dh_tmp_abort(&p->tmp);
		if (p->have_writer)
			dh_writer_release(&p->w);
		free(p->name);
		free(p->dir);
		free(p);
	}
	free(ps->parts);
	free(ps->tabledir);
	for (i = 0; i < ps->ninputs; i++)
		free(ps->inputs[i].path);
	free(ps->inputs);
	dh_hashmap_release(&ps->map);
	dh_buf_release(&ps->header);
	dh_buf_release(&ps->err);
	memset(ps, 0, sizeof(*ps));
}
