import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkFiles, compileFile, type CompileOptions } from './index.js';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import type { SourceHost } from './load.js';
import { mustCompile } from '../test/compile-text.js';

const FIXTURES = path.join(import.meta.dirname, '__fixtures__', 'invalid');

interface Expectation {
  code: string;
  line: number;
  column: number;
}

/** `// expect: CODE "snippet"[#N]`: the diagnostic starts where the N-th occurrence of snippet starts (after the header). */
function expectationsOf(text: string): Expectation[] {
  const lines = text.split('\n');
  const headerEnd = lines.findIndex((l) => !l.startsWith('// expect:'));
  const bodyStart = lines.slice(0, headerEnd).reduce((n, l) => n + l.length + 1, 0);
  const out: Expectation[] = [];
  for (const line of lines.slice(0, headerEnd)) {
    const m = /^\/\/ expect: (MXC\d{4}) ("(?:[^"\\]|\\.)*")(?:#(\d+))?$/.exec(line);
    if (!m) throw new Error(`bad expect line: ${line}`);
    const snippet = JSON.parse(m[2]!) as string;
    let offset: number;
    if (snippet === '@START') offset = 0;
    else if (snippet === '@EOF') offset = text.trimEnd().length;
    else {
      offset = bodyStart - 1;
      for (let k = 0; k < Number(m[3] ?? 1); k++) {
        offset = text.indexOf(snippet, offset + 1);
        if (offset < 0) throw new Error(`snippet ${snippet} not found`);
      }
    }
    const before = text.slice(0, offset).split('\n');
    out.push({ code: m[1]!, line: before.length, column: before[before.length - 1]!.length + 1 });
  }
  return out;
}

function compileText(text: string, name = 'policy.mxc', extra: CompileOptions = {}): { diagnostics: Diagnostic[]; ok: boolean } {
  const files = new Map([[`/virtual/${name}`, Buffer.from(text)]]);
  const host: SourceHost = { readFile: (p) => files.get(p) };
  const r = compileFile(`/virtual/${name}`, { host, cwd: '/virtual', stdDir: '/virtual/std', ...extra });
  return { diagnostics: r.diagnostics, ok: r.ir !== undefined };
}

describe('invalid policies report the expected diagnostic at the expected position', () => {
  const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.mxc')).sort();
  it('has at least 60 fixtures on disk', () => {
    expect(names.length).toBeGreaterThanOrEqual(60);
  });
  for (const name of names) {
    it(name, () => {
      const file = path.join(FIXTURES, name);
      const text = readFileSync(file, 'utf8');
      const expectations = expectationsOf(text);
      const r = compileFile(file, { cwd: FIXTURES });
      expect(r.ir).toBeUndefined();
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.length).toBeGreaterThan(0);
      for (const e of expectations) {
        const hit = r.diagnostics.find((d) => d.code === e.code && d.span?.line === e.line && d.span.column === e.column && d.span.file === name);
        expect(hit, `${e.code} at ${e.line}:${e.column}; got ${r.diagnostics.map((d) => `${d.code}@${d.span?.line}:${d.span?.column} ${d.message}`).join('; ')}`).toBeDefined();
      }
      // The first expectation is the first error reported.
      expect(errors[0]!.code).toBe(expectations[0]!.code);
      // Every error explains itself: a message, and a location unless it is about the command line.
      for (const d of errors) expect(d.message.length).toBeGreaterThan(5);
    });
  }
});

