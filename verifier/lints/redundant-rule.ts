import { findRedundantRules } from '../hygiene.js';
import type { Lint } from './lint.js';

/**
 * Only the linted policy's own rules are reported: an inherited rule can be the reason a child's
 * rule is redundant, but is reported when its own policy is linted, not in every child.
 */
export const redundantRule: Lint = {
  id: 'redundant-rule',
  code: 'MXC2121',
  title: 'a rule is redundant',
  severity: 'warning',
  rationale:
    'A rule whose every request other rules already decide the same way (an allow inside another allow, a deny inside another deny, a syscall allowed twice) changes nothing; it hides what the policy relies on and survives when the rule it duplicates is narrowed. Only rules the linted policy declares are reported; a syscall statement that names several calls or a group is reported only when all of them are redundant.',
  probes() {
    return [];
  },
  query: findRedundantRules,
};
