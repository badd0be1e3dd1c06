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
import { computeAtoms, displayPath } from './atoms.js';
import { check, z3 } from './z3.js';

type Z = Context<'mxcc'>;

export interface AssertionResult {
  assertion: IrAssertion;
  holds: boolean;
  /** A concrete request that violates the assertion, re-checked with decide(). */
  counterexample?: { request: Request; display: string; deciding: string[] };
}

export class VerifierError extends Error {}

export async function proveAssertions(ir: PolicyIR): Promise<AssertionResult[]> {
  const Z = await z3();
  const results: AssertionResult[] = [];
  const net = ir.assertions.some((a) => a.request.kind === 'net') ? netModel(Z, ir) : undefined;
  // One path partition serves every fs assertion: atoms of the regions they are about only.
  const region = [...new Set(ir.assertions.flatMap((a) => (a.request.kind === 'fs' ? a.request.paths : [])))];
  const fs = region.length > 0 ? fsModel(Z, ir, region) : undefined;
  for (const a of ir.assertions) {
    if (a.request.kind === 'fs') results.push(await proveFs(Z, ir, a, fs!));
    else if (a.request.kind === 'net') results.push(await proveNet(Z, ir, a, net!));
    else results.push(await proveSyscall(Z, ir, a));
  }
  return results;
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

// ---------------------------------------------------------------------------
// Filesystem

export interface FsModel {
  /** Atom index and right index as bit-vectors: the solver bit-blasts them (much faster than integers here). */
  atom: BitVec<number, 'mxcc'>;
  right: BitVec<number, 'mxcc'>;
  inPattern: (p: string) => Bool<'mxcc'>;
  allowed: Bool<'mxcc'>;
  /** Allowed for one fixed right (for questions about several rights on the same path). */
  allowedFor: (right: (typeof FS_RIGHTS)[number]) => Bool<'mxcc'>;
  /** Allowed under another rule set over the same atoms (a second policy, for diffs). */
  allowedBy: (rules: PolicyIR['fs']['rules']) => Bool<'mxcc'>;
  /** One incremental solver: the model is asserted once, each question runs between push and pop. */
  solver: InstanceType<Z['Solver']>;
  allowedVar: Bool<'mxcc'>;
  witness: (i: number) => string;
  roots: Record<string, string>;
}

export function fsModel(Z: Z, ir: PolicyIR, region: readonly string[], other?: PolicyIR): FsModel {
  const patterns = new Set<string>(region);
  for (const r of [...ir.fs.rules, ...(other?.fs.rules ?? [])]) [...r.paths, ...r.except].forEach((p) => patterns.add(p));
  const list = [...patterns];
  const params = [...ir.params, ...(other?.params ?? []).filter((p) => !ir.params.some((q) => q.name === p.name))];
  const set = computeAtoms(list, params, region.map((p) => list.indexOf(p)));
  const index = new Map(set.patterns.map((p, i) => [p, i]));
  const atomBits = Math.max(1, Math.ceil(Math.log2(set.atoms.length + 1)));
  const atom = Z.BitVec.const('atom', atomBits);
  const right = Z.BitVec.const('right', 4);
  const memo = new Map<string, Bool<'mxcc'>>();
  // One `atom = k` term per atom, shared by every pattern that contains it.
  const atomTerms = set.atoms.map((_, k) => atom.eq(Z.BitVec.val(k, atomBits)));
  const atomIs = (k: number): Bool<'mxcc'> => atomTerms[k]!;
  const inPattern = (p: string): Bool<'mxcc'> => {
    const hit = memo.get(p);
    if (hit) return hit;
    const i = index.get(p)!;
    const atoms = set.atoms.flatMap((a, k) => (a.matches.includes(i) ? [k] : []));
    const e = atoms.length === 0 ? Z.Bool.val(false) : Z.Or(...atoms.map(atomIs));
    memo.set(p, e);
    return e;
  };
  const rightIn = (rights: readonly string[]): Bool<'mxcc'> => Z.Or(...rights.map((r) => right.eq(Z.BitVec.val(FS_RIGHTS.indexOf(r as (typeof FS_RIGHTS)[number]), 4))));
  const pathMatches = (r: PolicyIR['fs']['rules'][number]): Bool<'mxcc'> => Z.And(Z.Or(...r.paths.map(inPattern)), Z.Not(Z.Or(Z.Bool.val(false), ...r.except.map(inPattern))));
  const ruleMatches = (r: PolicyIR['fs']['rules'][number]): Bool<'mxcc'> => Z.And(rightIn(r.access), pathMatches(r));
  const allowedBy = (rules: PolicyIR['fs']['rules']): Bool<'mxcc'> =>
    Z.And(Z.Or(Z.Bool.val(false), ...rules.filter((r) => r.effect === 'allow').map(ruleMatches)), Z.Not(Z.Or(Z.Bool.val(false), ...rules.filter((r) => r.effect === 'deny').map(ruleMatches))));
  const allowed = allowedBy(ir.fs.rules);
  const allowedFor = (fixed: (typeof FS_RIGHTS)[number]): Bool<'mxcc'> => {
    const withRight = (effect: 'allow' | 'deny') => ir.fs.rules.filter((r) => r.effect === effect && r.access.includes(fixed)).map(pathMatches);
    return Z.And(Z.Or(Z.Bool.val(false), ...withRight('allow')), Z.Not(Z.Or(Z.Bool.val(false), ...withRight('deny'))));
  };
  const solver = new Z.Solver();
  const allowedVar = Z.Bool.const('allowed');
  solver.add(allowedVar.eq(allowed));
  solver.add(atom.ult(set.atoms.length), right.ult(FS_RIGHTS.length));
  return {
    atom,
    right,
    inPattern,
    allowed,
    allowedFor,
    allowedBy,
    solver,
    allowedVar,
    witness: (i) => set.atoms[i]!.witness,
    roots: set.paramRoots,
  };
}

async function proveFs(Z: Z, ir: PolicyIR, a: IrAssertion, m: FsModel): Promise<AssertionResult> {
  if (a.request.kind !== 'fs') throw new Error('internal');
  const s = m.solver;
  s.push();
  try {
    s.add(Z.Or(...a.request.paths.map(m.inPattern)));
    s.add(Z.Or(...a.request.access.map((r) => m.right.eq(Z.BitVec.val(FS_RIGHTS.indexOf(r), 4)))));
    s.add(a.quantifier === 'never' ? m.allowedVar : Z.Not(m.allowedVar));
    const verdict = await check(s);
    if (verdict === 'unsat') return { assertion: a, holds: true };
    if (verdict !== 'sat') throw new VerifierError(`the solver gave up on ${a.id} (${verdict})`);
    const model = s.model();
    const path = m.witness(Number(bvValue(model, m.atom)));
    const access = FS_RIGHTS[Number(bvValue(model, m.right))]!;
    // Path params take their symbolic directories, so the re-check decides the same atom.
    return confirm(ir, a, { kind: 'fs', access, path }, { ...m.roots }, `${access} ${displayPath(path, m.roots)}`);
  } finally {
    s.pop();
  }
}

/**
 * Is there one path on which every right in `access` is allowed? Returns a re-checked witness:
 * decide() must allow each right on it.
 */
export async function findJointFsAccess(ir: PolicyIR, access: readonly (typeof FS_RIGHTS)[number][]): Promise<{ path: string; display: string; deciding: string[] } | undefined> {
  const Z = await z3();
  const m = fsModel(Z, ir, ['/**']);
  const s = m.solver;
  s.push();
  try {
    s.add(m.inPattern('/**'));
    for (const r of access) s.add(m.allowedFor(r));
    const verdict = await check(s);
    if (verdict === 'unsat') return undefined;
    if (verdict !== 'sat') throw new VerifierError(`the solver gave up (${verdict})`);
    const path = m.witness(Number(bvValue(s.model(), m.atom)));
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
 * (Unsat of "matches this rule and is allowed" over the rule's own region.)
 */
export async function findDeadFsAllows(ir: PolicyIR): Promise<string[]> {
  const allows = ir.fs.rules.filter((r) => r.effect === 'allow');
  if (allows.length === 0) return [];
  const Z = await z3();
  const m = fsModel(Z, ir, [...new Set(allows.flatMap((r) => r.paths))]);
  const dead: string[] = [];
  for (const r of allows) {
    const s = m.solver;
    s.push();
    s.add(Z.Or(...r.paths.map(m.inPattern)), Z.Not(Z.Or(Z.Bool.val(false), ...r.except.map(m.inPattern))));
    s.add(Z.Or(...r.access.map((x) => m.right.eq(Z.BitVec.val(FS_RIGHTS.indexOf(x), 4)))), m.allowedVar);
    const verdict = await check(s);
    s.pop();
    if (verdict === 'unsat') dead.push(r.id);
  }
  return dead;
}

/** Is the syscall allowed, on some architecture, with arguments meeting `when`? Re-checked witness. */
export async function findSyscallWith(ir: PolicyIR, syscall: string, when: readonly IrArgCondition[]): Promise<{ request: Request; display: string; deciding: string[] } | undefined> {
  const Z = await z3();
  for (const arch of IR_ARCHES) {
    const nr = syscallNumber(syscall, arch);
    if (nr === undefined) continue;
    const args = [...Array(6).keys()].map((i) => Z.BitVec.const(`arg${i}`, 64));
    const s = new Z.Solver();
    s.add(syscallAllowedExpr(Z, ir, arch, syscall, args));
    for (const c of when) s.add(conditionExpr(Z, args, c));
    const verdict = await check(s);
    if (verdict === 'unsat') continue;
    if (verdict !== 'sat') throw new VerifierError(`the solver gave up (${verdict})`);
    const values = args.map((x) => bvValue(s.model(), x));
    const request: Request = { kind: 'syscall', arch, syscall, nr, args: values };
    const d = decide(ir, request);
    if (!d.allowed) throw new VerifierError(`internal error: the solver's ${syscall} call is not allowed by the reference evaluator; this is a bug in mxcc's verifier`);
    return { request, display: `syscall ${arch} ${syscall}(${values.map((v) => '0x' + v.toString(16)).join(', ')})`, deciding: d.deciding };
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Network

export interface NetModel {
  op: ReturnType<Z['Int']['const']>;
  proto: ReturnType<Z['Int']['const']>;
  kind: ReturnType<Z['Int']['const']>; // 0 name, 1 ipv4, 2 ipv6
  name: ReturnType<Z['Int']['const']>;
  ip4: BitVec<32, 'mxcc'>;
  ip6: BitVec<128, 'mxcc'>;
  port: BitVec<16, 'mxcc'>;
  names: string[];
  targetsMatch: (targets: readonly IrNetTarget[], withPorts: boolean) => Bool<'mxcc'>;
  allowed: Bool<'mxcc'>;
  allowedBy: (rules: PolicyIR['net']['rules']) => Bool<'mxcc'>;
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
  return [...exact, ...[...suffixes].map((s) => `${label}.${s}`), `${label}.mxcc-unlisted.test`].filter((v, i, a) => a.indexOf(v) === i);
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
  const op = Z.Int.const('op');
  const proto = Z.Int.const('proto');
  const kind = Z.Int.const('hostKind');
  const name = Z.Int.const('name');
  const ip4 = Z.BitVec.const('ip4', 32);
  const ip6 = Z.BitVec.const('ip6', 128);
  const port = Z.BitVec.const('port', 16);

  const hostMatch = (h: IrHost): Bool<'mxcc'> => {
    if (h.kind === 'any') return Z.Bool.val(true);
    if (h.kind === 'name' || h.kind === 'wildcard') {
      const idx = names.flatMap((n, i) => (nameMatches(h, n) ? [i] : []));
      return Z.And(kind.eq(0), Z.Or(Z.Bool.val(false), ...idx.map((i) => name.eq(i))));
    }
    // CIDR: prefix comparison; an IPv4-mapped IPv6 address is the IPv4 address (as decide() does).
    if (h.family === 4) {
      const net = parseIpv4(h.address)!;
      const v4in = (x: BitVec<32, 'mxcc'>): Bool<'mxcc'> => (h.prefix === 0 ? Z.Bool.val(true) : x.extract(31, 32 - h.prefix).eq(Z.BitVec.val(net >> BigInt(32 - h.prefix), h.prefix)));
      const mapped = Z.And(kind.eq(2), ip6.extract(127, 32).eq(Z.BitVec.val(MAPPED_PREFIX >> 32n, 96)), v4in(ip6.extract(31, 0) as BitVec<32, 'mxcc'>));
      return Z.Or(Z.And(kind.eq(1), v4in(ip4)), mapped);
    }
    const net = parseIpv6(h.address)!;
    const v6in = (x: BitVec<128, 'mxcc'>): Bool<'mxcc'> => (h.prefix === 0 ? Z.Bool.val(true) : x.extract(127, 128 - h.prefix).eq(Z.BitVec.val(net >> BigInt(128 - h.prefix), h.prefix)));
    const asMapped = Z.Concat(Z.BitVec.val(MAPPED_PREFIX >> 32n, 96), ip4) as BitVec<128, 'mxcc'>;
    return Z.Or(Z.And(kind.eq(2), v6in(ip6)), Z.And(kind.eq(1), v6in(asMapped)));
  };
  const portIn = (t: IrNetTarget): Bool<'mxcc'> => Z.Or(Z.Bool.val(false), ...t.ports.map((r) => Z.And(port.uge(r.from), port.ule(r.to))));
  const targetsMatch = (targets: readonly IrNetTarget[], withPorts: boolean): Bool<'mxcc'> =>
    Z.Or(Z.Bool.val(false), ...targets.map((t) => (withPorts ? Z.And(hostMatch(t.host), portIn(t)) : hostMatch(t.host))));
  const ruleMatches = (r: PolicyIR['net']['rules'][number]): Bool<'mxcc'> => {
    const isResolve = r.operation === 'resolve';
    return Z.And(
      op.eq(OPS.indexOf(r.operation)),
      isResolve ? Z.Bool.val(true) : Z.Or(Z.Bool.val(false), ...r.protocols.map((p) => proto.eq(PROTOS.indexOf(p)))),
      targetsMatch(r.targets, !isResolve),
      Z.Not(targetsMatch(r.except, !isResolve)),
    );
  };
  const allowedBy = (rules: PolicyIR['net']['rules']): Bool<'mxcc'> =>
    Z.And(Z.Or(Z.Bool.val(false), ...rules.filter((r) => r.effect === 'allow').map(ruleMatches)), Z.Not(Z.Or(Z.Bool.val(false), ...rules.filter((r) => r.effect === 'deny').map(ruleMatches))));
  return { op, proto, kind, name, ip4, ip6, port, names, targetsMatch, allowed: allowedBy(ir.net.rules), allowedBy };
}

async function proveNet(Z: Z, ir: PolicyIR, a: IrAssertion, m: NetModel): Promise<AssertionResult> {
  if (a.request.kind !== 'net') throw new Error('internal');
  const isResolve = a.request.operation === 'resolve';
  const s = new Z.Solver();
  s.add(m.op.eq(OPS.indexOf(a.request.operation)));
  s.add(m.kind.ge(0), m.kind.le(isResolve ? 0 : 2), m.name.ge(0), m.name.lt(m.names.length), m.proto.ge(0), m.proto.le(1));
  if (!isResolve) s.add(Z.Or(...a.request.protocols.map((p) => m.proto.eq(PROTOS.indexOf(p)))));
  s.add(m.targetsMatch(a.request.targets, !isResolve));
  s.add(a.quantifier === 'never' ? m.allowed : Z.Not(m.allowed));
  const verdict = await check(s);
  if (verdict === 'unsat') return { assertion: a, holds: true };
  if (verdict !== 'sat') throw new VerifierError(`the solver gave up on ${a.id} (${verdict})`);
  const model = s.model();
  const kind = Number(model.eval(m.kind, true).toString());
  const host =
    kind === 0
      ? m.names[Number(model.eval(m.name, true).toString())]!
      : kind === 1
        ? formatIpv4(bvValue(model, m.ip4))
        : formatIpv6(bvValue(model, m.ip6));
  if (isResolve) return confirm(ir, a, { kind: 'net', operation: 'resolve', host }, {}, `resolve ${host}`);
  const protocol = PROTOS[Number(model.eval(m.proto, true).toString())]!;
  const port = Number(bvValue(model, m.port));
  const operation = a.request.operation as 'connect' | 'bind';
  const shown = host.includes(':') ? `[${host}]` : host;
  return confirm(ir, a, { kind: 'net', operation, protocol, host, port }, {}, `${operation} ${protocol} ${shown}:${port}`);
}

// ---------------------------------------------------------------------------
// Syscalls

function conditionExpr(Z: Z, args: BitVec<64, 'mxcc'>[], c: IrArgCondition): Bool<'mxcc'> {
  const width = c.bits;
  const a = (width === 32 ? args[c.arg]!.extract(31, 0) : args[c.arg]!) as BitVec<number, 'mxcc'>;
  const v = Z.BitVec.val(BigInt(c.value), width);
  const masked = c.mask !== undefined ? a.and(Z.BitVec.val(BigInt(c.mask), width)) : a;
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

function ruleMatchesExpr(Z: Z, args: BitVec<64, 'mxcc'>[], r: IrSyscallRule): Bool<'mxcc'> {
  if (r.when === null) return Z.Bool.val(true);
  return Z.Or(Z.Bool.val(false), ...r.when.map((conj) => Z.And(Z.Bool.val(true), ...conj.map((c) => conditionExpr(Z, args, c)))));
}

const proceeds = (kind: string): boolean => kind === 'allow' || kind === 'log';

/**
 * allowed ⇔ no matching deny blocks the call ∧ (some deny matches ∨ some allow matches ∨ the
 * default lets calls proceed). The most severe matching deny decides, and it lets the call
 * proceed exactly when every matching deny does (log and allow are the least severe actions).
 */
export function syscallAllowedExpr(Z: Z, ir: PolicyIR, arch: Arch, name: string, args: BitVec<64, 'mxcc'>[]): Bool<'mxcc'> {
  const rules = ir.syscalls.rules[arch].filter((r) => r.syscall === name);
  const def = ir.syscalls.defaultAction;
  const denies = rules.filter((r) => r.effect === 'deny');
  const blocking = denies.filter((r) => !proceeds((r.action ?? def).kind)).map((r) => ruleMatchesExpr(Z, args, r));
  const anyDeny = denies.map((r) => ruleMatchesExpr(Z, args, r));
  const anyAllow = rules.filter((r) => r.effect === 'allow').map((r) => ruleMatchesExpr(Z, args, r));
  return Z.And(Z.Not(Z.Or(Z.Bool.val(false), ...blocking)), Z.Or(Z.Bool.val(proceeds(def.kind)), ...anyDeny, ...anyAllow));
}

async function proveSyscall(Z: Z, ir: PolicyIR, a: IrAssertion): Promise<AssertionResult> {
  if (a.request.kind !== 'syscall') throw new Error('internal');
  for (const arch of IR_ARCHES) {
    for (const name of a.request.syscalls) {
      const nr = syscallNumber(name, arch);
      if (nr === undefined) continue;
      const args = [...Array(6).keys()].map((i) => Z.BitVec.const(`arg${i}`, 64));
      const s = new Z.Solver();
      const allowed = syscallAllowedExpr(Z, ir, arch, name, args);
      s.add(a.quantifier === 'never' ? allowed : Z.Not(allowed));
      const verdict = await check(s);
      if (verdict === 'unsat') continue;
      if (verdict !== 'sat') throw new VerifierError(`the solver gave up on ${a.id} (${verdict})`);
      const model = s.model();
      const values = args.map((x) => bvValue(model, x));
      const display = `syscall ${arch} ${name}(${values.map((v) => '0x' + v.toString(16)).join(', ')})`;
      return confirm(ir, a, { kind: 'syscall', arch, syscall: name, nr, args: values }, {}, display);
    }
  }
  return { assertion: a, holds: true };
}
