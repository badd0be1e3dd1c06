/*
 * mxc-enforce: load an mxcc linux bundle (docs/linux-target.md), apply it to this process and
 * run a command under it.
 *
 *   mxc-enforce [--sha256 HEX] [--param NAME=VALUE]... [--proxy-socket PATH [--proxy-control FD]] [--dry-run] BUNDLE -- COMMAND [ARGS...]
 *   mxc-enforce --digest FILE          print the SHA-256 of FILE (used to test the digest)
 *   mxc-enforce --check BUNDLE         only load the bundle: exit 0 if it is well formed, else 125
 *
 * Order: load and validate everything first, then rlimits → namespaces and mask mounts →
 * capabilities → no_new_privs → Landlock → seccomp (last) → exec. Any failure before exec
 * prints "mxc-enforce: <step>: <errno text> (<hint>)" and exits 125 without running anything.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <linux/stat.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_REFUSED 125
#define MAX_BUNDLE (16u * 1024 * 1024)
#define MAX_STRING 4096u
#define MAX_LIST 65536u
#define MAX_MATCHES 10000u
#define MAX_DEPTH 32
#define MAX_VISITS 2000000ul
#define MAX_RULES 200000u

/* Landlock UAPI, defined here because distro headers lag the kernel. */
struct ll_ruleset_attr { uint64_t handled_fs, handled_net, scoped; };
struct ll_path_beneath { uint64_t allowed; int32_t parent_fd; } __attribute__((packed));
struct ll_net_port { uint64_t allowed, port; };
#define LL_CREATE_RULESET_VERSION 1u
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_RESTRICT_SELF_LOG_NEW_EXEC_ON (1u << 1) /* ABI 7 */
/* execute, write_file, read_file, truncate, ioctl_dev: the rights a rule on a file may carry. */
#define LL_FILE_RIGHTS ((1ull << 0) | (1ull << 1) | (1ull << 2) | (1ull << 14) | (1ull << 15))
#define LL_KNOWN_FS ((1ull << 16) - 1)
#define LL_KNOWN_NET 3ull
#define LL_KNOWN_SCOPES 3ull

/* New mount API (linux/mount.h clashes with sys/mount.h on some libcs). */
#define M_FSCONFIG_SET_STRING 1
#define M_FSCONFIG_CMD_CREATE 6
#define M_OPEN_TREE_CLONE 1u
#define M_MOVE_MOUNT_F_EMPTY_PATH 0x4u
#define M_MOVE_MOUNT_T_EMPTY_PATH 0x40u
#define M_AT_RECURSIVE 0x8000
#define M_ATTR_RDONLY 0x1ull
#define M_ATTR_NOSUID 0x2ull
#define M_ATTR_NODEV 0x4ull
#define M_ATTR_NOEXEC 0x8ull
struct m_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

#if defined(__x86_64__)
#define HOST_AUDIT_ARCH AUDIT_ARCH_X86_64
#define HOST_ARCH_NAME "x86_64"
#elif defined(__aarch64__)
#define HOST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define HOST_ARCH_NAME "aarch64"
#else
#error "mxc-enforce supports x86_64 and aarch64"
#endif

/* ---------------------------------------------------------------------------------------- */
/* Failing closed */

#ifdef MXC_FUZZ
/* The fuzz harness (fuzz/fuzz_bundle.c) includes this file: main() is renamed out of its way and
 * die() returns to the harness's setjmp instead of exiting. */
static jmp_buf *fuzz_die;
#define main mxc_enforce_main
#endif

static void die(const char *step, int err, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
static void die(const char *step, int err, const char *fmt, ...) {
	char hint[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(hint, sizeof hint, fmt, ap);
	va_end(ap);
#ifdef MXC_FUZZ
	(void)step, (void)err;
	longjmp(*fuzz_die, 1);
#endif
	fprintf(stderr, "mxc-enforce: %s: %s (%s)\n", step, strerror(err), hint);
	exit(EXIT_REFUSED);
}

/*
 * Memory. What a launch allocates (a few kilobytes: the bundle, its strings, the plan) lives until
 * execve, so it comes from a bump arena in .bss instead of musl's malloc, which maps a fresh group
 * for each size class: a dozen mmap calls per launch, each with page-table pages of its own, which
 * this project's VM charges dearly (0.2-0.3 ms of a launch, bench/RESULTS.md). Each block is zeroed
 * (.bss is, and arena bytes are zeroed again when the last block gives them back), 8-byte aligned
 * (no type here needs more) and preceded by its size. xfree gives heap blocks back to the heap and
 * the arena's last block back to the arena, so transient blocks freed in reverse order cost
 * nothing. A block that does not fit comes from calloc. The fuzz build allocates everything with
 * calloc, so that ASan sees each block's bounds and every leak.
 */
#define ALIGN8(n) (((n) + 7) & ~(size_t)7)
#ifndef MXC_ARENA_BYTES
#define MXC_ARENA_BYTES (256 * 1024) /* a test build makes it tiny: every path past the arena runs */
#endif
#ifndef MXC_FUZZ
static _Alignas(16) unsigned char arena[MXC_ARENA_BYTES];
static size_t arena_used;
#endif

static int in_arena(const void *p) {
#ifndef MXC_FUZZ
	return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof arena;
#else
	(void)p;
	return 0;
#endif
}

static size_t *arena_header(void *p) { return (size_t *)p - 1; }

static void *xcalloc(size_t n, size_t size) {
	if (n == 0) n = 1;
	if (size == 0) size = 1;
	if (n > SIZE_MAX / size) die("memory", ENOMEM, "allocation of %zu blocks of %zu bytes", n, size);
#ifndef MXC_FUZZ
	size_t bytes = n * size, room = sizeof arena - arena_used;
	if (bytes < room && ALIGN8(bytes) + sizeof(size_t) <= room) {
		size_t *h = (size_t *)(arena + arena_used);
		*h = bytes;
		arena_used += sizeof *h + ALIGN8(bytes);
		return h + 1;
	}
#endif
	void *p = calloc(n, size);
	if (p == NULL) die("memory", ENOMEM, "allocation failed");
	return p;
}

static void xfree(void *p) {
	if (p == NULL) return;
	if (!in_arena(p)) {
		free(p);
		return;
	}
#ifndef MXC_FUZZ
	size_t *h = arena_header(p);
	if ((unsigned char *)p + ALIGN8(*h) == arena + arena_used) {
		arena_used = (size_t)((unsigned char *)h - arena);
		memset(h, 0, sizeof *h + ALIGN8(*h));
	}
#endif
}

/* realloc for blocks of xcalloc: an arena block moves (and is given back if it was the last). */
static void *xrealloc(void *p, size_t bytes) {
	if (p != NULL && !in_arena(p)) {
		void *v = realloc(p, bytes ? bytes : 1);
		if (v == NULL) die("memory", ENOMEM, "allocation failed");
		return v;
	}
#ifndef MXC_FUZZ
	if (p != NULL) { /* the arena's last block grows in place: the bytes after it are zero */
		size_t *h = arena_header(p), end = (size_t)((unsigned char *)p - arena);
		if (end + ALIGN8(*h) == arena_used && bytes >= *h && bytes < sizeof arena - end && ALIGN8(bytes) <= sizeof arena - end) {
			*h = bytes;
			arena_used = end + ALIGN8(bytes);
			return p;
		}
	}
#endif
	void *v = xcalloc(bytes, 1);
	if (p != NULL) {
		size_t old = *arena_header(p);
		memcpy(v, p, old < bytes ? old : bytes);
		xfree(p);
	}
	return v;
}

static char *xstrdup(const char *s) {
	size_t n = strlen(s) + 1;
	return memcpy(xcalloc(n, 1), s, n);
}

/* ---------------------------------------------------------------------------------------- */
/* SHA-256 (FIPS 180-4) */

struct sha256 { uint32_t h[8]; uint64_t len; uint8_t buf[64]; size_t used; };

static const uint32_t SHA_K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *c, const uint8_t *p) {
	uint32_t w[64], v[8];
	for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, c->h, sizeof v);
	/* The working variables a..h rotate by assignment (a memmove per round is a libc call with musl:
	 * it was most of the digest's time, and the digest is on the launch path of a pinned bundle). */
	uint32_t a = v[0], b = v[1], cc = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + SHA_K[i] + w[i];
		uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
		h = g, g = f, f = e, e = d + t1, d = cc, cc = b, b = a, a = t1 + t2;
	}
	v[0] = a, v[1] = b, v[2] = cc, v[3] = d, v[4] = e, v[5] = f, v[6] = g, v[7] = h;
	for (int i = 0; i < 8; i++) c->h[i] += v[i];
}

static void sha256(const uint8_t *data, size_t n, uint8_t out[32]) {
	struct sha256 c = { { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 }, 0, { 0 }, 0 };
	size_t i = 0;
	for (; i + 64 <= n; i += 64) sha256_block(&c, data + i);
	uint8_t tail[128] = { 0 };
	size_t rest = n - i;
	memcpy(tail, data + i, rest);
	tail[rest] = 0x80;
	size_t total = rest + 1 + 8 <= 64 ? 64 : 128;
	uint64_t bits = (uint64_t)n * 8;
	for (int k = 0; k < 8; k++) tail[total - 1 - k] = (uint8_t)(bits >> (8 * k));
	for (size_t k = 0; k < total; k += 64) sha256_block(&c, tail + k);
	for (int k = 0; k < 32; k++) out[k] = (uint8_t)(c.h[k / 4] >> (24 - 8 * (k % 4)));
}

static void sha256_hex(const uint8_t *data, size_t n, char out[65]) {
	uint8_t raw[32];
	sha256(data, n, raw);
	for (int k = 0; k < 32; k++) snprintf(out + 2 * k, 3, "%02x", raw[k]);
}

/* ---------------------------------------------------------------------------------------- */
/* The bundle: a strict loader mirroring decodeBundle in targets/linux/bundle.ts */

enum { SEC_POLICY = 1, SEC_SECCOMP, SEC_LANDLOCK_FS, SEC_MASKS, SEC_NET, SEC_SCOPES, SEC_RLIMITS, SEC_ENV, SEC_PARAMS, SEC_PROCESS, SEC_DIGEST };
enum { MODE_BENEATH = 1, MODE_EXACT = 2, MODE_EXPAND = 3 };
enum { NET_NONE = 0, NET_PORTS = 1, NET_PROXY = 2 };
enum { ISO_PROCESS = 0, ISO_SESSION = 1, ISO_CONTAINER = 2 };
enum { P_PATH = 1, P_STRING, P_INT, P_BOOL, P_HOST, P_PORT };
enum { C_UNDER = 1, C_NOT_UNDER, C_ONE_OF, C_MIN, C_MAX };
static const char *const PARAM_TYPES[] = { "?", "path", "string", "int", "bool", "host", "port" };

struct strlist { uint32_t n; char **v; };
struct grant { uint8_t mode; uint64_t rights; char *pattern; struct strlist carve, exclude; };
struct constraint { uint8_t kind; struct strlist values; };
struct param { char *name; uint8_t type, has_default; char *value; uint32_t nc; struct constraint *c; char *given; /* a path's value as given, normalized */ };
struct program { uint32_t arch, count; struct sock_filter *insns; };
struct mask { uint64_t rights; char *pattern; };

struct bundle {
	char *name, *ir_sha256;
	struct program seccomp[2];
	uint32_t nseccomp;
	uint32_t min_abi, best_effort;
	uint64_t handled_fs;
	uint32_t ngrants;
	struct grant *grants;
	uint32_t nmasks;
	struct mask *masks;
	uint32_t net_mode;
	uint64_t net_handled;
	uint32_t nports;
	struct { uint16_t port; uint64_t rights; } *ports;
	uint64_t scopes;
	uint32_t nrlimits;
	struct { uint32_t resource; uint64_t value; } rlimits[16];
	struct strlist env;
	uint32_t nparams;
	struct param *params;
	uint64_t caps;
	uint32_t cpus;
	uint32_t isolation;
	uint64_t wall_ms;
};

struct reader { const uint8_t *p; size_t n, o; int section; jmp_buf *fail; char *err; };

