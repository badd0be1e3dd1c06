import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decide } from '../compiler/evaluate.js';
import { parseRequest } from '../compiler/request.js';
import { globMatches } from '../compiler/glob.js';
import type { PolicyIR } from '../compiler/ir.js';
import { verifyPolicy } from './index.js';
import { proveAssertions } from './assertions.js';
import { compileText, mustCompile } from '../test/compile-text.js';

function compile(text: string, params?: Record<string, string>) {
  const r = mustCompile(text, params ? { params } : {});
  return r;
}

async function verdicts(text: string): Promise<{ holds: boolean; counterexample?: string }[]> {
  const r = compile(text);
  return (await proveAssertions(r.ir!)).map((x) => (x.holds ? { holds: true } : { holds: false, counterexample: x.counterexample!.display }));
}

afterAll(() => {
  // z3's worker threads are shut down with the test process.
});

describe('assertions: path params', () => {
  const text = `policy p {
    param ws: path = "/tmp/ws"
    fs {
      allow read, write "\${ws}/**"
    }
    assert never write "/etc/passwd"
    assert always write "\${ws}/x"
  }`;
  const run = async (params?: Record<string, string>) =>
    (await proveAssertions(compile(text, params).ir!)).map((x) => (x.holds ? { holds: true } : { holds: false, counterexample: x.counterexample!.display }));

  it('a given value (--param) is what the proof is about, overlapping the policy\'s literal paths or not (review finding)', async () => {
    // The value is the one explain and the enforcer use: /etc/passwd is writable with ws=/etc.
    expect(await run({ ws: '/etc' })).toEqual([{ holds: false, counterexample: 'write /etc/passwd' }, { holds: true }]);
    expect(decide(compile(text, { ws: '/etc' }).ir!, { kind: 'fs', access: 'write', path: '/etc/passwd' }, { ws: '/etc' }).allowed).toBe(true);
    expect(await run({ ws: '/srv/app' })).toEqual([{ holds: true }, { holds: true }]);
  });

  it('without a value the param is a directory of its own, disjoint from the literal paths (docs/language.md)', async () => {
    expect(await run()).toEqual([{ holds: true }, { holds: true }]);
  });
});

describe('assertions: filesystem', () => {
  it('proves a never that holds and finds the hole in one that does not', async () => {
    const v = await verdicts(`policy p {
      param home: path = "/home/u"
      fs {
        allow read "~/**"
        deny read "~/.ssh/**"
      }
      assert never read "~/.ssh/id_rsa"
      assert never read "~/.aws/credentials"
    }`);
    expect(v[0]).toEqual({ holds: true });
    expect(v[1]).toEqual({ holds: false, counterexample: 'read ${home}/.aws/credentials' });
  });

  it('always: reports a request the policy denies', async () => {
    const v = await verdicts(`policy p {
      fs { allow read, write "/srv/**"  deny write "/srv/ro/**" }
      assert always write "/srv/**"
      assert always read "/srv/**"
    }`);
    expect(v[0]!.holds).toBe(false);
    expect(v[0]!.counterexample).toMatch(/^write \/srv\/ro/);
    expect(v[1]).toEqual({ holds: true });
  });

  it('except clauses and globs in the middle', async () => {
    const v = await verdicts(`policy p {
      fs { allow read "/data/**" except "/data/*/private/**" }
      assert never read "/data/alice/private/key"
      assert never read "/data/**/private/**"
    }`);
    expect(v[0]).toEqual({ holds: true });
    // `**` also matches zero or several segments, which the except (exactly one) does not cover:
    // /data/private/… or /data/a/b/private/… is readable.
    expect(v[1]!.holds).toBe(false);
    expect(v[1]!.counterexample).toMatch(/^read \/data\/(?:private|[^/]+\/[^/]+\/private)/);
  });
});

