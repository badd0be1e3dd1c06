/*
 * Design probe for the egress proxy's tunnel data path (issue 5: a 100 MB download through the
 * proxy at >= 0.8 of direct loopback): can an in-kernel BPF sockmap redirect relay two TCP
 * sockets faster than the splice(2) relay mxc-enforce's bridge uses? Modes, rotated in every
 * round: direct (server -> client), splice relays (64 KiB and 1 MiB pipes), and a sockmap relay:
 * a SOCKHASH keyed by the receiving socket's cookie holding the other socket, and a hand-written
 * BPF_PROG_TYPE_SK_SKB stream-verdict program (get_socket_cookie, sk_redirect_hash to egress,
 * always SK_PASS) attached to it with bpf(2); libc and kernel UAPI headers only.
 *
 * Result on this project's machine (2 CPUs, Linux 6.18, bench/RESULTS.md): no gain. With a
 * cache-hot source the sockmap relay reaches 0.25-0.29 of direct, splice 0.24-0.32: a second
 * loopback TCP connection costs ~1.3 CPU-s per GiB either way (direct: 0.5), the redirect's work
 * moving from the relay process to kworkers. It also needs CAP_BPF + CAP_NET_ADMIN (or
 * CAP_SYS_ADMIN) to create the map, and a careful teardown, each point of which lost bytes in
 * this probe when left out: insert only ESTABLISHED sockets (EOPNOTSUPP after a FIN) and before
 * the client may send; kick data queued before insertion (SO_RCVLOWAT); take EOF from POLLRDHUP
 * only (a forwarded zero-length FIN sets EPIPE: clear it with SO_ERROR); and shut the other side
 * only once its acked + queued bytes (TCP_INFO, SIOCOUTQ) account for every byte received, since
 * deleting a socket from the map drops what is still queued for redirection.
 *
 * Build and run as root: cc -O2 -std=gnu99 -Wall -Wextra -Werror -o sm bench/sockmap-relay.c -lpthread
 *   SM_HOT=1 ./sm -r 7 bench   throughput, cache-hot source (no byte check)
 *   ./sm -r 5 bench            throughput from a 100 MiB pattern buffer, every byte checked
 *   ./sm -e 200 eof            200 transfers of 1 B..1 MiB: loss, hangs, end of stream
 *   ./sm probe | probe-drop    privileges needed; map updates after dropping them
 * -N /var/run/netns/X puts the client side in another network namespace; -V attaches with
 * BPF_SK_SKB_VERDICT. SM_NODRAIN, SM_DELFIRST, SM_NOKICK, SM_HALFCLOSE, SM_HCDELAY select the
 * teardown variants above (to see them fail).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <signal.h>
#include <sched.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <grp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/tcp.h>
#include <linux/sockios.h>
#include <linux/bpf.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

#define MIB (1024.0 * 1024.0)
static size_t BIG = 100u << 20;
static uint8_t *pat;            /* pattern: counter-derived, unique 8-byte words */
static int map_fd = -1, prog_fd = -1;
static int attach_type = BPF_SK_SKB_STREAM_VERDICT;
static int host_ns = -1, cli_ns = -1; /* netns fds (cli_ns = -1: same ns) */
static int verbose, nocheck, hot;

struct stats {                  /* shared with relay child */
	long long stuck_bytes;      /* bytes found in a socket's own psock queue (not redirected) */
	long long pre_bytes;        /* bytes in upstream rcv queue at insertion time (SIOCINQ) */
	long drain_polls;           /* 1ms polls waiting for redirected bytes to reach client sk */
	long long in_u, out_c;      /* final counters */
	int err;                    /* relay error code */
	int acct_mismatch;
	double max_drain; double eof_at_u, eof_at_c;
	int srv_bad; long srv_got, cli_sent; int errs_ignored;
	int fallback;               /* errno of failed insertion -> splice fallback */
	char msg[200];
};
static struct stats *st;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void die(const char *m) { perror(m); exit(2); }

