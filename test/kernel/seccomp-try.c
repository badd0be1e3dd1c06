/*
 * seccomp-try: install a raw seccomp BPF program, then make one system call and report it.
 *
 *   seccomp-try FILTER.bpf|- native|x32|int80 NR [ARG0 … ARG5]
 *
 * "-" installs no filter (to show that the call works unsandboxed). Arguments are decimal or 0x
 * hex, full 64-bit. After the filter is in place only write(2) and exit_group(2) are used, so a
 * policy that allows those two can be tested. Output: "ret=<n> errno=<e>\n". Exit 0 when the call
 * returned, 2 on a setup failure; a kill action shows up as death by SIGSYS.
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void fail(const char *step) {
	fprintf(stderr, "seccomp-try: %s: %s\n", step, strerror(errno));
	exit(2);
}

static uint64_t parse_u64(const char *s) {
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "seccomp-try: bad number \"%s\"\n", s);
		exit(2);
	}
	return (uint64_t)v;
}

static void install(const char *path) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) fail("open filter");
	struct stat st;
	if (fstat(fd, &st) != 0) fail("stat filter");
	if (st.st_size <= 0 || st.st_size % 8 != 0 || st.st_size > 4096 * 8) {
		fprintf(stderr, "seccomp-try: %s: size %lld is not a BPF program\n", path, (long long)st.st_size);
		exit(2);
	}
	struct sock_filter *insns = malloc((size_t)st.st_size);
	if (insns == NULL) fail("malloc");
	if (read(fd, insns, (size_t)st.st_size) != st.st_size) fail("read filter");
	close(fd);
	struct sock_fprog prog = { .len = (unsigned short)(st.st_size / 8), .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("prctl(PR_SET_NO_NEW_PRIVS)");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) fail("seccomp(SECCOMP_SET_MODE_FILTER)");
}

static long call_int80(uint64_t nr, const uint64_t *a) {
#if defined(__x86_64__)
	long ret;
	/* The i386 ABI: eax = number, ebx, ecx, edx, esi, edi, ebp = arguments (32-bit). */
	register uint64_t ebp __asm__("rbp") = a[5];
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]), "r"(ebp)
			 : "memory");
	return ret;
#else
	(void)nr;
	(void)a;
	return -ENOSYS;
#endif
}

int main(int argc, char **argv) {
	if (argc < 4 || argc > 10) {
		fprintf(stderr, "usage: seccomp-try FILTER.bpf|- native|x32|int80 NR [ARG0 ... ARG5]\n");
		return 2;
	}
	uint64_t nr = parse_u64(argv[3]);
	uint64_t a[6] = {0};
	for (int i = 4; i < argc; i++) a[i - 4] = parse_u64(argv[i]);
	const char *mode = argv[2];
	if (strcmp(mode, "native") != 0 && strcmp(mode, "x32") != 0 && strcmp(mode, "int80") != 0) {
		fprintf(stderr, "seccomp-try: unknown mode %s\n", mode);
		return 2;
	}
	if (strcmp(argv[1], "-") != 0) install(argv[1]);

	long ret;
	int err = 0;
	if (strcmp(mode, "int80") == 0) {
		ret = call_int80(nr, a);
		if (ret < 0 && ret > -4096) {
			err = (int)-ret;
			ret = -1;
		}
	} else {
		if (strcmp(mode, "x32") == 0) nr |= 0x40000000ULL;
		errno = 0;
		ret = syscall((long)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		err = ret == -1 ? errno : 0;
	}
	char line[64];
	int n = snprintf(line, sizeof line, "ret=%ld errno=%d\n", ret, err);
	if (write(1, line, (size_t)n) != n) return 2;
	_exit(0);
}
