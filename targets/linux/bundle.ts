/**
 * The Linux bundle: one binary file that mxc-enforce loads strictly. Layout (little-endian):
 *
 *   header   magic "MXCB", u32 version (3), u32 section count, u32 reserved (0)
 *   section  u32 type, u32 payload length, payload, zero padding to a multiple of 8
 *   digest   the last section: the SHA-256 of every byte before it (a corrupt bundle is refused)
 *
 * Strings are u32 length + UTF-8 bytes (no NUL, at most MAX_STRING bytes). Every count and
 * length is bounded (see the limits below); unknown section types, versions or trailing bytes
 * make the loader refuse the bundle. docs/linux-target.md describes each section.
 */
import { createHash } from 'node:crypto';
import type { Arch } from '../../compiler/ir.js';
import { AUDIT_ARCH } from './seccomp/compile.js';
import { decodeProgram, encodeProgram, type Insn } from './seccomp/bpf.js';

export const BUNDLE_MAGIC = 'MXCB';
export const BUNDLE_VERSION = 3;
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;
export const MAX_SECTIONS = 64;
export const MAX_STRING = 4096;
export const MAX_LIST = 65536;

export const SECTION = {
  policy: 1,
  seccomp: 2,
  landlockFs: 3,
  masks: 4,
  net: 5,
  scopes: 6,
  rlimits: 7,
  env: 8,
  params: 9,
  process: 10,
  /** The last section: SHA-256 of every byte before it. */
  digest: 11,
} as const;

export const GRANT_MODE = { beneath: 1, exact: 2, expand: 3 } as const;
export const NET_MODE = { none: 0, ports: 1, proxy: 2 } as const;
/** How the command is isolated: `session` and `container` both get PID, mount and user namespaces with a fresh /proc. */
export const ISOLATION = { process: 0, session: 1, container: 2 } as const;
export const PARAM_TYPE = { path: 1, string: 2, int: 3, bool: 4, host: 5, port: 6 } as const;
export const CONSTRAINT = { under: 1, not_under: 2, one_of: 3, min: 4, max: 5 } as const;
/** RLIMIT_* numbers from asm-generic/resource.h (the same on x86_64 and aarch64). */
export const RLIMIT = { cpu: 0, fsize: 1, stack: 3, nproc: 6, nofile: 7, as: 9 } as const;
/**
 * The values a bundle may set, per resource: a limit of 0 (or below a page for byte counts)
 * makes any command fail in confusing ways, and values past these bounds are not limits at all
 * (PID_MAX_LIMIT is 2^22, fs.nr_open at most 2^30, RLIM_INFINITY is 2^64-1).
 */
export const RLIMIT_RANGE: Record<number, readonly [bigint, bigint]> = {
  [RLIMIT.cpu]: [1n, 1n << 32n],
  [RLIMIT.fsize]: [4096n, 1n << 62n],
  [RLIMIT.stack]: [4096n, 1n << 62n],
  [RLIMIT.nproc]: [1n, 1n << 22n],
  [RLIMIT.nofile]: [1n, 1n << 30n],
  [RLIMIT.as]: [4096n, 1n << 62n],
};

/** Why a list of rlimits cannot be in a bundle, or undefined: known resources, ascending, each once, values in range. */
export function rlimitProblem(rlimits: readonly { resource: number; value: bigint }[]): string | undefined {
  let last = -1;
  for (const r of rlimits) {
    const range = RLIMIT_RANGE[r.resource];
    if (range === undefined) return `unknown rlimit resource ${r.resource}`;
    if (r.resource <= last) return 'rlimits are not in ascending order of resource, or one repeats';
    if (r.value < range[0] || r.value > range[1]) return `rlimit ${r.resource} value ${r.value} is outside ${range[0]}..${range[1]}`;
    last = r.resource;
  }
  return undefined;
}

export interface BundleGrant {
  mode: keyof typeof GRANT_MODE;
  rights: bigint;
  pattern: string;
  carve: string[];
  exclude: string[];
}

export interface BundleParam {
  name: string;
  type: keyof typeof PARAM_TYPE;
  default?: string;
  constraints: { kind: keyof typeof CONSTRAINT; values: string[] }[];
}

