// `mxcc lint` of this checkout against another one (a build of an earlier commit), alternating,
// so that a change is measured before/after in the same run on the same machine.
// Usage: node bench/lint-compare.mjs OTHER_CHECKOUT [--runs N] [POLICY ...]
//   (both checkouts built: dist/ and bin/; POLICY names a corpus file, e.g. coding-agent)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const other = args.shift();
if (!other || !existsSync(path.join(other, 'bin/mxcc.js'))) {
  console.error('usage: node bench/lint-compare.mjs OTHER_CHECKOUT [--runs N] [POLICY ...]');
  process.exit(2);
}
const at = args.indexOf('--runs');
const runs = at >= 0 ? Number(args.splice(at, 2)[1]) : 7;
const policies = args.length ? args : ['coding-agent', 'docker-default', 'mcp-server'];

const time = (checkout, policy) => {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(checkout, 'bin/mxcc.js'), 'lint', path.join(root, 'corpus', `${policy}.mxc`)], { cwd: checkout, stdio: 'ignore' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${checkout}: mxcc lint ${policy} exited ${r.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

console.log(`mxcc lint, ${runs} alternating runs each, medians: ${other} vs ${root}`);
for (const policy of policies) {
  const before = [];
  const after = [];
  for (let i = 0; i < runs; i++) {
    before.push(time(other, policy));
    after.push(time(root, policy));
  }
  const [b, a] = [median(before), median(after)];
  console.log(`  ${policy.padEnd(24)} ${b.toFixed(0).padStart(6)} → ${a.toFixed(0).padStart(6)} ms  (${(a / b).toFixed(2)}×)`);
}
