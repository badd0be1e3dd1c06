import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CODES } from './codes.js';
import { DiagnosticBag, diagnostic } from './diagnostic.js';
import { renderJson, renderText, shouldUseColor } from './render.js';
import { LineMap } from '../../grammar/location.js';

describe('diagnostic codes', () => {
  it('docs/error-codes.md lists exactly the codes in the table, with the same severity and title', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/error-codes.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| (MXC\d{4}) \| (\w+) \| ([^|]+) \|/gm)].map((m) => [m[1], m[2], m[3]!.trim()]);
    expect(rows).toEqual(Object.entries(CODES).map(([code, info]) => [code, info.severity, info.title]));
  });
  it('codes are in ascending order and well-formed', () => {
    const codes = Object.keys(CODES);
    expect(codes).toEqual([...codes].sort());
    for (const c of codes) expect(c).toMatch(/^MXC\d{4}$/);
  });
});

describe('text rendering', () => {
  const text = 'policy p {\n  fs { allow raed "/usr/**" }\n}\n';
  const span = new LineMap(text).span('p.mxc', text.indexOf('raed'), 4);
  const d = diagnostic('MXC1104', 'unknown access right "raed"', { span, help: 'did you mean "read"?' });

  it('prints code, location, a code frame with carets, and help', () => {
    expect(renderText([d], new Map([['p.mxc', text]]))).toBe(
      [
        'error[MXC1104]: unknown access right "raed"',
        '  --> p.mxc:2:14',
        '   |',
        ' 2 |   fs { allow raed "/usr/**" }',
        '   |              ^^^^',
        '   = help: did you mean "read"?',
        '',
      ].join('\n'),
    );
  });

  it('colors only when asked, and honours NO_COLOR', () => {
    expect(renderText([d], new Map(), { color: true })).toContain('\x1b[1;31merror[MXC1104]');
    expect(shouldUseColor({ isTTY: true }, {})).toBe(true);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldUseColor({ isTTY: false }, {})).toBe(false);
  });

  it('replaces control characters from hostile input in code frames', () => {
    const evil = 'policy p { description "\x1b[2J" }\n';
    const s = new LineMap(evil).span('e.mxc', 0, 6);
    const out = renderText([diagnostic('MXC1001', 'x', { span: s })], new Map([['e.mxc', evil]]));
    expect(out).not.toContain('\x1b');
    expect(out).toContain('\uFFFD[2J');
  });
});

describe('JSON rendering and the bag', () => {
  it('renders a stable array', () => {
    const json = JSON.parse(renderJson([diagnostic('MXC1101', 'unknown syscall "x"', { help: 'h' })])) as unknown;
    expect(json).toEqual([{ code: 'MXC1101', severity: 'error', message: 'unknown syscall "x"', help: 'h' }]);
  });

  it('caps floods at 50 with one note', () => {
    const bag = new DiagnosticBag();
    for (let i = 0; i < 120; i++) bag.report('MXC1101', `n${i}`);
    const out = bag.sorted();
    expect(out).toHaveLength(51);
    expect(out[50]).toMatchObject({ code: 'MXC0004', severity: 'note', message: '70 more diagnostic(s) not shown' });
  });

  it('sorts by file, position and code', () => {
    const map = new LineMap('abcdef');
    const bag = new DiagnosticBag();
    bag.add(diagnostic('MXC1102', 'b', { span: map.span('b.mxc', 0, 1) }));
    bag.add(diagnostic('MXC1103', 'a2', { span: map.span('a.mxc', 3, 1) }));
    bag.add(diagnostic('MXC1101', 'a1', { span: map.span('a.mxc', 3, 1) }));
    bag.add(diagnostic('MXC1104', 'a0', { span: map.span('a.mxc', 0, 1) }));
    expect(bag.sorted().map((d) => d.message)).toEqual(['a0', 'a1', 'a2', 'b']);
  });
});