export interface Bundle {
  policy: { name: string; irSha256: string };
  seccomp: { arch: Arch; program: Insn[] }[];
  landlock: { minAbi: number; bestEffortAbis: number[]; handledFs: bigint; grants: BundleGrant[] };
  /** Patterns whose matches at launch are masked, with the Landlock rights they deny. */
  masks: { pattern: string; rights: bigint }[];
  net: { mode: keyof typeof NET_MODE; handled: bigint; ports: { port: number; rights: bigint }[] };
  scopes: bigint;
  rlimits: { resource: number; value: bigint }[];
  env: string[];
  params: BundleParam[];
  process: { capabilities: bigint; cpus: number; isolation: keyof typeof ISOLATION; wallMillis: bigint };
}

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  bytes(b: Uint8Array): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }
  u8(v: number): this {
    return this.bytes(Uint8Array.of(v & 0xff));
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    return this.bytes(b);
  }
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return this.bytes(b);
  }
  u64(v: bigint): this {
    if (v < 0n || v >= 1n << 64n) throw new RangeError(`u64 out of range: ${v}`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    return this.bytes(b);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length > MAX_STRING || b.includes(0)) throw new RangeError(`string not encodable in a bundle: ${JSON.stringify(s.slice(0, 40))}`);
    return this.u32(b.length).bytes(b);
  }
  strs(list: readonly string[]): this {
    this.u32(list.length);
    for (const s of list) this.str(s);
    return this;
  }
  done(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** Encodes what it is given (tests build refused bundles with it); buildLinuxBundle checks the content. */
export function encodeBundle(b: Bundle): Uint8Array {
  const sections: [number, Uint8Array][] = [];
  sections.push([SECTION.policy, new Writer().str(b.policy.name).str(b.policy.irSha256).done()]);
  for (const s of b.seccomp) {
    const w = new Writer().u32(AUDIT_ARCH[s.arch]).u32(s.program.length).bytes(encodeProgram(s.program));
    sections.push([SECTION.seccomp, w.done()]);
  }
  const lf = new Writer().u32(b.landlock.minAbi).u32(b.landlock.bestEffortAbis.reduce((m, a) => m | (1 << a), 0)).u64(b.landlock.handledFs).u32(b.landlock.grants.length);
  for (const g of b.landlock.grants) lf.u8(GRANT_MODE[g.mode]).u8(0).u16(0).u64(g.rights).str(g.pattern).strs(g.carve).strs(g.exclude);
  sections.push([SECTION.landlockFs, lf.done()]);
  const mw = new Writer().u32(b.masks.length);
  for (const m of b.masks) mw.u64(m.rights).str(m.pattern);
  sections.push([SECTION.masks, mw.done()]);
  const nw = new Writer().u32(NET_MODE[b.net.mode]).u64(b.net.handled).u32(b.net.ports.length);
  for (const p of b.net.ports) nw.u16(p.port).u16(0).u32(0).u64(p.rights);
  sections.push([SECTION.net, nw.done()]);
  sections.push([SECTION.scopes, new Writer().u64(b.scopes).done()]);
  const rw = new Writer().u32(b.rlimits.length);
  for (const r of b.rlimits) rw.u32(r.resource).u32(0).u64(r.value);
  sections.push([SECTION.rlimits, rw.done()]);
  sections.push([SECTION.env, new Writer().strs(b.env).done()]);
  const pw = new Writer().u32(b.params.length);
  for (const p of b.params) {
    pw.str(p.name).u8(PARAM_TYPE[p.type]).u8(p.default !== undefined ? 1 : 0).u16(0).str(p.default ?? '').u32(p.constraints.length);
    for (const c of p.constraints) pw.u8(CONSTRAINT[c.kind]).u8(0).u16(0).strs(c.values);
  }
  sections.push([SECTION.params, pw.done()]);
  sections.push([SECTION.process, new Writer().u64(b.process.capabilities).u32(b.process.cpus).u32(ISOLATION[b.process.isolation]).u64(b.process.wallMillis).done()]);

  const out = new Writer().bytes(Buffer.from(BUNDLE_MAGIC, 'ascii')).u32(BUNDLE_VERSION).u32(sections.length + 1).u32(0);
  for (const [type, payload] of sections) {
    out.u32(type).u32(payload.length).bytes(payload);
    const pad = (8 - (payload.length % 8)) % 8;
    if (pad) out.bytes(new Uint8Array(pad));
  }
  const body = out.done();
  const bytes = new Writer().bytes(body).u32(SECTION.digest).u32(32).bytes(createHash('sha256').update(body).digest()).done();
  if (bytes.length > MAX_BUNDLE_BYTES) throw new RangeError(`bundle is ${bytes.length} bytes; the limit is ${MAX_BUNDLE_BYTES}`);
  return bytes;
}

export class BundleError extends Error {}

class Reader {
  private o = 0;
  constructor(private readonly b: Uint8Array, private readonly what: string) {}
  private view(n: number): DataView {
    if (n < 0 || this.o + n > this.b.length) throw new BundleError(`${this.what}: truncated at byte ${this.o}`);
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.o, n);
    this.o += n;
    return v;
  }
  u8(): number {
    return this.view(1).getUint8(0);
  }
  u16(): number {
    return this.view(2).getUint16(0, true);
  }
  u32(): number {
    return this.view(4).getUint32(0, true);
  }
  u64(): bigint {
    return this.view(8).getBigUint64(0, true);
  }
  raw(n: number): Uint8Array {
    const v = this.view(n);
    return new Uint8Array(v.buffer, v.byteOffset, n);
  }
  count(limit = MAX_LIST): number {
    const n = this.u32();
    if (n > limit) throw new BundleError(`${this.what}: count ${n} exceeds ${limit}`);
    return n;
  }
  str(): string {
    const n = this.u32();
    if (n > MAX_STRING) throw new BundleError(`${this.what}: string of ${n} bytes exceeds ${MAX_STRING}`);
    const bytes = this.raw(n);
    if (bytes.includes(0)) throw new BundleError(`${this.what}: NUL in string`);
    try {
      // ignoreBOM: a leading U+FEFF is kept as a character, as the C loader keeps its bytes.
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new BundleError(`${this.what}: string is not UTF-8`);
    }
  }
  strs(): string[] {
    const n = this.count();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.str());
    return out;
  }
  end(): void {
    if (this.o !== this.b.length) throw new BundleError(`${this.what}: ${this.b.length - this.o} unexpected trailing bytes`);
  }
}

