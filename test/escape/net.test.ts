/**
 * Escape corpus, network (the cases that do not involve the egress proxy; those are in
 * net-proxy.test.ts): reaching hosts by IP, DNS exfiltration, the cloud metadata address, host
 * listeners on loopback, and host services on unix sockets by path and by abstract name.
 * (The session bus and systemd --user sockets by path get through today; their cases are in
 * pending/unix-sockets-outside-grants.pending.ts.)
 *
 * Both legs run in a test network namespace (`client`) whose default route leads into another
 * (`world`) holding the "external" addresses 10.201.0.2, 1.1.1.1 and 169.254.169.254; "host"
 * listeners on loopback and abstract sockets live in `client` too, next to the attack. The
 * coding agent's bundle runs here without `mxcc run`, so it has no proxy: its namespace has
 * loopback only. Every listener logs what it receives; the sandboxed legs send a distinct
 * payload that must never show up in a log.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import {
  attackSuite,
  corpusBundle,
  errno,
  expectDenied,
  expectWorked,
  host,
  makeNetns,
  makeScratch,
  readLog,
  sandboxed,
  sleep,
  startHost,
  type AttackCase,
  type HostProcess,
  type Netns,
  type Outcome,
  type Scratch,
} from './harness.js';

let s: Scratch;
let ns: Netns;
let bundle: string;
const servers: HostProcess[] = [];
let logs: string;
let sshDir: string;
let build: { src: string; out: string; cache: string; attack: string };

interface Listener {
  proto: 'tcp' | 'udp' | 'unix' | 'abstract';
  addr: () => string;
  port: string;
  netns: 'client' | 'world' | 'none';
}

const listeners = {
  external: { proto: 'tcp', addr: () => '10.201.0.2', port: '8080', netns: 'world' },
  metadata: { proto: 'tcp', addr: () => '169.254.169.254', port: '80', netns: 'world' },
  resolver: { proto: 'udp', addr: () => '1.1.1.1', port: '53', netns: 'world' },
  loopbackTcp: { proto: 'tcp', addr: () => '127.0.0.1', port: '8081', netns: 'client' },
  loopbackUdp: { proto: 'udp', addr: () => '127.0.0.1', port: '5353', netns: 'client' },
  abstract: { proto: 'abstract', addr: () => `mxcc-escape-${process.pid}`, port: '-', netns: 'client' },
  sshAgent: { proto: 'unix', addr: () => path.join(sshDir, 'agent.4242'), port: '-', netns: 'none' },
  postgres: { proto: 'unix', addr: () => `/tmp/.s.PGSQL.${54000 + (process.pid % 1000)}`, port: '-', netns: 'none' },
} satisfies Record<string, Listener>;
type Name = keyof typeof listeners;

const logOf = (name: Name): string => path.join(logs, `${name}.log`);

beforeAll(async () => {
  s = makeScratch('net');
  bundle = corpusBundle('coding-agent', s.root);
  logs = path.join(s.root, 'logs');
  mkdirSync(logs);
  ns = makeNetns('n');
  sshDir = mkdtempSync('/tmp/ssh-mxcc');
  for (const [name, l] of Object.entries(listeners) as [Name, Listener][]) {
    const where = l.netns === 'none' ? {} : { netns: l.netns === 'client' ? ns.client : ns.world };
    servers.push(await startHost([s.hostAttack, 'serve', l.proto, l.addr(), l.port, logOf(name)], 'listening', where));
  }
  // The build sandbox runs what it builds from its output tree.
  const b = path.join(s.root, 'build');
  build = { src: path.join(b, 'src'), out: path.join(b, 'out'), cache: path.join(b, 'cache'), attack: path.join(b, 'out', 'escape-attack') };
  for (const d of [build.src, build.out, build.cache]) mkdirSync(d, { recursive: true });
  copyFileSync(s.hostAttack, build.attack);
  chmodSync(build.attack, 0o755);
});

afterAll(() => {
  for (const server of servers) server.stop();
  ns?.remove();
  if (sshDir) rmSync(sshDir, { recursive: true, force: true });
  rmSync(listeners.postgres.addr(), { force: true });
  s?.cleanup();
});

/** The action that talks to a listener, with a payload naming who sent it. */
function reach(name: Name, who: string): string[] {
  const l: Listener = listeners[name];
  const payload = `${who}-${name}`;
  if (l.proto === 'unix') return ['unix', l.addr(), payload];
  if (l.proto === 'abstract') return ['unix-abstract', l.addr(), payload];
  return [l.proto, l.addr(), l.port, payload];
}

