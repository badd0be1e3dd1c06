/** Literal values: numbers with units, hosts, addresses, ports. Pure functions returning errors as text. */
import type { NumberLiteral } from '../grammar/ast.js';
import type { IrHost } from './ir.js';

export const UINT64_MAX = (1n << 64n) - 1n;

/** The integer a number literal denotes (sign applied), or an error. Units are not allowed here. */
export function integerOf(n: NumberLiteral): { value: bigint } | { error: string } {
  if (n.unit !== undefined) return { error: `unexpected unit "${n.unit}" on a plain number` };
  const d = n.digits;
  let v: bigint;
  try {
    v = BigInt(d.startsWith('0b') || d.startsWith('0B') ? '0b' + d.slice(2) : d);
  } catch {
    return { error: `"${d}" is not a number` };
  }
  if (v > UINT64_MAX) return { error: `${d} does not fit in 64 bits` };
  return { value: n.negative ? -v : v };
}

const SIZE_UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };
const TIME_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

export function sizeOf(n: NumberLiteral): { value: number } | { error: string } {
  if (n.negative) return { error: 'a size cannot be negative' };
  if (n.unit === undefined) return { error: 'a size needs a unit (B, KiB, MiB, GiB, TiB)' };
  const mult = SIZE_UNITS[n.unit];
  if (mult === undefined) return { error: `"${n.unit}" is not a size unit; use B, KiB, MiB, GiB or TiB` };
  const v = Number(n.digits) * mult;
  if (!Number.isSafeInteger(v)) return { error: 'size is too large' };
  return { value: v };
}

export function durationOf(n: NumberLiteral): { value: number } | { error: string } {
  if (n.negative) return { error: 'a duration cannot be negative' };
  if (n.unit === undefined) return { error: 'a duration needs a unit (ms, s, m, h, d)' };
  const mult = TIME_UNITS[n.unit];
  if (mult === undefined) return { error: `"${n.unit}" is not a time unit; use ms, s, m, h or d` };
  const v = Number(n.digits) * mult;
  if (!Number.isFinite(v) || v > 365 * 86400) return { error: 'duration is too long (at most 365d)' };
  return { value: v };
}

export function countOf(n: NumberLiteral, max = 2 ** 31 - 1): { value: number } | { error: string } {
  const i = integerOf(n);
  if ('error' in i) return i;
  if (i.value < 0n) return { error: 'must not be negative' };
  if (i.value > BigInt(max)) return { error: `must be at most ${max}` };
  return { value: Number(i.value) };
}

// ---------------------------------------------------------------------------
// Addresses

export function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

export function parseIpv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  // An embedded dotted quad may only end the address (`::ffff:1.2.3.4`, not `1.2.3.4::`).
  const parseGroups = (part: string, endsAddress: boolean): bigint[] | undefined => {
    if (part === '') return [];
    const out: bigint[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (endsAddress && i === items.length - 1 && it.includes('.')) {
        const v4 = parseIpv4(it);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return undefined;
        out.push(BigInt(parseInt(it, 16)));
      }
    }
    return out;
  };
  let groups: bigint[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl), false);
    const tail = parseGroups(s.slice(dbl + 2), true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  } else {
    const g = parseGroups(s, true);
    if (!g || g.length !== 8) return undefined;
    groups = g;
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

export function formatIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 0xffn)).join('.');
}

/** RFC 5952 canonical text. */
export function formatIpv6(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

const LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Parse a host as written in a policy: a DNS name, `*.suffix`, an IP literal or a CIDR.
 * Names are lowercased and IDNA-normalized (Unicode labels to punycode via the URL parser).
 */
export function parseHost(text: string): { host: IrHost } | { error: string; help?: string; code: 'MXC1107' | 'MXC1108' } {
  const t = text.trim();
  if (t !== text || t.length === 0) return { code: 'MXC1107', error: `invalid host "${text}"`, help: 'write a DNS name, *.domain, an IP address or a CIDR' };
  if (t === '*') return { host: { kind: 'any' } };
  if (t.includes('/')) {
    const [addr, prefixText, ...rest] = t.split('/');
    if (rest.length > 0 || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText ?? '')) {
      return { code: 'MXC1108', error: `invalid CIDR "${text}"`, help: 'write address/prefix, e.g. "10.0.0.0/8"' };
    }
    const prefix = Number(prefixText);
    const v4 = parseIpv4(addr ?? '');
    const v6 = v4 === undefined ? parseIpv6(addr ?? '') : undefined;
    if (v4 === undefined && v6 === undefined) return { code: 'MXC1108', error: `invalid address "${addr}" in CIDR`, help: 'write an IPv4 or IPv6 address before the /' };
    const bits = v4 !== undefined ? 32 : 128;
    if (prefix > bits) return { code: 'MXC1108', error: `prefix /${prefix} is longer than ${bits} bits`, help: `IPv${bits === 32 ? 4 : 6} prefixes go from /0 to /${bits}` };
    const value = (v4 ?? v6)!;
    const hostBits = BigInt(bits - prefix);
    if ((value & ((1n << hostBits) - 1n)) !== 0n) {
      const net = (value >> hostBits) << hostBits;
      const shown = bits === 32 ? formatIpv4(net) : formatIpv6(net);
      return { code: 'MXC1108', error: `CIDR "${text}" has host bits set`, help: `did you mean "${shown}/${prefix}"?` };
    }
    return { host: { kind: 'cidr', family: bits === 32 ? 4 : 6, address: bits === 32 ? formatIpv4(value) : formatIpv6(value), prefix } };
  }
  const v4 = parseIpv4(t);
  if (v4 !== undefined) return { host: { kind: 'cidr', family: 4, address: formatIpv4(v4), prefix: 32 } };
  if (t.includes(':')) {
    const v6 = parseIpv6(t.replace(/^\[|\]$/g, ''));
    if (v6 === undefined) return { code: 'MXC1108', error: `invalid IPv6 address "${text}"` };
    return { host: { kind: 'cidr', family: 6, address: formatIpv6(v6), prefix: 128 } };
  }
  if (/^[0-9.]+$/.test(t)) return { code: 'MXC1108', error: `invalid IPv4 address "${text}"`, help: 'an IPv4 address has four numbers from 0 to 255' };
  let wildcard = false;
  let name = t;
  if (name.startsWith('*.')) {
    wildcard = true;
    name = name.slice(2);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  const ascii = toAsciiName(name);
  if (ascii === undefined || ascii.includes('*')) {
    return { code: 'MXC1107', error: `invalid host name "${text}"`, help: 'a wildcard is only allowed as the first label: "*.example.com"' };
  }
  const labels = ascii.split('.');
  if (ascii.length > 253 || labels.some((l) => !LABEL_RE.test(l))) {
    return { code: 'MXC1107', error: `invalid host name "${text}"`, help: 'labels are 1-63 letters, digits or hyphens' };
  }
  if (wildcard && labels.length < 2) {
    return { code: 'MXC1107', error: `wildcard "${text}" is too broad`, help: 'write "*.example.com", or any for every host' };
  }
  return { host: wildcard ? { kind: 'wildcard', suffix: ascii } : { kind: 'name', name: ascii } };
}

function toAsciiName(name: string): string | undefined {
  if (/^[\x21-\x7e]+$/.test(name)) return name.toLowerCase();
  try {
    const h = new URL(`http://${name}/`).hostname;
    return h.length > 0 ? h : undefined;
  } catch {
    return undefined;
  }
}
