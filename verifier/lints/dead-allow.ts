import type { Lint } from './lint.js';

export const deadAllow: Lint = {
  id: 'dead-allow',
  code: 'MXC2115',
  title: 'an allow rule allows nothing',
  severity: 'warning',
  rationale: 'Deny always wins, so an allow that the denies cover entirely has no effect; it misleads readers about what the policy permits.',
  probes() {
    return [{ message: 'an fs allow rule is entirely covered by denies', request: { kind: 'dead-allow' }, help: 'remove the allow, or narrow the denies with except' }];
  },
};
