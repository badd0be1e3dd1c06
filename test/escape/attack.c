/*
 * escape-attack: the escape corpus's actions, one per invocation, reported on stdout.
 *
 *   "ok" or "ok <data>"   the action worked (data: what was read, received or observed)
 *   "errno=<n>"           the kernel refused it (exit status 1)
 *   usage errors exit 2; a process killed by seccomp reports nothing (the caller sees the signal)
 *
 *   escape-attack batch ACTION ARGS... [:: ACTION ARGS...]...   runs each action in a child
 *
 * Every action is a plain syscall sequence so that the only thing between it and success is the
 * sandbox. Compiled at test time: libc and kernel headers only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int fail(void) {
	printf("errno=%d\n", errno);
	return 1;
}

static int ok(const char *data) {
	printf(data ? "ok %s\n" : "ok\n", data);
	return 0;
}

/* Reads what is left on fd into a static buffer, without trailing newlines. */
static const char *slurp(int fd) {
	static char buf[16384];
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		n += (size_t)r;
	}
	buf[n] = 0;
	/* NUL-separated files (/proc/<pid>/environ, cmdline) read as space-separated text. */
	for (size_t i = 0; i < n; i++) if (buf[i] == 0) buf[i] = ' ';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = 0;
	return buf;
}

static int read_path(int dirfd, const char *path) {
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return fail();
	return ok(slurp(fd));
}

static int write_path(const char *path, const char *text) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) return fail();
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) return fail();
	if (close(fd) != 0) return fail();
	return ok(NULL);
}

static int copy_file(const char *from, const char *to, mode_t mode) {
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0) return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) return -1;
	char buf[65536];
	ssize_t r;
	while ((r = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)r) != r) return -1;
	close(in);
	return close(out) == 0 && r == 0 ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm -rf: the first failure ends it. */
static int rmtree(const char *path) {
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? ok(NULL) : fail();
}

/* ---- file handles ---------------------------------------------------------------------- */

static int handle_get(const char *path) {
	char storage[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	struct file_handle *h = (struct file_handle *)storage;
	h->handle_bytes = MAX_HANDLE_SZ;
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0) != 0) return fail();
	printf("ok %d:", h->handle_type);
	for (unsigned i = 0; i < h->handle_bytes; i++) printf("%02x", h->f_handle[i]);
	printf("\n");
	return 0;
}

static int handle_open(const char *mount_dir, const char *text) {
	char storage[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	struct file_handle *h = (struct file_handle *)storage;
	char *colon = strchr(text, ':');
	if (colon == NULL) return 2;
	h->handle_type = atoi(text);
	h->handle_bytes = 0;
	for (const char *p = colon + 1; p[0] && p[1] && h->handle_bytes < MAX_HANDLE_SZ; p += 2) {
		unsigned v;
		if (sscanf(p, "%2x", &v) != 1) return 2;
		h->f_handle[h->handle_bytes++] = (unsigned char)v;
	}
	int mfd = open(mount_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0) return fail();
	int fd = open_by_handle_at(mfd, h, O_RDONLY);
	if (fd < 0) return fail();
	return ok(slurp(fd));
}

/* ---- io_uring: openat + read submitted to the ring, never as syscalls -------------------- */

struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int uring_do(struct ring *r, const struct io_uring_sqe *sqe) {
	unsigned tail = *r->sq_tail;
	unsigned i = tail & *r->sq_mask;
	r->sqes[i] = *sqe;
	r->sq_array[i] = i;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) return -errno;
	unsigned head = __atomic_load_n(r->cq_head, __ATOMIC_ACQUIRE);
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) return -EAGAIN;
	int res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static int uring_read(const char *path) {
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	struct ring r;
	r.fd = (int)syscall(SYS_io_uring_setup, 4, &p);
	if (r.fd < 0) return fail();
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	uint8_t *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r.fd, IORING_OFF_SQ_RING);
	uint8_t *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r.fd, IORING_OFF_CQ_RING);
	r.sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r.fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r.sqes == MAP_FAILED) return fail();
	r.sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r.sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r.sq_array = (unsigned *)(sq + p.sq_off.array);
	r.cq_head = (unsigned *)(cq + p.cq_off.head);
	r.cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r.cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r.cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	struct io_uring_sqe sqe;
	memset(&sqe, 0, sizeof sqe);
	sqe.opcode = IORING_OP_OPENAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (uint64_t)(uintptr_t)path;
	sqe.open_flags = O_RDONLY;
	int fd = uring_do(&r, &sqe);
	if (fd < 0) {
		errno = -fd;
		return fail();
	}
	static char buf[4096];
	memset(&sqe, 0, sizeof sqe);
	sqe.opcode = IORING_OP_READ;
	sqe.fd = fd;
	sqe.addr = (uint64_t)(uintptr_t)buf;
	sqe.len = sizeof buf - 1;
	int n = uring_do(&r, &sqe);
	if (n < 0) {
		errno = -n;
		return fail();
	}
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n') buf[--n] = 0;
	return ok(buf);
}

