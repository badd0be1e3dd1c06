/**
 * Name resolution, type checking and normalization: AST → IR.
 * Errors are collected, never thrown; a policy with errors yields no IR.
 */
import type * as A from '../grammar/ast.js';
import type { Span } from '../grammar/location.js';
import { diagnostic, type Diagnostic, type RelatedSpan } from './diagnostics/diagnostic.js';
import type { Code } from './diagnostics/codes.js';
import { globsIntersect, normalizeGlob, parseGlob, type ParsedGlob } from './glob.js';
import {
  actionLetsCallProceed, actionSeverity, FS_ALIASES, FS_RIGHTS, IR_ARCHES, IR_VERSION, ISOLATION_LEVELS, PARAM_TYPES,
  type Arch, type Effect, type FsRight, type IrAction, type IrAssertion, type IrDesktop, type IrFsRule,
  type IrHost, type IrLimits, type IrNetRule, type IrNetTarget, type IrParam, type IrProcess,
  type IrSyscallRule, type IrTarget, type Isolation, type NetOperation, type Origin, type ParamConstraint,
  type ParamType, type PolicyIR, type PortRange, type Protocol, type TargetSettingValue,
} from './ir.js';
import type { Program } from './load.js';
import { CAPABILITIES } from './capabilities.js';
import { conditionTruth, lowerCondition, type ConditionWarning } from './conditions.js';
import { originSpan } from './origin.js';
import { didYouMeanHelp } from './suggest.js';
import { ERRNO_NAMES, GROUP_NAMES, expandGroup, isSyscallGroup, syscallNames, syscallNumber } from './syscalls/index.js';
import { countOf, durationOf, integerOf, parseHost, parseIpv4, parseIpv6, sizeOf } from './values.js';

export interface CheckOptions {
  /** Concrete param values (from --param), as text. */
  params?: Readonly<Record<string, string>>;
  /** Report params without a value or default (mxcc run needs every value). */
  requireParams?: boolean;
  /** Reuse policies that checked clean in an earlier program of the same run (checkFiles). */
  cache?: CheckCache;
}

/**
 * Policies that checked clean (no diagnostic at all), by declaration. `mxcc check` on a corpus
 * loads the shared std bases once per file; their declarations are the same objects (the parse
 * cache), so a base is checked and flattened once. A cached policy is reused only where every
 * policy its result depends on resolves to the same declaration under the same IR file name.
 */
export type CheckCache = Map<A.PolicyDecl, CleanPolicy>;

interface CleanPolicy {
  own: OwnPolicy;
  ir: PolicyIR;
  /** The policy and its ancestors: name, declaration, IR name of the declaring file. */
  deps: { name: string; decl: A.PolicyDecl; irName: string }[];
}

export const DEFAULT_SYSCALL_ACTION: IrAction = { kind: 'errno', errno: 1 };
/**
 * The action of a deny written without one when the section default lets calls proceed:
 * taking that default would turn the deny into an allow (or a log), so it blocks instead.
 */
export const BLOCKING_DENY_ACTION: IrAction = { kind: 'errno', errno: 1 };
export const TARGET_NAMES = ['linux', 'oci', 'k8s', 'macos', 'appcontainer', 'microvm', 'mxc'] as const;

type SettingKind = 'count' | 'size' | 'duration' | 'bool' | 'string' | 'strings' | 'words' | { oneOf: readonly string[] };
interface SettingSpec {
  kind: SettingKind;
  modifier?: readonly string[];
  help: string;
  /** Lists that may be written over several lines; the values accumulate. */
  repeatable?: boolean;
}

const PROCESS_SETTINGS: Record<string, SettingSpec> = {
  max_processes: { kind: 'count', help: 'max_processes 256' },
  env: { kind: 'strings', modifier: ['allow'], help: 'env allow "PATH", "HOME"', repeatable: true },
  capabilities: { kind: 'words', help: 'capabilities none, or capabilities CAP_NET_BIND_SERVICE' },
};
const LIMIT_SETTINGS: Record<string, SettingSpec> = {
  memory: { kind: 'size', help: 'memory 2GiB' },
  cpu: { kind: 'count', help: 'cpu 2' },
  files: { kind: 'count', help: 'files 1024' },
  wall: { kind: 'duration', help: 'wall 30m' },
  cpu_time: { kind: 'duration', help: 'cpu_time 10m' },
  file_size: { kind: 'size', help: 'file_size 1GiB' },
  stack: { kind: 'size', help: 'stack 8MiB' },
};
const DESKTOP_SETTINGS: Record<string, SettingSpec> = {
  clipboard: { kind: { oneOf: ['none', 'read', 'write', 'readwrite'] }, help: 'clipboard none' },
  windows: { kind: 'bool', help: 'windows false' },
  input_injection: { kind: 'bool', help: 'input_injection false' },
  screen_capture: { kind: 'bool', help: 'screen_capture false' },
};
const ACCEPT: SettingSpec = { kind: 'strings', modifier: ['weaker'], help: 'accept weaker "**/.env"', repeatable: true };
const TARGET_SETTINGS: Record<(typeof TARGET_NAMES)[number], Record<string, SettingSpec>> = {
  linux: {
    accept: ACCEPT,
    landlock_min_abi: { kind: 'count', help: 'landlock_min_abi 4' },
    arch: { kind: 'words', help: 'arch x86_64, aarch64' },
    best_effort: { kind: 'strings', help: 'best_effort "landlock.truncate"' },
  },
  oci: { accept: ACCEPT, arch: { kind: 'words', help: 'arch x86_64, aarch64' } },
  k8s: {
    accept: ACCEPT,
    kind: { kind: { oneOf: ['pod', 'sandbox'] }, help: 'kind "sandbox"' },
    namespace: { kind: 'string', help: 'namespace "agents"' },
    runtime_class: { kind: 'string', help: 'runtime_class "gvisor"' },
    image: { kind: 'string', help: 'image "ghcr.io/org/agent:1.0"' },
  },
  macos: { accept: ACCEPT },
  appcontainer: { accept: ACCEPT, lpac: { kind: 'bool', help: 'lpac true' } },
  microvm: {
    accept: ACCEPT,
    vmm: { kind: { oneOf: ['firecracker', 'cloud-hypervisor'] }, help: 'vmm "firecracker"' },
    vcpus: { kind: 'count', help: 'vcpus 2' },
    kernel: { kind: 'string', help: 'kernel "/var/lib/vm/vmlinux"' },
    rootfs: { kind: 'string', help: 'rootfs "/var/lib/vm/rootfs.ext4"' },
  },
  mxc: { accept: ACCEPT, backend: { kind: 'string', help: 'backend "auto"' } },
};

const ACTION_NAMES = ['allow', 'errno', 'kill_process', 'kill_thread', 'trap', 'log'] as const;
const ISOLATION_RANK: Record<Isolation, number> = { process: 0, session: 1, container: 2, microvm: 3 };

/** Everything a policy declares itself, before inheritance. */
interface OwnPolicy {
  decl: A.PolicyDecl;
  file: string;
  params: IrParam[];
  fs: IrFsRule[];
  net: IrNetRule[];
  syscalls: Record<Arch, IrSyscallRule[]>;
  defaultAction?: { action: IrAction; span: Span };
  isolation?: Isolation;
  description?: string;
  process: Partial<IrProcess>;
  limits: Partial<IrLimits>;
  desktop: Partial<IrDesktop>;
  assertions: IrAssertion[];
  targets: Record<string, IrTarget>;
}

export interface CheckResult {
  /** IR of every policy that checked clean, by name. */
  policies: Map<string, PolicyIR>;
  /** Names of the policies declared in the entry file, in order. */
  entryPolicies: string[];
  diagnostics: Diagnostic[];
}

export function checkProgram(program: Program, options: CheckOptions = {}): CheckResult {
  const checker = new Checker(program, options);
  return checker.run();
}

