/**
 * Bounded brute-force soundness for net and syscall assertions (the fs counterpart is in
 * verifier.test.ts). Random small policies and `assert never|always` statements are drawn from a
 * small vocabulary; the universe of concrete requests below holds one representative of every
 * class of requests that vocabulary can tell apart, so over it the reference evaluator decides
 * the assertion exactly. The verifier must agree both ways: "holds" iff no request of the
 * universe violates the assertion, and every counterexample it gives reproduces with `decide`
 * and lies inside the assertion's request set.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decide, type Request } from '../compiler/evaluate.js';
import { IR_ARCHES, type IrAssertion, type PolicyIR } from '../compiler/ir.js';
import { syscallNumber } from '../compiler/syscalls/index.js';
import { proveAssertions } from './assertions.js';
import { findRedundantRules } from './hygiene.js';
import { mustCompile } from '../test/compile-text.js';

function compile(text: string): PolicyIR {
  return mustCompile(text).ir;
}

// ---------------------------------------------------------------------------
// Network

const HOSTS = ['"example.com"', '"a.example.com"', '"*.example.com"', '"other.test"', '"10.0.0.1"', '"10.0.0.0/24"', '"10.0.0.0/8"', '"192.168.1.1"', '"192.168.0.0/16"', '"fd00::1"', '"fd00::/8"', 'any'];
const PORTS = ['22', '80', '443', '80-443', 'any'];
/** One name, IPv4, IPv6 and IPv4-mapped address per class the vocabulary distinguishes. */
const NAMES = ['example.com', 'a.example.com', 'b.example.com', 'x.a.example.com', 'other.test', 'zz.unlisted.test'];
const ADDRESSES = ['10.0.0.1', '10.0.0.2', '10.1.0.1', '192.168.1.1', '192.168.2.2', '8.8.8.8', 'fd00::1', 'fd00::2', '2001:db8::1', '::ffff:10.0.0.1', '::ffff:10.1.0.1', '::ffff:8.8.8.8'];
const UNIVERSE_PORTS = [22, 80, 100, 443, 8080];

const NET_UNIVERSE: Request[] = [
  ...NAMES.map((host): Request => ({ kind: 'net', operation: 'resolve', host })),
  ...(['connect', 'bind'] as const).flatMap((operation) =>
    (['tcp', 'udp'] as const).flatMap((protocol) => [...NAMES, ...ADDRESSES].flatMap((host) => UNIVERSE_PORTS.map((port): Request => ({ kind: 'net', operation, protocol, host, port })))),
  ),
];

const RESOLVE_HOSTS = ['"example.com"', '"a.example.com"', '"*.example.com"', '"other.test"', 'any'];
const netTarget = (resolve: boolean) => (resolve ? fc.constantFrom(...RESOLVE_HOSTS) : fc.tuple(fc.constantFrom(...HOSTS), fc.constantFrom(...PORTS)).map(([h, p]) => `${h}:${p}`));
const netOp = fc.constantFrom('connect', 'bind', 'resolve');
const protocol = fc.constantFrom('tcp', 'udp', 'any');

const netRule = fc
  .tuple(fc.boolean(), netOp, protocol)
  .chain(([allow, op, proto]) =>
    fc.tuple(fc.array(netTarget(op === 'resolve'), { minLength: 1, maxLength: 2 }), fc.option(netTarget(op === 'resolve'), { nil: undefined })).map(([targets, except]) => {
      const head = `${allow ? 'allow' : 'deny'} ${op}${op === 'resolve' ? '' : ` ${proto}`}`;
      return `${head} ${targets.join(', ')}${except ? ` except ${except}` : ''}`;
    }),
  );

const netAssertion = fc
  .tuple(fc.constantFrom('never', 'always'), netOp, fc.constantFrom('tcp', 'udp'))
  .chain(([q, op, proto]) => netTarget(op === 'resolve').map((t) => `assert ${q} ${op}${op === 'resolve' ? '' : ` ${proto}`} ${t}`));

/** Is the request one the assertion is about? (Its targets as the only allow rule, decided by the reference evaluator.) */
function inAssertion(ir: PolicyIR, a: IrAssertion, req: Request): boolean {
  if (a.request.kind !== 'net' || req.kind !== 'net' || req.operation !== a.request.operation) return false;
  const only: PolicyIR = { ...ir, net: { rules: [{ id: 'q', effect: 'allow', operation: a.request.operation, protocols: a.request.protocols, targets: a.request.targets, except: [], origin: a.origin }] } };
  return decide(only, req).allowed;
}

