import { LineMap } from '../../grammar/location.js';
import type { Diagnostic } from './diagnostic.js';

/** Source texts by file name, so a renderer can print code frames. */
export type SourceTexts = ReadonlyMap<string, string>;

export interface TextRenderOptions {
  color?: boolean;
}

const STYLE = {
  error: '\x1b[1;31m',
  warning: '\x1b[1;33m',
  note: '\x1b[1;36m',
  bold: '\x1b[1m',
  blue: '\x1b[1;34m',
  reset: '\x1b[0m',
};

/** Color only on a TTY, and never when NO_COLOR is set (https://no-color.org). */
export function shouldUseColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

export function renderText(diagnostics: readonly Diagnostic[], sources: SourceTexts, options: TextRenderOptions = {}): string {
  return diagnostics.map((d) => renderOne(d, sources, options.color === true)).join('\n');
}

function renderOne(d: Diagnostic, sources: SourceTexts, color: boolean): string {
  const paint = (style: string, s: string): string => (color ? style + s + STYLE.reset : s);
  const lines: string[] = [];
  lines.push(`${paint(STYLE[d.severity], `${d.severity}[${d.code}]`)}${paint(STYLE.bold, `: ${d.message}`)}`);
  if (d.span) {
    const { file, line, column } = d.span;
    lines.push(`  ${paint(STYLE.blue, '-->')} ${file}:${line}:${column}`);
    const text = sources.get(file);
    if (text !== undefined) lines.push(...codeFrame(text, d.span.line, d.span.column, d.span.endLine, d.span.endColumn, '', paint));
  }
  for (const r of d.related ?? []) {
    lines.push(`  ${paint(STYLE.blue, '-->')} ${r.span.file}:${r.span.line}:${r.span.column}: ${r.message}`);
    const text = sources.get(r.span.file);
    if (text !== undefined) lines.push(...codeFrame(text, r.span.line, r.span.column, r.span.endLine, r.span.endColumn, '', paint));
  }
  if (d.counterexample !== undefined) {
    lines.push(`   ${paint(STYLE.blue, '=')} counterexample: ${typeof d.counterexample === 'string' ? d.counterexample : JSON.stringify(d.counterexample)}`);
  }
  if (d.help) lines.push(`   ${paint(STYLE.blue, '=')} help: ${d.help}`);
  return lines.join('\n') + '\n';
}

function codeFrame(
  text: string,
  line: number,
  column: number,
  endLine: number,
  endColumn: number,
  _label: string,
  paint: (style: string, s: string) => string,
): string[] {
  const map = new LineMap(text);
  const gutterWidth = String(line).length;
  const pad = ' '.repeat(gutterWidth);
  const raw = map.lineText(line);
  // Tabs are shown as single spaces so the caret lines up.
  const shown = sanitize(raw.replace(/\t/g, ' '));
  const clipped = shown.length > 200 ? shown.slice(0, 200) + '…' : shown;
  const caretStart = Math.max(1, column);
  const caretEnd = endLine === line ? Math.max(caretStart + 1, endColumn) : Math.max(caretStart + 1, raw.length + 1);
  const caretCount = Math.max(1, Math.min(caretEnd, 201) - caretStart);
  return [
    ` ${pad} ${paint(STYLE.blue, '|')}`,
    ` ${paint(STYLE.blue, String(line))} ${paint(STYLE.blue, '|')} ${clipped}`,
    ` ${pad} ${paint(STYLE.blue, '|')} ${' '.repeat(Math.min(caretStart - 1, 200))}${paint(STYLE.error, '^'.repeat(caretCount))}`,
  ];
}

/** Control characters from hostile input must not reach the terminal. */
function sanitize(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '\uFFFD');
}

export function summaryLine(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

/** Machine-readable form: a stable JSON array (keys in a fixed order). */
export function renderJson(diagnostics: readonly Diagnostic[]): string {
  return JSON.stringify(diagnostics.map(toJson), null, 2) + '\n';
}

export function toJson(d: Diagnostic): Record<string, unknown> {
  const out: Record<string, unknown> = { code: d.code, severity: d.severity, message: d.message };
  if (d.span) out.span = { ...d.span };
  if (d.related) out.related = d.related.map((r) => ({ message: r.message, span: { ...r.span } }));
  if (d.help) out.help = d.help;
  if (d.counterexample !== undefined) out.counterexample = d.counterexample;
  return out;
}
