import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { compileFile } from '../compiler/index.js';
import type { IrAction, PolicyIR } from '../compiler/ir.js';
import { decide } from '../compiler/evaluate.js';
import { syscallName } from '../compiler/syscalls/index.js';
import { runFilter } from '../targets/linux/seccomp/interpret.js';
import { AUDIT_ARCH, compileSeccomp } from '../targets/linux/seccomp/compile.js';
import type { Insn } from '../targets/linux/seccomp/bpf.js';
import fc from 'fast-check';
import { syscallAllowedExpr } from './assertions.js';
import { validateSeccomp } from './translation.js';
import { check, z3 } from './z3.js';
import { mustCompile } from '../test/compile-text.js';

const ROOT = path.resolve(import.meta.dirname, '..');

function corpus(name: string): PolicyIR {
  const r = compileFile(path.join(ROOT, 'corpus', name), { cwd: ROOT });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.ir;
}

function compileText(text: string): PolicyIR {
  return mustCompile(text).ir;
}

const small = (): PolicyIR => compileText('policy p { syscalls { allow read, write  allow socket(domain != AF_VSOCK)  deny ioctl(request == TIOCSTI) kill_process  allow ioctl } }');

describe('translation validation of seccomp programs', () => {
  it('the compiled programs agree with the policy on every call (corpus, both architectures)', async () => {
    for (const name of ['docker-default.mxc', 'coding-agent.mxc']) {
      const ir = corpus(name);
      for (const arch of ['x86_64', 'aarch64'] as const) {
        expect(await validateSeccomp(ir, arch, compileSeccomp(ir, arch).program), `${name} ${arch}`).toEqual([]);
      }
    }
  });

  it('catches deliberately miscompiled programs: each mutation is reported', async () => {
    const ir = small();
    const good = compileSeccomp(ir, 'x86_64').program;
    const mutate = (f: (p: Insn[]) => void): Insn[] => {
      const p = good.map((i) => ({ ...i }));
      f(p);
      return p;
    };
    const firstIndex = (pred: (i: Insn) => boolean): number => {
      const i = good.findIndex(pred);
      if (i < 0) throw new Error('mutation target not found');
      return i;
    };
    const mutations: [string, Insn[]][] = [
      ['swap the branches of the first jge', mutate((p) => { const i = firstIndex((x) => x.code === 0x35); [p[i]!.jt, p[i]!.jf] = [p[i]!.jf, p[i]!.jt]; })],
      ['move a tree split point by one', mutate((p) => { const i = firstIndex((x) => x.code === 0x35 && x.k > 1); p[i]!.k += 1; })],
      ['turn the default errno into allow', mutate((p) => { const i = firstIndex((x) => x.code === 0x06 && x.k === 0x00050001); p[i]!.k = 0x7fff0000; })],
      ['change the TIOCSTI constant', mutate((p) => { const i = firstIndex((x) => x.code === 0x15 && x.k === 0x5412); p[i]!.k = 0x5413; })],
      ['change the AF_VSOCK constant', mutate((p) => { const i = firstIndex((x) => x.code === 0x15 && x.k === 40); p[i]!.k = 41; })],
      ['break the architecture check', mutate((p) => { p[1]!.k = 0xc00000b7; })],
    ];
    for (const [what, program] of mutations) {
      const findings = await validateSeccomp(ir, 'x86_64', program);
      expect(findings.length, what).toBeGreaterThan(0);
    }
    expect(await validateSeccomp(ir, 'x86_64', good)).toEqual([]);
  });

  it('catches a program that refuses or lets through with another action than the policy\'s', async () => {
    const ir = small(); // default errno(EPERM); ioctl(TIOCSTI) kill_process
    const good = compileSeccomp(ir, 'x86_64').program;
    const retMutation = (from: number, to: number): Insn[] => {
      const at = good.findIndex((x) => x.code === 0x06 && x.k === from);
      if (at < 0) throw new Error(`no RET 0x${from.toString(16)} in the program`);
      return good.map((i, n) => (n === at ? { ...i, k: to } : { ...i }));
    };
    const cases: [string, Insn[], RegExp][] = [
      ['the default errno(EPERM) returned as errno(EACCES)', retMutation(0x00050001, 0x0005000d), /the program returns errno\(13\), the policy decides errno\(1\)/],
      ['kill_process returned as kill_thread', retMutation(0x80000000, 0x00000000), /ioctl\(0x[0-9a-f]+, 0x5412.*the program returns kill_thread, the policy decides kill_process/],
      ['kill_process returned as errno(EPERM)', retMutation(0x80000000, 0x00050001), /the program returns errno\(1\), the policy decides kill_process/],
      ['allow returned as log', retMutation(0x7fff0000, 0x7ffc0000), /the program returns log, the policy decides allow/],
    ];
    for (const [what, program, display] of cases) {
      const findings = await validateSeccomp(ir, 'x86_64', program);
      expect(findings.map((f) => f.direction), what).toEqual(['program returns another action than the policy']);
      expect(findings[0]!.display, what).toMatch(display);
    }
    // Data the kernel ignores (allow with data bits) is not a difference.
    const allowWithData = good.map((i) => (i.code === 0x06 && i.k === 0x7fff0000 ? { ...i, k: 0x7fff0042 } : { ...i }));
    expect(await validateSeccomp(ir, 'x86_64', allowWithData)).toEqual([]);
  });
});

/**
 * The reference: the program executed symbolically with nr and the arguments free (no case
 * split, no folding) against the policy as one chain over the numbers it names. Per direction,
 * is there a call on which they disagree?
 */
async function unsplitDisagreements(ir: PolicyIR, arch: 'x86_64' | 'aarch64', program: readonly Insn[]): Promise<[boolean, boolean]> {
  const Z = await z3();
  const nr = Z.BitVec.const('ref_nr', 32);
  const args = [...Array(6).keys()].map((i) => Z.BitVec.const(`ref_a${i}`, 64));
  const c32 = (v: number) => Z.BitVec.val(v >>> 0, 32);
  const word = (k: number) => (k === 0 ? nr : k === 4 ? c32(AUDIT_ARCH[arch]) : k >= 16 && k < 64 ? ((k - 16) % 8 === 0 ? args[(k - 16) >> 3]!.extract(31, 0) : args[(k - 16) >> 3]!.extract(63, 32)) : c32(0));
  type T = ReturnType<typeof c32>;
  // Memoized by instruction and by what A holds (named by how it was computed).
  const memo = new Map<string, T>();
  const run = (pc: number, A: T, held: string): T => {
    const key = `${pc} ${held}`;
    let out = memo.get(key);
    if (out) return out;
    const insn = program[pc]!;
    const cls = insn.code & 7;
    const op = insn.code & 0xf0;
    const k = c32(insn.k);
    if (cls === 6) out = k;
    else if (cls === 0) out = run(pc + 1, word(insn.k) as T, `w${insn.k}`);
    else if (cls === 4) out = run(pc + 1, A.and(k) as T, `${held}&${insn.k}`);
    else if (op === 0) out = run(pc + 1 + insn.k, A, held);
    else {
      const cond = op === 0x10 ? A.eq(k) : op === 0x20 ? A.ugt(k) : op === 0x30 ? A.uge(k) : A.and(k).neq(c32(0));
      out = Z.If(cond, run(pc + 1 + insn.jt, A, held), run(pc + 1 + insn.jf, A, held)) as T;
    }
    memo.set(key, out);
    return out;
  };
  const ret = run(0, c32(0), 'zero').and(c32(0xffff0000));
  const lets = Z.Or(ret.eq(c32(0x7fff0000)), ret.eq(c32(0x7ffc0000)));
  const def = ir.syscalls.defaultAction.kind;
  let policy = Z.Bool.val(def === 'allow' || def === 'log');
  for (const r of new Map(ir.syscalls.rules[arch].map((r) => [r.nr, r.syscall]))) policy = Z.If(nr.eq(c32(r[0])), syscallAllowedExpr(Z, ir, arch, r[1], args), policy);
  const out: boolean[] = [];
  for (const q of [Z.And(lets, Z.Not(policy)), Z.And(Z.Not(lets), policy)]) {
    const s = new Z.Solver('QF_BV');
    s.add(q);
    out.push((await check(s)) === 'sat'); // through check(): nothing is freed while the worker solves
  }
  return out as [boolean, boolean];
}

/** The kernel's reading of a return value: the action, and the data for errno and trap. */
const kernelMeaning = (ret: number): number => {
  const action = (ret & 0xffff0000) >>> 0;
  return action === 0x00050000 || action === 0x00030000 ? ret >>> 0 : action;
};
const ACTION_RET: Record<Exclude<IrAction['kind'], 'errno'>, number> = { allow: 0x7fff0000, log: 0x7ffc0000, trap: 0x00030000, kill_thread: 0, kill_process: 0x80000000 };

/** What the policy's decision (the reference evaluator's) means as a return value. */
function policyMeaning(ir: PolicyIR, call: { nr: number; args: bigint[] }): number {
  const name = syscallName(call.nr, 'x86_64') ?? '';
  const a = decide(ir, { kind: 'syscall', arch: 'x86_64', syscall: name && ir.syscalls.rules.x86_64.some((r) => r.syscall === name) ? name : '', nr: call.nr, args: call.args }).action;
  return a.kind === 'errno' ? (0x00050000 | a.errno) >>> 0 : ACTION_RET[a.kind];
}

/** Calls over edge numbers, with the first two arguments' words at edge values. */
function sampledCalls(edges: readonly number[]): { nr: number; args: bigint[] }[] {
  const words = [0n, 0x5401n, 0x5401n | (1n << 32n), 0x80000000n, 0xffffffffn];
  const out: { nr: number; args: bigint[] }[] = [];
  for (const nr of new Set(edges)) for (const a0 of words) for (const a1 of words.slice(0, 3)) out.push({ nr: nr >>> 0, args: [a0, a1, 0n, 0n, 0n, 0n] });
  return out;
}

describe('translation validation: the case split on nr against the unsplit encoding', () => {
  it('random one-instruction mutations of compiled programs: the same verdict per direction', async () => {
    const policies = [
      small(),
      corpus('docker-default.mxc'),
      compileText('policy p { syscalls { default allow  deny ptrace, kexec_load  deny socket(domain == AF_NETLINK) errno(EPERM)  allow ioctl(request == 0x5401) } }'),
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat(policies.length - 1), fc.constantFrom('x86_64' as const, 'aarch64' as const), fc.nat(), fc.nat(), fc.nat(4), async (pi, arch, at, v, kind) => {
        const ir = policies[pi]!;
        const program = compileSeccomp(ir, arch).program.map((i) => ({ ...i }));
        const insn = program[at % program.length]!;
        if ((insn.code & 7) === 0 && kind <= 1) return; // a load's offset: the kernel refuses most
        const constants = [...new Set(program.map((i) => i.k))];
        if (kind === 0) insn.k = constants[v % constants.length]!;
        else if (kind === 1) insn.k = (insn.k + (v % 2 ? 1 : -1)) >>> 0;
        else if (kind === 2 && (insn.code & 7) === 5 && (insn.code & 0xf0) !== 0) [insn.jt, insn.jf] = [insn.jf, insn.jt];
        else if (kind === 3 && (insn.code & 7) === 6) insn.k = [0x7fff0000, 0x00050001, 0x80000000, 0x7ffc0000][v % 4]!;
        else if (kind === 4 && (insn.code & 7) === 5 && (insn.code & 0xf0) !== 0) insn.code = (insn.code & ~0xf0) | [0x10, 0x20, 0x30, 0x40][v % 4]!;
        if ((insn.code & 7) === 5 && (insn.code & 0xf0) === 0) return; // a jump's offset moved: may leave the program
        const split = await validateSeccomp(ir, arch, program);
        const found = [0, 1].map((d) => split.some((f) => f.direction === (d === 0 ? 'program allows what the policy denies' : 'program denies what the policy allows')));
        expect(found).toEqual(await unsplitDisagreements(ir, arch, program));
      }),
      { numRuns: 40, seed: 20261203 },
    );
  }, 120_000);

  it('random small programs with edge constants (the ends of the number range, named numbers and their neighbours): the same verdict per direction', async () => {
    const policies = [
      compileText('policy p { syscalls { default allow  deny ptrace, kexec_load  allow ioctl(request == 0x5401) } }'),
      compileText('policy p { syscalls { allow read, write, openat  allow ioctl(request == 0x5401) } }'),
      compileText('policy p { syscalls { allow read } }'), // names nr 0 on x86_64
      // Two denies matching one call: the more severe decides, whichever comes first.
      compileText('policy p { syscalls { default allow  deny ioctl(request == 0x5401) errno(EACCES)  deny ioctl(request & 0xff00 == 0x5400) kill_process  deny read errno(EPERM) } }'),
    ];
    const named = [...new Set(policies.flatMap((ir) => ir.syscalls.rules.x86_64.map((r) => r.nr)))];
    const edges = [0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, AUDIT_ARCH.x86_64, 0x5401, ...named, ...named.map((n) => n + 1), ...named.map((n) => n - 1).filter((n) => n >= 0)];
    const RETS = [0x7fff0000, 0x00050001, 0x80000000, 0x7ffc0000, 0x0005000d, 0x00000000];
    // nr loaded first, then a body of mostly jumps (every target inside the program), loads and
    // ANDs, then four returns.
    const program = fc.integer({ min: 1, max: 6 }).chain((body) =>
      fc.tuple(
        fc.tuple(...[...Array(body).keys()].map((i) => {
          const toEnd = body + 4 - (i + 1) - 1; // instructions after this one (nr's load is first)
          return fc.oneof(
            { weight: 6, arbitrary: fc.tuple(fc.constantFrom(0x15, 0x25, 0x35, 0x45), fc.constantFrom(...edges), fc.nat(toEnd - 1), fc.nat(toEnd - 1)).map(([code, k, jt, jf]): Insn => ({ code, jt, jf, k: k >>> 0 })) },
            { weight: 1, arbitrary: fc.constantFrom(0, 0, 4, 16, 20).map((k): Insn => ({ code: 0x20, jt: 0, jf: 0, k })) },
            { weight: 1, arbitrary: fc.constantFrom(...edges).map((k): Insn => ({ code: 0x54, jt: 0, jf: 0, k: k >>> 0 })) },
            { weight: 1, arbitrary: fc.nat(toEnd - 1).map((k): Insn => ({ code: 0x05, jt: 0, jf: 0, k })) },
          );
        })),
        fc.tuple(...[0, 1, 2, 3].map(() => fc.constantFrom(...RETS))),
      ).map(([insns, rets]) => [{ code: 0x20, jt: 0, jf: 0, k: 0 }, ...insns, ...rets.map((k): Insn => ({ code: 0x06, jt: 0, jf: 0, k }))]),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(policies.length - 1), program, async (pi, p) => {
        const ir = policies[pi]!;
        const split = await validateSeccomp(ir, 'x86_64', p);
        const found = [0, 1].map((d) => split.some((f) => f.direction === (d === 0 ? 'program allows what the policy denies' : 'program denies what the policy allows')));
        expect(found).toEqual(await unsplitDisagreements(ir, 'x86_64', p));
        // Every way the program and the policy disagree on a sampled call (the interpreter against
        // the reference evaluator) is a direction the validator reports.
        const lets = (ret: number): boolean => ret === 0x7fff0000 || ret === 0x7ffc0000;
        const seen = new Set<string>();
        for (const call of sampledCalls(edges)) {
          const prog = kernelMeaning(runFilter(p, { nr: call.nr, arch: AUDIT_ARCH.x86_64, args: call.args }).ret);
          const pol = policyMeaning(ir, call);
          if (prog === pol) continue;
          seen.add(lets(prog) && !lets(pol) ? 'program allows what the policy denies' : !lets(prog) && lets(pol) ? 'program denies what the policy allows' : 'program returns another action than the policy');
        }
        const reported = new Set<string>(split.map((f) => f.direction));
        expect([...seen].filter((d) => !reported.has(d))).toEqual([]);
      }),
      { numRuns: 300, seed: 20261204 },
    );
  }, 120_000);

  it('every one-test program on nr (each jump, each edge constant, both return orders): the same verdict per direction', async () => {
    const policies = [
      compileText('policy p { syscalls { allow read } }'), // names nr 0 on x86_64
      compileText('policy p { syscalls { default allow  deny read, write, close } }'), // names 0, 1, 3
    ];
    const named = [...new Set(policies.flatMap((ir) => ir.syscalls.rules.x86_64.map((r) => r.nr)))];
    const edges = [...new Set([0, 1, 2, 4, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, ...named, ...named.map((n) => n + 1)])];
    const checked: string[] = [];
    for (const ir of policies) {
      for (const code of [0x15, 0x25, 0x35, 0x45]) {
        for (const k of edges) {
          for (const [a, b] of [[0x7fff0000, 0x00050001], [0x00050001, 0x7fff0000]] as const) {
            const p: Insn[] = [{ code: 0x20, jt: 0, jf: 0, k: 0 }, { code, jt: 0, jf: 1, k }, { code: 0x06, jt: 0, jf: 0, k: a }, { code: 0x06, jt: 0, jf: 0, k: b }];
            const split = await validateSeccomp(ir, 'x86_64', p);
            const found = [0, 1].map((d) => split.some((f) => f.direction === (d === 0 ? 'program allows what the policy denies' : 'program denies what the policy allows')));
            expect(found, `${ir.syscalls.defaultAction.kind} 0x${code.toString(16)} ${k} ${a}`).toEqual(await unsplitDisagreements(ir, 'x86_64', p));
            checked.push(found.join());
          }
        }
      }
    }
    expect(new Set(checked).size, 'both agreeing and disagreeing programs among them').toBeGreaterThan(1);
  }, 120_000);

  it('refuses a program with an instruction it cannot model or a jump out of it, even on a branch no call takes', async () => {
    const ir = compileText('policy p { syscalls { default allow  deny ptrace } }');
    const LD_NR = { code: 0x20, jt: 0, jf: 0, k: 0 };
    const RET_ALLOW = { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 };
    // nr >= 0 always: the false branch (past the end) is never taken, but the kernel refuses it.
    await expect(validateSeccomp(ir, 'x86_64', [LD_NR, { code: 0x35, jt: 0, jf: 3, k: 0 }, RET_ALLOW])).rejects.toThrow(/falls off its end at 5/);
    // A multiply on the other architecture's branch.
    await expect(validateSeccomp(ir, 'x86_64', [{ code: 0x20, jt: 0, jf: 0, k: 4 }, { code: 0x15, jt: 0, jf: 1, k: AUDIT_ARCH.x86_64 }, RET_ALLOW, { code: 0x24, jt: 0, jf: 0, k: 2 }, RET_ALLOW])).rejects.toThrow(/outside what mxcc emits/);
    // The instruction pointer and an unaligned argument load.
    await expect(validateSeccomp(ir, 'x86_64', [{ code: 0x20, jt: 0, jf: 0, k: 8 }, RET_ALLOW])).rejects.toThrow(/offset 8/);
    await expect(validateSeccomp(ir, 'x86_64', [{ code: 0x20, jt: 0, jf: 0, k: 18 }, RET_ALLOW])).rejects.toThrow(/offset 18/);
  });
});
