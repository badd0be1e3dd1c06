/**
 * The reference evaluator is the oracle for every backend and the verifier, so its tests
 * check it against hand-written fixtures for every rule of the semantics and against
 * independently written brute-force implementations (no regexes, no glob.ts matching).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actionSeverity, conditionHolds, decide, hostMatches, parseIp, type Decision, type FsRequest, type NetRequest, type Request, type SyscallRequest } from './evaluate.js';
import { globMatches, normalizeGlob } from './glob.js';
import {
  FS_RIGHTS, IR_VERSION,
  type Arch, type CompareOperator, type FsRight, type IrAction, type IrArgCondition, type IrFsRule, type IrHost, type IrNetRule, type IrNetTarget, type IrParam, type IrSyscallRule, type Origin, type PolicyIR, type PortRange, type Protocol,
} from './ir.js';
import { formatRequest, parseRequest } from './request.js';
import { syscallNames, syscallNumber } from './syscalls/index.js';

const RUNS = 1000;

// ---------------------------------------------------------------------------
// Fixtures

const ORIGIN: Origin = { file: 'test.mxc', line: 1, column: 1, endLine: 1, endColumn: 2, policy: 'test' };

function makeIr(partial: Partial<PolicyIR> = {}): PolicyIR {
  return {
    irVersion: IR_VERSION,
    name: 'test',
    description: '',
    isolation: 'process',
    params: [],
    fs: { rules: [] },
    net: { rules: [] },
    syscalls: { defaultAction: { kind: 'errno', errno: 1 }, rules: { x86_64: [], aarch64: [] } },
    process: { maxProcesses: null, envAllow: [], capabilities: [] },
    limits: { memoryBytes: null, cpus: null, openFiles: null, wallSeconds: null, cpuSeconds: null, fileSizeBytes: null, stackBytes: null },
    desktop: { clipboard: 'none', windows: false, inputInjection: false, screenCapture: false },
    assertions: [],
    targets: {},
    ...partial,
  };
}

function fsRule(id: string, effect: 'allow' | 'deny', access: FsRight[], paths: string[], except: string[] = []): IrFsRule {
  return { id, effect, access, paths, except, origin: ORIGIN };
}

function fsIr(rules: IrFsRule[], params: IrParam[] = []): PolicyIR {
  return makeIr({ fs: { rules }, params });
}

function pathParam(name: string, opts: { value?: string; default?: string } = {}): IrParam {
  return { name, type: 'path', constraints: [], origin: ORIGIN, ...opts };
}

const fsReq = (path: string, access: FsRight = 'read'): FsRequest => ({ kind: 'fs', access, path });

const ANY_PORT: PortRange[] = [{ from: 0, to: 65535 }];

function target(host: IrHost, ports: PortRange[] = ANY_PORT): IrNetTarget {
  return { host, ports };
}

function netRule(id: string, effect: 'allow' | 'deny', operation: 'connect' | 'bind' | 'resolve', targets: IrNetTarget[], opts: { protocols?: Protocol[]; except?: IrNetTarget[] } = {}): IrNetRule {
  const protocols = opts.protocols ?? (operation === 'resolve' ? [] : ['tcp', 'udp']);
  return { id, effect, operation, protocols, targets, except: opts.except ?? [], origin: ORIGIN };
}

const netIr = (rules: IrNetRule[]): PolicyIR => makeIr({ net: { rules } });
const name = (n: string): IrHost => ({ kind: 'name', name: n });
const wildcard = (suffix: string): IrHost => ({ kind: 'wildcard', suffix });
const cidr = (text: string): IrHost => {
  const [address, prefix] = text.split('/');
  const family = address!.includes(':') ? 6 : 4;
  return { kind: 'cidr', family, address: address!, prefix: prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix) };
};
const ANY_HOST: IrHost = { kind: 'any' };

function connect(host: string, port = 443, protocol: Protocol = 'tcp'): NetRequest {
  return { kind: 'net', operation: 'connect', protocol, host, port };
}

function sysRule(id: string, effect: 'allow' | 'deny', syscall: string, when: IrArgCondition[][] | null = null, action?: IrAction, nr = 0): IrSyscallRule {
  const r: IrSyscallRule = { id, effect, syscall, nr, when, origin: ORIGIN };
  if (action) r.action = action;
  return r;
}

function sysIr(rules: IrSyscallRule[], defaultAction: IrAction = { kind: 'errno', errno: 1 }, arch: Arch = 'x86_64'): PolicyIR {
  const byArch: Record<Arch, IrSyscallRule[]> = { x86_64: [], aarch64: [] };
  byArch[arch] = rules;
  return makeIr({ syscalls: { defaultAction, rules: byArch } });
}

function cond(arg: number, op: CompareOperator, value: bigint, bits: 32 | 64 = 64, mask?: bigint): IrArgCondition {
  const c: IrArgCondition = { arg, name: `arg${arg}`, bits, op, value: value.toString() };
  if (mask !== undefined) c.mask = mask.toString();
  return c;
}

function sysReq(syscall: string, args: bigint[] = [], arch: Arch = 'x86_64'): SyscallRequest {
  return { kind: 'syscall', arch, syscall, args };
}

const ERRNO_EPERM: IrAction = { kind: 'errno', errno: 1 };
const KILL: IrAction = { kind: 'kill_process' };
const LOG: IrAction = { kind: 'log' };

// ---------------------------------------------------------------------------
// fs

describe('fs decisions', () => {
  it('denies everything by default (no rules)', () => {
    expect(decide(fsIr([]), fsReq('/etc/passwd'))).toEqual({ allowed: false, action: { kind: 'errno', errno: 13 }, deciding: [], reason: 'no-matching-allow' });
  });

  it('allows what an allow rule matches and lists the matching allows in IR order', () => {
    const ir = fsIr([fsRule('a1', 'allow', ['read'], ['/usr/**']), fsRule('a2', 'allow', ['read', 'list'], ['/usr/lib/*']), fsRule('a3', 'allow', ['read'], ['/opt/**'])]);
    expect(decide(ir, fsReq('/usr/lib/libc.so'))).toEqual({ allowed: true, action: { kind: 'allow' }, deciding: ['a1', 'a2'], reason: 'allowed-by-rule' });
    expect(decide(ir, fsReq('/usr/lib/libc.so', 'write')).reason).toBe('no-matching-allow');
    expect(decide(ir, fsReq('/srv/x')).allowed).toBe(false);
  });

  it('lets a deny win over an allow whatever their order, listing only the matching denies', () => {
    const allow = fsRule('allow-home', 'allow', ['read', 'write'], ['/home/u/**']);
    const deny = fsRule('deny-ssh', 'deny', ['read'], ['/home/u/.ssh/**']);
    const deny2 = fsRule('deny-keys', 'deny', ['read'], ['/home/u/.ssh/id_*']);
    for (const rules of [[allow, deny, deny2], [deny2, deny, allow], [deny, allow, deny2]]) {
      const d = decide(fsIr(rules), fsReq('/home/u/.ssh/id_rsa'));
      expect(d.allowed).toBe(false);
      expect(d.reason).toBe('denied-by-rule');
      expect(d.action).toEqual({ kind: 'errno', errno: 13 });
      expect(d.deciding).toEqual(rules.filter((r) => r.effect === 'deny').map((r) => r.id));
      expect(decide(fsIr(rules), fsReq('/home/u/.ssh/id_rsa', 'write')).allowed).toBe(true);
      expect(decide(fsIr(rules), fsReq('/home/u/notes')).allowed).toBe(true);
    }
  });

  it('denies by a deny rule even with no allow at all', () => {
    const d = decide(fsIr([fsRule('d', 'deny', ['read'], ['/**'])]), fsReq('/x'));
    expect(d).toMatchObject({ allowed: false, reason: 'denied-by-rule', deciding: ['d'] });
  });

  it('applies except carve-outs on allows', () => {
    const ir = fsIr([fsRule('a', 'allow', ['read'], ['/data/**'], ['/data/secret/**', '/data/*.key'])]);
    expect(decide(ir, fsReq('/data/x/y')).allowed).toBe(true);
    expect(decide(ir, fsReq('/data')).allowed).toBe(true);
    expect(decide(ir, fsReq('/data/secret')).allowed).toBe(false);
    expect(decide(ir, fsReq('/data/secret/a/b')).allowed).toBe(false);
    expect(decide(ir, fsReq('/data/a.key')).allowed).toBe(false);
    expect(decide(ir, fsReq('/data/x/a.key')).allowed).toBe(true);
    expect(decide(ir, fsReq('/data/secret')).reason).toBe('no-matching-allow');
  });

  it('applies except carve-outs on denies', () => {
    const ir = fsIr([fsRule('all', 'allow', ['read', 'write'], ['/**']), fsRule('shared', 'deny', ['read', 'write'], ['/srv/shared/**'], ['/srv/shared/inbox/**'])]);
    expect(decide(ir, fsReq('/srv/shared/inbox/mail')).allowed).toBe(true);
    expect(decide(ir, fsReq('/srv/shared/inbox')).allowed).toBe(true);
    expect(decide(ir, fsReq('/srv/shared/outbox/x')).allowed).toBe(false);
    expect(decide(ir, fsReq('/srv/shared')).allowed).toBe(false);
    expect(decide(ir, fsReq('/srv/sharedx')).allowed).toBe(true);
  });

  const cases: [pattern: string, path: string, matches: boolean][] = [
    // ** matches zero or more whole segments
    ['/a/**', '/a', true],
    ['/a/**', '/a/b', true],
    ['/a/**', '/a/b/c/d', true],
    ['/a/**', '/ab', false],
    ['/a/**', '/', false],
    ['/**', '/', true],
    ['/**', '/x/y', true],
    ['/a/**/b', '/a/b', true],
    ['/a/**/b', '/a/x/b', true],
    ['/a/**/b', '/a/x/y/b', true],
    ['/a/**/b', '/a/x/y/bc', false],
    ['/a/**/b', '/a/b/c', false],
    ['/**/.env', '/.env', true],
    ['/**/.env', '/p/q/.env', true],
    ['/**/.env', '/p/q/.envrc', false],
    ['/a/**/b/**', '/a/b', true],
    ['/a/**/b/**', '/a/x/b/y/z', true],
    // * stays within one segment and may match the empty run
    ['/a/*', '/a/b', true],
    ['/a/*', '/a/.hidden', true],
    ['/a/*', '/a/b/c', false],
    ['/a/*', '/a', false],
    ['/*', '/', false],
    ['/*', '/etc', true],
    ['/a/*.txt', '/a/.txt', true],
    ['/a/*.txt', '/a/x.txt', true],
    ['/a/*.txt', '/a/x/y.txt', false],
    ['/a/x*y*z', '/a/xyz', true],
    ['/a/x*y*z', '/a/x1y2z', true],
    ['/a/x*y*z', '/a/x1z2y', false],
    ['/a/*/c', '/a/b/c', true],
    ['/a/*/c', '/a/c', false],
    // ? is exactly one character, never /
    ['/a/?', '/a/b', true],
    ['/a/?', '/a/bc', false],
    ['/a/?', '/a', false],
    ['/a/?b', '/a/xb', true],
    ['/a?b', '/a/b', false],
    ['/a/?', '/a/😀', true],
    ['/a/??', '/a/😀', false],
    // classes and negated classes
    ['/a/[bc]', '/a/b', true],
    ['/a/[bc]', '/a/c', true],
    ['/a/[bc]', '/a/d', false],
    ['/a/[b-d]x', '/a/cx', true],
    ['/a/[b-d]x', '/a/ex', false],
    ['/a/[!b-d]', '/a/e', true],
    ['/a/[!b-d]', '/a/c', false],
    ['/a/[^b]', '/a/c', true],
    ['/a/[^b]', '/a/b', false],
    ['/a/[!b]', '/a/bb', false],
    ['/a/[.]env', '/a/.env', true],
    ['/a/[a-]', '/a/-', true],
    ['/id_[a-z]*', '/id_rsa', true],
    ['/id_[a-z]*', '/id_', false],
    // the root
    ['/', '/', true],
    ['/', '/a', false],
    // literal characters that are special in regexes
    ['/usr/lib/x86_64-linux-gnu/**', '/usr/lib/x86_64-linux-gnu/libc.so.6', true],
    ['/usr/lib/x86_64-linux-gnu/**', '/usr/lib/x86_64_linux-gnu/libc.so.6', false],
    ['/a/b+c', '/a/b+c', true],
    ['/a/b+c', '/a/bbc', false],
    ['/a/(x)|y', '/a/(x)|y', true],
    ['/a/$x^', '/a/$x^', true],
    ['/a/.', '/a', true],
    ['/a/x.y', '/a/xzy', false],
    ['/home/ü/*', '/home/ü/f', true],
  ];
  it.each(cases)('pattern %s vs %s → %s', (pattern, path, matches) => {
    expect(normalizeGlob(pattern)).toEqual({ patterns: [pattern === '/a/.' ? '/a' : pattern] });
    const norm = (normalizeGlob(pattern) as { patterns: string[] }).patterns[0]!;
    const ir = fsIr([fsRule('r', 'allow', ['read'], [norm])]);
    expect(decide(ir, fsReq(path)).allowed).toBe(matches);
    expect(bfGlob(norm, path)).toBe(matches); // the brute-force matcher agrees with the fixtures too
  });

  it('normalizes request paths before matching', () => {
    const ir = fsIr([fsRule('r', 'allow', ['read'], ['/a/b/**']), fsRule('d', 'deny', ['read'], ['/a/b/secret'])]);
    expect(decide(ir, fsReq('/a/b/./c//d/')).allowed).toBe(true);
    expect(decide(ir, fsReq('/a/x/../b/secret')).allowed).toBe(false);
    expect(decide(ir, fsReq('/a/b/secret/.')).allowed).toBe(false);
    expect(decide(ir, fsReq('/../../a/b')).allowed).toBe(true);
    expect(decide(ir, fsReq('/a/b/../../..')).allowed).toBe(false);
  });

  it('rejects relative request paths and unknown rights', () => {
    const ir = fsIr([fsRule('r', 'allow', ['read'], ['/**'])]);
    expect(() => decide(ir, fsReq('etc/passwd'))).toThrow(/not absolute/);
    expect(() => decide(ir, fsReq(''))).toThrow(/not absolute/);
    expect(() => decide(ir, { kind: 'fs', access: 'readwrite' as FsRight, path: '/x' })).toThrow(/unknown fs access right/);
  });

  it('rejects malformed IR patterns', () => {
    expect(() => decide(fsIr([fsRule('r', 'allow', ['read'], ['a/b'])]), fsReq('/a/b'))).toThrow(/malformed IR.*not absolute/);
    expect(() => decide(fsIr([fsRule('r', 'allow', ['read'], ['${w}b'])]), fsReq('/a/b'), { w: '/a' })).toThrow(/malformed IR/);
    expect(() => decide(fsIr([fsRule('r', 'allow', ['read'], [''])]), fsReq('/'))).toThrow(/malformed IR/);
  });

  it('checks each right separately', () => {
    for (const right of FS_RIGHTS) {
      const ir = fsIr([fsRule('r', 'allow', [right], ['/**'])]);
      for (const other of FS_RIGHTS) expect(decide(ir, fsReq('/x', other)).allowed).toBe(other === right);
    }
  });
});

