// One full lint pass in this process (what `mxcc lint FILE` does after start-up), printing as JSON
// how long it took, how much of it this thread spent on z3: waiting for it to load, push and
// waiting for checks (verifier/z3.ts), and the process's minor page faults.
// `--z3-only`: only load z3 and make its context, no policy: the time and page faults that
// costs on its own (every lint pays it). `--z3-solver-init`: the same through z3-solver's own
// `init()` (its loader, not mxcc's) and one trivial check: what any use of the package costs.
// `--passes N FILE`: z3 loaded first, then N full lint passes of FILE in this process, each in a
// fresh z3 context: per pass, the time and the part of it spent in z3's pushes and checks (from
// the second pass on, V8 and z3's WebAssembly are warm: what no start-up work can remove).
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(root, 'dist', p);
const file = process.argv[2];
const started = performance.now();
if (file === '--z3-solver-init') {
  const { createRequire } = await import('node:module');
  const { init } = createRequire(import.meta.url)('z3-solver');
  const { Context } = await init();
  const Z = new Context('main');
  const s = new Z.Solver();
  s.add(Z.BitVec.const('x', 8).ugt(3));
  const verdict = await s.check();
  console.log(JSON.stringify({ z3SolverInitMs: performance.now() - started, verdict, pageFaults: process.resourceUsage().minorPageFault }));
  process.exit(0);
}
if (file === '--z3-only') {
  const before = process.resourceUsage().minorPageFault;
  const { preloadZ3, ready } = await import(dist('verifier/z3.js'));
  preloadZ3();
  await ready();
  const pageFaults = process.resourceUsage().minorPageFault;
  console.log(JSON.stringify({ z3Ms: performance.now() - started, pageFaults, beforeImport: before }));
  process.exit(0);
}
const { compileFile } = await import(dist('compiler/index.js'));
const { lintAll } = await import(dist('verifier/lint.js'));
const { z3Stats, preloadZ3, tick, ready, freshContext } = await import(dist('verifier/z3.js'));
if (file === '--passes') {
  const n = Number(process.argv[3]);
  const policy = process.argv[4];
  preloadZ3();
  await ready();
  const passes = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const solver0 = z3Stats.pushMs + z3Stats.checkMs;
    const r = compileFile(policy, { cwd: root });
    if (!r.ir) throw new Error(`${policy} does not compile`);
    await freshContext();
    await lintAll(r.ir, r.program);
    passes.push({ totalMs: performance.now() - t0, solverMs: z3Stats.pushMs + z3Stats.checkMs - solver0 });
  }
  console.log(JSON.stringify({ file: policy, passes }));
  process.exit(0);
}
// As `mxcc lint` does: z3 starts loading before the policy is parsed.
preloadZ3();
const r = compileFile(file, { cwd: root });
if (!r.ir) throw new Error(`${file} does not compile`);
await tick();
await lintAll(r.ir, r.program);
const totalMs = performance.now() - started;
// This thread's time spent on z3: waiting for it to load, internalizing (push), waiting for checks.
// Loading itself (initMs) overlaps the TypeScript work, and so does the idle work (idleMs).
const z3Ms = z3Stats.waitMs + z3Stats.pushMs + z3Stats.checkMs;
// Minor page faults of the whole process (every thread, start-up included): first touches of memory.
const pageFaults = process.resourceUsage().minorPageFault;
console.log(JSON.stringify({ file, totalMs, z3Ms, pageFaults, ...z3Stats }));
process.exit(0);
