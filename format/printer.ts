/**
 * The canonical layout of a .mxc file, printed from the AST (no source text needed).
 *
 * Style:
 * - 2-space indent; one member, rule or setting per line; every `{ … }` block is expanded
 *   (an empty block with no comments prints as `fs {}`).
 * - Top level: imports and policies in source order; a blank line around every policy.
 *   In a policy: a blank line around every block member (fs, net, syscalls, process,
 *   limits, desktop, target). Anywhere else a blank line the user left is kept (at most
 *   one); leading and trailing blank lines inside a block are dropped.
 * - Lists: fs access words and every target/value list joined with `, `; net words
 *   with a space (`allow connect tcp "host":443`); conditions as `a == 1 && b in [X, Y]`.
 * - Wrapping (one simple, stable rule): a rule, assertion or setting whose flat form would
 *   end past `printWidth` (default 100; trailing comments not counted) and that has at
 *   least two list items is broken: the head (`allow read, list`, `deny`, `env allow`,
 *   `assert never syscall`) stays on the first line, every target goes on its own line
 *   at 4 spaces past the rule's indent (comma after all but the last), and a trailing
 *   clause starts its own line at 2 spaces past the rule's indent: `except` followed by
 *   its items at +4 like the targets, or a syscall rule's action. Nothing else wraps
 *   (params, conditions and single long items stay on one line).
 * - Conditions: `Or`/`And` are n-ary, so an `And`/`Or` child of an `And`/`Or` is always
 *   parenthesized; `Not` prints as `!x`, with parentheses around anything but another
 *   `Not` (`!(a == 1)` reads unambiguously, `!a == 1` would not).
 * - Numbers print as written (sign, digits, unit); strings are re-encoded with `\"`, `\\`,
 *   `\n`, `\t` and `\u{…}` (uppercase hex) for other characters one cannot see: controls (C0,
 *   DEL, C1), format characters (bidi, zero width), U+2028/U+2029 and spaces other than U+0020.
 *
 * Comments (the parser keeps them in `Document.comments` with spans) are placed by
 * offset, level by level: a comment inside a block stays inside it. A comment on the
 * same line as the end of the previous item trails it (`allow … // why`); a comment on
 * the line of a block's header before its first item trails the `{` (in a block without
 * items it goes inside, on its own line); other comments lead
 * the next item on their own lines, or stay at the end of their block / of the file.
 * Comments written between the list items of a rule, assertion or setting stay with the
 * items: the list is broken one item per line, a comment on the line where an item ends
 * trails it (after its comma), a line comment on the head's line trails the head (a block
 * comment inside the head leads the rule), and any other leads the next item, the `except`
 * clause or the action on their own lines. When one of them is written inside an item
 * (inside a condition, between a host and its port), all of the rule's comments lead the
 * rule, in order, as do comments inside a parameter. Line comments lose trailing whitespace;
 * block comments are printed verbatim (their inner lines are not re-indented).
 */
import type * as A from '../grammar/ast.js';
import { UNSEEN } from '../grammar/unseen.js';

export interface PrintOptions {
  /** Maximum line width before a rule's lists are broken one item per line (default 100). */
  printWidth?: number;
}

export const DEFAULT_PRINT_WIDTH = 100;

const INDENT = '  ';
const CONTINUATION = '    ';
const CLAUSE = '  ';

export function printDocument(doc: A.Document, options: PrintOptions = {}): string {
  const comments = [...(doc.comments ?? [])].sort((a, b) => a.span.offset - b.span.offset);
  const printer = new Printer(options.printWidth ?? DEFAULT_PRINT_WIDTH);
  const items: A.Node[] = [...doc.imports, ...doc.policies];
  // Stable sort: with equal (e.g. synthetic) spans imports stay before policies.
  items.sort((a, b) => a.span.offset - b.span.offset);
  const lines = printer.body(items, comments, '', topLevelBlank, (node, indent, inner) => printer.topLevel(node, indent, inner));
  const text = lines.join('\n');
  return text.length === 0 ? '' : text + '\n';
}

