#!/usr/bin/env node
// Benchmarks with their peer measured in the same run.
// Usage: npm run bench [-- --runs N] [--only machine,startup,seccomp,lint,proxy,launch] [--json]
// Each benchmark alternates the command and its peer so drift affects both equally, then reports
// medians, the difference and the ratio.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
const SECTIONS = ['machine', 'startup', 'seccomp', 'lint', 'proxy', 'launch'];
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? String(process.argv[onlyArg + 1] ?? '').split(',') : SECTIONS;
for (const name of only) {
  if (!SECTIONS.includes(name)) {
    console.error(`bench: unknown section ${JSON.stringify(name)} after --only (sections: ${SECTIONS.join(', ')})`);
    process.exit(2);
  }
}
const want = (name) => only.includes(name);

function timeOnce(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function compare(name, subject, peer, goal) {
  // Warm the file cache once for both.
  timeOnce(...subject);
  timeOnce(...peer);
  const a = [];
  const b = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(timeOnce(...subject));
    b.push(timeOnce(...peer));
  }
  const ma = median(a);
  const mb = median(b);
  const row = { benchmark: name, runs: RUNS, subjectMs: +ma.toFixed(1), peerMs: +mb.toFixed(1), diffMs: +(ma - mb).toFixed(1), ratio: +(ma / mb).toFixed(2) };
  row.goal = goal.text;
  row.met = goal.check(row);
  return row;
}

// The machine's cost of a system call and of a page's first touch (bench/machine.c), first: they
// decide how far the timed goals below are from their machine-independent counts.
let machine;
if (want('machine')) try {
  const { runMachineProbe, formatMachine } = await import('./machine.mjs');
  machine = runMachineProbe();
  console.log(formatMachine(machine));
  if (process.argv.includes('--json')) console.log(JSON.stringify(machine, null, 2));
} catch (e) {
  console.log(`machine probe not run: ${e instanceof Error ? e.message : String(e)}`);
}

const corpus = [
  ...readdirSync(path.join(root, 'corpus')).filter((f) => f.endsWith('.mxc')).map((f) => `corpus/${f}`),
  ...readdirSync(path.join(root, 'corpus', 'std')).filter((f) => f.endsWith('.mxc')).map((f) => `corpus/std/${f}`),
].sort();

const results = !want('startup') ? [] : [
  compare(
    `mxcc check on the whole corpus (${corpus.length} files) vs node -e 0`,
    [process.execPath, ['bin/mxcc.js', 'check', ...corpus]],
    [process.execPath, ['-e', '0']],
    { text: 'within 250 ms of node -e 0', check: (r) => r.diffMs <= 250 },
  ),
  compare(
    'mxcc compile corpus/coding-agent.mxc -t ir vs node -e 0',
    [process.execPath, ['bin/mxcc.js', 'compile', 'corpus/coding-agent.mxc', '-t', 'ir']],
    [process.execPath, ['-e', '0']],
    { text: 'compile without verification < 300 ms cold start', check: (r) => r.subjectMs < 300 },
  ),
];

if (results.length) console.log(`node ${process.version}, ${RUNS} alternating runs each, medians in ms`);
for (const r of results) {
  console.log(`${r.benchmark}\n  mxcc ${r.subjectMs} ms, peer ${r.peerMs} ms, difference ${r.diffMs} ms, ratio ${r.ratio}x; goal: ${r.goal}: ${r.met ? 'met' : 'NOT MET'}`);
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));

// seccomp programs vs libseccomp's (bench/seccomp.mjs). Needs cc and libseccomp-dev; without them
// the other benchmarks still run and this one says why it did not.
if (want('seccomp')) try {
  const { runSeccompBench, formatSeccompBench } = await import('./seccomp.mjs');
  const seccomp = await runSeccompBench();
  console.log(formatSeccompBench(seccomp));
  if (process.argv.includes('--json')) console.log(JSON.stringify(seccomp, null, 2));
} catch (e) {
  console.log(`seccomp benchmark not run: ${e instanceof Error ? e.message : String(e)}`);
}

