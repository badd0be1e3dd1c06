/**
 * Escape corpus, syscalls: interfaces that go around the seccomp filter or the path checks
 * (io_uring, the i386 and x32 entry points, 64-bit arguments the kernel truncates to 32 bits),
 * debugging other processes, and typing into the user's terminal, under the coding agent policy.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { decodeBundle } from '../../targets/linux/bundle.js';
import { runFilter } from '../../targets/linux/seccomp/interpret.js';
import { AUDIT_ARCH } from '../../targets/linux/seccomp/compile.js';
import { AUDIT_ARCH_I386, SECCOMP_RET_KILL_PROCESS } from '../../targets/linux/seccomp/bpf.js';
import {
  attackSuite,
  corpusBundle,
  enforcer,
  errno,
  expectDenied,
  expectKilled,
  expectWorked,
  host,
  makeScratch,
  run,
  sandboxed,
  SECRET,
  startHost,
  type HostProcess,
  type Outcome,
  type Scratch,
} from './harness.js';

let s: Scratch;
let bundle: string;
let victim: HostProcess;

beforeAll(async () => {
  s = makeScratch('sys');
  bundle = corpusBundle('coding-agent', s.root);
  victim = await startHost([s.hostAttack, 'sleep'], 'ready');
});

afterAll(() => {
  victim?.stop();
  s?.cleanup();
});

const params = (): string[] => ['--param', `workspace=${s.ws}`, '--param', `home=${s.home}`];
const victimAlive = (): void => expect(existsSync(`/proc/${victim.pid}`) && !readFileSync(`/proc/${victim.pid}/stat`, 'utf8').includes(') Z')).toBe(true);
const ALLOW = 0x7fff0000;
const X32_BIT = 0x40000000;

/*
 * TIOCSTI: the command's stdin is the user's terminal (here a fresh pseudo-terminal that
 * `pty-run` makes the controlling terminal); pushing "echo pwned\n" into its input queue would
 * run it in the user's shell once the sandbox exits. pty-run reports what is left in the queue.
 */
let injected = '';
const INJECT = 'echo pwned\n';
function ptyLaunch(argv: string[]): Outcome {
  const r = run([s.hostAttack, 'pty-run', enforcer, ...params(), bundle, '--', s.attack, ...argv]);
  const m = r.stdout.match(/^injected=(.*)$/m);
  if (!m) throw new Error(`pty-run reported nothing: ${r.stdout} ${r.stderr}`);
  injected = m[1]!;
  return { ...r, stdout: r.stdout.slice(0, m.index) };
}

function hostInjects(action: string): void {
  const r = host(s, ['pty-run', s.hostAttack, action, INJECT]);
  expect(r.stdout, r.stderr).toBe('ok\ninjected=echo pwned|\n');
}

/**
 * Some kernels have no i386 entry point: `int 0x80` raises a general protection fault before any
 * system call code runs (seen on PVM guests, with CONFIG_IA32_EMULATION set). There the attack
 * does not exist: the host leg must see exactly that fault, the sandboxed leg the same, and the
 * filter's own answer to an i386 call is checked on the compiled program instead.
 */
let i386Entry = true;

function i386Host(r: Outcome, worked: (r: Outcome) => void): void {
  if (r.signal === 'SIGSEGV' && r.stdout === '') i386Entry = false;
  else worked(r);
}

function expectI386Killed(r: Outcome): void {
  const program = decodeBundle(readFileSync(bundle)).seccomp.find((p) => p.arch === 'x86_64')!.program;
  for (const nr of [3, 5, 102]) {
    expect(runFilter(program, { nr, arch: AUDIT_ARCH_I386, args: [0n, 0n, 0n, 0n, 0n, 0n] }).ret, `i386 syscall ${nr}`).toBe(SECCOMP_RET_KILL_PROCESS);
  }
  if (i386Entry) expectKilled(r);
  else expect({ signal: r.signal, stdout: r.stdout }).toEqual({ signal: 'SIGSEGV', stdout: '' });
}