function topLevelBlank(prev: A.Node, next: A.Node): boolean {
  return prev.kind === 'Policy' || next.kind === 'Policy';
}

const BLOCK_MEMBERS = new Set(['Fs', 'Net', 'Syscalls', 'Settings', 'Target']);

function memberBlank(prev: A.Node, next: A.Node): boolean {
  return BLOCK_MEMBERS.has(prev.kind) || BLOCK_MEMBERS.has(next.kind);
}

const noBlank = (): boolean => false;

/** Nodes printed as `header { … }` that place the comments inside them themselves. */
function isContainer(node: A.Node): boolean {
  return node.kind === 'Policy' || BLOCK_MEMBERS.has(node.kind);
}

/** Items printed by `listLine`, which places the comments written inside them itself. */
const LIST_ITEMS = new Set(['FsRule', 'NetRule', 'SyscallRule', 'Setting', 'Assert']);

const startOf = (n: { span: A.Node['span'] }): number => n.span.offset;
const endOf = (n: { span: A.Node['span'] }): number => n.span.offset + n.span.length;

/** A blank line in the source between two lines (at most one is ever kept). */
const userGap = (endLine: number, startLine: number): boolean => startLine - endLine >= 2;

type Render = (node: A.Node, indent: string, inner: A.Comment[]) => string;

interface Placed {
  leading: A.Comment[];
  inner: A.Comment[];
  trailing: A.Comment[];
}

class Printer {
  constructor(private readonly width: number) {}

  /**
   * The lines of a sequence of items (a file, a policy body, a block body) with the
   * comments that fall in it; each returned string is one or more indented lines, and
   * '' stands for a blank line.
   */
  body(children: A.Node[], comments: A.Comment[], indent: string, forcedBlank: (a: A.Node, b: A.Node) => boolean, render: Render): string[] {
    const placed: Placed[] = children.map(() => ({ leading: [], inner: [], trailing: [] }));
    const dangling: A.Comment[] = [];
    let k = 0;
    for (const c of comments) {
      while (k < children.length && endOf(children[k]!) <= c.span.offset) k++;
      const child = children[k];
      const prev = children[k - 1];
      if (child && c.span.offset >= startOf(child)) placed[k]!.inner.push(c);
      else if (prev && c.span.line === prev.span.endLine) placed[k - 1]!.trailing.push(c);
      else if (child) placed[k]!.leading.push(c);
      else dangling.push(c);
    }

    const out: string[] = [];
    let prevEnd: number | undefined;
    children.forEach((child, i) => {
      const p = placed[i]!;
      const container = isContainer(child);
      const groupStart = p.leading[0]?.span.line ?? child.span.line;
      if (i > 0 && prevEnd !== undefined && (forcedBlank(children[i - 1]!, child) || userGap(prevEnd, groupStart))) out.push('');
      p.leading.forEach((c, j) => {
        if (j > 0 && userGap(p.leading[j - 1]!.span.endLine, c.span.line)) out.push('');
        out.push(indent + commentText(c));
      });
      const lastLeading = p.leading[p.leading.length - 1];
      if (lastLeading && userGap(lastLeading.span.endLine, child.span.line)) out.push('');
      const placesOwn = container || LIST_ITEMS.has(child.kind);
      if (!placesOwn) for (const c of p.inner) out.push(indent + commentText(c));
      let text = render(child, indent, placesOwn ? p.inner : []);
      if (p.trailing.length > 0) text += ' ' + p.trailing.map(commentText).join(' ');
      out.push(text);
      prevEnd = Math.max(child.span.endLine, ...p.trailing.map((c) => c.span.endLine));
    });
    for (const c of dangling) {
      if (prevEnd !== undefined && userGap(prevEnd, c.span.line)) out.push('');
      out.push(indent + commentText(c));
      prevEnd = c.span.endLine;
    }
    return out;
  }

