/**
 * The escape corpus's harness: a per-file scratch tree (workspace, home, a directory outside
 * every grant), the corpus policies compiled by the project's own compiler into bundles, the
 * attack program (attack.c) compiled at test time, and runners for the two legs of each case:
 * unsandboxed (the attack must work, so the test can fail) and under mxc-enforce (it must be
 * denied). Nothing is skipped: a missing compiler, kernel feature or namespace fails the suite.
 *
 * The scratch tree lives under /srv, not /tmp: the coding agent may read and write /tmp and
 * /var/tmp, so a secret placed there would not be a secret.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../compiler/index.js';
import { linuxTarget } from '../../targets/linux/index.js';

export const repo = path.resolve(import.meta.dirname, '../..');
export const enforcer = path.join(repo, 'enforcer', 'mxc-enforce');
const corpusDir = path.join(repo, 'corpus');
const stdDir = path.join(corpusDir, 'std');

export const errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  EROFS: 30,
  ENOSYS: 38,
  ENETUNREACH: 101,
  ECONNREFUSED: 111,
} as const;

/** The outcome of one attack run, as attack.c reports it. */
export interface Outcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Scratch {
  root: string;
  ws: string;
  home: string;
  outside: string;
  /** The attack binary for unsandboxed runs. */
  hostAttack: string;
  /** The same binary inside the workspace, where the coding agent may execute it. */
  attack: string;
  secret: string;
  cleanup(): void;
}

export const SECRET = 'mxcc-escape-secret-7f3a';

/**
 * A fresh tree: ${root}/ws (the workspace), ${root}/home (with ~/.ssh/id_rsa and ~/.bashrc),
 * ${root}/outside/secret.txt (outside every grant), and the attack program compiled into
 * ${root}/bin and copied into the workspace.
 */
