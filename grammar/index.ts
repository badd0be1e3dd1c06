/** The language front end: text → AST with diagnostics. No semantics (see compiler/). */
import type { Document } from './ast.js';
import { AstBuilder } from './builder.js';
import { lex } from './lexer.js';
import type { LineMap } from './location.js';
import { parseTokens } from './parser.js';
import { diagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';

export * from './ast.js';
export type { Span } from './location.js';

export interface ParseResult {
  /** Present when there were no syntax errors. */
  document?: Document;
  diagnostics: Diagnostic[];
  lineMap: LineMap;
}

/** Never throws for any input text: every problem becomes a diagnostic. */
export function parse(text: string, file: string): ParseResult {
  const lexed = lex(text, file);
  const diagnostics = [...lexed.diagnostics];
  if (lexed.fatal) return { diagnostics, lineMap: lexed.lineMap };
  const { cst, errors } = parseTokens(lexed.tokens);
  for (const e of errors) {
    const tok = e.token;
    // At end of input chevrotain reports an EOF token with NaN offsets: point just past the last real token.
    let offset = Number.isFinite(tok.startOffset) ? tok.startOffset : text.length;
    let length = Number.isFinite(tok.startOffset) ? tok.image.length : 0;
    if (!Number.isFinite(tok.startOffset)) {
      const last = lexed.tokens[lexed.tokens.length - 1];
      if (last) {
        offset = last.startOffset + last.image.length;
        length = 0;
      }
    }
    diagnostics.push(
      diagnostic('MXC1001', e.message, {
        span: lexed.lineMap.span(file, offset, Math.max(length, 1)),
        help: helpForSyntaxError(e.message),
      }),
    );
  }
  if (errors.length > 0 || diagnostics.some((d) => d.severity === 'error')) {
    return { diagnostics: dedupe(diagnostics), lineMap: lexed.lineMap };
  }
  const builder = new AstBuilder(file, lexed.lineMap);
  const document = builder.document(cst, lexed.comments);
  diagnostics.push(...builder.diagnostics);
  if (document.policies.length === 0 && document.imports.length === 0) {
    diagnostics.push(
      diagnostic('MXC1005', 'file declares no policy', {
        span: lexed.lineMap.span(file, 0, 0),
        help: 'start with: policy my_agent { fs { allow read "/usr/**" } }',
      }),
    );
  }
  return { document, diagnostics, lineMap: lexed.lineMap };
}

function helpForSyntaxError(message: string): string | undefined {
  // What was expected: the message's start, or after "unexpected X in Y; " (not inside "unexpected").
  const expected = /(?:^|; )expected (.*)$/.exec(message)?.[1] ?? '';
  if (expected.startsWith("'}'")) return 'a block opened with { must be closed with }';
  if (expected.startsWith('a string')) return 'paths, hosts and texts are written in double quotes';
  if (expected.startsWith("'policy' or 'import'")) return 'a file holds import lines and policy blocks';
  return undefined;
}

/** Recovery can report the same position twice; keep the first. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.code}:${d.span?.offset}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
