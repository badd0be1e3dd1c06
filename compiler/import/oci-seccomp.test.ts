/**
 * mxcc import oci-seccomp: every profile feature, conflicts, malformed input, and round trips:
 * profile → .mxc → check → decide() agrees with an independent model of the profile, and a
 * profile built from Docker's default profile's facts imports, checks clean and compiles with
 * the oci target back to a profile that decides the same.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../index.js';
import { decide } from '../evaluate.js';
import type { Arch, IrAction, PolicyIR } from '../ir.js';
import { syscallArgs, syscallNumber } from '../syscalls/index.js';
import { formatText } from '../../format/index.js';
import { compileOciSeccomp } from '../../targets/oci/index.js';
import { importOciSeccomp, parseProfileJson, type ImportOciOptions } from './oci-seccomp.js';
import { mustCompile } from '../../test/compile-text.js';

const root = path.resolve(import.meta.dirname, '../..');
const FEATURES = JSON.parse(readFileSync(path.join(root, 'test/fixtures/oci/features.json'), 'utf8')) as Profile;

function checked(source: string): { ir: PolicyIR; codes: string[] } {
  const r = mustCompile(source);
  return { ir: r.ir, codes: r.diagnostics.map((d) => d.code) };
}

function imported(profile: unknown, options: ImportOciOptions = {}): { source: string; codes: string[]; messages: string[] } {
  const r = importOciSeccomp(profile, options);
  if (r.source === undefined) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return { source: r.source, codes: r.diagnostics.map((d) => d.code), messages: r.diagnostics.map((d) => d.message) };
}

// ---------------------------------------------------------------------------
// An independent model of a Docker-format profile: includes/excludes resolved for the caps and
// the architecture as moby does; a rule matches when all its comparisons hold on the full 64-bit
// register (OR-ed when one argument is compared twice, as runc does); the most severe matching
// action wins (ties: the first listed); else the default.

interface Cmp {
  index: number;
  value: number | string;
  valueTwo?: number | string;
  op: string;
}
interface Rule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: Cmp[];
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[] };
  comment?: string;
}
interface Profile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] }[];
  syscalls: Rule[];
}

const GOARCH: Record<Arch, string> = { x86_64: 'amd64', aarch64: 'arm64' };
const RANK: Record<string, number> = { SCMP_ACT_KILL_PROCESS: 6, SCMP_ACT_KILL_THREAD: 5, SCMP_ACT_KILL: 5, SCMP_ACT_TRAP: 4, SCMP_ACT_ERRNO: 3, SCMP_ACT_LOG: 1, SCMP_ACT_ALLOW: 0 };
const NAMES: Record<string, string> = { SCMP_ACT_ALLOW: 'allow', SCMP_ACT_LOG: 'log', SCMP_ACT_TRAP: 'trap', SCMP_ACT_KILL: 'kill_thread', SCMP_ACT_KILL_THREAD: 'kill_thread', SCMP_ACT_KILL_PROCESS: 'kill_process' };
const keyOf = (action: string, errno?: number): string => (action === 'SCMP_ACT_ERRNO' ? `errno:${errno ?? 1}` : NAMES[action]!);
const irKey = (a: IrAction): string => (a.kind === 'errno' ? `errno:${a.errno}` : a.kind);

function applies(r: Rule, caps: readonly string[], arch: Arch): boolean {
  const inc = r.includes ?? {};
  const exc = r.excludes ?? {};
  if ((inc.caps ?? []).some((c) => !caps.includes(c))) return false;
  if ((exc.caps ?? []).some((c) => caps.includes(c))) return false;
  if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(GOARCH[arch])) return false;
  if ((exc.arches ?? []).includes(GOARCH[arch])) return false;
  return true;
}

function profileDecide(p: Profile, caps: readonly string[], arch: Arch, name: string, args: readonly bigint[]): string {
  let best: { rank: number; key: string } | undefined;
  for (const r of p.syscalls) {
    if (!r.names.includes(name) || !applies(r, caps, arch)) continue;
    const list = r.args ?? [];
    const holds = (c: Cmp): boolean => {
      const v = args[c.index] ?? 0n;
      const a = BigInt(c.value);
      const b = BigInt(c.valueTwo ?? 0);
      return { SCMP_CMP_EQ: v === a, SCMP_CMP_NE: v !== a, SCMP_CMP_LT: v < a, SCMP_CMP_LE: v <= a, SCMP_CMP_GT: v > a, SCMP_CMP_GE: v >= a, SCMP_CMP_MASKED_EQ: (v & a) === (b & a) }[c.op]!; // libseccomp masks the datum too
    };
    const repeated = new Set(list.map((c) => c.index)).size !== list.length;
    if (!(list.length === 0 || (repeated ? list.some(holds) : list.every(holds)))) continue;
    const rank = RANK[r.action]!;
    if (!best || rank > best.rank) best = { rank, key: keyOf(r.action, r.errnoRet) };
  }
  return best?.key ?? keyOf(p.defaultAction, p.defaultErrnoRet);
}

/** Clear the upper halves of 32-bit arguments: there mxcc reads as the kernel does, on purpose. */
function kernelArgs(name: string, arch: Arch, args: readonly bigint[]): bigint[] {
  const sig = syscallArgs(name, arch);
  return args.map((v, i) => (sig[i]?.bits === 32 ? v & 0xffffffffn : v));
}

