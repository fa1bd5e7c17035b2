/* flock(2) is BSD, not POSIX */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "json.h"
#include "publish.h"
#include "state.h"

const char *
dh_state_dir(const char *opt)
{
	const char *env = getenv("DH_STATE");

	if (opt != NULL && *opt != '\0')
		return opt;
	if (env != NULL && *env != '\0')
		return env;
	return "state";
}

static int
name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int
dh_table_name_ok(const char *name)
{
	const char *p = name;

	if (*p == '\0')
		return 0;
	for (;;) {
		const char *seg = p;

		if (*p == '_' || *p == '.' || *p == '/' || *p == '\0')
			return 0;
		while (*p != '\0' && *p != '/') {
			if (!name_char((unsigned char)*p))
				return 0;
			p++;
		}
		if (p == seg)
			return 0;
		if (*p == '\0')
			return 1;
		p++; /* '/' */
	}
}

/* Hive's FileUtils.charToEscape, for the ASCII range. */
static int
hive_escapes(unsigned char c)
{
	return c < 0x20 || c == 0x7f || (c != 0 && strchr("\"#%'*/:=?\\{[]^", c) != NULL);
}

void
dh_hive_escape(struct dh_buf *out, const char *v, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	if (n == 0) {
		dh_buf_adds(out, DH_HIVE_DEFAULT);
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (hive_escapes(c)) {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			dh_buf_add(out, e, 3);
		} else {
			dh_buf_addc(out, (char)c);
		}
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
dh_hive_unescape(struct dh_buf *out, const char *s, size_t n)
{
	size_t i;

	if (n == strlen(DH_HIVE_DEFAULT) && memcmp(s, DH_HIVE_DEFAULT, n) == 0)
		return;
	for (i = 0; i < n; i++) {
		int h, l;

		if (s[i] == '%' && i + 2 < n &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			dh_buf_addc(out, (char)(h * 16 + l));
			i += 2;
		} else {
			dh_buf_addc(out, s[i]);
		}
	}
}

int
dh_partition_key(struct dh_buf *out, const char *key, size_t klen,
		 const char **why)
{
	size_t i;

	if (klen == 0 || key[0] == '_') {
		*why = "a partition key must not be empty or start with '_'";
		return -1;
	}
	for (i = 0; i < klen; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_')) {
			*why = "a partition key holds only letters, digits and '_'";
			return -1;
		}
	}
	for (i = 0; i < klen; i++)
		dh_buf_addc(out, key[i] >= 'A' && key[i] <= 'Z'
					 ? (char)(key[i] - 'A' + 'a') : key[i]);
	return 0;
}

int
dh_partition_name(struct dh_buf *out, const char *key, size_t klen,
		  const char *v, size_t vlen, const char **why)
{
	size_t start = out->len;

	if (dh_partition_key(out, key, klen, why) != 0)
		return -1;
	if (!dh_utf8_valid(v, vlen, NULL)) {
		*why = "the partition value is not valid UTF-8";
		out->len = start;
		out->data[start] = '\0';
		return -1;
	}
	dh_buf_addc(out, '=');
	dh_hive_escape(out, v, vlen);
	if (out->len - start > DH_NAME_MAX) {
		*why = "the partition directory name would be longer than 255 bytes";
		out->len = start;
		out->data[start] = '\0';
		return -1;
	}
	return 0;
}

int
dh_table_lock(const char *tabledir, const char *table, double wait_secs)
{
	struct dh_buf b = DH_BUF_INIT;
	struct timespec start, now, pause = {0, 50 * 1000 * 1000};
	int fd;

	dh_buf_addf(&b, "%s/_LOCK", tabledir);
	do
		fd = open(b.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", b.data);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			dh_die_errno(DH_EXIT_IO, "lock %s", b.data);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) +
			    (double)(now.tv_nsec - start.tv_nsec) / 1e9 >= wait_secs)
			dh_die(DH_EXIT_BUSY, "table %s is being written by another process (%s is locked; use --wait SECS to wait)",
			       table, b.data);
		nanosleep(&pause, NULL);
	}
	dh_buf_release(&b);
	/* no other writer now: a killed one's .tmp.* files (its _TABLE) go */
	dh_remove_stale_tmp(tabledir);
	return fd;
}

void
dh_journal(const char *statedir, const char *json_line)
{
	struct dh_buf b = DH_BUF_INIT;
	size_t n = strlen(json_line);
	int fd;

	dh_buf_addf(&b, "%s/_log.jsonl", statedir);
	do
		fd = open(b.data, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		dh_die_errno(DH_EXIT_IO, "%s", b.data);
	/* one write: appends from concurrent writers never interleave */
	if (write(fd, json_line, n) != (ssize_t)n || fsync(fd) != 0)
		dh_die_errno(DH_EXIT_IO, "write error: %s", b.data);
	close(fd);
	dh_buf_release(&b);
}
