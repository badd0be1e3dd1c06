/**
 * The rule-hygiene lints on the corpus: false positives there are bugs. The three findings below
 * are real (each rule is provably redundant; see the messages) and are kept as the expected list
 * until the corpus is edited, so a new finding — or a vanished one — shows up here.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../compiler/index.js';
import { lintPolicy } from './lint.js';
import { LINTS } from './lints/index.js';
import { mustCompile } from '../test/compile-text.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const HYGIENE = LINTS.filter((l) => l.id === 'redundant-rule' || l.id === 'cross-section');

describe('rule hygiene on the corpus', () => {
  it('the corpus has no redundant or cross-section findings', async () => {
    const files = [
      ...readdirSync(path.join(ROOT, 'corpus')).filter((f) => f.endsWith('.mxc')).map((f) => `corpus/${f}`),
      ...readdirSync(path.join(ROOT, 'corpus', 'std')).filter((f) => f.endsWith('.mxc')).map((f) => `corpus/std/${f}`),
    ].sort();
    const found: string[] = [];
    for (const f of files) {
      const r = compileFile(path.join(ROOT, f), { cwd: ROOT });
      if (!r.ir) throw new Error(f);
      for (const d of await lintPolicy(r.ir, r.program, HYGIENE)) found.push(`${d.code} ${d.span?.file}:${d.span?.line}:${d.span?.column}`);
    }
    // Found and fixed: browser-agent's `allow @system-service` restated linux_runtime's,
    // linux_runtime's `/usr/share/zoneinfo/**` lay inside its `/usr/**`, and its pidfd_getfd
    // deny repeated `deny @debug`.
    expect(found.sort()).toEqual([]);
  });
});

describe('redundant-rule and path params', () => {
  const lintOf = async (text: string): Promise<string[]> => {
    const r = mustCompile(text);
    return (await lintPolicy(r.ir, r.program, HYGIENE)).map((d) => `${d.code} ${d.span?.line}`);
  };

  it('a rule under a param is not called redundant because a literal rule covers the directory that stands for the param (review finding)', async () => {
    // With ws=/a/b, `/*/.git/**` does not cover /a/b/.git: deleting the second deny would open it.
    expect(await lintOf('policy p {\n  param ws: path\n  fs {\n    allow read, write "${ws}/**"\n    deny write "/*/.git/**"\n    deny write "${ws}/.git/**"\n  }\n}\n')).toEqual([]);
    // Covered by a rule under the same param: redundant for every value.
    expect(await lintOf('policy p {\n  param ws: path\n  fs {\n    allow read, write "${ws}/**"\n    deny write "${ws}/.git/**"\n    deny write "${ws}/.git/hooks/**"\n  }\n}\n')).toEqual(['MXC2121 6']);
  });
});
