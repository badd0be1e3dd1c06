/**
 * z3 for the whole process, loaded lazily (z3-solver is loaded only by the verifier), with one
 * current context: `mxcc lint` replaces it for every file (`freshContext`).
 */
import { createRequire } from 'node:module';
import type { Context } from 'z3-solver';
import { compileZ3Module } from './z3-module.js';

let shared: Promise<Context<'mxcc'>> | undefined;

/**
 * z3-solver frees native objects from a FinalizationRegistry callback (`Z3_dec_ref`). A check runs
 * on a worker thread against the same context, so a garbage collection during a check freed AST
 * nodes under the solver's feet ("memory access out of bounds" in `ast_manager::delete_node`, or
 * worse, a silently wrong model). The registry is created while z3-solver loads, so meanwhile the
 * global constructor is swapped for one whose callbacks wait while a check is in flight; `check`
 * below runs them once the solver is idle again.
 *
 * Each registration is also tagged with the z3 context current when it was made (a generation):
 * a context retired by `freshContext` is deleted at once, and the callbacks of its objects (which
 * would free them in the deleted context) are dropped.
 */
let checking = 0;
const deferred: Array<{ born: number; run: () => void }> = [];
let generation = 0;
const retired = new Set<number>();

/** While above 0, z3 objects are not freed at all (see `holdingFrees`). */
let holding = 0;

function runDeferred(): void {
  while (checking === 0 && holding === 0 && deferred.length > 0) deferred.pop()!.run();
}

interface Tagged {
  generation: number;
  held: unknown;
}

class DeferringRegistry extends FinalizationRegistry<unknown> {
  constructor(callback: (held: unknown) => void) {
    super((tagged: unknown) => {
      const { generation: born, held } = tagged as Tagged;
      const run = (): void => {
        if (!retired.has(born)) callback(held);
      };
      if (checking > 0 || holding > 0) deferred.push({ born, run });
      else run();
    });
  }

  override register(target: object, held: unknown, token?: object): void {
    super.register(target, { generation, held } satisfies Tagged, token);
  }
}

/**
 * Where the verifier's time goes (for bench/run.mjs). `initMs` is the wall time z3 took to load,
 * mostly overlapped with other work; `waitMs` the part of it this thread spent waiting in
 * `ready()`; `checkMs` the time checks kept this thread waiting, and `idleMs` the queued
 * TypeScript work that ran meanwhile (not counted in `checkMs`); `pushMs` the solvers' internalizing.
 */
export const z3Stats = { initMs: 0, waitMs: 0, checks: 0, checkMs: 0, pushMs: 0, idleMs: 0 };

type Loader = (options: Record<string, unknown>) => Promise<unknown>;
/** The WebAssembly call used here (lib ES2022 has no WebAssembly types). */
interface Wasm {
  instantiate(module: object, imports: object): Promise<object>;
}
const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

interface PThreads {
  unusedWorkers: unknown[];
  runningWorkers: unknown[];
  allocateUnusedWorker(): void;
  loadWasmModuleToWorker(worker: unknown): Promise<void>;
}

/**
 * z3-solver's own `init()` reads its 33 MB WebAssembly file with `readFileSync` on this thread and
 * starts the worker thread a check runs on at the first check. Here the file is read and compiled
 * on a thread of its own (z3-module.ts; the caller keeps parsing and computing path atoms
 * meanwhile), and the worker is started as soon as the module is ready, while the caller is still
 * busy: measured on this machine, the first check fell from about 190 ms to 45 ms.
 */
