/**
 * The proxy's side of mxc-enforce's tunnel fast path (`--proxy-control`, see the bridge section of
 * enforcer/mxc-enforce.c): a line channel to the connector, a small process mxc-enforce leaves in
 * the host network namespace. The proxy decides and checks as always; the connector only connects
 * to the address the proxy names and hands the socket to the bridge, which then splices the
 * tunnel's bytes without the proxy. Every request names the bridge relay by the id the bridge sent
 * first on that relay's unix socket.
 *
 *   proxy → connector   C <id> <port> <boundary> <address>   connect; the bridge passes the proxy's
 *                                                            first <boundary> bytes to the client, the rest to the upstream
 *   connector → proxy   O <id>  |  E <id> <errno>
 *   proxy → connector   U <id>                               the bridge stops reading the client and half-closes
 *   connector → proxy   A <id>                               (the bridge has been told)
 */
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';

export interface FastPath {
  /** False once the channel is gone: the proxy then relays by itself. */
  readonly alive: boolean;
  /** Connect to a checked address for the bridge relay `id`. Rejects with an errno-coded error. */
  connect(id: string, address: string, port: number, boundary: number): Promise<void>;
  /** Tell the bridge that the proxy holds every client byte it will get (resolves once it has been told). */
  cut(id: string): Promise<void>;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export class ConnectorChannel implements FastPath {
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private buffered = '';
  alive = true;

  constructor(private readonly stream: Duplex) {
    stream.setEncoding('latin1');
    stream.on('data', (text: string) => this.receive(text));
    stream.on('error', () => this.close());
    stream.on('close', () => this.close());
    stream.on('end', () => this.close());
  }

  private receive(text: string): void {
    this.buffered += text;
    for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const m = /^([OEA]) ([0-9a-f]{16})(?: (\d+))?$/.exec(line);
      if (!m) {
        this.close(); // not our connector: trust none of it
        return;
      }
      const key = (m[1] === 'A' ? 'U' : 'C') + m[2];
      const w = this.waiting.get(key);
      if (!w) continue;
      this.waiting.delete(key);
      if (m[1] === 'E') {
        const code = ERRNO_NAMES.get(Number(m[3])) ?? `errno ${m[3]}`;
        w.reject(Object.assign(new Error(`connect: ${code}`), { code }));
      } else w.resolve();
    }
  }

  private close(): void {
    if (!this.alive) return;
    this.alive = false;
    for (const w of this.waiting.values()) w.reject(new Error('the connector is gone'));
    this.waiting.clear();
    this.stream.destroy();
  }

  private request(key: string, line: string): Promise<void> {
    if (!this.alive) return Promise.reject(new Error('the connector is gone'));
    if (this.waiting.has(key)) return Promise.reject(new Error('a request for this relay is pending'));
    return new Promise((resolve, reject) => {
      this.waiting.set(key, { resolve, reject });
      this.stream.write(line);
    });
  }

  connect(id: string, address: string, port: number, boundary: number): Promise<void> {
    return this.request('C' + id, `C ${id} ${port} ${boundary} ${address}\n`);
  }

  cut(id: string): Promise<void> {
    return this.request('U' + id, `U ${id}\n`);
  }
}
