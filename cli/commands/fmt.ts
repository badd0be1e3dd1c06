import type { Command } from 'commander';
import * as path from 'node:path';
import { diagnostic, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { readInput } from '../../compiler/load.js';
import { decodeSource } from '../../grammar/lexer.js';
import { fileStart } from '../../grammar/location.js';
import { describeSystemError, EXIT_FINDINGS, EXIT_OK, parseFormat, printDiagnostics, type CommandContext } from '../context.js';
import { replaceFile } from '../replace-file.js';

export function registerFmt(program: Command, ctx: CommandContext): void {
  program
    .command('fmt')
    .description('format policies in place with the mxcc Prettier plugin (or report unformatted files with --check)')
    .argument('<files...>', 'policy files (.mxc)')
    .option('--check', 'do not write; list files that are not formatted on stdout (with --format json: an MXC0006 finding each) and exit 1 if any')
    .option('--format <format>', 'diagnostics as text or json', 'text')
    .addHelpText('after', `
A file is replaced only once its formatted text is written in full (a temporary file beside it,
then a rename; mode, owner and symlinks kept), so a full disk leaves it as it was (MXC0005).
A file with syntax errors is never written.

Exit status: 0 all formatted, 1 unformatted files (--check) or syntax errors, 2 usage or I/O error.`)
    .action(async (files: string[], opts: { check?: boolean; format: string }) => {
      const format = parseFormat(opts.format);
      // Prettier is loaded only by this command, keeping check/compile start-up fast.
      const { formatWithPrettier } = await import('../../format/format.js');
      const { formatText } = await import('../../format/index.js');
      const diagnostics: Diagnostic[] = [];
      const sources = new Map<string, string>();
      const unformatted: string[] = [];
      let ioError = false;
      for (const file of files) {
        const abs = path.resolve(ctx.io.cwd, file);
        const read = readInput(abs, file);
        if ('diagnostic' in read) {
          diagnostics.push(read.diagnostic);
          ioError ||= read.io;
          continue;
        }
        const decoded = decodeSource(read.bytes, file);
        if ('diagnostic' in decoded) {
          diagnostics.push(decoded.diagnostic);
          continue;
        }
        sources.set(file, decoded.text);
        // Syntax errors are reported as diagnostics by our own front end; only clean files go through Prettier.
        const checked = formatText(decoded.text, file);
        if (checked.output === undefined) {
          diagnostics.push(...checked.diagnostics);
          continue;
        }
        const output = await formatWithPrettier(decoded.text, file);
        if (output === decoded.text) continue;
        if (opts.check) {
          unformatted.push(file);
          // JSON output is one document on stdout: the files are findings in it, not lines after it.
          if (format === 'json') diagnostics.push(diagnostic('MXC0006', `${file} is not formatted`, { span: fileStart(file), help: 'run mxcc fmt on it' }));
          continue;
        }
        try {
          replaceFile(abs, output);
          unformatted.push(file);
        } catch (e) {
          diagnostics.push(diagnostic('MXC0005', `cannot write ${file}: ${describeSystemError(e)}`, { help: 'the file is left as it was' }));
          ioError = true;
        }
      }
      printDiagnostics(ctx.io, diagnostics, sources, format);
      if (opts.check) {
        if (format === 'text') for (const f of unformatted) ctx.io.stdout(`${f}\n`);
        if (unformatted.length > 0) ctx.io.stderr(`${unformatted.length} file${unformatted.length === 1 ? ' is' : 's are'} not formatted; run mxcc fmt to fix\n`);
      } else if (unformatted.length > 0 && format === 'text') {
        ctx.io.stderr(`formatted ${unformatted.length} file${unformatted.length === 1 ? '' : 's'}\n`);
      }
      ctx.exit(ioError ? 2 : diagnostics.some((d) => d.severity === 'error') || (opts.check && unformatted.length > 0) ? EXIT_FINDINGS : EXIT_OK);
    });
}
