import { createToken, Lexer, type TokenType } from './chevrotain.js';

/** Words that are reserved; every other word is an Identifier interpreted by the compiler. */
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });

function keyword(word: string): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    label: `'${word}'`,
  });
}

export const Import = keyword('import');
export const Policy = keyword('policy');
export const Extends = keyword('extends');
export const Description = keyword('description');
export const Isolation = keyword('isolation');
export const Param = keyword('param');
export const Where = keyword('where');
export const Not = keyword('not');
export const Fs = keyword('fs');
export const Net = keyword('net');
export const Syscalls = keyword('syscalls');
export const Syscall = keyword('syscall');
export const Process = keyword('process');
export const Limits = keyword('limits');
export const Desktop = keyword('desktop');
export const Assert = keyword('assert');
export const Target = keyword('target');
export const Allow = keyword('allow');
export const Deny = keyword('deny');
export const Except = keyword('except');
export const Default = keyword('default');
export const Any = keyword('any');
export const In = keyword('in');

export const KEYWORDS = [
  'import', 'policy', 'extends', 'description', 'isolation', 'param', 'where', 'not', 'fs', 'net',
  'syscalls', 'syscall', 'process', 'limits', 'desktop', 'assert', 'target', 'allow', 'deny', 'except',
  'default', 'any', 'in',
] as const;

export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/,
  label: 'a string',
});
/** A string that reaches the end of its line without a closing quote; reported as MXC1002. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*\\?/,
  label: 'an unterminated string',
});

/** A number with a size or duration unit: 2GiB, 512MiB, 30m, 10s. */
export const Quantity = createToken({
  name: 'Quantity',
  pattern: /(?:0|[1-9][0-9]*)(?:KiB|MiB|GiB|TiB|B|ms|s|m|h|d)(?![A-Za-z0-9_])/,
  label: 'a quantity',
});
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+/,
  label: 'a number',
});
export const GroupName = createToken({ name: 'GroupName', pattern: /@[a-z0-9][a-z0-9_-]*/, label: 'a syscall group' });

export const LCurly = createToken({ name: 'LCurly', pattern: /{/, label: "'{'" });
export const RCurly = createToken({ name: 'RCurly', pattern: /}/, label: "'}'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/, label: "']'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const EqEq = createToken({ name: 'EqEq', pattern: /==/, label: "'=='" });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/, label: "'!='" });
export const LtEq = createToken({ name: 'LtEq', pattern: /<=/, label: "'<='" });
export const GtEq = createToken({ name: 'GtEq', pattern: />=/, label: "'>='" });
export const Lt = createToken({ name: 'Lt', pattern: /</, label: "'<'" });
export const Gt = createToken({ name: 'Gt', pattern: />/, label: "'>'" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const AndAnd = createToken({ name: 'AndAnd', pattern: /&&/, label: "'&&'" });
export const OrOr = createToken({ name: 'OrOr', pattern: /\|\|/, label: "'||'" });
export const Amp = createToken({ name: 'Amp', pattern: /&/, label: "'&'" });
export const Pipe = createToken({ name: 'Pipe', pattern: /\|/, label: "'|'" });
export const Bang = createToken({ name: 'Bang', pattern: /!/, label: "'!'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: "'-'" });
export const Question = createToken({ name: 'Question', pattern: /\?/, label: "'?'" });

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n\r]*/, group: 'comments' });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: 'comments' });

export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  StringLiteral,
  UnterminatedString,
  Quantity,
  NumberLiteral,
  GroupName,
  Import, Policy, Extends, Description, Isolation, Param, Where, Not, Fs, Net, Syscalls, Syscall,
  Process, Limits, Desktop, Assert, Target, Allow, Deny, Except, Default, Any, In,
  Identifier,
  LCurly, RCurly, LParen, RParen, LBracket, RBracket, Comma, Colon,
  EqEq, NotEq, LtEq, GtEq, Lt, Gt, Equals, AndAnd, OrOr, Amp, Pipe, Bang, Minus, Question,
];
