import type { Command } from 'commander';
import * as path from 'node:path';
import { diagnostic, hasErrors } from '../../compiler/diagnostics/diagnostic.js';
import type { Arch } from '../../compiler/ir.js';
import { readInput } from '../../compiler/load.js';
import { describeSystemError, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, parseFormat, printDiagnostics, UsageError, type CommandContext } from '../context.js';
import { replaceFile } from '../replace-file.js';

/** Formats `mxcc import` reads; `mxc` (Microsoft Execution Containers configs) is planned. */
export const IMPORT_FORMATS = ['oci-seccomp'] as const;

function listOf(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function archesOf(value: string | undefined): Arch[] | undefined {
  if (value === undefined) return undefined;
  const list = listOf(value);
  for (const a of list) if (a !== 'x86_64' && a !== 'aarch64') throw new UsageError(`--arch takes x86_64 and/or aarch64 (got "${a}")`);
  if (list.length === 0) throw new UsageError('--arch needs at least one architecture');
  return list as Arch[];
}

export function registerImport(program: Command, ctx: CommandContext): void {
  program
    .command('import')
    .description("translate a peer's configuration into .mxc source (printed, or written with -o)")
    .argument('<format>', `what the file is: ${IMPORT_FORMATS.join(', ')}`)
    .argument('<file>', 'the file to import')
    .option('--caps <caps>', 'capabilities the container keeps, comma-separated (CAP_SYS_ADMIN or SYS_ADMIN); default none')
    .option('--arch <arches>', 'architectures to resolve the profile for: x86_64, aarch64 or both (default both)')
    .option('--name <name>', 'name of the imported policy (default: from the file name)')
    .option('-o, --output <file>', 'write the .mxc source to this file instead of stdout')
    .option('--format <format>', 'diagnostics as text or json', 'text')
    .addHelpText('after', `
Formats:
  oci-seccomp   a Docker/Podman seccomp profile or an OCI runtime-spec linux.seccomp object,
                read as Docker reads it (keys in any letter case): includes/excludes are
                resolved for --caps and --arch, archMap sub-architectures (i386, x32) are
                refused, names missing on an architecture become ?name, and rules that give one
                syscall different actions are reported (MXC1604). What mxcc cannot say exactly
                (a rule for one of two architectures, excludes.minKernel) is made stricter,
                never wider.

Examples:
  mxcc import oci-seccomp default.json > docker-default.mxc
  mxcc import oci-seccomp /usr/share/containers/seccomp.json --caps CAP_SYS_ADMIN -o podman.mxc
  mxcc import oci-seccomp profile.json --arch x86_64 --name build_sandbox -o build.mxc
  mxcc check docker-default.mxc && mxcc compile docker-default.mxc -t oci -o out/

Exit status: 0 imported, 1 errors in the file (invalid JSON, unknown action, bad comparison),
2 usage or I/O error (unknown format, unreadable file). Problems in the file are shown at their
file:line:col (text, json).`)
    .action(async (format: string, file: string, opts: { caps?: string; arch?: string; name?: string; output?: string; format: string }) => {
      const diagFormat = parseFormat(opts.format);
      if (!(IMPORT_FORMATS as readonly string[]).includes(format)) {
        throw new UsageError(`unknown import format "${format}"; supported: ${IMPORT_FORMATS.join(', ')}`);
      }
      const arches = archesOf(opts.arch);
      if (opts.name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.name)) throw new UsageError(`--name must be an identifier (letters, digits, _), got "${opts.name}"`);
      const read = readInput(path.resolve(ctx.io.cwd, file), file);
      if ('diagnostic' in read) {
        printDiagnostics(ctx.io, [read.diagnostic], new Map(), diagFormat);
        ctx.exit(read.io ? EXIT_USAGE : EXIT_FINDINGS);
        return;
      }
      const text = Buffer.from(read.bytes).toString('utf8');
      const sources = new Map([[file, text]]);
      const { importOciSeccomp, parseProfileJson } = await import('../../compiler/import/oci-seccomp.js');
      const parsed = parseProfileJson(text);
      if ('error' in parsed) {
        const span = { file, offset: parsed.offset, length: 1, line: parsed.line, column: parsed.column, endLine: parsed.line, endColumn: parsed.column + 1 };
        printDiagnostics(ctx.io, [diagnostic('MXC1605', `${file} is not valid JSON: ${parsed.error}`, { span })], sources, diagFormat);
        ctx.exit(EXIT_FINDINGS);
        return;
      }
      const result = importOciSeccomp(parsed.value, {
        file,
        text,
        ...(opts.caps !== undefined ? { caps: listOf(opts.caps) } : {}),
        ...(arches ? { arches } : {}),
        ...(opts.name !== undefined ? { policyName: opts.name } : {}),
      });
      printDiagnostics(ctx.io, result.diagnostics, sources, diagFormat);
      if (result.source === undefined || hasErrors(result.diagnostics)) {
        ctx.exit(EXIT_FINDINGS);
        return;
      }
      if (opts.output !== undefined) {
        try {
          replaceFile(path.resolve(ctx.io.cwd, opts.output), result.source);
        } catch (e) {
          printDiagnostics(ctx.io, [diagnostic('MXC0005', `cannot write ${opts.output}: ${describeSystemError(e)}`)], new Map(), diagFormat);
          ctx.exit(EXIT_USAGE);
          return;
        }
      } else if (diagFormat === 'text') {
        ctx.io.stdout(result.source);
      } else {
        // --format json prints the diagnostics on stdout; the source then needs -o.
        ctx.io.stderr('mxcc import: with --format json the source is written only with -o\n');
      }
      ctx.exit(EXIT_OK);
    });
}