// One launch for the file: the whole batch runs with a terminal as stdin (see ptyLaunch).
attackSuite('syscalls, under the coding agent policy', ptyLaunch, {
  'around the filter': [
    {
      name: 'io_uring: openat and read submitted to a ring, never as syscalls',
      unsandboxed: () => expectWorked(host(s, ['uring-read', s.secret]), SECRET),
      sandboxed: () => ['uring-read', s.secret],
      denied: (r) => {
        // io_uring_setup itself is refused.
        expectDenied(r, errno.EPERM);
        expect(r.stdout).not.toContain(SECRET);
      },
    },
    {
      name: 'int 0x80: the i386 open and read from a 64-bit process',
      unsandboxed: () => i386Host(host(s, ['int80-read', s.secret]), (r) => expectWorked(r, SECRET)),
      sandboxed: () => ['int80-read', s.secret],
      // The filter's first check is the architecture: anything but x86_64 kills the process.
      denied: (r) => expectI386Killed(r),
    },
    {
      name: 'int 0x80: i386 socketcall(SYS_SOCKET), which multiplexes the socket calls',
      unsandboxed: () => i386Host(host(s, ['int80-socketcall']), (r) => expectWorked(r)),
      sandboxed: () => ['int80-socketcall'],
      denied: (r) => expectI386Killed(r),
    },
    {
      name: 'x32: a syscall number with the x32 bit set',
      unsandboxed: () => {
        // This kernel has no x32 ABI (CONFIG_X86_X32_ABI), so unsandboxed the call reaches the
        // syscall table and comes back ENOSYS; on an x32 kernel it works. Either way it gets past
        // seccomp-free dispatch, and a filter that let it through would produce the same answer.
        const r = host(s, ['x32-getpid']);
        if (r.stdout !== 'ok\n') expectDenied(r, errno.ENOSYS);
      },
      sandboxed: () => ['x32-getpid'],
      denied: (r) => {
        // EPERM (not ENOSYS) shows that the filter stopped it before the kernel's dispatch.
        expectDenied(r, errno.EPERM);
        // And for kernels with x32: no x32 number of a call the filter allows is let through.
        const b = decodeBundle(readFileSync(bundle));
        const program = b.seccomp.find((p) => p.arch === 'x86_64')!.program;
        const args = [0n, 0n, 0n, 0n, 0n, 0n];
        const allowedNative = [0, 1, 2, 3, 39, 41, 42, 44, 45, 59, 257].filter((nr) => runFilter(program, { nr, arch: AUDIT_ARCH.x86_64, args }).ret === ALLOW);
        expect(allowedNative.length, 'read, write, openat, socket, connect … are allowed natively').toBeGreaterThan(5);
        for (const nr of [...allowedNative, 512, 520, 521, 545]) {
          expect(runFilter(program, { nr: (nr | X32_BIT) >>> 0, arch: AUDIT_ARCH.x86_64, args }).ret, `x32 syscall ${nr}`).not.toBe(ALLOW);
        }
      },
    },
  ],
  'kernel interfaces nothing in the sandbox needs': [
    {
      name: 'keyctl: the session keyring (Kerberos KEYRING: caches, filesystem keys)',
      unsandboxed: () => expectWorked(host(s, ['syscall', '250', '0', '-3', '0'])),
      sandboxed: () => ['syscall', '250', '0', '-3', '0'],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
    {
      name: 'userfaultfd: stalls kernel copies at will, the classic race widener',
      unsandboxed: () => expectWorked(host(s, ['syscall', '323', '0'])),
      sandboxed: () => ['syscall', '323', '0'],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
    {
      name: 'unshare(CLONE_NEWUSER): a user namespace, where the sandbox would hold every capability',
      unsandboxed: () => expectWorked(host(s, ['syscall', '272', String(0x10000000)])),
      sandboxed: () => ['syscall', '272', String(0x10000000)],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
  ],
  '64-bit arguments the kernel truncates to 32 bits': [
    {
      name: 'socket(AF_PACKET | 1 << 32, SOCK_RAW): the kernel takes an int domain',
      unsandboxed: () => expectWorked(host(s, ['socket-hi', '17', '3', '0'])),
      sandboxed: () => ['socket-hi', '17', '3', '0'],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
    {
      name: 'socket(AF_INET | 1 << 32, SOCK_RAW, IPPROTO_ICMP): raw IP with the high bits set',
      unsandboxed: () => expectWorked(host(s, ['socket-hi', '2', '3', '1'])),
      sandboxed: () => ['socket-hi', '2', '3', '1'],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
    {
      name: 'clone(CLONE_NEWUSER | 1 << 32): legacy clone keeps the low 32 bits of its flags',
      unsandboxed: () => expectWorked(host(s, ['clone-hi'])),
      sandboxed: () => ['clone-hi'],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
    {
      name: 'personality(READ_IMPLIES_EXEC)',
      unsandboxed: () => expectWorked(host(s, ['personality', '0x0400000'])),
      sandboxed: () => ['personality', '0x0400000'],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
  ],
  'other processes': [
    {
      name: 'ptrace of a sibling inside the sandbox',
      unsandboxed: () => expectWorked(host(s, ['ptrace-sibling'])),
      sandboxed: () => ['ptrace-sibling'],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
    {
      name: 'ptrace of a host process',
      unsandboxed: () => {
        expectWorked(host(s, ['ptrace-attach', String(victim.pid)]));
        victimAlive();
      },
      sandboxed: () => ['ptrace-attach', String(victim.pid)],
      denied: (r) => {
        expectDenied(r, errno.EPERM);
        victimAlive();
        expect(readFileSync(`/proc/${victim.pid}/status`, 'utf8')).toMatch(/^TracerPid:\s+0$/m);
      },
    },
  ],
  'terminal injection': [
    {
      name: 'opening the controlling terminal /dev/tty (to spoof prompts or read typed input)',
      unsandboxed: () => expect(host(s, ['pty-run', s.hostAttack, 'write', '/dev/tty', 'Password: ']).stdout).toBe('ok\ninjected=\n'),
      sandboxed: () => ['write', '/dev/tty', 'Password: '],
      denied: (r) => expectDenied(r, errno.EACCES),
    },
    {
      name: 'TIOCSTI into the controlling terminal',
      unsandboxed: () => hostInjects('tiocsti'),
      sandboxed: () => ['tiocsti', INJECT],
      denied: (r) => {
        expectDenied(r, errno.EPERM);
        expect(injected).toBe('');
      },
    },
    {
      name: 'TIOCSTI with the high bits of the request set (ioctl takes an unsigned int)',
      unsandboxed: () => hostInjects('tiocsti-hi'),
      sandboxed: () => ['tiocsti-hi', INJECT],
      denied: (r) => {
        expectDenied(r, errno.EPERM);
        expect(injected).toBe('');
      },
    },
    {
      // A process the command leaves behind (isolation process, setsid) takes the terminal's
      // foreground once mxcc run has returned and reads the user's next line.
      name: 'TIOCSPGRP (tcsetpgrp): a new process group takes the terminal foreground',
      unsandboxed: () => expect(host(s, ['pty-run', s.hostAttack, 'tiocspgrp']).stdout).toBe('ok\ninjected=\n'),
      sandboxed: () => ['tiocspgrp'],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
    {
      name: 'TIOCSPGRP with the high bits of the request set',
      unsandboxed: () => expect(host(s, ['pty-run', s.hostAttack, 'tiocspgrp-hi']).stdout).toBe('ok\ninjected=\n'),
      sandboxed: () => ['tiocspgrp-hi'],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
  ],
});
