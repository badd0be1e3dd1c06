import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decide } from '../../../compiler/evaluate.js';
import type { Arch, IrAction, IrArgCondition, IrSyscallRule, PolicyIR } from '../../../compiler/ir.js';
import { syscallArgs, syscallNumber } from '../../../compiler/syscalls/index.js';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, BPF_MAXINSNS, decodeProgram, encodeProgram, SECCOMP_RET_KILL_PROCESS, X32_SYSCALL_BIT } from './bpf.js';
import { AUDIT_ARCH, compileSeccomp, retValue } from './compile.js';
import { disassemble } from './disasm.js';
import { runFilter, validateProgram } from './interpret.js';
import { mustCompile } from '../../../test/compile-text.js';

const RUNS = Number(process.env.MXCC_PROPERTY_RUNS ?? 0) || undefined;

const POOL = ['read', 'write', 'openat', 'socket', 'ioctl', 'mmap', 'clone', 'personality', 'kill', 'prctl', 'ptrace', 'getpid'];
const BOUNDARY = [0n, 1n, 2n, 40n, (1n << 31n) - 1n, 1n << 31n, (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 40n, 1n << 63n, (1n << 64n) - 1n, 0xdeadbeef00000028n, 0xffffffff00000001n];

function baseIr(partial: Partial<PolicyIR['syscalls']> = {}): PolicyIR {
  return {
    irVersion: 1,
    name: 'p',
    description: '',
    isolation: 'process',
    params: [],
    fs: { rules: [] },
    net: { rules: [] },
    syscalls: { defaultAction: { kind: 'errno', errno: 1 }, rules: { x86_64: [], aarch64: [] }, ...partial },
    process: { maxProcesses: null, envAllow: [], capabilities: [] },
    limits: { memoryBytes: null, cpus: null, openFiles: null, wallSeconds: null, cpuSeconds: null, fileSizeBytes: null, stackBytes: null },
    desktop: { clipboard: 'none', windows: false, inputInjection: false, screenCapture: false },
    assertions: [],
    targets: {},
  };
}

const origin = { file: 'p.mxc', line: 1, column: 1, endLine: 1, endColumn: 1, policy: 'p' };

const arbValue = fc.oneof(fc.constantFrom(...BOUNDARY), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 300n }));
const arbAction: fc.Arbitrary<IrAction> = fc.oneof(
  fc.constant<IrAction>({ kind: 'kill_process' }),
  fc.constant<IrAction>({ kind: 'kill_thread' }),
  fc.constant<IrAction>({ kind: 'trap' }),
  fc.constant<IrAction>({ kind: 'log' }),
  fc.integer({ min: 1, max: 4095 }).map((errno): IrAction => ({ kind: 'errno', errno })),
);
const arbCondition = (bits: 32 | 64): fc.Arbitrary<IrArgCondition> =>
  fc
    .record({
      arg: fc.integer({ min: 0, max: 5 }),
      op: fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked_eq', 'masked_ne') as fc.Arbitrary<IrArgCondition['op']>,
      value: arbValue,
      mask: arbValue,
      bits: fc.constant(bits),
    })
    .map((c) => {
      const width = (1n << BigInt(c.bits)) - 1n;
      const cond: IrArgCondition = { arg: c.arg, name: `arg${c.arg}`, bits: c.bits, op: c.op, value: (c.value & width).toString() };
      if (c.op === 'masked_eq' || c.op === 'masked_ne') cond.mask = (c.mask & width).toString();
      return cond;
    });
const arbWhen = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.array(fc.array(fc.oneof(arbCondition(32), arbCondition(64)), { minLength: 1, maxLength: 3 }), { minLength: 0, maxLength: 3 }) },
);