class Checker {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly declared = new Map<string, { decl: A.PolicyDecl; file: string }>();
  private readonly own = new Map<string, OwnPolicy>();
  private readonly irNames = new Map<string, string>();
  private readonly flat = new Map<string, PolicyIR | null>();
  private readonly failed = new Set<string>();
  /** Diagnostics reported while checking each policy (by this.current), for the cache. */
  private readonly reportedFor = new Map<string, number>();
  /** Which policy a rule id originated in, for inheritance checks. */
  private current = '';
  private errorCount = 0;

  constructor(private readonly program: Program, private readonly options: CheckOptions) {
    for (const f of program.files.values()) this.irNames.set(f.display, f.irName);
  }

  /** Policies whose result may be cached: clean ones, with every ancestor clean. */
  private remember(cache: CheckCache): void {
    const deps = (name: string, seen: Set<string>): CleanPolicy['deps'] | undefined => {
      if (seen.has(name)) return undefined;
      seen.add(name);
      const d = this.declared.get(name);
      const own = this.own.get(name);
      const ir = this.flat.get(name);
      if (!d || !own || !ir || this.failed.has(name) || (this.reportedFor.get(name) ?? 0) > 0) return undefined;
      const out = [{ name, decl: d.decl, irName: this.irNames.get(d.file) ?? d.file }];
      for (const p of d.decl.extends) {
        const more = deps(p.name, seen);
        if (!more) return undefined;
        out.push(...more);
      }
      return out;
    };
    for (const [name, { decl }] of this.declared) {
      if (!this.reportedFor.has(name) || cache.has(decl)) continue;
      const found = deps(name, new Set());
      if (found) cache.set(decl, { own: this.own.get(name)!, ir: this.flat.get(name)!, deps: found });
    }
  }

  private report(code: Code, message: string, span: Span | undefined, help?: string, related?: RelatedSpan[]): void {
    this.reportedFor.set(this.current, (this.reportedFor.get(this.current) ?? 0) + 1);
    const d = diagnostic(code, message, { span, help, related });
    if (d.severity === 'error') {
      this.errorCount++;
      this.failed.add(this.current);
    }
    this.diagnostics.push(d);
  }

  run(): CheckResult {
    const entry = this.program.files.get(this.program.entry);
    const entryPolicies = entry?.document?.policies.map((p) => p.name.name) ?? [];
    // Declarations from every file, entry first for stable duplicate reporting.
    const files = [...this.program.files.values()].sort((a, b) => (a.absPath === this.program.entry ? -1 : b.absPath === this.program.entry ? 1 : a.display < b.display ? -1 : 1));
    for (const f of files) {
      for (const p of f.document?.policies ?? []) {
        const prev = this.declared.get(p.name.name);
        if (prev) {
          this.current = p.name.name;
          this.report('MXC1306', `policy ${p.name.name} is declared twice`, p.name.span, 'rename one of them', [{ span: prev.decl.name.span, message: 'first declared here' }]);
          continue;
        }
        this.declared.set(p.name.name, { decl: p, file: f.display });
      }
    }
    const cache = this.options.params === undefined && !this.options.requireParams ? this.options.cache : undefined;
    for (const [name, { decl, file }] of this.declared) {
      this.current = name;
      const clean = cache?.get(decl);
      if (clean && clean.deps.every((d) => this.declared.get(d.name)?.decl === d.decl && this.irNames.get(this.declared.get(d.name)!.file) === d.irName)) {
        this.own.set(name, clean.own);
        this.flat.set(name, clean.ir);
        continue;
      }
      this.reportedFor.set(name, 0);
      this.own.set(name, this.checkOwn(decl, file));
    }
    const policies = new Map<string, PolicyIR>();
    for (const name of this.declared.keys()) {
      const ir = this.flatten(name, []);
      if (ir && !this.failed.has(name)) policies.set(name, ir);
    }
    if (cache) this.remember(cache);
    if (this.options.params) this.checkGivenParams(entryPolicies);
    return { policies, entryPolicies, diagnostics: this.diagnostics };
  }

  private origin(span: Span): Origin {
    return {
      file: this.irNames.get(span.file) ?? span.file,
      line: span.line,
      column: span.column,
      endLine: span.endLine,
      endColumn: span.endColumn,
      policy: this.current,
    };
  }

  // -------------------------------------------------------------------------
  // One policy's own declarations

  private checkOwn(decl: A.PolicyDecl, file: string): OwnPolicy {
    const own: OwnPolicy = {
      decl,
      file,
      params: [],
      fs: [],
      net: [],
      syscalls: { x86_64: [], aarch64: [] },
      process: {},
      limits: {},
      desktop: {},
      assertions: [],
      targets: {},
    };
    const seenSingle = new Map<string, Span>();
    const once = (what: string, span: Span, help = `keep one ${what}`): boolean => {
      const prev = seenSingle.get(what);
      if (prev) {
        this.report('MXC1106', `${what} is declared twice in policy ${decl.name.name}`, span, help, [{ span: prev, message: 'first declared here' }]);
        return false;
      }
      seenSingle.set(what, span);
      return true;
    };
    // Params first: rules refer to them.
    for (const m of decl.members) if (m.kind === 'Param') this.checkParam(m, own);
    for (const m of decl.members) {
      switch (m.kind) {
        case 'Description':
          if (once('description', m.span)) own.description = m.text.value;
          break;
        case 'Isolation': {
          if (!once('isolation', m.span)) break;
          const level = m.level.name as Isolation;
          if (!ISOLATION_LEVELS.includes(level)) {
            this.report('MXC1116', `unknown isolation level "${m.level.name}"`, m.level.span, didYouMeanHelp(m.level.name, ISOLATION_LEVELS) ?? `use one of ${ISOLATION_LEVELS.join(', ')}`);
          } else own.isolation = level;
          break;
        }
        case 'Param':
          break;
        case 'Fs':
          for (const r of m.rules) this.checkFsRule(r, own);
          break;
        case 'Net':
          for (const r of m.rules) this.checkNetRule(r, own);
          break;
        case 'Syscalls':
          for (const s of m.statements) this.checkSyscallStatement(s, own);
          break;
        case 'Settings': {
          // Blocks of one kind add up; a key set in two of them would silently replace what a
          // reader saw in the first (env allow, repeatable, adds up too).
          const keys = new Set<string>();
          const repeated = new Set<A.Setting>();
          for (const x of m.settings) {
            const key = `${m.section} ${x.key.name}`;
            if (x.key.name === 'env' || keys.has(key)) continue; // twice in one block: settingsTable says so
            keys.add(key);
            if (!once(key, x.key.span, 'set it in one place')) repeated.add(x);
          }
          this.checkSettings(repeated.size ? { ...m, settings: m.settings.filter((x) => !repeated.has(x)) } : m, own);
          break;
        }
        case 'Assert':
          this.checkAssert(m, own);
          break;
        case 'Target':
          this.checkTarget(m, own);
          break;
      }
    }
    return own;
  }

  private checkParam(p: A.ParamDecl, own: OwnPolicy): void {
    const name = p.name.name;
    if (own.params.some((q) => q.name === name)) {
      this.report('MXC1202', `parameter ${name} is declared twice`, p.name.span, 'remove one declaration');
      return;
    }
    const type = p.type.name as ParamType;
    if (!PARAM_TYPES.includes(type)) {
      this.report('MXC1205', `unknown parameter type "${p.type.name}"`, p.type.span, didYouMeanHelp(p.type.name, PARAM_TYPES) ?? `use one of ${PARAM_TYPES.join(', ')}`);
      return;
    }
    const param: IrParam = { name, type, constraints: [], origin: this.origin(p.span) };
    for (const c of p.constraints) {
      const k = this.checkConstraint(c, type);
      if (k) param.constraints.push(k);
    }
    if (p.default) {
      const v = this.paramValueFromAst(p.default, type);
      if (v !== undefined) {
        const violated = violatedConstraint(param, v);
        if (violated) this.report('MXC1207', `default ${JSON.stringify(v)} violates the constraint ${violated}`, p.default.span);
        else param.default = v;
      }
    }
    own.params.push(param);
  }