static void bad(struct reader *r, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void bad(struct reader *r, const char *fmt, ...) {
	va_list ap;
	int k = r->section < 0 ? snprintf(r->err, 256, "header: ") : snprintf(r->err, 256, "section %d: ", r->section);
	va_start(ap, fmt);
	vsnprintf(r->err + k, 256 - (size_t)k, fmt, ap);
	va_end(ap);
	longjmp(*r->fail, 1);
}

static const uint8_t *take(struct reader *r, size_t n) {
	if (n > r->n - r->o) bad(r, "truncated at byte %zu", r->o);
	const uint8_t *p = r->p + r->o;
	r->o += n;
	return p;
}
static uint8_t rd_u8(struct reader *r) { return *take(r, 1); }
static uint16_t rd_u16(struct reader *r) { const uint8_t *p = take(r, 2); return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd_u32(struct reader *r) { const uint8_t *p = take(r, 4); return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd_u64(struct reader *r) { uint64_t lo = rd_u32(r); return lo | (uint64_t)rd_u32(r) << 32; }

/* A count, bounded by `limit` and by the bytes left (each item takes at least `min_item` bytes). */
static uint32_t rd_count(struct reader *r, uint32_t limit, size_t min_item) {
	uint32_t n = rd_u32(r);
	if (n > limit) bad(r, "count %u exceeds %u", n, limit);
	if ((size_t)n * min_item > r->n - r->o) bad(r, "truncated at byte %zu", r->o);
	return n;
}

/* Strict UTF-8 as the WHATWG decoder in fatal mode: no overlongs, surrogates or > U+10FFFF. */
static int utf8_valid(const uint8_t *s, size_t n) {
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t len;
		uint8_t lo = 0x80, hi = 0xbf;
		if (c < 0x80) { i++; continue; }
		else if (c >= 0xc2 && c <= 0xdf) len = 2;
		else if (c >= 0xe0 && c <= 0xef) { len = 3; if (c == 0xe0) lo = 0xa0; if (c == 0xed) hi = 0x9f; }
		else if (c >= 0xf0 && c <= 0xf4) { len = 4; if (c == 0xf0) lo = 0x90; if (c == 0xf4) hi = 0x8f; }
		else return 0;
		if (n - i < len) return 0;
		if (s[i + 1] < lo || s[i + 1] > hi) return 0;
		for (size_t k = 2; k < len; k++) if (s[i + k] < 0x80 || s[i + k] > 0xbf) return 0;
		i += len;
	}
	return 1;
}

/* A checked string in place: its bytes and length. */
static const uint8_t *rd_str_bytes(struct reader *r, uint32_t *len) {
	uint32_t n = rd_u32(r);
	if (n > MAX_STRING) bad(r, "string of %u bytes exceeds %u", n, MAX_STRING);
	const uint8_t *p = take(r, n);
	if (memchr(p, 0, n) != NULL) bad(r, "NUL in string");
	if (!utf8_valid(p, n)) bad(r, "string is not UTF-8");
	/* A leading U+FEFF is kept, as the reference decoder keeps it (ignoreBOM). */
	*len = n;
	return p;
}

static char *rd_str(struct reader *r) {
	uint32_t n;
	const uint8_t *p = rd_str_bytes(r, &n);
	char *s = xcalloc(n + 1, 1);
	memcpy(s, p, n);
	return s;
}

/* The whole list is checked before anything is allocated, so a refusal leaks nothing. */
static struct strlist rd_strs(struct reader *r) {
	struct strlist l;
	uint32_t len;
	l.n = rd_count(r, MAX_LIST, 4);
	size_t start = r->o;
	for (uint32_t i = 0; i < l.n; i++) rd_str_bytes(r, &len);
	r->o = start;
	l.v = xcalloc(l.n, sizeof *l.v);
	for (uint32_t i = 0; i < l.n; i++) l.v[i] = rd_str(r);
	return l;
}

static void rd_zero(struct reader *r, size_t n, const char *what) {
	const uint8_t *p = take(r, n);
	for (size_t i = 0; i < n; i++) if (p[i]) bad(r, "%s: reserved bytes are not zero", what);
}

/* Sane values per resource, as RLIMIT_RANGE in bundle.ts; NULL for a resource bundles may not set. */
static const uint64_t *rlimit_range(uint32_t resource) {
	static const uint64_t cpu[2] = { 1, 1ull << 32 }, bytes[2] = { 4096, 1ull << 62 }, nproc[2] = { 1, 1ull << 22 }, nofile[2] = { 1, 1ull << 30 };
	switch (resource) {
	case RLIMIT_CPU: return cpu;
	case RLIMIT_FSIZE: case RLIMIT_STACK: case RLIMIT_AS: return bytes;
	case RLIMIT_NPROC: return nproc;
	case RLIMIT_NOFILE: return nofile;
	default: return NULL;
	}
}

static void parse_section(struct bundle *b, struct reader *s, uint32_t type) {
	switch (type) {
	case SEC_POLICY:
		b->name = rd_str(s);
		b->ir_sha256 = rd_str(s);
		break;
	case SEC_SECCOMP: {
		uint32_t arch = rd_u32(s);
		if (arch != AUDIT_ARCH_X86_64 && arch != AUDIT_ARCH_AARCH64) bad(s, "seccomp section for unknown architecture 0x%x", arch);
		for (uint32_t i = 0; i < b->nseccomp; i++) if (b->seccomp[i].arch == arch) bad(s, "two seccomp programs for one architecture");
		uint32_t count = rd_count(s, 4096, 8);
		if (count == 0) bad(s, "empty seccomp program");
		struct program *p = &b->seccomp[b->nseccomp++];
		p->arch = arch;
		p->count = count;
		p->insns = xcalloc(count, sizeof *p->insns);
		for (uint32_t i = 0; i < count; i++) {
			p->insns[i].code = rd_u16(s);
			p->insns[i].jt = rd_u8(s);
			p->insns[i].jf = rd_u8(s);
			p->insns[i].k = rd_u32(s);
		}
		break;
	}
	case SEC_LANDLOCK_FS:
		b->min_abi = rd_u32(s);
		b->best_effort = rd_u32(s);
		b->handled_fs = rd_u64(s);
		b->ngrants = rd_count(s, MAX_LIST, 24);
		b->grants = xcalloc(b->ngrants, sizeof *b->grants);
		for (uint32_t i = 0; i < b->ngrants; i++) {
			struct grant *g = &b->grants[i];
			g->mode = rd_u8(s);
			if (g->mode < MODE_BENEATH || g->mode > MODE_EXPAND) bad(s, "grant mode: unknown value %u", g->mode);
			rd_zero(s, 3, "grant");
			g->rights = rd_u64(s);
			g->pattern = rd_str(s);
			g->carve = rd_strs(s);
			g->exclude = rd_strs(s);
			if (g->mode == MODE_BENEATH && g->exclude.n) bad(s, "grant: a beneath grant cannot have excludes");
		}
		break;
	case SEC_MASKS:
		b->nmasks = rd_count(s, MAX_LIST, 12);
		b->masks = xcalloc(b->nmasks, sizeof *b->masks);
		for (uint32_t i = 0; i < b->nmasks; i++) {
			b->masks[i].rights = rd_u64(s);
			if (b->masks[i].rights == 0) bad(s, "mask: no rights");
			b->masks[i].pattern = rd_str(s);
		}
		break;
	case SEC_NET:
		b->net_mode = rd_u32(s);
		if (b->net_mode > NET_PROXY) bad(s, "net mode: unknown value %u", b->net_mode);
		b->net_handled = rd_u64(s);
		b->nports = rd_count(s, MAX_LIST, 16);
		b->ports = xcalloc(b->nports, sizeof *b->ports);
		for (uint32_t i = 0; i < b->nports; i++) {
			b->ports[i].port = rd_u16(s);
			rd_zero(s, 6, "port rule");
			b->ports[i].rights = rd_u64(s);
		}
		break;
	case SEC_SCOPES:
		b->scopes = rd_u64(s);
		break;
	case SEC_RLIMITS:
		b->nrlimits = rd_count(s, 16, 16);
		for (uint32_t i = 0; i < b->nrlimits; i++) {
			uint32_t res = b->rlimits[i].resource = rd_u32(s);
			rd_zero(s, 4, "rlimit");
			uint64_t v = b->rlimits[i].value = rd_u64(s);
			const uint64_t *range = rlimit_range(res);
			if (range == NULL) bad(s, "unknown rlimit resource %u", res);
			if (i > 0 && res <= b->rlimits[i - 1].resource) bad(s, "rlimits are not in ascending order of resource, or one repeats");
			if (v < range[0] || v > range[1])
				bad(s, "rlimit %u value %llu is outside %llu..%llu", res, (unsigned long long)v, (unsigned long long)range[0], (unsigned long long)range[1]);
		}
		break;
	case SEC_ENV:
		b->env = rd_strs(s);
		break;
	case SEC_PARAMS:
		b->nparams = rd_count(s, 256, 16);
		b->params = xcalloc(b->nparams, sizeof *b->params);
		for (uint32_t i = 0; i < b->nparams; i++) {
			struct param *p = &b->params[i];
			p->name = rd_str(s);
			p->type = rd_u8(s);
			if (p->type < P_PATH || p->type > P_PORT) bad(s, "param type: unknown value %u", p->type);
			p->has_default = rd_u8(s);
			if (rd_u16(s) != 0 || p->has_default > 1) bad(s, "param: bad flags");
			p->value = rd_str(s);
			if (!p->has_default) {
				xfree(p->value);
				p->value = NULL;
			}
			p->nc = rd_count(s, 64, 8);
			p->c = xcalloc(p->nc, sizeof *p->c);
			for (uint32_t k = 0; k < p->nc; k++) {
				p->c[k].kind = rd_u8(s);
				if (p->c[k].kind < C_UNDER || p->c[k].kind > C_MAX) bad(s, "constraint kind: unknown value %u", p->c[k].kind);
				rd_zero(s, 3, "constraint");
				p->c[k].values = rd_strs(s);
			}
		}
		break;
	case SEC_PROCESS:
		b->caps = rd_u64(s);
		b->cpus = rd_u32(s);
		b->isolation = rd_u32(s);
		if (b->isolation > ISO_CONTAINER) bad(s, "isolation: unknown value %u", b->isolation);
		b->wall_ms = rd_u64(s);
		break;
	default:
		bad(s, "unknown section type %u", type);
	}
	if (s->o != s->n) bad(s, "%zu unexpected trailing bytes", s->n - s->o);
}

static void free_strs(struct strlist *l) {
	for (uint32_t i = 0; i < l->n; i++) xfree(l->v[i]);
	xfree(l->v);
}

/* Everything the loader allocated is reachable from the bundle, even half-way through a section. */
static void free_bundle(struct bundle *b) {
	xfree(b->name);
	xfree(b->ir_sha256);
	for (uint32_t i = 0; i < b->nseccomp; i++) xfree(b->seccomp[i].insns);
	for (uint32_t i = 0; b->grants && i < b->ngrants; i++) {
		xfree(b->grants[i].pattern);
		free_strs(&b->grants[i].carve);
		free_strs(&b->grants[i].exclude);
	}
	xfree(b->grants);
	for (uint32_t i = 0; b->masks && i < b->nmasks; i++) xfree(b->masks[i].pattern);
	xfree(b->masks);
	xfree(b->ports);
	free_strs(&b->env);
	for (uint32_t i = 0; b->params && i < b->nparams; i++) {
		struct param *p = &b->params[i];
		xfree(p->name);
		xfree(p->value);
		xfree(p->given);
		for (uint32_t k = 0; p->c && k < p->nc; k++) free_strs(&p->c[k].values);
		xfree(p->c);
	}
	xfree(b->params);
	memset(b, 0, sizeof *b);
}

/* Returns 0, or -1 with a message in err[256] and nothing left allocated. */
static int load_bundle(const uint8_t *data, size_t n, struct bundle *b, char *err) {
	jmp_buf fail;
	struct reader r = { data, n, 0, -1, &fail, err };
	memset(b, 0, sizeof *b);
	if (setjmp(fail)) {
		free_bundle(b);
		return -1;
	}
	if (n > MAX_BUNDLE) bad(&r, "bundle is larger than %u bytes", MAX_BUNDLE);
	if (memcmp(take(&r, 4), "MXCB", 4) != 0) bad(&r, "not an mxcc bundle (bad magic)");
	uint32_t version = rd_u32(&r);
	if (version != 3) bad(&r, "unsupported bundle version %u", version);
	/* The last section is the SHA-256 of every byte before it: nothing of a corrupt bundle is read.
	   (Not checked by the fuzzing build, so that random input reaches the parser.) */
	if (n < 16 + 40) bad(&r, "truncated: no digest section");
	struct reader tail = { data + n - 40, 40, 0, -1, &fail, err };
	if (rd_u32(&tail) != SEC_DIGEST || rd_u32(&tail) != 32) bad(&r, "the last section is not the digest");
#ifndef MXC_FUZZ
	uint8_t want[32];
	sha256(data, n - 40, want);
	if (memcmp(want, take(&tail, 32), 32) != 0) bad(&r, "the bundle's digest does not match its content (corrupt or modified)");
#endif
	uint32_t count = rd_count(&r, 64, 8);
	if (rd_u32(&r) != 0) bad(&r, "reserved field is not zero");
	uint32_t seen = 0;
	for (uint32_t i = 0; i < count; i++) {
		r.section = -1;
		uint32_t type = rd_u32(&r), len = rd_u32(&r);
		if (len > MAX_BUNDLE) bad(&r, "section %u: length %u too large", i, len);
		const uint8_t *payload = take(&r, len);
		rd_zero(&r, (8 - len % 8) % 8, "section padding");
		if (type != SEC_SECCOMP && type < 32 && (seen & (1u << type))) bad(&r, "section type %u appears twice", type);
		if (type < 32) seen |= 1u << type;
		if (type == SEC_DIGEST) {
			if (i != count - 1) bad(&r, "section %u: the digest is not the last section", i);
			if (len != 32) bad(&r, "section %u: a digest of %u bytes, not 32", i, len);
			continue;
		}
		struct reader s = { payload, len, 0, (int)i, &fail, err };
		parse_section(b, &s, type);
	}
	r.section = -1;
	if (r.o != n) bad(&r, "%zu unexpected trailing bytes", n - r.o);
	for (uint32_t t = SEC_POLICY; t <= SEC_DIGEST; t++)
		if (t != SEC_SECCOMP && !(seen & (1u << t))) bad(&r, "missing section type %u", t);
	if (b->nseccomp == 0) bad(&r, "missing seccomp section");
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Globs: the IR's syntax. `**` whole segments; `*`, `?`, `[a-z]`, `[!a-z]` within one. */

/* Decode one UTF-8 code point (input already validated or a real file name: be lenient). */
static uint32_t next_cp(const char **s) {
	const uint8_t *p = (const uint8_t *)*s;
	uint32_t c = p[0];
	int len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (len > 1) c &= 0x3fu >> (len - 1);
	for (int i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80) { len = i; break; }
		c = c << 6 | (p[i] & 0x3f);
	}
	*s += len;
	return c;
}

/* Is a pattern segment well formed (classes closed, non-empty and not reversed)? */
static int seg_valid(const char *pat) {
	if (strstr(pat, "**") && strcmp(pat, "**") != 0) return 0;
	while (*pat) {
		if (*pat == ']') return 0;
		if (*pat != '[') { next_cp(&pat); continue; }
		const char *close = pat[1] && pat[2] ? strchr(pat + 2, ']') : NULL, *body = pat + 1;
		if (close == NULL) return 0;
		if (*body == '!' || *body == '^') body++;
		if (body == close) return 0;
		while (body < close) {
			uint32_t lo = next_cp(&body), hi = lo;
			if (*body == '-' && body + 1 < close) { body++; hi = next_cp(&body); }
			if (hi < lo) return 0;
		}
		pat = close + 1;
	}
	return 1;
}

/* Does one (valid) pattern segment match one name? Every token but `*` takes one code point, so
 * only the last `*` needs retrying, one code point further each time: O(pattern × name). (Retrying
 * every `*` recursively cost O(name^stars): one pattern and one long file name hung the launch.) */
static int seg_match(const char *pat, const char *name) {
	const char *star = NULL, *retry = NULL;
	for (;;) {
		if (*pat == '*') {
			while (*pat == '*') pat++;
			star = pat;
			retry = name;
			continue;
		}
		if (!*pat && !*name) return 1;
		int ok = *pat && *name;
		if (ok) {
			uint32_t c = next_cp(&name);
			if (*pat == '[') {
				const char *close = strchr(pat + 2, ']'), *body = pat + 1;
				int negated = *body == '!' || *body == '^', in = 0;
				if (negated) body++;
				while (body < close) {
					uint32_t lo = next_cp(&body), hi = lo;
					if (*body == '-' && body + 1 < close) { body++; hi = next_cp(&body); }
					if (c >= lo && c <= hi) in = 1;
				}
				ok = in != negated;
				pat = close + 1;
			} else if (*pat == '?') {
				pat++;
			} else {
				ok = next_cp(&pat) == c;
			}
		}
		if (ok) continue;
		if (star == NULL || !*retry) return 0;
		next_cp(&retry);
		pat = star;
		name = retry;
	}
}

static int is_literal_seg(const char *s) { return strpbrk(s, "*?[]") == NULL; }

struct glob { uint32_t n; char **seg; char *text; };

/* Split a path into its segments (no validation). */
static void split_path(const char *path, struct glob *g) {
	g->n = 0;
	g->seg = xcalloc(strlen(path) / 2 + 2, sizeof *g->seg);
	g->text = xstrdup(path);
	for (char *save = NULL, *t = strtok_r(g->text, "/", &save); t; t = strtok_r(NULL, "/", &save)) g->seg[g->n++] = t;
}

/* In the reverse order of split_path's allocations: both go back to the arena. */
static void free_glob(struct glob *g) {
	xfree(g->text);
	xfree(g->seg);
}

static int glob_parse(const char *pattern, struct glob *g) {
	split_path(pattern, g);
	for (uint32_t i = 0; i < g->n; i++)
		if (strcmp(g->seg[i], ".") == 0 || strcmp(g->seg[i], "..") == 0 || !seg_valid(g->seg[i])) return -1;
	return 0;
}

/* Path matching with `**` spanning zero or more segments; memo[i][j] caches (pattern i, path j). */
static int glob_match_at(const struct glob *g, uint32_t i, char **segs, uint32_t n, uint32_t j, signed char *memo) {
	signed char *m = &memo[i * (n + 1) + j];
	if (*m >= 0) return *m;
	int r;
	if (i == g->n) r = j == n;
	else if (strcmp(g->seg[i], "**") == 0) r = glob_match_at(g, i + 1, segs, n, j, memo) || (j < n && glob_match_at(g, i, segs, n, j + 1, memo));
	else r = j < n && seg_match(g->seg[i], segs[j]) && glob_match_at(g, i + 1, segs, n, j + 1, memo);
	return *m = (signed char)r;
}

static int glob_matches(const struct glob *g, const char *path) {
	struct glob p;
	split_path(path, &p);
	size_t cells = (size_t)(g->n + 1) * (p.n + 1);
	signed char *memo = xcalloc(cells, 1);
	memset(memo, -1, cells);
	int r = glob_match_at(g, 0, p.seg, p.n, 0, memo);
	xfree(memo);
	free_glob(&p);
	return r;
}

/* ---------------------------------------------------------------------------------------- */
/* Params */

static struct bundle B;

static int path_under(const char *path, const char *dir) {
	size_t n = strlen(dir);
	return strcmp(dir, "/") == 0 || strcmp(path, dir) == 0 || (strncmp(path, dir, n) == 0 && path[n] == '/');
}

/* In the /proc entries of the process that looks (and of each process its own): /proc/self, /proc/thread-self. */
static int is_proc_self(const char *path) { return path_under(path, "/proc/self") || path_under(path, "/proc/thread-self"); }

static struct param *find_param(const char *name, size_t len) {
	for (uint32_t i = 0; i < B.nparams; i++)
		if (strlen(B.params[i].name) == len && strncmp(B.params[i].name, name, len) == 0) return &B.params[i];
	return NULL;
}

/* "/a//b/" → "/a/b"; refuses relative paths, glob characters and . or .. segments. */
static const char *normalize_path_value(const char *v, char *out) {
	if (v[0] != '/') return "is not an absolute path";
	if (strpbrk(v, "*?[]{}")) return "contains glob characters";
	size_t o = 0;
	for (const char *p = v; *p;) {
		while (*p == '/') p++;
		const char *e = strchrnul(p, '/');
		size_t len = (size_t)(e - p);
		if (len == 0) break;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) return "is not normalized (no . or .. segments)";
		if (o + len + 2 >= PATH_MAX) return "is too long";
		out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
		p = e;
	}
	if (o == 0) out[o++] = '/';
	out[o] = 0;
	return NULL;
}

static const char *violated(const struct param *p, const char *v, int canonical_dirs) {
	static char what[64];
	for (uint32_t k = 0; k < p->nc; k++) {
		const struct constraint *c = &p->c[k];
		int any = 0;
		for (uint32_t i = 0; i < c->values.n; i++) {
			const char *d = c->values.v[i];
			char real[PATH_MAX];
			if (canonical_dirs && (c->kind == C_UNDER || c->kind == C_NOT_UNDER) && realpath(d, real)) d = real;
			switch (c->kind) {
			case C_UNDER: any |= path_under(v, d); break;
			case C_NOT_UNDER: any |= path_under(v, d) || path_under(d, v); break;
			case C_ONE_OF: any |= strcmp(v, d) == 0; break;
			case C_MIN: any |= strtod(v, NULL) < strtod(d, NULL); break;
			case C_MAX: any |= strtod(v, NULL) > strtod(d, NULL); break;
			}
		}
		int ok = c->kind == C_UNDER || c->kind == C_ONE_OF ? any : !any;
		static const char *const names[] = { "", "under", "not under", "one_of", "min", "max" };
		if (!ok) return snprintf(what, sizeof what, "%s", names[c->kind]), what;
	}
	return NULL;
}

static void check_param(struct param *p) {
	const char *v = p->value, *bad_type = NULL, *err;
	char norm[PATH_MAX], real[PATH_MAX], buf[32];
	switch (p->type) {
	case P_PATH:
		if ((bad_type = normalize_path_value(v, norm)) != NULL) break;
		if ((err = violated(p, norm, 0)) != NULL) die("params", EPERM, "%s=%s violates the constraint %s", p->name, v, err);
		if (realpath(norm, real) == NULL) die("params", errno, "%s=%s: the path must exist", p->name, v);
		/* A newline in a directory's name would forge lines of --dry-run's plan and of the errors. */
		for (const char *c = real; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) die("params", EINVAL, "%s: the path it resolves to has a control character (byte 0x%02x at %zu)", p->name, (unsigned char)*c, (size_t)(c - real));
		if ((err = violated(p, real, 0)) != NULL || (err = violated(p, real, 1)) != NULL)
			die("params", EPERM, "%s=%s resolves to %s, which violates the constraint %s", p->name, v, real, err);
		xfree(p->given);
		p->given = xstrdup(norm);
		p->value = xstrdup(real);
		return;
	case P_STRING: break;
	case P_BOOL:
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) bad_type = "is not true or false";
		break;
	case P_INT:
	case P_PORT: {
		size_t n = strlen(v), neg = p->type == P_INT && v[0] == '-', maxd = p->type == P_INT ? 15 : 5;
		long long x = strtoll(v, NULL, 10);
		if (n == neg || n - neg > maxd || strspn(v + neg, "0123456789") != n - neg || (p->type == P_PORT && x > 65535)) {
			bad_type = p->type == P_INT ? "is not an integer" : "is not a port (0-65535)";
			break;
		}
		snprintf(buf, sizeof buf, "%lld", x);
		p->value = xstrdup(buf);
		break;
	}
	case P_HOST:
		if (!*v || strlen(v) > 253 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") != strlen(v)) bad_type = "is not a host name or address";
		break;
	}
	if (bad_type) die("params", EINVAL, "%s=%s %s", p->name, v, bad_type);
	if ((err = violated(p, p->value, 0)) != NULL) die("params", EPERM, "%s=%s violates the constraint %s", p->name, v, err);
}

/* Substitute a leading ${param}; returns a normalized absolute path pattern or dies. */
static char *resolve_pattern(const char *pattern) {
	char out[PATH_MAX + 8];
	const char *rest = pattern;
	out[0] = 0;
	if (strncmp(pattern, "${", 2) == 0) {
		const char *end = strchr(pattern, '}');
		struct param *p = end ? find_param(pattern + 2, (size_t)(end - pattern - 2)) : NULL;
		if (p == NULL || p->type != P_PATH) die("plan", EINVAL, "pattern \"%s\" is rooted at an undeclared path param", pattern);
		if (p->value == NULL) die("params", EINVAL, "%s has no value; pass --param %s=...", p->name, p->name);
		rest = end + 1;
		if (strcmp(p->value, "/") != 0) snprintf(out, sizeof out, "%s", p->value);
	}
	if (*rest != '/' && !(*rest == 0 && out[0])) die("plan", EINVAL, "pattern \"%s\" is not absolute", pattern);
	if (strlen(out) + strlen(rest) >= PATH_MAX) die("plan", ENAMETOOLONG, "pattern \"%s\"", pattern);
	strcat(out, rest);
	if (!out[0]) strcpy(out, "/");
	if (strstr(out, "${")) die("plan", EINVAL, "a param can only start a pattern: \"%s\"", pattern);
	return xstrdup(out);
}

static struct glob parsed_pattern(const char *pattern, char **resolved) {
	struct glob g;
	*resolved = resolve_pattern(pattern);
	if (glob_parse(*resolved, &g) != 0) die("plan", EINVAL, "malformed pattern \"%s\"", pattern);
	return g;
}

/* ---------------------------------------------------------------------------------------- */
/* The Landlock plan, resolved to concrete paths */

/*
 * dev/ino: what the path was at planning (0: not checked, in /proc); applying refuses anything
 * else there. fd: the O_PATH descriptor planning opened, kept for the Landlock step when nothing is
 * mounted in between (no namespaces, see keep_fds_for_landlock), else -1 and the path is opened
 * again; is_dir: what planning found.
 */
struct rule { char *path; uint64_t rights; int exact, nofollow; dev_t dev; ino_t ino; int fd, is_dir; };
static struct rule *rules;
static uint32_t nrules, cap_rules;
static uint32_t keep_fds; /* how many more planned descriptors may be kept (0: none) */
/* Directories granted as hierarchies, with the rights granted there: where masks are looked for. */
struct root { char *path; uint64_t rights; };
static struct root *roots;
static uint32_t nroots;

/*
 * A path masked at launch. The denied rights decide how (mask_flags): reading denied → covered by
 * an inaccessible node; writing denied → bound onto itself read-only; executing → noexec; device
 * ioctls → nodev. Every mask is a mount point, which cannot be removed or renamed (EBUSY).
 */
enum { MASK_HIDE = 1, MASK_RDONLY = 2, MASK_NOEXEC = 4, MASK_NODEV = 8, MASK_SOCKET = 16 /* a cover over a bound socket */, MASK_FILE = 32 /* a cover: with the inaccessible file */,
       MASK_PIN = 64 /* a directory bound onto itself, no attribute changed: on the way to a mask or a covered socket */ };
struct hit { char *path; uint64_t rights; int subtree, flags; dev_t dev; ino_t ino; };
static struct hit *hits;
static uint32_t nhits;

/*
 * Whether the launch makes namespaces (user + mount, and net or PID as the modes ask), in one place
 * for applying, the mount view and --dry-run: the network mode (none, proxy) or the isolation asks
 * for them, or planning found paths to mask (nhits, known once planning is done). Before planning,
 * keep_fds_for_landlock judges by the modes and the bundle's masks and carves, which hits come from.
 */
static int namespaces_by_mode(void) { return B.net_mode != NET_PORTS || B.isolation != ISO_PROCESS; }
static int makes_namespaces(void) { return nhits > 0 || namespaces_by_mode(); }

static void add_str(struct strlist *l, const char *s) {
	if ((l->n & (l->n - 1)) == 0) {
		l->v = xrealloc(l->v, (l->n ? 2 * (size_t)l->n : 1) * sizeof *l->v);
	}
	l->v[l->n++] = xstrdup(s);
}

/* `fd` (or negative: none): the path's O_PATH descriptor, which the rule keeps if it may, else closes. */
static void add_rule(const char *path, const struct stat *st, uint64_t rights, int exact, int nofollow, int fd) {
	if (fd >= 0 && (keep_fds == 0 || is_proc_self(path))) {
		close(fd); /* /proc/self: another process's, after a fork (wall limit, pids cgroup) */
		fd = -1;
	}
	if (fd >= 0) keep_fds--;
	else fd = -1;
	if (nrules == MAX_RULES) die("plan", E2BIG, "more than %u Landlock rules", MAX_RULES);
	if (nrules == cap_rules) {
		cap_rules = cap_rules ? 2 * cap_rules : 64;
		rules = xrealloc(rules, cap_rules * sizeof *rules);
	}
	int proc = path_under(path, "/proc"); /* a fresh /proc in a PID namespace: other inodes, made by the kernel only */
	rules[nrules++] = (struct rule){ xstrdup(path), rights, exact, nofollow, proc ? 0 : st->st_dev, proc ? 0 : st->st_ino, fd, S_ISDIR(st->st_mode) };
}

static void join(char *out, const char *dir, const char *name) {
	if (snprintf(out, PATH_MAX, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name) >= PATH_MAX) die("plan", ENAMETOOLONG, "%s/%s", dir, name);
}

struct walk { const struct glob *g; struct strlist *out; unsigned long visits; const char *what; };

/* Enumerate existing paths matching w->g from `path` at segment i (bounded). */
static void walk(struct walk *w, const char *path, uint32_t i, int depth) {
	if (depth > MAX_DEPTH) die("plan", ELOOP, "%s: matches deeper than %d directories", w->what, MAX_DEPTH);
	if (++w->visits > MAX_VISITS) die("plan", E2BIG, "%s: more than %lu entries to look at", w->what, MAX_VISITS);
	if (i == w->g->n) {
		if (w->out->n >= MAX_MATCHES) die("plan", E2BIG, "%s: more than %u matches", w->what, MAX_MATCHES);
		add_str(w->out, path);
		return;
	}
	const char *seg = w->g->seg[i];
	int globstar = strcmp(seg, "**") == 0;
	char child[PATH_MAX];
	struct stat st;
	if (globstar) walk(w, path, i + 1, depth);
	if (!globstar && is_literal_seg(seg)) {
		join(child, path, seg);
		if (lstat(child, &st) == 0) walk(w, child, i + 1, depth + 1);
		return;
	}
	DIR *d = opendir(path);
	if (d == NULL) return; /* not a directory, or not readable: nothing below it to grant or hide */
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
		join(child, path, e->d_name);
		if (globstar) {
			/* Recurse into real directories only: a symlink loop must not make the walk endless. */
			int dir = e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && lstat(child, &st) == 0 && S_ISDIR(st.st_mode));
			if (dir) walk(w, child, i, depth + 1);
		} else if (seg_match(seg, e->d_name) == 1) {
			walk(w, child, i + 1, depth + 1);
		}
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void enumerate(const struct glob *g, struct strlist *out, const char *what) {
	struct walk w = { g, out, 0, what };
	out->n = 0;
	out->v = NULL;
	walk(&w, "/", 0, 0);
	if (out->n > 1) qsort(out->v, out->n, sizeof *out->v, cmp_str);
	uint32_t k = 0;
	for (uint32_t i = 0; i < out->n; i++) if (k == 0 || strcmp(out->v[k - 1], out->v[i]) != 0) out->v[k++] = out->v[i];
	out->n = k;
}

static int excluded(const struct grant *g, const char *path) {
	char real[PATH_MAX];
	if (g->exclude.n == 0) return 0; /* the common case: spare the realpath */
	int have_real = realpath(path, real) != NULL;
	for (uint32_t i = 0; i < g->exclude.n; i++) {
		char *resolved;
		struct glob x = parsed_pattern(g->exclude.v[i], &resolved);
		if (glob_matches(&x, path) || (have_real && glob_matches(&x, real))) return 1;
	}
	return 0;
}

/* Canonical form of a path that may not exist: its deepest existing ancestor resolved, plus the rest. */
static int canonical_maybe_missing(const char *path, char *out) {
	char head[PATH_MAX];
	if (snprintf(head, sizeof head, "%s", path) >= (int)sizeof head) return -1;
	size_t cut = strlen(head);
	while (realpath(cut ? head : "/", out) == NULL) {
		if (errno != ENOENT && errno != ENOTDIR) return -1;
		char *slash = strrchr(head, '/');
		if (slash == NULL) return -1;
		*slash = 0;
		cut = (size_t)(slash - head);
	}
	if (path[cut]) {
		if (strcmp(out, "/") == 0) out[0] = 0;
		size_t n = strlen(out);
		if (snprintf(out + n, PATH_MAX - n, "%s", path + cut) >= (int)(PATH_MAX - n)) return -1;
	}
	return 0;
}

/*
 * Hierarchies a grant lets the sandbox change (write, truncate, create, delete, refer): what is in
 * them may have been made by the sandbox, in this run or an earlier one, so a granted path below
 * one is resolved beneath it (openat2 RESOLVE_BENEATH): a symlink planted there (ws/cache ->
 * /root/x) cannot turn a nested grant (on ${ws}/cache) into a grant on its target. Such a launch is
 * refused. Each is kept as written (params are canonical) and canonical; / is not one (nothing
 * is outside it). A wildcard grant's tree is its literal head.
 */
#define WRITE_RIGHTS (1ull << 1 | 1ull << 14 | 0x3ff0ull)
struct tree { char *lex, *canon; };
static struct tree *trees;
static uint32_t ntrees;
static int root_writable; /* a writable grant on all of / (a `/` hierarchy): not a tree above, but where pins start */

static void find_writable_trees(void) {
	trees = xcalloc(B.ngrants, sizeof *trees);
	for (uint32_t i = 0; i < B.ngrants; i++) {
		const struct grant *g = &B.grants[i];
		char *path, head[PATH_MAX] = "", real[PATH_MAX];
		struct glob pg = parsed_pattern(g->pattern, &path);
		if (g->mode != MODE_EXACT && (g->rights & WRITE_RIGHTS) && pg.n > 0 && strcmp(pg.seg[pg.n - 1], "**") == 0) {
			for (uint32_t k = 0; k < pg.n && strcmp(pg.seg[k], "**") != 0 && is_literal_seg(pg.seg[k]); k++) {
				size_t n = strlen(head);
				if (snprintf(head + n, sizeof head - n, "/%s", pg.seg[k]) >= (int)(sizeof head - n)) die("plan", ENAMETOOLONG, "grant \"%s\"", g->pattern);
			}
			int found = head[0] && realpath(head, real) != NULL;
			if (found && strcmp(real, "/") != 0) trees[ntrees++] = (struct tree){ xstrdup(head), xstrdup(real) };
			else if (!head[0] || found) root_writable = 1;
		}
		xfree(path);
		free_glob(&pg);
	}
}

/* Whether `dir` (canonical) lies in a hierarchy the sandbox may write. */
static int in_writable_tree(const char *dir) {
	if (root_writable) return 1;
	for (uint32_t i = 0; i < ntrees; i++) if (path_under(dir, trees[i].canon) || path_under(dir, trees[i].lex)) return 1;
	return 0;
}

/*
 * A path param given through a symlink takes the link's target. A link in a directory that this
 * sandbox may write, or that any user may write (sticky /tmp), may have been planted by an earlier
 * run (ws -> /home, under a /tmp grant): the next run would be granted the target. Refused, with
 * the target to give instead; links elsewhere (/var/run -> /run) are the system's.
 */
static void check_param_links(void) {
	for (uint32_t k = 0; k < B.nparams; k++) {
		const struct param *p = &B.params[k];
		if (p->type != P_PATH || !p->given || strcmp(p->given, p->value) == 0) continue;
		char prefix[PATH_MAX], dir[PATH_MAX];
		struct stat st;
		for (size_t at = 1; p->given[at - 1]; at++) {
			if (p->given[at] != '/' && p->given[at] != 0) continue;
			memcpy(prefix, p->given, at);
			prefix[at] = 0;
			if (lstat(prefix, &st) != 0 || !S_ISLNK(st.st_mode)) continue;
			char *slash = strrchr(prefix, '/');
			snprintf(dir, sizeof dir, "%.*s", slash == prefix ? 1 : (int)(slash - prefix), prefix);
			char real[PATH_MAX];
			if (realpath(dir, real) == NULL || stat(real, &st) != 0) die("params", errno, "%s=%s: resolve %s", p->name, p->given, dir);
			int shared = (st.st_mode & S_ISVTX) && (st.st_mode & S_IWOTH);
			if (shared || in_writable_tree(real))
				die("params", ELOOP, "%s=%s goes through the symlink %s in %s, where %s may write: an earlier run could have planted it; give its target (%s) instead",
				    p->name, p->given, prefix, real, shared ? "any user" : "the sandbox", p->value);
		}
	}
}

/* openat2(2), again while a rename racing the lookup makes it fail with EAGAIN (a few times). */
static int openat2_retrying(int dir, const char *path, int flags, uint64_t resolve) {
	struct open_how how = { (uint64_t)flags, 0, resolve };
	int fd = -1;
	for (int tries = 0; tries < 8; tries++)
		if ((fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof how)) >= 0 || errno != EAGAIN) break;
	return fd;
}

