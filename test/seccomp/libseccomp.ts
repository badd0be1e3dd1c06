/**
 * libseccomp as a differential peer: translate an IR's syscall rules into libseccomp rules the way
 * a libseccomp user would write them, build the filter with libseccomp itself (through the C
 * harness beside this file) and read the BPF program it exports.
 *
 * What libseccomp's rule model is, from its documentation (seccomp_rule_add(3)) and source
 * (src/db.c, src/gen_bpf.c, src/arch.c, v2.5.4 as shipped by Debian 12):
 *
 * - A rule is (syscall, action, AND of argument comparisons), at most ONE comparison per argument
 *   (a second comparison of the same argument is -EINVAL). Operators: NE LT LE EQ GE GT MASKED_EQ;
 *   there is no MASKED_NE. Every comparison is on the full 64-bit register: on a 64-bit
 *   architecture libseccomp emits a test of the high word and one of the low word.
 * - A rule whose action equals the filter's default action is refused (-EACCES).
 * - Rules for one syscall are merged into one tree. Overlapping rules are NOT resolved by action
 *   precedence: an unconditional rule replaces every conditional rule of that syscall whatever the
 *   actions ("the first, more specific rule, is effectively dropped"), a conditional rule added
 *   after an unconditional one is dropped, identical comparisons ending in different actions are
 *   -EEXIST, and otherwise the generated code takes the first matching chain in libseccomp's own
 *   node order. So the translation below only hands libseccomp rule sets whose different-action
 *   chains are disjoint; where the IR's precedence cannot be written that way the syscall is
 *   reported as unsupported (and left to the default action) instead of being mistranslated.
 * - On x86_64, numbers ≥ 0x40000000 (x32) get the bad-architecture action, except −1
 *   (0xffffffff), which tracers use to skip a call and which falls through to the syscall tree.
 * - Rule numbers are interpreted in the context of the NATIVE architecture; the harness maps a
 *   foreign architecture's number through libseccomp's own tables, and reports numbers those
 *   tables do not know ("unmapped").
 *
 * IR 32-bit conditions are written as plain (64-bit) comparisons of the same value — that is what
 * a libseccomp user writes (SCMP_A0_32 only truncates the datum), and it is the source of the
 * 32-bit bypass: `socket(0x1_00000028, …)` is "!= 40" to libseccomp.
 *
 * This module has no runtime imports from the project, so bench/seccomp.mjs can load it as is.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Arch, IrAction, IrArgCondition, IrSyscallRule, PolicyIR } from '../../compiler/ir.js';
import type { Insn } from '../../targets/linux/seccomp/bpf.js';

export const HARNESS_SOURCE = fileURLToPath(new URL('./libseccomp-harness.c', import.meta.url));

const RET_KILL_PROCESS = 0x80000000;
const RET_ALLOW = 0x7fff0000;

/** SECCOMP_RET_* value of an IR action (the same encoding libseccomp's SCMP_ACT_* macros use). */
export function actionValue(a: IrAction): number {
  switch (a.kind) {
    case 'allow': return RET_ALLOW;
    case 'log': return 0x7ffc0000;
    case 'errno': return (0x00050000 | (a.errno & 0xffff)) >>> 0;
    case 'trap': return 0x00030000;
    case 'kill_thread': return 0x00000000;
    case 'kill_process': return RET_KILL_PROCESS;
  }
}

// kill_process > kill_thread > trap > errno > log > allow, as the kernel orders actions and
// compiler/evaluate.ts decides the winning deny (ties: the first written deny).
const SEVERITY: Record<IrAction['kind'], number> = { kill_process: 5, kill_thread: 4, trap: 3, errno: 2, log: 1, allow: 0 };

type LibseccompOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked_eq';

export interface LibseccompComparison {
  arg: number;
  op: LibseccompOp;
  value: bigint;
  /** masked_eq only. */
  mask?: bigint;
}

export interface LibseccompRule {
  action: number;
  nr: number;
  comparisons: LibseccompComparison[];
}

export interface UnsupportedSyscall {
  nr: number;
  syscall: string;
  reason: string;
}

export interface LibseccompTranslation {
  defaultAction: number;
  rules: LibseccompRule[];
  /** Syscalls whose IR rules libseccomp's rule model cannot express; they get no rules at all. */
  unsupported: UnsupportedSyscall[];
}

const U64 = (1n << 64n) - 1n;