/** Random syscall sections: rules over a small pool so syscalls get several rules each. */
const arbSyscalls = (arch: Arch) =>
  fc
    .record({
      defaultAction: fc.oneof(arbAction, fc.constant<IrAction>({ kind: 'allow' })),
      rules: fc.array(
        fc.record({ effect: fc.constantFrom('allow', 'deny') as fc.Arbitrary<'allow' | 'deny'>, syscall: fc.constantFrom(...POOL), when: arbWhen, action: fc.option(arbAction, { nil: undefined }) }),
        { maxLength: 14 },
      ),
    })
    .map(({ defaultAction, rules }) => {
      const irRules: IrSyscallRule[] = rules.map((r, i) => {
        const rule: IrSyscallRule = { id: `sys.${i}.${r.syscall}`, effect: r.effect, syscall: r.syscall, nr: syscallNumber(r.syscall, arch)!, when: r.when, origin };
        if (r.effect === 'deny' && r.action) rule.action = r.action;
        return rule;
      });
      return baseIr({ defaultAction, rules: { x86_64: arch === 'x86_64' ? irRules : [], aarch64: arch === 'aarch64' ? irRules : [] } });
    });

const arbArgs = fc.array(arbValue, { minLength: 6, maxLength: 6 });

describe('compileSeccomp agrees with the reference evaluator', () => {
  for (const arch of ['x86_64', 'aarch64'] as const) {
    it(`${arch}: interpret(compile(ir)) == decide(ir) on random policies and boundary arguments`, () => {
      let cases = 0;
      fc.assert(
        fc.property(arbSyscalls(arch), fc.array(fc.tuple(fc.oneof(fc.constantFrom(...POOL), fc.integer({ min: 0, max: 600 }), fc.constantFrom(X32_SYSCALL_BIT, X32_SYSCALL_BIT + 1, 0xffffffff)), arbArgs), { minLength: 25, maxLength: 25 }), (ir, requests) => {
          const { program } = compileSeccomp(ir, arch);
          expect(validateProgram(program)).toBeUndefined();
          for (const [target, args] of requests) {
            const nr = typeof target === 'string' ? syscallNumber(target, arch)! : target;
            const name = typeof target === 'string' ? target : '';
            const expected = decide(ir, { kind: 'syscall', arch, syscall: name, nr, args }).action;
            const got = runFilter(program, { nr, arch: AUDIT_ARCH[arch], args }).ret;
            if (got !== retValue(expected)) {
              throw new Error(`nr ${nr} args ${args.map((a) => '0x' + a.toString(16)).join(',')}: filter 0x${got.toString(16)}, decide ${JSON.stringify(expected)}\n${disassemble(program)}`);
            }
            cases++;
          }
        }),
        { numRuns: RUNS ?? 2000 },
      );
      // 2000 policies × 25 requests per architecture: 100,000 cases with the x86_64 run alone.
      expect(cases).toBeGreaterThanOrEqual(50_000);
    });
  }
});

function compilePolicy(text: string): PolicyIR {
  return mustCompile(text).ir;
}

