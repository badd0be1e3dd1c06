/** One lazily loaded z3 context for the whole process (z3-solver is loaded only by the verifier). */
import type { Context } from 'z3-solver';

let shared: Promise<Context<'mxcc'>> | undefined;

export function z3(): Promise<Context<'mxcc'>> {
  shared ??= (async () => {
    const { init } = await import('z3-solver');
    const { Context } = await init();
    return Context('mxcc');
  })();
  return shared;
}

/** z3-solver keeps worker threads alive; commands that used it end the process explicitly. */
export function z3Loaded(): boolean {
  return shared !== undefined;
}
