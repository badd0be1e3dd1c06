import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { globMatches } from '../compiler/glob.js';
import { computeAtoms, displayPath } from './atoms.js';

describe('path atoms', () => {
  it('partitions the path space by which globs match, with witnesses', () => {
    const set = computeAtoms(['/usr/**', '/usr/bin/*', '/**/.env'], []);
    const sigs = set.atoms.map((a) => a.matches.join(','));
    expect(new Set(sigs).size).toBe(sigs.length);
    // Every combination that is possible shows up: none, usr only, usr+bin, usr+env, env only, all three? (/usr/bin/.env)
    expect(sigs.sort()).toEqual(['', '0', '0,1', '0,1,2', '0,2', '2'].sort());
    for (const a of set.atoms) {
      set.patterns.forEach((p, i) => expect(globMatches(p, a.witness), `${p} vs ${a.witness}`).toBe(a.matches.includes(i)));
    }
  });

  it('explores space, tab and control characters when a class tells them apart', () => {
    for (const [patterns, witness] of [[['/x/[ ]'], /^\/x\/ $/], [['/data/[\t ]'], /^\/data\/[\t ]$/], [['/w/*[\u{1}-\u{1f}]*'], /^\/w\/[\u{1}-\u{1f}]$/u]] as const) {
      const set = computeAtoms([...patterns], []);
      const hit = set.atoms.find((a) => a.matches.includes(0));
      expect(hit?.witness, patterns[0]).toMatch(witness);
    }
    // With no class bound below `!`, the characters no class names are still represented by `!`.
    expect(computeAtoms(['/x/[a-z]'], []).atoms.map((a) => a.witness)).not.toContain('/x/\u{1}');
  });

  it('models a path param as its own directory', () => {
    const params = [{ name: 'home', type: 'path' as const, constraints: [], origin: { file: 'p', line: 1, column: 1, endLine: 1, endColumn: 1, policy: 'p' } }];
    const set = computeAtoms(['${home}/.ssh/**', '/home/**'], params);
    const both = set.atoms.find((a) => a.matches.length === 2);
    expect(both).toBeUndefined(); // disjoint from literal prefixes
    const ssh = set.atoms.find((a) => a.matches.includes(0))!;
    expect(displayPath(ssh.witness, set.paramRoots)).toBe('${home}/.ssh');
  });

  it('agrees with globMatches on random globs (every atom witness matches exactly its signature)', () => {
    const seg = fc.oneof(fc.constantFrom('a', 'b', '*', '?', '[ab]', '[!a]', 'a*', '*b', '.x'), fc.constant('**'));
    const glob = fc.array(seg, { minLength: 0, maxLength: 3 }).map((s) => '/' + s.join('/'));
    fc.assert(
      fc.property(fc.uniqueArray(glob, { minLength: 1, maxLength: 4 }), (globs) => {
        const norm = globs.map((g) => g.replace(/(\/\*\*)+/g, '/**'));
        const set = computeAtoms([...new Set(norm)], []);
        for (const a of set.atoms) set.patterns.forEach((p, i) => expect(globMatches(p, a.witness)).toBe(a.matches.includes(i)));
        // Completeness on samples: any sampled path's signature is one of the atoms.
        const sigs = new Set(set.atoms.map((a) => a.matches.join(',')));
        for (const path of ['/', '/a', '/b', '/ab', '/a/b', '/.x', '/a/.x', '/b/a/b', '/c', '/aa/bb']) {
          const sig = set.patterns.flatMap((p, i) => (globMatches(p, path) ? [i] : [])).join(',');
          expect(sigs.has(sig), `${path} → ${sig}`).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('literal names sharing prefixes (one trie) and wildcards: every class of names found, each with a shortest witness', () => {
    // Single-segment globs, so atoms are classes of names (and the root, matching none). Brute
    // force: the root and every name of up to 4 characters over those the patterns use and one more.
    const lit = fc.stringMatching(/^[abc]{1,3}$/);
    const wild = fc.constantFrom('a*', '*c', '?b*', '[ab]c', '*', 'b?');
    const names = ['', ...['a', 'b', 'c', 'x'].flatMap((x) => [x, ...['a', 'b', 'c', 'x'].flatMap((y) => [x + y, ...['a', 'b', 'c', 'x'].flatMap((z) => [x + y + z, ...['a', 'b', 'c', 'x'].map((w) => x + y + z + w)])])])];
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(lit, lit, wild), { minLength: 1, maxLength: 8 }), (segments) => {
        const patterns = segments.map((g) => `/${g}`);
        const set = computeAtoms(patterns, []);
        const sigOf = (path: string): string => patterns.flatMap((p, i) => (globMatches(p, path) ? [i] : [])).join(',');
        const shortest = new Map<string, number>();
        for (const n of names) {
          const sig = sigOf(`/${n}`);
          if (!shortest.has(sig) || shortest.get(sig)! > n.length) shortest.set(sig, n.length);
        }
        const found = new Map(set.atoms.map((a) => [a.matches.join(','), a.witness]));
        for (const [sig, witness] of found) {
          expect(sigOf(witness), witness).toBe(sig);
          if (shortest.has(sig)) expect(witness.length - 1, `${witness} for {${sig}}`).toBe(shortest.get(sig));
        }
        for (const sig of shortest.keys()) expect(found.has(sig), `{${sig}} of ${patterns.join(' ')}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