class Inexpressible extends Error {}

function comparisonOf(c: IrArgCondition): LibseccompComparison {
  // 32-bit IR conditions become 64-bit comparisons of the same (zero-extended) value: what a
  // libseccomp user writes, and what makes garbage upper bits change the outcome.
  const value = BigInt(c.value);
  switch (c.op) {
    case 'masked_eq': return { arg: c.arg, op: 'masked_eq', value, mask: BigInt(c.mask ?? '0') };
    case 'masked_ne': throw new Inexpressible(`libseccomp has no MASKED_NE (${c.name} & ${c.mask} != ${c.value})`);
    default: return { arg: c.arg, op: c.op, value };
  }
}

/** The complement of one comparison as one comparison, if libseccomp has one. */
function negate(c: LibseccompComparison): LibseccompComparison {
  switch (c.op) {
    case 'eq': return { ...c, op: 'ne' };
    case 'ne': return { ...c, op: 'eq' };
    case 'lt': return { ...c, op: 'ge' };
    case 'ge': return { ...c, op: 'lt' };
    case 'le': return { ...c, op: 'gt' };
    case 'gt': return { ...c, op: 'le' };
    case 'masked_eq': {
      const mask = c.mask ?? 0n;
      // Only a one-bit mask has a complement among libseccomp's operators: the other value of that bit.
      if (mask !== 0n && (mask & (mask - 1n)) === 0n && (c.value & ~mask) === 0n) return { ...c, value: c.value ^ mask };
      throw new Inexpressible(`the complement of (arg${c.arg} & 0x${mask.toString(16)}) == 0x${c.value.toString(16)} needs MASKED_NE, which libseccomp lacks`);
    }
  }
}

/** [lo, hi] of a range comparison over u64, or undefined for eq/ne/masked_eq. */
function interval(c: LibseccompComparison): [bigint, bigint] | undefined {
  switch (c.op) {
    case 'lt': return [0n, c.value - 1n];
    case 'le': return [0n, c.value];
    case 'gt': return [c.value + 1n, U64];
    case 'ge': return [c.value, U64];
    case 'masked_eq': return (c.value & ~(c.mask ?? 0n)) === 0n ? [c.value, c.value | (U64 & ~(c.mask ?? 0n))] : [1n, 0n];
    default: return undefined;
  }
}

const holds = (c: LibseccompComparison, v: bigint): boolean => {
  switch (c.op) {
    case 'eq': return v === c.value;
    case 'ne': return v !== c.value;
    case 'lt': return v < c.value;
    case 'le': return v <= c.value;
    case 'gt': return v > c.value;
    case 'ge': return v >= c.value;
    case 'masked_eq': return (v & (c.mask ?? 0n)) === c.value;
  }
};

/** True when no 64-bit value satisfies both comparisons (conservative: false means "may overlap"). */
function contradictory(a: LibseccompComparison, b: LibseccompComparison): boolean {
  if (a.op === 'eq') return !holds(b, a.value);
  if (b.op === 'eq') return !holds(a, b.value);
  if (a.op === 'masked_eq' && b.op === 'masked_eq') {
    const m = (a.mask ?? 0n) & (b.mask ?? 0n);
    if ((a.value & ~(a.mask ?? 0n)) !== 0n || (b.value & ~(b.mask ?? 0n)) !== 0n) return true;
    return ((a.value ^ b.value) & m) !== 0n;
  }
  const ia = interval(a);
  const ib = interval(b);
  if (ia && ib) return (ia[0] > ia[1]) || (ib[0] > ib[1]) || ia[1] < ib[0] || ib[1] < ia[0];
  return false;
}

function disjoint(x: LibseccompComparison[], y: LibseccompComparison[]): boolean {
  return x.some((a) => y.some((b) => a.arg === b.arg && contradictory(a, b)));
}

function checkOnePerArgument(conj: LibseccompComparison[]): void {
  const seen = new Set<number>();
  for (const c of conj) {
    if (seen.has(c.arg)) throw new Inexpressible(`libseccomp allows one comparison per argument per rule (arg${c.arg} is compared twice)`);
    seen.add(c.arg);
  }
}