describe('fs path params', () => {
  const rules = [fsRule('ws', 'allow', ['read', 'write'], ['${workspace}/**']), fsRule('hooks', 'deny', ['write'], ['${workspace}/.git/hooks/**'])];

  it('binds a param from the call, which overrides the IR value and default', () => {
    const ir = fsIr(rules, [pathParam('workspace', { value: '/from/value', default: '/from/default' })]);
    expect(decide(ir, fsReq('/from/value/x')).allowed).toBe(true);
    expect(decide(ir, fsReq('/from/default/x')).allowed).toBe(false);
    expect(decide(ir, fsReq('/from/call/x'), { workspace: '/from/call' }).allowed).toBe(true);
    expect(decide(ir, fsReq('/from/value/x'), { workspace: '/from/call' }).allowed).toBe(false);
    const byDefault = fsIr(rules, [pathParam('workspace', { default: '/from/default' })]);
    expect(decide(byDefault, fsReq('/from/default/src/a.ts')).allowed).toBe(true);
    expect(decide(byDefault, fsReq('/from/default/.git/hooks/pre-commit', 'write')).allowed).toBe(false);
    expect(decide(byDefault, fsReq('/from/default/.git/hooks/pre-commit', 'read')).allowed).toBe(true);
  });

  it('matches the param value literally and as whole segments', () => {
    const ir = fsIr(rules, [pathParam('workspace')]);
    const p = { workspace: '/home/x-y/[p]*' };
    expect(decide(ir, fsReq('/home/x-y/[p]*/src'), p).allowed).toBe(true);
    expect(decide(ir, fsReq('/home/x-y/[p]*'), p).allowed).toBe(true);
    expect(decide(ir, fsReq('/home/x-y/p/src'), p).allowed).toBe(false);
    expect(decide(ir, fsReq('/home/x-y/[p]*x/src'), p).allowed).toBe(false);
    expect(decide(ir, fsReq('/home/x-y'), p).allowed).toBe(false);
  });

  it('normalizes the param value, and the root / as value covers everything', () => {
    const ir = fsIr(rules, [pathParam('workspace')]);
    expect(decide(ir, fsReq('/w/a'), { workspace: '/w/./' }).allowed).toBe(true);
    expect(decide(ir, fsReq('/anything/at/all'), { workspace: '/' }).allowed).toBe(true);
    expect(decide(ir, fsReq('/'), { workspace: '/' }).allowed).toBe(true);
    expect(decide(ir, fsReq('/.git/hooks/x', 'write'), { workspace: '/' }).allowed).toBe(false);
  });

  it('matches a bare param pattern only at the directory itself', () => {
    const ir = fsIr([fsRule('dir', 'allow', ['list'], ['${home}'])], [pathParam('home', { default: '/home/u' })]);
    expect(decide(ir, fsReq('/home/u', 'list')).allowed).toBe(true);
    expect(decide(ir, fsReq('/home/u/x', 'list')).allowed).toBe(false);
  });

  it('throws a clear error for an unbound param, for every fs request', () => {
    const ir = fsIr(rules, [pathParam('workspace')]);
    expect(() => decide(ir, fsReq('/x'))).toThrow(/\$\{workspace\} has no value.*--param workspace=/);
    // Even when the request's access is not covered by the rule using the param.
    expect(() => decide(ir, fsReq('/x', 'exec'))).toThrow(/workspace/);
    // Undeclared params too.
    expect(() => decide(fsIr([fsRule('r', 'allow', ['read'], ['/a', '${nowhere}/x'])]), fsReq('/a'))).toThrow(/\$\{nowhere\}/);
    // Params in except lists as well.
    expect(() => decide(fsIr([fsRule('r', 'allow', ['read'], ['/**'], ['${ex}/x'])]), fsReq('/a'))).toThrow(/\$\{ex\}/);
    // Net and syscall requests do not need path params.
    expect(decide(makeIr({ fs: { rules } }), connect('example.com')).allowed).toBe(false);
  });

  it('rejects a relative param value', () => {
    const ir = fsIr(rules, [pathParam('workspace')]);
    expect(() => decide(ir, fsReq('/x'), { workspace: 'relative/dir' })).toThrow(/not an absolute path/);
  });
});

// ---------------------------------------------------------------------------
// net

