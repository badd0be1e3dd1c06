import type { FsRight } from '../../compiler/ir.js';
import type { Lint } from './lint.js';
import { home } from './lint.js';

const WRITE: FsRight[] = ['write', 'create'];

export const persistenceWritable: Lint = {
  id: 'persistence-writable',
  code: 'MXC2102',
  title: 'files that run later outside the sandbox are writable',
  severity: 'error',
  rationale: 'A write to a shell start-up file, a user binary directory, a git hook or an editor/agent config survives the session and runs later with the user\'s full rights.',
  probes(ir) {
    const h = home(ir);
    const p = (message: string, path: string) => ({ message, request: { kind: 'fs' as const, access: WRITE, paths: [path] }, help: `deny write, create "${path}" (or extend no_persistence from std/no-persistence.mxc)` });
    return [
      p('shell start-up files are writable', `${h}/.bashrc`),
      p('shell start-up files are writable', `${h}/.profile`),
      p('shell start-up files are writable', `${h}/.zshrc`),
      p('user binaries are writable', `${h}/.local/bin/**`),
      p('git hooks are writable', '/**/.git/hooks/**'),
      p('git config is writable (core.hooksPath runs code)', '/**/.git/config'),
      p('editor config is writable', '/**/.vscode/**'),
      p('agent tool config is writable', '/**/.mcp.json'),
      p('systemd user units are writable', `${h}/.config/systemd/user/**`),
      p('SSH authorized keys are writable', `${h}/.ssh/authorized_keys`),
    ];
  },
};
