/**
 * mxc-enforce in the real kernel: bundles compiled by the project's own compiler, real commands.
 * Every attack runs unsandboxed first (it must work, so the test can fail) and then under the
 * bundle (it must be denied). Needs cc, make, Landlock and user namespaces: missing any of them
 * fails the suite; nothing is skipped.
 */
import { beforeAll, beforeEach, afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compileFile } from '../../compiler/index.js';
import type { PolicyIR } from '../../compiler/ir.js';
import { linuxTarget } from '../../targets/linux/index.js';
import { bundleDigest, decodeBundle, encodeBundle } from '../../targets/linux/bundle.js';

const repo = path.resolve(import.meta.dirname, '../..');
const enforcer = path.join(repo, 'enforcer', 'mxc-enforce');
const stdDir = path.join(repo, 'corpus', 'std');
const root = mkdtempSync(path.join(tmpdir(), 'mxcc-enforcer-'));
const ws = path.join(root, 'ws');
const home = path.join(root, 'home');
const tools = path.join(root, 'tools');
const outside = path.join(root, 'outside');
const attack = path.join(tools, 'attack');
const REFUSED = 125;
const EACCES = 13;
const EPERM = 1;

beforeAll(() => {
  execFileSync('make', ['-C', path.join(repo, 'enforcer')], { stdio: 'pipe' });
  for (const d of [ws, path.join(home, '.ssh'), tools, outside]) mkdirSync(d, { recursive: true });
  execFileSync('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O2', '-o', attack, path.join(import.meta.dirname, 'attack.c')], { stdio: 'pipe' });
  writeFileSync(path.join(home, '.ssh', 'id_rsa'), 'PRIVATE KEY\n');
  writeFileSync(path.join(home, 'notes.txt'), 'notes\n');
  writeFileSync(path.join(ws, '.env'), 'TOKEN=hunter2\n');
  writeFileSync(path.join(ws, 'readme.txt'), 'readme\n');
  writeFileSync(path.join(outside, 'secret.txt'), 'outside secret\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Compile policy text with the project's compiler (std from corpus/std) into bundle.mxcb. */
function bundleFor(text: string, tweak?: (ir: PolicyIR) => void): string {
  const files = new Map([['/v/p.mxc', Buffer.from(text)]]);
  const host = { readFile: (p: string) => files.get(p) ?? (p.startsWith(stdDir + '/') && existsSync(p) ? readFileSync(p) : undefined) };
  const r = compileFile('/v/p.mxc', { host, cwd: '/v', stdDir });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  tweak?.(r.ir);
  const out = linuxTarget.compile(r.ir);
  const errors = out.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('\n'));
  const file = out.files.find((f) => f.path === 'bundle.mxcb');
  if (!file) throw new Error('no bundle.mxcb');
  const dir = mkdtempSync(path.join(root, 'b-'));
  writeFileSync(path.join(dir, 'bundle.mxcb'), file.content);
  return path.join(dir, 'bundle.mxcb');
}

function bytesOf(bundle: string): Buffer {
  return readFileSync(bundle);
}

function writeBundle(bytes: Uint8Array): string {
  const dir = mkdtempSync(path.join(root, 'c-'));
  writeFileSync(path.join(dir, 'bundle.mxcb'), bytes);
  return path.join(dir, 'bundle.mxcb');
}

function run(cmd: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 60_000 });
}

function enforce(bundle: string, cmd: string[], opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return run([enforcer, ...(opts.args ?? []), bundle, '--', ...cmd], opts.env);
}

/** strerror texts differ between C libraries (the enforcer is built with musl where installed). */
const STRERROR = {
  EXDEV: /Invalid cross-device link|Cross-device link/,
  ELOOP: /Too many levels of symbolic links|Symbolic link loop/,
};

const BASE = `import "std/linux-runtime.mxc"
import "std/secrets.mxc"`;

/** The agent policy most attacks run under: a workspace, a home with secrets, tools to run. */
function agentPolicy(extra = '', fsExtra = ''): string {
  return `${BASE}
policy agent extends linux_runtime, no_secrets {
  param workspace: path = "${ws}" where not under "/etc", "/usr"
  fs {
    allow readwrite "\${workspace}/**"
    allow read, list "~/**"
    allow read, exec "${tools}/**"
    ${fsExtra}
  }
  process { env allow "KEEP_ME" }
  ${extra}
}`;
}

let agent: string;
const homeArg = ['--param', `home=${home}`];

