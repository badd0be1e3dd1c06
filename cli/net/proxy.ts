/**
 * The egress proxy `mxcc run` starts for policies in the `proxy` network mode: one listener
 * (a unix socket, bridged into the sandbox's network namespace by mxc-enforce; or TCP for tests
 * and benchmarks) speaking HTTP CONNECT, plain HTTP forwarding (absolute-form request URIs) and
 * SOCKS5, told apart by the first byte. Every connection is decided by EgressPolicy (the
 * reference evaluator plus the proxy's own resolution) and logged, one line per decision.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { rmSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { EgressPolicy, EgressVerdict } from './egress.js';
import { parseIp } from '../../compiler/evaluate.js';
import { parseGreeting, parseRequest, reply, REP, METHOD_NO_AUTH, METHOD_NONE_ACCEPTABLE, SOCKS_VERSION } from './socks5.js';
import { readClientHelloSni } from './tls-sni.js';
import type { FastPath } from './connector.js';

export type ProxyProtocol = 'http-connect' | 'http' | 'socks5';

export interface ProxyOptions {
  policy: EgressPolicy;
  /** One line per decision, without the newline. */
  log?: (line: string) => void;
  /**
   * The secret (32 hex digits) mxc-enforce's bridge sends first on every connection: with one,
   * a connection that does not open with it is closed unread. The socket is a path another
   * sandbox of the same user may reach; the bridge checks that this process listens before it
   * sends the token (docs/run.md).
   */
  token?: string;
}

export interface RunningProxy {
  /** The unix socket path, or `host:port` for TCP. */
  address: string;
  /** TCP only: the port. */
  port?: number;
  /** Hand tunnels from mxc-enforce's bridge to its connector from now on (see connector.ts). */
  setFastPath(fastPath: FastPath): void;
  close(): Promise<void>;
}

/**
 * What mxc-enforce's bridge sends first on each connection: "\0", the token in 32 hex digits, " ",
 * the relay's id in 16 hex digits (all zero: no connector, no fast path), "\n".
 */
const BRIDGE_PREAMBLE = 51;
const NO_RELAY = '0'.repeat(16);

type Fast = { fastPath: FastPath; id: string };

/**
 * Stream buffering per relayed socket. Node's default (16 KiB) is below the 64 KiB one socket
 * read returns, so pipe() would pause and resume the source after every read. 256 KiB keeps bulk
 * transfers flowing and bounds memory (at most 1024 connections × 2 sockets × 256 KiB).
 */
const RELAY_HIGH_WATER_MARK = 256 * 1024;

/** Hop-by-hop headers (RFC 9110 section 7.6.1) and the proxy's own: never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** A message's end-to-end headers: without the hop-by-hop ones and those its Connection header names. */
function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase()),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * A client-supplied word (a host) as a log field: whitespace, quotes, backslashes, `=` and
 * anything outside printable ASCII are %-escaped, so a client cannot forge the fields after it.
 */
