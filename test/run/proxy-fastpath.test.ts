/**
 * The tunnel fast path of `mxcc run` (docs/run.md): the proxy decides and checks, mxc-enforce's
 * connector connects, the bridge splices. These tests go through the real enforcer, bridge,
 * connector and proxy, and prove that the handoff neither loses, duplicates nor reorders a byte in
 * either direction: the client sends its ClientHello and the first MiB of its upload in the same
 * write as the CONNECT (or SOCKS5) request, before any answer; the upstream speaks first (a banner
 * on accept, before the proxy has even answered the client); both directions carry 8 MiB checked by
 * SHA-256; the upstream answers only after the client's half-close reached it. Who held the
 * upstream socket during the transfer (ss -p) shows which path carried it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { mxcc, mxccRun, origin, repo } from './helpers.js';

const MiB = 1024 * 1024;
const SIZE = 8 * MiB;

/** The same pseudo-random bytes on both sides: SHA-256 in counter mode over a label. */
const STREAM = `function stream(label, size) {
  const out = Buffer.alloc(size);
  for (let i = 0, off = 0; off < size; i++, off += 32) require('crypto').createHash('sha256').update(label + i).digest().copy(out, off);
  return out;
}`;
function stream(label: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0, off = 0; off < size; i++, off += 32) createHash('sha256').update(label + i).digest().copy(out, off);
  return out;
}

/** A TLS 1.2-shaped ClientHello record naming `name` (enough for the proxy's server name check). */
const HELLO = `function hello(name) {
  const sni = Buffer.concat([Buffer.from([0, 0]), u16(name.length + 5), u16(name.length + 3), Buffer.from([0]), u16(name.length), Buffer.from(name)]);
  const body = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([0]), u16(2), Buffer.from([0x13, 0x01]), Buffer.from([1, 0]), u16(sni.length), sni]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([22, 3, 1]), u16(hs.length), hs]);
  function u16(n) { return Buffer.from([n >> 8, n & 255]); }
}`;

/** Runs inside the sandbox: everything in one write before any answer, then the rest, then half-close. */
const CLIENT = `const net = require('net'), crypto = require('crypto');
${STREAM}
${HELLO}
const [mode, host, port] = process.argv.slice(1).filter((a) => !a.startsWith('/') && !a.startsWith('--'));
const proxy = new URL(mode === 'socks' ? process.env.ALL_PROXY : process.env.HTTPS_PROXY);
const up = Buffer.concat([hello(host === '127.0.0.1' ? 'ip.test' : host), stream('up', ${SIZE})]);
let request;
if (mode === 'socks') {
  const p = Buffer.from([port >> 8, port & 255]);
  const addr = host === '127.0.0.1' ? Buffer.from([1, 127, 0, 0, 1]) : Buffer.concat([Buffer.from([3, host.length]), Buffer.from(host)]);
  request = Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0]), addr, p]);
} else request = Buffer.from('CONNECT ' + host + ':' + port + ' HTTP/1.1\\r\\nHost: ' + host + ':' + port + '\\r\\n\\r\\n');
// keep-alive: a plain HTTP request first on the same connection, answered in full before the CONNECT.
const web = process.argv.slice(1).find((a) => a.startsWith('--web='))?.slice(6);
let skip = 0;
const tunnel = () => {
  s.write(Buffer.concat([request, up.subarray(0, ${MiB})]));
  let off = ${MiB};
  const more = () => { while (off < up.length) { const end = Math.min(off + 65536, up.length); const ok = s.write(up.subarray(off, end)); off = end; if (!ok) return s.once('drain', more); } s.end(); };
  setTimeout(more, 20);
};
const s = net.connect(+proxy.port, proxy.hostname, () => {
  if (!web) return tunnel();
  s.write('GET http://' + web + '/first HTTP/1.1\\r\\nHost: ' + web + '\\r\\n\\r\\n');
  const onData = () => {
    const text = Buffer.concat(got).toString('latin1');
    const head = text.indexOf('\\r\\n\\r\\n');
    const length = /content-length: *(\\d+)/i.exec(text);
    const chunked = text.indexOf('\\r\\n0\\r\\n\\r\\n', head);
    if (head < 0 || (length ? text.length < head + 4 + +length[1] : chunked < 0)) return;
    skip = length ? head + 4 + +length[1] : chunked + 7;
    s.removeListener('data', onData);
    tunnel();
  };
  s.on('data', onData);
});
const got = [];
s.on('data', (d) => got.push(d));
s.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
s.on('end', () => {
  const all = Buffer.concat(got).subarray(skip);
  const answer = mode === 'socks' ? all.subarray(0, 12) : all.subarray(0, 39);
  const rest = all.subarray(answer.length);
  const banner = rest.subarray(0, 7).toString();
  const down = rest.subarray(7, 7 + ${SIZE});
  const trailer = rest.subarray(7 + ${SIZE}).toString();
  console.log(JSON.stringify({
    answer: answer.toString('hex'),
    banner,
    down: down.length === ${SIZE} && down.equals(stream('down', ${SIZE})),
    trailer,
    sent: crypto.createHash('sha256').update(up).digest('hex'),
  }));
});`;

