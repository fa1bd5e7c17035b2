/*
 * err: messages and exits, err(3)-style.  Every message starts with the
 * program name set by dh_err_init(); located ones add "file:line: ".
 * Values shown in messages go through dh_quote() so that non-printable
 * bytes are escaped and the value is quoted.
 */
#ifndef DH_ERR_H
#define DH_ERR_H

#include <stddef.h>

/* Exit statuses, DESIGN §7. */
enum {
	DH_EXIT_OK = 0,
	DH_EXIT_FAIL = 1,  /* checks failed, or rejects over --max-rejects */
	DH_EXIT_USAGE = 2, /* bad command line */
	DH_EXIT_DATA = 3,  /* bad input data */
	DH_EXIT_IO = 4,    /* I/O or system error, full disk included */
	DH_EXIT_BUSY = 5,  /* lock held by another writer */
};

/* Where a record came from: the input's display name and a line number
 * (or record number for JSON arrays).  Borrowed name, owned by the input. */
struct dh_loc {
	const char *name;
	unsigned long long line;
};

#define DH_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Set once at start of main: the name used in messages (basename of argv0). */
void dh_err_init(const char *argv0);
const char *dh_progname(void);

_Noreturn void dh_die(int code, const char *fmt, ...) DH_PRINTF(2, 3);
/* As dh_die, adding ": strerror(errno)". */
_Noreturn void dh_die_errno(int code, const char *fmt, ...) DH_PRINTF(2, 3);
/* Bad data: exit 3 with "prog: file:line: message". */
_Noreturn void dh_die_at(const struct dh_loc *loc, const char *fmt, ...)
	DH_PRINTF(2, 3);
void dh_warn(const char *fmt, ...) DH_PRINTF(1, 2);
/* Usage error: the message, then the "Try --help" line; exit 2. */
_Noreturn void dh_usage_error(const char *fmt, ...) DH_PRINTF(1, 2);

/*
 * Write into out (size outsz >= 16) the value quoted for a message:
 * "abc", with \n, \t, \", \\ and \xHH for other non-printable bytes.
 * Values longer than a message should hold end in "...".  Returns out.
 */
char *dh_quote(const char *s, size_t n, char *out, size_t outsz);

#endif
