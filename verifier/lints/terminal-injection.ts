import type { Lint } from './lint.js';

export const terminalInjection: Lint = {
  id: 'terminal-injection',
  code: 'MXC2110',
  title: 'terminal input can be injected',
  severity: 'error',
  rationale: 'ioctl(TIOCSTI) and TIOCLINUX push keystrokes into the controlling terminal, which the shell outside the sandbox then runs.',
  probes() {
    const ioctl = (value: number, name: string) => ({
      message: `ioctl(${name}) is allowed`,
      request: { kind: 'syscall-when' as const, syscall: 'ioctl', when: [{ arg: 1, name: 'request', bits: 32 as const, op: 'eq' as const, value: String(value) }] },
      help: `deny ioctl(request == ${name})`,
    });
    return [ioctl(0x5412, 'TIOCSTI'), ioctl(0x541c, 'TIOCLINUX')];
  },
};
