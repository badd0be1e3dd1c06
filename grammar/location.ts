/**
 * Source locations. Lines and columns are 1-based (as editors show them),
 * offsets are 0-based UTF-16 code unit offsets into the source text.
 */
export interface Span {
  file: string;
  offset: number;
  length: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** The empty span at the start of `file`: where a finding about the file as a whole points. */
export function fileStart(file: string): Span {
  return { file, offset: 0, length: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };
}

/** Maps offsets to line/column for one source text. */
export class LineMap {
  private readonly lineStarts: number[];

  constructor(private readonly text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) starts.push(i + 1);
    }
    this.lineStarts = starts;
  }

  position(offset: number): { line: number; column: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - (this.lineStarts[lo] ?? 0) + 1 };
  }

  span(file: string, offset: number, length: number): Span {
    const start = this.position(offset);
    const end = this.position(offset + length);
    return { file, offset, length, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  }

  lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    if (start === undefined) return '';
    const next = this.lineStarts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, '');
  }

  get textLength(): number {
    return this.text.length;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }
}

/** A span covering both arguments (which must be in the same file). */
export function joinSpans(a: Span, b: Span): Span {
  const first = a.offset <= b.offset ? a : b;
  const endOffset = Math.max(a.offset + a.length, b.offset + b.length);
  const last = a.offset + a.length >= b.offset + b.length ? a : b;
  return {
    file: first.file,
    offset: first.offset,
    length: endOffset - first.offset,
    line: first.line,
    column: first.column,
    endLine: last.endLine,
    endColumn: last.endColumn,
  };
}

/** A span inside a string literal: `inner` characters from `start` of the literal's content (after the quote). */
export function subSpan(outer: Span, startInContent: number, length: number): Span {
  // String literals are single-line (the lexer rejects raw newlines), so columns shift linearly.
  const offset = outer.offset + 1 + startInContent;
  return {
    file: outer.file,
    offset,
    length,
    line: outer.line,
    column: outer.column + 1 + startInContent,
    endLine: outer.line,
    endColumn: outer.column + 1 + startInContent + length,
  };
}
