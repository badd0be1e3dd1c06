/**
 * fast-check arbitraries for random .mxc ASTs (every node kind), used by the formatter's
 * round-trip properties and available to any other property test.
 *
 * The arbitraries generate only ASTs that the parser can itself produce, so that
 * `parse(printDocument(d)).document` can equal `d`. The shape constraints that follow
 * from the grammar (grammar/parser.ts) and the CST→AST builder (grammar/builder.ts):
 *
 * - Identifiers match /[A-Za-z_][A-Za-z0-9_]*\/ and are never reserved words (KEYWORDS);
 *   the one exception is `isolation process`, which the grammar accepts explicitly, and a
 *   setting modifier, which may be the keyword `allow` or `deny`.
 * - Numbers: decimal (leading zeros allowed), 0x hex or 0b binary digits, optionally
 *   negative, and no unit; or a unit (KiB MiB GiB TiB B ms s m h d) on decimal digits
 *   without a leading zero (`0` or [1-9][0-9]*), never negative — the lexer's Quantity
 *   token has no sign and `-2GiB` is a syntax error; `02GiB` lexes as a number and a name.
 * - Ports are a bare number token: no sign, no unit. A range `from-to` needs a numeric `from`.
 * - Strings may hold any character except lone surrogates (which `\u{…}` cannot encode).
 * - `Or` and `And` always have ≥ 2 items (a single item is the item itself; parentheses
 *   leave no node behind).
 * - Every list the grammar writes with AT_LEAST_ONE has ≥ 1 element: extends may be empty,
 *   fs access words, paths, net targets, syscall targets, `in [...]` members, value-expr
 *   parts, constraint values and setting values may not. `except` lists may be empty
 *   (meaning: no except clause).
 * - A `Setting` with a `modifier` has only String values (≥ 1). A setting without a
 *   modifier may start with an Identifier value followed by a String, because the printer
 *   separates values with commas (`key a, "s"`), which the setting rule's gate
 *   (modifier = word directly followed by a string) does not mistake for a modifier.
 * - `FsRule` targets are strings without ports; the fs word list never ends in `any`.
 * - `NetRule`: the first word is the operation, the second word (or `any`) the protocol;
 *   the protocol may be absent for any operation. Targets are always printed comma
 *   separated, so a first target `any` is never mistaken for an `any` protocol.
 * - `Assert` requests are classified by their first word: connect/bind/resolve make a
 *   `NetRequest` (so its operation is one of those), the `syscall` keyword a
 *   `SyscallRequest`, anything else an `FsRequest` (whose first access word is therefore
 *   never connect/bind/resolve).
 * - `GroupRef.name` matches /[a-z0-9][a-z0-9_-]*\/ (written with a leading `@`).
 * - Optional properties are absent rather than `undefined`, as the builder makes them.
 */
import fc from 'fast-check';
import type * as A from '../grammar/ast.js';
import type { Span } from '../grammar/location.js';
import { KEYWORDS } from '../grammar/tokens.js';

export const DUMMY_SPAN: Span = { file: '<arbitrary>', offset: 0, length: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };
const span = DUMMY_SPAN;

const RESERVED = new Set<string>(KEYWORDS);
const NET_OPERATIONS = ['connect', 'bind', 'resolve'];

/** Adds the optional properties whose value is present, so absent ones stay absent. */
function withOptional<T extends object>(base: T, optional: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined && v !== null) out[k] = v;
  return out as T;
}

const WORDS = ['read', 'list', 'write', 'exec', 'tcp', 'udp', 'never', 'always', 'path', 'AF_UNIX', 'EPERM', 'linux', 'env', 'weaker', 'x', '_', 'B', 'GiB', 'processes', 'anyhow', 'importer', 'inx'];

export function arbitraryName(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...WORDS),
    fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/).filter((s) => !RESERVED.has(s)),
  );
}

export function arbitraryIdentifier(name: fc.Arbitrary<string> = arbitraryName()): fc.Arbitrary<A.Identifier> {
  return name.map((n) => ({ kind: 'Identifier', name: n, span }));
}

const STRING_CHARS = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme-ascii' }) },
  { weight: 2, arbitrary: fc.constantFrom('"', '\\', '\n', '\t', '\r', '\0', '\x07', '\x1b', '\x7f', '\x85', '\u2028', '$', '{', '}', '*', '/', '//', '/*', '*/') },
  { weight: 1, arbitrary: fc.constantFrom('é', 'ü', '中', '😀', '\u00a0', '\ufeff') },
);

