/**
 * Escape corpus, host services on pathname unix sockets: the session bus (/run/user/<uid>/bus),
 * systemd --user (/run/user/<uid>/systemd/private, what `systemd-run --user` talks to) and a
 * socket in a directory no grant reaches, under the coding agent policy. Landlock (ABI <= 7) does
 * not mediate connect(2) on a pathname socket, so the enforcer's mount view does: every directory
 * and socket beside the path to a grant (here /run, and `outside` next to the workspace) is
 * covered with an inaccessible node (`cover:` lines of --dry-run), and connect fails with EACCES.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { mkdirSync, rmSync } from 'node:fs';
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
const sockets = {
  sessionBus: () => `${runUser}/bus`,
  systemdUser: () => `${runUser}/systemd/private`,
  outsideGrants: () => path.join(s.outside, 'service.sock'),
};
type Name = keyof typeof sockets;
const logOf = (name: Name): string => path.join(s.root, `${name}.log`);

beforeAll(async () => {
  s = makeScratch('sock');
  bundle = corpusBundle('coding-agent', s.root);
  mkdirSync(path.join(runUser, 'systemd'), { recursive: true });
  for (const name of Object.keys(sockets) as Name[]) servers.push(await startHost([s.hostAttack, 'serve', 'unix', sockets[name](), '-', logOf(name)], 'listening'));
});

afterAll(() => {
  for (const server of servers) server.stop();
  rmSync(runUser, { recursive: true, force: true });
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
