import type { Command } from 'commander';
import { compileFile } from '../../compiler/index.js';
import { DiagnosticError, hasErrors } from '../../compiler/diagnostics/diagnostic.js';
import { collectParam, compileCompanion, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, parseFormat, printDiagnostics, type CommandContext } from '../context.js';

export function registerDiff(program: Command, ctx: CommandContext): void {
  program
    .command('diff')
    .description('semantic difference of two policies: per section, a request newly allowed and one newly denied')
    .argument('<old>', 'the policy before (.mxc)')
    .argument('<new>', 'the policy after (.mxc)')
    .option('--param <name=value>', 'set a parameter in both policies, repeatable', collectParam)
    .option('--policy <name>', 'which policy to compare when a file declares several (in <old> too, if it declares several)')
    .option('--old-policy <name>', 'which policy of <old> to compare, when it is not the --policy one')
    .option('--format <format>', 'text or json', 'text')
    .addHelpText('after', `
Each section (fs, net, syscalls) is equivalent, less permissive, more permissive or incomparable,
with a concrete witness request for each direction, checked against both policies. A last section,
settings, lists every change outside the requests: environment variables passed through, kept
capabilities, isolation, limits and desktop access (JSON: arrays of changes).
Exit status: 0 the comparison ran, 1 a policy has errors, 2 usage or I/O error.`)
    .action(async (oldFile: string, newFile: string, opts: { param?: Record<string, string>; policy?: string; oldPolicy?: string; format: string }) => {
      const format = parseFormat(opts.format);
      const before = compileCompanion(oldFile, { cwd: ctx.io.cwd, params: opts.param ?? {} }, opts.oldPolicy, opts.policy);
      const after = compileFile(newFile, { cwd: ctx.io.cwd, params: opts.param ?? {}, ...(opts.policy !== undefined ? { policy: opts.policy } : {}) });
      const problems = [...before.diagnostics, ...after.diagnostics];
      if (!before.ir || !after.ir || hasErrors(problems)) {
        printDiagnostics(ctx.io, problems, new Map([...before.sources, ...after.sources]), format);
        ctx.exit(problems.some((d) => d.code === 'MXC0001') ? EXIT_USAGE : EXIT_FINDINGS);
        return;
      }
      const { diffPolicies, diffSettings } = await import('../../verifier/diff.js');
      let sections: Awaited<ReturnType<typeof diffPolicies>>;
      try {
        sections = await diffPolicies(before.ir, after.ir);
      } catch (e) {
        // A pair the verifier cannot handle (MXC2005), in the format asked for.
        if (!(e instanceof DiagnosticError)) throw e;
        printDiagnostics(ctx.io, [e.diagnostic], new Map([...before.sources, ...after.sources]), format);
        ctx.exit(EXIT_FINDINGS);
        return;
      }
      const settings = diffSettings(before.ir, after.ir);
      if (format === 'json') {
        const requests = sections.map((s) => ({ section: s.section, comparison: s.comparison, newlyAllowed: s.newlyAllowed?.display, newlyDenied: s.newlyDenied?.display }));
        ctx.io.stdout(JSON.stringify([...requests, settings], null, 2) + '\n');
      } else {
        let out = '';
        for (const s of sections) {
          out += `${s.section.padEnd(9)} ${s.comparison}\n`;
          if (s.newlyAllowed) out += `  + newly allowed: ${s.newlyAllowed.display}\n`;
          if (s.newlyDenied) out += `  - newly denied:  ${s.newlyDenied.display}\n`;
        }
        out += `${'settings'.padEnd(9)} ${settings.comparison}\n`;
        for (const a of settings.newlyAllowed) out += `  + newly allowed: ${a}\n`;
        for (const d of settings.newlyDenied) out += `  - newly denied:  ${d}\n`;
        ctx.io.stdout(out);
      }
      ctx.exit(EXIT_OK);
    });
}