async function load(): Promise<Context<'mxcc'>> {
  const require = createRequire(import.meta.url);
  const compiled = compileZ3Module();
  const initModule = require('z3-solver/build/z3-built.js') as Loader;
  const lowLevel = require('z3-solver/build/low-level/index.js') as typeof import('z3-solver/build/low-level/index.js');
  const highLevel = require('z3-solver/build/high-level/index.js') as typeof import('z3-solver/build/high-level/index.js');
  let failed: (e: unknown) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => (failed = reject));
  const instantiateWasm = (imports: object, receive: (instance: object, module: object) => void): object => {
    compiled.then(async (module) => receive(await wasm.instantiate(module, imports), module)).catch(failed);
    return {};
  };
  const low = await Promise.race([lowLevel.init(() => initModule({ instantiateWasm })), failure]);
  const threads = (low.em as { PThread?: PThreads }).PThread;
  if (threads && Array.isArray(threads.unusedWorkers) && Array.isArray(threads.runningWorkers)) pool = threads;
  if (threads && threads.unusedWorkers.length === 0 && typeof threads.allocateUnusedWorker === 'function') {
    threads.allocateUnusedWorker();
    threads.loadWasmModuleToWorker(threads.unusedWorkers[0]).catch(() => undefined); // a failure shows at the first check
  }
  const api = highLevel.createApi(low.Z3);
  // z3 initialises much lazily at the first push and check (about 0.1 s here); a small SMT-LIB2
  // script evaluated on the worker thread does that while the caller is still busy computing
  // atoms. It runs in a context of its own, deleted after, so that the context handed out is as
  // fresh as every later one (see freshContext). Nothing else uses z3 until this promise resolves.
  const warm = api.Context('mxcc');
  checking++;
  try {
    await low.Z3.eval_smtlib2_string(warm.ptr, WARM_UP);
  } finally {
    checking--;
    runDeferred();
  }
  loaded = { api, low: low.Z3 };
  return retireAndCreate(warm);
}

/** z3-solver's pool of worker threads (emscripten's PThread), when its shape is the one known here. */
let pool: PThreads | undefined;

let loaded: { api: { Context: (name: 'mxcc') => Context<'mxcc'> }; low: { del_context(c: Context<'mxcc'>['ptr']): void } } | undefined;

/** Deletes `old` (its objects' finalizers are dropped from now on) and makes a new context. */
function retireAndCreate(old: Context<'mxcc'>): Context<'mxcc'> {
  if (checking > 0) throw new Error('internal: a z3 context retired while a check runs');
  retired.add(generation);
  generation++;
  loaded!.low.del_context(old.ptr);
  return loaded!.api.Context('mxcc');
}

/**
 * Replaces the process's z3 context with a new one and deletes the old one: every z3 object made
 * before is invalid after this. `mxcc lint` lints each file in a context of its own, so that a
 * policy's findings (their counterexamples come from z3's models, which depend on everything the
 * context has seen) do not depend on which files were linted before it in the same run.
 */
export async function freshContext(): Promise<void> {
  const old = await z3();
  shared = Promise.resolve(retireAndCreate(old));
  // The retired context's deferred frees would do nothing when they run: drop them now.
  const kept = deferred.filter((d) => !retired.has(d.born));
  deferred.length = 0;
  deferred.push(...kept);
}

/** How many frees of z3 objects wait (during a check or `holdingFrees`): for tests. */
export const pendingFrees = (): number => deferred.length;

/**
 * Runs `work` with no z3 object freed meanwhile (they are freed after it, or dropped with the
 * context). z3 reuses the ids of freed terms, and the JavaScript wrappers are freed when V8
 * collects them, so without this a model, and the counterexample decoded from it, could depend
 * on when the garbage collector ran; `mxcc lint` holds frees for each file.
 */
export async function holdingFrees<T>(work: () => Promise<T>): Promise<T> {
  holding++;
  try {
    return await work();
  } finally {
    holding--;
    runDeferred();
  }
}

const WARM_UP = '(set-logic QF_BV)(declare-const r (_ BitVec 4))(declare-const b Bool)(assert (= b (bvult r #x3)))(push)(assert b)(check-sat)(pop)(reset)';

/** z3-solver is missing or broken (an installation problem, not a bug): the CLI says so plainly. */
export class Z3LoadError extends Error {
  override readonly name = 'Z3LoadError';
}

