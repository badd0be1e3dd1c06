/**
 * PENDING (gets through today; waits for PID-namespace isolation, being built in mxc-enforce.c):
 *
 * 1. Host processes are visible. Signals and /proc/<pid>/* contents are refused (process.test.ts:
 *    Landlock's signal scope, and no grant under /proc/<pid>), but a host pid's existence and
 *    attributes are not: stat("/proc/<pid>") works (Landlock does not check stat), and
 *    getpgid(pid), getpriority(PRIO_PROCESS, pid) answer for any host process. An agent can map
 *    the host's processes and wait for a target (a shell, an ssh-agent) to appear.
 * 2. /proc is the host's mount, without nosuid, nodev, noexec (statvfs inside the sandbox reports
 *    none of them; mountinfo on the host shows `/proc rw,relatime`).
 *
 * Fix (enforcer): a new PID namespace with a fresh /proc mounted nosuid,nodev,noexec (and
 * hidepid=invisible where the kernel allows it in a user namespace).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { attackSuite, corpusBundle, errno, expectDenied, expectWorked, host, makeScratch, sandboxed, startHost, type HostProcess, type Scratch } from '../harness.js';

let s: Scratch;
let bundle: string;
let victim: HostProcess;

beforeAll(async () => {
  s = makeScratch('pid');
  bundle = corpusBundle('coding-agent', s.root);
  victim = await startHost([s.hostAttack, 'sleep'], 'ready');
});

afterAll(() => {
  victim?.stop();
  s?.cleanup();
});

const procFlags = (r: { stdout: string }): string[] => r.stdout.slice(3).trim().split(' ');

attackSuite('host processes, under the coding agent policy', (argv) => sandboxed(bundle, { workspace: s.ws, home: s.home }, [s.attack, ...argv]), [
  {
    name: 'a host process is visible (stat /proc/<pid>, getpgid, getpriority)',
    unsandboxed: () => expectWorked(host(s, ['probe', String(victim.pid)]), 'stat getpgid getpriority'),
    sandboxed: () => ['probe', String(victim.pid)],
    denied: (r) => expectDenied(r, 3 /* ESRCH */),
  },
  {
    name: '/proc is mounted nosuid, nodev, noexec',
    unsandboxed: () => {
      // The "attack" is a /proc without these flags; the host's has none of them.
      const r = host(s, ['mount-flags', '/proc']);
      expectWorked(r);
      expect(procFlags(r)).not.toContain('noexec');
    },
    sandboxed: () => ['mount-flags', '/proc'],
    denied: (r) => {
      expectWorked(r);
      expect(procFlags(r)).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    },
  },
]);
