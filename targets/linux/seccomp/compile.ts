/**
 * IR syscall rules → one seccomp BPF program per architecture.
 *
 * Shape: check the architecture, load the syscall number, then a decision tree
 * over ranges of syscall numbers (split points chosen to minimise the longest
 * allowed path), whose leaves are shared RET instructions or, for syscalls with
 * argument conditions, a small block of argument tests. Numbers no rule names,
 * including x32 numbers (≥ 0x40000000) and numbers unknown today, fall into
 * ranges that return the default action.
 */
import { actionSeverity, type Arch, type IrAction, type IrArgCondition, type IrSyscallRule, type PolicyIR } from '../../../compiler/ir.js';
import { Assembler, type Label } from './assemble.js';
import {
  AUDIT_ARCH_AARCH64, AUDIT_ARCH_X86_64, BPF_ABS, BPF_ALU, BPF_AND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_K, BPF_LD,
  BPF_MAXINSNS, BPF_W, OFFSET_ARCH, OFFSET_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRAP, argHighOffset, argLowOffset, jump, stmt, type Insn,
} from './bpf.js';

export const AUDIT_ARCH: Record<Arch, number> = { x86_64: AUDIT_ARCH_X86_64, aarch64: AUDIT_ARCH_AARCH64 };

export function retValue(a: IrAction): number {
  switch (a.kind) {
    case 'allow': return SECCOMP_RET_ALLOW;
    case 'log': return SECCOMP_RET_LOG;
    case 'errno': return (SECCOMP_RET_ERRNO | (a.errno & 0xffff)) >>> 0;
    case 'trap': return SECCOMP_RET_TRAP;
    case 'kill_thread': return SECCOMP_RET_KILL_THREAD;
    case 'kill_process': return SECCOMP_RET_KILL_PROCESS;
  }
}

/** A syscall's decision as a function of its arguments: the first check whose condition holds returns. */
interface Behavior {
  checks: { dnf: IrArgCondition[][]; ret: number }[];
  final: number;
}

/** Everything the kernel will do for one syscall number, derived from the IR's rules for it. */
export function behaviorOf(rules: readonly IrSyscallRule[], defaultAction: IrAction): Behavior {
  const checks: Behavior['checks'] = [];
  const denies = rules
    .map((r, index) => ({ r, index, action: r.action ?? defaultAction }))
    .filter((d) => d.r.effect === 'deny')
    .sort((a, b) => actionSeverity(b.action) - actionSeverity(a.action) || a.index - b.index);
  for (const d of denies) {
    if (d.r.when === null) return simplify({ checks, final: retValue(d.action) });
    if (d.r.when.length > 0) checks.push({ dnf: d.r.when, ret: retValue(d.action) });
  }
  const allows = rules.filter((r) => r.effect === 'allow');
  if (allows.some((r) => r.when === null)) return simplify({ checks, final: SECCOMP_RET_ALLOW });
  const dnf = allows.flatMap((r) => r.when ?? []);
  if (dnf.length > 0) checks.push({ dnf, ret: SECCOMP_RET_ALLOW });
  return simplify({ checks, final: retValue(defaultAction) });
}

function simplify(b: Behavior): Behavior {
  const checks = [...b.checks];
  while (checks.length > 0 && checks[checks.length - 1]!.ret === b.final) checks.pop();
  return { checks, final: b.final };
}

const isAllowing = (ret: number): boolean => ret === SECCOMP_RET_ALLOW || ret === SECCOMP_RET_LOG;

interface Range {
  lo: number;
  hi: number;
  behavior: Behavior;
  key: string;
}

export interface SeccompStats {
  arch: Arch;
  instructions: number;
  /** Ranges of syscall numbers the decision tree distinguishes. */
  ranges: number;
  /** The most instructions any path that ends in ALLOW or LOG executes. */
  longestAllowedPath: number;
  /** The most instructions any path executes. */
  longestPath: number;
}