/* ---- the i386 and x32 entry points ---------------------------------------------------- */

static long int80(long nr, long a, long b, long c) {
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

/* Memory below 4 GiB: the i386 ABI passes 32-bit pointers. */
static char *low_memory(void) {
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (p == MAP_FAILED) exit(fail());
	return p;
}

static int int80_read(const char *path) {
	char *low = low_memory();
	strncpy(low, path, 4095);
	long fd = int80(5 /* i386 open */, (long)(uintptr_t)low, O_RDONLY, 0);
	if (fd < 0) {
		errno = (int)-fd;
		return fail();
	}
	long n = int80(3 /* i386 read */, fd, (long)(uintptr_t)(low + 4096), 4095);
	if (n < 0) {
		errno = (int)-n;
		return fail();
	}
	low[4096 + n] = 0;
	while (n > 0 && low[4096 + n - 1] == '\n') low[4096 + --n] = 0;
	return ok(low + 4096);
}

static int int80_socketcall(void) {
	uint32_t *args = (uint32_t *)(void *)low_memory();
	args[0] = AF_INET;
	args[1] = SOCK_DGRAM;
	args[2] = 0;
	long fd = int80(102 /* i386 socketcall */, 1 /* SYS_SOCKET */, (long)(uintptr_t)args, 0);
	if (fd < 0) {
		errno = (int)-fd;
		return fail();
	}
	return ok(NULL);
}

/* ---- terminals ------------------------------------------------------------------------ */

/* Pushes text into the input queue of the terminal on fd 0, as if the user had typed it. */
static int tiocsti(const char *text, unsigned long request) {
	for (const char *p = text; *p; p++)
		if (syscall(SYS_ioctl, 0, request, p) != 0) return fail();
	return ok(NULL);
}

/* Makes a new process group the foreground of the terminal on fd 0 (tcsetpgrp), as a process
 * the command leaves behind could once `mxcc run` has returned: the terminal's next input, the
 * user's typing meant for the shell, then goes to that group. The child does it (a session
 * leader cannot start a process group); SIGTTOU is ignored so that a background caller is
 * answered rather than stopped. "ok" only if the terminal's foreground really changed. */
static int tiocspgrp(unsigned long request) {
	signal(SIGTTOU, SIG_IGN);
	pid_t pid = fork();
	if (pid < 0) return fail();
	if (pid == 0) {
		if (setpgid(0, 0) != 0) _exit(fail());
		pid_t group = getpgrp();
		if (syscall(SYS_ioctl, 0, request, &group) != 0) _exit(fail());
		_exit(tcgetpgrp(0) == group ? ok(NULL) : 4);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

/* Runs argv with a fresh pseudo-terminal as controlling terminal and stdin, then reports what
 * is waiting in that terminal's input queue: whatever the command injected. */
static int pty_run(char **argv) {
	int master, slave;
	if (openpty(&master, &slave, NULL, NULL, NULL) != 0) return fail();
	pid_t pid = fork();
	if (pid < 0) return fail();
	if (pid == 0) {
		close(master);
		if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) != 0 || dup2(slave, 0) < 0) _exit(3);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	struct termios t;
	tcgetattr(slave, &t);
	cfmakeraw(&t);
	tcsetattr(slave, TCSANOW, &t);
	fcntl(slave, F_SETFL, O_NONBLOCK);
	char buf[256];
	ssize_t n = read(slave, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	for (char *p = buf; *p; p++) if (*p == '\n' || *p == '\r') *p = '|';
	printf("injected=%s\n", buf);
	return 0;
}

/* ---- processes ------------------------------------------------------------------------- */

static int ptrace_attach(pid_t pid) {
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) != 0) return fail();
	int status;
	waitpid(pid, &status, 0);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return ok(NULL);
}

static int ptrace_sibling(void) {
	pid_t sibling = fork();
	if (sibling < 0) return fail();
	if (sibling == 0) {
		pause();
		_exit(0);
	}
	int r = ptrace_attach(sibling);
	kill(sibling, SIGKILL);
	waitpid(sibling, NULL, 0);
	return r;
}

/* What a process learns about pid without signalling it. */
static int probe(pid_t pid) {
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	int seen = 0;
	if (stat(path, &st) == 0) seen |= 1;
	if (getpgid(pid) >= 0) seen |= 2;
	errno = 0;
	if (getpriority(PRIO_PROCESS, (id_t)pid) != -1 || errno == 0) seen |= 4;
	if (seen == 0) {
		errno = ESRCH;
		return fail();
	}
	char data[64];
	snprintf(data, sizeof data, "%s%s%s", seen & 1 ? "stat " : "", seen & 2 ? "getpgid " : "", seen & 4 ? "getpriority" : "");
	return ok(data);
}

/* System V shared memory by key: made by the host (mode 0600), then read from the sandbox. */
static int shm_put(const char *key, const char *text) {
	int id = shmget((key_t)strtol(key, NULL, 0), 4096, IPC_CREAT | 0600);
	char *m = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
	if (m == (char *)-1) return fail();
	snprintf(m, 4096, "%s", text);
	return ok(NULL);
}

static int shm_get(const char *key) {
	int id = shmget((key_t)strtol(key, NULL, 0), 0, 0);
	char *m = id < 0 ? (char *)-1 : shmat(id, NULL, SHM_RDONLY);
	return m == (char *)-1 ? fail() : ok(m);
}

static int shm_rm(const char *key) {
	int id = shmget((key_t)strtol(key, NULL, 0), 0, 0);
	return id >= 0 && shmctl(id, IPC_RMID, NULL) == 0 ? ok(NULL) : fail();
}

static int forks(int n) {
	pid_t *kids = calloc((size_t)n, sizeof *kids);
	int made = 0, err = 0;
	for (; made < n; made++) {
		pid_t p = fork();
		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0) {
			pause();
			_exit(0);
		}
		kids[made] = p;
	}
	for (int i = 0; i < made; i++) kill(kids[i], SIGKILL);
	for (int i = 0; i < made; i++) waitpid(kids[i], NULL, 0);
	if (err) {
		printf("errno=%d after %d\n", err, made);
		return 1;
	}
	return ok(NULL);
}

