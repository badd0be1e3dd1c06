/**
 * The egress proxy on a real unix socket with real HTTP servers on loopback; names resolve
 * through an injected map, never DNS. Loopback is a special address, so the policy names the
 * test server's address explicitly (as a policy reaching a host-local service would have to).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decide } from '../../compiler/evaluate.js';
import { EgressPolicy, isSpecialAddress, mapResolver } from '../../cli/net/egress.js';
import { formatDecision, logWord, parseAuthority, startEgressProxy, type RunningProxy } from '../../cli/net/proxy.js';
import { parseRequest } from '../../cli/net/socks5.js';
import { readClientHelloSni } from '../../cli/net/tls-sni.js';
import { connectThenGet, irFor, origin, rawRequest, socksGet } from './helpers.js';

let dir: string;
let a: Awaited<ReturnType<typeof origin>>;
let b: Awaited<ReturnType<typeof origin>>;
let proxy: RunningProxy;
let sock: string;
const log: string[] = [];
let policy: EgressPolicy;
/** A TCP server that records what each connection sends (a TLS server stand-in). */
let sink: net.Server;
let sinkPort: number;
const sunk: Buffer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mxcc-proxy-'));
  sock = path.join(dir, 'proxy.sock');
  a = await origin('server-a');
  b = await origin('server-b');
  sink = net.createServer((c) => c.on('data', (d: Buffer) => sunk.push(d)).on('error', () => undefined));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sinkPort = (sink.address() as net.AddressInfo).port;
  const ir = irFor(`policy p {
  net {
    allow connect tcp "allowed.test":${a.port}, "127.0.0.1":${a.port}, "::1":${a.port}
    allow connect tcp "rebind.test":${b.port}, "meta.test":80, "mixed.test":${a.port}
    allow connect tcp "*.wild.test":${a.port}, "allowed.test":${sinkPort}, "127.0.0.1":${sinkPort}
    deny connect tcp "denied.wild.test"
  }
}`);
  const resolve = mapResolver(
    new Map([
      ['allowed.test', ['127.0.0.1']],
      ['rebind.test', ['127.0.0.1']],
      ['meta.test', ['169.254.169.254']],
      ['mixed.test', ['169.254.169.254', '127.0.0.1']],
      ['x.wild.test', ['127.0.0.1']],
      ['denied.wild.test', ['127.0.0.1']],
      ['evil.test', ['127.0.0.1']],
    ]),
  );
  policy = new EgressPolicy(ir, resolve);
  proxy = await startEgressProxy({ policy, log: (l) => log.push(l) }, { path: sock });
});

afterAll(async () => {
  await proxy.close();
  await a.close();
  await b.close();
  sink.close();
  rmSync(dir, { recursive: true, force: true });
});

const status = (text: string): string => text.split('\r\n')[0] ?? '';

