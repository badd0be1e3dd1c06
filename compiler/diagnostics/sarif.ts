/**
 * SARIF 2.1.0 output as GitHub code scanning reads it: one run, the tool's rules (one per
 * diagnostic code that appears), results with a stable ruleId, level, message, the primary
 * location relative to the working directory, related locations, and partial fingerprints so
 * re-uploads do not duplicate alerts.
 */
import { createHash } from 'node:crypto';
import { CODES, type Code, type Severity } from './codes.js';
import type { Diagnostic } from './diagnostic.js';
import type { Span } from '../../grammar/location.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', note: 'note' };

function region(span: Span): Record<string, number> {
  return { startLine: span.line, startColumn: span.column, endLine: span.endLine, endColumn: Math.max(span.endColumn, span.column) };
}

function location(span: Span, message?: string): Record<string, unknown> {
  const loc: Record<string, unknown> = { physicalLocation: { artifactLocation: { uri: span.file.split('\\').join('/') }, region: region(span) } };
  if (message) loc.message = { text: message };
  return loc;
}

/**
 * `ruleHelp` adds a longer explanation per code (the lints' rationales), shown by code scanning
 * as the rule's help next to each alert.
 */
export function renderSarif(diagnostics: readonly Diagnostic[], tool: { version: string; helpUri?: string; ruleHelp?: Readonly<Partial<Record<Code, string>>> }): string {
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
    if (d.span) result.locations = [location(d.span)];
    if (d.related?.length) result.relatedLocations = d.related.map((r, i) => ({ id: i + 1, ...location(r.span, r.message) }));
    // Stable across re-runs and line moves: the code, the file and the message.
    result.partialFingerprints = {
      'mxccFinding/v1': createHash('sha256').update(`${d.code}\0${d.span?.file ?? ''}\0${d.message}`).digest('hex').slice(0, 32),
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
