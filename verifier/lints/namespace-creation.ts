import type { Lint } from './lint.js';

export const namespaceCreation: Lint = {
  id: 'namespace-creation',
  code: 'MXC2118',
  title: 'new user namespaces can be created',
  severity: 'warning',
  rationale: 'An unprivileged user namespace gives the process every capability inside it, which opens the kernel\'s most exploited code paths (netfilter, mount, BPF).',
  probes() {
    const NEWUSER = String(0x10000000);
    return [
      { message: 'clone can create a user namespace', request: { kind: 'syscall-when', syscall: 'clone', when: [{ arg: 0, name: 'flags', bits: 64, op: 'masked_eq', mask: NEWUSER, value: NEWUSER }] }, help: 'deny clone(flags & CLONE_NEWUSER != 0)' },
      { message: 'unshare can create a user namespace', request: { kind: 'syscall-when', syscall: 'unshare', when: [{ arg: 0, name: 'arg0', bits: 64, op: 'masked_eq', mask: NEWUSER, value: NEWUSER }] }, help: 'deny unshare' },
    ];
  },
};
