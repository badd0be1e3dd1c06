import type { Span } from '../../grammar/location.js';
import { CODES, type Code, type Severity } from './codes.js';

export interface RelatedSpan {
  span: Span;
  message: string;
}

/** The one diagnostic type of mxcc: a stable code, a message, where, and how to fix it. */
export interface Diagnostic {
  code: Code;
  severity: Severity;
  message: string;
  span?: Span;
  related?: RelatedSpan[];
  help?: string;
  /** A concrete request that demonstrates a verifier finding, already re-checked by the reference evaluator. */
  counterexample?: unknown;
}

export interface DiagnosticInput {
  span?: Span | undefined;
  related?: RelatedSpan[] | undefined;
  help?: string | undefined;
  severity?: Severity;
}

export function diagnostic(code: Code, message: string, extra: DiagnosticInput = {}): Diagnostic {
  const d: Diagnostic = { code, severity: extra.severity ?? CODES[code].severity, message };
  if (extra.span) d.span = extra.span;
  if (extra.related && extra.related.length > 0) d.related = extra.related;
  if (extra.help) d.help = extra.help;
  return d;
}

/**
 * A diagnostic that stops a library call midway (a resource limit of the verifier), thrown so
 * every caller stops; the CLI prints it as any other diagnostic, not as an internal error.
 */
export class DiagnosticError extends Error {
  override readonly name = 'DiagnosticError';
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export const DEFAULT_DIAGNOSTIC_CAP = 50;

/**
 * Collects diagnostics rather than throwing, and stops a flood: past the cap,
 * one MXC0004 note is kept and the rest dropped.
 */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  private dropped = 0;

  constructor(private readonly cap = DEFAULT_DIAGNOSTIC_CAP) {}

  add(d: Diagnostic): void {
    if (this.items.length >= this.cap) {
      this.dropped++;
      return;
    }
    this.items.push(d);
  }

  report(code: Code, message: string, extra: DiagnosticInput = {}): void {
    this.add(diagnostic(code, message, extra));
  }

  addAll(ds: Iterable<Diagnostic>): void {
    for (const d of ds) this.add(d);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  /** Sorted by file, position, then code, with the overflow note last: stable numbering across runs. */
  sorted(): Diagnostic[] {
    const out = [...this.items].sort(compareDiagnostics);
    if (this.dropped > 0) {
      out.push(diagnostic('MXC0004', `${this.dropped} more diagnostic(s) not shown`, {
        help: `only the first ${this.cap} are reported; fix these and run again`,
      }));
    }
    return out;
  }
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const fa = a.span?.file ?? '';
  const fb = b.span?.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  const oa = a.span?.offset ?? -1;
  const ob = b.span?.offset ?? -1;
  if (oa !== ob) return oa - ob;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

const LEVELS: Record<Severity, number> = { note: 0, warning: 1, error: 2 };

export function severityAtLeast(s: Severity, threshold: Severity): boolean {
  return LEVELS[s] >= LEVELS[threshold];
}
