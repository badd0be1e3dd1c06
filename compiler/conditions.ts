/** Syscall argument conditions: AST → disjunctive normal form over typed argument comparisons. */
import type * as A from '../grammar/ast.js';
import type { Span } from '../grammar/location.js';
import type { Code } from './diagnostics/codes.js';
import type { Arch, CompareOperator, IrArgCondition } from './ir.js';
import { didYouMeanHelp } from './suggest.js';
import { lookupConstant, CONSTANT_NAMES, syscallArgs } from './syscalls/index.js';
import { integerOf } from './values.js';

export const MAX_CONJUNCTIONS = 64;

export interface ConditionProblem {
  code: Code;
  message: string;
  span: Span;
  help?: string;
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
export function lowerCondition(cond: A.Condition, syscall: string, arch: Arch): { dnf: Dnf } | { problems: ConditionProblem[] } {
  const problems: ConditionProblem[] = [];
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
      return { index, name: a?.name ?? id.name, bits: a?.bits ?? 64 };
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
    return { index, name: a.name, bits: a.bits };
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

  const compare = (arg: A.Identifier, op: CompareOperator, value: A.ValueExpr, mask?: A.ValueExpr): Dnf | undefined => {
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
    return [[c]];
  };

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
        const op = OPS[c.op];
        return compare(c.arg, negated ? NEGATE[op] : op, c.value, c.mask);
      }
      case 'In': {
        const alts = c.values.map((v) => compare(c.arg, negated ? 'ne' : 'eq', v));
        if (alts.some((a) => a === undefined)) return undefined;
        return negated ? alts.reduce<Dnf | undefined>((acc, p) => (acc === undefined ? undefined : and(acc, p!, c.span)), [[]]) : alts.flatMap((a) => a!);
      }
    }
  };

  const and = (x: Dnf, y: Dnf, span: Span): Dnf | undefined => {
    if (x.length * y.length > MAX_CONJUNCTIONS) {
      problems.push({ code: 'MXC1403', message: `condition expands to more than ${MAX_CONJUNCTIONS} alternatives`, span, help: 'split the rule into several rules, one per alternative' });
      return undefined;
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
  return { dnf: dnf.map(dedupeConjunction) };
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
