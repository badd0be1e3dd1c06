/**
 * Loading a policy and everything it imports. Imports resolve relative to the
 * importing file; `std/...` falls back to the standard library shipped in corpus/std.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '../grammar/index.js';
import type { Document } from '../grammar/ast.js';
import type { Span } from '../grammar/location.js';
import { decodeSource, MAX_SOURCE_BYTES, tooLarge } from '../grammar/lexer.js';
import { diagnostic, type Diagnostic } from './diagnostics/diagnostic.js';

/**
 * File access, injectable for tests. `undefined` means the file does not exist. A file that
 * cannot be read throws an error with a `code`: a system error's (`EACCES`), `EISDIR`,
 * `ENOTREG` (a device, a FIFO, a socket: `kind` says which) or `EFBIG` (over the size limit;
 * `size` in bytes when known).
 */
export interface SourceHost {
  readFile(absPath: string): Uint8Array | undefined;
}

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'a special file';
}

function refuseUnlessRegular(st: Stats): void {
  if (st.isFile()) return;
  if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG', kind: fileKind(st) });
}

export const nodeHost: SourceHost = {
  readFile(absPath) {
    // Only regular files, and at most one byte past the size limit: a device such as /dev/zero,
    // or a FIFO with no writer, would otherwise be read (or waited on) forever. Checked before
    // opening (opening some devices has effects of its own) and again on the open file, which
    // O_NONBLOCK keeps from waiting on a FIFO that replaced it meanwhile.
    const st = statSync(absPath, { throwIfNoEntry: false });
    if (st === undefined) return undefined;
    refuseUnlessRegular(st);
    const fd = openSync(absPath, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const opened = fstatSync(fd);
      refuseUnlessRegular(opened);
      if (opened.size > MAX_SOURCE_BYTES) throw Object.assign(new Error('file too large'), { code: 'EFBIG', size: opened.size });
      // The size may be wrong (files in /proc say 0): read until the end, never past the limit.
      // The buffer starts at the stated size (plus one byte to see the end) and grows only if
      // more comes: a 4 MiB buffer per file would be 1,024 fresh pages touched for every import.
      let buf = Buffer.allocUnsafe(Math.min(opened.size, MAX_SOURCE_BYTES) + 1);
      let n = 0;
      for (let got = -1; got !== 0 && n <= MAX_SOURCE_BYTES; n += got) {
        if (n === buf.length) {
          const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_SOURCE_BYTES + 1));
          buf.copy(bigger, 0, 0, n);
          buf = bigger;
        }
        got = readSync(fd, buf, n, buf.length - n, null);
      }
      if (n > MAX_SOURCE_BYTES) throw Object.assign(new Error('file too large'), { code: 'EFBIG' });
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  },
};

/**
 * The diagnostic for a file that `SourceHost.readFile` refused: MXC0002 over the size limit (at
 * `display`), else MXC0001 naming the file as `name` (as the user typed it), at `span` if any.
 */
export function readFailure(e: unknown, display: string, name: string, span?: Span): Diagnostic {
  const err = e as NodeJS.ErrnoException & { kind?: string; size?: number };
  const code = err.code ?? 'EIO';
  if (code === 'EFBIG') return tooLarge(display, err.size);
  const why = code === 'EISDIR' ? 'it is a directory' : code === 'ENOTREG' ? `it is ${err.kind ?? 'a special file'}, not a regular file` : code;
  return diagnostic('MXC0001', `cannot read ${name}: ${why}`, { span, help: code === 'EACCES' ? 'check the file permissions' : undefined });
}

/**
 * A file a command reads itself (fmt, import), under the loader's rules: regular files only, at
 * most MAX_SOURCE_BYTES (a device such as /dev/zero or a FIFO is refused, never read forever).
 * `name` is the file as the user typed it. `io` tells an I/O error (exit 2) from a file too large.
 */
export function readInput(absPath: string, name: string, host: SourceHost = nodeHost): { bytes: Uint8Array } | { diagnostic: Diagnostic; io: boolean } {
  try {
    const bytes = host.readFile(absPath);
    if (bytes === undefined) return { diagnostic: diagnostic('MXC0001', `cannot read ${name}: no such file`), io: true };
    return { bytes };
  } catch (e) {
    const d = readFailure(e, name, name);
    return { diagnostic: d, io: d.code === 'MXC0001' };
  }
}

/** The package's root directory (where corpus/ and schemas/ live), from dist/compiler or compiler/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'corpus'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

export const STD_DIR = (): string => path.join(packageRoot(), 'corpus', 'std');

export interface LoadedFile {
  absPath: string;
  /** Shown in diagnostics: relative to the working directory. */
  display: string;
  /** Recorded in the IR: relative to the entry file's directory, so artifacts do not depend on where mxcc ran. */
  irName: string;
  text?: string;
  document?: Document;
  imports: string[];
}

export interface Program {
  entry: string;
  files: Map<string, LoadedFile>;
  diagnostics: Diagnostic[];
  /** Source texts keyed by display name, for code frames. */
  sources: Map<string, string>;
}