export function arbitraryStringValue(): fc.Arbitrary<string> {
  return fc.array(STRING_CHARS, { maxLength: 8 }).map((parts) => parts.join(''));
}

export function arbitraryString(): fc.Arbitrary<A.StringLiteral> {
  return arbitraryStringValue().map((value) => ({ kind: 'String', value, span }));
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'B', 'ms', 's', 'm', 'h', 'd'] as const;

/** Digits of a plain number token: decimal, hex or binary. */
function arbitraryNumberDigits(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.stringMatching(/^[0-9]{1,6}$/) },
    { weight: 1, arbitrary: fc.stringMatching(/^0[xX][0-9a-fA-F]{1,6}$/) },
    { weight: 1, arbitrary: fc.stringMatching(/^0[bB][01]{1,8}$/) },
  );
}

export function arbitraryNumber(): fc.Arbitrary<A.NumberLiteral> {
  return fc.oneof(
    fc.record({ digits: arbitraryNumberDigits(), negative: fc.boolean() }).map(({ digits, negative }): A.NumberLiteral => ({ kind: 'Number', digits, negative, span })),
    fc.record({ digits: fc.stringMatching(/^(0|[1-9][0-9]{0,4})$/), unit: fc.constantFrom(...UNITS) }).map(
      ({ digits, unit }): A.NumberLiteral => ({ kind: 'Number', digits, negative: false, unit, span }),
    ),
  );
}

/** A port number: one NumberLiteral token. */
function arbitraryPortNumber(): fc.Arbitrary<A.NumberLiteral> {
  return arbitraryNumberDigits().map((digits) => ({ kind: 'Number', digits, negative: false, span }));
}

const anyLiteral: A.AnyLiteral = { kind: 'Any', span };

export function arbitraryValue(): fc.Arbitrary<A.Value> {
  return fc.oneof(arbitraryString(), arbitraryNumber(), arbitraryIdentifier());
}

function arbitraryValueExpr(): fc.Arbitrary<A.ValueExpr> {
  return fc
    .array(fc.oneof(arbitraryNumber(), arbitraryIdentifier()), { minLength: 1, maxLength: 3 })
    .map((parts) => ({ kind: 'ValueExpr', parts, span }));
}

const COMPARE_OPS: A.CompareOp[] = ['==', '!=', '<', '<=', '>', '>='];

function arbitraryLeafCondition(): fc.Arbitrary<A.Condition> {
  const compare = fc
    .record({ arg: arbitraryIdentifier(), mask: fc.option(arbitraryValueExpr(), { nil: undefined }), op: fc.constantFrom(...COMPARE_OPS), value: arbitraryValueExpr() })
    .map(({ arg, mask, op, value }) => withOptional<A.Comparison>({ kind: 'Compare', arg, op, value, span }, { mask }));
  const membership = fc
    .record({ arg: arbitraryIdentifier(), values: fc.array(arbitraryValueExpr(), { minLength: 1, maxLength: 3 }) })
    .map(({ arg, values }): A.Membership => ({ kind: 'In', arg, values, span }));
  return fc.oneof({ weight: 2, arbitrary: compare }, { weight: 1, arbitrary: membership });
}

/** Conditions nested up to `depth` levels of Or/And/Not. */
export function arbitraryCondition(depth = 3): fc.Arbitrary<A.Condition> {
  const leaf = arbitraryLeafCondition();
  if (depth <= 0) return leaf;
  const sub = arbitraryCondition(depth - 1);
  const items = fc.array(sub, { minLength: 2, maxLength: 3 });
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: items.map((xs): A.Condition => ({ kind: 'Or', items: xs, span })) },
    { weight: 1, arbitrary: items.map((xs): A.Condition => ({ kind: 'And', items: xs, span })) },
    { weight: 1, arbitrary: sub.map((item): A.Condition => ({ kind: 'Not', item, span })) },
  );
}

function arbitraryAction(): fc.Arbitrary<A.Action> {
  return fc
    .record({ name: arbitraryIdentifier(), argument: fc.option(fc.oneof(arbitraryIdentifier(), arbitraryNumber()), { nil: undefined }) })
    .map(({ name, argument }) => withOptional<A.Action>({ kind: 'Action', name, span }, { argument }));
}