async function received(name: Name, payload: string): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    if (readLog(logOf(name)).includes(payload)) return true;
    await sleep(50);
  }
  return false;
}

/** A case: the host reaches the listener (and it logs the payload); the sandbox gets one of `codes` and nothing arrives. */
function unreachable(title: string, name: Name, codes: number[], opts: { sentIsOk?: boolean; tag?: string } = {}): AttackCase {
  const who = `sandbox${opts.tag ?? ''}`;
  return {
    name: title,
    unsandboxed: async () => {
      const r = host(s, reach(name, 'host'), listeners[name].netns === 'none' ? {} : { netns: ns.client });
      if (listeners[name].proto === 'udp') expectWorked(r);
      else expectWorked(r, 'pong');
      expect(await received(name, `host-${name}`), `the ${name} listener got the unsandboxed payload`).toBe(true);
    },
    sandboxed: () => reach(name, who),
    denied: (r) => {
      // A datagram to the sandbox's own loopback is "sent" (to nobody there); that is the denial.
      if (!(opts.sentIsOk && r.stdout === 'ok\n')) expectDenied(r, ...codes);
      expect(r.stdout).not.toContain('pong');
      expect(readLog(logOf(name))).not.toContain(`${who}-${name}`);
    },
  };
}

function inClient(b: string, params: Record<string, string>, attack: () => string) {
  return (argv: string[]): Outcome => {
    const r = sandboxed(b, params, [attack(), ...argv], { netns: ns.client });
    // Let any datagram that got out reach its listener before the logs are checked.
    spawnSync('sleep', ['0.3']);
    return r;
  };
}

// The bundle and params are only known once beforeAll has run, so the launch reads them late.
attackSuite('network, under the coding agent policy', (argv) => inClient(bundle, { workspace: s.ws, home: s.home }, () => s.attack)(argv), {
  'by IP address': [
    unreachable('TCP to an external address by IP', 'external', [errno.ENETUNREACH]),
    unreachable('TCP to the cloud metadata address 169.254.169.254', 'metadata', [errno.ENETUNREACH]),
    unreachable('DNS exfiltration: a query to a public resolver (UDP 1.1.1.1:53)', 'resolver', [errno.ENETUNREACH]),
  ],
  'host listeners on loopback': [
    unreachable('TCP to a host listener on 127.0.0.1', 'loopbackTcp', [errno.ECONNREFUSED]),
    unreachable('UDP sendto a host listener on 127.0.0.1', 'loopbackUdp', [errno.ECONNREFUSED], { sentIsOk: true }),
  ],
  'host services on unix sockets': [
    unreachable('an abstract unix socket of a host service', 'abstract', [errno.ECONNREFUSED, errno.EPERM]),
    // The session bus and systemd --user sockets by path are not denied today: see
    // pending/unix-sockets-outside-grants.pending.ts.
    unreachable("an ssh agent's socket (/tmp/ssh-*/agent.<pid>)", 'sshAgent', [errno.ECONNREFUSED, errno.EACCES, errno.ENOENT]),
    // With `trust` local auth (initdb's default), a superuser session runs host commands: COPY … FROM PROGRAM.
    unreachable('a PostgreSQL server socket in /tmp (/tmp/.s.PGSQL.<port>)', 'postgres', [errno.ECONNREFUSED, errno.EACCES, errno.ENOENT]),
  ],
});

let buildBundle: string | undefined;
attackSuite(
  'network, under the build sandbox policy (no network at all)',
  (argv) => {
    buildBundle ??= corpusBundle('build-sandbox', s.root);
    return inClient(buildBundle, { src: build.src, out: build.out, cache: build.cache, home: s.home }, () => build.attack)(argv);
  },
  [
    // No IP sockets at all: seccomp refuses socket(AF_INET).
    unreachable('TCP to an external address by IP', 'external', [errno.EPERM], { tag: 'build' }),
    unreachable('DNS exfiltration: a query to a public resolver (UDP 1.1.1.1:53)', 'resolver', [errno.EPERM], { tag: 'build' }),
    unreachable('TCP to a host listener on 127.0.0.1', 'loopbackTcp', [errno.EPERM], { tag: 'build' }),
    unreachable('an abstract unix socket of a host service', 'abstract', [errno.ECONNREFUSED, errno.EPERM], { tag: 'build' }),
  ],
);
