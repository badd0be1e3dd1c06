/** check, fmt's siblings and compile must not load z3-solver (or prettier) at start-up. */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const DIST = path.resolve(import.meta.dirname, '..', 'dist');

/** Modules reachable from `entry` through static imports only (dynamic import() is lazy). */
function staticImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.startsWith(DIST)) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) stack.push(path.resolve(path.dirname(file), spec));
      else seen.add(`pkg:${spec}`);
    }
  }
  return seen;
}

describe('start-up cost', () => {
  it('the CLI entry point statically imports neither z3-solver nor prettier', () => {
    const entry = path.join(DIST, 'cli', 'main.js');
    expect(existsSync(entry)).toBe(true);
    const mods = staticImports(entry);
    // chevrotain comes in through grammar/chevrotain.js (its single-file build, see there).
    expect(mods.has(path.join(DIST, 'grammar', 'chevrotain.js'))).toBe(true);
    expect(mods.has('pkg:commander')).toBe(true);
    expect([...mods].filter((m) => m.startsWith('pkg:z3-solver') || m.startsWith('pkg:prettier'))).toEqual([]);
  });

  it('the CLI loads a backend, the request evaluator and the SARIF writer only for the commands that use them', () => {
    const mods = [...staticImports(path.join(DIST, 'cli', 'main.js'))].map((m) => path.relative(DIST, m));
    expect(mods.filter((m) => m.startsWith('targets/') && m !== path.join('targets', 'catalog.js'))).toEqual([]);
    expect(mods.filter((m) => /^(compiler\/(evaluate|request|import\/|diagnostics\/sarif)|format\/|verifier\/)/.test(m))).toEqual([]);
  });
});
