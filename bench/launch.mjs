#!/usr/bin/env node
// Launch time: how long it takes to start /bin/true plainly, under mxc-enforce, and under other
// sandboxes, measured side by side. Usage: node bench/launch.mjs [--rounds R] [--batch N]
//
// bench/launch-driver.c spawns a command N times in a tight loop (posix_spawn + wait4) and
// reports each launch's wall time, CPU time and minor page faults. Every round runs one batch per
// contender, the contenders' order rotating from round to round so that drift on a shared machine
// hits all of them alike; the report gives medians over all launches, differences and ratios
// against plain exec, each contender's page faults per launch and, where strace is installed, its
// system calls per launch (`strace -f -c`): two counts that do not drift with the machine's load,
// unlike the times, and that bench/machine.c's costs per system call and per fault turn into time.
//
// `--compare BIN` (repeatable) adds another mxc-enforce binary run on the bundles of (b) and (c),
// e.g. a build of an earlier commit, to measure a change before/after in the same run.
//
// Contenders: (a) plain exec; (b) mxc-enforce, Landlock + seccomp, no namespace (ports mode, no
// masks: `--dry-run` must say "namespaces: none"); (c) mxc-enforce with user + mount + net
// namespaces (no net rules); (d) bwrap with the same namespaces, twice: over the whole host
// filesystem (--bind / /, no filesystem view), and building the filesystem view of (c)'s bundle
// (bwrapView: its granted paths bound read-only or writable into bwrap's tmpfs root, generated
// from `mxc-enforce --dry-run`), plus plain `bwrap --bind / /`; (e) minijail0 and firejail when
// installed. Both mxc-enforce bundles come from std/linux-runtime.mxc compiled by the CLI.
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TRUE = '/bin/true';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const POLICIES = {
  // Port rules only: Landlock handles TCP connect, no namespace is needed.
  ports: `import "std/linux-runtime.mxc"
policy bench_ports extends linux_runtime {
  net { allow connect tcp any:443 }
}
`,
  // No net rules: a network namespace with loopback only (user + mount + net).
  isolated: `import "std/linux-runtime.mxc"
policy bench_isolated extends linux_runtime {
}
`,
};

function compileBundles(dir) {
  const bundles = {};
  for (const [name, text] of Object.entries(POLICIES)) {
    writeFileSync(path.join(dir, `${name}.mxc`), text);
    execFileSync(process.execPath, [path.join(root, 'bin/mxcc.js'), 'compile', '-t', 'linux', '-o', path.join(dir, name), `${name}.mxc`], { cwd: dir, stdio: 'pipe' });
    bundles[name] = path.join(dir, name, 'bundle.mxcb');
  }
  return bundles;
}