export function makeScratch(tag: string): Scratch {
  mkdirSync('/srv', { recursive: true });
  const root = mkdtempSync(`/srv/mxcc-escape-${tag}-`);
  // World-traversable, so that the cases that run as an unprivileged user can reach it.
  chmodSync(root, 0o755);
  const ws = path.join(root, 'ws');
  const home = path.join(root, 'home');
  const outside = path.join(root, 'outside');
  for (const d of [path.join(ws, 'bin'), path.join(home, '.ssh'), outside, path.join(root, 'bin')]) mkdirSync(d, { recursive: true, mode: 0o755 });
  execFileSync('make', ['-C', path.join(repo, 'enforcer')], { stdio: 'pipe' });
  const hostAttack = path.join(root, 'bin', 'escape-attack');
  execFileSync('cc', ['-std=gnu99', '-Wall', '-Wextra', '-Werror', '-O2', '-o', hostAttack, path.join(import.meta.dirname, 'attack.c'), '-lutil'], { stdio: 'pipe' });
  const attack = path.join(ws, 'bin', 'escape-attack');
  copyFileSync(hostAttack, attack);
  chmodSync(attack, 0o755);
  const secret = path.join(outside, 'secret.txt');
  writeFileSync(secret, `${SECRET}\n`);
  writeFileSync(path.join(home, '.ssh', 'id_rsa'), `${SECRET}-ssh\n`);
  writeFileSync(path.join(home, '.bashrc'), '# bashrc\n');
  writeFileSync(path.join(ws, '.env'), `TOKEN=${SECRET}-env\n`);
  return {
    root,
    ws,
    home,
    outside,
    hostAttack,
    attack,
    secret,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

const bundles = new Map<string, string>();

/** Compiles corpus/<name>.mxc with the project's compiler into a bundle under dir. */
export function corpusBundle(name: string, dir: string): string {
  const key = `${dir}\0${name}`;
  const cached = bundles.get(key);
  if (cached) return cached;
  const host = {
    readFile: (p: string) => (existsSync(p) ? readFileSync(p) : undefined),
  };
  const r = compileFile(path.join(corpusDir, `${name}.mxc`), {
    host,
    cwd: corpusDir,
    stdDir,
  });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return writeBundleOf(r.ir, dir, name, key);
}

/** Compiles policy text (imports resolve against corpus/std) into a bundle under dir. */
export function textBundle(name: string, text: string, dir: string): string {
  const file = path.join(corpusDir, `__escape_${name}.mxc`);
  const host = {
    readFile: (p: string) => (p === file ? Buffer.from(text) : existsSync(p) ? readFileSync(p) : undefined),
  };
  const r = compileFile(file, { host, cwd: corpusDir, stdDir });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return writeBundleOf(r.ir, dir, name, `${dir}\0text:${name}`);
}

function writeBundleOf(ir: Parameters<typeof linuxTarget.compile>[0], dir: string, name: string, key: string): string {
  const out = linuxTarget.compile(ir);
  const errors = out.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('\n'));
  const file = out.files.find((f) => f.path === 'bundle.mxcb');
  if (!file) throw new Error('no bundle.mxcb');
  const target = path.join(dir, `${name}.mxcb`);
  writeFileSync(target, file.content, { mode: 0o644 });
  bundles.set(key, target);
  return target;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Run inside this network namespace (nsenter, not `ip netns exec`, which remounts /sys and so
   * hides the cgroup hierarchies the enforcer makes its pids cgroup in).
   */
  netns?: string;
  /** Run as this uid/gid (setpriv), without capabilities. */
  uid?: number;
  timeout?: number;
  /** Working directory (default: the test's). */
  cwd?: string;
}

function wrap(cmd: string[], opts: RunOptions): string[] {
  let c = cmd;
  if (opts.uid !== undefined) c = ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', '--', ...c];
  if (opts.netns) c = ['nsenter', `--net=/run/netns/${opts.netns}`, '--', ...c];
  return c;
}

export function run(cmd: string[], opts: RunOptions = {}): Outcome {
  const c = wrap(cmd, opts);
  const r: SpawnSyncReturns<string> = spawnSync(c[0]!, c.slice(1), {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...opts.env },
    timeout: opts.timeout ?? 20_000,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) throw r.error;
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

/** The unsandboxed leg. */
export function host(s: Scratch, args: string[], opts: RunOptions = {}): Outcome {
  return run([s.hostAttack, ...args], opts);
}

/** The sandboxed leg: the attack binary (by default the workspace copy) under mxc-enforce. */
export function sandboxed(bundle: string, params: Record<string, string>, cmd: string[], opts: RunOptions = {}): Outcome {
  const args = Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
  return run([enforcer, ...args, bundle, '--', ...cmd], opts);
}

const show = (r: Outcome): string => `status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

/** The attack worked: "ok", optionally with exactly this data. */
export function expectWorked(r: Outcome, data?: string): void {
  expect(r.stdout, show(r)).toMatch(/^ok( |\n)/);
  if (data !== undefined) expect(r.stdout, show(r)).toBe(`ok ${data}\n`);
  expect(r.status, show(r)).toBe(0);
}

/** The kernel refused the attack with one of these errno values. */
export function expectDenied(r: Outcome, ...codes: number[]): number {
  const m = r.stdout.match(/^errno=(\d+)/);
  expect(m, `expected errno ${codes.join(' or ')}, got: ${show(r)}`).not.toBeNull();
  const got = Number(m![1]);
  expect(codes, `errno=${got}: ${show(r)}`).toContain(got);
  expect(r.status, show(r)).toBe(1);
  return got;
}

/** The sandbox killed the attack (seccomp KILL_PROCESS): nothing printed, 128+SIGSYS through the enforcer. */
export function expectKilled(r: Outcome): void {
  expect(r.stdout, show(r)).toBe('');
  expect(r.status === 128 + 31 || r.signal === 'SIGSYS', show(r)).toBe(true);
}

/** A long-running host process (a victim, a server) that has printed its ready line. */
export interface HostProcess {
  pid: number;
  child: ChildProcess;
  stop(): void;
}

export async function startHost(cmd: string[], ready: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string; netns?: string } = {}): Promise<HostProcess> {
  const c = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...cmd] : cmd;
  const child = spawn(c[0]!, c.slice(1), {
    env: { PATH: process.env.PATH, ...opts.env },
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd.join(' ')}: not ready after 10 s: ${out} ${err}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd.join(' ')} exited ${code}: ${out} ${err}`));
    });
  });
  child.removeAllListeners('exit');
  return { pid: child.pid!, child, stop: () => child.kill('SIGKILL') };
}

/**
 * Two network namespaces joined by a veth pair: `client`, where both legs of a network case run
 * (default route into `world`), and `world`, which holds the "external" addresses: 10.201.0.2,
 * a public resolver address (1.1.1.1) and the cloud metadata address (169.254.169.254). Nothing
 * touches the host's own network configuration.
 */
export interface Netns {
  client: string;
  world: string;
  remove(): void;
}

