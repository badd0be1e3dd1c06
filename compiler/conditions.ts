/** Syscall argument conditions: AST → disjunctive normal form over typed argument comparisons. */
import type * as A from '../grammar/ast.js';
import type { Span } from '../grammar/location.js';
import type { Code } from './diagnostics/codes.js';
import type { Arch, CompareOperator, IrArgCondition } from './ir.js';
import { didYouMeanHelp } from './suggest.js';
import { lookupConstant, CONSTANT_NAMES, LOW32_ARGS, syscallArgs, UMODE_ARGS } from './syscalls/index.js';
import { integerOf } from './values.js';

export const MAX_CONJUNCTIONS = 64;

export interface ConditionProblem {
  code: Code;
  message: string;
  span: Span;
  help?: string;
}

/**
 * A comparison that is constant (MXC1405) or that compares a negative literal by order (MXC1406).
 * `subject` is the comparison as written with its verdict ("`pid < 0` is never true"); the checker
 * adds the architectures and what the verdict means for the whole rule.
 */
export interface ConditionWarning {
  code: 'MXC1405' | 'MXC1406';
  subject: string;
  reason: string;
  span: Span;
  help: string;
}

type Dnf = IrArgCondition[][];

const NEGATE: Record<CompareOperator, CompareOperator> = {
  eq: 'ne', ne: 'eq', lt: 'ge', ge: 'lt', le: 'gt', gt: 'le', masked_eq: 'masked_ne', masked_ne: 'masked_eq',
};
const OPS: Record<A.CompareOp, CompareOperator> = { '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };

/**
 * Lower a condition for one syscall on one architecture. Values are resolved per
 * architecture (constants may differ) and truncated to the argument's kernel width.
 */
export function lowerCondition(cond: A.Condition, syscall: string, arch: Arch): { dnf: Dnf; warnings: ConditionWarning[] } | { problems: ConditionProblem[] } {
  const problems: ConditionProblem[] = [];
  const warnings: ConditionWarning[] = [];
  const args = syscallArgs(syscall, arch);

  const argOf = (id: A.Identifier): { index: number; name: string; bits: 32 | 64 } | undefined => {
    const generic = /^arg([0-5])$/.exec(id.name);
    if (generic) {
      const index = Number(generic[1]);
      const a = args[index];
      if (a?.pointer) {
        problems.push(pointerProblem(id, syscall, a.name));
        return undefined;
      }
      return { index, name: a?.name ?? id.name, bits: LOW32_ARGS[syscall] === index ? 32 : (a?.bits ?? 64) };
    }
    const index = args.findIndex((a) => a.name === id.name);
    if (index < 0) {
      const names = args.map((a) => a.name);
      problems.push({
        code: 'MXC1114',
        message: `${syscall} has no argument "${id.name}"`,
        span: id.span,
        help: didYouMeanHelp(id.name, names) ?? `its arguments are ${names.length ? names.join(', ') : '(none)'}; arg0..arg5 also work`,
      });
      return undefined;
    }
    const a = args[index]!;
    if (a.pointer) {
      problems.push(pointerProblem(id, syscall, a.name));
      return undefined;
    }
    return { index, name: a.name, bits: LOW32_ARGS[syscall] === index ? 32 : a.bits };
  };

  const valueOf = (v: A.ValueExpr, bits: 32 | 64): bigint | undefined => {
    let acc = 0n;
    for (const part of v.parts) {
      let x: bigint;
      if (part.kind === 'Identifier') {
        const c = lookupConstant(part.name, arch);
        if (c === undefined) {
          problems.push({ code: 'MXC1113', message: `unknown constant ${part.name}`, span: part.span, help: didYouMeanHelp(part.name, CONSTANT_NAMES) ?? 'write the number instead' });
          return undefined;
        }
        x = c;
      } else {
        const i = integerOf(part);
        if ('error' in i) {
          problems.push({ code: 'MXC1007', message: i.error, span: part.span });
          return undefined;
        }
        x = i.value;
      }
      const width = 1n << BigInt(bits);
      if (x < 0n) {
        if (-x > width / 2n) {
          problems.push(rangeProblem(part.span, bits));
          return undefined;
        }
        x = width + x;
      } else if (x >= width) {
        problems.push(rangeProblem(part.span, bits));
        return undefined;
      }
      acc |= x;
    }
    return acc;
  };

  /** The comparison as written (before any enclosing `!`), with masked operators mapped. */
  const comparison = (arg: A.Identifier, op: CompareOperator, value: A.ValueExpr, mask?: A.ValueExpr): IrArgCondition | undefined => {
    const a = argOf(arg);
    if (!a) return undefined;
    const v = valueOf(value, a.bits);
    const m = mask ? valueOf(mask, a.bits) : undefined;
    if (v === undefined || (mask && m === undefined)) return undefined;
    const c: IrArgCondition = { arg: a.index, name: a.name, bits: a.bits, op, value: v.toString() };
    if (m !== undefined) {
      if (op !== 'eq' && op !== 'ne') {
        problems.push({ code: 'MXC1118', message: 'a masked comparison must use == or !=', span: arg.span, help: 'write: flags & MASK == VALUE' });
        return undefined;
      }
      c.op = op === 'eq' ? 'masked_eq' : 'masked_ne';
      c.mask = m.toString();
    }
    // A umode_t argument: the kernel keeps its low 16 bits, so it is compared through the mask
    // 0xffff (chmod(f, 0x109ed) is chmod 04755: `mode == 0x9ed` must match it). An ordering
    // cannot be masked, so it is refused.
    if (UMODE_ARGS[syscall] === a.index) {
      if (op !== 'eq' && op !== 'ne') {
        problems.push({ code: 'MXC1118', message: `${a.name} of ${syscall} is a 16-bit mode (umode_t): the kernel ignores bits 16-31, which an ordering (<, <=, >, >=) would compare`, span: arg.span, help: `compare ${a.name} with ==, != or in, or test bits with a mask (${a.name} & 0x800 != 0: setuid)` });
        return undefined;
      }
      c.op = c.op === 'eq' || c.op === 'masked_eq' ? 'masked_eq' : 'masked_ne';
      c.mask = ((m ?? 0xffffn) & 0xffffn).toString();
    }
    return c;
  };
  const negate = (c: IrArgCondition): IrArgCondition => ({ ...c, op: NEGATE[c.op] });

  const lower = (c: A.Condition, negated: boolean): Dnf | undefined => {
    switch (c.kind) {
      case 'Not':
        return lower(c.item, !negated);
      case 'Or':
      case 'And': {
        const parts = c.items.map((i) => lower(i, negated));
        if (parts.some((p) => p === undefined)) return undefined;
        const isOr = (c.kind === 'Or') !== negated;
        return isOr ? parts.flatMap((p) => p!) : parts.reduce<Dnf | undefined>((acc, p) => (acc === undefined ? undefined : and(acc, p!, c.span)), [[]]);
      }
      case 'Compare': {
        const written = comparison(c.arg, OPS[c.op], c.value, c.mask);
        if (!written) return undefined;
        const w = writtenComparisonWarning(c, written, UMODE_ARGS[syscall] === written.arg);
        if (w) warnings.push(w);
        return [[negated ? negate(written) : written]];
      }
      case 'In': {
        const alts = c.values.map((v) => comparison(c.arg, 'eq', v));
        if (alts.some((a) => a === undefined)) return undefined;
        const lowered: Dnf[] = alts.map((a) => [[negated ? negate(a!) : a!]]);
        return negated ? lowered.reduce<Dnf | undefined>((acc, p) => (acc === undefined ? undefined : and(acc, p, c.span)), [[]]) : lowered.flat();
      }
    }
  };

  const and = (x: Dnf, y: Dnf, span: Span): Dnf | undefined => {
    if (x.length * y.length > MAX_CONJUNCTIONS) {
      problems.push({ code: 'MXC1403', message: `condition expands to more than ${MAX_CONJUNCTIONS} alternatives`, span, help: 'split the rule into several rules, one per alternative' });
      return undefined;
    }
    // x is the accumulator of a reduce, whose conjunctions no one else holds: one conjunction to
    // add (a negated `in` member, an operand of &&) extends them in place, in linear time.
    if (y.length === 1) {
      for (const a of x) for (const c of y[0]!) a.push(c);
      return x;
    }
    const out: Dnf = [];
    for (const a of x) for (const b of y) out.push([...a, ...b]);
    return out;
  };

  const dnf = lower(cond, false);
  if (dnf === undefined || problems.length > 0) return { problems };
  if (dnf.length > MAX_CONJUNCTIONS) {
    return { problems: [{ code: 'MXC1403', message: `condition expands to more than ${MAX_CONJUNCTIONS} alternatives`, span: cond.span, help: 'split the rule into several rules' }] };
  }
  return { dnf: dnf.map(dedupeConjunction), warnings };
}

function dedupeConjunction(cs: IrArgCondition[]): IrArgCondition[] {
  const seen = new Set<string>();
  return cs.filter((c) => {
    const k = JSON.stringify(c);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function pointerProblem(id: A.Identifier, syscall: string, name: string): ConditionProblem {
  return {
    code: 'MXC1401',
    message: `${syscall}'s argument "${name}" is a pointer; seccomp cannot read the memory it points to`,
    span: id.span,
    help: 'filter paths in the fs section instead; conditions can only test integer arguments',
  };
}

function rangeProblem(span: Span, bits: 32 | 64): ConditionProblem {
  return {
    code: 'MXC1402',
    message: `value does not fit the ${bits}-bit argument`,
    span,
    help: bits === 32 ? 'the kernel reads this argument as a 32-bit int; only the low 32 bits are compared' : 'arguments are 64-bit',
  };
}

/**
 * Whether a comparison holds for every argument value (true), for none (false), or for some
 * values only (undefined), decided exactly as evaluate.ts `conditionHolds` decides one call:
 * the argument is an unsigned `bits`-wide value (a 32-bit argument's upper half is ignored).
 */
export function comparisonTruth(c: IrArgCondition): boolean | undefined {
  const max = (1n << BigInt(c.bits)) - 1n;
  const v = BigInt(c.value);
  switch (c.op) {
    case 'eq':
    case 'ne':
      return undefined; // the argument can be v and can be v + 1 (mod the width)
    case 'lt':
      return v === 0n ? false : undefined; // 0 < v, and not max < v
    case 'ge':
      return v === 0n ? true : undefined;
    case 'le':
      return v === max ? true : undefined; // 0 <= v, and not max <= v
    case 'gt':
      return v === max ? false : undefined;
    case 'masked_eq':
    case 'masked_ne': {
      if (c.mask === undefined) throw new Error(`malformed IR: ${c.op} on ${c.name} without a mask`);
      const m = BigInt(c.mask);
      let equal: boolean;
      // arg & m never has a bit outside m; with v inside a nonzero m, arg = v gives v and
      // arg = v ^ (lowest bit of m) does not.
      if ((v & ~m) !== 0n) equal = false;
      else if (m === 0n) equal = true;
      else return undefined;
      return c.op === 'masked_eq' ? equal : !equal;
    }
  }
}

/** The same for a lowered condition: true or false only when its constant comparisons decide it. */
export function conditionTruth(dnf: readonly (readonly IrArgCondition[])[]): boolean | undefined {
  let someUnknown = false;
  for (const conjunction of dnf) {
    const truths = conjunction.map(comparisonTruth);
    if (truths.includes(false)) continue;
    if (truths.every((t) => t === true)) return true;
    someUnknown = true;
  }
  return someUnknown ? undefined : false;
}

const hex = (v: bigint): string => '0x' + v.toString(16);

function valueText(v: A.ValueExpr): string {
  return v.parts.map((p) => (p.kind === 'Identifier' ? p.name : (p.negative ? '-' : '') + p.digits)).join(' | ');
}

function isNegativeLiteral(p: A.NumberLiteral | A.Identifier): boolean {
  if (p.kind === 'Identifier') return false;
  const i = integerOf(p);
  return 'value' in i && i.value < 0n;
}

function comparisonText(c: A.Comparison): string {
  return `${c.arg.name}${c.mask ? ' & ' + valueText(c.mask) : ''} ${c.op} ${valueText(c.value)}`;
}

/** MXC1405 or MXC1406 for one comparison as written (`c` is its lowering, before any `!`). */
function writtenComparisonWarning(node: A.Comparison, c: IrArgCondition, mode = false): ConditionWarning | undefined {
  const text = '`' + comparisonText(node) + '`';
  const arg = node.arg.name;
  const max = (1n << BigInt(c.bits)) - 1n;
  const sign = 1n << BigInt(c.bits - 1);
  const v = BigInt(c.value);
  const negative = node.value.parts.some(isNegativeLiteral);
  const width = `${c.bits}-bit`;
  const negativeHelp = `comparisons are unsigned: use == or != to test one negative value (${arg} == -1); to match every negative value, write ${arg} >= ${hex(sign)}`;
  const holds = comparisonTruth(c);
  if (holds !== undefined) {
    const subject = `${text} is ${holds ? 'always' : 'never'} true`;
    const warning = (reason: string, help: string): ConditionWarning => ({ code: 'MXC1405', subject, reason, span: node.span, help });
    switch (c.op) {
      case 'lt':
        return warning('comparisons are unsigned, so no value is below 0', `to match negative values, test the sign bit: ${arg} >= ${hex(sign)}`);
      case 'ge':
        return warning('comparisons are unsigned, so every value is 0 or more', `to match values that are 0 or more as signed numbers, write ${arg} < ${hex(sign)}; otherwise remove the comparison`);
      case 'le':
      case 'gt': {
        const largest = negative
          ? `comparisons are unsigned and ${valueText(node.value)} is ${hex(max)} here, the largest ${width} value`
          : `${hex(max)} is the largest value of this ${width} argument`;
        return warning(largest, negative ? negativeHelp : 'remove the comparison, or compare with a smaller value');
      }
      default: {
        const m = BigInt(c.mask!);
        if (m === 0n) return warning('the mask is 0, so the masked argument is always 0', 'use a nonzero mask');
        const outside = v & ~m;
        // A mode: the kernel never sees bits above 16, so the mask cannot be widened.
        if (mode) {
          return warning(
            `${hex(v)} has bits (${hex(outside)}) above the 16 bits of a mode (umode_t), which the kernel ignores`,
            `compare with the mode the kernel reads: ${arg}${node.mask ? ` & ${hex(m)}` : ''} ${node.op} ${hex(v & m)}`,
          );
        }
        return warning(
          `${hex(v)} has bits (${hex(outside)}) outside the mask ${hex(m)}, and the masked argument never has them`,
          `compare with a value inside the mask, or add the bits to it: ${arg} & ${hex(m | v)} ${node.op} ${hex(v)}`,
        );
      }
    }
  }
  if (negative && c.op !== 'eq' && c.op !== 'ne' && c.op !== 'masked_eq' && c.op !== 'masked_ne') {
    // A negative literal the checker accepted is at least -2^(bits-1), so v >= sign here.
    const [lo, hi] = c.op === 'lt' ? [0n, v - 1n] : c.op === 'le' ? [0n, v] : c.op === 'gt' ? [v + 1n, max] : [v, max];
    const signed = (x: bigint): string => (x >= sign ? (x - max - 1n).toString() : x.toString());
    const range =
      lo === 0n
        ? `from 0 to ${hex(hi)}: every value that is 0 or more as a signed number` + (hi >= sign ? `, and the negative ones from ${signed(sign)} to ${signed(hi)}` : '')
        : lo === hi
          ? `only for ${hex(lo)} (${signed(lo)} as a signed number)`
          : `from ${hex(lo)} to ${hex(hi)} only (${signed(lo)} to ${signed(hi)} as signed numbers), never for a value that is 0 or more`;
    return {
      code: 'MXC1406',
      subject: `${text} compares a negative value by order`,
      reason: `comparisons are unsigned and ${valueText(node.value)} is ${hex(v)} for this ${width} argument, so this holds ${range}`,
      span: node.span,
      help: negativeHelp,
    };
  }
  return undefined;
}
