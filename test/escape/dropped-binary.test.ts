/**
 * Escape corpus, running a binary the agent dropped although nothing it can write is executable
 * except the workspace (fs.test.ts covers execve of /tmp/payload). Two ways around execve's
 * Landlock check, both closed by the enforcer:
 *
 * 1. memfd: the ELF written into memfd_create() and exec'd through /proc/self/fd/N. Landlock does
 *    not check files on internal mounts; in the container's PID namespace the enforcer sets
 *    vm.memfd_noexec = 2 (memfds are created MFD_NOEXEC_SEAL, MFD_EXEC is refused), so the exec
 *    fails with EACCES. Only when started by root: /proc/sys is writable by the global root only.
 * 2. the dynamic loader: `/lib64/ld-linux-x86-64.so.2 /tmp/payload` maps the file with
 *    mmap(PROT_EXEC), which Landlock does not check; writable hierarchies that no grant makes
 *    executable (/tmp, /var/tmp, ~/.cache, /dev/shm here) are mounted noexec, which refuses it.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { attackSuite, corpusBundle, errno, expectDenied, expectWorked, host, makeScratch, sandboxed, type Scratch } from './harness.js';

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
