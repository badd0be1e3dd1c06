/** Examples in the docs and every corpus policy must check clean and produce schema-valid IR. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { compileFile } from '../compiler/index.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'ir.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

function mxcBlocks(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/```mxc\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function checkClean(file: string, cwd: string) {
  const r = compileFile(file, { cwd });
  const errors = r.diagnostics.filter((d) => d.severity !== 'note');
  expect(errors.map((d) => `${d.code} ${d.span?.file}:${d.span?.line}:${d.span?.column} ${d.message}`)).toEqual([]);
  expect(r.ir).toBeDefined();
  expect(validate(r.ir), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
  return r.ir!;
}

describe('documentation examples', () => {
  for (const doc of ['README.md', 'docs/language.md']) {
    it(`every mxc block in ${doc} checks clean`, () => {
      const blocks = mxcBlocks(doc);
      expect(blocks.length).toBeGreaterThan(0);
      const dir = mkdtempSync(path.join(tmpdir(), 'mxcc-doc-'));
      blocks.forEach((b, i) => {
        const file = path.join(dir, `example-${i}.mxc`);
        writeFileSync(file, b);
        checkClean(file, dir);
      });
    });
  }
});

describe('corpus', () => {
  const files = readdirSync(path.join(ROOT, 'corpus')).filter((f) => f.endsWith('.mxc')).sort();
  const std = readdirSync(path.join(ROOT, 'corpus', 'std')).filter((f) => f.endsWith('.mxc')).sort();

  it('has at least 8 policies and a standard library', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    expect(std.length).toBeGreaterThanOrEqual(2);
  });

  for (const f of [...files, ...std.map((s) => `std/${s}`)]) {
    it(`${f} checks clean, without warnings, to schema-valid IR`, () => {
      const ir = checkClean(path.join(ROOT, 'corpus', f), ROOT);
      expect(ir.name).toMatch(/^[a-z_][a-z0-9_]*$/);
    });
  }

  it('every corpus policy is formatted', async () => {
    const { formatText } = await import('../format/index.js');
    for (const f of [...files, ...std.map((s) => `std/${s}`)]) {
      const text = readFileSync(path.join(ROOT, 'corpus', f), 'utf8');
      expect(formatText(text, f).output, f).toBe(text);
    }
  });
});
