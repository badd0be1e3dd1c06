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