/* Each of n children touches mb MiB; "ok" when all of them held it at once. */
static int touch_memory(int n, long mb) {
	int pipes[2];
	if (pipe(pipes) != 0) return fail();
	pid_t *kids = calloc((size_t)n, sizeof *kids);
	for (int i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] < 0) return fail();
		if (kids[i] == 0) {
			size_t len = (size_t)mb << 20;
			char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			char c = p == MAP_FAILED ? 'n' : 'y';
			if (p != MAP_FAILED) memset(p, 1, len);
			if (write(pipes[1], &c, 1) != 1) _exit(1);
			pause();
			_exit(0);
		}
	}
	int held = 0;
	for (int i = 0; i < n; i++) {
		char c;
		if (read(pipes[0], &c, 1) == 1 && c == 'y') held++;
	}
	for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
	for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
	if (held < n) {
		printf("errno=%d held %d of %d\n", ENOMEM, held, n);
		return 1;
	}
	return ok(NULL);
}

/* ---- sockets --------------------------------------------------------------------------- */

static int inet_addr_of(const char *addr, const char *port, struct sockaddr_in *a) {
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons((unsigned short)atoi(port));
	return inet_pton(AF_INET, addr, &a->sin_addr) == 1 ? 0 : -1;
}

static int tcp_send(const char *addr, const char *port, const char *data) {
	struct sockaddr_in a;
	if (inet_addr_of(addr, port, &a) != 0) return 2;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) return fail();
	if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) return fail();
	if (send(s, data, strlen(data), MSG_NOSIGNAL) < 0) return fail();
	shutdown(s, SHUT_WR);
	return ok(slurp(s));
}