static void mkpat(size_t n)
{
	pat = malloc(n + 8);
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = (uint64_t)(i >> 3) * 0x9E3779B97F4A7C15ull + 0x0123456789abcdefull;
		memcpy(pat + i, &w, 8);
	}
}

/* ---------------- bpf ---------------- */
static long sys_bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof(*a)); }
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
static char vlog[65536];

static int bpf_setup(int verbose_errs)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = BPF_MAP_TYPE_SOCKHASH;
	a.key_size = 8;        /* u64 socket cookie of the RECEIVING socket */
	a.value_size = 4;      /* fd of the socket to send to (egress) */
	a.max_entries = 4096;
	map_fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (map_fd < 0) { if (verbose_errs) printf("BPF_MAP_CREATE(SOCKHASH): %s (errno %d)\n", strerror(errno), errno); return -1; }

	struct bpf_insn prog[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0),            /* r6 = r1 (skb)          */
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_socket_cookie),             /* r0 = cookie(skb->sk)   */
		INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -8, 0),            /* *(u64*)(r10-8) = r0    */
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0),            /* r1 = skb               */
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, map_fd), /* r2 = map (ld_imm64)    */
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0),           /* r3 = r10               */
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -8),                   /* r3 += -8 (&key)        */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0),                    /* r4 = 0 (egress)        */
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_redirect_hash),             /* sk_redirect_hash       */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, SK_PASS),              /* r0 = SK_PASS always    */
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_SK_SKB;
	a.insns = (uintptr_t)prog;
	a.insn_cnt = sizeof prog / sizeof prog[0];
	a.license = (uintptr_t)"Apache-2.0"; /* the project's; the helpers used are not GPL-only */
	a.log_buf = (uintptr_t)vlog; a.log_size = sizeof vlog; a.log_level = 1;
	prog_fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (prog_fd < 0) { if (verbose_errs) printf("BPF_PROG_LOAD(SK_SKB): %s (errno %d)\n%s\n", strerror(errno), errno, vlog); return -2; }

	memset(&a, 0, sizeof a);
	a.target_fd = map_fd;
	a.attach_bpf_fd = prog_fd;
	a.attach_type = attach_type;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0) { if (verbose_errs) printf("BPF_PROG_ATTACH: %s (errno %d)\n", strerror(errno), errno); return -3; }
	return 0;
}

static int map_update(uint64_t key, int fd)
{
	union bpf_attr a; memset(&a, 0, sizeof a);
	a.map_fd = map_fd; a.key = (uintptr_t)&key; a.value = (uintptr_t)&fd; a.flags = BPF_ANY;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
}
static int map_delete(uint64_t key)
{
	union bpf_attr a; memset(&a, 0, sizeof a);
	a.map_fd = map_fd; a.key = (uintptr_t)&key;
	return sys_bpf(BPF_MAP_DELETE_ELEM, &a);
}
static uint64_t cookie(int fd)
{
	uint64_t c = 0; socklen_t l = sizeof c;
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &l) < 0) die("SO_COOKIE");
	return c;
}

/* ---------------- sockets ---------------- */
static int listen_lo(int *port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof sa;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (void *)&sa, sizeof sa) < 0 || listen(s, 16) < 0) die("bind/listen");
	getsockname(s, (void *)&sa, &l);
	*port = ntohs(sa.sin_port);
	return s;
}
static int connect_lo(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(port) };
	if (connect(s, (void *)&sa, sizeof sa) < 0) die("connect");
	return s;
}

