import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decide } from '../compiler/evaluate.js';
import { diffPolicies, diffSettings } from './diff.js';
import { pendingFrees } from './z3.js';
import { mustCompile } from '../test/compile-text.js';

function ir(text: string) {
  return mustCompile(text).ir;
}

describe('semantic diff', () => {
  const base = ir(`policy p {
    fs { allow read, write "/srv/**"  deny write "/srv/ro/**" }
    net { allow connect tcp "a.example.com":443 }
    syscalls { allow read, write, socket(domain == AF_UNIX) }
  }`);

  it('identical policies are equivalent in every section', async () => {
    expect((await diffPolicies(base, base)).map((s) => [s.section, s.comparison])).toEqual([['fs', 'equivalent'], ['net', 'equivalent'], ['syscalls', 'equivalent']]);
  });

  it('compares the syscall defaults even when the two policies name every syscall of the table (review finding)', async () => {
    const strict = ir('policy p { syscalls { default errno(EPERM)  allow @known } }');
    const open = ir('policy p { syscalls { default allow  deny ptrace  allow @known } }');
    const [, , sys] = await diffPolicies(strict, open);
    expect(sys!.comparison).toBe('incomparable');
    const added = sys!.newlyAllowed!.request;
    expect(added).toMatchObject({ kind: 'syscall', syscall: '' });
    expect(decide(open, added).allowed).toBe(true);
    expect(decide(strict, added).allowed).toBe(false);
    expect(sys!.newlyAllowed!.display).toMatch(/^syscall (x86_64|aarch64) \d+\(/);
  });

  it('classifies each section and gives witnesses that reproduce against both policies', async () => {
    const next = ir(`policy p {
      fs { allow read, write "/srv/**"  deny write "/srv/ro/**", "/srv/logs/**"  allow read "/opt/**" }
      net { allow connect tcp "*.example.com":443  deny connect any "a.example.com" }
      syscalls { allow read, write, socket(domain in [AF_UNIX, AF_INET]) }
    }`);
    const d = await diffPolicies(base, next);
    expect(d.map((s) => [s.section, s.comparison])).toEqual([['fs', 'incomparable'], ['net', 'incomparable'], ['syscalls', 'more permissive']]);
    for (const s of d) {
      if (s.newlyAllowed) {
        expect(decide(next, s.newlyAllowed.request).allowed).toBe(true);
        expect(decide(base, s.newlyAllowed.request).allowed).toBe(false);
      }
      if (s.newlyDenied) {
        expect(decide(base, s.newlyDenied.request).allowed).toBe(true);
        expect(decide(next, s.newlyDenied.request).allowed).toBe(false);
      }
    }
    expect(d[2]!.newlyAllowed!.display).toMatch(/socket\(0x2,/);
  });

  it('sees a new deny on control characters in names', async () => {
    const before = ir('policy p { fs { allow read, write "/w/**" } }');
    const after = ir('policy p { fs { allow read, write "/w/**"  deny write "**/*[\\u{1}-\\u{1f}]*" } }');
    const [fs] = await diffPolicies(before, after);
    expect(fs!.comparison).toBe('less permissive');
    expect(decide(before, fs!.newlyDenied!.request).allowed).toBe(true);
    expect(decide(after, fs!.newlyDenied!.request).allowed).toBe(false);
  });

  it('sees a newly denied host that no rule lists, whatever the wildcards', async () => {
    const before = ir('policy p { net { allow connect tcp any:443  deny connect tcp "0.0.0.0/0", "::/0", "*.mxcc-unlisted.test" } }');
    const after = ir('policy p { net { deny connect tcp any } }');
    const net = (await diffPolicies(before, after))[1]!;
    expect(net.comparison).toBe('less permissive');
    expect(decide(before, net.newlyDenied!.request).allowed).toBe(true);
    expect(decide(after, net.newlyDenied!.request).allowed).toBe(false);
  });

  it('a changed default action shows up on a syscall no rule names', async () => {
    const open = ir('policy p { syscalls { default allow  allow read, write, socket(domain == AF_UNIX) } }');
    const d = await diffPolicies(base, open);
    expect(d[2]!.comparison).toBe('more permissive');
  });
});

describe('settings diff', () => {
  it('lists every change outside the requests, each newly allowed or newly denied (review finding: a secret variable passed through was "equivalent")', () => {
    const before = ir(`policy p {
      process { env allow "HOME", "LANG"  capabilities CAP_NET_BIND_SERVICE }
      limits { memory 256MiB  files 64 }
    }`);
    const after = ir(`policy p {
      isolation container
      process { env allow "HOME", "AWS_SECRET_ACCESS_KEY" }
      limits { memory 1GiB  wall 10s }
    }`);
    const d = diffSettings(before, after);
    expect(d.comparison).toBe('incomparable');
    expect(d.newlyAllowed).toEqual(['env passed through: AWS_SECRET_ACCESS_KEY', 'limits.memory 256MiB → 1GiB', 'limits.files 64 → none']);
    expect(d.newlyDenied).toEqual(['env passed through: LANG', 'capability kept: CAP_NET_BIND_SERVICE', 'isolation process → container', 'limits.wall none → 10s']);
    expect(diffSettings(before, before)).toEqual({ section: 'settings', comparison: 'equivalent', newlyAllowed: [], newlyDenied: [] });
    expect(diffSettings(after, before).newlyAllowed).toEqual(['env passed through: LANG', 'capability kept: CAP_NET_BIND_SERVICE', 'isolation container → process', 'limits.wall 10s → none']);
  });
});

describe('semantic diff and the garbage collector', () => {
  it('frees no z3 object while it runs: frees found by a collection wait until it returns', async () => {
    setFlagsFromString('--expose-gc'); // in this test file's process only (vitest forks one per file)
    const gc = runInNewContext('gc') as () => void;
    const before = ir('policy p { fs { allow read "/a/**" } syscalls { allow read, write } }');
    const after = ir('policy p { fs { allow read "/a/**", "/b/**"  deny read "/a/s/**" } syscalls { allow read, write, openat } }');
    await diffPolicies(before, after); // z3 loaded, the first objects made
    // A collection between every step of the diff (timers run while a check is in flight).
    const samples: number[] = [];
    const timer = setInterval(() => {
      gc();
      samples.push(pendingFrees());
    }, 1);
    try {
      await diffPolicies(before, after);
    } finally {
      clearInterval(timer);
    }
    // While held, the count of waiting frees only grows; a free run mid-diff would drop it.
    expect(samples.length).toBeGreaterThan(3);
    expect(Math.max(...samples)).toBeGreaterThan(0);
    expect(samples.every((n, i) => i === 0 || n >= samples[i - 1]!), samples.join(',')).toBe(true);
    expect(pendingFrees()).toBe(0);
  });
});
