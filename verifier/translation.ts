/**
 * Translation validation of seccomp programs: the compiled BPF is executed symbolically into a
 * bit-vector expression of its return value, and z3 is asked for a call the program lets through
 * that the policy denies (artifact ⊄ policy), and the converse (the program is stricter).
 * Unsat both ways means the program and the policy agree on every call of that architecture.
 */
import type { BitVec, Bool, Context } from 'z3-solver';
import { decide } from '../compiler/evaluate.js';
import type { Arch, PolicyIR } from '../compiler/ir.js';
import { syscallName } from '../compiler/syscalls/index.js';
import {
  BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_RET, BPF_W,
  SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_LOG, type Insn,
} from '../targets/linux/seccomp/bpf.js';
import { AUDIT_ARCH, compileSeccomp } from '../targets/linux/seccomp/compile.js';
import { seccompArches } from '../targets/linux/seccomp/target.js';
import { diagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { runFilter } from '../targets/linux/seccomp/interpret.js';
import { boolVal, bvVal, bvValue, syscallAllowedExpr, VerifierError, violations } from './assertions.js';
import { z3 } from './z3.js';

type Z = Context<'mxcc'>;
type BV32 = BitVec<32, 'mxcc'>;

export interface TranslationFinding {
  arch: Arch;
  direction: 'program allows what the policy denies' | 'program denies what the policy allows';
  nr: number;
  args: bigint[];
  display: string;
}

/** The program's return value as an expression of nr and the six arguments (arch fixed). */
function symbolicReturn(Z: Z, program: readonly Insn[], arch: number, nr: BV32, args: BitVec<64, 'mxcc'>[]): BV32 {
  const word = (k: number): BV32 => {
    if (k === 0) return nr;
    if (k === 4) return bvVal(Z, arch, 32) as BV32;
    if (k >= 16 && k < 64) {
      const a = args[(k - 16) >> 3]!;
      return ((k - 16) % 8 === 0 ? a.extract(31, 0) : a.extract(63, 32)) as BV32;
    }
    return bvVal(Z, 0, 32) as BV32; // instruction pointer: not used by mxcc programs
  };
  const memo = new Map<string, BV32>();
  const run = (pc: number, A: BV32, aKey: string, depth: number): BV32 => {
    if (depth > 10_000) throw new VerifierError('program too deep to validate');
    const key = `${pc}|${aKey}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const insn = program[pc];
    if (!insn) throw new VerifierError(`program falls off its end at ${pc}`);
    let out: BV32;
    const cls = insn.code & 0x07;
    if (cls === BPF_RET) out = bvVal(Z, insn.k >>> 0, 32) as BV32;
    else if (cls === BPF_LD && (insn.code & 0xe0) === BPF_ABS && (insn.code & 0x18) === BPF_W) out = run(pc + 1, word(insn.k), `w${insn.k}`, depth + 1);
    else if (cls === BPF_ALU && (insn.code & 0xf0) === BPF_AND && (insn.code & 0x08) === BPF_K) out = run(pc + 1, A.and(bvVal(Z, insn.k >>> 0, 32)) as BV32, `${aKey}&${insn.k}`, depth + 1);
    else if (cls === BPF_JMP && (insn.code & 0xf0) === BPF_JA) out = run(pc + 1 + insn.k, A, aKey, depth + 1);
    else if (cls === BPF_JMP && (insn.code & 0x08) === BPF_K) {
      const k = bvVal(Z, insn.k >>> 0, 32);
      const op = insn.code & 0xf0;
      if (op !== BPF_JEQ && op !== BPF_JGT && op !== BPF_JGE && op !== BPF_JSET) throw new VerifierError(`unsupported jump 0x${insn.code.toString(16)}`);
      const taken = run(pc + 1 + insn.jt, A, aKey, depth + 1);
      const fallthrough = run(pc + 1 + insn.jf, A, aKey, depth + 1);
      // Both branches reaching the same result (memoized, so the same term) need no condition.
      if (taken === fallthrough) out = taken;
      else out = Z.If(op === BPF_JEQ ? A.eq(k) : op === BPF_JGT ? A.ugt(k) : op === BPF_JGE ? A.uge(k) : A.and(k).neq(bvVal(Z, 0, 32)), taken, fallthrough) as BV32;
    } else throw new VerifierError(`instruction 0x${insn.code.toString(16)} at ${pc} is outside what mxcc emits; cannot validate`);
    memo.set(key, out);
    return out;
  };
  return run(0, bvVal(Z, 0, 32) as BV32, 'init', 0);
}

const proceeds = (ret: BV32, Z: Z): Bool<'mxcc'> => {
  const action = ret.and(bvVal(Z, SECCOMP_RET_ACTION_FULL, 32));
  return Z.Or(action.eq(bvVal(Z, SECCOMP_RET_ALLOW, 32)), action.eq(bvVal(Z, SECCOMP_RET_LOG, 32)));
};

/**
 * Whether the IR lets the call (nr, args) proceed, as an expression over a symbolic nr. A
 * syscall the IR decides as its default does (unconditionally) needs no case of its own: the
 * numbers are distinct, so the chain below gives it the default anyway.
 */
function irAllowed(Z: Z, ir: PolicyIR, arch: Arch, nr: BV32, args: BitVec<64, 'mxcc'>[]): Bool<'mxcc'> {
  const named = [...new Map(ir.syscalls.rules[arch].map((r) => [r.nr, r.syscall])).entries()];
  const def = ir.syscalls.defaultAction.kind;
  const otherwise = boolVal(Z, def === 'allow' || def === 'log');
  let e: Bool<'mxcc'> = otherwise;
  for (const [n, name] of named) {
    const allowed = syscallAllowedExpr(Z, ir, arch, name, args);
    if (allowed !== otherwise) e = Z.If(nr.eq(bvVal(Z, n, 32)), allowed, e) as Bool<'mxcc'>;
  }
  return e;
}

export async function validateSeccomp(ir: PolicyIR, arch: Arch, program: readonly Insn[]): Promise<TranslationFinding[]> {
  return validatePrograms(ir, [{ arch, program }]);
}

const DIRECTIONS = ['program allows what the policy denies', 'program denies what the policy allows'] as const;

/**
 * Every program and both directions are asked on one solver (see `violations`): when they all
 * agree with the policy, which is the expected case, one unsat check proves it.
 */
async function validatePrograms(ir: PolicyIR, programs: readonly { arch: Arch; program: readonly Insn[] }[]): Promise<TranslationFinding[]> {
  const Z = await z3();
  const asked: { arch: Arch; program: readonly Insn[]; direction: (typeof DIRECTIONS)[number]; nr: BV32; args: BitVec<64, 'mxcc'>[] }[] = [];
  const questions: Bool<'mxcc'>[] = [];
  for (const { arch, program } of programs) {
    const nr = Z.BitVec.const(`nr_${arch}`, 32) as BV32;
    const args = [...Array(6).keys()].map((i) => Z.BitVec.const(`a${i}_${arch}`, 64));
    const ret = symbolicReturn(Z, program, AUDIT_ARCH[arch], nr, args);
    const policy = irAllowed(Z, ir, arch, nr, args);
    for (const direction of DIRECTIONS) {
      asked.push({ arch, program, direction, nr, args });
      questions.push(direction === DIRECTIONS[0] ? Z.And(proceeds(ret, Z), Z.Not(policy)) : Z.And(Z.Not(proceeds(ret, Z)), policy));
    }
  }
  const findings: TranslationFinding[] = [];
  await violations(Z, new Z.Solver('QF_BV'), questions, (model, hits) => {
    for (const h of hits) {
      const { arch, program, direction, nr, args } = asked[h]!;
      const n = Number(bvValue(model, nr));
      const values = args.map((a) => bvValue(model, a));
      // Re-check with the interpreter and the reference evaluator before reporting.
      const filterLets = [SECCOMP_RET_ALLOW, SECCOMP_RET_LOG].includes((runFilter(program, { nr: n, arch: AUDIT_ARCH[arch], args: values }).ret & SECCOMP_RET_ACTION_FULL) >>> 0);
      const name = syscallName(n, arch) ?? '';
      const policyLets = decide(ir, { kind: 'syscall', arch, syscall: name && ir.syscalls.rules[arch].some((r) => r.syscall === name) ? name : '', nr: n, args: values }).allowed;
      const reproduced = direction === DIRECTIONS[0] ? filterLets && !policyLets : !filterLets && policyLets;
      if (!reproduced) throw new VerifierError(`internal error: translation-validation witness for ${arch} nr ${n} does not reproduce; this is a bug in mxcc's verifier`);
      findings.push({ arch, direction, nr: n, args: values, display: `${arch} ${name || `nr ${n}`}(${values.map((v) => '0x' + v.toString(16)).join(', ')})` });
    }
  });
  // The order of the programs and directions asked, whatever order the models came in.
  return findings.sort((a, b) => programs.findIndex((p) => p.arch === a.arch) - programs.findIndex((p) => p.arch === b.arch) || DIRECTIONS.indexOf(a.direction) - DIRECTIONS.indexOf(b.direction));
}

export type CompiledPrograms = { arch: Arch; program: readonly Insn[] }[];

/** The policy's seccomp programs as the Linux target compiles them (no solver). */
export const compiledSeccompPrograms = (ir: PolicyIR): CompiledPrograms => seccompArches(ir).map((arch) => ({ arch, program: compileSeccomp(ir, arch).program }));

/**
 * Compile the policy's seccomp programs (or take them compiled) and validate each; a
 * disagreement is a compiler bug (MXC2003).
 */
export async function validateCompiledSeccomp(ir: PolicyIR, programs: CompiledPrograms = compiledSeccompPrograms(ir)): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const f of await validatePrograms(ir, programs)) {
    const d = diagnostic('MXC2003', `the compiled ${f.arch} seccomp program disagrees with the policy: ${f.direction}`, {
      help: 'this is a bug in mxcc\'s seccomp compiler; please report it with the policy',
    });
    d.counterexample = f.display;
    out.push(d);
  }
  return out;
}
