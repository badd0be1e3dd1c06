import type { Command } from 'commander';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../../compiler/index.js';
import type { PolicyIR } from '../../compiler/ir.js';
import { hasErrors } from '../../compiler/diagnostics/diagnostic.js';
import { IMPLEMENTED_TARGETS, loadTargets } from '../../targets/catalog.js';
import { collectParam, describeSystemError, EXIT_FINDINGS, EXIT_OK, IoError, parseFormat, printDiagnostics, UsageError, type CommandContext } from '../context.js';

export function registerCompile(program: Command, ctx: CommandContext): void {
  const names = IMPLEMENTED_TARGETS;
  program
    .command('compile')
    .description('compile a policy to backend artifacts with a manifest and fidelity report')
    .argument('<file>', 'policy file (.mxc)')
    .option('-t, --target <name>', `target to build, repeatable (${names.join(', ')}); default: ir, linux and every target the policy declares a block for`, (v: string, prev: string[] = []) => [...prev, v])
    .option('-o, --out <dir>', 'write artifacts and manifest.json into this directory (default: print a single target to stdout)')
    .option('--param <name=value>', 'set a policy parameter, repeatable', collectParam)
    .option('--policy <name>', 'which policy to compile when the file declares several')
    .option('--format <format>', 'diagnostics as text or json (JSON on stdout, or on stderr when stdout carries the artifact)', 'text')
    .addHelpText('after', `
Examples:
  mxcc compile corpus/coding-agent.mxc -o out/
  mxcc compile policy.mxc -t ir                      print the IR as JSON
  mxcc compile policy.mxc --param workspace=/src -o out/

Output is byte-identical for the same policy and flags.
Exit status: 0 compiled, 1 errors in the policy, 2 usage or I/O error.`)
    .action(async (file: string, opts: { target?: string[]; out?: string; param?: Record<string, string>; policy?: string; format: string }) => {
      const format = parseFormat(opts.format);
      for (const t of opts.target ?? []) {
        if (!names.includes(t)) throw new UsageError(`unknown target "${t}"; targets: ${names.join(', ')}`);
      }
      const result = compileFile(file, { cwd: ctx.io.cwd, params: opts.param ?? {}, ...(opts.policy ? { policy: opts.policy } : {}) });
      if (!result.ir || hasErrors(result.diagnostics)) {
        printDiagnostics(ctx.io, result.diagnostics, result.sources, format);
        ctx.exit(result.diagnostics.some((d) => d.code === 'MXC0001') ? 2 : EXIT_FINDINGS);
        return;
      }
      const targets = opts.target ?? defaultTargets(result.ir, names);
      const { assembleArtifacts } = await import('../../targets/artifacts.js');
      const built = assembleArtifacts(result.ir, await loadTargets(targets));
      // Without -o, stdout carries the artifact alone (one document): JSON diagnostics go to stderr.
      printDiagnostics(ctx.io, [...result.diagnostics, ...built.diagnostics], result.sources, format, opts.out || hasErrors(built.diagnostics) ? 'stdout' : 'stderr');
      if (hasErrors(built.diagnostics)) {
        ctx.exit(EXIT_FINDINGS);
        return;
      }
      if (!opts.out) {
        const only = built.files.filter((f) => f.path !== 'manifest.json');
        if (only.length !== 1) throw new UsageError(`${only.length} files were produced; pass -o DIR to write them, or one -t target`);
        const content = only[0]!.content;
        if (typeof content !== 'string') throw new UsageError(`${only[0]!.path} is binary; pass -o DIR to write it`);
        ctx.io.stdout(content);
        ctx.exit(EXIT_OK);
        return;
      }
      const out = opts.out;
      const outDir = path.resolve(ctx.io.cwd, out);
      const shown = (p: string): string => (path.isAbsolute(out) ? p : path.relative(ctx.io.cwd, p) || '.');
      for (const f of built.files) {
        const dest = path.join(outDir, f.path);
        try {
          ensureDirectory(path.dirname(dest), shown);
          writeFileSync(dest, f.content);
        } catch (e) {
          if (e instanceof IoError) throw new IoError(`cannot write to ${out}: ${e.message}`);
          if ((e as NodeJS.ErrnoException).code) throw new IoError(`cannot write to ${out}: ${shown(dest)}: ${describeSystemError(e)}`);
          throw e;
        }
      }
      if (format === 'text') {
        ctx.io.stderr(`compiled ${result.ir.name} → ${path.relative(ctx.io.cwd, outDir) || '.'}/ (${built.files.map((f) => f.path).join(', ')})\n`);
      }
      ctx.exit(EXIT_OK);
    });
}

/**
 * mkdir -p, one level at a time. Node 20's `mkdirSync(dir, { recursive: true })` never returns
 * for a path under /proc (it loops at 100% CPU), and its errors for an existing file in the way
 * (EEXIST, ENOTDIR) name no culprit; here a non-directory in the way is named.
 */
function ensureDirectory(dir: string, shown: (p: string) => string): void {
  let isDirectory: boolean | undefined;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new IoError(`${shown(dir)}: ${describeSystemError(e)}`);
  }
  if (isDirectory === false) throw new IoError(`${shown(dir)} is not a directory`);
  if (isDirectory) return;
  const parent = path.dirname(dir);
  if (parent !== dir) ensureDirectory(parent, shown);
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) return;
    throw new IoError(`cannot create directory ${shown(dir)}: ${describeSystemError(e)}`);
  }
}

/** Without -t: the IR, the linux bundle, and every implemented target the policy declares. */
export function defaultTargets(ir: PolicyIR, implemented: readonly string[]): string[] {
  return [...new Set(['ir', 'linux', ...Object.keys(ir.targets)])].filter((t) => implemented.includes(t));
}
