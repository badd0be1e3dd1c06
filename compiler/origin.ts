/** Turning IR origins (files relative to the entry policy) back into source spans. */
import { LineMap, type Span } from '../grammar/location.js';
import type { Origin } from './ir.js';
import type { Program } from './load.js';

export function originSpan(origin: Origin, program: Program): Span {
  const file = [...program.files.values()].find((f) => f.irName === origin.file);
  const display = file?.display ?? origin.file;
  const text = program.sources.get(display);
  if (text === undefined) return { file: display, offset: 0, length: 0, line: origin.line, column: origin.column, endLine: origin.endLine, endColumn: origin.endColumn };
  const start = offsetAt(text, origin.line, origin.column);
  const end = offsetAt(text, origin.endLine, origin.endColumn);
  return new LineMap(text).span(display, start, Math.max(0, end - start));
}

function offsetAt(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + column - 1);
}
