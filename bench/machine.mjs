#!/usr/bin/env node
// What this machine charges for a system call and for the first touch of a page (bench/machine.c),
// printed at the head of `npm run bench` so that results from machines of different speeds can be
// told apart. Usage: node bench/machine.mjs [--json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function runMachineProbe() {
  const dir = mkdtempSync(path.join(tmpdir(), 'mxcc-bench-machine-'));
  try {
    const probe = path.join(dir, 'machine');
    execFileSync('cc', ['-std=c99', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-Werror', '-O2', '-o', probe, path.join(root, 'bench/machine.c')], { stdio: 'pipe' });
    const costs = JSON.parse(execFileSync(probe, { encoding: 'utf8' }));
    return { ...costs, kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(), cpus: cpus().length, node: process.version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const us = (ns) => (ns / 1000).toFixed(2);

export function formatMachine(m) {
  const huge = m.hugePageTouchNs === null ? 'refused' : `${us(m.hugePageTouchNs)} µs per 4 KiB`;
  const populated = m.populatedTouchNs === null ? 'refused' : `${us(m.populatedTouchNs)} µs`;
  return [
    `machine: kernel ${m.kernel}, ${m.cpus} CPUs, node ${m.node}`,
    `  a system call ${us(m.syscallNs)} µs (getppid, hot), a path lookup ${us(m.statNs)} µs (stat /),`,
    `  the first touch of a fresh 4 KiB page ${us(m.pageTouchNs)} µs (${(m.pageTouchNs / m.syscallNs).toFixed(0)} system calls), after MADV_POPULATE_WRITE ${populated},`,
    `  in huge pages ${huge} (transparent huge pages: ${m.thp})`,
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const m = runMachineProbe();
  console.log(formatMachine(m));
  if (process.argv.includes('--json')) console.log(JSON.stringify(m, null, 2));
}