describe('assertions: network', () => {
  it('hosts, wildcards, CIDRs and ports', async () => {
    const v = await verdicts(`policy p {
      net {
        allow connect tcp "*.example.com":443, "10.0.0.0/8":any
        deny connect any "10.9.0.0/16"
      }
      assert never connect tcp "10.9.1.1":22
      assert never connect tcp "evil.test":443
      assert never connect tcp "10.0.0.0/8":any
      assert always connect tcp "api.example.com":443
      assert never connect tcp "::ffff:10.1.2.3":80
    }`);
    expect(v[0]).toEqual({ holds: true });
    expect(v[1]).toEqual({ holds: true });
    expect(v[2]!.holds).toBe(false);
    expect(v[2]!.counterexample).toMatch(/^connect tcp (10\.|\[::ffff:a)/);
    expect(v[3]).toEqual({ holds: true });
    // The IPv4-mapped form of an allowed IPv4 address is the same destination.
    expect(v[4]!.holds).toBe(false);
  });
});

describe('assertions: syscalls', () => {
  it('32-bit argument semantics: a garbage upper half does not escape a condition', async () => {
    const v = await verdicts(`policy p {
      syscalls { allow socket(domain != AF_VSOCK)  deny ptrace kill_process  deny kill log }
      assert never syscall ptrace
      assert always syscall kill
      assert never syscall socket
    }`);
    expect(v[0]).toEqual({ holds: true });
    expect(v[1]).toEqual({ holds: true }); // a deny with action log lets the call proceed
    expect(v[2]!.holds).toBe(false);
  });
});

describe('assertions: a deny without an action', () => {
  it('blocks under default allow and default log', async () => {
    for (const def of ['allow', 'log']) {
      expect(await verdicts(`policy p {
        syscalls { default ${def}  deny ptrace }
        assert never syscall ptrace
      }`)).toEqual([{ holds: true }]);
    }
  });
});

describe('assertions: several parents', () => {
  it('a loose parent does not re-open what a strict one denies by default, in either order', async () => {
    const parents = `policy strict { syscalls { default errno(EPERM)  allow read, write, exit_group  deny ptrace } }
      policy loose { syscalls { default allow } }`;
    for (const order of ['strict, loose', 'loose, strict']) {
      const r = compileText(`${parents}\npolicy c extends ${order} {\n  assert never syscall ptrace\n  assert never syscall bpf\n}`, { policy: 'c' });
      expect((await proveAssertions(r.ir!)).map((x) => x.holds)).toEqual([true, true]);
    }
  });
});

describe('assertions: space, tab and control characters in names', () => {
  it('always: finds the denied name made of a space', async () => {
    // Quoted: a trailing space is not seen, and explain would drop it from an unquoted path.
    const bare = await verdicts('policy p {\n  fs { allow read "/usr/**" }\n  assert always read "/x/[ ]"\n}');
    expect(bare).toEqual([{ holds: false, counterexample: 'read "/x/ "' }]);
    const denied = await verdicts('policy p {\n  fs {\n    allow read "/x/*"\n    deny read "/x/[ ]"\n  }\n  assert always read "/x/*"\n}');
    expect(denied).toEqual([{ holds: false, counterexample: 'read "/x/ "' }]);
  });

  it('shows control and invisible characters escaped, in the quoted form explain reads back', async () => {
    const v = await verdicts('policy p {\n  fs {\n    allow read "/x/*", "/y/**"\n    deny read "/x/[\\u{1f}\\u{7f}\\u{202e}]"\n  }\n  assert always read "/x/*"\n  assert never read "/y/*[\\u{1}-\\u{8}\\u{80}-\\u{9f}]*"\n}');
    expect(v[0]!.counterexample).toMatch(/^read "\/x\/\\u(001f|007f|202e)"$/);
    expect(v[1]!.counterexample).toMatch(/^read "\/y\/.*\\[bu]/); // JSON escapes: \b, \u0001
    for (const x of v) {
      expect(x.counterexample).not.toMatch(/[\p{Cc}\p{Cf}]/u);
      const back = parseRequest(x.counterexample!);
      expect(back).toMatchObject({ request: { kind: 'fs', access: 'read' } });
      expect(globMatches(x === v[0] ? '/x/[\u{1f}\u{7f}\u{202e}]' : '/y/*[\u{1}-\u{8}\u{80}-\u{9f}]*', (back as { request: { path: string } }).request.path)).toBe(true);
    }
  });
});

describe('assertions: a host no rule lists', () => {
  it('is tried even when a wildcard covers the verifier\'s own unlisted name', async () => {
    const v = await verdicts(`policy p {
      net {
        allow connect tcp any:443
        deny  connect tcp "0.0.0.0/0", "::/0", "*.mxcc-unlisted.test", "mxcc-unlisted"
      }
      assert never connect tcp any:443
    }`);
    expect(v).toEqual([{ holds: false, counterexample: 'connect tcp mxcc-unlisted-z:443' }]);
  });
});

describe('diagnostics', () => {
  it('points at the assertion and the deciding rules, with the counterexample', async () => {
    const r = compile('policy p {\n  fs {\n    allow read "/etc/**"\n  }\n  assert never read "/etc/shadow"\n}\n');
    const v = await verifyPolicy(r.ir!, r.program);
    expect(v.diagnostics).toHaveLength(1);
    const d = v.diagnostics[0]!;
    expect(d).toMatchObject({ code: 'MXC2001', span: { line: 5, column: 3 }, counterexample: 'read /etc/shadow' });
    expect(d.related).toEqual([expect.objectContaining({ message: 'allowed by fs.0', span: expect.objectContaining({ line: 3, column: 5 }) })]);
  });
});

describe('soundness against the reference evaluator', () => {
  const seg = fc.constantFrom('a', 'b', '*', 'a*', '.e', '**');
  const glob = fc.array(seg, { minLength: 1, maxLength: 3 }).map((s) => '/' + s.join('/'));
  it('every proved never holds on sampled paths; every counterexample reproduces', async () => {
    const samples = ['/', '/a', '/b', '/a/b', '/a/.e', '/b/a/.e', '/ab', '/a/a/a', '/x', '/.e', '/b/b'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), glob), { minLength: 1, maxLength: 4 }), glob, async (rules, target) => {
        const fsRules = rules.map(([allow, g]) => `${allow ? 'allow' : 'deny'} read ${JSON.stringify(g.replace(/(\/\*\*)+/g, '/**'))}`).join('\n');
        const r = compile(`policy p {\n fs {\n ${fsRules}\n }\n assert never read ${JSON.stringify(target.replace(/(\/\*\*)+/g, '/**'))}\n}`);
        const ir: PolicyIR = r.ir!;
        const [res] = await proveAssertions(ir);
        const pattern = ir.assertions[0]!.request.kind === 'fs' ? ir.assertions[0]!.request.paths[0]! : '';
        if (res!.holds) {
          for (const p of samples) if (globMatches(pattern, p)) expect(decide(ir, { kind: 'fs', access: 'read', path: p }).allowed, p).toBe(false);
        } else {
          const req = res!.counterexample!.request;
          expect(req.kind === 'fs' && globMatches(pattern, req.path)).toBe(true);
          expect(decide(ir, req).allowed).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});
