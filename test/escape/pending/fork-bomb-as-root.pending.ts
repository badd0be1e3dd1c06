/**
 * PENDING (gets through today): `max_processes` does not hold when mxc-enforce is started by
 * root, as these tests and many agent runners do. The bundle sets RLIMIT_NPROC (512 for the
 * coding agent) and drops every capability, but the kernel exempts the root user from
 * RLIMIT_NPROC by uid, not by capability (copy_process: `p->real_cred->user != INIT_USER`); the
 * enforcer's user namespace maps uid 0 to itself, so the sandboxed process is still INIT_USER.
 * process.test.ts shows the limit working when the caller is uid 65534.
 *
 * Fix (enforcer): when the caller is uid 0, run the command as a non-root uid (map an unused uid
 * in the user namespace, or setresuid to one before dropping capabilities), or enforce the limit
 * with the pids cgroup controller (pids.max) instead of RLIMIT_NPROC, which also makes it count
 * the sandbox's processes only (RLIMIT_NPROC counts every process of the user).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { attackSuite, corpusBundle, errno, expectDenied, expectWorked, host, makeScratch, sandboxed, type Scratch } from '../harness.js';

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
