/**
 * Proving `assert never|always` with z3. Contract (as in Cedar's symbolic compiler): each query
 * asks for a request that violates the assertion, so **unsat means the assertion holds**; a sat
 * model is decoded into a concrete request and re-checked with the reference evaluator
 * (`decide`) before it is reported. A model that does not reproduce is a verifier bug and is
 * raised as an internal error, never shown as a finding.
 *
 * Encodings: fs requests range over path atoms (verifier/atoms.ts) × access rights; net
 * requests over host-name atoms, IPv4/IPv6 bit-vectors, 16-bit ports, protocols and operations;
 * syscall requests over six 64-bit argument bit-vectors per architecture, with the language's
 * 32-bit semantics for int arguments.
 */
import type { Bool, BitVec, BitVecNum, Context, Model } from 'z3-solver';
import { decide, type Request } from '../compiler/evaluate.js';
import { FS_RIGHTS, IR_ARCHES, type Arch, type IrArgCondition, type IrAssertion, type IrHost, type IrNetTarget, type IrSyscallRule, type PolicyIR } from '../compiler/ir.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../compiler/values.js';
import { syscallNumber } from '../compiler/syscalls/index.js';
import { computeAtoms, displayPath, type AtomSet } from './atoms.js';
import { check, push, z3 } from './z3.js';

type Z = Context<'mxcc'>;

export interface AssertionResult {
  assertion: IrAssertion;
  holds: boolean;
  /** A concrete request that violates the assertion, re-checked with decide(). */
  counterexample?: { request: Request; display: string; deciding: string[] };
}

export class VerifierError extends Error {}

/**
 * Proves every assertion of `ir`. Questions of one kind share one solver and are asked together
 * (see `violations`), so a policy whose assertions hold costs one check per kind. `fs` may be a
 * prebuilt model whose atoms cover every assertion's paths (e.g. the whole path space).
 */
export async function proveAssertions(ir: PolicyIR, fs?: FsModel): Promise<AssertionResult[]> {
  const Z = await z3();
  const results: (AssertionResult | undefined)[] = ir.assertions.map(() => undefined);
  const of = (kind: string) => ir.assertions.flatMap((a, i) => (a.request.kind === kind ? [i] : []));
  const fsIdx = of('fs');
  if (fsIdx.length > 0) {
    // One path partition serves every fs assertion: atoms of the regions they are about only.
    const m = fs ?? fsModel(Z, ir, [...new Set(fsIdx.flatMap((i) => (ir.assertions[i]!.request as { paths: string[] }).paths))]);
    await violations(Z, m.solver, fsIdx.map((i) => fsViolation(Z, ir.assertions[i]!, m)), (model, hits) => {
      const path = m.pathOf(model);
      const access = FS_RIGHTS[Number(bvValue(model, m.right))]!;
      // Path params take their symbolic directories, so the re-check decides the same atom.
      for (const h of hits) results[fsIdx[h]!] = confirm(ir, ir.assertions[fsIdx[h]!]!, { kind: 'fs', access, path }, { ...m.roots }, `${access} ${displayPath(path, m.roots)}`);
    });
  }
  const netIdx = of('net');
  if (netIdx.length > 0) {
    const m = netModel(Z, ir);
    const s = new Z.Solver('QF_BV');
    s.add(m.kind.ule(2), m.name.ult(m.names.length), m.proto.ule(1));
    await violations(Z, s, netIdx.map((i) => netViolation(Z, ir.assertions[i]!, m)), (model, hits) => {
      for (const h of hits) results[netIdx[h]!] = decodeNet(ir, ir.assertions[netIdx[h]!]!, m, model);
    });
  }
  const sysIdx = of('syscall');
  if (sysIdx.length > 0) {
    // One question per (assertion, architecture, syscall), over shared argument variables.
    const args = [...Array(6).keys()].map((i) => Z.BitVec.const(`arg${i}`, 64));
    const asked: { a: number; arch: Arch; name: string; nr: number }[] = [];
    const questions: Bool<'mxcc'>[] = [];
    for (const i of sysIdx) {
      const a = ir.assertions[i]!;
      if (a.request.kind !== 'syscall') continue;
      for (const arch of IR_ARCHES) {
        for (const name of a.request.syscalls) {
          const nr = syscallNumber(name, arch);
          if (nr === undefined) continue;
          const allowed = syscallAllowedExpr(Z, ir, arch, name, args);
          asked.push({ a: i, arch, name, nr });
          questions.push(a.quantifier === 'never' ? allowed : Z.Not(allowed));
        }
      }
    }
    await violations(Z, syscallSolver(Z, ir), questions, (model, hits) => {
      const values = args.map((x) => bvValue(model, x));
      for (const h of hits) {
        const q = asked[h]!;
        if (results[q.a]) continue; // already refuted on another architecture or syscall
        const display = `syscall ${q.arch} ${q.name}(${values.map((v) => '0x' + v.toString(16)).join(', ')})`;
        results[q.a] = confirm(ir, ir.assertions[q.a]!, { kind: 'syscall', arch: q.arch, syscall: q.name, nr: q.nr, args: values }, {}, display);
      }
    });
  }
  return ir.assertions.map((a, i) => results[i] ?? { assertion: a, holds: true });
}

/**
 * Asks many questions ("is there a request violating property i?") on one solver, each under
 * an indicator: while some are open, check "some open question is violated"; unsat settles all
 * of them at once (the common case: assertions hold), sat yields a model and every open question
 * it violates, which `found` decodes (returning true ends the search). At most one check more
 * than there are distinct witnesses.
 */