describe('egress proxy: HTTP CONNECT', () => {
  it('tunnels to an allowed name and logs the decision with its rule', async () => {
    const before = log.length;
    const r = await connectThenGet(sock, `allowed.test:${a.port}`, 'allowed.test');
    expect(status(r)).toBe('HTTP/1.1 200 Connection Established');
    expect(r).toContain('server-a host=allowed.test path=/tunnel');
    expect(log.slice(before)).toEqual([expect.stringMatching(new RegExp(`^\\S+Z allow http-connect allowed\\.test:${a.port} address=127\\.0\\.0\\.1 rule=net\\.0 reason="allowed by rule"$`))]);
  });

  it('refuses a name the policy does not allow, without connecting', async () => {
    const before = log.length;
    const r = await connectThenGet(sock, `evil.test:${a.port}`, 'evil.test');
    expect(status(r)).toBe('HTTP/1.1 403 Forbidden');
    expect(r).not.toContain('server-a');
    expect(log.slice(before)).toEqual([expect.stringMatching(new RegExp(`deny http-connect evil\\.test:${a.port} rule=- reason="no allow rule matches"$`))]);
  });

  it('refuses an allowed name on another port', async () => {
    expect(status(await connectThenGet(sock, `allowed.test:${b.port}`, 'allowed.test'))).toBe('HTTP/1.1 403 Forbidden');
  });

  it('refuses a raw IP the policy does not allow, and takes one it names', async () => {
    const r = await connectThenGet(sock, `127.0.0.1:${b.port}`, '127.0.0.1');
    expect(status(r)).toBe('HTTP/1.1 403 Forbidden');
    expect(r).not.toContain('server-b');
    expect(await connectThenGet(sock, `127.0.0.1:${a.port}`, 'x')).toContain('server-a');
    expect(await connectThenGet(sock, `[::ffff:127.0.0.1]:${b.port}`, 'x')).not.toContain('server-b');
  });

  it('refuses an allowed name that resolves to loopback the policy does not name (DNS rebinding)', async () => {
    const before = log.length;
    const r = await connectThenGet(sock, `rebind.test:${b.port}`, 'rebind.test');
    expect(status(r)).toBe('HTTP/1.1 403 Forbidden');
    expect(r).not.toContain('server-b');
    expect(log.slice(before).join('\n')).toMatch(/deny http-connect rebind\.test:\d+ rule=- reason="resolves only to refused addresses: 127\.0\.0\.1 is a loopback/);
    expect(r).toContain(`rebind.test:${b.port} refused: no address of this name is allowed, or it does not resolve`);
    expect(r).not.toContain('127.0.0.1');
  });

  it('refuses a name that resolves to the metadata address; uses only the allowed address of a mixed answer', async () => {
    expect(status(await connectThenGet(sock, 'meta.test:80', 'meta.test'))).toBe('HTTP/1.1 403 Forbidden');
    const r = await connectThenGet(sock, `mixed.test:${a.port}`, 'mixed.test');
    expect(r).toContain('server-a');
    expect(log.at(-1)).toContain('address=127.0.0.1');
  });

  it('applies deny rules to wildcard names', async () => {
    expect(await connectThenGet(sock, `x.wild.test:${a.port}`, 'x.wild.test')).toContain('server-a');
    const before = log.length;
    expect(status(await connectThenGet(sock, `denied.wild.test:${a.port}`, 'x'))).toBe('HTTP/1.1 403 Forbidden');
    expect(log.slice(before).join('')).toContain('rule=net.3 reason="denied by rule"');
  });

  it('ends a tunnel whose TLS ClientHello names another server (forged SNI), before it reaches the upstream', async () => {
    const hello = async (servername: string, protocol: 'connect' | 'socks'): Promise<void> => {
      const s = net.connect({ path: sock });
      if (protocol === 'connect') s.write(`CONNECT allowed.test:${sinkPort} HTTP/1.1\r\n\r\n`);
      else {
        const port = Buffer.alloc(2);
        port.writeUInt16BE(sinkPort);
        s.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, 12]), Buffer.from('allowed.test'), port]));
      }
      await new Promise<void>((resolve) => s.once('data', () => resolve()));
      const t = tls.connect({ socket: s, servername, rejectUnauthorized: false });
      t.on('error', () => undefined);
      await new Promise((r) => setTimeout(r, 300));
      t.destroy();
    };
    const before = log.length;
    sunk.length = 0;
    await hello('evil.test', 'connect');
    await hello('evil.test', 'socks');
    expect(Buffer.concat(sunk).length).toBe(0);
    const lines = log.slice(before);
    expect(lines.filter((l) => l.includes('deny http-connect allowed.test') && l.includes('reason="TLS server name evil.test is not the checked name allowed.test"'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('deny socks5 allowed.test') && l.includes('TLS server name'))).toHaveLength(1);
    await hello('allowed.test', 'connect');
    const got = Buffer.concat(sunk);
    expect(got[0]).toBe(22);
    expect(readClientHelloSni(got)).toEqual({ kind: 'hello', serverName: 'allowed.test' });
  });

  it('answers a malformed CONNECT with 400', async () => {
    expect(status(await rawRequest(sock, 'CONNECT nohostport HTTP/1.1\r\n\r\n'))).toBe('HTTP/1.1 400 Bad Request');
  });
});

