import type { Lint } from './lint.js';

export const protectedDeletable: Lint = {
  id: 'protected-deletable',
  code: 'MXC2116',
  title: 'a write-protected directory can be deleted or renamed',
  severity: 'error',
  rationale: 'Protecting .git/hooks from writes is pointless if .git itself can be deleted or renamed (`rm -rf .git`, `mv .git x`) and recreated with new hooks.',
  probes() {
    return [{ message: '.git directories can be deleted or renamed', request: { kind: 'fs', access: ['delete', 'refer'], paths: ['/**/.git'] }, help: 'deny delete, refer "**/.git"' }];
  },
};