  private checkConstraint(c: A.ParamConstraint, type: ParamType): ParamConstraint | undefined {
    const rel = c.relation.name;
    const strings = (): string[] | undefined => {
      const out: string[] = [];
      for (const v of c.values) {
        if (v.kind !== 'String') {
          this.report('MXC1206', `"${rel}" takes strings`, v.span);
          return undefined;
        }
        out.push(v.value);
      }
      return out;
    };
    if (rel === 'under' && type === 'path') {
      const paths = strings()?.map((s) => this.absoluteDir(s, c.span));
      if (!paths || paths.some((x) => x === undefined)) return undefined;
      return c.negated ? { kind: 'not_under', paths: paths as string[] } : { kind: 'under', paths: paths as string[] };
    }
    if (rel === 'one_of' && (type === 'string' || type === 'host') && !c.negated) {
      const values = strings();
      return values ? { kind: 'one_of', values } : undefined;
    }
    if ((rel === 'min' || rel === 'max') && (type === 'int' || type === 'port') && !c.negated && c.values.length === 1) {
      const v = c.values[0]!;
      const n = v.kind === 'Number' ? integerOf(v) : undefined;
      if (!n || 'error' in n) {
        this.report('MXC1206', `"${rel}" takes one integer`, v.span);
        return undefined;
      }
      return { kind: rel, value: Number(n.value) };
    }
    const allowed = type === 'path' ? 'under / not under' : type === 'int' || type === 'port' ? 'min / max' : type === 'string' || type === 'host' ? 'one_of' : 'none';
    this.report('MXC1206', `invalid constraint "${c.negated ? 'not ' : ''}${rel}" for a ${type} param`, c.relation.span, `${type} params take: ${allowed}`);
    return undefined;
  }

  private absoluteDir(s: string, span: Span): string | undefined {
    if (!s.startsWith('/') || /[*?[\]{}]/.test(s) || s.split('/').some((p) => p === '.' || p === '..')) {
      this.report('MXC1206', `"${s}" is not an absolute directory`, span, 'write a normalized absolute path without globs');
      return undefined;
    }
    return normalizeDir(s);
  }

  private paramValueFromAst(v: A.Value, type: ParamType): string | undefined {
    const text = v.kind === 'String' ? v.value : v.kind === 'Identifier' ? v.name : (v.negative ? '-' : '') + v.digits + (v.unit ?? '');
    const expectedKind = type === 'int' || type === 'port' ? 'Number' : type === 'bool' ? 'Identifier' : 'String';
    if (v.kind !== expectedKind) {
      this.report('MXC1203', `the default of a ${type} param must be ${type === 'bool' ? 'true or false' : expectedKind === 'Number' ? 'a number' : 'a string'}`, v.span);
      return undefined;
    }
    const r = parseParamValue(type, text);
    if ('error' in r) {
      this.report('MXC1203', r.error, v.span);
      return undefined;
    }
    return r.value;
  }

  // -------------------------------------------------------------------------
  // fs

  private accessRights(words: A.Identifier[]): FsRight[] | undefined {
    const rights = new Set<FsRight>();
    let ok = true;
    for (const w of words) {
      const alias = FS_ALIASES[w.name];
      if (alias) alias.forEach((r) => rights.add(r));
      else if ((FS_RIGHTS as readonly string[]).includes(w.name)) rights.add(w.name as FsRight);
      else {
        ok = false;
        const candidates = [...FS_RIGHTS, ...Object.keys(FS_ALIASES)];
        const isNet = ['connect', 'bind', 'resolve'].includes(w.name);
        this.report('MXC1104', `unknown access right "${w.name}"`, w.span, isNet ? 'network rules belong in the net section' : didYouMeanHelp(w.name, candidates) ?? `use ${candidates.join(', ')}`);
      }
    }
    return ok ? FS_RIGHTS.filter((r) => rights.has(r)) : undefined;
  }

  private pathPatterns(lits: A.StringLiteral[], own: OwnPolicy): string[] | undefined {
    const out: string[] = [];
    let ok = true;
    for (const lit of lits) {
      const r = normalizeGlob(lit.value);
      if ('error' in r) {
        ok = false;
        const e = r.error;
        this.report(e.code, e.message, e.length === 0 ? lit.span : subSpanOf(lit, e.at, e.length), e.help);
        continue;
      }
      for (const p of r.patterns) {
        const g = parseGlob(p);
        if (g.root !== undefined && !this.checkPathParam(g.root, lit, own)) ok = false;
        out.push(p);
      }
    }
    return ok ? [...new Set(out)] : undefined;
  }

  private checkPathParam(name: string, lit: A.StringLiteral, own: OwnPolicy): boolean {
    const all = this.visibleParams(own);
    const p = all.find((q) => q.name === name);
    if (!p) {
      const tilde = lit.value.startsWith('~');
      this.report('MXC1201', tilde ? '"~" needs a path param named home' : `unknown parameter \${${name}}`, subSpanOf(lit, 0, tilde ? 1 : name.length + 3),
        tilde ? 'declare: param home: path = "/home/agent"' : didYouMeanHelp(name, all.map((q) => q.name)) ?? 'declare it with: param ' + name + ': path');
      return false;
    }
    if (p.type !== 'path') {
      this.report('MXC1203', `parameter ${name} is a ${p.type}, not a path`, subSpanOf(lit, 0, name.length + 3), 'only path params can start a path pattern');
      return false;
    }
    return true;
  }

  /** Params of this policy and its ancestors (ancestors are checked already or reported separately). */
  private visibleParams(own: OwnPolicy): IrParam[] {
    const out = [...own.params];
    const seen = new Set<string>([own.decl.name.name]);
    const walk = (decl: A.PolicyDecl): void => {
      for (const parent of decl.extends) {
        if (seen.has(parent.name)) continue;
        seen.add(parent.name);
        const d = this.declared.get(parent.name);
        if (!d) continue;
        for (const m of d.decl.members) {
          if (m.kind === 'Param' && !out.some((q) => q.name === m.name.name)) {
            out.push({ name: m.name.name, type: m.type.name as ParamType, constraints: [], origin: this.origin(m.span) });
          }
        }
        walk(d.decl);
      }
    };
    walk(own.decl);
    return out;
  }

  private checkFsRule(r: A.FsRule, own: OwnPolicy): void {
    const access = this.accessRights(r.access);
    const paths = this.pathPatterns(r.paths, own);
    const except = this.pathPatterns(r.except, own);
    if (!access || !paths || !except) return;
    own.fs.push({ id: '', effect: r.effect, access, paths, except, origin: this.origin(r.span) });
  }

  // -------------------------------------------------------------------------
  // net

  private netTargets(targets: A.NetTarget[], operation: NetOperation): IrNetTarget[] | undefined {
    const out: IrNetTarget[] = [];
    let ok = true;
    for (const t of targets) {
      let host: IrHost;
      if (t.host.kind === 'Any') host = { kind: 'any' };
      else {
        if (t.host.value.includes('${')) {
          this.report('MXC1203', 'params cannot be used in hosts yet', t.host.span, 'write the host name literally');
          ok = false;
          continue;
        }
        const h = parseHost(t.host.value);
        if ('error' in h) {
          this.report(h.code, h.error, t.host.span, h.help);
          ok = false;
          continue;
        }
        host = h.host;
      }
      let ports: PortRange[] = [{ from: 0, to: 65535 }];
      if (operation === 'resolve') {
        ports = [];
        if (t.port) {
          this.report('MXC1109', 'resolve takes host names without ports', t.port.span, 'write: allow resolve "example.com"');
          ok = false;
        }
        if (host.kind === 'cidr') {
          this.report('MXC1107', 'resolve takes host names, not addresses', t.host.span);
          ok = false;
        }
      } else if (t.port && t.port.from.kind === 'Number') {
        const from = this.port(t.port.from);
        const to = t.port.to ? this.port(t.port.to) : from;
        if (from === undefined || to === undefined) {
          ok = false;
          continue;
        }
        if (to < from) {
          this.report('MXC1109', `port range ${from}-${to} is reversed`, t.port.span, `write ${to}-${from}`);
          ok = false;
          continue;
        }
        ports = [{ from, to }];
      }
      out.push({ host, ports });
    }
    return ok ? out : undefined;
  }