function violates(ir: PolicyIR, a: IrAssertion, req: Request): boolean {
  const allowed = decide(ir, req).allowed;
  return a.quantifier === 'never' ? allowed : !allowed;
}

// ---------------------------------------------------------------------------
// Syscalls: kill(pid, sig) and socket(domain, type), 32-bit arguments.

const CALLS: Record<string, [string, string]> = { kill: ['pid', 'sig'], socket: ['domain', 'type'] };
/** Low 32 bits 0-7 cover every comparison with 0-3 and every mask ≤ 3; the rest carry garbage upper halves. */
const ARG_VALUES = [0n, 1n, 2n, 3n, 4n, 5n, 7n, 0xffffffffn, 0x100000000n, 0x100000002n, 0xffffffff00000003n];

const comparison = (name: string) =>
  fc.oneof(
    fc.tuple(fc.constantFrom('==', '!=', '<', '<=', '>', '>='), fc.integer({ min: 0, max: 3 })).map(([op, v]) => `${name} ${op} ${v}`),
    fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom('==', '!='), fc.integer({ min: 0, max: 3 })).map(([m, op, v]) => `${name} & ${m} ${op} ${v}`),
  );

const syscallRule = fc.constantFrom(...Object.keys(CALLS)).chain((call) => {
  const [a, b] = CALLS[call]!;
  const cond = fc.oneof(comparison(a), comparison(b), fc.tuple(comparison(a), comparison(b), fc.constantFrom('&&', '||')).map(([x, y, j]) => `${x} ${j} ${y}`));
  return fc.tuple(fc.boolean(), fc.option(cond, { nil: undefined }), fc.constantFrom('', ' kill_process', ' errno(EACCES)', ' log', ' trap')).map(([allow, c, action]) => `${allow ? 'allow' : 'deny'} ${call}${c ? `(${c})` : ''}${allow ? '' : action}`);
});

const syscallDefault = fc.constantFrom('errno(EPERM)', 'allow', 'log', 'kill_process');
const syscallAssertion = fc.tuple(fc.constantFrom('never', 'always'), fc.subarray(Object.keys(CALLS), { minLength: 1 })).map(([q, calls]) => `assert ${q} syscall ${calls.join(', ')}`);

const SYSCALL_UNIVERSE: Request[] = IR_ARCHES.flatMap((arch) =>
  Object.keys(CALLS).flatMap((syscall) => ARG_VALUES.flatMap((x) => ARG_VALUES.map((y): Request => ({ kind: 'syscall', arch, syscall, nr: syscallNumber(syscall, arch)!, args: [x, y, 0n, 0n, 0n, 0n] })))),
);

/** Verdicts seen, so the test can show it exercised both outcomes. */
type Tally = { held: number; refuted: number };

async function checkAgainstBruteForce(ir: PolicyIR, universe: readonly Request[], inSet: (a: IrAssertion, r: Request) => boolean, tally: Tally): Promise<void> {
  const results = await proveAssertions(ir);
  for (const res of results) {
    tally[res.holds ? 'held' : 'refuted']++;
    const a = res.assertion;
    const witness = universe.find((r) => inSet(a, r) && violates(ir, a, r));
    if (res.holds) {
      expect(witness, `${a.id} proved, but ${JSON.stringify(witness, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))} violates it`).toBeUndefined();
    } else {
      const ce = res.counterexample!;
      expect(inSet(a, ce.request), `${ce.display} is outside ${a.id}`).toBe(true);
      expect(violates(ir, a, ce.request), `${ce.display} does not reproduce`).toBe(true);
      expect(witness, `the verifier found ${ce.display} but no request of the bounded universe violates ${a.id}`).toBeDefined();
    }
  }
}

