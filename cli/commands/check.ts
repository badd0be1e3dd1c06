import type { Command } from 'commander';
import { checkFiles } from '../../compiler/index.js';
import { hasErrors } from '../../compiler/diagnostics/diagnostic.js';
import { EXIT_FINDINGS, EXIT_OK, parseFormat, printDiagnostics, type CommandContext } from '../context.js';

export function registerCheck(program: Command, ctx: CommandContext): void {
  program
    .command('check')
    .description('parse and type-check policies, printing diagnostics')
    .argument('<files...>', 'policy files (.mxc)')
    .option('--format <format>', 'diagnostics as text or json', 'text')
    .addHelpText('after', '\nExit status: 0 no errors, 1 errors in a policy, 2 usage or I/O error.')
    .action((files: string[], opts: { format: string }) => {
      const format = parseFormat(opts.format);
      const result = checkFiles(files, { cwd: ctx.io.cwd });
      printDiagnostics(ctx.io, result.diagnostics, result.sources, format);
      const ioError = result.diagnostics.some((d) => d.code === 'MXC0001');
      if (format === 'text' && !hasErrors(result.diagnostics)) {
        ctx.io.stderr(`checked ${files.length} file${files.length === 1 ? '' : 's'} (${result.policies} polic${result.policies === 1 ? 'y' : 'ies'}): no errors\n`);
      }
      ctx.exit(ioError ? 2 : hasErrors(result.diagnostics) ? EXIT_FINDINGS : EXIT_OK);
    });
}