export async function violations(Z: Z, s: InstanceType<Z['Solver']>, questions: readonly Bool<'mxcc'>[], found: (model: Model<'mxcc'>, hits: number[]) => boolean | void): Promise<void> {
  if (questions.length === 0) return;
  push(s);
  try {
    const flags = questions.map((q, i) => {
      const f = Z.Bool.const(`question${i}`);
      s.add(f.eq(q));
      return f;
    });
    const open = new Set(questions.keys());
    while (open.size > 0) {
      push(s);
      try {
        s.add(Z.Or(...[...open].map((i) => flags[i]!)));
        const verdict = await check(s);
        if (verdict === 'unsat') return;
        if (verdict !== 'sat') throw new VerifierError(`the solver gave up (${verdict})`);
        const model = s.model();
        const hits = [...open].filter((i) => Z.isTrue(model.eval(flags[i]!, true)));
        if (hits.length === 0) throw new VerifierError('internal error: a model violates none of the open questions; this is a bug in mxcc\'s verifier');
        if (found(model, hits) === true) return; // the caller has what it needs
        for (const h of hits) open.delete(h);
      } finally {
        s.pop();
      }
    }
  } finally {
    s.pop();
  }
}

/** Re-check a counterexample with the reference evaluator; it must violate the assertion. */
function confirm(ir: PolicyIR, a: IrAssertion, request: Request, params: Record<string, string>, display: string): AssertionResult {
  const d = decide(ir, request, params);
  const violates = a.quantifier === 'never' ? d.allowed : !d.allowed;
  if (!violates) {
    throw new VerifierError(`internal error: the solver's counterexample for ${a.id} (${display}) does not reproduce with the reference evaluator (allowed=${d.allowed}); this is a bug in mxcc's verifier`);
  }
  return { assertion: a, holds: false, counterexample: { request, display, deciding: d.deciding } };
}

/** The value a model gives a bit-vector (completed with defaults where unconstrained). */
export function bvValue(model: Model<'mxcc'>, x: BitVec<number, 'mxcc'>): bigint {
  return (model.eval(x, true) as BitVecNum<number, 'mxcc'>).value();
}

/**
 * Shared constants and numerals: every z3 term built from JavaScript costs several calls into
 * the WebAssembly module (the term, a reference count, an error check), and the encodings
 * below ask for the same few values thousands of times.
 */
const constants = new WeakMap<Z, { yes: Bool<'mxcc'>; no: Bool<'mxcc'>; numerals: Map<string, BitVec<number, 'mxcc'>> }>();

function constantsOf(Z: Z): { yes: Bool<'mxcc'>; no: Bool<'mxcc'>; numerals: Map<string, BitVec<number, 'mxcc'>> } {
  let c = constants.get(Z);
  if (!c) constants.set(Z, (c = { yes: Z.Bool.val(true), no: Z.Bool.val(false), numerals: new Map() }));
  return c;
}

export const boolVal = (Z: Z, value: boolean): Bool<'mxcc'> => (value ? constantsOf(Z).yes : constantsOf(Z).no);

/** The bit-vector numeral `value` of `bits` bits, built once. */
export function bvVal<N extends number>(Z: Z, value: number | bigint, bits: N): BitVec<N, 'mxcc'> {
  const numerals = constantsOf(Z).numerals;
  const key = `${bits}:${value}`;
  let v = numerals.get(key);
  if (!v) numerals.set(key, (v = Z.BitVec.val(value, bits)));
  return v as BitVec<N, 'mxcc'>;
}

/** Disjunction and conjunction without a term for the trivial cases. */
export const anyOf = (Z: Z, xs: readonly Bool<'mxcc'>[]): Bool<'mxcc'> => (xs.length === 0 ? boolVal(Z, false) : xs.length === 1 ? xs[0]! : Z.Or(...xs));
export const allOf = (Z: Z, xs: readonly Bool<'mxcc'>[]): Bool<'mxcc'> => (xs.length === 0 ? boolVal(Z, true) : xs.length === 1 ? xs[0]! : Z.And(...xs));

// ---------------------------------------------------------------------------
// Filesystem

export interface FsModel {
  /**
   * The path a model picks, as the shortest witness of its class of atoms: atoms that every rule
   * (of both policies, for diffs) and every predicate of the model treat alike are one class, so
   * the solver sees a few hundred values instead of thousands.
   */
  pathOf: (model: Model<'mxcc'>) => string;
  right: BitVec<number, 'mxcc'>;
  /** Membership in one of the region patterns the model was built for. */
  inPattern: (p: string) => Bool<'mxcc'>;
  /** Membership in one of the extra path sets the model was built for (by index). */
  inSet: (i: number) => Bool<'mxcc'>;
  /** The path is matched by the rule (one of its paths, none of its excepts); rights aside. */
  inRule: (r: FsRule) => Bool<'mxcc'>;
  allowed: Bool<'mxcc'>;
  /** Allowed for one fixed right (for questions about several rights on the same path). */
  allowedFor: (right: (typeof FS_RIGHTS)[number]) => Bool<'mxcc'>;
  /** Allowed under another rule set over the same atoms (a second policy, for diffs). */
  allowedBy: (rules: readonly FsRule[]) => Bool<'mxcc'>;
  /** One incremental solver: the model is asserted once, each question runs between push and pop. */
  solver: InstanceType<Z['Solver']>;
  allowedVar: Bool<'mxcc'>;
  /** A shortest path of class i. */
  witness: (i: number) => string;
  /** Witness paths of the atoms inside some of `paths` and none of `except` (patterns of the policy's rules). */
  atomWitnesses: (paths: readonly string[], except: readonly string[]) => string[];
  roots: Record<string, string>;
}

