/**
 * The `oci` target: the policy's syscalls section as an OCI runtime-spec `linux.seccomp` object
 * (`oci-seccomp.json`), the file Docker (`--security-opt seccomp=…`), Podman and containerd
 * (through runc or crun) hand to libseccomp.
 *
 * What the runtimes really do with such a file (runc libcontainer/seccomp, libseccomp src/db.c):
 * - every `syscalls[]` entry is added, name by name, with `seccomp_rule_add`; an entry whose
 *   action equals the default action is skipped silently, and a name the runtime's libseccomp does
 *   not know is skipped too;
 * - an entry's `args` are AND-ed, but only if no two of them test the same argument: otherwise runc
 *   adds one rule per comparison (OR), so we never emit two comparisons of one argument;
 * - rules for one syscall are merged into one decision tree, and overlapping rules are NOT resolved
 *   by action precedence: an unconditional rule replaces the conditional ones whatever the actions,
 *   identical comparisons with different actions are refused (-EEXIST), other overlaps end in
 *   libseccomp's own node order. (The KILL_PROCESS > … > ALLOW precedence is the kernel's, between
 *   stacked filters, not libseccomp's, within one.)
 *
 * So this target never relies on overlap resolution: for each syscall it builds the decision the
 * policy makes (deny beats allow, the most severe deny wins, ties to the first written) as a
 * partition of the argument space, and emits one rule per piece that does not get the default
 * action. Rules with different actions are therefore disjoint, and any resolution order gives the
 * same result. Every comparison is SCMP_CMP_EQ or SCMP_CMP_MASKED_EQ (see comparisonsFor): for
 * 32-bit (`int`) arguments the masks stay inside the low 32 bits (ranges as aligned blocks, `!=`
 * as "some low bit differs"), so the upper half of the register is ignored exactly as the kernel
 * ignores it: every rule is exact.
 * Where a syscall's decision would need too many rules, or its rules differ between x86_64 and
 * aarch64 (OCI names a syscall for all architectures at once), the syscall gets the most severe
 * of its possible outcomes unconditionally: `stricter`, reported.
 */