describe('program shape', () => {
  it('checks the architecture first: i386 (int 0x80) and aarch64 data are killed on an x86_64 filter', () => {
    const ir = compilePolicy('policy p { syscalls { allow read, write } }');
    const { program } = compileSeccomp(ir, 'x86_64');
    expect(runFilter(program, { nr: 0, arch: AUDIT_ARCH_X86_64, args: [] }).ret).toBe(retValue({ kind: 'allow' }));
    expect(runFilter(program, { nr: 3, arch: AUDIT_ARCH_I386, args: [] }).ret).toBe(SECCOMP_RET_KILL_PROCESS);
    expect(runFilter(program, { nr: 0, arch: AUDIT_ARCH.aarch64, args: [] }).ret).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it('denies x32 numbers (nr | 0x40000000) with the default action', () => {
    const ir = compilePolicy('policy p { syscalls { default errno(EPERM)  allow @default, read, write } }');
    const { program } = compileSeccomp(ir, 'x86_64');
    expect(runFilter(program, { nr: X32_SYSCALL_BIT | 0, arch: AUDIT_ARCH_X86_64, args: [] }).ret).toBe(retValue({ kind: 'errno', errno: 1 }));
    expect(runFilter(program, { nr: 0xffffffff, arch: AUDIT_ARCH_X86_64, args: [] }).ret).toBe(retValue({ kind: 'errno', errno: 1 }));
  });

  it('compares int arguments on their low 32 bits only (socket(0x1_00000028) cannot dodge a rule)', () => {
    const ir = compilePolicy('policy p { syscalls { allow socket(domain != AF_VSOCK) } }');
    const { program } = compileSeccomp(ir, 'x86_64');
    const run = (domain: bigint) => runFilter(program, { nr: 41, arch: AUDIT_ARCH_X86_64, args: [domain, 1n, 0n] }).ret;
    expect(run(40n)).toBe(retValue({ kind: 'errno', errno: 1 }));
    expect(run(0x1_00000028n)).toBe(retValue({ kind: 'errno', errno: 1 }));
    expect(run(0xffffffff_00000002n)).toBe(retValue({ kind: 'allow' })); // garbage upper bits do not cause a false deny
    expect(run(2n)).toBe(retValue({ kind: 'allow' }));
  });

  it('an empty allowlist returns the default for everything', () => {
    const ir = compilePolicy('policy p { syscalls { default kill_process } }');
    const { program, stats } = compileSeccomp(ir, 'aarch64');
    expect(stats.instructions).toBeLessThanOrEqual(6);
    for (const nr of [0, 63, 1000, 0xffffffff]) expect(runFilter(program, { nr, arch: AUDIT_ARCH.aarch64, args: [] }).ret).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it('allow-all with denies', () => {
    const ir = compilePolicy('policy p { syscalls { default allow  deny ptrace kill_process  deny bpf } }');
    const { program } = compileSeccomp(ir, 'x86_64');
    expect(runFilter(program, { nr: 101, arch: AUDIT_ARCH_X86_64, args: [] }).ret).toBe(SECCOMP_RET_KILL_PROCESS);
    // bpf: a deny without an action blocks with errno(EPERM), since the default would let it through.
    expect(runFilter(program, { nr: 321, arch: AUDIT_ARCH_X86_64, args: [] }).ret).toBe(retValue({ kind: 'errno', errno: 1 }));
    expect(runFilter(program, { nr: 0, arch: AUDIT_ARCH_X86_64, args: [] }).ret).toBe(retValue({ kind: 'allow' }));
  });

  it('a plain deny under default allow or log refuses the call (errno(EPERM))', () => {
    for (const def of ['allow', 'log']) {
      const ir = compilePolicy(`policy p { syscalls { default ${def}  deny ptrace } }`);
      for (const arch of ['x86_64', 'aarch64'] as const) {
        const { program } = compileSeccomp(ir, arch);
        const nr = syscallNumber('ptrace', arch)!;
        expect(runFilter(program, { nr, arch: AUDIT_ARCH[arch], args: [] }).ret).toBe(retValue({ kind: 'errno', errno: 1 }));
        expect(runFilter(program, { nr: syscallNumber('read', arch)!, arch: AUDIT_ARCH[arch], args: [] }).ret).toBe(retValue({ kind: def as 'allow' | 'log' }));
      }
    }
  });

  it('400+ syscalls with argument conditions: far jumps get fix-ups and stay correct', () => {
    const ir = compilePolicy('policy p { syscalls { allow @known } }');
    // A condition on every allowed syscall: allowed unless the low word of arg0 is nr + 7.
    for (const r of ir.syscalls.rules.x86_64) r.when = [[{ arg: 0, name: 'arg0', bits: 32, op: 'ne', value: String(r.nr + 7) }]];
    expect(ir.syscalls.rules.x86_64.length).toBeGreaterThan(350);
    const { program, stats } = compileSeccomp(ir, 'x86_64');
    expect(validateProgram(program)).toBeUndefined();
    expect(stats.instructions).toBeGreaterThan(700);
    for (const r of ir.syscalls.rules.x86_64) {
      const allowed = runFilter(program, { nr: r.nr, arch: AUDIT_ARCH_X86_64, args: [0n] }).ret;
      const denied = runFilter(program, { nr: r.nr, arch: AUDIT_ARCH_X86_64, args: [0xabcd_0000_0000n + BigInt(r.nr + 7)] }).ret;
      expect([allowed, denied]).toEqual([retValue({ kind: 'allow' }), retValue({ kind: 'errno', errno: 1 })]);
    }
  });

  it('a long run of tests sharing one RET stays within the jump range', () => {
    const ir = compilePolicy('policy p { syscalls { allow read } }');
    const rule = ir.syscalls.rules.x86_64[0]!;
    rule.when = [...Array(1500).keys()].map((v) => [{ arg: 0, name: 'fd', bits: 32, op: 'eq' as const, value: String(v * 3) }]);
    const { program } = compileSeccomp(ir, 'x86_64');
    expect(validateProgram(program)).toBeUndefined();
    // Membership in 1500 values is a binary search: one load, 1500 jeq, about 500 jge, and a RET
    // copy about every 255 instructions.
    expect(program.length).toBeLessThan(1500 + 520 + 30);
    expect(compileSeccomp(ir, 'x86_64').stats.longestPath).toBeLessThanOrEqual(24);
    for (const fd of [0n, 3n, 4497n, 4500n, 1n, 0x1_00000003n]) {
      const low = fd & 0xffffffffn;
      const want = low % 3n === 0n && low < 4500n ? retValue({ kind: 'allow' }) : retValue({ kind: 'errno', errno: 1 });
      expect(runFilter(program, { nr: 0, arch: AUDIT_ARCH_X86_64, args: [fd] }).ret).toBe(want);
    }
  });

  it('encodes struct sock_filter little-endian and decodes it back', () => {
    const ir = compilePolicy('policy p { syscalls { allow read } }');
    const { program } = compileSeccomp(ir, 'x86_64');
    const bytes = encodeProgram(program);
    expect(bytes.length).toBe(program.length * 8);
    expect([...bytes.subarray(0, 8)]).toEqual([0x20, 0, 0, 0, 4, 0, 0, 0]); // ld [4]
    expect(decodeProgram(bytes)).toEqual(program);
  });

  it('is deterministic', () => {
    const text = 'policy p { syscalls { allow @system-service  allow socket(domain in [AF_UNIX, AF_INET]) deny ioctl(request == TIOCSTI) } }';
    const a = encodeProgram(compileSeccomp(compilePolicy(text), 'x86_64').program);
    const b = encodeProgram(compileSeccomp(compilePolicy(text), 'x86_64').program);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('disassembles with names', () => {
    const ir = compilePolicy('policy p { syscalls { allow read  deny ioctl(request == TIOCSTI) kill_process } }');
    const { program } = compileSeccomp(ir, 'x86_64');
    const text = disassemble(program, (nr) => (nr === 0 ? 'read' : nr === 16 ? 'ioctl' : undefined));
    expect(text).toContain('ld  $arch');
    expect(text).toContain('jeq #AUDIT_ARCH_X86_64');
    expect(text).toContain('ld  $arg1.lo');
    expect(text).toContain('ret KILL_PROCESS');
    expect(text).toContain('ret ERRNO(1)');
  });

  it('knows the kernel limit', () => {
    expect(BPF_MAXINSNS).toBe(4096);
    expect(validateProgram(new Array(4097).fill({ code: 6, jt: 0, jf: 0, k: 0 }))).toMatch(/at most 4096/);
  });
});

describe('the seccomp target and the kernel size limit', () => {
  /** A policy whose x86_64 program grows by about one instruction per value of fd. */
  function sized(values: number): PolicyIR {
    const ir = compilePolicy('policy p { syscalls { allow read }  target linux { arch x86_64 } }');
    // `ne` tests are emitted as a linear chain (one instruction each), so sizes are easy to hit.
    ir.syscalls.rules.x86_64[0]!.when = [...Array(values).keys()].map((v) => [{ arg: 0, name: 'fd', bits: 32, op: 'ne' as const, value: String(v * 2) }]);
    return ir;
  }

  it('accepts a program of exactly 4096 instructions and refuses one over, with MXC3101', async () => {
    const { buildSeccompArtifacts } = await import('./target.js');
    let exact: PolicyIR | undefined;
    let over: PolicyIR | undefined;
    for (let n = 4090; n > 4040 && !(exact && over); n--) {
      const len = compileSeccomp(sized(n), 'x86_64').program.length;
      if (len === 4096) exact ??= sized(n);
      if (len === 4097 || (len > 4096 && len < 4100)) over ??= sized(n);
    }
    expect(exact, 'some size compiles to exactly 4096 instructions').toBeDefined();
    expect(over).toBeDefined();
    const ok = buildSeccompArtifacts(exact!);
    expect(ok.diagnostics).toEqual([]);
    const bpf = ok.files.find((f) => f.path === 'seccomp.x86_64.bpf')!;
    expect((bpf.content as Uint8Array).length).toBe(4096 * 8);
    expect(validateProgram(decodeProgram(bpf.content as Uint8Array))).toBeUndefined();
    const bad = buildSeccompArtifacts(over!);
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['MXC3101']);
    expect(bad.files.some((f) => f.path === 'seccomp.x86_64.bpf')).toBe(false);
  });

  it('reports x32 numbers as weaker when the default lets them through, and they do get through', async () => {
    const { seccompTarget } = await import('./target.js');
    const foreign = (text: string) => seccompTarget.compile(compilePolicy(text)).fidelity.find((f) => f.rule === 'syscalls.foreign-abis')!;
    expect(foreign('policy p { syscalls { allow read } }').fidelity).toBe('stricter');
    expect(foreign('policy p { syscalls { default kill_process  allow read } }').fidelity).toBe('stricter');
    for (const def of ['allow', 'log']) {
      const text = `policy p { syscalls { default ${def}  deny ptrace kill_process  deny execve kill_process } }`;
      const entry = foreign(text);
      expect(entry.fidelity).toBe('weaker');
      expect(entry.note).toContain(`x32 numbers (nr | 0x40000000) get the default action, ${def}`);
      // What the entry says: the x32 number of a killed syscall proceeds, the native one is killed.
      const { program } = compileSeccomp(compilePolicy(text), 'x86_64');
      expect(runFilter(program, { nr: 101, arch: AUDIT_ARCH_X86_64, args: [] }).ret).toBe(SECCOMP_RET_KILL_PROCESS);
      expect(runFilter(program, { nr: X32_SYSCALL_BIT | 521, arch: AUDIT_ARCH_X86_64, args: [] }).ret).toBe(retValue({ kind: def as 'allow' | 'log' }));
    }
    // Without an x86_64 program there are no x32 numbers to let through.
    expect(foreign('policy p { syscalls { default allow  deny ptrace }  target linux { arch aarch64 } }').fidelity).toBe('stricter');
  });

  it('writes raw programs, disassembly and stats for both architectures by default', async () => {
    const { seccompTarget } = await import('./target.js');
    const out = seccompTarget.compile(compilePolicy('policy p { syscalls { allow read } }'));
    expect(out.files.map((f) => f.path).sort()).toEqual(['seccomp.aarch64.bpf', 'seccomp.aarch64.txt', 'seccomp.stats.json', 'seccomp.x86_64.bpf', 'seccomp.x86_64.txt']);
    expect(out.fidelity.filter((f) => f.fidelity === 'exact').map((f) => f.rule)).toEqual(['sys.0.read']);
    const listing = out.files.find((f) => f.path === 'seccomp.x86_64.txt')!.content as string;
    expect(listing).toContain('jge #1  true:4 false:5  ; nr >= write');
    expect(listing).toContain('ret ALLOW');
  });
});
