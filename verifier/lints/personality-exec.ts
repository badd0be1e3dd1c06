import type { Lint } from './lint.js';

export const personalityExec: Lint = {
  id: 'personality-exec',
  code: 'MXC2119',
  title: 'personality can disable memory protections',
  severity: 'warning',
  rationale: 'personality(READ_IMPLIES_EXEC) makes readable memory executable and ADDR_NO_RANDOMIZE turns off address randomisation for the programs the process starts.',
  probes() {
    const flag = (value: number, name: string) => ({
      message: `personality(${name}) is allowed`,
      request: { kind: 'syscall-when' as const, syscall: 'personality', when: [{ arg: 0, name: 'persona', bits: 32 as const, op: 'masked_eq' as const, mask: String(value), value: String(value) }, { arg: 0, name: 'persona', bits: 32 as const, op: 'ne' as const, value: String(0xffffffff) }] },
      help: 'allow only personality(persona == PER_LINUX) and the query value 0xffffffff',
    });
    return [flag(0x0400000, 'READ_IMPLIES_EXEC'), flag(0x0040000, 'ADDR_NO_RANDOMIZE')];
  },
};