static void server(int ls, size_t n)
{
	int s = accept(ls, NULL, NULL);
	if (s < 0) die("accept srv");
	close(ls);
	if (getenv("SM_HALFCLOSE")) {   /* first read the client's request until its FIN, then answer */
		char b[4096]; ssize_t k; long got = 0;
		while ((k = read(s, b, sizeof b)) > 0) { for (ssize_t i = 0; i < k; i++) if ((uint8_t)b[i] != pat[got + i]) st->srv_bad = 1; got += k; }
		st->srv_got = got;
	}
	size_t off = 0;
	while (off < n) {
		size_t c = n - off > (1 << 20) ? (1 << 20) : n - off;
		const uint8_t *src = pat + off;
		if (hot) { src = pat + (off & ((1 << 20) - 1)); if (c > (1u << 20) - (off & ((1 << 20) - 1))) c = (1u << 20) - (off & ((1 << 20) - 1)); }
		ssize_t w = write(s, src, c);
		if (w <= 0) die("srv write");
		off += w;
	}
	if (getenv("SM_SRVWAIT")) { char b[64]; while (read(s, b, sizeof b) > 0); }  /* banner-style: no FIN until peer closes */
	close(s);
	_exit(0);
}

/* ---------------- splice relay ---------------- */
struct dir { int in, out, pipesz; };
static void *splice_dir(void *arg)
{
	struct dir *d = arg;
	int p[2];
	if (pipe(p) < 0) die("pipe");
	if (d->pipesz) fcntl(p[0], F_SETPIPE_SZ, d->pipesz);
	size_t chunk = d->pipesz ? d->pipesz : 65536;
	for (;;) {
		ssize_t n = splice(d->in, NULL, p[1], NULL, chunk, SPLICE_F_MOVE);
		if (n <= 0) break;
		while (n > 0) {
			ssize_t m = splice(p[0], NULL, d->out, NULL, n, SPLICE_F_MOVE);
			if (m <= 0) { st->err = 1; return NULL; }
			n -= m;
		}
	}
	shutdown(d->out, SHUT_WR);
	close(p[0]); close(p[1]);
	return NULL;
}
static void relay_splice(int c, int u, int pipesz)
{
	pthread_t t;
	struct dir up = { c, u, pipesz }, down = { u, c, pipesz };
	pthread_create(&t, NULL, splice_dir, &up);
	splice_dir(&down);
	pthread_join(t, NULL);
}

/* ---------------- sockmap relay ---------------- */
/* bytes ever written into fd's send queue = bytes_acked + SIOCOUTQ (read in this order => never over-estimates) */
static void dump(const char *w, int fd)
{
	struct tcp_info ti; socklen_t l = sizeof ti; int q = 0;
	memset(&ti, 0, sizeof ti);
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l); ioctl(fd, SIOCOUTQ, &q);
	fprintf(stderr, "  %s: state=%d bytes_received=%llu bytes_acked=%llu bytes_sent=%llu outq=%d\n", w, ti.tcpi_state,
		(unsigned long long)ti.tcpi_bytes_received, (unsigned long long)ti.tcpi_bytes_acked, (unsigned long long)ti.tcpi_bytes_sent, q);
}
static long long out_bytes(int fd)
{
	struct tcp_info ti; socklen_t l = sizeof ti; int q = 0;
	memset(&ti, 0, sizeof ti);
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l);
	ioctl(fd, SIOCOUTQ, &q);
	return (long long)ti.tcpi_bytes_acked + q;
}
/* bytes received in sequence (tcpi_bytes_received counts the FIN as 1 once it arrived) */
static long long in_bytes(int fd, int fin_seen)
{
	struct tcp_info ti; socklen_t l = sizeof ti;
	memset(&ti, 0, sizeof ti);
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l);
	return (long long)ti.tcpi_bytes_received - (fin_seen ? 1 : 0);
}
/* data that stayed on the receiving socket (own psock ingress_msg or own receive queue): forward by hand */
static void forward_stuck(int from, int to)
{
	char b[65536];
	for (;;) {
		ssize_t n = recv(from, b, sizeof b, MSG_DONTWAIT);
		if (n <= 0) break;
		st->stuck_bytes += n;
		for (ssize_t o = 0; o < n;) { ssize_t w = write(to, b + o, n - o); if (w <= 0) { st->err = 5; return; } o += w; }
	}
}