function arbitrarySyscallTarget(): fc.Arbitrary<A.SyscallTarget> {
  const group = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,10}$/).map((name): A.GroupRef => ({ kind: 'GroupRef', name, span }));
  const ref = fc
    .record({ name: arbitraryIdentifier(), optional: fc.boolean(), condition: fc.option(arbitraryCondition(), { nil: undefined, freq: 2 }) })
    .map(({ name, optional, condition }) => withOptional<A.SyscallRef>({ kind: 'SyscallRef', name, optional, span }, { condition }));
  return fc.oneof({ weight: 1, arbitrary: group }, { weight: 3, arbitrary: ref });
}

const syscallTargets = (): fc.Arbitrary<A.SyscallTarget[]> => fc.array(arbitrarySyscallTarget(), { minLength: 1, maxLength: 4 });

function arbitraryNetTarget(): fc.Arbitrary<A.NetTarget> {
  const port = fc.oneof(
    fc.constant<A.PortSpec>({ kind: 'Port', from: anyLiteral, span }),
    fc
      .record({ from: arbitraryPortNumber(), to: fc.option(arbitraryPortNumber(), { nil: undefined }) })
      .map(({ from, to }) => withOptional<A.PortSpec>({ kind: 'Port', from, span }, { to })),
  );
  return fc
    .record({ host: fc.oneof({ weight: 4, arbitrary: arbitraryString() }, { weight: 1, arbitrary: fc.constant(anyLiteral) }), port: fc.option(port, { nil: undefined }) })
    .map(({ host, port: p }) => withOptional<A.NetTarget>({ kind: 'NetTarget', host, span }, { port: p }));
}

const netTargets = (minLength: number): fc.Arbitrary<A.NetTarget[]> => fc.array(arbitraryNetTarget(), { minLength, maxLength: 3 });
const strings = (minLength: number): fc.Arbitrary<A.StringLiteral[]> => fc.array(arbitraryString(), { minLength, maxLength: 3 });
const effect = (): fc.Arbitrary<A.Effect> => fc.constantFrom('allow', 'deny');
const protocol = (): fc.Arbitrary<A.Identifier | A.AnyLiteral | undefined> =>
  fc.option(fc.oneof(arbitraryIdentifier(fc.constantFrom('tcp', 'udp')), arbitraryIdentifier(), fc.constant(anyLiteral)), { nil: undefined });

function arbitraryFsRule(): fc.Arbitrary<A.FsRule> {
  return fc
    .record({ effect: effect(), access: fc.array(arbitraryIdentifier(), { minLength: 1, maxLength: 3 }), paths: strings(1), except: strings(0) })
    .map((r): A.FsRule => ({ kind: 'FsRule', ...r, span }));
}

function arbitraryNetRule(): fc.Arbitrary<A.NetRule> {
  return fc
    .record({ effect: effect(), operation: arbitraryIdentifier(fc.oneof(fc.constantFrom(...NET_OPERATIONS), arbitraryName())), protocol: protocol(), targets: netTargets(1), except: netTargets(0) })
    .map(({ protocol: p, ...r }) => withOptional<A.NetRule>({ kind: 'NetRule', ...r, span }, { protocol: p }));
}

function arbitrarySyscallStatement(): fc.Arbitrary<A.SyscallStatement> {
  const rule = fc
    .record({ effect: effect(), targets: syscallTargets(), action: fc.option(arbitraryAction(), { nil: undefined }) })
    .map(({ action, ...r }) => withOptional<A.SyscallRule>({ kind: 'SyscallRule', ...r, span }, { action }));
  const dflt = arbitraryAction().map((action): A.SyscallDefault => ({ kind: 'SyscallDefault', action, span }));
  return fc.oneof({ weight: 4, arbitrary: rule }, { weight: 1, arbitrary: dflt });
}

export function arbitrarySetting(): fc.Arbitrary<A.Setting> {
  const withModifier = fc
    .record({
      key: arbitraryIdentifier(),
      modifier: arbitraryIdentifier(fc.oneof(fc.constantFrom('allow', 'deny'), arbitraryName())),
      values: strings(1),
    })
    .map((s): A.Setting => ({ kind: 'Setting', ...s, span }));
  const plain = fc
    .record({ key: arbitraryIdentifier(), values: fc.array(arbitraryValue(), { minLength: 1, maxLength: 3 }) })
    .map((s): A.Setting => ({ kind: 'Setting', ...s, span }));
  return fc.oneof(withModifier, plain);
}

const settings = (): fc.Arbitrary<A.Setting[]> => fc.array(arbitrarySetting(), { maxLength: 3 });

