import { CstParser, EOF, type CstNode, type IParserErrorMessageProvider, type IToken, type TokenType } from './chevrotain.js';
import * as T from './tokens.js';

const describe = (t: IToken): string => (t.tokenType === EOF ? 'end of file' : `'${t.image.length > 30 ? t.image.slice(0, 30) + '…' : t.image}'`);
const labelOf = (t: TokenType): string => t.LABEL ?? t.name;

function expectedList(paths: TokenType[][][]): string {
  const names = new Set<string>();
  for (const alt of paths) for (const path of alt) if (path[0]) names.add(labelOf(path[0]));
  const list = [...names].sort();
  if (list.length === 0) return 'something else';
  if (list.length === 1) return list[0]!;
  return `one of ${list.join(', ')}`;
}

/** Short messages in the project's own words instead of chevrotain's defaults. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${labelOf(expected)} but found ${describe(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describe(firstRedundant)}; expected 'policy' or 'import'`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const found = actual[0] ? describe(actual[0]) : 'end of file';
    return `unexpected ${found} in ${ruleLabel(ruleName)}; expected ${expectedList(expectedPathsPerAlt)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const found = actual[0] ? describe(actual[0]) : 'end of file';
    return `unexpected ${found} in ${ruleLabel(ruleName)}; expected ${expectedList([expectedIterationPaths])}`;
  },
};

function ruleLabel(rule: string): string {
  return rule.replace(/([A-Z])/g, ' $1').toLowerCase().trim();
}

/**
 * The concrete syntax of .mxc (see shared/design/language.md). One production per
 * construct; words such as access rights and setting keys are plain identifiers.
 */
export class MxcParser extends CstParser {
  /**
   * chevrotain's grammar validations (ambiguities, left recursion) cost about a third of the
   * parser's start-up, which every command pays. The grammar is fixed at build time, so the shared
   * instance skips them and grammar/parser.test.ts builds one with them on.
   */
  constructor(options: { validateGrammar?: boolean } = {}) {
    super(T.ALL_TOKENS, {
      recoveryEnabled: true,
      maxLookahead: 3,
      errorMessageProvider: messages,
      nodeLocationTracking: 'full',
      skipValidations: options.validateGrammar !== true,
    });
    this.performSelfAnalysis();
  }

