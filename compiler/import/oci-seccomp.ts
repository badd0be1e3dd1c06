/**
 * `mxcc import oci-seccomp`: a Docker/Podman seccomp profile (or an OCI runtime-spec
 * `linux.seccomp` object) → `.mxc` source text.
 *
 * Semantics kept: the profile is read the way its users mean it, rule by rule: a rule applies
 * when the call's name is listed and all its `args` comparisons hold (runc turns several
 * comparisons of the SAME argument into separate rules, so those are OR-ed here too); among
 * matching rules the most severe action wins (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > LOG >
 * ALLOW, ties to the first listed), else the default action. That is exactly mxcc's "deny wins"
 * (allow rules become `allow`, every other action a `deny` with that action), so a profile whose
 * rules do not overlap imports exactly. Where rules for one syscall overlap with different
 * actions, real runtimes do not agree with that reading (libseccomp keeps the first unconditional
 * rule it was given and otherwise its own node order), so each such pair is reported (MXC1604).
 *
 * One deliberate difference: arguments the kernel declares 32-bit (`int`) are compared on their
 * low 32 bits in mxcc, on all 64 by libseccomp; the imported policy closes that bypass.
 */
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Code } from '../diagnostics/codes.js';
import { ERRNO_NAMES, syscallArgs, syscallNumber, UMODE_ARGS } from '../syscalls/index.js';
import type { Arch } from '../ir.js';
import { jsonLocator } from '../json.js';
import { LineMap, type Span } from '../../grammar/location.js';
import { formatText } from '../../format/index.js';
import { KEYWORDS } from '../../grammar/tokens.js';

export interface ImportOciOptions {
  /** Capabilities the container keeps (CAP_SYS_ADMIN or SYS_ADMIN); default none. */
  caps?: string[];
  /** Architectures to resolve `includes`/`excludes` for; default both. */
  arches?: Arch[];
  policyName?: string;
  /** Shown in the header comment and in messages. */
  file?: string;
  /** The profile's JSON text (that `file` holds): diagnostics then point at its lines. */
  text?: string;
}

export interface ImportResult {
  source?: string;
  diagnostics: Diagnostic[];
}

type Action = { kind: 'allow' } | { kind: 'log' } | { kind: 'errno'; errno: number } | { kind: 'trap' } | { kind: 'kill_thread' } | { kind: 'kill_process' };

const SEVERITY: Record<Action['kind'], number> = { kill_process: 5, kill_thread: 4, trap: 3, errno: 2, log: 1, allow: 0 };
const EPERM = 1;

const ACTIONS: Record<string, Action['kind']> = {
  SCMP_ACT_ALLOW: 'allow',
  SCMP_ACT_LOG: 'log',
  SCMP_ACT_ERRNO: 'errno',
  SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_KILL: 'kill_thread',
  SCMP_ACT_KILL_THREAD: 'kill_thread',
  SCMP_ACT_KILL_PROCESS: 'kill_process',
};
const UNSUPPORTED_ACTIONS = new Set(['SCMP_ACT_TRACE', 'SCMP_ACT_NOTIFY']);

export type ProfileOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked_eq';
const OPS: Record<string, ProfileOp> = {
  SCMP_CMP_EQ: 'eq', SCMP_CMP_NE: 'ne', SCMP_CMP_LT: 'lt', SCMP_CMP_LE: 'le', SCMP_CMP_GT: 'gt', SCMP_CMP_GE: 'ge', SCMP_CMP_MASKED_EQ: 'masked_eq',
};
const OP_TEXT: Record<Exclude<ProfileOp, 'masked_eq'>, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

/** Architecture names a profile may use (Go's GOARCH, libseccomp's, mxcc's) for ours. */
const ARCH_ALIASES: Record<string, Arch> = {
  amd64: 'x86_64', x86_64: 'x86_64', SCMP_ARCH_X86_64: 'x86_64',
  arm64: 'aarch64', aarch64: 'aarch64', SCMP_ARCH_AARCH64: 'aarch64',
};
const ALL_ARCHES: readonly Arch[] = ['x86_64', 'aarch64'];

export interface ProfileComparison {
  index: number;
  op: ProfileOp;
  /** For masked_eq: the mask (OCI `value`). */
  value: bigint;
  /** For masked_eq: the datum (OCI `valueTwo`). */
  valueTwo: bigint;
}

