/**
 * Rule hygiene: rules that change nothing (redundant) and rules another section makes unusable
 * (cross-section contradictions). Each finding names the rule, the rules that decide it, and a
 * concrete request re-checked with the reference evaluator.
 *
 * Redundancy is decided exactly: fs over path atoms × rights (a finite partition, so set
 * inclusion is exact and needs no solver), net and syscalls with z3 (unsat means covered).
 * A rule is redundant when removing it changes no decision:
 * - an allow, when every request it matches is matched by another allow or by a deny
 *   (fs allows that the denies cover entirely are left to the dead-allow lint);
 * - a deny, when every request it matches is matched by another deny whose action is the same
 *   or more severe (fs and net denies all act alike).
 * Rules are removed greedily from the last written to the first, so two copies of one rule
 * report the later one, and removing every reported rule together is still safe.
 *
 * Inherited rules: only rules the linted policy declares itself (origin.policy = the IR's name)
 * are reported; inherited rules can make a child's rule redundant (and are shown as the reason)
 * but are never reported in the child, since the base reports its own. A syscall statement
 * (`allow @system-service`, `allow read, write`) is one unit: it is reported only when every
 * syscall rule it expands to is redundant.
 */
import type { Bool, BitVec, Context, Model } from 'z3-solver';
import { actionSeverity, decide, type Decision, type Request } from '../compiler/evaluate.js';
import { FS_RIGHTS, IR_ARCHES, type Arch, type FsRight, type IrAction, type IrArgCondition, type IrFsRule, type IrNetRule, type IrSyscallRule, type PolicyIR } from '../compiler/ir.js';
import { parseGlob } from '../compiler/glob.js';
import { syscallNumber } from '../compiler/syscalls/index.js';
import { anyOf, askSyscallsWith, boolVal, bvVal, bvValue, findSyscallWith, netModel, syscallAllowedWith, netRequestOf, syscallAllowedExpr, syscallSolver, VerifierError, violations, type NetModel } from './assertions.js';
import { computeAtoms, displayPath } from './atoms.js';
import { check, push, z3 } from './z3.js';

type Z = Context<'mxcc'>;

export interface HygieneFinding {
  /** The rule the finding is about (blamed). */
  rule: string;
  message: string;
  /** The concrete request, re-checked with decide(). */
  display: string;
  /** Other rules that decide it, with what they do. */
  related: { id: string; message: string }[];
  help: string;
}

const own = (ir: PolicyIR, r: { origin: { policy: string } }): boolean => r.origin.policy === ir.name;

/** The same decision: allowed or not, with the same action. */
function sameDecision(a: Decision, b: Decision): boolean {
  return a.allowed === b.allowed && JSON.stringify(a.action) === JSON.stringify(b.action);
}

function withoutRules(ir: PolicyIR, ids: ReadonlySet<string>): PolicyIR {
  const keep = <T extends { id: string }>(rules: T[]): T[] => rules.filter((r) => !ids.has(r.id));
  return {
    ...ir,
    fs: { rules: keep(ir.fs.rules) },
    net: { rules: keep(ir.net.rules) },
    syscalls: { ...ir.syscalls, rules: { x86_64: keep(ir.syscalls.rules.x86_64), aarch64: keep(ir.syscalls.rules.aarch64) } },
  };
}

/** Removing `removed` must not change the decision on the witness, or the finding is a verifier bug. */
function confirmUnchanged(ir: PolicyIR, removed: ReadonlySet<string>, request: Request, params: Record<string, string>, display: string): Decision {
  const before = decide(ir, request, params);
  const after = decide(withoutRules(ir, removed), request, params);
  if (!sameDecision(before, after)) throw new VerifierError(`internal error: removing ${[...removed].join(', ')} changes the decision on ${display}; this is a bug in mxcc's redundancy check`);
  return before;
}

