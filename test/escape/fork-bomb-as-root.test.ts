/**
 * Escape corpus, a fork bomb started as root against `max_processes 512` (the coding agent). The
 * kernel exempts the root user from RLIMIT_NPROC by uid, not by capability, and the enforcer's
 * user namespace maps uid 0 to itself; so with max_processes set the enforcer also runs the
 * command in a fresh pids cgroup (pids.max = 512; cgroup v2 where the pids controller is enabled,
 * else the v1 pids hierarchy), created before it starts and removed after it exits, and refuses
 * to launch as root when it cannot make one. process.test.ts shows the rlimit as uid 65534.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { attackSuite, corpusBundle, errno, expectDenied, expectWorked, host, makeScratch, sandboxed, type Scratch } from './harness.js';

let s: Scratch;
let bundle: string;

beforeAll(() => {
  s = makeScratch('nproc');
  bundle = corpusBundle('coding-agent', s.root);
});

afterAll(() => s?.cleanup());

attackSuite('fork bomb as root, under the coding agent policy', (argv) => sandboxed(bundle, { workspace: s.ws, home: s.home }, [s.attack, ...argv]), [
  {
    name: '600 processes against `max_processes 512`',
    unsandboxed: () => expectWorked(host(s, ['forks', '600'])),
    sandboxed: () => ['forks', '600'],
    denied: (r) => {
      expectDenied(r, errno.EAGAIN);
      expect(Number(r.stdout.match(/after (\d+)/)?.[1])).toBeLessThan(512);
    },
  },
]);