/** One `syscalls[]` entry that applies for the chosen caps and architectures. */
export interface ProfileRule {
  index: number;
  names: string[];
  action: Action;
  /** Alternatives (OR) of conjunctions (AND); `[[]]` is unconditional. */
  when: ProfileComparison[][];
  /** Architectures (of those asked for) the rule applies on. */
  arches: Arch[];
  comment?: string;
  minKernel?: string;
  /** excludes.minKernel of a rule that is not an allow: kept, though moby drops it on newer kernels. */
  excludedFrom?: string;
}

export interface ResolvedProfile {
  defaultAction: Action;
  rules: ProfileRule[];
  notes: string[];
}

const U64_MAX = (1n << 64n) - 1n;

/** An integer literal of 16 digits or more (any length), not part of a fraction or exponent. */
const NUMBER = /-?\d{16,}(?![.eE\d])/y;

/**
 * JSON.parse that keeps integers beyond 2^53 exact (as decimal strings), so 64-bit masks survive.
 * Errors carry the position (and line:column) of the problem.
 */
export function parseProfileJson(text: string): { value: unknown } | { error: string; offset: number; line: number; column: number } {
  // Quote long integer literals outside strings; the importer accepts decimal strings as values.
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && !/[\w.]/.test(text[i - 1] ?? ' ')) {
      out += `"${m[0]}"`;
      i += m[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  try {
    return { value: JSON.parse(out) as unknown };
  } catch (e) {
    // Positions refer to the original text only before the first quoted literal; report the
    // original text's own error when it has one (it always does if `out` fails).
    let message = (e as Error).message;
    try {
      JSON.parse(text);
    } catch (e2) {
      message = (e2 as Error).message;
    }
    const pos = /position (\d+)/.exec(message);
    const offset = pos ? Number(pos[1]) : 0;
    const before = text.slice(0, offset).split('\n');
    const line = before.length;
    const column = before[before.length - 1]!.length + 1;
    return { error: pos ? `${message} (line ${line}, column ${column})` : message, offset, line, column };
  }
}

/**
 * Where a JSON pointer of the profile is in its file (undefined without the file and its text).
 * Keys are matched as the importer reads them (goFields).
 */
function locatorOf(options: ImportOciOptions): ((pointer: string) => Span) | undefined {
  const { file, text } = options;
  if (file === undefined || text === undefined) return undefined;
  const find = jsonLocator(text, goFold);
  const lines = new LineMap(text);
  return (pointer) => {
    const at = find(pointer);
    return lines.span(file, at.offset, at.length);
  };
}

/** Diagnostics, each at the JSON pointer (`at`) of what it is about when the text is known. */
class Problems {
  readonly items: Diagnostic[] = [];
  constructor(private readonly locate?: (pointer: string) => Span) {}
  error(code: Code, message: string, help?: string, at?: string): void {
    this.items.push(diagnostic(code, message, { ...(help ? { help } : {}), ...this.span(at) }));
  }
  warn(code: Code, message: string, help?: string, at?: string): void {
    this.items.push(diagnostic(code, message, { severity: 'warning', ...(help ? { help } : {}), ...this.span(at) }));
  }
  span(at: string | undefined): { span?: Span } {
    return at !== undefined && this.locate ? { span: this.locate(at) } : {};
  }
  get failed(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Go's case folding of field names (bytes.EqualFold): letter case, and ſ (U+017F) as s. */
const goFold = (k: string): string => k.toLowerCase().replace(/\u017f/g, 's');

/**
 * The fields moby's Go decoder reads from a JSON object: encoding/json matches a key to a field
 * by its exact name or case-insensitively ("Args" sets args), and of several keys for one field
 * the last wins. Other keys are ignored, as there.
 */
function goFields(o: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const field = names.find((n) => n === k) ?? names.find((n) => goFold(n) === goFold(k));
    if (field !== undefined) out[field] = v;
  }
  return out;
}

const PROFILE_FIELDS = ['defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls', 'listenerPath', 'listenerMetadata', 'flags'] as const;
const ARCHMAP_FIELDS = ['architecture', 'subArchitectures'] as const;
const RULE_FIELDS = ['names', 'name', 'action', 'errnoRet', 'args', 'comment', 'includes', 'excludes'] as const;
const FILTER_FIELDS = ['caps', 'arches', 'minKernel'] as const;
const ARG_FIELDS = ['index', 'value', 'valueTwo', 'op'] as const;

/** includes/excludes arches: moby compares them with Go's name of the machine (runtime.GOARCH). */
const GO_ARCHES: Record<string, Arch> = { amd64: 'x86_64', arm64: 'aarch64' };

function u64Of(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) {
    const b = BigInt(v);
    return b <= U64_MAX ? b : undefined;
  }
  return undefined;
}

function normalizeCap(c: string): string {
  const up = c.trim().toUpperCase();
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

/** Read the profile and keep the rules that apply for the chosen caps and architectures. */
export function resolveOciProfile(input: unknown, options: ImportOciOptions = {}, locate = locatorOf(options)): { profile?: ResolvedProfile; diagnostics: Diagnostic[] } {
  const p = new Problems(locate);
  const profile = isObject(input) ? goFields(input, PROFILE_FIELDS) : input;
  const caps = new Set((options.caps ?? []).map(normalizeCap));
  const arches = options.arches && options.arches.length > 0 ? [...new Set(options.arches)] : [...ALL_ARCHES];
  if (!isObject(profile)) {
    p.error('MXC1601', `a seccomp profile is a JSON object with defaultAction and syscalls (got ${Array.isArray(profile) ? 'an array' : profile === null ? 'null' : typeof profile})`, undefined, '');
    return { diagnostics: p.items };
  }
  const notes: string[] = [];
  const actionOf = (where: string, name: unknown, errnoRet: unknown, errnoWhere: string): Action | undefined => {
    if (typeof name !== 'string') {
      p.error('MXC1601', `${where}: the action must be a string such as "SCMP_ACT_ERRNO"`, undefined, where);
      return undefined;
    }
    const kind = ACTIONS[name];
    if (!kind) {
      if (UNSUPPORTED_ACTIONS.has(name)) p.error('MXC1602', `${where}: ${name} hands the call to a tracer or supervisor; mxcc policies cannot express it`, 'replace it with SCMP_ACT_ERRNO or SCMP_ACT_LOG before importing', where);
      else p.error('MXC1602', `${where}: unknown action "${name}"`, `actions: ${Object.keys(ACTIONS).join(', ')}`, where);
      return undefined;
    }
    if (kind !== 'errno') return { kind } as Action;
    if (errnoRet === undefined) return { kind: 'errno', errno: EPERM };
    if (typeof errnoRet !== 'number' || !Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > 4095) {
      p.error('MXC1601', `${errnoWhere}: must be an error number between 0 and 4095 (got ${typeof errnoRet === 'string' ? errnoRet : JSON.stringify(errnoRet)})`, undefined, errnoWhere);
      return undefined;
    }
    return { kind: 'errno', errno: errnoRet };
  };

  let defaultAction: Action | undefined;
  if (profile.defaultAction === undefined) p.error('MXC1601', 'the profile has no defaultAction', 'add "defaultAction": "SCMP_ACT_ERRNO"', '');
  else defaultAction = actionOf('/defaultAction', profile.defaultAction, profile.defaultErrnoRet, '/defaultErrnoRet');

  // Architectures: mxcc enforces x86_64 and aarch64 and refuses their 32-bit sub-architectures.
  if (profile.archMap !== undefined) {
    if (!Array.isArray(profile.archMap)) p.error('MXC1601', '/archMap must be an array', undefined, '/archMap');
    else {
      profile.archMap.forEach((raw, i) => {
        const m = isObject(raw) ? goFields(raw, ARCHMAP_FIELDS) : undefined;
        const arch = m ? m.architecture : undefined;
        const subs = m ? stringList(m.subArchitectures ?? []) : undefined;
        if (typeof arch !== 'string' || !subs) {
          p.error('MXC1601', `/archMap/${i} must have "architecture" (a string) and "subArchitectures" (strings)`, undefined, `/archMap/${i}`);
          return;
        }
        const ours = ARCH_ALIASES[arch];
        if (ours && arches.includes(ours) && subs.length > 0) {
          notes.push(`archMap: ${arch} comes with sub-architectures ${subs.join(', ')}; mxcc refuses them (their calls get the bad-architecture action)`);
        }
      });
    }
  }
  if (profile.architectures !== undefined) {
    const list = stringList(profile.architectures);
    if (!list) p.error('MXC1601', '/architectures must be an array of strings', undefined, '/architectures');
    else {
      const foreign = list.filter((a) => !ARCH_ALIASES[a]);
      if (foreign.length > 0) notes.push(`architectures: ${foreign.join(', ')} left out; mxcc enforces x86_64 and aarch64 only`);
    }
  }

  const rules: ProfileRule[] = [];
  if (!Array.isArray(profile.syscalls)) {
    if (profile.syscalls !== undefined && profile.syscalls !== null) p.error('MXC1601', '/syscalls must be an array of rules', undefined, '/syscalls');
  } else {
    profile.syscalls.forEach((input, index) => {
      const where = `/syscalls/${index}`;
      if (!isObject(input)) {
        p.error('MXC1601', `${where}: a rule must be an object`, undefined, where);
        return;
      }
      const raw = goFields(input, RULE_FIELDS);
      // As moby: "name" when it is set, "names" otherwise; both set is an error there too.
      const listed = raw.names === undefined || raw.names === null ? [] : stringList(raw.names);
      if (raw.name !== undefined && typeof raw.name !== 'string') {
        p.error('MXC1601', `${where}/name: must be a syscall name (a string)`, undefined, `${where}/name`);
        return;
      }
      if (!listed) {
        p.error('MXC1601', `${where}: "names" must be an array of syscall names`, undefined, `${where}/names`);
        return;
      }
      if (raw.name && listed.length > 0) {
        p.error('MXC1601', `${where}: both "name" and "names" are set; Docker refuses such a profile`, 'keep one of them', where);
        return;
      }
      const names = raw.name ? [raw.name] : listed;
      if (names.length === 0) {
        p.error('MXC1601', `${where}: the rule names no syscall ("names" or "name")`, undefined, where);
        return;
      }
      const bad = names.findIndex((n) => !/^[a-z_][a-z0-9_]*$/.test(n));
      if (bad >= 0) {
        p.error('MXC1601', `${where}: ${JSON.stringify(names[bad])} is not a syscall name`, undefined, raw.name ? `${where}/name` : `${where}/names/${bad}`);
        return;
      }
      const action = actionOf(`${where}/action`, raw.action, raw.errnoRet, `${where}/errnoRet`);
      const when = comparisonsOf(raw.args, where, p);
      if (!action || !when) return;
      // includes / excludes, as moby resolves them: all included caps held, no excluded cap held,
      // the architecture listed (or not excluded).
      const incRaw = raw.includes === undefined || raw.includes === null ? {} : raw.includes;
      const excRaw = raw.excludes === undefined || raw.excludes === null ? {} : raw.excludes;
      if (!isObject(incRaw) || !isObject(excRaw)) {
        p.error('MXC1601', `${where}: includes and excludes must be objects`, undefined, `${where}/${isObject(incRaw) ? 'excludes' : 'includes'}`);
        return;
      }
      const inc = goFields(incRaw, FILTER_FIELDS);
      const exc = goFields(excRaw, FILTER_FIELDS);
      const incCaps = inc.caps === undefined ? [] : stringList(inc.caps);
      const excCaps = exc.caps === undefined ? [] : stringList(exc.caps);
      const incArches = inc.arches === undefined ? [] : stringList(inc.arches);
      const excArches = exc.arches === undefined ? [] : stringList(exc.arches);
      if (!incCaps || !excCaps || !incArches || !excArches) {
        p.error('MXC1601', `${where}: includes/excludes caps and arches must be arrays of strings`, undefined, `${where}/${!incCaps || !incArches ? 'includes' : 'excludes'}/${!(incCaps && excCaps) ? 'caps' : 'arches'}`);
        return;
      }
      // Capability names as moby compares them: exactly, with the bounding set's "CAP_SYS_ADMIN".
      if (!incCaps.every((c) => caps.has(c))) return;
      if (excCaps.some((c) => caps.has(c))) return;
      const on = arches.filter((a) => {
        const named = (list: string[]): boolean => list.some((x) => GO_ARCHES[x] === a);
        return (incArches.length === 0 || named(incArches)) && !named(excArches);
      });
      if (on.length === 0) return;
      const rule: ProfileRule = { index, names, action, when, arches: on };
      if (typeof raw.comment === 'string' && raw.comment.trim() !== '') rule.comment = raw.comment.trim();
      if (inc.minKernel !== undefined && inc.minKernel !== null) rule.minKernel = String(inc.minKernel);
      if (exc.minKernel !== undefined && exc.minKernel !== null && exc.minKernel !== '') {
        // moby leaves the rule out on kernels at least this new; imported as if the kernel were
        // new enough, only where that is stricter: an allow is left out, a deny kept.
        if (action.kind === 'allow') {
          notes.push(`syscalls[${index}] (allow ${names.join(', ')}): left out, as Docker does on kernels from ${String(exc.minKernel)} on (excludes minKernel)`);
          return;
        }
        rule.excludedFrom = String(exc.minKernel);
      }
      rules.push(rule);
    });
  }
  if (p.failed || !defaultAction) return { diagnostics: p.items };
  return { profile: { defaultAction, rules, notes }, diagnostics: p.items };
}

function comparisonsOf(args: unknown, where: string, p: Problems): ProfileComparison[][] | undefined {
  if (args === undefined || args === null) return [[]];
  if (!Array.isArray(args)) {
    p.error('MXC1603', `${where}/args must be an array`, undefined, `${where}/args`);
    return undefined;
  }
  const out: ProfileComparison[] = [];
  let ok = true;
  args.forEach((input, i) => {
    const at = `${where}/args/${i}`;
    const a = isObject(input) ? goFields(input, ARG_FIELDS) : input;
    if (!isObject(a)) {
      p.error('MXC1603', `${at}: a comparison must be an object with index, value, valueTwo and op`, undefined, at);
      ok = false;
      return;
    }
    const op = typeof a.op === 'string' ? OPS[a.op] : undefined;
    if (!op) {
      p.error('MXC1603', `${at}: unknown op ${JSON.stringify(a.op)}`, `ops: ${Object.keys(OPS).join(', ')}`, `${at}/op`);
      ok = false;
    }
    const index = a.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) {
      p.error('MXC1603', `${at}: index must be an argument number 0-5 (got ${JSON.stringify(index)})`, undefined, `${at}/index`);
      ok = false;
    }
    const value = u64Of(a.value);
    const valueTwo = a.valueTwo === undefined ? 0n : u64Of(a.valueTwo);
    if (value === undefined) {
      p.error('MXC1603', `${at}: value must be an unsigned 64-bit integer (got ${JSON.stringify(a.value)})`, undefined, `${at}/value`);
      ok = false;
    }
    if (valueTwo === undefined) {
      p.error('MXC1603', `${at}: valueTwo must be an unsigned 64-bit integer (got ${JSON.stringify(a.valueTwo)})`, undefined, `${at}/valueTwo`);
      ok = false;
    }
    // libseccomp masks the datum too: (arg & value) == (valueTwo & value).
    if (ok && op && value !== undefined && valueTwo !== undefined) out.push({ index: index as number, op, value, valueTwo: op === 'masked_eq' ? valueTwo & value : valueTwo });
  });
  if (!ok) return undefined;
  if (out.length === 0) return [[]];
  // runc: comparisons of distinct arguments are AND-ed; if any argument is compared twice,
  // every comparison becomes its own rule (OR).
  const indices = out.map((c) => c.index);
  const when = new Set(indices).size !== indices.length ? out.map((c) => [c]) : [out];
  // A comparison under a mask of 0 always holds (libseccomp drops it): a conjunction left empty
  // makes the rule unconditional.
  const kept = when.map((conj) => conj.filter((c) => !(c.op === 'masked_eq' && c.value === 0n)));
  return kept.some((conj) => conj.length === 0) ? [[]] : kept;
}

// ---------------------------------------------------------------------------
// Conflicts

/** The u64 values one comparison accepts, as an interval when it is one. */
function interval(c: ProfileComparison): [bigint, bigint] | undefined {
  switch (c.op) {
    case 'eq': return [c.value, c.value];
    case 'lt': return c.value === 0n ? [1n, 0n] : [0n, c.value - 1n];
    case 'le': return [0n, c.value];
    case 'gt': return c.value === U64_MAX ? [1n, 0n] : [c.value + 1n, U64_MAX];
    case 'ge': return [c.value, U64_MAX];
    default: return undefined;
  }
}

function holds(c: ProfileComparison, v: bigint): boolean {
  switch (c.op) {
    case 'eq': return v === c.value;
    case 'ne': return v !== c.value;
    case 'lt': return v < c.value;
    case 'le': return v <= c.value;
    case 'gt': return v > c.value;
    case 'ge': return v >= c.value;
    case 'masked_eq': return (v & c.value) === c.valueTwo;
  }
}

/** False only when no value satisfies both (conservative). */
function mayOverlap(a: ProfileComparison, b: ProfileComparison): boolean {
  if (a.op === 'eq') return holds(b, a.value);
  if (b.op === 'eq') return holds(a, b.value);
  if (a.op === 'masked_eq' && b.op === 'masked_eq') return ((a.valueTwo ^ b.valueTwo) & a.value & b.value) === 0n && (a.valueTwo & ~a.value) === 0n && (b.valueTwo & ~b.value) === 0n;
  const ia = interval(a);
  const ib = interval(b);
  if (ia && ib) return ia[0] <= ia[1] && ib[0] <= ib[1] && ia[0] <= ib[1] && ib[0] <= ia[1];
  return true;
}

function conjunctionsOverlap(x: ProfileComparison[], y: ProfileComparison[]): boolean {
  return !x.some((a) => y.some((b) => a.index === b.index && !mayOverlap(a, b)));
}

const actionKey = (a: Action): string => (a.kind === 'errno' ? `errno:${a.errno}` : a.kind);

export function actionText(a: Action): string {
  switch (a.kind) {
    case 'allow': return 'SCMP_ACT_ALLOW';
    case 'log': return 'SCMP_ACT_LOG';
    case 'errno': return `SCMP_ACT_ERRNO(${a.errno})`;
    case 'trap': return 'SCMP_ACT_TRAP';
    case 'kill_thread': return 'SCMP_ACT_KILL_THREAD';
    case 'kill_process': return 'SCMP_ACT_KILL_PROCESS';
  }
}

function conflictDiagnostics(rules: readonly ProfileRule[], file: string | undefined, locate: ((pointer: string) => Span) | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (let i = 0; i < rules.length; i++) {
    for (let j = i + 1; j < rules.length; j++) {
      const a = rules[i]!;
      const b = rules[j]!;
      if (actionKey(a.action) === actionKey(b.action)) continue;
      if (!a.arches.some((x) => b.arches.includes(x))) continue;
      const shared = a.names.filter((n) => b.names.includes(n));
      if (shared.length === 0) continue;
      if (!a.when.some((x) => b.when.some((y) => conjunctionsOverlap(x, y)))) continue;
      const winner = SEVERITY[b.action.kind] > SEVERITY[a.action.kind] ? b : a;
      // With the text, the diagnostic points at the first rule and names the second as related.
      const where = file && !locate ? `${file}: ` : '';
      out.push(diagnostic('MXC1604', `${where}syscalls[${a.index}] (/syscalls/${a.index}, ${actionText(a.action)}) and syscalls[${b.index}] (/syscalls/${b.index}, ${actionText(b.action)}) both match ${shared.join(', ')}`, {
        help: `the imported policy lets ${actionText(winner.action)} win (deny wins, the most severe action first); runc and crun (libseccomp) may not: they keep the first unconditional rule added for a syscall. Check which one the profile meant`,
        ...(locate ? { span: locate(`/syscalls/${a.index}`), related: [{ span: locate(`/syscalls/${b.index}`), message: `syscalls[${b.index}] also matches ${shared.join(', ')}` }] } : {}),
      }));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Writing .mxc

const ERRNO_BY_NUMBER = new Map<number, string>();
for (const [name, n] of Object.entries(ERRNO_NAMES)) if (!ERRNO_BY_NUMBER.has(n)) ERRNO_BY_NUMBER.set(n, name);

function mxcAction(a: Action): string {
  switch (a.kind) {
    case 'errno': return `errno(${ERRNO_BY_NUMBER.get(a.errno) ?? a.errno})`;
    default: return a.kind;
  }
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const num = (v: bigint): string => (v < 65536n ? v.toString() : hex(v));

const onBoth = (name: string): boolean => ALL_ARCHES.every((a) => syscallNumber(name, a) !== undefined);
const spelled = (name: string): string => (onBoth(name) ? name : `?${name}`);

/** One argument as mxcc names it for this syscall on every architecture, and its width. */
function argumentOf(name: string, index: number): { text: string; bits: 32 | 64; pointer: boolean } {
  const sigs = ALL_ARCHES.filter((a) => syscallNumber(name, a) !== undefined).map((a) => syscallArgs(name, a)[index]);
  const known = sigs.filter((s): s is NonNullable<typeof s> => s !== undefined);
  const pointer = known.some((s) => s.pointer);
  const bits: 32 | 64 = known.some((s) => s.bits === 32) ? 32 : 64;
  const first = known[0];
  const sameName = first !== undefined && known.every((s) => s.name === first.name) && !/^arg[0-5]$/.test(first.name);
  return { text: sameName ? first.name : `arg${index}`, bits, pointer };
}

function conditionText(name: string, conj: ProfileComparison[], p: Problems, where: string): string | undefined {
  const parts: string[] = [];
  for (const c of conj) {
    const arg = argumentOf(name, c.index);
    if (arg.pointer) {
      p.error('MXC1603', `${where}: argument ${c.index} of ${name} is a pointer; mxcc cannot test it (seccomp compares the address, not what it points to)`, 'drop the condition or the rule before importing', `${where}/args`);
      return undefined;
    }
    if (UMODE_ARGS[name] === c.index && c.op !== 'eq' && c.op !== 'ne' && c.op !== 'masked_eq') {
      p.error('MXC1603', `${where}: argument ${c.index} of ${name} is a 16-bit file mode the kernel reads from the low 16 bits; mxcc cannot compare it by order (${c.op})`, 'replace the ordering by the modes it means (SCMP_CMP_EQ, or SCMP_CMP_MASKED_EQ on mode bits) before importing', `${where}/args`);
      return undefined;
    }
    let value = c.op === 'masked_eq' ? c.valueTwo : c.value;
    let mask = c.value;
    if (arg.bits === 32) {
      // A sign-extended negative number (-1 as 0xffffffffffffffff) names the same int.
      const fit = (v: bigint): bigint | undefined => (v <= 0xffffffffn ? v : v >> 32n === 0xffffffffn ? v & 0xffffffffn : undefined);
      const v = fit(value);
      const m = c.op === 'masked_eq' ? fit(mask) ?? mask & 0xffffffffn : mask;
      if (v === undefined) {
        p.error('MXC1603', `${where}: ${hex(value)} does not fit ${name}'s 32-bit argument ${arg.text}`, 'the kernel reads this argument as a 32-bit int; write the value as the int it means', `${where}/args`);
        return undefined;
      }
      value = v;
      mask = m;
    }
    if (c.op === 'masked_eq') parts.push(`${arg.text} & ${hex(mask)} == ${num(value)}`);
    else parts.push(`${arg.text} ${OP_TEXT[c.op]} ${num(value)}`);
  }
  return parts.join(' && ');
}

function policyNameOf(options: ImportOciOptions): string {
  if (options.policyName) return options.policyName;
  const base = (options.file ?? 'imported').split(/[\\/]/).pop()!.replace(/\.json$/i, '');
  const id = base.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_');
  return id === '' ? 'imported' : id;
}

/** Translate a parsed profile into formatted `.mxc` source. Never throws for bad input. */
export function importOciSeccomp(profile: unknown, options: ImportOciOptions = {}): ImportResult {
  const locate = locatorOf(options);
  const resolved = resolveOciProfile(profile, options, locate);
  if (!resolved.profile) return { diagnostics: resolved.diagnostics };
  const { defaultAction, rules, notes } = resolved.profile;
  const p = new Problems(locate);
  p.items.push(...resolved.diagnostics);
  const name = policyNameOf(options);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    p.error('MXC1601', `"${name}" cannot name a policy: use letters, digits and _`);
    return { diagnostics: p.items };
  }
  const arches = options.arches && options.arches.length > 0 ? ALL_ARCHES.filter((a) => options.arches!.includes(a)) : [...ALL_ARCHES];
  const caps = [...new Set((options.caps ?? []).map(normalizeCap))].sort();

  const lines: string[] = [];
  lines.push(`// Imported by mxcc import oci-seccomp${options.file ? ` from ${options.file.split(/[\\/]/).pop()}` : ''}.`);
  lines.push(`// Resolved for capabilities: ${caps.length ? caps.join(', ') : 'none'}; architectures: ${arches.join(', ')}.`);
  lines.push('// Rules are the profile\'s, in its order; deny wins and the most severe action first.');
  lines.push('// int arguments compare on their low 32 bits (the kernel\'s reading), not all 64 as libseccomp does.');
  for (const n of notes) lines.push(`// ${n}`);
  lines.push(`policy ${name} {`);
  lines.push(`  description ${JSON.stringify(`seccomp profile${options.file ? ` ${options.file.split(/[\\/]/).pop()}` : ''} imported by mxcc`)}`);
  lines.push('  syscalls {');
  lines.push(`    default ${mxcAction(defaultAction)}`);
  for (const rule of rules) {
    const where = `/syscalls/${rule.index}`;
    const comments: string[] = [`syscalls[${rule.index}]${rule.comment ? `: ${rule.comment}` : ''}`];
    if (rule.minKernel) comments.push(`includes minKernel ${rule.minKernel}: imported as if the kernel were new enough`);
    if (rule.excludedFrom) comments.push(`excludes minKernel ${rule.excludedFrom}: kept, though Docker leaves it out on kernels from ${rule.excludedFrom} on (stricter)`);
    // A rule limited to some of the architectures cannot be said per architecture in .mxc. Only
    // what is stricter: an allow keeps the names that exist nowhere else among the architectures
    // asked for, a deny applies on all of them.
    let names = rule.names;
    const others = arches.filter((a) => !rule.arches.includes(a));
    if (others.length > 0 && rule.action.kind !== 'allow') {
      const also = names.filter((n) => others.some((a) => syscallNumber(n, a) !== undefined));
      if (also.length > 0) {
        p.warn('MXC1606', `${where} applies on ${rule.arches.join(', ')} only; its ${mxcAction(rule.action)} of ${also.join(', ')} is imported for ${others.join(', ')} too (stricter: an mxcc rule applies on every architecture)`, `import for one architecture with --arch ${rule.arches.join(',')}`, where);
        comments.push(`applies on ${rule.arches.join(', ')} only: imported for ${others.join(', ')} too (stricter)`);
      }
    } else if (others.length > 0) {
      const kept = names.filter((n) => others.every((a) => syscallNumber(n, a) === undefined));
      const dropped = names.filter((n) => !kept.includes(n));
      if (dropped.length > 0) {
        p.warn('MXC1606', `${where} applies on ${rule.arches.join(', ')} only, but ${dropped.join(', ')} also exist on ${others.join(', ')}; left out (an mxcc rule applies on every architecture)`, `import for one architecture with --arch ${rule.arches.join(',')}`, where);
        comments.push(`applies on ${rule.arches.join(', ')} only: ${dropped.join(', ')} left out`);
      }
      names = kept;
    }
    // An mxcc keyword (`syscall`) cannot be written as a name; none is a syscall on x86_64 or
    // aarch64, so leaving it out changes nothing there.
    const keywords = names.filter((n) => (KEYWORDS as readonly string[]).includes(n));
    if (keywords.length > 0) {
      comments.push(`${keywords.join(', ')} left out: an mxcc keyword, and no syscall on x86_64 or aarch64`);
      names = names.filter((n) => !keywords.includes(n));
    }
    if (names.length === 0) {
      lines.push(`    // ${comments.join('; ')}: nothing left to import`);
      continue;
    }
    for (const c of comments) lines.push(`    // ${c}`);
    const effect = rule.action.kind === 'allow' ? 'allow' : 'deny';
    const suffix = rule.action.kind === 'allow' ? '' : ` ${mxcAction(rule.action)}`;
    const unconditional = rule.when.length === 1 && rule.when[0]!.length === 0;
    if (unconditional) {
      lines.push(`    ${effect} ${[...names].map(spelled).join(', ')}${suffix}`);
      continue;
    }
    for (const n of names) {
      const alts: string[] = [];
      for (const conj of rule.when) {
        const text = conditionText(n, conj, p, where);
        if (text === undefined) break;
        alts.push(rule.when.length > 1 && conj.length > 1 ? `(${text})` : text);
      }
      if (alts.length !== rule.when.length) continue;
      lines.push(`    ${effect} ${spelled(n)}(${alts.join(' || ')})${suffix}`);
    }
  }
  lines.push('  }');
  if (arches.length < ALL_ARCHES.length) {
    lines.push(`  target linux { arch ${arches.join(', ')} }`);
    lines.push(`  target oci { arch ${arches.join(', ')} }`);
  }
  lines.push('}');
  p.items.push(...conflictDiagnostics(rules, options.file, locate));
  if (p.failed) return { diagnostics: p.items };
  const text = lines.join('\n') + '\n';
  const formatted = formatText(text, `${name}.mxc`);
  if (formatted.output === undefined) {
    // Our own output failed to parse: a bug, reported rather than thrown.
    p.error('MXC1601', `internal: the generated policy does not parse: ${formatted.diagnostics.map((d) => d.message).join('; ')}`);
    return { diagnostics: p.items };
  }
  return { source: formatted.output, diagnostics: p.items };
}
