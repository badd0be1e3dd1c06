/**
 * comparisonTruth must never be wrong: a warning that a deny denies nothing is only useful if
 * it is exact. It is checked against the reference evaluator's conditionHolds: a comparison
 * called constant gives that result for every argument tried, and one not called constant has
 * a witness for each outcome.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparisonTruth, conditionTruth } from './conditions.js';
import { conditionHolds, decide } from './evaluate.js';
import { LOW32_ARGS, syscallArgs, syscallNumber, UMODE_ARGS } from './syscalls/index.js';
import type { CompareOperator, IrArgCondition } from './ir.js';
import { compileText, mustCompile } from '../test/compile-text.js';

const OPS: CompareOperator[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked_eq', 'masked_ne'];
const U64 = (1n << 64n) - 1n;

/** Values near the edges of a width, and random ones. */
function edgy(bits: 32 | 64): fc.Arbitrary<bigint> {
  const max = (1n << BigInt(bits)) - 1n;
  const sign = 1n << BigInt(bits - 1);
  return fc.oneof(fc.constantFrom(0n, 1n, 2n, 3n, max, max - 1n, sign, sign - 1n, sign + 1n), fc.bigInt({ min: 0n, max }));
}

const condition: fc.Arbitrary<IrArgCondition> = fc.constantFrom<32 | 64>(32, 64).chain((bits) =>
  fc.record({ op: fc.constantFrom(...OPS), value: edgy(bits), mask: edgy(bits), inside: fc.boolean() }).map(({ op, value, mask, inside }) => {
    const c: IrArgCondition = { arg: 0, name: 'x', bits, op, value: value.toString() };
    if (op === 'masked_eq' || op === 'masked_ne') {
      c.mask = mask.toString();
      // Half the time a value inside the mask, which is the common, non-constant case.
      if (inside) c.value = (value & mask).toString();
    }
    return c;
  }),
);

/** Arguments that decide each kind of comparison either way, 32-bit ones also with upper bits set. */
function witnesses(c: IrArgCondition): bigint[] {
  const width = 1n << BigInt(c.bits);
  const v = BigInt(c.value);
  const m = c.mask === undefined ? 0n : BigInt(c.mask);
  const lowest = m & -m;
  const base = [0n, width - 1n, v, (v + 1n) % width, (v - 1n + width) % width, v ^ lowest];
  return [...base, ...base.map((x) => (x | (0xdead_beefn << 32n)) & U64)];
}