/** libseccomp rules for one syscall number, or Inexpressible. */
function rulesForSyscall(nr: number, rules: readonly IrSyscallRule[], defaultAction: IrAction): LibseccompRule[] {
  const def = actionValue(defaultAction);
  // The IR's decision as ordered checks (first match wins), then a final action.
  const checks: { conjs: LibseccompComparison[][]; action: number }[] = [];
  let final = def;
  let decided = false;
  const norm = (r: IrSyscallRule): IrArgCondition[][] | null => (r.when !== null && r.when.some((c) => c.length === 0) ? null : r.when);
  const denies = rules
    .map((r, index) => ({ r, index, action: r.action ?? defaultAction }))
    .filter((d) => d.r.effect === 'deny')
    .sort((a, b) => SEVERITY[b.action.kind] - SEVERITY[a.action.kind] || a.index - b.index);
  for (const d of denies) {
    const when = norm(d.r);
    if (when === null) {
      final = actionValue(d.action);
      decided = true;
      break;
    }
    if (when.length > 0) checks.push({ conjs: when.map((c) => c.map(comparisonOf)), action: actionValue(d.action) });
  }
  if (!decided) {
    const allows = rules.filter((r) => r.effect === 'allow');
    if (allows.some((r) => norm(r) === null)) final = RET_ALLOW;
    else {
      const conjs = allows.flatMap((r) => norm(r) ?? []).map((c) => c.map(comparisonOf));
      if (conjs.length > 0) checks.push({ conjs, action: RET_ALLOW });
    }
  }
  while (checks.length > 0 && checks[checks.length - 1]!.action === final) checks.pop();

  const chains: { conj: LibseccompComparison[]; action: number }[] = checks.flatMap((c) => c.conjs.map((conj) => ({ conj, action: c.action })));
  if (final !== def) {
    if (chains.length === 0) return final === def ? [] : [{ action: final, nr, comparisons: [] }];
    // Everything the checks do not catch must get `final`: one rule with the negated comparison,
    // which exists only when there is a single one-comparison chain.
    const only = chains.length === 1 ? chains[0]! : undefined;
    if (!only || only.conj.length !== 1) {
      throw new Inexpressible(`the rest of the syscall needs ${describe(final)} while ${chains.length} conditional rule(s) take precedence: libseccomp would need the complement of their conditions as one rule`);
    }
    chains.push({ conj: [negate(only.conj[0]!)], action: final });
  }
  for (const c of chains) checkOnePerArgument(c.conj);
  // Chains with different actions must be disjoint: libseccomp does not order them by precedence.
  for (let i = 0; i < chains.length; i++) {
    for (let j = i + 1; j < chains.length; j++) {
      const a = chains[i]!;
      const b = chains[j]!;
      if (a.action !== b.action && !disjoint(a.conj, b.conj)) {
        throw new Inexpressible(`conditional rules with different actions (${describe(a.action)}, ${describe(b.action)}) may overlap; libseccomp picks by its own node order, not by precedence`);
      }
    }
  }
  // Chains with the default action are refused by libseccomp (-EACCES) and are not needed: being
  // disjoint from every other chain, their inputs fall through to the default anyway.
  return chains.filter((c) => c.action !== def).map((c) => ({ action: c.action, nr, comparisons: c.conj }));
}

function describe(ret: number): string {
  return `0x${(ret >>> 0).toString(16)}`;
}

export function translateForLibseccomp(ir: PolicyIR, arch: Arch): LibseccompTranslation {
  const byNr = new Map<number, IrSyscallRule[]>();
  for (const r of ir.syscalls.rules[arch]) byNr.set(r.nr, [...(byNr.get(r.nr) ?? []), r]);
  const rules: LibseccompRule[] = [];
  const unsupported: UnsupportedSyscall[] = [];
  for (const nr of [...byNr.keys()].sort((a, b) => a - b)) {
    const list = byNr.get(nr)!;
    try {
      rules.push(...rulesForSyscall(nr, list, ir.syscalls.defaultAction));
    } catch (e) {
      if (!(e instanceof Inexpressible)) throw e;
      unsupported.push({ nr, syscall: list[0]!.syscall, reason: e.message });
    }
  }
  return { defaultAction: actionValue(ir.syscalls.defaultAction), rules, unsupported };
}

export interface LibseccompOptions {
  /** SCMP_FLTATR_CTL_OPTIMIZE: 1 = priority order (a linear list), 2 = binary tree. */
  optimize: 1 | 2;
}