/* Already in the form normalize_path_value gives (and the kernel's d_path): absolute, no empty, `.` or `..` segments, no trailing slash. */
static int is_normal_path(const char *p) {
	char norm[PATH_MAX];
	return normalize_path_value(p, norm) == NULL && strcmp(norm, p) == 0;
}

/*
 * A normal path that openat2(RESOLVE_NO_SYMLINKS) could not open for this reason does not exist at
 * launch whether links are followed or not: the walk stopped at a missing name (ENOENT) or a file
 * where a directory should be (ENOTDIR) before meeting any symlink, and following links changes
 * nothing before the first one. Not ELOOP (a link on the way) nor anything else (an old kernel).
 */
static int absent_before_any_link(int err) { return err == ENOENT || err == ENOTDIR; }

/*
 * Opens a granted path (O_PATH), stats it into `st` and writes its canonical form to `canon`;
 * -1 if it does not exist. A /proc/self path stays as it is and is only stat'ed (-2): the process
 * that execs the command opens it. Below a writable hierarchy (the outermost) it is resolved
 * beneath that hierarchy, see above.
 */
static int open_granted(const char *pattern, const char *path, char *canon, struct stat *st) {
	const struct tree *t = NULL;
	const char *rel = NULL;
	size_t best = 0;
	for (uint32_t i = 0; i < ntrees; i++) {
		const char *base[2] = { trees[i].lex, trees[i].canon };
		for (int b = 0; b < 2; b++) {
			size_t n = strlen(base[b]);
			if (strncmp(path, base[b], n) == 0 && path[n] == '/' && (t == NULL || n < best)) t = &trees[i], rel = path + n + 1, best = n;
		}
	}
	int flags = O_PATH | O_CLOEXEC, fd, proc_self = is_proc_self(path);
	/* musl's open() adds an fcntl for O_CLOEXEC; openat() does not. */
	if (t == NULL && proc_self) {
		if (stat(path, st) != 0) fd = -1;
		else {
			snprintf(canon, PATH_MAX, "%s", path);
			return -2;
		}
	} else if (t == NULL) {
		/* A normal path reached without a symlink is its own canonical form: no readlink below. */
		if (is_normal_path(path)) {
			if ((fd = openat2_retrying(AT_FDCWD, path, flags, RESOLVE_NO_SYMLINKS)) >= 0) {
				snprintf(canon, PATH_MAX, "%s", path);
				goto opened;
			}
			if (absent_before_any_link(errno)) return -1;
		}
		fd = openat(AT_FDCWD, path, flags);
	} else {
		int dir = openat(AT_FDCWD, t->canon, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dir >= 0 && is_normal_path(path)) {
			if ((fd = openat2_retrying(dir, rel, flags, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)) >= 0) {
				close(dir);
				if (snprintf(canon, PATH_MAX, "%s/%s", t->canon, rel) >= PATH_MAX) die("plan", ENAMETOOLONG, "%s/%s (grant \"%s\")", t->canon, rel, pattern);
				goto opened;
			}
			if (absent_before_any_link(errno)) {
				close(dir);
				return -1;
			}
		}
		fd = dir >= 0 ? openat2_retrying(dir, rel, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) : -1;
		int err = errno;
		if (dir >= 0) close(dir);
		if (fd < 0 && err == EXDEV)
			die("plan", EXDEV, "grant \"%s\": %s leads out of %s, where the sandbox may write, through a symlink; remove the link, or grant its target by name", pattern, path, t->canon);
		errno = err;
	}
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ELOOP) return -1; /* absent (or dangling) at launch: nothing to grant */
		die("plan", errno, "open %s (grant \"%s\")", path, pattern);
	}
	if (proc_self) { /* in a writable hierarchy */
		snprintf(canon, PATH_MAX, "%s", path);
		goto opened;
	}
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, canon, PATH_MAX - 1);
	if (n <= 0 || n >= PATH_MAX - 1) die("plan", n < 0 ? errno : ENAMETOOLONG, "resolve %s through %s (grant \"%s\"; is /proc mounted?)", path, link, pattern);
	canon[n] = 0;
	if (canon[0] != '/') { /* a pipe or socket behind /dev/stdin and the like: no path to grant */
		close(fd);
		return -1;
	}
opened:
	if (fstat(fd, st) != 0) die("plan", errno, "stat %s", path);
	return fd;
}

/* Grant `dir` as a hierarchy, minus carved paths inside it (siblings along the way are granted). */
static void carve_walk(const char *dir, uint64_t rights, char **carved, uint32_t ncarved) {
	DIR *d = opendir(dir);
	if (d == NULL) die("plan", errno, "cannot list %s to carve a deny out of it", dir);
	char child[PATH_MAX];
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
		join(child, dir, e->d_name);
		int is_carved = 0, on_the_way = 0;
		for (uint32_t i = 0; i < ncarved; i++) {
			if (strcmp(carved[i], child) == 0) is_carved = 1;
			else if (path_under(carved[i], child)) on_the_way = 1;
		}
		for (uint32_t i = 0; i < nhits; i++) is_carved |= strcmp(hits[i].path, child) == 0; /* masked instead */
		struct stat st;
		if (is_carved || lstat(child, &st) != 0 || S_ISLNK(st.st_mode)) continue; /* a symlink could lead into the carve */
		if (on_the_way && S_ISDIR(st.st_mode)) carve_walk(child, rights, carved, ncarved);
		else if (!on_the_way) add_rule(child, &st, rights, 0, 1, -1);
	}
	closedir(d);
}

static void add_hit(const char *path, uint64_t rights, int subtree) {
	if (nhits >= MAX_MATCHES) die("plan", E2BIG, "more than %u paths to mask", MAX_MATCHES);
	if ((nhits & (nhits - 1)) == 0) {
		hits = xrealloc(hits, (nhits ? 2 * (size_t)nhits : 1) * sizeof *hits);
	}
	struct stat st;
	int known = !path_under(path, "/proc") && lstat(path, &st) == 0;
	hits[nhits++] = (struct hit){ xstrdup(path), rights, subtree, 0, known ? st.st_dev : 0, known ? st.st_ino : 0 };
}

static void add_root(const char *path, uint64_t rights) {
	for (uint32_t i = 0; i < nroots; i++) if (strcmp(roots[i].path, path) == 0) { roots[i].rights |= rights; return; }
	if ((nroots & (nroots - 1)) == 0) {
		roots = xrealloc(roots, (nroots ? 2 * (size_t)nroots : 1) * sizeof *roots);
	}
	roots[nroots++] = (struct root){ xstrdup(path), rights };
}

/* Is the deepest existing ancestor of `path` on procfs, where only the kernel creates entries? */
static int on_procfs(const char *path) {
	char p[PATH_MAX];
	struct statfs sf;
	snprintf(p, sizeof p, "%s", path);
	for (;;) {
		if (statfs(p, &sf) == 0) return sf.f_type == PROC_SUPER_MAGIC;
		char *slash = strrchr(p, '/');
		if (slash == NULL || slash == p) return 0;
		*slash = 0;
	}
}

/*
 * Grant `dir` as a hierarchy. A literal deny inside it (a carve) that exists at launch is masked
 * (a mount point: it cannot be removed or renamed, so the deny holds for the whole run); one that
 * does not exist is carved out: the siblings along its path are granted instead of `dir`, unless it
 * would be in /proc (no process creates files there: carving would freeze the process list).
 */
static void grant_beneath(const struct grant *g, const char *dir) {
	char root[PATH_MAX];
	struct stat st;
	int fd = open_granted(g->pattern, dir, root, &st);
	if (fd == -1) return; /* absent at launch: nothing to grant */
	char **carved = xcalloc(g->carve.n, sizeof *carved);
	uint32_t ncarved = 0;
	for (uint32_t i = 0; i < g->carve.n; i++) {
		char *c = resolve_pattern(g->carve.v[i]), canon[PATH_MAX];
		size_t n = strlen(c);
		int subtree = n >= 3 && strcmp(c + n - 3, "/**") == 0;
		if (subtree) c[n == 3 ? 1 : n - 3] = 0;
		if (!is_literal_seg(c) || strstr(c, "/**")) die("plan", EINVAL, "carve \"%s\" is not a literal path or subtree", g->carve.v[i]);
		if (canonical_maybe_missing(c, canon) != 0) die("plan", errno, "cannot resolve carve %s", c);
		if (strcmp(canon, root) == 0) { /* the deny covers the whole grant */
			if (fd >= 0) close(fd);
			return;
		}
		if (!path_under(canon, root)) continue;
		struct stat cst;
		if (lstat(canon, &cst) == 0) add_hit(canon, g->rights, subtree);
		else if (!on_procfs(canon)) carved[ncarved++] = xstrdup(canon);
	}
	add_root(root, g->rights);
	if (ncarved == 0) {
		add_rule(root, &st, g->rights, 0, 0, fd);
	} else {
		if (fd >= 0) close(fd);
		carve_walk(root, g->rights, carved, ncarved);
	}
}

/* A single file (not a directory); `check` is tested against the grant's excludes, if given. */
static void grant_file(const struct grant *g, const char *path, const char *check) {
	char canon[PATH_MAX];
	struct stat st;
	int fd = open_granted(g->pattern, path, canon, &st);
	if (fd == -1) return;
	if (!S_ISDIR(st.st_mode) && !(check && excluded(g, check))) add_rule(canon, &st, g->rights & LL_FILE_RIGHTS, 1, 0, fd);
	else if (fd >= 0) close(fd);
}

static void resolve_grant(const struct grant *g) {
	char *path;
	struct glob pg = parsed_pattern(g->pattern, &path);
	int ends_globstar = pg.n > 0 && strcmp(pg.seg[pg.n - 1], "**") == 0;
	if (g->mode == MODE_BENEATH) {
		if (!ends_globstar) die("plan", EINVAL, "beneath grant \"%s\" does not end in /**", g->pattern);
		if (g->exclude.n) die("plan", EINVAL, "beneath grant \"%s\" has excludes, which only single files can honour", g->pattern);
		size_t n = strlen(path);
		path[n == 3 ? 1 : n - 3] = 0;
		if (!is_literal_seg(path) || strstr(path, "/**")) die("plan", EINVAL, "beneath grant \"%s\" has wildcards", g->pattern);
		grant_beneath(g, path);
	} else if (g->mode == MODE_EXACT) {
		if (!is_literal_seg(path) || strstr(path, "/**")) die("plan", EINVAL, "exact grant \"%s\" has wildcards", g->pattern);
		grant_file(g, path, path);
	} else {
		struct strlist hits;
		if (ends_globstar) pg.n--; /* enumerate the head; each match is a hierarchy */
		enumerate(&pg, &hits, g->pattern);
		for (uint32_t i = 0; i < hits.n; i++) {
			struct stat st;
			char real[PATH_MAX];
			if (excluded(g, hits.v[i])) continue;
			/*
			 * A match that is a symlink would become a rule on its target (the rule is opened
			 * through it): granted only when the target matches the pattern too, so a link
			 * planted in a writable place (ws/x/README -> ~/.ssh/id_rsa) grants nothing.
			 */
			const char *at = hits.v[i];
			if (lstat(at, &st) == 0 && S_ISLNK(st.st_mode)) {
				if (realpath(at, real) == NULL || !glob_matches(&pg, real) || excluded(g, real)) continue;
				at = real;
			}
			if (ends_globstar) grant_beneath(g, at);
			else grant_file(g, at, NULL);
		}
	}
}

/*
 * Masks: every mask pattern is matched in one walk of each outermost granted hierarchy, as a set
 * of (pattern, segment) states stepped by each name, so a tree is read once whatever the number
 * of patterns, and only below roots a pattern can reach. A pattern whose rest is `**` matches a
 * whole subtree: it is masked at its top and not walked further.
 */
struct mglob { struct glob g; uint64_t rights; };
static struct mglob *mglobs;
struct mstate { uint32_t m, i; };
struct mstates { uint32_t n, cap; struct mstate *v; };

static int is_globstar(uint32_t m, uint32_t i) { return i < mglobs[m].g.n && strcmp(mglobs[m].g.seg[i], "**") == 0; }

static int st_has(const struct mstates *S, uint32_t m, uint32_t i) {
	for (uint32_t k = 0; k < S->n; k++) if (S->v[k].m == m && S->v[k].i == i) return 1;
	return 0;
}

/* Add a state and, since `**` also matches no segment, the state after each `**`. */
static void st_add(struct mstates *S, uint32_t m, uint32_t i) {
	if (st_has(S, m, i)) return;
	if (S->n == S->cap) {
		S->cap = S->cap ? 2 * S->cap : 8;
		S->v = xrealloc(S->v, S->cap * sizeof *S->v);
	}
	S->v[S->n++] = (struct mstate){ m, i };
	if (is_globstar(m, i)) st_add(S, m, i + 1);
}

static void st_step(const struct mstates *S, const char *name, struct mstates *out) {
	out->n = 0;
	for (uint32_t k = 0; k < S->n; k++) {
		uint32_t m = S->v[k].m, i = S->v[k].i;
		if (i == mglobs[m].g.n) continue;
		if (is_globstar(m, i)) st_add(out, m, i);
		else if (seg_match(mglobs[m].g.seg[i], name)) st_add(out, m, i + 1);
	}
}

static uint64_t granted_at(const char *path) {
	uint64_t r = 0;
	for (uint32_t i = 0; i < nroots; i++) if (path_under(path, roots[i].path)) r |= roots[i].rights;
	return r;
}

static unsigned long mask_visits;

static void mask_walk(const char *path, const struct mstates *S, int depth, int is_dir) {
	struct mstates live = { 0, 0, NULL }, next = { 0, 0, NULL };
	for (uint32_t k = 0; k < S->n; k++) {
		uint32_t m = S->v[k].m, i = S->v[k].i, n = mglobs[m].g.n;
		int subtree = n > 0 && is_globstar(m, n - 1) && st_has(S, m, n - 1);
		if (i == n) add_hit(path, mglobs[m].rights, subtree);
		else if (!(subtree && i == n - 1)) st_add(&live, m, i);
	}
	/* Drop the states of patterns that matched this whole subtree. */
	uint32_t keep = 0;
	for (uint32_t k = 0; k < live.n; k++) {
		uint32_t m = live.v[k].m, n = mglobs[m].g.n;
		if (!(n > 0 && is_globstar(m, n - 1) && st_has(S, m, n - 1) && st_has(S, m, n))) live.v[keep++] = live.v[k];
	}
	live.n = keep;
	if (live.n == 0 || !is_dir) goto out;
	if (depth > MAX_DEPTH) die("plan", ELOOP, "masks: %s is more than %d directories below a granted directory", path, MAX_DEPTH);
	if (++mask_visits > MAX_VISITS) die("plan", E2BIG, "masks: more than %lu entries to look at", MAX_VISITS);
	char child[PATH_MAX];
	struct stat st;
	int literal = 1;
	for (uint32_t k = 0; k < live.n && literal; k++) literal = !is_globstar(live.v[k].m, live.v[k].i) && is_literal_seg(mglobs[live.v[k].m].g.seg[live.v[k].i]);
	if (literal) { /* only literal names can match here: look them up instead of listing */
		for (uint32_t k = 0; k < live.n; k++) {
			const char *name = mglobs[live.v[k].m].g.seg[live.v[k].i];
			int seen = 0;
			for (uint32_t j = 0; j < k; j++) seen |= strcmp(mglobs[live.v[j].m].g.seg[live.v[j].i], name) == 0;
			join(child, path, name);
			if (seen || lstat(child, &st) != 0) continue;
			st_step(&live, name, &next);
			mask_walk(child, &next, depth + 1, S_ISDIR(st.st_mode));
		}
		goto out;
	}
	DIR *d = opendir(path);
	if (d == NULL) {
		/* Not listable and not searchable: nothing below it can be opened. Searchable only
		 * (mode 0311, a 0711 home): names below can be opened without being seen, so the whole
		 * directory is masked with the rights the patterns still looking below it deny. */
		if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) != 0) goto out;
		uint64_t want = 0;
		for (uint32_t k = 0; k < live.n; k++) want |= mglobs[live.v[k].m].rights;
		add_hit(path, want, 1);
		goto out;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
		st_step(&live, e->d_name, &next);
		if (next.n == 0) continue;
		if (++mask_visits > MAX_VISITS) die("plan", E2BIG, "masks: more than %lu entries to look at", MAX_VISITS);
		join(child, path, e->d_name);
		int dir = e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && lstat(child, &st) == 0 && S_ISDIR(st.st_mode));
		mask_walk(child, &next, depth + 1, dir);
	}
	closedir(d);
out:
	xfree(live.v);
	xfree(next.v);
}

/* Path order with '/' before every other byte: a path is followed by everything under it, then by
 * its siblings (strcmp would put /a/b-x between /a/b and /a/b/c). */
static int cmp_hit(const void *a, const void *b) {
	const unsigned char *p = (const unsigned char *)((const struct hit *)a)->path, *q = (const unsigned char *)((const struct hit *)b)->path;
	for (; *p && *p == *q; p++, q++) {}
	int x = *p == '/' ? 1 : *p ? *p + 1 : 0, y = *q == '/' ? 1 : *q ? *q + 1 : 0;
	return x - y;
}

