import type { Lint } from './lint.js';
import { ANY_PORT } from './lint.js';

export const metadataEndpoint: Lint = {
  id: 'metadata-endpoint',
  code: 'MXC2105',
  title: 'the cloud metadata endpoint is reachable',
  severity: 'error',
  rationale: '169.254.169.254 (and fd00:ec2::254, ECS\'s 169.254.170.2, Alibaba\'s 100.100.100.200, Azure\'s 168.63.129.16) hands out the machine\'s cloud credentials to any process that asks.',
  probes() {
    const t = (address: string, family: 4 | 6) => ({ host: { kind: 'cidr' as const, family, address, prefix: family === 4 ? 32 : 128 }, ports: ANY_PORT });
    const v4 = (address: string) => ({ message: 'the cloud metadata endpoint is reachable', request: { kind: 'net' as const, operation: 'connect' as const, protocols: ['tcp' as const], targets: [t(address, 4)] }, help: `deny connect any "${address}"` });
    return [
      v4('169.254.169.254'),
      { message: 'the IPv6 cloud metadata endpoint is reachable', request: { kind: 'net', operation: 'connect', protocols: ['tcp'], targets: [t('fd00:ec2::254', 6)] }, help: 'deny connect any "fd00:ec2::254"' },
      // Other clouds' endpoints: the same finding (one per policy). Names (metadata.google.internal)
      // are not asked: the egress proxy refuses the special addresses they resolve to.
      v4('169.254.170.2'),
      v4('100.100.100.200'),
      v4('168.63.129.16'),
    ];
  },
};
