/**
 * The egress proxy's verdict on one outgoing TCP connection: the policy's host:port allowlist,
 * decided by the reference evaluator (`decide`), plus name resolution done here, once, so the
 * address that is checked is the address that is connected to.
 *
 * - A name target must be allowed by name (`connect tcp NAME:PORT`); then every resolved address
 *   is checked too: an address the policy denies is dropped, and so is a special address
 *   (unspecified, loopback, link-local, multicast, broadcast, and the addresses of the proxy's
 *   host's own interfaces) unless an allow rule names it: by address, or by a network of the
 *   address's own family at least as narrow as the special block (an `any`-host rule does not
 *   count, nor does `::/0` or `0.0.0.0/0`): DNS rebinding cannot reach the proxy's host or the
 *   cloud metadata service. No usable address → refused.
 * - An address target is checked as an address, under the same special-address rule: allowing a
 *   name never lets its raw address through.
 * - The command is told why in general terms only (`publicReason`): the addresses a name resolved
 *   to stay in the log, or the proxy would resolve for the command names the policy may not
 *   let it resolve.
 */
import * as dns from 'node:dns';
import { networkInterfaces } from 'node:os';
import { decide, parseIp, type Decision } from '../../compiler/evaluate.js';
import type { PolicyIR } from '../../compiler/ir.js';

export type Resolver = (name: string) => Promise<string[]>;

export interface EgressVerdict {
  allowed: boolean;
  host: string;
  port: number;
  /** The address to connect to (allowed only). */
  address?: string;
  /** The rule ids that decided (see `Decision.deciding`); empty when no allow matched. */
  rules: string[];
  /** Why, in a few words, for the log. */
  reason: string;
  /** Why, for the command (refusals): the reason without what resolving found. */
  publicReason?: string;
}

/** Addresses whose reach through the proxy needs an explicit address or network rule. */
const SPECIAL_V4: [bigint, number][] = [
  [0x00000000n, 8], // 0.0.0.0/8 "this network"
  [0x7f000000n, 8], // 127.0.0.0/8 loopback
  [0xa9fe0000n, 16], // 169.254.0.0/16 link-local (cloud metadata)
  [0x646464c8n, 32], // 100.100.100.200, Alibaba Cloud's metadata service
  [0xa83f8110n, 32], // 168.63.129.16, Azure's host endpoint (WireServer)
  [0xe0000000n, 4], // 224.0.0.0/4 multicast
  [0xffffffffn, 32], // limited broadcast
];
const SPECIAL_V6: [bigint, number][] = [
  [0n, 128], // ::
  [1n, 128], // ::1
  [0xfe80n << 112n, 10], // fe80::/10 link-local
  [0xffn << 120n, 8], // ff00::/8 multicast
  [(0xfd00n << 112n) | (0x0ec2n << 96n) | 0x254n, 128], // fd00:ec2::254, EC2's IPv6 metadata service
];

function inPrefix(value: bigint, net: bigint, prefix: number, bits: number): boolean {
  const shift = BigInt(bits - prefix);
  return value >> shift === net >> shift;
}

/**
 * The IPv4 address inside an IPv6 one: mapped (::ffff:0:0/96), compatible (::/96, but :: and
 * ::1) and NAT64's well-known prefix (64:ff9b::/96, which a NAT64 gateway sends on as the IPv4
 * address). Reaching one of these reaches the IPv4 address.
 */
type Ip = NonNullable<ReturnType<typeof parseIp>>;

function embeddedV4(ip: Ip): Ip | undefined {
  if (ip.family !== 6) return undefined;
  const high = ip.value >> 32n;
  return high === 0xffffn || (high === 0n && ip.value > 1n) || high === 0x64ff9bn << 64n ? { family: 4, value: ip.value & 0xffffffffn } : undefined;
}

/** An address as a key of a set (the host's own addresses). */
const ipKey = (ip: Ip): string => `${ip.family}:${ip.value}`;

/** The special block an address is in (its family: 4 for an IPv4 address inside IPv6), if any. */
function specialBlock(ip: Ip, own: ReadonlySet<string> = new Set()): { family: 4 | 6; prefix: number } | undefined {
  const v4 = embeddedV4(ip);
  if (v4 !== undefined) return specialBlock(v4, own);
  const bits = ip.family === 4 ? 32 : 128;
  for (const [net, prefix] of ip.family === 4 ? SPECIAL_V4 : SPECIAL_V6) if (inPrefix(ip.value, net, prefix, bits)) return { family: ip.family, prefix };
  return own.has(ipKey(ip)) ? { family: ip.family, prefix: bits } : undefined;
}