/* How a mask with these (granted and denied) rights is applied; see struct hit. */
static int mask_flags(uint64_t rights, int subtree, int is_dir) {
	const uint64_t read = 1ull << 2 | 1ull << 3, write_file = 1ull << 1 | 1ull << 14, write_tree = write_file | 0x3ff0ull /* remove_*, make_*, refer */;
	int f = 0, whole = subtree || !is_dir; /* the rights concern the content, not only the name */
	if (rights & read) f |= MASK_HIDE;
	if (rights & (is_dir ? (subtree ? write_tree : 0) : write_file)) f |= MASK_RDONLY;
	if (whole && (rights & 1ull)) f |= MASK_NOEXEC;
	if (whole && (rights & (1ull << 15))) f |= MASK_NODEV;
	return f;
}

/*
 * A mask pattern whose literal head is canonicalized, as the grant roots are: a deny written
 * through a symlink (a home under /home -> /var/home) is matched where the files really are.
 */
static struct glob canonical_mask(const char *pattern) {
	char *resolved, head[PATH_MAX] = "", canon[PATH_MAX], text[2 * PATH_MAX];
	struct glob g = parsed_pattern(pattern, &resolved);
	xfree(resolved);
	uint32_t lit = 0;
	while (lit < g.n && strcmp(g.seg[lit], "**") != 0 && is_literal_seg(g.seg[lit])) lit++;
	if (lit == 0) return g;
	for (uint32_t i = 0; i < lit; i++) {
		size_t n = strlen(head);
		if (snprintf(head + n, sizeof head - n, "/%s", g.seg[i]) >= (int)(sizeof head - n)) die("plan", ENAMETOOLONG, "mask \"%s\"", pattern);
	}
	if (canonical_maybe_missing(head, canon) != 0) die("plan", errno, "masks: cannot resolve %s (mask \"%s\")", head, pattern);
	if (strcmp(head, canon) == 0) return g;
	snprintf(text, sizeof text, "%s", canon);
	for (uint32_t i = lit; i < g.n; i++) {
		size_t n = strlen(text);
		if (snprintf(text + n, sizeof text - n, "/%s", g.seg[i]) >= (int)(sizeof text - n)) die("plan", ENAMETOOLONG, "mask \"%s\"", pattern);
	}
	free_glob(&g);
	if (glob_parse(text, &g) != 0) die("plan", EINVAL, "mask \"%s\" resolves to a malformed pattern %s", pattern, text);
	return g;
}

static void pin_ancestors(const char *path);

static void resolve_masks(void) {
	mglobs = xcalloc(B.nmasks, sizeof *mglobs);
	for (uint32_t i = 0; i < B.nmasks; i++) {
		if (B.masks[i].rights & ~LL_KNOWN_FS) die("plan", EINVAL, "mask \"%s\" denies filesystem rights 0x%llx this enforcer does not know", B.masks[i].pattern, (unsigned long long)(B.masks[i].rights & ~LL_KNOWN_FS));
		mglobs[i].g = canonical_mask(B.masks[i].pattern);
		mglobs[i].rights = B.masks[i].rights;
	}
	for (uint32_t r = 0; r < nroots; r++) {
		int inner = 0;
		uint64_t below = 0;
		for (uint32_t o = 0; o < nroots; o++) {
			if (o != r && path_under(roots[r].path, roots[o].path)) inner = 1;
			if (path_under(roots[o].path, roots[r].path)) below |= roots[o].rights;
		}
		if (inner) continue; /* walked with the hierarchy around it */
		struct mstates S = { 0, 0, NULL }, next = { 0, 0, NULL };
		for (uint32_t m = 0; m < B.nmasks; m++) if (mglobs[m].rights & below) st_add(&S, m, 0);
		struct glob rp;
		split_path(roots[r].path, &rp);
		for (uint32_t k = 0; k < rp.n && S.n; k++) {
			st_step(&S, rp.seg[k], &next);
			struct mstates t = S;
			S = next;
			next = t;
		}
		if (S.n) mask_walk(roots[r].path, &S, 0, 1);
		xfree(S.v);
		xfree(next.v);
	}
	/*
	 * Only real files and directories, with the rights a grant gives there. A match that is a
	 * symlink (`.git/hooks -> ../myhooks`) is masked where it points, when that is granted
	 * (requests are decided on canonical paths; an ungranted target is Landlock's to refuse).
	 */
	uint32_t k = 0;
	for (uint32_t i = 0; i < nhits; i++) {
		struct stat st;
		if (lstat(hits[i].path, &st) != 0) continue;
		if (S_ISLNK(st.st_mode)) {
			char real[PATH_MAX];
			if (realpath(hits[i].path, real) == NULL || lstat(real, &st) != 0) continue; /* dangling: nothing there to protect */
			xfree(hits[i].path);
			hits[i].path = xstrdup(real);
			hits[i].dev = path_under(real, "/proc") ? 0 : st.st_dev;
			hits[i].ino = path_under(real, "/proc") ? 0 : st.st_ino;
		}
		uint64_t rights = hits[i].rights & granted_at(hits[i].path);
		if (rights == 0) continue;
		hits[i].rights = rights;
		hits[i].flags = mask_flags(rights, hits[i].subtree, S_ISDIR(st.st_mode));
		hits[k++] = hits[i];
	}
	nhits = k;
	/* Inside a writable hierarchy a directory above a mask could be renamed away with the mask and
	 * a copy put in its place (a workspace whose .git/hooks is masked, swapped for one whose hooks
	 * run on the user's next commit): the directories on the way are pinned, as for sockets. */
	for (uint32_t i = 0, masked = nhits; i < masked; i++) pin_ancestors(hits[i].path);
	if (nhits > 1) qsort(hits, nhits, sizeof *hits, cmp_hit);
	/* One mount per path; none below a hidden path, or below a subtree mask that already does as much. */
	k = 0;
	for (uint32_t i = 0; i < nhits; i++) {
		if (k > 0 && strcmp(hits[k - 1].path, hits[i].path) == 0) {
			hits[k - 1].flags |= hits[i].flags;
			hits[k - 1].rights |= hits[i].rights;
			hits[k - 1].subtree |= hits[i].subtree;
			continue;
		}
		int covered = 0;
		for (uint32_t a = 0; a < k && !covered; a++)
			if (path_under(hits[i].path, hits[a].path))
				covered = (hits[a].flags & MASK_HIDE) || (hits[a].subtree && !(hits[i].flags & ~hits[a].flags));
		if (!covered) hits[k++] = hits[i];
	}
	nhits = k;
}

/*
 * The mount view outside the grants. Landlock (ABI <= 7) does not mediate connect(2) to a
 * pathname socket, so a host socket anywhere the command can resolve a path to is reachable.
 * Walking from / along the ancestors of every granted path, each entry that neither leads to a
 * grant nor lies under one is covered with the inaccessible node, if it is a directory or a
 * socket; other files are left to Landlock, which decides every open. Symlinks are not followed
 * (their targets are covered where they lie). /proc and /sys hold no pathname sockets and are
 * left to Landlock. Entries created later in the ancestors themselves are not covered.
 */
#define MAX_COVER_ENTRIES 4096u
#define MAX_BOUND_SOCKETS 100000u
#define MAX_MOUNTS 100000u
static struct strlist reach;

/*
 * Canonical path of a file rule (or a socket's path) that may not exist, resolving its directory
 * once for all the files in it (/etc/passwd, /etc/group, ...): the directory goes through realpath,
 * the last name is looked at with one readlink (not a link: done; a link: resolved whole).
 */
static int canonical_in_dir(const char *path, char *out) {
	static char dir[8][PATH_MAX], canon[8][PATH_MAX];
	static int ndirs, next;
	const char *slash = strrchr(path, '/');
	size_t dn = slash ? (size_t)(slash - path) : 0;
	if (slash == NULL || slash[1] == 0 || dn >= PATH_MAX) return canonical_maybe_missing(path, out);
	int k = -1;
	for (int i = 0; i < ndirs && k < 0; i++) if (strlen(dir[i]) == dn && strncmp(dir[i], path, dn) == 0) k = i;
	if (k < 0) {
		char d[PATH_MAX], c[PATH_MAX];
		memcpy(d, path, dn);
		d[dn] = 0;
		if (canonical_maybe_missing(dn ? d : "/", c) != 0) return -1;
		k = next;
		next = (next + 1) % 8;
		if (ndirs < 8) ndirs++;
		memcpy(dir[k], d, dn + 1);
		memcpy(canon[k], c, strlen(c) + 1);
	}
	char link[1];
	join(out, canon[k], slash + 1);
	if (readlink(out, link, sizeof link) >= 0 || (errno != EINVAL && errno != ENOENT)) return canonical_maybe_missing(path, out);
	return 0;
}

/* `canonical`: the path is known to be canonical (a hierarchy rule: grant_beneath resolves it). */
static void add_reach(const char *path, int canonical) {
	char real[PATH_MAX];
	if (path_under(path, "/proc") || path_under(path, "/sys")) return;
	if (canonical) snprintf(real, sizeof real, "%s", path);
	else if (canonical_in_dir(path, real) != 0) die("plan", errno, "cannot resolve %s to keep it in the mount view", path);
	add_str(&reach, real);
}

/* 1 if `path` is under a grant kept in the view, 2 if it leads to one, else 0. */
static int reach_of(const char *path) {
	int ancestor = 0;
	for (uint32_t i = 0; i < reach.n; i++) {
		if (path_under(path, reach.v[i])) return 1;
		if (path_under(reach.v[i], path)) ancestor = 2;
	}
	return ancestor;
}

/*
 * Mount points, from /proc/self/mountinfo: a name's directory-entry type (d_type) is what is
 * beneath a mount, so a file or socket mounted over a file (a bind-mounted docker.sock) is
 * stat'ed; every other entry is judged by its d_type, without a stat.
 */
static struct strlist mountpoints;

/*
 * Calls `line` with each line of a /proc file (the newline cut off), read in pieces into one
 * buffer; a line longer than the buffer, or a file that ends inside a line, refuses the launch.
 */
static void each_line(const char *path, const char *why, void (*line)(char *text, void *ctx), void *ctx) {
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) die("plan", errno, "mount view: open %s %s", path, why);
	static char buf[65536];
	size_t have = 0;
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) die("plan", errno, "mount view: read %s", path);
		have += (size_t)r;
		buf[have] = 0;
		char *at = buf, *nl;
		while ((nl = strchr(at, '\n')) != NULL) {
			*nl = 0;
			line(at, ctx);
			at = nl + 1;
		}
		size_t rest = have - (size_t)(at - buf);
		if (r == 0) {
			if (rest) die("plan", EINVAL, "mount view: %s ends inside a line", path);
			break;
		}
		if (rest == sizeof buf - 1) die("plan", E2BIG, "mount view: a line of %s is longer than %zu bytes", path, sizeof buf - 1);
		memmove(buf, at, rest);
		have = rest;
	}
	close(fd);
}

/* id parent major:minor root mountpoint ...; octal escapes (\040) in paths */
static void mountinfo_line(char *line, void *ctx) {
	(void)ctx;
	char *f = line;
	for (int k = 0; k < 4 && f; k++) f = strchr(f, ' '), f = f ? f + 1 : NULL;
	if (f == NULL) die("plan", EINVAL, "mount view: malformed line in /proc/self/mountinfo");
	char mp[PATH_MAX];
	size_t o = 0;
	for (; *f && *f != ' ' && o + 1 < sizeof mp; f++) {
		if (f[0] == '\\' && f[1] >= '0' && f[1] <= '3' && f[2] >= '0' && f[2] <= '7' && f[3] >= '0' && f[3] <= '7') {
			mp[o++] = (char)((f[1] - '0') << 6 | (f[2] - '0') << 3 | (f[3] - '0'));
			f += 3;
		} else mp[o++] = *f;
	}
	mp[o] = 0;
	if (mountpoints.n >= MAX_MOUNTS) die("plan", E2BIG, "mount view: more than %u mounts", MAX_MOUNTS);
	add_str(&mountpoints, mp);
}

static void read_mountpoints(void) { each_line("/proc/self/mountinfo", "to find the mount points", mountinfo_line, NULL); }

static int is_mountpoint(const char *path) {
	for (uint32_t i = 0; i < mountpoints.n; i++) if (strcmp(mountpoints.v[i], path) == 0) return 1;
	return 0;
}

/* A cover of the mount view: the inaccessible directory, or file (`file`: a socket). */
static void add_cover(const char *path, int file) {
	add_hit(path, 0, 1);
	hits[nhits - 1].flags = MASK_HIDE | (file ? MASK_FILE : 0);
}

struct entry { uint32_t name; int where, is_dir, is_sock, known; };

/*
 * Walk `dir` (on the path to a grant); `sub` indexes the reach paths below it, so an entry is
 * compared with those only. An entry's type comes from the listing (d_type); one the view would
 * leave in place (a file, a device, a symlink) is stat'ed when it is a mount point (see above), or
 * of unknown type. Listed with getdents64 into one buffer (names are kept there: no allocation per
 * entry, and fewer calls than readdir's 2 KiB buffer in musl).
 */
struct linux_dirent64 { uint64_t d_ino; int64_t d_off; unsigned short d_reclen; unsigned char d_type; char d_name[]; };

static void cover_walk(const char *dir, int depth, const uint32_t *sub, uint32_t nsub) {
	if (depth > MAX_DEPTH) die("plan", ELOOP, "mount view: %s is more than %d directories deep", dir, MAX_DEPTH);
	int dfd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) die("plan", errno, "mount view: list %s, which leads to a grant", dir);
	size_t dl = strlen(dir), off = dl == 1 ? 1 : dl + 1, cap = 32768, used = 0;
	char child[PATH_MAX], *buf = xcalloc(cap, 1);
	for (;;) {
		if (cap - used < 4096) {
			if (cap >= (size_t)MAX_COVER_ENTRIES * 300) die("plan", E2BIG, "mount view: more than %u entries in %s", MAX_COVER_ENTRIES, dir);
			buf = xrealloc(buf, cap *= 2);
		}
		long got = syscall(SYS_getdents64, dfd, buf + used, cap - used);
		if (got < 0) die("plan", errno, "mount view: list %s, which leads to a grant", dir);
		if (got == 0) break;
		used += (size_t)got;
	}
	/* The mount points directly in `dir` (non-directories among them may hide a socket). */
	uint32_t nmp = 0;
	for (uint32_t i = 0; i < mountpoints.n; i++) {
		const char *m = mountpoints.v[i];
		if (strncmp(m, dir, dl) == 0 && (dl == 1 || m[dl] == '/') && m[off] && !strchr(m + off, '/')) nmp++;
	}
	struct entry *es = NULL;
	uint32_t n = 0;
	for (size_t pos = 0; pos < used;) {
		struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + pos);
		pos += e->d_reclen;
		const char *name = e->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
		if (n >= MAX_COVER_ENTRIES) die("plan", E2BIG, "mount view: more than %u entries in %s", MAX_COVER_ENTRIES, dir);
		if ((n & (n - 1)) == 0) {
			es = xrealloc(es, (n ? 2 * (size_t)n : 1) * sizeof *es);
		}
		struct entry *x = &es[n++];
		size_t nl = strlen(name);
		x->name = (uint32_t)(name - buf);
		x->where = 0;
		for (uint32_t k = 0; k < nsub && x->where != 1; k++) {
			const char *c = reach.v[sub[k]] + off;
			if (c[0] == name[0] && strncmp(c, name, nl) == 0 && (c[nl] == 0 || c[nl] == '/')) x->where = c[nl] == 0 ? 1 : 2;
		}
		if (depth == 0 && (strcmp(name, "proc") == 0 || strcmp(name, "sys") == 0)) x->where = 1; /* left to Landlock */
		x->is_dir = e->d_type == DT_DIR;
		x->is_sock = e->d_type == DT_SOCK;
		x->known = e->d_type != DT_UNKNOWN;
	}
	uint32_t *next = xcalloc(nsub ? nsub : 1, sizeof *next);
	for (uint32_t i = 0; i < n; i++) {
		struct entry *x = &es[i];
		const char *name = buf + x->name;
		size_t nl = strlen(name);
		if (dl + 1 + nl >= PATH_MAX) die("plan", ENAMETOOLONG, "%s/%s", dir, name);
		memcpy(child, dir, dl);
		child[off - 1] = '/';
		memcpy(child + off, name, nl + 1);
		int kept = x->where == 1 || (x->where == 2 && (x->is_dir || !x->known));
		int unsure = !x->known || (nmp && !kept && !x->is_dir && !x->is_sock && is_mountpoint(child));
		if (unsure) {
			struct stat st;
			if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) != 0) {
				if (errno != ENOENT) die("plan", errno, "mount view: stat %s", child);
				continue; /* gone */
			}
			x->is_dir = S_ISDIR(st.st_mode);
			x->is_sock = S_ISSOCK(st.st_mode);
		}
		if (x->where == 2 && x->is_dir) {
			uint32_t m = 0;
			for (uint32_t k = 0; k < nsub; k++) {
				const char *c = reach.v[sub[k]] + off;
				if (strncmp(c, name, nl) == 0 && c[nl] == '/') next[m++] = sub[k];
			}
			cover_walk(child, depth + 1, next, m);
		} else if (x->where == 0 && (x->is_dir || x->is_sock)) {
			add_cover(child, !x->is_dir);
		}
	}
	xfree(next);
	xfree(es);
	xfree(buf);
	close(dfd);
}

/*
 * The path /proc/net/unix gives is the one the socket was bound at; the kernel never updates it.
 * Had a run renamed a directory on the way to a covered socket (the cover moves with it), the next
 * run would look for the socket where it no longer is, and leave it uncovered. So every directory
 * between the outermost writable hierarchy around the socket (where a grant lets the sandbox rename
 * things) and the socket is pinned: bound onto itself, a mount point, which cannot be renamed or
 * removed (EBUSY) from inside. Outside writable hierarchies nothing in the sandbox can rename.
 */
static void pin_ancestors(const char *path) {
	size_t from = 0;
	if (root_writable) from = 1;
	for (uint32_t i = 0; i < ntrees; i++) {
		size_t n = strlen(trees[i].canon);
		if (path_under(path, trees[i].canon) && path[n] == '/' && (from == 0 || n + 1 < from)) from = n + 1;
	}
	if (from == 0) return;
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	for (char *slash = strrchr(dir, '/'); slash && (size_t)(slash - dir) >= from; slash = strrchr(dir, '/')) {
		*slash = 0;
		add_hit(dir, 0, 0);
		hits[nhits - 1].flags = MASK_PIN;
	}
}

/* A socket a grant names by its exact path is the policy's to allow: not covered. */
static int granted_exactly(const char *path) {
	for (uint32_t i = 0; i < nrules; i++) if (rules[i].exact && strcmp(rules[i].path, path) == 0) return 1;
	return 0;
}

/*
 * Sockets inside the grants: the unix sockets bound to a path when the launch starts (every one
 * in this network namespace, from /proc/net/unix), which lie in a granted hierarchy, are covered
 * too (a tmux or ssh-agent socket under a /tmp grant), except the egress proxy's. Looking them up
 * there costs one read, where walking the granted trees for sockets would list all of /usr.
 * Not covered: sockets bound by processes of other network namespaces (a container's, into a
 * shared directory), bound by a relative path or from another mount namespace (the path names
 * something else here), reachable through a hard link elsewhere, bound after the launch, or
 * renamed (they or a directory above them) by a host process since they were bound.
 */
struct bound_scan { const char *keep; uint32_t lines, bound; };

