import type { Lint } from './lint.js';

export const rawSockets: Lint = {
  id: 'raw-sockets',
  code: 'MXC2111',
  title: 'raw, packet or netlink sockets can be created',
  severity: 'warning',
  rationale: 'Packet and raw sockets sniff and forge traffic past any proxy; netlink sockets reach kernel subsystems with a long history of bugs.',
  probes() {
    const sock = (domain: number, what: string, help: string) => ({
      message: `${what} sockets can be created`,
      request: { kind: 'syscall-when' as const, syscall: 'socket', when: [{ arg: 0, name: 'domain', bits: 32 as const, op: 'eq' as const, value: String(domain) }] },
      help,
    });
    return [
      sock(17, 'AF_PACKET', 'deny socket(domain == AF_PACKET)'),
      {
        message: 'raw IP sockets can be created',
        request: { kind: 'syscall-when', syscall: 'socket', when: [{ arg: 0, name: 'domain', bits: 32, op: 'eq', value: '2' }, { arg: 1, name: 'type', bits: 32, op: 'masked_eq', mask: '15', value: '3' }] },
        help: 'deny socket(domain == AF_INET && type & 0xf == SOCK_RAW)',
      },
    ];
  },
};
