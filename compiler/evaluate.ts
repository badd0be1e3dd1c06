/**
 * The reference evaluator: decides one concrete request against a PolicyIR exactly as
 * docs/language.md's semantics section says. It is the oracle that every backend (BPF
 * interpreter, Seatbelt evaluator, …) and the verifier's counterexamples are checked
 * against, so it is written for obviousness, not speed, and shares no matching code with
 * the backends: path globs are matched here by a segment/character DP over parseGlob's
 * syntax tree (not glob.ts's regex translation).
 *
 * Semantics summary:
 * - fs/net: allowed iff some allow rule matches and no deny rule matches (deny wins,
 *   order is irrelevant). A rule matches iff one of its patterns/targets matches and
 *   none of its `except` entries does.
 * - IP addresses: an IPv4 address and its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`) are
 *   the same destination (a dual-stack socket connecting to `::ffff:10.0.0.1` reaches
 *   10.0.0.1), so a CIDR target matches a request if EITHER form lies in its prefix:
 *   `::ffff:10.0.0.1` is matched by `10.0.0.0/8`, and `10.0.0.1` by `::ffff:0:0/96`.
 *   Both spellings therefore always get the same decision. Other embeddings (NAT64
 *   `64:ff9b::/96`, deprecated IPv4-compatible `::a.b.c.d`, 6to4) are NOT treated as aliases.
 * - syscalls: denies beat allows; among matching denies the most severe action wins
 *   (kill_process > kill_thread > trap > errno > log > allow), ties to the first written;
 *   `log` lets the call proceed. Nothing matching → the section's default action.
 */
import { actionLetsCallProceed, actionSeverity, FS_RIGHTS, IR_ARCHES, type Arch, type FsRight, type IrAction, type IrArgCondition, type IrFsRule, type IrHost, type IrNetRule, type IrNetTarget, type IrSyscallRule, type PolicyIR } from './ir.js';
import { normalizeRequestPath, parseGlob, type CharPredicate, type ParsedGlob, type Segment, type SegmentAtom } from './glob.js';
import { parseIpv4, parseIpv6 } from './values.js';

// ---------------------------------------------------------------------------
// Requests and decisions

export interface FsRequest {
  kind: 'fs';
  access: FsRight;
  /** Absolute; normalized lexically by decide (`.`, `..`, `//`, trailing `/`). */
  path: string;
}

export type NetRequest =
  | { kind: 'net'; operation: 'connect' | 'bind'; protocol: 'tcp' | 'udp'; host: string; port: number }
  | { kind: 'net'; operation: 'resolve'; host: string };

export interface SyscallRequest {
  kind: 'syscall';
  arch: Arch;
  /** The syscall's name; `''` when only `nr` is known (then rules are found by their `nr`). */
  syscall: string;
  nr?: number;
  /** Up to six raw register values, each 0 ≤ v < 2^64; missing ones are 0. */
  args: bigint[];
}

export type Request = FsRequest | NetRequest | SyscallRequest;

export type DecisionReason = 'denied-by-rule' | 'allowed-by-rule' | 'no-matching-allow' | 'default-action';

export interface Decision {
  allowed: boolean;
  /** fs/net: `{kind:'allow'}` or `{kind:'errno', errno: 13}` (EACCES). Syscalls: the seccomp action. */
  action: IrAction;
  /**
   * Ids of the rules that decide the request. fs/net: the matching denies (IR order) when
   * denied, the matching allows (IR order) when allowed, [] when no allow matches.
   * Syscalls: when denied by rules, the deny whose action was chosen comes FIRST, then the
   * other matching denies in IR order; when allowed by rules, the matching allows in IR
   * order; [] for the default action.
   */
  deciding: string[];
  reason: DecisionReason;
}

export const EACCES = 13;
const ALLOW: IrAction = { kind: 'allow' };
const ACCESS_DENIED: IrAction = { kind: 'errno', errno: EACCES };
const U64_LIMIT = 1n << 64n;
const U32_MASK = 0xffffffffn;

/**
 * Decide one request. Throws an Error (with a message fit for users) when the request is
 * malformed (relative path, unknown access right or arch, out-of-range syscall argument,
 * invalid host) or when an fs pattern is rooted at a path param that has no value.
 * `params` override the IR's compile-time `value`s, which override `default`s.
 */
export function decide(ir: PolicyIR, request: Request, params: Readonly<Record<string, string>> = {}): Decision {
  switch (request.kind) {
    case 'fs':
      return decideFs(ir, request, params);
    case 'net':
      return decideNet(ir, request);
    case 'syscall':
      return decideSyscall(ir, request);
    default: {
      const never: never = request;
      throw new Error(`unknown request kind ${JSON.stringify((never as { kind: unknown }).kind)}`);
    }
  }
}

