import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ARCHES,
  CONSTANT_NAMES,
  ERRNO_NAMES,
  GROUP_NAMES,
  SYSCALLS_I386,
  SYSCALLS_X32,
  SYSCALLS_X86_64,
  SYSCALLS_AARCH64,
  SYSCALL_ARGS,
  SYSCALL_ARGS_ARCH_OVERRIDES,
  SYSCALL_GROUPS,
  SYSCALL_TABLE_SOURCE,
  X32_SYSCALL_BIT,
  expandGroup,
  isKnownSyscallAnywhere,
  isSyscallGroup,
  lookupConstant,
  syscallArgs,
  syscallName,
  syscallNames,
  syscallNumber,
  type Arch,
} from './index.js';

const HERE = dirname(fileURLToPath(import.meta.url));

describe('syscall numbers', () => {
  it('has the well-known x86_64 numbers', () => {
    expect(syscallNumber('read', 'x86_64')).toBe(0);
    expect(syscallNumber('openat', 'x86_64')).toBe(257);
    expect(syscallNumber('socket', 'x86_64')).toBe(41);
    expect(syscallNumber('ptrace', 'x86_64')).toBe(101);
    expect(syscallNumber('io_uring_setup', 'x86_64')).toBe(425);
    expect(syscallNumber('open', 'x86_64')).toBe(2);
  });

  it('has the well-known aarch64 numbers', () => {
    expect(syscallNumber('openat', 'aarch64')).toBe(56);
    expect(syscallNumber('socket', 'aarch64')).toBe(198);
    expect(syscallNumber('ptrace', 'aarch64')).toBe(117);
    expect(syscallNumber('io_uring_setup', 'aarch64')).toBe(425);
    expect(syscallNumber('read', 'aarch64')).toBe(63);
  });

  it('knows which legacy calls aarch64 lacks and which ABI extras it selects', () => {
    for (const legacy of ['open', 'fork', 'stat', 'lstat', 'pipe', 'poll', 'select', 'dup2', 'epoll_wait']) {
      expect(syscallNumber(legacy, 'aarch64'), legacy).toBeUndefined();
    }
    // arch/arm64/kernel/Makefile.syscalls: syscall_abis_64 += renameat rlimit memfd_secret
    expect(syscallNumber('renameat', 'aarch64')).toBe(38);
    expect(syscallNumber('getrlimit', 'aarch64')).toBe(163);
    expect(syscallNumber('memfd_secret', 'aarch64')).toBe(447);
    expect(syscallNumber('newfstatat', 'aarch64')).toBe(79);
  });

  it('has i386 and raw x32 numbers', () => {
    expect(SYSCALLS_I386['socketcall']).toBe(102);
    expect(SYSCALLS_I386['read']).toBe(3);
    expect(X32_SYSCALL_BIT).toBe(0x40000000);
    // x32 numbers are stored without the bit
    expect(SYSCALLS_X32['read']).toBe(0);
    expect(SYSCALLS_X32['ioctl']).toBe(514);
    expect(SYSCALLS_X32['execve']).toBe(520);
    for (const n of Object.values(SYSCALLS_X32)) expect(n).toBeLessThan(X32_SYSCALL_BIT);
  });

  it('records where the tables came from', () => {
    for (const k of ['x86_64', 'aarch64', 'i386', 'args'] as const) {
      expect(SYSCALL_TABLE_SOURCE[k]).toMatch(/Linux \d+\.\d+/);
    }
  });

  it('has sorted keys and unique numbers in every table', () => {
    const tables: Record<string, Readonly<Record<string, number>>> = {
      x86_64: SYSCALLS_X86_64,
      x32: SYSCALLS_X32,
      i386: SYSCALLS_I386,
      aarch64: SYSCALLS_AARCH64,
    };
    for (const [arch, t] of Object.entries(tables)) {
      const keys = Object.keys(t);
      expect(keys, arch).toEqual([...keys].sort());
      const nums = Object.values(t);
      expect(new Set(nums).size, arch).toBe(nums.length);
      for (const n of nums) expect(Number.isInteger(n) && n >= 0).toBe(true);
    }
    expect(Object.keys(SYSCALL_ARGS)).toEqual(Object.keys(SYSCALL_ARGS).sort());
  });

  it('lists and reverse-looks-up names', () => {
    for (const arch of ARCHES) {
      const names = syscallNames(arch);
      expect(names.length).toBeGreaterThan(300);
      expect(names).toEqual([...names].sort());
    }
    expect(syscallName(257, 'x86_64')).toBe('openat');
    expect(syscallName(56, 'aarch64')).toBe('openat');
    expect(syscallName(100000, 'aarch64')).toBeUndefined();
    expect(isKnownSyscallAnywhere('open')).toBe(true); // x86_64 only
    expect(isKnownSyscallAnywhere('ptrce')).toBe(false);
    expect(syscallNumber('toString', 'x86_64')).toBeUndefined();
  });
});