/** Is this address one that DNS rebinding or a raw literal must not reach by default? */
export function isSpecialAddress(address: string): boolean {
  const ip = parseIp(address);
  return ip !== undefined && specialBlock(ip) !== undefined;
}

/** The addresses of this host's network interfaces (special: the proxy's host), when known. */
function hostAddresses(): string[] {
  try {
    return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address.replace(/%.*$/, '')));
  } catch {
    return [];
  }
}

function v4Text(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

/**
 * The IR whose allow rules keep only the targets that name an address of a special block of
 * this family and prefix: an address, or a network of the same family at least as narrow as
 * the block (`127.0.0.0/8` names loopback; `0.0.0.0/0`, `::/0` and `any` do not).
 */
function explicitAllows(ir: PolicyIR, block: { family: 4 | 6; prefix: number }): PolicyIR {
  // A network written in the IPv4-mapped form (::ffff:a.b.c.d/N, N >= 96) is the IPv4 network /N-96.
  const familyAndPrefix = (h: { family: 4 | 6; address: string; prefix: number }): [4 | 6, number] => {
    const ip = parseIp(h.address);
    return h.family === 6 && h.prefix >= 96 && ip !== undefined && ip.value >> 32n === 0xffffn ? [4, h.prefix - 96] : [h.family, h.prefix];
  };
  const names = (t: PolicyIR['net']['rules'][number]['targets'][number]): boolean => {
    if (t.host.kind !== 'cidr') return false;
    const [family, prefix] = familyAndPrefix(t.host);
    return family === block.family && prefix >= block.prefix;
  };
  return {
    ...ir,
    net: { rules: ir.net.rules.map((r) => (r.effect === 'allow' ? { ...r, targets: r.targets.filter(names) } : r)) },
  };
}

/** What the command is told when a name it may connect to yields no address it may reach. */
const NO_ADDRESS = 'no address of this name is allowed, or it does not resolve';

const connectRequest = (host: string, port: number) => ({ kind: 'net' as const, operation: 'connect' as const, protocol: 'tcp' as const, host, port });

function refusal(d: Decision): string {
  return d.reason === 'denied-by-rule' ? 'denied by rule' : 'no allow rule matches';
}

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), every address. */
export const systemResolver: Resolver = async (name) => (await dns.promises.lookup(name, { all: true, verbatim: true })).map((a) => a.address);

/**
 * A resolver that answers from a fixed map (tests, `--resolve NAME=IP`) and falls back to
 * `fallback` for other names (undefined: such names do not resolve).
 */
export function mapResolver(map: ReadonlyMap<string, string[]>, fallback?: Resolver): Resolver {
  return async (name) => {
    const hit = map.get(name.toLowerCase().replace(/\.$/, ''));
    if (hit) return [...hit];
    if (fallback) return fallback(name);
    throw new Error(`${name} does not resolve (not in the resolve map)`);
  };
}

export class EgressPolicy {
  /** explicitAllows per special block (decide compiles an IR once, on first use). */
  private readonly explicit = new Map<string, PolicyIR>();
  /** The proxy's host's own addresses (ipKey), parsed once. */
  private readonly own: ReadonlySet<string>;

  constructor(
    private readonly ir: PolicyIR,
    private readonly resolve: Resolver = systemResolver,
    /** The proxy's host's own addresses (special, as loopback is); default: its interfaces'. */
    ownAddresses: readonly string[] = hostAddresses(),
  ) {
    this.own = new Set(ownAddresses.flatMap((a) => {
      const ip = parseIp(a);
      return ip ? [ipKey(ip)] : [];
    }));
  }