static void relay_sockmap(int c, int u)
{
	uint64_t ck_c = cookie(c), ck_u = cookie(u);
	long long base_c = out_bytes(c), base_u = out_bytes(u);
	int one = 1, q = 0;
	ioctl(u, SIOCINQ, &q); st->pre_bytes = q;
	/* guard: while only c is in the map, client bytes must not reach the verdict prog (lookup of
	 * the not-yet-inserted peer fails -> SK_PASS -> bytes stuck in c's own psock queue, out of order).
	 * SO_RCVLOWAT=64K suppresses sk_data_ready (tcp_data_ready) for < 64K of queued data. */
	int guard = 65536;
	if (!getenv("SM_NOGUARD")) setsockopt(c, SOL_SOCKET, SO_RCVLOWAT, &guard, sizeof guard);
	/* client sk first: stored under key cookie(u) => skbs arriving on u go to c's egress */
	if (map_update(ck_u, c) < 0) {   /* c not ESTABLISHED any more (client FIN already in): splice */
		snprintf(st->msg, sizeof st->msg, "update c: %s", strerror(errno));
		st->fallback = errno;
		relay_splice(c, u, 0);
		return;
	}
	if (map_update(ck_c, u) < 0) {
		/* EOPNOTSUPP: u is no longer ESTABLISHED (upstream FIN already arrived, state CLOSE_WAIT):
		 * sockmap only accepts ESTABLISHED/LISTEN TCP sockets. Undo c and fall back to splice. */
		snprintf(st->msg, sizeof st->msg, "update u: %s", strerror(errno));
		st->fallback = errno;
		forward_stuck(c, u);
		map_delete(ck_u);
		relay_splice(c, u, 0);
		return;
	}
	/* kick: data (and FIN) that arrived before insertion sits in sk_receive_queue and sk_data_ready
	 * is not called again until new data arrives. SO_RCVLOWAT -> tcp_set_rcvlowat() -> tcp_data_ready(). */
	if (!getenv("SM_NOKICK")) {
		setsockopt(u, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
		setsockopt(c, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
	}
	int u_eof = 0, c_eof = 0, c_shut = 0, u_shut = 0;
	double t0 = now();
	while (!(c_shut && u_shut)) {
		struct pollfd p[2] = { { u, u_eof ? 0 : POLLIN | POLLRDHUP, 0 }, { c, c_eof ? 0 : POLLIN | POLLRDHUP, 0 } };
		int waiting = (u_eof && !c_shut) || (c_eof && !u_shut);
		int r = poll(p, 2, waiting ? 1 : 1000);
		if (r < 0 && errno != EINTR) { st->err = 20; return; }
		if (p[0].revents & POLLIN) forward_stuck(u, c);
		if (p[1].revents & POLLIN) forward_stuck(c, u);
		/* POLLERR: a zero-length FIN skb redirected to this socket makes sk_psock_backlog() report
		 * EPIPE on it (skb_send_sock() returns 0). Not an EOF: clear it and go on unless the socket died. */
		for (int i = 0; i < 2; i++) if (p[i].revents & POLLERR) {
			int e = 0; socklen_t l = sizeof e; struct tcp_info ti; socklen_t tl = sizeof ti;
			getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &e, &l);
			getsockopt(p[i].fd, IPPROTO_TCP, TCP_INFO, &ti, &tl);
			if (verbose) fprintf(stderr, "POLLERR on %s: so_error=%d (%s) state=%d\n", i ? "c" : "u", e, strerror(e), ti.tcpi_state);
			st->errs_ignored++;
			if (e == ECONNRESET) { st->err = 40; snprintf(st->msg, sizeof st->msg, "socket reset"); goto out; }
		}
		if (!u_eof && (p[0].revents & (POLLRDHUP | POLLHUP))) { u_eof = 1; st->eof_at_u = now(); }
		if (!c_eof && (p[1].revents & (POLLRDHUP | POLLHUP))) { c_eof = 1; st->eof_at_c = now(); }
		if (u_eof && !c_shut && getenv("SM_NODRAIN")) { shutdown(c, SHUT_WR); c_shut = 1; }
		if (u_eof && !c_shut && getenv("SM_DELFIRST")) {
			/* variant: remove both from the map first, then read leftovers from u, then FIN */
			map_delete(ck_u); map_delete(ck_c);
			forward_stuck(u, c);
			shutdown(c, SHUT_WR); c_shut = 1;
		}
		if (u_eof && !c_shut) {
			forward_stuck(u, c);
			long long in = in_bytes(u, 1), out = out_bytes(c) - base_c;
			if (verbose > 2) { int q = 0; ioctl(c, SIOCOUTQ, &q); fprintf(stderr, "%.4f u->c drain in=%lld out=%lld outq(c)=%d\n", now() - t0, in, out, q); }
			st->in_u = in; st->out_c = out;
			if (out >= in) { if (out != in) { st->acct_mismatch = 1; if (verbose) { fprintf(stderr, "u->c mismatch in=%lld out=%lld base=%lld\n", in, out, base_c); dump("u", u); dump("c", c); } } shutdown(c, SHUT_WR); c_shut = 1; if (now() - st->eof_at_u > st->max_drain) st->max_drain = now() - st->eof_at_u; }
			else st->drain_polls++;
		}
		if (c_eof && !u_shut) {
			forward_stuck(c, u);
			long long in = in_bytes(c, 1), out = out_bytes(u) - base_u;
			if (verbose > 2) fprintf(stderr, "%.4f c->u drain in=%lld out=%lld\n", now() - t0, in, out);
			if (out >= in) { if (out != in) { st->acct_mismatch = 1; if (verbose) fprintf(stderr, "c->u mismatch in=%lld out=%lld base=%lld\n", in, out, base_u); } shutdown(u, SHUT_WR); u_shut = 1; if (now() - st->eof_at_c > st->max_drain) st->max_drain = now() - st->eof_at_c; }
			else st->drain_polls++;
		}
		if (now() - t0 > 30) { st->err = 30; snprintf(st->msg, sizeof st->msg, "relay timeout u_eof=%d c_eof=%d in_u=%lld out_c=%lld", u_eof, c_eof, st->in_u, st->out_c); break; }
	}
out:
	map_delete(ck_u); map_delete(ck_c);
	forward_stuck(u, c);
}

/* ---------------- client ---------------- */
struct result { double mibs, secs; size_t got; int bad, hang, eof; };
static struct result client(int port, size_t n, int in_cli_ns)
{
	static uint8_t b[1 << 18];
	struct result r = { 0 };
	if (in_cli_ns && cli_ns >= 0) setns(cli_ns, CLONE_NEWNET);
	double t0 = now();
	int s = connect_lo(port);
	if (in_cli_ns && cli_ns >= 0) setns(host_ns, CLONE_NEWNET);
	if (getenv("SM_HALFCLOSE")) {
		size_t req = 1 + (n * 7919) % 200000;
		usleep(getenv("SM_HCDELAY") ? atoi(getenv("SM_HCDELAY")) : 0);
		if (write(s, pat, req) != (ssize_t)req) r.bad = 16;
		shutdown(s, SHUT_WR);
		st->cli_sent = req;
	}
	size_t off = 0;
	for (;;) {
		struct pollfd p = { s, POLLIN, 0 };
		if (poll(&p, 1, 10000) == 0) { r.hang = 1; break; }
		ssize_t k = read(s, b, sizeof b);
		if (k < 0) { r.bad = 2; break; }
		if (k == 0) { r.eof = 1; break; }
		if (off + k > n || (!nocheck && memcmp(b, pat + off, k))) { if (!r.bad && verbose) fprintf(stderr, "mismatch at %zu\n", off); r.bad = 1; }
		off += k;
		if (getenv("SM_SRVWAIT") && off == n) { r.eof = 1; break; }
	}
	double t1 = now();
	close(s);
	r.got = off; r.secs = t1 - t0; r.mibs = off / MIB / r.secs;
	if (off != n) r.bad |= 4;
	return r;
}

static long long cpu_busy(void)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) v[0] = 0;
	fclose(f);
	return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];   /* user nice system irq softirq steal */
}

