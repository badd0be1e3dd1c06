import type { Lint } from './lint.js';

export const sensitiveDevices: Lint = {
  id: 'sensitive-devices',
  code: 'MXC2120',
  title: 'raw devices or kernel memory are reachable',
  severity: 'error',
  rationale: 'Raw disks, /dev/mem and /dev/kmem bypass every file permission; the kernel and hypervisor device nodes are attack surface.',
  probes() {
    const p = (message: string, path: string) => ({ message, request: { kind: 'fs' as const, access: ['read' as const, 'write' as const], paths: [path] }, help: `deny read, write "${path}"` });
    return [
      p('block devices are reachable', '/dev/sd*'),
      p('block devices are reachable', '/dev/nvme*'),
      p('physical memory is reachable', '/dev/mem'),
      p('the KVM device is reachable', '/dev/kvm'),
    ];
  },
};
