import type { Lint } from './lint.js';

export const hostSockets: Lint = {
  id: 'host-sockets',
  code: 'MXC2108',
  title: 'host service sockets are reachable',
  severity: 'error',
  rationale: 'Connecting to the Docker socket or the user session bus escapes any sandbox: `docker run -v /:/host` or `systemd-run --user` start processes outside it.',
  probes() {
    const p = (message: string, path: string) => ({ message, request: { kind: 'fs' as const, access: ['write' as const], paths: [path] }, help: `deny write "${path}"` });
    return [
      p('the Docker socket is reachable', '/var/run/docker.sock'),
      p('the Docker socket is reachable', '/run/docker.sock'),
      p('the containerd socket is reachable', '/run/containerd/containerd.sock'),
      p('the user session bus is reachable (systemd-run --user escapes)', '/run/user/*/bus'),
    ];
  },
};
