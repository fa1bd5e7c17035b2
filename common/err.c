#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "progress.h"

/* Set once by dh_err_init() before anything else runs. */
static const char *progname = "dh";

void
dh_err_init(const char *argv0)
{
	const char *s;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	s = strrchr(argv0, '/');
	progname = s != NULL ? s + 1 : argv0;
}

const char *
dh_progname(void)
{
	return progname;
}

static void
vmsg(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
	fflush(stdout);
	dh_progress_clear();
	fprintf(stderr, "%s: ", progname);
	if (prefix != NULL)
		fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, ": %s", suffix);
	fputc('\n', stderr);
}

void
dh_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, fmt, ap, NULL);
	va_end(ap);
	exit(code);
}

void
dh_die_errno(int code, const char *fmt, ...)
{
	va_list ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	vmsg(NULL, fmt, ap, e);
	va_end(ap);
	exit(code);
}

void
dh_die_at(const struct dh_loc *loc, const char *fmt, ...)
{
	va_list ap;
	char pre[4096];

	snprintf(pre, sizeof(pre), "%s:%llu: ", loc->name, loc->line);
	va_start(ap, fmt);
	vmsg(pre, fmt, ap, NULL);
	va_end(ap);
	exit(DH_EXIT_DATA);
}

void
dh_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, fmt, ap, NULL);
	va_end(ap);
}

void
dh_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, fmt, ap, NULL);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	exit(DH_EXIT_USAGE);
}

char *
dh_quote(const char *s, size_t n, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;
	/* text that is not UTF-8 shows its bytes: \xff, not a mojibake */
	int utf8 = dh_utf8_valid(s, n, NULL);

	out[o++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[5];
		size_t k = 0;

		if (c == '"' || c == '\\') {
			esc[k++] = '\\';
			esc[k++] = (char)c;
		} else if (c == '\n') {
			esc[k++] = '\\';
			esc[k++] = 'n';
		} else if (c == '\t') {
			esc[k++] = '\\';
			esc[k++] = 't';
		} else if (c == '\r') {
			esc[k++] = '\\';
			esc[k++] = 'r';
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
			esc[k++] = '\\';
			esc[k++] = 'x';
			esc[k++] = hex[c >> 4];
			esc[k++] = hex[c & 15];
		} else {
			esc[k++] = (char)c;
		}
		/* keep room for the closing quote, "..." and NUL */
		if (o + k + 5 > outsz) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, esc, k);
		o += k;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