/* CPU seconds of all kworker threads (sockmap's sk_psock_backlog runs there) */
#include <dirent.h>
static double kworker_cpu(void)
{
	DIR *d = opendir("/proc"); struct dirent *e; unsigned long long tot = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
		char p[300], b[512]; snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
		int fd = open(p, O_RDONLY); if (fd < 0) continue;
		ssize_t n = read(fd, b, sizeof b - 1); close(fd); if (n <= 0) continue; b[n] = 0;
		char *c = strchr(b, '('), *r = strrchr(b, ')');
		if (!c || !r || strncmp(c + 1, "kworker", 7)) continue;
		unsigned long long ut, stt;
		if (sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt) == 2) tot += ut + stt;
	}
	closedir(d);
	return tot / (double)sysconf(_SC_CLK_TCK);
}

enum { DIRECT, SPLICE, SPLICE1M, SOCKMAP, NMODES };
static const char *mname[] = { "direct", "splice", "splice1M", "sockmap" };
static double cpu_tot[NMODES], sec_tot[NMODES], relay_cpu[NMODES], kw_cpu[NMODES], self_cpu[NMODES];

static struct result run(int mode, size_t n)
{
	int sport, rport = 0, ls, rl = -1;
	pid_t ps, pr = 0;
	memset(st, 0, sizeof *st);
	ls = listen_lo(&sport);
	if (mode != DIRECT) {
		if (cli_ns >= 0) setns(cli_ns, CLONE_NEWNET);
		rl = listen_lo(&rport);
		if (cli_ns >= 0) setns(host_ns, CLONE_NEWNET);
	}
	if (!(ps = fork())) { if (rl >= 0) close(rl); server(ls, n); }
	close(ls);
	if (mode != DIRECT && !(pr = fork())) {
		int c = accept(rl, NULL, NULL);
		close(rl);
		int u = connect_lo(sport);
		if (getenv("SM_SNDBUF")) { int v = atoi(getenv("SM_SNDBUF")); setsockopt(c, SOL_SOCKET, SO_SNDBUF, &v, sizeof v); }
		if (mode == SOCKMAP) relay_sockmap(c, u);
		else relay_splice(c, u, mode == SPLICE1M ? 1 << 20 : 0);
		close(c); close(u);
		_exit(0);
	}
	if (rl >= 0) close(rl);
	long long c0 = cpu_busy();
	struct rusage ru0, ru1, rs0, rs1; getrusage(RUSAGE_CHILDREN, &ru0); getrusage(RUSAGE_SELF, &rs0);
	double k0 = kworker_cpu();
	struct result r = client(mode == DIRECT ? sport : rport, n, mode != DIRECT);
	if (r.hang) { kill(ps, SIGKILL); if (pr) kill(pr, SIGKILL); }
	waitpid(ps, NULL, 0);
	if (pr) waitpid(pr, NULL, 0);
	long long c1 = cpu_busy();
	getrusage(RUSAGE_CHILDREN, &ru1); getrusage(RUSAGE_SELF, &rs1);
	kw_cpu[mode] += kworker_cpu() - k0;
	self_cpu[mode] += (rs1.ru_utime.tv_sec - rs0.ru_utime.tv_sec) + (rs1.ru_stime.tv_sec - rs0.ru_stime.tv_sec)
		+ 1e-6 * ((rs1.ru_utime.tv_usec - rs0.ru_utime.tv_usec) + (rs1.ru_stime.tv_usec - rs0.ru_stime.tv_usec));
	cpu_tot[mode] += (c1 - c0) / (double)sysconf(_SC_CLK_TCK);
	sec_tot[mode] += r.secs;
	relay_cpu[mode] += (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec)
		+ 1e-6 * ((ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec));
	if (st->err) r.bad |= 8;
	return r;
}