  private port(n: A.NumberLiteral): number | undefined {
    const v = integerOf(n);
    if ('error' in v || v.value < 0n || v.value > 65535n) {
      this.report('MXC1109', `port ${n.negative ? '-' : ''}${n.digits}${n.unit ?? ''} is out of range`, n.span, 'ports go from 0 to 65535');
      return undefined;
    }
    return Number(v.value);
  }

  private netOperation(op: A.Identifier, protocol: A.Identifier | A.AnyLiteral | undefined): { operation: NetOperation; protocols: Protocol[] } | undefined {
    const ops = ['connect', 'bind', 'resolve'];
    if (!ops.includes(op.name)) {
      const isFs = (FS_RIGHTS as readonly string[]).includes(op.name) || op.name in FS_ALIASES;
      this.report('MXC1110', `unknown network operation "${op.name}"`, op.span, isFs ? 'file access rules belong in the fs section' : didYouMeanHelp(op.name, ops) ?? 'use connect, bind or resolve');
      return undefined;
    }
    const operation = op.name as NetOperation;
    if (operation === 'resolve') {
      if (protocol) {
        this.report('MXC1110', 'resolve takes no protocol', protocol.span, 'write: allow resolve "example.com"');
        return undefined;
      }
      return { operation, protocols: [] };
    }
    if (!protocol) {
      this.report('MXC1110', `${operation} needs a protocol`, op.span, `write: ${operation} tcp "host":port (tcp, udp or any)`);
      return undefined;
    }
    if (protocol.kind === 'Any') return { operation, protocols: ['tcp', 'udp'] };
    if (protocol.name !== 'tcp' && protocol.name !== 'udp') {
      this.report('MXC1110', `unknown protocol "${protocol.name}"`, protocol.span, didYouMeanHelp(protocol.name, ['tcp', 'udp']) ?? 'use tcp, udp or any');
      return undefined;
    }
    return { operation, protocols: [protocol.name] };
  }

  private checkNetRule(r: A.NetRule, own: OwnPolicy): void {
    const op = this.netOperation(r.operation, r.protocol);
    if (!op) return;
    const targets = this.netTargets(r.targets, op.operation);
    const except = this.netTargets(r.except, op.operation);
    if (!targets || !except) return;
    own.net.push({ id: '', effect: r.effect, operation: op.operation, protocols: op.protocols, targets, except, origin: this.origin(r.span) });
  }

  // -------------------------------------------------------------------------
  // syscalls

  private action(a: A.Action, context: 'default' | 'deny'): IrAction | undefined {
    const name = a.name.name;
    if (!(ACTION_NAMES as readonly string[]).includes(name)) {
      this.report('MXC1111', `unknown action "${name}"`, a.name.span, didYouMeanHelp(name, ACTION_NAMES) ?? `use ${ACTION_NAMES.join(', ')}`);
      return undefined;
    }
    if (name !== 'errno' && a.argument) {
      this.report('MXC1111', `${name} takes no argument`, a.argument.span);
      return undefined;
    }
    switch (name) {
      case 'allow':
        if (context === 'deny') {
          this.report('MXC1404', 'a deny rule cannot have the action allow', a.span, 'remove the deny rule, or use log to let the call through and record it');
          return undefined;
        }
        return { kind: 'allow' };
      case 'log':
        return { kind: 'log' };
      case 'trap':
        return { kind: 'trap' };
      case 'kill_thread':
        return { kind: 'kill_thread' };
      case 'kill_process':
        return { kind: 'kill_process' };
      default: {
        if (!a.argument) {
          this.report('MXC1111', 'errno needs an error number', a.span, 'write errno(EPERM)');
          return undefined;
        }
        let errno: number | undefined;
        if (a.argument.kind === 'Identifier') {
          errno = ERRNO_NAMES[a.argument.name];
          if (errno === undefined) {
            this.report('MXC1112', `unknown errno ${a.argument.name}`, a.argument.span, didYouMeanHelp(a.argument.name, Object.keys(ERRNO_NAMES)) ?? 'use a name like EPERM or a number');
            return undefined;
          }
        } else {
          const v = integerOf(a.argument);
          if ('error' in v || v.value < 1n || v.value > 4095n) {
            this.report('MXC1112', `errno ${a.argument.negative ? '-' : ''}${a.argument.digits} is out of range`, a.argument.span, 'errno values go from 1 to 4095');
            return undefined;
          }
          errno = Number(v.value);
        }
        return { kind: 'errno', errno };
      }
    }
  }

  private checkSyscallStatement(s: A.SyscallStatement, own: OwnPolicy): void {
    if (s.kind === 'SyscallDefault') {
      if (own.defaultAction) {
        this.report('MXC1106', 'the default action is declared twice', s.span, 'keep one default', [{ span: own.defaultAction.span, message: 'first declared here' }]);
        return;
      }
      const a = this.action(s.action, 'default');
      if (a) own.defaultAction = { action: a, span: s.span };
      return;
    }
    let action: IrAction | undefined;
    if (s.action) {
      if (s.effect === 'allow') {
        this.report('MXC1404', 'an allow rule takes no action', s.action.span, 'actions belong to deny rules and to default');
        return;
      }
      action = this.action(s.action, 'deny');
      if (!action) return;
    }
    for (const t of s.targets) {
      if (t.kind === 'GroupRef') {
        if (!isSyscallGroup('@' + t.name)) {
          this.report('MXC1115', `unknown syscall group @${t.name}`, t.span, didYouMeanHelp('@' + t.name, GROUP_NAMES) ?? 'see docs/syscall-groups.md');
          continue;
        }
        for (const arch of IR_ARCHES) {
          for (const name of expandGroup('@' + t.name, arch)) this.pushSyscall(own, arch, s.effect, name, null, action, t.span);
        }
        continue;
      }
      const name = t.name.name;
      const present = IR_ARCHES.filter((arch) => syscallNumber(name, arch) !== undefined);
      if (present.length === 0) {
        if (!t.optional) {
          const all = new Set([...syscallNames('x86_64'), ...syscallNames('aarch64')]);
          this.report('MXC1101', `unknown syscall "${name}"`, t.name.span, didYouMeanHelp(name, all) ?? 'write ?name for a syscall that may not exist on every kernel');
        }
        continue;
      }
      if (present.length < IR_ARCHES.length && !t.optional) {
        const missing = IR_ARCHES.filter((a) => !present.includes(a));
        this.report('MXC1120', `syscall ${name} does not exist on ${missing.join(', ')}`, t.name.span, `write ?${name} to mark it optional`);
      }
      const warnings = new Map<string, { warning: ConditionWarning; arches: Arch[] }>();
      const truths = new Map<Arch, boolean | undefined>();
      let lowered = true;
      for (const arch of present) {
        let when: IrSyscallRule['when'] = null;
        if (t.condition) {
          const l = lowerCondition(t.condition, name, arch);
          if ('problems' in l) {
            // Report once, not per architecture.
            for (const p of l.problems) {
              if (!this.diagnostics.some((d) => d.code === p.code && d.span?.offset === p.span.offset)) this.report(p.code, p.message, p.span, p.help);
              else this.failed.add(this.current);
            }
            lowered = false;
            break;
          }
          when = l.dnf;
          truths.set(arch, conditionTruth(l.dnf));
          for (const w of l.warnings) {
            const key = `${w.code}@${w.span.offset}`;
            const seen = warnings.get(key);
            if (seen) seen.arches.push(arch);
            else warnings.set(key, { warning: w, arches: [arch] });
          }
        }
        this.pushSyscall(own, arch, s.effect, name, when, action, t.span);
      }
      if (lowered) this.reportConditionWarnings([...warnings.values()], truths, present.length, s.effect, name);
    }
  }