let root: string;
let policy: string;
let client: string;
let server: net.Server;
let port: number;
let web: Awaited<ReturnType<typeof origin>>;
let closedPort: number;

beforeAll(async () => {
  execFileSync('make', ['-C', path.join(repo, 'enforcer')], { stdio: 'pipe' });
  root = mkdtempSync(path.join(tmpdir(), 'mxcc-fastpath-'));
  const down = stream('down', SIZE);
  // Speaks first; hashes what it receives until the client's half-close; then 8 MiB, the hash and
  // who holds the other end of this connection (the bridge, or the proxy's own relay).
  server = net.createServer({ allowHalfOpen: true }, (c) => {
    c.write('BANNER\n');
    const h = createHash('sha256');
    let n = 0;
    c.on('data', (d: Buffer) => {
      h.update(d);
      n += d.length;
    });
    c.on('error', () => undefined);
    c.on('end', () => {
      const owner = /users:\(\("([^"]+)"/.exec(execFileSync('ss', ['-Htanp', `( sport = :${c.remotePort} and dport = :${port} )`], { encoding: 'utf8' }))?.[1] ?? '?';
      c.write(down);
      c.end(`received=${n} sha256=${h.digest('hex')} peer=${owner}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  web = await origin('web');
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedPort = (closed.address() as net.AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  client = path.join(root, 'client.js');
  writeFileSync(client, CLIENT);
  policy = path.join(root, 'p.mxc');
  writeFileSync(
    policy,
    `import "std/linux-runtime.mxc"
policy fast extends linux_runtime {
  fs { allow read, list "${root}/**" }
  net { allow connect tcp "fast.test":${port}, "127.0.0.1":${port}, "web.test":${web.port}, "127.0.0.1":${web.port}, "fast.test":${closedPort}, "127.0.0.1":${closedPort} }
}
`,
  );
});

afterAll(async () => {
  server.close();
  await web.close();
  rmSync(root, { recursive: true, force: true });
});

interface Report {
  answer: string;
  banner: string;
  down: boolean;
  trailer: string;
  sent: string;
}

async function transfer(mode: 'connect' | 'socks', host: string, env: NodeJS.ProcessEnv = {}, extra: string[] = []): Promise<Report> {
  const r = await mxccRun([policy, '--resolve', 'fast.test=127.0.0.1', '--resolve', 'web.test=127.0.0.1', '--log-net', '-', '--', 'node', client, mode, host, String(port), ...extra], { env: { PATH: process.env.PATH, ...env }, timeoutMs: 60_000 });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Report;
}

const CONNECT_OK = Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n').toString('hex');
const SOCKS_OK = '0500' + '05000001000000000000';

describe('mxcc run: the tunnel fast path hands over without losing, duplicating or reordering a byte', () => {
  for (const [mode, host, answer] of [
    ['connect', 'fast.test', CONNECT_OK],
    ['socks', 'fast.test', SOCKS_OK],
    ['connect', '127.0.0.1', CONNECT_OK],
    ['socks', '127.0.0.1', SOCKS_OK],
  ] as const) {
    it(`${mode} to ${host}: both directions exact, half-close passed on, spliced by the bridge`, async () => {
      const r = await transfer(mode, host);
      expect(r.answer).toBe(answer);
      expect(r.banner).toBe('BANNER\n');
      expect(r.down).toBe(true);
      expect(r.trailer).toBe(`received=${SIZE + (r.sent ? helloLength(host) : 0)} sha256=${r.sent} peer=mxc-enforce\n`);
    });
  }

  it('after a kept-alive plain HTTP exchange on the same connection (the boundary counts the proxy\'s earlier bytes)', async () => {
    const r = await transfer('connect', 'fast.test', {}, [`--web=web.test:${web.port}`]);
    expect(r.answer).toBe(CONNECT_OK);
    expect(r.banner).toBe('BANNER\n');
    expect(r.down).toBe(true);
    expect(r.trailer).toBe(`received=${SIZE + helloLength('fast.test')} sha256=${r.sent} peer=mxc-enforce\n`);
  });

  it('a refused connect is a 502 (CONNECT) or reply 5 (SOCKS5), logged, as without the fast path', async () => {
    const script = `curl -sS -m 5 -p http://fast.test:${closedPort}/ 2>&1; curl -sS -m 5 -x "$ALL_PROXY" http://fast.test:${closedPort}/ 2>&1; true`;
    const r = await mxccRun([policy, '--resolve', 'fast.test=127.0.0.1', '--log-net', '-', '--', 'sh', '-c', script]);
    expect(r.stdout).toContain('CONNECT tunnel failed, response 502');
    expect(r.stdout).toMatch(/SOCKS5.*(refused|5\))/i);
    expect(r.stderr).toMatch(new RegExp(`error http-connect fast\\.test:${closedPort} reason="connect: ECONNREFUSED"`));
  });

  it('with MXCC_PROXY_SPLICE=0 the proxy relays by itself, with the same bytes', async () => {
    const r = await transfer('connect', 'fast.test', { MXCC_PROXY_SPLICE: '0' });
    expect(r.down).toBe(true);
    expect(r.trailer).toBe(`received=${SIZE + helloLength('fast.test')} sha256=${r.sent} peer=node\n`);
  });
});

function helloLength(host: string): number {
  const name = host === '127.0.0.1' ? 'ip.test' : host;
  // record 5 + handshake 4 + version 2 + random 32 + session 1 + suites 4 + compression 2 + extensions 2 + server_name (4 + 2 + 3 + name)
  return 5 + 4 + 2 + 32 + 1 + 4 + 2 + 2 + 4 + 2 + 3 + name.length;
}

/** Every process below `pid`, with what /proc says about it. */
function descendants(pid: number): { pid: number; comm: string; netns: string; pidns: string; nnp: boolean; fds: Map<number, string> }[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out = [];
  const below = (p: number): boolean => {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) if (q === pid) return true;
    return false;
  };
  for (const p of parent.keys()) {
    if (!below(p)) continue;
    try {
      const fds = new Map<number, string>();
      for (const fd of readdirSync(`/proc/${p}/fd`)) fds.set(Number(fd), readlinkSync(`/proc/${p}/fd/${fd}`));
      out.push({
        pid: p,
        comm: readFileSync(`/proc/${p}/comm`, 'utf8').trim(),
        netns: readlinkSync(`/proc/${p}/ns/net`),
        pidns: readlinkSync(`/proc/${p}/ns/pid`),
        nnp: /NoNewPrivs:\s+1/.test(readFileSync(`/proc/${p}/status`, 'utf8')),
        fds,
      });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Start `mxcc run` through `sh -c PREFIX exec node mxcc run ...`; resolves once stdout shows `marker`. */
function started(shPrefix: string, args: string[], marker: string, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; out: () => string; done: Promise<number | null> }> {
  const child = spawn('bash', ['-c', `${shPrefix} exec "$0" "$@"`, process.execPath, mxcc, 'run', ...args], { cwd: repo, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${marker}" in 30 s: ${out} ${err}`)), 30_000);
    const check = (): void => {
      if (!out.includes(marker)) return;
      clearTimeout(timer);
      resolve({ child, out: () => out, done });
    };
    child.stdout!.on('data', check);
    void done.then(() => {
      clearTimeout(timer);
      if (!out.includes(marker)) reject(new Error(`exited before "${marker}": ${out} ${err}`));
    });
  });
}

const cpuTicks = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
};

describe('the bridge and the connector: fds and limits', () => {
  it('close every inherited fd, also above 1024, and keep only their own sockets', async () => {
    const run = await started('exec 1500</dev/null 7</dev/null;', [policy, '--', 'sh', '-c', 'echo ready; sleep 3'], 'ready');
    const procs = descendants(run.child.pid!);
    await run.done;
    const hostNet = readlinkSync('/proc/self/ns/net');
    const connector = procs.filter((p) => p.comm === 'mxc-enforce' && p.nnp && p.netns === hostNet);
    const bridge = procs.filter((p) => p.comm === 'mxc-enforce' && p.nnp && p.netns !== hostNet);
    expect(connector).toHaveLength(1);
    expect(bridge).toHaveLength(1);
    // The connector, which holds the proxy's channel, is in the host's PID namespace (whatever the command's).
    expect(connector[0]!.pidns).toBe(readlinkSync('/proc/self/ns/pid'));
    for (const p of [...connector, ...bridge]) {
      const kept = [...p.fds].filter(([fd]) => fd > 2);
      expect(kept.every(([, target]) => /^socket:|^anon_inode:\[pidfd\]$/.test(target)), JSON.stringify(kept)).toBe(true);
      expect(kept.map(([fd]) => fd).every((fd) => fd < 10), JSON.stringify(kept)).toBe(true);
    }
  });

  it('do not spin when the bridge runs out of fds, and accept again once relays close', async () => {
    const wrapper = path.join(root, 'enforce-low-nofile.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec prlimit --nofile=40:40 ${path.join(repo, 'enforcer', 'mxc-enforce')} "$@"\n`, { mode: 0o755 });
    // The command shares the limit: bash holds 30 idle connections (the bridge has room for about
    // 16: two fds each), then closes them; then one real tunnel, through the fast path.
    const hold = `p=\${HTTPS_PROXY##*:}; for i in {1..30}; do exec {fd}<>/dev/tcp/127.0.0.1/$p; done; echo held; sleep 2`;
    const run = await started('', [policy, '--resolve', 'fast.test=127.0.0.1', '--', 'bash', '-c', `bash -c '${hold}' && node ${client} connect fast.test ${port}`], 'held', { MXCC_ENFORCER: wrapper });
    const hostNet = readlinkSync('/proc/self/ns/net');
    const bridge = descendants(run.child.pid!).find((p) => p.comm === 'mxc-enforce' && p.nnp && p.netns !== hostNet)!;
    expect(bridge).toBeDefined();
    const before = cpuTicks(bridge.pid);
    await new Promise((r) => setTimeout(r, 1000));
    const spent = cpuTicks(bridge.pid) - before; // clock ticks, 100 a second: a spin would be ~100
    expect(spent).toBeLessThan(20);
    expect(await run.done).toBe(0);
    const report = JSON.parse(run.out().trim().split('\n').at(-1)!) as Report;
    expect(report.down).toBe(true);
    expect(report.trailer).toContain('peer=mxc-enforce');
  });
});

/** The fast-path policy with `extra` added (a wall-clock limit, max_processes, isolation). */
function policyWith(name: string, extra: string): string {
  const file = path.join(root, `${name}.mxc`);
  writeFileSync(file, readFileSync(policy, 'utf8').replace(/\n}\n$/, `\n  ${extra}\n}\n`));
  return file;
}

const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('the connector and the bridge see each other end (review finding)', () => {
  // Only the connector and its parent may hold the proxy's channel, only the bridge and the
  // connector their socketpair: a waiting enforcer process that kept either open would hide the
  // other end's exit (no EOF for the proxy, no POLLHUP for the connector).
  for (const [name, extra] of [
    ['wall', 'limits { wall 40s }'],
    ['pids', 'process { max_processes 256 }'],
  ] as const) {
    it(`${name}: the connector gone with a CONNECT pending, the CONNECT fails at once (502), not after the client's timeout`, async () => {
      // The connector is stopped, the CONNECT written to it, then it is killed: the proxy must see
      // the channel end (EOF) and answer, though the enforcer waits on in the wall or pids parent.
      const p = policyWith(name, extra);
      const script = `echo ready; sleep 2; curl -sS -m 12 -p http://fast.test:${port}/ 2>&1; echo rc=$?`;
      const run = await started('', [p, '--resolve', 'fast.test=127.0.0.1', '--', 'sh', '-c', script], 'ready');
      const hostNet = readlinkSync('/proc/self/ns/net');
      const find = () => descendants(run.child.pid!).find((q) => q.comm === 'mxc-enforce' && q.nnp && q.netns === hostNet);
      let connector = find();
      for (let i = 0; i < 40 && !connector; i++) {
        await new Promise((r) => setTimeout(r, 50));
        connector = find();
      }
      expect(connector).toBeDefined();
      process.kill(connector!.pid, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 3500));
      const killed = Date.now();
      process.kill(connector!.pid, 'SIGKILL');
      expect(await run.done).toBe(0);
      expect(run.out()).toContain('CONNECT tunnel failed, response 502');
      expect(Date.now() - killed).toBeLessThan(5000);
    });
  }

  it('isolation session: the bridge gone, the connector exits', async () => {
    const p = policyWith('session', 'isolation session');
    const run = await started('', [p, '--', 'sh', '-c', 'echo ready; sleep 6'], 'ready');
    const hostNet = readlinkSync('/proc/self/ns/net');
    // The helpers finish setting themselves up (no_new_privs) while the command starts.
    let procs = descendants(run.child.pid!);
    const helper = (inHost: boolean) => procs.find((q) => q.comm === 'mxc-enforce' && q.nnp && (q.netns === hostNet) === inHost);
    for (let i = 0; i < 40 && !(helper(true) && helper(false)); i++) {
      await new Promise((r) => setTimeout(r, 50));
      procs = descendants(run.child.pid!);
    }
    const [connector, bridge] = [helper(true), helper(false)];
    expect(connector).toBeDefined();
    expect(bridge).toBeDefined();
    process.kill(bridge!.pid, 'SIGKILL');
    for (let i = 0; i < 40 && alive(connector!.pid); i++) await new Promise((r) => setTimeout(r, 50));
    const left = alive(connector!.pid);
    run.child.kill('SIGTERM');
    await run.done;
    expect(left, 'the connector still runs 2 s after the bridge died').toBe(false);
  });
});
