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
});