static void unix_line(char *line, void *ctx) {
	struct bound_scan *b = ctx;
	/* Num RefCount Protocol Flags Type St Inode Path: St 01 (unconnected) is a bound socket
	 * that can be connected or sent to; connected ones (03) repeat their listener's path. */
	char *f = line, *st = NULL;
	for (int k = 0; k < 7 && f; k++) {
		if (k == 5) st = f;
		f = strchr(f, ' ');
		while (f && *f == ' ') f++;
	}
	/* A path listed twice (rebound after an unlink) is covered once: hits are merged later. */
	if (b->lines++ == 0 || f == NULL || *f != '/' || st == NULL || strncmp(st, "01 ", 3) != 0) return;
	if (++b->bound > MAX_BOUND_SOCKETS) die("plan", E2BIG, "mount view: more than %u bound unix sockets", MAX_BOUND_SOCKETS);
	char real[PATH_MAX];
	struct stat sb;
	/* A path this process cannot resolve (a 0700 directory of another user), the
	 * command, with the same or fewer rights, cannot connect through either. */
	int resolved = canonical_in_dir(f, real) == 0;
	if (!resolved && errno != EACCES && errno != ENOENT && errno != ENOTDIR && errno != ELOOP && errno != ENAMETOOLONG)
		die("plan", errno, "mount view: cannot resolve the bound unix socket %s", f);
	if (resolved && reach_of(real) == 1 && !(b->keep && strcmp(real, b->keep) == 0) && !granted_exactly(real) && lstat(real, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
		add_cover(real, 1);
		hits[nhits - 1].flags |= MASK_SOCKET;
		pin_ancestors(real);
	}
}

static void cover_bound_sockets(const char *keep) {
	struct bound_scan b = { keep, 0, 0 };
	each_line("/proc/net/unix", "to find the unix sockets bound in granted directories", unix_line, &b);
}

/*
 * Writable hierarchies that nothing inside grants execute are remounted noexec: Landlock checks
 * execve only, and noexec also refuses mmap(PROT_EXEC) of their files (`ld.so /tmp/payload`).
 */
static int noexec_views;

static void add_noexec_views(void) {
	const uint64_t exec = 1ull << 0, write = 1ull << 1 | 1ull << 8; /* write_file, make_reg */
	for (uint32_t r = 0; r < nroots; r++) {
		int executable = (granted_at(roots[r].path) & exec) != 0;
		for (uint32_t i = 0; i < nrules && !executable; i++)
			executable = (rules[i].rights & exec) && (path_under(rules[i].path, roots[r].path) || path_under(roots[r].path, rules[i].path));
		if (executable || !(roots[r].rights & write)) continue;
		add_hit(roots[r].path, exec, 1);
		hits[nhits - 1].flags = MASK_NOEXEC;
		noexec_views++;
	}
	if (nhits > 1) qsort(hits, nhits, sizeof *hits, cmp_hit);
	uint32_t k = 0;
	for (uint32_t i = 0; i < nhits; i++) {
		if (k > 0 && strcmp(hits[k - 1].path, hits[i].path) == 0) {
			hits[k - 1].flags |= hits[i].flags;
			hits[k - 1].rights |= hits[i].rights;
			hits[k - 1].subtree |= hits[i].subtree;
		} else {
			hits[k++] = hits[i];
		}
	}
	nhits = k;
}

/* Cover what no grant reaches and the sockets bound inside the grants (see above); `keep` (the
 * proxy socket) stays reachable. */
static void cover_ungranted(const char *keep) {
	char keep_real[PATH_MAX];
	for (uint32_t i = 0; i < nrules; i++) add_reach(rules[i].path, !rules[i].exact);
	if (keep) {
		if (canonical_in_dir(keep, keep_real) != 0) die("plan", errno, "cannot resolve %s to keep it in the mount view", keep);
		add_reach(keep_real, 1);
	}
	int everything = 0;
	for (uint32_t i = 0; i < reach.n; i++) everything |= strcmp(reach.v[i], "/") == 0;
	if (!everything) {
		uint32_t *all = xcalloc(reach.n, sizeof *all);
		for (uint32_t i = 0; i < reach.n; i++) all[i] = i;
		read_mountpoints();
		cover_walk("/", 0, all, reach.n);
		xfree(all);
	}
	cover_bound_sockets(keep ? keep_real : NULL);
	if (nhits > 1) qsort(hits, nhits, sizeof *hits, cmp_hit);
	/* One mount per path; none below a hidden one. Sorted (cmp_hit), a path is followed by all
	 * that lies under it, so only the last hidden path can be around the current one. */
	uint32_t k = 0;
	const char *hidden = NULL;
	for (uint32_t i = 0; i < nhits; i++) {
		if (k > 0 && strcmp(hits[k - 1].path, hits[i].path) == 0) {
			hits[k - 1].flags |= hits[i].flags;
			hits[k - 1].rights |= hits[i].rights;
			hits[k - 1].subtree |= hits[i].subtree;
			if (hits[k - 1].flags & MASK_HIDE) hidden = hits[k - 1].path;
			continue;
		}
		if (hidden && path_under(hits[i].path, hidden)) continue;
		hits[k] = hits[i];
		if (hits[k].flags & MASK_HIDE) hidden = hits[k].path;
		k++;
	}
	nhits = k;
}

/* ---------------------------------------------------------------------------------------- */
/* Landlock ABI negotiation */

static int ll_abi;
static struct ll_ruleset_attr ll_attr;

static int feature_abi_of_fs_bit(int bit) { return bit <= 12 ? 1 : bit == 13 ? 2 : bit == 14 ? 3 : bit == 15 ? 5 : 99; }

static uint64_t ll_fs_supported(int abi) {
	uint64_t m = abi >= 1 ? (1ull << 13) - 1 : 0;
	if (abi >= 2) m |= 1ull << 13;
	if (abi >= 3) m |= 1ull << 14;
	if (abi >= 5) m |= 1ull << 15;
	return m;
}

static void negotiate_landlock(void) {
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	ll_abi = abi < 0 ? 0 : (int)abi;
	if (ll_abi < (int)B.min_abi)
		die("landlock", abi < 0 ? errno : EOPNOTSUPP, "the policy requires Landlock ABI %u; this kernel has %d%s", B.min_abi, ll_abi,
		    ll_abi == 0 ? " (Landlock disabled: boot with lsm=...,landlock)" : ": use a newer kernel or mark features best_effort");
	if (B.handled_fs & ~LL_KNOWN_FS) die("landlock", EINVAL, "the bundle handles filesystem rights 0x%llx this enforcer does not know", (unsigned long long)(B.handled_fs & ~LL_KNOWN_FS));
	if (B.net_handled & ~LL_KNOWN_NET || B.scopes & ~LL_KNOWN_SCOPES) die("landlock", EINVAL, "the bundle handles network rights or scopes this enforcer does not know");
	uint64_t fs = B.handled_fs & ll_fs_supported(ll_abi);
	for (int bit = 0; bit < 16; bit++) {
		int need = feature_abi_of_fs_bit(bit);
		if ((B.handled_fs & ~fs & (1ull << bit)) && !(B.best_effort & (1u << need)))
			die("landlock", EOPNOTSUPP, "filesystem right bit %d needs Landlock ABI %d and is not best-effort; this kernel has %d", bit, need, ll_abi);
	}
	uint64_t net = B.net_mode == NET_PORTS ? B.net_handled : 0;
	if (net && ll_abi < 4) {
		if (!(B.best_effort & (1u << 4))) die("landlock", EOPNOTSUPP, "TCP port rules need Landlock ABI 4; this kernel has %d", ll_abi);
		net = 0;
	}
	uint64_t scopes = B.scopes;
	if (scopes && ll_abi < 6) {
		if (!(B.best_effort & (1u << 6))) die("landlock", EOPNOTSUPP, "scopes need Landlock ABI 6; this kernel has %d", ll_abi);
		scopes = 0;
	}
	ll_attr = (struct ll_ruleset_attr){ fs, net, scopes };
}

static void describe_rights(char *out, size_t n, uint64_t r) {
	static const char *const names[] = { "execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file", "make_char", "make_dir",
					      "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate", "ioctl_dev" };
	size_t o = 0;
	out[0] = 0;
	for (int i = 0; i < 16 && o < n; i++) if (r & (1ull << i)) o += (size_t)snprintf(out + o, n - o, "%s%s", o ? "," : "", names[i]);
}

/* ---------------------------------------------------------------------------------------- */
/* Applying, in order */

static void apply_rlimits(void) {
	for (uint32_t i = 0; i < B.nrlimits; i++) {
		struct rlimit cur, want;
		if (getrlimit((int)B.rlimits[i].resource, &cur) != 0) die("rlimits", errno, "resource %u", B.rlimits[i].resource);
		rlim_t v = (rlim_t)B.rlimits[i].value;
		/* A limit only ever lowers what the caller already has. */
		want.rlim_max = v < cur.rlim_max ? v : cur.rlim_max;
		want.rlim_cur = want.rlim_max;
		if (setrlimit((int)B.rlimits[i].resource, &want) != 0) die("rlimits", errno, "setrlimit(%u, %llu)", B.rlimits[i].resource, (unsigned long long)v);
	}
}

static void write_file(const char *path, const char *text) {
	int fd = openat(AT_FDCWD, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) die("namespaces", errno, "open %s", path);
	ssize_t n = write(fd, text, strlen(text));
	if (n != (ssize_t)strlen(text)) die("namespaces", n < 0 ? errno : EIO, "write %s", path);
	close(fd);
}

/*
 * A planned (canonical) path opened again at launch (O_PATH): no symlink is followed on the way,
 * so one swapped in since planning fails (ELOOP), except in /proc (/proc/self, and the kernel's
 * own entries nothing can rename).
 */
static int open_planned(const char *path, int nofollow) {
	int flags = O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0);
	if (path_under(path, "/proc")) return openat(AT_FDCWD, path, flags);
	return openat2_retrying(AT_FDCWD, path, flags, RESOLVE_NO_SYMLINKS);
}

static dev_t cover_dev; /* the masks' tmpfs: a rule on a path it covers opens its inaccessible node */

static uint64_t mount_id(int fd) {
	struct statx sx; /* the raw syscall: musl before 1.2.5 has no statx() */
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) != 0) return 0;
	return sx.stx_mask & STATX_MNT_ID ? sx.stx_mnt_id : 0;
}

/*
 * Mount one mask: an inaccessible node (mode 000 on a read-only tmpfs: EACCES once capabilities
 * are gone) over a path whose reading is denied, else the path bound onto itself with the
 * attributes its denied rights need. Masks are planned by path and mounted later: the path must
 * still lead, without symlinks, to what was planned (dev/ino), and after the mount to the mount
 * made; else the launch is refused, since the deny would not hold (something renamed, removed or
 * replaced it meanwhile). A cover (no rights: the mount view) goes on whatever directory or socket
 * is there now; one gone or replaced by a symlink is skipped, like an entry made after launch. So
 * is a mask in /proc (a fresh one in a PID namespace: only the kernel makes or removes entries).
 * A pin (no rights either: a directory on the way to a covered socket) is as strict as a mask.
 */
static void apply_mask(const struct hit *h, int tmpfs_fd) {
	int lenient = (h->rights == 0 && !(h->flags & MASK_PIN)) || path_under(h->path, "/proc");
	const char *what = h->rights == 0 && !(h->flags & MASK_HIDE) ? "pinned" : "masked";
	struct stat st;
	int target = open_planned(h->path, 1);
	if (target < 0 && lenient && (errno == ENOENT || errno == ELOOP)) return;
	if (target < 0) die("masks", errno, "open %s, planned to be %s (removed, renamed or replaced by a symlink since planning: the deny would not hold)", h->path, what);
	if (fstat(target, &st) != 0) die("masks", errno, "stat %s", h->path);
	if (S_ISLNK(st.st_mode)) {
		if (lenient) { close(target); return; }
		die("masks", ELOOP, "%s, planned to be %s, is a symlink now (replaced since planning: the deny would not hold)", h->path, what);
	}
	if (!lenient && h->ino && (st.st_dev != h->dev || st.st_ino != h->ino))
		die("masks", ESTALE, "%s, planned to be %s, is another file now (replaced since planning: the deny would not hold)", h->path, what);
	int hide = h->flags & MASK_HIDE, tree;
	struct m_mount_attr attr = { 0, 0, 0, 0 };
	if (hide) {
		/* The clone keeps the cover tmpfs's read-only, nosuid, nodev, noexec (set once on it). */
		tree = (int)syscall(SYS_open_tree, tmpfs_fd, S_ISDIR(st.st_mode) ? "d" : "f", M_OPEN_TREE_CLONE | O_CLOEXEC);
	} else {
		/* Recursive: mounts below the path stay (a non-recursive clone would uncover what they hide). */
		tree = (int)syscall(SYS_open_tree, target, "", AT_EMPTY_PATH | M_AT_RECURSIVE | M_OPEN_TREE_CLONE | O_CLOEXEC);
		attr.attr_set = (h->flags & MASK_RDONLY ? M_ATTR_RDONLY : 0) | (h->flags & MASK_NOEXEC ? M_ATTR_NOEXEC : 0) | (h->flags & MASK_NODEV ? M_ATTR_NODEV : 0);
	}
	if (tree < 0) die("masks", errno, "open_tree for %s", h->path);
	if (attr.attr_set && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (hide ? 0 : M_AT_RECURSIVE), &attr, sizeof attr) != 0)
		die("masks", errno, "set mount attributes for %s", h->path);
#ifdef MXC_TEST_HOOKS
	/* Test builds only (make test-hooks): stop before mounting over this path, so that a test can rename it meanwhile. */
	const char *stop = getenv("MXC_TEST_STOP_BEFORE_MASK");
	if (stop && strcmp(stop, h->path) == 0) raise(SIGSTOP);
#endif
	if (syscall(SYS_move_mount, tree, "", target, "", M_MOVE_MOUNT_F_EMPTY_PATH | M_MOVE_MOUNT_T_EMPTY_PATH) != 0) die("masks", errno, "mount over %s", h->path);
	if (!lenient) { /* the path leads to the mount just made (not to something renamed into its place meanwhile) */
		int again = open_planned(h->path, 1);
		uint64_t id = mount_id(tree);
		if (again < 0 || id == 0 || mount_id(again) != id)
			die("masks", again < 0 ? errno : ESTALE, "%s does not lead to the mask just mounted over it (renamed or replaced during the launch: the deny would not hold)", h->path);
		close(again);
	}
	close(tree);
	close(target);
}

/*
 * Mount one cover of the mount view (a hit the plan made with no rights: its type is known):
 * a clone of the inaccessible directory or file, moved onto the path, whose last component is
 * not followed. Three calls instead of apply_mask's six. If the path is gone since planning there
 * is nothing to cover; if its type changed (a directory became a file or a symlink), apply_mask
 * decides on what is there now. A socket's cover is mounted in its directory opened without
 * following symlinks: inside a writable grant a directory on the way swapped for a symlink would
 * move the cover elsewhere and leave the socket reachable; the launch is refused instead.
 */
static void apply_cover(const struct hit *h, int tmpfs_fd) {
	int tree = (int)syscall(SYS_open_tree, tmpfs_fd, h->flags & MASK_FILE ? "f" : "d", M_OPEN_TREE_CLONE | O_CLOEXEC);
	if (tree < 0) die("masks", errno, "open_tree for %s", h->path);
	int at = AT_FDCWD;
	const char *name = h->path;
	if (h->flags & MASK_SOCKET) {
		char dir[PATH_MAX];
		const char *slash = strrchr(h->path, '/');
		snprintf(dir, sizeof dir, "%.*s", slash == h->path ? 1 : (int)(slash - h->path), h->path);
		if ((at = open_planned(dir, 0)) < 0) {
			if (errno == ENOENT) { close(tree); return; } /* gone with its directory */
			die("masks", errno, "open %s, the directory of a unix socket planned to be covered (%s)", dir, errno == ELOOP ? "a directory on the way is a symlink now: the cover would go elsewhere" : "as planned");
		}
		name = slash + 1;
	}
	int moved = (int)syscall(SYS_move_mount, tree, "", at, name, M_MOVE_MOUNT_F_EMPTY_PATH);
	if (at >= 0) close(at);
	if (moved != 0) {
		int err = errno;
		close(tree);
		if (err == ENOENT) return;
		if (err == ENOTDIR || err == EISDIR) {
			apply_mask(h, tmpfs_fd);
			return;
		}
		die("masks", err, "mount over %s", h->path);
	}
	close(tree);
}

static volatile sig_atomic_t forward_pid;
static void forward_to_pid(int sig) {
	if (forward_pid > 0) kill(forward_pid, sig);
}

static void forward_signals(pid_t to) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward_to_pid;
	forward_pid = to;
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}

static int status_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EXIT_REFUSED; }

/*
 * A child that must not outlive the enforcer process that forked it: PR_SET_PDEATHSIG. Should that
 * process have died between the fork and the prctl, the signal would never come and the child
 * would run the command unsupervised (no wall-clock limit, no cgroup cleanup). `parent` is a pidfd
 * of it taken before the fork, readable once it has exited (getppid() cannot tell inside a PID
 * namespace, where it is 0).
 */
static int parent_pidfd(const char *step) {
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0) die(step, errno, "pidfd_open of the enforcer itself (Linux >= 5.3)");
	return fd;
}

static void die_with_parent(int parent, const char *step) {
#ifdef MXC_TEST_HOOKS
	/* Test builds only (make test-hooks): hold here until the file named exists, so that a test can kill the parent first. */
	for (const char *gate = getenv("MXC_TEST_GATE_BEFORE_PDEATHSIG"); gate && access(gate, F_OK) != 0;) usleep(1000);
#endif
	struct pollfd p = { parent, POLLIN, 0 };
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die(step, errno, "PR_SET_PDEATHSIG");
	if (poll(&p, 1, 0) != 0) die(step, ESRCH, "the enforcer process that forked this one is gone; not running the command without it");
	close(parent);
}

static int proxy_control = -1;   /* --proxy-control FD: the proxy's line channel to the connector */
static int connector_sp[2] = { -1, -1 }; /* connector [0] ↔ bridge [1], SOCK_SEQPACKET */

/*
 * A process that only waits (for the command, PID 1, the pids cgroup's or the wall-clock child)
 * lets go of the helpers' channels: held there, the proxy would see no end of its channel when the
 * connector exits, nor the connector the bridge's end (POLLHUP).
 */
static void drop_helper_channels(void) {
	if (proxy_control >= 0) close(proxy_control);
	if (connector_sp[1] >= 0) close(connector_sp[1]);
	proxy_control = connector_sp[1] = -1;
}

/*
 * SIGCHLD as the enforcer was started with: ignored, the kernel would reap its children itself and
 * waiting for one would fail, so it is reset while the enforcer waits, and restored in the child.
 */
static struct sigaction inherited_sigchld;
static void wait_for_children(void) {
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &dfl, &inherited_sigchld);
}

/*
 * Container isolation: the caller of unshare(CLONE_NEWPID) stays outside the new PID namespace,
 * so it forks; it waits there and passes the exit status through, and its child is PID 1 inside,
 * where it mounts a fresh /proc (only the namespace's processes are visible).
 */
static void enter_pid_namespace(void) {
	wait_for_children(); /* this process waits for PID 1, PID 1 for the command (which gets it back) */
	int parent = parent_pidfd("namespaces");
	pid_t pid = fork();
	if (pid < 0) die("namespaces", errno, "fork into the PID namespace");
	if (pid > 0) {
		close(parent);
		drop_helper_channels();
		forward_signals(pid);
		int status;
		while (waitpid(pid, &status, 0) < 0) if (errno != EINTR) die("namespaces", errno, "waitpid");
		exit(status_code(status));
	}
	die_with_parent(parent, "namespaces");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("namespaces", errno, "mount a fresh /proc (nosuid, nodev, noexec)");
	/*
	 * Per PID namespace (Linux >= 6.3): memfds are created MFD_NOEXEC_SEAL and MFD_EXEC is refused,
	 * so no exec from a memfd either. Only the global root may write /proc/sys (uids are identity-mapped).
	 */
	if (noexec_views && geteuid() == 0) {
		int fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "2", 1) != 1) die("namespaces", errno, "set vm.memfd_noexec = 2 in the PID namespace (Linux >= 6.3), which keeps memfds from being executed");
		close(fd);
	}
}

/*
 * PID 1 of a container: reaps orphans, forwards signals to the command and exits with its status
 * (the kernel then kills what is left in the namespace). It stays outside the command's Landlock
 * domain, which keeps the command from tracing or signalling it; it is not dumpable either.
 */
static void run_init(pid_t command) {
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) die("init", errno, "PR_SET_DUMPABLE");
	forward_signals(command);
	for (;;) {
		int status;
		pid_t p = waitpid(-1, &status, 0);
		if (p < 0 && errno == EINTR) continue;
		if (p < 0) _exit(EXIT_REFUSED);
		if (p == command) _exit(status_code(status));
	}
}

static void apply_namespaces(void) {
	if (!makes_namespaces()) return;
	int need_net = B.net_mode != NET_PORTS, need_pid = B.isolation != ISO_PROCESS;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char cwd[PATH_MAX];
	int cwd_ok = getcwd(cwd, sizeof cwd) != NULL;
	/* IPC too: System V shared memory, semaphores and message queues are not paths, so Landlock
	 * never sees them, and the caller's own (mode 0600) would be open to the command. */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | (need_net ? CLONE_NEWNET : 0) | (need_pid ? CLONE_NEWPID : 0)) != 0)
		die("namespaces", errno, "unshare(user, mount, ipc%s%s); are user namespaces enabled?", need_net ? ", net" : "", need_pid ? ", pid" : "");
	char map[64];
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	write_file("/proc/self/gid_map", map);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("namespaces", errno, "make mounts private");
	if (need_pid) enter_pid_namespace(); /* before the masks: those in /proc go on the fresh one */
	if (nhits) {
		int fs = (int)syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
		if (fs < 0) die("masks", errno, "fsopen tmpfs");
		/* Its root is mode 000 too: it ends up attached over a covered directory (below). */
		if (syscall(SYS_fsconfig, fs, M_FSCONFIG_SET_STRING, "size", "64k", 0) != 0 || syscall(SYS_fsconfig, fs, M_FSCONFIG_SET_STRING, "mode", "0000", 0) != 0 ||
		    syscall(SYS_fsconfig, fs, M_FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0)
			die("masks", errno, "create tmpfs");
		int mnt = (int)syscall(SYS_fsmount, fs, 1 /* FSMOUNT_CLOEXEC */, 0);
		struct stat mst;
		if (mnt < 0) die("masks", errno, "fsmount tmpfs");
		if (fstat(mnt, &mst) != 0) die("masks", errno, "stat the cover tmpfs");
		cover_dev = mst.st_dev; /* a rule whose path a cover or mask hides opens a node of it: granted nothing */
		/* Mode 000: without CAP_DAC_OVERRIDE not even their owner may read, list or enter them. */
		if (mkdirat(mnt, "d", 0) != 0 || fchmodat(mnt, "d", 0, 0) != 0) die("masks", errno, "create the inaccessible directory");
		int f = openat(mnt, "f", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0);
		if (f < 0 || fchmod(f, 0) != 0) die("masks", errno, "create the inaccessible file");
		close(f);
		/* Set once here: every clone of this mount for a cover keeps these attributes. */
		struct m_mount_attr ro = { M_ATTR_RDONLY | M_ATTR_NOSUID | M_ATTR_NODEV | M_ATTR_NOEXEC, 0, 0, 0 };
		if (syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH, &ro, sizeof ro) != 0) die("masks", errno, "make the cover tmpfs read-only");
		for (uint32_t i = 0; i < nhits; i++) {
			if (hits[i].rights == 0 && (hits[i].flags & ~(MASK_FILE | MASK_SOCKET)) == MASK_HIDE) apply_cover(&hits[i], mnt);
			else apply_mask(&hits[i], mnt);
		}
		/*
		 * Closing the last reference to a detached mount unmounts it, and the kernel then waits for
		 * an RCU grace period (0.1-1.5 ms of wall time per launch here). So the tmpfs is attached
		 * instead, on top of the first directory covered (its root, mode 000, is as inaccessible as
		 * the cover below it), and stays in the view like the covers cloned from it.
		 */
		for (uint32_t i = 0; i < nhits && mnt >= 0; i++) {
			if (!(hits[i].flags & MASK_HIDE)) continue;
			int at = openat(AT_FDCWD, hits[i].path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			struct stat st;
			if (at >= 0 && fstat(at, &st) == 0 && S_ISDIR(st.st_mode)) {
				if (syscall(SYS_move_mount, mnt, "", at, "", M_MOVE_MOUNT_F_EMPTY_PATH | M_MOVE_MOUNT_T_EMPTY_PATH) != 0) die("masks", errno, "mount the cover tmpfs over %s", hits[i].path);
				close(mnt);
				mnt = -1;
			}
			if (at >= 0) close(at);
		}
		if (mnt >= 0) close(mnt);
		close(fs);
		/* Re-enter the working directory through the new view (or /): a covered one must not stay a way past its cover (relative socket paths). */
		if ((!cwd_ok || chdir(cwd) != 0) && chdir("/") != 0) die("masks", errno, "re-enter the working directory through the mount view");
	}
	if (need_net) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct ifreq ifr;
		memset(&ifr, 0, sizeof ifr);
		strcpy(ifr.ifr_name, "lo");
		if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) die("namespaces", errno, "read loopback flags");
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) die("namespaces", errno, "bring up loopback");
		close(s);
	}
}

