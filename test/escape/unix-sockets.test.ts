/**
 * Escape corpus, host services on pathname unix sockets: the session bus (/run/user/<uid>/bus),
 * systemd --user (/run/user/<uid>/systemd/private, what `systemd-run --user` talks to) and a
 * socket in a directory no grant reaches, under the coding agent policy. Landlock (ABI <= 7) does
 * not mediate connect(2) on a pathname socket, so the enforcer's mount view does: every directory
 * and socket beside the path to a grant (here /run, and `outside` next to the workspace) is
 * covered with an inaccessible node (`cover:` lines of --dry-run), and connect fails with EACCES.
 * A working directory under a cover is re-entered through the new view, so a relative socket path
 * from it does not get past the cover either.
 *
 * Sockets inside granted hierarchies: a host service's socket in /tmp (which the coding agent may
 * read and write) and one in the workspace, bound before the launch. The enforcer finds the sockets
 * bound at launch in /proc/net/unix and covers those inside a grant (`cover: ... a unix socket
 * bound at launch inside a grant`), so connect fails with EACCES there too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import {
  attackSuite,
  corpusBundle,
  errno,
  expectDenied,
  expectWorked,
  host,
  makeScratch,
  parseBatch,
  readLog,
  sandboxed,
  sleep,
  startHost,
  textBundle,
  type AttackCase,
  type HostProcess,
  type Outcome,
  type Scratch,
} from './harness.js';

let s: Scratch;
let bundle: string;
const servers: HostProcess[] = [];
const runUser = `/run/user/${40000 + (process.pid % 20000)}`;
let tmpDir: string;
const sockets = {
  sessionBus: () => `${runUser}/bus`,
  systemdUser: () => `${runUser}/systemd/private`,
  outsideGrants: () => path.join(s.outside, 'service.sock'),
  // Inside granted hierarchies: /tmp (readwrite for the coding agent) and the workspace.
  tmpService: () => path.join(tmpDir, 'default'),
  workspaceService: () => path.join(s.ws, '.dev-server.sock'),
};
type Name = keyof typeof sockets;
const logOf = (name: Name): string => path.join(s.root, `${name}.log`);

beforeAll(async () => {
  s = makeScratch('sock');
  bundle = corpusBundle('coding-agent', s.root);
  mkdirSync(path.join(runUser, 'systemd'), { recursive: true });
  tmpDir = mkdtempSync('/tmp/mxcc-escape-sock-');
  for (const name of Object.keys(sockets) as Name[]) servers.push(await startHost([s.hostAttack, 'serve', 'unix', sockets[name](), '-', logOf(name)], 'listening'));
});

afterAll(() => {
  for (const server of servers) server.stop();
  rmSync(runUser, { recursive: true, force: true });
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  s?.cleanup();
});

function unreachable(title: string, name: Name): AttackCase {
  return {
    name: title,
    unsandboxed: async () => {
      expectWorked(host(s, ['unix', sockets[name](), `host-${name}`]), 'pong');
      for (let i = 0; i < 40 && !readLog(logOf(name)).includes(`host-${name}`); i++) await sleep(50);
      expect(readLog(logOf(name))).toContain(`host-${name}`);
    },
    sandboxed: () => ['unix', sockets[name](), `sandbox-${name}`],
    denied: (r) => {
      expectDenied(r, errno.ECONNREFUSED, errno.EACCES, errno.ENOENT);
      expect(readLog(logOf(name))).not.toContain(`sandbox-${name}`);
    },
  };
}

attackSuite('host unix sockets by path, under the coding agent policy', (argv) => sandboxed(bundle, { workspace: s.ws, home: s.home }, [s.attack, ...argv]), [
  unreachable('the session bus (/run/user/<uid>/bus, denied by linux_runtime)', 'sessionBus'),
  unreachable('systemd --user (/run/user/<uid>/systemd/private, denied by linux_runtime)', 'systemdUser'),
  unreachable('a host service socket in a directory the policy does not grant', 'outsideGrants'),
]);

attackSuite('host unix sockets inside granted hierarchies, under the coding agent policy', (argv) => sandboxed(bundle, { workspace: s.ws, home: s.home }, [s.attack, ...argv]), [
  unreachable('a host service socket in /tmp (readwrite for the coding agent), bound before the launch', 'tmpService'),
  unreachable('a host service socket in the workspace, bound before the launch', 'workspaceService'),
]);

attackSuite('a host unix socket by a relative path from a covered working directory, under the coding agent policy', (argv) => sandboxed(bundle, { workspace: s.ws, home: s.home }, [s.attack, ...argv], { cwd: s.outside }), [
  {
    name: 'service.sock, relative to the working directory it lies in',
    unsandboxed: async () => {
      expectWorked(host(s, ['unix', 'service.sock', 'host-relative'], { cwd: s.outside }), 'pong');
      for (let i = 0; i < 40 && !readLog(logOf('outsideGrants')).includes('host-relative'); i++) await sleep(50);
      expect(readLog(logOf('outsideGrants'))).toContain('host-relative');
    },
    sandboxed: () => ['unix', 'service.sock', 'sandbox-relative'],
    denied: (r) => {
      expectDenied(r, errno.ECONNREFUSED, errno.EACCES, errno.ENOENT);
      expect(readLog(logOf('outsideGrants'))).not.toContain('sandbox-relative');
    },
  },
]);

// An unprivileged caller and a socket bound in another user's 0700 directory under the /tmp grant
// (`mxcc run`'s proxy socket, say): the enforcer cannot resolve its path, and neither can the
// command, so it is left alone; the launch must not be refused for it, and connect fails (EACCES).
describe("a host socket in another user's private directory, under the coding agent policy, as an unprivileged user", () => {
  const NOBODY = 65534;
  let privateDir: string;
  let server: HostProcess | undefined;
  const privateLog = (): string => path.join(s.root, 'private.log');
  beforeAll(async () => {
    privateDir = mkdtempSync('/tmp/mxcc-escape-private-');
    server = await startHost([s.hostAttack, 'serve', 'unix', path.join(privateDir, 'service.sock'), '-', privateLog()], 'listening');
  });
  afterAll(() => {
    server?.stop();
    if (privateDir) rmSync(privateDir, { recursive: true, force: true });
  });
  it('the launch goes ahead and connect fails with EACCES', () => {
    const r = sandboxed(bundle, { workspace: s.ws, home: s.home }, [s.attack, 'unix', path.join(privateDir, 'service.sock'), 'sandbox-private'], { uid: NOBODY });
    expectDenied(r, errno.EACCES);
    expect(readLog(privateLog())).not.toContain('sandbox-private');
  });
});

// Two runs under the same policy, a host service bound at scratch/svc/s inside the writable
// `${root}/scratch/**`. /proc/net/unix keeps the path the socket was bound at, whatever happens to
// it later: were run 1 allowed to rename scratch/svc (the cover on `s` would move with it), run 2
// would look for the socket at scratch/svc/s, find nothing there, and leave scratch/svc2/s
// uncovered. Every directory between the writable hierarchy and a covered socket is pinned (bound
// onto itself: a mount point cannot be renamed or removed, EBUSY), so run 1 cannot make that state.
describe('a host socket inside a writable grant, its directory renamed by one run and connected to by the next', () => {
  let scratch: string;
  let server: HostProcess | undefined;
  let renameBundle: string;
  const log = (): string => path.join(s.root, 'renamed.log');
  const policy = (argv: string[]): Outcome =>
    sandboxed(
      (renameBundle ??= textBundle(
        'socket_rename',
        `import "std/linux-runtime.mxc"
policy socket_rename extends linux_runtime {
  param root: path = "/srv"
  fs {
    allow read, exec "\${root}/bin/**"
    allow readwrite "\${root}/scratch/**"
  }
}`,
        s.root,
      )),
      { root: s.root },
      [s.hostAttack, ...argv],
    );
  beforeAll(async () => {
    scratch = path.join(s.root, 'scratch');
    mkdirSync(path.join(scratch, 'svc', 'deep'), { recursive: true });
    server = await startHost([s.hostAttack, 'serve', 'unix', path.join(scratch, 'svc', 'deep', 's'), '-', log()], 'listening');
  });
  afterAll(() => server?.stop());
  let hostWorked = false;

  it('works unsandboxed: rename the directory, connect to the socket where it went', async () => {
    expectWorked(host(s, ['rename', path.join(scratch, 'svc'), path.join(scratch, 'svc2')]));
    try {
      expectWorked(host(s, ['unix', path.join(scratch, 'svc2', 'deep', 's'), 'host-renamed']), 'pong');
      for (let i = 0; i < 40 && !readLog(log()).includes('host-renamed'); i++) await sleep(50);
      expect(readLog(log())).toContain('host-renamed');
      hostWorked = true;
    } finally {
      expectWorked(host(s, ['rename', path.join(scratch, 'svc2'), path.join(scratch, 'svc')]));
    }
  });

  it('under the policy: run 1 cannot rename the directories on the way to the socket, run 2 cannot connect', () => {
    expect(hostWorked, 'the attack did not work unsandboxed, so this case proves nothing').toBe(true);
    const run1 = parseBatch(
      policy(['batch', 'rename', path.join(scratch, 'svc'), path.join(scratch, 'svc2'), '::', 'rename', path.join(scratch, 'svc', 'deep'), path.join(scratch, 'svc', 'deep2')]),
      2,
    );
    const run2 = parseBatch(
      policy(['batch', 'unix', path.join(scratch, 'svc2', 'deep', 's'), 'sandbox-renamed', '::', 'unix', path.join(scratch, 'svc', 'deep2', 's'), 'sandbox-renamed', '::', 'unix', path.join(scratch, 'svc', 'deep', 's'), 'sandbox-renamed']),
      3,
    );
    expectDenied(run1[0]!, errno.EBUSY);
    expectDenied(run1[1]!, errno.EBUSY);
    expectDenied(run2[0]!, errno.ENOENT);
    expectDenied(run2[1]!, errno.ENOENT);
    expectDenied(run2[2]!, errno.EACCES);
    expect(readLog(log())).not.toContain('sandbox-renamed');
  });
});
