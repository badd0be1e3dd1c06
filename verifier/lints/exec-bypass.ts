import type { Lint } from './lint.js';

export const execBypass: Lint = {
  id: 'exec-bypass',
  code: 'MXC2113',
  title: 'a refused syscall has an allowed equivalent',
  severity: 'error',
  rationale: 'Denying execve while execveat is allowed, or open while openat or openat2 is allowed, refuses nothing: the other call does the same thing.',
  probes() {
    return [
      { message: 'execve is refused but execveat runs programs all the same', request: { kind: 'bypass', denied: 'execve', alternatives: ['execveat'] }, help: 'deny execveat too' },
      { message: 'openat is refused but openat2 opens files all the same', request: { kind: 'bypass', denied: 'openat', alternatives: ['openat2', 'open'] }, help: 'deny openat2 and open too' },
      { message: 'process_vm_writev is refused but ptrace writes process memory all the same', request: { kind: 'bypass', denied: 'process_vm_writev', alternatives: ['ptrace'] }, help: 'deny ptrace too' },
    ];
  },
};
