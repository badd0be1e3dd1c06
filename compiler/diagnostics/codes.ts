/**
 * The one table of diagnostic codes. Codes are stable: never renumber or reuse one.
 * docs/error-codes.md is checked against this table by a test.
 *
 * Ranges: MXC00xx input and I/O, MXC10xx syntax, MXC11xx names and values,
 * MXC12xx params, MXC13xx imports and inheritance, MXC14xx syscall conditions,
 * MXC15xx command-line requests, MXC16xx imports from other formats, MXC2xxx verifier, MXC3xxx targets.
 */
export type Severity = 'error' | 'warning' | 'note';

export interface CodeInfo {
  title: string;
  severity: Severity;
}

export const CODES = {
  MXC0001: { title: 'cannot read file', severity: 'error' },
  MXC0002: { title: 'file too large', severity: 'error' },
  MXC0003: { title: 'not a text file', severity: 'error' },
  MXC0004: { title: 'too many diagnostics', severity: 'note' },
  MXC0005: { title: 'cannot write file', severity: 'error' },
  MXC0006: { title: 'file not formatted', severity: 'error' },

  MXC1001: { title: 'unexpected token', severity: 'error' },
  MXC1002: { title: 'unterminated string', severity: 'error' },
  MXC1003: { title: 'unexpected character', severity: 'error' },
  MXC1004: { title: 'nesting too deep', severity: 'error' },
  MXC1005: { title: 'no policy declared', severity: 'error' },
  MXC1006: { title: 'invalid escape sequence', severity: 'error' },
  MXC1007: { title: 'invalid number', severity: 'error' },

  MXC1101: { title: 'unknown syscall', severity: 'error' },
  MXC1102: { title: 'relative path', severity: 'error' },
  MXC1103: { title: 'invalid glob', severity: 'error' },
  MXC1104: { title: 'unknown access right', severity: 'error' },
  MXC1105: { title: 'unknown setting', severity: 'error' },
  MXC1106: { title: 'duplicate declaration', severity: 'error' },
  MXC1107: { title: 'invalid host', severity: 'error' },
  MXC1108: { title: 'invalid address or CIDR', severity: 'error' },
  MXC1109: { title: 'invalid port', severity: 'error' },
  MXC1110: { title: 'unknown network operation or protocol', severity: 'error' },
  MXC1111: { title: 'unknown action', severity: 'error' },
  MXC1112: { title: 'unknown errno', severity: 'error' },
  MXC1113: { title: 'unknown constant', severity: 'error' },
  MXC1114: { title: 'unknown syscall argument', severity: 'error' },
  MXC1115: { title: 'unknown syscall group', severity: 'error' },
  MXC1116: { title: 'unknown isolation level', severity: 'error' },
  MXC1117: { title: 'unknown target', severity: 'error' },
  MXC1118: { title: 'invalid value', severity: 'error' },
  MXC1120: { title: 'syscall unknown on some architectures', severity: 'warning' },
  MXC1122: { title: 'invalid assertion', severity: 'error' },

  MXC1201: { title: 'unknown parameter', severity: 'error' },
  MXC1202: { title: 'duplicate parameter', severity: 'error' },
  MXC1203: { title: 'parameter type mismatch', severity: 'error' },
  MXC1204: { title: 'missing parameter value', severity: 'error' },
  MXC1205: { title: 'unknown parameter type', severity: 'error' },
  MXC1206: { title: 'invalid parameter constraint', severity: 'error' },
  MXC1207: { title: 'parameter value violates its constraint', severity: 'error' },

  MXC1301: { title: 'import cycle', severity: 'error' },
  MXC1302: { title: 'import not found', severity: 'error' },
  MXC1303: { title: 'unknown policy', severity: 'error' },
  MXC1304: { title: 'inheritance cycle', severity: 'error' },
  MXC1305: { title: 'allow contradicts an inherited deny', severity: 'error' },
  MXC1306: { title: 'duplicate policy', severity: 'error' },
  MXC1307: { title: 'ambiguous policy', severity: 'error' },

  MXC1401: { title: 'condition on a pointer argument', severity: 'error' },
  MXC1402: { title: 'value out of range for argument', severity: 'error' },
  MXC1403: { title: 'condition too complex', severity: 'error' },
  MXC1404: { title: 'action not allowed here', severity: 'error' },
  MXC1405: { title: 'comparison is always true or never true', severity: 'warning' },
  MXC1406: { title: 'negative value compared by order', severity: 'warning' },

  MXC1501: { title: 'invalid request', severity: 'error' },

  MXC1601: { title: 'invalid seccomp profile', severity: 'error' },
  MXC1602: { title: 'unsupported seccomp action', severity: 'error' },
  MXC1603: { title: 'invalid seccomp argument comparison', severity: 'error' },
  MXC1604: { title: 'conflicting seccomp rules', severity: 'warning' },
  MXC1605: { title: 'invalid JSON', severity: 'error' },
  MXC1606: { title: 'seccomp rule depends on the architecture', severity: 'warning' },

  MXC2001: { title: 'assertion does not hold', severity: 'error' },
  MXC2002: { title: 'new access compared with the baseline', severity: 'error' },
  MXC2003: { title: 'compiled program disagrees with the policy', severity: 'error' },
  MXC2004: { title: 'compiled Landlock plan allows what the policy denies', severity: 'error' },
  MXC2005: { title: 'policy too complex to verify', severity: 'error' },
  MXC2101: { title: 'credentials are readable', severity: 'error' },
  MXC2102: { title: 'files that run later outside the sandbox are writable', severity: 'error' },
  MXC2103: { title: 'a path is both writable and executable', severity: 'warning' },
  MXC2104: { title: 'write access to system or home directories', severity: 'error' },
  MXC2105: { title: 'the cloud metadata endpoint is reachable', severity: 'error' },
  MXC2106: { title: 'connections to any host are allowed', severity: 'warning' },
  MXC2107: { title: 'DNS or UDP can carry data out', severity: 'warning' },
  MXC2108: { title: 'host service sockets are reachable', severity: 'error' },
  MXC2109: { title: 'dangerous system calls are allowed', severity: 'error' },
  MXC2110: { title: 'terminal input can be injected', severity: 'error' },
  MXC2111: { title: 'raw, packet or netlink sockets can be created', severity: 'warning' },
  MXC2112: { title: 'secrets are readable and can be sent anywhere', severity: 'error' },
  MXC2113: { title: 'a refused syscall has an allowed equivalent', severity: 'error' },
  MXC2114: { title: 'syscalls no rule names are allowed', severity: 'error' },
  MXC2115: { title: 'an allow rule allows nothing', severity: 'warning' },
  MXC2116: { title: 'a write-protected directory can be deleted or renamed', severity: 'error' },
  MXC2117: { title: 'process memory is writable through /proc', severity: 'error' },
  MXC2118: { title: 'new user namespaces can be created', severity: 'warning' },
  MXC2119: { title: 'personality can disable memory protections', severity: 'warning' },
  MXC2120: { title: 'raw devices or kernel memory are reachable', severity: 'error' },
  MXC2121: { title: 'a rule is redundant', severity: 'warning' },
  MXC2122: { title: 'a rule can never be used: the syscall section refuses what it needs', severity: 'warning' },

  MXC3101: { title: 'seccomp program too large', severity: 'error' },
  MXC3102: { title: 'Landlock cannot enforce a deny exactly', severity: 'error' },
  MXC3103: { title: 'unknown best-effort feature', severity: 'error' },
  MXC3104: { title: 'isolation level not provided by the target', severity: 'error' },
  MXC3105: { title: 'limit outside the range the enforcer accepts', severity: 'error' },
  MXC3201: { title: 'OCI seccomp translation is weaker than the policy', severity: 'error' },
  MXC3202: { title: 'syscall rules differ between architectures', severity: 'warning' },
  MXC3203: { title: 'syscall conditions need too many OCI rules', severity: 'warning' },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;