const listIds = (ids: readonly string[]): string => (ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`);

// ---------------------------------------------------------------------------
// Redundant rules

export async function findRedundantRules(ir: PolicyIR): Promise<HygieneFinding[]> {
  return [...redundantFs(ir), ...(await redundantNet(ir)), ...(await redundantSyscalls(ir))];
}

function redundantFs(ir: PolicyIR): HygieneFinding[] {
  const candidates = ir.fs.rules.filter((r) => own(ir, r) && !uncoveredExample(ir, r));
  if (candidates.length === 0) return [];
  const patterns = [...new Set(ir.fs.rules.flatMap((r) => [...r.paths, ...r.except]))];
  const focus = [...new Set(candidates.flatMap((r) => r.paths))].map((p) => patterns.indexOf(p));
  const set = computeAtoms(patterns, ir.params, focus);
  const index = new Map(set.patterns.map((p, i) => [p, i]));
  const R = FS_RIGHTS.length;
  // A request class is (atom, right), numbered atom * R + right.
  const pairs = new Map<string, Set<number>>();
  const pairsOf = (r: IrFsRule): Set<number> => {
    let out = pairs.get(r.id);
    if (out) return out;
    out = new Set();
    const paths = r.paths.map((p) => index.get(p)!);
    const except = r.except.map((p) => index.get(p)!);
    set.atoms.forEach((a, k) => {
      if (!paths.some((i) => a.matches.includes(i)) || except.some((i) => a.matches.includes(i))) return;
      for (const right of r.access) out!.add(k * R + FS_RIGHTS.indexOf(right));
    });
    pairs.set(r.id, out);
    return out;
  };
  const covered = (x: number, rules: readonly IrFsRule[]): boolean => rules.some((r) => pairsOf(r).has(x));
  const request = (x: number): { req: Request; display: string } => {
    const path = set.atoms[Math.floor(x / R)]!.witness;
    const access = FS_RIGHTS[x % R]! as FsRight;
    return { req: { kind: 'fs', access, path }, display: `${access} ${displayPath(path, set.paramRoots)}` };
  };
  const removed = new Set<string>();
  const out: HygieneFinding[] = [];
  const denies = ir.fs.rules.filter((r) => r.effect === 'deny');
  for (const rule of [...candidates].reverse()) {
    const same = ir.fs.rules.filter((r) => r.effect === rule.effect && r.id !== rule.id && !removed.has(r.id));
    // Requests this rule decides that nothing else would decide the same way.
    const live = [...pairsOf(rule)].filter((x) => rule.effect === 'deny' || !covered(x, denies)).sort((a, b) => a - b);
    if (live.length === 0) continue; // an allow the denies cover entirely: the dead-allow lint's finding
    if (!live.every((x) => covered(x, same))) continue;
    const single = same.find((r) => live.every((x) => pairsOf(r).has(x)));
    const coverers = single ? [single] : greedyCover(live, same, (r) => pairsOf(r));
    // A rule under a path param is covered for every value of the param only by rules under the
    // same param (or `/**`): the directory that stands for the param sits at one place, and a
    // rule covering it there (`/*/.git/**` over `${ws}/.git/**`) may miss other values.
    const paramOf = (p: string): string | undefined => parseGlob(p).root;
    const params = new Set(rule.paths.map(paramOf));
    if (!params.has(undefined) && coverers.some((c) => c.paths.some((p) => p !== '/**' && !params.has(paramOf(p) ?? '\0')))) continue;
    const { req, display } = request(live[0]!);
    removed.add(rule.id);
    const d = confirmUnchanged(ir, removed, req, { ...set.paramRoots }, display);
    const verb = rule.effect === 'allow' ? 'allowed' : 'denied';
    if (d.allowed !== (rule.effect === 'allow')) throw new VerifierError(`internal error: ${display} is not ${verb} by the reference evaluator; this is a bug in mxcc's redundancy check`);
    const deciders = d.deciding.filter((id) => id !== rule.id);
    out.push(finding(rule.id, `fs ${rule.effect}`, verb, coverers.map((r) => r.id), `${display} is ${verb} by ${listIds(deciders)} too`));
  }
  return out;
}

/**
 * A cheap filter before the full partition: the shortest path of each of the rule's patterns,
 * with each of its rights, that no other rule of the kind that could cover it matches (no other
 * allow and no deny for an allow; no other deny for a deny). Such a request proves the rule is
 * not redundant; most rules are excluded here, so the partition is built only for the rest.
 */
function uncoveredExample(ir: PolicyIR, rule: IrFsRule): boolean {
  const others: PolicyIR = { ...ir, fs: { rules: ir.fs.rules.filter((r) => r.id !== rule.id) } };
  for (const p of rule.paths) {
    const set = computeAtoms([p, ...rule.except], ir.params, [0]);
    const example = set.atoms.find((a) => a.matches.includes(0) && !a.matches.some((i) => i > 0));
    if (!example) continue;
    for (const access of rule.access) {
      const d = decide(others, { kind: 'fs', access, path: example.witness }, set.paramRoots);
      if (rule.effect === 'allow' ? d.reason === 'no-matching-allow' : d.reason !== 'denied-by-rule') return true;
    }
  }
  return false;
}

function greedyCover<T extends { id: string }>(need: readonly number[], rules: readonly T[], pairsOf: (r: T) => Set<number>): T[] {
  const left = new Set(need);
  const chosen: T[] = [];
  while (left.size > 0) {
    let best: T | undefined;
    let bestCount = 0;
    for (const r of rules) {
      const n = [...left].filter((x) => pairsOf(r).has(x)).length;
      if (n > bestCount) [best, bestCount] = [r, n];
    }
    if (!best) break;
    chosen.push(best);
    for (const x of pairsOf(best)) left.delete(x);
  }
  return chosen;
}

function finding(rule: string, what: string, verb: string, coverers: string[], display: string): HygieneFinding {
  return {
    rule,
    message: `this ${what} rule is redundant: every request it matches is already ${verb} by ${listIds(coverers)}`,
    display,
    related: coverers.map((id) => ({ id, message: `${id} already ${({ allowed: 'allows', denied: 'denies' } as Record<string, string>)[verb] ?? 'decides'} these requests` })),
    help: 'remove the rule; the policy decides every request the same way without it',
  };
}

// --- net


function netDomain(Z: Z, m: NetModel): Bool<'mxcc'>[] {
  const v = (n: number) => bvVal(Z, n, 16);
  return [m.op.ule(2), m.proto.ule(1), m.kind.ule(2), m.name.ult(m.names.length), Z.Implies(m.op.eq(v(2)), m.kind.eq(v(0)))];
}

async function redundantNet(ir: PolicyIR): Promise<HygieneFinding[]> {
  const candidates = ir.net.rules.filter((r) => own(ir, r));
  if (candidates.length === 0) return [];
  const Z = await z3();
  const m = netModel(Z, ir);
  const matchesAny = (rules: readonly IrNetRule[]): Bool<'mxcc'> => anyOf(Z, rules.map(m.ruleMatches));
  const denied = Z.Not(matchesAny(ir.net.rules.filter((r) => r.effect === 'deny')));
  const s = new Z.Solver('QF_BV');
  s.add(...netDomain(Z, m));
  const sat = async (...e: Bool<'mxcc'>[]): Promise<Model<'mxcc'> | undefined> => {
    s.push();
    try {
      s.add(...e);
      const v = await check(s);
      if (v === 'unknown') throw new VerifierError('the solver gave up on a redundancy query');
      return v === 'sat' ? s.model() : undefined;
    } finally {
      s.pop();
    }
  };
  const removed = new Set<string>();
  const out: HygieneFinding[] = [];
  const sameAs = (rule: IrNetRule): IrNetRule[] => ir.net.rules.filter((r) => r.effect === rule.effect && r.id !== rule.id && !removed.has(r.id) && r.operation === rule.operation);
  const liveOf = (rule: IrNetRule): Bool<'mxcc'> => (rule.effect === 'allow' ? Z.And(m.ruleMatches(rule), denied) : m.ruleMatches(rule));
  // The two questions every rule starts with (does it decide anything; does it decide something
  // no rule like it does), asked for all rules together: their verdicts hold until a rule is
  // found redundant and removed, after which the loop asks again.
  const ahead = new Map<string, [boolean, boolean]>();
  {
    const verdicts = candidates.map(() => [false, false] as [boolean, boolean]);
    await violations(
      Z,
      s,
      candidates.flatMap((rule) => [liveOf(rule), Z.And(liveOf(rule), Z.Not(matchesAny(sameAs(rule))))]),
      (_model, hits) => hits.forEach((h) => (verdicts[h >> 1]![h & 1] = true)),
    );
    candidates.forEach((rule, i) => ahead.set(rule.id, verdicts[i]!));
  }
  for (const rule of [...candidates].reverse()) {
    const same = sameAs(rule);
    const live = liveOf(rule);
    const known = removed.size === 0 ? ahead.get(rule.id) : undefined;
    const example = known ? known[0] : await sat(live);
    let coverers: IrNetRule[];
    const verb = rule.effect === 'allow' ? 'allowed' : 'denied';
    if (!example) {
      // An allow every deny-free request of which is denied: it allows nothing.
      if (rule.effect === 'deny') continue;
      const sample = await sat(matchesAny([rule]));
      if (!sample) continue;
      const { request: req, display } = netRequestOf(m, sample);
      removed.add(rule.id);
      confirmUnchanged(ir, removed, req, {}, display);
      const ids = decide(ir, req).deciding;
      out.push({ ...finding(rule.id, 'net allow', 'denied', ids, `${display} is denied by ${listIds(ids)}`), message: `this net allow rule allows nothing: every request it matches is denied by ${listIds(ids)}`, help: 'remove the rule, or narrow the deny with except' });
      continue;
    }
    if (known ? known[1] : await sat(live, Z.Not(matchesAny(same)))) continue;
    const single: IrNetRule[] = [];
    for (const r of same) {
      if (!(await sat(live, Z.Not(matchesAny([r]))))) {
        single.push(r);
        break;
      }
    }
    coverers = single.length ? single : same;
    // Prefer a plain name or IPv4 witness to an IPv4-mapped IPv6 one (they decide alike).
    const model = (await sat(live, matchesAny(coverers), m.kind.neq(bvVal(Z, 2, 16)))) ?? (await sat(live, matchesAny(coverers)))!;
    const { request: req, display } = netRequestOf(m, model);
    removed.add(rule.id);
    const d = confirmUnchanged(ir, removed, req, {}, display);
    if (d.allowed !== (rule.effect === 'allow')) throw new VerifierError(`internal error: ${display} is not ${verb} by the reference evaluator; this is a bug in mxcc's redundancy check`);
    if (!single.length) coverers = same.filter((r) => decide(ir, req).deciding.includes(r.id)).concat(same.filter((r) => !decide(ir, req).deciding.includes(r.id)));
    out.push(finding(rule.id, `net ${rule.effect}`, verb, coverers.map((r) => r.id), `${display} is ${verb} by ${listIds(d.deciding.filter((id) => id !== rule.id))} too`));
  }
  return out;
}

// --- syscalls

/** An expression that holds when one of `rules` matches the call (a policy where they are the only allows). */
function matchExpr(Z: Z, ir: PolicyIR, arch: Arch, name: string, rules: readonly IrSyscallRule[], args: BitVec<64, 'mxcc'>[]): Bool<'mxcc'> {
  if (rules.length === 0) return boolVal(Z, false);
  const only: PolicyIR = { ...ir, syscalls: { defaultAction: { kind: 'errno', errno: 1 }, rules: { x86_64: [], aarch64: [], [arch]: rules.map((r) => ({ ...r, effect: 'allow' as const })) } } };
  return syscallAllowedExpr(Z, only, arch, name, args);
}

function sameOrStronger(a: IrAction, than: IrAction): boolean {
  return actionSeverity(a) > actionSeverity(than) || JSON.stringify(a) === JSON.stringify(than);
}

async function redundantSyscalls(ir: PolicyIR): Promise<HygieneFinding[]> {
  // Statements in written order: every rule one statement expands to, on every architecture.
  const statements = new Map<string, { arch: Arch; rule: IrSyscallRule }[]>();
  for (const arch of IR_ARCHES) {
    for (const rule of ir.syscalls.rules[arch]) {
      if (!own(ir, rule)) continue;
      const o = rule.origin;
      const key = `${rule.effect}|${o.file}|${o.line}|${o.column}`;
      statements.set(key, [...(statements.get(key) ?? []), { arch, rule }]);
    }
  }
  if (statements.size === 0) return [];
  const Z = await z3();
  const def = ir.syscalls.defaultAction;
  const removed = new Set<string>();
  const out: HygieneFinding[] = [];
  const ordered = [...statements.values()].sort((a, b) => b[0]!.rule.origin.line - a[0]!.rule.origin.line || b[0]!.rule.origin.column - a[0]!.rule.origin.column);
  for (const members of ordered) {
    const ids = new Set(members.map((x) => x.rule.id));
    let witness: { arch: Arch; rule: IrSyscallRule; coverers: IrSyscallRule[]; args: bigint[] } | undefined;
    let redundant = true;
    for (const { arch, rule } of members) {
      const others = ir.syscalls.rules[arch].filter((r) => r.syscall === rule.syscall && !ids.has(r.id) && !removed.has(r.id));
      const coverers =
        rule.effect === 'allow'
          ? others // another allow, or any deny (then a deny decides)
          : others.filter((r) => r.effect === 'deny' && sameOrStronger(r.action ?? def, rule.action ?? def));
      if (coverers.length === 0) {
        redundant = false;
        break;
      }
      // Fast path (most rules and groups): an unconditional coverer covers every call.
      if (coverers.some((r) => r.when === null)) {
        if (!witness && rule.when === null) witness = { arch, rule, coverers: coverers.filter((r) => r.when === null), args: [0n, 0n, 0n, 0n, 0n, 0n] };
        if (rule.when === null || witness) continue;
      }
      const args = [...Array(6).keys()].map((i) => Z.BitVec.const(`arg${i}`, 64));
      const mine = matchExpr(Z, ir, arch, rule.syscall, [rule], args);
      const s = syscallSolver(Z, ir);
      push(s);
      let v: Awaited<ReturnType<typeof check>>;
      try {
        s.add(mine, Z.Not(matchExpr(Z, ir, arch, rule.syscall, coverers, args)));
        v = await check(s);
      } finally {
        s.pop();
      }
      if (v === 'unknown') throw new VerifierError('the solver gave up on a redundancy query');
      if (v === 'sat') {
        redundant = false;
        break;
      }
      if (!witness) {
        push(s);
        try {
          s.add(mine);
          if ((await check(s)) !== 'sat') continue; // matches nothing at all
          const model = s.model();
          witness = { arch, rule, coverers, args: args.map((x) => bvValue(model, x)) };
        } finally {
          s.pop();
        }
      }
    }
    if (!redundant || !witness) continue;
    for (const id of ids) removed.add(id);
    const { arch, rule, args } = witness;
    const nr = syscallNumber(rule.syscall, arch) ?? rule.nr;
    const display = `syscall ${arch} ${rule.syscall}(${args.map((v) => '0x' + v.toString(16)).join(', ')})`;
    const d = confirmUnchanged(ir, removed, { kind: 'syscall', arch, syscall: rule.syscall, nr, args }, {}, display);
    const deciders = d.deciding.filter((id) => !ids.has(id));
    const coverIds = [...new Set([...deciders, ...witness.coverers.map((r) => r.id)])];
    // One related span per statement: a group expands to many rules with the same origin.
    const seen = new Set<string>();
    const shown = coverIds.filter((id) => {
      const r = ir.syscalls.rules[arch].find((x) => x.id === id)!;
      const k = `${r.origin.file}|${r.origin.line}|${r.origin.column}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const verb = d.allowed ? 'allowed' : 'denied';
    // An allow is covered by other allows, or (partly) by denies that decide those calls first.
    const how = rule.effect === 'deny' ? 'denied' : shown.every((id) => ir.syscalls.rules[arch].find((x) => x.id === id)?.effect === 'allow') ? 'allowed' : 'decided';
    const f = finding(rule.id, `syscall ${rule.effect}`, how, shown, `${display} is ${verb} by ${listIds(deciders)} too`);
    const names = new Set(members.map((x) => x.rule.syscall));
    f.message =
      names.size === 1
        ? `this syscall ${rule.effect} is redundant: every ${rule.syscall} call it matches is already ${how} by ${listIds(shown)}`
        : `this syscall ${rule.effect} (a group of ${names.size} syscalls) is redundant: every call it matches is already ${how} by other rules, e.g. ${listIds(shown)}`;
    f.help = names.size === 1 ? `remove ${rule.syscall} from the rule; the policy decides every call the same way without it` : 'remove the rule; the policy decides every call the same way without it';
    out.push(f);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Cross-section contradictions

const AF_INET = '2';
const AF_INET6 = '10';
const SOCK_TYPE: Record<'tcp' | 'udp', string> = { tcp: '1', udp: '2' };

/** socket(domain, type) with the type's low bits naming the protocol's socket type. */
function socketWhen(domain: string, p: 'tcp' | 'udp'): IrArgCondition[] {
  return [
    { arg: 0, name: 'domain', bits: 32, op: 'eq', value: domain },
    { arg: 1, name: 'type', bits: 32, op: 'masked_eq', mask: '15', value: SOCK_TYPE[p] },
  ];
}

/** Syscalls any one of which a file right needs (the open family covers reads and writes through a descriptor). */
const OPEN = ['open', 'openat', 'openat2'];
const FS_NEEDS: Partial<Record<FsRight, string[]>> = {
  exec: ['execve', 'execveat'],
  read: OPEN,
  list: OPEN,
  write: OPEN,
  ioctl: OPEN,
  truncate: ['truncate', 'ftruncate', ...OPEN],
  create: [...OPEN, 'creat', 'mkdir', 'mkdirat', 'mknod', 'mknodat'],
  delete: ['unlink', 'unlinkat', 'rmdir'],
  refer: ['rename', 'renameat', 'renameat2', 'link', 'linkat'],
};

/**
 * Net and fs allows that the syscall section makes impossible to use. Only for policies with a
 * syscall filter of their own (at least one syscall rule): a policy without syscall rules has no
 * filter in practice (non-Linux targets, or the section left out), and every allow would be flagged.
 */
export async function findCrossSectionConflicts(ir: PolicyIR): Promise<HygieneFinding[]> {
  if (!IR_ARCHES.some((a) => ir.syscalls.rules[a].length > 0)) return [];
  // Every syscall question this check may ask, asked together first (answers kept for findSyscallWith).
  const exists = (n: string): boolean => IR_ARCHES.some((a) => syscallNumber(n, a) !== undefined);
  await askSyscallsWith(ir, [
    ...[AF_INET, AF_INET6].flatMap((domain) => (['tcp', 'udp'] as const).map((p) => ({ syscall: 'socket', when: socketWhen(domain, p) }))),
    ...[...new Set([...Object.values(FS_NEEDS).flat(), 'bind', 'connect', 'sendto', 'sendmsg', 'sendmmsg'])].filter(exists).map((syscall) => ({ syscall, when: [] })),
  ]);
  const refused = new Map<string, boolean>();
  const isRefused = async (key: string, syscall: string, when: Parameters<typeof findSyscallWith>[2]): Promise<boolean> => {
    let v = refused.get(key);
    if (v === undefined) {
      v = !(await syscallAllowedWith(ir, syscall, when));
      refused.set(key, v);
    }
    return v;
  };
  const socketRefused = (p: 'tcp' | 'udp'): Promise<boolean> =>
    (async () => {
      for (const domain of [AF_INET, AF_INET6]) {
        if (!(await isRefused(`socket|${domain}|${p}`, 'socket', socketWhen(domain, p)))) return false;
      }
      return true;
    })();
  const allRefused = async (names: readonly string[]): Promise<boolean> => {
    for (const n of names) {
      if (!IR_ARCHES.some((a) => syscallNumber(n, a) !== undefined)) continue;
      if (!(await isRefused(n, n, []))) return false;
    }
    return true;
  };
  const out: HygieneFinding[] = [];

  for (const rule of ir.net.rules) {
    if (rule.effect !== 'allow') continue;
    const sample = netSample(ir, rule);
    if (!sample) continue;
    const problems: { what: string; call: Request }[] = [];
    const protocols: ('tcp' | 'udp')[] = rule.operation === 'resolve' ? [] : rule.protocols;
    if (rule.operation === 'resolve') {
      if ((await socketRefused('udp')) && (await socketRefused('tcp'))) problems.push({ what: 'no IPv4 or IPv6 socket can be created (socket(AF_INET/AF_INET6, …) is refused)', call: socketCall('udp') });
    }
    for (const p of protocols) {
      if (await socketRefused(p)) {
        problems.push({ what: `${p} sockets cannot be created (socket(AF_INET/AF_INET6, ${p === 'tcp' ? 'SOCK_STREAM' : 'SOCK_DGRAM'}) is refused)`, call: socketCall(p) });
        continue;
      }
      const needs = rule.operation === 'bind' ? ['bind'] : p === 'tcp' ? ['connect'] : ['connect', 'sendto', 'sendmsg', 'sendmmsg'];
      if (await allRefused(needs)) problems.push({ what: `${needs.join(', ')} ${needs.length === 1 ? 'is' : 'are'} refused`, call: plainCall(needs[0]!) });
    }
    if (problems.length === 0) continue;
    const f = conflict(ir, rule, sample, problems, rule.operation === 'resolve' ? 'allow socket(domain in [AF_INET, AF_INET6]) in the syscalls section, or remove the net rule' : `allow socket(domain in [AF_INET, AF_INET6]) and ${rule.operation} in the syscalls section, or remove the net rule`);
    if (f) out.push(f);
  }

  for (const rule of ir.fs.rules) {
    if (rule.effect !== 'allow') continue;
    const problems: { what: string; call: Request; right: FsRight }[] = [];
    const byNeeds = new Map<string, { rights: FsRight[]; needs: string[] }>();
    for (const right of rule.access) {
      const needs = (FS_NEEDS[right] ?? []).filter((n) => IR_ARCHES.some((a) => syscallNumber(n, a) !== undefined));
      if (needs.length === 0 || !(await allRefused(needs))) continue;
      const g = byNeeds.get(needs.join()) ?? { rights: [], needs };
      g.rights.push(right);
      byNeeds.set(needs.join(), g);
    }
    for (const { rights, needs } of byNeeds.values()) {
      const call = plainCall(needs.find((n) => syscallNumber(n, 'x86_64') !== undefined) ?? needs[0]!);
      problems.push({ what: `${rights.join(', ')} ${rights.length === 1 ? 'needs' : 'need'} ${needs.join(' or ')}, and ${needs.length === 1 ? 'it is' : 'all are'} refused`, call, right: rights[0]! });
    }
    if (problems.length === 0) continue;
    const sample = fsSample(ir, rule, problems.map((p) => p.right));
    if (!sample) continue;
    const f = conflict(ir, rule, sample, problems, problems.some((p) => p.right === 'exec') ? 'allow execve in the syscalls section, or drop exec from the fs rule' : `allow ${problems[0]!.call.kind === 'syscall' ? problems[0]!.call.syscall : ''} in the syscalls section, or remove the fs rule`);
    if (f) out.push(f);
  }
  return out;
}

function socketCall(p: 'tcp' | 'udp'): Request {
  return { kind: 'syscall', arch: 'x86_64', syscall: 'socket', nr: syscallNumber('socket', 'x86_64')!, args: [2n, BigInt(SOCK_TYPE[p]), 0n, 0n, 0n, 0n] };
}

function plainCall(name: string): Request {
  const arch: Arch = syscallNumber(name, 'x86_64') !== undefined ? 'x86_64' : 'aarch64';
  return { kind: 'syscall', arch, syscall: name, nr: syscallNumber(name, arch)!, args: [0n, 0n, 0n, 0n, 0n, 0n] };
}

function showCall(r: Request): string {
  if (r.kind !== 'syscall') return '';
  return `${r.syscall}(${r.args.map((v) => '0x' + v.toString(16)).join(', ')})`;
}

/** The finding, with the refusing syscall rules (or the default action) re-checked by decide(). */
function conflict(ir: PolicyIR, rule: IrFsRule | IrNetRule, sample: { req: Request; display: string; params: Record<string, string> }, problems: { what: string; call: Request }[], help: string): HygieneFinding | undefined {
  const granted = decide(ir, sample.req, sample.params);
  if (!granted.allowed || !granted.deciding.includes(rule.id)) throw new VerifierError(`internal error: ${sample.display} is not allowed by ${rule.id}; this is a bug in mxcc's cross-section check`);
  const refusers: { id: string; message: string }[] = [];
  let byDefault = false;
  for (const p of problems) {
    const d = decide(ir, p.call);
    if (d.allowed) throw new VerifierError(`internal error: ${showCall(p.call)} is allowed by the reference evaluator; this is a bug in mxcc's cross-section check`);
    if (d.deciding.length === 0) byDefault = true;
    for (const id of d.deciding.slice(0, 1)) if (!refusers.some((x) => x.id === id)) refusers.push({ id, message: `refuses ${showCall(p.call)}` });
  }
  // Inherited rule and inherited refusal: the base reports it, not every child.
  const ownRefusal = refusers.some((x) => {
    const r = ir.syscalls.rules.x86_64.find((y) => y.id === x.id) ?? ir.syscalls.rules.aarch64.find((y) => y.id === x.id);
    return r !== undefined && own(ir, r);
  });
  if (!own(ir, rule) && !ownRefusal) return undefined;
  const section = 'operation' in rule ? 'net' : 'fs';
  const def = ir.syscalls.defaultAction;
  const defText = byDefault ? ` (the syscall default ${def.kind === 'errno' ? `errno(${def.errno})` : def.kind} refuses what no rule allows)` : '';
  return {
    rule: rule.id,
    message: `this ${section} allow can never be used: ${problems.map((p) => p.what).join('; ')}${defText}`,
    display: `${sample.display} is allowed by ${rule.id}, but ${problems.map((p) => `syscall ${p.call.kind === 'syscall' ? p.call.arch : ''} ${showCall(p.call)}`).join(' and ')} ${problems.length === 1 ? 'is' : 'are'} refused`,
    related: refusers,
    help,
  };
}

/** A request the net rule allows (its first target that decide() allows). */
function netSample(ir: PolicyIR, rule: IrNetRule): { req: Request; display: string; params: Record<string, string> } | undefined {
  for (const t of rule.targets) {
    const h = t.host;
    const host = h.kind === 'any' ? 'example.com' : h.kind === 'name' ? h.name : h.kind === 'wildcard' ? `zz.${h.suffix}` : h.address;
    if (rule.operation === 'resolve') {
      const req: Request = { kind: 'net', operation: 'resolve', host };
      if (decide(ir, req).allowed) return { req, display: `resolve ${host}`, params: {} };
      continue;
    }
    for (const protocol of rule.protocols) {
      const port = t.ports[0]?.from ?? 0;
      const req: Request = { kind: 'net', operation: rule.operation, protocol, host, port };
      const d = decide(ir, req);
      if (d.allowed && d.deciding.includes(rule.id)) return { req, display: `${rule.operation} ${protocol} ${host.includes(':') ? `[${host}]` : host}:${port}`, params: {} };
    }
  }
  return undefined;
}

/** A path on which the fs rule grants one of `rights` (found over the rule's own path atoms). */
function fsSample(ir: PolicyIR, rule: IrFsRule, rights: readonly FsRight[]): { req: Request; display: string; params: Record<string, string> } | undefined {
  const patterns = [...new Set(ir.fs.rules.flatMap((r) => [...r.paths, ...r.except]))];
  const set = computeAtoms(patterns, ir.params, rule.paths.map((p) => patterns.indexOf(p)));
  for (const a of set.atoms) {
    for (const access of rights) {
      const req: Request = { kind: 'fs', access, path: a.witness };
      const d = decide(ir, req, set.paramRoots);
      if (d.allowed && d.deciding.includes(rule.id)) return { req, display: `${access} ${displayPath(a.witness, set.paramRoots)}`, params: { ...set.paramRoots } };
    }
  }
  return undefined;
}