function arbitraryAssertRequest(): fc.Arbitrary<A.AssertRequest> {
  const fsRequest = fc
    .record({
      first: arbitraryIdentifier(arbitraryName().filter((n) => !NET_OPERATIONS.includes(n))),
      rest: fc.array(arbitraryIdentifier(), { maxLength: 2 }),
      paths: strings(1),
    })
    .map(({ first, rest, paths }): A.AssertRequest => ({ kind: 'FsRequest', access: [first, ...rest], paths, span }));
  const netRequest = fc
    .record({ operation: arbitraryIdentifier(fc.constantFrom(...NET_OPERATIONS)), protocol: protocol(), targets: netTargets(1) })
    .map(({ protocol: p, ...r }) => withOptional<A.NetRequestPattern>({ kind: 'NetRequest', ...r, span }, { protocol: p }));
  const syscallRequest = syscallTargets().map((targets): A.AssertRequest => ({ kind: 'SyscallRequest', targets, span }));
  return fc.oneof(fsRequest, netRequest, syscallRequest);
}

export function arbitraryMember(): fc.Arbitrary<A.Member> {
  const description = arbitraryString().map((text): A.Member => ({ kind: 'Description', text, span }));
  const isolation = arbitraryIdentifier(fc.oneof(fc.constant('process'), arbitraryName())).map((level): A.Member => ({ kind: 'Isolation', level, span }));
  const constraint = fc
    .record({ negated: fc.boolean(), relation: arbitraryIdentifier(), values: fc.array(arbitraryValue(), { minLength: 1, maxLength: 3 }) })
    .map((k): A.ParamConstraint => ({ kind: 'Constraint', ...k, span }));
  const param = fc
    .record({
      name: arbitraryIdentifier(),
      type: arbitraryIdentifier(fc.oneof(fc.constantFrom('path', 'string', 'int', 'bool', 'host', 'port'), arbitraryName())),
      default: fc.option(arbitraryValue(), { nil: undefined }),
      constraints: fc.array(constraint, { maxLength: 2 }),
    })
    .map(({ default: d, ...p }) => withOptional<A.ParamDecl>({ kind: 'Param', ...p, span }, { default: d }));
  const fs = fc.array(arbitraryFsRule(), { maxLength: 3 }).map((rules): A.Member => ({ kind: 'Fs', rules, span }));
  const net = fc.array(arbitraryNetRule(), { maxLength: 3 }).map((rules): A.Member => ({ kind: 'Net', rules, span }));
  const syscalls = fc.array(arbitrarySyscallStatement(), { maxLength: 3 }).map((statements): A.Member => ({ kind: 'Syscalls', statements, span }));
  const settingsSection = fc
    .record({ section: fc.constantFrom<A.SettingsSection['section']>('process', 'limits', 'desktop'), settings: settings() })
    .map((s): A.Member => ({ kind: 'Settings', ...s, span }));
  const assert = fc
    .record({ quantifier: arbitraryIdentifier(fc.oneof(fc.constantFrom('never', 'always'), arbitraryName())), request: arbitraryAssertRequest() })
    .map((a): A.Member => ({ kind: 'Assert', ...a, span }));
  const target = fc.record({ name: arbitraryIdentifier(), settings: settings() }).map((t): A.Member => ({ kind: 'Target', ...t, span }));
  return fc.oneof(description, isolation, param, fs, net, syscalls, settingsSection, assert, target);
}

export function arbitraryPolicy(): fc.Arbitrary<A.PolicyDecl> {
  return fc
    .record({ name: arbitraryIdentifier(), extends: fc.array(arbitraryIdentifier(), { maxLength: 2 }), members: fc.array(arbitraryMember(), { maxLength: 6 }) })
    .map((p): A.PolicyDecl => ({ kind: 'Policy', ...p, span }));
}

/** A whole document: imports first (the printer keeps source order; synthetic spans tie, so imports print first). */
export function arbitraryDocument(): fc.Arbitrary<A.Document> {
  return fc
    .record({
      imports: fc.array(arbitraryString().map((path): A.ImportDecl => ({ kind: 'Import', path, span })), { maxLength: 2 }),
      policies: fc.array(arbitraryPolicy(), { maxLength: 3 }),
    })
    .map((d): A.Document => ({ kind: 'Document', ...d, comments: [], span }));
}

/** A deep copy without `span` and `comments` properties (and without undefined-valued ones), for AST comparisons. */
export function stripSpans<T>(node: T): unknown {
  if (Array.isArray(node)) return node.map((x) => stripSpans(x));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'span' || k === 'comments' || v === undefined) continue;
      out[k] = stripSpans(v);
    }
    return out;
  }
  return node;
}
