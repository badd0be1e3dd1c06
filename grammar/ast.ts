/**
 * The .mxc abstract syntax tree: plain, JSON-serializable objects with spans.
 * No semantics here; the compiler interprets words (access rights, protocols,
 * setting keys) so it can give did-you-mean diagnostics.
 */
import type { Span } from './location.js';

export interface Node {
  kind: string;
  span: Span;
}

export interface Identifier extends Node {
  kind: 'Identifier';
  name: string;
}

export interface StringLiteral extends Node {
  kind: 'String';
  /** The decoded value (escapes resolved). */
  value: string;
}

/** A number as written: decimal, 0x hex, 0b binary, optionally negative, optionally with a unit (2GiB, 30m). */
export interface NumberLiteral extends Node {
  kind: 'Number';
  /** Digits as written, without sign or unit: "2", "0x5412". */
  digits: string;
  negative: boolean;
  unit?: string;
}

/** The keyword `any` where a value is expected (a port, a host, a protocol). */
export interface AnyLiteral extends Node {
  kind: 'Any';
}

export type Value = StringLiteral | NumberLiteral | Identifier;

export interface Comment {
  kind: 'LineComment' | 'BlockComment';
  text: string;
  span: Span;
}

export interface Document extends Node {
  kind: 'Document';
  imports: ImportDecl[];
  policies: PolicyDecl[];
  comments: Comment[];
}

export interface ImportDecl extends Node {
  kind: 'Import';
  path: StringLiteral;
}

export interface PolicyDecl extends Node {
  kind: 'Policy';
  name: Identifier;
  extends: Identifier[];
  members: Member[];
}

export type Member =
  | DescriptionDecl
  | IsolationDecl
  | ParamDecl
  | FsSection
  | NetSection
  | SyscallsSection
  | SettingsSection
  | AssertDecl
  | TargetDecl;

export interface DescriptionDecl extends Node {
  kind: 'Description';
  text: StringLiteral;
}

export interface IsolationDecl extends Node {
  kind: 'Isolation';
  level: Identifier;
}

export interface ParamDecl extends Node {
  kind: 'Param';
  name: Identifier;
  type: Identifier;
  default?: Value;
  constraints: ParamConstraint[];
}

/** `where not under "/etc", "/usr"` */
export interface ParamConstraint extends Node {
  kind: 'Constraint';
  negated: boolean;
  relation: Identifier;
  values: Value[];
}

export type Effect = 'allow' | 'deny';

export interface FsSection extends Node {
  kind: 'Fs';
  rules: FsRule[];
}

/** `allow read, list "/usr/**" except "/usr/secret/**"` */
export interface FsRule extends Node {
  kind: 'FsRule';
  effect: Effect;
  access: Identifier[];
  paths: StringLiteral[];
  except: StringLiteral[];
}

export interface NetSection extends Node {
  kind: 'Net';
  rules: NetRule[];
}

/** `allow connect tcp "registry.npmjs.org":443`, `allow resolve "example.com"` */
export interface NetRule extends Node {
  kind: 'NetRule';
  effect: Effect;
  operation: Identifier;
  /** tcp, udp, or `any`; absent for `resolve`. */
  protocol?: Identifier | AnyLiteral;
  targets: NetTarget[];
  except: NetTarget[];
}

export interface NetTarget extends Node {
  kind: 'NetTarget';
  host: StringLiteral | AnyLiteral;
  port?: PortSpec;
}

export interface PortSpec extends Node {
  kind: 'Port';
  /** `any`, a single port, or a range `from-to`. */
  from: NumberLiteral | AnyLiteral;
  to?: NumberLiteral;
}

export interface SyscallsSection extends Node {
  kind: 'Syscalls';
  statements: SyscallStatement[];
}

export type SyscallStatement = SyscallDefault | SyscallRule;

export interface SyscallDefault extends Node {
  kind: 'SyscallDefault';
  action: Action;
}

export interface SyscallRule extends Node {
  kind: 'SyscallRule';
  effect: Effect;
  targets: SyscallTarget[];
  action?: Action;
}

export type SyscallTarget = GroupRef | SyscallRef;

/** `@system-service` */
export interface GroupRef extends Node {
  kind: 'GroupRef';
  name: string;
}

/** `socket(domain in [AF_UNIX])`, `?landlock_create_ruleset` */
export interface SyscallRef extends Node {
  kind: 'SyscallRef';
  name: Identifier;
  optional: boolean;
  condition?: Condition;
}

/** `errno(EPERM)`, `kill_process`, `log` */
export interface Action extends Node {
  kind: 'Action';
  name: Identifier;
  argument?: NumberLiteral | Identifier;
}

export type Condition = OrCondition | AndCondition | NotCondition | Comparison | Membership;

export interface OrCondition extends Node {
  kind: 'Or';
  items: Condition[];
}

export interface AndCondition extends Node {
  kind: 'And';
  items: Condition[];
}

export interface NotCondition extends Node {
  kind: 'Not';
  item: Condition;
}

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** `domain == AF_UNIX`, `flags & CLONE_NEWUSER == 0` */
export interface Comparison extends Node {
  kind: 'Compare';
  arg: Identifier;
  mask?: ValueExpr;
  op: CompareOp;
  value: ValueExpr;
}

/** `domain in [AF_UNIX, AF_INET]` */
export interface Membership extends Node {
  kind: 'In';
  arg: Identifier;
  values: ValueExpr[];
}

/** One or more constants or numbers OR-ed together: `O_WRONLY | O_RDWR`. */
export interface ValueExpr extends Node {
  kind: 'ValueExpr';
  parts: (NumberLiteral | Identifier)[];
}

/** Generic key/value settings used by process, limits, desktop and target blocks. */
export interface SettingsSection extends Node {
  kind: 'Settings';
  section: 'process' | 'limits' | 'desktop';
  settings: Setting[];
}

/** `max_processes 256`, `env allow "PATH", "HOME"`, `accept weaker "**\/.env"` */
export interface Setting extends Node {
  kind: 'Setting';
  key: Identifier;
  modifier?: Identifier;
  values: Value[];
}

export interface AssertDecl extends Node {
  kind: 'Assert';
  quantifier: Identifier;
  request: AssertRequest;
}

export type AssertRequest = FsRequestPattern | NetRequestPattern | SyscallRequestPattern;

export interface FsRequestPattern extends Node {
  kind: 'FsRequest';
  access: Identifier[];
  paths: StringLiteral[];
}

export interface NetRequestPattern extends Node {
  kind: 'NetRequest';
  operation: Identifier;
  protocol?: Identifier | AnyLiteral;
  targets: NetTarget[];
}

export interface SyscallRequestPattern extends Node {
  kind: 'SyscallRequest';
  targets: SyscallTarget[];
}

export interface TargetDecl extends Node {
  kind: 'Target';
  name: Identifier;
  settings: Setting[];
}

export const NET_OPERATIONS = ['connect', 'bind', 'resolve'] as const;
