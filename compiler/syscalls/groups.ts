// systemd-style syscall groups, used in policies as `@name`.
//
// Membership follows systemd 262 (Debian package libsystemd-shared 262.1-1: the group lists
// compiled into libsystemd-shared-262.so, i.e. src/shared/seccomp-util.c, as printed by
// `systemd-analyze syscall-filter`), restricted to names that exist on x86_64 or aarch64 in
// tables.generated.ts; descriptions are mxcc's own. A few newer calls are added where marked.
// Groups are architecture-independent name lists: expandGroup() drops names an architecture
// lacks. `@known` is not a list: it is every syscall in the table of the architecture.
// Calls in no group other than @known (as of Linux 7.2): cachestat, listns, lsm_set_self_attr,
// memfd_secret, mincore, process_mrelease, syslog, uprobe.

import { SYSCALLS_AARCH64, SYSCALLS_X86_64 } from './tables.generated.js';
import type { Arch } from './index.js';

export interface SyscallGroup {
  readonly description: string;
  /** Syscall names and nested group names (`@...`). */
  readonly members: readonly string[];
}

export const KNOWN_GROUP = '@known';

export const SYSCALL_GROUPS: Readonly<Record<string, SyscallGroup>> = deepFreeze({
  '@aio': {
    description:
      "Asynchronous I/O: the Linux AIO interface and io_uring. io_uring can perform operations that seccomp never sees.",
    members: [
      'io_cancel', 'io_destroy', 'io_getevents', 'io_pgetevents', 'io_setup', 'io_submit',
      'io_uring_enter', 'io_uring_register', 'io_uring_setup',
    ],
  },
  '@basic-io': {
    description:
      "Reading, writing and seeking on already open descriptors, duplicating and closing them.",
    members: [
      'close', 'close_range', 'dup', 'dup2', 'dup3', 'lseek', 'pread64', 'preadv', 'preadv2',
      'pwrite64', 'pwritev', 'pwritev2', 'read', 'readv', 'write', 'writev',
    ],
  },
  '@chown': {
    description:
      "Changing the owner or group of files.",
    members: [
      'chown', 'fchown', 'fchownat', 'lchown',
    ],
  },
  '@clock': {
    description:
      "Setting or adjusting the system clock.",
    members: [
      'adjtimex', 'clock_adjtime', 'clock_settime', 'settimeofday',
    ],
  },
  '@cpu-emulation': {
    description:
      "CPU emulation helpers such as editing the local descriptor table (x86).",
    members: [
      'modify_ldt',
    ],
  },
  '@debug': {
    description:
      "Tracing, debugging and performance monitoring: ptrace, perf events, taking another process's descriptors.",
    members: [
      'lookup_dcookie', 'perf_event_open', 'pidfd_getfd', 'ptrace',
    ],
  },
  '@default': {
    description:
      "Calls nearly every program needs and that touch nothing outside the process: exiting, reading its own ids and clocks, futexes, basic memory mapping, signal return; also the self-sandboxing calls.",
    members: [
      '@sandbox', 'arch_prctl', 'brk', 'clock_getres', 'clock_gettime', 'clock_nanosleep', 'execve',
      'exit', 'exit_group', 'futex', 'futex_waitv', 'get_robust_list', 'get_thread_area', 'getegid',
      'geteuid', 'getgid', 'getgroups', 'getpgid', 'getpgrp', 'getpid', 'getppid', 'getrandom',
      'getresgid', 'getresuid', 'getrlimit', 'getsid', 'gettid', 'gettimeofday', 'getuid',
      'lsm_get_self_attr', 'lsm_list_modules', 'membarrier', 'mmap', 'mprotect', 'mseal', 'munmap',
      'nanosleep', 'pause', 'prlimit64', 'restart_syscall', 'rseq', 'rt_sigreturn',
      'sched_getaffinity', 'sched_yield', 'set_robust_list', 'set_thread_area', 'set_tid_address',
      'time', 'uretprobe',
      // mxcc additions (newer than systemd 262's lists, same family as members above):
      'futex_requeue', 'futex_wait', 'futex_wake', 'map_shadow_stack', 'rseq_slice_yield',
    ],
  },
  '@file-system': {
    description:
      "Opening, creating, renaming, linking and removing files and directories, reading and changing their metadata and extended attributes, and watching them with inotify.",
    members: [
      'access', 'chdir', 'chmod', 'close', 'creat', 'faccessat', 'faccessat2', 'fallocate', 'fchdir',
      'fchmod', 'fchmodat', 'fchmodat2', 'fcntl', 'fgetxattr', 'file_getattr', 'file_setattr',
      'flistxattr', 'fremovexattr', 'fsetxattr', 'fstat', 'fstatfs', 'ftruncate', 'futimesat',
      'getcwd', 'getdents', 'getdents64', 'getxattr', 'getxattrat', 'inotify_add_watch',
      'inotify_init', 'inotify_init1', 'inotify_rm_watch', 'lgetxattr', 'link', 'linkat', 'listmount',
      'listxattr', 'listxattrat', 'llistxattr', 'lremovexattr', 'lsetxattr', 'lstat', 'mkdir',
      'mkdirat', 'mknod', 'mknodat', 'newfstatat', 'open', 'open_tree', 'openat', 'openat2',
      'readlink', 'readlinkat', 'removexattr', 'removexattrat', 'rename', 'renameat', 'renameat2',
      'rmdir', 'setxattr', 'setxattrat', 'stat', 'statfs', 'statmount', 'statx', 'symlink',
      'symlinkat', 'truncate', 'unlink', 'unlinkat', 'utime', 'utimensat', 'utimes',
    ],
  },
  '@io-event': {
    description:
      "Event loops: poll, select, epoll and eventfd.",
    members: [
      'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2',
      'epoll_wait', 'epoll_wait_old', 'eventfd', 'eventfd2', 'poll', 'ppoll', 'pselect6', 'select',
    ],
  },
  '@ipc': {
    description:
      "Inter-process communication: pipes, System V IPC, POSIX message queues, memfd, and reading or writing another process's memory.",
    members: [
      'memfd_create', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedsend',
      'mq_unlink', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'pipe', 'pipe2', 'process_madvise',
      'process_vm_readv', 'process_vm_writev', 'semctl', 'semget', 'semop', 'semtimedop', 'shmat',
      'shmctl', 'shmdt', 'shmget',
    ],
  },
  '@keyring': {
    description:
      "The kernel key retention service.",
    members: [
      'add_key', 'keyctl', 'request_key',
    ],
  },
  '@memlock': {
    description:
      "Locking memory into RAM.",
    members: [
      'mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall',
    ],
  },
  '@module': {
    description:
      "Loading and unloading kernel modules.",
    members: [
      'delete_module', 'finit_module', 'init_module',
    ],
  },
  '@mount': {
    description:
      "Mounting, unmounting and changing the root or mount attributes of file systems.",
    members: [
      'chroot', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'mount', 'mount_setattr', 'move_mount',
      'open_tree_attr', 'pivot_root', 'umount2',
    ],
  },
  '@network-io': {
    description:
      "Sockets of any family (including AF_UNIX): creating, connecting, listening, sending and receiving, socket options.",
    members: [
      'accept', 'accept4', 'bind', 'connect', 'getpeername', 'getsockname', 'getsockopt', 'listen',
      'recvfrom', 'recvmmsg', 'recvmsg', 'sendmmsg', 'sendmsg', 'sendto', 'setsockopt', 'shutdown',
      'socket', 'socketpair',
    ],
  },
  '@obsolete': {
    description:
      "Calls that are obsolete, unimplemented on current kernels, or kept only for old binaries.",
    members: [
      '_sysctl', 'afs_syscall', 'create_module', 'get_kernel_syms', 'getpmsg', 'putpmsg',
      'query_module', 'security', 'sysfs', 'tuxcall', 'uselib', 'ustat', 'vserver',
    ],
  },
  '@pkey': {
    description:
      "Memory protection keys.",
    members: [
      'pkey_alloc', 'pkey_free', 'pkey_mprotect',
    ],
  },
  '@privileged': {
    description:
      "Calls that need some capability (CAP_SYS_ADMIN, CAP_SETUID and others) to do anything useful.",
    members: [
      '@chown', '@clock', '@module', '@raw-io', '@reboot', '@swap', '_sysctl', 'acct', 'bpf',
      'capset', 'chroot', 'fanotify_init', 'fanotify_mark', 'nfsservctl', 'open_by_handle_at',
      'pivot_root', 'quotactl', 'quotactl_fd', 'setdomainname', 'setfsuid', 'setgroups',
      'sethostname', 'setresuid', 'setreuid', 'setuid', 'vhangup',
    ],
  },
  '@process': {
    description:
      "Creating, executing, signalling, waiting for and reconfiguring processes and threads, including namespace changes.",
    members: [
      'capget', 'clone', 'clone3', 'execveat', 'fork', 'getrusage', 'kill', 'pidfd_open',
      'pidfd_send_signal', 'prctl', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'setns', 'tgkill',
      'times', 'tkill', 'unshare', 'vfork', 'wait4', 'waitid',
    ],
  },
  '@raw-io': {
    description:
      "Direct access to I/O ports.",
    members: [
      'ioperm', 'iopl',
    ],
  },
  '@reboot': {
    description:
      "Rebooting the machine and loading a new kernel to boot.",
    members: [
      'kexec_file_load', 'kexec_load', 'reboot',
    ],
  },
  '@resources': {
    description:
      "Changing resource limits, scheduling parameters, priorities and NUMA memory policy.",
    members: [
      'ioprio_set', 'mbind', 'migrate_pages', 'move_pages', 'sched_setaffinity', 'sched_setattr',
      'sched_setparam', 'sched_setscheduler', 'set_mempolicy', 'set_mempolicy_home_node',
      'setpriority', 'setrlimit',
    ],
  },
  '@sandbox': {
    description:
      "Calls a program uses to restrict itself further: seccomp and Landlock.",
    members: [
      'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'seccomp',
    ],
  },
  '@setuid': {
    description:
      "Changing user and group credentials.",
    members: [
      'setgid', 'setgroups', 'setregid', 'setresgid', 'setresuid', 'setreuid', 'setuid',
    ],
  },
  '@signal': {
    description:
      "Installing signal handlers, blocking, waiting for and receiving signals.",
    members: [
      'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigsuspend', 'rt_sigtimedwait',
      'sigaltstack', 'signalfd', 'signalfd4',
    ],
  },
  '@swap': {
    description:
      "Enabling and disabling swap.",
    members: [
      'swapoff', 'swapon',
    ],
  },
  '@sync': {
    description:
      "Flushing file data and memory mappings to storage.",
    members: [
      'fdatasync', 'fsync', 'msync', 'sync', 'sync_file_range', 'syncfs',
    ],
  },
  '@system-service': {
    description:
      "A broad set for ordinary services and command-line programs: everything above that a typical program uses, without clock setting, mounting, swap, reboot, modules, raw I/O or debugging.",
    members: [
      '@aio', '@basic-io', '@chown', '@default', '@file-system', '@io-event', '@ipc', '@keyring',
      '@memlock', '@network-io', '@process', '@resources', '@setuid', '@signal', '@sync', '@timer',
      'capget', 'capset', 'copy_file_range', 'fadvise64', 'flock', 'get_mempolicy', 'getcpu',
      'getpriority', 'ioctl', 'ioprio_get', 'kcmp', 'madvise', 'mremap', 'name_to_handle_at',
      'personality', 'readahead', 'remap_file_pages', 'sched_get_priority_max',
      'sched_get_priority_min', 'sched_getattr', 'sched_getparam', 'sched_getscheduler',
      'sched_rr_get_interval', 'sched_yield', 'sendfile', 'setfsgid', 'setfsuid', 'setpgid', 'setsid',
      'splice', 'sysinfo', 'tee', 'umask', 'uname', 'userfaultfd', 'vmsplice',
    ],
  },
  '@timer': {
    description:
      "Alarms, interval timers, POSIX timers and timerfd.",
    members: [
      'alarm', 'getitimer', 'setitimer', 'timer_create', 'timer_delete', 'timer_getoverrun',
      'timer_gettime', 'timer_settime', 'timerfd_create', 'timerfd_gettime', 'timerfd_settime',
      'times',
    ],
  },
  '@known': {
    description: 'Every system call in the architecture\'s syscall table (Linux 7.2).',
    members: [],
  },
});