describe('bounded brute-force soundness', () => {
  it('net: proved iff no request of the universe violates; counterexamples reproduce', async () => {
    const tally: Tally = { held: 0, refuted: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(netRule, { minLength: 0, maxLength: 4 }), fc.array(netAssertion, { minLength: 1, maxLength: 2 }), async (rules, asserts) => {
        const ir = compile(`policy p {\n  net {\n    ${rules.join('\n    ')}\n  }\n  ${asserts.join('\n  ')}\n}\n`);
        await checkAgainstBruteForce(ir, NET_UNIVERSE, (a, r) => inAssertion(ir, a, r), tally);
      }),
      { numRuns: 250 },
    );
    expect(tally.held).toBeGreaterThan(20);
    expect(tally.refuted).toBeGreaterThan(20);
  });

  it('syscalls: proved iff no call of the universe violates (32-bit semantics, actions, defaults); counterexamples reproduce', async () => {
    const tally: Tally = { held: 0, refuted: 0 };
    await fc.assert(
      fc.asyncProperty(syscallDefault, fc.array(syscallRule, { minLength: 0, maxLength: 4 }), syscallAssertion, async (def, rules, assertion) => {
        const ir = compile(`policy p {\n  syscalls {\n    default ${def}\n    ${rules.join('\n    ')}\n  }\n  ${assertion}\n}\n`);
        await checkAgainstBruteForce(ir, SYSCALL_UNIVERSE, (a, r) => a.request.kind === 'syscall' && r.kind === 'syscall' && a.request.syscalls.includes(r.syscall), tally);
      }),
      { numRuns: 400 },
    );
    expect(tally.held).toBeGreaterThan(20);
    expect(tally.refuted).toBeGreaterThan(20);
  });

  // The redundant-rule lint claims that removing the rules it reports changes no decision. Over
  // the same universes (and sampled paths for fs), remove every reported rule at once and compare.
  const same = (a: PolicyIR, b: PolicyIR, universe: readonly Request[], params: Record<string, string> = {}): string | undefined => {
    for (const r of universe) {
      const x = decide(a, r, params);
      const y = decide(b, r, params);
      if (x.allowed !== y.allowed || JSON.stringify(x.action) !== JSON.stringify(y.action)) return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
    }
    return undefined;
  };
  const without = (ir: PolicyIR, ids: Set<string>): PolicyIR => ({
    ...ir,
    fs: { rules: ir.fs.rules.filter((r) => !ids.has(r.id)) },
    net: { rules: ir.net.rules.filter((r) => !ids.has(r.id)) },
    syscalls: { ...ir.syscalls, rules: { x86_64: ir.syscalls.rules.x86_64.filter((r) => !ids.has(r.id)), aarch64: ir.syscalls.rules.aarch64.filter((r) => !ids.has(r.id)) } },
  });

  it('redundant-rule: removing every reported rule together changes no decision (net, syscalls, fs)', async () => {
    let reported = 0;
    const seg = fc.constantFrom('a', 'b', '*', 'a*', '.e', '**');
    const glob = fc.array(seg, { minLength: 1, maxLength: 3 }).map((x) => JSON.stringify(('/' + x.join('/')).replace(/(\/\*\*)+/g, '/**')));
    const fsRule = fc.tuple(fc.boolean(), fc.subarray(['read', 'write'], { minLength: 1 }), fc.array(glob, { minLength: 1, maxLength: 2 })).map(([allow, rights, globs]) => `${allow ? 'allow' : 'deny'} ${rights.join(', ')} ${globs.join(', ')}`);
    const paths = ['/', '/a', '/b', '/a/b', '/a/.e', '/b/a/.e', '/ab', '/a/a/a', '/x', '/.e', '/b/b', '/a/ab', '/b/.e/a'];
    const FS_UNIVERSE: Request[] = paths.flatMap((path) => (['read', 'write'] as const).map((access): Request => ({ kind: 'fs', access, path })));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fsRule, { maxLength: 4 }),
        fc.array(netRule, { maxLength: 4 }),
        syscallDefault,
        fc.array(syscallRule, { maxLength: 4 }),
        async (fsRules, netRules, def, sysRules) => {
          const ir = compile(`policy p {\n  fs {\n    ${fsRules.join('\n    ')}\n  }\n  net {\n    ${netRules.join('\n    ')}\n  }\n  syscalls {\n    default ${def}\n    ${sysRules.join('\n    ')}\n  }\n}\n`);
          const ids = new Set((await findRedundantRules(ir)).map((f) => f.rule));
          // A syscall finding stands for its whole statement: every rule with the same origin.
          for (const arch of IR_ARCHES) {
            for (const r of ir.syscalls.rules[arch]) {
              if (ids.has(r.id)) for (const o of ir.syscalls.rules[arch]) if (o.origin.line === r.origin.line && o.origin.column === r.origin.column && o.effect === r.effect) ids.add(o.id);
            }
          }
          reported += ids.size;
          const smaller = without(ir, ids);
          expect(same(ir, smaller, [...NET_UNIVERSE, ...SYSCALL_UNIVERSE, ...FS_UNIVERSE]), `removing ${[...ids].join(', ')}`).toBeUndefined();
        },
      ),
      { numRuns: 100 },
    );
    expect(reported).toBeGreaterThan(10);
  });
});
