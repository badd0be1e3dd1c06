/*
 * What the machine charges for the two things every benchmark here is made of: a system call and
 * the first touch of a fresh page of memory. Printed before the results (bench/machine.mjs) so
 * that a goal met on one machine and missed on another can be told apart from a change in the
 * code: on the VM of bench/RESULTS.md's later runs, a page's first touch costs as much as sixteen
 * system calls, and both cost many times what they do on the machines the goals were set on.
 *
 *   machine     prints one JSON object:
 *     syscallNs        getppid(), the cheapest system call, hot, per call
 *     statNs           stat("/"), a path lookup, hot, per call
 *     pageTouchNs      writing one byte to each 4 KiB page of fresh anonymous memory, per page
 *     populatedTouchNs the same after MADV_POPULATE_WRITE filled the pages in one call (null if refused):
 *                      what a fault costs beyond the guest kernel's part of it (a VM's shadow paging)
 *     hugePageTouchNs  the same with MADV_HUGEPAGE asked for, per 4 KiB (null if refused)
 *     thp              /sys/kernel/mm/transparent_hugepage/enabled, as the kernel shows it
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define AREA (32u << 20)
#define PAGE 4096u
#define HUGE (2u << 20)

static double now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The median of five rounds of `f`, each returning nanoseconds per unit. */
static double median5(double (*f)(void)) {
	double v[5];
	for (int i = 0; i < 5; i++) v[i] = f();
	for (int i = 1; i < 5; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[2];
}

static double syscall_round(void) {
	const int n = 20000;
	double t0 = now_ns();
	for (int i = 0; i < n; i++) syscall(SYS_getppid);
	return (now_ns() - t0) / n;
}

static double stat_round(void) {
	const int n = 5000;
	struct stat st;
	double t0 = now_ns();
	for (int i = 0; i < n; i++) stat("/", &st);
	return (now_ns() - t0) / n;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Fresh memory, 2 MiB aligned so that huge pages can back it; -1 if it cannot be had. */
static double touch_round(int how) {
	char *raw = mmap(NULL, AREA + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) return -1;
	char *p = (char *)(((unsigned long)raw + HUGE - 1) & ~(unsigned long)(HUGE - 1));
	if (how && madvise(p, AREA, how == 1 ? MADV_HUGEPAGE : MADV_POPULATE_WRITE) != 0) {
		munmap(raw, AREA + HUGE);
		return -1;
	}
	double t0 = now_ns();
	for (unsigned i = 0; i < AREA; i += PAGE) p[i] = 1;
	double ns = (now_ns() - t0) / (AREA / PAGE);
	munmap(raw, AREA + HUGE);
	return ns;
}
static double touch_small(void) { return touch_round(0); }
static double touch_huge(void) { return touch_round(1); }
static double touch_populated(void) { return touch_round(2); }

int main(void) {
	char thp[128] = "unknown";
	int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, thp, sizeof thp - 1);
		thp[n > 0 ? n : 0] = 0;
		thp[strcspn(thp, "\n\"\\")] = 0;
		close(fd);
	}
	double sys = median5(syscall_round), st = median5(stat_round), small = median5(touch_small), huge = median5(touch_huge), populated = median5(touch_populated);
	printf("{\"syscallNs\":%.0f,\"statNs\":%.0f,\"pageTouchNs\":%.0f,", sys, st, small);
	if (populated < 0) printf("\"populatedTouchNs\":null,");
	else printf("\"populatedTouchNs\":%.0f,", populated);
	if (huge < 0) printf("\"hugePageTouchNs\":null,");
	else printf("\"hugePageTouchNs\":%.0f,", huge);
	printf("\"thp\":\"%s\"}\n", thp);
	return small < 0;
}