  /** `header {` … `}` with the block's own comments placed inside it. */
  block(header: string, node: A.Node, children: A.Node[], comments: A.Comment[], indent: string, forcedBlank: (a: A.Node, b: A.Node) => boolean, render: Render): string {
    // A comment on the header line trails the `{` only when items follow; in an otherwise
    // empty block it goes inside, on its own line.
    const first = children[0];
    const openLine = first ? comments.filter((c) => c.span.offset < startOf(first) && c.span.line === node.span.line) : [];
    const rest = comments.filter((c) => !openLine.includes(c));
    if (children.length === 0 && comments.length === 0) return `${indent}${header} {}`;
    let open = `${indent}${header} {`;
    if (openLine.length > 0) open += ' ' + openLine.map(commentText).join(' ');
    const lines = this.body(children, rest, indent + INDENT, forcedBlank, render);
    return [open, ...lines, `${indent}}`].join('\n');
  }

  topLevel(node: A.Node, indent: string, inner: A.Comment[]): string {
    if (node.kind === 'Import') return `${indent}import ${quote((node as A.ImportDecl).path.value)}`;
    const policy = node as A.PolicyDecl;
    let header = `policy ${policy.name.name}`;
    if (policy.extends.length > 0) header += ` extends ${policy.extends.map((e) => e.name).join(', ')}`;
    return this.block(header, policy, policy.members, inner, indent, memberBlank, (m, ind, c) => this.member(m as A.Member, ind, c));
  }

  member(m: A.Member, indent: string, inner: A.Comment[]): string {
    switch (m.kind) {
      case 'Description':
        return `${indent}description ${quote(m.text.value)}`;
      case 'Isolation':
        return `${indent}isolation ${m.level.name}`;
      case 'Param': {
        let s = `${indent}param ${m.name.name}: ${m.type.name}`;
        if (m.default) s += ` = ${value(m.default)}`;
        if (m.constraints.length > 0) {
          s += ' where ' + m.constraints.map((k) => `${k.negated ? 'not ' : ''}${k.relation.name} ${k.values.map(value).join(', ')}`).join(' && ');
        }
        return s;
      }
      case 'Fs':
        return this.block('fs', m, m.rules, inner, indent, noBlank, (r, ind, own) => {
          const rule = r as A.FsRule;
          return this.listLine(ind, `${rule.effect} ${words(rule.access)}`, rule.paths.map((p) => quote(p.value)), rule.except.map((p) => quote(p.value)), undefined, { rule, items: rule.paths, except: rule.except, comments: own });
        });
      case 'Net':
        return this.block('net', m, m.rules, inner, indent, noBlank, (r, ind, own) => {
          const rule = r as A.NetRule;
          return this.listLine(ind, `${rule.effect} ${netHead(rule.operation, rule.protocol)}`, rule.targets.map(netTarget), rule.except.map(netTarget), undefined, { rule, items: rule.targets, except: rule.except, comments: own });
        });
      case 'Syscalls':
        return this.block('syscalls', m, m.statements, inner, indent, noBlank, (s, ind, own) => {
          const st = s as A.SyscallStatement;
          if (st.kind === 'SyscallDefault') return `${ind}default ${action(st.action)}`;
          return this.listLine(ind, st.effect, st.targets.map(syscallTarget), [], st.action ? action(st.action) : undefined, { rule: st, items: st.targets, except: [], tail: st.action, comments: own });
        });
      case 'Settings':
        return this.block(m.section, m, m.settings, inner, indent, noBlank, (s, ind, own) => this.setting(s as A.Setting, ind, own));
      case 'Target':
        return this.block(`target ${m.name.name}`, m, m.settings, inner, indent, noBlank, (s, ind, own) => this.setting(s as A.Setting, ind, own));
      case 'Assert': {
        const head = `assert ${m.quantifier.name}`;
        const r = m.request;
        switch (r.kind) {
          case 'FsRequest':
            return this.listLine(indent, `${head} ${words(r.access)}`, r.paths.map((p) => quote(p.value)), [], undefined, { rule: m, items: r.paths, except: [], comments: inner });
          case 'NetRequest':
            return this.listLine(indent, `${head} ${netHead(r.operation, r.protocol)}`, r.targets.map(netTarget), [], undefined, { rule: m, items: r.targets, except: [], comments: inner });
          case 'SyscallRequest':
            return this.listLine(indent, `${head} syscall`, r.targets.map(syscallTarget), [], undefined, { rule: m, items: r.targets, except: [], comments: inner });
        }
      }
    }
  }