static int cmpd(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }
static double median(double *v, int n) { double t[64]; memcpy(t, v, n * sizeof *v); qsort(t, n, sizeof *t, cmpd); return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2; }

static void probe(void)
{
	printf("uid=%d euid=%d\n", getuid(), geteuid());
	FILE *f = fopen("/proc/self/status", "r"); char line[256];
	while (fgets(line, sizeof line, f)) if (!strncmp(line, "Cap", 3)) fputs(line, stdout);
	fclose(f);
	if (bpf_setup(1) < 0) return;
	printf("map create, prog load, prog attach: OK\n");
	int lp, l = listen_lo(&lp), a = connect_lo(lp), b = accept(l, NULL, NULL);
	if (map_update(cookie(a), b) < 0) printf("BPF_MAP_UPDATE_ELEM: %s (errno %d)\n", strerror(errno), errno);
	else printf("BPF_MAP_UPDATE_ELEM: OK\n");
}

int main(int argc, char **argv)
{
	int rounds = 7, eof_iters = 200, opt;
	const char *what = "bench", *ns = NULL;
	while ((opt = getopt(argc, argv, "r:e:n:m:N:vV")) != -1) switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 'e': eof_iters = atoi(optarg); break;
		case 'm': BIG = (size_t)atol(optarg) << 20; break;
		case 'N': ns = optarg; break;
		case 'v': verbose++; break;
		case 'V': attach_type = BPF_SK_SKB_VERDICT; break;
	}
	if (optind < argc) what = argv[optind];
	setvbuf(stdout, NULL, _IOLBF, 0);
	nocheck = getenv("SM_NOCHECK") != NULL;
	hot = getenv("SM_HOT") != NULL;   /* server re-sends a cache-hot 1 MiB window (throughput only; implies no check) */
	if (hot) nocheck = 1;
	signal(SIGPIPE, SIG_IGN);
	st = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!strcmp(what, "probe")) { probe(); return 0; }
	if (!strcmp(what, "probe-drop")) {   /* privileged setup, then drop all privileges, then insert sockets */
		if (bpf_setup(1) < 0) return 1;
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) die("drop");
		printf("after setresuid(65534): uid=%d\n", getuid());
		FILE *f = fopen("/proc/self/status", "r"); char line[256];
		while (fgets(line, sizeof line, f)) if (!strncmp(line, "CapEff", 6)) fputs(line, stdout);
		fclose(f);
		int lp, l = listen_lo(&lp), a = connect_lo(lp), b = accept(l, NULL, NULL);
		if (map_update(cookie(a), b) < 0) printf("BPF_MAP_UPDATE_ELEM unprivileged: %s (errno %d)\n", strerror(errno), errno);
		else printf("BPF_MAP_UPDATE_ELEM unprivileged: OK\n");
		if (map_delete(cookie(a)) < 0) printf("BPF_MAP_DELETE_ELEM unprivileged: %s\n", strerror(errno)); else printf("BPF_MAP_DELETE_ELEM unprivileged: OK\n");
		return 0;
	}
	mkpat(BIG > (1 << 20) ? BIG : (1 << 20));
	if (ns) {
		host_ns = open("/proc/self/ns/net", O_RDONLY);
		cli_ns = open(ns, O_RDONLY);
		if (cli_ns < 0) die("open netns");
	}
	if (bpf_setup(1) < 0) return 1;
	printf("attach type %s; pattern ok; netns=%s\n", attach_type == BPF_SK_SKB_VERDICT ? "BPF_SK_SKB_VERDICT" : "BPF_SK_SKB_STREAM_VERDICT", ns ? ns : "same");

	if (!strcmp(what, "bench") || !strcmp(what, "all")) {
		double v[NMODES][64];
		int order[NMODES] = { DIRECT, SPLICE, SOCKMAP, SPLICE1M };
		for (int i = 0; i < rounds; i++) {
			printf("round %d:", i);
			for (int k = 0; k < NMODES; k++) {
				int m = order[(k + i) % NMODES];
				struct result r = run(m, BIG);
				v[m][i] = r.mibs;
				printf("  %s %.0f%s", mname[m], r.mibs, r.bad || r.hang || !r.eof ? "(BAD)" : "");
				if (r.bad || r.hang || !r.eof) printf("[bad=%d hang=%d eof=%d got=%zu err=%d %s]", r.bad, r.hang, r.eof, r.got, st->err, st->msg);
			}
			printf("\n");
		}
		double md = median(v[DIRECT], rounds);
		for (int m = 0; m < NMODES; m++) {
			printf("%-9s median %.0f MiB/s ratio %.3f | ratios:", mname[m], median(v[m], rounds), median(v[m], rounds) / md);
			for (int i = 0; i < rounds; i++) printf(" %.2f", v[m][i] / v[DIRECT][i]);
			double g = rounds * BIG / (1024.0 * MIB);
			printf("\n          CPU s/GiB: client %.2f, server+relay procs %.2f, kworkers %.2f, sum %.2f (system-wide busy incl. other load %.2f)\n",
			       self_cpu[m] / g, relay_cpu[m] / g, kw_cpu[m] / g, (self_cpu[m] + relay_cpu[m] + kw_cpu[m]) / g, cpu_tot[m] / g);
		}
	}
	if (!strcmp(what, "eof") || !strcmp(what, "all")) {
		srand(12345);
		int bad = 0, hang = 0; double maxdr = 0; long long stuck = 0, pre = 0, polls = 0, pre_cnt = 0, fb = 0, fberr = 0, mism = 0, errs = 0;
		double t0 = now();
		for (int i = 0; i < eof_iters; i++) {
			size_t n = 1 + (size_t)(((double)rand() / RAND_MAX) * ((1 << 20) - 1));
			if (i < 4) n = (size_t[]){ 1, 2, 1 << 20, 65536 }[i];
			struct result r = run(SOCKMAP, n);
			stuck += st->stuck_bytes; pre += st->pre_bytes; polls += st->drain_polls; pre_cnt += st->pre_bytes > 0; if (st->fallback) { fb++; fberr = st->fallback; } mism += st->acct_mismatch;
			if (getenv("SM_HALFCLOSE") && (st->srv_bad || st->srv_got != st->cli_sent)) {
				r.bad |= 32; printf("half-close: server got %ld of %ld bytes, pattern bad=%d\n", st->srv_got, st->cli_sent, st->srv_bad);
			}
			errs += st->errs_ignored; if (st->max_drain > maxdr) maxdr = st->max_drain;
			if (r.bad || r.hang || !r.eof) {
				bad++; hang += r.hang;
				printf("EOF test %d size %zu: got %zu bad=%d hang=%d eof=%d relay_err=%d %s\n", i, n, r.got, r.bad, r.hang, r.eof, st->err, st->msg);
			}
		}
		printf("EOF test: %d transfers (1B..1MiB), %d bad, %d hangs; bytes forwarded by hand (not redirected) %lld; "
		       "transfers with data queued before insertion %lld (%lld B); drain waits (1ms polls) %lld; splice fallbacks %lld (errno %lld); in/out counter mismatches %lld; POLLERR(EPIPE) seen %lld; max EOF->drained wait %.1f ms; %.1fs\n",
		       eof_iters, bad, hang, stuck, pre_cnt, pre, polls, fb, fberr, mism, errs, maxdr * 1e3, now() - t0);
	}
	return 0;
}
