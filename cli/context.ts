/** Shared rendering for commands: diagnostics to stderr (text) or stdout (json), exit codes. */
import { renderJson, renderText, shouldUseColor, summaryLine } from '../compiler/diagnostics/render.js';
import type { Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { compileFile, type CompileResult } from '../compiler/index.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

export type OutputFormat = 'text' | 'json';

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): Io {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * Text diagnostics go to stderr with a summary; JSON goes to stdout as one array, or to stderr
 * when stdout carries something else (`compile` printing an artifact).
 */
export function printDiagnostics(io: Io, diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>, format: OutputFormat, jsonTo: 'stdout' | 'stderr' = 'stdout'): void {
  if (format === 'json') {
    io[jsonTo](renderJson(diagnostics));
    return;
  }
  if (diagnostics.length === 0) return;
  const color = shouldUseColor({ isTTY: io.stderrIsTTY }, io.env);
  io.stderr(renderText(diagnostics, sources, { color }) + '\n' + summaryLine(diagnostics) + '\n');
}

export class UsageError extends Error {}

/** A file the command must read or write cannot be: exit 2 with the message, not an internal error. */
export class IoError extends Error {}

/** "no such file or directory (ENOENT)" from a Node system error; other errors' messages as they are. */
export function describeSystemError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (!err.code) return String(err.message ?? e);
  const text = /^[A-Z0-9_]+: ([^,]+)/.exec(err.message)?.[1] ?? err.message;
  return `${text} (${err.code})`;
}

export function parseFormat(value: string): OutputFormat {
  if (value !== 'text' && value !== 'json') throw new UsageError(`--format must be text or json (got "${value}")`);
  return value;
}

/** `--param k=v` values collected into a record; a repeated key is a usage error. */
export function collectParam(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param expects name=value (got "${value}")`);
  const key = value.slice(0, eq);
  if (key in previous) throw new UsageError(`--param ${key} is given twice`);
  return { ...previous, [key]: value.slice(eq + 1) };
}

export interface CommandContext {
  io: Io;
  /** Set the process exit code for this run (the highest value wins). */
  exit: (code: number) => void;
}

/**
 * Compiles a second file (a baseline, diff's old policy) with a policy name given for another
 * file: `explicit` must exist in it; `inherited` (the --policy of the main file) is used only
 * when the file declares several policies, so that a one-policy baseline still works as it is.
 */
export function compileCompanion(file: string, options: { cwd: string; params: Record<string, string> }, explicit: string | undefined, inherited: string | undefined): CompileResult {
  if (explicit !== undefined) return compileFile(file, { ...options, policy: explicit });
  const plain = compileFile(file, options);
  if (inherited === undefined || !plain.diagnostics.some((d) => d.code === 'MXC1307')) return plain;
  return compileFile(file, { ...options, policy: inherited });
}
