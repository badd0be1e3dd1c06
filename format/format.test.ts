import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, type Comment } from '../grammar/index.js';
import { stripSpans } from '../test/arbitraries.js';
import { formatWithPrettier } from './format.js';
import { formatText, isFormatted } from './index.js';
import { printDocument } from './printer.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '__fixtures__');
const inputs = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.mxc') && !f.endsWith('.expected.mxc'))
  .sort();

const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const expectedName = (input: string): string => input.replace(/\.mxc$/, '.expected.mxc');

function format(text: string, file: string): string {
  const result = formatText(text, file);
  if (result.output === undefined) {
    throw new Error(`${file} did not format: ${result.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  }
  return result.output;
}

/** Comment texts as the printer writes them (line comments lose trailing whitespace). */
function commentTexts(text: string, file: string): string[] {
  const doc = parse(text, file).document;
  if (!doc) throw new Error(`${file} did not parse`);
  return doc.comments.map((c: Comment) => (c.kind === 'LineComment' ? c.text.trimEnd() : c.text));
}

describe('fixtures', () => {
  it('has enough input/expected pairs', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(12);
    for (const input of inputs) expect(readdirSync(FIXTURES)).toContain(expectedName(input));
  });

  for (const input of inputs) {
    describe(input, () => {
      const text = read(input);
      const expected = read(expectedName(input));

      it('formats to the expected output', () => {
        expect(format(text, input)).toBe(expected);
      });

      it('expected output is a fixed point', () => {
        expect(format(expected, expectedName(input))).toBe(expected);
        expect(isFormatted(expected, expectedName(input))).toBe(true);
      });

      it('prettier plugin gives the same result', async () => {
        expect(await formatWithPrettier(text, join(FIXTURES, input))).toBe(expected);
      });

      it('preserves every comment, in order', () => {
        const before = commentTexts(text, input);
        const after = commentTexts(expected, expectedName(input));
        expect(after).toEqual(before);
        let from = 0;
        for (const c of before) {
          const at = expected.indexOf(c, from);
          expect(at, `comment ${JSON.stringify(c)} in output`).toBeGreaterThanOrEqual(0);
          from = at + c.length;
        }
      });

      it('keeps the AST (ignoring spans and comments)', () => {
        const before = parse(text, input).document;
        const after = parse(format(text, input), input).document;
        expect(before).toBeDefined();
        expect(stripSpans(after)).toEqual(stripSpans(before));
      });
    });
  }
});

describe('formatText', () => {
  it('refuses text with syntax errors and returns the diagnostics', () => {
    const result = formatText('policy broken {\n  fs { allow read }\n', 'broken.mxc');
    expect(result.output).toBeUndefined();
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(result.diagnostics[0]?.code).toBe('MXC1001');
    expect(isFormatted('policy broken {', 'broken.mxc')).toBe(false);
  });

  it('refuses text whose AST would lose source (bad escape, `any` as a path)', () => {
    expect(formatText('policy a { description "\\q" }', 'a.mxc').output).toBeUndefined();
    expect(formatText('policy a { fs { allow read any } }', 'a.mxc').output).toBeUndefined();
  });

  it('formats a file that holds only comments', () => {
    expect(formatText('  // nothing yet   \n', 'c.mxc').output).toBe('// nothing yet\n');
    expect(formatText('', 'empty.mxc').output).toBe('');
  });

  it('reports unformatted text', () => {
    expect(isFormatted('policy a {}\n', 'a.mxc')).toBe(true);
    expect(isFormatted('policy a { }\n', 'a.mxc')).toBe(false);
    expect(isFormatted('policy a {}', 'a.mxc')).toBe(false);
  });

  it('honours printWidth', () => {
    const text = 'policy a { syscalls { deny ptrace, bpf errno(EPERM) } }\n';
    expect(formatText(text, 'a.mxc', { printWidth: 20 }).output).toBe(
      'policy a {\n  syscalls {\n    deny\n        ptrace,\n        bpf\n      errno(EPERM)\n  }\n}\n',
    );
    expect(formatText(text, 'a.mxc').output).toBe('policy a {\n  syscalls {\n    deny ptrace, bpf errno(EPERM)\n  }\n}\n');
  });

  it('re-encodes strings so that they decode to the same value', () => {
    const doc = parse('policy a { description "x" }', 'a.mxc').document!;
    const description = doc.policies[0]!.members[0]!;
    if (description.kind !== 'Description') throw new Error('expected a description');
    description.text.value = 'a"b\\c\nd\te\r\u0000\u007f\u2028é😀';
    const printed = printDocument(doc);
    expect(printed).toContain('"a\\"b\\\\c\\nd\\te\\u{D}\\u{0}\\u{7F}\\u{2028}é😀"');
    expect(stripSpans(parse(printed, 'a.mxc').document)).toEqual(stripSpans(doc));
  });

  it('keeps characters one cannot see escaped: bidi overrides, zero-width and non-breaking spaces', () => {
    const text = 'policy p {\n  fs {\n    deny read "/home/\\u{202E}txt.exe\\u{202C}/**"\n    allow read "/srv/\\u{200B}secrets/\\u{FEFF}\\u{A0}x\\u{3000} y/**"\n  }\n}\n';
    const out = formatText(text, 'p.mxc').output!;
    expect(out).toBe(text);
    expect(out).not.toMatch(/[\u202e\u202c\u200b\ufeff\u00a0\u3000]/);
  });
});

describe('prettier plugin', () => {
  it('throws an error carrying the mxcc diagnostic on a syntax error', async () => {
    await expect(formatWithPrettier('policy broken {\n  fs { allow read }\n', 'dir/broken.mxc')).rejects.toThrow(
      /MXC1001 dir\/broken\.mxc:2:\d+: /,
    );
  });

  it('uses the mxcc print width by default', async () => {
    const long = `policy a { syscalls { allow ${Array.from({ length: 12 }, (_, i) => `syscall_number_${i}`).join(', ')} } }\n`;
    expect(await formatWithPrettier(long, 'a.mxc')).toBe(format(long, 'a.mxc'));
  });
});

describe('docs/formatting.md', () => {
  it('shows its canonical-style example already formatted', () => {
    const md = readFileSync(join(FIXTURES, '..', '..', 'docs', 'formatting.md'), 'utf8');
    const example = /```mxc\n([\s\S]*?)```/.exec(md)?.[1];
    expect(example).toBeDefined();
    expect(format(example!, 'formatting.md')).toBe(example);
  });
});