export interface SeccompOptions {
  /** What a foreign architecture (e.g. i386 via int 0x80) gets. Default: kill the process. */
  foreignArchAction?: IrAction;
}

export interface SeccompResult {
  program: Insn[];
  stats: SeccompStats;
}

export function compileSeccomp(ir: PolicyIR, arch: Arch, options: SeccompOptions = {}): SeccompResult {
  const defaultRet = retValue(ir.syscalls.defaultAction);
  const byNr = new Map<number, IrSyscallRule[]>();
  for (const r of ir.syscalls.rules[arch]) {
    const list = byNr.get(r.nr);
    if (list) list.push(r);
    else byNr.set(r.nr, [r]);
  }
  const defaultBehavior: Behavior = { checks: [], final: defaultRet };
  const defaultKey = JSON.stringify(defaultBehavior);
  const ranges: Range[] = [];
  const push = (lo: number, hi: number, behavior: Behavior, key: string): void => {
    const last = ranges[ranges.length - 1];
    if (last && last.key === key && last.hi + 1 === lo) last.hi = hi;
    else ranges.push({ lo, hi, behavior, key });
  };
  let next = 0;
  for (const nr of [...byNr.keys()].sort((a, b) => a - b)) {
    if (nr > next) push(next, nr - 1, defaultBehavior, defaultKey);
    const behavior = behaviorOf(byNr.get(nr)!, ir.syscalls.defaultAction);
    push(nr, nr, behavior, JSON.stringify(behavior));
    next = nr + 1;
  }
  if (next <= 0xffffffff) push(next, 0xffffffff, defaultBehavior, defaultKey);

  const asm = new Assembler();
  const foreign = asm.ret(retValue(options.foreignArchAction ?? { kind: 'kill_process' }));
  const loadNr = asm.newLabel();
  asm.emit(stmt(BPF_LD | BPF_W | BPF_ABS, OFFSET_ARCH));
  asm.branch(jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH[arch], 0, 0), loadNr, foreign);
  asm.bind(loadNr);
  asm.emit(stmt(BPF_LD | BPF_W | BPF_ABS, OFFSET_NR));

  // Leaves: constant behaviors are just their RET label; conditional ones get a block,
  // weighted by the exact length of its longest allowing path.
  const weights = ranges.map((r) => leafAllowedCost(r.behavior));
  const tree = buildTree(weights);
  const blocks: { label: Label; behavior: Behavior }[] = [];
  const leafLabel = (i: number): Label => {
    const b = ranges[i]!.behavior;
    if (b.checks.length === 0) return asm.ret(b.final);
    const label = asm.newLabel();
    blocks.push({ label, behavior: b });
    return label;
  };
  emitTree(asm, tree, ranges, leafLabel, blocks);

  const program = asm.finish();
  const paths = pathLengths(program);
  return {
    program,
    stats: { arch, instructions: program.length, ranges: ranges.length, longestAllowedPath: paths.allowed, longestPath: paths.all },
  };
}

// ---------------------------------------------------------------------------
// Decision tree over ranges

type Tree = { leaf: number } | { split: number; left: Tree; right: Tree };

/** The most instructions a leaf runs on a path that allows (−∞ when it never allows), measured on its code. */
function leafAllowedCost(b: Behavior): number {
  if (b.checks.length === 0) return isAllowing(b.final) ? 1 : -Infinity;
  const asm = new Assembler();
  emitBehavior(asm, asm.newLabel(), b);
  const allowed = pathLengths(asm.finish()).allowed;
  return allowed > 0 ? allowed : -Infinity;
}

const DP_LIMIT = 200;

/**
 * Split points minimising (longest allowed path, depth). Exact dynamic programming for
 * up to DP_LIMIT leaves, halving by count beyond that.
 */