export function makeNetns(tag: string): Netns {
  const id = `${tag}${process.pid % 100000}`;
  const client = `mxesc-c-${id}`;
  const world = `mxesc-w-${id}`;
  const vc = `mxc${process.pid % 100000}`;
  const vw = `mxw${process.pid % 100000}`;
  const ip = (...a: string[]): void => {
    execFileSync('ip', a, { stdio: 'pipe' });
  };
  const remove = (): void => {
    for (const n of [client, world]) spawnSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
  };
  remove();
  ip('netns', 'add', client);
  ip('netns', 'add', world);
  ip('link', 'add', vc, 'netns', client, 'type', 'veth', 'peer', 'name', vw, 'netns', world);
  ip('-n', client, 'addr', 'add', '10.201.0.1/24', 'dev', vc);
  ip('-n', world, 'addr', 'add', '10.201.0.2/24', 'dev', vw);
  for (const a of ['1.1.1.1/32', '169.254.169.254/32']) ip('-n', world, 'addr', 'add', a, 'dev', 'lo');
  for (const [ns, dev] of [
    [client, vc],
    [world, vw],
  ] as const) {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', dev, 'up');
  }
  ip('-n', client, 'route', 'add', 'default', 'via', '10.201.0.2');
  return { client, world, remove };
}

export function readLog(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One case of the corpus. `unsandboxed` runs the attack without the sandbox and asserts that it
 * worked (restoring whatever it changed); `sandboxed` is the attack's argv inside the sandbox;
 * `denied` asserts the specific denial and that nothing leaked or changed.
 */
export interface AttackCase {
  name: string;
  unsandboxed(): void | Promise<void>;
  sandboxed(): string[];
  denied(r: Outcome): void;
}

/** Parses the output of `escape-attack batch`: one Outcome per action, in order. */
export function parseBatch(r: Outcome, count: number): Outcome[] {
  const parts = r.stdout.split(/^@@ /m).slice(1);
  const outcomes = parts.map((part) => {
    const nl = part.indexOf('\n');
    const [, status, signal] = part.slice(0, nl).split(' ').map(Number) as [number, number, number];
    const text = part.slice(nl + 1).replace(/\n$/, '');
    const signame = signal ? ((Object.entries(signals).find(([, n]) => n === signal)?.[0] ?? `SIG${signal}`) as NodeJS.Signals) : null;
    return {
      status: signal ? null : status,
      signal: signame,
      stdout: text ? `${text}\n` : '',
      stderr: r.stderr,
    };
  });
  if (outcomes.length !== count) throw new Error(`the batch reported ${outcomes.length} of ${count} actions (status ${r.status} ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  return outcomes;
}

const signals: Record<string, number> = {
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGSYS: 31,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGTERM: 15,
};

/**
 * Declares the cases as tests. Before any of them runs, every unsandboxed leg runs (in order),
 * then all sandboxed legs run in one sandbox launch (`launch` gets the batch's argv for
 * escape-attack), so a file of cases costs one enforcer start. Each test then reports its own
 * unsandboxed failure, if any, and checks its sandboxed outcome.
 */
export function attackSuite(title: string, launch: (batchArgv: string[]) => Outcome, groups: AttackCase[] | Record<string, AttackCase[]>): void {
  const grouped = Array.isArray(groups) ? { '': groups } : groups;
  const cases = Object.values(grouped).flat();
  describe(title, () => {
    const hostErrors = new Map<AttackCase, unknown>();
    const outcomes = new Map<AttackCase, Outcome>();
    beforeAll(async () => {
      for (const c of cases) {
        try {
          await c.unsandboxed();
        } catch (e) {
          hostErrors.set(c, e);
        }
      }
      const argv = cases.flatMap((c, i) => (i === 0 ? c.sandboxed() : ['::', ...c.sandboxed()]));
      parseBatch(launch(['batch', ...argv]), cases.length).forEach((o, i) => outcomes.set(cases[i]!, o));
    });
    for (const [group, members] of Object.entries(grouped)) {
      const declare = (): void => {
        for (const c of members) {
          it(c.name, () => {
            if (hostErrors.has(c)) throw new Error(`the attack did not work unsandboxed, so this case proves nothing: ${String(hostErrors.get(c))}`, { cause: hostErrors.get(c) });
            c.denied(outcomes.get(c)!);
          });
        }
      };
      if (group) describe(group, declare);
      else declare();
    }
  });
}