import { diagnostic, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { Span } from '../../grammar/location.js';
import { IR_ARCHES, uniqueSyscallRules, type Arch, type IrAction, type IrArgCondition, type IrSyscallRule, type Origin, type PolicyIR } from '../../compiler/ir.js';
import { canonicalJson } from '../../compiler/json.js';
import { syscallNumber } from '../../compiler/syscalls/index.js';
import type { FidelityEntry, Target } from '../index.js';

// ---------------------------------------------------------------------------
// The OCI shapes

export type OciAction = 'SCMP_ACT_ALLOW' | 'SCMP_ACT_LOG' | 'SCMP_ACT_ERRNO' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_KILL_PROCESS';
export type OciOp = 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_GT' | 'SCMP_CMP_GE' | 'SCMP_CMP_MASKED_EQ';

/** One comparison. For MASKED_EQ, `value` is the mask and `valueTwo` the datum: (arg & value) == valueTwo. */
export interface OciArg {
  index: number;
  value: bigint;
  valueTwo: bigint;
  op: OciOp;
}

export interface OciSyscall {
  names: string[];
  action: OciAction;
  errnoRet?: number;
  args?: OciArg[];
}

export interface OciSeccomp {
  defaultAction: OciAction;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: OciSyscall[];
}

export const OCI_ARCH: Record<Arch, string> = { x86_64: 'SCMP_ARCH_X86_64', aarch64: 'SCMP_ARCH_AARCH64' };

export function ociAction(a: IrAction): { action: OciAction; errnoRet?: number } {
  switch (a.kind) {
    case 'allow': return { action: 'SCMP_ACT_ALLOW' };
    case 'log': return { action: 'SCMP_ACT_LOG' };
    case 'errno': return { action: 'SCMP_ACT_ERRNO', errnoRet: a.errno };
    case 'trap': return { action: 'SCMP_ACT_TRAP' };
    case 'kill_thread': return { action: 'SCMP_ACT_KILL_THREAD' };
    case 'kill_process': return { action: 'SCMP_ACT_KILL_PROCESS' };
  }
}

const SEVERITY: Record<IrAction['kind'], number> = { kill_process: 5, kill_thread: 4, trap: 3, errno: 2, log: 1, allow: 0 };
const actionKey = (a: IrAction): string => (a.kind === 'errno' ? `errno:${a.errno}` : a.kind);
const sameAction = (a: IrAction, b: IrAction): boolean => actionKey(a) === actionKey(b);

// ---------------------------------------------------------------------------
// Sets of 64-bit values as unions of disjoint ternary cubes: (v & mask) == value.

const U64 = (1n << 64n) - 1n;
const U32 = 0xffffffffn;
const widthMask = (bits: 32 | 64): bigint => (bits === 32 ? U32 : U64);

interface Cube {
  mask: bigint;
  value: bigint;
}
type ValueSet = Cube[];

const FULL: Cube = { mask: 0n, value: 0n };

class TooComplex extends Error {}
/** Cubes one argument's partition may have before the syscall falls back to `stricter`. */
const MAX_CUBES = 2048;
/** OCI rules one syscall may need before it falls back to `stricter`. */
export const MAX_RULES_PER_SYSCALL = 256;

function intersectCube(a: Cube, b: Cube): Cube | undefined {
  if (((a.value ^ b.value) & a.mask & b.mask) !== 0n) return undefined;
  return { mask: a.mask | b.mask, value: a.value | b.value };
}

function intersect(x: ValueSet, y: ValueSet): ValueSet {
  const out: ValueSet = [];
  for (const a of x) {
    for (const b of y) {
      const c = intersectCube(a, b);
      if (c) out.push(c);
    }
    if (out.length > MAX_CUBES) throw new TooComplex();
  }
  return out;
}

/** The complement of a cube as disjoint cubes: the first care bit (from the top) that differs. */
function complementCube(c: Cube): ValueSet {
  const out: ValueSet = [];
  let prefix = 0n;
  for (let bit = 63; bit >= 0; bit--) {
    const b = 1n << BigInt(bit);
    if ((c.mask & b) === 0n) continue;
    out.push({ mask: prefix | b, value: (c.value & prefix) | (~c.value & b) });
    prefix |= b;
  }
  return out;
}

/** [lo, hi] within the low `bits` bits (upper bits free) as aligned blocks. */
function blocks(lo: bigint, hi: bigint, bits: 32 | 64): ValueSet {
  const out: ValueSet = [];
  const wm = widthMask(bits);
  while (lo <= hi) {
    let k = 0n;
    while (k < BigInt(bits) && (lo & ((1n << (k + 1n)) - 1n)) === 0n && lo + (1n << (k + 1n)) - 1n <= hi) k++;
    out.push({ mask: wm & ~((1n << k) - 1n), value: lo });
    const next = lo + (1n << k);
    if (next > wm) break;
    lo = next;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Atoms: the distinct comparisons of a syscall's conditions, each with its set and complement.

interface Atom {
  key: string;
  arg: number;
  pos: ValueSet;
  neg: ValueSet;
}

interface Literal {
  atom: string;
  negated: boolean;
}

function atomOf(c: IrArgCondition): { atom: Atom; negated: boolean } {
  const bits = c.bits;
  const wm = widthMask(bits);
  const v = BigInt(c.value) & wm;
  const base = { arg: c.arg };
  const make = (kind: string, pos: ValueSet, neg: ValueSet, negated: boolean, extra = ''): { atom: Atom; negated: boolean } => ({
    atom: { ...base, key: `${c.arg}/${bits}/${kind}/${v}${extra}`, pos, neg },
    negated,
  });
  switch (c.op) {
    case 'eq':
    case 'ne': {
      const cube = { mask: wm, value: v };
      return make('eq', [cube], complementCube(cube), c.op === 'ne');
    }
    case 'lt':
    case 'ge':
      return make('lt', v === 0n ? [] : blocks(0n, v - 1n, bits), blocks(v, wm, bits), c.op === 'ge');
    case 'le':
    case 'gt':
      return make('le', blocks(0n, v, bits), v === wm ? [] : blocks(v + 1n, wm, bits), c.op === 'gt');
    case 'masked_eq':
    case 'masked_ne': {
      const m = BigInt(c.mask ?? '0') & wm;
      const cube = { mask: m, value: v };
      const satisfiable = (v & ~m) === 0n;
      return make('meq', satisfiable ? [cube] : [], satisfiable ? complementCube(cube) : [FULL], c.op === 'masked_ne', `/${m}`);
    }
  }
}

// ---------------------------------------------------------------------------
// A syscall's decision: ordered checks (first match wins), then a final action.

interface Check {
  dnf: Literal[][];
  action: IrAction;
}

interface Decision {
  checks: Check[];
  final: IrAction;
}

/** The policy's decision for one syscall, as language.md defines it (compiler/evaluate.ts). */
function decisionOf(rules: readonly IrSyscallRule[], defaultAction: IrAction, atoms: Map<string, Atom>): Decision {
  const lower = (when: IrArgCondition[][]): Literal[][] =>
    when.map((conj) =>
      conj.map((c) => {
        const { atom, negated } = atomOf(c);
        atoms.set(atom.key, atom);
        return { atom: atom.key, negated };
      }),
    );
  const checks: Check[] = [];
  const denies = rules
    .map((r, index) => ({ r, index, action: r.action ?? defaultAction }))
    .filter((d) => d.r.effect === 'deny')
    .sort((a, b) => SEVERITY[b.action.kind] - SEVERITY[a.action.kind] || a.index - b.index);
  for (const d of denies) {
    if (d.r.when === null) return { checks, final: d.action };
    if (d.r.when.length > 0) checks.push({ dnf: lower(d.r.when), action: d.action });
  }
  const allows = rules.filter((r) => r.effect === 'allow');
  if (allows.some((r) => r.when === null)) return { checks, final: { kind: 'allow' } };
  const dnf = allows.flatMap((r) => lower(r.when ?? []));
  if (dnf.length > 0) checks.push({ dnf, action: { kind: 'allow' } });
  return { checks, final: defaultAction };
}

/** The decision under a partial assignment of atoms, or undefined while it still depends on others. */
function evaluate(d: Decision, assignment: ReadonlyMap<string, boolean>): IrAction | undefined {
  for (const check of d.checks) {
    let value: boolean | undefined = false;
    for (const conj of check.dnf) {
      let c: boolean | undefined = true;
      for (const lit of conj) {
        const a = assignment.get(lit.atom);
        if (a === undefined) c = c === false ? false : undefined;
        else if (a === lit.negated) c = false;
      }
      if (c === true) {
        value = true;
        break;
      }
      if (c === undefined) value = undefined;
    }
    if (value === undefined) return undefined;
    if (value) return check.action;
  }
  return d.final;
}

/** Several decisions (one per architecture) combined: the most severe outcome, ties to the first. */
function combined(ds: readonly Decision[], assignment: ReadonlyMap<string, boolean>): IrAction | undefined {
  let best: IrAction | undefined;
  for (const d of ds) {
    const a = evaluate(d, assignment);
    if (a === undefined) return undefined;
    if (!best || SEVERITY[a.kind] > SEVERITY[best.kind]) best = a;
  }
  return best;
}

type Tree = { kind: 'leaf'; action: IrAction } | { kind: 'split'; arg: number; branches: { set: ValueSet; tree: Tree }[] };

function treeKey(t: Tree): string {
  if (t.kind === 'leaf') return actionKey(t.action);
  // The sets matter as much as the shape: two subtrees are the same only if both agree.
  const setKey = (set: ValueSet): string => set.map((c) => `${c.mask.toString(16)}/${c.value.toString(16)}`).sort().join(',');
  return `${t.arg}(${t.branches.map((b) => `${setKey(b.set)}:${treeKey(b.tree)}`).sort().join('|')})`;
}

/** A decision tree over arguments 0..5 whose branches partition each argument's values. */
function buildTree(ds: readonly Decision[], atoms: ReadonlyMap<string, Atom>): Tree {
  const byArg: Atom[][] = [[], [], [], [], [], []];
  for (const a of [...atoms.values()].sort((x, y) => (x.key < y.key ? -1 : 1))) byArg[a.arg]!.push(a);
  const build = (arg: number, assignment: Map<string, boolean>): Tree => {
    const decided = combined(ds, assignment);
    if (decided) return { kind: 'leaf', action: decided };
    if (arg > 5) throw new Error('internal: decision undetermined after all arguments');
    const here = byArg[arg]!;
    if (here.length === 0) return build(arg + 1, assignment);
    let pieces: { set: ValueSet; assign: [string, boolean][] }[] = [{ set: [FULL], assign: [] }];
    for (const atom of here) {
      const next: typeof pieces = [];
      for (const p of pieces) {
        const yes = intersect(p.set, atom.pos);
        const no = intersect(p.set, atom.neg);
        if (yes.length > 0) next.push({ set: yes, assign: [...p.assign, [atom.key, true]] });
        if (no.length > 0) next.push({ set: no, assign: [...p.assign, [atom.key, false]] });
      }
      pieces = next;
      if (pieces.reduce((n, p) => n + p.set.length, 0) > MAX_CUBES) throw new TooComplex();
    }
    const groups = new Map<string, { set: ValueSet; tree: Tree }>();
    for (const p of pieces) {
      const sub = build(arg + 1, new Map([...assignment, ...p.assign]));
      const key = treeKey(sub);
      const g = groups.get(key);
      if (g) g.set.push(...p.set);
      else groups.set(key, { set: [...p.set], tree: sub });
    }
    if (groups.size === 1) return [...groups.values()][0]!.tree;
    return { kind: 'split', arg, branches: [...groups.values()] };
  };
  return build(0, new Map());
}

function leafActions(t: Tree): IrAction[] {
  return t.kind === 'leaf' ? [t.action] : t.branches.flatMap((b) => leafActions(b.tree));
}

// ---------------------------------------------------------------------------
// Sets → OCI comparisons (one comparison per rule and argument)

/**
 * The comparisons whose union is `set`, each usable alone in one rule: SCMP_CMP_EQ for a full
 * 64-bit value, SCMP_CMP_MASKED_EQ otherwise. Never LT/LE/GT/GE: libseccomp (2.5.4) merges range
 * comparisons of one argument wrongly when several rules test it (`arg0 >= 2` and
 * `arg0 <= 1 && arg2 == 0`, both KILL, kill `(0, 0, 2^33)`), while masked equality is two exact
 * word tests. Ranges are written as aligned blocks instead.
 */
export function comparisonsFor(arg: number, set: ValueSet): OciArg[] {
  if (set.some((c) => c.mask === 0n)) return [];
  return set.map((c) => (c.mask === U64 ? { index: arg, value: c.value, valueTwo: 0n, op: 'SCMP_CMP_EQ' } : { index: arg, value: c.mask, valueTwo: c.value, op: 'SCMP_CMP_MASKED_EQ' }));
}

interface RawRule {
  action: IrAction;
  args: OciArg[];
}

function rulesOfTree(t: Tree, defaultAction: IrAction): RawRule[] {
  const out: RawRule[] = [];
  const walk = (node: Tree, path: OciArg[][]): void => {
    if (node.kind === 'leaf') {
      if (sameAction(node.action, defaultAction)) return;
      let product: OciArg[][] = [[]];
      for (const alternatives of path) {
        product = product.flatMap((p) => alternatives.map((a) => [...p, a]));
        if (product.length > MAX_RULES_PER_SYSCALL) throw new TooComplex();
      }
      for (const args of product) out.push({ action: node.action, args });
      if (out.length > MAX_RULES_PER_SYSCALL) throw new TooComplex();
      return;
    }
    for (const b of node.branches) {
      const cmp = comparisonsFor(node.arg, b.set);
      walk(b.tree, cmp.length === 0 ? path : [...path, cmp]);
    }
  };
  walk(t, []);
  return out;
}

const argKey = (a: OciArg): string => `${a.index}:${a.op}:${a.value}:${a.valueTwo}`;
const rawKey = (r: RawRule): string => `${actionKey(r.action)}[${r.args.map(argKey).join(',')}]`;

// ---------------------------------------------------------------------------
// Compilation

export interface OciCompilation {
  profile: OciSeccomp;
  fidelity: FidelityEntry[];
  diagnostics: Diagnostic[];
}

/** Architectures to emit: the oci target's `arch` setting, else both. */
export function ociArches(ir: PolicyIR): Arch[] {
  const setting = ir.targets.oci?.settings.arch;
  return Array.isArray(setting) ? IR_ARCHES.filter((a) => setting.includes(a)) : [...IR_ARCHES];
}

/** A span for an IR origin (targets never re-read source text, so there is no offset). */
export function originSpan(origin: Origin): Span {
  return { file: origin.file, offset: 0, length: 0, line: origin.line, column: origin.column, endLine: origin.endLine, endColumn: origin.endColumn };
}

export function compileOciSeccomp(ir: PolicyIR): OciCompilation {
  const arches = ociArches(ir);
  const defaultAction = ir.syscalls.defaultAction;
  const diagnostics: Diagnostic[] = [];
  const notes = new Map<string, string>(); // syscall name → why it is stricter
  const rulesByName = new Map<string, Map<Arch, IrSyscallRule[]>>();
  for (const arch of arches) {
    for (const r of ir.syscalls.rules[arch]) {
      const m = rulesByName.get(r.syscall) ?? new Map<Arch, IrSyscallRule[]>();
      m.set(arch, [...(m.get(arch) ?? []), r]);
      rulesByName.set(r.syscall, m);
    }
  }
  const emitted: { name: string; rule: RawRule }[] = [];
  for (const name of [...rulesByName.keys()].sort()) {
    const perArch = rulesByName.get(name)!;
    // Every targeted architecture that has this syscall is decided by the same OCI rules.
    const present = arches.filter((a) => syscallNumber(name, a) !== undefined || perArch.has(a));
    const atoms = new Map<string, Atom>();
    const decisions = present.map((a) => decisionOf(perArch.get(a) ?? [], defaultAction, atoms));
    let rules: RawRule[] | undefined;
    try {
      const single = decisions.map((d) => rulesOfTree(buildTree([d], atoms), defaultAction));
      const keys = single.map((rs) => rs.map(rawKey).sort().join('\n'));
      if (keys.every((k) => k === keys[0])) rules = single[0] ?? [];
      else {
        const first = [...perArch.values()][0]![0]!;
        diagnostics.push(diagnostic('MXC3202', `the rules for ${name} differ between ${present.join(' and ')}; an OCI profile names a syscall for every architecture at once`, {
          span: originSpan(first.origin),
          help: `${name} gets the more severe decision of the two (stricter); to keep both, compile for one architecture: target oci { arch x86_64 }`,
        }));
        notes.set(name, `rules differ between ${present.join(' and ')}: the more severe decision of the two is used`);
        rules = rulesOfTree(buildTree(decisions, atoms), defaultAction);
      }
    } catch (e) {
      if (!(e instanceof TooComplex)) throw e;
      rules = undefined;
    }
    if (rules === undefined) {
      // Too many rules: the most severe outcome the syscall can have, for every call.
      let worst: IrAction = defaultAction;
      for (const d of decisions) for (const a of [...d.checks.map((c) => c.action), d.final]) if (SEVERITY[a.kind] > SEVERITY[worst.kind]) worst = a;
      notes.set(name, `its conditions need more than ${MAX_RULES_PER_SYSCALL} OCI rules: every call gets ${actionKey(worst)}`);
      const first = [...perArch.values()][0]![0]!;
      diagnostics.push(diagnostic('MXC3203', `the conditions on ${name} need more than ${MAX_RULES_PER_SYSCALL} OCI rules; every ${name} call gets ${actionKey(worst)} instead`, {
        span: originSpan(first.origin),
        help: 'simplify the conditions (fewer != and ranges on int arguments), or use the linux target, whose BPF compares the low 32 bits directly',
      }));
      rules = sameAction(worst, defaultAction) ? [] : [{ action: worst, args: [] }];
    }
    for (const rule of rules) emitted.push({ name, rule });
  }

  // One entry per (action, args), with every name that has exactly that rule.
  const entries = new Map<string, { rule: RawRule; names: string[] }>();
  for (const e of emitted) {
    const key = rawKey(e.rule);
    const entry = entries.get(key) ?? { rule: e.rule, names: [] };
    entry.names.push(e.name);
    entries.set(key, entry);
  }
  const sorted = [...entries.values()].sort((a, b) => {
    const s = SEVERITY[a.rule.action.kind] - SEVERITY[b.rule.action.kind];
    if (s !== 0) return s;
    const ka = rawKey(a.rule);
    const kb = rawKey(b.rule);
    if (a.rule.args.length !== b.rule.args.length) return a.rule.args.length - b.rule.args.length;
    if (ka !== kb) return ka < kb ? -1 : 1;
    return 0;
  });
  const syscalls: OciSyscall[] = sorted.map(({ rule, names }) => {
    const { action, errnoRet } = ociAction(rule.action);
    const s: OciSyscall = { names: [...new Set(names)].sort(), action };
    if (errnoRet !== undefined) s.errnoRet = errnoRet;
    if (rule.args.length > 0) s.args = [...rule.args].sort((x, y) => x.index - y.index);
    return s;
  });
  const def = ociAction(defaultAction);
  const profile: OciSeccomp = { defaultAction: def.action, architectures: arches.map((a) => OCI_ARCH[a]), syscalls };
  if (def.errnoRet !== undefined) profile.defaultErrnoRet = def.errnoRet;

  const fidelity: FidelityEntry[] = [];
  // An architecture left out of the profile: on a host of another one its calls get the
  // bad-architecture action, but on a host of its own libseccomp adds it (the native architecture
  // always is) and applies the profile's rules there by name, with the other architecture's
  // argument values. Where that decides a syscall differently from the policy's rules for it,
  // the profile is weaker on such a host.
  const byName = new Map<string, { arch: Arch; emitted: Arch; rule: IrSyscallRule }>();
  for (const left of IR_ARCHES.filter((a) => !arches.includes(a))) {
    const emitted = arches[0]!;
    const rulesOf = (a: Arch, name: string): string => JSON.stringify(ir.syscalls.rules[a].filter((r) => r.syscall === name).map((r) => [r.effect, r.action ?? null, r.when]));
    const names = new Set([...ir.syscalls.rules[left], ...ir.syscalls.rules[emitted]].map((r) => r.syscall));
    for (const name of [...names].sort()) {
      if (syscallNumber(name, left) === undefined) continue;
      const applied = syscallNumber(name, emitted) === undefined ? '[]' : rulesOf(emitted, name);
      if (applied === rulesOf(left, name)) continue;
      const rule = ir.syscalls.rules[left].find((r) => r.syscall === name) ?? ir.syscalls.rules[emitted].find((r) => r.syscall === name)!;
      byName.set(rule.id, { arch: left, emitted, rule });
    }
  }
  for (const { arch, emitted, rule: r } of byName.values()) {
    fidelity.push({ rule: r.id, fidelity: 'weaker', note: `${arch} is not among the target's architectures, but on an ${arch} host libseccomp adds it and applies the ${emitted} rules for ${r.syscall} there by name, which decide differently from the policy's ${arch} rules` });
  }
  for (const { arch, rule: r } of uniqueSyscallRules(ir)) {
    if (byName.has(r.id)) continue;
    if (!arches.includes(arch) && !arches.some((a) => ir.syscalls.rules[a].some((x) => x.id === r.id))) {
      fidelity.push({ rule: r.id, fidelity: 'stricter', note: `${arch} is not among the target's architectures: on a host of another architecture its calls get the bad-architecture action (kill); on an ${arch} host libseccomp adds it and the rules apply by name, deciding as this one does` });
      continue;
    }
    const note = notes.get(r.syscall);
    fidelity.push(note ? { rule: r.id, fidelity: 'stricter', note } : { rule: r.id, fidelity: 'exact' });
  }
  fidelity.push({ rule: 'syscalls.foreign-abis', fidelity: 'stricter', note: 'i386 and x32 are left out of architectures: libseccomp gives their calls the bad-architecture action (kill)' });
  diagnostics.push(...weakerDiagnostics(ir, fidelity));
  return { profile, fidelity, diagnostics };
}

/**
 * A `weaker` entry is an error unless `target oci { accept weaker "…" }` names its rule id or
 * its syscall. (The translation above produces none today; this is the contract any future
 * approximation must go through.)
 */
export function weakerDiagnostics(ir: PolicyIR, fidelity: readonly FidelityEntry[]): Diagnostic[] {
  const accepted = new Set(ir.targets.oci?.acceptWeaker ?? []);
  const out: Diagnostic[] = [];
  for (const f of fidelity) {
    if (f.fidelity !== 'weaker') continue;
    const rule = IR_ARCHES.flatMap((a) => ir.syscalls.rules[a]).find((r) => r.id === f.rule);
    if (accepted.has(f.rule) || (rule && accepted.has(rule.syscall))) continue;
    out.push(diagnostic('MXC3201', `the oci target enforces ${f.rule} more weakly than the policy${f.note ? `: ${f.note}` : ''}`, {
      ...(rule ? { span: originSpan(rule.origin) } : {}),
      help: `to accept that, add to the policy: target oci { accept weaker "${rule?.syscall ?? f.rule}" }`,
    }));
  }
  return out;
}

/** The profile as JSON text: canonical key order, 64-bit values as exact JSON integers. */
export function ociJson(profile: OciSeccomp): string {
  const MARK = '@@u64:';
  const plain = {
    ...profile,
    syscalls: profile.syscalls.map((s) => ({
      ...s,
      ...(s.args ? { args: s.args.map((a) => ({ index: a.index, op: a.op, value: `${MARK}${a.value}`, valueTwo: `${MARK}${a.valueTwo}` })) } : {}),
    })),
  };
  return canonicalJson(plain).replace(/"@@u64:(\d+)"/g, '$1');
}

export const ociTarget: Target = {
  name: 'oci',
  description: 'OCI runtime-spec linux.seccomp JSON for Docker, Podman and containerd (the syscalls section)',
  compile(ir) {
    const out = compileOciSeccomp(ir);
    return { files: [{ path: 'oci-seccomp.json', content: ociJson(out.profile) }], fidelity: out.fidelity, diagnostics: out.diagnostics };
  },
};