static void apply_capabilities(void) {
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) != 0) die("capabilities", errno, "capget");
	uint64_t have = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	uint64_t keep = B.caps & have;
	if (B.caps & ~have) die("capabilities", EPERM, "the policy keeps capabilities 0x%llx this process does not have", (unsigned long long)(B.caps & ~have));
	int can_setpcap = (have >> CAP_SETPCAP) & 1;
	if (can_setpcap) {
		/* Capabilities are numbered 0 to the kernel's last; PR_CAPBSET_DROP fails with EINVAL only
		 * above it, so the first EINVAL ends the loop with every capability the kernel knows dropped
		 * (no probe for the last one first). Every capability held is a known one: an EINVAL at or
		 * below the highest held would be a kernel this loop does not understand, and is refused. */
		int highest_held = 63 - __builtin_clzll(have);
		for (int c = 0; c < 64; c++) {
			if ((keep >> c) & 1) continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0) continue;
			if (errno == EINVAL && c > highest_held) break;
			die("capabilities", errno, "drop capability %d from the bounding set", c);
		}
		unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;
		if (!keep) bits |= SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
		if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) die("capabilities", errno, "lock securebits");
	} else if (have != 0) {
		die("capabilities", EPERM, "this process holds capabilities but not CAP_SETPCAP, so it cannot drop them from its bounding set");
	} /* else: no capabilities to lose, and no_new_privs keeps exec from granting any */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) die("capabilities", errno, "clear ambient capabilities");
	d[0].effective = d[0].permitted = d[0].inheritable = (uint32_t)keep;
	d[1].effective = d[1].permitted = d[1].inheritable = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &h, d) != 0) die("capabilities", errno, "capset");
	/* Kept capabilities must survive exec of a program without file capabilities: ambient. */
	for (int c = 0; c < 64; c++)
		if (((keep >> c) & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0) die("capabilities", errno, "keep capability %d", c);
}

/*
 * --audit: every return of the host seccomp program other than ALLOW becomes SECCOMP_RET_LOG, so
 * the call runs and the kernel logs it (an audit record: to auditd if one listens on the audit
 * netlink socket, else to the kernel log). Refused if the kernel would not log, or if a return
 * value is computed at run time (it could not be rewritten).
 */
static int audit;
static uint32_t audit_rewritten;
static const struct program *host_program(void);

static void prepare_audit(void) {
	uint32_t action = SECCOMP_RET_LOG;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0) die("audit", errno, "this kernel has no SECCOMP_RET_LOG");
	char logged[256] = "";
	int fd = open("/proc/sys/kernel/seccomp/actions_logged", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, logged, sizeof logged - 1);
	if (fd >= 0) close(fd);
	if (n < 0) die("audit", errno, "read /proc/sys/kernel/seccomp/actions_logged");
	logged[n] = 0;
	int found = 0;
	for (char *save = NULL, *t = strtok_r(logged, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) found |= strcmp(t, "log") == 0;
	if (!found) die("audit", EOPNOTSUPP, "the kernel does not log SECCOMP_RET_LOG (add \"log\" to /proc/sys/kernel/seccomp/actions_logged)");
	const struct program *p = host_program();
	for (uint32_t i = 0; i < p->count; i++) {
		struct sock_filter *f = &p->insns[i];
		if (BPF_CLASS(f->code) != BPF_RET) continue;
		if (BPF_RVAL(f->code) != BPF_K) die("audit", EINVAL, "seccomp instruction %u returns a computed value, which --audit cannot rewrite", i);
		if ((f->k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW) continue;
		f->k = SECCOMP_RET_LOG;
		audit_rewritten++;
	}
}

/*
 * A hierarchy rule inside another hierarchy rule that grants at least its rights adds nothing:
 * Landlock unions the rights of every rule along the path (/usr/bin inside /usr on merged-/usr
 * systems). Only canonical hierarchy rules are judged so (grant_beneath resolves them, carve_walk
 * skips symlinks): a file rule or a /proc/self one may lead elsewhere through a symlink.
 */
static int rule_inside(uint32_t i, uint32_t j) {
	uint64_t mine = rules[i].rights & ll_attr.handled_fs, theirs = rules[j].rights & ll_attr.handled_fs;
	return i != j && !rules[i].exact && !rules[j].exact && !path_under(rules[i].path, "/proc") && path_under(rules[i].path, rules[j].path) && !(mine & ~theirs);
}

/*
 * How many of planning's O_PATH descriptors the Landlock step may use instead of opening the
 * paths again (two system calls and a dev/ino check fewer per rule): only when nothing will be
 * mounted in between, i.e. no namespaces (ports network mode, process isolation, no masks or
 * carves), and at most a quarter of the lowest file limit in force (the caller's or the
 * policy's), up to 256, so the descriptors the launch still opens stay within it.
 */
static uint32_t keep_fds_for_landlock(void) {
	if (namespaces_by_mode() || B.nmasks) return 0;
	for (uint32_t i = 0; i < B.ngrants; i++) if (B.grants[i].carve.n) return 0;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
	uint64_t lim = rl.rlim_cur;
	for (uint32_t i = 0; i < B.nrlimits; i++) if (B.rlimits[i].resource == RLIMIT_NOFILE && B.rlimits[i].value < lim) lim = B.rlimits[i].value;
	return lim < 64 ? 0 : lim / 4 > 256 ? 256 : (uint32_t)(lim / 4);
}

/*
 * Adds the rule; 1 if it is in the ruleset, 0 if its path is gone or it grants nothing there. A
 * descriptor kept from planning is the object planned: nothing was mounted since, and a rename
 * or a swapped-in symlink does not change what it refers to. It is left to close at exec.
 */
static int add_landlock_rule(int rs, uint32_t i) {
	int kept = rules[i].fd >= 0 && nhits == 0, fd = rules[i].fd, is_dir = rules[i].is_dir;
	if (!kept) {
		fd = open_planned(rules[i].path, rules[i].nofollow);
		if (fd < 0) {
			if (errno == ENOENT || errno == EACCES) return 0; /* gone since planning, or below a mask: grant nothing */
			die("landlock", errno, "open %s, planned to be granted (%s)", rules[i].path, errno == ELOOP ? "a symlink was swapped in since planning" : "as planned");
		}
		struct stat st;
		if (fstat(fd, &st) != 0) die("landlock", errno, "stat %s", rules[i].path);
		/* Only what was planned is granted: not a file renamed or linked into its place since. A masked path opens the mask's node, granted nothing. */
		if (rules[i].ino && (st.st_dev != rules[i].dev || st.st_ino != rules[i].ino)) {
			if (cover_dev && st.st_dev == cover_dev) {
				close(fd);
				return 0;
			}
			die("landlock", ESTALE, "%s, planned to be granted, is another file now (replaced since planning)", rules[i].path);
		}
		is_dir = S_ISDIR(st.st_mode);
		if ((rules[i].exact && is_dir) || S_ISLNK(st.st_mode)) {
			close(fd);
			return 0;
		}
	}
	uint64_t rights = rules[i].rights & ll_attr.handled_fs;
	if (!is_dir) rights &= LL_FILE_RIGHTS;
	struct ll_path_beneath pb = { rights, fd };
	if (rights != 0 && syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &pb, 0) != 0) die("landlock", errno, "add a rule for %s", rules[i].path);
	/* A descriptor opened here (a /proc/self rule) is left to close at exec too, while the budget lasts. */
	if (!kept && keep_fds > 0) keep_fds--;
	else if (!kept) close(fd);
	return rights != 0;
}

static void apply_landlock(void) {
	int rs = (int)syscall(SYS_landlock_create_ruleset, &ll_attr, sizeof ll_attr, 0);
	if (rs < 0) die("landlock", errno, "create the ruleset");
	/* 0: not added yet, 1: added, 2: inside another rule (decided in the second pass). Pairs are
	 * compared only for plans of up to 256 rules (bounded work); larger ones add every rule. */
	uint8_t *state = xcalloc(nrules, 1);
	uint32_t pairs = nrules <= 256 ? nrules : 0;
	for (uint32_t i = 0; i < nrules; i++) {
		int inside = 0;
		for (uint32_t j = 0; j < pairs && !inside; j++) inside = rule_inside(i, j);
		if (inside) state[i] = 2;
		else state[i] = (uint8_t)add_landlock_rule(rs, i);
	}
	/* A rule inside others is added when none of them made it into the ruleset (gone since planning). */
	for (uint32_t i = 0; i < nrules; i++) {
		if (state[i] != 2) continue;
		int covered = 0;
		for (uint32_t j = 0; j < nrules && !covered; j++) covered = state[j] == 1 && rule_inside(i, j);
		state[i] = covered ? 0 : (uint8_t)add_landlock_rule(rs, i);
	}
	xfree(state);
	if (ll_attr.handled_net) {
		for (uint32_t i = 0; i < B.nports; i++) {
			struct ll_net_port np = { B.ports[i].rights & ll_attr.handled_net, B.ports[i].port };
			if (np.allowed && syscall(SYS_landlock_add_rule, rs, LL_RULE_NET_PORT, &np, 0) != 0) die("landlock", errno, "add a rule for port %u", B.ports[i].port);
		}
	}
	/* --audit: Landlock stays enforced; from ABI 7 the command's denials are logged too (by default only the enforcer's own, before exec). */
	uint32_t flags = audit && ll_abi >= 7 ? LL_RESTRICT_SELF_LOG_NEW_EXEC_ON : 0;
	if (syscall(SYS_landlock_restrict_self, rs, flags) != 0) die("landlock", errno, "restrict_self");
	close(rs);
}

static const struct program *host_program(void) {
	for (uint32_t i = 0; i < B.nseccomp; i++) if (B.seccomp[i].arch == HOST_AUDIT_ARCH) return &B.seccomp[i];
	return NULL;
}

static void apply_cpus(void) {
	if (B.cpus == 0) return;
	cpu_set_t have, want;
	if (sched_getaffinity(0, sizeof have, &have) != 0) die("cpus", errno, "sched_getaffinity");
	CPU_ZERO(&want);
	uint32_t n = 0;
	for (int c = 0; c < CPU_SETSIZE && n < B.cpus; c++) if (CPU_ISSET(c, &have)) { CPU_SET(c, &want); n++; }
	if (sched_setaffinity(0, sizeof want, &want) != 0) die("cpus", errno, "sched_setaffinity to %u CPUs", B.cpus);
}

/* ---------------------------------------------------------------------------------------- */
/* Egress proxy bridge (proxy net mode): inside the new network namespace, 127.0.0.1:<port>
 * relays each TCP connection to the unix socket of the proxy `mxcc run` started outside.
 *
 * Fast path for tunnels (`--proxy-control FD`, which `mxcc run` passes): a connector process,
 * forked before the network namespace is made, stays in the host's and connects, on the proxy's
 * word only, to the address the proxy checked; it hands the connected socket to the bridge over a
 * socketpair (SCM_RIGHTS), and the bridge then moves the tunnel's bytes client ↔ upstream with
 * splice(2), the proxy out of the data path. Handoff, per relay (the proxy knows the relay by the
 * random id the bridge sends first on the unix socket):
 *   1. proxy → connector "C id port boundary address": connect. The connector passes the socket
 *      and `boundary` (how many bytes of the proxy's stream are for the client: its replies up to
 *      and with "200 Connection Established") to the bridge, then answers "O id" (or "E id errno").
 *   2. The bridge passes the proxy's bytes to the client up to the boundary, then splices
 *      upstream → client. Bytes of the proxy's stream after the boundary go to the upstream.
 *   3. Once the proxy has checked the client's first bytes (TLS server name): proxy → connector
 *      "U id" → bridge: stop reading the client, pass on what was read, half-close the unix socket
 *      (connector answers "A id"). The proxy, at end of stream and with that answer, writes every
 *      client byte it holds after the boundary and closes; the bridge writes them to the upstream
 *      and, at end of stream, splices client → upstream.
 * Nothing reaches the upstream before the proxy has checked it; without the connector, or before
 * step 1, the bridge relays to the proxy as before (the proxy relays itself). */

#define BRIDGE_MAX_RELAYS 256
#define BRIDGE_BUF 65536
#define BRIDGE_PIPE (1 << 20)
/* "\0", the proxy token (32 hex digits), " ", the relay id in 16 hex digits (0: no connector), "\n" */
#define BRIDGE_PREAMBLE 51
#define PROXY_TOKEN_LEN 32
/* Not in older UAPI headers: asm-generic/socket.h (Linux 6.5, x86_64 and aarch64 alike) and
 * linux/magic.h (Linux 6.9, pidfs, where every pidfd of one process has the same inode). */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC 0x50494446
#endif
#define BRIDGE_MSG_UPSTREAM 1u
#define BRIDGE_MSG_CUT 2u
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static const char *proxy_socket; /* --proxy-socket */
static unsigned proxy_port;      /* the bridge's port once it listens */
static char proxy_token[PROXY_TOKEN_LEN + 1]; /* MXC_PROXY_TOKEN: sent first on every connection to the proxy */
static dev_t proxy_dev;          /* the proxy process (--proxy-pid) as pidfs knows it */
static ino_t proxy_ino;

/*
 * The proxy's socket is a path in a directory other sandboxes of the same user may be able to
 * write (a run directory in /tmp): one could bind its own socket there and read or steer the
 * traffic, or connect to ours and borrow this run's allowlist. So the bridge checks, on every
 * connection, that the listening end is the proxy process (SO_PEERPIDFD, compared by pidfs inode:
 * it names a process in any PID namespace), and only then sends the token the proxy requires.
 */
static void proxy_identity(const char *pid_arg) {
	char *end;
	long pid = pid_arg ? strtol(pid_arg, &end, 10) : 0;
	if (!pid_arg || *pid_arg < '1' || *pid_arg > '9' || *end || pid > INT_MAX) die("proxy", EINVAL, "--proxy-socket needs --proxy-pid PID, the process listening on it");
	const char *token = getenv("MXC_PROXY_TOKEN");
	size_t k = 0;
	while (token && k < PROXY_TOKEN_LEN && ((token[k] >= '0' && token[k] <= '9') || (token[k] >= 'a' && token[k] <= 'f'))) k++;
	if (!token || k != PROXY_TOKEN_LEN || token[k]) die("proxy", EINVAL, "--proxy-socket needs the proxy's token in MXC_PROXY_TOKEN (%d hex digits)", PROXY_TOKEN_LEN);
	memcpy(proxy_token, token, PROXY_TOKEN_LEN + 1);
	/* unsetenv drops the pointer, not the bytes: /proc/PID/environ shows the initial environment
	 * block, of this process and of the helpers forked from it, so the value is overwritten there. */
	memset((char *)token, '-', PROXY_TOKEN_LEN);
	unsetenv("MXC_PROXY_TOKEN");
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0) die("proxy", errno, "pidfd_open of the proxy (--proxy-pid %ld)", pid);
	struct statfs sf;
	struct stat st;
	if (fstatfs(fd, &sf) != 0 || fstat(fd, &st) != 0) die("proxy", errno, "stat the proxy's pidfd");
	close(fd);
	if ((unsigned long)sf.f_type != PID_FS_MAGIC) die("proxy", ENOSYS, "cannot check who listens on the proxy socket: pidfds are not in pidfs (Linux >= 6.9)");
	proxy_dev = st.st_dev;
	proxy_ino = st.st_ino;
}

/* --proxy-control FD: a unix stream socket from `mxcc run`, close-on-exec from here on. */
static int proxy_control_fd(const char *arg) {
	char *end;
	long fd = strtol(arg, &end, 10);
	struct stat st;
	if (*arg < '0' || *arg > '9' || *end || fd < 3 || fd > INT_MAX) die("proxy", EINVAL, "--proxy-control expects a file descriptor number of 3 or more (got %s)", arg);
	errno = 0;
	if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0 || fstat((int)fd, &st) != 0 || !S_ISSOCK(st.st_mode)) die("proxy", errno ? errno : ENOTSOCK, "--proxy-control %s is not an open socket", arg);
	return (int)fd;
}

/* connector → bridge: one message each; BRIDGE_MSG_UPSTREAM carries the socket. */
struct bridge_msg { uint64_t id, boundary; uint32_t kind, pad; };

/* One direction of a relay: bytes read from one side, waiting to be written to the other. */
struct bridge_half { size_t off, len; int eof, shut; char buf[BRIDGE_BUF]; };
/* One spliced direction: source → pipe → destination. */
struct bridge_pipe { int p[2], on, eof, shut; size_t in, cap; };
struct bridge_relay {
	int fd[3];                  /* client, proxy (unix), upstream (-1 until the connector hands one) */
	int hup[3];                 /* poll reported POLLHUP: not polled while nothing is asked of it */
	struct bridge_half half[2]; /* half[0]: client → proxy, half[1]: proxy → client */
	struct bridge_half toup;    /* proxy → upstream: the client bytes the proxy read (after the boundary) */
	struct bridge_pipe sp[2];   /* sp[0]: client → upstream, sp[1]: upstream → client */
	uint64_t id, boundary, from_proxy;
	int cut, kick, dead; /* kick: a message changed its state, step it even without events; dead: close it */
};

static int cmp_int(const void *a, const void *b) {
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#endif

/* Close every fd from 3 up but `keep` (how 0), or mark them close-on-exec (how CLOSE_RANGE_CLOEXEC),
 * whatever their numbers: close_range(2) (Linux 5.9; 5.11 for CLOSE_RANGE_CLOEXEC), else what
 * /proc/self/fd lists. Returns 0, or -1 if the fds could not be listed or marked. */
static int close_fds_except(int *keep, size_t n, unsigned how) {
	if (n > 1) qsort(keep, n, sizeof *keep, cmp_int);
	unsigned lo = 3;
	int ok = 1;
	for (size_t i = 0; i < n && ok; i++) {
		if (keep[i] < (int)lo) continue;
		if ((unsigned)keep[i] > lo) ok = syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, how) == 0;
		lo = (unsigned)keep[i] + 1;
	}
	if (ok && syscall(SYS_close_range, lo, ~0u, how) == 0) return 0;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL) return -1;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || *end || fd < 3 || fd == dirfd(d)) continue;
		int kept = 0;
		for (size_t i = 0; i < n; i++) kept |= keep[i] == fd;
		if (kept) continue;
		if (how == 0) close((int)fd);
		else if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0) {
			int err = errno;
			closedir(d);
			errno = err;
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* A helper process (bridge, connector): stdin and stdout /dev/null, no other fds but `keep`, no
 * capabilities, no_new_privs, not dumpable; the fd soft limit raised to the hard one (the policy's
 * limits are the command's). Returns a pidfd of `parent`, whose end ends the helper. */
static int become_helper(pid_t parent, int *keep, size_t n) {
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || close_fds_except(keep, n, 0) != 0) _exit(1);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	signal(SIGPIPE, SIG_IGN); /* splice(2) into a closed socket */
	if (syscall(SYS_capset, &h, d) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) _exit(1);
	/* Not PR_SET_PDEATHSIG: that signal is sent with the dying command's credentials, and its
	 * Landlock signal scope blocks it. */
	int parent_fd = (int)syscall(SYS_pidfd_open, parent, 0);
	if (parent_fd < 0 || getppid() != parent) _exit(1);
	return parent_fd;
}

/* ----- the connector (host network namespace) ----- */

struct connect_pending { uint64_t id, boundary; int fd; };

static void connector_reply(int ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void connector_reply(int ctl, const char *fmt, ...) {
	char line[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (int off = 0; off < n;) {
		ssize_t w = write(ctl, line + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) _exit(0); /* the proxy is gone */
		off += (int)w;
	}
}

static void connector_send(int sp, uint64_t id, uint32_t kind, uint64_t boundary, int fd) {
	struct bridge_msg m = { id, boundary, kind, 0 };
	struct iovec iov = { &m, sizeof m };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } ctl;
	struct msghdr h;
	memset(&h, 0, sizeof h);
	memset(&ctl, 0, sizeof ctl);
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	if (fd >= 0) {
		h.msg_control = ctl.buf;
		h.msg_controllen = sizeof ctl.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&h);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	while (sendmsg(sp, &h, MSG_NOSIGNAL) < 0)
		if (errno != EINTR) _exit(0); /* the bridge is gone */
}

/* One line from the proxy: "C <id> <port> <boundary> <address>" or "U <id>". A malformed line ends
 * the connector (the proxy then relays by itself). */
static void connector_command(char *line, int ctl, int sp, struct connect_pending *pend) {
	char kind, addr[INET6_ADDRSTRLEN + 1];
	unsigned long long id, boundary = 0;
	unsigned port = 0;
	int n = 0;
	if (sscanf(line, "U %16llx%n", &id, &n) == 1 && line[n] == 0) {
		connector_send(sp, id, BRIDGE_MSG_CUT, 0, -1);
		connector_reply(ctl, "A %016llx\n", id);
		return;
	}
	if (sscanf(line, "%c %16llx %5u %20llu %46s%n", &kind, &id, &port, &boundary, addr, &n) != 5 || kind != 'C' || line[n] != 0 || port == 0 || port > 65535) _exit(1);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof *in4;
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof *in6;
	} else _exit(1);
	uint32_t k = 0;
	while (k < BRIDGE_MAX_RELAYS && pend[k].fd >= 0) k++;
	int fd = k < BRIDGE_MAX_RELAYS ? socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
	if (fd < 0) {
		connector_reply(ctl, "E %016llx %d\n", id, k < BRIDGE_MAX_RELAYS ? errno : EMFILE);
		return;
	}
	pend[k] = (struct connect_pending){ id, boundary, fd };
	if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
		connector_reply(ctl, "E %016llx %d\n", id, errno);
		close(fd);
		pend[k].fd = -1;
	}
}