// Full lint of each corpus policy (check, every assertion, every lint; z3 initialised in each
// process), against `node -e 0` started the same way. Goal: under 1 s per policy.
if (want('lint')) {
  const LINT_RUNS = Math.max(3, Math.round(RUNS / 5));
  const policies = corpus.filter((f) => !f.startsWith('corpus/std/'));
  console.log(`\nmxcc lint per corpus policy, ${LINT_RUNS} alternating runs each, medians in ms (goal: < 1000 ms including z3 init)`);
  // What no speed-up of mxcc's own code can remove: the time from start to a usable z3 in a
  // process that does nothing else (node started the same way, z3 loaded through mxcc's loader
  // and warmed up), and below, per policy, the solver's pushes and checks on a cold (first) and a
  // warm (fourth) lint pass in one process.
  const z3Alone = [];
  for (let i = 0; i < LINT_RUNS; i++) {
    z3Alone.push(timeOnce(process.execPath, [path.join(root, 'bench/lint-share.mjs'), '--z3-only']));
  }
  const z3Ready = median(z3Alone);
  console.log(`  z3 usable ${z3Ready.toFixed(0)} ms after start in a process that does nothing else (median of ${LINT_RUNS})`);
  for (const f of policies) {
    const lint = [];
    const peer = [];
    for (let i = 0; i < LINT_RUNS; i++) {
      const t0 = process.hrtime.bigint();
      spawnSync(process.execPath, ['bin/mxcc.js', 'lint', f], { cwd: root, stdio: 'ignore' });
      lint.push(Number(process.hrtime.bigint() - t0) / 1e6);
      peer.push(timeOnce(process.execPath, ['-e', '0']));
    }
    const m = median(lint);
    // The same work in a child process that reports where it spent its time: waiting for z3 to
    // load (it loads while the path atoms are computed), pushes (the SAT-based solver internalizes
    // the model there) and waiting for checks, against the whole pass.
    const share = spawnSync(process.execPath, [path.join(root, 'bench/lint-share.mjs'), f], { cwd: root, encoding: 'utf8' });
    const z = share.status === 0 ? JSON.parse(share.stdout) : undefined;
    const faults = z && machine ? `; ${z.pageFaults} page faults, about ${((z.pageFaults * machine.pageTouchNs) / 1e6).toFixed(0)} ms of CPU here` : '';
    const zText = z ? `z3 ${z.z3Ms.toFixed(0)} of ${z.totalMs.toFixed(0)} ms in-process (${((100 * z.z3Ms) / z.totalMs).toFixed(0)}%: load ${z.initMs.toFixed(0)} of which waited ${z.waitMs.toFixed(0)}, push ${z.pushMs.toFixed(0)}, ${z.checks} checks ${z.checkMs.toFixed(0)}, TypeScript run during waits ${z.idleMs.toFixed(0)})${faults}` : `z3 share not measured: ${share.stderr.trim().split('\n').pop()}`;
    console.log(`  ${f.padEnd(36)} ${m.toFixed(0).padStart(6)} ms  (node -e 0: ${median(peer).toFixed(0)} ms, ratio ${(m / median(peer)).toFixed(1)}x)  ${m < 1000 ? 'met' : 'NOT MET'}; ${zText}`);
    // Four passes in one process: the first is cold like a lint's, the last as warm as it gets.
    const warm = spawnSync(process.execPath, [path.join(root, 'bench/lint-share.mjs'), '--passes', '4', f], { cwd: root, encoding: 'utf8' });
    if (warm.status === 0) {
      const { passes } = JSON.parse(warm.stdout);
      const last = passes[passes.length - 1];
      const cold = passes[0];
      console.log(`    in one process after z3 is ready: first pass ${cold.totalMs.toFixed(0)} ms (solver ${cold.solverMs.toFixed(0)}), fourth ${last.totalMs.toFixed(0)} ms (solver ${last.solverMs.toFixed(0)}); z3 usable + warm solver = ${(z3Ready + last.solverMs).toFixed(0)} ms, + cold solver = ${(z3Ready + cold.solverMs).toFixed(0)} ms`);
    } else console.log(`    warm passes not measured: ${warm.stderr.trim().split('\n').pop()}`);
  }
}

// Egress proxy throughput (bench/proxy.mjs): 100 MB from a loopback server directly and through
// `mxcc run`'s bridge and proxy, same run. Needs curl and the built enforcer.
if (want('proxy')) try {
  const { runProxyBench, formatProxyBench } = await import('./proxy.mjs');
  const proxy = await runProxyBench(Math.max(3, Math.round(RUNS / 6)));
  console.log(formatProxyBench(proxy));
  if (process.argv.includes('--json')) console.log(JSON.stringify(proxy, null, 2));
} catch (e) {
  console.log(`egress proxy benchmark not run: ${e instanceof Error ? e.message : String(e)}`);
}

// Launch time of /bin/true plainly, under mxc-enforce and under bwrap/minijail0/firejail
// (bench/launch.mjs). Needs cc; sandboxes that are not installed are listed as such.
if (want('launch')) try {
  const { runLaunchBench, formatLaunchBench } = await import('./launch.mjs');
  const launch = await runLaunchBench();
  console.log(formatLaunchBench(launch));
  if (process.argv.includes('--json')) console.log(JSON.stringify(launch, null, 2));
} catch (e) {
  console.log(`launch benchmark not run: ${e instanceof Error ? e.message : String(e)}`);
}
