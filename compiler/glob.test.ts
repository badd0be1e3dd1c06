import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { globMatches, globsIntersect, normalizeGlob, normalizeRequestPath, predicatesIntersect, witnessChar, type CharPredicate } from './glob.js';
import { globCovers } from './check.js';

const norm = (s: string): string[] => {
  const r = normalizeGlob(s);
  if ('error' in r) throw new Error(r.error.message);
  return r.patterns;
};

describe('normalizeGlob', () => {
  it('normalizes separators, dots, trailing slashes and repeated globstars', () => {
    expect(norm('/usr//lib/./x/')).toEqual(['/usr/lib/x']);
    expect(norm('/a/**/**/b')).toEqual(['/a/**/b']);
    expect(norm('/')).toEqual(['/']);
    expect(norm('**/.env')).toEqual(['/**/.env']);
    expect(norm('~/.ssh/**')).toEqual(['${home}/.ssh/**']);
    expect(norm('${ws}')).toEqual(['${ws}']);
    expect(norm('${ws}/')).toEqual(['${ws}']);
  });
  it('expands braces, nested, without duplicates', () => {
    expect(norm('/usr/{lib,lib64}/{a,{b,c}}')).toEqual(['/usr/lib/a', '/usr/lib/b', '/usr/lib/c', '/usr/lib64/a', '/usr/lib64/b', '/usr/lib64/c']);
    expect(norm('/x/{a,a}')).toEqual(['/x/a']);
    expect(norm('/x/[{]')).toEqual(['/x/[{]']);
    expect(norm('/x/f{,.bak}')).toEqual(['/x/f', '/x/f.bak']);
  });
  it('reads character classes before braces: a brace or comma in a class is a character', () => {
    expect(norm('/x/[}]')).toEqual(['/x/[}]']);
    expect(norm('/x/[{}]')).toEqual(['/x/[{}]']);
    expect(norm('/a/{x,[,]y}')).toEqual(['/a/x', '/a/[,]y']);
    expect(norm('/a/{b,[}]}')).toEqual(['/a/b', '/a/[}]']);
    expect(norm('/a/{[{],b}')).toEqual(['/a/[{]', '/a/b']);
    expect(norm('/a/{b,c}[}]')).toEqual(['/a/b[}]', '/a/c[}]']);
    expect(globMatches(norm('/x/[}]')[0]!, '/x/}')).toBe(true);
    expect(globMatches(norm('/a/{x,[,]y}')[1]!, '/a/,y')).toBe(true);
  });
  it('rejects empty braces, which would silently mean the directory itself', () => {
    for (const [pattern, at] of [['/a/{}', 3], ['/a/{}b', 3], ['/a/{x,{}}', 6], ['/a/[{]{}', 6]] as const) {
      const r = normalizeGlob(pattern);
      expect(r, pattern).toEqual({ error: expect.objectContaining({ code: 'MXC1103', message: 'empty {} in path pattern', at, length: 2 }) });
    }
  });
  it('rejects what cannot be normalized, with the right code', () => {
    const err = (s: string) => {
      const r = normalizeGlob(s);
      return 'error' in r ? r.error.code : 'ok';
    };
    expect(err('src/**')).toBe('MXC1102');
    expect(err('/a/../b')).toBe('MXC1103');
    expect(err('/a**')).toBe('MXC1103');
    expect(err('/a/[')).toBe('MXC1103');
    expect(err('/a/[z-a]')).toBe('MXC1103');
    expect(err('/a/{b')).toBe('MXC1103');
    expect(err('/a/b}')).toBe('MXC1103');
    expect(err('/a/[b]}')).toBe('MXC1103');
    expect(err('/a/{[}')).toBe('MXC1103');
    expect(err('/a/${p}')).toBe('MXC1103');
    expect(err('${p}x')).toBe('MXC1103');
    expect(err('~user/x')).toBe('MXC1103');
    expect(err('/' + '{a,b}'.repeat(9))).toBe('MXC1103');
  });
});