  setting(s: A.Setting, indent: string, comments: A.Comment[] = []): string {
    const head = s.modifier ? `${s.key.name} ${s.modifier.name}` : s.key.name;
    return this.listLine(indent, head, s.values.map(value), [], undefined, { rule: s, items: s.values, except: [], comments });
  }

  /**
   * A head followed by a comma-separated list, an optional `except` list and an optional tail;
   * see the wrapping rule above. `own` gives the nodes the texts come from and the comments
   * written inside the rule, placed as the file comment above describes.
   */
  listLine(indent: string, head: string, items: string[], except: string[], tail?: string, own?: ListComments): string {
    const placed = own ? placeListComments(own) : undefined;
    const before = (placed?.before ?? []).map((c) => indent + commentText(c));
    let flat = `${indent}${head} ${items.join(', ')}`;
    if (except.length > 0) flat += ` except ${except.join(', ')}`;
    if (tail !== undefined) flat += ` ${tail}`;
    if (!placed?.any && (flat.length <= this.width || items.length + except.length < 2)) return [...before, flat].join('\n');
    const texts = (cs: A.Comment[] | undefined): string => (cs && cs.length > 0 ? ' ' + cs.map(commentText).join(' ') : '');
    const leading = (at: string, cs: A.Comment[] | undefined): void => cs?.forEach((c) => lines.push(at + commentText(c)));
    const lines = [...before, `${indent}${head}${texts(placed?.head)}`];
    const list = (xs: string[], offset: number): void =>
      xs.forEach((x, i) => {
        leading(indent + CONTINUATION, placed?.lead[offset + i]);
        lines.push(`${indent}${CONTINUATION}${x}${i < xs.length - 1 ? ',' : ''}${texts(placed?.trail[offset + i])}`);
      });
    list(items, 0);
    if (except.length > 0) {
      leading(indent + CLAUSE, placed?.exceptClause);
      lines.push(`${indent}${CLAUSE}except`);
      list(except, items.length);
    }
    if (tail !== undefined) {
      leading(indent + CLAUSE, placed?.lead[items.length + except.length]);
      lines.push(`${indent}${CLAUSE}${tail}`);
    }
    return lines.join('\n');
  }
}

/** A rule's list nodes (in the order printed) and the comments written inside the rule. */
interface ListComments {
  rule: A.Node;
  items: readonly A.Node[];
  except: readonly A.Node[];
  tail?: A.Node;
  comments: readonly A.Comment[];
}

/**
 * Where each comment written inside a rule goes, by position: `lead[i]`/`trail[i]` of the i-th
 * node (items, then except items, then the tail), `head` trails the head line (a line comment
 * there), `exceptClause` leads the `except` line, `before` is printed before the rule (a block
 * comment inside the head; every comment of the rule when one is inside an item).
 */
