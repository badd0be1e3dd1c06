#!/usr/bin/env node
// seccomp: mxcc's program for Docker's default allowlist (corpus/docker-default.mxc) against
// libseccomp's linear (optimize=1) and binary-tree (optimize=2) programs for the same rules,
// built in the same run. Static: instruction count, longest and median executed allowed path
// (measured with the interpreter over every syscall number and argument values that take each
// allowed branch). Kernel: attach time and per-syscall cost of each program, and of no filter.
// Usage: npm run build && node bench/seccomp.mjs [--json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(path.join(root, 'dist', p)).href;

const POLICY = 'corpus/docker-default.mxc';
const GOAL = { instructions: 100, path: 11 };
const UNKNOWN = [1000, 0x3fffffff, 0x40000000, 0x40000001, 0xffffffff];
const BOUNDARY32 = [0n, 1n, 2n, 40n, 0x7fffffffn, 0x80000000n, 0xffffffffn];

/** test/seccomp/libseccomp.ts has no runtime imports from the project: transpile it alone. */
async function loadLibseccompModule(dir) {
  const ts = (await import('typescript')).default;
  const source = readFileSync(path.join(root, 'test/seccomp/libseccomp.ts'), 'utf8');
  const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } });
  const file = path.join(dir, 'libseccomp.mjs');
  writeFileSync(file, out.outputText);
  return import(pathToFileURL(file).href);
}

function argVectors(conditions) {
  const perArg = [0, 1, 2, 3, 4, 5].map(() => [...BOUNDARY32]);
  for (const c of conditions) {
    const width = (1n << BigInt(c.bits)) - 1n;
    const v = BigInt(c.value);
    const m = c.mask !== undefined ? BigInt(c.mask) : width;
    for (const x of [v, v - 1n, v + 1n, m, v | (~m & width), v ^ m, m & ~v]) if (x >= 0n && x <= width) perArg[c.arg].push(x);
  }
  const vectors = [[0n, 0n, 0n, 0n, 0n, 0n]];
  perArg.forEach((values, i) => {
    for (const v of new Set(values)) {
      const a = [0n, 0n, 0n, 0n, 0n, 0n];
      a[i] = v;
      vectors.push(a);
    }
  });
  return vectors;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Per allowed syscall number, the most instructions an ALLOW-returning input executes. */
function allowedPaths(program, ir, arch, m) {
  const ALLOW = 0x7fff0000;
  const numbers = [...new Set([...m.syscallNames(arch).map((n) => m.syscallNumber(n, arch)), ...UNKNOWN])];
  const perSyscall = [];
  for (const nr of numbers) {
    const conditions = ir.syscalls.rules[arch].filter((r) => r.nr === nr).flatMap((r) => (r.when ?? []).flat());
    let most = 0;
    for (const args of argVectors(conditions)) {
      const r = m.runFilter(program, { nr, arch: m.AUDIT_ARCH[arch], args });
      if (r.ret === ALLOW) most = Math.max(most, r.executed);
    }
    if (most > 0) perSyscall.push(most);
  }
  return { longest: Math.max(...perSyscall), median: median(perSyscall), allowedSyscalls: perSyscall.length };
}

function kernelCosts(loader, files, rounds) {
  // Alternate the programs round by round so drift affects all of them equally, and take each
  // program's per-call overhead against the no-filter run of the SAME round: on this machine the
  // absolute syscall cost drifts by ±20% between rounds, more than the differences measured.
  const samples = Object.fromEntries(Object.keys(files).map((k) => [k, { load: [], getppid: [], personality: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, file] of Object.entries(files)) {
      const r = spawnSync(loader, [file, '200', '100000'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`seccomp-load ${name} failed (exit ${r.status}, signal ${r.signal}): ${r.stderr}`);
      const m = /load_ns=(\d+) getppid_ns=([\d.]+) personality_ns=([\d.]+)/.exec(r.stdout);
      if (!m) throw new Error(`unexpected seccomp-load output ${JSON.stringify(r.stdout)}`);
      samples[name].load.push(Number(m[1]));
      samples[name].getppid.push(Number(m[2]));
      samples[name].personality.push(Number(m[3]));
    }
  }
  const base = samples['no filter'];
  const over = (xs, ys) => median(xs.map((x, i) => x - ys[i]));
  return Object.fromEntries(
    Object.entries(samples).map(([k, s]) => [
      k,
      {
        loadUs: median(s.load) / 1000,
        getppidNs: median(s.getppid),
        personalityNs: median(s.personality),
        getppidOverNs: over(s.getppid, base.getppid),
        personalityOverNs: over(s.personality, base.personality),
      },
    ]),
  );
}

/**
 * Rows: one per (arch, compiler) with instructions and paths; for the host architecture also
 * attach time and per-call cost measured on this kernel. Throws when cc or libseccomp is missing.
 */
export async function runSeccompBench({ rounds = 9 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'mxcc-bench-seccomp-'));
  const lib = await loadLibseccompModule(dir);
  lib.buildHarness(path.join(root, 'test/seccomp/libseccomp-harness.c'));
  const { compileFile } = await import(dist('compiler/index.js'));
  const { compileSeccomp, AUDIT_ARCH } = await import(dist('targets/linux/seccomp/compile.js'));
  const { runFilter } = await import(dist('targets/linux/seccomp/interpret.js'));
  const { encodeProgram } = await import(dist('targets/linux/seccomp/bpf.js'));
  const { syscallNames, syscallNumber } = await import(dist('compiler/syscalls/index.js'));
  const m = { runFilter, AUDIT_ARCH, syscallNames, syscallNumber };

  const compiled = compileFile(path.join(root, POLICY));
  if (!compiled.ir) throw new Error(`${POLICY} does not compile: ${compiled.diagnostics.map((d) => d.message).join('; ')}`);
  const ir = compiled.ir;
  const hostArch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : undefined;

  const rows = [];
  for (const arch of ['x86_64', 'aarch64']) {
    const ours = compileSeccomp(ir, arch);
    const programs = {
      mxcc: ours.program,
      'libseccomp linear': lib.libseccompProgram(ir, arch, { optimize: 1 }),
      'libseccomp tree': lib.libseccompProgram(ir, arch, { optimize: 2 }),
    };
    const measured = Object.fromEntries(Object.entries(programs).map(([k, p]) => [k, allowedPaths(p, ir, arch, m)]));
    if (measured.mxcc.longest !== ours.stats.longestAllowedPath) {
      throw new Error(`${arch}: measured longest allowed path ${measured.mxcc.longest} differs from the compiler's stats ${ours.stats.longestAllowedPath}`);
    }
    let kernel;
    if (arch === hostArch) {
      const loader = path.join(dir, 'seccomp-load');
      const cc = spawnSync('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O2', '-o', loader, path.join(root, 'bench/seccomp-load.c')], { encoding: 'utf8' });
      if (cc.error || cc.status !== 0) throw new Error(`cannot build bench/seccomp-load.c: ${cc.error?.message ?? cc.stderr}`);
      const files = { 'no filter': '-' };
      for (const [k, p] of Object.entries(programs)) {
        files[k] = path.join(dir, `${k.replace(/ /g, '-')}.${arch}.bpf`);
        writeFileSync(files[k], encodeProgram(p));
      }
      kernel = kernelCosts(loader, files, rounds);
      rows.push({ arch, compiler: 'no filter', instructions: 0, longestAllowedPath: 0, medianAllowedPath: 0, ...kernel['no filter'] });
    }
    for (const [k, p] of Object.entries(programs)) {
      rows.push({
        arch,
        compiler: k,
        instructions: p.length,
        longestAllowedPath: measured[k].longest,
        medianAllowedPath: measured[k].median,
        allowedSyscalls: measured[k].allowedSyscalls,
        ...(kernel ? kernel[k] : {}),
      });
    }
  }
  return { rows, libseccompVersion: lib.libseccompVersion(), policy: POLICY, rounds };
}

const fmt = (v, digits = 1) => (v === undefined ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(digits));
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);

