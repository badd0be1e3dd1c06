import type { Command } from 'commander';
import { compileFile } from '../../compiler/index.js';
import { DiagnosticError, hasErrors, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { collectParam, compileCompanion, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, parseFormat, printDiagnostics, type CommandContext } from '../context.js';

export function registerVerify(program: Command, ctx: CommandContext): void {
  program
    .command('verify')
    .description("prove the policy's assertions with z3; every failure comes with a concrete counterexample")
    .argument('<file>', 'policy file (.mxc)')
    .option('--param <name=value>', 'set a policy parameter, repeatable; the proof holds for these values (a path param without one stands for a directory of its own, disjoint from the paths the policy names)', collectParam)
    .option('--policy <name>', 'which policy to verify when the file declares several')
    .option('--baseline <old.mxc>', 'also prove the policy allows nothing the baseline policy denies')
    .option('--baseline-policy <name>', 'which policy of the baseline to compare with (default: the --policy one, when the baseline declares several)')
    .option('--format <format>', 'diagnostics as text or json', 'text')
    .addHelpText('after', `
Each assert is checked for every request it covers (unsat means it holds). A counterexample is
re-checked with the reference evaluator before it is shown.
Exit status: 0 every assertion holds, 1 a violated assertion or a policy error, 2 usage or I/O error.`)
    .action(async (file: string, opts: { param?: Record<string, string>; policy?: string; baseline?: string; baselinePolicy?: string; format: string }) => {
      const format = parseFormat(opts.format);
      const result = compileFile(file, { cwd: ctx.io.cwd, params: opts.param ?? {}, ...(opts.policy ? { policy: opts.policy } : {}) });
      if (!result.ir || hasErrors(result.diagnostics)) {
        printDiagnostics(ctx.io, result.diagnostics, result.sources, format);
        ctx.exit(result.diagnostics.some((d) => d.code === 'MXC0001') ? EXIT_USAGE : EXIT_FINDINGS);
        return;
      }
      let baseline: { ir: NonNullable<typeof result.ir>; name: string } | undefined;
      if (opts.baseline !== undefined) {
        const base = compileCompanion(opts.baseline, { cwd: ctx.io.cwd, params: opts.param ?? {} }, opts.baselinePolicy, opts.policy);
        if (!base.ir || hasErrors(base.diagnostics)) {
          printDiagnostics(ctx.io, base.diagnostics, base.sources, format);
          ctx.exit(base.diagnostics.some((d) => d.code === 'MXC0001') ? EXIT_USAGE : EXIT_FINDINGS);
          return;
        }
        baseline = { ir: base.ir, name: opts.baseline };
      }
      // The solver is loaded only here.
      const { verifyPolicy } = await import('../../verifier/index.js');
      let verified: Awaited<ReturnType<typeof verifyPolicy>>;
      try {
        verified = await verifyPolicy(result.ir, result.program, baseline);
      } catch (e) {
        // A policy the verifier cannot handle (MXC2005), in the format asked for.
        if (!(e instanceof DiagnosticError)) throw e;
        printDiagnostics(ctx.io, [...result.diagnostics, e.diagnostic as Diagnostic], result.sources, format);
        ctx.exit(EXIT_FINDINGS);
        return;
      }
      printDiagnostics(ctx.io, [...result.diagnostics, ...verified.diagnostics], result.sources, format);
      if (format === 'text') {
        const held = verified.results.filter((r) => r.holds).length;
        ctx.io.stderr(`${held} of ${verified.results.length} assertion${verified.results.length === 1 ? '' : 's'} hold\n`);
      }
      ctx.exit(hasErrors(verified.diagnostics) ? EXIT_FINDINGS : EXIT_OK);
    });
}