describe('comparisonTruth agrees with the evaluator', () => {
  it('a constant comparison gives its value for every argument; any other has a witness each way', () => {
    fc.assert(
      fc.property(condition, fc.array(fc.bigInt({ min: 0n, max: U64 }), { maxLength: 20 }), (c, random) => {
        const truth = comparisonTruth(c);
        const outcomes = [...witnesses(c), ...random].map((a) => conditionHolds(c, [a]));
        if (truth === undefined) expect(new Set(outcomes)).toEqual(new Set([true, false]));
        else expect(outcomes.every((o) => o === truth)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('decides the cases a policy author meets', () => {
    const c = (bits: 32 | 64, op: CompareOperator, value: bigint, mask?: bigint): IrArgCondition => ({ arg: 0, name: 'x', bits, op, value: value.toString(), ...(mask === undefined ? {} : { mask: mask.toString() }) });
    expect(comparisonTruth(c(32, 'lt', 0n))).toBe(false);
    expect(comparisonTruth(c(32, 'ge', 0n))).toBe(true);
    expect(comparisonTruth(c(32, 'le', 0xffff_ffffn))).toBe(true);
    expect(comparisonTruth(c(32, 'gt', 0xffff_ffffn))).toBe(false);
    expect(comparisonTruth(c(64, 'gt', 0xffff_ffffn))).toBeUndefined();
    expect(comparisonTruth(c(32, 'gt', 0xffff_fffen))).toBeUndefined();
    expect(comparisonTruth(c(32, 'masked_eq', 2n, 1n))).toBe(false);
    expect(comparisonTruth(c(32, 'masked_ne', 2n, 1n))).toBe(true);
    expect(comparisonTruth(c(32, 'masked_eq', 0n, 0n))).toBe(true);
    expect(comparisonTruth(c(32, 'masked_eq', 2n, 3n))).toBeUndefined();
    expect(comparisonTruth(c(32, 'eq', 0n))).toBeUndefined();
  });
});

describe('conditionTruth', () => {
  const never: IrArgCondition = { arg: 0, name: 'x', bits: 32, op: 'lt', value: '0' };
  const always: IrArgCondition = { arg: 0, name: 'x', bits: 32, op: 'ge', value: '0' };
  const some: IrArgCondition = { arg: 1, name: 'y', bits: 32, op: 'eq', value: '9' };
  it('is decided only by constant comparisons', () => {
    expect(conditionTruth([[never]])).toBe(false);
    expect(conditionTruth([[never], [some, never]])).toBe(false);
    expect(conditionTruth([[never], [some]])).toBeUndefined();
    expect(conditionTruth([[some], [always]])).toBe(true);
    expect(conditionTruth([[some, always]])).toBeUndefined();
    expect(conditionTruth([[always, always]])).toBe(true);
    expect(conditionTruth([])).toBe(false);
  });
});

describe('umode_t arguments (review finding: chmod(f, 0x109ed) is chmod 04755, and passed `deny chmod(mode == 0x9ed)`)', () => {
  const irOf = (text: string): import('./ir.js').PolicyIR => {
    return mustCompile(text).ir;
  };

  it('every listed argument is a mode the tables give 32 bits', () => {
    for (const [name, index] of Object.entries(UMODE_ARGS)) {
      for (const arch of ['x86_64', 'aarch64'] as const) {
        if (syscallNumber(name, arch) === undefined) continue;
        expect(syscallArgs(name, arch)[index], `${name} on ${arch}`).toMatchObject({ name: 'mode', bits: 32, pointer: false });
      }
    }
  });

  it('are compared on their low 16 bits, as the kernel reads them: ==, != and in, and masks', () => {
    const ir = irOf('policy p { syscalls { default allow  deny ?chmod(mode == 0x9ed)  deny fchmodat(mode in [0x9ed, 0xded])  deny mkdirat(mode & 0x10800 != 0)  deny ?creat(mode != 0x1a4) } }');
    const call = (syscall: string, args: bigint[]) => decide(ir, { kind: 'syscall', arch: 'x86_64', syscall, args }).allowed;
    expect(call('chmod', [0n, 0x9edn])).toBe(false);
    expect(call('chmod', [0n, 0x109edn])).toBe(false);
    expect(call('chmod', [0n, 0xffff09edn])).toBe(false);
    expect(call('chmod', [0n, 0x1edn])).toBe(true);
    expect(call('fchmodat', [0n, 0n, 0xffff0dedn])).toBe(false);
    expect(call('mkdirat', [0n, 0n, 0x10000n])).toBe(true); // bit 16: not part of the mode
    expect(call('mkdirat', [0n, 0n, 0x800n])).toBe(false);
    expect(call('creat', [0n, 0x101a4n])).toBe(true); // 0644 with bit 16 set is 0644
    const rule = ir.syscalls.rules.x86_64.find((r) => r.syscall === 'chmod')!;
    expect(rule.when).toEqual([[{ arg: 1, name: 'mode', bits: 32, op: 'masked_eq', mask: '65535', value: '2541' }]]);
  });

  it('an ordering on a mode is refused (it cannot be masked)', () => {
    const r = compileText('policy p { syscalls { deny ?chmod(mode > 0x1ff) } }');
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.message])).toEqual([['MXC1118', 'mode of chmod is a 16-bit mode (umode_t): the kernel ignores bits 16-31, which an ordering (<, <=, >, >=) would compare']]);
  });
});

describe('unsigned long arguments the kernel reads as 32 bits (review note: clone keeps lower_32_bits of its flags)', () => {
  it('clone flags and mmap fd compare on their low 32 bits', () => {
    const ir = compileText('policy p { syscalls { default allow  deny clone(flags == 0x10000000)  deny mmap(fd == 7) } }').ir!;
    const call = (syscall: string, args: bigint[]) => decide(ir, { kind: 'syscall', arch: 'x86_64', syscall, args }).allowed;
    expect(call('clone', [0x110000000n])).toBe(false);
    expect(call('clone', [0x10000000n])).toBe(false);
    expect(call('clone', [0x100000000n])).toBe(true);
    expect(call('mmap', [0n, 4096n, 1n, 2n, 0xffffffff00000007n, 0n])).toBe(false);
    for (const [name, index] of Object.entries(LOW32_ARGS)) for (const arch of ['x86_64', 'aarch64'] as const) expect(syscallArgs(name, arch)[index], `${name} ${arch}`).toMatchObject({ bits: 64, pointer: false });
  });
});

describe('MXC1405 on a mode (review finding: the help suggested widening a mask the kernel cannot see)', () => {
  it('suggests the 16 bits the kernel reads', () => {
    const r = compileText('policy p { syscalls { default allow  deny ?chmod(mode & 0x1ffff == 0x109ed) } }');
    const w = r.diagnostics.find((d) => d.code === 'MXC1405')!;
    expect(w.help).toBe('compare with the mode the kernel reads: mode & 0xffff == 0x9ed');
  });
});