describe('egress proxy: plain HTTP', () => {
  it('forwards an absolute-form request to an allowed host', async () => {
    const r = await rawRequest(sock, `GET http://allowed.test:${a.port}/plain?q=1 HTTP/1.1\r\nHost: allowed.test:${a.port}\r\nProxy-Connection: keep-alive\r\nConnection: close\r\n\r\n`);
    expect(status(r)).toBe('HTTP/1.1 200 OK');
    expect(r).toContain(`server-a host=allowed.test:${a.port} path=/plain?q=1`);
  });

  it('refuses a forged Host header, before deciding on the URI', async () => {
    const before = log.length;
    const r = await rawRequest(sock, `GET http://allowed.test:${a.port}/ HTTP/1.1\r\nHost: evil.test:${b.port}\r\nConnection: close\r\n\r\n`);
    expect(status(r)).toBe('HTTP/1.1 403 Forbidden');
    expect(r).not.toContain('server-');
    expect(log.slice(before).join('')).toContain('reason="Host header');
    const twice = await rawRequest(sock, `GET http://allowed.test:${a.port}/ HTTP/1.1\r\nHost: allowed.test:${a.port}\r\nHost: evil.test\r\nConnection: close\r\n\r\n`);
    expect(twice).not.toContain('server-');
  });

  it('refuses a non-allowed host and origin-form requests', async () => {
    const r = await rawRequest(sock, `GET http://evil.test:${b.port}/ HTTP/1.1\r\nHost: evil.test:${b.port}\r\nConnection: close\r\n\r\n`);
    expect(status(r)).toBe('HTTP/1.1 403 Forbidden');
    expect(r).not.toContain('server-b');
    expect(status(await rawRequest(sock, 'GET / HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n'))).toBe('HTTP/1.1 400 Bad Request');
  });

  it('frames a chunked body of a GET on the upstream hop: it never arrives as a request of its own (review finding)', async () => {
    sunk.length = 0;
    const smuggled = 'GET /secret HTTP/1.1\r\nHost: evil-vhost.test\r\n\r\n';
    const chunk = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
    const s = net.connect({ path: sock });
    s.on('error', () => undefined);
    s.write(`GET http://allowed.test:${sinkPort}/ HTTP/1.1\r\nHost: allowed.test:${sinkPort}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`);
    const deadline = Date.now() + 5000;
    while (!Buffer.concat(sunk).toString('latin1').includes('\r\n0\r\n\r\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    s.destroy();
    const got = Buffer.concat(sunk).toString('latin1');
    const [head, body] = [got.slice(0, got.indexOf('\r\n\r\n')), got.slice(got.indexOf('\r\n\r\n') + 4)];
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(body).toBe(chunk);
  });

  it('a CONNECT pipelined behind a request still being answered closes the connection; nothing reaches the tunnel (review finding)', async () => {
    const slow = http.createServer((_, res) => setTimeout(() => res.end('late answer'), 300));
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowPort = (slow.address() as net.AddressInfo).port;
    const ir = irFor(`policy q { net { allow connect tcp "127.0.0.1":${slowPort}, "127.0.0.1":${sinkPort} } }`);
    const lines: string[] = [];
    const path2 = path.join(dir, 'pipelined.sock');
    const p = await startEgressProxy({ policy: new EgressPolicy(ir, mapResolver(new Map()), []), log: (l) => lines.push(l) }, { path: path2 });
    try {
      sunk.length = 0;
      const got = await rawRequest(path2, `GET http://127.0.0.1:${slowPort}/ HTTP/1.1\r\nHost: 127.0.0.1:${slowPort}\r\n\r\nCONNECT 127.0.0.1:${sinkPort} HTTP/1.1\r\n\r\n\u0016\u0003\u0001INJECTED`);
      await new Promise((r) => setTimeout(r, 500));
      expect(got).not.toContain('200 Connection Established');
      expect(Buffer.concat(sunk).length).toBe(0);
      expect(lines.join('\n')).toContain('reason="CONNECT pipelined behind a request still being answered"');
    } finally {
      await p.close();
      slow.close();
    }
  });

  it('log lines escape what the client names: a Host cannot forge the fields after it (review finding)', () => {
    const line = formatDecision('http', { allowed: false, host: 'evil.test:80 rule=net.0 reason="allowed"', port: 80, rules: [], reason: 'no allow rule matches' }, new Date(0));
    expect(line).toBe('1970-01-01T00:00:00.000Z deny http [evil.test:80%20rule%3Dnet.0%20reason%3D%22allowed%22]:80 rule=- reason="no allow rule matches"');
    expect(logWord('bücher.test')).toBe('b%C3%BCcher.test');
    expect(logWord('a.test')).toBe('a.test');
  });

  it('decides each request of a kept-alive connection on its own', async () => {
    const r = await rawRequest(sock, `GET http://allowed.test:${a.port}/one HTTP/1.1\r\nHost: allowed.test:${a.port}\r\n\r\nGET http://evil.test:${b.port}/two HTTP/1.1\r\nHost: evil.test:${b.port}\r\nConnection: close\r\n\r\n`);
    expect(r).toContain('path=/one');
    expect(r).toContain('403 Forbidden');
    expect(r).not.toContain('server-b');
  });
});

describe('egress proxy: SOCKS5', () => {
  it('connects by domain name and by an IPv4 or IPv6 address the policy allows', async () => {
    const byName = await socksGet(sock, { domain: 'allowed.test', port: a.port }, 'allowed.test');
    expect(byName.rep).toBe(0);
    expect(byName.body).toContain('server-a host=allowed.test path=/socks');
    expect((await socksGet(sock, { ipv4: '127.0.0.1', port: a.port }, 'x')).body).toContain('server-a');
    // Allowed, but the server listens on IPv4 only: "connection refused" (5).
    const v6 = await socksGet(sock, { ipv6: '::1', port: a.port }, 'x');
    expect(v6.rep).toBe(5);
    expect(log.at(-1)).toMatch(/allow socks5 \[::1\]:\d+ rule=net\.0/);
  });

  it('answers "not allowed by ruleset" (2) for denied names, addresses and rebinding', async () => {
    for (const t of [{ domain: 'evil.test', port: a.port }, { ipv4: '127.0.0.1', port: b.port }, { domain: 'rebind.test', port: b.port }, { ipv4: '169.254.169.254', port: 80 }]) {
      const r = await socksGet(sock, t, 'x');
      expect(r.rep, JSON.stringify(t)).toBe(2);
      expect(r.body).not.toContain('server-');
    }
  });

  it('parses requests strictly', () => {
    expect(parseRequest(Buffer.from([5, 2, 0, 1, 127, 0, 0, 1, 0, 80]))).toMatchObject({ reply: 7 });
    expect(parseRequest(Buffer.from([5, 1, 0, 9, 0, 0]))).toMatchObject({ reply: 8 });
    expect(parseRequest(Buffer.from([5, 1, 0, 3, 4, 0x61]))).toEqual({ need: 11 });
  });
});

describe('egress decisions', () => {
  it('agree with the reference evaluator on name and address requests', async () => {
    const ir = irFor(`policy q {
  net {
    allow connect tcp "a.test":443, "10.0.0.0/8":443
    allow connect tcp any:8443
    deny connect tcp "10.9.0.0/16"
  }
}`);
    const p = new EgressPolicy(ir, mapResolver(new Map([['a.test', ['93.184.216.34']]])));
    for (const [host, port] of [['a.test', 443], ['a.test', 80], ['10.1.2.3', 443], ['10.9.1.1', 443], ['b.test', 443], ['8.8.8.8', 8443]] as const) {
      const d = decide(ir, { kind: 'net', operation: 'connect', protocol: 'tcp', host, port });
      const v = await p.check(host, port);
      expect(v.allowed, `${host}:${port}`).toBe(d.allowed);
    }
    // Stricter than the evaluator only for special addresses reached through an any-host rule.
    expect((await p.check('127.0.0.1', 8443)).allowed).toBe(false);
    expect((await p.check('169.254.169.254', 8443)).allowed).toBe(false);
  });

  it('a network counts as naming a special address only in its own family and at least as narrow as its block (review finding)', async () => {
    const ir = irFor(`policy q {
  net {
    allow connect tcp "::/0":80, "0.0.0.0/0":81, "127.0.0.0/8":82, "::ffff:0:0/96":83, "10.0.0.0/8":84, "10.1.2.3":85
  }
}`);
    const p = new EgressPolicy(ir, mapResolver(new Map()), ['10.1.2.3', 'fe80::1']);
    const allowed = async (host: string, port: number): Promise<boolean> => (await p.check(host, port)).allowed;
    expect(await allowed('127.0.0.1', 80), '::/0 names no IPv4 address').toBe(false);
    expect(await allowed('::ffff:127.0.0.1', 80)).toBe(false);
    expect(await allowed('169.254.169.254', 80)).toBe(false);
    expect(await allowed('::1', 80), '::/0 is an any-host rule in disguise').toBe(false);
    expect(await allowed('127.0.0.1', 81)).toBe(false);
    expect(await allowed('127.0.0.1', 83)).toBe(false);
    expect(await allowed('127.0.0.1', 82), '127.0.0.0/8 names loopback').toBe(true);
    expect(await allowed('2001:db8::1', 80), 'ordinary addresses are as the policy says').toBe(true);
    // The proxy's host's own addresses are special: a network around one does not name it.
    expect(await allowed('10.1.2.4', 84)).toBe(true);
    expect(await allowed('10.1.2.3', 84)).toBe(false);
    expect(await allowed('10.1.2.3', 85)).toBe(true);
  });

  it('a deny of an IPv4 network holds for its NAT64 and compatible forms; a rule in the mapped form names its address (review findings)', async () => {
    const ir = irFor(`policy q {
  net {
    allow connect tcp "api.test":443
    allow connect tcp "::ffff:127.0.0.1":8080, "::ffff:169.254.169.254":80
    deny connect any "10.0.0.0/8"
  }
}`);
    const via = async (address: string): Promise<boolean> => (await new EgressPolicy(ir, mapResolver(new Map([['api.test', [address]]])), []).check('api.test', 443)).allowed;
    for (const a of ['10.0.0.5', '::ffff:10.0.0.5', '64:ff9b::a00:5', '::a00:5']) expect(await via(a), a).toBe(false);
    expect(await via('93.184.216.34')).toBe(true);
    const p = new EgressPolicy(ir, mapResolver(new Map()), []);
    for (const [host, port] of [['127.0.0.1', 8080], ['::ffff:127.0.0.1', 8080], ['169.254.169.254', 80]] as const) expect((await p.check(host, port)).allowed, host).toBe(true);
    expect((await p.check('127.0.0.1', 80)).allowed).toBe(false);
  });

  it('tells the command no resolved address (the log has them): the proxy is no resolver for it (review finding)', async () => {
    const ir = irFor(`policy q {
  net {
    allow connect tcp any:443
    deny connect tcp "10.0.0.0/8"
    deny resolve "*.corp.internal"
  }
}`);
    const p = new EgressPolicy(ir, mapResolver(new Map([['db.corp.internal', ['10.77.0.2']]])), []);
    const v = await p.check('db.corp.internal', 443);
    expect(v.allowed).toBe(false);
    expect(v.reason).toContain('10.77.0.2');
    expect(v.publicReason).toBe('no address of this name is allowed, or it does not resolve');
    expect((await p.check('nowhere.test', 443)).publicReason).toBe(v.publicReason);
  });

  it('refuses a host decided as one string and resolved as another (two trailing dots, empty labels)', async () => {
    const ir = irFor('policy q { net { allow connect tcp "10.77.0.1":80, "a.test":80 } }');
    const asked: string[] = [];
    const p = new EgressPolicy(ir, async (name) => (asked.push(name), ['10.77.0.2']), []);
    for (const host of ['10.77.0.1..', 'a.test..', '.a.test', 'a..test', '.']) expect((await p.check(host, 80)).allowed, host).toBe(false);
    expect(asked).toEqual([]);
    expect((await p.check('a.test.', 80)).allowed).toBe(true);
    expect(await p.check('10.77.0.1.', 80)).toMatchObject({ allowed: true, address: '10.77.0.1' }); // the root dot: decided and connected as the address
  });

  it('knows the special addresses', () => {
    for (const s of ['127.0.0.1', '127.255.0.1', '0.0.0.0', '169.254.169.254', '::1', '::', 'fe80::1', '::ffff:127.0.0.1', 'fd00:ec2::254', '224.0.0.1']) expect(isSpecialAddress(s), s).toBe(true);
    for (const s of ['10.0.0.1', '93.184.216.34', '2001:db8::1', '::ffff:8.8.8.8', '::8.8.8.8', '64:ff9b::808:808', '100.100.100.201']) expect(isSpecialAddress(s), s).toBe(false);
    // IPv4 embedded in IPv6 (compatible ::a.b.c.d, NAT64 64:ff9b::/96) and other clouds' endpoints (review finding).
    for (const s of ['::127.0.0.1', '::7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b::127.0.0.1', '100.100.100.200', '168.63.129.16', '::ffff:100.100.100.200']) expect(isSpecialAddress(s), s).toBe(true);
  });

  it('parses authorities', () => {
    expect(parseAuthority('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(parseAuthority('Example.com', 80)).toEqual({ host: 'example.com', port: 80 });
    expect(parseAuthority('example.com:0')).toBeUndefined();
    expect(parseAuthority('a@b:1')).toBeUndefined();
  });
});