/** Parsed files shared between loads (checking many files that import the same bases). */
export type ParseCache = Map<string, { text?: string; document?: Document; diagnostics: Diagnostic[] } | 'missing'>;

export interface LoadOptions {
  host?: SourceHost;
  parseCache?: ParseCache;
  cwd?: string;
  stdDir?: string;
  /** The entry file as the user named it, for messages about it (default: the path given). */
  entryName?: string;
}

function slash(p: string): string {
  return p.split(path.sep).join('/');
}

export function loadProgram(entryPath: string, options: LoadOptions = {}): Program {
  const host = options.host ?? nodeHost;
  const cwd = options.cwd ?? process.cwd();
  const stdDir = options.stdDir ?? STD_DIR();
  const entry = path.resolve(cwd, entryPath);
  const entryDir = path.dirname(entry);
  const program: Program = { entry, files: new Map(), diagnostics: [], sources: new Map() };
  const display = (abs: string): string => slash(path.relative(cwd, abs) || path.basename(abs));
  const irName = (abs: string): string => {
    const relStd = path.relative(stdDir, abs);
    if (!relStd.startsWith('..') && !path.isAbsolute(relStd) && !abs.startsWith(entryDir + path.sep)) return 'std/' + slash(relStd);
    return slash(path.relative(entryDir, abs));
  };

  // A file that cannot be read is named as the user wrote it (the argument, the import's string),
  // not as a path relative to the working directory ("cannot read /tmp", not "../..").
  const visit = (abs: string, stack: string[], importedFrom?: { file: LoadedFile; span: Diagnostic['span']; spec: string }): void => {
    const cycleAt = stack.indexOf(abs);
    if (cycleAt >= 0) {
      const chain = [...stack.slice(cycleAt), abs].map((f) => program.files.get(f)?.display ?? display(f)).join(' → ');
      program.diagnostics.push(diagnostic('MXC1301', `import cycle ${chain}`, { span: importedFrom?.span, help: 'remove one of the imports; shared rules can move to a third file' }));
      return;
    }
    if (program.files.has(abs)) return;
    const file: LoadedFile = { absPath: abs, display: display(abs), irName: irName(abs), imports: [] };
    program.files.set(abs, file);
    const cached = options.parseCache?.get(abs);
    if (cached !== undefined && cached !== 'missing') {
      if (cached.text !== undefined) {
        file.text = cached.text;
        program.sources.set(file.display, cached.text);
      }
      program.diagnostics.push(...cached.diagnostics);
      if (!cached.document) return;
      file.document = cached.document;
      for (const imp of cached.document.imports) {
        const target = resolveImport(abs, imp.path.value, host, stdDir);
        file.imports.push(target);
        visit(target, [...stack, abs], { file, span: imp.path.span, spec: imp.path.value });
      }
      return;
    }
    let bytes: Uint8Array | undefined;
    try {
      bytes = host.readFile(abs);
    } catch (e) {
      program.diagnostics.push(readFailure(e, file.display, importedFrom?.spec ?? options.entryName ?? entryPath, importedFrom?.span));
      return;
    }
    if (bytes === undefined) {
      if (importedFrom) {
        program.diagnostics.push(diagnostic('MXC1302', `import not found: ${file.display}`, {
          span: importedFrom.span,
          help: 'imports are resolved relative to the importing file; the standard library is available as "std/<name>.mxc"',
        }));
      } else {
        program.diagnostics.push(diagnostic('MXC0001', `cannot read ${options.entryName ?? entryPath}: no such file`));
      }
      program.files.delete(abs);
      return;
    }
    const decoded = decodeSource(bytes, file.display);
    if ('diagnostic' in decoded) {
      program.diagnostics.push(decoded.diagnostic);
      return;
    }
    file.text = decoded.text;
    program.sources.set(file.display, decoded.text);
    const parsed = parse(decoded.text, file.display);
    program.diagnostics.push(...parsed.diagnostics);
    options.parseCache?.set(abs, { text: decoded.text, ...(parsed.document ? { document: parsed.document } : {}), diagnostics: parsed.diagnostics });
    if (!parsed.document) return;
    file.document = parsed.document;
    for (const imp of parsed.document.imports) {
      const target = resolveImport(abs, imp.path.value, host, stdDir);
      file.imports.push(target);
      visit(target, [...stack, abs], { file, span: imp.path.span, spec: imp.path.value });
    }
  };
  visit(entry, []);
  return program;
}

function resolveImport(fromAbs: string, spec: string, host: SourceHost, stdDir: string): string {
  const local = path.resolve(path.dirname(fromAbs), spec);
  if (spec.startsWith('std/') && !exists(host, local)) return path.resolve(stdDir, spec.slice(4));
  return local;
}

function exists(host: SourceHost, abs: string): boolean {
  try {
    return host.readFile(abs) !== undefined;
  } catch {
    return true;
  }
}
