/*
 * publish: crash-safe files and directories (DESIGN §4).  A file is
 * written under a temporary name (".tmp.NAME.XXXXXX") in its final
 * directory, fsynced, then renamed; the directory is fsynced after.  New
 * directories are fsynced into their parents.
 *
 * Temporary files are registered so that an exit before they are
 * committed (an error, exit 3 or 4) removes them: no leftovers.
 *
 * Ownership: struct dh_tmpfile owns its names and descriptor until
 * dh_tmp_commit() or dh_tmp_abort().
 */
#ifndef DH_PUBLISH_H
#define DH_PUBLISH_H

#include "buf.h"
#include "out.h"

struct dh_tmpfile {
	char *dir;   /* the final directory */
	char *tmp;   /* the temporary path */
	char *final; /* the final path */
	int fd;
	struct dh_out out;
	int open;
};

/* Append the directory path is in: "." for a bare name, "/" for /x. */
void dh_dir_of(struct dh_buf *out, const char *path);
/* mkdir -p, fsyncing each parent a directory is created in; exits 4. */
void dh_mkdirs(const char *path);
/*
 * dh_mkdirs for path = top/rest: top is followed as given (the state
 * directory may be a link), but every directory of rest must be a real
 * one: a symbolic link there is exit 4 naming it, never written through.
 */
void dh_mkdirs_under(const char *top, const char *path);
/* fsync a directory; exits 4 naming it. */
void dh_fsync_dir(const char *dir);

/* Create dir/.tmp.name.XXXXXX for dir/name; its out compresses with codec
 * (NULL: none).  Exits 4 naming the path on failure. */
void dh_tmp_create(struct dh_tmpfile *t, const char *dir, const char *name,
		   const char *codec);
/* Finish writing: flush, end the compressed stream, fsync, close. */
void dh_tmp_finish(struct dh_tmpfile *t);
/* Rename the finished file to its final name (the caller fsyncs the
 * directory once after its renames). */
void dh_tmp_commit(struct dh_tmpfile *t);
/* Remove the temporary file. */
void dh_tmp_abort(struct dh_tmpfile *t);
/*
 * Finish t and put it in place of its final name, durably, for a file
 * that is replaced whole outside a table (no lock): when anything fails
 * (the rename, the directory's fsync) the final name is left as it was,
 * the old file kept under a second name until then; exits 4.
 */
void dh_tmp_replace(struct dh_tmpfile *t);

/* Write bytes to dir/name crash-safely and fsync dir. */
void dh_publish_bytes(const char *dir, const char *name, const void *p,
		      size_t n);
/* Remove the entries of dir that drop() says so of, then fsync dir when
 * any went; exits 4 on errors. */
void dh_remove_where(const char *dir, int (*drop)(const char *name, void *arg),
		     void *arg);
/* Remove the .tmp. files a killed run left in dir (call it holding the
 * table lock: then none is another writer's). */
void dh_remove_stale_tmp(const char *dir);
/* Remove dir/name if present and fsync dir; exits 4 on other errors. */
void dh_unlink_sync(const char *dir, const char *name);

/*
 * Read the small file name (relative to dirfd, or absolute; AT_FDCWD for
 * the current directory) into out, replacing its contents, NUL-ended.  A
 * symbolic link is not followed (ELOOP).  More than max bytes is EFBIG:
 * the files of the state are read whole, and one copied in from elsewhere
 * may be of any size.  Returns 0, or -1 with errno set.
 */
int dh_slurp(int dirfd, const char *name, struct dh_buf *out, size_t max);
/* What dh_slurp takes of a _MANIFEST (256 MiB, over a million files) and
 * of a _TABLE (1 MiB). */
#define DH_MANIFEST_MAX ((size_t)256 << 20)
#define DH_TABLE_MAX ((size_t)1 << 20)

#endif
