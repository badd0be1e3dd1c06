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
  readLog,
  sandboxed,
  sleep,
  startHost,
  type AttackCase,
  type HostProcess,
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
