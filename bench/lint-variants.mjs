// `mxcc lint` of this checkout under variants of Node's flags and environment, alternating, to
// measure a start-up knob before adopting it. Usage:
//   node bench/lint-variants.mjs '[{"name":"base"},{"name":"liftoff","flags":["--liftoff-only"]},
//     {"name":"thp","env":{"GLIBC_TUNABLES":"glibc.malloc.hugetlb=1"}}]' [--runs N] [POLICY ...]
// (POLICY names a corpus file, e.g. coding-agent; default: all of corpus/). Prints medians in ms.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const variants = JSON.parse(args.shift() ?? '[{"name":"base"}]');
const at = args.indexOf('--runs');
const runs = at >= 0 ? Number(args.splice(at, 2)[1]) : 5;
const policies = args.length ? args : readdirSync(path.join(root, 'corpus')).filter((f) => f.endsWith('.mxc')).map((f) => f.slice(0, -4)).sort();
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

console.log(`mxcc lint, ${runs} alternating runs per variant, medians in ms`);
for (const policy of policies) {
  const times = variants.map(() => []);
  for (let i = 0; i < runs; i++) {
    variants.forEach((v, k) => {
      const started = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [...(v.flags ?? []), path.join(root, 'bin/mxcc.js'), 'lint', path.join(root, 'corpus', `${policy}.mxc`)], { stdio: 'ignore', env: { ...process.env, ...(v.env ?? {}) } });
      if (r.status !== 0 && r.status !== 1) throw new Error(`${v.name}: mxcc lint ${policy} exited ${r.status}`);
      times[k].push(Number(process.hrtime.bigint() - started) / 1e6);
    });
  }
  console.log(`  ${policy.padEnd(24)} ${variants.map((v, k) => `${v.name} ${median(times[k]).toFixed(0)}`).join('  ')}`);
}
