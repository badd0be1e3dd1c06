/**
 * Translation validation of seccomp programs: the compiled BPF is executed symbolically into a
 * bit-vector expression of its return value, and z3 is asked for a call the program lets through
 * that the policy denies (artifact ⊄ policy), the converse (the program is stricter), and a call
 * both let through or both refuse but with another action (an errno value, kill for errno, log
 * for allow). Unsat all three ways means the program returns what the policy decides on every
 * call of that architecture.
 * The execution is split on the syscall number (each number the policy names, then all others),
 * so the program's dispatch folds to constants and z3 sees the argument tests that are left.
 */
import type { BitVec, Bool, Context } from 'z3-solver';
import { decide } from '../compiler/evaluate.js';
import { actionSeverity, type Arch, type IrAction, type PolicyIR } from '../compiler/ir.js';
import { syscallName } from '../compiler/syscalls/index.js';
import {
  BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_RET, BPF_W,
  SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_DATA, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG, SECCOMP_RET_TRAP, type Insn,
} from '../targets/linux/seccomp/bpf.js';
import { AUDIT_ARCH, compileSeccomp } from '../targets/linux/seccomp/compile.js';
import { seccompArches } from '../targets/linux/seccomp/target.js';
import { diagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { runFilter } from '../targets/linux/seccomp/interpret.js';
import { describeRet } from '../targets/linux/seccomp/disasm.js';
import { allOf, anyOf, boolVal, bvVal, bvValue, ruleMatchesExpr, syscallAllowedExpr, VerifierError, violations } from './assertions.js';
import { z3 } from './z3.js';

type Z = Context<'mxcc'>;
type BV32 = BitVec<32, 'mxcc'>;

export interface TranslationFinding {
  arch: Arch;
  direction: (typeof DIRECTIONS)[number];
  nr: number;
  args: bigint[];
  display: string;
}

/**
 * A value the program computes: a constant (a 32-bit unsigned number), an expression of the
 * arguments (and of nr, for the numbers no case names), or UNREACHED for a path no call of the
 * case takes.
 */
type Val = number | BV32;
const UNREACHED = Symbol('unreached');

/**
 * The program's shape, checked on every instruction either branch of a jump can reach, before
 * the cases below fold some branches away: each must be one mxcc emits (a constant return, a
 * 32-bit load of nr, the architecture or an argument half, AND with a constant, a jump) and
 * every jump must land inside the program. A program outside that is not validated (the kernel
 * would refuse some of it; the rest mxcc never emits).
 */
function checkShape(program: readonly Insn[]): void {
  const seen = new Uint8Array(program.length);
  const stack = [0];
  while (stack.length > 0) {
    const pc = stack.pop()!;
    const insn = program[pc];
    if (!insn) throw new VerifierError(`program falls off its end at ${pc}`);
    if (seen[pc]) continue;
    seen[pc] = 1;
    const cls = insn.code & 0x07;
    const op = insn.code & 0xf0;
    if (cls === BPF_RET && (insn.code & 0x18) === 0) continue; // RET K (the return value is constant)
    if (cls === BPF_LD && (insn.code & 0xe0) === BPF_ABS && (insn.code & 0x18) === BPF_W) {
      if (insn.k !== 0 && insn.k !== 4 && !(insn.k >= 16 && insn.k < 64 && insn.k % 4 === 0)) {
        throw new VerifierError(`load of seccomp_data offset ${insn.k} at ${pc} is outside what mxcc emits; cannot validate`);
      }
      stack.push(pc + 1);
    } else if (cls === BPF_ALU && op === BPF_AND && (insn.code & 0x08) === BPF_K) stack.push(pc + 1);
    else if (cls === BPF_JMP && op === BPF_JA) stack.push(pc + 1 + insn.k);
    else if (cls === BPF_JMP && (insn.code & 0x08) === BPF_K && (op === BPF_JEQ || op === BPF_JGT || op === BPF_JGE || op === BPF_JSET)) stack.push(pc + 1 + insn.jt, pc + 1 + insn.jf);
    else throw new VerifierError(`instruction 0x${insn.code.toString(16)} at ${pc} is outside what mxcc emits; cannot validate`);
  }
}

/**
 * The program's return value for one case of nr, by symbolic execution with constant folding:
 * nr a number (every test of it decided as the kernel would), or nr symbolic outside the
 * numbers `named` (sorted), where a test `nr == k` with k named fails and a path whose range of
 * nr holds only named numbers is UNREACHED. The architecture is fixed, the arguments symbolic.
 */
function symbolicReturn(Z: Z, program: readonly Insn[], arch: number, nr: number | BV32, args: BitVec<64, 'mxcc'>[], named: readonly number[]): Val | typeof UNREACHED {
  const words = new Map<number, Val>();
  const word = (k: number): Val => {
    if (k === 0) return nr;
    if (k === 4) return arch >>> 0;
    if (k < 16 || k >= 64) return 0; // not reached: checkShape refuses other loads
    let w = words.get(k);
    if (w === undefined) {
      const a = args[(k - 16) >> 3]!;
      words.set(k, (w = ((k - 16) % 8 === 0 ? a.extract(31, 0) : a.extract(63, 32)) as BV32));
    }
    return w;
  };
  // How many named numbers lie in [lo, hi] (binary searches in the sorted list).
  const firstAtLeast = (v: number): number => {
    let l = 0;
    let h = named.length;
    while (l < h) {
      const m = (l + h) >> 1;
      if (named[m]! < v) l = m + 1;
      else h = m;
    }
    return l;
  };
  const onlyNamed = (lo: number, hi: number): boolean => firstAtLeast(hi + 1) - firstAtLeast(lo) === hi - lo + 1;
  const asBv = (v: Val): BV32 => (typeof v === 'number' ? (bvVal(Z, v, 32) as BV32) : v);
  const memo = new Map<string, Val | typeof UNREACHED>();
  // A is the accumulator; `aKey` names its value ('nr' while it holds nr unchanged); [lo, hi] is
  // what the tests so far leave of a symbolic nr.
  const run = (pc: number, A: Val, aKey: string, lo: number, hi: number, depth: number): Val | typeof UNREACHED => {
    if (depth > 10_000) throw new VerifierError('program too deep to validate');
    if (typeof nr !== 'number' && (lo > hi || onlyNamed(lo, hi))) return UNREACHED;
    const key = `${pc}|${aKey}|${lo}|${hi}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const insn = program[pc];
    if (!insn) throw new VerifierError(`program falls off its end at ${pc}`);
    let out: Val | typeof UNREACHED;
    const cls = insn.code & 0x07;
    if (cls === BPF_RET) out = insn.k >>> 0;
    else if (cls === BPF_LD && (insn.code & 0xe0) === BPF_ABS && (insn.code & 0x18) === BPF_W) {
      const w = word(insn.k);
      out = run(pc + 1, w, typeof w === 'number' ? `c${w}` : insn.k === 0 ? 'nr' : `w${insn.k}`, lo, hi, depth + 1);
    } else if (cls === BPF_ALU && (insn.code & 0xf0) === BPF_AND && (insn.code & 0x08) === BPF_K) {
      const v = typeof A === 'number' ? (A & insn.k) >>> 0 : (A.and(bvVal(Z, insn.k >>> 0, 32)) as BV32);
      out = run(pc + 1, v, typeof v === 'number' ? `c${v}` : `${aKey}&${insn.k}`, lo, hi, depth + 1);
    } else if (cls === BPF_JMP && (insn.code & 0xf0) === BPF_JA) out = run(pc + 1 + insn.k, A, aKey, lo, hi, depth + 1);
    else if (cls === BPF_JMP && (insn.code & 0x08) === BPF_K) {
      const k = insn.k >>> 0;
      const op = insn.code & 0xf0;
      if (op !== BPF_JEQ && op !== BPF_JGT && op !== BPF_JGE && op !== BPF_JSET) throw new VerifierError(`unsupported jump 0x${insn.code.toString(16)}`);
      const taken = (l: number, h: number): Val | typeof UNREACHED => run(pc + 1 + insn.jt, A, aKey, l, h, depth + 1);
      const fallthrough = (l: number, h: number): Val | typeof UNREACHED => run(pc + 1 + insn.jf, A, aKey, l, h, depth + 1);
      if (typeof A === 'number') {
        const holds = op === BPF_JEQ ? A === k : op === BPF_JGT ? A > k : op === BPF_JGE ? A >= k : (A & k) !== 0;
        out = holds ? taken(lo, hi) : fallthrough(lo, hi);
      } else {
        // A test of nr itself narrows its range; `nr == k` fails for a named k.
        const onNr = aKey === 'nr';
        const t =
          onNr && op === BPF_JEQ ? (named[firstAtLeast(k)] === k || k < lo || k > hi ? UNREACHED : taken(k, k))
          : onNr && op === BPF_JGT ? taken(Math.max(lo, k + 1), hi)
          : onNr && op === BPF_JGE ? taken(Math.max(lo, k), hi)
          : taken(lo, hi);
        const f = onNr && op === BPF_JGT ? fallthrough(lo, Math.min(hi, k)) : onNr && op === BPF_JGE ? fallthrough(lo, Math.min(hi, k - 1)) : fallthrough(lo, hi);
        // Both branches reaching the same result (memoized, so the same term) need no condition.
        if (t === UNREACHED || f === UNREACHED || t === f) out = t === UNREACHED ? f : t;
        else {
          const kv = bvVal(Z, k, 32);
          const cond = op === BPF_JEQ ? A.eq(kv) : op === BPF_JGT ? A.ugt(kv) : op === BPF_JGE ? A.uge(kv) : A.and(kv).neq(bvVal(Z, 0, 32));
          out = Z.If(cond, asBv(t), asBv(f)) as BV32;
        }
      }
    } else throw new VerifierError(`instruction 0x${insn.code.toString(16)} at ${pc} is outside what mxcc emits; cannot validate`);
    memo.set(key, out);
    return out;
  };
  return run(0, 0, 'c0', 0, 0xffffffff, 0);
}

/** Does the return value let the call proceed (allow or log)? A constant folds to a boolean. */
const proceeds = (ret: Val, Z: Z): boolean | Bool<'mxcc'> => {
  if (typeof ret === 'number') {
    const action = (ret & SECCOMP_RET_ACTION_FULL) >>> 0;
    return action === SECCOMP_RET_ALLOW || action === SECCOMP_RET_LOG;
  }
  const action = ret.and(bvVal(Z, SECCOMP_RET_ACTION_FULL, 32));
  return Z.Or(action.eq(bvVal(Z, SECCOMP_RET_ALLOW, 32)), action.eq(bvVal(Z, SECCOMP_RET_LOG, 32)));
};

/** Conjunction, negation and equivalence over booleans and z3 terms, folding constants. */
type Cond = boolean | Bool<'mxcc'>;
const and = (Z: Z, a: Cond, b: Cond): Cond => (a === false || b === false ? false : a === true ? b : b === true ? a : Z.And(a, b));
const not = (Z: Z, a: Cond): Cond => (typeof a === 'boolean' ? !a : Z.Not(a));
const iff = (Z: Z, a: Cond, b: Cond): Cond => (typeof a === 'boolean' ? (a ? b : not(Z, b)) : typeof b === 'boolean' ? (b ? a : not(Z, a)) : a.eq(b));
const folded = (Z: Z, e: Bool<'mxcc'>): Cond => (e === boolVal(Z, true) ? true : e === boolVal(Z, false) ? false : e);

/**
 * The return value that means an IR action, from the kernel's constants (stated here, not taken
 * from the compiler, whose own mapping is what is being checked).
 */
function actionRet(a: IrAction): number {
  switch (a.kind) {
    case 'allow': return SECCOMP_RET_ALLOW;
    case 'log': return SECCOMP_RET_LOG;
    case 'errno': return (SECCOMP_RET_ERRNO | (a.errno & SECCOMP_RET_DATA)) >>> 0;
    case 'trap': return SECCOMP_RET_TRAP;
    case 'kill_thread': return SECCOMP_RET_KILL_THREAD;
    case 'kill_process': return SECCOMP_RET_KILL_PROCESS;
  }
}

/**
 * What the kernel makes of a return value: its action (the high 16 bits) and, for errno and trap,
 * its data (the errno the call fails with; the signal's si_errno). Allow, log and the kills
 * ignore the data, so it is cleared. The values `actionRet` gives are already in this form.
 */
const meaning = (ret: number): number => {
  const action = (ret & SECCOMP_RET_ACTION_FULL) >>> 0;
  return action === SECCOMP_RET_ERRNO || action === SECCOMP_RET_TRAP ? ret >>> 0 : action;
};

/** Does the program's return value mean `expected` (a value in `meaning`'s form)? */
const means = (Z: Z, ret: Val, expected: Val): Cond => {
  if (typeof ret === 'number' && typeof expected === 'number') return meaning(ret) === expected;
  let m: BV32;
  if (typeof ret === 'number') m = bvVal(Z, meaning(ret), 32) as BV32;
  else {
    const action = ret.and(bvVal(Z, SECCOMP_RET_ACTION_FULL, 32)) as BV32;
    m = Z.If(Z.Or(action.eq(bvVal(Z, SECCOMP_RET_ERRNO, 32)), action.eq(bvVal(Z, SECCOMP_RET_TRAP, 32))), ret, action) as BV32;
  }
  return m.eq(typeof expected === 'number' ? bvVal(Z, expected, 32) : expected);
};

/**
 * The return value the policy's decision means for a call of syscall `name` (as the reference
 * evaluator decides: the most severe matching deny, the first written on a tie; else allow when an
 * allow matches; else the default action), as a term over the arguments or a constant.
 */
function policyRet(Z: Z, ir: PolicyIR, arch: Arch, name: string, args: BitVec<64, 'mxcc'>[]): Val {
  const rules = ir.syscalls.rules[arch].filter((r) => r.syscall === name);
  const def = ir.syscalls.defaultAction;
  const denies = rules
    .map((r, index) => ({ r, index, action: r.action ?? def }))
    .filter((d) => d.r.effect === 'deny')
    .sort((a, b) => actionSeverity(b.action) - actionSeverity(a.action) || a.index - b.index);
  const allows = rules.filter((r) => r.effect === 'allow');
  const pick = (cond: Bool<'mxcc'>, then: number, otherwise: Val): Val => (otherwise === then ? then : (Z.If(cond, bvVal(Z, then, 32), typeof otherwise === 'number' ? bvVal(Z, otherwise, 32) : otherwise) as BV32));
  // From the last choice back to the first.
  let out: Val = allows.some((r) => r.when === null) ? SECCOMP_RET_ALLOW : actionRet(def);
  if (out !== SECCOMP_RET_ALLOW && allows.length > 0) out = pick(anyOf(Z, allows.map((r) => ruleMatchesExpr(Z, args, r))), SECCOMP_RET_ALLOW, out);
  for (const d of [...denies].reverse()) out = d.r.when === null ? actionRet(d.action) : pick(ruleMatchesExpr(Z, args, d.r), actionRet(d.action), out);
  return out;
}

export async function validateSeccomp(ir: PolicyIR, arch: Arch, program: readonly Insn[]): Promise<TranslationFinding[]> {
  return validatePrograms(ir, [{ arch, program }]);
}

const DIRECTIONS = ['program allows what the policy denies', 'program denies what the policy allows', 'program returns another action than the policy'] as const;

/**
 * Every program and every direction are asked on one solver (see `violations`): when they all
 * agree with the policy, which is the expected case, one unsat check proves it. The third
 * direction asks for a call both decide alike (both let it through, or both refuse it) with
 * return values the kernel reads differently (see `meaning`). Each question is
 * split on nr: one case per number the policy names, where the program runs with that number
 * (its dispatch folds away, leaving the argument tests) against that syscall's rules, and one
 * for every other number, where the policy's default decides; a case that folds to false (the
 * program and the policy agree without looking at the arguments) is dropped.
 */
async function validatePrograms(ir: PolicyIR, programs: readonly { arch: Arch; program: readonly Insn[] }[]): Promise<TranslationFinding[]> {
  const Z = await z3();
  const asked: { arch: Arch; program: readonly Insn[]; direction: (typeof DIRECTIONS)[number]; nr: BV32; args: BitVec<64, 'mxcc'>[] }[] = [];
  const questions: Bool<'mxcc'>[] = [];
  const def = ir.syscalls.defaultAction.kind;
  const otherwise = def === 'allow' || def === 'log';
  for (const { arch, program } of programs) {
    checkShape(program);
    const nr = Z.BitVec.const(`nr_${arch}`, 32) as BV32;
    const args = [...Array(6).keys()].map((i) => Z.BitVec.const(`a${i}_${arch}`, 64));
    const names = new Map(ir.syscalls.rules[arch].map((r) => [r.nr >>> 0, r.syscall]));
    const named = [...names.keys()].sort((a, b) => a - b);
    const cases: Cond[][] = DIRECTIONS.map(() => []);
    const add = (guard: () => Bool<'mxcc'>, ret: Val | typeof UNREACHED, policy: Cond, expected: Val): void => {
      if (ret === UNREACHED) return;
      const lets = proceeds(ret, Z);
      let made: Bool<'mxcc'> | undefined; // the guard, built once if a direction needs it
      [and(Z, lets, not(Z, policy)), and(Z, not(Z, lets), policy), and(Z, iff(Z, lets, policy), not(Z, means(Z, ret, expected)))].forEach((c, d) => {
        if (c !== false) cases[d]!.push(and(Z, (made ??= guard()), c));
      });
    };
    for (const n of named) {
      const name = names.get(n)!;
      add(() => nr.eq(bvVal(Z, n, 32)), symbolicReturn(Z, program, AUDIT_ARCH[arch], n, args, named), folded(Z, syscallAllowedExpr(Z, ir, arch, name, args)), policyRet(Z, ir, arch, name, args));
    }
    add(() => allOf(Z, named.map((n) => nr.neq(bvVal(Z, n, 32)))), symbolicReturn(Z, program, AUDIT_ARCH[arch], nr, args, named), otherwise, actionRet(ir.syscalls.defaultAction));
    for (const [d, direction] of DIRECTIONS.entries()) {
      asked.push({ arch, program, direction, nr, args });
      const c = cases[d]!;
      questions.push(c.length === 0 ? boolVal(Z, false) : anyOf(Z, c.map((x) => (typeof x === 'boolean' ? boolVal(Z, x) : x))));
    }
  }
  const findings: TranslationFinding[] = [];
  await violations(Z, new Z.Solver('QF_BV'), questions, (model, hits) => {
    for (const h of hits) {
      const { arch, program, direction, nr, args } = asked[h]!;
      const n = Number(bvValue(model, nr));
      const values = args.map((a) => bvValue(model, a));
      // Re-check with the interpreter and the reference evaluator before reporting.
      const ret = runFilter(program, { nr: n, arch: AUDIT_ARCH[arch], args: values }).ret;
      const filterLets = [SECCOMP_RET_ALLOW, SECCOMP_RET_LOG].includes((ret & SECCOMP_RET_ACTION_FULL) >>> 0);
      const name = syscallName(n, arch) ?? '';
      const decision = decide(ir, { kind: 'syscall', arch, syscall: name && ir.syscalls.rules[arch].some((r) => r.syscall === name) ? name : '', nr: n, args: values });
      const policyLets = decision.allowed;
      const reproduced =
        direction === DIRECTIONS[0] ? filterLets && !policyLets
        : direction === DIRECTIONS[1] ? !filterLets && policyLets
        : filterLets === policyLets && meaning(ret) !== actionRet(decision.action);
      if (!reproduced) throw new VerifierError(`internal error: translation-validation witness for ${arch} nr ${n} does not reproduce; this is a bug in mxcc's verifier`);
      const call = `${arch} ${name || `nr ${n}`}(${values.map((v) => '0x' + v.toString(16)).join(', ')})`;
      const display = direction === DIRECTIONS[2] ? `${call}: the program returns ${retText(ret)}, the policy decides ${retText(actionRet(decision.action))}` : call;
      findings.push({ arch, direction, nr: n, args: values, display });
    }
  });
  // The order of the programs and directions asked, whatever order the models came in.
  return findings.sort((a, b) => programs.findIndex((p) => p.arch === a.arch) - programs.findIndex((p) => p.arch === b.arch) || DIRECTIONS.indexOf(a.direction) - DIRECTIONS.indexOf(b.direction));
}

/** A return value as the kernel reads it, in the IR's spelling: `errno(13)`, `kill_process`. */
const retText = (ret: number): string => describeRet(ret).toLowerCase();

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
