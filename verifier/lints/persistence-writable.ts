import type { FsRight } from '../../compiler/ir.js';
import type { Lint } from './lint.js';
import { homes } from './lint.js';

const WRITE: FsRight[] = ['write', 'create'];

export const persistenceWritable: Lint = {
  id: 'persistence-writable',
  code: 'MXC2102',
  title: 'files that run later outside the sandbox are writable',
  severity: 'error',
  rationale: 'A write to a shell start-up file, a user binary directory, a git hook or an editor/agent config survives the session and runs later with the user\'s full rights.',
  probes(ir) {
    const p = (message: string, path: string) => ({ message, request: { kind: 'fs' as const, access: WRITE, paths: [path] }, help: `deny write, create "${path}" (or extend no_persistence from std/no-persistence.mxc)` });
    const inHomes = (message: string, rest: string) => homes(ir).map((h) => p(message, h + rest));
    return [
      ...inHomes('shell start-up files are writable', '/.bashrc'),
      ...inHomes('shell start-up files are writable', '/.profile'),
      ...inHomes('shell start-up files are writable', '/.zshrc'),
      ...inHomes('user binaries are writable', '/.local/bin/**'),
      p('git hooks are writable', '/**/.git/hooks/**'),
      p('git config is writable (core.hooksPath runs code)', '/**/.git/config'),
      p('editor config is writable', '/**/.vscode/**'),
      p('agent tool config is writable', '/**/.mcp.json'),
      ...inHomes('systemd user units are writable', '/.config/systemd/user/**'),
      ...inHomes('SSH authorized keys are writable', '/.ssh/authorized_keys'),
    ];
  },
};