const keyOf = <T extends Record<string, number>>(table: T, v: number, what: string): keyof T => {
  const k = (Object.keys(table) as (keyof T)[]).find((x) => table[x] === v);
  if (k === undefined) throw new BundleError(`${what}: unknown value ${v}`);
  return k;
};

/** The reference decoder (the enforcer's C loader implements the same checks). */
/** What a bundle's digest section holds: the SHA-256 of every byte before that (last, 40-byte) section. */
export function bundleDigest(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes.subarray(0, bytes.length - 40)).digest();
}

export function decodeBundle(bytes: Uint8Array): Bundle {
  if (bytes.length > MAX_BUNDLE_BYTES) throw new BundleError(`bundle is larger than ${MAX_BUNDLE_BYTES} bytes`);
  const r = new Reader(bytes, 'header');
  if (Buffer.from(r.raw(4)).toString('latin1') !== BUNDLE_MAGIC) throw new BundleError('not an mxcc bundle (bad magic)');
  const version = r.u32();
  if (version !== BUNDLE_VERSION) throw new BundleError(`unsupported bundle version ${version}`);
  const n = r.count(MAX_SECTIONS);
  if (r.u32() !== 0) throw new BundleError('header: reserved field is not zero');
  // The last section is the SHA-256 of every byte before it: nothing of a corrupt bundle is read.
  if (bytes.length < 16 + 40) throw new BundleError('truncated: no digest section');
  const tail = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 40, 8);
  if (tail.getUint32(0, true) !== SECTION.digest || tail.getUint32(4, true) !== 32) throw new BundleError('the last section is not the digest');
  if (!bundleDigest(bytes).equals(bytes.subarray(bytes.length - 32))) throw new BundleError("the bundle's digest does not match its content (corrupt or modified)");
  const seen = new Set<number>();
  const b: Partial<Bundle> & { seccomp: Bundle['seccomp'] } = { seccomp: [] };
  for (let i = 0; i < n; i++) {
    const type = r.u32();
    const len = r.u32();
    if (len > MAX_BUNDLE_BYTES) throw new BundleError(`section ${i}: length ${len} too large`);
    const payload = r.raw(len);
    const pad = r.raw((8 - (len % 8)) % 8);
    if (pad.some((x) => x !== 0)) throw new BundleError(`section ${i}: non-zero padding`);
    if (type !== SECTION.seccomp && seen.has(type)) throw new BundleError(`section type ${type} appears twice`);
    seen.add(type);
    const s = new Reader(payload, `section ${i} (type ${type})`);
    if (type === SECTION.digest) {
      if (i !== n - 1) throw new BundleError(`section ${i}: the digest is not the last section`);
      s.raw(32);
      s.end();
      continue;
    }
    switch (type) {
      case SECTION.policy:
        b.policy = { name: s.str(), irSha256: s.str() };
        break;
      case SECTION.seccomp: {
        const audit = s.u32();
        const arch = (Object.keys(AUDIT_ARCH) as Arch[]).find((a) => AUDIT_ARCH[a] === audit);
        if (!arch) throw new BundleError(`seccomp section for unknown architecture 0x${audit.toString(16)}`);
        if (b.seccomp.some((x) => x.arch === arch)) throw new BundleError(`two seccomp programs for ${arch}`);
        const count = s.count(4096);
        if (count === 0) throw new BundleError('empty seccomp program');
        b.seccomp.push({ arch, program: decodeProgram(s.raw(count * 8)) });
        break;
      }
      case SECTION.landlockFs: {
        const minAbi = s.u32();
        const mask = s.u32();
        const handledFs = s.u64();
        const grants: BundleGrant[] = [];
        const count = s.count();
        for (let g = 0; g < count; g++) {
          const mode = keyOf(GRANT_MODE, s.u8(), 'grant mode');
          if (s.u8() !== 0 || s.u16() !== 0) throw new BundleError('grant: reserved bytes are not zero');
          const grant: BundleGrant = { mode, rights: s.u64(), pattern: s.str(), carve: s.strs(), exclude: s.strs() };
          if (mode === 'beneath' && grant.exclude.length) throw new BundleError('grant: a beneath grant cannot have excludes');
          grants.push(grant);
        }
        const bestEffortAbis = [...Array(32).keys()].filter((a) => mask & (1 << a));
        b.landlock = { minAbi, bestEffortAbis, handledFs, grants };
        break;
      }
      case SECTION.masks: {
        const count = s.count();
        b.masks = [];
        for (let k = 0; k < count; k++) {
          const rights = s.u64();
          if (rights === 0n) throw new BundleError('mask: no rights');
          b.masks.push({ rights, pattern: s.str() });
        }
        break;
      }
      case SECTION.net: {
        const mode = keyOf(NET_MODE, s.u32(), 'net mode');
        const handled = s.u64();
        const ports: { port: number; rights: bigint }[] = [];
        const count = s.count();
        for (let p = 0; p < count; p++) {
          const port = s.u16();
          if (s.u16() !== 0 || s.u32() !== 0) throw new BundleError('port rule: reserved bytes are not zero');
          ports.push({ port, rights: s.u64() });
        }
        b.net = { mode, handled, ports };
        break;
      }
      case SECTION.scopes:
        b.scopes = s.u64();
        break;
      case SECTION.rlimits: {
        const count = s.count(16);
        b.rlimits = [];
        for (let k = 0; k < count; k++) {
          const resource = s.u32();
          if (s.u32() !== 0) throw new BundleError('rlimit: reserved field is not zero');
          b.rlimits.push({ resource, value: s.u64() });
        }
        const problem = rlimitProblem(b.rlimits);
        if (problem) throw new BundleError(problem);
        break;
      }
      case SECTION.env:
        b.env = s.strs();
        break;
      case SECTION.params: {
        const count = s.count(256);
        b.params = [];
        for (let k = 0; k < count; k++) {
          const name = s.str();
          const type = keyOf(PARAM_TYPE, s.u8(), 'param type');
          const hasDefault = s.u8();
          if (s.u16() !== 0 || hasDefault > 1) throw new BundleError('param: bad flags');
          const def = s.str();
          const constraints: BundleParam['constraints'] = [];
          const nc = s.count(64);
          for (let c = 0; c < nc; c++) {
            const kind = keyOf(CONSTRAINT, s.u8(), 'constraint kind');
            if (s.u8() !== 0 || s.u16() !== 0) throw new BundleError('constraint: reserved bytes are not zero');
            constraints.push({ kind, values: s.strs() });
          }
          b.params.push(hasDefault ? { name, type, default: def, constraints } : { name, type, constraints });
        }
        break;
      }
      case SECTION.process: {
        const capabilities = s.u64();
        const cpus = s.u32();
        const isolation = keyOf(ISOLATION, s.u32(), 'isolation');
        b.process = { capabilities, cpus, isolation, wallMillis: s.u64() };
        break;
      }
      default:
        throw new BundleError(`unknown section type ${type}`);
    }
    s.end();
  }
  r.end();
  for (const [name, type] of Object.entries(SECTION)) {
    if (type !== SECTION.seccomp && !seen.has(type)) throw new BundleError(`missing ${name} section`);
  }
  if (b.seccomp.length === 0) throw new BundleError('missing seccomp section');
  return b as Bundle;
}