static int udp_send(const char *addr, const char *port, const char *data) {
	struct sockaddr_in a;
	if (inet_addr_of(addr, port, &a) != 0) return 2;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) return fail();
	for (int i = 0; i < 3; i++)
		if (sendto(s, data, strlen(data), 0, (struct sockaddr *)&a, sizeof a) < 0) return fail();
	return ok(NULL);
}

static int unix_send(const char *name, int abstract, const char *data) {
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	size_t len = strlen(name);
	if (len + 2 > sizeof a.sun_path) return 2;
	memcpy(a.sun_path + (abstract ? 1 : 0), name, len);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) return fail();
	/* Abstract names are padded with NULs to the full length, as node and libuv bind them. */
	socklen_t alen = abstract ? (socklen_t)sizeof a : (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (connect(s, (struct sockaddr *)&a, alen) != 0) return fail();
	if (send(s, data, strlen(data), MSG_NOSIGNAL) < 0) return fail();
	shutdown(s, SHUT_WR);
	return ok(slurp(s));
}

/* A host service for the network cases: prints "listening", then appends what each client or
 * datagram sends to LOG (one line each) and answers stream clients with "pong". PROTO is tcp or
 * udp (ADDR PORT), unix (a path) or abstract (a name; PORT is ignored for both). */
static int serve(const char *proto, const char *addr, const char *port, const char *log) {
	int udp = strcmp(proto, "udp") == 0;
	int local = strcmp(proto, "unix") == 0 || strcmp(proto, "abstract") == 0;
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	if (local) {
		struct sockaddr_un *u = (struct sockaddr_un *)&ss;
		int abstract = proto[0] == 'a';
		if (strlen(addr) + 2 > sizeof u->sun_path) return 2;
		u->sun_family = AF_UNIX;
		memcpy(u->sun_path + abstract, addr, strlen(addr));
		len = abstract ? (socklen_t)sizeof *u : (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(addr));
	} else {
		if (inet_addr_of(addr, port, (struct sockaddr_in *)&ss) != 0) return 2;
		len = sizeof(struct sockaddr_in);
	}
	int s = socket(local ? AF_UNIX : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	int one = 1;
	if (!local) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s < 0 || bind(s, (struct sockaddr *)&ss, len) != 0 || (!udp && listen(s, 16) != 0)) return fail();
	printf("listening\n");
	for (;;) {
		char buf[1024];
		ssize_t n;
		int c = -1;
		if (udp) {
			n = recv(s, buf, sizeof buf - 1, 0);
		} else {
			c = accept(s, NULL, NULL);
			if (c < 0) continue;
			n = recv(c, buf, sizeof buf - 1, 0);
		}
		if (n < 0) n = 0;
		buf[n] = 0;
		int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dprintf(fd, "%s\n", buf);
			close(fd);
		}
		if (c >= 0) {
			if (send(c, "pong", 4, MSG_NOSIGNAL) < 0) { /* the client left */ }
			close(c);
		}
	}
}

/* ---- exec ------------------------------------------------------------------------------ */

static int exec_copy(const char *src, const char *dst, char **argv) {
	if (copy_file(src, dst, 0755) != 0) return fail();
	execv(dst, argv);
	return fail();
}

static int exec_memfd(const char *src, char **argv) {
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) return fail();
	int m = (int)syscall(SYS_memfd_create, "payload", 0);
	if (m < 0) return fail();
	char buf[65536];
	ssize_t r;
	while ((r = read(in, buf, sizeof buf)) > 0)
		if (write(m, buf, (size_t)r) != r) return fail();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", m);
	execv(path, argv);
	return fail();
}

static int exec_ldso(const char *src, const char *dst, const char *loader, char **argv) {
	if (copy_file(src, dst, 0644) != 0) return fail();
	char *args[16] = { (char *)loader, (char *)dst };
	for (int i = 0; argv[i] && i < 13; i++) args[i + 2] = argv[i];
	execv(loader, args);
	return fail();
}

