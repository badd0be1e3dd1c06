import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileFile } from '../compiler/index.js';
import { check, freshContext, holdingFrees, pendingFrees, ready, whenIdle, z3, z3Stats, z3Workers } from './z3.js';
import { lintAll, lintAndVerify } from './lint.js';
import { compileZ3Module } from './z3-module.js';
import { validateCompiledSeccomp } from './translation.js';
import { validateCompiledLandlock } from './landlock-validation.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** V8's gc(), for tests of what z3-solver's finalizers do. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

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

  it('compiles z3-solver\'s WebAssembly module on another thread, once, and hands this thread the module', async () => {
    const first = compileZ3Module();
    expect(compileZ3Module()).toBe(first); // one compile per process, whoever asks
    const module = await first;
    const wasm = (globalThis as unknown as { WebAssembly: { Module: { new (b: Uint8Array): object; exports(m: object): { name: string }[] } } }).WebAssembly;
    expect(module).toBeInstanceOf(wasm.Module);
    expect(wasm.Module.exports(module).map((e) => e.name)).toContain('Z3_mk_context_rc');
  });
});

describe('checks', () => {
  it('reuse the one worker thread: a check waits for the previous check\'s thread to give its worker back', async () => {
    const s = await trivialSolver();
    const Z = await z3();
    const x = Z.BitVec.const('back_to_back_x', 8);
    await check(s);
    expect(z3Workers()).toBe(1);
    // Back to back, as the lints ask: without the wait, some check of these found the pool empty
    // and z3-solver made (and loaded z3 into) a second worker for it.
    for (let i = 0; i < 60; i++) {
      s.push();
      s.add(x.eq(Z.BitVec.val(i, 8)));
      expect(await check(s)).toBe('sat');
      s.pop();
    }
    expect(z3Workers()).toBe(1);
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

function corpus(name: string) {
  const r = compileFile(path.join(root, 'corpus', name), { cwd: root });
  if (!r.ir) throw new Error(`${name} does not compile`);
  return r;
}

const show = (ds: Awaited<ReturnType<typeof lintAll>>) => ds.map((d) => `${d.code} ${d.message} ${d.span?.line ?? ''}:${d.span?.column ?? ''} ${d.counterexample ?? ''}`);

describe('lintAll', () => {
  it('reports what the separate passes report, in the same order, with the same counterexamples', async () => {
    const r = corpus('coding-agent.mxc');
    await freshContext();
    const together = await lintAll(r.ir!, r.program);
    await freshContext();
    const pass = await lintAndVerify(r.ir!, r.program);
    const apart = [...pass.assertions, ...pass.lints, ...(await validateCompiledSeccomp(r.ir!)), ...(await validateCompiledLandlock(r.ir!))];
    expect(show(together)).toEqual(show(apart));
    expect(together.some((d) => d.code === 'MXC2103')).toBe(true); // the corpus's known write+exec finding
  }, 60_000);
});

describe('holdingFrees', () => {
  it('frees nothing while it runs and everything it held after', async () => {
    const gc = collector();
    const Z = await z3();
    const collected = async () => {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 50)); // finalizers run as tasks
    };
    await collected();
    const before = pendingFrees();
    await holdingFrees(async () => {
      let xs: unknown[] = [...Array(500).keys()].map((i) => Z.BitVec.const(`held_${i}`, 8));
      expect(xs.length).toBe(500);
      xs = [];
      await collected();
      expect(pendingFrees()).toBeGreaterThan(before);
    });
    expect(pendingFrees()).toBe(0);
  });
});

describe('freshContext', () => {
  it('a policy gets the same findings whatever the process linted before it', async () => {
    const lint = async (name: string) => {
      await freshContext();
      const r = corpus(name);
      return show(await lintAll(r.ir!, r.program));
    };
    const alone = await lint('coding-agent.mxc');
    expect(alone.some((d) => d.startsWith('MXC2103'))).toBe(true);
    await lint('mcp-server.mxc');
    await lint('browser-agent.mxc');
    expect(await lint('coding-agent.mxc')).toEqual(alone);
  }, 120_000);

  it('objects of a retired context are not freed into it after it is deleted', async () => {
    const gc = collector();
    const old = await z3();
    const s = new old.Solver('QF_BV');
    const xs = [...Array(2000).keys()].map((i) => old.BitVec.const(`retired_${i}`, 16));
    s.add(old.Or(...xs.map((x, i) => x.eq(old.BitVec.val(i, 16)))));
    expect(await check(s)).toBe('sat');
    await freshContext();
    // Everything of the old context becomes garbage now; its finalizers must not call into it.
    xs.length = 0;
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    const Z = await z3();
    expect(Z).not.toBe(old);
    const t = new Z.Solver('QF_BV');
    const y = Z.BitVec.const('fresh_y', 16);
    t.add(y.ugt(40000), y.ult(40002));
    expect(await check(t)).toBe('sat');
    expect((t.model().eval(y, true) as unknown as { value(): bigint }).value()).toBe(40001n);
  });
});