/** Markdown-ish table; ratios are mxcc ÷ libseccomp. */
export function formatSeccompBench({ rows, libseccompVersion, policy, rounds }) {
  const lines = [`seccomp, ${policy}: mxcc vs libseccomp ${libseccompVersion} (same run; kernel numbers: medians of ${rounds} alternating rounds)`];
  lines.push('| arch | program | insns | longest allowed path | median allowed path | attach µs | getppid ns (+ over no filter) | personality(-1) ns (+ over no filter) |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const call = (v, o) => (v === undefined ? '–' : `${fmt(v)} (+${fmt(o)})`);
  for (const r of rows) {
    lines.push(`| ${r.arch} | ${r.compiler} | ${r.instructions} | ${r.longestAllowedPath} | ${fmt(r.medianAllowedPath)} | ${fmt(r.loadUs, 2)} | ${call(r.getppidNs, r.getppidOverNs)} | ${call(r.personalityNs, r.personalityOverNs)} |`);
  }
  for (const arch of ['x86_64', 'aarch64']) {
    const ours = rows.find((r) => r.arch === arch && r.compiler === 'mxcc');
    const none = rows.find((r) => r.arch === arch && r.compiler === 'no filter');
    for (const peer of ['libseccomp linear', 'libseccomp tree']) {
      const p = rows.find((r) => r.arch === arch && r.compiler === peer);
      if (!ours || !p) continue;
      lines.push(
        `${arch} mxcc / ${peer}: insns ${ratio(ours.instructions, p.instructions)}, longest path ${ratio(ours.longestAllowedPath, p.longestAllowedPath)}, median path ${ratio(ours.medianAllowedPath, p.medianAllowedPath)}` +
          (none ? `, attach ${ratio(ours.loadUs, p.loadUs)}, personality(-1) overhead over no filter ${fmt(ours.personalityOverNs)} vs ${fmt(p.personalityOverNs)} ns` : ''),
      );
    }
    if (arch === 'x86_64' && ours) {
      const met = ours.instructions <= GOAL.instructions && ours.longestAllowedPath <= GOAL.path;
      lines.push(`x86_64 goal ≤ ${GOAL.instructions} insns and ≤ ${GOAL.path} executed on the longest allowed path: ${met ? 'met' : 'NOT MET'} (${ours.instructions}, ${ours.longestAllowedPath})`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runSeccompBench();
  console.log(formatSeccompBench(result));
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
}
