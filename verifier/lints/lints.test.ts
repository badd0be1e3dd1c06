import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../../compiler/index.js';
import { lintPolicy } from '../lint.js';
import { LINTS } from './index.js';
import { renderLintsDoc } from './docs.js';
import { mustCompile } from '../../test/compile-text.js';

const FIXTURES = path.join(import.meta.dirname, '__fixtures__');

async function codesOf(file: string): Promise<string[]> {
  const r = compileFile(file, { cwd: FIXTURES });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return (await lintPolicy(r.ir, r.program)).map((d) => d.code);
}

describe('lints', () => {
  it('every lint has a unique id and code, a rationale, fixtures and a row in docs/lints.md', () => {
    const docs = readFileSync(path.resolve(import.meta.dirname, '../../docs/lints.md'), 'utf8');
    expect(new Set(LINTS.map((l) => l.id)).size).toBe(LINTS.length);
    expect(new Set(LINTS.map((l) => l.code)).size).toBe(LINTS.length);
    for (const l of LINTS) {
      expect(l.rationale.length).toBeGreaterThan(30);
      expect(existsSync(path.join(FIXTURES, l.id, 'bad.mxc')), l.id).toBe(true);
      expect(existsSync(path.join(FIXTURES, l.id, 'good.mxc')), l.id).toBe(true);
      expect(docs).toContain(`## ${l.id}`);
    }
  });

  it('docs/lints.md is generated from the registry (node verifier/lints/gen-docs.mjs)', () => {
    expect(readFileSync(path.resolve(import.meta.dirname, '../../docs/lints.md'), 'utf8')).toBe(renderLintsDoc(LINTS));
  });

  for (const lint of LINTS) {
    it(`${lint.id}: the bad fixture is reported, the good one is not`, async () => {
      expect(await codesOf(path.join(FIXTURES, lint.id, 'bad.mxc'))).toContain(lint.code);
      expect(await codesOf(path.join(FIXTURES, lint.id, 'good.mxc'))).not.toContain(lint.code);
    });
  }

  it('names made of space, tab or control characters count: no false dead-allow or redundant-rule', async () => {
    const lint = async (text: string) => {
      const r = mustCompile(text);
      return (await lintPolicy(r.ir, r.program, LINTS.filter((l) => l.id === 'dead-allow' || l.id === 'redundant-rule'))).map((d) => `${d.code} ${d.span?.line}`);
    };
    expect(await lint('policy p {\n  fs { allow read "/data/[\\t ]" }\n}')).toEqual([]);
    // fs.2 also denies names with control characters, so fs.1 (not fs.2) is the redundant one.
    expect(await lint('policy p {\n  fs {\n    allow read, write "/w/**"\n    deny  write "/w/*.tmp"\n    deny  write "/w/{*.tmp,*[\\u{1}-\\u{1f}]*}"\n  }\n}')).toEqual(['MXC2121 4']);
  });

  it('findings are blamed on the deciding rule, with a re-checked counterexample', async () => {
    const file = path.join(FIXTURES, 'broad-write', 'bad.mxc');
    const r = compileFile(file, { cwd: FIXTURES });
    const d = (await lintPolicy(r.ir!, r.program)).find((x) => x.code === 'MXC2104');
    expect(d).toMatchObject({ code: 'MXC2104', severity: 'error', span: { file: 'broad-write/bad.mxc', line: 2, column: 8 } });
    // Any path of the probed region /etc/** is a right answer, /etc itself included.
    expect(String(d!.counterexample)).toMatch(/^(write|create) \/etc(\/|$)/);
  });
});