static void connector_loop(int ctl, int sp, int parent_fd) {
	static struct connect_pending pend[BRIDGE_MAX_RELAYS];
	/* Only open fds are polled: poll(2) refuses more entries than RLIMIT_NOFILE. */
	static struct pollfd pfd[3 + BRIDGE_MAX_RELAYS];
	static uint32_t who[3 + BRIDGE_MAX_RELAYS];
	char line[256];
	size_t have = 0;
	for (uint32_t k = 0; k < BRIDGE_MAX_RELAYS; k++) pend[k].fd = -1;
	for (;;) {
		pfd[0] = (struct pollfd){ ctl, POLLIN, 0 };
		pfd[1] = (struct pollfd){ parent_fd, POLLIN, 0 };
		pfd[2] = (struct pollfd){ sp, 0, 0 }; /* POLLHUP: the bridge is gone */
		nfds_t n = 3;
		for (uint32_t k = 0; k < BRIDGE_MAX_RELAYS; k++)
			if (pend[k].fd >= 0) who[n] = k, pfd[n++] = (struct pollfd){ pend[k].fd, POLLOUT, 0 };
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR) continue;
			_exit(1);
		}
		if (pfd[1].revents || pfd[2].revents) _exit(0);
		for (nfds_t j = 3; j < n; j++) {
			uint32_t k = who[j];
			if (!pfd[j].revents) continue;
			int err = 0;
			socklen_t elen = sizeof err;
			if (getsockopt(pend[k].fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) err = errno;
			if (err == 0) {
				connector_send(sp, pend[k].id, BRIDGE_MSG_UPSTREAM, pend[k].boundary, pend[k].fd);
				connector_reply(ctl, "O %016llx\n", (unsigned long long)pend[k].id);
			} else connector_reply(ctl, "E %016llx %d\n", (unsigned long long)pend[k].id, err);
			close(pend[k].fd);
			pend[k].fd = -1;
		}
		if (pfd[0].revents) {
			ssize_t n = read(ctl, line + have, sizeof line - 1 - have);
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0) _exit(0); /* the proxy closed the channel */
			have += (size_t)n;
			char *nl;
			while ((nl = memchr(line, '\n', have)) != NULL) {
				*nl = 0;
				connector_command(line, ctl, sp, pend);
				have -= (size_t)(nl + 1 - line);
				memmove(line, nl + 1, have);
			}
			if (have == sizeof line - 1) _exit(1);
		}
	}
}

/* Before the network namespace is made: fork the connector, which keeps the proxy's channel and one
 * end of the socketpair to the bridge (forked later); this process keeps neither of the first two. */
static void start_proxy_connector(void) {
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, connector_sp) != 0) die("proxy", errno, "create the connector's socketpair");
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) die("proxy", errno, "fork the connector");
	if (pid > 0) {
		close(proxy_control);
		close(connector_sp[0]);
		proxy_control = connector_sp[0] = -1;
		return;
	}
	int keep[] = { proxy_control, connector_sp[0] };
	int parent_fd = become_helper(parent, keep, 2);
	connector_loop(proxy_control, connector_sp[0], parent_fd);
	_exit(0);
}

/* ----- the bridge (sandbox network namespace) ----- */

/* A connection to the proxy, refused (EPERM) unless the proxy process is what listens on it (see proxy_identity). */
static int bridge_connect_proxy(const struct sockaddr_un *addr) {
	int u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u < 0) return -1;
	int peer = -1, err = 0;
	socklen_t len = sizeof peer;
	struct stat st;
	if (connect(u, (const struct sockaddr *)addr, sizeof *addr) != 0 || getsockopt(u, SOL_SOCKET, SO_PEERPIDFD, &peer, &len) != 0 || fstat(peer, &st) != 0) err = errno;
	else if (st.st_dev != proxy_dev || st.st_ino != proxy_ino) err = EPERM;
	if (peer >= 0) close(peer);
	if (err) {
		close(u);
		errno = err;
		return -1;
	}
	return u;
}

static void bridge_close(struct bridge_relay **r) {
	for (int i = 0; i < 3; i++) if ((*r)->fd[i] >= 0) close((*r)->fd[i]);
	for (int i = 0; i < 2; i++) if ((*r)->sp[i].cap) close((*r)->sp[i].p[0]), close((*r)->sp[i].p[1]);
	xfree(*r);
	*r = NULL;
}

/* Read into a half, at most `max` bytes: >0 read, 0 nothing (or end of stream, h->eof), -1 broken. */
static ssize_t half_fill(struct bridge_half *h, int fd, uint64_t max) {
	if (h->eof || h->len >= BRIDGE_BUF || max == 0) return 0;
	size_t room = BRIDGE_BUF - h->len;
	ssize_t n = read(fd, h->buf + h->len, room < max ? room : (size_t)max);
	if (n > 0) h->len += (size_t)n;
	else if (n == 0) h->eof = 1;
	else if (errno == EAGAIN || errno == EINTR) n = 0;
	return n;
}

/* Write what a half holds to fd: 0, or -1 when the peer is gone. */
static int half_flush(struct bridge_half *h, int fd) {
	if (h->len > h->off) {
		ssize_t n = send(fd, h->buf + h->off, h->len - h->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) h->off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR) return -1;
		if (h->off == h->len) h->off = h->len = 0;
	}
	return 0;
}

/* Move bytes src → pipe → dst until either side would block; at end of stream, half-close dst.
 * 0, or -1 when broken. */
static int pipe_step(struct bridge_pipe *p, int src, int dst, int readable) {
	if (!p->on) return 0;
	for (int progress = 1; progress;) {
		progress = 0;
		if (readable && !p->eof && p->in < p->cap) {
			ssize_t n = splice(src, NULL, p->p[1], NULL, p->cap - p->in, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) p->in += (size_t)n, progress = 1;
			else if (n == 0) p->eof = 1;
			else if (errno == EAGAIN) readable = 0;
			else if (errno != EINTR) return -1;
		}
		if (p->in > 0) {
			ssize_t n = splice(p->p[0], NULL, dst, NULL, p->in, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) p->in -= (size_t)n, progress = 1;
			else if (n == 0 || (errno != EAGAIN && errno != EINTR)) return -1;
		}
	}
	if (p->eof && p->in == 0 && !p->shut) {
		shutdown(dst, SHUT_WR); /* pass the half-close on */
		p->shut = 1;
	}
	return 0;
}

/* The messages the connector has sent (never blocks). An upstream socket for a relay that is gone,
 * or that cannot be adopted, is closed (and the relay with it, marked dead: fail closed). */
static void bridge_messages(int *sp, struct bridge_relay **relays) {
	while (*sp >= 0) {
		struct bridge_msg m;
		struct iovec iov = { &m, sizeof m };
		union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } ctl;
		struct msghdr h;
		memset(&h, 0, sizeof h);
		h.msg_iov = &iov;
		h.msg_iovlen = 1;
		h.msg_control = ctl.buf;
		h.msg_controllen = sizeof ctl.buf;
		ssize_t n = recvmsg(*sp, &h, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
		int fd = -1;
		for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&h) : NULL; c; c = CMSG_NXTHDR(&h, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
			size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfds; i++) {
				int got;
				memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
				if (fd < 0 && i == 0) fd = got;
				else close(got);
			}
		}
		if (n <= 0) { /* the connector is gone: no more fast paths */
			close(*sp);
			*sp = -1;
			return;
		}
		struct bridge_relay **slot = NULL;
		for (uint32_t k = 0; k < BRIDGE_MAX_RELAYS && !slot; k++)
			if (relays[k] && relays[k]->id == m.id && relays[k]->fd[1] >= 0) slot = &relays[k];
		int ok = slot != NULL && n == sizeof m && !(h.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
		if (ok && m.kind == BRIDGE_MSG_UPSTREAM) {
			struct bridge_relay *r = *slot;
			ok = fd >= 0 && r->fd[2] < 0 && fcntl(fd, F_SETFL, O_NONBLOCK) == 0;
			for (int i = 0; i < 2 && ok; i++) {
				ok = pipe2(r->sp[i].p, O_NONBLOCK | O_CLOEXEC) == 0;
				if (!ok) break;
				int cap = fcntl(r->sp[i].p[1], F_SETPIPE_SZ, BRIDGE_PIPE);
				if (cap < 0) cap = fcntl(r->sp[i].p[1], F_GETPIPE_SZ);
				r->sp[i].cap = cap > 0 ? (size_t)cap : 65536;
			}
			if (ok) {
				r->fd[2] = fd;
				r->boundary = m.boundary;
				fd = -1;
			}
		} else if (ok && m.kind == BRIDGE_MSG_CUT) ok = (*slot)->cut = (*slot)->fd[2] >= 0;
		else ok = 0;
		if (fd >= 0) close(fd);
		if (slot) (*slot)->kick = 1, (*slot)->dead |= !ok;
	}
}

#define READABLE(i) (rev[i] & (POLLIN | POLLHUP | POLLERR))

/* Move bytes for one relay after poll; returns 0 when the relay is finished or broken. */
static int bridge_step(struct bridge_relay *r, const short rev[3], int *sp, struct bridge_relay **relays) {
	int c = r->fd[0], u = r->fd[1], up = r->fd[2];
	if (r->dead) return 0;
	if (u >= 0) {
		/* client → proxy, until the cut */
		if (!r->cut && READABLE(0) && half_fill(&r->half[0], c, UINT64_MAX) < 0) return 0;
		if (half_flush(&r->half[0], u) < 0) return 0;
		if ((r->half[0].eof || r->cut) && r->half[0].len == 0 && !r->half[0].shut) {
			shutdown(u, SHUT_WR); /* pass the half-close on; after the cut: the proxy has it all */
			r->half[0].shut = 1;
		}
		/* proxy → client, up to the boundary; after it, proxy → upstream */
		if (READABLE(1)) {
			ssize_t n;
			if (up < 0 || r->from_proxy < r->boundary) n = half_fill(&r->half[1], u, up < 0 ? UINT64_MAX : r->boundary - r->from_proxy);
			else n = half_fill(&r->toup, u, UINT64_MAX);
			if (n < 0) return 0;
			r->from_proxy += (uint64_t)n;
		}
		if (half_flush(&r->half[1], c) < 0) return 0;
		if (r->half[1].eof && r->half[1].len == 0) {
			if (up >= 0) return 0; /* the proxy ended before the boundary: it refused, or failed */
			if (!r->half[1].shut) {
				shutdown(c, SHUT_WR);
				r->half[1].shut = 1;
			}
		}
		if (up < 0) return !(r->half[0].shut && r->half[1].shut);
		if (half_flush(&r->toup, up) < 0) return 0;
		if (r->toup.eof && r->toup.len == 0) {
			/* The proxy ended its stream: after the cut a handoff, else a refusal. The cut, if the
			 * proxy sent it, is queued by now (it waited for the connector's answer). */
			if (!r->cut) bridge_messages(sp, relays);
			if (!r->cut || r->dead) return 0;
			close(u);
			r->fd[1] = u = -1;
			r->sp[0].on = 1;
			if (r->half[0].eof) r->sp[0].eof = 1; /* the client had half-closed already */
		}
	}
	if (up >= 0 && r->from_proxy >= r->boundary && r->half[1].len == 0) r->sp[1].on = 1;
	if (pipe_step(&r->sp[1], up, c, READABLE(2)) < 0) return 0;
	if (pipe_step(&r->sp[0], c, up, READABLE(0)) < 0) return 0;
	return !(r->sp[0].shut && r->sp[1].shut);
}

/* The events a relay's fd [i] waits for. */
static short bridge_events(const struct bridge_relay *r, int i) {
	short ev = 0;
	const struct bridge_pipe *in = &r->sp[i == 0 ? 0 : 1]; /* spliced out of fd i (client: sp[0], upstream: sp[1]) */
	if (i == 0) {
		if (r->fd[1] >= 0 && !r->cut && !r->half[0].eof && r->half[0].len < BRIDGE_BUF) ev |= POLLIN;
		if (in->on && !in->eof && in->in < in->cap) ev |= POLLIN;
		if (r->half[1].len > r->half[1].off || r->sp[1].in) ev |= POLLOUT;
	} else if (i == 1) {
		int to_client = r->fd[2] < 0 || r->from_proxy < r->boundary;
		if (to_client ? !r->half[1].eof && r->half[1].len < BRIDGE_BUF : !r->toup.eof && r->toup.len < BRIDGE_BUF) ev |= POLLIN;
		if (r->half[0].len > r->half[0].off) ev |= POLLOUT;
	} else {
		if (in->on && !in->eof && in->in < in->cap) ev |= POLLIN;
		if (r->toup.len > r->toup.off || r->sp[0].in) ev |= POLLOUT;
	}
	return ev;
}

static void bridge_loop(int lfd, int parent_fd, int sp, const struct sockaddr_un *addr) {
	static struct bridge_relay *relays[BRIDGE_MAX_RELAYS];
	/* Only open fds are polled: poll(2) refuses more entries than RLIMIT_NOFILE. who[j]: 3 × relay + its fd. */
	static struct pollfd pfd[3 + 3 * BRIDGE_MAX_RELAYS];
	static uint32_t who[3 + 3 * BRIDGE_MAX_RELAYS];
	static short revs[BRIDGE_MAX_RELAYS][3];
	/* accept4 failing for want of fds (EMFILE, ENFILE, ENOBUFS, ENOMEM) leaves the listener readable:
	 * it is not polled again until a relay closes or a second has passed, so the bridge cannot spin. */
	int accept_paused = 0;
	struct timespec paused_at = { 0, 0 };
	for (;;) {
		uint32_t active = 0;
		for (uint32_t k = 0; k < BRIDGE_MAX_RELAYS; k++) active += relays[k] != NULL;
		int wait = -1;
		if (accept_paused) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			long ms = (now.tv_sec - paused_at.tv_sec) * 1000 + (now.tv_nsec - paused_at.tv_nsec) / 1000000;
			if (ms >= 1000) accept_paused = 0;
			else wait = (int)(1000 - ms);
		}
		nfds_t n = 0;
		int at_listen = -1, at_sp = -1;
		if (active < BRIDGE_MAX_RELAYS && !accept_paused) at_listen = (int)n, pfd[n++] = (struct pollfd){ lfd, POLLIN, 0 };
		nfds_t at_parent = n;
		pfd[n++] = (struct pollfd){ parent_fd, POLLIN, 0 };
		if (sp >= 0) at_sp = (int)n, pfd[n++] = (struct pollfd){ sp, POLLIN, 0 };
		for (uint32_t k = 0; k < BRIDGE_MAX_RELAYS; k++) {
			struct bridge_relay *r = relays[k];
			if (!r) continue;
			memset(revs[k], 0, sizeof revs[k]);
			for (int i = 0; i < 3; i++) {
				short ev = bridge_events(r, i);
				if (r->fd[i] >= 0 && !(ev == 0 && r->hup[i])) who[n] = 3 * k + (uint32_t)i, pfd[n++] = (struct pollfd){ r->fd[i], ev, 0 };
			}
		}
		if (poll(pfd, n, wait) < 0) {
			if (errno == EINTR) continue;
			_exit(1);
		}
		if (pfd[at_parent].revents) _exit(0); /* the command has exited */
		if (at_sp >= 0 && pfd[at_sp].revents) bridge_messages(&sp, relays);
		for (nfds_t j = at_parent + 1 + (at_sp >= 0); j < n; j++) revs[who[j] / 3][who[j] % 3] = pfd[j].revents;
		for (uint32_t k = 0; k < BRIDGE_MAX_RELAYS; k++) {
			struct bridge_relay *r = relays[k];
			if (!r) continue;
			short *rev = revs[k];
			for (int i = 0; i < 3; i++) if (rev[i] & POLLHUP) r->hup[i] = 1;
			if (!(rev[0] | rev[1] | rev[2] | r->kick)) continue;
			r->kick = 0;
			if (!bridge_step(r, rev, &sp, relays)) {
				bridge_close(&relays[k]);
				accept_paused = 0;
			}
		}
		if (at_listen >= 0 && (pfd[at_listen].revents & POLLIN)) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (c < 0) {
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) accept_paused = 1, clock_gettime(CLOCK_MONOTONIC, &paused_at);
				continue;
			}
			uint32_t k = 0;
			while (k < BRIDGE_MAX_RELAYS && relays[k]) k++;
			int u = k < BRIDGE_MAX_RELAYS ? bridge_connect_proxy(addr) : -1;
			if (u < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) accept_paused = 1, clock_gettime(CLOCK_MONOTONIC, &paused_at);
			struct bridge_relay *r = u >= 0 ? calloc(1, sizeof *r) : NULL;
			int ok = r != NULL;
			if (ok) {
				/* The token, then the relay's id, for the proxy to name it to the connector (0:
				 * none): random, so nothing that reaches the proxy's socket another way can claim a relay. */
				char pre[BRIDGE_PREAMBLE + 1];
				if (sp >= 0) {
					do ok = syscall(SYS_getrandom, &r->id, sizeof r->id, 0) == (long)sizeof r->id;
					while (ok && r->id == 0);
				}
				snprintf(pre, sizeof pre, "%c%s %016llx\n", 0, proxy_token, (unsigned long long)r->id);
				ok = ok && send(u, pre, BRIDGE_PREAMBLE, MSG_NOSIGNAL) == BRIDGE_PREAMBLE;
			}
			if (!ok || fcntl(u, F_SETFL, O_NONBLOCK) != 0) {
				if (u >= 0) close(u);
				close(c); /* the client sees the connection closed: no way out */
				xfree(r);
				continue;
			}
			r->fd[0] = c;
			r->fd[1] = u;
			r->fd[2] = -1;
			relays[k] = r;
		}
	}
}

/*
 * Called inside the new network namespace, before capabilities, Landlock and seccomp: listen on
 * 127.0.0.1 (an ephemeral port) and fork the bridge. Any failure refuses the launch. The bridge
 * exits with its parent (which becomes the command), drops its capabilities and keeps no other fds.
 */
static void start_proxy_bridge(void) {
	struct sockaddr_un addr;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	if (strlen(proxy_socket) >= sizeof addr.sun_path) die("proxy", ENAMETOOLONG, "--proxy-socket %s is longer than a unix socket path may be (%zu bytes)", proxy_socket, sizeof addr.sun_path - 1);
	strcpy(addr.sun_path, proxy_socket);
	int probe = bridge_connect_proxy(&addr);
	if (probe < 0 && errno == EPERM) die("proxy", EPERM, "%s is not the proxy's socket: another process listens on it", proxy_socket);
	if (probe < 0) die("proxy", errno, "connect to the proxy at %s; is `mxcc run`'s egress proxy running?", proxy_socket);
	close(probe);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) die("proxy", errno, "create the bridge socket in the sandbox network namespace");
	struct sockaddr_in in;
	memset(&in, 0, sizeof in);
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof in;
	if (bind(lfd, (struct sockaddr *)&in, sizeof in) != 0 || listen(lfd, 128) != 0 || getsockname(lfd, (struct sockaddr *)&in, &len) != 0)
		die("proxy", errno, "listen on 127.0.0.1 in the sandbox network namespace");
	proxy_port = ntohs(in.sin_port);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) die("proxy", errno, "fork the bridge");
	if (pid > 0) {
		close(lfd);
		if (connector_sp[1] >= 0) close(connector_sp[1]);
		connector_sp[1] = -1;
		return;
	}
	int keep[] = { lfd, connector_sp[1] };
	int parent_fd = become_helper(parent, keep, connector_sp[1] >= 0 ? 2 : 1);
	bridge_loop(lfd, parent_fd, connector_sp[1], &addr);
	_exit(0);
}

/* HTTP_PROXY and friends for the command: the bridge speaks HTTP (CONNECT and forwarding) and SOCKS5. */
static const char *const PROXY_VARS[] = { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy" };
#define N_PROXY_VARS (sizeof PROXY_VARS / sizeof *PROXY_VARS)

static int is_proxy_var(const char *name) {
	for (size_t i = 0; i < N_PROXY_VARS; i++) if (strcmp(name, PROXY_VARS[i]) == 0) return 1;
	return 0;
}

static void add_proxy_env(char **envp, uint32_t *ne) {
	if (!proxy_port) return;
	for (size_t i = 0; i < N_PROXY_VARS; i++) {
		envp[*ne] = xcalloc(96, 1);
		if (strstr(PROXY_VARS[i], "NO_") || strstr(PROXY_VARS[i], "no_")) snprintf(envp[*ne], 96, "%s=localhost,127.0.0.1,::1", PROXY_VARS[i]);
		else snprintf(envp[*ne], 96, "%s=%s://127.0.0.1:%u", PROXY_VARS[i], strstr(PROXY_VARS[i], "ALL") || strstr(PROXY_VARS[i], "all") ? "socks5h" : "http", proxy_port);
		(*ne)++;
	}
}

/*
 * The command inherits stdin, stdout and stderr only: an fd its caller left open without
 * close-on-exec (a file, a directory, a socket) would carry access the policy does not grant, and
 * Landlock does not check fds opened before it. Marked close-on-exec here, closed by execve.
 */
static void close_inherited_fds(void) {
	if (close_fds_except(NULL, 0, CLOSE_RANGE_CLOEXEC) != 0)
		die("fds", errno, "mark inherited file descriptors close-on-exec (close_range, else /proc/self/fd: is /proc mounted?)");
}

/* rlimits → namespaces → capabilities → no_new_privs → Landlock → seccomp → exec. */
static void apply_and_exec(char **argv) {
	apply_rlimits();
	apply_cpus();
	if (proxy_control >= 0) start_proxy_connector(); /* in the host network namespace: before it is left */
	apply_namespaces();
	if (B.isolation != ISO_PROCESS) {
		pid_t command = fork();
		if (command < 0) die("init", errno, "fork the command");
		if (command > 0) drop_helper_channels(), run_init(command);
		sigaction(SIGCHLD, &inherited_sigchld, NULL);
	}
	if (proxy_socket) start_proxy_bridge();
	apply_capabilities();
	close_inherited_fds();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("no_new_privs", errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	apply_landlock();
	char **envp = xcalloc(B.env.n + 1 + N_PROXY_VARS, sizeof *envp);
	uint32_t ne = 0;
	for (uint32_t i = 0; i < B.env.n; i++) {
		const char *v = getenv(B.env.v[i]);
		if (v == NULL || strchr(B.env.v[i], '=') || (proxy_port && is_proxy_var(B.env.v[i]))) continue;
		envp[ne] = xcalloc(strlen(B.env.v[i]) + strlen(v) + 2, 1);
		sprintf(envp[ne++], "%s=%s", B.env.v[i], v);
	}
	add_proxy_env(envp, &ne);
	const struct program *p = host_program();
	struct sock_fprog prog = { (unsigned short)p->count, p->insns };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) die("seccomp", errno, "load the %s filter", HOST_ARCH_NAME);
	execvpe(argv[0], argv, envp);
	int err = errno;
	fprintf(stderr, "mxc-enforce: exec %s: %s\n", argv[0], strerror(err));
	exit(err == ENOENT ? 127 : 126);
}

static volatile sig_atomic_t child_group;
static void forward_signal(int sig) {
	if (child_group > 0) kill(-child_group, sig);
}

/* The wall-clock limit: the command runs in a child (its own process group) the parent kills. */
static int supervise(char **argv) {
	wait_for_children();
	int parent = parent_pidfd("wall");
	pid_t pid = fork();
	if (pid < 0) die("wall", errno, "fork");
	if (pid == 0) {
		sigaction(SIGCHLD, &inherited_sigchld, NULL);
		if (setpgid(0, 0) != 0) die("wall", errno, "setpgid");
		die_with_parent(parent, "wall");
		apply_and_exec(argv);
	}
	close(parent);
	drop_helper_channels();
	setpgid(pid, pid);
	child_group = pid;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		kill(-pid, SIGKILL);
		die("wall", errno, "pidfd_open");
	}
	struct pollfd pfd = { pidfd, POLLIN, 0 };
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t deadline = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000 + B.wall_ms;
	int r;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		uint64_t at = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
		if (at >= deadline) { r = 0; break; }
		uint64_t left = deadline - at;
		r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0 || (r < 0 && errno != EINTR)) break;
	}
	if (r == 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		fprintf(stderr, "mxc-enforce: wall-clock limit of %llu ms reached; killed the command\n", (unsigned long long)B.wall_ms);
	}
	/* Until it is reaped the command's pid (and so its group id) cannot be reused: signal the group before. */
	siginfo_t si;
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0) if (errno != EINTR) die("wall", errno, "waitid");
	if (r == 0) kill(-pid, SIGKILL); /* whatever the command left in its group */
	child_group = 0;
	int status;
	while (waitpid(pid, &status, 0) < 0) if (errno != EINTR) die("wall", errno, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EXIT_REFUSED;
}

