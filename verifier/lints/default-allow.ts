import type { Lint } from './lint.js';

export const defaultAllow: Lint = {
  id: 'default-allow',
  code: 'MXC2114',
  title: 'syscalls no rule names are allowed',
  severity: 'error',
  rationale: 'A syscall filter that lets unknown calls through also lets through every call added to the kernel after the policy was written; deny by default.',
  probes() {
    return [{ message: 'the syscall default action lets calls through', request: { kind: 'default-proceeds' }, help: 'use default errno(EPERM) and allow what the program needs' }];
  },
};