function buildTree(weights: number[]): Tree {
  const n = weights.length;
  if (n > DP_LIMIT) return halve(0, n - 1);
  // cost[i][j] = [allowed, depth]
  const cost: [number, number][][] = [];
  const split: number[][] = [];
  for (let i = 0; i < n; i++) {
    cost.push(new Array(n));
    split.push(new Array(n).fill(-1));
    cost[i]![i] = [weights[i]!, 0];
  }
  for (let len = 2; len <= n; len++) {
    for (let i = 0; i + len - 1 < n; i++) {
      const j = i + len - 1;
      let best: [number, number] | undefined;
      let bestK = -1;
      for (let k = i; k < j; k++) {
        const a = cost[i]![k]!;
        const b = cost[k + 1]![j]!;
        const c: [number, number] = [1 + Math.max(a[0], b[0]), 1 + Math.max(a[1], b[1])];
        if (!best || c[0] < best[0] || (c[0] === best[0] && c[1] < best[1])) {
          best = c;
          bestK = k;
        }
      }
      cost[i]![j] = best!;
      split[i]![j] = bestK;
    }
  }
  const make = (i: number, j: number): Tree => (i === j ? { leaf: i } : { split: split[i]![j]!, left: make(i, split[i]![j]!), right: make(split[i]![j]! + 1, j) });
  return make(0, n - 1);
}

function halve(i: number, j: number): Tree {
  if (i === j) return { leaf: i };
  const k = (i + j) >> 1;
  return { split: k, left: halve(i, k), right: halve(k + 1, j) };
}

function emitTree(asm: Assembler, tree: Tree, ranges: Range[], leafLabel: (i: number) => Label, blocks: { label: Label; behavior: Behavior }[]): void {
  // Pre-order: each internal node is `jge first-nr-of-right, right, left`; the left subtree
  // follows it. Conditional blocks are emitted right after the tree, in range order.
  const labelFor = (t: Tree): Label => ('leaf' in t ? leafLabel(t.leaf) : asm.newLabel());
  const walk = (t: Tree, label: Label): void => {
    if ('leaf' in t) return;
    const left = labelFor(t.left);
    const right = labelFor(t.right);
    asm.bind(label);
    asm.branch(jump(BPF_JMP | BPF_JGE | BPF_K, ranges[t.split + 1]!.lo, 0, 0), right, left);
    walk(t.left, left);
    walk(t.right, right);
  };
  if ('leaf' in tree) {
    // A single range: no comparisons at all.
    asm.jumpTo(leafLabel(tree.leaf));
  } else walk(tree, asm.newLabel());
  for (const b of blocks) emitBehavior(asm, b.label, b.behavior);
}

// ---------------------------------------------------------------------------
// Argument checks

function emitBehavior(asm: Assembler, label: Label, b: Behavior): void {
  asm.bind(label);
  for (let c = 0; c < b.checks.length; c++) {
    const check = b.checks[c]!;
    const isLast = c === b.checks.length - 1;
    const nextCheck = isLast ? asm.ret(b.final) : asm.newLabel();
    emitDnf(asm, check.dnf, asm.ret(check.ret), nextCheck);
    if (!isLast) asm.bind(nextCheck);
  }
}