/*
 * max_processes as root: the kernel exempts the root user from RLIMIT_NPROC, so the command runs
 * in a fresh pids cgroup (pids.max = the limit): cgroup v2 where the pids controller is enabled
 * below the enforcer's cgroup, else the v1 pids hierarchy. Created before the command starts,
 * removed by a parent that waits for it.
 */
static char pids_cgroup[PATH_MAX];

static int cg_write(const char *dir, const char *file, const char *text) {
	char path[PATH_MAX];
	join(path, dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	ssize_t n = write(fd, text, strlen(text));
	int err = errno;
	close(fd);
	errno = n == (ssize_t)strlen(text) ? 0 : n < 0 ? err : EIO;
	return errno ? -1 : 0;
}

/* Reads a small file into buf (NUL-terminated); 0 or -1. */
/* Reads to the end, or as much as fits; then the last line, which may be cut (a pid mid-number), is dropped. */
static int cg_read(const char *path, char *buf, size_t n) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	size_t have = 0;
	ssize_t got = 1;
	while (have < n - 1 && (got = read(fd, buf + have, n - 1 - have)) != 0) {
		if (got < 0 && errno == EINTR) continue;
		if (got < 0) {
			int err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		have += (size_t)got;
	}
	close(fd);
	buf[have] = 0;
	if (got != 0) {
		char *nl = strrchr(buf, '\n');
		*(nl ? nl + 1 : buf) = 0;
	}
	return 0;
}

/* The enforcer's own cgroup in hierarchy `v1` ("pids"), or in the v2 one (v1 NULL). */
static int own_cgroup(const char *v1, char *out) {
	char text[4096];
	if (cg_read("/proc/self/cgroup", text, sizeof text) != 0) return -1;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		if (p == NULL) continue;
		*p = 0;
		int found = v1 == NULL ? strcmp(line, "0") == 0 && c[1] == 0 : 0;
		for (char *s2 = NULL, *t = v1 ? strtok_r(c + 1, ",", &s2) : NULL; t; t = strtok_r(NULL, ",", &s2)) found |= strcmp(t, v1) == 0;
		if (found) return snprintf(out, PATH_MAX, "%s", p + 1) >= PATH_MAX ? -1 : 0;
	}
	errno = ENOENT;
	return -1;
}

static int make_pids_cgroup(uint64_t max) {
	static const char *const mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/pids" };
	char own[PATH_MAX], text[4096], value[32];
	int err = ENOENT;
	snprintf(value, sizeof value, "%llu\n", (unsigned long long)max);
	for (int i = 0; i < 3; i++) {
		struct statfs sf;
		int v2 = i < 2;
		if (statfs(mounts[i], &sf) != 0 || sf.f_type != (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC) || own_cgroup(v2 ? NULL : "pids", own) != 0) continue;
		if (snprintf(pids_cgroup, sizeof pids_cgroup, "%s%s/mxc-enforce.%d", mounts[i], strcmp(own, "/") ? own : "", (int)getpid()) >= (int)sizeof pids_cgroup) continue;
		if (v2) { /* the controller must be enabled for the children of our cgroup */
			char *slash = strrchr(pids_cgroup, '/'), *t, *save = NULL;
			int on = 0;
			snprintf(slash, sizeof pids_cgroup - (size_t)(slash - pids_cgroup), "/cgroup.subtree_control");
			if (cg_read(pids_cgroup, text, sizeof text) == 0)
				for (t = strtok_r(text, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) on |= strcmp(t, "pids") == 0;
			snprintf(slash, sizeof pids_cgroup - (size_t)(slash - pids_cgroup), "/mxc-enforce.%d", (int)getpid());
			if (!on) continue;
		}
		if (mkdir(pids_cgroup, 0700) != 0) { err = errno; continue; }
		if (cg_write(pids_cgroup, "pids.max", value) == 0) return 0;
		err = errno;
		rmdir(pids_cgroup);
	}
	pids_cgroup[0] = 0;
	errno = err;
	return -1;
}

/*
 * Kills every process in the cgroup. cgroup v2 (Linux >= 5.14) has cgroup.kill: one write kills
 * them all, forks racing it included. Without it (v1, older v2) each pid read from cgroup.procs
 * is signalled through a pidfd taken first, and only if cgroup.procs still lists the pid after:
 * a pid that a process outside reused in between is never signalled (its pidfd names the process
 * that held the pid when it was taken, gone by then: ESRCH). v2 freezes the cgroup first, so no
 * fork outruns the listing.
 */
static int cg_kill_all(void) {
	int atomic = 1;
#ifdef MXC_TEST_HOOKS
	/* Test builds only (make test-hooks): the fallback for kernels without cgroup.kill. */
	atomic = getenv("MXC_TEST_NO_CGROUP_KILL") == NULL;
#endif
	if (atomic && cg_write(pids_cgroup, "cgroup.kill", "1") == 0) return 1;
	char path[PATH_MAX], text[4096];
	int fds[512], pids[512], listed[1024], n = 0, m = 0;
	cg_write(pids_cgroup, "cgroup.freeze", "1"); /* v2 only; v1's freezer is another hierarchy */
	join(path, pids_cgroup, "cgroup.procs");
	if (cg_read(path, text, sizeof text) != 0) return 0;
	for (char *save = NULL, *t = strtok_r(text, "\n", &save); t && n < 512; t = strtok_r(NULL, "\n", &save)) {
		int fd = (int)syscall(SYS_pidfd_open, atoi(t), 0);
		if (fd >= 0) fds[n] = fd, pids[n++] = atoi(t);
	}
	if (cg_read(path, text, sizeof text) == 0)
		for (char *save = NULL, *t = strtok_r(text, "\n", &save); t && m < 1024; t = strtok_r(NULL, "\n", &save)) listed[m++] = atoi(t);
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < m; k++) if (listed[k] == pids[i]) { syscall(SYS_pidfd_send_signal, fds[i], SIGKILL, NULL, 0); break; }
		close(fds[i]);
	}
	return 0;
}

/* Empties and removes the pids cgroup; at exit of the enforcer that made it, whichever way it leaves. */
static pid_t pids_cgroup_owner;
static void remove_pids_cgroup(void) {
	if (!pids_cgroup[0] || getpid() != pids_cgroup_owner) return;
	int all = cg_kill_all(), tries = 0;
	while (rmdir(pids_cgroup) != 0) {
		if (errno != EBUSY || ++tries > 500) {
			fprintf(stderr, "mxc-enforce: pids: could not remove %s: %s\n", pids_cgroup, strerror(errno));
			break;
		}
		if (!all) all = cg_kill_all();
		usleep(tries < 20 ? 1000 : 10000);
	}
	pids_cgroup[0] = 0;
}

/* The command runs in a child inside the cgroup; this parent waits, then empties and removes it. */
static int run_in_pids_cgroup(char **argv) {
	pids_cgroup_owner = getpid();
	if (atexit(remove_pids_cgroup) != 0) {
		rmdir(pids_cgroup);
		die("pids", ENOMEM, "atexit");
	}
	wait_for_children();
	int parent = parent_pidfd("pids");
	pid_t pid = fork();
	if (pid < 0) die("pids", errno, "fork");
	if (pid == 0) {
		char self[32];
		pids_cgroup_owner = 0; /* this child and what it forks leave the cgroup to the parent */
		sigaction(SIGCHLD, &inherited_sigchld, NULL);
		snprintf(self, sizeof self, "%d\n", (int)getpid());
		die_with_parent(parent, "pids");
		if (cg_write(pids_cgroup, "cgroup.procs", self) != 0) die("pids", errno, "join the pids cgroup %s", pids_cgroup);
		if (B.wall_ms > 0) exit(supervise(argv));
		apply_and_exec(argv);
	}
	close(parent);
	drop_helper_channels();
	forward_signals(pid);
	/* Signals are forwarded to the child only while it is not reaped (its pid cannot be reused until then). */
	siginfo_t si;
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0) if (errno != EINTR) die("pids", errno, "waitid");
	forward_pid = 0;
	int status;
	while (waitpid(pid, &status, 0) < 0) if (errno != EINTR) die("pids", errno, "waitpid");
	remove_pids_cgroup();
	return status_code(status);
}

/* ---------------------------------------------------------------------------------------- */

static void dry_run(char **argv, const char *digest) {
	char rights[256];
	printf("bundle: policy %s, ir sha256 %s, bundle sha256 %s\n", B.name, B.ir_sha256, digest);
	for (uint32_t i = 0; i < B.nparams; i++) printf("param: %s (%s) = %s\n", B.params[i].name, PARAM_TYPES[B.params[i].type], B.params[i].value ? B.params[i].value : "(unset)");
	printf("rlimits:");
	for (uint32_t i = 0; i < B.nrlimits; i++) printf(" %u=%llu", B.rlimits[i].resource, (unsigned long long)B.rlimits[i].value);
	printf("%s\n", B.nrlimits ? "" : " none");
	int net = B.net_mode != NET_PORTS;
	if (makes_namespaces())
		printf("namespaces: user, mount, ipc%s%s\n", B.isolation != ISO_PROCESS ? ", pid (fresh /proc nosuid,nodev,noexec; an init as PID 1 reaps and passes the exit status through)" : "",
		       net ? ", net (loopback up)" : "");
	else
		printf("namespaces: none\n");
	for (uint32_t i = 0; i < nhits; i++) {
		int f = hits[i].flags;
		if (hits[i].rights == 0 && !(f & MASK_HIDE)) {
			printf("pin: %s mount point (on the way to a mask or a covered unix socket inside a writable grant: cannot be renamed)\n", hits[i].path);
			continue;
		}
		if (hits[i].rights == 0) {
			printf("cover: %s inaccessible (%s)\n", hits[i].path, f & MASK_SOCKET ? "a unix socket bound at launch inside a grant" : "no grant reaches it");
			continue;
		}
		describe_rights(rights, sizeof rights, hits[i].rights);
		printf("mask: %s %s%s%s%s (denies %s)\n", hits[i].path, f & MASK_HIDE ? "inaccessible" : f & MASK_RDONLY ? "read-only" : "mount point", !(f & MASK_HIDE) && f & MASK_NOEXEC ? ",noexec" : "",
		       !(f & MASK_HIDE) && f & MASK_NODEV ? ",nodev" : "", hits[i].subtree ? ", subtree" : "", rights);
	}
	if (noexec_views && B.isolation != ISO_PROCESS) printf("memfd: %s\n", geteuid() == 0 ? "vm.memfd_noexec = 2 in the PID namespace" : "executable: only the global root may set vm.memfd_noexec");
	for (uint32_t i = 0; i < B.nrlimits; i++)
		if (B.rlimits[i].resource == RLIMIT_NPROC) printf("pids cgroup: pids.max = %llu if one can be made at launch (as root: refused without one)\n", (unsigned long long)B.rlimits[i].value);
	printf("capabilities: drop all, keep 0x%llx; securebits locked\n", (unsigned long long)B.caps);
	printf("no_new_privs: set\n");
	printf("landlock: kernel ABI %d (policy minimum %u), handled fs 0x%llx, net 0x%llx, scopes 0x%llx\n", ll_abi, B.min_abi, (unsigned long long)ll_attr.handled_fs,
	       (unsigned long long)ll_attr.handled_net, (unsigned long long)ll_attr.scoped);
	for (uint32_t i = 0; i < nrules; i++) {
		describe_rights(rights, sizeof rights, rules[i].rights & ll_attr.handled_fs);
		printf("landlock rule: %s %s %s\n", rules[i].exact ? "file" : "beneath", rules[i].path, rights);
	}
	if (ll_attr.handled_net)
		for (uint32_t i = 0; i < B.nports; i++) printf("landlock port: %u %s%s\n", B.ports[i].port, B.ports[i].rights & 1 ? "bind_tcp " : "", B.ports[i].rights & 2 ? "connect_tcp" : "");
	if (B.net_mode == NET_PROXY)
		printf("proxy: %s\n", proxy_socket ? "bridge on 127.0.0.1 (ephemeral port) in the sandbox network namespace to the unix socket given; HTTP_PROXY, HTTPS_PROXY, ALL_PROXY (and lower case) set, NO_PROXY loopback"
						     : "no --proxy-socket: no way out of the sandbox network namespace");
	printf("seccomp: %s program, %u instructions (loaded last)\n", HOST_ARCH_NAME, host_program()->count);
	if (audit)
		printf("audit: %u seccomp returns other than allow rewritten to SECCOMP_RET_LOG: denied syscalls run and are logged; still enforced: Landlock (%s), masks, "
		       "namespaces, capabilities, no_new_privs, rlimits, env\n",
		       audit_rewritten, ll_abi >= 7 ? "denials of the command logged" : "denials not logged: Landlock ABI < 7");
	printf("env: pass");
	for (uint32_t i = 0; i < B.env.n; i++) printf(" %s", B.env.v[i]);
	printf("%s\n", B.env.n ? "" : " nothing");
	printf("exec: %s (cpus %u, wall %llu ms)\n", argv[0], B.cpus, (unsigned long long)B.wall_ms);
}

static uint8_t *read_file(const char *path, size_t *n) {
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) die("load", errno, "open %s", path);
	struct stat st;
	if (fstat(fd, &st) != 0) die("load", errno, "stat %s", path);
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_BUNDLE) die("load", EFBIG, "%s is not a regular file of at most %u bytes", path, MAX_BUNDLE);
	uint8_t *buf = xcalloc((size_t)st.st_size + 1, 1);
	size_t got = 0;
	for (;;) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) die("load", errno, "read %s", path);
		if (r == 0) break;
		got += (size_t)r;
		if (got > (size_t)st.st_size) die("load", EFBIG, "%s changed while being read", path);
	}
	close(fd);
	*n = got;
	return buf;
}

static void usage(void) {
	fprintf(stderr, "usage: mxc-enforce [--sha256 HEX] [--param NAME=VALUE]... [--proxy-socket PATH --proxy-pid PID [--proxy-control FD]] [--die-with-parent] [--dry-run] [--audit] BUNDLE -- COMMAND [ARGS...]\n"
			"       (--proxy-socket also needs the proxy's token in the environment: MXC_PROXY_TOKEN)\n"
			"       mxc-enforce --digest FILE | --check BUNDLE\n");
	exit(EXIT_REFUSED);
}

int main(int argc, char **argv) {
	const char *pin = NULL, *bundle_path = NULL, *proxy_pid = NULL;
	int dry = 0, i = 1, with_parent = 0;
	char **params = xcalloc((size_t)argc, sizeof *params);
	int nparams = 0;
	char digest[65];
	size_t n;
	if (argc == 3 && strcmp(argv[1], "--digest") == 0) {
		uint8_t *data = read_file(argv[2], &n);
		sha256_hex(data, n, digest);
		printf("%s\n", digest);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--check") == 0) {
		uint8_t *data = read_file(argv[2], &n);
		char err[256];
		if (load_bundle(data, n, &B, err) != 0) die("load", EINVAL, "%s: %s", argv[2], err);
		printf("ok\n");
		return 0;
	}
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--sha256") == 0 && i + 1 < argc) pin = argv[++i];
		else if (strcmp(argv[i], "--param") == 0 && i + 1 < argc) params[nparams++] = argv[++i];
		else if (strcmp(argv[i], "--dry-run") == 0) dry = 1;
		else if (strcmp(argv[i], "--audit") == 0) audit = 1;
		else if (strcmp(argv[i], "--proxy-socket") == 0 && i + 1 < argc) proxy_socket = argv[++i];
		else if (strcmp(argv[i], "--proxy-pid") == 0 && i + 1 < argc) proxy_pid = argv[++i];
		else if (strcmp(argv[i], "--die-with-parent") == 0) with_parent = 1;
		else if (strcmp(argv[i], "--proxy-control") == 0 && i + 1 < argc) proxy_control = proxy_control_fd(argv[++i]);
		else if (argv[i][0] != '-' && bundle_path == NULL) bundle_path = argv[i];
		else usage();
	}
	if (bundle_path == NULL || i + 1 >= argc) usage();
	if (with_parent) {
		/* `mxcc run` killed (SIGKILL included) takes the launch and the command with it: the
		 * signal survives execve, and every process forked below dies with its own parent. */
		pid_t parent = getppid();
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die("parent", errno, "PR_SET_PDEATHSIG");
		if (getppid() != parent) die("parent", ESRCH, "the process that started mxc-enforce is gone; not running the command without it");
	}
	char **command = argv + i + 1;

	uint8_t *data = read_file(bundle_path, &n);
	/* The digest is only needed for a pin or the dry run's report (it is on the launch path). */
	if (pin != NULL || dry) sha256_hex(data, n, digest);
	if (pin != NULL && (strlen(pin) != 64 || strcasecmp(pin, digest) != 0)) die("load", EBADMSG, "bundle sha256 is %s, not the pinned %s", digest, pin);
	char err[256];
	if (load_bundle(data, n, &B, err) != 0) die("load", EINVAL, "%s: %s", bundle_path, err);
	if (host_program() == NULL) die("load", ENOEXEC, "the bundle has no seccomp program for %s", HOST_ARCH_NAME);
	if (proxy_control >= 0 && !proxy_socket) die("proxy", EINVAL, "--proxy-control needs --proxy-socket");
	if (proxy_socket && B.net_mode != NET_PROXY) die("proxy", EINVAL, "--proxy-socket is for policies in the proxy network mode; this bundle's mode is %s", B.net_mode == NET_NONE ? "none" : "ports");
	if (proxy_pid && !proxy_socket) die("proxy", EINVAL, "--proxy-pid needs --proxy-socket");
	if (proxy_socket) proxy_identity(proxy_pid);

	for (int k = 0; k < nparams; k++) {
		const char *eq = strchr(params[k], '=');
		struct param *p = eq ? find_param(params[k], (size_t)(eq - params[k])) : NULL;
		if (p == NULL) die("params", EINVAL, "--param %s: the policy declares no such param", params[k]);
		p->value = xstrdup(eq + 1);
	}
	for (uint32_t k = 0; k < B.nparams; k++) if (B.params[k].value) check_param(&B.params[k]);

	negotiate_landlock();
	if (audit) prepare_audit();
	if (!dry) keep_fds = keep_fds_for_landlock();
	find_writable_trees();
	check_param_links();
	for (uint32_t k = 0; k < B.ngrants; k++) resolve_grant(&B.grants[k]);
	resolve_masks();
	/* Kept capabilities must not undo the masks: unmounting them, or reading past mode 000. */
	for (uint32_t k = 0; k < nhits; k++) {
		if (B.caps & (1ull << CAP_SYS_ADMIN)) die("masks", EPERM, "the policy keeps CAP_SYS_ADMIN, which could unmount the mask over %s", hits[k].path);
		if ((hits[k].flags & MASK_HIDE) && (B.caps & (1ull << CAP_DAC_OVERRIDE | 1ull << CAP_DAC_READ_SEARCH)))
			die("masks", EPERM, "the policy keeps CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH, which read past the inaccessible mask over %s", hits[k].path);
	}
	/* The mount view is built wherever a mount namespace is made, unless kept capabilities would undo it. */
	if (makes_namespaces() && !(B.caps & (1ull << CAP_SYS_ADMIN | 1ull << CAP_DAC_OVERRIDE | 1ull << CAP_DAC_READ_SEARCH)))
		add_noexec_views(), cover_ungranted(proxy_socket);

	if (dry) {
		dry_run(command, digest);
		return 0;
	}
	fflush(stdout);
#ifdef MXC_TEST_HOOKS
	/* Test builds only (make test-hooks): stop between planning and launching, so that a test can change the tree meanwhile. */
	if (getenv("MXC_TEST_STOP_AFTER_PLAN")) raise(SIGSTOP);
#endif
	for (uint32_t k = 0; k < B.nrlimits; k++) {
		if (B.rlimits[k].resource != RLIMIT_NPROC) continue;
		if (make_pids_cgroup(B.rlimits[k].value) == 0) return run_in_pids_cgroup(command);
		if (geteuid() == 0)
			die("pids", errno, "max_processes: RLIMIT_NPROC does not limit root, and no pids cgroup could be made (mount cgroup v2 with the pids controller enabled, or the v1 pids hierarchy at /sys/fs/cgroup/pids)");
	}
	if (B.wall_ms > 0) return supervise(command);
	apply_and_exec(command);
	return EXIT_REFUSED;
}
