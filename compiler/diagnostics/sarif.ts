/**
 * SARIF 2.1.0 output as GitHub code scanning reads it: one run, the tool's rules (one per
 * diagnostic code that appears), results with a stable ruleId, level, message, the primary
 * location relative to the repository root (`repositoryRoot`), related locations, and partial
 * fingerprints so re-uploads do not duplicate alerts (nor merge distinct ones).
 *
 * The diagnostics' span files are expected relative to that root (the lint command compiles with
 * the root as its working directory), so that URIs, messages and fingerprints are the same from
 * whatever directory mxcc runs.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CODES, type Code, type Severity } from './codes.js';
import type { Diagnostic } from './diagnostic.js';
import { fileStart, type Span } from '../../grammar/location.js';

/** The nearest directory at or above `cwd` with a `.git` (a directory, or a worktree's file); else `cwd`. */
export function repositoryRoot(cwd: string, exists: (p: string) => boolean = existsSync): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (exists(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(cwd);
  }
}

/** A span file (relative to the root) outside the root: `../…` or absolute. */
function outsideRoot(file: string): boolean {
  const f = file.split('\\').join('/');
  return f === '..' || f.startsWith('../') || path.isAbsolute(file);
}

/**
 * Every code-scanning alert needs a location in the repository. For one linted file: a diagnostic
 * with no span (a file that cannot be read, the policy as a whole, too many diagnostics) points at
 * the top of `entry`; one located outside the root (a rule of the standard library shipped with
 * mxcc) points there too and says in its message where it is; related locations outside the root
 * are named in the message instead. `label` names such a file (e.g. `std/linux-runtime.mxc`).
 */
export function placeForCodeScanning(diagnostics: readonly Diagnostic[], entry: string, label: (file: string) => string = (f) => f): Diagnostic[] {
  const top = fileStart(entry);
  const at = (span: Span): string => `${label(span.file)}:${span.line}:${span.column}`;
  return diagnostics.map((d) => {
    let message = d.message;
    let span = d.span ?? top;
    if (outsideRoot(span.file) && !outsideRoot(entry)) {
      message += ` (at ${at(span)})`;
      span = top;
    }
    const kept = (d.related ?? []).filter((r) => !outsideRoot(r.span.file));
    const moved = (d.related ?? []).filter((r) => outsideRoot(r.span.file));
    if (moved.length > 0) message += ` (${moved.map((r) => `${r.message ? `${r.message} ` : ''}at ${at(r.span)}`).join('; ')})`;
    const placed: Diagnostic = { ...d, message, span };
    if (kept.length > 0) placed.related = kept;
    else delete placed.related;
    return placed;
  });
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', note: 'note' };

function region(span: Span): Record<string, number> {
  return { startLine: span.line, startColumn: span.column, endLine: span.endLine, endColumn: Math.max(span.endColumn, span.column) };
}

/**
 * A file relative to the repository root as a relative URI reference against `%SRCROOT%`, each
 * segment percent-encoded (RFC 3986: `my policy#1.mxc` is `my%20policy%231.mxc`). A file outside
 * the root (only when the linted file itself is) gets an absolute `file:` URI.
 */
function artifactLocation(file: string, root: string): Record<string, string> {
  if (outsideRoot(file)) return { uri: pathToFileURL(path.resolve(root, file)).href };
  return { uri: file.split(/[\\/]/).filter((s) => s !== '' && s !== '.').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

function location(span: Span, root: string, message?: string): Record<string, unknown> {
  const loc: Record<string, unknown> = { physicalLocation: { artifactLocation: artifactLocation(span.file, root), region: region(span) } };
  if (message) loc.message = { text: message };
  return loc;
}

/** The source text a span covers, whitespace collapsed (the rule a finding blames). */
function spannedText(span: Span | undefined, sources: ReadonlyMap<string, string> | undefined): string {
  if (!span) return '';
  return (sources?.get(span.file) ?? '').slice(span.offset, span.offset + span.length).replace(/\s+/g, ' ').trim();
}

/**
 * `ruleHelp` adds a longer explanation per code (the lints' rationales), shown by code scanning
 * as the rule's help next to each alert. `root` is the repository root the span files are relative
 * to (default: the working directory), `sources` the texts by span file (for fingerprints).
 */
export function renderSarif(
  diagnostics: readonly Diagnostic[],
  tool: { version: string; helpUri?: string; ruleHelp?: Readonly<Partial<Record<Code, string>>>; root?: string; sources?: ReadonlyMap<string, string> },
): string {
  const root = tool.root ?? process.cwd();
  const seen = new Map<string, number>();
  const codes = [...new Set(diagnostics.map((d) => d.code))].sort() as Code[];
  const rules = codes.map((code) => {
    const more = tool.ruleHelp?.[code];
    const seeAlso = `See docs/error-codes.md (${code}).`;
    return {
      id: code,
      name: CODES[code].title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')),
      shortDescription: { text: CODES[code].title },
      ...(more ? { fullDescription: { text: more } } : {}),
      help: { text: more ? `${more} ${seeAlso}` : seeAlso },
      defaultConfiguration: { level: LEVEL[CODES[code].severity] },
    };
  });
  const results = diagnostics.map((d) => {
    const result: Record<string, unknown> = {
      ruleId: d.code,
      ruleIndex: codes.indexOf(d.code),
      level: LEVEL[d.severity],
      message: { text: d.message + (d.counterexample !== undefined ? ` (counterexample: ${String(d.counterexample)})` : '') + (d.help ? `. Help: ${d.help}` : '') },
    };
    if (d.span) result.locations = [location(d.span, root)];
    if (d.related?.length) result.relatedLocations = d.related.map((r, i) => ({ id: i + 1, ...location(r.span, root, r.message) }));
    // Stable across re-runs, line moves and working directories: the code, the file relative to
    // the root, the message and the text of the rule it blames; findings alike in all of these
    // are told apart by their order.
    const key = `${d.code}\0${d.span?.file ?? ''}\0${d.message}\0${spannedText(d.span, tool.sources)}`;
    const occurrence = (seen.get(key) ?? 0) + 1;
    seen.set(key, occurrence);
    result.partialFingerprints = {
      'mxccFinding/v2': createHash('sha256').update(`${key}\0${occurrence}`).digest('hex').slice(0, 32),
    };
    return result;
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'mxcc', version: tool.version, informationUri: tool.helpUri ?? 'https://github.com/mxcc/mxcc', rules } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
