import type { Lint } from './lint.js';
import { ANY_PORT } from './lint.js';

export const egressAny: Lint = {
  id: 'egress-any',
  code: 'MXC2106',
  title: 'connections to any host are allowed',
  severity: 'warning',
  rationale: 'Unrestricted egress lets the agent send anything it can read to anyone; list the hosts it needs.',
  probes() {
    // A host no rule names, by name and by address (documentation addresses): CIDR rules such
    // as 0.0.0.0/0 or ::/0 never match a name, yet let the agent connect anywhere by address.
    const hosts = [
      { kind: 'name' as const, name: 'exfiltration.mxcc-lint.invalid' },
      { kind: 'cidr' as const, family: 4 as const, address: '198.51.100.77', prefix: 32 },
      { kind: 'cidr' as const, family: 6 as const, address: '2001:db8:6d78:6363::77', prefix: 128 },
    ];
    return hosts.map((host) => ({
      message: 'connections to arbitrary hosts are allowed',
      request: { kind: 'net' as const, operation: 'connect' as const, protocols: ['tcp' as const, 'udp' as const], targets: [{ host, ports: ANY_PORT }] },
      help: 'allow connect only to the hosts the agent needs',
    }));
  },
};
