/**
 * Host processes, under the coding agent policy (`isolation container`): the command runs in its
 * own PID namespace with a fresh /proc mounted nosuid,nodev,noexec, so a host process's existence
 * and attributes are not visible (stat("/proc/<pid>"), getpgid, getpriority: ESRCH/ENOENT), and
 * /proc carries the three flags. Before PID-namespace isolation these got through (Landlock does
 * not check stat; the host's /proc was shared).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { attackSuite, corpusBundle, errno, expectDenied, expectWorked, host, makeScratch, sandboxed, startHost, type HostProcess, type Scratch } from './harness.js';

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
