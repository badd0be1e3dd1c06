import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from '../grammar/index.js';
import { lex } from '../grammar/lexer.js';
import { arbitraryDocument, stripSpans } from '../test/arbitraries.js';
import { formatText } from './index.js';
import { printDocument } from './printer.js';

/** Raise with MXCC_PROPERTY_RUNS=20000 for a longer hunt; never below 300. */
const NUM_RUNS = Math.max(300, Number(process.env.MXCC_PROPERTY_RUNS ?? 400) || 400);

function reparse(text: string) {
  const result = parse(text, 'printed.mxc');
  const errors = result.diagnostics.filter((d) => d.severity === 'error' && d.code !== 'MXC1005');
  if (errors.length > 0 || !result.document) {
    throw new Error(`printed text does not parse:\n${text}\n${errors.map((d) => `${d.code} ${d.span?.line}:${d.span?.column} ${d.message}`).join('\n')}`);
  }
  return result.document;
}

describe('printer round trip on random ASTs', () => {
  it('parse(print(ast)) equals ast (ignoring spans and comments)', () => {
    fc.assert(
      fc.property(arbitraryDocument(), (doc) => {
        const printed = printDocument(doc);
        expect(stripSpans(reparse(printed))).toEqual(stripSpans(doc));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('formatting printed text is idempotent', () => {
    fc.assert(
      fc.property(arbitraryDocument(), fc.integer({ min: 20, max: 120 }), (doc, printWidth) => {
        const printed = printDocument(doc, { printWidth });
        const once = formatText(printed, 'printed.mxc', { printWidth }).output;
        expect(once).toBe(printed);
        expect(formatText(once!, 'printed.mxc', { printWidth }).output).toBe(once);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keeps comments inserted between any tokens, in order, and stays idempotent', () => {
    const comment = fc.constantFrom('// c#', '/* b# */', '/* multi#\n   line */', '//   trailing space #  ');
    fc.assert(
      fc.property(
        arbitraryDocument(),
        fc.array(fc.tuple(fc.nat(), comment, fc.constantFrom(' ', '\n', '\n\n')), { maxLength: 6 }),
        (doc, inserts) => {
          const printed = printDocument(doc);
          const tokens = lex(printed, 'p.mxc').tokens;
          const cuts = [0, ...tokens.map((t) => t.startOffset + t.image.length)];
          const placed = inserts
            .map(([n, text, sep], i) => ({ at: cuts[n % cuts.length]!, text: text.replace('#', String(i)), sep }))
            .sort((a, b) => a.at - b.at);
          let text = '';
          let from = 0;
          for (const p of placed) {
            text += printed.slice(from, p.at) + ' ' + p.text + (p.text.startsWith('//') ? '\n' : p.sep);
            from = p.at;
          }
          text += printed.slice(from);
          const once = formatText(text, 'c.mxc').output;
          if (once === undefined) throw new Error(`did not format:\n${text}`);
          const afterComments = reparse(once).comments.map((c) => c.text);
          const beforeComments = reparse(text).comments.map((c) => (c.kind === 'LineComment' ? c.text.trimEnd() : c.text));
          expect(afterComments).toEqual(beforeComments);
          expect(stripSpans(reparse(once))).toEqual(stripSpans(doc));
          expect(formatText(once, 'c.mxc').output).toBe(once);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('comments between list items', () => {
  it('stay between the same two items (and the layout is idempotent)', () => {
    const kinds = fc.constantFrom('after-comma', 'own-line', 'block-after-comma');
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.tuple(fc.nat(), kinds), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('fs', 'net', 'syscalls', 'process', 'assert'),
        (n, gaps, where) => {
          const item = (i: number): string => (where === 'fs' || where === 'assert' ? `"/d${i}/**"` : where === 'net' ? `"h${i}.example":443` : where === 'syscalls' ? `s${i}` : `"V${i}"`);
          // Comment k goes in gap g (after item g, before item g + 1).
          const at = gaps.map(([g], k) => ({ gap: g % (n - 1), k, kind: gaps[k]![1] })).sort((a, b) => a.gap - b.gap || a.k - b.k);
          let list = '';
          for (let i = 0; i < n; i++) {
            list += item(i);
            if (i === n - 1) break;
            list += ',';
            for (const c of at.filter((c) => c.gap === i)) {
              list += c.kind === 'after-comma' ? ` // c${c.k}\n       ` : c.kind === 'block-after-comma' ? ` /* c${c.k} */` : `\n        // c${c.k}\n       `;
            }
            list += ' ';
          }
          const body = where === 'fs' ? `fs {\n    allow read ${list}\n  }` : where === 'net' ? `net {\n    allow connect tcp ${list}\n  }` : where === 'syscalls' ? `syscalls {\n    allow ${list}\n  }` : where === 'process' ? `process {\n    env allow ${list}\n  }` : `assert never read ${list}`;
          const text = `policy p {\n  ${body}\n}\n`;
          const once = formatText(text, 'c.mxc').output;
          if (once === undefined) throw new Error(`did not format:\n${text}`);
          expect(formatText(once, 'c.mxc').output, once).toBe(once);
          const lexed = lex(once, 'c.mxc').tokens;
          const itemOffsets = [...Array(n).keys()].map((i) => {
            const token = lexed.find((t) => t.image === item(i) || t.image === `"h${i}.example"`);
            if (!token) throw new Error(`item ${i} is gone:\n${once}`);
            return token.startOffset;
          });
          for (const c of at) {
            const offset = once.indexOf(`c${c.k}`);
            expect(offset > itemOffsets[c.gap]! && offset < itemOffsets[c.gap + 1]!, `c${c.k} between items ${c.gap} and ${c.gap + 1}:\n${text}\n---\n${once}`).toBe(true);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('parse and formatText never throw', () => {
  const neverThrows = (text: string): void => {
    const parsed = parse(text, 'fuzz.mxc');
    expect(Array.isArray(parsed.diagnostics)).toBe(true);
    const formatted = formatText(text, 'fuzz.mxc');
    if (formatted.output !== undefined) {
      expect(formatText(formatted.output, 'fuzz.mxc').output).toBe(formatted.output);
    } else {
      expect(formatted.diagnostics.length).toBeGreaterThan(0);
    }
  };

  it('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), neverThrows), { numRuns: NUM_RUNS });
    fc.assert(fc.property(fc.string(), neverThrows), { numRuns: NUM_RUNS });
  });

  it('on arbitrary bytes decoded as text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => neverThrows(new TextDecoder('utf-8').decode(bytes))),
      { numRuns: NUM_RUNS },
    );
  });

  it('on near-miss policies (printed ASTs with a random cut or splice)', () => {
    fc.assert(
      fc.property(arbitraryDocument(), fc.nat(), fc.nat(), fc.string({ maxLength: 4 }), (doc, a, b, junk) => {
        const printed = printDocument(doc);
        const i = a % (printed.length + 1);
        const j = i + (b % 5);
        neverThrows(printed.slice(0, i) + junk + printed.slice(j));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('arbitraryDocument', () => {
  it('covers every AST node kind', () => {
    const seen = new Set<string>();
    const visit = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(visit);
      else if (x !== null && typeof x === 'object') {
        const kind = (x as { kind?: unknown }).kind;
        if (typeof kind === 'string') seen.add(kind);
        Object.values(x).forEach(visit);
      }
    };
    fc.sample(arbitraryDocument(), { numRuns: 300, seed: 42 }).forEach(visit);
    const all = [
      'Identifier', 'String', 'Number', 'Any', 'Document', 'Import', 'Policy', 'Description', 'Isolation', 'Param',
      'Constraint', 'Fs', 'FsRule', 'Net', 'NetRule', 'NetTarget', 'Port', 'Syscalls', 'SyscallDefault', 'SyscallRule',
      'GroupRef', 'SyscallRef', 'Action', 'Or', 'And', 'Not', 'Compare', 'In', 'ValueExpr', 'Settings', 'Setting',
      'Assert', 'FsRequest', 'NetRequest', 'SyscallRequest', 'Target',
    ];
    expect([...seen].sort()).toEqual([...all].sort());
  });
});