export function logWord(text: string): string {
  return text.replace(/[^\x21-\x7e]|["\\=%]/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join(''));
}

export function formatDecision(protocol: ProxyProtocol, v: EgressVerdict, now: Date = new Date()): string {
  const host = logWord(v.host);
  const target = v.host.includes(':') ? `[${host}]:${v.port}` : `${host}:${v.port}`;
  const address = v.address && v.address !== v.host ? ` address=${v.address}` : '';
  return `${now.toISOString()} ${v.allowed ? 'allow' : 'deny'} ${protocol} ${target}${address} rule=${v.rules.length ? v.rules.join(',') : '-'} reason="${v.reason.replace(/["\\\n\r]/g, ' ')}"`;
}

/** An authority `host:port` or `[v6]:port`; undefined when malformed. */
export function parseAuthority(text: string, defaultPort?: number): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/?#@[\]]+))(?::([0-9]{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const host = (m[1] ?? m[2]!).toLowerCase();
  if (m[3] === undefined) return defaultPort === undefined ? undefined : { host, port: defaultPort };
  const port = Number(m[3]);
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
}

/**
 * The client's first bytes in a tunnel to a checked name: a TLS ClientHello there must name that
 * name, or none (a forged SNI would reach another virtual host behind the same address).
 */
function checkFirstBytes(held: Buffer, host: string): 'need' | 'ok' | { refused: string } {
  const r = readClientHelloSni(held);
  if (r.kind === 'need') return 'need';
  if (r.kind === 'error') return { refused: `unreadable TLS ClientHello: ${r.message}` };
  const name = r.kind === 'hello' && r.serverName !== undefined ? r.serverName.toLowerCase().replace(/\.$/, '') : undefined;
  return name !== undefined && name !== host ? { refused: `TLS server name ${name} is not the checked name ${host}` } : 'ok';
}

export class EgressProxy {
  private readonly sockets = new Set<net.Socket>();
  /** Plain HTTP requests each client connection has that are not answered yet. */
  private readonly answering = new WeakMap<net.Socket, number>();
  /** The bridge relay each connection from mxc-enforce's bridge is (its preamble). */
  private readonly relayIds = new WeakMap<net.Socket, string>();
  private fastPath?: FastPath;
  private readonly http: http.Server;
  private server?: net.Server;

  constructor(private readonly options: ProxyOptions) {
    this.http = http.createServer({ requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => void this.forward(req, res));
    this.http.keepAliveTimeout = 60_000;
    this.http.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void this.connect(req, socket, head));
    this.http.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      this.options.log?.(`${new Date().toISOString()} deny http ${logWord(req.headers.host ?? '?')} rule=- reason="protocol upgrades are not proxied"`);
      socket.end('HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    this.http.on('clientError', (_err, socket: net.Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Listen on a unix socket path (created; removed by close) or on TCP `{ port, host }`. */
  async listen(where: { path: string } | { port: number; host: string }): Promise<RunningProxy> {
    const server = net.createServer({ allowHalfOpen: true, highWaterMark: RELAY_HIGH_WATER_MARK }, (socket) => this.accept(socket));
    server.maxConnections = 1024;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if ('path' in where) server.listen(where.path, () => resolve());
      else server.listen(where.port, where.host, () => resolve());
    });
    const close = async (): Promise<void> => {
      for (const s of this.sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if ('path' in where) rmSync(where.path, { force: true });
    };
    setImmediate(() => this.warmUp());
    const setFastPath = (fastPath: FastPath): void => {
      this.fastPath = fastPath;
    };
    if ('path' in where) return { address: where.path, close, setFastPath };
    const port = (server.address() as net.AddressInfo).port;
    return { address: `${where.host}:${port}`, port, close, setFastPath };
  }

  /**
   * While mxc-enforce starts the sandbox: run the decision code and the HTTP parser once, so the
   * command's first connection does not wait for their first-use costs. The request is refused
   * (400, not an absolute URI) before any decision, resolution or log line.
   */
  private warmUp(): void {
    this.options.policy.warmUp?.();
    const [inside, outside] = duplexPair();
    outside.on('data', () => undefined).on('error', () => undefined);
    this.http.emit('connection', inside);
    outside.end('OPTIONS * HTTP/1.1\r\nHost: warm-up.invalid\r\nConnection: close\r\n\r\n');
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  /**
   * The first byte picks the protocol: 0x05 is a SOCKS5 greeting, anything else HTTP. A 0x00 opens
   * the bridge's preamble (the token and its relay id), which precedes the client's bytes; with a
   * token it must be there.
   */
  private accept(socket: net.Socket): void {
    this.track(socket);
    void this.sniff(socket);
  }

  private async sniff(socket: net.Socket): Promise<void> {
    let first = await readSome(socket);
    if (first?.[0] === 0) {
      while (first && first.length < BRIDGE_PREAMBLE) {
        const more = await readSome(socket);
        first = more ? Buffer.concat([first, more]) : undefined;
      }
      const m = first && /^\0([0-9a-f]{32}) ([0-9a-f]{16})\n$/.exec(first.subarray(0, BRIDGE_PREAMBLE).toString('latin1'));
      if (!first || !m || (this.options.token !== undefined && !sameToken(m[1]!, this.options.token))) {
        socket.destroy();
        return;
      }
      if (m[2] !== NO_RELAY) this.relayIds.set(socket, m[2]!);
      first = first.length > BRIDGE_PREAMBLE ? first.subarray(BRIDGE_PREAMBLE) : await readSome(socket);
    } else if (first && this.options.token !== undefined) {
      socket.destroy(); // not mxc-enforce's bridge of this run
      return;
    }
    if (!first) {
      socket.destroy(); // closed before saying anything (mxc-enforce's probe)
      return;
    }
    socket.unshift(first);
    if (first[0] === SOCKS_VERSION) void this.socks(socket);
    else this.http.emit('connection', socket);
  }

  /** The fast path for a connection from the bridge, when there is one. */
  private fast(socket: net.Socket): Fast | undefined {
    const id = this.relayIds.get(socket);
    return id !== undefined && this.fastPath?.alive ? { fastPath: this.fastPath, id } : undefined;
  }

  /**
   * Connect through the connector and answer the client with `ok`: the bridge passes the client
   * exactly the proxy's bytes up to and with `ok` (the boundary), then the upstream's.
   */
  private async connectFast(fast: Fast, v: EgressVerdict, socket: net.Socket, ok: string | Buffer): Promise<boolean> {
    const boundary = socket.bytesWritten + Buffer.byteLength(ok);
    await fast.fastPath.connect(fast.id, v.address!, v.port, boundary);
    socket.write(ok);
    if (socket.bytesWritten === boundary) return true;
    socket.destroy(); // cannot happen; if it did, the bridge would misplace bytes: end the tunnel
    return false;
  }

  private decided(protocol: ProxyProtocol, v: EgressVerdict): EgressVerdict {
    this.options.log?.(formatDecision(protocol, v));
    return v;
  }

  /** Connect to the checked address only; never resolves again. */
  private dial(v: EgressVerdict): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      // highWaterMark is accepted at run time (Node ≥ 18) but missing from @types/node's NetConnectOpts.
      const options = { host: v.address!, port: v.port, allowHalfOpen: true, highWaterMark: RELAY_HIGH_WATER_MARK };
      const upstream = net.connect(options as net.NetConnectOpts);
      this.track(upstream);
      upstream.once('connect', () => {
        upstream.removeListener('error', reject);
        resolve(upstream);
      });
      upstream.once('error', reject);
    });
  }

  private async connect(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    // A CONNECT pipelined behind a request still being answered: that answer would be written
    // after the 200, into the tunnel (and past the check of the client's first bytes).
    if ((this.answering.get(socket) ?? 0) > 0) {
      this.options.log?.(`${new Date().toISOString()} deny http-connect ${logWord(req.url ?? '?')} rule=- reason="CONNECT pipelined behind a request still being answered"`);
      socket.destroy();
      return;
    }
    const target = parseAuthority(req.url ?? '');
    if (!target) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const v = this.decided('http-connect', await this.options.policy.check(target.host, target.port));
    if (!v.allowed) {
      const body = `mxcc egress proxy: ${target.host}:${target.port} refused: ${v.publicReason ?? v.reason}\n`;
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    const fast = this.fast(socket);
    let upstream: net.Socket;
    try {
      if (fast) {
        if (await this.connectFast(fast, v, socket, 'HTTP/1.1 200 Connection Established\r\n\r\n')) this.tunnelFast('http-connect', v, socket, fast, head);
        return;
      }
      upstream = await this.dial(v);
    } catch (e) {
      socket.end(`HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      this.options.log?.(`${new Date().toISOString()} error http-connect ${target.host}:${target.port} reason="${(e as Error).message}"`);
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    this.tunnel('http-connect', v, socket, upstream, head);
  }

  /**
   * Relay a tunnel. When its target was a name, the client's first bytes are held until it is
   * clear whether they open TLS: a ClientHello asking for another server name ends the tunnel
   * before anything reaches the upstream (a forged SNI would reach another virtual host on the
   * checked address). Other protocols, and TLS without a server name, pass.
   */
  private tunnel(protocol: ProxyProtocol, v: EgressVerdict, client: net.Socket, upstream: net.Socket, initial: Buffer): void {
    upstream.pipe(client); // server-first protocols need not wait
    client.once('close', () => upstream.writableEnded || upstream.destroy());
    upstream.once('close', () => client.writableEnded || client.destroy());
    if (parseIp(v.host)) {
      if (initial.length) upstream.write(initial);
      client.pipe(upstream);
      return;
    }
    let held = initial;
    const settle = (): boolean => {
      const check = checkFirstBytes(held, v.host);
      if (check === 'need') return false;
      if (check !== 'ok') {
        this.decided(protocol, { ...v, allowed: false, rules: [], reason: check.refused });
        client.destroy();
        upstream.destroy();
        return true;
      }
      if (held.length) upstream.write(held);
      client.pipe(upstream);
      return true;
    };
    if (held.length && settle()) return;
    const onData = (chunk: Buffer): void => {
      held = Buffer.concat([held, chunk]);
      if (!settle()) return;
      client.removeListener('data', onData);
      client.removeListener('end', onEnd);
    };
    const onEnd = (): void => {
      client.removeListener('data', onData);
      upstream.end(held);
    };
    client.on('data', onData);
    client.once('end', onEnd);
  }

  /**
   * A tunnel on the fast path: the same check of the client's first bytes as tunnel(), then the cut
   * (the bridge stops reading the client and half-closes); at that end of stream the proxy holds
   * every client byte the bridge passed it, and writes them after the boundary, for the upstream,
   * in order. The bridge splices the rest. A refusal closes the relay, and the upstream with it.
   */
  private tunnelFast(protocol: ProxyProtocol, v: EgressVerdict, client: net.Socket, fast: Fast, initial: Buffer): void {
    let held = initial;
    const after: Buffer[] = [];
    let state: 'checking' | 'cutting' | 'refused' = 'checking';
    let told = false;
    let ended = false;
    const finish = (): void => {
      if (told && ended) client.end(Buffer.concat([held, ...after]));
    };
    const cut = (): void => {
      state = 'cutting';
      fast.fastPath.cut(fast.id).then(
        () => {
          told = true;
          finish();
        },
        () => client.destroy(),
      );
    };
    const settle = (): void => {
      if (parseIp(v.host)) return cut();
      const check = checkFirstBytes(held, v.host);
      if (check === 'need') return;
      if (check !== 'ok') {
        this.decided(protocol, { ...v, allowed: false, rules: [], reason: check.refused });
        state = 'refused';
        client.destroy();
        return;
      }
      cut();
    };
    client.on('data', (chunk: Buffer) => {
      if (state === 'cutting') after.push(chunk);
      else if (state === 'checking') {
        held = held.length ? Buffer.concat([held, chunk]) : chunk;
        settle();
      }
    });
    client.once('end', () => {
      ended = true;
      if (state === 'checking') cut(); // as tunnel(): what the client sent before closing goes on
      finish();
    });
    if (held.length || parseIp(v.host)) settle();
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const socket = req.socket;
    this.answering.set(socket, (this.answering.get(socket) ?? 0) + 1);
    res.once('close', () => this.answering.set(socket, (this.answering.get(socket) ?? 1) - 1));
    const refuse = (status: number, text: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`mxcc egress proxy: ${text}\n`);
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      refuse(400, 'a proxied request needs an absolute URI (http://host/path)');
      return;
    }
    if (url.protocol !== 'http:' || !/^http:\/\//i.test(req.url ?? '')) {
      refuse(400, `only http:// URIs are forwarded (use CONNECT for ${url.protocol})`);
      return;
    }
    const target = parseAuthority(url.host, 80);
    const hosts = req.rawHeaders.filter((_, i) => i % 2 === 0 && req.rawHeaders[i]!.toLowerCase() === 'host');
    const hostHeader = req.headers.host;
    if (!target) {
      refuse(400, `malformed host in ${req.url}`);
      return;
    }
    // The Host header must name the same host and port as the URI: a forged Host would make the
    // upstream server (or an intermediary) route to a host the proxy never checked.
    const claimed = hostHeader === undefined ? target : parseAuthority(hostHeader, 80);
    if (hosts.length > 1 || !claimed || claimed.host !== target.host || claimed.port !== target.port) {
      this.decided('http', { allowed: false, host: target.host, port: target.port, rules: [], reason: `Host header ${JSON.stringify(hosts.length > 1 ? hosts.join(', ') : hostHeader)} does not match the request URI` });
      refuse(403, `the Host header does not match ${url.host}`);
      return;
    }
    const v = this.decided('http', await this.options.policy.check(target.host, target.port));
    if (!v.allowed) {
      refuse(403, `${target.host}:${target.port} refused: ${v.publicReason ?? v.reason}`);
      return;
    }
    const headers = endToEnd(req.headers);
    headers.host = url.host;
    // Transfer-Encoding is hop-by-hop, but the body still needs framing on this hop: Node's
    // client does not chunk a GET (or HEAD, DELETE, OPTIONS) body on its own, and unframed body
    // bytes would reach the upstream as a request of their own, with any Host.
    if (req.headers['transfer-encoding'] !== undefined) {
      delete headers['content-length'];
      headers['transfer-encoding'] = 'chunked';
    }
    // The upstream socket with the relay's stream buffering (see RELAY_HIGH_WATER_MARK): the
    // response body streams through in large chunks instead of pausing every 16 KiB.
    const createConnection = (): net.Socket => net.connect({ host: v.address!, port: v.port, highWaterMark: RELAY_HIGH_WATER_MARK } as net.NetConnectOpts);
    const upstreamReq = http.request({ host: v.address, port: v.port, method: req.method, path: url.pathname + url.search, headers, setHost: false, agent: false, createConnection });
    upstreamReq.on('error', (e) => {
      if (!res.headersSent) refuse(502, `${target.host}:${target.port}: ${e.message}`);
      else res.destroy();
    });
    upstreamReq.on('response', (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, endToEnd(up.headers));
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    res.on('close', () => upstreamReq.destroy());
    req.pipe(upstreamReq);
  }

  private async socks(socket: net.Socket): Promise<void> {
    let buf = Buffer.alloc(0);
    const next = async <T>(parse: (b: Buffer) => ReturnType<typeof parseGreeting> | ReturnType<typeof parseRequest>): Promise<T | undefined> => {
      for (;;) {
        const r = parse(buf);
        if ('value' in r) {
          buf = buf.subarray(r.length);
          return r.value as T;
        }
        if ('error' in r) {
          if (r.reply !== undefined) socket.end(reply(r.reply));
          else socket.destroy();
          return undefined;
        }
        // A greeting or request is at most 262 bytes: more without one complete is not SOCKS. (What
        // follows a complete one, e.g. a client's first bytes sent without waiting, stays in buf.)
        const chunk = buf.length > 1024 ? undefined : await readSome(socket);
        if (!chunk) {
          socket.destroy();
          return undefined;
        }
        buf = Buffer.concat([buf, chunk]);
      }
    };
    const greeting = await next<{ noAuth: boolean }>(parseGreeting);
    if (!greeting) return;
    if (!greeting.noAuth) {
      socket.end(Buffer.from([SOCKS_VERSION, METHOD_NONE_ACCEPTABLE]));
      return;
    }
    socket.write(Buffer.from([SOCKS_VERSION, METHOD_NO_AUTH]));
    const request = await next<{ host: string; port: number }>(parseRequest);
    if (!request) return;
    const v = this.decided('socks5', await this.options.policy.check(request.host, request.port));
    if (!v.allowed) {
      socket.end(reply(REP.notAllowed));
      return;
    }
    const fast = this.fast(socket);
    let upstream: net.Socket;
    try {
      if (fast) {
        if (await this.connectFast(fast, v, socket, reply(REP.succeeded))) this.tunnelFast('socks5', v, socket, fast, buf);
        return;
      }
      upstream = await this.dial(v);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      socket.end(reply(code === 'ECONNREFUSED' ? REP.connectionRefused : code === 'ENETUNREACH' ? REP.networkUnreachable : code === 'EHOSTUNREACH' ? REP.hostUnreachable : REP.generalFailure));
      return;
    }
    socket.write(reply(REP.succeeded));
    this.tunnel('socks5', v, socket, upstream, buf);
  }
}

/** Two connected in-memory duplex streams (what one writes, the other reads). */
function duplexPair(): [Duplex, Duplex] {
  const make = (): Duplex & { peer?: Duplex } =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        (this as Duplex & { peer?: Duplex }).peer!.push(chunk);
        done();
      },
      final(done) {
        (this as Duplex & { peer?: Duplex }).peer!.push(null);
        done();
      },
    });
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Read whatever arrives next (undefined at end of stream). */
function readSome(socket: net.Socket): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunk = socket.read() as Buffer | null;
    if (chunk) return resolve(chunk);
    const done = (): void => {
      socket.removeListener('readable', onReadable);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
    };
    const onReadable = (): void => {
      const c = socket.read() as Buffer | null;
      if (c) {
        done();
        resolve(c);
      }
    };
    const onEnd = (): void => {
      done();
      resolve(undefined);
    };
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}

/** Token comparison in constant time. */
function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startEgressProxy(options: ProxyOptions, where: { path: string } | { port: number; host: string }): Promise<RunningProxy> {
  return new EgressProxy(options).listen(where);
}
