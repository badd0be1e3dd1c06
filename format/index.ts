/**
 * `mxcc fmt` as a library: text in, canonical text out (see printer.ts for the style).
 * Text with syntax errors (or any error that made the parser drop part of the source,
 * such as a bad escape) is never formatted: the diagnostics are returned instead, so
 * formatting can never lose text. A file with only comments (MXC1005, no policy) is
 * still formatted; its diagnostics are returned alongside the output.
 */
import { parse } from '../grammar/index.js';
import type { Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { printDocument, type PrintOptions } from './printer.js';

export { printDocument, DEFAULT_PRINT_WIDTH, type PrintOptions } from './printer.js';

export interface FormatResult {
  /** Present only when the text parsed without errors. */
  output?: string;
  diagnostics: Diagnostic[];
}

/** Errors that still leave a faithful AST behind. */
const FORMATTABLE_ERRORS = new Set<string>(['MXC1005']);

export function formatText(text: string, file: string, options: PrintOptions = {}): FormatResult {
  const { document, diagnostics } = parse(text, file);
  const blocking = diagnostics.some((d) => d.severity === 'error' && !FORMATTABLE_ERRORS.has(d.code));
  if (!document || blocking) return { diagnostics };
  return { output: printDocument(document, options), diagnostics };
}

/** True when the text parses and is already in canonical form. */
export function isFormatted(text: string, file: string, options: PrintOptions = {}): boolean {
  const { output } = formatText(text, file, options);
  return output !== undefined && output === text;
}