describe('inputs that are not policies', () => {
  it('an empty file', () => {
    const r = compileText('');
    expect(r.diagnostics.map((d) => [d.code, d.span?.line, d.span?.column])).toEqual([['MXC1005', 1, 1]]);
  });
  it('binary garbage reports the first bad byte', () => {
    const files = new Map([['/v/bin.mxc', Uint8Array.from([0x70, 0x6f, 0x0a, 0xff, 0xfe, 0x00, 0x01])]]);
    const r = compileFile('/v/bin.mxc', { host: { readFile: (p) => files.get(p) }, cwd: '/v' });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'MXC0003', span: { line: 2, column: 1 } });
    expect(r.diagnostics[0]!.message).toContain('byte 3');
  });
  it('a NUL byte in otherwise valid text', () => {
    const r = compileText('policy p {\n  description "a\0"\n}\n');
    expect(r.diagnostics[0]).toMatchObject({ code: 'MXC0003', span: { line: 2, column: 17 } });
  });
  it('a 10 MB file is refused before lexing', () => {
    const big = 'policy p {\n' + '  fs { allow read "/usr/**" }\n'.repeat(360_000) + '}\n';
    expect(big.length).toBeGreaterThan(10_000_000);
    const r = compileText(big);
    expect(r.diagnostics.map((d) => [d.code, d.span?.line, d.span?.column])).toEqual([['MXC0002', 1, 1]]);
  });
  it('10,000-deep nesting is refused without exhausting the stack', () => {
    const deep = 'policy p {\n  syscalls { allow socket(' + '('.repeat(10_000) + 'domain == 1' + ')'.repeat(10_000) + ') }\n}\n';
    const r = compileText(deep);
    expect(r.diagnostics[0]).toMatchObject({ code: 'MXC1004', span: { line: 2 } });
    // Depth counts braces too: policy {, syscalls {, socket( make three, so the 62nd extra paren is level 65.
    expect(r.diagnostics[0]!.span!.column).toBe('  syscalls { allow socket('.length + 62);
  });
  it('a chain of 2,000 ! is refused as nesting, not a stack overflow; ! before each of many terms is not nesting', () => {
    const chain = compileText('policy p {\n  syscalls { allow socket(' + '!'.repeat(2_000) + 'domain == 1) }\n}\n');
    expect(chain.diagnostics.map((d) => d.code)).toEqual(['MXC1004']);
    // policy {, syscalls {, socket( and 61 ! make 64: the 62nd ! is level 65.
    expect(chain.diagnostics[0]!.span!.column).toBe('  syscalls { allow socket('.length + 62);
    // A run of ! before a bracket lasts until it closes: 30 + ( + 30 + ( is 65 with the three above.
    const mixed = compileText('policy p {\n  syscalls { allow socket(' + '!'.repeat(30) + '(' + '!'.repeat(30) + '(domain == 1))) }\n}\n');
    expect(mixed.diagnostics.map((d) => d.code)).toEqual(['MXC1004']);
    const terms = Array.from({ length: 300 }, (_, i) => `!(domain == ${i})`).join(' && ');
    const many = compileText(`policy p {\n  syscalls { allow socket(${terms}) }\n}\n`);
    expect(many.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
  it('the help of a syntax error fits what was expected, not a word inside "unexpected"', () => {
    const cond = compileText('policy p {\n  syscalls {\n    deny ptrace(\n  }\n}\n');
    expect(cond.diagnostics[0]).toMatchObject({ code: 'MXC1001', message: "unexpected '}' in or expr; expected one of '!', '(', a name" });
    expect(cond.diagnostics[0]!.help).toBeUndefined();
    const open = compileText('policy x { fs { allow read "/a" \n');
    expect(open.diagnostics[0]).toMatchObject({ code: 'MXC1001', help: 'a block opened with { must be closed with }' });
  });
  it('env allow takes variable names and capabilities none stands alone, each reported at its value', () => {
    const r = compileText('policy p {\n  process {\n    env allow "PATH", "A=B", "HOME"\n    capabilities none, CAP_SYS_ADMIN\n  }\n}\n');
    expect(r.diagnostics.map((d) => [d.code, d.message, d.span?.line, d.span?.column])).toEqual([
      ['MXC1118', '"A=B" is not an environment variable name', 3, 23],
      ['MXC1118', 'capabilities none cannot be combined with CAP_SYS_ADMIN', 4, 18],
    ]);
    const cap = compileText('policy p {\n  process { capabilities CAP_SYS_ADMN }\n}\n');
    expect(cap.diagnostics.map((d) => [d.code, d.span?.line, d.span?.column, d.help])).toEqual([['MXC1118', 2, 26, 'did you mean "CAP_SYS_ADMIN"?']]);
  });
  it('blocks of one kind add up; a key set in two of them is MXC1106, not a silent override', () => {
    const r = compileText('policy p {\n  process { env allow "PATH" }\n  process { env allow "HOME"  max_processes 5 }\n  limits { memory 1GiB }\n  limits { memory 4GiB  cpu 2 }\n  desktop { clipboard none }\n  desktop { windows true }\n}\n');
    expect(r.diagnostics.map((d) => [d.code, d.message, d.span?.line, d.help])).toEqual([
      ['MXC1106', 'limits memory is declared twice in policy p', 5, 'set it in one place'],
    ]);
    const text = 'policy p {\n  process { env allow "PATH" }\n  process { env allow "HOME"  max_processes 5 }\n  limits { memory 1GiB }\n  limits { cpu 2 }\n}\n';
    const merged = compileFile('/virtual/ok.mxc', { host: { readFile: (f) => (f === '/virtual/ok.mxc' ? Buffer.from(text) : undefined) }, cwd: '/virtual', stdDir: '/virtual/std' });
    expect(merged.diagnostics).toEqual([]);
    expect(merged.ir!.process).toMatchObject({ envAllow: ['HOME', 'PATH'], maxProcesses: 5 });
    expect(merged.ir!.limits).toMatchObject({ memoryBytes: 2 ** 30, cpus: 2 });
  });
  it('a missing file is an I/O diagnostic, not an exception', () => {
    const r = compileFile('/definitely/not/here.mxc', { cwd: '/' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['MXC0001']);
  });
  it('a directory is an I/O diagnostic', () => {
    const r = compileFile(FIXTURES, { cwd: '/' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['MXC0001']);
  });
});

describe('imports', () => {
  it('reports an import cycle with the whole chain', () => {
    const r = compileFile(path.join(FIXTURES, 'cycle', 'a.mxc'), { cwd: FIXTURES });
    const d = r.diagnostics.find((x) => x.code === 'MXC1301');
    expect(d?.message).toBe('import cycle cycle/a.mxc → cycle/b.mxc → cycle/a.mxc');
    expect(d?.span).toMatchObject({ file: 'cycle/b.mxc', line: 1, column: 8 });
  });
  it('resolves relative imports and std/ from the standard library', () => {
    const files = new Map<string, Buffer>([
      ['/w/main.mxc', Buffer.from('import "lib/base.mxc"\nimport "std/extra.mxc"\npolicy main extends base, extra { }\n')],
      ['/w/lib/base.mxc', Buffer.from('policy base { fs { allow read "/usr/**" } }\n')],
      ['/std/extra.mxc', Buffer.from('policy extra { fs { deny read "/usr/secret/**" } }\n')],
    ]);
    const r = compileFile('/w/main.mxc', { host: { readFile: (p) => files.get(p) }, cwd: '/w', stdDir: '/std' });
    expect(r.diagnostics).toEqual([]);
    expect(r.ir!.fs.rules.map((x) => [x.id, x.effect, x.paths, x.origin.file, x.origin.policy])).toEqual([
      ['fs.0', 'allow', ['/usr/**'], 'lib/base.mxc', 'base'],
      ['fs.1', 'deny', ['/usr/secret/**'], 'std/extra.mxc', 'extra'],
    ]);
  });
});

describe('checking several files in one run', () => {
  // shared.mxc's child extends a `parent` that each entry declares differently: clean under a.mxc,
  // an allow that b.mxc's parent denies (MXC1305) under b.mxc. Checked once per run, the child
  // must not be reused from a.mxc's program in b.mxc's.
  const files = new Map<string, Buffer>([
    ['/w/shared.mxc', Buffer.from('policy child extends parent { fs { allow read "/data/**" } }\n')],
    ['/w/a.mxc', Buffer.from('import "shared.mxc"\npolicy parent { fs { allow read "/usr/**" } }\n')],
    ['/w/b.mxc', Buffer.from('import "shared.mxc"\npolicy parent { fs { deny read "/data/**" } }\n')],
    ['/w/c.mxc', Buffer.from('import "shared.mxc"\nimport "a.mxc"\npolicy top extends child { }\n')],
  ]);
  const options = { host: { readFile: (p: string) => files.get(p) }, cwd: '/w', stdDir: '/std' };
  const codes = (ds: Diagnostic[]) => ds.map((d) => `${d.code} ${d.span?.file}:${d.span?.line}`);

  it('reports what checking each file alone reports', () => {
    const alone = ['a.mxc', 'b.mxc', 'c.mxc'].flatMap((f) => codes(checkFiles([f], options).diagnostics));
    expect(alone).toEqual(['MXC1305 shared.mxc:1']);
    expect(codes(checkFiles(['a.mxc', 'b.mxc', 'c.mxc'], options).diagnostics)).toEqual(alone);
    expect(codes(checkFiles(['c.mxc', 'a.mxc', 'b.mxc'], options).diagnostics)).toEqual(alone);
    expect(checkFiles(['a.mxc', 'b.mxc', 'c.mxc'], options).policies).toBe(3);
  });
});

describe('lowering to IR', () => {
  const ir = (text: string, extra: CompileOptions = {}) => {
    return mustCompile(text, extra).ir;
  };

  it('expands aliases, braces, ~ and leading ** and keeps rule order', () => {
    const p = ir(`policy p {
      param home: path = "/home/u"
      fs {
        allow readwrite "/srv/{a,b}/**"
        deny read "~/.ssh//**/", "**/.env"
      }
    }`);
    expect(p.fs.rules[0]).toMatchObject({ access: ['read', 'list', 'write', 'create', 'delete', 'truncate'], paths: ['/srv/a/**', '/srv/b/**'] });
    expect(p.fs.rules[1]).toMatchObject({ effect: 'deny', access: ['read'], paths: ['${home}/.ssh/**', '/**/.env'] });
    expect(p.params).toEqual([expect.objectContaining({ name: 'home', type: 'path', default: '/home/u' })]);
  });

  it('makes every default explicit', () => {
    const p = ir('policy p { }');
    expect(p.isolation).toBe('process');
    expect(p.syscalls.defaultAction).toEqual({ kind: 'errno', errno: 1 });
    expect(p.process).toEqual({ maxProcesses: null, envAllow: [], capabilities: [] });
    expect(p.desktop).toEqual({ clipboard: 'none', windows: false, inputInjection: false, screenCapture: false });
    expect(p.limits.memoryBytes).toBeNull();
  });

  it('lowers conditions to DNF with 32-bit argument widths and per-arch constants', () => {
    const p = ir(`policy p { syscalls {
      allow socket(domain in [AF_UNIX, AF_INET] && !(type == SOCK_RAW))
      deny ioctl(request == TIOCSTI) kill_process
      allow mmap(prot & PROT_EXEC == 0)
    } }`);
    const sock = p.syscalls.rules.x86_64.find((r) => r.syscall === 'socket')!;
    expect(sock.nr).toBe(41);
    expect(sock.when).toEqual([
      [{ arg: 0, name: 'domain', bits: 32, op: 'eq', value: '1' }, { arg: 1, name: 'type', bits: 32, op: 'ne', value: '3' }],
      [{ arg: 0, name: 'domain', bits: 32, op: 'eq', value: '2' }, { arg: 1, name: 'type', bits: 32, op: 'ne', value: '3' }],
    ]);
    expect(p.syscalls.rules.aarch64.find((r) => r.syscall === 'socket')!.nr).toBe(198);
    const ioctl = p.syscalls.rules.x86_64.find((r) => r.syscall === 'ioctl')!;
    expect(ioctl).toMatchObject({ effect: 'deny', action: { kind: 'kill_process' }, when: [[{ arg: 1, bits: 32, op: 'eq', value: String(0x5412) }]] });
    const mmap = p.syscalls.rules.x86_64.find((r) => r.syscall === 'mmap')!;
    // mmap's prot is `unsigned long` in the kernel ABI: all 64 bits count.
    expect(mmap.when).toEqual([[{ arg: 2, name: 'prot', bits: 64, op: 'masked_eq', mask: '4', value: '0' }]]);
  });

  it('lowers && of negated in lists, alternatives and more negations to independent conjunctions', () => {
    // and() extends its accumulator in place when one conjunction is added (linear for long
    // negated in lists): no conjunction may end up sharing items with another.
    const p = ir(`policy p { syscalls {
      allow socket(!(domain in [1, 2]) && (type == 1 || type == 2) && !(protocol in [3, 4]) && domain != 9)
    } }`);
    const c = (arg: number, name: string, op: string, value: string) => ({ arg, name, bits: 32, op, value });
    const common = [c(0, 'domain', 'ne', '1'), c(0, 'domain', 'ne', '2')];
    const tail = [c(2, 'protocol', 'ne', '3'), c(2, 'protocol', 'ne', '4'), c(0, 'domain', 'ne', '9')];
    expect(p.syscalls.rules.x86_64[0]!.when).toEqual([
      [...common, c(1, 'type', 'eq', '1'), ...tail],
      [...common, c(1, 'type', 'eq', '2'), ...tail],
    ]);
  });

  it('gives a deny without an action errno(EPERM) when the default lets calls proceed', () => {
    for (const def of ['allow', 'log']) {
      const p = ir(`policy p { syscalls { default ${def}  deny ptrace  deny bpf kill_process } }`);
      for (const arch of ['x86_64', 'aarch64'] as const) {
        expect(p.syscalls.rules[arch].map((r) => [r.syscall, r.action])).toEqual([['ptrace', { kind: 'errno', errno: 1 }], ['bpf', { kind: 'kill_process' }]]);
      }
    }
    // Under a blocking default the deny keeps taking the default.
    expect(ir('policy p { syscalls { default kill_process  deny ptrace } }').syscalls.rules.x86_64[0]!.action).toBeUndefined();
    // The filled action is kept by a child, and a child's own deny gets it too.
    const child = ir('policy base { syscalls { default allow  deny ptrace } }  policy c extends base { syscalls { deny bpf } }', { policy: 'c' });
    expect(child.syscalls.rules.x86_64.map((r) => [r.syscall, r.action])).toEqual([['ptrace', { kind: 'errno', errno: 1 }], ['bpf', { kind: 'errno', errno: 1 }]]);
  });

  it('wraps negative values to the argument width', () => {
    const p = ir('policy p { syscalls { allow openat(dirfd == -100) } }');
    expect(p.syscalls.rules.x86_64[0]!.when).toEqual([[{ arg: 0, name: 'dirfd', bits: 32, op: 'eq', value: String(2 ** 32 - 100) }]]);
  });

  it('expands groups per architecture', () => {
    const p = ir('policy p { syscalls { allow @basic-io } }');
    const x = p.syscalls.rules.x86_64.map((r) => r.syscall);
    const a = p.syscalls.rules.aarch64.map((r) => r.syscall);
    expect(x).toContain('read');
    expect(a).toContain('read');
    expect(new Set(x).size).toBe(x.length);
  });

  it('parses hosts, CIDRs and ports', () => {
    const p = ir(`policy p { net {
      allow connect tcp "Registry.NPMjs.org":443, "*.github.com":1000-2000, "10.0.0.0/8":any
      allow connect udp "2001:DB8::1":53
      deny connect any "169.254.169.254"
      allow resolve "example.com"
    } }`);
    expect(p.net.rules[0]!.targets).toEqual([
      { host: { kind: 'name', name: 'registry.npmjs.org' }, ports: [{ from: 443, to: 443 }] },
      { host: { kind: 'wildcard', suffix: 'github.com' }, ports: [{ from: 1000, to: 2000 }] },
      { host: { kind: 'cidr', family: 4, address: '10.0.0.0', prefix: 8 }, ports: [{ from: 0, to: 65535 }] },
    ]);
    expect(p.net.rules[1]!.targets[0]!.host).toEqual({ kind: 'cidr', family: 6, address: '2001:db8::1', prefix: 128 });
    expect(p.net.rules[2]).toMatchObject({ protocols: ['tcp', 'udp'] });
    expect(p.net.rules[3]).toMatchObject({ operation: 'resolve', protocols: [], targets: [{ host: { kind: 'name', name: 'example.com' }, ports: [] }] });
  });

  it('merges inheritance: parents first, limits tighten, isolation rises, params bind', () => {
    const p = ir(`policy base {
        isolation container
        param ws: path where not under "/etc"
        limits { memory 1GiB }
        process { env allow "PATH" }
        fs { deny write "/etc/**" }
      }
      policy child extends base {
        limits { memory 2GiB  wall 30m }
        process { env allow "HOME" }
        fs { allow read "\${ws}/**" }
      }`, { policy: 'child', params: { ws: '/work/src/' } });
    expect(p.isolation).toBe('container');
    expect(p.limits).toMatchObject({ memoryBytes: 1024 ** 3, wallSeconds: 1800 });
    expect(p.process.envAllow).toEqual(['HOME', 'PATH']);
    expect(p.fs.rules.map((r) => r.id + ':' + r.origin.policy)).toEqual(['fs.0:base', 'fs.1:child']);
    expect(p.params[0]).toMatchObject({ name: 'ws', value: '/work/src' });
  });

  it('rejects a --param that violates the declared constraint', () => {
    const r = compileText('policy p { param ws: path where not under "/etc" }', 'p.mxc', { params: { ws: '/etc/x' } });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['MXC1207']);
    const r2 = compileText('policy p { param ws: path }', 'p.mxc', { params: { wz: '/x' } });
    expect(r2.diagnostics[0]).toMatchObject({ code: 'MXC1201', help: 'did you mean "ws"?' });
  });

  it('takes the most restrictive syscall default of several parents, in either order', () => {
    const parents = `policy strict { syscalls { default errno(EPERM)  allow read, write, exit_group  deny ptrace } }
      policy loose { syscalls { default allow } }
      policy killer { syscalls { default kill_process } }
      policy eacces { syscalls { default errno(EACCES) } }`;
    for (const order of ['strict, loose', 'loose, strict']) {
      const p = ir(`${parents}  policy c extends ${order} { }`, { policy: 'c' });
      expect(p.syscalls.defaultAction).toEqual({ kind: 'errno', errno: 1 });
      const reopened = compileText(`${parents}  policy c extends ${order} { syscalls { default allow } }`);
      expect(reopened.diagnostics.map((d) => d.code)).toEqual(['MXC1305']);
    }
    for (const order of ['strict, killer, loose', 'killer, loose, strict']) expect(ir(`${parents}  policy c extends ${order} { }`, { policy: 'c' }).syscalls.defaultAction).toEqual({ kind: 'kill_process' });
    for (const order of ['strict, eacces', 'eacces, strict']) expect(ir(`${parents}  policy c extends ${order} { }`, { policy: 'c' }).syscalls.defaultAction).toEqual({ kind: 'errno', errno: 1 });
  });

  it('allows carve-outs that only partly overlap an inherited deny', () => {
    const p = ir(`policy base { fs { deny read "**/.env" } }
      policy child extends base { fs { allow read "/srv/**" } }`, { policy: 'child' });
    expect(p.fs.rules).toHaveLength(2);
  });

  it('warns about syscalls missing on one architecture unless marked optional', () => {
    const r = compileText('policy p { syscalls { allow open } }');
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['MXC1120', 'warning']]);
    expect(compileText('policy p { syscalls { allow ?open } }').diagnostics).toEqual([]);
  });

  describe('syscall comparisons that are constant (MXC1405) or compare a negative value by order (MXC1406)', () => {
    const warnings = (rule: string) => {
      const r = compileText(`policy p {\n  syscalls {\n    default allow\n    ${rule}\n  }\n}\n`);
      expect(r.ok, rule).toBe(true);
      return r.diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, help: d.help, at: `${d.span?.line}:${d.span?.column}` }));
    };

    it('a deny on a negative pid that never matches says it denies nothing, once for both architectures', () => {
      expect(warnings('deny kill(pid < 0) kill_process')).toEqual([{
        code: 'MXC1405',
        severity: 'warning',
        message: '`pid < 0` is never true: comparisons are unsigned, so no value is below 0; the whole condition never holds, so this deny denies nothing',
        help: 'to match negative values, test the sign bit: pid >= 0x80000000',
        at: '4:15',
      }]);
    });

    it('<= -1 and >= 0 are always true, > max and <= max are constant too', () => {
      expect(warnings('deny kill(pid <= -1)')).toEqual([expect.objectContaining({
        code: 'MXC1405',
        message: '`pid <= -1` is always true: comparisons are unsigned and -1 is 0xffffffff here, the largest 32-bit value; the whole condition always holds, so this deny applies to every kill call',
        help: 'comparisons are unsigned: use == or != to test one negative value (pid == -1); to match every negative value, write pid >= 0x80000000',
      })]);
      expect(warnings('allow kill(pid >= 0)')).toEqual([expect.objectContaining({
        code: 'MXC1405',
        message: '`pid >= 0` is always true: comparisons are unsigned, so every value is 0 or more; the whole condition always holds, so this allow applies to every kill call',
        help: 'to match values that are 0 or more as signed numbers, write pid < 0x80000000; otherwise remove the comparison',
      })]);
      expect(warnings('deny kill(pid > 0xffffffff)')[0]).toMatchObject({ code: 'MXC1405', message: expect.stringMatching(/^`pid > 0xffffffff` is never true: 0xffffffff is the largest value of this 32-bit argument; .* denies nothing$/) });
      expect(warnings('deny kill(sig <= 4294967295)')[0]).toMatchObject({ code: 'MXC1405', message: expect.stringContaining('is always true') });
      // 64-bit arguments: the same numbers are ordinary values.
      expect(warnings('deny ptrace(pid > 0xffffffff)')).toEqual([]);
      expect(warnings('deny kill(pid > 0xfffffffe)')).toEqual([]);
      expect(warnings('deny kill(pid < 1)')).toEqual([]);
    });

    it('a masked comparison with a value outside the mask', () => {
      expect(warnings('deny clone(flags & 1 == 2)')).toEqual([expect.objectContaining({
        code: 'MXC1405',
        message: '`flags & 1 == 2` is never true: 0x2 has bits (0x2) outside the mask 0x1, and the masked argument never has them; the whole condition never holds, so this deny denies nothing',
        help: 'compare with a value inside the mask, or add the bits to it: flags & 0x3 == 0x2',
      })]);
      expect(warnings('deny clone(flags & 1 != 2)')[0]).toMatchObject({ code: 'MXC1405', message: expect.stringMatching(/^`flags & 1 != 2` is always true: .* applies to every clone call$/) });
      expect(warnings('deny clone(flags & 0 == 0)')[0]).toMatchObject({ code: 'MXC1405', message: expect.stringContaining('the mask is 0') });
      expect(warnings('deny clone(flags & 3 == 2)')).toEqual([]);
      expect(warnings('deny clone(flags & CLONE_NEWUSER != 0)')).toEqual([]);
    });

    it('says what the rule becomes only when the whole condition is constant', () => {
      expect(warnings('deny kill(pid < 0 || sig == 9)')).toEqual([expect.objectContaining({ code: 'MXC1405', message: '`pid < 0` is never true: comparisons are unsigned, so no value is below 0' })]);
      expect(warnings('deny kill(pid < 0 && sig == 9)')[0]!.message).toContain('this deny denies nothing');
      expect(warnings('deny kill(!(pid < 0))')[0]!.message).toContain('the whole condition always holds, so this deny applies to every kill call');
      expect(warnings('allow kill(pid < 0)')[0]!.message).toContain('so this allow allows nothing');
      const both = warnings('deny kill(pid < 0 || pid > 0xffffffff)');
      expect(both.map((w) => [w.code, w.at])).toEqual([['MXC1405', '4:15'], ['MXC1405', '4:26']]);
      for (const w of both) expect(w.message).toContain('this deny denies nothing');
    });

    it('names the architecture when a constant differs between them', () => {
      // O_DIRECTORY is 0x10000 on x86_64 and 0x4000 on aarch64.
      expect(warnings('deny openat(flags & 0x4000 == O_DIRECTORY)')).toEqual([expect.objectContaining({
        code: 'MXC1405',
        message: '`flags & 0x4000 == O_DIRECTORY` is never true on x86_64: 0x10000 has bits (0x10000) outside the mask 0x4000, and the masked argument never has them; the whole condition never holds, so this deny denies nothing',
      })]);
    });

    it('a negative value compared by order is an unsigned comparison (MXC1406)', () => {
      expect(warnings('deny kill(pid > -5)')).toEqual([expect.objectContaining({
        code: 'MXC1406',
        severity: 'warning',
        message: '`pid > -5` compares a negative value by order: comparisons are unsigned and -5 is 0xfffffffb for this 32-bit argument, so this holds from 0xfffffffc to 0xffffffff only (-4 to -1 as signed numbers), never for a value that is 0 or more',
        help: 'comparisons are unsigned: use == or != to test one negative value (pid == -1); to match every negative value, write pid >= 0x80000000',
      })]);
      expect(warnings('deny kill(pid < -1)')[0]).toMatchObject({ code: 'MXC1406', message: expect.stringContaining('holds from 0 to 0xfffffffe: every value that is 0 or more as a signed number, and the negative ones from -2147483648 to -2') });
      expect(warnings('deny kill(pid >= -1)')[0]).toMatchObject({ code: 'MXC1406', message: expect.stringContaining('holds only for 0xffffffff (-1 as a signed number)') });
      expect(warnings('deny kill(pid < -2147483648)')[0]).toMatchObject({ code: 'MXC1406', message: expect.stringMatching(/holds from 0 to 0x7fffffff: every value that is 0 or more as a signed number$/) });
      expect(warnings('deny kill(pid == -1)')).toEqual([]);
      expect(warnings('deny kill(pid != -1)')).toEqual([]);
      expect(warnings('deny kill(pid in [-1, -2])')).toEqual([]);
    });

    it('keeps the rule as written: the warning changes nothing in the IR', () => {
      const files = new Map([['/v/p.mxc', Buffer.from('policy p { syscalls { deny kill(pid < 0) kill_process } }')]]);
      const r = compileFile('/v/p.mxc', { host: { readFile: (p) => files.get(p) }, cwd: '/v' });
      expect(r.ir!.syscalls.rules.x86_64[0]!.when).toEqual([[{ arg: 0, name: 'pid', bits: 32, op: 'lt', value: '0' }]]);
    });
  });

  it('reports several semantic errors in one run', () => {
    const r = compileText('policy p {\n fs { allow raed "/x" }\n syscalls { deny ptrce }\n net { allow connect tcp "a.com":70000 }\n}\n');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['MXC1104', 'MXC1101', 'MXC1109']);
  });

  it('needs --policy when a file declares several', () => {
    const r = compileText('policy a { }\npolicy b { }\n');
    expect(r.diagnostics[0]).toMatchObject({ code: 'MXC1307', help: 'choose one with --policy (a, b)' });
  });

  it('produces byte-identical IR regardless of the working directory', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mxcc-'));
    writeFileSync(path.join(dir, 'p.mxc'), 'policy p { fs { allow read "/usr/**" } }\n');
    const a = compileFile(path.join(dir, 'p.mxc'), { cwd: dir });
    const b = compileFile(path.join(dir, 'p.mxc'), { cwd: '/' });
    expect(JSON.stringify(a.ir)).toBe(JSON.stringify(b.ir));
    expect(a.ir!.fs.rules[0]!.origin.file).toBe('p.mxc');
  });
});
