#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "publish.h"
#include "xalloc.h"

/*
 * Temporary files not yet committed, removed by an atexit handler when
 * the program ends before committing them (dh_die exits).  Process-wide
 * by nature: the one registry the library keeps.
 */
static char **pending;
static size_t npending, cappending;
static int handler_set;

static void
remove_pending(void)
{
	size_t i;

	for (i = 0; i < npending; i++)
		if (pending[i] != NULL)
			unlink(pending[i]);
}

/* Killed by INT, TERM or HUP: remove the temporary files, then die of
 * the signal as if not caught.  (unlink is async-signal-safe.) */
static void
on_signal(int sig)
{
	remove_pending();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
track(const char *path)
{
	size_t i;

	if (!handler_set) {
		static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
		struct sigaction sa;
		size_t k;

		atexit(remove_pending);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		for (k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
			sigaction(sigs[k], &sa, NULL);
		handler_set = 1;
	}
	for (i = 0; i < npending; i++)
		if (pending[i] == NULL) {
			pending[i] = (char *)path;
			return;
		}
	if (npending == cappending) {
		cappending = cappending ? cappending * 2 : 16;
		pending = dh_xreallocarray(pending, cappending, sizeof(*pending));
	}
	pending[npending++] = (char *)path;
}

static void
untrack(const char *path)
{
	size_t i;

	for (i = 0; i < npending; i++)
		if (pending[i] == path)
			pending[i] = NULL;
}

void
dh_fsync_dir(const char *dir)
{
	int fd;

	do
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", dir);
	if (fsync(fd) != 0 && errno != EINVAL)
		dh_die_errno(DH_EXIT_IO, "fsync %s", dir);
	close(fd);
}

void
dh_dir_of(struct dh_buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		dh_buf_adds(out, ".");
	else if (slash == path)
		dh_buf_adds(out, "/");
	else
		dh_buf_add(out, path, (size_t)(slash - path));
}

/* mkdir -p; components at or past b[from] must be real directories, not
 * symbolic links (lstat), those before it are followed. */
static void
mkdirs_from(const char *path, size_t from)
{
	struct dh_buf b = DH_BUF_INIT, parent = DH_BUF_INIT;
	size_t i;

	dh_buf_adds(&b, path);
	for (i = 1; i <= b.len; i++) {
		struct stat st;
		int r;

		if (i < b.len && b.data[i] != '/')
			continue;
		b.data[i] = '\0';
		r = i > from ? lstat(b.data, &st) : stat(b.data, &st);
		if (r != 0) {
			if (mkdir(b.data, 0777) != 0 && errno != EEXIST)
				dh_die_errno(DH_EXIT_IO, "mkdir %s", b.data);
			/* make the new entry durable in its parent */
			dh_buf_reset(&parent);
			dh_dir_of(&parent, b.data);
			dh_fsync_dir(parent.data);
			/* lost a race to a link: the check below sees it */
			if (i > from && (lstat(b.data, &st) != 0 || !S_ISDIR(st.st_mode)))
				dh_die(DH_EXIT_IO, "%s: not a directory (dh never writes through a symbolic link)",
				       b.data);
		} else if (S_ISLNK(st.st_mode)) {
			dh_die(DH_EXIT_IO, "%s: a symbolic link in the state directory (dh never writes through one)",
			       b.data);
		} else if (!S_ISDIR(st.st_mode)) {
			dh_die(DH_EXIT_IO, "%s: not a directory", b.data);
		}
		if (i < b.len)
			b.data[i] = '/';
	}
	dh_buf_release(&b);
	dh_buf_release(&parent);
}

void
dh_mkdirs(const char *path)
{
	mkdirs_from(path, (size_t)-1);
}

void
dh_mkdirs_under(const char *top, const char *path)
{
	size_t n = strlen(top);

	if (strncmp(path, top, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		dh_die(DH_EXIT_IO, "internal error: %s is not under %s", path, top);
	mkdirs_from(path, n);
}

void
dh_tmp_create(struct dh_tmpfile *t, const char *dir, const char *name,
	      const char *codec)
{
	struct dh_buf b = DH_BUF_INIT;

	memset(t, 0, sizeof(*t));
	t->dir = dh_xstrdup(dir);
	dh_buf_addf(&b, "%s/%s", dir, name);
	t->final = dh_buf_detach(&b, NULL);
	dh_buf_addf(&b, "%s/.tmp.%s.XXXXXX", dir, name);
	t->tmp = dh_buf_detach(&b, NULL);
	t->fd = mkstemp(t->tmp);
	if (t->fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", t->tmp);
	track(t->tmp);
	fchmod(t->fd, 0644);
	dh_out_open_fd(&t->out, t->fd, t->final, codec);
	t->open = 1;
}

void
dh_tmp_finish(struct dh_tmpfile *t)
{
	if (!t->open)
		return;
	dh_out_close(&t->out);
	if (fsync(t->fd) != 0)
		dh_die_errno(DH_EXIT_IO, "fsync %s", t->tmp);
	if (close(t->fd) != 0)
		dh_die_errno(DH_EXIT_IO, "close %s", t->tmp);
	t->open = 0;
}

static void
tmp_free(struct dh_tmpfile *t)
{
	untrack(t->tmp);
	free(t->dir);
	free(t->tmp);
	free(t->final);
	memset(t, 0, sizeof(*t));
}

void
dh_tmp_commit(struct dh_tmpfile *t)
{
	dh_tmp_finish(t);
	if (rename(t->tmp, t->final) != 0)
		dh_die_errno(DH_EXIT_IO, "rename %s to %s", t->tmp, t->final);
	tmp_free(t);
}

void
dh_tmp_abort(struct dh_tmpfile *t)
{
	if (t->open) {
		dh_out_close(&t->out);
		close(t->fd);
	}
	/* one left behind would stay in the state until the next writer:
	 * an error (still tracked, the exit handler tries once more) */
	if (unlink(t->tmp) != 0 && errno != ENOENT)
		dh_die_errno(DH_EXIT_IO, "remove %s", t->tmp);
	tmp_free(t);
}

void
dh_tmp_replace(struct dh_tmpfile *t)
{
	struct dh_buf old = DH_BUF_INIT;
	const char *op, *what;
	int dfd, had_old, e;

	dh_tmp_finish(t);
	/* opened before anything changes */
	do
		dfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (dfd < 0 && errno == EINTR);
	if (dfd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", t->dir);
	/* the old file keeps a second name until the new one is durable */
	dh_buf_addf(&old, "%s.old", t->tmp);
	had_old = link(t->final, old.data) == 0;
	if (!had_old && errno != ENOENT)
		dh_die_errno(DH_EXIT_IO, "link %s to %s", t->final, old.data);
	if (had_old)
		track(old.data);
	if (rename(t->tmp, t->final) != 0)
		dh_die_errno(DH_EXIT_IO, "rename %s to %s", t->tmp, t->final);
	op = "fsync";
	what = t->dir;
	if (fsync(dfd) != 0 && errno != EINVAL)
		goto undo;
	op = "remove";
	what = old.data;
	if (had_old && unlink(old.data) != 0)
		goto undo;
	if (had_old)
		untrack(old.data);
	close(dfd);
	dh_buf_release(&old);
	tmp_free(t);
	return;
undo:
	/* put the old file back, or take the new one away: a failure
	 * leaves the file as it was */
	e = errno;
	if (had_old ? rename(old.data, t->final) != 0 : unlink(t->final) != 0)
		dh_warn("%s: cannot put the old file back: %s", t->final, strerror(errno));
	errno = e;
	dh_die_errno(DH_EXIT_IO, "%s %s", op, what);
}

void
dh_publish_bytes(const char *dir, const char *name, const void *p, size_t n)
{
	struct dh_tmpfile t;

	dh_tmp_create(&t, dir, name, NULL);
	dh_out_write(&t.out, p, n);
	dh_tmp_commit(&t);
	dh_fsync_dir(dir);
}

void
dh_remove_where(const char *dir, int (*drop)(const char *name, void *arg),
		void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct dh_buf b = DH_BUF_INIT;
	int removed = 0;

	if (d == NULL)
		dh_die_errno(DH_EXIT_IO, "%s", dir);
	while ((de = readdir(d)) != NULL) {
		if (!drop(de->d_name, arg))
			continue;
		dh_buf_reset(&b);
		dh_buf_addf(&b, "%s/%s", dir, de->d_name);
		if (unlink(b.data) != 0 && errno != ENOENT)
			dh_die_errno(DH_EXIT_IO, "remove %s", b.data);
		removed = 1;
	}
	closedir(d);
	dh_buf_release(&b);
	if (removed)
		dh_fsync_dir(dir);
}

static int
is_tmp(const char *name, void *arg)
{
	(void)arg;
	return strncmp(name, ".tmp.", 5) == 0;
}

void
dh_remove_stale_tmp(const char *dir)
{
	dh_remove_where(dir, is_tmp, NULL);
}

void
dh_unlink_sync(const char *dir, const char *name)
{
	struct dh_buf b = DH_BUF_INIT;

	dh_buf_addf(&b, "%s/%s", dir, name);
	if (unlink(b.data) != 0 && errno != ENOENT)
		dh_die_errno(DH_EXIT_IO, "remove %s", b.data);
	dh_buf_release(&b);
	dh_fsync_dir(dir);
}

int
dh_slurp(int dirfd, const char *name, struct dh_buf *out, size_t max)
{
	int fd, e = 0;
	ssize_t r;

	do
		fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	dh_buf_reset(out);
	for (;;) {
		dh_buf_grow(out, 65536);
		r = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			e = errno;
		if (r <= 0)
			break;
		out->len += (size_t)r;
		if (out->len > max) {
			e = EFBIG;
			break;
		}
	}
	out->data[out->len] = '\0';
	close(fd);
	errno = e;
	return e != 0 ? -1 : 0;
}
