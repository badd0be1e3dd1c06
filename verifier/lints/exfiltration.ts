import type { Lint } from './lint.js';

/** Reported by the runner when secrets-readable and egress-any both find something. */
export const exfiltration: Lint = {
  id: 'exfiltration',
  code: 'MXC2112',
  title: 'secrets are readable and can be sent anywhere',
  severity: 'error',
  rationale: 'Reading a credential and connecting to an arbitrary host together are a complete exfiltration path.',
  probes() {
    return [];
  },
};
