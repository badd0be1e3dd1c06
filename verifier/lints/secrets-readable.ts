import type { Lint } from './lint.js';
import { homes } from './lint.js';

const STORES: [string, string][] = [
  ['/.ssh/id_*', 'SSH private keys'],
  ['/.aws/credentials', 'AWS credentials'],
  ['/.config/gcloud/**', 'Google Cloud credentials'],
  ['/.kube/config', 'Kubernetes credentials'],
  ['/.docker/config.json', 'Docker registry credentials'],
  ['/.netrc', '.netrc passwords'],
  ['/.gnupg/**', 'GnuPG keys'],
  ['/.git-credentials', 'git credentials'],
];

export const secretsReadable: Lint = {
  id: 'secrets-readable',
  code: 'MXC2101',
  title: 'credentials are readable',
  severity: 'error',
  rationale: 'Agents that can read credential stores can use or leak them; the usual stores should be denied explicitly (extend std/secrets.mxc).',
  probes(ir) {
    return [
      ...STORES.flatMap(([p, what]) => homes(ir).map((h) => ({ message: `${what} are readable`, request: { kind: 'fs' as const, access: ['read' as const], paths: [h + p] }, help: `deny read "${h}${p}" (or extend no_secrets from std/secrets.mxc)` }))),
      { message: '.env files are readable', request: { kind: 'fs', access: ['read'], paths: ['/**/.env'] }, help: 'deny read "**/.env"' },
    ];
  },
};
