/**
 * Prettier 3 plugin for .mxc: the parser is our grammar, the printer is our AST printer
 * (format/printer.ts), which prints the whole document — comments included — at once.
 * The root handed to Prettier deliberately has no `comments` property, so Prettier never
 * tries to attach or verify comments itself ("Comment was not printed").
 *
 *   prettier --plugin=./dist/format/prettier-plugin.js --write policy.mxc
 */
import type { Parser, Plugin, Printer, SupportLanguage } from 'prettier';
import { parse, type Document } from '../grammar/index.js';
import type { Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { DEFAULT_PRINT_WIDTH, printDocument } from './printer.js';

/** What the parser hands to Prettier: the AST plus the extent of the text. */
export interface MxcRoot {
  kind: 'MxcRoot';
  document: Document;
  start: number;
  end: number;
}

/** Errors that still leave a faithful AST behind (a file with only comments). */
const FORMATTABLE_ERRORS = new Set<string>(['MXC1005']);

/** `MXC1001 policy.mxc:3:7: expected '}' but found end of file` */
export function describeDiagnostic(d: Diagnostic): string {
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.column}: ` : '';
  return `${d.code} ${where}${d.message}`;
}

/** A parse failure as Prettier expects it (an Error, with `loc` for its code frame). */
export class MxcSyntaxError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly loc?: { start: { line: number; column: number } };

  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map(describeDiagnostic).join('\n'));
    this.name = 'MxcSyntaxError';
    this.diagnostics = diagnostics;
    const first = diagnostics[0]?.span;
    if (first) this.loc = { start: { line: first.line, column: first.column } };
  }
}

const languages: SupportLanguage[] = [
  { name: 'mxc', parsers: ['mxc'], extensions: ['.mxc'], vscodeLanguageIds: ['mxc'] },
];

const mxcParser: Parser<MxcRoot> = {
  parse(text, options) {
    const file = (options as { filepath?: string } | undefined)?.filepath ?? '<input>';
    const { document, diagnostics } = parse(text, file);
    const errors = diagnostics.filter((d) => d.severity === 'error' && !FORMATTABLE_ERRORS.has(d.code));
    if (!document || errors.length > 0) throw new MxcSyntaxError(errors.length > 0 ? errors : diagnostics);
    return { kind: 'MxcRoot', document, start: 0, end: text.length };
  },
  astFormat: 'mxc-ast',
  locStart: (node: { start?: number; span?: { offset: number } }) => node.start ?? node.span?.offset ?? 0,
  locEnd: (node: { end?: number; span?: { offset: number; length: number } }) =>
    node.end ?? (node.span ? node.span.offset + node.span.length : 0),
};

const mxcPrinter: Printer<MxcRoot> = {
  print(path, options) {
    return printDocument(path.node.document, { printWidth: options.printWidth });
  },
  // Comments are printed by printDocument; these keep Prettier's own machinery out of it.
  canAttachComment: () => false,
  printComment: () => '',
};

const plugin: Plugin<MxcRoot> = {
  languages,
  parsers: { mxc: mxcParser },
  printers: { 'mxc-ast': mxcPrinter },
  // Same width as `mxcc fmt`, unless the user's Prettier config says otherwise.
  defaultOptions: { printWidth: DEFAULT_PRINT_WIDTH },
};

export default plugin;
