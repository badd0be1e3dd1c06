import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFile } from '../compiler/index.js';
import { check, ready, whenIdle, z3, z3Stats } from './z3.js';
import { lintAll, lintAndVerify } from './lint.js';
import { validateCompiledSeccomp } from './translation.js';
import { validateCompiledLandlock } from './landlock-validation.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function trivialSolver() {
  const Z = await z3();
  const s = new Z.Solver('QF_BV');
  s.add(Z.BitVec.const('idle_x', 8).ugt(3));
  return s;
}

describe('the z3 loader', () => {
  it('gives a working context after warming it up on the worker', async () => {
    const Z = await ready();
    const s = new Z.Solver('QF_BV');
    const x = Z.BitVec.const('loader_x', 8);
    s.add(x.ugt(200), x.ult(202));
    expect(await check(s)).toBe('sat');
    expect((s.model().eval(x, true) as unknown as { value(): bigint }).value()).toBe(201n);
    expect(z3Stats.initMs).toBeGreaterThan(0);
  });
});

describe('idle work', () => {
  it('runs while a check is in flight, once, and hands back its result', async () => {
    const s = await trivialSolver();
    let runs = 0;
    const work = whenIdle(() => ++runs * 21);
    expect(runs).toBe(0);
    expect(await check(s)).toBe('sat');
    expect(runs).toBe(1); // ran during the check, not when asked for
    expect(work()).toBe(21);
    expect(work()).toBe(21);
    expect(runs).toBe(1);
  });

  it('runs on demand when no check came, and rethrows its error to the caller', async () => {
    const failing = whenIdle((): number => {
      throw new Error('boom');
    });
    expect(() => failing()).toThrow('boom');
    // A failed piece of work is not left in the queue to fail a later check.
    expect(await check(await trivialSolver())).toBe('sat');
  });

  it('dropped work never runs', async () => {
    let ran = false;
    const work = whenIdle(() => (ran = true));
    work.drop();
    expect(await check(await trivialSolver())).toBe('sat');
    expect(ran).toBe(false);
  });
});

describe('lintAll', () => {
  it('reports what the separate passes report, in the same order', async () => {
    const file = path.join(root, 'corpus/coding-agent.mxc');
    const r = compileFile(file, { cwd: root });
    expect(r.ir).toBeDefined();
    const together = await lintAll(r.ir!, r.program);
    const pass = await lintAndVerify(r.ir!, r.program);
    const apart = [...pass.assertions, ...pass.lints, ...(await validateCompiledSeccomp(r.ir!)), ...(await validateCompiledLandlock(r.ir!))];
    // The witness may differ: a second pass in the same z3 context can get another model (both
    // are re-checked by the reference evaluator before they are reported).
    const show = (ds: typeof together) => ds.map((d) => `${d.code} ${d.message} ${d.span?.line ?? ''}:${d.span?.column ?? ''} ${d.counterexample ? 'with' : 'without'} counterexample`);
    expect(show(together)).toEqual(show(apart));
    expect(together.some((d) => d.code === 'MXC2103')).toBe(true); // the corpus's known write+exec finding
  }, 60_000);
});
