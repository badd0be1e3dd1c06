import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { compileFile } from '../../compiler/index.js';
import { bundleDigest, BundleError, decodeBundle, encodeBundle, MAX_STRING, SECTION } from './bundle.js';
import { buildLinuxBundle, linuxTarget } from './index.js';
import { runFilter } from './seccomp/interpret.js';
import { AUDIT_ARCH_X86_64 } from './seccomp/bpf.js';
import { compileText, mustCompile } from '../../test/compile-text.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function corpusIr(name: string) {
  const r = compileFile(path.join(ROOT, 'corpus', name), { cwd: ROOT });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.ir;
}

function bundleBytes(name = 'coding-agent.mxc'): Uint8Array {
  const out = linuxTarget.compile(corpusIr(name));
  expect(out.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return out.files.find((f) => f.path === 'bundle.mxcb')!.content as Uint8Array;
}

describe('fidelity of what Landlock does not mediate', () => {
  it('pathname unix sockets: weaker even with the mount view, and the note names the gaps', () => {
    const { fidelity } = buildLinuxBundle(corpusIr('coding-agent.mxc'));
    const unix = fidelity.find((f) => f.rule === 'fs.unix-sockets')!;
    expect(unix.fidelity).toBe('weaker');
    expect(unix.note).toContain("the enforcer's mount view");
    expect(unix.note).toContain('not covered: sockets bound after launch');
  });
});

describe('fidelity of limits', () => {
  function fidelityOf(body: string) {
    const r = mustCompile(`policy p {\n${body}\n}\n`);
    return buildLinuxBundle(r.ir).fidelity.filter((f) => f.rule.startsWith('limits'));
  }

  it('cpu is affinity the command can widen, memory is per process: both weaker', () => {
    const f = fidelityOf('isolation container\n  limits { cpu 1  memory 256MiB  files 64 }');
    expect(f.map((e) => [e.rule, e.fidelity])).toEqual([
      ['limits.memory', 'weaker'],
      ['limits.cpu', 'weaker'],
      ['limits', 'exact'],
    ]);
    expect(f.find((e) => e.rule === 'limits.cpu')!.note).toContain('sched_setaffinity');
    expect(f.find((e) => e.rule === 'limits.memory')!.note).toContain('of each process');
  });

  it('wall is weaker only where descendants outlive the command', () => {
    const wall = (body: string) => fidelityOf(body).find((e) => e.rule === 'limits.wall')?.fidelity;
    expect(wall('isolation process\n  limits { wall 2s }')).toBe('weaker');
    expect(wall('isolation process\n  process { max_processes 16 }\n  limits { wall 2s }')).toBeUndefined();
    expect(wall('isolation container\n  limits { wall 2s }')).toBeUndefined();
  });

  it('limits without cpu, memory or wall stay exact', () => {
    expect(fidelityOf('limits { files 64  stack 8MiB }')).toEqual([{ rule: 'limits', fidelity: 'exact' }]);
  });
});

describe('bundle encoding', () => {
  it('round-trips every corpus policy and is byte-identical across builds', () => {
    for (const name of ['coding-agent.mxc', 'browser-agent.mxc', 'ci-build-job.mxc', 'docker-default.mxc', 'package-install.mxc']) {
      const a = bundleBytes(name);
      const b = bundleBytes(name);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      const decoded = decodeBundle(a);
      expect(Buffer.from(encodeBundle(decoded)).equals(Buffer.from(a))).toBe(true);
      expect(decoded.seccomp.map((s) => s.arch)).toEqual(['x86_64', 'aarch64']);
    }
  });

  it('carries what the policy says', () => {
    const ir = corpusIr('coding-agent.mxc');
    const { bundle, plan } = buildLinuxBundle(ir);
    expect(bundle!.policy.name).toBe('coding_agent');
    expect(bundle!.net.mode).toBe('proxy');
    expect(plan.minAbi).toBe(6);
    expect(bundle!.env).toContain('PATH');
    expect(bundle!.process.isolation).toBe('container');
    expect(bundle!.params.map((p) => [p.name, p.default])).toEqual([['home', '/home/agent'], ['workspace', '/tmp/mxcc-workspace']]);
    expect(bundle!.rlimits.map((r) => r.resource)).toEqual([6, 7, 9]); // NPROC, NOFILE, AS
    expect(bundle!.masks).toContainEqual({ pattern: '/**/.env', rights: 1n << 2n }); // read_file
    expect(bundle!.masks).toContainEqual({ pattern: '/**/.git', rights: (1n << 4n) | (1n << 5n) | (1n << 13n) }); // remove_dir, remove_file, refer
    expect(bundle!.landlock.grants.find((g) => g.pattern === '${workspace}/**')).toBeDefined();
    // The seccomp program in the bundle is the compiled one: ptrace is refused.
    const x86 = bundle!.seccomp.find((s) => s.arch === 'x86_64')!.program;
    expect(runFilter(x86, { nr: 101, arch: AUDIT_ARCH_X86_64, args: [] }).ret).toBe(0x00050001);
    expect(runFilter(x86, { nr: 0, arch: AUDIT_ARCH_X86_64, args: [] }).ret).toBe(0x7fff0000);
  });

  it('in ports mode the seccomp filter refuses non-TCP IP sockets, TCP Fast Open sends and io_uring', () => {
    const r = compileText('policy p { syscalls { allow socket, sendto, sendmsg, sendmmsg, io_uring_setup } net { allow connect tcp any:443 } }');
    const { bundle } = buildLinuxBundle(r.ir!);
    expect(bundle!.net.mode).toBe('ports');
    const prog = bundle!.seccomp.find((s) => s.arch === 'x86_64')!.program;
    const sock = (domain: bigint, type: bigint, protocol = 0n) => runFilter(prog, { nr: 41, arch: AUDIT_ARCH_X86_64, args: [domain, type, protocol] }).ret;
    expect(sock(2n, 1n)).toBe(0x7fff0000); // AF_INET, SOCK_STREAM
    expect(sock(2n, 1n | 0x80000n)).toBe(0x7fff0000); // with SOCK_CLOEXEC
    expect(sock(2n, 1n, 6n)).toBe(0x7fff0000); // IPPROTO_TCP named
    expect(sock(10n, 1n, 6n)).toBe(0x7fff0000);
    expect(sock(2n, 2n)).toBe(0x0005000d); // SOCK_DGRAM → EACCES
    expect(sock(10n, 3n)).toBe(0x0005000d); // AF_INET6 raw
    expect(sock(1n, 2n)).toBe(0x7fff0000); // AF_UNIX datagrams are local
    // Streams Landlock does not check (review finding): MPTCP falls back to TCP with any server.
    expect(sock(2n, 1n, 262n)).toBe(0x0005000d); // IPPROTO_MPTCP
    expect(sock(10n, 1n | 0x800n, 262n)).toBe(0x0005000d);
    expect(sock(2n, 1n, 132n)).toBe(0x0005000d); // IPPROTO_SCTP
    expect(sock(2n, 1n, 6n | (1n << 32n))).toBe(0x7fff0000); // an int: the kernel reads 32 bits
    expect(sock(1n, 1n, 262n)).toBe(0x7fff0000); // AF_UNIX is not IP
    // TCP Fast Open connects without the connect hook Landlock checks; io_uring makes sockets
    // without system calls (review findings).
    const call = (nr: number, args: bigint[]) => runFilter(prog, { nr, arch: AUDIT_ARCH_X86_64, args }).ret;
    expect(call(44, [3n, 0n, 5n, 0x20000000n | 0x4000n, 0n, 16n])).toBe(0x0005000d); // sendto, MSG_FASTOPEN | MSG_NOSIGNAL
    expect(call(44, [3n, 0n, 5n, 0x4000n, 0n, 0n])).toBe(0x7fff0000);
    expect(call(46, [3n, 0n, 0x20000000n])).toBe(0x0005000d); // sendmsg
    expect(call(46, [3n, 0n, 0n])).toBe(0x7fff0000);
    expect(call(307, [3n, 0n, 1n, 0x20000000n])).toBe(0x0005000d); // sendmmsg
    expect(call(425, [8n, 0n])).toBe(0x0005000d); // io_uring_setup
  });

  it('records sha256 of the binary bundle in its JSON mirror', () => {
    const out = linuxTarget.compile(corpusIr('coding-agent.mxc'));
    const bin = out.files.find((f) => f.path === 'bundle.mxcb')!.content as Uint8Array;
    const mirror = JSON.parse(out.files.find((f) => f.path === 'bundle.json')!.content as string) as { bundleSha256: string };
    expect(mirror.bundleSha256).toBe(createHash('sha256').update(bin).digest('hex'));
  });
});

describe('the decoder refuses corrupt bundles', () => {
  const good = bundleBytes();
  const refuse = (bytes: Uint8Array, message: RegExp) => expect(() => decodeBundle(bytes)).toThrow(message);
  /** The bundle with its digest made to match again: what the structural checks behind it see. */
  const resealed = (bytes: Uint8Array): Uint8Array => {
    const out = Uint8Array.from(bytes);
    out.set(bundleDigest(out), out.length - 32);
    return out;
  };

  it('any changed byte, anywhere: the digest does not match (review finding: a one-bit flip of the handled rights ran the command)', () => {
    for (let i = 0; i < good.length; i++) {
      const b = Uint8Array.from(good);
      b[i]! ^= 1 << (i % 8);
      expect(() => decodeBundle(b), `byte ${i}`).toThrow(BundleError);
    }
    const body = Uint8Array.from(good);
    body[30]! ^= 4;
    refuse(body, /digest does not match/);
  });
  it('truncated at any point', () => {
    for (const cut of [0, 3, 8, 15, 16, 20, 100, good.length - 1]) refuse(good.subarray(0, cut), /truncated|missing|not the digest|digest does not match/);
  });
  it('wrong magic, version, reserved field', () => {
    const b = Uint8Array.from(good);
    b[0] = 0x58;
    refuse(b, /bad magic/);
    const v = Uint8Array.from(good);
    v[4] = 1;
    refuse(v, /version 1/);
    const r = Uint8Array.from(good);
    r[12] = 1;
    refuse(r, /reserved/);
  });
  it('oversized lengths and counts', () => {
    const b = Uint8Array.from(good);
    new DataView(b.buffer).setUint32(20, 0x7fffffff, true); // first section's length
    refuse(resealed(b), /too large|truncated/);
    const c = Uint8Array.from(good);
    new DataView(c.buffer).setUint32(8, 1000, true); // section count
    refuse(resealed(c), /exceeds/);
  });
  it('a wrong architecture in a seccomp section', () => {
    const b = Uint8Array.from(good);
    // Find the first seccomp section and change its audit arch.
    let o = 16;
    const view = new DataView(b.buffer);
    while (view.getUint32(o, true) !== SECTION.seccomp) o += 8 + Math.ceil(view.getUint32(o + 4, true) / 8) * 8;
    view.setUint32(o + 8, 0x40000003, true); // AUDIT_ARCH_I386
    refuse(resealed(b), /unknown architecture/);
  });
  it('bytes after the digest, a digest that is not last, unknown sections', () => {
    refuse(Uint8Array.from([...good, 0, 0, 0, 0, 0, 0, 0, 0]), /not the digest/);
    // The digest section twice: the first one is not the last section.
    const twice = Uint8Array.from([...good, ...good.subarray(good.length - 40)]);
    new DataView(twice.buffer).setUint32(8, new DataView(good.buffer, good.byteOffset).getUint32(8, true) + 1, true);
    refuse(resealed(twice), /appears twice|not the last/);
    const extra = Uint8Array.from(good);
    new DataView(extra.buffer).setUint32(16, 99, true); // first section's type
    refuse(resealed(extra), /unknown section type 99/);
  });
  it('strings longer than the limit are refused when encoding', () => {
    const ir = corpusIr('coding-agent.mxc');
    const { bundle } = buildLinuxBundle(ir);
    expect(() => encodeBundle({ ...bundle!, env: ['x'.repeat(MAX_STRING + 1)] })).toThrow(/not encodable/);
  });
  it('rlimits out of range or order, excludes on beneath grants', () => {
    const b = decodeBundle(good);
    const bad = (change: (x: typeof b) => void, message: RegExp) => {
      const x = structuredClone(b);
      change(x);
      refuse(encodeBundle(x), message);
    };
    bad((x) => (x.rlimits = [{ resource: 7, value: 0n }]), /outside 1\.\.1073741824/);
    bad((x) => (x.rlimits = [{ resource: 9, value: (1n << 64n) - 1n }]), /outside/);
    bad((x) => (x.rlimits = [{ resource: 4, value: 1n }]), /unknown rlimit resource 4/);
    bad((x) => (x.rlimits = [{ resource: 9, value: 1n << 30n }, { resource: 9, value: 1n << 30n }]), /ascending/);
    bad((x) => (x.landlock.grants.find((g) => g.mode === 'beneath')!.exclude = ['/x']), /beneath grant cannot have excludes/);
  });
  it('keeps a leading byte order mark in strings', () => {
    const b = decodeBundle(good);
    b.policy.name = '\uFEFFname';
    expect(decodeBundle(encodeBundle(b)).policy.name).toBe('\uFEFFname');
  });
  it('a limit outside the enforcer\'s ranges is MXC3105', () => {
    const r = compileText('policy p { limits { files 2000000000 } }');
    const out = buildLinuxBundle(r.ir!);
    expect(out.diagnostics.map((d) => d.code)).toEqual(['MXC3105']);
    expect(out.bundle).toBeUndefined();
  });
  it('never fails with anything but BundleError on random corruption', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.option(fc.nat(good.length)), (flips, cut) => {
        const b = Uint8Array.from(good);
        for (const [i, v] of flips) b[i] = v;
        const input = cut === null ? b : b.subarray(0, cut);
        try {
          decodeBundle(input);
        } catch (e) {
          expect(e).toBeInstanceOf(BundleError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
