/*
 * Launch-time driver for bench/launch.mjs: starts COMMAND N times, one after the other, and prints
 * three lines of N numbers: the wall time of each launch (spawn to reaped exit) in nanoseconds, then
 * the CPU time (user + system, from wait4) the launch used, which waiting for a busy CPU does not
 * inflate, then its minor page faults (wait4's ru_minflt: first touches of memory, which cost a
 * VM with shadow paging far more than a system call; bench/machine.c measures both).
 *
 *   launch-driver N COMMAND [ARGS...]
 *
 * The command's stdout and stderr go to /dev/null. Any launch that does not exit 0 fails the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: launch-driver N COMMAND [ARGS...]\n");
		return 2;
	}
	long n = strtol(argv[1], NULL, 10);
	if (n < 1) return 2;
	posix_spawn_file_actions_t fa;
	if (posix_spawn_file_actions_init(&fa) != 0 || posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) != 0) {
		perror("launch-driver: file actions");
		return 2;
	}
	long long *ns = calloc((size_t)n, sizeof *ns), *cpu = calloc((size_t)n, sizeof *cpu), *faults = calloc((size_t)n, sizeof *faults);
	if (ns == NULL || cpu == NULL || faults == NULL) return 2;
	for (long i = 0; i < n; i++) {
		pid_t pid;
		int status;
		struct rusage ru;
		long long t0 = now_ns();
		int err = posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ);
		if (err != 0) {
			fprintf(stderr, "launch-driver: spawn %s: %s\n", argv[2], strerror(err));
			return 2;
		}
		while (wait4(pid, &status, 0, &ru) < 0)
			if (errno != EINTR) {
				perror("launch-driver: wait4");
				return 2;
			}
		ns[i] = now_ns() - t0;
		cpu[i] = ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 + ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
		faults[i] = ru.ru_minflt;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "launch-driver: %s exited with status 0x%x on launch %ld\n", argv[2], status, i);
			return 1;
		}
	}
	for (long i = 0; i < n; i++) printf("%lld%c", ns[i], i + 1 < n ? ' ' : '\n');
	for (long i = 0; i < n; i++) printf("%lld%c", cpu[i], i + 1 < n ? ' ' : '\n');
	for (long i = 0; i < n; i++) printf("%lld%c", faults[i], i + 1 < n ? ' ' : '\n');
	return 0;
}
