/** Every lint, in report order. Each lint is its own file with its rationale and fixtures. */
import type { Lint } from './lint.js';
import { broadWrite } from './broad-write.js';
import { dangerousSyscalls } from './dangerous-syscalls.js';
import { dnsUdpEgress } from './dns-udp-egress.js';
import { egressAny } from './egress-any.js';
import { exfiltration } from './exfiltration.js';
import { hostSockets } from './host-sockets.js';
import { metadataEndpoint } from './metadata-endpoint.js';
import { persistenceWritable } from './persistence-writable.js';
import { rawSockets } from './raw-sockets.js';
import { secretsReadable } from './secrets-readable.js';
import { terminalInjection } from './terminal-injection.js';
import { writeExec } from './write-exec.js';
import { execBypass } from './exec-bypass.js';
import { defaultAllow } from './default-allow.js';
import { deadAllow } from './dead-allow.js';
import { protectedDeletable } from './protected-deletable.js';
import { procMem } from './proc-mem.js';
import { namespaceCreation } from './namespace-creation.js';
import { personalityExec } from './personality-exec.js';
import { sensitiveDevices } from './sensitive-devices.js';
import { redundantRule } from './redundant-rule.js';
import { crossSection } from './cross-section.js';

export type { Lint } from './lint.js';

export const LINTS: readonly Lint[] = [
  secretsReadable,
  exfiltration,
  persistenceWritable,
  broadWrite,
  writeExec,
  hostSockets,
  metadataEndpoint,
  egressAny,
  dnsUdpEgress,
  dangerousSyscalls,
  terminalInjection,
  rawSockets,
  execBypass,
  defaultAllow,
  deadAllow,
  protectedDeletable,
  procMem,
  namespaceCreation,
  personalityExec,
  sensitiveDevices,
  redundantRule,
  crossSection,
];