  /**
   * MXC1405/MXC1406, once for all architectures (naming them when not all), and for a constant
   * comparison what it makes of the rule when the whole condition is constant: a deny that
   * denies nothing is a policy that does not say what its author believes.
   */
  private reportConditionWarnings(found: { warning: ConditionWarning; arches: Arch[] }[], truths: Map<Arch, boolean | undefined>, archCount: number, effect: Effect, syscall: string): void {
    for (const { warning: w, arches } of found) {
      let message = w.subject + (arches.length < archCount ? ` on ${arches.join(', ')}` : '') + ': ' + w.reason;
      const whole = new Set(arches.map((a) => truths.get(a)));
      const truth = whole.size === 1 ? [...whole][0] : undefined;
      if (w.code === 'MXC1405' && truth !== undefined) {
        message += truth
          ? `; the whole condition always holds, so this ${effect} applies to every ${syscall} call`
          : `; the whole condition never holds, so this ${effect} ${effect === 'deny' ? 'denies' : 'allows'} nothing`;
      }
      this.report(w.code, message, w.span, w.help);
    }
  }

  private pushSyscall(own: OwnPolicy, arch: Arch, effect: Effect, name: string, when: IrSyscallRule['when'], action: IrAction | undefined, span: Span): void {
    const nr = syscallNumber(name, arch);
    if (nr === undefined) return;
    const rule: IrSyscallRule = { id: '', effect, syscall: name, nr, when, origin: this.origin(span) };
    if (action) rule.action = action;
    own.syscalls[arch].push(rule);
  }

  // -------------------------------------------------------------------------
  // settings

  private settingValue(s: A.Setting, spec: SettingSpec, context: string): TargetSettingValue | undefined {
    const bad = (msg: string, span = s.span): undefined => {
      this.report('MXC1118', msg, span, `example: ${spec.help}`);
      return undefined;
    };
    const mod = s.modifier?.name;
    if (spec.modifier) {
      if (!mod || !spec.modifier.includes(mod)) return bad(`${context} ${s.key.name} needs "${spec.modifier[0]}"`);
    } else if (mod) return bad(`unexpected "${mod}" after ${s.key.name}`, s.modifier!.span);
    const one = (): A.Value | undefined => {
      if (s.values.length !== 1) return bad(`${s.key.name} takes one value`);
      return s.values[0];
    };
    const kind = spec.kind;
    if (kind === 'strings') {
      const out: string[] = [];
      for (const v of s.values) {
        if (v.kind !== 'String') return bad(`${s.key.name} takes strings`, v.span);
        out.push(v.value);
      }
      return out;
    }
    if (kind === 'words') {
      const out: string[] = [];
      for (const v of s.values) {
        if (v.kind !== 'Identifier') return bad(`${s.key.name} takes names`, v.span);
        out.push(v.name);
      }
      return out;
    }
    const v = one();
    if (!v) return undefined;
    if (kind === 'bool') {
      if (v.kind !== 'Identifier' || (v.name !== 'true' && v.name !== 'false')) return bad(`${s.key.name} takes true or false`, v.span);
      return v.name === 'true';
    }
    if (kind === 'string') {
      if (v.kind !== 'String') return bad(`${s.key.name} takes a string`, v.span);
      return v.value;
    }
    if (typeof kind === 'object') {
      const text = v.kind === 'String' ? v.value : v.kind === 'Identifier' ? v.name : undefined;
      if (text === undefined || !kind.oneOf.includes(text)) return bad(`${s.key.name} takes ${kind.oneOf.join(', ')}`, v.span);
      return text;
    }
    if (v.kind !== 'Number') return bad(`${s.key.name} takes a number`, v.span);
    const r = kind === 'count' ? countOf(v) : kind === 'size' ? sizeOf(v) : durationOf(v);
    if ('error' in r) return bad(`${s.key.name}: ${r.error}`, v.span);
    return r.value;
  }

  private settingsTable(settings: A.Setting[], specs: Record<string, SettingSpec>, context: string): Map<string, TargetSettingValue> {
    const out = new Map<string, TargetSettingValue>();
    const spans = new Map<string, Span>();
    for (const s of settings) {
      const spec = specs[s.key.name];
      if (!spec) {
        this.report('MXC1105', `unknown ${context} setting "${s.key.name}"`, s.key.span, didYouMeanHelp(s.key.name, Object.keys(specs)) ?? `${context} settings: ${Object.keys(specs).join(', ')}`);
        continue;
      }
      const prev = spans.get(s.key.name);
      if (prev && !spec.repeatable) {
        this.report('MXC1106', `${s.key.name} is set twice`, s.key.span, 'keep one', [{ span: prev, message: 'first set here' }]);
        continue;
      }
      spans.set(s.key.name, s.span);
      const v = this.settingValue(s, spec, context);
      const before = out.get(s.key.name);
      if (v !== undefined) out.set(s.key.name, Array.isArray(before) && Array.isArray(v) ? [...before, ...v] : v);
    }
    return out;
  }

