/**
 * CST → AST. Runs only on CSTs without syntax errors, so every mandatory child is present;
 * string escapes are decoded here (MXC1006 for bad ones).
 */
import type { CstElement, CstNode, IToken } from './chevrotain.js';
import type * as A from './ast.js';
import { joinSpans, type LineMap, type Span } from './location.js';
import { diagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly file: string, private readonly lineMap: LineMap) {}

  private tokenSpan(t: IToken): Span {
    return this.lineMap.span(this.file, t.startOffset, t.image.length);
  }

  private nodeSpan(n: CstNode): Span {
    const loc = n.location;
    if (!loc || loc.startOffset === undefined || Number.isNaN(loc.startOffset)) {
      return this.lineMap.span(this.file, 0, 0);
    }
    const end = loc.endOffset ?? loc.startOffset;
    return this.lineMap.span(this.file, loc.startOffset, Math.max(0, end - loc.startOffset + 1));
  }

  private spanOf(e: CstElement): Span {
    return isToken(e) ? this.tokenSpan(e) : this.nodeSpan(e);
  }

  private tokens(n: CstNode, key: string): IToken[] {
    return (n.children[key] ?? []).filter(isToken);
  }

  private nodes(n: CstNode, key: string): CstNode[] {
    return (n.children[key] ?? []).filter((e): e is CstNode => !isToken(e));
  }

  private token(n: CstNode, key: string): IToken {
    const t = this.tokens(n, key)[0];
    if (!t) throw new Error(`internal: CST node ${n.name} lacks ${key}`);
    return t;
  }

  private node(n: CstNode, key: string): CstNode {
    const c = this.nodes(n, key)[0];
    if (!c) throw new Error(`internal: CST node ${n.name} lacks ${key}`);
    return c;
  }

  /** Children in source order, for productions whose order matters (mixed token kinds). */
  private ordered(n: CstNode): CstElement[] {
    const all: CstElement[] = [];
    for (const list of Object.values(n.children)) all.push(...list);
    return all.sort((a, b) => startOf(a) - startOf(b));
  }

  ident(t: IToken): A.Identifier {
    return { kind: 'Identifier', name: t.image, span: this.tokenSpan(t) };
  }

  string(t: IToken): A.StringLiteral {
    const span = this.tokenSpan(t);
    return { kind: 'String', value: this.decodeString(t.image, span), span };
  }

  private decodeString(image: string, span: Span): string {
    const body = image.slice(1, -1);
    if (!body.includes('\\')) return body;
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const next = body[i + 1];
      i++;
      switch (next) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const m = /^\{([0-9a-fA-F]{1,6})\}/.exec(body.slice(i + 1));
          const cp = m ? parseInt(m[1]!, 16) : NaN;
          if (m && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
            out += String.fromCodePoint(cp);
            i += m[0].length;
            break;
          }
          this.badEscape(span, i - 1, 2);
          break;
        }
        default:
          this.badEscape(span, i - 1, next === undefined ? 1 : 2);
      }
    }
    return out;
  }

  private badEscape(span: Span, at: number, length: number): void {
    this.diagnostics.push(
      diagnostic('MXC1006', 'invalid escape sequence in string', {
        span: { ...span, offset: span.offset + 1 + at, column: span.column + 1 + at, length, endColumn: span.column + 1 + at + length, endLine: span.line },
        help: 'strings support \\" \\\\ \\n \\t and \\u{XXXX}',
      }),
    );
  }

  numberNode(n: CstNode): A.NumberLiteral {
    const q = this.tokens(n, 'Quantity')[0];
    const span = this.nodeSpan(n);
    if (q) {
      const m = /^([0-9]+)([A-Za-z]+)$/.exec(q.image)!;
      return { kind: 'Number', digits: m[1]!, negative: false, unit: m[2]!, span };
    }
    const num = this.token(n, 'NumberLiteral');
    return { kind: 'Number', digits: num.image, negative: this.tokens(n, 'Minus').length > 0, span };
  }

  numberToken(t: IToken): A.NumberLiteral {
    return { kind: 'Number', digits: t.image, negative: false, span: this.tokenSpan(t) };
  }

  value(n: CstNode): A.Value {
    const s = this.tokens(n, 'StringLiteral')[0];
    if (s) return this.string(s);
    const id = this.tokens(n, 'Identifier')[0];
    if (id) return this.ident(id);
    return this.numberNode(this.node(n, 'number'));
  }

  document(n: CstNode, comments: IToken[]): A.Document {
    const imports: A.ImportDecl[] = [];
    const policies: A.PolicyDecl[] = [];
    for (const c of this.ordered(n)) {
      if (isToken(c)) continue;
      if (c.name === 'importDecl') {
        imports.push({ kind: 'Import', path: this.string(this.token(c, 'StringLiteral')), span: this.nodeSpan(c) });
      } else if (c.name === 'policyDecl') {
        policies.push(this.policy(c));
      }
    }
    return {
      kind: 'Document',
      imports,
      policies,
      comments: comments.map((t) => ({
        kind: t.image.startsWith('//') ? 'LineComment' : 'BlockComment',
        text: t.image,
        span: this.tokenSpan(t),
      })),
      span: this.lineMap.span(this.file, 0, this.lineMap.textLength),
    };
  }

  policy(n: CstNode): A.PolicyDecl {
    return {
      kind: 'Policy',
      name: this.ident(this.token(n, 'name')),
      extends: this.tokens(n, 'parents').map((t) => this.ident(t)),
      members: this.nodes(n, 'member').map((m) => this.member(m)),
      span: this.nodeSpan(n),
    };
  }

  member(n: CstNode): A.Member {
    const c = this.ordered(n)[0] as CstNode;
    const span = this.nodeSpan(c);
    switch (c.name) {
      case 'descriptionDecl':
        return { kind: 'Description', text: this.string(this.token(c, 'StringLiteral')), span };
      case 'isolationDecl':
        return { kind: 'Isolation', level: this.ident(this.token(c, 'level')), span };
      case 'paramDecl': {
        const p: A.ParamDecl = {
          kind: 'Param',
          name: this.ident(this.token(c, 'name')),
          type: this.ident(this.token(c, 'type')),
          constraints: this.nodes(c, 'constraint').map((k) => ({
            kind: 'Constraint',
            negated: this.tokens(k, 'Not').length > 0,
            relation: this.ident(this.token(k, 'relation')),
            values: this.nodes(k, 'value').map((v) => this.value(v)),
            span: this.nodeSpan(k),
          })),
          span,
        };
        const d = this.nodes(c, 'default')[0];
        if (d) p.default = this.value(d);
        return p;
      }
      case 'fsSection':
        return { kind: 'Fs', rules: this.nodes(c, 'requestRule').map((r) => this.fsRule(r)), span };
      case 'netSection':
        return { kind: 'Net', rules: this.nodes(c, 'requestRule').map((r) => this.netRule(r)), span };
      case 'syscallsSection':
        return {
          kind: 'Syscalls',
          statements: this.ordered(c)
            .filter((e): e is CstNode => !isToken(e))
            .map((s) => (s.name === 'syscallDefault' ? this.syscallDefault(s) : this.syscallRule(s))),
          span,
        };
      case 'settingsSection': {
        const keyword = this.ordered(c)[0] as IToken;
        return {
          kind: 'Settings',
          section: keyword.image as A.SettingsSection['section'],
          settings: this.settings(this.node(c, 'settingsBlock')),
          span,
        };
      }
      case 'assertDecl':
        return { kind: 'Assert', quantifier: this.ident(this.token(c, 'quantifier')), request: this.assertRequest(c), span };
      case 'targetDecl':
        return { kind: 'Target', name: this.ident(this.token(c, 'name')), settings: this.settings(this.node(c, 'settingsBlock')), span };
      default:
        throw new Error(`internal: unknown member ${c.name}`);
    }
  }

  private effect(n: CstNode): A.Effect {
    return this.tokens(n, 'Allow').length > 0 ? 'allow' : 'deny';
  }

  private words(pattern: CstNode): { words: A.Identifier[]; anyProtocol?: A.AnyLiteral } {
    const wl = this.node(pattern, 'wordList');
    const words = this.tokens(wl, 'Identifier').map((t) => this.ident(t)).sort((a, b) => a.span.offset - b.span.offset);
    const any = this.tokens(wl, 'anyProtocol')[0];
    return any ? { words, anyProtocol: { kind: 'Any', span: this.tokenSpan(any) } } : { words };
  }

  private targets(list: CstNode): A.NetTarget[] {
    return this.nodes(list, 'target').map((t) => {
      const s = this.tokens(t, 'StringLiteral')[0];
      const host: A.StringLiteral | A.AnyLiteral = s ? this.string(s) : { kind: 'Any', span: this.tokenSpan(this.token(t, 'Any')) };
      const target: A.NetTarget = { kind: 'NetTarget', host, span: this.nodeSpan(t) };
      const p = this.nodes(t, 'portSpec')[0];
      if (p) target.port = this.port(p);
      return target;
    });
  }

  private port(n: CstNode): A.PortSpec {
    const span = this.nodeSpan(n);
    const any = this.tokens(n, 'Any')[0];
    if (any) return { kind: 'Port', from: { kind: 'Any', span: this.tokenSpan(any) }, span };
    const p: A.PortSpec = { kind: 'Port', from: this.numberToken(this.token(n, 'from')), span };
    const to = this.tokens(n, 'to')[0];
    if (to) p.to = this.numberToken(to);
    return p;
  }

  /** Targets of an fs rule must be strings; `any` there is reported and dropped. */
  private pathsOf(targets: A.NetTarget[]): A.StringLiteral[] {
    const out: A.StringLiteral[] = [];
    for (const t of targets) {
      if (t.host.kind === 'Any') {
        this.diagnostics.push(diagnostic('MXC1103', '`any` is not a path', { span: t.span, help: 'write "/**" to mean every path' }));
        continue;
      }
      if (t.port) {
        this.diagnostics.push(diagnostic('MXC1103', 'a path cannot have a port', { span: t.port.span, help: 'ports belong in the net section' }));
      }
      out.push(t.host);
    }
    return out;
  }

  fsRule(n: CstNode): A.FsRule {
    const pattern = this.node(n, 'requestPattern');
    const { words, anyProtocol } = this.words(pattern);
    if (anyProtocol) {
      this.diagnostics.push(diagnostic('MXC1104', 'unknown access right `any`', { span: anyProtocol.span, help: 'list the access rights, e.g. read, list' }));
    }
    const exceptList = this.nodes(n, 'except')[0];
    return {
      kind: 'FsRule',
      effect: this.effect(this.node(n, 'effect')),
      access: words,
      paths: this.pathsOf(this.targets(this.node(pattern, 'targetList'))),
      except: exceptList ? this.pathsOf(this.targets(exceptList)) : [],
      span: this.nodeSpan(n),
    };
  }

  private netParts(pattern: CstNode): { operation: A.Identifier; protocol?: A.Identifier | A.AnyLiteral; targets: A.NetTarget[] } {
    const { words, anyProtocol } = this.words(pattern);
    const operation = words[0]!;
    const extra = words.slice(1);
    let protocol: A.Identifier | A.AnyLiteral | undefined = anyProtocol;
    if (extra.length > 0) {
      if (protocol || extra.length > 1) {
        const bad = protocol ? extra[0]! : extra[1]!;
        this.diagnostics.push(diagnostic('MXC1110', `unexpected word \`${bad.name}\` in network rule`, {
          span: bad.span,
          help: 'write: allow connect tcp "host":port',
        }));
      }
      protocol ??= extra[0]!;
    }
    const result: { operation: A.Identifier; protocol?: A.Identifier | A.AnyLiteral; targets: A.NetTarget[] } = {
      operation,
      targets: this.targets(this.node(pattern, 'targetList')),
    };
    if (protocol) result.protocol = protocol;
    return result;
  }

  netRule(n: CstNode): A.NetRule {
    const parts = this.netParts(this.node(n, 'requestPattern'));
    const exceptList = this.nodes(n, 'except')[0];
    return {
      kind: 'NetRule',
      effect: this.effect(this.node(n, 'effect')),
      ...parts,
      except: exceptList ? this.targets(exceptList) : [],
      span: this.nodeSpan(n),
    };
  }

  private assertRequest(n: CstNode): A.AssertRequest {
    const syscalls = this.nodes(n, 'syscallTargets')[0];
    if (syscalls) {
      return { kind: 'SyscallRequest', targets: this.syscallTargets(syscalls), span: joinSpans(this.tokenSpan(this.token(n, 'Syscall')), this.nodeSpan(syscalls)) };
    }
    const pattern = this.node(n, 'requestPattern');
    const { words } = this.words(pattern);
    const first = words[0]!.name;
    if (first === 'connect' || first === 'bind' || first === 'resolve') {
      return { kind: 'NetRequest', ...this.netParts(pattern), span: this.nodeSpan(pattern) };
    }
    const { anyProtocol } = this.words(pattern);
    if (anyProtocol) {
      this.diagnostics.push(diagnostic('MXC1104', 'unknown access right `any`', { span: anyProtocol.span }));
    }
    return { kind: 'FsRequest', access: words, paths: this.pathsOf(this.targets(this.node(pattern, 'targetList'))), span: this.nodeSpan(pattern) };
  }

  private syscallDefault(n: CstNode): A.SyscallDefault {
    return { kind: 'SyscallDefault', action: this.action(this.node(n, 'action')), span: this.nodeSpan(n) };
  }

  private syscallRule(n: CstNode): A.SyscallRule {
    const rule: A.SyscallRule = {
      kind: 'SyscallRule',
      effect: this.effect(this.node(n, 'effect')),
      targets: this.syscallTargets(this.node(n, 'syscallTargets')),
      span: this.nodeSpan(n),
    };
    const a = this.nodes(n, 'action')[0];
    if (a) rule.action = this.action(a);
    return rule;
  }

  private syscallTargets(n: CstNode): A.SyscallTarget[] {
    return this.nodes(n, 'syscallTarget').map((t) => {
      const g = this.tokens(t, 'GroupName')[0];
      if (g) return { kind: 'GroupRef', name: g.image.slice(1), span: this.tokenSpan(g) };
      const ref: A.SyscallRef = {
        kind: 'SyscallRef',
        name: this.ident(this.token(t, 'Identifier')),
        optional: this.tokens(t, 'Question').length > 0,
        span: this.nodeSpan(t),
      };
      const cond = this.nodes(t, 'orExpr')[0];
      if (cond) ref.condition = this.orExpr(cond);
      return ref;
    });
  }

  private action(n: CstNode): A.Action {
    const a: A.Action = { kind: 'Action', name: this.ident(this.token(n, 'name')), span: this.nodeSpan(n) };
    const arg = this.tokens(n, 'arg')[0];
    if (arg) a.argument = this.ident(arg);
    const num = this.nodes(n, 'number')[0];
    if (num) a.argument = this.numberNode(num);
    return a;
  }

  private orExpr(n: CstNode): A.Condition {
    const items = this.nodes(n, 'andExpr').map((a) => this.andExpr(a));
    return items.length === 1 ? items[0]! : { kind: 'Or', items, span: this.nodeSpan(n) };
  }

  private andExpr(n: CstNode): A.Condition {
    const items = this.nodes(n, 'unaryExpr').map((u) => this.unaryExpr(u));
    return items.length === 1 ? items[0]! : { kind: 'And', items, span: this.nodeSpan(n) };
  }

  private unaryExpr(n: CstNode): A.Condition {
    if (this.tokens(n, 'Bang').length > 0) {
      return { kind: 'Not', item: this.unaryExpr(this.node(n, 'unaryExpr')), span: this.nodeSpan(n) };
    }
    const inner = this.nodes(n, 'orExpr')[0];
    if (inner) return this.orExpr(inner);
    const c = this.node(n, 'comparison');
    const arg = this.ident(this.token(c, 'arg'));
    const span = this.nodeSpan(c);
    if (this.tokens(c, 'In').length > 0) {
      return { kind: 'In', arg, values: this.nodes(c, 'members').map((v) => this.valueExpr(v)), span };
    }
    const opNode = this.node(c, 'compareOp');
    const opTok = this.ordered(opNode)[0] as IToken;
    const cmp: A.Comparison = {
      kind: 'Compare',
      arg,
      op: opTok.image as A.CompareOp,
      value: this.valueExpr(this.node(c, 'rhs')),
      span,
    };
    const mask = this.nodes(c, 'mask')[0];
    if (mask) cmp.mask = this.valueExpr(mask);
    return cmp;
  }

  private valueExpr(n: CstNode): A.ValueExpr {
    const parts = this.ordered(n)
      .filter((e) => !(isToken(e) && e.tokenType.name === 'Pipe'))
      .map((e) => (isToken(e) ? this.ident(e) : this.numberNode(e)));
    return { kind: 'ValueExpr', parts, span: this.nodeSpan(n) };
  }

  private settings(block: CstNode): A.Setting[] {
    return this.nodes(block, 'setting').map((s) => {
      const setting: A.Setting = {
        kind: 'Setting',
        key: this.ident(this.token(s, 'key')),
        values: [
          ...this.tokens(s, 'strings').map((t) => this.string(t)),
          ...this.nodes(s, 'value').map((v) => this.value(v)),
        ],
        span: this.nodeSpan(s),
      };
      const m = this.tokens(s, 'modifier')[0];
      if (m) setting.modifier = this.ident(m);
      return setting;
    });
  }
}

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined && (e as IToken).tokenType !== undefined;
}

function startOf(e: CstElement): number {
  return isToken(e) ? e.startOffset : (e.location?.startOffset ?? 0);
}
