/**
 * Path params without a value are proved at every placement the policy's other patterns tell
 * apart (review findings: a proof at one directory of one level, below the first `under` path
 * only, held where real values break it).
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../compiler/evaluate.js';
import type { IrParam } from '../compiler/ir.js';
import { paramPlacements, MAX_PLACES } from './atoms.js';
import { diffPolicies } from './diff.js';
import { verifyPolicy } from './index.js';
import { lintPolicy, lintAll } from './lint.js';
import { LINTS } from './lints/index.js';
import { mustCompile } from '../test/compile-text.js';

function compile(text: string, params?: Record<string, string>) {
  const r = mustCompile(text, params ? { params } : {});
  return r;
}

const P = (name: string, under?: string[]): IrParam => ({ name, type: 'path', constraints: under ? [{ kind: 'under', paths: under }] : [] }) as unknown as IrParam;
/** Placements with the fresh names shown as F (one per character). */
const shown = (xs: Record<string, string>[]): Record<string, string>[] => xs.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v.replace(/[\u{f0000}-\u{10ffff}]/gu, 'F')])));

describe('paramPlacements', () => {
  it('one directory of its own when no pattern tells places apart (the corpus)', () => {
    expect(shown(paramPlacements([P('ws')], ['${ws}/**', '/**/.env', '/home/*/.ssh/**']))).toEqual([{ ws: '/F' }]);
  });
  it('each depth a fixed-depth wildcard sees, each under path, each name length ? counts', () => {
    expect(shown(paramPlacements([P('ws')], ['${ws}/**', '/*/secret']))).toEqual([{ ws: '/F' }, { ws: '/F/F' }]);
    expect(shown(paramPlacements([P('ws', ['/tmp', '/srv'])], ['${ws}/**', '/tmp/**']))).toEqual([{ ws: '/tmp/F' }, { ws: '/srv/F' }]);
    expect(shown(paramPlacements([P('ws')], ['${ws}/**', '/?/**']))).toEqual([{ ws: '/F' }, { ws: '/FF' }]);
    expect(shown(paramPlacements([P('a'), P('b')], ['/*/x']))).toEqual([{ a: '/F', b: '/F' }, { a: '/F', b: '/F/F' }, { a: '/F/F', b: '/F' }, { a: '/F/F', b: '/F/F' }]);
  });
  it('names no pattern contains, even one spelling the private-use characters', () => {
    const [at] = paramPlacements([P('ws')], ['${ws}/**', '/\u{f0000}/**']);
    expect(at!.ws).toBe('/\u{f0001}');
  });
  it('patterns rooted at a param with a value see placements too; fresh names avoid given values (review findings)', () => {
    const data = { ...P('data'), value: '/srv' } as IrParam;
    expect(shown(paramPlacements([data, P('ws', ['/srv'])], ['${ws}/**', '${data}/*/secret']))).toEqual([{ ws: '/srv/F' }, { ws: '/srv/F/F' }]);
    const given = { ...P('data'), value: '/\u{f0001}' } as IrParam;
    const [at] = paramPlacements([given, P('ws')], ['${ws}/**', '${data}/**']);
    expect(at!.ws).not.toBe('/\u{f0001}');
  });
  it('a param with a value is not placed; too many placements is MXC2005', () => {
    expect(paramPlacements([{ ...P('ws'), value: '/srv/app' } as IrParam], ['/*/x'])).toEqual([{}]);
    const deep = `/${'*/'.repeat(MAX_PLACES + 1)}x`;
    expect(() => paramPlacements([P('ws')], [deep])).toThrow(/too complex to verify/);
  });
});

describe('verify, lint and diff at every placement', () => {
  it('a wildcard at a fixed depth does not prove a param at every depth (/*/secret)', async () => {
    const text = 'policy p {\n  param ws: path\n  fs {\n    allow write "${ws}/**"\n    deny write "/*/secret"\n  }\n  assert never write "${ws}/secret"\n}\n';
    const r = compile(text);
    const v = await verifyPolicy(r.ir!, r.program);
    expect(v.results[0]!.holds).toBe(false);
    const ce = v.results[0]!.counterexample!;
    expect(ce.display).toBe('write ${ws}/secret (with ${ws} = /<dir>/<dir>, where <dir> is a directory the policy does not name)');
    // The witness is real for a value two levels deep, which explain agrees with.
    expect(decide(r.ir!, { kind: 'fs', access: 'write', path: '/a/b/secret' }, { ws: '/a/b' }).allowed).toBe(true);
    // With the value given, the proof is for that value only.
    expect((await verifyPolicy(compile(text, { ws: '/a' }).ir!, r.program)).results[0]!.holds).toBe(true);
  });

  it('every under path is proved, and dead-allow needs the allow dead at every placement', async () => {
    const text = 'policy p {\n  param ws: path where under "/tmp", "/srv"\n  fs {\n    allow write "${ws}/**"\n    deny write "/tmp/**"\n  }\n  assert never write "${ws}/x"\n}\n';
    const r = compile(text);
    const v = await verifyPolicy(r.ir!, r.program);
    expect(v.results[0]!.counterexample?.display).toBe('write ${ws}/x (with ${ws} = /srv/<dir>, where <dir> is a directory the policy does not name)');
    const found = await lintAll(r.ir!, r.program, LINTS.filter((l) => l.id === 'dead-allow'));
    expect(found.map((d) => d.code)).toEqual(['MXC2001']);
    // Under /tmp alone the allow is dead, and said so.
    const dead = compile(text.replace('"/tmp", "/srv"', '"/tmp"').replace('  assert never write "${ws}/x"\n', ''));
    expect((await lintAll(dead.ir!, dead.program, LINTS.filter((l) => l.id === 'dead-allow'))).map((d) => d.code)).toEqual(['MXC2115']);
    expect((await lintPolicy(dead.ir!, dead.program, LINTS.filter((l) => l.id === 'dead-allow'))).map((d) => d.code)).toEqual(['MXC2115']);
  });

  it('diff finds what changes at one placement only', async () => {
    const before = compile('policy p {\n  param ws: path where under "/srv"\n  fs {\n    allow write "${ws}/**"\n    deny write "/srv/*/*/.git/**"\n  }\n}\n').ir!;
    const after = compile('policy p {\n  param ws: path where under "/srv"\n  fs {\n    allow write "${ws}/**"\n  }\n}\n').ir!;
    const [fs] = await diffPolicies(before, after);
    expect(fs!.comparison).toBe('more permissive');
    const w = fs!.newlyAllowed!;
    expect(decide(after, w.request, w.params).allowed).toBe(true);
    expect(decide(before, w.request, w.params).allowed).toBe(false);
  });
});
