import type { Command } from 'commander';
import * as path from 'node:path';
import { compileFile } from '../../compiler/index.js';
import { DiagnosticError, severityAtLeast, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { Severity } from '../../compiler/diagnostics/codes.js';
import { STD_DIR } from '../../compiler/load.js';
import { MXCC_VERSION } from '../../compiler/version.js';
import { EXIT_FINDINGS, EXIT_OK, printDiagnostics, UsageError, type CommandContext } from '../context.js';

export function registerLint(program: Command, ctx: CommandContext): void {
  program
    .command('lint')
    .description('the CI entry point: type-check, prove assertions and run the over-permission lints')
    .argument('<files...>', 'policy files (.mxc)')
    .option('--format <format>', 'text, json or sarif (SARIF 2.1.0 for code scanning)', 'text')
    .option('--fail-on <severity>', 'exit 1 when a finding is at least this severe: error, warning or note', 'error')
    .option('--policy <name>', 'which policy to lint when a file declares several (applies to every file)')
    .addHelpText('after', `
Lints are listed in docs/lints.md. Every finding carries a concrete request, re-checked by the
reference evaluator, and points at the rule that allows it. The compiled Linux artifacts are
validated too: each seccomp program (MXC2003) must return what the policy decides on every call
(allow or refuse, and which errno, kill, trap or log), and the Landlock plan (MXC2004) must allow
nothing the policy denies. Each file is linted on its own: its findings and counterexamples are
the same whatever other files the run lints. A finding about the policy as a whole (the syscall default, a
dangerous syscall no rule names, a compiled program) points at the policy's header (\`policy name\`).
SARIF locations are relative to the repository root (the nearest directory at or above the
working directory with a .git, else the working directory), so the log is the same from any
directory; every result has a location in the repository.
Exit status: 0 no finding at or above --fail-on, 1 findings or policy errors, 2 usage or I/O error.`)
    .action(async (files: string[], opts: { format: string; failOn: string; policy?: string }) => {
      const format = opts.format;
      if (format !== 'text' && format !== 'json' && format !== 'sarif') throw new UsageError(`--format must be text, json or sarif (got "${format}")`);
      const failOn = opts.failOn as Severity;
      if (!['error', 'warning', 'note'].includes(failOn)) throw new UsageError(`--fail-on must be error, warning or note (got "${opts.failOn}")`);
      const { freshContext, preloadZ3, tick } = await import('../../verifier/z3.js');
      preloadZ3();
      const { lintAll, policySpan } = await import('../../verifier/lint.js');
      let linted = 0;
      const all: Diagnostic[] = [];
      const sources = new Map<string, string>();
      let ioError = false;
      // SARIF locations are relative to the repository root: paths are shown relative to it, so
      // that URIs, messages and fingerprints do not depend on the working directory.
      const { repositoryRoot, placeForCodeScanning } = await import('../../compiler/diagnostics/sarif.js');
      const root = format === 'sarif' ? repositoryRoot(ctx.io.cwd) : ctx.io.cwd;
      const stdLabel = (file: string): string => {
        const rel = path.relative(STD_DIR(), path.resolve(root, file));
        return rel.startsWith('..') || path.isAbsolute(rel) ? file : `std/${rel.split(path.sep).join('/')}`;
      };
      for (const file of files) {
        const entry = path.relative(root, path.resolve(ctx.io.cwd, file)).split(path.sep).join('/');
        // A file that cannot be read is named as typed; in SARIF relative to the root, so that
        // messages (and so fingerprints) are the same from any working directory.
        const entryName = format === 'sarif' ? entry : file;
        const result = compileFile(path.resolve(ctx.io.cwd, file), { cwd: root, entryName, ...(opts.policy !== undefined ? { policy: opts.policy } : {}) });
        for (const [k, v] of result.sources) sources.set(k, v);
        // Code scanning needs a location in the repository for every alert (see placeForCodeScanning).
        const placed = (ds: readonly Diagnostic[]): Diagnostic[] => (format === 'sarif' ? placeForCodeScanning(ds, entry, stdLabel) : [...ds]);
        all.push(...placed(result.diagnostics));
        if (result.diagnostics.some((d) => d.code === 'MXC0001')) ioError = true;
        if (!result.ir) continue;
        if (format === 'text') ctx.io.stderr(`linting ${file}…\n`);
        // Each policy in a z3 context of its own: its counterexamples do not depend on the files
        // linted before it.
        if (linted++ > 0) await freshContext();
        await tick(); // z3 goes on loading: its module may have been compiled by now
        let found: Diagnostic[];
        try {
          found = await lintAll(result.ir, result.program);
        } catch (e) {
          // A policy the verifier cannot handle (MXC2005) is a finding of its file; the others are still linted.
          if (!(e instanceof DiagnosticError)) throw e;
          found = [{ ...e.diagnostic, span: e.diagnostic.span ?? policySpan(result.ir, result.program) }];
        }
        all.push(...placed(found));
      }
      if (format === 'sarif') {
        const { LINTS } = await import('../../verifier/lints/index.js');
        const { renderSarif } = await import('../../compiler/diagnostics/sarif.js');
        ctx.io.stdout(renderSarif(all, { version: MXCC_VERSION, root, sources, ruleHelp: Object.fromEntries(LINTS.map((l) => [l.code, `${l.title}: ${l.rationale}`])) }));
      } else printDiagnostics(ctx.io, all, sources, format);
      if (format === 'text' && all.length === 0) ctx.io.stderr(`${files.length} file${files.length === 1 ? '' : 's'}: no findings\n`);
      ctx.exit(ioError ? 2 : all.some((d) => severityAtLeast(d.severity, failOn)) ? EXIT_FINDINGS : EXIT_OK);
    });
}
