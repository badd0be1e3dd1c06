/**
 * `mxcc run` end to end: the built CLI, the real enforcer (user and network namespaces,
 * Landlock, seccomp), the bridge, the egress proxy and real HTTP servers on loopback. The
 * proxy's resolver is given `--resolve` entries, so no DNS is involved. Attacks are in
 * test/escape/net-proxy.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { mxcc, mxccRun, origin, repo, runAsync } from './helpers.js';

let root: string;
let a: Awaited<ReturnType<typeof origin>>;
let policy: string;
let portsPolicy: string;
let resolveArgs: string[];

beforeAll(async () => {
  execFileSync('make', ['-C', path.join(repo, 'enforcer')], { stdio: 'pipe' });
  root = mkdtempSync(path.join(tmpdir(), 'mxcc-run-test-'));
  a = await origin('server-a');
  policy = path.join(root, 'p.mxc');
  writeFileSync(
    policy,
    `import "std/linux-runtime.mxc"
policy sandboxed extends linux_runtime {
  net {
    allow connect tcp "allowed.test":${a.port}, "127.0.0.1":${a.port}
  }
}
`,
  );
  portsPolicy = path.join(root, 'ports.mxc');
  writeFileSync(portsPolicy, `import "std/linux-runtime.mxc"\npolicy ports extends linux_runtime {\n  net { allow connect tcp any:${a.port} }\n}\n`);
  resolveArgs = ['--resolve', 'allowed.test=127.0.0.1'];
});

afterAll(async () => {
  await a.close();
  rmSync(root, { recursive: true, force: true });
});

describe('mxcc run', () => {
  it('reaches an allowed host through the proxy: plain HTTP, CONNECT and SOCKS5 (curl), and a node client', async () => {
    const log = path.join(root, 'net.log');
    const url = `http://allowed.test:${a.port}/x`;
    const script = `curl -sS -m 10 ${url}; curl -sS -m 10 -p ${url}; curl -sS -m 10 -x "$ALL_PROXY" ${url}`;
    const r = await mxccRun([policy, ...resolveArgs, '--log-net', log, '--', 'sh', '-c', script]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('server-a host=allowed.test'))).toHaveLength(3);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' ').slice(1, 4).join(' '))).toEqual([`allow http allowed.test:${a.port}`, `allow http-connect allowed.test:${a.port}`, `allow socks5 allowed.test:${a.port}`]);
    expect(lines.every((l) => l.includes('rule=net.0'))).toBe(true);

    // A program that reads HTTPS_PROXY itself and tunnels with CONNECT.
    const client = `const u=new URL(process.env.HTTPS_PROXY);const s=require("net").connect(+u.port,u.hostname,()=>s.write("CONNECT allowed.test:${a.port} HTTP/1.1\\r\\n\\r\\nGET /node HTTP/1.1\\r\\nHost: allowed.test\\r\\nConnection: close\\r\\n\\r\\n"));let b="";s.on("data",d=>b+=d);s.on("close",()=>{process.stdout.write(b.slice(b.indexOf("server-a")))})`;
    const n = await mxccRun([policy, ...resolveArgs, '--', process.execPath, '-e', client]);
    expect(n.stdout).toContain('server-a host=allowed.test path=/node\n');
  });

  it('passes the exit status and stdio through', async () => {
    expect((await mxccRun([policy, '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'])).status).toBe(7);
    const r = await mxccRun([policy, '--', 'sh', '-c', 'echo out; echo err >&2; kill -TERM $$']);
    expect(r).toMatchObject({ status: 128 + 15, stdout: 'out\n', stderr: 'err\n' });
  });

  it('logs to stderr with --log-net -, and denials too', async () => {
    const r = await mxccRun([policy, ...resolveArgs, '--log-net', '-', '--', 'curl', '-sS', '-m', '10', `http://evil.test:${a.port}/`]);
    expect(r.stdout).toContain('refused: no allow rule matches');
    expect(r.stderr).toMatch(new RegExp(`^\\S+Z deny http evil\\.test:${a.port} rule=- reason="no allow rule matches"\\n$`));
  });

  it('--dry-run prints the enforcer plan and the allowlist and runs nothing', async () => {
    const marker = path.join(root, 'ran');
    const r = await mxccRun([policy, ...resolveArgs, '--dry-run', '--', 'touch', marker]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('namespaces: user, mount, ipc, net (loopback up)');
    expect(r.stdout).toMatch(/^proxy: bridge on 127\.0\.0\.1/m);
    expect(r.stdout).toContain(`  allow connect tcp allowed.test:${a.port}, 127.0.0.1/32:${a.port} (rule net.0)`);
    expect(r.stdout).toContain('  resolve allowed.test → 127.0.0.1');
    expect(existsSync(marker)).toBe(false);
    const ports = await mxccRun([portsPolicy, '--dry-run', '--', 'true']);
    expect(ports.stdout).toContain(`landlock port: ${a.port} connect_tcp`);
    expect(ports.stdout).toContain('egress proxy: none (network mode ports)');
    const audit = await mxccRun([portsPolicy, '--audit', '--dry-run', '--', 'true']);
    expect(audit.status).toBe(0);
    expect(audit.stdout).toMatch(/^audit: \d+ seccomp returns other than allow rewritten to SECCOMP_RET_LOG/m);
    expect(ports.stdout).not.toMatch(/^audit:/m);
  });

  it('reports policy errors like mxcc compile (exit 1), and a missing enforcer (exit 2)', async () => {
    const bad = path.join(root, 'bad.mxc');
    writeFileSync(bad, 'policy bad {\n  fs { allow raed "/tmp/**" }\n}\n');
    const r = await mxccRun([bad, '--', 'true']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[MXC\d{4}\]/);
    const missing = await mxccRun([policy, '--', 'true'], { env: { PATH: process.env.PATH, MXCC_ENFORCER: path.join(root, 'none') } });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('`make -C enforcer`');
    const usage = await mxccRun([policy]);
    expect(usage.status).toBe(2);
    const pin = await mxccRun([policy, '--sha256', '0'.repeat(64), '--', 'true']);
    expect(pin.status).toBe(1);
    expect(pin.stderr).toContain('not the pinned');
  });

  it('fails closed when the bridge cannot reach the proxy: the command does not run', async () => {
    const out = path.join(root, 'bundle');
    execFileSync(process.execPath, [mxcc, 'compile', policy, '-t', 'linux', '-o', out], { stdio: 'pipe' });
    const marker = path.join(root, 'ran-closed');
    const proxyArgs = ['--proxy-pid', String(process.pid)];
    const env = { PATH: process.env.PATH, MXC_PROXY_TOKEN: 'ab'.repeat(16) };
    const r = await runAsync(path.join(repo, 'enforcer', 'mxc-enforce'), ['--proxy-socket', path.join(root, 'no.sock'), ...proxyArgs, path.join(out, 'bundle.mxcb'), '--', 'touch', marker], { env });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^mxc-enforce: proxy: No such file or directory \(connect to the proxy at .*no\.sock; is `mxcc run`'s egress proxy running\?\)\n$/);
    expect(existsSync(marker)).toBe(false);
    const ports = await runAsync(process.execPath, [mxcc, 'compile', portsPolicy, '-t', 'linux', '-o', path.join(root, 'pb')]);
    expect(ports.status).toBe(0);
    const wrong = await runAsync(path.join(repo, 'enforcer', 'mxc-enforce'), ['--proxy-socket', path.join(root, 'no.sock'), ...proxyArgs, path.join(root, 'pb', 'bundle.mxcb'), '--', 'true'], { env });
    expect(wrong.status).toBe(125);
    expect(wrong.stderr).toContain('--proxy-socket is for policies in the proxy network mode');
    // Without the proxy's pid or its token, nothing is launched.
    const noPid = await runAsync(path.join(repo, 'enforcer', 'mxc-enforce'), ['--proxy-socket', path.join(root, 'no.sock'), path.join(out, 'bundle.mxcb'), '--', 'touch', marker], { env });
    expect(noPid.status).toBe(125);
    expect(noPid.stderr).toContain('--proxy-socket needs --proxy-pid PID');
    const noToken = await runAsync(path.join(repo, 'enforcer', 'mxc-enforce'), ['--proxy-socket', path.join(root, 'no.sock'), ...proxyArgs, path.join(out, 'bundle.mxcb'), '--', 'touch', marker]);
    expect(noToken.status).toBe(125);
    expect(noToken.stderr).toContain("needs the proxy's token in MXC_PROXY_TOKEN");
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses to launch when another process listens on the proxy socket (one planted by another sandbox)', async () => {
    const out = path.join(root, 'bundle-planted');
    execFileSync(process.execPath, [mxcc, 'compile', policy, '-t', 'linux', '-o', out], { stdio: 'pipe' });
    const sock = path.join(root, 'planted.sock');
    // The impostor: a process of the same user listening where the proxy's socket should be.
    const impostor = spawn(process.execPath, ['-e', `require("net").createServer((s)=>s.on("data",(d)=>process.stdout.write("got "+d.length+"\\n"))).listen(${JSON.stringify(sock)},()=>console.log("listening"))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let said = '';
      impostor.stdout.on('data', (c: Buffer) => (said += c));
      for (let i = 0; i < 200 && !said.includes('listening'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(said).toContain('listening');
      const marker = path.join(root, 'ran-planted');
      // This process stands for the proxy: its pid is the one the bridge must find listening.
      const r = await runAsync(path.join(repo, 'enforcer', 'mxc-enforce'), ['--proxy-socket', sock, '--proxy-pid', String(process.pid), path.join(out, 'bundle.mxcb'), '--', 'touch', marker], {
        env: { PATH: process.env.PATH, MXC_PROXY_TOKEN: 'cd'.repeat(16) },
      });
      expect(r.status).toBe(125);
      expect(r.stderr).toBe(`mxc-enforce: proxy: Operation not permitted (${sock} is not the proxy's socket: another process listens on it)\n`);
      expect(existsSync(marker)).toBe(false);
      expect(said).not.toContain('got'); // the token was never sent to it
    } finally {
      impostor.kill('SIGKILL');
    }
  });

  it("the proxy closes connections that do not open with its run's token, unread", async () => {
    const tmp = mkdtempSync(path.join(root, 'tmp-token-'));
    const child = spawn(process.execPath, [mxcc, 'run', policy, ...resolveArgs, '--', 'sh', '-c', `echo started; sleep 2; curl -sS -m 10 http://allowed.test:${a.port}/own`], {
      env: { PATH: process.env.PATH, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (let i = 0; i < 200 && !stdout.includes('started'); i++) await new Promise((r) => setTimeout(r, 25));
    const sock = path.join(tmp, readdirSync(tmp).find((d) => d.startsWith('mxcc-run-'))!, 'proxy.sock');
    const { connect } = await import('node:net');
    const attempt = (first: Buffer): Promise<string> =>
      new Promise((resolve) => {
        const s = connect(sock, () => s.write(first));
        let got = '';
        s.on('data', (d) => (got += d));
        s.on('error', () => undefined);
        s.on('close', () => resolve(got));
      });
    const request = `GET http://allowed.test:${a.port}/stolen HTTP/1.1\r\nHost: allowed.test:${a.port}\r\n\r\n`;
    // Plain HTTP, a SOCKS5 greeting, and the bridge's preamble with a wrong token: no answer at all.
    expect(await attempt(Buffer.from(request))).toBe('');
    expect(await attempt(Buffer.from([5, 1, 0]))).toBe('');
    expect(await attempt(Buffer.concat([Buffer.from(`\0${'0'.repeat(32)} ${'0'.repeat(16)}\n`, 'latin1'), Buffer.from(request)]))).toBe('');
    // mxc-enforce and the helpers it forked (bridge, connector) no longer show the token in
    // /proc/PID/environ (the initial environment block, which unsetenv leaves as it was).
    const enforcers = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && (() => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0')[0]!.endsWith('mxc-enforce');
      } catch {
        return false;
      }
    })());
    expect(enforcers.length).toBeGreaterThan(0);
    for (const p of enforcers) {
      let environ = '';
      try {
        environ = readFileSync(`/proc/${p}/environ`, 'latin1');
      } catch {
        continue; // gone meanwhile
      }
      expect(environ).toContain('MXC_PROXY_TOKEN=');
      expect(environ).not.toMatch(/MXC_PROXY_TOKEN=[0-9a-f]{32}/);
    }
    // The run's own command still gets through.
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/server-a host=allowed\.test:\d+ path=\/own/);
    expect(stdout).not.toContain('/stolen');
  });

  it('on SIGTERM: the command is gone, the temp bundle directory and proxy socket are removed', async () => {
    const tmp = mkdtempSync(path.join(root, 'tmp-'));
    mkdirSync(tmp, { recursive: true });
    const child = spawn(process.execPath, [mxcc, 'run', policy, '--', 'sh', '-c', 'echo started; exec sleep 313'], { env: { PATH: process.env.PATH, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (let i = 0; i < 200 && !stdout.includes('started'); i++) await new Promise((r) => setTimeout(r, 50));
    const dirs = readdirSync(tmp).filter((d) => d.startsWith('mxcc-run-'));
    expect(dirs).toHaveLength(1);
    const runDir = path.join(tmp, dirs[0]!);
    expect(readdirSync(runDir).sort()).toEqual(['bundle.mxcb', 'proxy.sock']);
    for (let i = 0; i < 100 && sleepers().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sleepers()).toHaveLength(1);
    child.kill('SIGTERM');
    expect(await exited).toBe(128 + 15);
    expect(existsSync(runDir)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
    expect(sleepers()).toEqual([]);
  });

  it('on SIGKILL of mxcc run: the command goes with it (mxc-enforce --die-with-parent)', async () => {
    const tmp = mkdtempSync(path.join(root, 'tmp-kill-'));
    const child = spawn(process.execPath, [mxcc, 'run', policy, '--', 'sh', '-c', 'echo started; exec sleep 313'], { env: { PATH: process.env.PATH, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    // 'exit', not 'close': a command that outlived mxcc run would hold its stdout open.
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    for (let i = 0; i < 200 && !stdout.includes('started'); i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 100 && sleepers().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sleepers()).toHaveLength(1);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    for (let i = 0; i < 100 && sleepers().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sleepers()).toEqual([]);
  });
});

/** Processes running `sleep 313` (the signal test's command). */
function sleepers(): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\x00313\x00';
      } catch {
        return false;
      }
    });
}
