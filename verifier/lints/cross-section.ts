import { findCrossSectionConflicts } from '../hygiene.js';
import type { Lint } from './lint.js';

export const crossSection: Lint = {
  id: 'cross-section',
  code: 'MXC2122',
  title: 'a rule can never be used: the syscall section refuses what it needs',
  severity: 'warning',
  rationale:
    'A net allow is useless when the syscall filter refuses the socket family or connect/bind it needs, and an fs allow is useless when the calls that use it (execve for exec, the open family for read and write) are refused. One of the two sections is wrong. Checked only for policies with syscall rules of their own; reported in the policy that declares the rule or the refusing syscall rule.',
  probes() {
    return [];
  },
  query: findCrossSectionConflicts,
};