/** True → `onTrue`, false → `onFalse`. Runs of single 32-bit tests on one argument share one load. */
function emitDnf(asm: Assembler, dnf: IrArgCondition[][], onTrue: Label, onFalse: Label): void {
  const conjs = [...dnf].sort((a, b) => groupKey(a).localeCompare(groupKey(b)));
  let i = 0;
  while (i < conjs.length) {
    const conj = conjs[i]!;
    const single = conj.length === 1 && conj[0]!.bits === 32 && !conj[0]!.mask ? conj[0]! : undefined;
    let j = i + 1;
    if (single) {
      while (j < conjs.length && conjs[j]!.length === 1 && conjs[j]![0]!.bits === 32 && !conjs[j]![0]!.mask && conjs[j]![0]!.arg === single.arg) j++;
    }
    const isLastGroup = j >= conjs.length;
    const next = isLastGroup ? onFalse : asm.newLabel();
    const run = conjs.slice(i, j).map((c) => c[0]!);
    if (single && run.length >= 4 && run.every((c) => c.op === 'eq')) {
      // Membership in a set of four or more values: binary search instead of a linear scan.
      asm.emit(stmt(BPF_LD | BPF_W | BPF_ABS, argLowOffset(single.arg)));
      const values = [...new Set(run.map((c) => Number(BigInt(c.value))))].sort((a, b) => a - b);
      emitEqSearch(asm, values, onTrue, next);
    } else if (single) {
      asm.emit(stmt(BPF_LD | BPF_W | BPF_ABS, argLowOffset(single.arg)));
      for (let k = i; k < j; k++) {
        const c = conjs[k]![0]!;
        const fail = k === j - 1 ? next : asm.newLabel();
        emitCompare32(asm, c.op, Number(BigInt(c.value)), onTrue, fail);
        if (k < j - 1) asm.bind(fail);
      }
    } else {
      emitConjunction(asm, conj, onTrue, next);
    }
    if (!isLastGroup) asm.bind(next);
    i = j;
  }
  if (conjs.length === 0) asm.jumpTo(onFalse);
}

/** A sorted set of 32-bit values tested against A: split on the middle value until three remain. */
function emitEqSearch(asm: Assembler, values: number[], t: Label, f: Label): void {
  if (values.length <= 3) {
    values.forEach((v, k) => {
      const fail = k === values.length - 1 ? f : asm.newLabel();
      asm.branch(jump(BPF_JMP | BPF_JEQ | BPF_K, v, 0, 0), t, fail);
      if (k < values.length - 1) asm.bind(fail);
    });
    return;
  }
  const mid = values.length >> 1;
  const left = asm.newLabel();
  const right = asm.newLabel();
  asm.branch(jump(BPF_JMP | BPF_JGE | BPF_K, values[mid]!, 0, 0), right, left);
  asm.bind(left);
  emitEqSearch(asm, values.slice(0, mid), t, f);
  asm.bind(right);
  emitEqSearch(asm, values.slice(mid), t, f);
}

function groupKey(conj: IrArgCondition[]): string {
  const c = conj[0];
  return conj.length === 1 && c && c.bits === 32 && !c.mask ? `0:${c.arg}` : `1:${JSON.stringify(conj)}`;
}

function emitConjunction(asm: Assembler, conj: IrArgCondition[], onTrue: Label, onFalse: Label): void {
  if (conj.length === 0) {
    asm.jumpTo(onTrue);
    return;
  }
  for (let k = 0; k < conj.length; k++) {
    const isLast = k === conj.length - 1;
    const pass = isLast ? onTrue : asm.newLabel();
    emitCondition(asm, conj[k]!, pass, onFalse);
    if (!isLast) asm.bind(pass);
  }
}

function emitCompare32(asm: Assembler, op: IrArgCondition['op'], v: number, t: Label, f: Label): void {
  const J = (code: number, jt: Label, jf: Label): void => asm.branch(jump(BPF_JMP | code | BPF_K, v, 0, 0), jt, jf);
  switch (op) {
    case 'eq': case 'masked_eq': J(BPF_JEQ, t, f); break;
    case 'ne': case 'masked_ne': J(BPF_JEQ, f, t); break;
    case 'gt': J(BPF_JGT, t, f); break;
    case 'ge': J(BPF_JGE, t, f); break;
    case 'lt': J(BPF_JGE, f, t); break;
    case 'le': J(BPF_JGT, f, t); break;
  }
}

const lo32 = (v: bigint): number => Number(v & 0xffffffffn);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