static int whoami(void) {
	char data[64];
	snprintf(data, sizeof data, "uid=%d euid=%d nnp=%d", (int)getuid(), (int)geteuid(), prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	return ok(data);
}

/* ---- 64-bit arguments the kernel truncates to 32 ---------------------------------------- */

static int socket_hi(long domain, long type, long protocol) {
	long s = syscall(SYS_socket, (1L << 32) | domain, type, protocol);
	return s < 0 ? fail() : ok(NULL);
}

static int clone_hi(void) {
	long pid = syscall(SYS_clone, (1L << 32) | CLONE_NEWUSER | SIGCHLD, 0L, 0L, 0L, 0L);
	if (pid < 0) return fail();
	if (pid == 0) _exit(0);
	waitpid((pid_t)pid, NULL, 0);
	return ok(NULL);
}

static int dispatch(int argc, char **argv);

/* Runs each action (actions separated by "::") in its own child, one after the other, and
 * reports each as "@@ <index> <exit status> <signal>" followed by the action's output. One
 * sandbox launch then serves a whole file of cases. */
static int batch(int argc, char **argv) {
	int start = 2;
	for (int index = 0; start <= argc; index++) {
		int end = start;
		while (end < argc && strcmp(argv[end], "::") != 0) end++;
		int out[2];
		if (pipe(out) != 0) return fail();
		pid_t pid = fork();
		if (pid < 0) return fail();
		if (pid == 0) {
			close(out[0]);
			if (dup2(out[1], 1) < 0) _exit(2);
			char **sub = calloc((size_t)(end - start + 2), sizeof *sub);
			sub[0] = argv[0];
			for (int k = start; k < end; k++) sub[k - start + 1] = argv[k];
			_exit(dispatch(end - start + 1, sub));
		}
		close(out[1]);
		const char *text = slurp(out[0]);
		close(out[0]);
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
		printf("@@ %d %d %d\n%s\n", index, WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0, text);
		start = end + 1;
	}
	return 0;
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 2 && strcmp(argv[1], "batch") == 0) return batch(argc, argv);
	return dispatch(argc, argv);
}

