/**
 * Open finding (review finding 3): `.git/commondir` redirects git to a common directory the
 * agent controls, whose hooks and config then apply to the workspace's repository and run
 * outside the sandbox on the user's next git command. no_persistence denies
 * `**\/.git/{config,commondir,config.worktree}`, but on Linux a wildcard deny only masks the
 * matches that exist at launch, and a repository of its own never has a commondir: the agent
 * creates it during the run. Moves up into fs.test.ts once the enforcer or the policy stops it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { attackSuite, corpusBundle, errno, expectDenied, expectWorked, host, makeScratch, sandboxed, type Scratch } from '../harness.js';

let s: Scratch;
let bundle: string;
let evil: string;

beforeAll(() => {
  s = makeScratch('commondir');
  bundle = corpusBundle('coding-agent', s.root);
  execFileSync('git', ['init', '-q', s.ws]);
  // The common directory the agent would build (inside the workspace, which it may write).
  evil = path.join(s.ws, 'evil');
  for (const d of ['hooks', 'objects', 'refs']) mkdirSync(path.join(evil, d), { recursive: true });
  writeFileSync(path.join(evil, 'config'), '[core]\n\trepositoryformatversion = 0\n');
});

afterAll(() => s?.cleanup());

const commondir = (): string => path.join(s.ws, '.git', 'commondir');
const launch = (argv: string[]) => sandboxed(bundle, { workspace: s.ws, home: s.home }, [s.attack, ...argv]);

attackSuite('git commondir, under the coding agent policy', launch, [
  {
    name: '.git/commondir, absent at launch, is not created',
    unsandboxed: () => {
      expectWorked(host(s, ['write', commondir(), `${evil}\n`]));
      // git now takes the repository's hooks from the agent's directory.
      const hook = execFileSync('git', ['-C', s.ws, 'rev-parse', '--git-path', 'hooks/pre-commit'], { encoding: 'utf8' }).trim();
      expect(hook).toBe(path.join(evil, 'hooks', 'pre-commit'));
      rmSync(commondir());
    },
    sandboxed: () => ['write', commondir(), `${evil}\n`],
    denied: (r) => {
      expectDenied(r, errno.EROFS, errno.EACCES);
      expect(existsSync(commondir())).toBe(false);
    },
  },
]);
