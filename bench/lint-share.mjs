// One full lint pass in this process (what `mxcc lint FILE` does after start-up), printing as JSON
// how long it took and how much of it was inside z3: init, push and checks (verifier/z3.ts). Init
// overlaps parsing and the path atoms, so its share is an upper bound.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(root, 'dist', p);
const file = process.argv[2];
const started = performance.now();
const { compileFile } = await import(dist('compiler/index.js'));
const { lintAndVerify } = await import(dist('verifier/lint.js'));
const { validateCompiledSeccomp } = await import(dist('verifier/translation.js'));
const { validateCompiledLandlock } = await import(dist('verifier/landlock-validation.js'));
const { z3Stats, preloadZ3 } = await import(dist('verifier/z3.js'));
// As `mxcc lint` does: z3 starts loading before the policy is parsed.
preloadZ3();
const r = compileFile(file, { cwd: root });
if (!r.ir) throw new Error(`${file} does not compile`);
await lintAndVerify(r.ir, r.program);
await validateCompiledSeccomp(r.ir);
await validateCompiledLandlock(r.ir);
const totalMs = performance.now() - started;
const z3Ms = z3Stats.initMs + z3Stats.pushMs + z3Stats.checkMs;
console.log(JSON.stringify({ file, totalMs, z3Ms, ...z3Stats }));
process.exit(0);
