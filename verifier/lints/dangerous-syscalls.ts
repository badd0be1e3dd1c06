import type { Lint } from './lint.js';

const GROUPS: [string, string[], string][] = [
  ['process memory of other processes is writable', ['ptrace', 'process_vm_writev', 'process_vm_readv'], 'deny ptrace, process_vm_readv, process_vm_writev'],
  ['kernel attack surface is exposed', ['bpf', 'perf_event_open', 'userfaultfd'], 'deny bpf, perf_event_open, userfaultfd'],
  ['namespaces and mounts can be changed', ['mount', 'unshare', 'setns', 'pivot_root'], 'deny mount, unshare, setns, pivot_root'],
  ['kernel modules or a new kernel can be loaded', ['init_module', 'finit_module', 'kexec_load', 'kexec_file_load'], 'deny init_module, finit_module, kexec_load, kexec_file_load'],
  ['io_uring bypasses seccomp for the operations it performs', ['io_uring_setup', 'io_uring_enter', 'io_uring_register'], 'deny io_uring_setup, io_uring_enter, io_uring_register'],
  ['the kernel keyring is reachable', ['keyctl', 'add_key', 'request_key'], 'deny keyctl, add_key, request_key'],
  ['files can be opened by handle past path checks', ['open_by_handle_at'], 'deny open_by_handle_at'],
];

export const dangerousSyscalls: Lint = {
  id: 'dangerous-syscalls',
  code: 'MXC2109',
  title: 'dangerous system calls are allowed',
  severity: 'error',
  rationale: 'These calls reach other processes, the kernel\'s most exploited interfaces, or the sandbox itself (extend linux_runtime from std/linux-runtime.mxc).',
  probes() {
    return GROUPS.flatMap(([message, syscalls, help]) => syscalls.map((s) => ({ message: `${message} (${s})`, request: { kind: 'syscall' as const, syscalls: [s] }, help })));
  },
};
