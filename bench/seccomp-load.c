/*
 * seccomp-load: measure what a seccomp filter costs on the running kernel.
 *
 *   seccomp-load FILTER.bpf|- LOADS CALLS
 *
 * Attach time: LOADS forked children each set PR_SET_NO_NEW_PRIVS and time one
 * seccomp(SECCOMP_SET_MODE_FILTER) with CLOCK_MONOTONIC (copy, check, JIT and the kernel's
 * per-syscall action cache are all inside that call). Per-syscall cost: 5 forked children each
 * attach the filter, then time CALLS iterations of getppid() (unconditionally allowed, so the
 * kernel's constant-action bitmap (5.11+) can skip the filter) and of personality(0xffffffff)
 * (a query that changes nothing; allowed by an argument condition in Docker's profile, so the
 * filter really runs). "-" attaches nothing (the baseline). Results travel back through a shared
 * anonymous mapping, so the children make no system calls besides the measured ones, exit_group
 * and clock_gettime (vDSO). Output, medians in nanoseconds:
 *   load_ns=<n> getppid_ns=<n.nn> personality_ns=<n.nn>
 * Exit 2 on a setup failure, naming the step.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CALL_CHILDREN 5

static void fail(const char *step) {
	fprintf(stderr, "seccomp-load: %s: %s\n", step, strerror(errno));
	exit(2);
}

static uint64_t parse_count(const char *s) {
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > 100000000ULL) {
		fprintf(stderr, "seccomp-load: bad count \"%s\"\n", s);
		exit(2);
	}
	return (uint64_t)v;
}

static int64_t now_ns(void) {
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) fail("clock_gettime");
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct sock_fprog read_filter(const char *path) {
	struct sock_fprog prog = { .len = 0, .filter = NULL };
	if (strcmp(path, "-") == 0) return prog;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) fail("open filter");
	struct stat st;
	if (fstat(fd, &st) != 0) fail("stat filter");
	if (st.st_size <= 0 || st.st_size % 8 != 0 || st.st_size > 4096 * 8) {
		fprintf(stderr, "seccomp-load: %s: size %lld is not a BPF program\n", path, (long long)st.st_size);
		exit(2);
	}
	prog.filter = malloc((size_t)st.st_size);
	if (prog.filter == NULL) fail("malloc");
	if (read(fd, prog.filter, (size_t)st.st_size) != st.st_size) fail("read filter");
	close(fd);
	prog.len = (unsigned short)(st.st_size / 8);
	return prog;
}

/* In a child: attach (or not), returning the nanoseconds the seccomp() call took; exits 3 on failure. */
static int64_t attach(const struct sock_fprog *prog) {
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(3);
	int64_t t0 = now_ns();
	if (prog->len > 0 && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) != 0) _exit(3);
	return now_ns() - t0;
}

static void wait_child(pid_t pid, const char *step) {
	int status;
	if (waitpid(pid, &status, 0) != pid) fail("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "seccomp-load: %s: child %s %d\n", step, WIFEXITED(status) ? "exited" : "killed by signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		exit(2);
	}
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *xs, size_t n) {
	qsort(xs, n, sizeof *xs, cmp_double);
	return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: seccomp-load FILTER.bpf|- LOADS CALLS\n");
		return 2;
	}
	struct sock_fprog prog = read_filter(argv[1]);
	uint64_t loads = parse_count(argv[2]);
	uint64_t calls = parse_count(argv[3]);
	size_t slots = (size_t)loads + 2 * CALL_CHILDREN;
	double *shared = mmap(NULL, slots * sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) fail("mmap");

	for (uint64_t i = 0; i < loads; i++) {
		pid_t pid = fork();
		if (pid < 0) fail("fork");
		if (pid == 0) {
			shared[i] = (double)attach(&prog);
			_exit(0);
		}
		wait_child(pid, "attach");
	}
	for (int c = 0; c < CALL_CHILDREN; c++) {
		pid_t pid = fork();
		if (pid < 0) fail("fork");
		if (pid == 0) {
			attach(&prog);
			int64_t t0 = now_ns();
			for (uint64_t i = 0; i < calls; i++) syscall(SYS_getppid);
			int64_t t1 = now_ns();
			for (uint64_t i = 0; i < calls; i++)
				if (syscall(SYS_personality, 0xffffffffUL) == -1) _exit(4);
			int64_t t2 = now_ns();
			shared[loads + 2 * (uint64_t)c] = (double)(t1 - t0) / (double)calls;
			shared[loads + 2 * (uint64_t)c + 1] = (double)(t2 - t1) / (double)calls;
			_exit(0);
		}
		wait_child(pid, "calls");
	}
	double getppid_ns[CALL_CHILDREN], personality_ns[CALL_CHILDREN];
	for (int c = 0; c < CALL_CHILDREN; c++) {
		getppid_ns[c] = shared[loads + 2 * (uint64_t)c];
		personality_ns[c] = shared[loads + 2 * (uint64_t)c + 1];
	}
	printf("load_ns=%.0f getppid_ns=%.2f personality_ns=%.2f\n", median(shared, (size_t)loads),
	       median(getppid_ns, CALL_CHILDREN), median(personality_ns, CALL_CHILDREN));
	return 0;
}
