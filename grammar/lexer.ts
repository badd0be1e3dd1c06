import { Lexer, type IToken } from './chevrotain.js';
import { fileStart, LineMap } from './location.js';
import { diagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import * as T from './tokens.js';

export const MAX_SOURCE_BYTES = 4 * 1024 * 1024;
/** Deeper nesting than this is refused before parsing, so hostile input cannot exhaust the stack. */
export const MAX_NESTING = 64;

const lexerInstance = new Lexer(T.ALL_TOKENS, {
  positionTracking: 'full',
  ensureOptimizations: false,
  skipValidations: true,
});

export interface LexResult {
  tokens: IToken[];
  comments: IToken[];
  diagnostics: Diagnostic[];
  lineMap: LineMap;
  /** Set when the input cannot be parsed at all (binary, too deep). */
  fatal: boolean;
}

export function lex(text: string, file: string): LexResult {
  const lineMap = new LineMap(text);
  const diagnostics: Diagnostic[] = [];
  const result = lexerInstance.tokenize(text);
  for (const e of result.errors) {
    const ch = text.slice(e.offset, e.offset + e.length);
    const first = ch.codePointAt(0) ?? 0;
    const shown = first < 0x20 || first === 0x7f ? `U+${first.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(ch.slice(0, 20));
    diagnostics.push(
      diagnostic('MXC1003', `unexpected character ${shown}`, {
        span: lineMap.span(file, e.offset, Math.max(1, Math.min(e.length, 1))),
        help: 'remove it; strings are written in double quotes and comments start with //',
      }),
    );
  }
  const tokens: IToken[] = [];
  for (const tok of result.tokens) {
    if (tok.tokenType === T.UnterminatedString) {
      diagnostics.push(
        diagnostic('MXC1002', 'unterminated string', {
          span: lineMap.span(file, tok.startOffset, tok.image.length),
          help: 'close the string with " on the same line',
        }),
      );
      continue;
    }
    tokens.push(tok);
  }
  // Nesting, as deep as the parser recurses: each open bracket, and each `!` until the end of
  // its operand: a run of `!` before a bracket lasts until that bracket closes, any other run
  // until the next token (`!a && !b` nests one level, `!!!!x` four, `!!(x)` three).
  let fatal = false;
  const runBefore: number[] = []; // per open bracket, the run of `!` just before it
  let held = 0; // the sum of runBefore
  let run = 0;
  for (const tok of tokens) {
    const t = tok.tokenType;
    const opens = t === T.LCurly || t === T.LParen || t === T.LBracket;
    if (t === T.Bang) run++;
    else if (opens) {
      runBefore.push(run);
      held += run;
      run = 0;
    } else {
      run = 0;
      if (t === T.RCurly || t === T.RParen || t === T.RBracket) held -= runBefore.pop() ?? 0;
    }
    if (runBefore.length + held + run > MAX_NESTING) {
      diagnostics.push(
        diagnostic('MXC1004', `nesting deeper than ${MAX_NESTING} levels`, {
          span: lineMap.span(file, tok.startOffset, 1),
          help: t === T.Bang ? 'a chain of ! negates nothing more than ! or !! does' : 'flatten the expression; conditions rarely need more than a few levels of parentheses',
        }),
      );
      fatal = true;
      break;
    }
  }
  return { tokens, comments: result.groups.comments ?? [], diagnostics, lineMap, fatal };
}

/**
 * Refuses input that is not a policy text before lexing: too large, NUL bytes
 * or invalid UTF-8. Returns the decoded text or a diagnostic.
 */
/** MXC0002 for a file of `size` bytes (`undefined`: more than the limit, how much more unknown). */
export function tooLarge(file: string, size: number | undefined): Diagnostic {
  return diagnostic('MXC0002', `file is ${size ?? `more than ${MAX_SOURCE_BYTES}`} bytes; policies are limited to ${MAX_SOURCE_BYTES} bytes`, {
    span: fileStart(file),
    help: 'split the policy into files joined with import',
  });
}

export function decodeSource(bytes: Uint8Array, file: string): { text: string } | { diagnostic: Diagnostic } {
  if (bytes.length > MAX_SOURCE_BYTES) return { diagnostic: tooLarge(file, bytes.length) };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    return { diagnostic: notText(file, bytes, bad, 'is not valid UTF-8') };
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const byteOffset = Buffer.byteLength(text.slice(0, nul), 'utf8');
    return { diagnostic: notText(file, bytes, byteOffset, 'contains a NUL byte') };
  }
  return { text };
}

function notText(file: string, bytes: Uint8Array, byteOffset: number, why: string): Diagnostic {
  const prefix = Buffer.from(bytes.subarray(0, byteOffset)).toString('utf8');
  const map = new LineMap(prefix);
  const pos = map.position(prefix.length);
  return diagnostic('MXC0003', `file ${why} (byte ${byteOffset}); it does not look like a policy`, {
    span: { file, offset: prefix.length, length: 1, line: pos.line, column: pos.column, endLine: pos.line, endColumn: pos.column + 1 },
    help: 'policies are UTF-8 text files; check that the right file was given',
  });
}

/** Byte offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}
