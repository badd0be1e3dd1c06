import type { Lint } from './lint.js';
import { homes } from './lint.js';

export const broadWrite: Lint = {
  id: 'broad-write',
  code: 'MXC2104',
  title: 'write access to system or home directories',
  severity: 'error',
  rationale: 'Writing to /etc, /usr, the root or a home directory lets the agent change programs, configuration or other users\' files.',
  probes(ir) {
    const p = (message: string, path: string) => ({ message, request: { kind: 'fs' as const, access: ['write' as const, 'create' as const], paths: [path] }, help: 'allow writes only under the workspace and temporary directories' });
    return [
      p('system configuration (/etc) is writable', '/etc/**'),
      p('system programs (/usr) are writable', '/usr/**'),
      p('new files directly under / are writable', '/mxcc-lint-probe'),
      p('other users\' home directories are writable', '/home/*/*'),
      ...homes(ir).filter((h) => h !== '/home/*').map((h) => p('new files directly in the home directory are writable', `${h}/mxcc-lint-probe`)),
    ];
  },
};
