/**
 * PENDING (gets through today): running a binary the agent dropped, although nothing it can
 * write is executable except the workspace. The coding agent may write /tmp but not execute from
 * it, and fs.test.ts shows execve of /tmp/payload refused (EACCES). Two ways around it work:
 *
 * 1. memfd: write the ELF into memfd_create() and execve("/proc/self/fd/N") (or execveat with
 *    AT_EMPTY_PATH). Landlock does not check files on internal mounts (memfd, pipes), and
 *    vm.memfd_noexec is 0, so the exec succeeds.
 * 2. the dynamic loader: `/lib64/ld-linux-x86-64.so.2 /tmp/payload`. The loader is in /usr
 *    (executable); it maps /tmp/payload with mmap(PROT_EXEC), which Landlock does not check.
 *
 * Fix (enforcer): mount the writable-but-not-executable hierarchies (/tmp, /var/tmp, ~/.cache,
 * /dev/shm for this policy) noexec in the sandbox's mount namespace: noexec also refuses
 * mmap(PROT_EXEC) of their files, which closes (2). For (1), set vm.memfd_noexec = 2 in the
 * sandbox's own PID namespace (the sysctl is per PID namespace) once PID isolation lands, or
 * refuse memfd_create without MFD_NOEXEC_SEAL in seccomp (compiler plan) for policies that do not
 * need executable memfds. Either way the fidelity report should say that `exec` is enforced on
 * execve only.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { attackSuite, corpusBundle, errno, expectDenied, expectWorked, host, makeScratch, sandboxed, type Scratch } from '../harness.js';

let s: Scratch;
let bundle: string;
let scratchTmp: string;
const LOADER = '/lib64/ld-linux-x86-64.so.2';

beforeAll(() => {
  s = makeScratch('drop');
  bundle = corpusBundle('coding-agent', s.root);
  scratchTmp = mkdtempSync('/tmp/mxcc-escape-drop-');
});

afterAll(() => {
  s?.cleanup();
  if (scratchTmp) rmSync(scratchTmp, { recursive: true, force: true });
});

const ran = (r: { stdout: string }): void => expect(r.stdout).toMatch(/^ok uid=/);

attackSuite('running a dropped binary, under the coding agent policy', (argv) => sandboxed(bundle, { workspace: s.ws, home: s.home }, [s.attack, ...argv]), [
  {
    name: 'from a memfd, through /proc/self/fd',
    unsandboxed: () => {
      const r = host(s, ['exec-memfd', s.hostAttack, 'payload', 'whoami']);
      expectWorked(r);
      ran(r);
    },
    sandboxed: () => ['exec-memfd', s.attack, 'payload', 'whoami'],
    denied: (r) => expectDenied(r, errno.EACCES, errno.EPERM),
  },
  {
    name: 'copied into /tmp and started by the dynamic loader',
    unsandboxed: () => {
      const r = host(s, ['exec-ldso', s.hostAttack, path.join(scratchTmp, 'host-payload'), LOADER, 'whoami']);
      expectWorked(r);
      ran(r);
    },
    sandboxed: () => ['exec-ldso', s.attack, path.join(scratchTmp, 'payload'), LOADER, 'whoami'],
    // ld.so reports the failed mmap on stderr and exits 127; the payload must not have run.
    denied: (r) => expect(r.stdout).not.toMatch(/^ok uid=/),
  },
]);