describe('syscall arguments', () => {
  const arg = (sc: string, arch: Arch, name: string) => syscallArgs(sc, arch).find((a) => a.name === name);

  it('has an entry for every syscall of every arch', () => {
    for (const arch of ARCHES) {
      for (const n of syscallNames(arch)) expect(SYSCALL_ARGS[n], n).toBeDefined();
    }
  });

  it('uses the kernel ABI widths', () => {
    expect(syscallArgs('socket', 'x86_64').map((a) => a.name)).toEqual(['domain', 'type', 'protocol']);
    for (const arch of ARCHES) {
      for (const a of syscallArgs('socket', arch)) expect(a).toMatchObject({ bits: 32, pointer: false });
      expect(arg('mmap', arch, 'len')).toEqual({ name: 'len', bits: 64, pointer: false });
      expect(arg('ioctl', arch, 'request')).toEqual({ name: 'request', bits: 32, pointer: false });
      expect(arg('ioctl', arch, 'fd')?.bits).toBe(32);
      expect(arg('ioctl', arch, 'arg')?.bits).toBe(64);
      expect(arg('personality', arch, 'persona')?.bits).toBe(32);
      expect(arg('kill', arch, 'sig')?.bits).toBe(32);
    }
    expect(syscallArgs('mmap', 'x86_64').map((a) => a.name)).toEqual(['addr', 'len', 'prot', 'flags', 'fd', 'off']);
    expect(syscallArgs('mprotect', 'x86_64').map((a) => a.name)).toEqual(['addr', 'len', 'prot']);
    expect(syscallArgs('open', 'x86_64').map((a) => a.name)).toEqual(['pathname', 'flags', 'mode']);
    expect(syscallArgs('openat', 'aarch64').map((a) => a.name)).toEqual(['dirfd', 'pathname', 'flags', 'mode']);
    expect(arg('openat', 'x86_64', 'pathname')).toEqual({ name: 'pathname', bits: 64, pointer: true });
    expect(syscallArgs('prctl', 'x86_64').map((a) => a.name)).toEqual(['option', 'arg2', 'arg3', 'arg4', 'arg5']);
    expect(arg('prctl', 'x86_64', 'option')?.bits).toBe(32);
    expect(arg('clone', 'x86_64', 'flags')?.bits).toBe(64);
    expect(arg('unshare', 'x86_64', 'flags')?.bits).toBe(64);
  });

  it('knows that clone orders tls and child_tid differently on aarch64', () => {
    expect(syscallArgs('clone', 'x86_64').map((a) => a.name)).toEqual(['flags', 'stack', 'parent_tid', 'child_tid', 'tls']);
    expect(syscallArgs('clone', 'aarch64').map((a) => a.name)).toEqual(['flags', 'stack', 'parent_tid', 'tls', 'child_tid']);
    expect(Object.keys(SYSCALL_ARGS_ARCH_OVERRIDES.aarch64)).toContain('clone');
  });

  it('has at most six uniquely named identifier arguments per syscall', () => {
    for (const [name, args] of Object.entries(SYSCALL_ARGS)) {
      expect(args.length, name).toBeLessThanOrEqual(6);
      expect(new Set(args.map((a) => a.name)).size, name).toBe(args.length);
      for (const a of args) {
        expect(a.name, name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        if (a.pointer) expect(a.bits, name).toBe(64);
      }
    }
  });

  it('falls back to arg0..arg5 for unknown or unimplemented calls', () => {
    const u = syscallArgs('no_such_call', 'x86_64');
    expect(u.map((a) => a.name)).toEqual(['arg0', 'arg1', 'arg2', 'arg3', 'arg4', 'arg5']);
    for (const a of u) expect(a).toMatchObject({ bits: 64, pointer: false });
    expect(syscallArgs('getpid', 'aarch64')).toEqual([]);
  });
});

describe('syscall groups', () => {
  const required = [
    '@aio', '@basic-io', '@chown', '@clock', '@cpu-emulation', '@debug', '@file-system', '@io-event', '@ipc',
    '@keyring', '@memlock', '@module', '@mount', '@network-io', '@obsolete', '@pkey', '@privileged', '@process',
    '@raw-io', '@reboot', '@resources', '@sandbox', '@setuid', '@signal', '@swap', '@sync', '@system-service',
    '@timer', '@default', '@known',
  ];

  it('defines every required group with a description', () => {
    for (const g of required) {
      expect(isSyscallGroup(g), g).toBe(true);
      expect(SYSCALL_GROUPS[g]?.description.length, g).toBeGreaterThan(10);
    }
    expect(GROUP_NAMES).toEqual([...GROUP_NAMES].sort());
    expect(isSyscallGroup('system-service')).toBe(true);
    expect(isSyscallGroup('@nope')).toBe(false);
    expect(() => expandGroup('@nope', 'x86_64')).toThrow(RangeError);
  });

  it('expands every group to sorted names that exist on the arch', () => {
    for (const arch of ARCHES) {
      for (const g of GROUP_NAMES) {
        const names = expandGroup(g, arch);
        expect(names).toEqual([...new Set(names)].sort());
        for (const n of names) expect(syscallNumber(n, arch), `${g} ${n} ${arch}`).toBeDefined();
      }
    }
  });

  it('only names syscalls of some arch or other groups as members', () => {
    for (const [g, def] of Object.entries(SYSCALL_GROUPS)) {
      for (const m of def.members) {
        if (m.startsWith('@')) expect(isSyscallGroup(m), `${g} -> ${m}`).toBe(true);
        else expect(isKnownSyscallAnywhere(m), `${g} -> ${m}`).toBe(true);
      }
    }
  });

  it('drops names an arch lacks', () => {
    expect(expandGroup('@file-system', 'x86_64')).toContain('open');
    expect(expandGroup('@file-system', 'aarch64')).not.toContain('open');
    expect(expandGroup('@file-system', 'aarch64')).toContain('openat');
    expect(expandGroup('@raw-io', 'x86_64')).toEqual(['ioperm', 'iopl']);
    expect(expandGroup('@raw-io', 'aarch64')).toEqual([]);
  });

  it('resolves nesting', () => {
    for (const arch of ARCHES) {
      const svc = new Set(expandGroup('@system-service', arch));
      expect(svc.size).toBeGreaterThan(150);
      for (const g of ['@basic-io', '@file-system', '@network-io', '@default', '@sandbox']) {
        for (const n of expandGroup(g, arch)) expect(svc.has(n), `${g} ${n}`).toBe(true);
      }
      const priv = new Set(expandGroup('@privileged', arch));
      for (const n of expandGroup('@chown', arch)) expect(priv.has(n)).toBe(true);
    }
  });

  it('matches systemd: @system-service excludes clock, mount, swap, reboot, module, raw-io, debug', () => {
    for (const arch of ARCHES) {
      const svc = new Set(expandGroup('@system-service', arch));
      for (const g of ['@clock', '@mount', '@swap', '@reboot', '@module', '@raw-io', '@debug', '@cpu-emulation', '@obsolete']) {
        for (const n of expandGroup(g, arch)) expect(svc.has(n), `${arch} ${g} ${n}`).toBe(false);
      }
      for (const n of ['ptrace', 'bpf', 'mount', 'reboot', 'kexec_load', 'init_module', 'swapon']) {
        expect(svc.has(n), n).toBe(false);
      }
      // ...but it is not disjoint from @privileged: it includes @chown and @setuid (as systemd does).
      const priv = expandGroup('@privileged', arch);
      const overlap = priv.filter((n) => svc.has(n));
      expect(overlap).toContain('fchownat');
      expect(overlap).toContain('setuid');
      expect(overlap).toContain('capset');
      expect(overlap).not.toContain('bpf');
    }
  });

  it('@known is the whole table', () => {
    for (const arch of ARCHES) expect(expandGroup('@known', arch)).toEqual([...syscallNames(arch)]);
  });

  it('@aio contains io_uring', () => {
    expect(expandGroup('aio', 'aarch64')).toContain('io_uring_setup');
  });
});

describe('constants', () => {
  it('has errno values', () => {
    expect(ERRNO_NAMES['EPERM']).toBe(1);
    expect(ERRNO_NAMES['ENOENT']).toBe(2);
    expect(ERRNO_NAMES['EINVAL']).toBe(22);
    expect(ERRNO_NAMES['ENOSYS']).toBe(38);
    expect(ERRNO_NAMES['EWOULDBLOCK']).toBe(ERRNO_NAMES['EAGAIN']);
    expect(ERRNO_NAMES['EHWPOISON']).toBe(133);
    expect(lookupConstant('EACCES', 'aarch64')).toBe(13n);
  });

  it('has socket, ioctl, clone, prctl, personality and signal values', () => {
    for (const arch of ARCHES) {
      expect(lookupConstant('AF_UNIX', arch)).toBe(1n);
      expect(lookupConstant('AF_INET', arch)).toBe(2n);
      expect(lookupConstant('AF_INET6', arch)).toBe(10n);
      expect(lookupConstant('AF_NETLINK', arch)).toBe(16n);
      expect(lookupConstant('AF_PACKET', arch)).toBe(17n);
      expect(lookupConstant('AF_VSOCK', arch)).toBe(40n);
      expect(lookupConstant('SOCK_STREAM', arch)).toBe(1n);
      expect(lookupConstant('SOCK_RAW', arch)).toBe(3n);
      expect(lookupConstant('SOCK_CLOEXEC', arch)).toBe(0o2000000n);
      expect(lookupConstant('SOCK_NONBLOCK', arch)).toBe(0o4000n);
      expect(lookupConstant('IPPROTO_TCP', arch)).toBe(6n);
      expect(lookupConstant('IPPROTO_UDP', arch)).toBe(17n);
      expect(lookupConstant('IPPROTO_ICMPV6', arch)).toBe(58n);
      expect(lookupConstant('NETLINK_ROUTE', arch)).toBe(0n);
      expect(lookupConstant('NETLINK_AUDIT', arch)).toBe(9n);
      expect(lookupConstant('NETLINK_KOBJECT_UEVENT', arch)).toBe(15n);
      expect(lookupConstant('TIOCSTI', arch)).toBe(0x5412n);
      expect(lookupConstant('TIOCLINUX', arch)).toBe(0x541cn);
      expect(lookupConstant('TIOCSCTTY', arch)).toBe(0x540en);
      expect(lookupConstant('FIONREAD', arch)).toBe(0x541bn);
      expect(lookupConstant('TIOCGPTN', arch)).toBe(0x80045430n);
      expect(lookupConstant('CLONE_NEWUSER', arch)).toBe(0x10000000n);
      expect(lookupConstant('CLONE_NEWNS', arch)).toBe(0x20000n);
      expect(lookupConstant('CLONE_THREAD', arch)).toBe(0x10000n);
      expect(lookupConstant('CLONE_INTO_CGROUP', arch)).toBe(0x200000000n);
      expect(lookupConstant('PR_SET_NO_NEW_PRIVS', arch)).toBe(38n);
      expect(lookupConstant('PR_SET_SECCOMP', arch)).toBe(22n);
      expect(lookupConstant('PR_CAPBSET_DROP', arch)).toBe(24n);
      expect(lookupConstant('PER_LINUX', arch)).toBe(0n);
      expect(lookupConstant('PER_LINUX32', arch)).toBe(8n);
      expect(lookupConstant('READ_IMPLIES_EXEC', arch)).toBe(0x400000n);
      expect(lookupConstant('ADDR_NO_RANDOMIZE', arch)).toBe(0x40000n);
      expect(lookupConstant('SIGKILL', arch)).toBe(9n);
      expect(lookupConstant('SIGSYS', arch)).toBe(31n);
      expect(lookupConstant('SIGCHLD', arch)).toBe(17n);
      expect(lookupConstant('PROT_EXEC', arch)).toBe(4n);
      expect(lookupConstant('MAP_SHARED', arch)).toBe(1n);
      expect(lookupConstant('MAP_ANONYMOUS', arch)).toBe(0x20n);
      expect(lookupConstant('O_RDONLY', arch)).toBe(0n);
      expect(lookupConstant('O_CREAT', arch)).toBe(0o100n);
      expect(lookupConstant('O_PATH', arch)).toBe(0o10000000n);
      expect(lookupConstant('AT_FDCWD', arch)).toBe(-100n);
    }
  });

  it('has per-arch values where x86_64 and aarch64 differ', () => {
    expect(lookupConstant('O_DIRECTORY', 'x86_64')).toBe(0o200000n);
    expect(lookupConstant('O_DIRECTORY', 'aarch64')).toBe(0o40000n);
    expect(lookupConstant('O_NOFOLLOW', 'x86_64')).toBe(0o400000n);
    expect(lookupConstant('O_NOFOLLOW', 'aarch64')).toBe(0o100000n);
    expect(lookupConstant('O_DIRECT', 'x86_64')).toBe(0o40000n);
    expect(lookupConstant('O_DIRECT', 'aarch64')).toBe(0o200000n);
    expect(lookupConstant('O_LARGEFILE', 'x86_64')).toBe(0o100000n);
    expect(lookupConstant('O_LARGEFILE', 'aarch64')).toBe(0o400000n);
    expect(lookupConstant('MAP_32BIT', 'x86_64')).toBe(0x40n);
    expect(lookupConstant('MAP_32BIT', 'aarch64')).toBeUndefined();
    expect(lookupConstant('PROT_BTI', 'aarch64')).toBe(0x10n);
    expect(lookupConstant('PROT_BTI', 'x86_64')).toBeUndefined();
  });

  it('returns undefined for unknown names and lists names sorted', () => {
    expect(lookupConstant('NOPE', 'x86_64')).toBeUndefined();
    expect(lookupConstant('toString', 'x86_64')).toBeUndefined();
    expect(CONSTANT_NAMES).toEqual([...CONSTANT_NAMES].sort());
    expect(CONSTANT_NAMES).toContain('MAP_32BIT');
    expect(CONSTANT_NAMES).toContain('PROT_BTI');
    expect(new Set(CONSTANT_NAMES).size).toBe(CONSTANT_NAMES.length);
  });
});

describe('generator', () => {
  const generated = readFileSync(join(HERE, 'tables.generated.ts'), 'utf8');

  it('records its command and sources in the header', () => {
    expect(generated).toMatch(/^\/\/ GENERATED FILE/);
    expect(generated).toMatch(/^\/\/ Command: node compiler\/syscalls\/generate\.mjs /m);
    expect(generated).toMatch(/^\/\/ Kernel: Linux \d+\.\d+/m);
  });

  it('docs/syscall-groups.md is up to date with groups.ts', () => {
    // exits non-zero (and execFileSync throws) when the file differs
    execFileSync(process.execPath, [join(HERE, 'gen-docs.mjs'), '--check'], { stdio: 'pipe' });
  });

  // The real kernel tree is not in the repo, so determinism is checked on a small synthetic
  // tree with the same file layout: every table kind, a SYSCALL_DEFINE per arch, and ABIs.
  it('is deterministic and reads every input kind: two runs give identical bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxcc-syscalls-'));
    try {
      const put = (rel: string, text: string): void => {
        mkdirSync(join(dir, 'src', rel, '..'), { recursive: true });
        writeFileSync(join(dir, 'src', rel), text);
      };
      put('Makefile', 'VERSION = 6\nPATCHLEVEL = 9\nSUBLEVEL = 1\n');
      put('arch/x86/entry/syscalls/syscall_64.tbl', '0\tcommon\tread\tsys_read\n41\tcommon\tsocket\tsys_socket\n512\tx32\trt_sigaction\tcompat_sys_rt_sigaction\n');
      put('arch/x86/entry/syscalls/syscall_32.tbl', '3\ti386\tread\tsys_read\n102\ti386\tsocketcall\tsys_socketcall\n');
      put('scripts/syscall.tbl', '63\tcommon\tread\tsys_read\n198\tcommon\tsocket\tsys_socket\n');
      put('arch/arm64/kernel/Makefile.syscalls', 'syscall_abis_64 += renameat rlimit memfd_secret\n');
      put('fs/read_write.c', 'SYSCALL_DEFINE3(read, unsigned int, fd, char __user *, buf, size_t, count)\n{\n}\n');
      put('net/socket.c', 'SYSCALL_DEFINE3(socket, int, family, int, type, int, protocol)\n{\n}\n');
      const script = join(HERE, 'generate.mjs');
      const args = ['--kernel-src', join(dir, 'src'), '--label', 'synthetic test tree'];
      execFileSync(process.execPath, [script, ...args, '--out', join(dir, 'a.ts')], { stdio: 'pipe' });
      execFileSync(process.execPath, [script, ...args, '--out', join(dir, 'b.ts')], { stdio: 'pipe' });
      const a = readFileSync(join(dir, 'a.ts'));
      expect(a.equals(readFileSync(join(dir, 'b.ts')))).toBe(true);
      const text = a.toString('utf8');
      expect(text).toContain('Linux 6.9.1');
      expect(text).toMatch(/^  socket: 41,$/m);
      expect(text).toMatch(/^  socket: 198,$/m);
      expect(text).toMatch(/^  socketcall: 102,$/m);
      expect(text).toMatch(/name: "domain", bits: 32/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
