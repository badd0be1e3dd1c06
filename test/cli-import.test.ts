/** End-to-end: `mxcc import oci-seccomp` through the real binary (built by `npm test` first). */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'mxcc.js');
const FIXTURE = path.join(ROOT, 'test/fixtures/oci/features.json');

function mxcc(args: string[], cwd = ROOT): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function dir(files: Record<string, string> = {}): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mxcc-import-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(d, name), text);
  return d;
}

describe('mxcc import oci-seccomp', () => {
  it('prints formatted .mxc on stdout and warnings on stderr, exit 0', () => {
    const r = mxcc(['import', 'oci-seccomp', FIXTURE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('policy features {');
    expect(r.stdout).toContain('allow socket(domain != 40)');
    expect(r.stderr).toContain('warning[MXC1604]');
    expect(r.stderr).toContain('/syscalls/2');
  });

  it('writes -o, honours --caps, --arch and --name; the result checks and compiles', () => {
    const d = dir();
    const r = mxcc(['import', 'oci-seccomp', FIXTURE, '--caps', 'CAP_SYS_ADMIN', '--arch', 'x86_64', '--name', 'admin', '-o', 'p.mxc'], d);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const text = readFileSync(path.join(d, 'p.mxc'), 'utf8');
    expect(text).toContain('policy admin {');
    expect(text).toContain('allow mount');
    expect(mxcc(['check', 'p.mxc'], d).code).toBe(0);
    const c = mxcc(['compile', 'p.mxc', '-t', 'oci', '-o', 'out'], d);
    expect(c.code).toBe(0);
    const profile = JSON.parse(readFileSync(path.join(d, 'out', 'oci-seccomp.json'), 'utf8')) as { architectures: string[]; defaultErrnoRet: number };
    expect(profile.architectures).toEqual(['SCMP_ARCH_X86_64']);
    expect(profile.defaultErrnoRet).toBe(38);
  });

  it('exit 1 with the parse position for invalid JSON', () => {
    const d = dir({ 'bad.json': '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  oops\n}\n' });
    const r = mxcc(['import', 'oci-seccomp', 'bad.json'], d);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[MXC1605]');
    expect(r.stderr).toMatch(/position \d+/);
    expect(r.stderr).toContain('bad.json:3:');
  });

  it('exit 1 for errors in the profile, each shown at its file:line:col with the line', () => {
    const d = dir({ 'p.json': JSON.stringify({ defaultAction: 'SCMP_ACT_NOPE', syscalls: [] }, null, 2) });
    const r = mxcc(['import', 'oci-seccomp', 'p.json'], d);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MXC1602');
    expect(r.stderr).toContain('--> p.json:2:20');
    expect(r.stderr).toContain(' 2 |   "defaultAction": "SCMP_ACT_NOPE",');
    expect(r.stdout).toBe('');
    const json = JSON.parse(mxcc(['import', 'oci-seccomp', 'p.json', '--format', 'json'], d).stdout) as { span?: { line: number; column: number } }[];
    expect(json.map((x) => [x.span?.line, x.span?.column])).toEqual([[2, 20]]);
  });

  it('exit 2 for an unreadable file, an unknown format or a bad --arch', () => {
    expect(mxcc(['import', 'oci-seccomp', '/nonexistent/x.json']).code).toBe(2);
    const unknown = mxcc(['import', 'seatbelt', FIXTURE]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('supported: oci-seccomp');
    expect(mxcc(['import', 'oci-seccomp', FIXTURE, '--arch', 'riscv64']).code).toBe(2);
  });

  it('has --help with examples', () => {
    const r = mxcc(['import', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('mxcc import oci-seccomp');
  });
});