const BOUNDARY = [0n, 1n, 2n, 8n, 40n, 0x5401n, 0x5402n, 999n, 1000n, 4095n, 4096n, 0x7e020000n, 0x10000000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 32n) | 40n, 1n << 63n, (1n << 64n) - 1n];
const argsArb = fc.array(fc.oneof(fc.constantFrom(...BOUNDARY), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), { minLength: 6, maxLength: 6 });

// ---------------------------------------------------------------------------

describe('import oci-seccomp: features', () => {
  it('imports every feature of the fixture and checks clean', () => {
    const { source, codes } = imported(FEATURES, { file: 'features.json' });
    expect(codes).toEqual(['MXC1604']);
    expect(formatText(source, 'x.mxc').output).toBe(source);
    expect(source).toContain('default errno(ENOSYS)');
    expect(source).toContain('allow read, write, ?open, ?not_a_real_syscall');
    expect(source).toContain('allow ?arch_prctl');
    expect(source).not.toContain('s390_runtime_instr');
    expect(source).not.toContain('mount');
    expect(source).toContain('allow socket(domain != 40)');
    expect(source).toContain('allow personality(persona == 0xffffffff)');
    expect(source).toContain('allow clone(flags & 0x7e020000 == 0)');
    expect(source).toContain('deny clone3 errno(ENOSYS)');
    expect(source).toContain('allow lseek(whence <= 2 && fd < 1000)');
    expect(source).toContain('allow mprotect(prot > 0 && len >= 4096)');
    expect(source).toContain('allow ioctl(request == 21505 || request == 21506)');
    expect(source).toContain('deny ptrace kill_process');
    expect(source).toContain('deny kexec_load kill_thread');
    expect(source).toContain('deny bpf trap');
    expect(source).toContain('deny uname log');
    expect(source).toContain('minKernel 5.13');
    expect(source).toContain('sub-architectures SCMP_ARCH_X86, SCMP_ARCH_X32');
    const { codes: checkCodes } = checked(source);
    expect(checkCodes).toEqual([]);
  });

  it('resolves includes and excludes for the given capabilities', () => {
    const { source, codes } = imported(FEATURES, { caps: ['SYS_ADMIN'] });
    expect(codes).toEqual([]);
    expect(source).toContain('allow mount');
    expect(source).not.toContain('clone3');
    expect(source).not.toContain('deny setns');
    expect(checked(source).codes).toEqual([]);
  });

  it('resolves architectures: --arch aarch64 drops amd64-only rules and says so in the policy', () => {
    const { source } = imported(FEATURES, { arches: ['aarch64'] });
    expect(source).not.toContain('arch_prctl');
    expect(source).toMatch(/target oci \{\s+arch aarch64\s+\}/);
    expect(checked(source).codes).toEqual([]);
  });

  it('leaves out names a rule limited to one architecture would wrongly apply on the other', () => {
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } }] };
    const { source, codes, messages } = imported(profile);
    expect(codes).toEqual(['MXC1606']);
    expect(messages[0]).toContain('read');
    expect(source).toContain('allow ?arch_prctl');
    expect(source).not.toMatch(/allow .*\bread\b/);
  });

  // Review findings of 2026-12-02: each case let the imported policy allow what Docker denies.
  const decideOn = (source: string, arch: Arch, name: string, args: bigint[]): string => irKey(decide(checked(source).ir, { kind: 'syscall', arch, syscall: name, args }).action);

  it('masks a MASKED_EQ datum as libseccomp does; a mask of 0 always holds', () => {
    const outside = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mprotect'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 2, value: 4, valueTwo: 6, op: 'SCMP_CMP_MASKED_EQ' }] }] };
    const a = imported(outside).source;
    expect(decideOn(a, 'x86_64', 'mprotect', [0n, 4096n, 4n])).toBe('errno:1');
    expect(decideOn(a, 'x86_64', 'mprotect', [0n, 4096n, 7n])).toBe('errno:1');
    expect(decideOn(a, 'x86_64', 'mprotect', [0n, 4096n, 3n])).toBe('allow');
    const zero = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['lseek'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 0, value: 0, valueTwo: 1, op: 'SCMP_CMP_MASKED_EQ' }] }] };
    const z = imported(zero);
    expect(z.codes).toEqual([]);
    expect(decideOn(z.source, 'x86_64', 'lseek', [5n, 0n, 0n])).toBe('kill_process');
  });

  it('a deny limited to one architecture applies on every architecture imported (stricter), with MXC1606', () => {
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ptrace', 'process_vm_writev'], action: 'SCMP_ACT_KILL_PROCESS', includes: { arches: ['amd64'] } }] };
    const { source, codes } = imported(profile);
    expect(codes).toEqual(['MXC1606']);
    for (const arch of ['x86_64', 'aarch64'] as const) expect(decideOn(source, arch, 'ptrace', [0n]), arch).toBe('kill_process');
  });

  it('excludes.minKernel: an allow is left out, a deny kept', () => {
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      { names: ['io_uring_setup'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '4.0' } },
      { names: ['read'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index: 0, value: 99, op: 'SCMP_CMP_EQ' }], excludes: { minKernel: '4.0' } },
    ] };
    const { source } = imported(profile);
    expect(decideOn(source, 'x86_64', 'io_uring_setup', [8n, 0n])).toBe('errno:1');
    expect(decideOn(source, 'x86_64', 'read', [99n])).toBe('kill_process');
    expect(decideOn(source, 'x86_64', 'read', [3n])).toBe('allow');
  });

  it('reads keys in any letter case, as Docker\'s Go decoder does', () => {
    const profile = { DefaultAction: 'SCMP_ACT_ERRNO', Syscalls: [
      { Names: ['read', 'personality', 'unshare'], Action: 'SCMP_ACT_ALLOW', Args: [{ Index: 0, Value: 0, OP: 'SCMP_CMP_EQ' }], Includes: { Caps: ['CAP_SYS_ADMIN'] } },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', ARGS: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
    ] };
    const { source } = imported(profile);
    expect(decideOn(source, 'x86_64', 'personality', [8n])).toBe('allow');
    expect(decideOn(source, 'x86_64', 'personality', [0x400000n])).toBe('errno:1');
    expect(decideOn(source, 'x86_64', 'unshare', [0n])).toBe('errno:1'); // gated on CAP_SYS_ADMIN
    expect(decideOn(imported(profile, { caps: ['CAP_SYS_ADMIN'] }).source, 'x86_64', 'unshare', [0n])).toBe('allow');
  });

  it('resolves name/names, arches and capabilities exactly as moby does', () => {
    const name = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'ptrace', names: [], action: 'SCMP_ACT_KILL_PROCESS' }] };
    expect(decideOn(imported(name).source, 'x86_64', 'ptrace', [0n])).toBe('kill_process');
    const both = importOciSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'ptrace', names: ['bpf'], action: 'SCMP_ACT_KILL_PROCESS' }] });
    expect(both.source).toBeUndefined();
    expect(both.diagnostics.map((d) => d.message)).toEqual(['/syscalls/0: both "name" and "names" are set; Docker refuses such a profile']);
    // Only Go's architecture names and exact capability names match, as in moby.
    const lenient = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [
      { names: ['ptrace'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { arches: ['x86_64'] } },
      { names: ['kexec_load'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['sys_boot'] } },
    ] };
    const { source } = imported(lenient, { arches: ['x86_64'], caps: ['CAP_SYS_BOOT'] });
    expect(decideOn(source, 'x86_64', 'ptrace', [0n])).toBe('errno:1');
    expect(decideOn(source, 'x86_64', 'kexec_load', [0n])).toBe('errno:1');
  });

  it('an integer literal of any length is a number, not invalid JSON', () => {
    const text = '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1234567890123456789012345678901234567890123,"op":"SCMP_CMP_EQ"}]}]}';
    const parsed = parseProfileJson(text);
    if ('error' in parsed) throw new Error(parsed.error);
    const r = importOciSeccomp(parsed.value);
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([['MXC1603', '/syscalls/0/args/0: value must be an unsigned 64-bit integer (got "1234567890123456789012345678901234567890123")']]);
  });

  it('reports conflicting rules naming both (index and JSON pointer)', () => {
    const { messages } = imported(FEATURES);
    expect(messages[0]).toBe('syscalls[1] (/syscalls/1, SCMP_ACT_ALLOW) and syscalls[2] (/syscalls/2, SCMP_ACT_ERRNO(1)) both match setns');
    // Disjoint conditions are not a conflict.
    const disjoint = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_KILL', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_TRAP', args: [{ index: 0, value: 10, op: 'SCMP_CMP_GT' }] },
    ] };
    expect(imported(disjoint).codes).toEqual([]);
  });

  it('keeps 64-bit values beyond 2^53 exact through parseProfileJson', () => {
    const text = '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mprotect"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":2,"value":18446744073709551600,"valueTwo":0,"op":"SCMP_CMP_EQ"}]}]}';
    const parsed = parseProfileJson(text);
    if ('error' in parsed) throw new Error(parsed.error);
    const { source } = imported(parsed.value);
    expect(source).toContain('deny mprotect(prot == 0xfffffffffffffff0) kill_process');
    expect(source).toContain('default allow');
    checked(source);
  });
});

