/**
 * Escape corpus, processes: signalling and inspecting host processes, setuid binaries, fork
 * bombs and memory, under the coding agent policy. The cases that need an unprivileged caller
 * (setuid, RLIMIT_NPROC) run the enforcer as uid 65534; the rest run it as root, as the tests do.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { chmodSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  attackSuite,
  corpusBundle,
  errno,
  expectDenied,
  expectWorked,
  host,
  makeScratch,
  sandboxed,
  SECRET,
  startHost,
  textBundle,
  type HostProcess,
  type Scratch,
} from './harness.js';

const NOBODY = 65534;
let s: Scratch;
let bundle: string;
let victim: HostProcess;
let suid: string;

beforeAll(async () => {
  s = makeScratch('proc');
  bundle = corpusBundle('coding-agent', s.root);
  // A host process with a credential in its environment.
  victim = await startHost([s.hostAttack, 'sleep'], 'ready', { env: { MXCC_VICTIM_TOKEN: SECRET } });
  // A setuid-root copy of the attack program where the agent may execute it.
  suid = path.join(s.ws, 'bin', 'escape-suid');
  copyFileSync(s.hostAttack, suid);
  chmodSync(suid, 0o4755);
});

afterAll(() => {
  victim?.stop();
  s?.cleanup();
});

const victimAlive = (): void => expect(existsSync(`/proc/${victim.pid}`) && !readFileSync(`/proc/${victim.pid}/stat`, 'utf8').includes(') Z')).toBe(true);
const params = (): Record<string, string> => ({ workspace: s.ws, home: s.home });

attackSuite('host processes, under the coding agent policy', (argv) => sandboxed(bundle, params(), [s.attack, ...argv]), {
  signals: [
    {
      name: 'SIGTERM to a host process',
      unsandboxed: async () => {
        const other = await startHost([s.hostAttack, 'sleep'], 'ready');
        expectWorked(host(s, ['kill', String(other.pid), '15']));
        await new Promise<void>((resolve) => other.child.on('exit', () => resolve()));
        expect(other.child.signalCode).toBe('SIGTERM');
      },
      sandboxed: () => ['kill', String(victim.pid), '15'],
      denied: (r) => {
        expectDenied(r, errno.ESRCH);
        victimAlive();
      },
    },
    {
      name: 'kill -0: probing a host process by signal',
      unsandboxed: () => expectWorked(host(s, ['kill', String(victim.pid), '0'])),
      sandboxed: () => ['kill', String(victim.pid), '0'],
      denied: (r) => expectDenied(r, errno.ESRCH),
    },
  ],
  'reading other processes': [
    {
      name: '/proc/<pid>/environ of a host process holding a token',
      unsandboxed: () => {
        const r = host(s, ['read', `/proc/${victim.pid}/environ`]);
        expectWorked(r);
        expect(r.stdout).toContain(`MXCC_VICTIM_TOKEN=${SECRET}`);
      },
      sandboxed: () => ['read', `/proc/${victim.pid}/environ`],
      denied: (r) => {
        expectDenied(r, errno.ENOENT);
        expect(r.stdout).not.toContain(SECRET);
      },
    },
    {
      name: '/proc/<pid>/cmdline of a host process',
      unsandboxed: () => expectWorked(host(s, ['read', `/proc/${victim.pid}/cmdline`]), `${s.hostAttack} sleep`),
      sandboxed: () => ['read', `/proc/${victim.pid}/cmdline`],
      denied: (r) => expectDenied(r, errno.ENOENT),
    },
  ],
  limits: [
    {
      name: 'memory: 16 GiB of address space against `memory 8GiB`',
      unsandboxed: () => expectWorked(host(s, ['mmap', String(16 * 1024)])),
      sandboxed: () => ['mmap', String(16 * 1024)],
      denied: (r) => expectDenied(r, errno.ENOMEM),
    },
  ],
});

attackSuite('as an unprivileged user, under the coding agent policy', (argv) => sandboxed(bundle, params(), [s.attack, ...argv], { uid: NOBODY }), {
  privileges: [
    {
      name: 'a setuid-root binary in the workspace does not raise the effective uid',
      unsandboxed: () => expectWorked(host(s, ['exec', suid, 'escape-suid', 'whoami'], { uid: NOBODY }), `uid=${NOBODY} euid=0 nnp=0`),
      sandboxed: () => ['exec', suid, 'escape-suid', 'whoami'],
      // It runs, with the caller's uid: setuid is ignored (no_new_privs; the user namespace does
      // not map uid 0 either).
      denied: (r) => expectWorked(r, `uid=${NOBODY} euid=${NOBODY} nnp=1`),
    },
  ],
  limits: [
    {
      name: 'fork bomb: 600 processes against `max_processes 512`',
      unsandboxed: () => expectWorked(host(s, ['forks', '600'], { uid: NOBODY })),
      sandboxed: () => ['forks', '600'],
      denied: (r) => {
        expectDenied(r, errno.EAGAIN);
        const made = Number(r.stdout.match(/after (\d+)/)?.[1]);
        expect(made).toBeLessThan(512);
      },
    },
  ],
});

/*
 * no_new_privs on its own: the corpus policies always make a user namespace (masks, network),
 * which by itself ignores a setuid bit whose owner it does not map. This policy needs no
 * namespace (no masks, TCP port rules only), so only no_new_privs stands between the caller and
 * a setuid-root binary.
 */
let nnpBundle: string;
attackSuite(
  'no_new_privs without namespaces',
  (argv) => {
    nnpBundle ??= textBundle(
      'nnp_only',
      `policy nnp_only {
  param root: path = "/srv"
  fs {
    allow read, list, exec "/usr/**", "/lib/**", "/lib64/**", "/bin/**", "\${root}/**"
  }
  net {
    allow connect tcp any:443
  }
  syscalls {
    default errno(EPERM)
    allow @system-service
  }
}`,
      s.root,
    );
    return sandboxed(nnpBundle, { root: s.root }, [s.attack, ...argv], { uid: NOBODY });
  },
  [
    {
      name: 'a setuid-root binary does not raise the effective uid',
      unsandboxed: () => expectWorked(host(s, ['exec', suid, 'escape-suid', 'whoami'], { uid: NOBODY }), `uid=${NOBODY} euid=0 nnp=0`),
      sandboxed: () => ['exec', suid, 'escape-suid', 'whoami'],
      denied: (r) => {
        expectWorked(r, `uid=${NOBODY} euid=${NOBODY} nnp=1`);
        expect(readFileSync(nnpBundle).length).toBeGreaterThan(0);
      },
    },
  ],
);
