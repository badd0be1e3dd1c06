/** Shared by the egress proxy and `mxcc run` tests: real servers and raw protocol clients. */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../../compiler/index.js';
import type { PolicyIR } from '../../compiler/ir.js';

export const repo = path.resolve(import.meta.dirname, '../..');
const stdDir = path.join(repo, 'corpus', 'std');

export function irFor(text: string): PolicyIR {
  const files = new Map([['/v/p.mxc', Buffer.from(text)]]);
  const host = { readFile: (p: string) => files.get(p) ?? (p.startsWith(stdDir + '/') && existsSync(p) ? readFileSync(p) : undefined) };
  const r = compileFile('/v/p.mxc', { host, cwd: '/v', stdDir });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return r.ir;
}

/** An HTTP server on 127.0.0.1 answering every request with `name` and the Host it saw. */
export async function origin(name: string): Promise<{ server: http.Server; port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${name} host=${req.headers.host ?? ''} path=${req.url}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { server, port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function connectTo(where: string | number): net.Socket {
  return typeof where === 'string' ? net.connect({ path: where }) : net.connect({ host: '127.0.0.1', port: where });
}

/** Everything the peer sends until it closes (or 10 s pass). */
export function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

/** A raw request through the proxy; resolves with the whole response text. */
export async function rawRequest(proxy: string | number, text: string): Promise<string> {
  const s = connectTo(proxy);
  const all = readAll(s);
  s.write(text);
  return all;
}

/** CONNECT authority, then a GET through the tunnel; the whole exchange as text. */
export async function connectThenGet(proxy: string | number, authority: string, host: string): Promise<string> {
  return rawRequest(proxy, `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\nGET /tunnel HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
}

/** A SOCKS5 no-auth CONNECT, then a GET; returns the reply code and the rest. */
export async function socksGet(proxy: string | number, target: { domain?: string; ipv4?: string; ipv6?: string; port: number }, host: string): Promise<{ rep: number; body: string }> {
  const s = connectTo(proxy);
  const all = readAll(s);
  let addr: Buffer;
  if (target.domain !== undefined) addr = Buffer.concat([Buffer.from([3, target.domain.length]), Buffer.from(target.domain, 'latin1')]);
  else if (target.ipv4 !== undefined) addr = Buffer.from([1, ...target.ipv4.split('.').map(Number)]);
  else {
    const [head = '', tail = ''] = target.ipv6!.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const full = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
    addr = Buffer.alloc(17);
    addr[0] = 4;
    full.forEach((g, i) => addr.writeUInt16BE(parseInt(g || '0', 16), 1 + 2 * i));
  }
  const port = Buffer.alloc(2);
  port.writeUInt16BE(target.port);
  s.write(Buffer.from([5, 1, 0]));
  s.write(Buffer.concat([Buffer.from([5, 1, 0]), addr, port]));
  s.write(`GET /socks HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  const text = await all;
  const bytes = Buffer.from(text, 'latin1');
  return { rep: bytes[3] ?? -1, body: bytes.subarray(12).toString('latin1') };
}

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a process without blocking the event loop (the test's servers must keep answering). */
export function runAsync(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? { PATH: process.env.PATH }, cwd: opts.cwd ?? repo, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

export const mxcc = path.join(repo, 'bin', 'mxcc.js');

/** `mxcc run` from the built CLI (dist/), as a user runs it. */
export function mxccRun(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Ran> {
  return runAsync(process.execPath, [mxcc, 'run', ...args], opts);
}
