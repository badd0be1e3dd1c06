import type { Lint } from './lint.js';
import { ANY_PORT } from './lint.js';

export const egressAny: Lint = {
  id: 'egress-any',
  code: 'MXC2106',
  title: 'connections to any host are allowed',
  severity: 'warning',
  rationale: 'Unrestricted egress lets the agent send anything it can read to anyone; list the hosts it needs.',
  probes() {
    return [
      {
        message: 'connections to arbitrary hosts are allowed',
        request: { kind: 'net', operation: 'connect', protocols: ['tcp', 'udp'], targets: [{ host: { kind: 'name', name: 'exfiltration.mxcc-lint.invalid' }, ports: ANY_PORT }] },
        help: 'allow connect only to the hosts the agent needs',
      },
    ];
  },
};