  private checkSettings(m: A.SettingsSection, own: OwnPolicy): void {
    if (m.section === 'process') {
      const t = this.settingsTable(m.settings, PROCESS_SETTINGS, 'process');
      if (t.has('max_processes')) own.process.maxProcesses = t.get('max_processes') as number;
      // Values are reported where they are written.
      const valueSpan = (key: string, text: string): Span =>
        m.settings.filter((x) => x.key.name === key).flatMap((x) => x.values).find((v) => (v.kind === 'Identifier' ? v.name : v.kind === 'String' ? v.value : undefined) === text)?.span ?? m.span;
      if (t.has('env')) {
        const names = t.get('env') as string[];
        // A variable name: what a shell can export. "A=B" or "" would pass nothing, or not what it says.
        const bad = names.find((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
        if (bad !== undefined) this.report('MXC1118', `${JSON.stringify(bad)} is not an environment variable name`, valueSpan('env', bad), 'names are letters, digits and _, not starting with a digit: env allow "PATH", "HOME"');
        own.process.envAllow = [...(own.process.envAllow ?? []), ...names];
      }
      if (t.has('capabilities')) {
        const caps = t.get('capabilities') as string[];
        const list = caps.filter((c) => c !== 'none');
        const bad = list.find((c) => !(c in CAPABILITIES));
        if (bad) this.report('MXC1118', `"${bad}" is not a Linux capability`, valueSpan('capabilities', bad), didYouMeanHelp(bad, Object.keys(CAPABILITIES)) ?? 'write capabilities none, or names like CAP_NET_BIND_SERVICE');
        else if (list.length > 0 && caps.includes('none')) this.report('MXC1118', `capabilities none cannot be combined with ${list.join(', ')}`, valueSpan('capabilities', 'none'), `write capabilities none to keep none, or capabilities ${list.join(', ')}`);
        own.process.capabilities = list;
      }
    } else if (m.section === 'limits') {
      const t = this.settingsTable(m.settings, LIMIT_SETTINGS, 'limits');
      const map: Record<string, keyof IrLimits> = {
        memory: 'memoryBytes', cpu: 'cpus', files: 'openFiles', wall: 'wallSeconds', cpu_time: 'cpuSeconds', file_size: 'fileSizeBytes', stack: 'stackBytes',
      };
      for (const [k, v] of t) own.limits[map[k]!] = v as number;
    } else {
      const t = this.settingsTable(m.settings, DESKTOP_SETTINGS, 'desktop');
      if (t.has('clipboard')) own.desktop.clipboard = t.get('clipboard') as IrDesktop['clipboard'];
      if (t.has('windows')) own.desktop.windows = t.get('windows') as boolean;
      if (t.has('input_injection')) own.desktop.inputInjection = t.get('input_injection') as boolean;
      if (t.has('screen_capture')) own.desktop.screenCapture = t.get('screen_capture') as boolean;
    }
  }

  private checkTarget(m: A.TargetDecl, own: OwnPolicy): void {
    const name = m.name.name as (typeof TARGET_NAMES)[number];
    if (!TARGET_NAMES.includes(name)) {
      this.report('MXC1117', `unknown target "${m.name.name}"`, m.name.span, didYouMeanHelp(m.name.name, TARGET_NAMES) ?? `targets: ${TARGET_NAMES.join(', ')}`);
      return;
    }
    if (own.targets[name]) {
      this.report('MXC1106', `target ${name} is declared twice`, m.name.span, 'merge the two blocks');
      return;
    }
    const t = this.settingsTable(m.settings, TARGET_SETTINGS[name], `target ${name}`);
    const settings: Record<string, TargetSettingValue> = {};
    for (const [k, v] of [...t].sort(([a], [b]) => (a < b ? -1 : 1))) if (k !== 'accept') settings[k] = v;
    if (name === 'linux') {
      const abi = settings.landlock_min_abi;
      if (typeof abi === 'number' && (abi < 1 || abi > 7)) {
        const at = m.settings.find((x) => x.key.name === 'landlock_min_abi')?.span ?? m.span;
        this.report('MXC1118', `landlock_min_abi ${abi} is out of range: Landlock ABIs go from 1 to 7`, at, 'Landlock ABIs known to mxcc go from 1 to 7; a kernel below the minimum is refused by mxc-enforce');
      }
      const arch = settings.arch;
      if (Array.isArray(arch)) {
        for (const a of arch) if (!(IR_ARCHES as readonly string[]).includes(a)) this.report('MXC1118', `unknown architecture "${a}"`, m.span, `use ${IR_ARCHES.join(', ')}`);
      }
    }
    own.targets[name] = { acceptWeaker: (t.get('accept') as string[] | undefined) ?? [], settings };
  }

  // -------------------------------------------------------------------------
  // assertions

  private checkAssert(m: A.AssertDecl, own: OwnPolicy): void {
    const q = m.quantifier.name;
    if (q !== 'never' && q !== 'always') {
      this.report('MXC1122', `unknown assertion "${q}"`, m.quantifier.span, didYouMeanHelp(q, ['never', 'always']) ?? 'write assert never … or assert always …');
      return;
    }
    const r = m.request;
    let request: IrAssertion['request'] | undefined;
    if (r.kind === 'FsRequest') {
      const access = this.accessRights(r.access);
      const paths = this.pathPatterns(r.paths, own);
      if (access && paths) request = { kind: 'fs', access, paths };
    } else if (r.kind === 'NetRequest') {
      const op = this.netOperation(r.operation, r.protocol);
      const targets = op ? this.netTargets(r.targets, op.operation) : undefined;
      if (op && targets) request = { kind: 'net', operation: op.operation, protocols: op.protocols, targets };
    } else {
      const names = new Set<string>();
      let ok = true;
      for (const t of r.targets) {
        if (t.kind === 'GroupRef') {
          if (!isSyscallGroup('@' + t.name)) {
            this.report('MXC1115', `unknown syscall group @${t.name}`, t.span, didYouMeanHelp('@' + t.name, GROUP_NAMES));
            ok = false;
          } else for (const arch of IR_ARCHES) expandGroup('@' + t.name, arch).forEach((n) => names.add(n));
        } else if (t.condition) {
          this.report('MXC1122', 'syscall assertions cannot have conditions yet', t.condition.span, 'assert on the whole syscall');
          ok = false;
        } else if (!IR_ARCHES.some((a) => syscallNumber(t.name.name, a) !== undefined)) {
          if (!t.optional) {
            this.report('MXC1101', `unknown syscall "${t.name.name}"`, t.name.span, didYouMeanHelp(t.name.name, new Set([...syscallNames('x86_64'), ...syscallNames('aarch64')])));
            ok = false;
          }
        } else names.add(t.name.name);
      }
      if (ok) request = { kind: 'syscall', syscalls: [...names].sort() };
    }
    if (request) own.assertions.push({ id: '', quantifier: q, request, origin: this.origin(m.span) });
  }

  // -------------------------------------------------------------------------
  // inheritance

  private flatten(name: string, stack: string[]): PolicyIR | undefined {
    if (this.flat.has(name)) return this.flat.get(name) ?? undefined;
    const own = this.own.get(name);
    if (!own) return undefined;
    this.flat.set(name, null);
    const parents: PolicyIR[] = [];
    const previous = this.current;
    this.current = name;
    for (const p of own.decl.extends) {
      if (p.name === name || stack.includes(p.name)) {
        const chain = [...stack.slice(stack.indexOf(p.name)), name, p.name].join(' → ');
        this.report('MXC1304', `inheritance cycle ${p.name === name ? `${name} → ${name}` : chain}`, p.span, 'a policy cannot extend itself, directly or through others');
        continue;
      }
      if (!this.declared.has(p.name)) {
        this.report('MXC1303', `unknown policy ${p.name}`, p.span, didYouMeanHelp(p.name, this.declared.keys()) ?? 'import the file that declares it');
        continue;
      }
      const parent = this.flatten(p.name, [...stack, name]);
      this.current = name;
      if (!parent || this.failed.has(p.name)) {
        this.failed.add(name);
        continue;
      }
      parents.push(parent);
    }
    const ir = this.merge(own, parents);
    this.current = previous;
    this.flat.set(name, ir);
    return ir;
  }

  private merge(own: OwnPolicy, parents: PolicyIR[]): PolicyIR {
    const name = own.decl.name.name;
    // Parents in extends order, each contributing its whole flattened rule set; a rule
    // shared through two parents (diamond) is kept once.
    const uniq = <T extends { origin: Origin }>(lists: T[][]): T[] => {
      const seen = new Set<string>();
      const out: T[] = [];
      for (const list of lists) {
        for (const r of list) {
          const key = ruleKey(r);
          if (seen.has(key)) continue;
          seen.add(key);
          out.push(r);
        }
      }
      return out;
    };
    this.checkInheritedDenies(own, parents);

    const params: IrParam[] = [];
    for (const p of [...parents.flatMap((x) => x.params), ...own.params]) {
      const i = params.findIndex((q) => q.name === p.name);
      if (i < 0) params.push({ ...p });
      else if (params[i]!.type !== p.type) {
        this.report('MXC1202', `parameter ${p.name} is declared as ${params[i]!.type} and as ${p.type}`, undefined, 'use one type for the parameter across the inheritance chain');
      } else {
        // A child (later) redeclaration refines the default and adds constraints.
        const merged = { ...params[i]!, constraints: [...params[i]!.constraints, ...p.constraints], origin: p.origin };
        if (p.default !== undefined) merged.default = p.default;
        params[i] = merged;
      }
    }
    const given = this.options.params ?? {};
    for (const p of params) {
      const text = given[p.name];
      if (text !== undefined) {
        const v = parseParamValue(p.type, text);
        if ('value' in v) {
          const violated = violatedConstraint(p, v.value);
          if (violated) this.report('MXC1207', `--param ${p.name}=${shownParamValue(text)} violates the constraint ${violated}`, undefined, 'choose a value that meets the declared constraint');
          else p.value = v.value;
        } else this.report('MXC1203', `--param ${p.name}=${shownParamValue(text)}: ${v.error}`, undefined);
      } else if (this.options.requireParams && p.default === undefined) {
        this.report('MXC1204', `parameter ${p.name} has no value`, undefined, `pass --param ${p.name}=…`);
      }
    }
    params.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    // The most restrictive parent default, so the order of `extends` does not matter.
    let defaultAction = DEFAULT_SYSCALL_ACTION;
    let defaultSet = false;
    for (const p of parents) {
      if (!defaultSet || stricterDefault(p.syscalls.defaultAction, defaultAction)) defaultAction = p.syscalls.defaultAction;
      defaultSet = true;
    }
    if (own.defaultAction) {
      const weakening = (own.defaultAction.action.kind === 'allow' || own.defaultAction.action.kind === 'log') && defaultSet && defaultAction.kind !== 'allow' && defaultAction.kind !== 'log';
      if (weakening) {
        this.report('MXC1305', `default ${own.defaultAction.action.kind} would let through every syscall the parent denies by default`, own.defaultAction.span, 'a child may only restrict its parent; allow the syscalls you need instead');
      } else defaultAction = own.defaultAction.action;
    }

    const number = <T extends { id: string; origin: Origin }>(rules: T[], prefix: string): T[] => rules.map((r, i) => renumbered(r, `${prefix}${i}`));
    const fs = number(uniq([...parents.map((p) => p.fs.rules), own.fs]), 'fs.');
    const net = number(uniq([...parents.map((p) => p.net.rules), own.net]), 'net.');
    const syscalls = {} as Record<Arch, IrSyscallRule[]>;
    for (const arch of IR_ARCHES) {
      const rules = uniq([...parents.map((p) => p.syscalls.rules[arch]), own.syscalls[arch]]);
      syscalls[arch] = rules.map((r, i) => renumbered(blockingDeny(r, defaultAction), `sys.${i}.${r.syscall}`));
    }
    const assertions = number(uniq([...parents.map((p) => p.assertions), own.assertions]), 'assert.');

    let isolation: Isolation = own.isolation ?? 'process';
    for (const p of parents) if (ISOLATION_RANK[p.isolation] > ISOLATION_RANK[isolation]) isolation = p.isolation;

    const minOf = (a: number | null | undefined, b: number | null | undefined): number | null =>
      a === null || a === undefined ? (b ?? null) : b === null || b === undefined ? a : Math.min(a, b);
    const process: IrProcess = { maxProcesses: null, envAllow: [], capabilities: [] };
    const limits: IrLimits = { memoryBytes: null, cpus: null, openFiles: null, wallSeconds: null, cpuSeconds: null, fileSizeBytes: null, stackBytes: null };
    let desktop: IrDesktop = { clipboard: 'none', windows: false, inputInjection: false, screenCapture: false };
    for (const src of [...parents.map((p) => ({ process: p.process, limits: p.limits as Partial<IrLimits>, desktop: p.desktop as Partial<IrDesktop> })), own]) {
      process.maxProcesses = minOf(process.maxProcesses, src.process.maxProcesses);
      process.envAllow = [...new Set([...process.envAllow, ...(src.process.envAllow ?? [])])].sort();
      process.capabilities = [...new Set([...process.capabilities, ...(src.process.capabilities ?? [])])].sort();
      for (const k of Object.keys(limits) as (keyof IrLimits)[]) limits[k] = minOf(limits[k], src.limits[k]);
      desktop = { ...desktop, ...src.desktop };
    }

    const targets: Record<string, IrTarget> = {};
    for (const src of [...parents.map((p) => p.targets), own.targets]) {
      for (const [t, v] of Object.entries(src)) {
        const prev = targets[t];
        targets[t] = prev
          ? { acceptWeaker: [...new Set([...prev.acceptWeaker, ...v.acceptWeaker])].sort(), settings: { ...prev.settings, ...v.settings } }
          : { acceptWeaker: [...v.acceptWeaker].sort(), settings: { ...v.settings } };
      }
    }
    const sortedTargets: Record<string, IrTarget> = {};
    for (const k of Object.keys(targets).sort()) sortedTargets[k] = targets[k]!;

    return {
      irVersion: IR_VERSION,
      name,
      description: own.description ?? parents.map((p) => p.description).find((d) => d !== '') ?? '',
      isolation,
      params,
      fs: { rules: fs },
      net: { rules: net },
      syscalls: { defaultAction, rules: syscalls },
      process,
      limits,
      desktop,
      assertions,
      targets: sortedTargets,
    };
  }

  /**
   * A child's allow that an inherited deny fully covers would be a silent no-op:
   * report it (language.md, Inheritance). Coverage is checked per right and per
   * pattern against single denies, so it is conservative in what it reports.
   */
  private checkInheritedDenies(own: OwnPolicy, parents: PolicyIR[]): void {
    const parentFsDenies = parents.flatMap((p) => p.fs.rules.filter((r) => r.effect === 'deny'));
    for (const allow of own.fs.filter((r) => r.effect === 'allow')) {
      for (const path of allow.paths) {
        for (const right of allow.access) {
          const deny = parentFsDenies.find((d) => d.access.includes(right) && d.paths.some((dp) => globCovers(dp, path)) && !d.except.some((e) => globsIntersect(e, path)));
          if (deny) {
            this.report('MXC1305', `allow ${right} on "${path}" has no effect: policy ${deny.origin.policy} denies it`, this.spanOfOrigin(allow.origin),
              'deny always wins; remove this allow, or narrow the parent\'s deny with except', [{ span: this.spanOfOrigin(deny.origin), message: 'the inherited deny' }]);
            break;
          }
        }
      }
    }
    const parentNetDenies = parents.flatMap((p) => p.net.rules.filter((r) => r.effect === 'deny'));
    for (const allow of own.net.filter((r) => r.effect === 'allow')) {
      for (const t of allow.targets) {
        const deny = parentNetDenies.find((d) => d.operation === allow.operation && allow.protocols.every((p) => d.protocols.includes(p))
          && d.targets.some((dt) => netTargetCovers(dt, t)) && d.except.length === 0);
        if (deny) {
          this.report('MXC1305', `this ${allow.operation} allow has no effect: policy ${deny.origin.policy} denies it`, this.spanOfOrigin(allow.origin),
            'deny always wins; remove this allow, or narrow the parent\'s deny', [{ span: this.spanOfOrigin(deny.origin), message: 'the inherited deny' }]);
        }
      }
    }
    for (const arch of IR_ARCHES) {
      const denied = new Map<string, IrSyscallRule>();
      for (const p of parents) for (const r of p.syscalls.rules[arch]) if (r.effect === 'deny' && r.when === null && !denied.has(r.syscall)) denied.set(r.syscall, r);
      for (const allow of own.syscalls[arch].filter((r) => r.effect === 'allow')) {
        const deny = denied.get(allow.syscall);
        // Groups expand to many syscalls; only an explicitly named syscall is a contradiction.
        if (deny && !this.diagnostics.some((d) => d.code === 'MXC1305' && d.span?.line === allow.origin.line && d.span.column === allow.origin.column)) {
          const span = this.spanOfOrigin(allow.origin);
          const src = this.sourceText(span);
          if (src !== undefined && src.startsWith('@')) continue;
          this.report('MXC1305', `allow ${allow.syscall} has no effect: policy ${deny.origin.policy} denies it`, span,
            'deny always wins; remove this allow', [{ span: this.spanOfOrigin(deny.origin), message: 'the inherited deny' }]);
        }
      }
    }
  }

  private spanOfOrigin(o: Origin): Span {
    return originSpan(o, this.program);
  }

  private sourceText(span: Span): string | undefined {
    const text = this.program.sources.get(span.file);
    return text?.slice(span.offset, span.offset + span.length);
  }

  private checkGivenParams(entryPolicies: string[]): void {
    const known = new Set<string>();
    for (const n of entryPolicies) for (const p of this.flat.get(n)?.params ?? []) known.add(p.name);
    for (const k of Object.keys(this.options.params ?? {}).sort()) {
      if (!known.has(k)) this.report('MXC1201', `--param ${k}: the policy has no parameter named ${k}`, undefined, didYouMeanHelp(k, known) ?? (known.size ? `its parameters: ${[...known].sort().join(', ')}` : 'the policy declares no parameters'));
    }
  }
}

// ---------------------------------------------------------------------------
// helpers

function normalizeDir(s: string): string {
  const parts = s.split('/').filter((p) => p !== '');
  return '/' + parts.join('/');
}

/**
 * The longest normalized path value mxc-enforce accepts (PATH_MAX 4096 less the terminating NUL
 * and one byte of slack in its normalization buffer): longer ones would be refused there, and
 * could not be encoded in a bundle.
 */
export const MAX_PATH_PARAM_BYTES = 4094;

// C0 controls, DEL and C1 controls: a newline in a path param forges lines of --dry-run and of
// diagnostics, and C1 bytes are escape sequences on some terminals.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/** A param value as it may be shown in a message: control characters escaped, long values cut. */
export function shownParamValue(text: string): string {
  const escaped = text.replace(new RegExp(CONTROL_CHARS.source, 'gu'), (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > 80 ? `${escaped.slice(0, 60)}… (${utf8Length(text)} bytes)` : escaped;
}

export function parseParamValue(type: ParamType, text: string): { value: string } | { error: string } {
  switch (type) {
    case 'path': {
      const shown = shownParamValue(text);
      if (CONTROL_CHARS.test(text)) return { error: `"${shown}" contains control characters` };
      if (!text.startsWith('/')) return { error: `"${shown}" is not an absolute path` };
      if (/[*?[\]{}]/.test(text)) return { error: `"${shown}" contains glob characters` };
      if (text.split('/').some((p) => p === '..' || p === '.')) return { error: `"${shown}" is not normalized (no . or .. segments)` };
      const value = normalizeDir(text);
      const bytes = utf8Length(value);
      if (bytes > MAX_PATH_PARAM_BYTES) return { error: `"${shown}" is too long (${bytes} bytes; a path param is at most ${MAX_PATH_PARAM_BYTES})` };
      return { value };
    }
    case 'string':
      return { value: text };
    case 'bool':
      return text === 'true' || text === 'false' ? { value: text } : { error: `"${text}" is not true or false` };
    case 'int':
      return /^-?[0-9]{1,15}$/.test(text) ? { value: String(Number(text)) } : { error: `"${text}" is not an integer` };
    case 'port': {
      const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
      return n >= 0 && n <= 65535 ? { value: String(n) } : { error: `"${text}" is not a port (0-65535)` };
    }
    case 'host': {
      const h = parseHost(text);
      if ('error' in h) return { error: h.error };
      if (h.host.kind === 'name') return { value: h.host.name };
      if (h.host.kind === 'cidr' && (h.host.prefix === 32 || h.host.prefix === 128)) return { value: h.host.address };
      return { error: `"${text}" is not a single host` };
    }
  }
}

/** The constraint a value violates, as text, or undefined. */
export function violatedConstraint(p: Pick<IrParam, 'constraints' | 'type'>, value: string): string | undefined {
  const under = (v: string, dir: string): boolean => dir === '/' || v === dir || v.startsWith(dir + '/');
  for (const c of p.constraints) {
    switch (c.kind) {
      case 'under':
        if (!c.paths.some((d) => under(value, d))) return `under ${c.paths.map((x) => JSON.stringify(x)).join(', ')}`;
        break;
      case 'not_under':
        if (c.paths.some((d) => under(value, d) || under(d, value))) return `not under ${c.paths.map((x) => JSON.stringify(x)).join(', ')}`;
        break;
      case 'one_of':
        if (!c.values.includes(value)) return `one_of ${c.values.map((x) => JSON.stringify(x)).join(', ')}`;
        break;
      case 'min':
        if (Number(value) < c.value) return `min ${c.value}`;
        break;
      case 'max':
        if (Number(value) > c.value) return `max ${c.value}`;
        break;
    }
  }
  return undefined;
}

/**
 * Rules are deduplicated across parents by their content without the id. The key is computed once
 * per rule and carried over to its renumbered copies (only the id differs), so flattening a deep
 * hierarchy does not serialize the same inherited rule again at every level.
 */
const ruleKeys = new WeakMap<object, string>();

function ruleKey(r: object): string {
  let key = ruleKeys.get(r);
  if (key === undefined) {
    key = JSON.stringify({ ...r, id: '' });
    ruleKeys.set(r, key);
  }
  return key;
}

/**
 * Whether a is a more restrictive syscall default than b. The order is the deny order of decide
 * (actionSeverity): a default that stops calls is stricter than allow or log, as MXC1305 has it;
 * between two errno defaults the smaller number wins, only so the choice is the same in any order.
 */
function stricterDefault(a: IrAction, b: IrAction): boolean {
  const d = actionSeverity(a) - actionSeverity(b);
  if (d !== 0) return d > 0;
  return a.kind === 'errno' && b.kind === 'errno' && a.errno < b.errno;
}

/**
 * A deny without its own action takes the section default, unless that default lets the call
 * proceed (allow, log): then it gets BLOCKING_DENY_ACTION, so a deny always blocks. Decided here,
 * where the IR is built, so decide, the verifier and every compiler read the same action; the
 * filled action is kept when the rule is inherited.
 */
function blockingDeny(r: IrSyscallRule, defaultAction: IrAction): IrSyscallRule {
  if (r.effect !== 'deny' || r.action || !actionLetsCallProceed(defaultAction)) return r;
  return { ...r, action: BLOCKING_DENY_ACTION };
}

function renumbered<T extends { id: string }>(r: T, id: string): T {
  const copy = { ...r, id };
  ruleKeys.set(copy, ruleKey(r));
  return copy;
}

/** Does deny pattern `d` match every path that `a` matches? Sound but incomplete (prefix/globstar shapes). */
export function globCovers(d: string, a: string): boolean {
  if (d === a) return true;
  const gd = parseGlob(d);
  const ga = parseGlob(a);
  const last = gd.segments[gd.segments.length - 1];
  if (last?.kind !== 'globstar') return false;
  const prefix = gd.segments.slice(0, -1);
  if (!prefix.every((s) => s.kind === 'seg' && s.atoms.every((x) => x.kind === 'lit'))) return false;
  if (gd.root === undefined && prefix.length === 0) return true; // "/**" covers every path, param-rooted or not
  if (gd.root !== ga.root) return false;
  if (ga.segments.length < prefix.length) return false;
  return prefix.every((s, i) => segText(s) !== undefined && segText(s) === segText(ga.segments[i]!));
}

function segText(s: ParsedGlob['segments'][number]): string | undefined {
  if (s.kind !== 'seg' || !s.atoms.every((x) => x.kind === 'lit')) return undefined;
  return s.atoms.map((x) => (x as { ch: string }).ch).join('');
}

function netTargetCovers(d: IrNetTarget, a: IrNetTarget): boolean {
  const portsCovered = a.ports.every((ap) => d.ports.some((dp) => dp.from <= ap.from && dp.to >= ap.to));
  if (!portsCovered) return false;
  const dh = d.host;
  const ah = a.host;
  if (dh.kind === 'any') return true;
  if (dh.kind === 'name') return ah.kind === 'name' && ah.name === dh.name;
  if (dh.kind === 'wildcard') {
    return (ah.kind === 'name' && ah.name.endsWith('.' + dh.suffix)) || (ah.kind === 'wildcard' && (ah.suffix === dh.suffix || ah.suffix.endsWith('.' + dh.suffix)));
  }
  if (ah.kind !== 'cidr' || ah.family !== dh.family || ah.prefix < dh.prefix) return false;
  const parse = dh.family === 4 ? parseIpv4 : parseIpv6;
  const bits = BigInt(dh.family === 4 ? 32 : 128);
  const shift = bits - BigInt(dh.prefix);
  return parse(ah.address)! >> shift === parse(dh.address)! >> shift;
}

function subSpanOf(lit: A.StringLiteral, at: number, length: number): Span {
  // Escapes shift positions; when the raw text differs from the value, point at the whole string.
  if (lit.span.length !== lit.value.length + 2 || lit.span.line !== lit.span.endLine) return lit.span;
  const offset = lit.span.offset + 1 + at;
  return { file: lit.span.file, offset, length: Math.max(1, length), line: lit.span.line, column: lit.span.column + 1 + at, endLine: lit.span.line, endColumn: lit.span.column + 1 + at + Math.max(1, length) };
}
