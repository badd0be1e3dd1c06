import type { Lint } from './lint.js';

export const procMem: Lint = {
  id: 'proc-mem',
  code: 'MXC2117',
  title: 'process memory is writable through /proc',
  severity: 'error',
  rationale: 'Writing /proc/<pid>/mem patches a running process\'s code, which bypasses every file rule.',
  probes() {
    return [{ message: '/proc/<pid>/mem is writable', request: { kind: 'fs', access: ['write'], paths: ['/proc/*/mem', '/proc/*/task/*/mem'] }, help: 'allow only the /proc files the program reads' }];
  },
};