describe('import oci-seccomp: malformed input', () => {
  const bad = (profile: unknown): { codes: string[]; messages: string[] } => {
    let r: ReturnType<typeof importOciSeccomp> | undefined;
    expect(() => (r = importOciSeccomp(profile))).not.toThrow();
    expect(r!.source).toBeUndefined();
    return { codes: r!.diagnostics.map((d) => d.code), messages: r!.diagnostics.map((d) => d.message) };
  };
  it('rejects what is not a profile', () => {
    expect(bad(null).codes).toEqual(['MXC1601']);
    expect(bad([1, 2]).messages[0]).toContain('an array');
    expect(bad('x').codes).toEqual(['MXC1601']);
    expect(bad({ syscalls: [] }).messages[0]).toContain('no defaultAction');
    expect(bad({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: {} }).codes).toEqual(['MXC1601']);
    expect(bad({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ action: 'SCMP_ACT_ALLOW' }] }).messages[0]).toContain('/syscalls/0');
    expect(bad({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['Read!'], action: 'SCMP_ACT_ALLOW' }] }).codes).toEqual(['MXC1601']);
    expect(bad({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 'x', syscalls: [] }).codes).toEqual(['MXC1601']);
  });
  it('rejects unknown and unsupported actions', () => {
    expect(bad({ defaultAction: 'SCMP_ACT_DENY', syscalls: [] }).codes).toEqual(['MXC1602']);
    expect(bad({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }).messages[0]).toContain('SCMP_ACT_NOTIFY');
  });
  it('rejects bad comparisons', () => {
    const rule = (arg: unknown): unknown => ({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [arg] }] });
    expect(bad(rule({ index: 0, value: 1, op: 'SCMP_CMP_MASKED_NE' })).messages[0]).toContain('unknown op');
    expect(bad(rule({ index: 6, value: 1, op: 'SCMP_CMP_EQ' })).codes).toEqual(['MXC1603']);
    expect(bad(rule({ index: 0, value: '1x', op: 'SCMP_CMP_EQ' })).messages[0]).toContain('value must be');
    expect(bad(rule({ index: 0, value: -1, op: 'SCMP_CMP_EQ' })).codes).toEqual(['MXC1603']);
    expect(bad(rule({ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' })).codes).toEqual(['MXC1603']);
    expect(bad(rule({ index: 0, value: 0x100000000, op: 'SCMP_CMP_EQ' })).messages[0]).toContain('32-bit');
    expect(bad({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['openat'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] }] }).messages[0]).toContain('pointer');
  });
  it('points every problem at its line and column in the file when it has the text', () => {
    const text = [
      '{',
      '  "defaultAction": "SCMP_ACT_ERRNO",',
      '  "Syscalls": [',
      '    {"names": ["read", "Wr!te"], "action": "SCMP_ACT_ALLOW"},',
      '    {"names": ["socket"], "ACTION": "SCMP_ACT_ALLOW", "args": [{"index": 9, "value": 1, "op": "SCMP_CMP_EQ"}]},',
      '    {"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5000}',
      '  ]',
      '}',
    ].join('\n');
    const parsed = parseProfileJson(text);
    if ('error' in parsed) throw new Error(parsed.error);
    const r = importOciSeccomp(parsed.value, { file: 'p.json', text });
    const where = r.diagnostics.map((d) => [d.code, d.span?.file, d.span?.line, d.span?.column, text.slice(d.span!.offset, d.span!.offset + d.span!.length)]);
    expect(where).toEqual([
      ['MXC1601', 'p.json', 4, 24, '"Wr!te"'],
      ['MXC1603', 'p.json', 5, 74, '9'],
      ['MXC1601', 'p.json', 6, 66, '5000'],
    ]);
    // Without the text (a library caller with a parsed object) there is nothing to point at.
    expect(importOciSeccomp(parsed.value, { file: 'p.json' }).diagnostics.every((d) => d.span === undefined)).toBe(true);
    // A rule-level problem points at the rule; one about the whole profile at its start.
    const rule = '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [\n  {"action": "SCMP_ACT_ALLOW"}]}';
    const noNames = importOciSeccomp(JSON.parse(rule), { file: 'q.json', text: rule }).diagnostics[0]!.span!;
    expect([noNames.line, noNames.column]).toEqual([2, 3]);
    const empty = importOciSeccomp({ syscalls: [] }, { file: 'e.json', text: '  {"syscalls": []}' }).diagnostics[0]!.span!;
    expect([empty.line, empty.column]).toEqual([1, 3]);
  });

  it('points a conflict at the first rule, with the second as related', () => {
    const text = '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [\n  {"names": ["close"], "action": "SCMP_ACT_ALLOW"},\n  {"names": ["close"], "action": "SCMP_ACT_KILL"}\n]}';
    const [d] = importOciSeccomp(JSON.parse(text), { file: 'c.json', text }).diagnostics;
    expect(d!.code).toBe('MXC1604');
    expect(d!.message).toBe('syscalls[0] (/syscalls/0, SCMP_ACT_ALLOW) and syscalls[1] (/syscalls/1, SCMP_ACT_KILL_THREAD) both match close');
    expect([d!.span!.line, d!.span!.column]).toEqual([2, 3]);
    expect(d!.related!.map((x) => [x.span.line, x.span.column, x.message])).toEqual([[3, 3, 'syscalls[1] also matches close']]);
  });

  it('an ordering on a file mode is an error, not a policy that does not compile (review finding)', () => {
    const r = importOciSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 2048, op: 'SCMP_CMP_GE' }] }] });
    expect(r.source).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['MXC1603']);
    const eq = importOciSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 2048, valueTwo: 2048, op: 'SCMP_CMP_MASKED_EQ' }] }] });
    expect(eq.source).toContain('deny ?chmod(mode & 0x800 == 2048)');
  });

  it('reports invalid JSON with its position', () => {
    const r = parseProfileJson('{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  oops\n}');
    expect('error' in r && r.line).toBe(3);
    expect('error' in r && r.error).toMatch(/position \d+/);
  });
});