/** The harness's rule file for a translation. */
export function harnessRules(t: LibseccompTranslation, arch: Arch, options: LibseccompOptions): string {
  const hex = (v: bigint | number): string => `0x${v.toString(16)}`;
  const lines = [`arch ${arch}`, `default ${hex(t.defaultAction >>> 0)}`, `badarch ${hex(RET_KILL_PROCESS)}`, `optimize ${options.optimize}`];
  for (const r of t.rules) {
    const conds = r.comparisons.map((c) => ` cond ${c.arg} ${c.op} ${hex(c.value)}${c.op === 'masked_eq' ? ` ${hex(c.mask ?? 0n)}` : ''}`);
    lines.push(`rule ${hex(r.action >>> 0)} ${r.nr}${conds.join('')}`);
  }
  return lines.join('\n') + '\n';
}

let harness: { dir: string; binary: string } | undefined;

/**
 * Compile the harness once per process with the machine's `cc`. Throws (never skips) when cc,
 * libseccomp's header or its library is missing, naming the Debian package to install.
 */
export function buildHarness(source: string = HARNESS_SOURCE): string {
  if (harness) return harness.binary;
  const dir = mkdtempSync(path.join(tmpdir(), 'mxcc-libseccomp-'));
  const binary = path.join(dir, 'libseccomp-harness');
  const r = spawnSync('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O2', '-o', binary, source, '-lseccomp'], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run cc to build the libseccomp harness (${r.error.message}): install a C compiler (Debian: apt-get install gcc)`);
  if (r.status !== 0) {
    const why = r.stderr ?? '';
    if (/seccomp\.h/.test(why) || /-lseccomp|lseccomp/.test(why)) {
      throw new Error(`libseccomp is missing (${why.trim().split('\n')[0]}): install Debian's libseccomp-dev (apt-get install libseccomp-dev)`);
    }
    throw new Error(`building the libseccomp harness failed:\n${why}`);
  }
  harness = { dir, binary };
  return binary;
}

export interface LibseccompFilter {
  program: Insn[];
  translation: LibseccompTranslation;
  /** Syscall numbers of the target architecture libseccomp's tables could not map (rules left out). */
  unmapped: number[];
  rulesText: string;
}

let fileCounter = 0;

/** Build libseccomp's program for the IR, reporting what libseccomp could not take. */
export function libseccompFilter(ir: PolicyIR, arch: Arch, options: LibseccompOptions): LibseccompFilter {
  const binary = buildHarness();
  const translation = translateForLibseccomp(ir, arch);
  const rulesText = harnessRules(translation, arch, options);
  const file = path.join(harness!.dir, `rules-${process.pid}-${fileCounter++}.txt`);
  writeFileSync(file, rulesText);
  const r = spawnSync(binary, [file], { maxBuffer: 1 << 24 });
  const stderr = r.stderr.toString('utf8');
  if (r.status !== 0) throw new Error(`libseccomp harness failed (exit ${r.status}): ${stderr}\nrules:\n${rulesText}`);
  const unmapped = [...stderr.matchAll(/^harness: unmapped (\d+)$/gm)].map((m) => Number(m[1]));
  return { program: decode(r.stdout), translation, unmapped, rulesText };
}

/** libseccomp's program for the IR; throws if libseccomp could not take every rule. */
export function libseccompProgram(ir: PolicyIR, arch: Arch, options: LibseccompOptions): Insn[] {
  const f = libseccompFilter(ir, arch, options);
  if (f.translation.unsupported.length > 0 || f.unmapped.length > 0) {
    const what = [...f.translation.unsupported.map((u) => `${u.syscall}: ${u.reason}`), ...f.unmapped.map((n) => `syscall ${n} unknown to libseccomp on ${arch}`)];
    throw new Error(`libseccomp cannot express this policy exactly:\n  ${what.join('\n  ')}`);
  }
  return f.program;
}

/** The version of the libseccomp the harness runs with (seccomp_version()). */
export function libseccompVersion(): string {
  return execFileSync(buildHarness(), ['--version'], { encoding: 'utf8' }).trim();
}

function decode(bytes: Buffer): Insn[] {
  if (bytes.length === 0 || bytes.length % 8 !== 0) throw new Error(`libseccomp exported ${bytes.length} bytes, not a BPF program`);
  const out: Insn[] = [];
  for (let i = 0; i < bytes.length; i += 8) {
    out.push({ code: bytes.readUInt16LE(i), jt: bytes.readUInt8(i + 2), jf: bytes.readUInt8(i + 3), k: bytes.readUInt32LE(i + 4) });
  }
  return out;
}