function namespacesOf(enforcer, bundle) {
  const r = spawnSync(enforcer, ['--dry-run', bundle, '--', TRUE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mxc-enforce --dry-run ${bundle}: ${r.stderr}`);
  return r.stdout.match(/^namespaces: (.*)$/m)?.[1] ?? '?';
}

/*
 * bwrap arguments for the filesystem view of a bundle's plan (`mxc-enforce --dry-run`): each
 * Landlock rule's path bound at the same place, writable if the rule grants writing or creating,
 * device nodes with --dev-bind; /proc bound whole (its rules name /proc/self, which is per
 * process); a rule inside another bound one is not bound again; the symlinks of / that lead into
 * a bound path (/bin -> usr/bin on merged-/usr systems) recreated. Everything else is absent,
 * where mxc-enforce covers directories and sockets and leaves other files to Landlock.
 */
export function bwrapView(enforcer, bundle) {
  const r = spawnSync(enforcer, ['--dry-run', bundle, '--', TRUE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mxc-enforce --dry-run ${bundle}: ${r.stderr}`);
  const binds = [];
  for (const m of r.stdout.matchAll(/^landlock rule: (beneath|file) (\S+) (\S*)$/gm)) {
    let [, , p, rights] = m;
    if (p === '/proc' || p.startsWith('/proc/')) p = '/proc';
    const writable = /write_file|make_|remove_/.test(rights);
    const kind = p.startsWith('/dev/') ? '--dev-bind' : writable ? '--bind' : '--ro-bind';
    binds.push({ p, kind, writable });
  }
  const under = (p, d) => p === d || p.startsWith(`${d}/`);
  const kept = [];
  for (const b of binds.sort((x, y) => (x.p < y.p ? -1 : x.p > y.p ? 1 : Number(y.writable) - Number(x.writable)))) {
    if (!kept.some((o) => under(b.p, o.p) && (o.writable || !b.writable))) kept.push(b);
  }
  const args = kept.flatMap((b) => [b.kind, b.p, b.p]);
  for (const name of readdirSync('/')) {
    const link = `/${name}`;
    if (!lstatSync(link).isSymbolicLink()) continue;
    const target = readlinkSync(link);
    if (kept.some((b) => under(path.resolve('/', target), b.p))) args.push('--symlink', target, link);
  }
  return { args, binds: kept.length };
}

export async function runLaunchBench({ rounds = 10, batch = 60, compare = [] } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'mxcc-bench-launch-'));
  try {
    execFileSync('make', ['-C', path.join(root, 'enforcer')], { stdio: 'pipe' });
    const enforcer = path.join(root, 'enforcer', 'mxc-enforce');
    const driver = path.join(dir, 'launch-driver');
    execFileSync('cc', ['-std=c99', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-Werror', '-O2', '-o', driver, path.join(root, 'bench/launch-driver.c')], { stdio: 'pipe' });
    const bundles = compileBundles(dir);
    const ns = { ports: namespacesOf(enforcer, bundles.ports), isolated: namespacesOf(enforcer, bundles.isolated) };
    if (ns.ports !== 'none') throw new Error(`the ports-mode bundle should need no namespace; --dry-run says: ${ns.ports}`);
    if (!/user, mount, ipc, net/.test(ns.isolated)) throw new Error(`the isolated bundle should use user, mount, ipc and net namespaces; --dry-run says: ${ns.isolated}`);

    const contenders = [
      { id: 'plain', label: '(a) plain exec', argv: [TRUE] },
      { id: 'mxc', label: '(b) mxc-enforce: Landlock + seccomp, no namespaces', argv: [enforcer, bundles.ports, '--', TRUE] },
      { id: 'mxc-ns', label: '(c) mxc-enforce: + user, mount, ipc, net namespaces', argv: [enforcer, bundles.isolated, '--', TRUE] },
    ];
    for (const bin of compare) {
      contenders.push({ id: `compare:${bin}`, label: `(b) ${bin}`, argv: [path.resolve(bin), bundles.ports, '--', TRUE] });
      contenders.push({ id: `compare-ns:${bin}`, label: `(c) ${bin}`, argv: [path.resolve(bin), bundles.isolated, '--', TRUE] });
    }
    const bwrap = which('bwrap');
    let view;
    if (bwrap) {
      view = bwrapView(enforcer, bundles.isolated);
      contenders.push({ id: 'bwrap-ns', label: '(d) bwrap --unshare-user --unshare-ipc --unshare-net --bind / /', argv: [bwrap, '--unshare-user', '--unshare-ipc', '--unshare-net', '--bind', '/', '/', TRUE] });
      contenders.push({ id: 'bwrap-view', label: `(d) bwrap, same namespaces, (c)'s view (${view.binds} binds)`, argv: [bwrap, '--unshare-user', '--unshare-ipc', '--unshare-net', ...view.args, TRUE] });
      contenders.push({ id: 'bwrap', label: '(d) bwrap --bind / /', argv: [bwrap, '--bind', '/', '/', TRUE] });
    }
    const minijail = which('minijail0');
    if (minijail) contenders.push({ id: 'minijail', label: '(e) minijail0 -n', argv: [minijail, '-n', TRUE] });
    const firejail = which('firejail');
    if (firejail) contenders.push({ id: 'firejail', label: '(e) firejail --noprofile --net=none', argv: [firejail, '--quiet', '--noprofile', '--net=none', TRUE] });
    const missing = ['bwrap', 'minijail0', 'firejail'].filter((c) => !which(c));

    const wall = new Map(contenders.map((c) => [c.id, []]));
    const cpu = new Map(contenders.map((c) => [c.id, []]));
    const faults = new Map(contenders.map((c) => [c.id, []]));
    const launch = (c, n) => {
      const r = spawnSync(driver, [String(n), ...c.argv], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`${c.label}: ${r.stderr.trim()}`);
      const [w, u, f] = r.stdout.trim().split('\n').map((line) => line.split(' ').map(Number));
      return { wall: w.map((x) => x / 1e6), cpu: u.map((x) => x / 1e6), faults: f };
    };
    for (const c of contenders) launch(c, 5); // warm the page cache
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const c = contenders[(k + round) % contenders.length];
        const r = launch(c, batch);
        wall.get(c.id).push(...r.wall);
        cpu.get(c.id).push(...r.cpu);
        faults.get(c.id).push(...r.faults);
      }
    }
    const plain = median(wall.get('plain'));
    const plainCpu = median(cpu.get('plain'));
    const rows = contenders.map((c) => {
      const xs = wall.get(c.id);
      const m = median(xs);
      const mc = median(cpu.get(c.id));
      return {
        id: c.id,
        label: c.label,
        launches: xs.length,
        medianMs: m,
        p10Ms: quantile(xs, 0.1),
        p90Ms: quantile(xs, 0.9),
        overPlainMs: m - plain,
        ratioToPlain: m / plain,
        cpuMedianMs: mc,
        cpuOverPlainMs: mc - plainCpu,
        pageFaults: median(faults.get(c.id)),
      };
    });
    // System calls per launch, a count that does not drift with the machine's load (strace -f -c,
    // every process of the launch, the command's own included), when strace is installed.
    const strace = which('strace');
    const syscalls = {};
    if (strace) {
      for (const c of contenders) {
        const out = path.join(dir, 'strace.txt');
        const r = spawnSync(strace, ['-f', '-c', '-o', out, ...c.argv], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`strace ${c.label}: ${r.stderr.trim()}`);
        const total = readFileSync(out, 'utf8').split('\n').find((line) => /\stotal$/.test(line));
        if (!total) throw new Error(`strace ${c.label}: no total in its summary`);
        syscalls[c.id] = Number(total.trim().split(/\s+/)[3]);
      }
    }
    const row = (id) => rows.find((r) => r.id === id);
    const goals = [
      { text: '(b) within 1.1 ms of plain exec', value: `+${row('mxc').overPlainMs.toFixed(3)} ms`, met: row('mxc').overPlainMs <= 1.1 },
    ];
    if (row('bwrap-ns')) {
      // Both peers, the one without a filesystem view and the one building (c)'s view.
      for (const [id, what] of [
        ['bwrap-ns', 'bwrap with the same namespaces (--bind / /)'],
        ['bwrap-view', "bwrap with the same namespaces and (c)'s filesystem view"],
      ]) {
        const ratio = row('mxc-ns').medianMs / row(id).medianMs;
        const cpuRatio = row('mxc-ns').cpuMedianMs / row(id).cpuMedianMs;
        goals.push({ text: `(c) strictly faster than ${what}`, value: `${row('mxc-ns').medianMs.toFixed(3)} vs ${row(id).medianMs.toFixed(3)} ms, ratio ${ratio.toFixed(2)}× (CPU ${cpuRatio.toFixed(2)}×)`, met: ratio < 1 });
      }
    } else {
      goals.push({ text: '(c) strictly faster than bwrap with the same namespaces', value: 'bwrap not installed', met: false });
    }
    return { rounds, batch, rows, goals, missing, syscalls, bwrapViewArgs: view?.args, kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(), cpus: (await import('node:os')).cpus().length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatLaunchBench({ rounds, batch, rows, goals, missing, syscalls = {}, kernel, cpus }) {
  const lines = [`\nLaunch time of ${TRUE}: ${rounds} rounds × ${batch} launches per contender, order rotating each round (kernel ${kernel}, ${cpus} CPUs); medians in ms`];
  lines.push(`  ${'contender'.padEnd(58)} ${'wall'.padStart(7)}  ${'(p10, p90)'.padEnd(20)} ${'over plain'.padStart(10)} ${'ratio'.padStart(6)}  ${'cpu'.padStart(6)} ${'cpu over plain'.padStart(14)}`);
  for (const r of rows) {
    lines.push(
      `  ${r.label.padEnd(58)} ${r.medianMs.toFixed(3).padStart(7)}  ${`(${r.p10Ms.toFixed(2)}, ${r.p90Ms.toFixed(2)})`.padEnd(20)} ${`+${r.overPlainMs.toFixed(3)}`.padStart(10)} ${`${r.ratioToPlain.toFixed(2)}×`.padStart(6)}  ${r.cpuMedianMs.toFixed(3).padStart(6)} ${`+${r.cpuOverPlainMs.toFixed(3)}`.padStart(14)}`,
    );
  }
  const counted = rows.filter((r) => syscalls[r.id] !== undefined);
  if (counted.length) lines.push(`  system calls per launch (strace -f -c): ${counted.map((r) => `${r.label.split(':')[0]} ${syscalls[r.id]}`).join(', ')}`);
  else lines.push('  system calls per launch: not counted (strace not installed)');
  if (rows.every((r) => r.pageFaults !== undefined)) lines.push(`  minor page faults per launch (wait4's ru_minflt, median): ${rows.map((r) => `${r.label.split(':')[0]} ${r.pageFaults}`).join(', ')}`);
  if (missing.length) lines.push(`  not installed: ${missing.join(', ')}`);
  for (const g of goals) lines.push(`  goal: ${g.text}: ${g.value}: ${g.met ? 'met' : 'NOT MET'}`);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const compare = process.argv.flatMap((a, i) => (a === '--compare' && process.argv[i + 1] ? [process.argv[i + 1]] : []));
  const result = await runLaunchBench({ rounds: arg('--rounds', 10), batch: arg('--batch', 60), compare });
  console.log(formatLaunchBench(result));
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
}
