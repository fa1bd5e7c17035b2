/*
 * rss STATS CMD [ARG ...]: run CMD as it is (standard streams inherited),
 * then write one line "SECONDS PEAK_RSS_KIB" to the file STATS: wall time
 * on the monotonic clock and the child's peak resident set from
 * getrusage(RUSAGE_CHILDREN).  Exits with CMD's status (128 + signal when
 * it was killed), so that scripts/bench can time a tool and still see it
 * fail.  A stand-in for GNU time's %e %M, with nanosecond timing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	FILE *f;
	pid_t pid;
	int status;

	dh_err_init(argv[0]);
	if (argc < 3) {
		fprintf(stderr, "usage: %s STATS CMD [ARG ...]\n",
			dh_progname());
		return DH_EXIT_USAGE;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) < 0)
		dh_die_errno(DH_EXIT_IO, "fork");
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		dh_warn("%s: %s", argv[2], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			dh_die_errno(DH_EXIT_IO, "waitpid");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getrusage(RUSAGE_CHILDREN, &ru) != 0)
		dh_die_errno(DH_EXIT_IO, "getrusage");

	if ((f = fopen(argv[1], "w")) == NULL)
		dh_die_errno(DH_EXIT_IO, "%s", argv[1]);
	fprintf(f, "%.6f %ld\n",
		(double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		ru.ru_maxrss);
	if (fclose(f) != 0)
		dh_die_errno(DH_EXIT_IO, "%s", argv[1]);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