function emitCondition(asm: Assembler, c: IrArgCondition, t: Label, f: Label): void {
  const value = BigInt(c.value);
  const mask = c.mask !== undefined ? BigInt(c.mask) : undefined;
  const ld = (offset: number): void => asm.emit(stmt(BPF_LD | BPF_W | BPF_ABS, offset));
  const and = (m: number): void => {
    if (m !== 0xffffffff) asm.emit(stmt(BPF_ALU | BPF_AND | BPF_K, m));
  };
  if (c.bits === 32) {
    // The kernel reads int arguments as 32 bits: only the low word is tested.
    ld(argLowOffset(c.arg));
    if (mask !== undefined) and(lo32(mask));
    emitCompare32(asm, c.op, lo32(value), t, f);
    return;
  }
  const vh = hi32(value);
  const vl = lo32(value);
  const J = (code: number, k: number, jt: Label, jf: Label): void => asm.branch(jump(BPF_JMP | code | BPF_K, k, 0, 0), jt, jf);
  switch (c.op) {
    case 'eq':
    case 'ne':
    case 'masked_eq':
    case 'masked_ne': {
      const positive = c.op === 'eq' || c.op === 'masked_eq';
      const [yes, no] = positive ? [t, f] : [f, t];
      const mh = mask === undefined ? 0xffffffff : hi32(mask);
      const ml = mask === undefined ? 0xffffffff : lo32(mask);
      // (arg & mask) == value needs both words equal; a value bit outside the mask can never match.
      if ((vh & ~mh) !== 0 || (vl & ~ml) !== 0) {
        asm.jumpTo(no);
        return;
      }
      const lowTest = asm.newLabel();
      if (mh !== 0) {
        ld(argHighOffset(c.arg));
        and(mh);
        J(BPF_JEQ, vh, lowTest, no);
      } else {
        asm.jumpTo(lowTest);
      }
      asm.bind(lowTest);
      if (ml !== 0) {
        ld(argLowOffset(c.arg));
        and(ml);
        J(BPF_JEQ, vl, yes, no);
      } else asm.jumpTo(yes);
      return;
    }
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le': {
      // Unsigned 64-bit order: decide on the high word unless equal, then on the low word.
      const greater = c.op === 'gt' || c.op === 'ge';
      const [ifHigher, ifLower] = greater ? [t, f] : [f, t];
      const equalHigh = asm.newLabel();
      const checkEq = asm.newLabel();
      ld(argHighOffset(c.arg));
      J(BPF_JGT, vh, ifHigher, checkEq);
      asm.bind(checkEq);
      J(BPF_JEQ, vh, equalHigh, ifLower);
      asm.bind(equalHigh);
      ld(argLowOffset(c.arg));
      emitCompare32(asm, c.op, vl, t, f);
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// Path lengths of the finished program (a DAG of forward jumps)

function pathLengths(program: readonly Insn[]): { allowed: number; all: number } {
  const n = program.length;
  // longest[i] = most instructions executed from i to a RET (inclusive); allowedLongest likewise to ALLOW/LOG.
  const longest = new Array<number>(n).fill(0);
  const allowed = new Array<number>(n).fill(-Infinity);
  for (let i = n - 1; i >= 0; i--) {
    const insn = program[i]!;
    const cls = insn.code & 0x07;
    if (cls === 0x06) {
      longest[i] = 1;
      allowed[i] = isAllowing(insn.k >>> 0) ? 1 : -Infinity;
      continue;
    }
    let succ: number[];
    if (cls === 0x05) succ = (insn.code & 0xf0) === 0 ? [i + 1 + insn.k] : [i + 1 + insn.jt, i + 1 + insn.jf];
    else succ = [i + 1];
    longest[i] = 1 + Math.max(...succ.map((s) => longest[s] ?? 0));
    allowed[i] = 1 + Math.max(...succ.map((s) => allowed[s] ?? -Infinity));
  }
  return { allowed: Math.max(0, allowed[0] ?? 0), all: longest[0] ?? 0 };
}

export { BPF_MAXINSNS };