/** Combine the matching allows and denies of an order-independent section. */
function denyWins(allows: string[], denies: string[]): Decision {
  if (denies.length > 0) return { allowed: false, action: ACCESS_DENIED, deciding: denies, reason: 'denied-by-rule' };
  if (allows.length > 0) return { allowed: true, action: ALLOW, deciding: allows, reason: 'allowed-by-rule' };
  return { allowed: false, action: ACCESS_DENIED, deciding: [], reason: 'no-matching-allow' };
}

// ---------------------------------------------------------------------------
// fs

function decideFs(ir: PolicyIR, request: FsRequest, params: Readonly<Record<string, string>>): Decision {
  if (!(FS_RIGHTS as readonly string[]).includes(request.access)) {
    throw new Error(`unknown fs access right "${String(request.access)}" (expected one of ${FS_RIGHTS.join(', ')})`);
  }
  const norm = normalizeRequestPath(request.path);
  if ('error' in norm) throw new Error(`${norm.error}: fs requests need an absolute path such as "/home/user/file"`);
  const pathSegments = splitPath(norm.path);
  const roots = bindPathRoots(ir, params);
  const allows: string[] = [];
  const denies: string[] = [];
  for (const rule of ir.fs.rules) {
    if (!fsRuleMatches(rule, request.access, pathSegments, roots)) continue;
    (rule.effect === 'deny' ? denies : allows).push(rule.id);
  }
  return denyWins(allows, denies);
}

function fsRuleMatches(rule: IrFsRule, access: FsRight, path: readonly string[], roots: ReadonlyMap<string, string[]>): boolean {
  if (!rule.access.includes(access)) return false;
  const matches = (pattern: string): boolean => patternMatchesSegments(parsedPattern(pattern), path, roots);
  return rule.paths.some(matches) && !rule.except.some(matches);
}

/** The root `/` has no segments; `/a/b` has ["a", "b"]. Input is normalized. */
function splitPath(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

const PATTERN_ROOT_RE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/;

/**
 * Resolve every path param that roots an fs pattern, so a missing binding is reported
 * for every fs request (not only for requests that happen to reach that rule).
 */
function bindPathRoots(ir: PolicyIR, params: Readonly<Record<string, string>>): Map<string, string[]> {
  const roots = new Map<string, string[]>();
  for (const rule of ir.fs.rules) {
    for (const pattern of [...rule.paths, ...rule.except]) {
      const m = PATTERN_ROOT_RE.exec(pattern);
      if (!m || roots.has(m[1]!)) continue;
      const name = m[1]!;
      const value = paramValue(ir, params, name);
      if (value === undefined) {
        throw new Error(`path param \${${name}} has no value (rule ${rule.id} uses "${pattern}"); supply it with --param ${name}=/absolute/dir`);
      }
      const norm = normalizeRequestPath(value);
      if ('error' in norm) throw new Error(`path param \${${name}} = "${value}" is not an absolute path; supply it with --param ${name}=/absolute/dir`);
      roots.set(name, splitPath(norm.path));
    }
  }
  return roots;
}

/** `params` override the IR's `value`, which overrides the `default`. */
export function paramValue(ir: PolicyIR, params: Readonly<Record<string, string>>, name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(params, name)) return params[name];
  const declared = ir.params.find((p) => p.name === name);
  return declared?.value ?? declared?.default;
}

const parsedPatterns = new Map<string, ParsedGlob>();

function parsedPattern(pattern: string): ParsedGlob {
  let g = parsedPatterns.get(pattern);
  if (!g) {
    const root = PATTERN_ROOT_RE.exec(pattern);
    const body = root ? pattern.slice(root[0].length) : pattern;
    if (!(body.startsWith('/') || (root && body === ''))) throw new Error(`malformed IR: path pattern "${pattern}" is not absolute`);
    g = parseGlob(pattern);
    if (parsedPatterns.size > 10_000) parsedPatterns.clear();
    parsedPatterns.set(pattern, g);
  }
  return g;
}

function patternMatchesSegments(g: ParsedGlob, path: readonly string[], roots: ReadonlyMap<string, string[]>): boolean {
  let rest = path;
  if (g.root !== undefined) {
    const prefix = roots.get(g.root);
    if (prefix === undefined) throw new Error(`internal: path param \${${g.root}} was not bound`);
    if (prefix.length > path.length || prefix.some((seg, i) => path[i] !== seg)) return false;
    rest = path.slice(prefix.length);
  }
  return segmentsMatch(g.segments, rest);
}