function deepFreeze(groups: Record<string, SyscallGroup>): Readonly<Record<string, SyscallGroup>> {
  for (const g of Object.values(groups)) {
    Object.freeze(g.members);
    Object.freeze(g);
  }
  return Object.freeze(groups);
}

/** Group names, sorted, with their leading `@`. */
export const GROUP_NAMES: readonly string[] = Object.freeze(Object.keys(SYSCALL_GROUPS).sort());

function normalize(name: string): string {
  return name.startsWith('@') ? name : `@${name}`;
}

/** True if `name` (with or without the leading `@`) is a group. */
export function isSyscallGroup(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(SYSCALL_GROUPS, normalize(name));
}

function tableFor(arch: Arch): Readonly<Record<string, number>> {
  return arch === 'x86_64' ? SYSCALLS_X86_64 : SYSCALLS_AARCH64;
}

/**
 * The sorted syscall names in a group (with or without the leading `@`) that exist on `arch`,
 * nested groups resolved. A group reached again through nesting is expanded once, so cycles
 * terminate. Throws RangeError for an unknown group name.
 */
export function expandGroup(name: string, arch: Arch): string[] {
  const root = normalize(name);
  if (!isSyscallGroup(root)) throw new RangeError(`unknown syscall group ${root}`);
  const table = tableFor(arch);
  const has = (s: string): boolean => Object.prototype.hasOwnProperty.call(table, s);
  const out = new Set<string>();
  const seen = new Set<string>();
  const visit = (group: string): void => {
    if (seen.has(group)) return;
    seen.add(group);
    if (group === KNOWN_GROUP) {
      for (const s of Object.keys(table)) out.add(s);
      return;
    }
    const g = SYSCALL_GROUPS[group];
    if (g === undefined) throw new RangeError(`unknown syscall group ${group}`);
    for (const m of g.members) {
      if (m.startsWith('@')) visit(m);
      else if (has(m)) out.add(m);
    }
  };
  visit(root);
  return [...out].sort();
}

/** The groups (directly or through nesting) that contain `syscall`, excluding @known. */
export function groupsContaining(syscall: string, arch: Arch): string[] {
  return GROUP_NAMES.filter((g) => g !== KNOWN_GROUP && expandGroup(g, arch).includes(syscall));
}