describe('mxc-enforce', () => {
  beforeAll(() => {
    agent = bundleFor(agentPolicy('limits { files 16 }'));
  });

  it('computes SHA-256 (FIPS 180-4 test vectors)', () => {
    const vectors: [string, string][] = [
      ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
      ['a'.repeat(1_000_000), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
      ['x'.repeat(55), createHash('sha256').update('x'.repeat(55)).digest('hex')],
      ['y'.repeat(64), createHash('sha256').update('y'.repeat(64)).digest('hex')],
    ];
    for (const [input, digest] of vectors) {
      const file = path.join(root, 'vector');
      writeFileSync(file, input);
      const r = run([enforcer, '--digest', file]);
      expect(r.stdout.trim(), `sha256 of ${input.length} bytes`).toBe(digest);
    }
  });

  /** A changed bundle with its digest made to match again: what the structural checks see. */
  const resealed = (bytes: Uint8Array): Buffer => {
    const out = Buffer.from(bytes);
    bundleDigest(out).copy(out, out.length - 32);
    return out;
  };

  describe('refuses corrupt bundles without running the command', () => {
    let marker: string;
    let good: Buffer;
    const touch = (): string[] => ['/bin/sh', '-c', `echo ran > ${marker}`];
    const refused = (bundle: string, args: string[] = [], stderr?: RegExp): void => {
      const r = enforce(bundle, touch(), { args: [...homeArg, ...args] });
      expect(r.status, r.stderr).toBe(REFUSED);
      expect(r.stderr).toMatch(/^mxc-enforce: /);
      if (stderr) expect(r.stderr).toMatch(stderr);
      expect(existsSync(marker), 'the command must not run').toBe(false);
    };
    beforeAll(() => {
      good = bytesOf(agent);
    });
    it('runs the command with the intact bundle and the right pin (control)', () => {
      marker = path.join(ws, 'marker-control');
      const pin = createHash('sha256').update(good).digest('hex');
      const r = enforce(agent, touch(), { args: [...homeArg, '--sha256', pin] });
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(marker)).toBe(true);
    });
    it('truncated', () => {
      marker = path.join(ws, 'marker-truncated');
      refused(writeBundle(good.subarray(0, good.length - 8)), [], /not the digest/);
      refused(writeBundle(good.subarray(0, 10)), [], /truncated/);
      refused(writeBundle(Buffer.alloc(0)));
    });
    it('any changed byte: the digest does not match (review finding: a one-bit flip of the handled rights ran the command)', () => {
      marker = path.join(ws, 'marker-flip');
      // The Landlock section's handled rights (read_file is bit 2): the reviewer's flip.
      const b = Buffer.from(good);
      let o = 16;
      while (b.readUInt32LE(o) !== 3) o += 8 + Math.ceil(b.readUInt32LE(o + 4) / 8) * 8;
      b[o + 16]! &= ~4;
      refused(writeBundle(b), [], /digest does not match/);
      for (const at of [17, 40, Math.floor(good.length / 2), good.length - 33, good.length - 1]) {
        const f = Buffer.from(good);
        f[at]! ^= 0x10;
        refused(writeBundle(f));
      }
    });
    it('a digest section that is not 32 bytes, even with a matching digest at its end (review finding)', () => {
      marker = path.join(ws, 'marker-digest-length');
      const body = good.subarray(0, good.length - 40);
      const head = Buffer.concat([body, Buffer.from([11, 0, 0, 0, 72, 0, 0, 0]), Buffer.alloc(32, 0x41), Buffer.from([11, 0, 0, 0, 32, 0, 0, 0])]);
      const crafted = Buffer.concat([head, createHash('sha256').update(head.subarray(0, head.length - 8)).digest()]);
      expect(() => decodeBundle(crafted)).toThrow(/unexpected trailing bytes|not 32/);
      refused(writeBundle(crafted), [], /not 32/);
    });
    it('wrong magic', () => {
      marker = path.join(ws, 'marker-magic');
      const b = Buffer.from(good);
      b.write('MXCX', 0, 'latin1');
      refused(writeBundle(b), [], /magic/);
    });
    it('oversized section length and trailing bytes', () => {
      marker = path.join(ws, 'marker-length');
      const b = Buffer.from(good);
      b.writeUInt32LE(0x7fffffff, 20); // the first section's payload length
      refused(writeBundle(resealed(b)));
      refused(writeBundle(Buffer.concat([good, Buffer.alloc(8)])), [], /not the digest/);
    });
    it('a pin that does not match', () => {
      marker = path.join(ws, 'marker-pin');
      const pin = createHash('sha256').update(good).digest('hex');
      const flipped = (pin[0] === '0' ? '1' : '0') + pin.slice(1);
      refused(agent, ['--sha256', flipped], /sha256/);
    });
    it('an unknown section', () => {
      marker = path.join(ws, 'marker-unknown');
      const body = good.subarray(0, good.length - 40);
      const b = Buffer.concat([body, Buffer.from([99, 0, 0, 0, 0, 0, 0, 0]), good.subarray(good.length - 40)]);
      b.writeUInt32LE(good.readUInt32LE(8) + 1, 8);
      refused(writeBundle(resealed(b)), [], /unknown section type 99/);
    });
    it('non-zero padding or reserved bytes', () => {
      marker = path.join(ws, 'marker-reserved');
      const b = Buffer.from(good);
      b.writeUInt32LE(1, 12);
      refused(writeBundle(resealed(b)), [], /reserved/);
    });
    it('no seccomp program for this architecture', () => {
      marker = path.join(ws, 'marker-arch');
      const other = process.arch === 'x64' ? 'aarch64' : 'x86_64';
      refused(bundleFor(agentPolicy(`target linux { arch ${other} }`)), [], /no seccomp program/);
    });
  });

  describe('the loader accepts exactly what the reference decoder accepts', () => {
    const agrees = (bytes: Uint8Array, what: string): boolean => {
      let reference = true;
      try {
        decodeBundle(bytes);
      } catch {
        reference = false;
      }
      const r = run([enforcer, '--check', writeBundle(bytes)]);
      expect(r.status, `${what}: the reference decoder ${reference ? 'accepts' : 'refuses'} it; mxc-enforce says ${r.stderr}`).toBe(reference ? 0 : REFUSED);
      return reference;
    };
    it('random byte flips (resealed: the structure behind the digest)', () => {
      const good = bytesOf(agent);
      let seed = 0x2545f491;
      const rand = (n: number): number => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) % n;
      };
      let accepted = 0;
      for (let i = 0; i < 300; i++) {
        const b = Buffer.from(good);
        const flips = 1 + rand(3);
        for (let k = 0; k < flips; k++) {
          const at = rand(b.length);
          b[at] = b[at]! ^ (1 << rand(8));
        }
        if (agrees(i < 250 ? resealed(b) : b, `mutation ${i}`)) accepted++;
      }
      expect(agrees(good, 'intact')).toBe(true);
      expect(accepted, 'some flips land in free-form bytes and must still be accepted').toBeGreaterThan(0);
    });
    it('strings: NUL, overlong, surrogates, beyond U+10FFFF, truncated sequences, a byte order mark', () => {
      const b = decodeBundle(bytesOf(agent));
      b.policy.name = 'QQQQ';
      const base = Buffer.from(encodeBundle(b));
      const at = base.indexOf('QQQQ');
      const cases: number[][] = [
        [0x41, 0x00, 0x41, 0x41],
        [0xc0, 0x80, 0x41, 0x41],
        [0xed, 0xa0, 0x80, 0x41],
        [0xf4, 0x90, 0x80, 0x80],
        [0x41, 0x41, 0x41, 0xe2],
        [0xff, 0x41, 0x41, 0x41],
        [0xef, 0xbb, 0xbf, 0x41],
        [0xf0, 0x9f, 0x98, 0x80],
        [0xc3, 0xa9, 0x41, 0x41],
      ];
      for (const bytes of cases) {
        const m = Buffer.from(base);
        Buffer.from(bytes).copy(m, at);
        agrees(resealed(m), bytes.map((x) => x.toString(16)).join(' '));
      }
      // A leading byte order mark is part of the string on both sides (neither drops it).
      const bom = Buffer.from(base);
      Buffer.from([0xef, 0xbb, 0xbf, 0x41]).copy(bom, at);
      bom.set(resealed(bom));
      expect(decodeBundle(bom).policy.name).toBe('\uFEFFA');
      const dry = spawnSync(enforcer, ['--dry-run', ...homeArg, writeBundle(bom), '--', 'true']);
      expect(dry.stdout.subarray(0, 23).toString('latin1')).toBe('bundle: policy \xef\xbb\xbfA, ir');
    });
    it('structure: repeated, missing and out-of-range fields', () => {
      const good = decodeBundle(bytesOf(agent));
      const variants: [string, (b: ReturnType<typeof decodeBundle>) => void][] = [
        ['no seccomp', (b) => (b.seccomp = [])],
        ['two programs for one arch', (b) => b.seccomp.push(b.seccomp[0]!)],
        ['too many rlimits', (b) => (b.rlimits = Array.from({ length: 17 }, () => ({ resource: 7, value: 1n })))],
        ['param without default', (b) => b.params.forEach((p) => delete p.default)],
        ['an rlimit of 0 open files', (b) => (b.rlimits = [{ resource: 7, value: 0n }])],
        ['RLIM_INFINITY', (b) => (b.rlimits = [{ resource: 9, value: (1n << 64n) - 1n }])],
        ['more processes than PID_MAX_LIMIT', (b) => (b.rlimits = [{ resource: 6, value: (1n << 22n) + 1n }])],
        ['an rlimit resource bundles do not set (RLIMIT_CORE)', (b) => (b.rlimits = [{ resource: 4, value: 1n }])],
        ['rlimits out of order', (b) => (b.rlimits = [{ resource: 9, value: 1n << 30n }, { resource: 7, value: 64n }])],
        ['rlimits at their bounds', (b) => (b.rlimits = [{ resource: 0, value: 1n << 32n }, { resource: 6, value: 1n << 22n }, { resource: 7, value: 1n }, { resource: 9, value: 4096n }])],
        ['a beneath grant with excludes', (b) => (b.landlock.grants.find((g) => g.mode === 'beneath')!.exclude = ['/x'])],
      ];
      for (const [what, change] of variants) {
        const b = structuredClone(good);
        change(b);
        expect(agrees(encodeBundle(b), what), what).toBe(what === 'rlimits at their bounds' || what === 'param without default');
      }
      const bytes = Buffer.from(encodeBundle(good));
      // A repeated policy section: the first section again, appended.
      const len = bytes.readUInt32LE(20);
      const first = bytes.subarray(16, 16 + 8 + len + ((8 - (len % 8)) % 8));
      const body = bytes.subarray(0, bytes.length - 40);
      const digest = bytes.subarray(bytes.length - 40);
      const dup = Buffer.concat([body, first, digest]);
      dup.writeUInt32LE(bytes.readUInt32LE(8) + 1, 8);
      expect(agrees(resealed(dup), 'repeated section')).toBe(false);
      // A missing section: drop the first one.
      const missing = Buffer.concat([bytes.subarray(0, 16), bytes.subarray(16 + first.length)]);
      missing.writeUInt32LE(bytes.readUInt32LE(8) - 1, 8);
      expect(agrees(resealed(missing), 'missing section')).toBe(false);
    });
  });

  describe('fails closed', () => {
    const marker = path.join(ws, 'marker-failclosed');
    const touch = ['/bin/sh', '-c', `echo ran > ${marker}`];
    it('a kernel below the required Landlock ABI', () => {
      const abi = Number(spawnSync(enforcer, ['--dry-run', ...homeArg, agent, '--', 'true'], { encoding: 'utf8' }).stdout.match(/kernel ABI (\d+)/)?.[1]);
      expect(abi).toBeGreaterThanOrEqual(1);
      // The language caps landlock_min_abi at the ABIs mxcc knows; a future requirement is set in the IR.
      const b = bundleFor(agentPolicy('target linux { landlock_min_abi 7 }'), (ir) => {
        ir.targets.linux!.settings.landlock_min_abi = abi + 2;
      });
      const r = enforce(b, touch, { args: homeArg });
      expect(r.status).toBe(REFUSED);
      expect(r.stderr).toMatch(new RegExp(`^mxc-enforce: landlock: .*requires Landlock ABI ${abi + 2}; this kernel has ${abi}`));
      expect(existsSync(marker)).toBe(false);
    });
    it('a --param that violates not under, also as an ancestor', () => {
      for (const value of ['/usr/lib', '/etc', '/']) {
        const r = enforce(agent, touch, { args: [...homeArg, '--param', `workspace=${value}`] });
        expect(r.status, value).toBe(REFUSED);
        expect(r.stderr).toMatch(/^mxc-enforce: params: .*not under/);
      }
      expect(existsSync(marker)).toBe(false);
    });
    it('a --param that is not a normalized absolute path, or does not exist', () => {
      for (const value of ['relative', `${ws}/../ws`, `${ws}/*`, `${root}/missing`]) {
        const r = enforce(agent, touch, { args: [...homeArg, '--param', `workspace=${value}`] });
        expect(r.status, value).toBe(REFUSED);
      }
      expect(existsSync(marker)).toBe(false);
    });
    it('a kept capability that would undo an inaccessible mask (CAP_DAC_OVERRIDE)', () => {
      const b = bundleFor(agentPolicy('process { capabilities CAP_DAC_OVERRIDE }'));
      const r = enforce(b, touch, { args: homeArg });
      expect(r.status).toBe(REFUSED);
      expect(r.stderr).toMatch(/^mxc-enforce: masks: .*CAP_DAC_OVERRIDE/);
      expect(existsSync(marker)).toBe(false);
    });
    it('an unknown --param, and a missing value for a used param', () => {
      let r = enforce(agent, touch, { args: [...homeArg, '--param', 'nosuch=1'] });
      expect(r.status).toBe(REFUSED);
      expect(r.stderr).toMatch(/no such param/);
      r = enforce(agent, touch); // home defaults to /home/agent, which does not exist here
      expect(r.status).toBe(REFUSED);
      expect(existsSync(marker)).toBe(false);
    });
  });

  describe('enforces the policy', () => {
    it('reading a file outside the grants: EACCES', () => {
      const file = path.join(outside, 'secret.txt');
      expect(run(['cat', file]).stdout).toBe('outside secret\n');
      const r = enforce(agent, ['cat', file], { args: homeArg });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/Permission denied/);
    });

    it('an fd its caller left open (no close-on-exec) does not reach the command: it inherits 0, 1 and 2 only', () => {
      const file = path.join(outside, 'secret.txt');
      // The caller opens the secret as fd 7 and fd 1500; the command reads them if it has them.
      const launch = (inner: string[]) => run(['bash', '-c', `ulimit -n 4096; exec 7<"$0" 1500<"$0"; exec "$@"`, file, ...inner]);
      const reader = ['bash', '-c', 'cat <&7; cat <&1500'];
      expect(launch(reader).stdout).toBe('outside secret\noutside secret\n');
      const r = launch([enforcer, ...homeArg, agent, '--', ...reader]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/7: Bad file descriptor/);
      expect(r.stderr).toMatch(/1500: Bad file descriptor/);
    });

    it('a carved-out ~/.ssh/id_rsa under an allowed home', () => {
      const key = path.join(home, '.ssh', 'id_rsa');
      expect(run(['cat', key]).stdout).toBe('PRIVATE KEY\n');
      const allowed = enforce(agent, ['cat', path.join(home, 'notes.txt')], { args: homeArg });
      expect(allowed.stdout, allowed.stderr).toBe('notes\n');
      const r = enforce(agent, ['cat', key], { args: homeArg });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/Permission denied/);
    });

    it('wildcard grants are expanded at launch, minus their excludes', () => {
      const data = path.join(root, 'data');
      mkdirSync(path.join(data, 'x', 'y'), { recursive: true });
      const files: Record<string, string> = { 'a.txt': 'a', 'secret1.txt': 's', 'b.md': 'b', 'x/y/z.log': 'z', 'x/[q].txt': 'q' };
      for (const [f, c] of Object.entries(files)) writeFileSync(path.join(data, f), c);
      // The deny may overlap the param-rooted hierarchies too, where it can only be masked (accepted).
      const b = bundleFor(agentPolicy(`target linux { accept weaker "${data}/secret*" }`, `allow read "${data}/*.txt", "${data}/**/*.log"
    deny read "${data}/secret*"`));
      const dry = enforce(b, ['true'], { args: [...homeArg, '--dry-run'] });
      expect(dry.stdout).toContain(`landlock rule: file ${data}/a.txt read_file`);
      expect(dry.stdout).toContain(`landlock rule: file ${data}/x/y/z.log read_file`);
      expect(dry.stdout).not.toContain('secret1');
      for (const [f, c] of Object.entries(files)) {
        expect(run(['cat', path.join(data, f)]).stdout).toBe(c);
        const r = enforce(b, ['cat', path.join(data, f)], { args: homeArg });
        const allowed = f === 'a.txt' || f === 'x/y/z.log';
        expect(r.stdout, `${f}: ${r.stderr}`).toBe(allowed ? c : '');
      }
    });

    it('a pattern with many stars against a long name stays fast (found by the bundle fuzzer)', () => {
      // seg_match used to backtrack recursively on each `*`: k stars against an n-byte name cost
      // O(n^k), so one crafted pattern and one long file name hung the launch.
      const dir = path.join(root, 'stars');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'a'.repeat(250)), '');
      writeFileSync(path.join(dir, `${'a'.repeat(30)}c`), '');
      writeFileSync(path.join(dir, 'xac'), '');
      const b = decodeBundle(bytesOf(agent));
      b.landlock.grants.push({ mode: 'expand', rights: 4n, pattern: `${dir}/${'*a'.repeat(15)}*c`, carve: [], exclude: [] });
      b.masks.push({ pattern: `${dir}/${'*a'.repeat(15)}*`, rights: 4n });
      const started = Date.now();
      const r = spawnSync(enforcer, ['--dry-run', ...homeArg, writeBundle(encodeBundle(b)), '--', 'true'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr || 'timed out').toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.stdout).toContain(`landlock rule: file ${dir}/${'a'.repeat(30)}c read_file`);
      expect(r.stdout).not.toContain(`${dir}/xac`);
    });

    it('writing outside the workspace', () => {
      const target = path.join(outside, 'written.txt');
      const inside = path.join(ws, 'written.txt');
      expect(run(['/bin/sh', '-c', `echo x > ${target}`]).status).toBe(0);
      rmSync(target);
      const ok = enforce(agent, ['/bin/sh', '-c', `echo x > ${inside}`], { args: homeArg });
      expect(ok.status, ok.stderr).toBe(0);
      const r = enforce(agent, ['/bin/sh', '-c', `echo x > ${target}`], { args: homeArg });
      expect(r.status).not.toBe(0);
      expect(existsSync(target)).toBe(false);
    });

    it('executing a binary copied into a non-exec directory', () => {
      const copy = path.join(ws, 'mytrue');
      copyFileSync('/bin/true', copy);
      chmodSync(copy, 0o755);
      expect(run([copy]).status).toBe(0);
      const r = enforce(agent, [copy], { args: homeArg });
      expect(r.status).toBe(126);
      expect(r.stderr).toMatch(/Permission denied/);
    });

    it('a masked .env (deny read): EACCES for root without capabilities, not empty content', () => {
      const env = path.join(ws, '.env');
      expect(run(['cat', env]).stdout).toBe('TOKEN=hunter2\n');
      expect(process.getuid?.(), 'root inside must be refused by the mode, not by the uid').toBe(0);
      const r = enforce(agent, ['cat', env], { args: homeArg });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/Permission denied/);
      // The mask is a mount point: it cannot be removed or renamed to get at the file.
      const w = enforce(agent, ['/bin/sh', '-c', `echo x > ${env}; rm -f ${env}; mv ${env} ${ws}/moved.env; cat ${ws}/moved.env ${env}`], { args: homeArg });
      expect(w.status).not.toBe(0);
      expect(w.stdout).toBe('');
      expect(w.stderr).toMatch(/cannot create .*Read-only file system/);
      expect(w.stderr.match(/Device or resource busy/g)?.length, w.stderr).toBe(2);
      expect(w.stderr).toMatch(/\.env: Permission denied/);
      expect(readFileSync(env, 'utf8')).toBe('TOKEN=hunter2\n');
      expect(existsSync(path.join(ws, 'moved.env'))).toBe(false);
    });

    it('plans and runs the same with a 1 KiB allocation arena (blocks from the heap, growing blocks moving out of the arena)', () => {
      execFileSync('make', ['-C', path.join(repo, 'enforcer'), 'small-arena'], { stdio: 'pipe' });
      const small = path.join(repo, 'enforcer', 'mxc-enforce-small-arena');
      mkdirSync(path.join(ws, 'arena', 'a', 'b'), { recursive: true });
      for (const f of ['a/.env', 'a/b/.env', 'a/b/.env.local', '.env.prod']) writeFileSync(path.join(ws, 'arena', f), 'S=1\n');
      const masks = bundleFor(agentPolicy('', `deny read, list "\${workspace}/arena/a/b/**"`));
      for (const b of [agent, masks]) {
        const args = ['--dry-run', ...homeArg, b, '--', 'true'];
        const normal = spawnSync(enforcer, args, { encoding: 'utf8' });
        const tiny = spawnSync(small, args, { encoding: 'utf8' });
        expect(normal.status, normal.stderr).toBe(0);
        expect(normal.stdout).toMatch(/^mask: .*arena/m);
        expect(tiny.stderr).toBe(normal.stderr);
        expect(tiny.stdout).toBe(normal.stdout);
      }
      const r = spawnSync(small, [...homeArg, masks, '--', '/bin/sh', '-c', `cat ${ws}/readme.txt; cat ${ws}/arena/a/.env; ls ${ws}/arena/a/b`], { encoding: 'utf8' });
      expect(r.stdout).toBe('readme\n');
      expect(r.stderr).toMatch(/arena\/a\/\.env: Permission denied/);
      expect(r.stderr).toMatch(/arena\/a\/b.*Permission denied/);
    });

    it('a masked directory (deny read, list of ~/.ssh, which exists): EACCES on listing and entering it', () => {
      expect(run(['ls', path.join(home, '.ssh')]).stdout).toBe('id_rsa\n');
      const dry = enforce(agent, ['true'], { args: [...homeArg, '--dry-run'] });
      expect(dry.stdout).toContain(`mask: ${home}/.ssh inaccessible`);
      const r = enforce(agent, ['/bin/sh', '-c', `ls ${home}/.ssh; cat ${home}/.ssh/id_rsa; cd ${home}/.ssh || echo no cd`], { args: homeArg });
      expect(r.stdout).toBe('no cd\n');
      expect(r.stderr.match(/Permission denied/g)?.length, r.stderr).toBe(2);
      const other = enforce(agent, ['/bin/sh', '-c', `cat ${home}/notes.txt`], { args: homeArg });
      expect(other.stdout, other.stderr).toBe('notes\n');
    });

    it('a literal deny that exists is masked, not carved: files created later next to it are granted', () => {
      const dir = path.join(ws, 'proj');
      mkdirSync(path.join(dir, 'private'), { recursive: true });
      writeFileSync(path.join(dir, 'private', 'key'), 'k\n');
      const b = bundleFor(agentPolicy('', `deny read, list "\${workspace}/proj/private/**"`));
      const dry = enforce(b, ['true'], { args: [...homeArg, '--dry-run'] });
      expect(dry.stdout).toContain(`mask: ${dir}/private inaccessible, subtree`);
      expect(dry.stdout).toContain(`landlock rule: beneath ${ws} `);
      const r = enforce(b, ['/bin/sh', '-c', `mkdir ${dir}/new && echo fresh > ${dir}/new/f && cat ${dir}/new/f; cat ${dir}/private/key; rm -rf ${dir}/private`], { args: homeArg });
      expect(r.stdout).toBe('fresh\n');
      expect(r.stderr).toMatch(/key: Permission denied/);
      expect(readFileSync(path.join(dir, 'private', 'key'), 'utf8')).toBe('k\n');
    });

    it('a deny written through a symlink is masked where the file is (review finding)', () => {
      // The grant and the (wildcard, so masked) deny name the path through the link; the grant
      // is canonicalized, so the mask pattern must be too.
      const top = mkdtempSync(path.join(tmpdir(), 'mxcc-linked-'));
      mkdirSync(path.join(top, 'real'));
      writeFileSync(path.join(top, 'real', 'secret'), 'through-link\n');
      writeFileSync(path.join(top, 'real', 'public'), 'public\n');
      symlinkSync('real', path.join(top, 'link'));
      const b = bundleFor(`import "std/linux-runtime.mxc"
policy linked extends linux_runtime {
  fs {
    allow read "${top}/link/**"
    deny read "${top}/link/sec*"
  }
  target linux { accept weaker "${top}/link/sec*" }
}`);
      expect(run(['cat', path.join(top, 'link', 'secret')]).stdout).toBe('through-link\n');
      try {
        const r = enforce(b, ['/bin/sh', '-c', `cat ${top}/link/public; cat ${top}/link/secret; cat ${top}/real/secret`]);
        expect(r.stdout).toBe('public\n');
        expect(r.stderr.match(/Permission denied/g)?.length, r.stderr).toBe(2);
      } finally {
        rmSync(top, { recursive: true, force: true });
      }
    });

    it('a mask whose match is a symlink (.git/hooks -> elsewhere) masks the target (review finding)', () => {
      const repo = path.join(ws, 'linked-hooks');
      mkdirSync(path.join(repo, '.git', 'myhooks'), { recursive: true });
      symlinkSync('myhooks', path.join(repo, '.git', 'hooks'));
      const b = bundleFor(agentPolicy('target linux { accept weaker "**/.git/hooks/**" }', 'deny write, create, delete "**/.git/hooks/**"'));
      expect(run(['/bin/sh', '-c', `echo x > ${repo}/.git/hooks/probe && rm ${repo}/.git/hooks/probe`]).status).toBe(0);
      const r = enforce(b, ['/bin/sh', '-c', `echo x > ${repo}/.git/hooks/pre-commit`], { args: homeArg });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Read-only file system/);
      expect(existsSync(path.join(repo, '.git', 'myhooks', 'pre-commit'))).toBe(false);
    });

    it('a directory that can be entered but not listed under a mask pattern is masked whole (review finding)', () => {
      // As a user without capabilities: names below a mode-0311 directory can be opened unseen.
      const top = mkdtempSync(path.join(tmpdir(), 'mxcc-unlisted-'));
      const priv = path.join(top, 'priv');
      mkdirSync(priv);
      writeFileSync(path.join(priv, '.env'), 'ENV\n');
      chmodSync(top, 0o755);
      chmodSync(priv, 0o311);
      const b = path.join(top, 'bundle.mxcb');
      copyFileSync(
        bundleFor(`import "std/linux-runtime.mxc"
policy unlisted extends linux_runtime {
  fs {
    allow read "${top}/**"
    deny read "**/.env"
  }
  target linux { accept weaker "**/.env" }
}`),
        b,
      );
      chmodSync(b, 0o644);
      try {
        const asNobody = (...args: string[]) => run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', enforcer, ...args]);
        expect(run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'cat', path.join(priv, '.env')]).stdout).toBe('ENV\n');
        expect(asNobody('--dry-run', b, '--', 'true').stdout).toContain(`mask: ${priv} inaccessible, subtree`);
        const r = asNobody(b, '--', 'cat', path.join(priv, '.env'));
        expect(r.status, r.stderr).not.toBe(0);
        expect(r.stderr).toMatch(/Permission denied/);
        expect(r.stdout).toBe('');
      } finally {
        // Left behind, it would refuse every unprivileged launch that walks /tmp.
        rmSync(top, { recursive: true, force: true });
      }
    });

    it('a symlink planted where an expand grant matches grants nothing outside the pattern (review finding)', () => {
      // A previous run left ws/planted/README -> outside/secret.txt; an expand grant on
      // ${workspace}/*/README must not turn into a rule on the link's target.
      const dir = path.join(ws, 'planted');
      mkdirSync(dir, { recursive: true });
      symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'README'));
      try {
        expect(run(['cat', path.join(dir, 'README')]).stdout).toBe('outside secret\n');
        const b = bundleFor(agentPolicy('', 'allow read "${workspace}/*/README"'));
        const dry = enforce(b, ['true'], { args: [...homeArg, '--dry-run'] });
        expect(dry.stdout).not.toContain(`file ${outside}/secret.txt`);
        const r = enforce(b, ['/bin/sh', '-c', `cat ${dir}/README; cat ${outside}/secret.txt`], { args: homeArg });
        expect(r.stdout).toBe('');
        expect(r.stderr.match(/Permission denied/g)?.length, r.stderr).toBe(2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a symlink planted under a writable grant does not carry a nested grant out of it (review finding)', () => {
      // An earlier run (or anyone) left ws/cache -> outside; the nested grant on ${workspace}/cache
      // must not become a grant on outside: the launch is refused, naming the link.
      const top = mkdtempSync(path.join(root, 'nested-'));
      const work = path.join(top, 'ws');
      const cache = path.join(work, 'cache');
      mkdirSync(work);
      const b = bundleFor(`import "std/linux-runtime.mxc"
policy nested extends linux_runtime {
  param workspace: path
  fs {
    allow read, write "\${workspace}/**"
    allow read, list "\${workspace}/cache/**"
  }
}`);
      const args = ['--param', `workspace=${work}`];
      try {
        mkdirSync(cache);
        writeFileSync(path.join(cache, 'f'), 'cached\n');
        const control = enforce(b, ['/bin/sh', '-c', `ls ${cache}; cat ${outside}/secret.txt`], { args });
        expect(control.stdout, control.stderr).toBe('f\n');
        expect(control.stderr).toMatch(/Permission denied/);
        rmSync(cache, { recursive: true });
        symlinkSync(outside, cache);
        expect(run(['cat', path.join(cache, 'secret.txt')]).stdout).toBe('outside secret\n');
        const dry = enforce(b, ['true'], { args: [...args, '--dry-run'] });
        expect(dry.stdout).not.toContain(`beneath ${outside}`);
        const r = enforce(b, ['/bin/sh', '-c', `cat ${cache}/secret.txt; echo ran`], { args });
        expect(r.status, r.stdout + r.stderr).toBe(REFUSED);
        expect(r.stdout).toBe('');
        expect(r.stderr.replace(STRERROR.EXDEV, 'EXDEV')).toBe(
          `mxc-enforce: plan: EXDEV (grant "\${workspace}/cache/**": ${cache} leads out of ${work}, where the sandbox may write, through a symlink; remove the link, or grant its target by name)\n`,
        );
        // The same through an exact grant on a file below the link.
        const exact = bundleFor(`import "std/linux-runtime.mxc"
policy nested_file extends linux_runtime {
  param workspace: path
  fs {
    allow read, write "\${workspace}/**"
    allow read "\${workspace}/cache/secret.txt"
  }
}`);
        const f = enforce(exact, ['cat', `${cache}/secret.txt`], { args });
        expect(f.status, f.stdout + f.stderr).toBe(REFUSED);
        expect(f.stdout).toBe('');
        expect(f.stderr).toMatch(/^mxc-enforce: plan: .*leads out of/);
      } finally {
        rmSync(top, { recursive: true, force: true });
      }
    });

    it('a literal deny that does not exist at launch is carved out instead', () => {
      const b = bundleFor(agentPolicy('', `deny read "~/vault/**"`));
      const dry = enforce(b, ['true'], { args: [...homeArg, '--dry-run'] });
      expect(dry.stdout).not.toContain(`mask: ${home}/vault`);
      expect(dry.stdout).toContain(`landlock rule: beneath ${home}/notes.txt`);
      expect(dry.stdout).not.toContain(`landlock rule: beneath ${home} `);
    });

    it('deny delete, refer "**/.git": git works inside .git, but .git cannot be removed or renamed', () => {
      const repo = path.join(ws, 'repo');
      for (const d of ['.git/objects/ab', '.git/hooks', '.git/refs/heads']) mkdirSync(path.join(repo, d), { recursive: true });
      writeFileSync(path.join(repo, '.git', 'config'), '[core]\n');
      writeFileSync(path.join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
      writeFileSync(path.join(repo, '.git', 'hooks', 'pre-commit.sample'), '#!/bin/sh\n');
      const b = bundleFor(agentPolicy('target linux { accept weaker "**/.git", "**/.git/hooks/**", "**/.git/config" }', `allow refer "\${workspace}/**"
    deny delete, refer "**/.git"
    deny write, create, delete, truncate, refer "**/.git/hooks/**", "**/.git/config"`));
      const dry = enforce(b, ['true'], { args: [...homeArg, '--dry-run'] });
      expect(dry.stdout).toContain(`mask: ${repo}/.git mount point`);
      expect(dry.stdout).toContain(`mask: ${repo}/.git/hooks read-only, subtree`);
      expect(dry.stdout).toContain(`mask: ${repo}/.git/config read-only`);
      // What git does to commit: write an object through a temporary name, rename it into place, update a ref via a lock file.
      const git = [
        `cd ${repo}`,
        'echo blob > .git/objects/ab/tmp_obj && mv .git/objects/ab/tmp_obj .git/objects/ab/cdef',
        'mkdir .git/objects/cd && echo x > .git/objects/cd/ef',
        'echo 0123 > .git/refs/heads/main.lock && mv .git/refs/heads/main.lock .git/refs/heads/main',
        'echo "ref: refs/heads/dev" > .git/HEAD',
        'cat .git/config .git/hooks/pre-commit.sample',
      ].join(' && ');
      const ok = enforce(b, ['/bin/sh', '-c', git], { args: homeArg });
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toBe('[core]\n#!/bin/sh\n');
      expect(readFileSync(path.join(repo, '.git', 'objects', 'ab', 'cdef'), 'utf8')).toBe('blob\n');
      // Unsandboxed the attacks work (on a copy), sandboxed they fail.
      const copy = path.join(root, 'repo-copy');
      execFileSync('cp', ['-a', repo, copy]);
      expect(run(['/bin/sh', '-c', `cd ${copy} && mv .git x && mv x .git && rm -rf .git`]).status).toBe(0);
      for (const attack of ['mv .git moved', 'rm -rf .git', 'echo evil > .git/hooks/pre-commit', 'echo evil >> .git/config', 'rm .git/config', 'mv .git/hooks h']) {
        const r = enforce(b, ['/bin/sh', '-c', `cd ${repo} && ${attack}`], { args: homeArg });
        expect(r.status, `${attack}: ${r.stderr}`).not.toBe(0);
        expect(r.stderr, attack).toMatch(/busy|Read-only file system/);
      }
      expect(existsSync(path.join(repo, '.git'))).toBe(true);
      expect(existsSync(path.join(repo, 'moved'))).toBe(false);
      expect(readFileSync(path.join(repo, '.git', 'config'), 'utf8')).toBe('[core]\n');
      expect(existsSync(path.join(repo, '.git', 'hooks', 'pre-commit'))).toBe(false);
      expect(existsSync(path.join(repo, '.git', 'hooks', 'pre-commit.sample'))).toBe(true);
    });

    it('a child allowing read "/proc/**" under std/linux-runtime: forked processes read their own /proc, /proc/kcore stays denied', () => {
      const b = bundleFor(agentPolicy('', 'allow read, list "/proc/**"'));
      const dry = enforce(b, ['true'], { args: [...homeArg, '--dry-run'] });
      expect(dry.stdout).toContain('landlock rule: beneath /proc ');
      // std/linux-runtime denies reading both; whichever exists here is masked (a container may have no kcore).
      const present = ['/proc/kcore', '/proc/kallsyms'].filter((f) => existsSync(f));
      expect(present.length).toBeGreaterThan(0);
      for (const f of present) {
        expect(dry.stdout).toContain(`mask: ${f} inaccessible`);
        expect(run(['/bin/sh', '-c', `head -c 4 ${f} | wc -c`]).stdout.trim(), `${f} unsandboxed`).toBe('4');
        const k = enforce(b, ['/bin/sh', '-c', `head -c 4 ${f}`], { args: homeArg });
        expect(k.status).not.toBe(0);
        expect(k.stderr).toMatch(/Permission denied/);
      }
      const r = enforce(b, ['/bin/sh', '-c', 'cat /proc/self/status | grep -c "^Pid:"; cat /proc/$$/status | grep -c "^Pid:"'], { args: homeArg });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('1\n1\n');
    });

    it('ptrace and unshare are denied by seccomp', () => {
      for (const what of ['ptrace', 'unshare']) {
        expect(run([attack, what]).stdout, `${what} unsandboxed`).toBe('ok\n');
        const r = enforce(agent, [attack, what], { args: homeArg });
        expect(r.stdout, `${what} sandboxed: ${r.stderr}`).toBe(`errno=${EPERM}\n`);
      }
    });

    it('a unix socket granted by its exact path stays connectable; another beside it is covered (review finding)', async () => {
      const dir = path.join(outside, 's2');
      mkdirSync(dir, { recursive: true });
      const servers = [net.createServer((c) => c.end()), net.createServer((c) => c.end())];
      const [granted, other] = [path.join(dir, 's'), path.join(dir, 't')] as const;
      await new Promise<void>((resolve) => servers[0]!.listen(granted, resolve));
      await new Promise<void>((resolve) => servers[1]!.listen(other, resolve));
      try {
        const b = bundleFor(agentPolicy('', `allow read, write "${granted}"`));
        for (const p of [granted, other]) expect(run([attack, 'uconnect', p]).stdout).toBe('ok\n');
        const dry = enforce(b, ['true'], { args: [...homeArg, '--dry-run'] }).stdout;
        expect(dry).not.toContain(`cover: ${granted} `);
        expect(dry).toContain(`cover: ${other} inaccessible (no grant reaches it)`);
        const ok = enforce(b, [attack, 'uconnect', granted], { args: homeArg });
        expect(ok.stdout, ok.stderr).toBe('ok\n');
        const denied = enforce(b, [attack, 'uconnect', other], { args: homeArg });
        expect(denied.stdout, denied.stderr).toBe(`errno=${EACCES}\n`);
      } finally {
        for (const s of servers) s.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("nothing is mounted below a hidden path, even after a sibling whose name sorts between ('-' before '/') (review finding)", async () => {
      // Sorted by strcmp: .../b, .../b-x, .../b/s. The socket in b is hidden with b; the cover
      // for it must not be planned (nor mounted through b's inaccessible node).
      const dir = path.join(ws, 'sorted');
      mkdirSync(path.join(dir, 'b'), { recursive: true });
      const servers = [net.createServer((c) => c.end()), net.createServer((c) => c.end())];
      await new Promise<void>((resolve) => servers[0]!.listen(path.join(dir, 'b-x'), resolve));
      await new Promise<void>((resolve) => servers[1]!.listen(path.join(dir, 'b', 's'), resolve));
      try {
        const b = bundleFor(agentPolicy('', `deny read "\${workspace}/sorted/b/**"`));
        const dry = enforce(b, ['true'], { args: [...homeArg, '--dry-run'] });
        expect(dry.stdout, dry.stderr).toContain(`mask: ${dir}/b inaccessible`);
        expect(dry.stdout).toContain(`cover: ${dir}/b-x inaccessible`);
        expect(dry.stdout).not.toContain(`${dir}/b/s`);
        const r = enforce(b, [attack, 'uconnect', path.join(dir, 'b-x')], { args: homeArg });
        expect(r.stdout, r.stderr).toBe(`errno=${EACCES}\n`);
      } finally {
        for (const s of servers) s.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('no network when the policy has no net rules', async () => {
      const server = net.createServer((s) => s.end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = String((server.address() as net.AddressInfo).port);
      try {
        expect(run([attack, 'connect', port]).stdout).toBe('ok\n');
        const r = enforce(agent, [attack, 'connect', port], { args: homeArg });
        expect(r.stdout, r.stderr).toMatch(/^errno=\d+\n$/);
        expect(r.status).toBe(1);
      } finally {
        server.close();
      }
    });

    it('Landlock TCP port rules in ports mode', async () => {
      const servers = [net.createServer((s) => s.end()), net.createServer((s) => s.end())];
      for (const s of servers) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      const [allowed, other] = servers.map((s) => String((s.address() as net.AddressInfo).port)) as [string, string];
      try {
        const b = bundleFor(agentPolicy(`net { allow connect tcp any:${allowed} }`));
        for (const port of [allowed, other]) expect(run([attack, 'connect', port]).stdout).toBe('ok\n');
        const dry = enforce(b, ['true'], { args: [...homeArg, '--dry-run'] });
        expect(dry.stdout).toContain(`landlock port: ${allowed} connect_tcp`);
        expect(enforce(b, [attack, 'connect', allowed], { args: homeArg }).stdout).toBe('ok\n');
        expect(enforce(b, [attack, 'connect', other], { args: homeArg }).stdout).toBe(`errno=${EACCES}\n`);
        // Landlock checks only sockets of protocol TCP; an MPTCP stream (which falls back to
        // plain TCP with any server) reached every port until seccomp refused it (review finding).
        expect(run([attack, 'connect', other, '262']).stdout, 'MPTCP works on this kernel (net.mptcp.enabled)').toBe('ok\n');
        expect(enforce(b, [attack, 'connect', other, '262'], { args: homeArg }).stdout).toBe(`errno=${EACCES}\n`);
        expect(enforce(b, [attack, 'connect', allowed, '6'], { args: homeArg }).stdout).toBe('ok\n');
        // A TCP Fast Open send connects without connect(2), so Landlock never sees it (review finding).
        expect(run([attack, 'fastopen', other]).stdout, 'TCP Fast Open works on this kernel (net.ipv4.tcp_fastopen)').toBe('ok\n');
        expect(enforce(b, [attack, 'fastopen', other], { args: homeArg }).stdout).toBe(`errno=${EACCES}\n`);
      } finally {
        for (const s of servers) s.close();
      }
    });

    it('scrubs the environment down to the allowlist', () => {
      const env = { SECRET_TOKEN: 'leak', KEEP_ME: 'kept' };
      expect(run(['env'], env).stdout).toContain('SECRET_TOKEN=leak');
      const r = enforce(agent, ['env'], { args: homeArg, env });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('SECRET_TOKEN');
      expect(r.stdout).toContain('KEEP_ME=kept');
      expect(r.stdout).toContain('PATH=');
    });

    it('rlimits: files 16 stops the 32nd open', () => {
      expect(run([attack, 'fds', '32']).stdout).toBe('ok\n');
      expect(enforce(agent, [attack, 'fds', '8'], { args: homeArg }).stdout).toBe('ok\n');
      expect(enforce(agent, [attack, 'fds', '32'], { args: homeArg }).stdout).toBe('errno=24\n'); // EMFILE
    });

    it('drops capabilities: root inside has none', () => {
      const status = run(['/bin/sh', '-c', 'grep -E "^CapEff" /proc/self/status']).stdout;
      expect(status, 'the test runs as root with capabilities').not.toMatch(/:\s+0{16}$/);
      const b = bundleFor(agentPolicy('', 'allow read "/proc/**"'));
      const caps = enforce(b, ['/bin/sh', '-c', 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'], { args: homeArg });
      expect(caps.status, caps.stderr).toBe(0);
      for (const line of caps.stdout.trim().split('\n')) expect(line).toMatch(/:\s+0{16}$/);
    });

    it('keeps the capabilities the policy names, in every set, and drops the rest from the bounding set', () => {
      const b = bundleFor(agentPolicy('process { capabilities CAP_NET_BIND_SERVICE }', 'allow read "/proc/**"'));
      const caps = enforce(b, ['/bin/sh', '-c', 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'], { args: homeArg });
      expect(caps.status, caps.stderr).toBe(0);
      const lines = caps.stdout.trim().split('\n');
      expect(lines.map((l) => l.split(':')[0])).toEqual(['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']);
      for (const line of lines) expect(line).toMatch(/:\s+0{13}400$/); // 1 << CAP_NET_BIND_SERVICE (10)
    });

    it('isolation container: a PID namespace with a fresh /proc; host processes are invisible and unsignallable', () => {
      const host = spawn('sleep', ['60'], { stdio: 'ignore', env: { SECRET_IN_ENV: 'leak' } });
      try {
        const pid = host.pid!;
        const probe = `head -c 3 /proc/kallsyms; kill -0 ${pid} && echo signalled; [ -e /proc/${pid} ] && echo visible; cat /proc/${pid}/environ; echo "me=$$"; grep -c . /proc/1/cmdline >/dev/null && echo has-init; grep " /proc " /proc/self/mountinfo | grep -o "nosuid,nodev,noexec"; exit 3`;
        const plain = run(['/bin/sh', '-c', probe]);
        expect(plain.stdout).toContain('signalled\nvisible\n');
        expect(plain.stdout).toContain('SECRET_IN_ENV=leak');
        const container = bundleFor(agentPolicy('isolation container', 'allow read, list "/proc/**"'));
        const dry = enforce(container, ['true'], { args: [...homeArg, '--dry-run'] });
        expect(dry.stdout).toContain('namespaces: user, mount, ipc, pid (fresh /proc nosuid,nodev,noexec');
        const r = enforce(container, ['/bin/sh', '-c', probe], { args: homeArg });
        expect(r.status, r.stderr).toBe(3);
        expect(r.stdout).toBe('me=2\nhas-init\nnosuid,nodev,noexec\n');
        expect(r.stderr).toMatch(/No such process/);
        expect(r.stderr).toMatch(new RegExp(`/proc/${pid}/environ: No such file or directory`));
        expect(r.stderr, 'masks go on the fresh /proc').toMatch(/kallsyms.*Permission denied/);
        // Process isolation (control): the host process is visible in /proc, and Landlock's scope refuses the signal.
        const proc = bundleFor(agentPolicy('', 'allow read, list "/proc/**"'));
        const p = enforce(proc, ['/bin/sh', '-c', probe], { args: homeArg });
        expect(p.stdout).toContain('visible\n');
        expect(p.stdout).not.toContain('signalled');
        expect(p.stdout).not.toContain('SECRET_IN_ENV');
        expect(p.stderr).toMatch(/Operation not permitted/);
        // Orphans are reaped by the init, and the command's status (or signal) passes through.
        expect(enforce(container, ['/bin/sh', '-c', '(sleep 0.1 &) ; exit 9'], { args: homeArg }).status).toBe(9);
        expect(enforce(container, ['/bin/sh', '-c', 'kill -TERM $$'], { args: homeArg }).status).toBe(128 + 15);
      } finally {
        host.kill('SIGKILL');
      }
    });

    it('passes the exit status through', () => {
      expect(run(['/bin/sh', '-c', 'exit 7']).status).toBe(7);
      expect(enforce(agent, ['/bin/sh', '-c', 'exit 7'], { args: homeArg }).status).toBe(7);
      expect(enforce(agent, ['/bin/sh', '-c', 'kill -TERM $$'], { args: homeArg }).signal).toBe('SIGTERM');
    });

    it('the wall-clock limit kills the command', () => {
      const b = bundleFor(agentPolicy('limits { wall 1s  cpu 1 }'));
      // Timed from the command's own start (it prints the time), so a slow launch on a loaded
      // machine does not count against the limit.
      const launched = Date.now();
      const r = enforce(b, ['/bin/sh', '-c', 'date +%s%3N; exec sleep 30'], { args: homeArg });
      const ended = Date.now();
      expect(r.status, r.stderr).toBe(128 + 9);
      expect(r.stderr).toMatch(/wall-clock limit/);
      expect(ended - launched).toBeGreaterThanOrEqual(1000);
      expect(ended - Number(r.stdout.trim())).toBeLessThan(2500);
      const quick = enforce(b, ['/bin/sh', '-c', 'exit 3'], { args: homeArg });
      expect(quick.status).toBe(3);
      // The command runs in a child: std/linux-runtime's "/proc/self/fd/**" is its own, not the supervisor's.
      const fds = enforce(b, ['ls', '/proc/self/fd'], { args: homeArg });
      expect(fds.status, fds.stderr).toBe(0);
      expect(fds.stdout).toMatch(/^0\n1\n2\n/);
    });
  });

  it('max_processes as root: what the command leaves in its pids cgroup is killed and the cgroup removed, even when the enforcer inherits SIGCHLD ignored (review finding)', () => {
    // With SIGCHLD ignored (inherited across exec) the kernel reaps the child itself, so waiting
    // for it fails: the enforcer must still empty and remove the cgroup, and pass the status on.
    const b = bundleFor(`import "std/linux-runtime.mxc"
policy pids extends linux_runtime {
  process { max_processes 64 }
}`);
    const ignoring = ['perl', '-e', '$SIG{CHLD} = "IGNORE"; exec @ARGV or die "exec: $!"', '--'];
    const cmd = ['/bin/sh', '-c', 'sleep 1000 >/dev/null 2>&1 & echo $!; exit 3'];
    const cgroups = (pid: number): string[] =>
      ['/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/pids']
        .map((m) => run(['find', m, '-maxdepth', '6', '-type', 'd', '-name', `mxc-enforce.${pid}`]).stdout.trim())
        .filter(Boolean);
    const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    // Unsandboxed, the background sleep outlives the shell.
    const plain = run([...ignoring, ...cmd]);
    const orphan = Number(plain.stdout.trim());
    expect(alive(orphan), plain.stderr).toBe(true);
    process.kill(orphan, 'SIGKILL');
    const r = run([...ignoring, enforcer, b, '--', ...cmd]);
    const left = Number(r.stdout.trim());
    const leftCgroups = cgroups(r.pid);
    try {
      expect(r.status, r.stderr).toBe(3);
      expect(left).toBeGreaterThan(0);
      expect(alive(left), 'the background sleep was killed with its cgroup').toBe(false);
      expect(leftCgroups).toEqual([]);
    } finally {
      if (left > 0 && alive(left)) process.kill(left, 'SIGKILL');
      for (const c of leftCgroups) spawnSync('rmdir', [c]);
    }
  });

  it('isolation session: the exit status passes through when the enforcer inherits SIGCHLD ignored, and the command inherits it as it was (review finding)', () => {
    // The PID namespace path waits twice (the outer process for PID 1, PID 1 for the command):
    // with SIGCHLD ignored the kernel reaps the children itself and waitpid fails (ECHILD).
    const b = bundleFor(`import "std/linux-runtime.mxc"
policy session extends linux_runtime {
  isolation session
}`);
    const ignoring = ['perl', '-e', '$SIG{CHLD} = "IGNORE"; exec @ARGV or die "exec: $!"', '--'];
    const r = run([...ignoring, enforcer, b, '--', '/bin/sh', '-c', 'exit 7']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(7);
    const sigign = (out: string): bigint => BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)$/m.exec(out)![1]}`);
    const status = run([...ignoring, enforcer, b, '--', 'cat', '/proc/self/status']);
    expect(status.status, status.stderr).toBe(0);
    expect(sigign(status.stdout) & (1n << 16n), 'SIGCHLD (17) still ignored in the command').toBe(1n << 16n);
    expect(sigign(run([enforcer, b, '--', 'cat', '/proc/self/status']).stdout) & (1n << 16n)).toBe(0n);
  });

  it('--audit: a syscall the filter denies runs and the kernel logs it; Landlock stays enforced', async () => {
    // Where the records land here: no auditd listens on the audit netlink socket, so the kernel
    // prints audit records to its log (/dev/kmsg, read with dmesg), rate-limited by printk.
    const ptraceNr = process.arch === 'x64' ? 101 : 117;
    expect(enforce(agent, [attack, 'ptrace'], { args: homeArg }).stdout).toBe(`errno=${EPERM}\n`);
    const dry = enforce(agent, ['true'], { args: [...homeArg, '--audit', '--dry-run'] });
    expect(dry.stdout).toMatch(/^audit: \d+ seccomp returns other than allow rewritten to SECCOMP_RET_LOG.*still enforced: Landlock/m);
    let found = false;
    for (let attempt = 0; attempt < 3 && !found; attempt++) {
      if (attempt) await new Promise((resolve) => setTimeout(resolve, 5500)); // printk's rate limit window
      const r = enforce(agent, [attack, 'ptrace'], { args: [...homeArg, '--audit'] });
      expect(r.stdout, r.stderr).toBe('ok\n');
      const log = run(['dmesg']).stdout;
      found = new RegExp(`type=1326 .* pid=${r.pid} .* syscall=${ptraceNr} .*code=0x7ffc0000`).test(log);
    }
    expect(found, 'a SECCOMP_RET_LOG audit record for the ptrace call in the kernel log').toBe(true);
    // Landlock is not relaxed: a file outside the grants is still refused.
    const denied = enforce(agent, ['cat', path.join(outside, 'secret.txt')], { args: [...homeArg, '--audit'] });
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toMatch(/Permission denied/);
  });

  it('--dry-run names each step and runs nothing', () => {
    const marker = path.join(ws, 'marker-dry');
    const r = enforce(agent, ['/bin/sh', '-c', `echo ran > ${marker}`], { args: [...homeArg, '--dry-run'] });
    expect(r.status, r.stderr).toBe(0);
    for (const step of ['rlimits:', 'namespaces:', 'mask:', 'capabilities:', 'no_new_privs:', 'landlock:', 'landlock rule:', 'seccomp:', 'env:', 'exec:']) {
      expect(r.stdout).toContain(step);
    }
    expect(r.stdout).toContain(`mask: ${ws}/.env inaccessible (denies read_file)`);
    expect(r.stdout).toContain(`mask: ${home}/.ssh inaccessible, subtree`);
    expect(r.stdout).not.toContain(`landlock rule: beneath ${home}/.ssh`);
    expect(existsSync(marker)).toBe(false);
  });
});

/**
 * Races between planning and launching, made deterministic with the test build
 * (`make -C enforcer test-hooks`, MXC_TEST_HOOKS): MXC_TEST_STOP_AFTER_PLAN stops it with SIGSTOP
 * once every grant and mask is planned; the test changes the tree, then continues it.
 */
describe('mxc-enforce: the tree changes between planning and launching (review finding)', () => {
  const hooked = path.join(repo, 'enforcer', 'mxc-enforce-test-hooks');
  let dir: string;
  beforeAll(() => {
    execFileSync('make', ['-C', path.join(repo, 'enforcer'), 'test-hooks'], { stdio: 'pipe' });
  });

  async function racing(
    bundle: string,
    cmd: string[],
    args: string[],
    meanwhile: () => void,
    stop: NodeJS.ProcessEnv = { MXC_TEST_STOP_AFTER_PLAN: '1' },
  ): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const child = spawn(hooked, [...args, bundle, '--', ...cmd], { env: { PATH: process.env.PATH, ...stop }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const state = (): string => {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    };
    for (let waited = 0; state() !== 'T'; waited += 5) {
      if (waited > 20_000) throw new Error(`the enforcer did not stop after planning: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    meanwhile();
    process.kill(child.pid!, 'SIGCONT');
    const status = await closed;
    return { status, stdout, stderr };
  }

  beforeEach(() => {
    dir = path.join(ws, 'race');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.join(dir, 'private'), { recursive: true });
    writeFileSync(path.join(dir, 'private', 'key'), 'race-key\n');
  });
  afterAll(() => rmSync(path.join(ws, 'race'), { recursive: true, force: true }));

  const masked = (): string => bundleFor(agentPolicy('', `deny read, list "\${workspace}/race/private/**"`));

  it('nothing changed: the stopped launch goes on (control)', async () => {
    const r = await racing(masked(), ['/bin/sh', '-c', `cat ${dir}/private/key; echo ran`], homeArg, () => {});
    expect(r.stdout, r.stderr).toBe('ran\n');
    expect(r.stderr).toMatch(/key: Permission denied/);
  });

  it('a masked directory renamed away: refused, not skipped', async () => {
    const r = await racing(masked(), ['cat', `${dir}/moved/key`], homeArg, () => renameSync(path.join(dir, 'private'), path.join(dir, 'moved')));
    expect(r.stdout).toBe('');
    expect(r.status, r.stderr).toBe(REFUSED);
    expect(r.stderr).toMatch(new RegExp(`^mxc-enforce: masks: No such file or directory \\(open ${dir}/private, planned to be masked`));
  });

  it('a masked directory swapped for a symlink to it: refused', async () => {
    const r = await racing(masked(), ['cat', `${dir}/real/key`], homeArg, () => {
      renameSync(path.join(dir, 'private'), path.join(dir, 'real'));
      symlinkSync('real', path.join(dir, 'private'));
    });
    expect(r.stdout).toBe('');
    expect(r.status, r.stderr).toBe(REFUSED);
    expect(r.stderr.replace(STRERROR.ELOOP, 'ELOOP')).toMatch(/^mxc-enforce: masks: ELOOP \(.*planned to be masked, is a symlink now/);
  });

  it('a masked directory renamed away and another made in its place: refused', async () => {
    const r = await racing(masked(), ['cat', `${dir}/moved/key`], homeArg, () => {
      renameSync(path.join(dir, 'private'), path.join(dir, 'moved'));
      mkdirSync(path.join(dir, 'private'));
    });
    expect(r.stdout).toBe('');
    expect(r.status, r.stderr).toBe(REFUSED);
    expect(r.stderr).toMatch(/^mxc-enforce: masks: Stale file handle \(.*planned to be masked, is another file now/);
  });

  it('a read-only masked directory renamed away between opening it and mounting over it: refused', async () => {
    // The mount goes on the directory opened (now hooks.old); the path must lead to that mount,
    // or a directory made in its place would take writes the deny refuses.
    const hooks = path.join(dir, 'hooks');
    mkdirSync(hooks);
    const b = bundleFor(agentPolicy('target linux { accept weaker "**/.git/hooks/**" }', `deny write, create, delete "\${workspace}/race/hooks/**"`));
    expect(enforce(b, ['true'], { args: [...homeArg, '--dry-run'] }).stdout).toContain(`mask: ${hooks} read-only`);
    const r = await racing(
      b,
      ['/bin/sh', '-c', `echo x > ${hooks}/pre-commit && echo wrote`],
      homeArg,
      () => {
        renameSync(hooks, `${hooks}.old`);
        mkdirSync(hooks);
      },
      { MXC_TEST_STOP_BEFORE_MASK: hooks },
    );
    expect(r.stdout).toBe('');
    expect(r.status, r.stderr).toBe(REFUSED);
    expect(r.stderr).toMatch(new RegExp(`^mxc-enforce: masks: Stale file handle \\(${hooks} does not lead to the mask just mounted over it`));
    expect(existsSync(path.join(hooks, 'pre-commit'))).toBe(false);
  });

  it('a directory on the way to a covered socket swapped for a symlink: refused, the socket is not left uncovered', async () => {
    // A host service bound at race/svc/s in the writable workspace: its cover is planned at the
    // path /proc/net/unix gives. Renamed away and replaced by a link to an empty directory, the
    // cover would go through the link and find nothing, and race/real/s would stay reachable.
    const svc = path.join(dir, 'svc');
    mkdirSync(svc);
    const server = net.createServer((c) => c.end());
    await new Promise<void>((resolve) => server.listen(path.join(svc, 's'), resolve));
    try {
      const b = bundleFor(agentPolicy());
      const dry = enforce(b, ['true'], { args: [...homeArg, '--dry-run'] }).stdout;
      expect(dry).toContain(`cover: ${svc}/s inaccessible (a unix socket bound at launch inside a grant)`);
      expect(dry).toContain(`pin: ${svc} mount point`);
      expect(run([attack, 'uconnect', path.join(svc, 's')]).stdout).toBe('ok\n');
      const control = await racing(b, [attack, 'uconnect', path.join(svc, 's')], homeArg, () => {});
      expect(control.stdout, control.stderr).toBe(`errno=${EACCES}\n`);
      const r = await racing(b, [attack, 'uconnect', path.join(dir, 'real', 's')], homeArg, () => {
        renameSync(svc, path.join(dir, 'real'));
        mkdirSync(path.join(dir, 'decoy'));
        symlinkSync('decoy', svc);
      });
      expect(r.stdout).toBe('');
      expect(r.status, r.stderr).toBe(REFUSED);
      expect(r.stderr.replace(STRERROR.ELOOP, 'ELOOP')).toMatch(new RegExp(`^mxc-enforce: masks: ELOOP \\(${svc}, planned to be pinned, is a symlink now`));
      expect(run([attack, 'uconnect', path.join(dir, 'real', 's')]).stdout).toBe('ok\n');
    } finally {
      server.close();
    }
  });

  it('a granted directory swapped for a symlink out of the grants: refused, not granted', async () => {
    // The link leads to the directory above the workspace: a regular file there is not covered
    // by the mount view, so only Landlock stands in the way.
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(root, 'race-secret.txt'), 'above the workspace\n');
    expect(run(['cat', path.join(root, 'race-secret.txt')]).stdout).toBe('above the workspace\n');
    // read, list, exec: more than the workspace's readwrite, so the rule is added (and checked).
    const b = bundleFor(agentPolicy('', 'allow read, list, exec "${workspace}/race/data/**"'));
    const r = await racing(b, ['cat', `${dir}/data/race-secret.txt`], homeArg, () => {
      renameSync(path.join(dir, 'data'), path.join(dir, 'data.old'));
      symlinkSync(root, path.join(dir, 'data'));
    });
    expect(r.stdout).toBe('');
    expect(r.status, r.stderr).toBe(REFUSED);
    expect(r.stderr.replace(STRERROR.ELOOP, 'ELOOP')).toMatch(new RegExp(`^mxc-enforce: landlock: ELOOP \\(open ${dir}/data, planned to be granted`));
  });

  it('the same swap under a grant that already grants as much: its rule is left out (Landlock unions them), so nothing is granted through the link', async () => {
    mkdirSync(path.join(dir, 'data2'));
    const b = bundleFor(agentPolicy('', 'allow read, list "${workspace}/race/data2/**"'));
    const r = await racing(b, ['cat', `${dir}/data2/race-secret.txt`], homeArg, () => {
      renameSync(path.join(dir, 'data2'), path.join(dir, 'data2.old'));
      symlinkSync(root, path.join(dir, 'data2'));
    });
    expect(r.stdout).toBe('');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/race-secret.txt: Permission denied/);
  });

  // Without namespaces nothing is mounted between planning and the Landlock step, so the
  // descriptors planning opened are used for the rules (no second open): a rule holds the
  // directory planned, wherever it is renamed, and a symlink swapped in grants nothing.
  const portsOnly = (fs: string, extra = ''): string =>
    bundleFor(`import "std/linux-runtime.mxc"
policy ports_only extends linux_runtime {
  fs { ${fs} }
  net { allow connect tcp any:443 }
  ${extra}
}`);

  it('no namespaces: a granted directory renamed and swapped for a symlink after planning; the rule holds the directory planned, the link grants nothing', async () => {
    mkdirSync(path.join(dir, 'data3'));
    writeFileSync(path.join(dir, 'data3', 'mine.txt'), 'planned\n');
    writeFileSync(path.join(root, 'race-secret.txt'), 'above the workspace\n');
    const b = portsOnly(`allow read, list "${dir}/data3/**"`);
    expect(enforce(b, ['true'], { args: ['--dry-run'] }).stdout).toContain('namespaces: none');
    const control = await racing(b, ['cat', `${dir}/data3/mine.txt`], [], () => {});
    expect(control.stdout, control.stderr).toBe('planned\n');
    const r = await racing(b, ['/bin/sh', '-c', `cat ${dir}/data3.old/mine.txt; cat ${dir}/data3/race-secret.txt || echo denied`], [], () => {
      renameSync(path.join(dir, 'data3'), path.join(dir, 'data3.old'));
      symlinkSync(root, path.join(dir, 'data3'));
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('planned\ndenied\n');
    expect(r.stderr).toMatch(/race-secret.txt: Permission denied/);
  });

  it('no namespaces and a file limit of 16: the rules are opened again (few descriptors kept), granted and denied as planned', () => {
    writeFileSync(path.join(dir, 'granted.txt'), 'granted\n');
    const b = portsOnly(`allow read "${dir}/granted.txt"`, 'limits { files 16 }');
    const dry = enforce(b, ['true'], { args: ['--dry-run'] }).stdout;
    expect(dry).toContain('namespaces: none');
    expect(dry).toMatch(/^rlimits: .*16/m);
    const r = enforce(b, ['/bin/sh', '-c', `ulimit -n; cat ${dir}/granted.txt; cat ${dir}/private/key || echo denied`]);
    expect(r.stdout, r.stderr).toBe('16\ngranted\ndenied\n');
  });

  it('ports mode and process isolation, but a deny to mask: a user and mount namespace only (no net or PID one), planning\'s descriptors not kept, the mask holds', () => {
    writeFileSync(path.join(dir, 'granted.txt'), 'granted\n');
    const b = portsOnly(`allow read, list "${dir}/**"\n  deny read "${dir}/private/**"`);
    const dry = enforce(b, ['true'], { args: ['--dry-run'] }).stdout;
    expect(dry).toMatch(/^namespaces: user, mount, ipc$/m);
    expect(dry).toContain(`mask: ${dir}/private`);
    const r = enforce(b, ['/bin/sh', '-c', `cat ${dir}/granted.txt; cat ${dir}/private/key || echo denied`]);
    expect(r.stdout, r.stderr).toBe('granted\ndenied\n');
  });
});

/**
 * A child that must not outlive the enforcer (the wall-clock supervisor's, the pids cgroup's, the
 * PID namespace's) sets PR_SET_PDEATHSIG after fork; if the enforcer died before that, the child
 * would run the command unsupervised. The test build holds the child right before it sets it
 * until a file exists (MXC_TEST_GATE_BEFORE_PDEATHSIG; not SIGSTOP, which would get a stopped
 * child in an orphaned process group SIGHUP, and which a PID namespace's init ignores); the test
 * kills the enforcer, then lets the child go on.
 */
describe('mxc-enforce: the enforcer dies before its child sets PR_SET_PDEATHSIG (review finding)', () => {
  const hooked = path.join(repo, 'enforcer', 'mxc-enforce-test-hooks');
  beforeAll(() => {
    execFileSync('make', ['-C', path.join(repo, 'enforcer'), 'test-hooks'], { stdio: 'pipe' });
  });
  const stat = (pid: number): string | undefined => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return text.slice(text.lastIndexOf(')') + 2);
    } catch {
      return undefined;
    }
  };
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    for (let waited = 0; !ok(); waited += 10) {
      if (waited > 20_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  for (const [name, policyExtra] of [
    ['the wall-clock supervisor', 'limits { wall 30s }'],
    ['the pids cgroup (max_processes as root)', 'process { max_processes 64 }'],
    ['the PID namespace (isolation container)', 'isolation container'],
  ] as const) {
    it(`${name}: the orphaned child does not run the command`, async () => {
      const marker = path.join(ws, `orphan-ran-${name.replace(/\W+/g, '-')}`);
      const gate = path.join(root, `orphan-gate-${name.replace(/\W+/g, '-')}`);
      rmSync(marker, { force: true });
      rmSync(gate, { force: true });
      const b = bundleFor(`import "std/linux-runtime.mxc"
policy orphan extends linux_runtime {
  param workspace: path
  fs { allow readwrite "\${workspace}/**" }
  ${policyExtra}
}`);
      const child = spawn(hooked, ['--param', `workspace=${ws}`, b, '--', '/bin/sh', '-c', `echo ran > ${marker}`], {
        env: { PATH: process.env.PATH, MXC_TEST_GATE_BEFORE_PDEATHSIG: gate },
        stdio: 'ignore',
      });
      const enforcerPid = child.pid!;
      const exited = new Promise((resolve) => child.on('exit', resolve));
      let orphan = 0;
      await until('the child held at the gate', () => {
        for (const entry of readdirSync('/proc')) {
          const st = /^\d+$/.test(entry) ? stat(Number(entry)) : undefined;
          if (st && Number(st.split(' ')[1]) === enforcerPid) orphan = Number(entry);
        }
        return orphan > 0;
      });
      child.kill('SIGKILL');
      await exited;
      writeFileSync(gate, '');
      await until('the orphan to end', () => {
        const st = stat(orphan);
        return st === undefined || st[0] === 'Z';
      });
      // Give a command that did start a moment to write its marker.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const m of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/pids'])
        for (const dir of run(['find', m, '-maxdepth', '6', '-type', 'd', '-name', `mxc-enforce.${enforcerPid}`]).stdout.split('\n').filter(Boolean)) spawnSync('rmdir', [dir]);
      expect(existsSync(marker), 'the command ran after the enforcer died').toBe(false);
    });
  }
});

describe('mxc-enforce: emptying the pids cgroup without cgroup.kill (review finding)', () => {
  const hooked = path.join(repo, 'enforcer', 'mxc-enforce-test-hooks');
  beforeAll(() => {
    execFileSync('make', ['-C', path.join(repo, 'enforcer'), 'test-hooks'], { stdio: 'pipe' });
  });

  it('more pids than one read of cgroup.procs holds: every one is killed, no pid cut mid-number, the cgroup removed', () => {
    // MXC_TEST_NO_CGROUP_KILL (test build) takes the fallback of older kernels and v1: pidfds of
    // the listed pids, signalled if still listed. 1100 pids are more than its 4 KiB buffer holds;
    // the last line of a full buffer is dropped (it may be a pid cut short, another process's).
    const b = bundleFor(`import "std/linux-runtime.mxc"
policy pids extends linux_runtime {
  process { max_processes 1200 }
}`);
    const tag = `987.${process.pid % 1000}`;
    const r = run([hooked, b, '--', '/bin/sh', '-c', `i=0; while [ $i -lt 1100 ]; do sleep ${tag} & i=$((i+1)); done; echo $i; echo $!; exit 3`], { MXC_TEST_NO_CGROUP_KILL: '1' });
    const left = run(['pgrep', '-f', `^sleep ${tag}$`]).stdout.split('\n').filter(Boolean).map(Number);
    const cgroups = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/pids']
      .map((m) => run(['find', m, '-maxdepth', '6', '-type', 'd', '-name', `mxc-enforce.${r.pid}`]).stdout.trim())
      .filter(Boolean);
    try {
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toBe('');
      const [count, last] = r.stdout.trim().split('\n').map((l) => l.trim());
      expect(Number(count)).toBe(1100);
      // cgroup.procs: a line per pid, at least 4 bytes each (the kernel hands out pids >= 300 after a wrap): > 4 KiB
      expect(Number(last)).toBeGreaterThanOrEqual(100);
      expect(left).toEqual([]);
      expect(cgroups).toEqual([]);
    } finally {
      for (const pid of left) process.kill(pid, 'SIGKILL');
      for (const c of cgroups) spawnSync('rmdir', [c]);
    }
  });
});

describe('mxc-enforce: what an earlier run may have left in a writable hierarchy (review findings)', () => {
  /** A hierarchy the sandbox may write, with the workspace inside it (a /tmp grant around ${workspace}). */
  const shared = path.join(root, 'shared');
  const policy = (fs: string): string =>
    bundleFor(`import "std/linux-runtime.mxc"
policy around extends linux_runtime {
  param workspace: path
  fs {
    allow readwrite, list "${shared}/**"
    allow readwrite, list, exec "\${workspace}/**"
    deny write, create, delete, truncate, refer "\${workspace}/.git/hooks/**"
    ${fs}
  }
}`);

  beforeAll(() => {
    mkdirSync(path.join(shared, 'repo', '.git', 'hooks'), { recursive: true });
    writeFileSync(path.join(shared, 'repo', '.git', 'HEAD'), 'ref: refs/heads/main\n');
  });

  it('the workspace (and every directory between the writable hierarchy and a mask) is pinned: it cannot be renamed away and replaced', () => {
    const b = policy('');
    const repoDir = path.join(shared, 'repo');
    const dry = enforce(b, ['true'], { args: ['--param', `workspace=${repoDir}`, '--dry-run'] }).stdout;
    expect(dry).toContain(`pin: ${repoDir} mount point`);
    expect(dry).toContain(`pin: ${repoDir}/.git mount point`);
    // Unsandboxed the same rename works (the test can fail).
    renameSync(repoDir, `${repoDir}-moved`);
    renameSync(`${repoDir}-moved`, repoDir);
    const r = enforce(b, ['/bin/sh', '-c', `mv ${repoDir} ${repoDir}-moved && echo moved; mv ${repoDir}/.git ${repoDir}/.git-moved && echo moved-git; echo x > ${repoDir}/.git/hooks/pre-commit || echo hooks-read-only`], {
      args: ['--param', `workspace=${repoDir}`],
    });
    expect(r.stdout, r.stderr).toBe('hooks-read-only\n');
    expect(r.stderr).toMatch(/Device or resource busy|Resource busy/);
    expect(existsSync(`${repoDir}-moved`)).toBe(false);
    expect(existsSync(path.join(repoDir, '.git', 'HEAD'))).toBe(true);
  });

  it('a path param given through a symlink in a hierarchy the sandbox may write (or in sticky /tmp) is refused; elsewhere it is followed', () => {
    const b = policy('');
    const target = path.join(root, 'elsewhere');
    mkdirSync(target, { recursive: true });
    const planted = path.join(shared, 'ws-link');
    symlinkSync(target, planted);
    const marker = path.join(target, 'ran');
    const r = enforce(b, ['touch', marker], { args: ['--param', `workspace=${planted}`] });
    expect(r.status).toBe(REFUSED);
    expect(r.stderr).toMatch(STRERROR.ELOOP);
    expect(r.stderr).toMatch(/^mxc-enforce: params: /);
    expect(r.stderr).toContain(` (workspace=${planted} goes through the symlink ${planted} in ${shared}, where the sandbox may write: an earlier run could have planted it; give its target (${target}) instead)\n`);
    expect(existsSync(marker)).toBe(false);
    // In a sticky, world-writable directory (any user, any sandbox may have made it).
    const sticky = mkdtempSync(path.join(root, 'sticky-'));
    chmodSync(sticky, 0o1777);
    const inSticky = path.join(sticky, 'ws-link');
    symlinkSync(target, inSticky);
    const s = enforce(b, ['touch', marker], { args: ['--param', `workspace=${inSticky}`] });
    expect(s.status).toBe(REFUSED);
    expect(s.stderr).toContain(`goes through the symlink ${inSticky} in ${sticky}, where any user may write`);
    // A link in a directory nobody else may write is the user's own: followed.
    const mine = mkdtempSync(path.join(root, 'mine-'));
    const own = path.join(mine, 'ws-link');
    symlinkSync(target, own);
    // (It has no .git/hooks, so the deny is carved out of the grant and only existing files are
    // granted: read one.)
    writeFileSync(path.join(target, 'readme'), 'followed\n');
    const ok = enforce(b, ['cat', path.join(target, 'readme')], { args: ['--param', `workspace=${own}`] });
    expect(ok.stdout, ok.stderr).toBe('followed\n');
  });

  it('a path param that resolves to a name with a control character is refused (it would forge --dry-run lines)', () => {
    const b = policy('');
    const odd = path.join(root, 'odd\ncover: /etc inaccessible');
    mkdirSync(odd, { recursive: true });
    const mine = mkdtempSync(path.join(root, 'mine-'));
    symlinkSync(odd, path.join(mine, 'ws'));
    const r = enforce(b, ['true'], { args: ['--param', `workspace=${path.join(mine, 'ws')}`, '--dry-run'] });
    expect(r.status).toBe(REFUSED);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mxc-enforce: params: .*\(workspace: the path it resolves to has a control character \(byte 0x0a at \d+\)\)\n$/);
  });
});