describe('globMatches', () => {
  it('implements *, **, ?, classes and the root', () => {
    expect(globMatches('/a/**', '/a')).toBe(true);
    expect(globMatches('/a/**', '/a/b/c')).toBe(true);
    expect(globMatches('/a/**', '/ab')).toBe(false);
    expect(globMatches('/**', '/')).toBe(true);
    expect(globMatches('/', '/')).toBe(true);
    expect(globMatches('/', '/a')).toBe(false);
    expect(globMatches('/a/*', '/a/b')).toBe(true);
    expect(globMatches('/a/*', '/a/b/c')).toBe(false);
    expect(globMatches('/a/*.txt', '/a/.txt')).toBe(true);
    expect(globMatches('/a/?', '/a/b')).toBe(true);
    expect(globMatches('/a/?', '/a/bc')).toBe(false);
    expect(globMatches('/a/[b-d]x', '/a/cx')).toBe(true);
    expect(globMatches('/a/[!b-d]x', '/a/cx')).toBe(false);
    expect(globMatches('/a/[!b-d]x', '/a/ex')).toBe(true);
    expect(globMatches('/**/.env', '/.env')).toBe(true);
    expect(globMatches('/**/.env', '/x/y/.env')).toBe(true);
    expect(globMatches('/a/**/b', '/a/b')).toBe(true);
    expect(globMatches('/a.b', '/axb')).toBe(false);
    expect(globMatches('/usr/lib/x86_64-linux-gnu/**', '/usr/lib/x86_64-linux-gnu/libc.so.6')).toBe(true);
    expect(globMatches('/a/(x)+$^', '/a/(x)+$^')).toBe(true);
  });
  it('substitutes param roots literally', () => {
    expect(globMatches('${ws}/**', '/w/x', { ws: '/w' })).toBe(true);
    expect(globMatches('${ws}/**', '/w', { ws: '/w' })).toBe(true);
    expect(globMatches('${ws}/**', '/wx', { ws: '/w' })).toBe(false);
    expect(globMatches('${ws}/a', '/w.x/a', { ws: '/w.x' })).toBe(true);
    expect(globMatches('${ws}/a', '/wzx/a', { ws: '/w.x' })).toBe(false);
    expect(globMatches('${ws}/a', '/home/x-y/a', { ws: '/home/x-y' })).toBe(true);
    expect(globMatches('${ws}/**', '/anything', { ws: '/' })).toBe(true);
    expect(() => globMatches('${ws}/**', '/w')).toThrow(/unbound/);
  });
  it('normalizes request paths lexically', () => {
    expect(normalizeRequestPath('/a/./b//c/../d/')).toEqual({ path: '/a/b/d' });
    expect(normalizeRequestPath('/..')).toEqual({ path: '/' });
    expect(normalizeRequestPath('a')).toHaveProperty('error');
  });
});

describe('globsIntersect and globCovers', () => {
  it('finds common paths', () => {
    expect(globsIntersect('/a/**', '/**/.env')).toBe(true);
    expect(globsIntersect('/a/*.txt', '/a/b*')).toBe(true);
    expect(globsIntersect('/a/*.txt', '/a/*.md')).toBe(false);
    expect(globsIntersect('/a/[abc]', '/a/[!abc]')).toBe(false);
    expect(globsIntersect('/a/[a-c]', '/a/[!ab]')).toBe(true);
    expect(globsIntersect('/a/b', '/a/b/c')).toBe(false);
    expect(globsIntersect('${ws}/**', '/etc/**')).toBe(false);
    expect(globsIntersect('${ws}/**', '/**/.git')).toBe(true);
    expect(globsIntersect('${ws}/x', '${ws}/*')).toBe(true);
    expect(globsIntersect('${a}/x', '${b}/x')).toBe(false);
  });
  it('covers only when every matched path is covered', () => {
    expect(globCovers('/etc/**', '/etc/passwd')).toBe(true);
    expect(globCovers('/etc/**', '/etc')).toBe(true);
    expect(globCovers('/etc/**', '/etcx')).toBe(false);
    expect(globCovers('/**', '${ws}/x')).toBe(true);
    expect(globCovers('/etc/**', '/**/passwd')).toBe(false);
    expect(globCovers('${ws}/.git/**', '${ws}/.git/hooks/*')).toBe(true);
  });
});

describe('predicatesIntersect', () => {
  it('agrees with the witness search for literals, "any" and classes (slash and surrogates included)', () => {
    const chars = [0x2f, 0x61, 0x62, 0x5f, 0x2e, 0xd800, 0xdfff, 0x1f600, 0x10ffff, 0x20];
    const pred: fc.Arbitrary<CharPredicate> = fc.oneof(
      fc.constant({ kind: 'any' as const }),
      fc.constantFrom(...chars).map((cp) => ({ kind: 'lit' as const, ch: String.fromCodePoint(cp) })),
      fc
        .tuple(fc.boolean(), fc.array(fc.tuple(fc.constantFrom(...chars, 0x0, 0x60, 0x63), fc.nat(0x30)), { minLength: 1, maxLength: 3 }))
        .map(([negated, rs]) => ({ kind: 'class' as const, negated, ranges: rs.map(([lo, n]): [number, number] => [lo, Math.min(lo + n, 0x10ffff)]) })),
    );
    fc.assert(
      fc.property(pred, pred, (a, b) => {
        expect(predicatesIntersect(a, b)).toBe(witnessChar(a, b) !== undefined);
      }),
      { numRuns: 2000, seed: 1203 },
    );
  });
});
