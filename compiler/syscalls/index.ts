// Syscall data for mxcc: numbers per architecture, argument signatures, groups and constants.
// The tables come from tables.generated.ts (see generate.mjs for how it is produced).

import {
  SYSCALLS_AARCH64,
  SYSCALLS_X86_64,
  SYSCALL_ARGS,
  SYSCALL_ARGS_ARCH_OVERRIDES,
  type SyscallArg,
} from './tables.generated.js';

export type Arch = 'x86_64' | 'aarch64';

/** The architectures mxcc compiles seccomp filters for. */
export const ARCHES: readonly Arch[] = Object.freeze(['x86_64', 'aarch64'] as const);

export type { SyscallArg } from './tables.generated.js';
export {
  KERNEL_VERSION,
  SYSCALL_TABLE_SOURCE,
  SYSCALLS_AARCH64,
  SYSCALLS_I386,
  SYSCALLS_X32,
  SYSCALLS_X86_64,
  SYSCALL_ARGS,
  SYSCALL_ARGS_ARCH_OVERRIDES,
  X32_SYSCALL_BIT,
} from './tables.generated.js';
export {
  GROUP_NAMES,
  KNOWN_GROUP,
  SYSCALL_GROUPS,
  expandGroup,
  groupsContaining,
  isSyscallGroup,
  type SyscallGroup,
} from './groups.js';
export { CONSTANT_NAMES, ERRNO_NAMES, constantArches, lookupConstant } from './constants.js';

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function tableFor(arch: Arch): Readonly<Record<string, number>> {
  return arch === 'x86_64' ? SYSCALLS_X86_64 : SYSCALLS_AARCH64;
}

export function isArch(s: string): s is Arch {
  return s === 'x86_64' || s === 'aarch64';
}

/** The syscall number of `name` on `arch` (x86_64: the 64-bit ABI), or undefined. */
export function syscallNumber(name: string, arch: Arch): number | undefined {
  const t = tableFor(arch);
  return own(t, name) ? t[name] : undefined;
}

const NAMES: Readonly<Record<Arch, readonly string[]>> = Object.freeze({
  x86_64: Object.freeze(Object.keys(SYSCALLS_X86_64).sort()),
  aarch64: Object.freeze(Object.keys(SYSCALLS_AARCH64).sort()),
});

/** All syscall names of `arch`, sorted. */
export function syscallNames(arch: Arch): readonly string[] {
  return NAMES[arch];
}

/** Reverse lookup: the name of syscall number `nr` on `arch`, or undefined. */
export function syscallName(nr: number, arch: Arch): string | undefined {
  const t = tableFor(arch);
  for (const name of NAMES[arch]) if (t[name] === nr) return name;
  return undefined;
}

const UNKNOWN_ARGS: readonly SyscallArg[] = Object.freeze(
  [0, 1, 2, 3, 4, 5].map((i) => Object.freeze({ name: `arg${i}`, bits: 64 as const, pointer: false })),
);

/**
 * The arguments the kernel reads as `umode_t` (an unsigned short, include/linux/types.h), by
 * syscall: their argument index, from the SYSCALL_DEFINEx signatures (fs/open.c, fs/namei.c,
 * ipc/mqueue.c). The tables give them 32 bits (the register's low half, as for an int); the
 * kernel keeps 16, so bits 16-31 pass unseen and conditions on them are compared on the low 16
 * bits (compiler/conditions.ts).
 */
export const UMODE_ARGS: Readonly<Record<string, number>> = Object.freeze({
  open: 2, openat: 3, creat: 1, mkdir: 1, mkdirat: 2, mknod: 1, mknodat: 2, chmod: 1, fchmod: 1, fchmodat: 2, fchmodat2: 2, mq_open: 2,
});

/**
 * Arguments declared `unsigned long` that the kernel reads as 32 bits, by syscall: their index.
 * clone keeps lower_32_bits(clone_flags) (kernel/fork.c); mmap passes fd to fget(unsigned int).
 * Conditions on them compare the low 32 bits, as for an int (compiler/conditions.ts).
 */
export const LOW32_ARGS: Readonly<Record<string, number>> = Object.freeze({ clone: 0, mmap: 4 });

/**
 * Argument signature of `name` on `arch`: the per-arch override if there is one (e.g. clone's
 * argument order differs on aarch64), else the common signature, else arg0..arg5 as 64-bit
 * non-pointer values.
 */
export function syscallArgs(name: string, arch: Arch): readonly SyscallArg[] {
  const over = SYSCALL_ARGS_ARCH_OVERRIDES[arch];
  if (own(over, name)) return over[name] ?? UNKNOWN_ARGS;
  if (own(SYSCALL_ARGS, name)) return SYSCALL_ARGS[name] ?? UNKNOWN_ARGS;
  return UNKNOWN_ARGS;
}

/** True if `name` is a syscall on at least one of ARCHES. */
export function isKnownSyscallAnywhere(name: string): boolean {
  return own(SYSCALLS_X86_64, name) || own(SYSCALLS_AARCH64, name);
}
