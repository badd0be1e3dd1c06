import type { Lint } from './lint.js';
import { ANY_PORT } from './lint.js';

export const metadataEndpoint: Lint = {
  id: 'metadata-endpoint',
  code: 'MXC2105',
  title: 'the cloud metadata endpoint is reachable',
  severity: 'error',
  rationale: '169.254.169.254 (and fd00:ec2::254) hands out the machine\'s cloud credentials to any process that asks.',
  probes() {
    const t = (address: string, family: 4 | 6) => ({ host: { kind: 'cidr' as const, family, address, prefix: family === 4 ? 32 : 128 }, ports: ANY_PORT });
    return [
      { message: 'the cloud metadata endpoint is reachable', request: { kind: 'net', operation: 'connect', protocols: ['tcp'], targets: [t('169.254.169.254', 4)] }, help: 'deny connect any "169.254.169.254"' },
      { message: 'the IPv6 cloud metadata endpoint is reachable', request: { kind: 'net', operation: 'connect', protocols: ['tcp'], targets: [t('fd00:ec2::254', 6)] }, help: 'deny connect any "fd00:ec2::254"' },
    ];
  },
};