type FsRule = PolicyIR['fs']['rules'][number];

/** A set of paths: inside one of `paths` and none of `except` (as a rule matches them). */
export interface PathSet {
  paths: readonly string[];
  except: readonly string[];
}

export interface FsModelOptions {
  /** A second policy whose rules the model also distinguishes (diffs). */
  other?: PolicyIR;
  /** Below a match of one of these patterns (`X/**`) nothing is distinguished. */
  absorbing?: readonly string[];
  /**
   * Extra path sets the questions use (`inSet`). When given, the region patterns only bound the
   * atoms (the paths questions are about) and are not predicates of their own (`inPattern`).
   */
  sets?: readonly PathSet[];
}

/**
 * The part of an fs model that needs no solver: the path atoms and their classes. Computed
 * before z3 is awaited, so it overlaps z3's initialisation.
 */
export interface FsSpace {
  ir: PolicyIR;
  rules: FsRule[];
  region: string[];
  sets: readonly PathSet[] | undefined;
  classes: { witness: string; bits: Uint8Array; key: string }[];
  /** Predicate columns: rules, then region patterns (without `sets`) or the sets. */
  ruleIndex: Map<FsRule, number>;
  regionIndex: Map<string, number>;
  atomSet: AtomSet;
  patternIndex: Map<string, number>;
}

export function fsSpace(ir: PolicyIR, region: readonly string[], opts: FsModelOptions = {}): FsSpace {
  const other = opts.other;
  const rules = [...ir.fs.rules, ...(other?.fs.rules ?? [])];
  const patterns = new Set<string>(region);
  for (const r of rules) [...r.paths, ...r.except].forEach((p) => patterns.add(p));
  for (const s of opts.sets ?? []) [...s.paths, ...s.except].forEach((p) => patterns.add(p));
  for (const p of opts.absorbing ?? []) patterns.add(p);
  const list = [...patterns];
  const params = [...ir.params, ...(other?.params ?? []).filter((p) => !ir.params.some((q) => q.name === p.name))];
  const index = new Map(list.map((p, i) => [p, i]));
  const set = computeAtoms(list, params, region.map((p) => index.get(p)!), (opts.absorbing ?? []).map((p) => index.get(p)!));
  // Predicates: every rule, then every region pattern or every extra set, as index lists.
  const preds: { paths: number[]; except: number[] }[] = [
    ...rules.map((r) => ({ paths: r.paths.map((p) => index.get(p)!), except: r.except.map((p) => index.get(p)!) })),
    ...(opts.sets
      ? opts.sets.map((s) => ({ paths: s.paths.map((p) => index.get(p)!), except: s.except.map((p) => index.get(p)!) }))
      : region.map((p) => ({ paths: [index.get(p)!], except: [] }))),
  ];
  // Classes of atoms: same predicates holding. Atoms are sorted by witness length, so a class's
  // first atom has its shortest witness.
  const classOf = new Set<string>();
  const classes: { witness: string; bits: Uint8Array; key: string }[] = [];
  // An atom matches a few of the patterns: the predicates are found from those (the ones with the
  // pattern among their paths, less the ones with it among their excepts), not by testing each.
  const inPaths: number[][] = list.map(() => []);
  const inExcept: number[][] = list.map(() => []);
  preds.forEach((p, j) => {
    for (const i of p.paths) inPaths[i]!.push(j);
    for (const i of p.except) inExcept[i]!.push(j);
  });
  const excluded = new Int32Array(preds.length).fill(-1);
  const words = new Uint16Array(Math.ceil(preds.length / 15));
  for (const [k, a] of set.atoms.entries()) {
    for (const i of a.matches) for (const j of inExcept[i]!) excluded[j] = k;
    const bits = new Uint8Array(preds.length);
    words.fill(0);
    for (const i of a.matches) {
      for (const j of inPaths[i]!) {
        if (excluded[j] === k || bits[j]) continue;
        bits[j] = 1;
        words[(j / 15) | 0]! |= 1 << (14 - (j % 15));
      }
    }
    // The signature, 15 bits a character (most significant first), so that comparing keys
    // compares signatures lexicographically.
    let key = '';
    for (let w = 0; w < words.length; w += 4096) key += String.fromCharCode.apply(null, words.subarray(w, w + 4096) as unknown as number[]);
    if (!classOf.has(key)) {
      classOf.add(key);
      classes.push({ witness: a.witness, bits, key });
    }
  }
  // Sorted by their signature, the classes a predicate holds on form a few runs of consecutive
  // indices (few terms per predicate below). Signatures are distinct, so the order is total.
  const order = classes.map((c) => ({ c, key: c.key }));
  order.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  return {
    ir,
    rules,
    region: [...region],
    sets: opts.sets,
    classes: order.map((o) => o.c),
    ruleIndex: new Map(rules.map((r, i) => [r, i])),
    regionIndex: new Map(region.map((p, i) => [p, i])),
    atomSet: set,
    patternIndex: index,
  };
}

/** fs models are named fs0_, fs1_, … per z3 context, so a fresh context sees the same names. */
const modelCounts = new WeakMap<Z, number>();

