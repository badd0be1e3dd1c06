/*
 * libseccomp-harness: build a libseccomp filter for ONE architecture from a line-based rule file
 * and write it to stdout as raw struct sock_filter (what seccomp_export_bpf produces).
 *
 *   libseccomp-harness RULES.txt
 *   libseccomp-harness --version     (prints the libseccomp version it runs with)
 *
 * Rule file, one directive per line ('#' starts a comment; numbers are decimal or 0x hex):
 *   arch x86_64|aarch64
 *   default ACTION            (ACTION is the raw 32-bit SECCOMP_RET_* value, e.g. 0x50001)
 *   badarch ACTION            (optional; default 0x80000000 = KILL_PROCESS)
 *   optimize 1|2              (optional; SCMP_FLTATR_CTL_OPTIMIZE: 1 priority/linear, 2 binary tree)
 *   rule ACTION NR [cond ARG OP VALUE [MASK]]...
 *       OP is eq ne lt le gt ge masked_eq (masked_eq: (arg & MASK) == VALUE); values are 64-bit.
 * arch, default and optimize must come before the first rule.
 *
 * NR is the syscall number of the target architecture. libseccomp interprets rule numbers in the
 * context of the NATIVE architecture (arch_syscall_translate maps native number -> name -> target
 * number), so for a foreign target the harness maps target number -> name -> native number with
 * libseccomp's own tables. A target number libseccomp cannot map is reported on stderr as
 * "harness: unmapped NR" and its rule is left out; the caller decides what that means.
 *
 * Every libseccomp call is checked: on failure "harness: <step>: <strerror>" and exit 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 4096
#define MAX_CONDS 6

static int line_no = 0;

static void fail_rc(const char *step, int rc) {
	fprintf(stderr, "harness: %s: %s\n", step, strerror(rc < 0 ? -rc : rc));
	exit(2);
}

static void fail_msg(const char *msg, const char *detail) {
	fprintf(stderr, "harness: line %d: %s%s%s\n", line_no, msg, detail ? " " : "", detail ? detail : "");
	exit(2);
}

static uint64_t parse_u64(const char *s) {
	char *end = NULL;
	if (s == NULL) fail_msg("missing number", NULL);
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-') fail_msg("bad number", s);
	return (uint64_t)v;
}

static uint32_t parse_u32(const char *s) {
	uint64_t v = parse_u64(s);
	if (v > 0xffffffffULL) fail_msg("number does not fit in 32 bits:", s);
	return (uint32_t)v;
}

static enum scmp_compare parse_op(const char *s) {
	if (s == NULL) fail_msg("missing comparison", NULL);
	if (strcmp(s, "eq") == 0) return SCMP_CMP_EQ;
	if (strcmp(s, "ne") == 0) return SCMP_CMP_NE;
	if (strcmp(s, "lt") == 0) return SCMP_CMP_LT;
	if (strcmp(s, "le") == 0) return SCMP_CMP_LE;
	if (strcmp(s, "gt") == 0) return SCMP_CMP_GT;
	if (strcmp(s, "ge") == 0) return SCMP_CMP_GE;
	if (strcmp(s, "masked_eq") == 0) return SCMP_CMP_MASKED_EQ;
	fail_msg("unknown comparison", s);
	return _SCMP_CMP_MIN;
}

/* The native-context number libseccomp expects for target syscall NR, or -1 when unmappable. */
static int native_number(uint32_t target_arch, int nr) {
	uint32_t native = seccomp_arch_native();
	if (native == 0) fail_rc("seccomp_arch_native", EINVAL);
	char *name = seccomp_syscall_resolve_num_arch(target_arch, nr);
	if (target_arch == native) {
		/* Numbers newer than libseccomp's tables are still accepted on the native arch. */
		free(name);
		return nr;
	}
	if (name == NULL) return -1;
	int mapped = seccomp_syscall_resolve_name_arch(native, name);
	free(name);
	/* __NR_SCMP_ERROR is -1; other negative values are libseccomp pseudo-numbers it maps back. */
	if (mapped == __NR_SCMP_ERROR) return -1;
	return mapped;
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: libseccomp-harness RULES.txt | --version\n");
		return 2;
	}
	if (strcmp(argv[1], "--version") == 0) {
		const struct scmp_version *v = seccomp_version();
		if (v == NULL) fail_rc("seccomp_version", EINVAL);
		printf("%u.%u.%u\n", v->major, v->minor, v->micro);
		return 0;
	}
	FILE *in = fopen(argv[1], "r");
	if (in == NULL) fail_rc("open rules", errno);

	uint32_t arch = 0, def = 0, badarch = SCMP_ACT_KILL_PROCESS;
	int have_default = 0, optimize = 0;
	scmp_filter_ctx ctx = NULL;
	char line[MAX_LINE];
	int rc;

	while (fgets(line, sizeof line, in) != NULL) {
		line_no++;
		if (strchr(line, '\n') == NULL && !feof(in)) fail_msg("line too long", NULL);
		char *hash = strchr(line, '#');
		if (hash) *hash = '\0';
		char *save = NULL;
		char *word = strtok_r(line, " \t\r\n", &save);
		if (word == NULL) continue;
		if (strcmp(word, "arch") == 0 || strcmp(word, "default") == 0 || strcmp(word, "badarch") == 0 ||
		    strcmp(word, "optimize") == 0) {
			if (ctx != NULL) fail_msg("must come before the first rule:", word);
			char *value = strtok_r(NULL, " \t\r\n", &save);
			if (value == NULL) fail_msg("missing value for", word);
			if (strcmp(word, "arch") == 0) {
				if (strcmp(value, "x86_64") == 0) arch = SCMP_ARCH_X86_64;
				else if (strcmp(value, "aarch64") == 0) arch = SCMP_ARCH_AARCH64;
				else fail_msg("unknown arch", value);
			} else if (strcmp(word, "default") == 0) {
				def = parse_u32(value);
				have_default = 1;
			} else if (strcmp(word, "badarch") == 0) {
				badarch = parse_u32(value);
			} else {
				optimize = (int)parse_u32(value);
				if (optimize != 1 && optimize != 2) fail_msg("optimize must be 1 or 2, not", value);
			}
			continue;
		}
		if (strcmp(word, "rule") != 0) fail_msg("unknown directive", word);

		if (ctx == NULL) {
			if (arch == 0 || !have_default) fail_msg("arch and default must come before the first rule", NULL);
			ctx = seccomp_init(def);
			if (ctx == NULL) fail_rc("seccomp_init", EINVAL);
			uint32_t native = seccomp_arch_native();
			if (arch != native) {
				if ((rc = seccomp_arch_add(ctx, arch)) != 0) fail_rc("seccomp_arch_add", rc);
				if ((rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) != 0) fail_rc("seccomp_arch_remove", rc);
			}
			if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch)) != 0) fail_rc("seccomp_attr_set(ACT_BADARCH)", rc);
			if (optimize != 0 && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)optimize)) != 0)
				fail_rc("seccomp_attr_set(CTL_OPTIMIZE)", rc);
		}

		uint32_t action = parse_u32(strtok_r(NULL, " \t\r\n", &save));
		uint64_t nr64 = parse_u64(strtok_r(NULL, " \t\r\n", &save));
		if (nr64 > 0x7fffffffULL) fail_msg("syscall number out of range", NULL);
		struct scmp_arg_cmp conds[MAX_CONDS];
		unsigned int n = 0;
		char *tok;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			if (strcmp(tok, "cond") != 0) fail_msg("expected cond, got", tok);
			if (n == MAX_CONDS) fail_msg("more than 6 conditions", NULL);
			uint64_t arg = parse_u64(strtok_r(NULL, " \t\r\n", &save));
			if (arg > 5) fail_msg("argument index above 5", NULL);
			enum scmp_compare op = parse_op(strtok_r(NULL, " \t\r\n", &save));
			uint64_t value = parse_u64(strtok_r(NULL, " \t\r\n", &save));
			memset(&conds[n], 0, sizeof conds[n]);
			conds[n].arg = (unsigned int)arg;
			conds[n].op = op;
			if (op == SCMP_CMP_MASKED_EQ) {
				conds[n].datum_a = parse_u64(strtok_r(NULL, " \t\r\n", &save)); /* mask */
				conds[n].datum_b = value;
			} else {
				conds[n].datum_a = value;
			}
			n++;
		}
		int native_nr = native_number(arch, (int)nr64);
		if (native_nr == -1) {
			fprintf(stderr, "harness: unmapped %llu\n", (unsigned long long)nr64);
			continue;
		}
		char step[64];
		snprintf(step, sizeof step, "seccomp_rule_add_array(line %d)", line_no);
		if ((rc = seccomp_rule_add_array(ctx, action, native_nr, n, conds)) != 0) fail_rc(step, rc);
	}
	if (ferror(in)) fail_rc("read rules", errno);
	fclose(in);

	if (ctx == NULL) {
		/* No rules: still a valid filter that returns the default for everything. */
		if (arch == 0 || !have_default) fail_msg("arch and default are required", NULL);
		ctx = seccomp_init(def);
		if (ctx == NULL) fail_rc("seccomp_init", EINVAL);
		if (arch != seccomp_arch_native()) {
			if ((rc = seccomp_arch_add(ctx, arch)) != 0) fail_rc("seccomp_arch_add", rc);
			if ((rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) != 0) fail_rc("seccomp_arch_remove", rc);
		}
		if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch)) != 0) fail_rc("seccomp_attr_set(ACT_BADARCH)", rc);
		if (optimize != 0 && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)optimize)) != 0)
			fail_rc("seccomp_attr_set(CTL_OPTIMIZE)", rc);
	}
	if ((rc = seccomp_export_bpf(ctx, 1)) != 0) fail_rc("seccomp_export_bpf", rc);
	seccomp_release(ctx);
	return 0;
}
