/**
 * Host processes, under the coding agent policy (`isolation container`): the command runs in its
 * own PID namespace with a fresh /proc mounted nosuid,nodev,noexec, so a host process's existence
 * and attributes are not visible (stat("/proc/<pid>"), getpgid, getpriority: ESRCH/ENOENT), and
 * /proc carries the three flags. Before PID-namespace isolation these got through (Landlock does
 * not check stat; the host's /proc was shared). System V IPC objects are not paths either, so
 * Landlock never sees them: the command has an IPC namespace of its own, and the caller's shared
 * memory (mode 0600, same user) cannot be found from inside.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { attackSuite, corpusBundle, errno, expectDenied, expectWorked, host, makeScratch, sandboxed, SECRET, startHost, type HostProcess, type Scratch } from './harness.js';

let s: Scratch;
let bundle: string;
let victim: HostProcess;
// A System V shared memory key of this run's own.
const shmKey = String(0x4d580000 + (process.pid & 0xffff));

beforeAll(async () => {
  s = makeScratch('pid');
  bundle = corpusBundle('coding-agent', s.root);
  victim = await startHost([s.hostAttack, 'sleep'], 'ready');
});

afterAll(() => {
  if (s) host(s, ['shm-rm', shmKey]);
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
    name: "the caller's System V shared memory is read by key (shmget, shmat)",
    unsandboxed: () => {
      expectWorked(host(s, ['shm-put', shmKey, SECRET]));
      expectWorked(host(s, ['shm-get', shmKey]), SECRET);
    },
    sandboxed: () => ['shm-get', shmKey],
    denied: (r) => expectDenied(r, errno.ENOENT),
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