  /**
   * Check one address for `port`. A literal target must be allowed by the policy; an address a
   * checked name resolved to only must not be denied. Either way a special address must be named
   * by an allow rule's address or network.
   */
  private checkAddress(address: string, port: number, literal: boolean): { ok: boolean; rules: string[]; reason: string } {
    const d = decide(this.ir, connectRequest(address, port));
    if (d.reason === 'denied-by-rule' || (literal && !d.allowed)) return { ok: false, rules: d.deciding, reason: `${address}:${port} ${refusal(d)}` };
    // The IPv4 address an IPv6 form reaches (NAT64, compatible) is refused where the policy denies it.
    const ip = parseIp(address);
    if (!ip) return { ok: false, rules: [], reason: `${address} is not an address` };
    const v4 = embeddedV4(ip);
    if (v4 !== undefined) {
      const text = v4Text(v4.value);
      const d4 = decide(this.ir, connectRequest(text, port));
      if (d4.reason === 'denied-by-rule') return { ok: false, rules: d4.deciding, reason: `${address}:${port} (${text}) ${refusal(d4)}` };
    }
    const block = specialBlock(ip, this.own);
    if (block) {
      const key = `${block.family}/${block.prefix}`;
      let explicit = this.explicit.get(key);
      if (!explicit) this.explicit.set(key, (explicit = explicitAllows(this.ir, block)));
      const e = decide(explicit, connectRequest(address, port));
      if (!e.allowed) return { ok: false, rules: [], reason: `${address} is a loopback, link-local, this host's own or other special address that no rule names` };
      return { ok: true, rules: e.deciding, reason: 'allowed by rule' };
    }
    return { ok: true, rules: d.deciding, reason: 'allowed by rule' };
  }

  /**
   * Run the decision code once on a request nothing matches, without resolving: the first real
   * decision then does not pay for compiling it (about 1.5 ms, on every tunnel's set-up path).
   */
  warmUp(): void {
    try {
      decide(this.ir, connectRequest('warm-up.invalid', 1));
      this.checkAddress('192.0.2.1', 1, true);
    } catch {
      /* the real decision reports it */
    }
  }

  /** Decide a connection to host:port, resolving names here. Never throws. */
  async check(hostText: string, port: number): Promise<EgressVerdict> {
    let host = hostText.trim().toLowerCase();
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    if (host.endsWith('.') && host.length > 1) host = host.slice(0, -1);
    const base = { host, port };
    // What is decided must be what is resolved: one trailing dot is the root, more (or an
    // empty label) would be decided as one string and resolved as another.
    if (host === '' || host.endsWith('.') || host.startsWith('.') || host.includes('..')) return { ...base, allowed: false, rules: [], reason: 'malformed host name' };
    if (!Number.isInteger(port) || port < 1 || port > 65535) return { ...base, allowed: false, rules: [], reason: `port ${port} is out of range` };
    let byName: Decision;
    try {
      byName = decide(this.ir, connectRequest(host, port));
    } catch (e) {
      return { ...base, allowed: false, rules: [], reason: (e as Error).message };
    }
    if (parseIp(host)) {
      const a = this.checkAddress(host, port, true);
      return a.ok ? { ...base, allowed: true, address: host, rules: a.rules, reason: a.reason } : { ...base, allowed: false, rules: a.rules, reason: a.reason };
    }
    if (!byName.allowed) return { ...base, allowed: false, rules: byName.deciding, reason: refusal(byName) };
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch (e) {
      return { ...base, allowed: false, rules: byName.deciding, reason: `resolving failed: ${(e as Error).message}`, publicReason: NO_ADDRESS };
    }
    const refused: string[] = [];
    let deniedRules: string[] = [];
    for (const address of addresses) {
      if (!parseIp(address)) {
        refused.push(`${address} is not an address`);
        continue;
      }
      const a = this.checkAddress(address, port, false);
      if (a.ok) return { ...base, allowed: true, address, rules: byName.deciding, reason: 'allowed by rule' };
      refused.push(a.reason);
      if (a.rules.length) deniedRules = a.rules;
    }
    return { ...base, allowed: false, rules: deniedRules, reason: addresses.length ? `resolves only to refused addresses: ${refused.join('; ')}` : 'resolves to no address', publicReason: NO_ADDRESS };
  }
}

/** The allowlist in words, for `mxcc run --dry-run`: one line per net rule. */
export function describeAllowlist(ir: PolicyIR): string[] {
  const host = (t: PolicyIR['net']['rules'][number]['targets'][number]): string => {
    const h = t.host.kind === 'any' ? 'any' : t.host.kind === 'name' ? t.host.name : t.host.kind === 'wildcard' ? `*.${t.host.suffix}` : `${t.host.address}/${t.host.prefix}`;
    const ports = t.ports.length === 0 || (t.ports.length === 1 && t.ports[0]!.from === 0 && t.ports[0]!.to === 65535) ? '' : ':' + t.ports.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`)).join(',');
    return h + ports;
  };
  return ir.net.rules.map((r) => {
    const what = r.operation === 'resolve' ? 'resolve' : `${r.operation} ${r.protocols.join('/')}`;
    const except = r.except.length ? ` except ${r.except.map(host).join(', ')}` : '';
    return `${r.effect} ${what} ${r.targets.map(host).join(', ')}${except} (rule ${r.id})`;
  });
}