function placeListComments(own: ListComments): { any: boolean; head: A.Comment[]; lead: A.Comment[][]; trail: A.Comment[][]; exceptClause: A.Comment[]; before: A.Comment[] } {
  const nodes = [...own.items, ...own.except, ...(own.tail ? [own.tail] : [])];
  const out = { any: false, head: [] as A.Comment[], lead: nodes.map((): A.Comment[] => []), trail: nodes.map((): A.Comment[] => []), exceptClause: [] as A.Comment[], before: [] as A.Comment[] };
  // A comment inside an item leads the whole rule; the others go before it too, so that the
  // comments keep their order.
  if (own.comments.some((c) => nodes.some((n) => c.span.offset > startOf(n) && c.span.offset < endOf(n)))) return { ...out, before: [...own.comments] };
  for (const c of own.comments) {
    const at = c.span.offset;
    const next = nodes.findIndex((n) => startOf(n) > at);
    const prev = (next < 0 ? nodes.length : next) - 1;
    if (prev < 0 && c.span.line === own.rule.span.line && c.kind === 'BlockComment') {
      out.before.push(c); // inside the head (`allow /* x */ read`): before the rule, as it comes first
      continue;
    }
    out.any = true;
    if (prev >= 0 && c.span.line === nodes[prev]!.span.endLine) out.trail[prev]!.push(c);
    else if (prev < 0 && c.span.line === own.rule.span.line) out.head.push(c);
    else if (next >= 0 && own.except.length > 0 && next === own.items.length) out.exceptClause.push(c);
    else if (next >= 0) out.lead[next]!.push(c);
    else out.trail[prev]!.push(c); // after the last node and not on its line: not inside the rule (its span ends there)
  }
  return out;
}

function commentText(c: A.Comment): string {
  return c.kind === 'LineComment' ? c.text.trimEnd() : c.text;
}

function words(ids: A.Identifier[]): string {
  return ids.map((i) => i.name).join(', ');
}

function netHead(operation: A.Identifier, protocol: A.Identifier | A.AnyLiteral | undefined): string {
  if (!protocol) return operation.name;
  return `${operation.name} ${protocol.kind === 'Any' ? 'any' : protocol.name}`;
}

function netTarget(t: A.NetTarget): string {
  const host = t.host.kind === 'Any' ? 'any' : quote(t.host.value);
  if (!t.port) return host;
  const from = t.port.from.kind === 'Any' ? 'any' : number(t.port.from);
  return `${host}:${from}${t.port.to ? `-${number(t.port.to)}` : ''}`;
}

function syscallTarget(t: A.SyscallTarget): string {
  if (t.kind === 'GroupRef') return `@${t.name}`;
  const name = `${t.optional ? '?' : ''}${t.name.name}`;
  return t.condition ? `${name}(${printCondition(t.condition)})` : name;
}

function action(a: A.Action): string {
  if (!a.argument) return a.name.name;
  return `${a.name.name}(${a.argument.kind === 'Identifier' ? a.argument.name : number(a.argument)})`;
}

export function printCondition(c: A.Condition): string {
  switch (c.kind) {
    case 'Or':
      return c.items.map(naryChild).join(' || ');
    case 'And':
      return c.items.map(naryChild).join(' && ');
    case 'Not':
      return c.item.kind === 'Not' ? `!${printCondition(c.item)}` : `!(${printCondition(c.item)})`;
    case 'Compare':
      return `${c.arg.name}${c.mask ? ` & ${valueExpr(c.mask)}` : ''} ${c.op} ${valueExpr(c.value)}`;
    case 'In':
      return `${c.arg.name} in [${c.values.map(valueExpr).join(', ')}]`;
  }
}

function naryChild(c: A.Condition): string {
  return c.kind === 'And' || c.kind === 'Or' ? `(${printCondition(c)})` : printCondition(c);
}

function valueExpr(v: A.ValueExpr): string {
  return v.parts.map((p) => (p.kind === 'Identifier' ? p.name : number(p))).join(' | ');
}

function value(v: A.Value): string {
  switch (v.kind) {
    case 'String':
      return quote(v.value);
    case 'Number':
      return number(v);
    case 'Identifier':
      return v.name;
  }
}

export function number(n: A.NumberLiteral): string {
  return `${n.negative ? '-' : ''}${n.digits}${n.unit ?? ''}`;
}

/** A string literal that the lexer reads back as exactly `s`. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (UNSEEN.test(ch)) out += `\\u{${cp.toString(16).toUpperCase()}}`;
    else out += ch;
  }
  return out + '"';
}
