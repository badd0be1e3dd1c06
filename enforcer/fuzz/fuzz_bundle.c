/*
 * libFuzzer harness for mxc-enforce's bundle loader (`make -C enforcer fuzz`, `make fuzz-run`).
 *
 * Each input is a bundle. It is digested (as main() does), loaded, and when the loader accepts it
 * the checks that read the bundle's strings without touching the filesystem's contents run too:
 * params with defaults (types, normalization, constraints), and every pattern (grants, carves,
 * excludes, masks) resolved against its ${param} root, parsed as a glob and matched against the
 * bundle's other patterns. die() returns here through fuzz_die (see MXC_FUZZ in mxc-enforce.c).
 *
 * Memory: load_bundle frees everything on refusal, and free_bundle everything it accepted, so
 * LeakSanitizer stays on and any allocation the loader or these checks lose is reported.
 */
#include "../mxc-enforce.c"

/* check_param may replace a param's value (canonical path, normalized integer); keep ownership straight. */
static void try_param(struct param *p) {
	jmp_buf env;
	char *before = p->value;
	fuzz_die = &env;
	if (setjmp(env) == 0) check_param(p);
	if (p->value != before) free(before);
}

static void try_pattern(const char *pattern, const char *against) {
	jmp_buf env;
	static char *resolved;
	resolved = NULL;
	fuzz_die = &env;
	if (setjmp(env) == 0) {
		resolved = resolve_pattern(pattern);
		struct glob g;
		if (glob_parse(resolved, &g) == 0) {
			glob_matches(&g, resolved);
			glob_matches(&g, against);
			glob_matches(&g, "/home/agent/.ssh/id_rsa");
		}
		free_glob(&g);
	}
	free(resolved);
}

static void try_patterns(const struct strlist *l, const char *against) {
	for (uint32_t i = 0; i < l->n; i++) try_pattern(l->v[i], against);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char err[256], digest[65];
	jmp_buf env;
	fuzz_die = &env; /* the loader itself only dies when an allocation fails */
	if (setjmp(env)) abort();
	sha256_hex(data, size, digest);
	if (load_bundle(data, size, &B, err) != 0) return 0;
	host_program();
	for (uint32_t i = 0; i < B.nparams; i++)
		if (B.params[i].value) try_param(&B.params[i]);
	/* Patterns are matched against a neighbour so that both sides come from the input. */
	const char *prev = "/";
	for (uint32_t i = 0; i < B.ngrants; i++) {
		const struct grant *g = &B.grants[i];
		try_pattern(g->pattern, prev);
		try_patterns(&g->carve, g->pattern);
		try_patterns(&g->exclude, g->pattern);
		prev = g->pattern;
	}
	for (uint32_t i = 0; i < B.nmasks; i++) try_pattern(B.masks[i].pattern, prev);
	free_bundle(&B);
	return 0;
}