export function z3(): Promise<Context<'mxcc'>> {
  shared ??= (async () => {
    const started = performance.now();
    const original = globalThis.FinalizationRegistry;
    globalThis.FinalizationRegistry = DeferringRegistry as unknown as FinalizationRegistryConstructor;
    try {
      const ctx = await load().catch((e: unknown) => {
        throw new Z3LoadError(`cannot load z3-solver: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      });
      z3Stats.initMs += performance.now() - started;
      return ctx;
    } finally {
      globalThis.FinalizationRegistry = original;
    }
  })();
  return shared;
}

/**
 * Starts loading z3 (the WebAssembly compile runs on a thread of its own) while the caller parses
 * and checks policies. A failure surfaces at the first `z3()` that awaits it.
 */
export function preloadZ3(): void {
  z3().catch(() => undefined);
}

/** Yields to the event loop: z3's loading steps and the worker's messages run here. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * TypeScript work that needs no z3 (path atoms, plans, compiled programs) queued to run while
 * this thread would otherwise wait: for z3 to load (`ready`) or for the worker thread to solve
 * (`check`). The returned getter gives the result, computing it now if it has not run yet.
 * Queued work must never call z3: nothing may build or free z3 objects during a check.
 */
const idle: Array<() => void> = [];

function runIdle(): number {
  const started = performance.now();
  idle.shift()?.();
  const took = performance.now() - started;
  z3Stats.idleMs += took;
  return took;
}

export interface IdleWork<T> {
  (): T;
  /** Unqueue the work if it has not run (when its result is no longer wanted). */
  drop(): void;
}

export function whenIdle<T>(work: () => T): IdleWork<T> {
  let outcome: { value: T } | { error: unknown } | undefined;
  const run = (): void => {
    if (outcome) return;
    try {
      outcome = { value: work() };
    } catch (error) {
      outcome = { error };
    }
  };
  idle.push(run);
  const drop = (): void => {
    const at = idle.indexOf(run);
    if (at >= 0) idle.splice(at, 1);
  };
  return Object.assign(
    (): T => {
      run();
      drop();
      if ('error' in outcome!) throw outcome.error;
      return outcome!.value;
    },
    { drop },
  );
}

/** z3, running queued idle work while it loads. */
export async function ready(): Promise<Context<'mxcc'>> {
  const loading = z3();
  let loaded = false;
  loading.then(
    () => (loaded = true),
    () => (loaded = true),
  );
  const started = performance.now();
  let worked = 0;
  while (idle.length > 0) {
    await tick();
    if (loaded) break;
    worked += runIdle();
  }
  try {
    return await loading;
  } finally {
    z3Stats.waitMs += performance.now() - started - worked;
  }
}

/**
 * Every solver check goes through here, one at a time: nothing may free or build z3 objects while
 * the worker thread is solving. Once the check has been handed to the worker, one piece of queued
 * idle work runs on this thread.
 */
export async function check(solver: { check(): Promise<'sat' | 'unsat' | 'unknown'> }): Promise<'sat' | 'unsat' | 'unknown'> {
  const started = performance.now();
  let worked = 0;
  checking++;
  try {
    await previousThreadEnded();
    const verdict = solver.check();
    verdict.catch(() => undefined); // rejected before the await below: not an unhandled rejection
    if (idle.length > 0) {
      await tick(); // z3-solver posts the check to the worker a few promise steps later
      worked = runIdle();
    }
    return await verdict;
  } finally {
    checking--;
    z3Stats.checks++;
    z3Stats.checkMs += performance.now() - started - worked;
    runDeferred();
  }
}

/**
 * Each check runs on a thread z3-solver starts for it, on a worker from emscripten's pool. The
 * verdict reaches this thread before the check's thread has ended and its worker gone back to the
 * pool (a message of its own), so a check started right after the previous one's verdict found
 * the pool empty and a new worker was made for it: z3 loaded again on a new thread, about 100 ms
 * (measured: in about half the lints of coding-agent, one check took 100-110 ms, not 2-10). This
 * waits for the worker to come back, a few turns of the event loop, and gives up after 50 ms (a
 * new worker is then made as before).
 */
async function previousThreadEnded(): Promise<void> {
  const limit = performance.now() + 50;
  while (pool && pool.unusedWorkers.length === 0 && pool.runningWorkers.length > 0 && performance.now() < limit) await tick();
}

/** How many worker threads z3-solver has made (for tests): one, unless checks overlapped their threads. */
export const z3Workers = (): number => (pool ? pool.unusedWorkers.length + pool.runningWorkers.length : 0);

/** solver.push(), timed: the SAT-based solvers internalize what was asserted here, on this thread. */
export function push(solver: { push(): void }): void {
  const started = performance.now();
  solver.push();
  z3Stats.pushMs += performance.now() - started;
}

/** z3-solver keeps worker threads alive; commands that used it end the process explicitly. */
export function z3Loaded(): boolean {
  return shared !== undefined;
}