/** Pattern segments vs path segments: `**` consumes zero or more whole segments. */
function segmentsMatch(pattern: readonly Segment[], path: readonly string[]): boolean {
  const memo = new Map<number, boolean>();
  const width = path.length + 1;
  const go = (i: number, j: number): boolean => {
    const key = i * width + j;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let result: boolean;
    const seg = pattern[i];
    if (seg === undefined) result = j === path.length;
    else if (seg.kind === 'globstar') result = go(i + 1, j) || (j < path.length && go(i, j + 1));
    else result = j < path.length && atomsMatch(seg.atoms, [...path[j]!]) && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** One segment's atoms vs its characters (code points): `*` is any run, possibly empty. */
function atomsMatch(atoms: readonly SegmentAtom[], chars: readonly string[]): boolean {
  // reach[k]: the first i atoms can consume exactly the first k characters.
  let reach: boolean[] = chars.map(() => false);
  reach.push(false);
  reach[0] = true;
  for (const atom of atoms) {
    const next: boolean[] = new Array<boolean>(chars.length + 1).fill(false);
    if (atom.kind === 'star') {
      let any = false;
      for (let k = 0; k <= chars.length; k++) {
        any = any || reach[k]!;
        next[k] = any;
      }
    } else {
      for (let k = 0; k < chars.length; k++) if (reach[k] && charMatches(atom, chars[k]!)) next[k + 1] = true;
    }
    reach = next;
  }
  return reach[chars.length]!;
}

function charMatches(p: CharPredicate, ch: string): boolean {
  if (ch === '/') return false;
  switch (p.kind) {
    case 'lit':
      return p.ch === ch;
    case 'any':
      return true;
    case 'class': {
      const cp = ch.codePointAt(0)!;
      const inside = p.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
      return p.negated ? !inside : inside;
    }
  }
}

// ---------------------------------------------------------------------------
// net

type NormalizedHost = { kind: 'name'; name: string } | { kind: 'ip'; family: 4 | 6; value: bigint };

function decideNet(ir: PolicyIR, request: NetRequest): Decision {
  const host = normalizeHost(request.host);
  if (request.operation !== 'resolve') {
    if (request.operation !== 'connect' && request.operation !== 'bind') {
      throw new Error(`unknown network operation "${String((request as { operation: unknown }).operation)}" (expected connect, bind or resolve)`);
    }
    if (request.protocol !== 'tcp' && request.protocol !== 'udp') throw new Error(`unknown protocol "${String(request.protocol)}" (expected tcp or udp)`);
    if (!Number.isInteger(request.port) || request.port < 0 || request.port > 65535) throw new Error(`port ${request.port} is out of range (0-65535)`);
  }
  const allows: string[] = [];
  const denies: string[] = [];
  for (const rule of ir.net.rules) {
    if (!netRuleMatches(rule, request, host)) continue;
    (rule.effect === 'deny' ? denies : allows).push(rule.id);
  }
  return denyWins(allows, denies);
}

function netRuleMatches(rule: IrNetRule, request: NetRequest, host: NormalizedHost): boolean {
  if (rule.operation !== request.operation) return false;
  const port = request.operation === 'resolve' ? undefined : request.port;
  if (request.operation !== 'resolve' && !rule.protocols.includes(request.protocol)) return false;
  const matches = (t: IrNetTarget): boolean => targetMatches(t, host, port);
  return rule.targets.some(matches) && !rule.except.some(matches);
}

/** `port` is undefined for resolve requests, whose targets carry no ports. */
function targetMatches(t: IrNetTarget, host: NormalizedHost, port: number | undefined): boolean {
  if (!normalizedHostMatches(t.host, host)) return false;
  return port === undefined || t.ports.some((r) => port >= r.from && port <= r.to);
}

/**
 * Does an IR host match a request host? The request host is lowercased, a trailing dot
 * and IPv6 brackets are removed and Unicode names are converted to punycode. Throws for
 * hosts that are neither an IP address nor a plausible DNS name.
 */
export function hostMatches(host: IrHost, requestHost: string): boolean {
  return normalizedHostMatches(host, normalizeHost(requestHost));
}

function normalizedHostMatches(host: IrHost, req: NormalizedHost): boolean {
  switch (host.kind) {
    case 'any':
      return true;
    case 'name':
      return req.kind === 'name' && req.name === irName(host.name);
    case 'wildcard': {
      if (req.kind !== 'name') return false;
      const suffix = '.' + irName(host.suffix);
      if (!req.name.endsWith(suffix)) return false;
      const labels = req.name.slice(0, -suffix.length);
      // One or more non-empty labels before the suffix; never the apex itself.
      return labels.length > 0 && labels.split('.').every((l) => l.length > 0);
    }
    case 'cidr': {
      if (req.kind !== 'ip') return false;
      const net = parseCidr(host);
      return ipForms(req).some((f) => f.family === net.family && inPrefix(f.value, net.value, net.prefix, net.family === 4 ? 32 : 128));
    }
  }
}

/** IR names are already normalized; this only guards against a stray upper case or trailing dot. */
function irName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

const IPV4_MAPPED_PREFIX = 0xffffn << 32n;

/** A request address and its IPv4/IPv4-mapped-IPv6 alias, which reach the same destination. */
function ipForms(ip: { family: 4 | 6; value: bigint }): { family: 4 | 6; value: bigint }[] {
  if (ip.family === 4) return [ip, { family: 6, value: IPV4_MAPPED_PREFIX | ip.value }];
  if (ip.value >> 32n === 0xffffn) return [ip, { family: 4, value: ip.value & U32_MASK }];
  return [ip];
}

function inPrefix(value: bigint, network: bigint, prefix: number, bits: number): boolean {
  const shift = BigInt(bits - prefix);
  return value >> shift === network >> shift;
}

const cidrCache = new Map<string, { family: 4 | 6; value: bigint; prefix: number }>();

function parseCidr(host: IrHost & { kind: 'cidr' }): { family: 4 | 6; value: bigint; prefix: number } {
  const key = `${host.family}|${host.address}|${host.prefix}`;
  const cached = cidrCache.get(key);
  if (cached) return cached;
  const ip = parseIp(host.address);
  const bits = host.family === 4 ? 32 : 128;
  if (!ip || ip.family !== host.family || !Number.isInteger(host.prefix) || host.prefix < 0 || host.prefix > bits) {
    throw new Error(`malformed IR: invalid CIDR ${host.address}/${host.prefix} (family ${host.family})`);
  }
  const parsed = { family: host.family, value: ip.value, prefix: host.prefix };
  if (cidrCache.size > 10_000) cidrCache.clear();
  cidrCache.set(key, parsed);
  return parsed;
}

function normalizeHost(text: string): NormalizedHost {
  if (typeof text !== 'string' || text.length === 0) throw new Error('empty host');
  let t = text.trim().toLowerCase();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  if (t.endsWith('.') && t.length > 1) t = t.slice(0, -1);
  const ip = parseIp(t);
  if (ip) return { kind: 'ip', ...ip };
  if (t.includes(':')) throw new Error(`invalid IPv6 address "${text}"`);
  const lastLabel = t.slice(t.lastIndexOf('.') + 1);
  // A name whose last label is numeric would be read as an (octal/short) IPv4 address by
  // inet_aton and URL parsers; it is neither a DNS name nor a canonical address.
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(lastLabel)) {
    throw new Error(`"${text}" is not a valid IPv4 address (four decimal numbers 0-255 without leading zeros) nor a host name`);
  }
  let name = t;
  if (!/^[\x21-\x7e]+$/.test(t)) {
    try {
      name = new URL(`http://${t}/`).hostname;
    } catch {
      throw new Error(`invalid host name "${text}"`);
    }
  }
  if (name.length === 0 || /[\s/@?#\\]/.test(name)) throw new Error(`invalid host name "${text}"`);
  return { kind: 'name', name };
}

/**
 * Parse an IP literal: IPv4 as a strict dotted quad (decimal 0-255, no leading zeros), or
 * IPv6 in any RFC 4291 text form (`::`, embedded IPv4 tail, 1-4 hex digits per group).
 * No brackets, zone ids or prefixes. Returns the address as an unsigned integer.
 */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}


// ---------------------------------------------------------------------------
// syscalls

// Defined beside the IR, so the checker uses them without loading the evaluator at start-up.
export { actionLetsCallProceed, actionSeverity };

function decideSyscall(ir: PolicyIR, request: SyscallRequest): Decision {
  if (!IR_ARCHES.includes(request.arch)) throw new Error(`unknown architecture "${String(request.arch)}" (expected ${IR_ARCHES.join(' or ')})`);
  const args = checkedArgs(request.args);
  const rules = ir.syscalls.rules[request.arch] ?? [];
  const selected = rulesForRequest(rules, request);
  const defaultAction = ir.syscalls.defaultAction;
  const allows: string[] = [];
  let winner: { index: number; action: IrAction } | undefined;
  const denies: string[] = [];
  for (const rule of selected) {
    if (!syscallRuleMatches(rule, args)) continue;
    if (rule.effect === 'allow') {
      allows.push(rule.id);
      continue;
    }
    const action = rule.action ?? defaultAction;
    // Strictly greater: on a tie the first written deny keeps the decision.
    if (!winner || actionSeverity(action) > actionSeverity(winner.action)) winner = { index: denies.length, action };
    denies.push(rule.id);
  }
  if (winner) {
    const w = winner.index;
    const deciding = [denies[w]!, ...denies.filter((_, i) => i !== w)];
    return { allowed: actionLetsCallProceed(winner.action), action: winner.action, deciding, reason: 'denied-by-rule' };
  }
  if (allows.length > 0) return { allowed: true, action: ALLOW, deciding: allows, reason: 'allowed-by-rule' };
  return { allowed: actionLetsCallProceed(defaultAction), action: defaultAction, deciding: [], reason: 'default-action' };
}

function rulesForRequest(rules: readonly IrSyscallRule[], request: SyscallRequest): IrSyscallRule[] {
  if (request.syscall !== '') {
    const named = rules.filter((r) => r.syscall === request.syscall);
    if (request.nr !== undefined) {
      const other = named.find((r) => r.nr !== request.nr);
      if (other) throw new Error(`syscall ${request.syscall} is number ${other.nr} on ${request.arch}, not ${request.nr}`);
    }
    return named;
  }
  if (request.nr === undefined) throw new Error('a syscall request needs a name or a number');
  if (!Number.isInteger(request.nr) || request.nr < 0) throw new Error(`invalid syscall number ${request.nr}`);
  return rules.filter((r) => r.nr === request.nr);
}

function checkedArgs(args: readonly bigint[]): bigint[] {
  if (args.length > 6) throw new Error(`a syscall takes at most 6 arguments (got ${args.length})`);
  const out: bigint[] = [];
  for (let i = 0; i < 6; i++) {
    const v = args[i] ?? 0n;
    if (typeof v !== 'bigint' || v < 0n || v >= U64_LIMIT) throw new Error(`syscall argument ${i} = ${String(v)} is not a 64-bit unsigned value`);
    out.push(v);
  }
  return out;
}

function syscallRuleMatches(rule: IrSyscallRule, args: readonly bigint[]): boolean {
  if (rule.when === null) return true;
  // An empty disjunction is false: the rule never matches.
  return rule.when.some((conjunction) => conjunction.every((c) => conditionHolds(c, args)));
}

/**
 * Evaluate one argument comparison. A 32-bit argument is read as its low 32 bits only,
 * as the kernel does for `int` parameters; comparisons are unsigned. Missing args are 0.
 */
export function conditionHolds(c: IrArgCondition, args: readonly bigint[]): boolean {
  if (!Number.isInteger(c.arg) || c.arg < 0 || c.arg > 5) throw new Error(`malformed IR: condition on argument ${c.arg} (expected 0-5)`);
  if (c.bits !== 32 && c.bits !== 64) throw new Error(`malformed IR: condition width ${String(c.bits)} (expected 32 or 64)`);
  const raw = args[c.arg] ?? 0n;
  if (raw < 0n || raw >= U64_LIMIT) throw new Error(`syscall argument ${c.arg} = ${raw} is not a 64-bit unsigned value`);
  const v = c.bits === 32 ? raw & U32_MASK : raw;
  const value = irUnsigned(c.value, c.bits, 'value');
  switch (c.op) {
    case 'eq':
      return v === value;
    case 'ne':
      return v !== value;
    case 'lt':
      return v < value;
    case 'le':
      return v <= value;
    case 'gt':
      return v > value;
    case 'ge':
      return v >= value;
    case 'masked_eq':
    case 'masked_ne': {
      if (c.mask === undefined) throw new Error(`malformed IR: ${c.op} on ${c.name} without a mask`);
      const masked = v & irUnsigned(c.mask, c.bits, 'mask');
      return c.op === 'masked_eq' ? masked === value : masked !== value;
    }
    default:
      throw new Error(`malformed IR: unknown comparison operator ${JSON.stringify(c.op)}`);
  }
}

function irUnsigned(text: string, bits: 32 | 64, what: string): bigint {
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]*)$/.test(text)) throw new Error(`malformed IR: condition ${what} ${JSON.stringify(text)} is not an unsigned decimal string`);
  const v = BigInt(text);
  if (v >= 1n << BigInt(bits)) throw new Error(`malformed IR: condition ${what} ${text} does not fit in ${bits} bits`);
  return v;
}