describe('hosts', () => {
  it('matches names exactly, case-insensitively and without a trailing dot', () => {
    expect(hostMatches(name('registry.npmjs.org'), 'registry.npmjs.org')).toBe(true);
    expect(hostMatches(name('registry.npmjs.org'), 'Registry.NPMJS.org.')).toBe(true);
    expect(hostMatches(name('registry.npmjs.org'), 'npmjs.org')).toBe(false);
    expect(hostMatches(name('registry.npmjs.org'), 'x.registry.npmjs.org')).toBe(false);
    expect(hostMatches(name('xn--bcher-kva.de'), 'bücher.de')).toBe(true);
  });

  it('matches wildcards for one or more labels, never the apex', () => {
    const w = wildcard('example.com');
    expect(hostMatches(w, 'a.example.com')).toBe(true);
    expect(hostMatches(w, 'a.b.c.example.com')).toBe(true);
    expect(hostMatches(w, 'A.Example.Com.')).toBe(true);
    expect(hostMatches(w, 'example.com')).toBe(false);
    expect(hostMatches(w, 'badexample.com')).toBe(false);
    expect(hostMatches(w, 'example.com.evil.org')).toBe(false);
    expect(hostMatches(w, '.example.com')).toBe(false);
    expect(hostMatches(w, 'a..example.com')).toBe(false);
    expect(hostMatches(w, 'example.org')).toBe(false);
    expect(hostMatches(w, '10.0.0.1')).toBe(false);
  });

  it('matches any host with any', () => {
    for (const h of ['example.com', '10.0.0.1', '::1', '::ffff:1.2.3.4', 'localhost']) expect(hostMatches(ANY_HOST, h)).toBe(true);
  });

  it('keeps names and addresses apart', () => {
    expect(hostMatches(name('localhost'), '127.0.0.1')).toBe(false);
    expect(hostMatches(cidr('127.0.0.0/8'), 'localhost')).toBe(false);
    expect(hostMatches(cidr('0.0.0.0/0'), 'example.com')).toBe(false);
    expect(hostMatches(cidr('::/0'), 'example.com')).toBe(false);
  });

  const cidrCases: [rule: string, host: string, matches: boolean][] = [
    ['10.0.0.0/8', '10.0.0.0', true],
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.1.2.0/23', '10.1.3.255', true],
    ['10.1.2.0/23', '10.1.4.0', false],
    ['10.1.2.0/23', '10.1.1.255', false],
    ['169.254.169.254/32', '169.254.169.254', true],
    ['169.254.169.254/32', '169.254.169.255', false],
    ['169.254.169.254/32', '169.254.169.253', false],
    ['0.0.0.0/0', '0.0.0.0', true],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['128.0.0.0/1', '127.255.255.255', false],
    ['128.0.0.0/1', '128.0.0.0', true],
    ['2001:db8::/32', '2001:db8::', true],
    ['2001:db8::/32', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:db8::/32', '2001:db9::', false],
    ['2001:db8::/32', '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['2001:db8::/32', '2001:DB8:0:0:0:0:0:1', true],
    ['2001:db8::/32', '2001:0db8:0000::0001', true],
    ['2001:db8::/32', '[2001:db8::1]', true],
    ['2001:db8::/32', '10.0.0.1', false],
    ['::/0', '::', true],
    ['::/0', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['::1/128', '::1', true],
    ['::1/128', '0:0:0:0:0:0:0:1', true],
    ['::1/128', '::2', false],
    ['::1/128', '127.0.0.1', false],
    ['fe80::/10', 'febf:ffff::1', true],
    ['fe80::/10', 'fec0::', false],
    ['2001:db8:0:0:8000::/65', '2001:db8::8000:0:0:0', true],
    ['2001:db8:0:0:8000::/65', '2001:db8::ffff:ffff:ffff:ffff', true],
    ['2001:db8:0:0:8000::/65', '2001:db8::7fff:ffff:ffff:ffff', false],
    ['2001:db8:0:0:8000::/65', '2001:db8:0:1::', false],
    // IPv4-mapped IPv6 requests are the same destinations as their IPv4 addresses.
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', '::ffff:a01:203', true],
    ['10.0.0.0/8', '0:0:0:0:0:ffff:10.1.2.3', true],
    ['10.0.0.0/8', '::ffff:11.1.2.3', false],
    ['169.254.169.254/32', '::FFFF:169.254.169.254', true],
    ['0.0.0.0/0', '::ffff:0.0.0.0', true],
    ['0.0.0.0/0', '::fffe:1.2.3.4', false],
    ['0.0.0.0/0', '::1.2.3.4', false], // deprecated IPv4-compatible form: not an alias
    ['0.0.0.0/0', '64:ff9b::1.2.3.4', false], // NAT64: not an alias
    // ... and the other way round: an IPv4 request is matched by a rule on its mapped form.
    ['::ffff:0:0/96', '10.1.2.3', true],
    ['::ffff:10.0.0.0/104', '10.1.2.3', true],
    ['::ffff:10.0.0.0/104', '11.1.2.3', false],
    ['::/0', '1.2.3.4', true],
    ['2001:db8::/32', '1.2.3.4', false],
  ];
  it.each(cidrCases)('CIDR %s vs %s → %s', (rule, host, matches) => {
    expect(hostMatches(cidr(rule), host)).toBe(matches);
  });

  it('throws for hosts that are neither addresses nor names', () => {
    for (const h of ['010.0.0.1', '1.2.3', '256.0.0.1', '1.2.3.4.5', '0x7f.1', '12345', '::g', '1:2:3', 'fe80::1%eth0', '', 'a b', 'a/b'])
      expect(() => hostMatches(ANY_HOST, h), h).toThrow();
  });
});

describe('parseIp', () => {
  const valid: [string, 4 | 6, bigint][] = [
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['10.1.2.3', 4, 0x0a010203n],
    ['::', 6, 0n],
    ['::1', 6, 1n],
    ['1::', 6, 1n << 112n],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
    ['1:2:3:4:5:6:7::', 6, 0x00010002000300040005000600070000n],
    ['::2:3:4:5:6:7:8', 6, 0x00000002000300040005000600070008n],
    ['1::8', 6, (1n << 112n) | 8n],
    ['FFFF::', 6, 0xffffn << 112n],
    ['0001:0002::0003', 6, (1n << 112n) | (2n << 96n) | 3n],
    ['::ffff:1.2.3.4', 6, 0xffff01020304n],
    ['::1.2.3.4', 6, 0x01020304n],
    ['1:2:3:4:5:6:1.2.3.4', 6, 0x000100020003000400050006_01020304n],
    ['1::6:1.2.3.4', 6, (1n << 112n) | (6n << 32n) | 0x01020304n],
  ];
  it.each(valid)('parses %s', (text, family, value) => {
    expect(parseIp(text)).toEqual({ family, value });
  });
  const invalid = [
    '', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1.2.3.-1', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/32', '0x1.2.3.4',
    ':', ':::', '1:::2', '1::2::3', ':1', '1:', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8',
    '12345::', 'g::', '[::1]', 'fe80::1%eth0', '::1.2.3', '::1.2.3.4:5', '1.2.3.4::', '::ffff:1.2.3.04', '1:2:3:4:5:6:7:1.2.3.4', 'example.com',
  ];
  it.each(invalid)('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('net decisions', () => {
  it('denies by default and lets deny win over allow in any order', () => {
    expect(decide(netIr([]), connect('example.com'))).toEqual({ allowed: false, action: { kind: 'errno', errno: 13 }, deciding: [], reason: 'no-matching-allow' });
    const allow = netRule('allow-all', 'allow', 'connect', [target(ANY_HOST)]);
    const deny = netRule('deny-imds', 'deny', 'connect', [target(cidr('169.254.169.254'))]);
    for (const rules of [[allow, deny], [deny, allow]]) {
      expect(decide(netIr(rules), connect('169.254.169.254', 80))).toMatchObject({ allowed: false, reason: 'denied-by-rule', deciding: ['deny-imds'] });
      expect(decide(netIr(rules), connect('::ffff:169.254.169.254', 80))).toMatchObject({ allowed: false, reason: 'denied-by-rule' });
      expect(decide(netIr(rules), connect('example.com', 80))).toMatchObject({ allowed: true, reason: 'allowed-by-rule', deciding: ['allow-all'] });
    }
  });

  it('checks port ranges at their boundaries', () => {
    const ir = netIr([netRule('r', 'allow', 'connect', [target(name('h.example'), [{ from: 8000, to: 8080 }, { from: 443, to: 443 }])])]);
    const at = (port: number): boolean => decide(ir, connect('h.example', port)).allowed;
    expect([at(7999), at(8000), at(8080), at(8081), at(442), at(443), at(444)]).toEqual([false, true, true, false, false, true, false]);
    const edges = netIr([netRule('r', 'allow', 'connect', [target(ANY_HOST, [{ from: 0, to: 0 }, { from: 65535, to: 65535 }])])]);
    expect([0, 1, 65534, 65535].map((p) => decide(edges, connect('x.org', p)).allowed)).toEqual([true, false, false, true]);
    expect(() => decide(edges, connect('x.org', 65536))).toThrow(/out of range/);
    expect(() => decide(edges, connect('x.org', -1))).toThrow(/out of range/);
    expect(() => decide(edges, connect('x.org', 1.5))).toThrow(/out of range/);
  });

  it('requires the protocol and the operation to match', () => {
    const ir = netIr([netRule('tcp', 'allow', 'connect', [target(ANY_HOST)], { protocols: ['tcp'] })]);
    expect(decide(ir, connect('a.org', 53, 'tcp')).allowed).toBe(true);
    expect(decide(ir, connect('a.org', 53, 'udp')).allowed).toBe(false);
    expect(decide(ir, { kind: 'net', operation: 'bind', protocol: 'tcp', host: '127.0.0.1', port: 53 }).allowed).toBe(false);
    expect(decide(ir, { kind: 'net', operation: 'resolve', host: 'a.org' }).allowed).toBe(false);
    const both = netIr([netRule('any', 'allow', 'bind', [target(cidr('127.0.0.1'))], { protocols: ['tcp', 'udp'] })]);
    expect(decide(both, { kind: 'net', operation: 'bind', protocol: 'udp', host: '127.0.0.1', port: 9 }).allowed).toBe(true);
  });

  it('decides resolve requests by resolve rules only', () => {
    const ir = netIr([
      netRule('res', 'allow', 'resolve', [{ host: name('registry.npmjs.org'), ports: [] }, { host: wildcard('corp.example'), ports: [] }]),
      netRule('conn', 'allow', 'connect', [target(ANY_HOST)]),
    ]);
    const resolve = (host: string): Decision => decide(ir, { kind: 'net', operation: 'resolve', host });
    expect(resolve('registry.npmjs.org')).toMatchObject({ allowed: true, deciding: ['res'] });
    expect(resolve('git.corp.example')).toMatchObject({ allowed: true, deciding: ['res'] });
    expect(resolve('corp.example').allowed).toBe(false);
    expect(resolve('evil.org').allowed).toBe(false);
    expect(decide(ir, connect('evil.org')).deciding).toEqual(['conn']);
    const denyResolve = netIr([netRule('all', 'allow', 'resolve', [{ host: ANY_HOST, ports: [] }]), netRule('no', 'deny', 'resolve', [{ host: wildcard('evil.org'), ports: [] }])]);
    expect(decide(denyResolve, { kind: 'net', operation: 'resolve', host: 'x.evil.org' })).toMatchObject({ allowed: false, deciding: ['no'] });
    expect(decide(denyResolve, { kind: 'net', operation: 'resolve', host: 'evil.org' })).toMatchObject({ allowed: true, deciding: ['all'] });
  });

  it('applies except targets (host and port)', () => {
    const ir = netIr([
      netRule('r', 'allow', 'connect', [target(cidr('10.0.0.0/8'))], { except: [target(cidr('10.0.0.0/16')), target(name('ignored.example')), target(ANY_HOST, [{ from: 22, to: 22 }])] }),
    ]);
    expect(decide(ir, connect('10.1.0.1', 443)).allowed).toBe(true);
    expect(decide(ir, connect('10.0.200.1', 443)).allowed).toBe(false);
    expect(decide(ir, connect('10.1.0.1', 22)).allowed).toBe(false);
    expect(decide(ir, connect('::ffff:10.0.0.1', 443)).allowed).toBe(false);
    const denyExcept = netIr([netRule('a', 'allow', 'connect', [target(ANY_HOST)]), netRule('d', 'deny', 'connect', [target(wildcard('example.com'))], { except: [target(name('ok.example.com'))] })]);
    expect(decide(denyExcept, connect('ok.example.com')).allowed).toBe(true);
    expect(decide(denyExcept, connect('bad.example.com')).allowed).toBe(false);
    expect(decide(denyExcept, connect('example.com')).allowed).toBe(true);
  });

  it('matches a rule when any of its targets matches', () => {
    const ir = netIr([netRule('r', 'allow', 'connect', [target(name('a.org'), [{ from: 1, to: 1 }]), target(name('b.org'), [{ from: 2, to: 2 }])])]);
    expect(decide(ir, connect('a.org', 1)).allowed).toBe(true);
    expect(decide(ir, connect('b.org', 2)).allowed).toBe(true);
    expect(decide(ir, connect('a.org', 2)).allowed).toBe(false);
  });

  it('throws on malformed CIDRs in the IR', () => {
    const bad = netIr([netRule('r', 'allow', 'connect', [target({ kind: 'cidr', family: 4, address: '::1', prefix: 8 })])]);
    expect(() => decide(bad, connect('1.2.3.4'))).toThrow(/malformed IR/);
    const long = netIr([netRule('r', 'allow', 'connect', [target({ kind: 'cidr', family: 4, address: '1.2.3.4', prefix: 33 })])]);
    expect(() => decide(long, connect('1.2.3.4'))).toThrow(/malformed IR/);
  });
});

// ---------------------------------------------------------------------------
// syscalls

describe('syscall decisions', () => {
  const socketIs40 = (bits: 32 | 64): PolicyIR => sysIr([sysRule('s', 'allow', 'socket', [[cond(0, 'eq', 40n, bits)]])]);

  it('compares 32-bit arguments on their low 32 bits only', () => {
    expect(decide(socketIs40(32), sysReq('socket', [0x1_00000028n, 1n, 0n]))).toMatchObject({ allowed: true, deciding: ['s'] });
    expect(decide(socketIs40(32), sysReq('socket', [0xffffffff_00000028n]))).toMatchObject({ allowed: true });
    expect(decide(socketIs40(32), sysReq('socket', [40n])).allowed).toBe(true);
    expect(decide(socketIs40(32), sysReq('socket', [41n])).allowed).toBe(false);
    expect(decide(socketIs40(64), sysReq('socket', [0x1_00000028n, 1n, 0n]))).toMatchObject({ allowed: false, reason: 'default-action' });
    expect(decide(socketIs40(64), sysReq('socket', [40n])).allowed).toBe(true);
    // A 32-bit deny cannot be bypassed with garbage upper bits.
    const deny = sysIr([sysRule('all', 'allow', 'ioctl'), sysRule('tiocsti', 'deny', 'ioctl', [[cond(1, 'eq', 0x5412n, 32)]])]);
    expect(decide(deny, sysReq('ioctl', [0n, 0xdead_0000_5412n])).allowed).toBe(false);
    expect(decide(deny, sysReq('ioctl', [0n, 0x5413n])).allowed).toBe(true);
  });

  it('compares unsigned, at the boundaries', () => {
    const at = (op: CompareOperator, value: bigint, arg: bigint, bits: 32 | 64 = 64): boolean => conditionHolds(cond(0, op, value, bits), [arg]);
    expect([at('lt', 10n, 9n), at('lt', 10n, 10n), at('le', 10n, 10n), at('le', 10n, 11n)]).toEqual([true, false, true, false]);
    expect([at('gt', 10n, 11n), at('gt', 10n, 10n), at('ge', 10n, 10n), at('ge', 10n, 9n)]).toEqual([true, false, true, false]);
    expect([at('eq', 0n, 0n), at('ne', 0n, 0n), at('ne', 0n, 1n)]).toEqual([true, false, true]);
    // -1 as a 64-bit register is the largest unsigned value, not a small one.
    expect(at('lt', 10n, 2n ** 64n - 1n)).toBe(false);
    expect(at('gt', 2n ** 63n - 1n, 2n ** 63n)).toBe(true);
    // 32-bit: (int)-1 is 0xffffffff, whatever the upper half holds.
    expect(at('eq', 0xffffffffn, 0xffffffffn, 32)).toBe(true);
    expect(at('eq', 0xffffffffn, 2n ** 64n - 1n, 32)).toBe(true);
    expect(at('lt', 1n, 0x1_00000000n, 32)).toBe(true);
    expect(at('ge', 0x80000000n, 0xffffffff_80000000n, 32)).toBe(true);
    expect(at('le', 0x7fffffffn, 0x80000000n, 32)).toBe(false);
  });

  it('evaluates masked comparisons', () => {
    const cloexec = cond(1, 'masked_eq', 0x80000n, 32, 0x80000n);
    expect(conditionHolds(cloexec, [0n, 0x80002n])).toBe(true);
    expect(conditionHolds(cloexec, [0n, 0x2n])).toBe(false);
    expect(conditionHolds(cloexec, [0n, 0x1_00080000n])).toBe(true);
    const ne = cond(2, 'masked_ne', 0n, 64, 0xf0n);
    expect(conditionHolds(ne, [0n, 0n, 0x0fn])).toBe(false);
    expect(conditionHolds(ne, [0n, 0n, 0x10n])).toBe(true);
    const upper = cond(0, 'masked_eq', 1n << 40n, 64, 1n << 40n);
    expect(conditionHolds(upper, [1n << 40n])).toBe(true);
    expect(conditionHolds(upper, [1n << 8n])).toBe(false);
  });

  it('treats missing args as 0 and rejects malformed conditions and args', () => {
    expect(conditionHolds(cond(5, 'eq', 0n), [])).toBe(true);
    expect(() => conditionHolds(cond(6, 'eq', 0n), [])).toThrow(/malformed IR/);
    expect(() => conditionHolds({ ...cond(0, 'eq', 0n), value: '0x10' }, [0n])).toThrow(/malformed IR/);
    expect(() => conditionHolds({ ...cond(0, 'eq', 0n, 32), value: String(2n ** 32n) }, [0n])).toThrow(/32 bits/);
    expect(() => conditionHolds({ ...cond(0, 'masked_eq', 0n) }, [0n])).toThrow(/without a mask/);
    expect(() => conditionHolds(cond(0, 'eq', 0n), [-1n])).toThrow(/64-bit/);
    expect(() => conditionHolds(cond(0, 'eq', 0n), [2n ** 64n])).toThrow(/64-bit/);
    const ir = sysIr([]);
    expect(() => decide(ir, sysReq('read', [2n ** 64n]))).toThrow(/64-bit/);
    expect(() => decide(ir, sysReq('read', [0n, 0n, 0n, 0n, 0n, 0n, 0n]))).toThrow(/at most 6/);
    expect(() => decide(ir, sysReq('read', [], 'i386' as Arch))).toThrow(/unknown architecture/);
    expect(decide(ir, sysReq('read', [2n ** 64n - 1n])).reason).toBe('default-action');
  });

  it('matches a DNF when any conjunction holds, all of its conditions at once', () => {
    // socket(domain == AF_UNIX) || socket(domain == AF_INET && type == SOCK_STREAM) || socket(domain == AF_INET6 && type == SOCK_DGRAM && protocol == 0)
    const ir = sysIr([
      sysRule('s', 'allow', 'socket', [
        [cond(0, 'eq', 1n, 32)],
        [cond(0, 'eq', 2n, 32), cond(1, 'eq', 1n, 32)],
        [cond(0, 'eq', 10n, 32), cond(1, 'eq', 2n, 32), cond(2, 'eq', 0n, 32)],
      ]),
    ]);
    const ok = (...a: bigint[]): boolean => decide(ir, sysReq('socket', a)).allowed;
    expect(ok(1n, 99n, 99n)).toBe(true);
    expect(ok(2n, 1n)).toBe(true);
    expect(ok(2n, 2n)).toBe(false);
    expect(ok(10n, 2n, 0n)).toBe(true);
    expect(ok(10n, 2n, 17n)).toBe(false);
    expect(ok(10n, 1n, 0n)).toBe(false);
    expect(ok(16n)).toBe(false);
  });

  it('never matches when = [] and always matches when = [[]] or null', () => {
    const never = sysIr([sysRule('n', 'allow', 'read', [])], LOG);
    expect(decide(never, sysReq('read'))).toEqual({ allowed: true, action: LOG, deciding: [], reason: 'default-action' });
    const denyNever = sysIr([sysRule('a', 'allow', 'read'), sysRule('n', 'deny', 'read', [], KILL)]);
    expect(decide(denyNever, sysReq('read'))).toMatchObject({ allowed: true, deciding: ['a'] });
    const emptyConj = sysIr([sysRule('e', 'allow', 'read', [[]])]);
    expect(decide(emptyConj, sysReq('read', [123n])).allowed).toBe(true);
  });

  it('picks the most severe action among matching denies, the first written on ties', () => {
    const ir = (rules: IrSyscallRule[]): PolicyIR => sysIr([sysRule('allow', 'allow', 'ptrace'), ...rules]);
    const d1 = decide(ir([sysRule('e', 'deny', 'ptrace', null, { kind: 'errno', errno: 22 }), sysRule('k', 'deny', 'ptrace', null, KILL), sysRule('l', 'deny', 'ptrace', null, LOG)]), sysReq('ptrace'));
    expect(d1).toEqual({ allowed: false, action: KILL, deciding: ['k', 'e', 'l'], reason: 'denied-by-rule' });
    const d2 = decide(ir([sysRule('l', 'deny', 'ptrace', null, LOG), sysRule('e', 'deny', 'ptrace', null, { kind: 'errno', errno: 22 })]), sysReq('ptrace'));
    expect(d2).toEqual({ allowed: false, action: { kind: 'errno', errno: 22 }, deciding: ['e', 'l'], reason: 'denied-by-rule' });
    const tie = decide(ir([sysRule('e1', 'deny', 'ptrace', null, { kind: 'errno', errno: 22 }), sysRule('e2', 'deny', 'ptrace', null, { kind: 'errno', errno: 1 })]), sysReq('ptrace'));
    expect(tie.action).toEqual({ kind: 'errno', errno: 22 });
    expect(tie.deciding).toEqual(['e1', 'e2']);
    const tie2 = decide(ir([sysRule('e2', 'deny', 'ptrace', null, { kind: 'errno', errno: 1 }), sysRule('e1', 'deny', 'ptrace', null, { kind: 'errno', errno: 22 })]), sysReq('ptrace'));
    expect(tie2.action).toEqual({ kind: 'errno', errno: 1 });
    const chain = decide(ir([sysRule('t', 'deny', 'ptrace', null, { kind: 'trap' }), sysRule('kt', 'deny', 'ptrace', null, { kind: 'kill_thread' })]), sysReq('ptrace'));
    expect(chain.action).toEqual({ kind: 'kill_thread' });
    // Only matching denies count.
    const cond1 = decide(ir([sysRule('k', 'deny', 'ptrace', [[cond(0, 'eq', 16n)]], KILL), sysRule('e', 'deny', 'ptrace', null, ERRNO_EPERM)]), sysReq('ptrace', [0n]));
    expect(cond1).toMatchObject({ action: ERRNO_EPERM, deciding: ['e'] });
  });

  it('uses the section default for a deny without an action', () => {
    const ir = sysIr([sysRule('a', 'allow', 'bpf'), sysRule('d', 'deny', 'bpf')], KILL);
    expect(decide(ir, sysReq('bpf'))).toEqual({ allowed: false, action: KILL, deciding: ['d'], reason: 'denied-by-rule' });
    const vs = sysIr([sysRule('d', 'deny', 'bpf'), sysRule('t', 'deny', 'bpf', null, { kind: 'trap' })], { kind: 'errno', errno: 38 });
    expect(decide(vs, sysReq('bpf'))).toMatchObject({ action: { kind: 'trap' }, deciding: ['t', 'd'] });
    const defaultLog = sysIr([sysRule('d', 'deny', 'bpf')], LOG);
    expect(decide(defaultLog, sysReq('bpf'))).toEqual({ allowed: true, action: LOG, deciding: ['d'], reason: 'denied-by-rule' });
  });

  it('lets a log action proceed and nothing else', () => {
    const ir = sysIr([sysRule('l', 'deny', 'mount', null, LOG)]);
    expect(decide(ir, sysReq('mount'))).toMatchObject({ allowed: true, action: LOG, reason: 'denied-by-rule' });
    for (const [action, allowed] of [[{ kind: 'allow' }, true], [LOG, true], [ERRNO_EPERM, false], [{ kind: 'trap' }, false], [{ kind: 'kill_thread' }, false], [KILL, false]] as [IrAction, boolean][]) {
      expect(decide(sysIr([], action), sysReq('read'))).toEqual({ allowed, action, deciding: [], reason: 'default-action' });
    }
  });

  it('gives unknown and rule-less syscalls the default action', () => {
    const ir = sysIr([sysRule('r', 'allow', 'read')], { kind: 'errno', errno: 38 });
    expect(decide(ir, sysReq('frobnicate'))).toEqual({ allowed: false, action: { kind: 'errno', errno: 38 }, deciding: [], reason: 'default-action' });
    expect(decide(ir, sysReq('write')).reason).toBe('default-action');
    expect(decide(ir, sysReq('read'))).toEqual({ allowed: true, action: { kind: 'allow' }, deciding: ['r'], reason: 'allowed-by-rule' });
  });

  it('keeps architectures apart', () => {
    const ir = sysIr([sysRule('r', 'allow', 'read')], ERRNO_EPERM, 'aarch64');
    expect(decide(ir, sysReq('read', [], 'aarch64')).allowed).toBe(true);
    expect(decide(ir, sysReq('read', [], 'x86_64')).allowed).toBe(false);
  });

  it('finds rules by number when only the number is known, and checks a given number', () => {
    const ir = sysIr([sysRule('s', 'allow', 'socket', null, undefined, 41), sysRule('k', 'deny', 'kill', null, KILL, 62)]);
    expect(decide(ir, { kind: 'syscall', arch: 'x86_64', syscall: '', nr: 41, args: [] })).toMatchObject({ allowed: true, deciding: ['s'] });
    expect(decide(ir, { kind: 'syscall', arch: 'x86_64', syscall: '', nr: 62, args: [] })).toMatchObject({ action: KILL });
    expect(decide(ir, { kind: 'syscall', arch: 'x86_64', syscall: '', nr: 999, args: [] }).reason).toBe('default-action');
    expect(decide(ir, { kind: 'syscall', arch: 'x86_64', syscall: 'socket', nr: 41, args: [] }).allowed).toBe(true);
    expect(() => decide(ir, { kind: 'syscall', arch: 'x86_64', syscall: 'socket', nr: 42, args: [] })).toThrow(/number 41/);
    expect(() => decide(ir, { kind: 'syscall', arch: 'x86_64', syscall: '', args: [] })).toThrow(/name or a number/);
  });

  it('ranks actions', () => {
    const order: IrAction[] = [{ kind: 'allow' }, LOG, { kind: 'errno', errno: 1 }, { kind: 'trap' }, { kind: 'kill_thread' }, KILL];
    for (let i = 1; i < order.length; i++) expect(actionSeverity(order[i]!)).toBeGreaterThan(actionSeverity(order[i - 1]!));
    expect(actionSeverity({ kind: 'errno', errno: 1 })).toBe(actionSeverity({ kind: 'errno', errno: 4095 }));
    expect(() => actionSeverity({ kind: 'user_notif' } as unknown as IrAction)).toThrow(/malformed IR/);
  });
});

// ---------------------------------------------------------------------------
// Independent brute-force implementations (no regexes, no glob.ts matching)

/** Split a normalized absolute path into segments; `/` has none. */
function bfSegments(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of path) {
    if (ch === '/') {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** Lexical normalization of a request path, written independently of glob.ts. */
function bfNormalize(path: string): string {
  const stack: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') stack.pop();
    else stack.push(seg);
  }
  return '/' + stack.join('/');
}

/** Is `ch` in the class body (without brackets and negation)? Ranges are a-b. */
function bfClassContains(body: string[], ch: string): boolean {
  for (let k = 0; k < body.length; k++) {
    if (body[k + 1] === '-' && k + 2 < body.length) {
      const lo = body[k]!.codePointAt(0)!;
      const hi = body[k + 2]!.codePointAt(0)!;
      const c = ch.codePointAt(0)!;
      if (lo <= c && c <= hi) return true;
      k += 2;
    } else if (body[k] === ch) return true;
  }
  return false;
}

/** Match one segment's pattern characters against one path segment, recursively. */
function bfSegment(p: string[], i: number, s: string[], j: number): boolean {
  if (i === p.length) return j === s.length;
  const c = p[i]!;
  if (c === '*') return bfSegment(p, i + 1, s, j) || (j < s.length && bfSegment(p, i, s, j + 1));
  if (j === s.length) return false;
  const ch = s[j]!;
  if (ch === '/') return false;
  if (c === '?') return bfSegment(p, i + 1, s, j + 1);
  if (c === '[') {
    let close = -1;
    for (let k = i + 2; k < p.length; k++) {
      if (p[k] === ']') {
        close = k;
        break;
      }
    }
    if (close < 0) throw new Error('bf: unclosed class');
    let body = p.slice(i + 1, close);
    const negated = body[0] === '!' || body[0] === '^';
    if (negated) body = body.slice(1);
    const inside = bfClassContains(body, ch);
    return (negated ? !inside : inside) && bfSegment(p, close + 1, s, j + 1);
  }
  return c === ch && bfSegment(p, i + 1, s, j + 1);
}

/** Pattern segments vs path segments; `**` consumes zero or more segments. */
function bfSegments2(p: string[], i: number, s: string[], j: number): boolean {
  if (i === p.length) return j === s.length;
  if (p[i] === '**') return bfSegments2(p, i + 1, s, j) || (j < s.length && bfSegments2(p, i, s, j + 1));
  return j < s.length && bfSegment([...p[i]!], 0, [...s[j]!], 0) && bfSegments2(p, i + 1, s, j + 1);
}

/** Brute-force glob match of a normalized pattern (optionally `${param}`-rooted) against a path. */
function bfGlob(pattern: string, path: string, params: Record<string, string> = {}): boolean {
  let body = pattern;
  let prefix: string[] = [];
  if (pattern.startsWith('${')) {
    const end = pattern.indexOf('}');
    const value = params[pattern.slice(2, end)];
    if (value === undefined) throw new Error('bf: unbound');
    prefix = bfSegments(bfNormalize(value));
    body = pattern.slice(end + 1);
  }
  const s = bfSegments(bfNormalize(path));
  if (s.length < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (s[k] !== prefix[k]) return false;
  return bfSegments2(bfSegments(body), 0, s.slice(prefix.length), 0);
}

describe('the brute-force glob matcher itself', () => {
  it('handles the basics', () => {
    expect(bfGlob('/a/**', '/a')).toBe(true);
    expect(bfGlob('/a/*', '/a')).toBe(false);
    expect(bfGlob('/a/[!b]', '/a/c')).toBe(true);
    expect(bfGlob('${w}/x', '/p/q/x', { w: '/p/q' })).toBe(true);
    expect(bfGlob('${w}/x', '/p/x', { w: '/p/q' })).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// Generators

const PATH_CHARS = ['a', 'b', 'c', '.', '-'];
const ATOMS = ['a', 'b', '.', '*', '?', '[ab]', '[!a]', '[a-b]', '[.]', '[!.b]', '[.-a]', '[b-c]', '[^c]'];

type GenSegment = '**' | string[];

/** A normalized pattern: no empty, `.` or `..` segments, no repeated `**`, no `**` inside a segment. */
const genSegmentArb: fc.Arbitrary<GenSegment> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('**' as const) },
  {
    weight: 4,
    arbitrary: fc.array(fc.constantFrom(...ATOMS), { minLength: 1, maxLength: 4 }).map((atoms) => {
      const merged = atoms.filter((a, k) => !(a === '*' && atoms[k - 1] === '*'));
      const text = merged.join('');
      return text === '.' || text === '..' ? ['a', ...merged] : merged;
    }),
  },
);

const genPatternArb: fc.Arbitrary<GenSegment[]> = fc
  .array(genSegmentArb, { minLength: 0, maxLength: 4 })
  .map((segs) => segs.filter((s, k) => !(s === '**' && segs[k - 1] === '**')));

const patternText = (segs: GenSegment[]): string => '/' + segs.map((s) => (s === '**' ? '**' : s.join(''))).join('/');

const pathSegmentArb = fc
  .array(fc.constantFrom(...PATH_CHARS), { minLength: 1, maxLength: 3 })
  .map((cs) => cs.join(''))
  .filter((s) => s !== '.' && s !== '..');
const pathArb: fc.Arbitrary<string> = fc.array(pathSegmentArb, { minLength: 0, maxLength: 5 }).map((segs) => '/' + segs.join('/'));

/** A path built to match `segs` where the random choices allow it (it may still miss). */
function instanceArb(segs: GenSegment[]): fc.Arbitrary<string> {
  return fc.array(fc.nat({ max: 1000 }), { minLength: 64, maxLength: 64 }).map((choices) => {
    let k = 0;
    const next = (n: number): number => choices[k++ % choices.length]! % n;
    const randomChar = (): string => PATH_CHARS[next(PATH_CHARS.length)]!;
    const out: string[] = [];
    for (const seg of segs) {
      if (seg === '**') {
        const n = next(3);
        for (let i = 0; i < n; i++) out.push(randomChar() + (next(2) ? randomChar() : ''));
        continue;
      }
      let text = '';
      for (const atom of seg) {
        if (atom === '*') {
          const n = next(3);
          for (let i = 0; i < n; i++) text += randomChar();
        } else if (atom === '?') text += randomChar();
        else if (atom.startsWith('[')) {
          const fits = PATH_CHARS.filter((ch) => bfSegment([...atom], 0, [ch], 0));
          text += fits.length > 0 ? fits[next(fits.length)]! : randomChar();
        } else text += atom;
      }
      out.push(text);
    }
    return bfNormalize('/' + out.join('/'));
  });
}

/** Either a random path or one built from one of the given patterns. */
function pathFor(...patterns: GenSegment[][]): fc.Arbitrary<string> {
  return fc.oneof(pathArb, ...patterns.map(instanceArb));
}

function expectNormalized(pattern: string): void {
  expect(normalizeGlob(pattern)).toEqual({ patterns: [pattern] });
}

const rightArb = fc.constantFrom(...FS_RIGHTS);

describe('property: decide agrees with a brute-force glob matcher', () => {
  it('one allow, one deny', () => {
    const scenario = fc.tuple(genPatternArb, genPatternArb).chain(([allow, deny]) => fc.tuple(fc.constant(allow), fc.constant(deny), pathFor(allow, deny)));
    fc.assert(
      fc.property(scenario, ([allowSegs, denySegs, path]) => {
        const allow = patternText(allowSegs);
        const deny = patternText(denySegs);
        expectNormalized(allow);
        expectNormalized(deny);
        const ir = fsIr([fsRule('a', 'allow', ['read'], [allow]), fsRule('d', 'deny', ['read'], [deny])]);
        const expected = bfGlob(allow, path) && !bfGlob(deny, path);
        const d = decide(ir, fsReq(path));
        expect(d.allowed).toBe(expected);
        expect(d.reason).toBe(bfGlob(deny, path) ? 'denied-by-rule' : expected ? 'allowed-by-rule' : 'no-matching-allow');
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('several patterns, excepts, param roots and rights', () => {
    const ruleArb = fc.record({
      effect: fc.constantFrom('allow' as const, 'deny' as const),
      access: fc.subarray([...FS_RIGHTS], { minLength: 1 }),
      paths: fc.array(fc.tuple(fc.boolean(), genPatternArb), { minLength: 1, maxLength: 3 }),
      except: fc.array(fc.tuple(fc.boolean(), genPatternArb), { maxLength: 2 }),
    });
    const scenario = fc.tuple(fc.array(ruleArb, { minLength: 1, maxLength: 4 }), pathArb).chain(([rules, root]) => {
      const all = rules.flatMap((r) => [...r.paths, ...r.except].map(([rooted, segs]) => (rooted ? [...bfSegments(root).map((s) => [...s]), ...segs] : segs)));
      return fc.tuple(fc.constant(rules), fc.constant(root), pathFor(...all), rightArb);
    });
    fc.assert(
      fc.property(scenario, ([rules, root, path, access]) => {
        const text = ([rooted, segs]: [boolean, GenSegment[]]): string => (rooted ? '${p}' + (segs.length === 0 ? '' : patternText(segs)) : patternText(segs));
        const irRules = rules.map((r, k) => fsRule(`r${k}`, r.effect, r.access, r.paths.map(text), r.except.map(text)));
        for (const r of irRules) for (const p of [...r.paths, ...r.except]) expectNormalized(p);
        const params = { p: root };
        const matches = (r: IrFsRule): boolean => r.access.includes(access) && r.paths.some((p) => bfGlob(p, path, params)) && !r.except.some((p) => bfGlob(p, path, params));
        const denies = irRules.filter((r) => r.effect === 'deny' && matches(r)).map((r) => r.id);
        const allows = irRules.filter((r) => r.effect === 'allow' && matches(r)).map((r) => r.id);
        const d = decide(fsIr(irRules), fsReq(path, access), params);
        expect(d.allowed).toBe(allows.length > 0 && denies.length === 0);
        expect(d.deciding).toEqual(denies.length > 0 ? denies : allows);
      }),
      { numRuns: RUNS },
    );
  });

  it('glob.ts globMatches agrees with the brute-force matcher (cross-check of the shared glob module)', () => {
    const scenario = genPatternArb.chain((segs) => fc.tuple(fc.constant(segs), pathFor(segs)));
    fc.assert(
      fc.property(scenario, ([segs, path]) => {
        expect(globMatches(patternText(segs), path)).toBe(bfGlob(patternText(segs), path));
      }),
      { numRuns: RUNS },
    );
  });
});

// Random fs policies and requests for the structural properties.
const fsRuleArb = (k: number): fc.Arbitrary<IrFsRule> =>
  fc.record({
    effect: fc.constantFrom('allow' as const, 'deny' as const),
    access: fc.subarray([...FS_RIGHTS], { minLength: 1 }),
    paths: fc.array(genPatternArb.map(patternText), { minLength: 1, maxLength: 3 }),
    except: fc.array(genPatternArb.map(patternText), { maxLength: 2 }),
  }).map((r) => fsRule(`fs${k}`, r.effect, r.access, r.paths, r.except));

const fsRulesArb: fc.Arbitrary<IrFsRule[]> = fc.integer({ min: 0, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, k) => fsRuleArb(k))));

/** Paths as users might write them: with `.`, `..`, `//` and trailing slashes. */
const messyPathArb: fc.Arbitrary<string> = fc
  .array(fc.oneof(pathSegmentArb, fc.constantFrom('.', '..', '')), { maxLength: 6 })
  .chain((segs) => fc.constantFrom('/' + segs.join('/'), '/' + segs.join('/') + '/', '//' + segs.join('//')));

const fsReqArb: fc.Arbitrary<FsRequest> = fc.record({ kind: fc.constant('fs' as const), access: rightArb, path: fc.oneof(pathArb, messyPathArb) });

// Random net policies and requests.
const HOST_POOL: IrHost[] = [
  ANY_HOST, name('example.com'), name('a.example.com'), name('x.org'), wildcard('example.com'), wildcard('a.example.com'),
  cidr('10.0.0.0/8'), cidr('10.1.0.0/16'), cidr('10.1.2.3/32'), cidr('0.0.0.0/0'), cidr('169.254.169.254/32'),
  cidr('::/0'), cidr('2001:db8::/32'), cidr('::ffff:0:0/96'), cidr('::ffff:a00:0/104'), cidr('::1/128'),
];
const REQUEST_HOSTS = [
  'example.com', 'a.example.com', 'b.a.example.com', 'A.Example.COM.', 'x.org', 'y.x.org', 'localhost',
  '10.0.0.1', '10.1.2.3', '10.255.255.255', '11.0.0.0', '169.254.169.254', '0.0.0.0', '255.255.255.255',
  '::ffff:10.1.2.3', '::ffff:a01:203', '::ffff:169.254.169.254', '::1', '::', '2001:db8::1', '2001:DB8:0::ffff', '2001:db9::', '[::1]',
];
const PORT_POOL: PortRange[] = [{ from: 0, to: 65535 }, { from: 443, to: 443 }, { from: 80, to: 443 }, { from: 8000, to: 8080 }, { from: 0, to: 0 }, { from: 65535, to: 65535 }];
const PORTS = [0, 1, 53, 79, 80, 443, 444, 7999, 8000, 8080, 8081, 65534, 65535];

const netTargetArb = (resolve: boolean): fc.Arbitrary<IrNetTarget> =>
  resolve
    ? fc.constantFrom(...HOST_POOL.filter((h) => h.kind !== 'cidr')).map((host) => ({ host, ports: [] }))
    : fc.record({ host: fc.constantFrom(...HOST_POOL), ports: fc.subarray(PORT_POOL, { minLength: 1, maxLength: 2 }) });

const netRuleArb = (k: number): fc.Arbitrary<IrNetRule> =>
  fc.constantFrom('connect' as const, 'bind' as const, 'resolve' as const).chain((operation) =>
    fc
      .record({
        effect: fc.constantFrom('allow' as const, 'deny' as const),
        protocols: operation === 'resolve' ? fc.constant([] as Protocol[]) : fc.subarray(['tcp', 'udp'] as Protocol[], { minLength: 1 }),
        targets: fc.array(netTargetArb(operation === 'resolve'), { minLength: 1, maxLength: 3 }),
        except: fc.array(netTargetArb(operation === 'resolve'), { maxLength: 2 }),
      })
      .map((r) => netRule(`net${k}`, r.effect, operation, r.targets, { protocols: r.protocols, except: r.except })),
  );

const netRulesArb: fc.Arbitrary<IrNetRule[]> = fc.integer({ min: 0, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, k) => netRuleArb(k))));

const netReqArb: fc.Arbitrary<NetRequest> = fc.oneof(
  fc.record({
    kind: fc.constant('net' as const),
    operation: fc.constantFrom('connect' as const, 'bind' as const),
    protocol: fc.constantFrom('tcp' as const, 'udp' as const),
    host: fc.constantFrom(...REQUEST_HOSTS),
    port: fc.constantFrom(...PORTS),
  }),
  fc.record({ kind: fc.constant('net' as const), operation: fc.constant('resolve' as const), host: fc.constantFrom(...REQUEST_HOSTS.filter((h) => parseIp(h.replace(/^\[|\]$/g, '')) === undefined)) }),
);

const sortedIds = (d: Decision): string[] => [...d.deciding].sort();

describe('property: deny wins (adding a deny never allows more)', () => {
  it('fs', () => {
    fc.assert(
      fc.property(fsRulesArb, fsRuleArb(99), fsReqArb, fc.nat(), (rules, extra, req, at) => {
        const deny = { ...extra, effect: 'deny' as const };
        const before = decide(fsIr(rules), req);
        const withDeny = [...rules];
        withDeny.splice(at % (rules.length + 1), 0, deny);
        const after = decide(fsIr(withDeny), req);
        if (!before.allowed) expect(after.allowed).toBe(false);
        if (after.allowed) expect(after.deciding).toEqual(before.deciding);
      }),
      { numRuns: RUNS },
    );
  });

  it('net', () => {
    fc.assert(
      fc.property(netRulesArb, netRuleArb(99), netReqArb, fc.nat(), (rules, extra, req, at) => {
        const deny = { ...extra, effect: 'deny' as const };
        const before = decide(netIr(rules), req);
        const withDeny = [...rules];
        withDeny.splice(at % (rules.length + 1), 0, deny);
        if (!before.allowed) expect(decide(netIr(withDeny), req).allowed).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('syscalls: adding a deny whose action stops the call never lets more calls proceed', () => {
    fc.assert(
      fc.property(syscallPolicyArb, syscallRuleArb(99), stoppingActionArb, syscallReqArb, fc.nat(), (policy, extra, action, req, at) => {
        const deny: IrSyscallRule = { ...extra, effect: 'deny', action };
        const before = decide(policy, req);
        const rules = [...policy.syscalls.rules.x86_64];
        rules.splice(at % (rules.length + 1), 0, deny);
        const after = decide({ ...policy, syscalls: { ...policy.syscalls, rules: { ...policy.syscalls.rules, x86_64: rules } } }, req);
        if (!before.allowed) expect(after.allowed).toBe(false);
        expect(actionSeverity(after.action)).toBeGreaterThanOrEqual(before.reason === 'default-action' ? 0 : actionSeverity(before.action));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: rule order is irrelevant', () => {
  it('fs', () => {
    const arb = fsRulesArb.chain((rules) => fc.tuple(fc.constant(rules), fc.shuffledSubarray(rules, { minLength: rules.length, maxLength: rules.length })));
    fc.assert(
      fc.property(arb, fsReqArb, ([rules, shuffled], req) => {
        const a = decide(fsIr(rules), req);
        const b = decide(fsIr(shuffled), req);
        expect({ ...b, deciding: sortedIds(b) }).toEqual({ ...a, deciding: sortedIds(a) });
      }),
      { numRuns: RUNS },
    );
  });

  it('net', () => {
    const arb = netRulesArb.chain((rules) => fc.tuple(fc.constant(rules), fc.shuffledSubarray(rules, { minLength: rules.length, maxLength: rules.length })));
    fc.assert(
      fc.property(arb, netReqArb, ([rules, shuffled], req) => {
        const a = decide(netIr(rules), req);
        const b = decide(netIr(shuffled), req);
        expect({ ...b, deciding: sortedIds(b) }).toEqual({ ...a, deciding: sortedIds(a) });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: net semantics against an independent model', () => {
  /** Independent CIDR check on binary strings. */
  const bits = (v: bigint, width: number): string => v.toString(2).padStart(width, '0');
  const refIp = (h: string): { family: 4 | 6; value: bigint } | undefined => parseIp(h.replace(/^\[|\]$/g, ''));
  const refHost = (host: IrHost, reqHost: string): boolean => {
    const h = reqHost.toLowerCase().replace(/\.$/, '');
    const ip = refIp(h);
    if (host.kind === 'any') return true;
    if (host.kind === 'name') return ip === undefined && h === host.name;
    if (host.kind === 'wildcard') {
      if (ip !== undefined) return false;
      const labels = h.split('.');
      const suffix = host.suffix.split('.');
      return labels.length > suffix.length && labels.slice(labels.length - suffix.length).join('.') === host.suffix && labels.slice(0, labels.length - suffix.length).every((l) => l !== '');
    }
    if (ip === undefined) return false;
    const net = parseIp(host.address)!;
    const width = host.family === 4 ? 32 : 128;
    const forms = [ip];
    if (ip.family === 4) forms.push({ family: 6, value: BigInt('0x' + 'ffff' + ip.value.toString(16).padStart(8, '0')) });
    else if (bits(ip.value, 128).startsWith('0'.repeat(80) + '1'.repeat(16))) forms.push({ family: 4, value: BigInt('0b' + bits(ip.value, 128).slice(96)) });
    return forms.some((f) => f.family === host.family && bits(f.value, width).slice(0, host.prefix) === bits(net.value, width).slice(0, host.prefix));
  };
  const refTarget = (t: IrNetTarget, req: NetRequest): boolean => refHost(t.host, req.host) && (req.operation === 'resolve' || t.ports.some((p) => p.from <= req.port && req.port <= p.to));
  const refRule = (r: IrNetRule, req: NetRequest): boolean =>
    r.operation === req.operation && (req.operation === 'resolve' || r.protocols.includes(req.protocol)) && r.targets.some((t) => refTarget(t, req)) && !r.except.some((t) => refTarget(t, req));

  it('decide matches the model', () => {
    fc.assert(
      fc.property(netRulesArb, netReqArb, (rules, req) => {
        const denies = rules.filter((r) => r.effect === 'deny' && refRule(r, req)).map((r) => r.id);
        const allows = rules.filter((r) => r.effect === 'allow' && refRule(r, req)).map((r) => r.id);
        const d = decide(netIr(rules), req);
        expect(d.allowed).toBe(denies.length === 0 && allows.length > 0);
        expect(d.deciding).toEqual(denies.length > 0 ? denies : allows);
      }),
      { numRuns: RUNS },
    );
  });

  it('an IPv4 address and its mapped IPv6 form are always decided alike', () => {
    const v4Arb = fc.oneof(fc.constantFrom(0n, 0x0a000000n, 0x0a010203n, 0x0affffffn, 0xa9fea9fen, 0xffffffffn, 0x0b000000n), fc.bigInt({ min: 0n, max: 0xffffffffn }));
    const cidrArb = fc.oneof(
      fc.tuple(v4Arb, fc.integer({ min: 0, max: 32 })).map(([v, p]): IrHost => ({ kind: 'cidr', family: 4, address: fmt4(v & ~((1n << BigInt(32 - p)) - 1n)), prefix: p })),
      fc.tuple(v4Arb, fc.integer({ min: 0, max: 128 })).map(([v, p]): IrHost => ({ kind: 'cidr', family: 6, address: fmt6Full((0xffffn << 32n | v) & ~((1n << BigInt(128 - p)) - 1n)), prefix: p })),
    );
    const rulesArb = fc.array(fc.tuple(fc.constantFrom('allow' as const, 'deny' as const), cidrArb), { maxLength: 5 }).map((rs) => rs.map(([effect, host], k) => netRule(`c${k}`, effect, 'connect', [target(host)])));
    fc.assert(
      fc.property(rulesArb, v4Arb, fc.constantFrom<(v: bigint) => string>((v) => '::ffff:' + fmt4(v), (v) => '::ffff:' + (v >> 16n).toString(16) + ':' + (v & 0xffffn).toString(16), (v) => fmt6Full(0xffffn << 32n | v)), (rules, v, mapped) => {
        const a = decide(netIr(rules), connect(fmt4(v)));
        const b = decide(netIr(rules), connect(mapped(v)));
        expect(b).toEqual(a);
      }),
      { numRuns: RUNS },
    );
  });

  it('parseIp reads every textual form of an IPv6 address', () => {
    const v6Arb = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
      // Addresses with runs of zero groups, to exercise ::.
      fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).map((gs) => gs.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n)),
    );
    fc.assert(
      fc.property(v6Arb, fc.nat({ max: 7 }), fc.nat({ max: 8 }), fc.boolean(), fc.boolean(), fc.boolean(), (v, start, len, upper, pad, v4tail) => {
        const groups = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(16 * (7 - i))) & 0xffffn));
        const g = (x: number): string => {
          const s = x.toString(16);
          const t = pad ? s.padStart(4, '0') : s;
          return upper ? t.toUpperCase() : t;
        };
        // Pick a run of zero groups to compress, if [start, start+len) is all zeros.
        const end = Math.min(8, start + len);
        const canCompress = len > 0 && groups.slice(start, end).every((x) => x === 0);
        const tailV4 = v4tail && (!canCompress || end <= 6);
        const body = tailV4 ? groups.slice(0, 6) : groups;
        const v4text = fmt4(v & 0xffffffffn);
        let text: string;
        if (canCompress) {
          const head = body.slice(0, start).map(g).join(':');
          const rest = body.slice(Math.min(end, body.length)).map(g);
          const tail = tailV4 ? [...rest, v4text].join(':') : rest.join(':');
          text = head + '::' + tail;
          if (start >= body.length && tailV4) text = head + '::' + v4text; // compressed run ends right before the IPv4 tail
        } else text = [...body.map(g), ...(tailV4 ? [v4text] : [])].join(':');
        expect(parseIp(text), text).toEqual({ family: 6, value: v });
      }),
      { numRuns: RUNS },
    );
  });
});

function fmt4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

function fmt6Full(v: bigint): string {
  return Array.from({ length: 8 }, (_, i) => ((v >> BigInt(16 * (7 - i))) & 0xffffn).toString(16)).join(':');
}

// ---------------------------------------------------------------------------
// syscalls: properties against an independent model

const TWO32 = 4294967296n;
const TWO64 = 18446744073709551616n;

/** Bitwise AND on two 64-bit values, one bit at a time with division (no & operator). */
function refAnd(a: bigint, b: bigint): bigint {
  let result = 0n;
  let weight = 1n;
  for (let i = 0; i < 64; i++) {
    if ((a / weight) % 2n === 1n && (b / weight) % 2n === 1n) result += weight;
    weight *= 2n;
  }
  return result;
}

function refCondition(c: IrArgCondition, args: readonly bigint[]): boolean {
  const raw = args[c.arg] ?? 0n;
  const v = c.bits === 32 ? raw % TWO32 : raw;
  const value = BigInt(c.value);
  const diff = v - value;
  switch (c.op) {
    case 'eq': return diff === 0n;
    case 'ne': return diff !== 0n;
    case 'lt': return diff < 0n;
    case 'le': return diff <= 0n;
    case 'gt': return diff > 0n;
    case 'ge': return diff >= 0n;
    case 'masked_eq': return refAnd(v, BigInt(c.mask!)) === value;
    case 'masked_ne': return refAnd(v, BigInt(c.mask!)) !== value;
  }
}

const RANKING = ['allow', 'log', 'errno', 'trap', 'kill_thread', 'kill_process'];

function refDecideSyscall(ir: PolicyIR, req: SyscallRequest): { allowed: boolean; action: IrAction; winner?: string; ids: string[] } {
  const matching = ir.syscalls.rules[req.arch].filter((r) => r.syscall === req.syscall && (r.when === null || r.when.some((conj) => conj.every((c) => refCondition(c, req.args)))));
  const denies = matching.filter((r) => r.effect === 'deny');
  const proceeds = (a: IrAction): boolean => a.kind === 'allow' || a.kind === 'log';
  if (denies.length > 0) {
    const act = (r: IrSyscallRule): IrAction => r.action ?? ir.syscalls.defaultAction;
    let best = denies[0]!;
    for (const r of denies) if (RANKING.indexOf(act(r).kind) > RANKING.indexOf(act(best).kind)) best = r;
    return { allowed: proceeds(act(best)), action: act(best), winner: best.id, ids: denies.map((r) => r.id) };
  }
  const allows = matching.filter((r) => r.effect === 'allow');
  if (allows.length > 0) return { allowed: true, action: { kind: 'allow' }, ids: allows.map((r) => r.id) };
  return { allowed: proceeds(ir.syscalls.defaultAction), action: ir.syscalls.defaultAction, ids: [] };
}

const U32_BOUNDARIES = [0n, 1n, 2n, 40n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn];
const U64_BOUNDARIES = [...U32_BOUNDARIES, TWO32, TWO32 + 1n, TWO32 + 40n, 1n << 63n, (1n << 63n) - 1n, TWO64 - 1n, TWO64 - 2n, 0xffffffff_00000000n, 0xffffffff_00000028n, 0x1_00000028n];

const u32Arb = fc.oneof(fc.constantFrom(...U32_BOUNDARIES), fc.bigInt({ min: 0n, max: TWO32 - 1n }));
const u64Arb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...U64_BOUNDARIES) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: TWO64 - 1n }) },
  // Garbage upper half over an interesting lower half.
  { weight: 2, arbitrary: fc.tuple(fc.bigInt({ min: 0n, max: TWO32 - 1n }), fc.constantFrom(...U32_BOUNDARIES)).map(([hi, lo]) => hi * TWO32 + lo) },
);
const argsArb = fc.array(u64Arb, { minLength: 6, maxLength: 6 });

const conditionArb: fc.Arbitrary<IrArgCondition> = fc.record({
  arg: fc.integer({ min: 0, max: 5 }),
  bits: fc.constantFrom(32 as const, 64 as const),
  op: fc.constantFrom<CompareOperator>('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked_eq', 'masked_ne'),
  a: u64Arb,
  b: u64Arb,
}).map(({ arg, bits, op, a, b }) => {
  const fit = (x: bigint): bigint => (bits === 32 ? x % TWO32 : x);
  const masked = op === 'masked_eq' || op === 'masked_ne';
  // For masked ops draw value within the mask half the time so equality is reachable.
  const mask = fit(b);
  const value = masked && a % 2n === 0n ? refAnd(fit(a), mask) : fit(a);
  return cond(arg, op, value, bits, masked ? mask : undefined);
});

const SYSCALL_NAMES = ['read', 'socket', 'ioctl', 'openat'];
const actionArb: fc.Arbitrary<IrAction> = fc.oneof(
  fc.constantFrom<IrAction>({ kind: 'allow' }, { kind: 'log' }, { kind: 'trap' }, { kind: 'kill_thread' }, { kind: 'kill_process' }),
  fc.integer({ min: 1, max: 4095 }).map((errno): IrAction => ({ kind: 'errno', errno })),
);
const stoppingActionArb = actionArb.filter((a) => a.kind !== 'allow' && a.kind !== 'log');

function syscallRuleArb(k: number): fc.Arbitrary<IrSyscallRule> {
  return fc.record({
    effect: fc.constantFrom('allow' as const, 'deny' as const),
    syscall: fc.constantFrom(...SYSCALL_NAMES),
    when: fc.oneof(
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constant([] as IrArgCondition[][]) },
      { weight: 4, arbitrary: fc.array(fc.array(conditionArb, { minLength: 0, maxLength: 3 }), { minLength: 1, maxLength: 3 }) },
    ),
    action: fc.option(actionArb, { nil: undefined }),
  }).map((r) => sysRule(`sc${k}`, r.effect, r.syscall, r.when, r.effect === 'deny' ? r.action : undefined));
}

const syscallPolicyArb: fc.Arbitrary<PolicyIR> = fc
  .tuple(fc.integer({ min: 0, max: 6 }), actionArb)
  .chain(([n, def]) => fc.tuple(fc.constant(def), fc.tuple(...Array.from({ length: n }, (_, k) => syscallRuleArb(k)))))
  .map(([def, rules]) => sysIr(rules, def));

const syscallReqArb: fc.Arbitrary<SyscallRequest> = fc.record({
  kind: fc.constant('syscall' as const),
  arch: fc.constant('x86_64' as const),
  syscall: fc.constantFrom(...SYSCALL_NAMES, 'frobnicate'),
  args: argsArb,
});

describe('property: syscall semantics against an independent model', () => {
  it('conditionHolds agrees with modular arithmetic and a bit-by-bit AND', () => {
    fc.assert(
      fc.property(conditionArb, argsArb, (c, args) => {
        expect(conditionHolds(c, args)).toBe(refCondition(c, args));
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('conditions that hold by construction do hold, with any upper bits on 32-bit args', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), u32Arb, fc.bigInt({ min: 0n, max: TWO32 - 1n }), (arg, lo, hi) => {
        const args = [0n, 0n, 0n, 0n, 0n, 0n];
        args[arg] = hi * TWO32 + lo;
        expect(conditionHolds(cond(arg, 'eq', lo, 32), args)).toBe(true);
        expect(conditionHolds(cond(arg, 'eq', lo, 64), args)).toBe(hi === 0n);
        expect(conditionHolds(cond(arg, 'le', lo, 32), args)).toBe(true);
        expect(conditionHolds(cond(arg, 'masked_eq', lo, 32, 0xffffffffn), args)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('decide agrees with the model on random policies', () => {
    fc.assert(
      fc.property(syscallPolicyArb, syscallReqArb, (ir, req) => {
        const want = refDecideSyscall(ir, req);
        const d = decide(ir, req);
        expect(d.allowed).toBe(want.allowed);
        expect(d.action).toEqual(want.action);
        if (want.winner !== undefined) expect(d.deciding[0]).toBe(want.winner);
        expect(sortedIds(d)).toEqual([...want.ids].sort());
        expect(d.reason).toBe(want.winner !== undefined ? 'denied-by-rule' : want.ids.length > 0 ? 'allowed-by-rule' : 'default-action');
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

// ---------------------------------------------------------------------------
// Purity and totality

describe('property: decide is a pure, total function on valid requests', () => {
  it('fs: same result twice, no throw, and invariant under path normalization', () => {
    fc.assert(
      fc.property(fsRulesArb, fsReqArb, (rules, req) => {
        const ir = fsIr(rules);
        const snapshot = JSON.stringify(ir);
        const a = decide(ir, req);
        const b = decide(ir, req);
        expect(b).toEqual(a);
        expect(JSON.stringify(ir)).toBe(snapshot);
        expect(decide(ir, { ...req, path: bfNormalize(req.path) })).toEqual(a);
        expect(a.allowed).toBe(a.reason === 'allowed-by-rule');
        expect(a.action).toEqual(a.allowed ? { kind: 'allow' } : { kind: 'errno', errno: 13 });
        if (a.reason === 'no-matching-allow') expect(a.deciding).toEqual([]);
        else expect(a.deciding.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('net: same result twice, no throw', () => {
    fc.assert(
      fc.property(netRulesArb, netReqArb, (rules, req) => {
        const ir = netIr(rules);
        expect(decide(ir, req)).toEqual(decide(ir, req));
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------
// request.ts

describe('parseRequest', () => {
  const ok: [string, Request][] = [
    ['read /home/u/.ssh/config', { kind: 'fs', access: 'read', path: '/home/u/.ssh/config' }],
    ['write /x', { kind: 'fs', access: 'write', path: '/x' }],
    ['exec /usr/bin/git', { kind: 'fs', access: 'exec', path: '/usr/bin/git' }],
    ['  refer   /a/b  ', { kind: 'fs', access: 'refer', path: '/a/b' }],
    ['read /tmp/my file.txt', { kind: 'fs', access: 'read', path: '/tmp/my file.txt' }],
    ['read "/tmp/trailing "', { kind: 'fs', access: 'read', path: '/tmp/trailing ' }],
    ['read /', { kind: 'fs', access: 'read', path: '/' }],
    ['connect tcp registry.npmjs.org:443', { kind: 'net', operation: 'connect', protocol: 'tcp', host: 'registry.npmjs.org', port: 443 }],
    ['connect udp 10.0.0.1:53', { kind: 'net', operation: 'connect', protocol: 'udp', host: '10.0.0.1', port: 53 }],
    ['bind tcp 127.0.0.1:8080', { kind: 'net', operation: 'bind', protocol: 'tcp', host: '127.0.0.1', port: 8080 }],
    ['connect tcp [::1]:443', { kind: 'net', operation: 'connect', protocol: 'tcp', host: '::1', port: 443 }],
    ['connect tcp [::ffff:1.2.3.4]:0', { kind: 'net', operation: 'connect', protocol: 'tcp', host: '::ffff:1.2.3.4', port: 0 }],
    ['connect tcp "registry.npmjs.org":65535', { kind: 'net', operation: 'connect', protocol: 'tcp', host: 'registry.npmjs.org', port: 65535 }],
    ['connect tcp bücher.de:443', { kind: 'net', operation: 'connect', protocol: 'tcp', host: 'bücher.de', port: 443 }],
    ['resolve example.com', { kind: 'net', operation: 'resolve', host: 'example.com' }],
    ['resolve Example.COM.', { kind: 'net', operation: 'resolve', host: 'Example.COM.' }],
    ['syscall x86_64 socket 2 1 0', { kind: 'syscall', arch: 'x86_64', syscall: 'socket', nr: 41, args: [2n, 1n, 0n, 0n, 0n, 0n] }],
    ['syscall aarch64 openat 0xffffff9c 0 0', { kind: 'syscall', arch: 'aarch64', syscall: 'openat', nr: 56, args: [0xffffff9cn, 0n, 0n, 0n, 0n, 0n] }],
    ['syscall socket(2, 1, 0)', { kind: 'syscall', arch: 'x86_64', syscall: 'socket', nr: 41, args: [2n, 1n, 0n, 0n, 0n, 0n] }],
    ['syscall aarch64 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)', { kind: 'syscall', arch: 'aarch64', syscall: 'socket', nr: 198, args: [2n, 0x80001n, 0n, 0n, 0n, 0n] }],
    ['syscall openat(-100, 0, 0o644)', { kind: 'syscall', arch: 'x86_64', syscall: 'openat', nr: 257, args: [TWO64 - 100n, 0n, 0o644n, 0n, 0n, 0n] }],
    ['syscall getpid()', { kind: 'syscall', arch: 'x86_64', syscall: 'getpid', nr: 39, args: [0n, 0n, 0n, 0n, 0n, 0n] }],
    ['syscall getpid', { kind: 'syscall', arch: 'x86_64', syscall: 'getpid', nr: 39, args: [0n, 0n, 0n, 0n, 0n, 0n] }],
    ['syscall x86_64 41 0x100000028', { kind: 'syscall', arch: 'x86_64', syscall: 'socket', nr: 41, args: [0x1_00000028n, 0n, 0n, 0n, 0n, 0n] }],
    ['syscall x86_64 999 1', { kind: 'syscall', arch: 'x86_64', syscall: '', nr: 999, args: [1n, 0n, 0n, 0n, 0n, 0n] }],
    ['syscall ?frobnicate 1 2 3 4 5 18446744073709551615', { kind: 'syscall', arch: 'x86_64', syscall: 'frobnicate', args: [1n, 2n, 3n, 4n, 5n, TWO64 - 1n] }],
    ['syscall read -1', { kind: 'syscall', arch: 'x86_64', syscall: 'read', nr: 0, args: [TWO64 - 1n, 0n, 0n, 0n, 0n, 0n] }],
    ['syscall read -9223372036854775808', { kind: 'syscall', arch: 'x86_64', syscall: 'read', nr: 0, args: [1n << 63n, 0n, 0n, 0n, 0n, 0n] }],
  ];
  it.each(ok)('parses %j', (text, request) => {
    expect(parseRequest(text)).toEqual({ request });
    // And the text we print for it reads back the same.
    expect(parseRequest(formatRequest(request))).toEqual({ request });
  });

  const errors: [input: string, error: RegExp, help: RegExp][] = [
    ['', /empty request/, /read \/path/],
    ['   ', /empty request/, /syscall/],
    ['raed /x', /unknown request kind "raed"/, /did you mean "read"/],
    ['READ /x', /unknown request kind/, /lower case: "read"/],
    ['frobble /x', /unknown request kind/, /connect tcp/],
    ['/etc/passwd', /not with the path/, /read \/etc\/passwd/],
    ['readwrite /x', /several rights/, /read \/x/],
    ['readonly /x', /several rights/, /read/],
    ['read', /needs a path/, /read \/home/],
    ['write src/main.ts', /not absolute/, /write \/src\/main.ts/],
    ['read ./x', /not absolute/, /read \/x/],
    ['read ~/.ssh/id_rsa', /not absolute/, /~ is not expanded/],
    ['read "/unterminated', /malformed quoted path/, /JSON string/],
    ['read "/x" extra', /malformed quoted path/, /nothing after/],
    ['read "\\u0000"', /NUL/, /cannot contain NUL/],
    ['connect', /needs a protocol/, /connect tcp example.com:443/],
    ['connect example.com:443', /needs a protocol before the host/, /connect tcp example.com:443/],
    ['connect any example.com:443', /one protocol/, /tcp or udp/],
    ['connect TCP example.com:443', /unknown protocol "TCP"/, /lower case: "tcp"/],
    ['connect sctp example.com:443', /unknown protocol "sctp"/, /tcp or udp/],
    ['connect tcp', /needs host:port/, /connect tcp example.com:443/],
    ['connect tcp example.com', /has no port/, /example.com:443/],
    ['connect tcp example.com:', /invalid port ""/, /0 to 65535/],
    ['connect tcp example.com:65536', /invalid port "65536"/, /0 to 65535/],
    ['connect tcp example.com:-1', /invalid port/, /0 to 65535/],
    ['connect tcp example.com:any', /invalid port "any"/, /one port/],
    ['connect tcp example.com:443 extra', /unexpected text/, /one host:port/],
    ['connect tcp ::1:443', /ambiguous endpoint/, /\[::1\]:443 or \[::1:443\]:<port>/],
    ['connect tcp 2001:db8::1', /ambiguous endpoint/, /\[2001:db8::1\]:<port>/],
    ['connect tcp [::1', /unclosed \[/, /\[::1\]:443/],
    ['connect tcp [::1]', /has no port/, /\[::1\]:443/],
    ['connect tcp [::1]443', /unexpected "443"/, /\[address\]:port/],
    ['connect tcp [10.0.0.1]:443', /not an IPv6 address/, /brackets are only for IPv6/],
    ['connect tcp [::g]:443', /not an IPv6 address/, /brackets/],
    ['connect tcp 010.0.0.1:443', /invalid IPv4 address/, /without leading zeros/],
    ['connect tcp 1.2.3:443', /invalid IPv4 address/, /four decimal numbers/],
    ['connect tcp 256.1.1.1:443', /invalid IPv4 address/, /0 to 255/],
    ['connect tcp *.example.com:443', /is a pattern/, /concrete host/],
    ['connect tcp any:443', /not any/, /concrete host/],
    ['connect tcp -bad.example:443', /invalid host name/, /labels are 1-63/],
    ['connect tcp a..b:443', /invalid host name/, /labels/],
    ['connect tcp a,b:443', /invalid host name/, /labels/],
    [`connect tcp ${'a'.repeat(64)}.com:443`, /invalid host name/, /1-63/],
    ['resolve', /needs a host name/, /resolve example.com/],
    ['resolve tcp example.com', /no protocol/, /resolve example.com/],
    ['resolve example.com extra', /unexpected text/, /one host name/],
    ['resolve example.com:53', /takes no port/, /resolve example.com/],
    ['resolve 10.0.0.1', /is an address/, /connect tcp/],
    ['resolve [::1]', /is an address/, /connect tcp/],
    ['resolve *.example.com', /is a pattern/, /concrete host/],
    ['resolve exa mple', /unexpected text/, /one host name/],
    ['syscall', /needs a syscall name or number/, /syscall x86_64 socket/],
    ['syscall x86_64', /needs a syscall name or number/, /syscall x86_64 socket/],
    ['syscall arm64 openat 0', /unknown architecture "arm64"/, /aarch64/],
    ['syscall amd64 read', /unknown architecture/, /x86_64/],
    ['syscall i386 read', /unknown architecture/, /i386 is not supported/],
    ['syscall ptrce 1', /unknown syscall "ptrce" on x86_64/, /did you mean "ptrace"/],
    ['syscall aarch64 open 0', /unknown syscall "open" on aarch64/, /x86_64 only/],
    ['syscall florble', /unknown syscall/, /\?florble/],
    ['syscall Socket 1', /invalid syscall name/, /lower case: "socket"/],
    ['syscall so-cket 1', /invalid syscall name/, /letters, digits/],
    ['syscall 0x1_0000_0000', /invalid syscall name/, /by number/],
    ['syscall 4294967296', /out of range/, /32-bit/],
    ['syscall read 1 2 3 4 5 6 7', /7 arguments/, /at most 6|extra/],
    ['syscall read(1, 2, 3, 4, 5, 6, 7)', /7 arguments/, /extra/],
    ['syscall read 18446744073709551616', /does not fit in 64 bits/, /0xffffffffffffffff/],
    ['syscall read 0x10000000000000000', /does not fit in 64 bits/, /0xffff/],
    ['syscall read -9223372036854775809', /does not fit in 64 bits/, /-9223372036854775808/],
    ['syscall read 0644', /ambiguous/, /0o644.*644/],
    ['syscall read 1.5', /invalid value "1.5"/, /decimal, 0x hex/],
    ['syscall read 0xg', /invalid value/, /0x hex/],
    ['syscall read NOT_A_CONSTANT', /unknown constant "NOT_A_CONSTANT"/, /AF_INET/],
    ['syscall read 1|', /empty value/, /join flags/],
    ['syscall read 1,2', /unexpected comma/, /read\(a, b, c\)/],
    ['syscall read(1, 2', /unclosed \(/, /read\(2, 1, 0\)/],
    ['syscall read(1) 2', /unexpected text after \)/, /read\(/],
    ['syscall read(1,,2)', /argument 1 is empty/, /single commas/],
    ['syscall read(1, (2))', /unexpected parenthesis/, /commas/],
    ['syscall x86_64 a b(1)', /unexpected text "a b" before \(/, /right before \(/],
    ['syscall (1)', /missing syscall name/, /socket\(2, 1, 0\)/],
  ];
  it.each(errors)('rejects %j', (input, error, help) => {
    const r = parseRequest(input);
    expect('error' in r, JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe(true);
    if (!('error' in r)) return;
    expect(r.error).toMatch(error);
    expect(r.help).toMatch(help);
    expect(r.help.length).toBeGreaterThan(0);
  });
});

describe('formatRequest shows paths one can tell apart', () => {
  it('escapes a no-break or other non-ASCII space, as the formatter does, and reads back the same', () => {
    for (const [path, shown] of [
      ['/home/u/.ssh\u00a0', '"/home/u/.ssh\\u00a0"'],
      ['/srv/\u3000x', '"/srv/\\u3000x"'],
      ['/srv/\u200bsecrets', '"/srv/\\u200bsecrets"'],
      ['/srv/secrets', '/srv/secrets'],
    ] as const) {
      const request = { kind: 'fs' as const, access: 'read' as const, path };
      expect(formatRequest(request)).toBe(`read ${shown}`);
      expect(parseRequest(formatRequest(request))).toEqual({ request });
    }
  });
});

describe('property: formatRequest / parseRequest round trip', () => {
  const label = fc.array(fc.constantFrom(...'abcxyz019-_'), { minLength: 1, maxLength: 8 }).map((cs) => cs.join('')).filter((l) => !l.startsWith('-') && !l.endsWith('-'));
  const hostName = fc
    .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'org', 'example', 'Dev'), fc.boolean())
    .map(([ls, tld, dot]) => [...ls, tld].join('.') + (dot ? '.' : ''));
  const v4Text = fc.bigInt({ min: 0n, max: 0xffffffffn }).map(fmt4);
  const v6Text = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(fmt6Full), fc.constantFrom('::', '::1', '::ffff:1.2.3.4', '2001:db8::1', 'fe80::'));
  const pathChar = fc.constantFrom('a', 'b', ' ', '"', '.', '-', 'é', '😀', '\\', '$', '{', '*');
  const path = fc.array(fc.array(pathChar, { minLength: 1, maxLength: 4 }).map((cs) => cs.join('')), { maxLength: 4 }).map((segs) => '/' + segs.join('/'));

  const fsArb: fc.Arbitrary<Request> = fc.record({ kind: fc.constant('fs' as const), access: rightArb, path });
  const netArb: fc.Arbitrary<Request> = fc.oneof(
    fc.record({
      kind: fc.constant('net' as const),
      operation: fc.constantFrom('connect' as const, 'bind' as const),
      protocol: fc.constantFrom('tcp' as const, 'udp' as const),
      host: fc.oneof(hostName, v4Text, v6Text),
      port: fc.integer({ min: 0, max: 65535 }),
    }),
    fc.record({ kind: fc.constant('net' as const), operation: fc.constant('resolve' as const), host: hostName }),
  );
  const syscallArb: fc.Arbitrary<Request> = fc
    .tuple(fc.constantFrom<Arch>('x86_64', 'aarch64'), fc.nat(), fc.oneof(fc.constant('known'), fc.constant('unknown-name'), fc.constant('unknown-nr')), fc.array(u64Arb, { maxLength: 6 }), fc.integer({ min: 100000, max: 200000 }))
    .map(([arch, pick, kind, given, nr]): Request => {
      const args = [...given, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6);
      if (kind === 'known') {
        const names = syscallNames(arch);
        const n = names[pick % names.length]!;
        return { kind: 'syscall', arch, syscall: n, nr: syscallNumber(n, arch)!, args };
      }
      if (kind === 'unknown-name') return { kind: 'syscall', arch, syscall: `not_a_syscall_${pick}`, args };
      return { kind: 'syscall', arch, syscall: '', nr, args };
    });

  it('parseRequest(formatRequest(r)) equals r', () => {
    fc.assert(
      fc.property(fc.oneof(fsArb, netArb, syscallArb), (r) => {
        const text = formatRequest(r);
        const back = parseRequest(text);
        expect(back, text).toEqual({ request: r });
        expect(formatRequest((back as { request: Request }).request)).toBe(text);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('every parsed request is decidable without throwing', () => {
    const ir = makeIr({
      fs: { rules: [fsRule('a', 'allow', ['read'], ['/**'])] },
      net: { rules: [netRule('n', 'allow', 'connect', [target(ANY_HOST)])] },
      syscalls: { defaultAction: ERRNO_EPERM, rules: { x86_64: [sysRule('s', 'allow', 'read', null, undefined, 0)], aarch64: [] } },
    });
    fc.assert(
      fc.property(fc.oneof(fsArb, netArb, syscallArb), (r) => {
        const back = parseRequest(formatRequest(r));
        if (!('request' in back)) throw new Error('parse failed');
        expect(() => decide(ir, back.request)).not.toThrow();
      }),
      { numRuns: RUNS },
    );
  });
});
