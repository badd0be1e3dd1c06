/** One lazily loaded z3 context for the whole process (z3-solver is loaded only by the verifier). */
import type { Context } from 'z3-solver';

let shared: Promise<Context<'mxcc'>> | undefined;

/**
 * z3-solver frees native objects from a FinalizationRegistry callback (`Z3_dec_ref`). A check runs
 * on a worker thread against the same context, so a garbage collection during a check freed AST
 * nodes under the solver's feet ("memory access out of bounds" in `ast_manager::delete_node`, or
 * worse, a silently wrong model). The registry is created inside `init()`, so while it runs the
 * global constructor is swapped for one whose callbacks wait while a check is in flight; `check`
 * below runs them once the solver is idle again.
 */
let checking = 0;
const deferred: Array<() => void> = [];

function runDeferred(): void {
  while (checking === 0 && deferred.length > 0) deferred.pop()!();
}

class DeferringRegistry<T> extends FinalizationRegistry<T> {
  constructor(callback: (held: T) => void) {
    super((held: T) => {
      if (checking > 0) deferred.push(() => callback(held));
      else callback(held);
    });
  }
}

/** Where the verifier's time goes inside z3 (for bench/run.mjs): init, checks, and push. */
export const z3Stats = { initMs: 0, checks: 0, checkMs: 0, pushMs: 0 };

export function z3(): Promise<Context<'mxcc'>> {
  shared ??= (async () => {
    const started = performance.now();
    const { init } = await import('z3-solver');
    const original = globalThis.FinalizationRegistry;
    globalThis.FinalizationRegistry = DeferringRegistry;
    try {
      const { Context } = await init();
      const ctx = Context('mxcc');
      z3Stats.initMs += performance.now() - started;
      return ctx;
    } finally {
      globalThis.FinalizationRegistry = original;
    }
  })();
  return shared;
}

/**
 * Starts loading z3 (the WebAssembly compile runs off the main thread) while the caller parses
 * and checks policies. A failure surfaces at the first `z3()` that awaits it.
 */
export function preloadZ3(): void {
  z3().catch(() => undefined);
}

/**
 * Every solver check goes through here, one at a time: nothing may free or build z3 objects while
 * the worker thread is solving.
 */
export async function check(solver: { check(): Promise<'sat' | 'unsat' | 'unknown'> }): Promise<'sat' | 'unsat' | 'unknown'> {
  const started = performance.now();
  checking++;
  try {
    return await solver.check();
  } finally {
    checking--;
    z3Stats.checks++;
    z3Stats.checkMs += performance.now() - started;
    runDeferred();
  }
}

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