/**
 * The fs model over atoms of `region` (the paths questions are about) and the rules of `ir` (and
 * `opts.other`). Below a match of an `absorbing` pattern (`X/**`) nothing is
 * distinguished: for questions that can have no witness there.
 *
 * Encoding. The class of the path is in order encoding: Booleans ge_k ⇔ class ≥ k (k = 1..n-1)
 * with ge_{k+1} → ge_k, so a run of classes [a, b] is ge_a ∧ ¬ge_{b+1}, one gate (measured
 * against a bit-vector class index with range comparisons: the solver's push, where it
 * bit-blasts, took 2–3× longer). Each predicate (rule or region membership) is one named Boolean
 * defined as the disjunction of its runs. The definitions are handed to z3 as one SMT-LIB2 text:
 * thousands of terms built through the JS API cost more than parsing them.
 */
export function fsModel(Z: Z, ir: PolicyIR, region: readonly string[] | FsSpace, opts: FsModelOptions = {}): FsModel {
  const space = Array.isArray(region) ? fsSpace(ir, region as readonly string[], opts) : (region as FsSpace);
  const { classes, rules, ruleIndex, regionIndex } = space;
  const n = classes.length;
  const count = modelCounts.get(Z) ?? 0;
  modelCounts.set(Z, count + 1);
  const id = `fs${count}_`;
  const ge = (k: number): string => `${id}ge${k}`;
  const pred = (j: number): string => `${id}p${j}`;
  const out: string[] = [];
  for (let k = 1; k < n; k++) out.push(`(declare-fun ${ge(k)} () Bool)`);
  for (let k = 2; k < n; k++) out.push(`(assert (=> ${ge(k)} ${ge(k - 1)}))`);
  if (n === 0) out.push('(assert false)'); // no path at all
  const columns = classes.length > 0 ? classes[0]!.bits.length : rules.length + (space.sets ? space.sets.length : space.region.length);
  for (let j = 0; j < columns; j++) {
    const runs: string[] = [];
    for (let k = 0; k < n; k++) {
      if (!classes[k]!.bits[j]) continue;
      let end = k;
      while (end + 1 < n && classes[end + 1]!.bits[j]) end++;
      const lo = k === 0 ? '' : ge(k);
      const hi = end + 1 < n ? `(not ${ge(end + 1)})` : '';
      runs.push(lo && hi ? `(and ${lo} ${hi})` : lo || hi || 'true');
      k = end;
    }
    const body = runs.length === 0 ? 'false' : runs.length === 1 ? runs[0]! : `(or ${runs.join(' ')})`;
    out.push(`(declare-fun ${pred(j)} () Bool)`, `(assert (= ${pred(j)} ${body}))`);
  }
  const right = Z.BitVec.const(`${id}right`, 4);
  // The QF_BV solver bit-blasts into the incremental SAT solver: measured 10× faster here than
  // the default incremental SMT core, which expands every bit-vector disequality lazily.
  const solver = new Z.Solver('QF_BV');
  solver.fromString(out.join('\n'));
  const predMemo = new Map<number, Bool<'mxcc'>>();
  const predVar = (j: number): Bool<'mxcc'> => {
    let e = predMemo.get(j);
    if (!e) predMemo.set(j, (e = Z.Bool.const(pred(j))));
    return e;
  };
  const inPattern = (p: string): Bool<'mxcc'> => {
    const i = regionIndex.get(p);
    if (i === undefined || space.sets) throw new Error(`internal: ${p} is not a region pattern of this fs model`);
    return predVar(rules.length + i);
  };
  const inSet = (i: number): Bool<'mxcc'> => {
    if (!space.sets || i < 0 || i >= space.sets.length) throw new Error(`internal: no path set ${i} in this fs model`);
    return predVar(rules.length + i);
  };
  const inRule = (r: FsRule): Bool<'mxcc'> => {
    const i = ruleIndex.get(r);
    if (i === undefined) throw new Error(`internal: rule ${r.id} is not part of this fs model`);
    return predVar(i);
  };
  const rightIn = (rights: readonly string[]): Bool<'mxcc'> => Z.Or(...rights.map((r) => right.eq(bvVal(Z, FS_RIGHTS.indexOf(r as (typeof FS_RIGHTS)[number]), 4))));
  const ruleMatches = (r: FsRule): Bool<'mxcc'> => Z.And(rightIn(r.access), inRule(r));
  const allowedBy = (rs: readonly FsRule[]): Bool<'mxcc'> =>
    Z.And(Z.Or(boolVal(Z, false), ...rs.filter((r) => r.effect === 'allow').map(ruleMatches)), Z.Not(Z.Or(boolVal(Z, false), ...rs.filter((r) => r.effect === 'deny').map(ruleMatches))));
  const allowed = allowedBy(ir.fs.rules);
  const allowedFor = (fixed: (typeof FS_RIGHTS)[number]): Bool<'mxcc'> => {
    const withRight = (effect: 'allow' | 'deny') => ir.fs.rules.filter((r) => r.effect === effect && r.access.includes(fixed)).map(inRule);
    return Z.And(Z.Or(boolVal(Z, false), ...withRight('allow')), Z.Not(Z.Or(boolVal(Z, false), ...withRight('deny'))));
  };
  const allowedVar = Z.Bool.const(`${id}allowed`);
  solver.add(allowedVar.eq(allowed));
  solver.add(right.ult(FS_RIGHTS.length));
  const classOfModel = (model: Model<'mxcc'>): number => {
    // The largest k with ge_k true (the ladder makes ge monotone in every model).
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (Z.isTrue(model.eval(Z.Bool.const(ge(mid)), true))) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const set = space.atomSet;
  const index = space.patternIndex;
  return {
    pathOf: (model) => classes[classOfModel(model)]!.witness,
    right,
    inPattern,
    inSet,
    inRule,
    allowed,
    allowedFor,
    allowedBy,
    solver,
    allowedVar,
    witness: (i) => classes[i]!.witness,
    atomWitnesses: (paths, except) => {
      const inside = paths.map((p) => index.get(p)!);
      const outside = except.map((p) => index.get(p)!);
      return set.atoms.filter((a) => inside.some((i) => a.matches.includes(i)) && !outside.some((i) => a.matches.includes(i))).map((a) => a.witness);
    },
    roots: set.paramRoots,
  };
}

/** The requests that violate an fs assertion. */
function fsViolation(Z: Z, a: IrAssertion, m: FsModel): Bool<'mxcc'> {
  if (a.request.kind !== 'fs') throw new Error('internal');
  return Z.And(
    Z.Or(...a.request.paths.map(m.inPattern)),
    Z.Or(...a.request.access.map((r) => m.right.eq(bvVal(Z, FS_RIGHTS.indexOf(r), 4)))),
    a.quantifier === 'never' ? m.allowedVar : Z.Not(m.allowedVar),
  );
}

/**
 * Is there one path on which every right in `access` is allowed? Returns a re-checked witness:
 * decide() must allow each right on it.
 */
export async function findJointFsAccess(ir: PolicyIR, access: readonly (typeof FS_RIGHTS)[number][], whole?: FsModel): Promise<{ path: string; display: string; deciding: string[] } | undefined> {
  const Z = await z3();
  const m = whole ?? fsModel(Z, ir, ['/**']);
  const s = m.solver;
  s.push();
  try {
    s.add(m.inPattern('/**'));
    for (const r of access) s.add(m.allowedFor(r));
    const verdict = await check(s);
    if (verdict === 'unsat') return undefined;
    if (verdict !== 'sat') throw new VerifierError(`the solver gave up (${verdict})`);
    const path = m.pathOf(s.model());
    const deciding: string[] = [];
    for (const r of access) {
      const d = decide(ir, { kind: 'fs', access: r, path }, { ...m.roots });
      if (!d.allowed) throw new VerifierError(`internal error: ${r} ${path} is not allowed by the reference evaluator; this is a bug in mxcc's verifier`);
      deciding.push(...d.deciding.filter((x) => !deciding.includes(x)));
    }
    return { path, display: `${access.join(' and ')} ${displayPath(path, m.roots)}`, deciding };
  } finally {
    s.pop();
  }
}

/**
 * The fs allow rules that allow nothing: every request they match is denied by some deny.
 * Aliveness needs only a witness: the witness paths of the rule's atoms are tried with the
 * reference evaluator first (a rule with an allowed witness is alive, concretely). The rules
 * left are proved dead by the solver: "matches this rule and is allowed" must be unsat, asked
 * for all of them together; a sat model makes a rule alive after all.
 */
export async function findDeadFsAllows(ir: PolicyIR, whole?: FsModel): Promise<string[]> {
  const allows = ir.fs.rules.filter((r) => r.effect === 'allow');
  if (allows.length === 0) return [];
  const Z = await z3();
  const m = whole ?? fsModel(Z, ir, [...new Set(allows.flatMap((r) => r.paths))]);
  const suspects = allows.filter((r) => !m.atomWitnesses(r.paths, r.except).some((path) => r.access.some((access) => decide(ir, { kind: 'fs', access, path }, { ...m.roots }).allowed)));
  const alive = new Set<string>();
  await violations(
    Z,
    m.solver,
    suspects.map((r) => Z.And(m.inRule(r), Z.Or(...r.access.map((x) => m.right.eq(bvVal(Z, FS_RIGHTS.indexOf(x), 4)))), m.allowedVar)),
    (_model, hits) => hits.forEach((h) => alive.add(suspects[h]!.id)),
  );
  return suspects.filter((r) => !alive.has(r.id)).map((r) => r.id);
}

const syscallSolvers = new WeakMap<Z, WeakMap<PolicyIR, InstanceType<Z['Solver']>>>();

/**
 * One incremental solver per policy for its syscall questions, each asked between push and pop:
 * a fresh z3 solver costs several milliseconds to set up before its first check (measured
 * 7–50 ms for a trivial query, against 2–3 ms for a push/check/pop on a live one).
 */
export function syscallSolver(Z: Z, ir: PolicyIR): InstanceType<Z['Solver']> {
  let ofContext = syscallSolvers.get(Z);
  if (!ofContext) syscallSolvers.set(Z, (ofContext = new WeakMap()));
  let s = ofContext.get(ir);
  if (!s) ofContext.set(ir, (s = new Z.Solver('QF_BV')));
  return s;
}

/** Is the syscall allowed, on some architecture, with arguments meeting `when`? Re-checked witness. */
type SyscallWitness = { request: Request; display: string; deciding: string[] };

/** Verdicts of `findSyscallWith` questions asked ahead by `askSyscallsWith`, per policy (syscall section). */
const syscallVerdicts = new WeakMap<object, Map<string, boolean>>();
const queryKey = (syscall: string, when: readonly IrArgCondition[]): string => JSON.stringify([syscall, when]);

/** A model's call, re-checked: decide() must allow it. */
function allowedCall(ir: PolicyIR, arch: Arch, syscall: string, nr: number, values: bigint[]): SyscallWitness {
  const request: Request = { kind: 'syscall', arch, syscall, nr, args: values };
  const d = decide(ir, request);
  if (!d.allowed) throw new VerifierError(`internal error: the solver's ${syscall} call is not allowed by the reference evaluator; this is a bug in mxcc's verifier`);
  return { request, display: `syscall ${arch} ${syscall}(${values.map((v) => '0x' + v.toString(16)).join(', ')})`, deciding: d.deciding };
}

/**
 * Asks many `findSyscallWith` questions together (see `violations`: one check settles every
 * refused one, and each model answers every question it satisfies, its call re-checked with
 * decide()), keeping the verdicts: `syscallAllowedWith` answers from them, and `findSyscallWith`
 * returns at once for a refused call. Witnesses that are shown still come from `findSyscallWith`
 * asking alone, so they do not depend on which other questions were asked.
 */
export async function askSyscallsWith(ir: PolicyIR, queries: readonly { syscall: string; when: readonly IrArgCondition[] }[]): Promise<void> {
  let verdicts = syscallVerdicts.get(ir.syscalls);
  if (!verdicts) syscallVerdicts.set(ir.syscalls, (verdicts = new Map()));
  const keys = new Set<string>();
  const todo = queries.filter((q) => {
    const k = queryKey(q.syscall, q.when);
    if (verdicts!.has(k) || keys.has(k)) return false;
    keys.add(k);
    return true;
  });
  if (todo.length === 0) return;
  const Z = await z3();
  const args = [...Array(6).keys()].map((i) => Z.BitVec.const(`arg${i}`, 64));
  const asked: { q: number; arch: Arch; nr: number }[] = [];
  const questions: Bool<'mxcc'>[] = [];
  todo.forEach((q, k) => {
    for (const arch of IR_ARCHES) {
      const nr = syscallNumber(q.syscall, arch);
      if (nr === undefined) continue;
      asked.push({ q: k, arch, nr });
      questions.push(Z.And(syscallAllowedExpr(Z, ir, arch, q.syscall, args), ...q.when.map((c) => conditionExpr(Z, args, c))));
    }
  });
  const allowed = todo.map(() => false);
  await violations(Z, syscallSolver(Z, ir), questions, (model, hits) => {
    const values = args.map((x) => bvValue(model, x));
    for (const h of hits) {
      const { q, arch, nr } = asked[h]!;
      allowedCall(ir, arch, todo[q]!.syscall, nr, values);
      allowed[q] = true;
    }
  });
  todo.forEach((q, k) => verdicts!.set(queryKey(q.syscall, q.when), allowed[k]!));
}

/** Is the syscall allowed, on some architecture, with arguments meeting `when`? */
export async function syscallAllowedWith(ir: PolicyIR, syscall: string, when: readonly IrArgCondition[]): Promise<boolean> {
  const known = syscallVerdicts.get(ir.syscalls)?.get(queryKey(syscall, when));
  return known ?? (await findSyscallWith(ir, syscall, when)) !== undefined;
}

export async function findSyscallWith(ir: PolicyIR, syscall: string, when: readonly IrArgCondition[]): Promise<{ request: Request; display: string; deciding: string[] } | undefined> {
  if (syscallVerdicts.get(ir.syscalls)?.get(queryKey(syscall, when)) === false) return undefined; // refused
  const Z = await z3();
  for (const arch of IR_ARCHES) {
    const nr = syscallNumber(syscall, arch);
    if (nr === undefined) continue;
    const args = [...Array(6).keys()].map((i) => Z.BitVec.const(`arg${i}`, 64));
    const s = syscallSolver(Z, ir);
    push(s);
    let values: bigint[];
    try {
      s.add(syscallAllowedExpr(Z, ir, arch, syscall, args));
      for (const c of when) s.add(conditionExpr(Z, args, c));
      const verdict = await check(s);
      if (verdict === 'unsat') continue;
      if (verdict !== 'sat') throw new VerifierError(`the solver gave up (${verdict})`);
      const model = s.model();
      values = args.map((x) => bvValue(model, x));
    } finally {
      s.pop();
    }
    return allowedCall(ir, arch, syscall, nr, values);
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Network

export interface NetModel {
  /** Small enumerations as bit-vectors, so every net question is pure QF_BV. */
  op: BitVec<16, 'mxcc'>;
  proto: BitVec<16, 'mxcc'>;
  kind: BitVec<16, 'mxcc'>; // 0 name, 1 ipv4, 2 ipv6
  name: BitVec<16, 'mxcc'>;
  ip4: BitVec<32, 'mxcc'>;
  ip6: BitVec<128, 'mxcc'>;
  port: BitVec<16, 'mxcc'>;
  names: string[];
  targetsMatch: (targets: readonly IrNetTarget[], withPorts: boolean) => Bool<'mxcc'>;
  allowed: Bool<'mxcc'>;
  allowedBy: (rules: PolicyIR['net']['rules']) => Bool<'mxcc'>;
  /** The rule matches the request (its effect aside); built once per rule. */
  ruleMatches: (rule: PolicyIR['net']['rules'][number]) => Bool<'mxcc'>;
}

const OPS = ['connect', 'bind', 'resolve'] as const;
const PROTOS = ['tcp', 'udp'] as const;
const MAPPED_PREFIX = 0xffffn << 32n;

/** Candidate host names: each exact name, one name under each wildcard suffix, one unlisted name. */
function nameWitnesses(hosts: IrHost[]): string[] {
  const exact = new Set(hosts.flatMap((h) => (h.kind === 'name' ? [h.name] : [])));
  const suffixes = new Set(hosts.flatMap((h) => (h.kind === 'wildcard' ? [h.suffix] : [])));
  let label = 'zz';
  const clash = (l: string): boolean => [...exact].some((n) => n.startsWith(l + '.'));
  while (clash(label)) label += 'z';
  return [...exact, ...[...suffixes].map((s) => `${label}.${s}`), unlistedName(label, exact, suffixes)].filter((v, i, a) => a.indexOf(v) === i);
}

/**
 * A name no exact name and no wildcard covers: `<label>.mxcc-unlisted.test` when it is free, else a
 * single label, which no wildcard matches (`*.s` needs a label before s) and only an exact name can.
 */
function unlistedName(label: string, exact: ReadonlySet<string>, suffixes: ReadonlySet<string>): string {
  const dotted = `${label}.mxcc-unlisted.test`;
  if (!exact.has(dotted) && ![...suffixes].some((s) => dotted.endsWith('.' + s))) return dotted;
  let single = 'mxcc-unlisted';
  while (exact.has(single)) single += '-z';
  return single;
}

function nameMatches(h: IrHost, name: string): boolean {
  if (h.kind === 'any') return true;
  if (h.kind === 'name') return h.name === name;
  if (h.kind === 'wildcard') return name.endsWith('.' + h.suffix) && name.length > h.suffix.length + 1;
  return false;
}

export function netModel(Z: Z, ir: PolicyIR, other?: PolicyIR): NetModel {
  const hosts: IrHost[] = [];
  for (const r of [...ir.net.rules, ...(other?.net.rules ?? [])]) [...r.targets, ...r.except].forEach((t) => hosts.push(t.host));
  for (const a of ir.assertions) if (a.request.kind === 'net') a.request.targets.forEach((t) => hosts.push(t.host));
  const names = nameWitnesses(hosts);
  const op = Z.BitVec.const('op', 16);
  const proto = Z.BitVec.const('proto', 16);
  const kind = Z.BitVec.const('hostKind', 16);
  const name = Z.BitVec.const('name', 16);
  const ip4 = Z.BitVec.const('ip4', 32);
  const ip6 = Z.BitVec.const('ip6', 128);
  const port = Z.BitVec.const('port', 16);

  const v16 = (n: number): BitVec<16, 'mxcc'> => bvVal(Z, n, 16);
  const hostTerms = new Map<string, Bool<'mxcc'>>();
  const hostMatch = (h: IrHost): Bool<'mxcc'> => {
    const key = JSON.stringify(h);
    let e = hostTerms.get(key);
    if (!e) hostTerms.set(key, (e = hostTerm(h)));
    return e;
  };
  const hostTerm = (h: IrHost): Bool<'mxcc'> => {
    if (h.kind === 'any') return boolVal(Z, true);
    if (h.kind === 'name' || h.kind === 'wildcard') {
      const idx = names.flatMap((n, i) => (nameMatches(h, n) ? [i] : []));
      return allOf(Z, [kind.eq(v16(0)), anyOf(Z, idx.map((i) => name.eq(v16(i))))]);
    }
    // CIDR: prefix comparison; an IPv4-mapped IPv6 address is the IPv4 address (as decide() does).
    if (h.family === 4) {
      const net = parseIpv4(h.address)!;
      const v4in = (x: BitVec<32, 'mxcc'>): Bool<'mxcc'> => (h.prefix === 0 ? boolVal(Z, true) : x.extract(31, 32 - h.prefix).eq(bvVal(Z, net >> BigInt(32 - h.prefix), h.prefix)));
      const mapped = Z.And(kind.eq(v16(2)), ip6.extract(127, 32).eq(bvVal(Z, MAPPED_PREFIX >> 32n, 96)), v4in(ip6.extract(31, 0) as BitVec<32, 'mxcc'>));
      return Z.Or(Z.And(kind.eq(v16(1)), v4in(ip4)), mapped);
    }
    const net = parseIpv6(h.address)!;
    const v6in = (x: BitVec<128, 'mxcc'>): Bool<'mxcc'> => (h.prefix === 0 ? boolVal(Z, true) : x.extract(127, 128 - h.prefix).eq(bvVal(Z, net >> BigInt(128 - h.prefix), h.prefix)));
    const asMapped = Z.Concat(bvVal(Z, MAPPED_PREFIX >> 32n, 96), ip4) as BitVec<128, 'mxcc'>;
    return Z.Or(Z.And(kind.eq(v16(2)), v6in(ip6)), Z.And(kind.eq(v16(1)), v6in(asMapped)));
  };
  const portIn = (t: IrNetTarget): Bool<'mxcc'> => anyOf(Z, t.ports.map((r) => Z.And(port.uge(r.from), port.ule(r.to))));
  const targetsMatch = (targets: readonly IrNetTarget[], withPorts: boolean): Bool<'mxcc'> =>
    anyOf(Z, targets.map((t) => (withPorts ? allOf(Z, [hostMatch(t.host), portIn(t)]) : hostMatch(t.host))));
  const ruleTerms = new WeakMap<PolicyIR['net']['rules'][number], Bool<'mxcc'>>();
  const ruleMatches = (r: PolicyIR['net']['rules'][number]): Bool<'mxcc'> => {
    let e = ruleTerms.get(r);
    if (e) return e;
    const isResolve = r.operation === 'resolve';
    e = allOf(Z, [
      op.eq(v16(OPS.indexOf(r.operation))),
      isResolve ? boolVal(Z, true) : anyOf(Z, r.protocols.map((p) => proto.eq(v16(PROTOS.indexOf(p))))),
      targetsMatch(r.targets, !isResolve),
      Z.Not(targetsMatch(r.except, !isResolve)),
    ]);
    ruleTerms.set(r, e);
    return e;
  };
  const allowedBy = (rules: PolicyIR['net']['rules']): Bool<'mxcc'> =>
    allOf(Z, [anyOf(Z, rules.filter((r) => r.effect === 'allow').map(ruleMatches)), Z.Not(anyOf(Z, rules.filter((r) => r.effect === 'deny').map(ruleMatches)))]);
  return { op, proto, kind, name, ip4, ip6, port, names, targetsMatch, allowed: allowedBy(ir.net.rules), allowedBy, ruleMatches };
}

/** The requests that violate a net assertion (the domain constraints are on the solver). */
function netViolation(Z: Z, a: IrAssertion, m: NetModel): Bool<'mxcc'> {
  if (a.request.kind !== 'net') throw new Error('internal');
  const isResolve = a.request.operation === 'resolve';
  return Z.And(
    m.op.eq(bvVal(Z, OPS.indexOf(a.request.operation), 16)),
    isResolve ? m.kind.eq(bvVal(Z, 0, 16)) : Z.Or(...a.request.protocols.map((p) => m.proto.eq(bvVal(Z, PROTOS.indexOf(p), 16)))),
    m.targetsMatch(a.request.targets, !isResolve),
    a.quantifier === 'never' ? m.allowed : Z.Not(m.allowed),
  );
}

/** The concrete net request a model picks, and how it is shown. */
export function netRequestOf(m: NetModel, model: Model<'mxcc'>): { request: Request & { kind: 'net' }; display: string } {
  const kind = Number(bvValue(model, m.kind));
  const ip6 = bvValue(model, m.ip6);
  // An IPv4-mapped IPv6 address is its IPv4 address (decide() treats them alike, and every
  // caller re-checks): shown in the familiar form.
  const host =
    kind === 0
      ? m.names[Number(bvValue(model, m.name))]!
      : kind === 1
        ? formatIpv4(bvValue(model, m.ip4))
        : ip6 >> 32n === MAPPED_PREFIX >> 32n
          ? formatIpv4(ip6 & 0xffffffffn)
          : formatIpv6(ip6);
  const operation = OPS[Number(bvValue(model, m.op))]!;
  if (operation === 'resolve') return { request: { kind: 'net', operation, host }, display: `resolve ${host}` };
  const protocol = PROTOS[Number(bvValue(model, m.proto))]!;
  const port = Number(bvValue(model, m.port));
  const shown = host.includes(':') ? `[${host}]` : host;
  return { request: { kind: 'net', operation, protocol, host, port }, display: `${operation} ${protocol} ${shown}:${port}` };
}

function decodeNet(ir: PolicyIR, a: IrAssertion, m: NetModel, model: Model<'mxcc'>): AssertionResult {
  const { request, display } = netRequestOf(m, model);
  return confirm(ir, a, request, {}, display);
}

// ---------------------------------------------------------------------------
// Syscalls

function conditionExpr(Z: Z, args: BitVec<64, 'mxcc'>[], c: IrArgCondition): Bool<'mxcc'> {
  const width = c.bits;
  const a = (width === 32 ? args[c.arg]!.extract(31, 0) : args[c.arg]!) as BitVec<number, 'mxcc'>;
  const v = bvVal(Z, BigInt(c.value), width);
  const masked = c.mask !== undefined ? a.and(bvVal(Z, BigInt(c.mask), width)) : a;
  switch (c.op) {
    case 'eq': return a.eq(v);
    case 'ne': return a.neq(v);
    case 'lt': return a.ult(v);
    case 'le': return a.ule(v);
    case 'gt': return a.ugt(v);
    case 'ge': return a.uge(v);
    case 'masked_eq': return masked.eq(v);
    case 'masked_ne': return masked.neq(v);
  }
}

export function ruleMatchesExpr(Z: Z, args: BitVec<64, 'mxcc'>[], r: IrSyscallRule): Bool<'mxcc'> {
  if (r.when === null) return boolVal(Z, true);
  return anyOf(Z, r.when.map((conj) => allOf(Z, conj.map((c) => conditionExpr(Z, args, c)))));
}

const proceeds = (kind: string): boolean => kind === 'allow' || kind === 'log';

/**
 * allowed ⇔ no matching deny blocks the call ∧ (some deny matches ∨ some allow matches ∨ the
 * default lets calls proceed). The most severe matching deny decides, and it lets the call
 * proceed exactly when every matching deny does (log and allow are the least severe actions).
 * Unconditional rules are folded here: a blocking one makes the answer false, any other one
 * makes the second conjunct true.
 */
export function syscallAllowedExpr(Z: Z, ir: PolicyIR, arch: Arch, name: string, args: BitVec<64, 'mxcc'>[]): Bool<'mxcc'> {
  const rules = ir.syscalls.rules[arch].filter((r) => r.syscall === name);
  const def = ir.syscalls.defaultAction;
  const denies = rules.filter((r) => r.effect === 'deny');
  const blockers = denies.filter((r) => !proceeds((r.action ?? def).kind));
  if (blockers.some((r) => r.when === null)) return boolVal(Z, false);
  const blocking = blockers.map((r) => ruleMatchesExpr(Z, args, r));
  const lets = [...denies, ...rules.filter((r) => r.effect === 'allow')];
  const second = proceeds(def.kind) || lets.some((r) => r.when === null) ? boolVal(Z, true) : anyOf(Z, lets.map((r) => ruleMatchesExpr(Z, args, r)));
  return blocking.length === 0 ? second : allOf(Z, [Z.Not(anyOf(Z, blocking)), second]);
}