describe('import oci-seccomp: round trips', () => {
  it('import → check → decide() agrees with the profile (features fixture, random calls)', () => {
    const names = [...new Set(FEATURES.syscalls.flatMap((r) => r.names))].filter((n) => syscallNumber(n, 'x86_64') !== undefined || syscallNumber(n, 'aarch64') !== undefined);
    for (const caps of [[], ['CAP_SYS_ADMIN']]) {
      const { ir } = checked(imported(FEATURES, { caps }).source);
      fc.assert(
        fc.property(fc.constantFrom(...names), fc.constantFrom<Arch>('x86_64', 'aarch64'), argsArb, (name, arch, raw) => {
          if (syscallNumber(name, arch) === undefined) return;
          const args = kernelArgs(name, arch, raw);
          expect(irKey(decide(ir, { kind: 'syscall', arch, syscall: name, args }).action)).toBe(profileDecide(FEATURES, caps, arch, name, args));
        }),
        { numRuns: 1500 },
      );
    }
  });

  it('random profiles import, check and decide like the profile', () => {
    const OPS = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'];
    const VALUES = [0, 1, 2, 40, 4096, 0x7e020000, 0x7fffffff, 0xffffffff];
    const cmpArb = fc.record({ index: fc.constantFrom(0, 1, 2), value: fc.constantFrom(...VALUES), valueTwo: fc.constantFrom(0, 1, 2, 40), op: fc.constantFrom(...OPS) });
    const ruleArb = fc.record({
      names: fc.subarray(['socket', 'lseek', 'mprotect', 'read'], { minLength: 1 }),
      action: fc.constantFrom('SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG'),
      errnoRet: fc.constantFrom(1, 22, 38),
      args: fc.array(cmpArb, { maxLength: 2 }),
    });
    const profileArb = fc.record({ defaultAction: fc.constantFrom('SCMP_ACT_ERRNO', 'SCMP_ACT_ALLOW', 'SCMP_ACT_KILL_PROCESS'), syscalls: fc.array(ruleArb, { minLength: 1, maxLength: 4 }) });
    fc.assert(
      fc.property(profileArb, fc.array(fc.tuple(fc.constantFrom('socket', 'lseek', 'mprotect', 'read'), argsArb), { minLength: 10, maxLength: 10 }), (profile, calls) => {
        const r = importOciSeccomp(profile);
        if (r.source === undefined) {
          // Only values that do not fit a 32-bit argument are refused.
          expect(r.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(['MXC1603']));
          return;
        }
        const { ir } = checked(r.source);
        for (const [name, raw] of calls) {
          const args = kernelArgs(name, 'x86_64', raw);
          expect(irKey(decide(ir, { kind: 'syscall', arch: 'x86_64', syscall: name, args }).action), `${name}(${args.join(', ')})\n${r.source}`).toBe(profileDecide(profile as Profile, [], 'x86_64', name, args));
        }
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------
// Docker's default profile, rebuilt from its facts: the allowlist (the unconditional allows of
// our corpus/docker-default.mxc), its conditional rules and its capability-gated rules, written
// here as data. Not moby's file.

function dockerFactsProfile(): Profile {
  const corpus = compileFile(path.join(root, 'corpus/docker-default.mxc'));
  if (!corpus.ir) throw new Error('corpus/docker-default.mxc does not compile');
  const allow = new Set<string>();
  for (const arch of ['x86_64', 'aarch64'] as const) for (const r of corpus.ir.syscalls.rules[arch]) if (r.effect === 'allow' && r.when === null && !['arch_prctl', 'modify_ldt'].includes(r.syscall)) allow.add(r.syscall);
  // Names only 32-bit architectures have, as Docker's list carries them too.
  for (const n of ['chown32', 'fcntl64', 'mmap2', '_llseek', 'socketcall', 'ugetrlimit']) allow.add(n);
  const capGated: [string, string[]][] = [
    ['CAP_SYS_ADMIN', ['bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount', 'mount_setattr', 'move_mount', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare']],
    ['CAP_SYS_BOOT', ['reboot']],
    ['CAP_SYS_CHROOT', ['chroot']],
    ['CAP_SYS_MODULE', ['delete_module', 'init_module', 'finit_module']],
    ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise']],
    ['CAP_SYS_TIME', ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']],
  ];
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls: [
      { names: [...allow].sort(), action: 'SCMP_ACT_ALLOW' },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, valueTwo: 0, op: 'SCMP_CMP_NE' }] },
      ...[0, 8, 131072, 131080, 4294967295].map((v) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, valueTwo: 0, op: 'SCMP_CMP_EQ' }] })),
      { names: ['arch_prctl', 'modify_ldt'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32', 'x86'] } },
      { names: ['s390_pci_mmio_read', 's390_runtime_instr'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['s390', 's390x'] } },
      ...capGated.map(([cap, names]) => ({ names, action: 'SCMP_ACT_ALLOW', includes: { caps: [cap] } })),
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    ],
  };
}

describe('import oci-seccomp: Docker default profile (from its facts)', () => {
  const profile = dockerFactsProfile();
  for (const caps of [[], ['CAP_SYS_ADMIN']]) {
    it(`imports, checks clean and compiles to an equivalent OCI profile (caps: ${caps.join(',') || 'none'})`, () => {
      const { source, codes } = imported(profile, { caps, file: 'docker-facts.json' });
      expect(codes).toEqual([]);
      const { ir, codes: checkCodes } = checked(source);
      expect(checkCodes).toEqual([]);
      const out = compileOciSeccomp(ir);
      expect(out.diagnostics).toEqual([]);
      expect(out.fidelity.filter((f) => f.fidelity !== 'exact').map((f) => f.rule)).toEqual(['syscalls.foreign-abis']);
      const back = JSON.parse(JSON.stringify(out.profile, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Profile;
      const names = ['socket', 'personality', 'clone', 'clone3', 'mount', 'setns', 'read', 'ptrace', 'arch_prctl', 'bpf', 'reboot', 'openat', 'kexec_load'];
      fc.assert(
        fc.property(fc.constantFrom(...names), fc.constantFrom<Arch>('x86_64', 'aarch64'), argsArb, (name, arch, raw) => {
          if (syscallNumber(name, arch) === undefined) return;
          const args = kernelArgs(name, arch, raw);
          const want = profileDecide(profile, caps, arch, name, args);
          expect(irKey(decide(ir, { kind: 'syscall', arch, syscall: name, args }).action)).toBe(want);
          expect(profileDecide(back, [], arch, name, args)).toBe(want);
        }),
        { numRuns: 2000 },
      );
      // The one intended difference: garbage upper bits on socket's int domain.
      expect(profileDecide(profile, caps, 'x86_64', 'socket', [(1n << 32n) | 40n, 1n, 0n])).toBe('allow');
      expect(profileDecide(back, [], 'x86_64', 'socket', [(1n << 32n) | 40n, 1n, 0n])).toBe('errno:1');
    });
  }
});

const PODMAN = '/usr/share/containers/seccomp.json';
// .ci/run installs Debian's golang-github-containers-common, which ships Podman's profile; a
// missing file fails here instead of skipping.
describe('import oci-seccomp: Podman profile (Debian golang-github-containers-common)', () => {
  it('the profile is installed', () => {
    expect(existsSync(PODMAN), `${PODMAN} is missing: apt-get install golang-github-containers-common`).toBe(true);
  });
  it('imports, checks and compiles; reports the setns conflict', () => {
    const parsed = parseProfileJson(readFileSync(PODMAN, 'utf8'));
    if ('error' in parsed) throw new Error(parsed.error);
    const r = importOciSeccomp(parsed.value, { file: 'seccomp.json' });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.diagnostics.some((d) => d.code === 'MXC1604' && d.message.includes('setns'))).toBe(true);
    const { ir } = checked(r.source!);
    expect(compileOciSeccomp(ir).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
