/*
 * Replay of a fuzz corpus without libFuzzer, for `make check`: every file
 * of the directories named as arguments (none: tests/fuzz/corpus-NAME,
 * NAME from -DFUZZ_NAME) goes through the target's LLVMFuzzerTestOneInput
 * in a buffer of exactly its size, so that the sanitizers of a
 * SANITIZE=address,undefined build catch reads past it.  A target reports
 * a broken property by aborting; then the input's path is printed and the
 * run fails.  Ends with one line "fuzz-replay NAME: N passed, 0 failed".
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_NAME
#define FUZZ_NAME "target"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set by the sanitizer runtime when linked in; null otherwise. */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static char current[4096];

/* Name the input that broke a property or crashed. */
static void
say_current(void)
{
	static const char pre[] = "fuzz-replay " FUZZ_NAME ": failed on ";
	size_t n = strlen(current);

	if (write(2, pre, sizeof(pre) - 1) < 0 || write(2, current, n) < 0 ||
	    write(2, "\n", 1) < 0)
		return;
}

static void
on_signal(int sig)
{
	say_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *data;
	size_t n;

	if (f == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "fuzz-replay %s: %s: %s\n", FUZZ_NAME, path,
			strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	n = (size_t)st.st_size;
	/* malloc(0) may give NULL: one byte more, never read */
	data = malloc(n ? n : 1);
	if (data == NULL || fread(data, 1, n, f) != n) {
		fprintf(stderr, "fuzz-replay %s: %s: short read\n", FUZZ_NAME,
			path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(current, sizeof(current), "%s", path);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

/* Every regular file of dir, in name order; the number run, or -1. */
static long
run_dir(const char *dir, long *failed)
{
	struct dirent **de;
	int n = scandir(dir, &de, NULL, alphasort), i;
	long ran = 0;

	if (n < 0) {
		fprintf(stderr, "fuzz-replay %s: %s: %s\n", FUZZ_NAME, dir,
			strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, de[i]->d_name);
		if (de[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (run_file(path) == 0)
				ran++;
			else
				(*failed)++;
		}
		free(de[i]);
	}
	free(de);
	return ran;
}

int
main(int argc, char **argv)
{
	static const char *const def[] = {"tests/fuzz/corpus-" FUZZ_NAME};
	const char *const *dirs =
	    argc > 1 ? (const char *const *)argv + 1 : def;
	int ndirs = argc > 1 ? argc - 1 : 1, i;
	long passed = 0, failed = 0;

	/* a target's abort(); under sanitizers their report, then ours */
	signal(SIGABRT, on_signal);
	if (__sanitizer_set_death_callback != NULL) {
		__sanitizer_set_death_callback(say_current);
	} else {
		signal(SIGSEGV, on_signal);
		signal(SIGBUS, on_signal);
		signal(SIGFPE, on_signal);
	}
	for (i = 0; i < ndirs; i++) {
		long k = run_dir(dirs[i], &failed);

		if (k < 0)
			failed++;
		else
			passed += k;
	}
	/* an empty corpus proves nothing */
	if (passed == 0 && failed == 0) {
		fprintf(stderr, "fuzz-replay %s: no inputs\n", FUZZ_NAME);
		failed = 1;
	}
	printf("fuzz-replay %s: %ld passed, %ld failed\n", FUZZ_NAME, passed,
	       failed);
	return failed ? 1 : 0;
}