  document = this.RULE('document', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.policyDecl) },
      ]);
    });
  });

  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
  });

  policyDecl = this.RULE('policyDecl', () => {
    this.CONSUME(T.Policy);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.Extends);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier, { LABEL: 'parents' }) });
    });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.member));
    this.CONSUME(T.RCurly);
  });

  member = this.RULE('member', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.descriptionDecl) },
      { ALT: () => this.SUBRULE(this.isolationDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.fsSection) },
      { ALT: () => this.SUBRULE(this.netSection) },
      { ALT: () => this.SUBRULE(this.syscallsSection) },
      { ALT: () => this.SUBRULE(this.settingsSection) },
      { ALT: () => this.SUBRULE(this.assertDecl) },
      { ALT: () => this.SUBRULE(this.targetDecl) },
    ]);
  });

  descriptionDecl = this.RULE('descriptionDecl', () => {
    this.CONSUME(T.Description);
    this.CONSUME(T.StringLiteral);
  });

  isolationDecl = this.RULE('isolationDecl', () => {
    this.CONSUME(T.Isolation);
    // `process` is also a section keyword, so it is accepted here explicitly.
    this.OR([{ ALT: () => this.CONSUME(T.Identifier, { LABEL: 'level' }) }, { ALT: () => this.CONSUME(T.Process, { LABEL: 'level' }) }]);
  });

  paramDecl = this.RULE('paramDecl', () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Colon);
    this.CONSUME2(T.Identifier, { LABEL: 'type' });
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.value, { LABEL: 'default' });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Where);
      this.AT_LEAST_ONE_SEP({ SEP: T.AndAnd, DEF: () => this.SUBRULE(this.constraint) });
    });
  });

  constraint = this.RULE('constraint', () => {
    this.OPTION(() => this.CONSUME(T.Not));
    this.CONSUME(T.Identifier, { LABEL: 'relation' });
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value) });
  });

  value = this.RULE('value', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.SUBRULE(this.number) },
      { ALT: () => this.CONSUME(T.Identifier) },
    ]);
  });

  number = this.RULE('number', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Quantity) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Minus));
          this.CONSUME(T.NumberLiteral);
        },
      },
    ]);
  });

  fsSection = this.RULE('fsSection', () => {
    this.CONSUME(T.Fs);
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.requestRule));
    this.CONSUME(T.RCurly);
  });

  netSection = this.RULE('netSection', () => {
    this.CONSUME(T.Net);
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.requestRule));
    this.CONSUME(T.RCurly);
  });

  effect = this.RULE('effect', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Allow) }, { ALT: () => this.CONSUME(T.Deny) }]);
  });

  /** fs and net rules share one shape: effect, words, targets, optional except. */
  requestRule = this.RULE('requestRule', () => {
    this.SUBRULE(this.effect);
    this.SUBRULE(this.requestPattern);
    this.OPTION(() => {
      this.CONSUME(T.Except);
      this.SUBRULE(this.targetList, { LABEL: 'except' });
    });
  });

  requestPattern = this.RULE('requestPattern', () => {
    this.SUBRULE(this.wordList);
    this.SUBRULE(this.targetList);
  });

  /** `read, list, exec` or `connect tcp` or `connect any` (any as protocol only when a target follows). */
  wordList = this.RULE('wordList', () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.OPTION(() => this.CONSUME(T.Comma));
      this.CONSUME2(T.Identifier);
    });
    this.OPTION2({
      GATE: () => {
        const next = this.LA(2).tokenType;
        return next === T.StringLiteral || next === T.Any;
      },
      DEF: () => this.CONSUME(T.Any, { LABEL: 'anyProtocol' }),
    });
  });

  targetList = this.RULE('targetList', () => {
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.target) });
  });

  target = this.RULE('target', () => {
    this.OR([{ ALT: () => this.CONSUME(T.StringLiteral) }, { ALT: () => this.CONSUME(T.Any) }]);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.portSpec);
    });
  });

  portSpec = this.RULE('portSpec', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Any) },
      {
        ALT: () => {
          this.CONSUME(T.NumberLiteral, { LABEL: 'from' });
          this.OPTION(() => {
            this.CONSUME(T.Minus);
            this.CONSUME2(T.NumberLiteral, { LABEL: 'to' });
          });
        },
      },
    ]);
  });

  syscallsSection = this.RULE('syscallsSection', () => {
    this.CONSUME(T.Syscalls);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.syscallDefault) }, { ALT: () => this.SUBRULE(this.syscallRule) }]);
    });
    this.CONSUME(T.RCurly);
  });

  syscallDefault = this.RULE('syscallDefault', () => {
    this.CONSUME(T.Default);
    this.SUBRULE(this.action);
  });

  syscallRule = this.RULE('syscallRule', () => {
    this.SUBRULE(this.effect);
    this.SUBRULE(this.syscallTargets);
    // Only a name can follow as the action: `allow` starts the next rule.
    this.OPTION({ GATE: () => this.LA(1).tokenType === T.Identifier, DEF: () => this.SUBRULE(this.action) });
  });

  syscallTargets = this.RULE('syscallTargets', () => {
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.syscallTarget) });
  });

  syscallTarget = this.RULE('syscallTarget', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.GroupName) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Question));
          this.CONSUME(T.Identifier);
          this.OPTION2(() => {
            this.CONSUME(T.LParen);
            this.SUBRULE(this.orExpr);
            this.CONSUME(T.RParen);
          });
        },
      },
    ]);
  });

  action = this.RULE('action', () => {
    // `allow` is a keyword but also the action of `default allow`.
    this.OR1([{ ALT: () => this.CONSUME(T.Identifier, { LABEL: 'name' }) }, { ALT: () => this.CONSUME(T.Allow, { LABEL: 'name' }) }]);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OR([{ ALT: () => this.CONSUME2(T.Identifier, { LABEL: 'arg' }) }, { ALT: () => this.SUBRULE(this.number) }]);
      this.CONSUME(T.RParen);
    });
  });

  orExpr = this.RULE('orExpr', () => {
    this.AT_LEAST_ONE_SEP({ SEP: T.OrOr, DEF: () => this.SUBRULE(this.andExpr) });
  });

  andExpr = this.RULE('andExpr', () => {
    this.AT_LEAST_ONE_SEP({ SEP: T.AndAnd, DEF: () => this.SUBRULE(this.unaryExpr) });
  });

  unaryExpr = this.RULE('unaryExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Bang);
          this.SUBRULE(this.unaryExpr);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.orExpr);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  comparison = this.RULE('comparison', () => {
    this.CONSUME(T.Identifier, { LABEL: 'arg' });
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.In);
          this.CONSUME(T.LBracket);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.valueExpr, { LABEL: 'members' }) });
          this.CONSUME(T.RBracket);
        },
      },
      {
        ALT: () => {
          this.OPTION(() => {
            this.CONSUME(T.Amp);
            this.SUBRULE2(this.valueExpr, { LABEL: 'mask' });
          });
          this.SUBRULE(this.compareOp);
          this.SUBRULE3(this.valueExpr, { LABEL: 'rhs' });
        },
      },
    ]);
  });

  compareOp = this.RULE('compareOp', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.EqEq) },
      { ALT: () => this.CONSUME(T.NotEq) },
      { ALT: () => this.CONSUME(T.LtEq) },
      { ALT: () => this.CONSUME(T.GtEq) },
      { ALT: () => this.CONSUME(T.Lt) },
      { ALT: () => this.CONSUME(T.Gt) },
    ]);
  });

  valueExpr = this.RULE('valueExpr', () => {
    this.AT_LEAST_ONE_SEP({
      SEP: T.Pipe,
      DEF: () => {
        this.OR([{ ALT: () => this.SUBRULE(this.number) }, { ALT: () => this.CONSUME(T.Identifier) }]);
      },
    });
  });

  settingsSection = this.RULE('settingsSection', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Process) },
      { ALT: () => this.CONSUME(T.Limits) },
      { ALT: () => this.CONSUME(T.Desktop) },
    ]);
    this.SUBRULE(this.settingsBlock);
  });

  settingsBlock = this.RULE('settingsBlock', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.setting));
    this.CONSUME(T.RCurly);
  });

  /** `key value, value` or `key modifier "s", "t"` (a modifier word is always followed by a string). */
  setting = this.RULE('setting', () => {
    this.CONSUME(T.Identifier, { LABEL: 'key' });
    this.OR([
      {
        GATE: () => {
          const t1 = this.LA(1).tokenType;
          return (t1 === T.Allow || t1 === T.Deny || t1 === T.Identifier) && this.LA(2).tokenType === T.StringLiteral;
        },
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Allow, { LABEL: 'modifier' }) },
            { ALT: () => this.CONSUME(T.Deny, { LABEL: 'modifier' }) },
            { ALT: () => this.CONSUME2(T.Identifier, { LABEL: 'modifier' }) },
          ]);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.StringLiteral, { LABEL: 'strings' }) });
        },
      },
      { ALT: () => this.AT_LEAST_ONE_SEP2({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value) }) },
    ]);
  });

  assertDecl = this.RULE('assertDecl', () => {
    this.CONSUME(T.Assert);
    this.CONSUME(T.Identifier, { LABEL: 'quantifier' });
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Syscall);
          this.SUBRULE(this.syscallTargets);
        },
      },
      { ALT: () => this.SUBRULE(this.requestPattern) },
    ]);
  });

  targetDecl = this.RULE('targetDecl', () => {
    this.CONSUME(T.Target);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.SUBRULE(this.settingsBlock);
  });
}

let shared: MxcParser | undefined;

/** One parser instance is reused (chevrotain's self-analysis is the expensive part). */
export function parserInstance(): MxcParser {
  shared ??= new MxcParser();
  return shared;
}

export interface ParseCstResult {
  cst: CstNode;
  errors: { message: string; token: IToken; previousToken?: IToken }[];
}

export function parseTokens(tokens: IToken[]): ParseCstResult {
  const parser = parserInstance();
  parser.input = tokens;
  const cst = parser.document();
  const errors = parser.errors.map((e) => ({ message: e.message, token: e.token, previousToken: (e as { previousToken?: IToken }).previousToken }));
  return { cst, errors };
}
