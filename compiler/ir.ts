/**
 * The IR: the single contract between the front end, the verifier and the targets.
 * Plain JSON (no classes, no bigint: 64-bit values are decimal strings), fully resolved:
 * imports and `extends` flattened, aliases expanded, globs normalized and brace-expanded,
 * syscall groups expanded per architecture, every default explicit. Schema: schemas/ir.schema.json.
 */
export const IR_VERSION = 1;

export type Arch = 'x86_64' | 'aarch64';
export const IR_ARCHES: readonly Arch[] = ['x86_64', 'aarch64'];

export type Isolation = 'process' | 'session' | 'container' | 'microvm';
export const ISOLATION_LEVELS: readonly Isolation[] = ['process', 'session', 'container', 'microvm'];

/** Where a rule came from, relative to the root policy file's directory. */
export interface Origin {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The policy that declared it (differs from the IR's name for inherited rules). */
  policy: string;
}

export type ParamType = 'path' | 'string' | 'int' | 'bool' | 'host' | 'port';
export const PARAM_TYPES: readonly ParamType[] = ['path', 'string', 'int', 'bool', 'host', 'port'];

export type ParamConstraint =
  | { kind: 'under'; paths: string[] }
  | { kind: 'not_under'; paths: string[] }
  | { kind: 'one_of'; values: string[] }
  | { kind: 'min'; value: number }
  | { kind: 'max'; value: number };

export interface IrParam {
  name: string;
  type: ParamType;
  /** Default value as text (paths normalized), if declared. */
  default?: string;
  /** Value given at compile time (--param), if any; takes precedence over the default. */
  value?: string;
  constraints: ParamConstraint[];
  origin: Origin;
}

export const FS_RIGHTS = ['read', 'list', 'write', 'create', 'delete', 'exec', 'ioctl', 'truncate', 'refer'] as const;
export type FsRight = (typeof FS_RIGHTS)[number];
export const FS_ALIASES: Readonly<Record<string, readonly FsRight[]>> = {
  readonly: ['read', 'list'],
  readwrite: ['read', 'list', 'write', 'create', 'delete', 'truncate'],
};

export type Effect = 'allow' | 'deny';

/**
 * A path pattern: normalized glob text, absolute, optionally rooted at a path param
 * (`${workspace}/**`). Braces are already expanded, `~` is `${home}`.
 */
export type PathPattern = string;

export interface IrFsRule {
  id: string;
  effect: Effect;
  access: FsRight[];
  paths: PathPattern[];
  except: PathPattern[];
  origin: Origin;
}

export type NetOperation = 'connect' | 'bind' | 'resolve';
export type Protocol = 'tcp' | 'udp';

export type IrHost =
  | { kind: 'any' }
  | { kind: 'name'; name: string }
  /** `*.example.com`: one or more labels before the suffix. */
  | { kind: 'wildcard'; suffix: string }
  /** An address or network; a single address has the full prefix (32 or 128). */
  | { kind: 'cidr'; family: 4 | 6; address: string; prefix: number };

export interface PortRange {
  from: number;
  to: number;
}

export interface IrNetTarget {
  host: IrHost;
  /** Inclusive ranges; [0, 65535] means any port. Empty for `resolve`. */
  ports: PortRange[];
}

export interface IrNetRule {
  id: string;
  effect: Effect;
  operation: NetOperation;
  /** Empty for `resolve`. */
  protocols: Protocol[];
  targets: IrNetTarget[];
  except: IrNetTarget[];
  origin: Origin;
}

export type IrAction =
  | { kind: 'allow' }
  | { kind: 'log' }
  | { kind: 'errno'; errno: number }
  | { kind: 'trap' }
  | { kind: 'kill_thread' }
  | { kind: 'kill_process' };

const ACTION_SEVERITY: Record<IrAction['kind'], number> = { allow: 0, log: 1, errno: 2, trap: 3, kill_thread: 4, kill_process: 5 };

/** kill_process 5 > kill_thread 4 > trap 3 > errno 2 > log 1 > allow 0 (the errno value does not matter). */
export function actionSeverity(a: IrAction): number {
  const s = ACTION_SEVERITY[a.kind];
  if (s === undefined) throw new Error(`malformed IR: unknown action ${JSON.stringify(a)}`);
  return s;
}

/** The call proceeds under `allow` and `log`; every other action stops it. */
export function actionLetsCallProceed(a: IrAction): boolean {
  return a.kind === 'allow' || a.kind === 'log';
}

export type CompareOperator = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked_eq' | 'masked_ne';

/** One comparison on a syscall argument. Values are unsigned decimal strings within `bits`. */
export interface IrArgCondition {
  arg: number;
  name: string;
  /** 32 for int-typed kernel arguments: only the low 32 bits are compared, as the kernel reads them. */
  bits: 32 | 64;
  op: CompareOperator;
  value: string;
  /** For masked_eq / masked_ne: (arg & mask) op value. */
  mask?: string;
}

export interface IrSyscallRule {
  id: string;
  effect: Effect;
  syscall: string;
  nr: number;
  /**
   * Disjunctive normal form: the rule matches when any conjunction holds.
   * `null` means unconditional. An empty array never matches (the condition is unsatisfiable).
   */
  when: IrArgCondition[][] | null;
  /**
   * Denies only: the action when this deny decides; absent means the section default. The checker
   * never leaves it absent when that default lets calls proceed (allow, log): such a deny gets errno(EPERM).
   */
  action?: IrAction;
  origin: Origin;
}

export interface IrSyscalls {
  defaultAction: IrAction;
  /** Rules in written order (parents first), per architecture. */
  rules: Record<Arch, IrSyscallRule[]>;
}

export interface IrProcess {
  maxProcesses: number | null;
  /** Environment variables passed through; all others are scrubbed. */
  envAllow: string[];
  /** Linux capabilities kept; empty means all dropped. */
  capabilities: string[];
}

export interface IrLimits {
  memoryBytes: number | null;
  cpus: number | null;
  openFiles: number | null;
  wallSeconds: number | null;
  cpuSeconds: number | null;
  fileSizeBytes: number | null;
  stackBytes: number | null;
}

export type ClipboardAccess = 'none' | 'read' | 'write' | 'readwrite';

export interface IrDesktop {
  clipboard: ClipboardAccess;
  windows: boolean;
  inputInjection: boolean;
  screenCapture: boolean;
}

export type IrAssertionRequest =
  | { kind: 'fs'; access: FsRight[]; paths: PathPattern[] }
  | { kind: 'net'; operation: NetOperation; protocols: Protocol[]; targets: IrNetTarget[] }
  | { kind: 'syscall'; syscalls: string[] };

export interface IrAssertion {
  id: string;
  quantifier: 'never' | 'always';
  request: IrAssertionRequest;
  origin: Origin;
}

export type TargetSettingValue = string | number | boolean | string[];

export interface IrTarget {
  /** Rules or globs whose weaker translation this target may accept (reviewed by the policy author). */
  acceptWeaker: string[];
  settings: Record<string, TargetSettingValue>;
}

export interface PolicyIR {
  irVersion: typeof IR_VERSION;
  name: string;
  description: string;
  isolation: Isolation;
  params: IrParam[];
  fs: { rules: IrFsRule[] };
  net: { rules: IrNetRule[] };
  syscalls: IrSyscalls;
  process: IrProcess;
  limits: IrLimits;
  desktop: IrDesktop;
  assertions: IrAssertion[];
  targets: Record<string, IrTarget>;
}

/** Each syscall rule once (the IR repeats a rule per architecture under one id), with the first architecture it is on. */
export function uniqueSyscallRules(ir: PolicyIR): { arch: Arch; rule: IrSyscallRule }[] {
  const seen = new Set<string>();
  const out: { arch: Arch; rule: IrSyscallRule }[] = [];
  for (const arch of IR_ARCHES) {
    for (const rule of ir.syscalls.rules[arch]) {
      if (seen.has(rule.id)) continue;
      seen.add(rule.id);
      out.push({ arch, rule });
    }
  }
  return out;
}