static int dispatch(int argc, char **argv) {
	if (argc < 2) return 2;
	const char *a = argv[1];
#define IS(name, n) (strcmp(a, name) == 0 && argc == (n) + 2)
	if (IS("read", 1)) return read_path(AT_FDCWD, argv[2]);
	if (IS("readat", 2)) {
		int d = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
		return d < 0 ? fail() : read_path(d, argv[3]);
	}
	if (IS("write", 2)) return write_path(argv[2], argv[3]);
	if (IS("link", 2)) return link(argv[2], argv[3]) == 0 ? ok(NULL) : fail();
	if (IS("symlink", 2)) return symlink(argv[2], argv[3]) == 0 ? ok(NULL) : fail();
	if (IS("symlink-read", 2)) return symlink(argv[2], argv[3]) == 0 ? read_path(AT_FDCWD, argv[3]) : fail();
	if (IS("rename", 2)) return rename(argv[2], argv[3]) == 0 ? ok(NULL) : fail();
	if (IS("unlink", 1)) return unlink(argv[2]) == 0 ? ok(NULL) : fail();
	if (IS("rmtree", 1)) return rmtree(argv[2]);
	if (IS("rmdir", 1)) return rmdir(argv[2]) == 0 ? ok(NULL) : fail();
	if (IS("handle-get", 1)) return handle_get(argv[2]);
	if (IS("handle-open", 2)) return handle_open(argv[2], argv[3]);
	if (IS("uring-read", 1)) return uring_read(argv[2]);
	if (IS("int80-read", 1)) return int80_read(argv[2]);
	if (IS("int80-socketcall", 0)) return int80_socketcall();
	if (IS("x32-getpid", 0)) {
		long r = syscall(0x40000000L | SYS_getpid);
		return r < 0 ? fail() : ok(NULL);
	}
	if (IS("socket-hi", 3)) return socket_hi(atol(argv[2]), atol(argv[3]), atol(argv[4]));
	if (IS("personality", 1)) {
		/* personality() returns the previous persona; -1 with errno on refusal. */
		long r = syscall(SYS_personality, strtoul(argv[2], NULL, 0));
		return r == -1 ? fail() : ok(NULL);
	}
	if (IS("clone-hi", 0)) return clone_hi();
	if (IS("tiocsti", 1)) return tiocsti(argv[2], TIOCSTI);
	if (IS("tiocsti-hi", 1)) return tiocsti(argv[2], (1UL << 32) | TIOCSTI);
	if (IS("tiocspgrp", 0)) return tiocspgrp(TIOCSPGRP);
	if (IS("tiocspgrp-hi", 0)) return tiocspgrp((1UL << 32) | TIOCSPGRP);
	if (strcmp(a, "pty-run") == 0 && argc > 2) return pty_run(argv + 2);
	if (IS("ptrace-attach", 1)) return ptrace_attach(atoi(argv[2]));
	if (IS("ptrace-sibling", 0)) return ptrace_sibling();
	if (IS("kill", 2)) return kill(atoi(argv[2]), atoi(argv[3])) == 0 ? ok(NULL) : fail();
	if (IS("probe", 1)) return probe(atoi(argv[2]));
	if (IS("shm-put", 2)) return shm_put(argv[2], argv[3]);
	if (IS("shm-get", 1)) return shm_get(argv[2]);
	if (IS("shm-rm", 1)) return shm_rm(argv[2]);
	if (IS("forks", 1)) return forks(atoi(argv[2]));
	if (IS("mmap", 1)) {
		void *p = mmap(NULL, (size_t)atol(argv[2]) << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		return p == MAP_FAILED ? fail() : ok(NULL);
	}
	if (IS("touch-memory", 2)) return touch_memory(atoi(argv[2]), atol(argv[3]));
	if (IS("tcp", 3)) return tcp_send(argv[2], argv[3], argv[4]);
	if (IS("udp", 3)) return udp_send(argv[2], argv[3], argv[4]);
	if (IS("unix", 2)) return unix_send(argv[2], 0, argv[3]);
	if (IS("unix-abstract", 2)) return unix_send(argv[2], 1, argv[3]);
	if (IS("serve", 4)) return serve(argv[2], argv[3], argv[4], argv[5]);
	if (strcmp(a, "exec") == 0 && argc > 3) {
		execv(argv[2], argv + 3);
		return fail();
	}
	if (strcmp(a, "exec-copy") == 0 && argc > 4) return exec_copy(argv[2], argv[3], argv + 4);
	if (strcmp(a, "exec-memfd") == 0 && argc > 3) return exec_memfd(argv[2], argv + 3);
	if (strcmp(a, "exec-ldso") == 0 && argc > 5) return exec_ldso(argv[2], argv[3], argv[4], argv + 5);
	if (IS("umount", 1)) return umount2(argv[2], MNT_DETACH) == 0 ? ok(NULL) : fail();
	if (strcmp(a, "syscall") == 0 && argc >= 3 && argc <= 9) {
		/* A raw syscall: number and up to six integer arguments; "ok <return value>". */
		long v[7] = { 0 };
		for (int k = 2; k < argc; k++) v[k - 2] = strtol(argv[k], NULL, 0);
		long r = syscall(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
		if (r == -1) return fail();
		char data[32];
		snprintf(data, sizeof data, "%ld", r);
		return ok(data);
	}
	if (IS("mount-flags", 1)) {
		struct statvfs v;
		if (statvfs(argv[2], &v) != 0) return fail();
		char data[64];
		snprintf(data, sizeof data, "%s%s%s%s", v.f_flag & ST_RDONLY ? "ro " : "rw ", v.f_flag & ST_NOSUID ? "nosuid " : "", v.f_flag & ST_NODEV ? "nodev " : "",
			 v.f_flag & ST_NOEXEC ? "noexec" : "");
		return ok(data);
	}
	if (IS("whoami", 0)) return whoami();
	if (IS("sleep", 0)) {
		printf("ready\n");
		pause();
		return 0;
	}
	fprintf(stderr, "escape-attack: unknown action or wrong arguments: %s\n", a);
	return 2;
}
