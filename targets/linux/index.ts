/**
 * The `linux` target: the bundle mxc-enforce loads (bundle.mxcb), its readable mirror
 * (bundle.json), and the seccomp programs as raw files. See docs/linux-target.md.
 */
import { createHash } from 'node:crypto';
import { CAPABILITIES } from '../../compiler/capabilities.js';
import { diagnostic, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { Arch, IrArgCondition, IrSyscallRule, PolicyIR } from '../../compiler/ir.js';
import { canonicalJson } from '../../compiler/json.js';
import { lookupConstant, syscallNumber } from '../../compiler/syscalls/index.js';
import type { FidelityEntry, Target } from '../index.js';
import { encodeBundle, RLIMIT, rlimitProblem, type Bundle } from './bundle.js';
import { decodeProgram } from './seccomp/bpf.js';
import { LANDLOCK_FS, LANDLOCK_NET, LANDLOCK_SCOPE, BEST_EFFORT_FEATURES, planLandlock, type LandlockPlan } from './landlock.js';
import { buildSeccompArtifacts, seccompArches } from './seccomp/target.js';

const bits = <K extends string>(table: Record<K, { bit: bigint }>, names: readonly K[]): bigint => names.reduce((m, n) => m | table[n].bit, 0n);

/** MSG_FASTOPEN, include/linux/socket.h (the same on every architecture). */
const MSG_FASTOPEN = 0x20000000;

/**
 * In `ports` network mode the host network is shared and Landlock (ABI ≤ 7) governs TCP only,
 * and only its connect(2) and bind(2), so seccomp refuses what would go around it:
 * - IP sockets other than TCP streams (UDP, raw). Landlock checks a stream socket only when its
 *   protocol is TCP: a SOCK_STREAM socket of protocol IPPROTO_MPTCP (which falls back to plain
 *   TCP with any server) or IPPROTO_SCTP would connect and bind on any port, so an IP socket
 *   whose protocol is neither 0 (the default, TCP for a stream) nor IPPROTO_TCP is refused too;
 * - TCP Fast Open sends (sendto, sendmsg, sendmmsg with MSG_FASTOPEN): they connect without the
 *   connect hook Landlock checks;
 * - io_uring_setup: a ring makes sockets and sends without system calls seccomp sees.
 * The rules are added to the IR the seccomp compiler sees, with an origin naming the net section.
 */
function withPortsModeBlocks(ir: PolicyIR): PolicyIR {
  const out: PolicyIR = { ...ir, syscalls: { ...ir.syscalls, rules: { x86_64: [...ir.syscalls.rules.x86_64], aarch64: [...ir.syscalls.rules.aarch64] } } };
  const origin = { file: '<linux target>', line: 1, column: 1, endLine: 1, endColumn: 1, policy: ir.name };
  const refuse = (arch: Arch, syscall: string, when: IrArgCondition[][] | null): IrSyscallRule => {
    const nr = syscallNumber(syscall, arch);
    if (nr === undefined) throw new Error(`internal: ${syscall} missing on ${arch}`);
    return { id: `sys.net.${arch}.${syscall}`, effect: 'deny', syscall, nr, when, action: { kind: 'errno', errno: 13 }, origin };
  };
  for (const arch of seccompArches(ir)) {
    const fastOpen = (arg: number): IrArgCondition[][] => [[{ arg, name: 'flags', bits: 32, op: 'masked_ne', mask: String(MSG_FASTOPEN), value: '0' }]];
    out.syscalls.rules[arch].push(refuse(arch, 'sendto', fastOpen(3)), refuse(arch, 'sendmsg', fastOpen(2)), refuse(arch, 'sendmmsg', fastOpen(3)), refuse(arch, 'io_uring_setup', null));
    const inet = lookupConstant('AF_INET', arch);
    const inet6 = lookupConstant('AF_INET6', arch);
    const stream = lookupConstant('SOCK_STREAM', arch);
    const tcp = lookupConstant('IPPROTO_TCP', arch);
    if (inet === undefined || inet6 === undefined || stream === undefined || tcp === undefined) throw new Error(`internal: socket constants missing on ${arch}`);
    const notStream: IrArgCondition = { arg: 1, name: 'type', bits: 32, op: 'masked_ne', mask: '15', value: String(stream) };
    const notTcp: IrArgCondition[] = [
      { arg: 2, name: 'protocol', bits: 32, op: 'ne', value: '0' },
      { arg: 2, name: 'protocol', bits: 32, op: 'ne', value: String(tcp) },
    ];
    const domains = [inet, inet6].map((d): IrArgCondition => ({ arg: 0, name: 'domain', bits: 32, op: 'eq', value: String(d) }));
    out.syscalls.rules[arch].push({ ...refuse(arch, 'socket', domains.flatMap((domain) => [[domain, notStream], [domain, ...notTcp]])), id: `sys.net.${arch}` });
  }
  return out;
}

export function buildLinuxBundle(ir: PolicyIR): { bundle?: Bundle; plan: LandlockPlan; files: { path: string; content: string | Uint8Array }[]; fidelity: FidelityEntry[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const fidelity: FidelityEntry[] = [];
  const landlock = planLandlock(ir);
  diagnostics.push(...landlock.diagnostics);
  fidelity.push(...landlock.fidelity);
  const plan = landlock.plan;

  const seccompIr = plan.netMode === 'ports' ? withPortsModeBlocks(ir) : ir;
  const seccomp = buildSeccompArtifacts(seccompIr);
  diagnostics.push(...seccomp.diagnostics);
  fidelity.push(...seccomp.fidelity.filter((f) => !f.rule.startsWith('sys.net.')));

  if (ir.isolation === 'microvm') {
    const accepted = (ir.targets.linux?.acceptWeaker ?? []).includes('isolation');
    fidelity.push({ rule: 'isolation', fidelity: 'weaker', note: `the linux bundle isolates with namespaces, Landlock and seccomp, not a virtual machine${accepted ? ' (accepted by the policy)' : ''}` });
    if (!accepted) diagnostics.push(diagnostic('MXC3104', 'isolation microvm cannot be provided by the linux bundle', { help: 'compile with -t microvm, or accept it: target linux { accept weaker "isolation" }' }));
  } else if (ir.isolation === 'process') {
    fidelity.push({ rule: 'isolation', fidelity: 'exact', note: `Landlock and seccomp on the process tree; Landlock scopes keep it from signalling or tracing processes outside it; System V IPC objects (shared memory, semaphores, message queues) get a namespace of their own only where the enforcer makes namespaces (${plan.netMode === 'ports' ? 'here only if a deny is masked' : 'here: for the network'})` });
  } else {
    fidelity.push({
      rule: 'isolation',
      fidelity: 'exact',
      note: `user, mount, IPC and PID namespaces${plan.netMode === 'ports' ? '' : ' and a network namespace'}: the command runs under a minimal init (PID 1, which reaps and passes the exit status through) with a fresh /proc mounted nosuid,nodev,noexec, so host processes are neither visible nor signallable; Landlock and seccomp as for process isolation`,
    });
  }

  // Landlock (ABI ≤ 7) does not mediate connect(2) on pathname unix sockets: the enforcer's mount view does, where it makes a mount namespace.
  const undoesView = ir.process.capabilities.some((c) => c === 'CAP_SYS_ADMIN' || c === 'CAP_DAC_OVERRIDE' || c === 'CAP_DAC_READ_SEARCH');
  const mountNamespace = ir.isolation !== 'process' || plan.netMode !== 'ports' || plan.masks.length > 0;
  fidelity.push(
    mountNamespace && !undoesView
      ? {
          rule: 'fs.unix-sockets',
          // Weaker, not exact: the view is fixed at launch, and the gaps below are real.
          fidelity: 'weaker',
          note: `connect(2) to pathname unix sockets is enforced by the enforcer's mount view, not Landlock, as it stands at launch: every directory and socket beside the path to a grant is covered by an inaccessible node (EACCES), so host sockets outside the grants (the session bus, systemd --user) are unreachable; the unix sockets bound when the launch starts inside granted hierarchies (a tmux or ssh-agent socket under a /tmp grant, found in /proc/net/unix) are covered too, except the egress proxy's; not covered: sockets bound after launch, by a relative path or by processes of another network namespace (a container's, in a shared directory), and entries created after launch directly in a directory on the path to a grant${ir.isolation === 'process' && plan.netMode === 'ports' ? ' (the mount namespace is made only when a mask matches at launch)' : ''}`,
        }
      : {
          rule: 'fs.unix-sockets',
          fidelity: 'weaker',
          note: undoesView
            ? 'connect(2) to pathname unix sockets is not mediated: Landlock does not check it, and the capabilities the policy keeps would undo a mount view; every host socket the command can name, inside the grants or outside them, stays connectable'
            : 'connect(2) to pathname unix sockets is not mediated: Landlock does not check it, and without masks, a network namespace or PID isolation the enforcer makes no mount namespace to hide them in; every host socket the command can name, inside the grants (a tmux socket under a /tmp grant) or outside them, stays connectable',
        },
  );

  fidelity.push({
    rule: 'fs.exec-mmap',
    fidelity: mountNamespace && !undoesView && ir.isolation !== 'process' ? 'exact' : 'weaker',
    note: `Landlock checks exec on execve only; ${
      mountNamespace && !undoesView
        ? 'writable hierarchies no grant makes executable are mounted noexec, which also refuses mmap(PROT_EXEC) of their files (a writable hierarchy containing an executable grant stays exec-mappable)'
        : 'no mount namespace is made, so mmap(PROT_EXEC) of writable files (ld.so ./payload) is not refused'
    }; ${
      ir.isolation === 'process'
        ? 'executing a memfd through /proc/self/fd is not refused under process isolation'
        : 'vm.memfd_noexec = 2 in the PID namespace refuses executing a memfd when the enforcer is started by root; started by another user it cannot be set and a memfd stays executable'
    }`,
  });

  const rlimits: Bundle['rlimits'] = [];
  const limitNotes: string[] = [];
  const L = ir.limits;
  if (L.memoryBytes !== null) {
    rlimits.push({ resource: RLIMIT.as, value: BigInt(L.memoryBytes) });
    fidelity.push({
      rule: 'limits.memory',
      fidelity: 'weaker',
      note: 'memory is the address-space limit (RLIMIT_AS) of each process, not of the sandbox: every process the command starts gets its own, so together they can use the limit many times over (it also counts reserved but unused mappings, stricter for one process)',
    });
  }
  if (L.cpus !== null) {
    fidelity.push({
      rule: 'limits.cpu',
      fidelity: 'weaker',
      note: 'cpu is the CPU affinity the command starts with, not a cgroup: sched_setaffinity is allowed and needs no privilege, so the command can widen it to every CPU again',
    });
  }
  // Under session or container isolation the PID namespace ends with the command; with
  // max_processes the pids cgroup is emptied when it ends.
  if (L.wallSeconds !== null && ir.isolation === 'process' && ir.process.maxProcesses === null) {
    fidelity.push({
      rule: 'limits.wall',
      fidelity: 'weaker',
      note: "wall kills the command's process group; under process isolation without max_processes there is neither a PID namespace nor a pids cgroup, so a descendant that leaves the group (setsid) keeps running past the limit and past mxcc run",
    });
  }
  if (L.openFiles !== null) rlimits.push({ resource: RLIMIT.nofile, value: BigInt(L.openFiles) });
  if (L.cpuSeconds !== null) rlimits.push({ resource: RLIMIT.cpu, value: BigInt(Math.ceil(L.cpuSeconds)) });
  if (L.fileSizeBytes !== null) rlimits.push({ resource: RLIMIT.fsize, value: BigInt(L.fileSizeBytes) });
  if (L.stackBytes !== null) rlimits.push({ resource: RLIMIT.stack, value: BigInt(L.stackBytes) });
  if (ir.process.maxProcesses !== null) {
    rlimits.push({ resource: RLIMIT.nproc, value: BigInt(ir.process.maxProcesses) });
    limitNotes.push(
      'max_processes is RLIMIT_NPROC, which counts every process of the user the command runs as, and a pids cgroup (pids.max) the enforcer makes for the command, which also holds when it is started by root (RLIMIT_NPROC does not apply to root; without a pids cgroup the enforcer refuses to launch as root)',
    );
  }
  rlimits.sort((a, b) => a.resource - b.resource);
  const rlimitError = rlimitProblem(rlimits);
  if (rlimitError) {
    const name = Object.keys(RLIMIT).find((k) => rlimitError.startsWith(`rlimit ${RLIMIT[k as keyof typeof RLIMIT]} `));
    diagnostics.push(diagnostic('MXC3105', `a limit cannot be enforced as an rlimit: ${rlimitError}${name ? ` (RLIMIT_${name.toUpperCase()})` : ''}`, { help: 'docs/error-codes.md lists the ranges mxc-enforce accepts' }));
  }
  fidelity.push(limitNotes.length ? { rule: 'limits', fidelity: 'stricter', note: limitNotes.join('; ') } : { rule: 'limits', fidelity: 'exact' });
  const d = ir.desktop;
  const desktopGrants = d.clipboard !== 'none' || d.windows || d.inputInjection || d.screenCapture;
  fidelity.push(desktopGrants ? { rule: 'desktop', fidelity: 'stricter', note: 'the linux bundle gives no access to a desktop session' } : { rule: 'desktop', fidelity: 'exact' });

  if (diagnostics.some((x) => x.severity === 'error')) return { plan, files: [], fidelity, diagnostics };

  const irSha256 = createHash('sha256').update(canonicalJson(ir)).digest('hex');
  const programs = seccompArches(ir).map((arch) => ({ arch, file: seccomp.files.find((f) => f.path === `seccomp.${arch}.bpf`)! }));
  const bundle: Bundle = {
    policy: { name: ir.name, irSha256 },
    seccomp: programs.map(({ arch, file }) => ({ arch, program: decodeProgram(file.content as Uint8Array) })),
    landlock: {
      minAbi: plan.minAbi,
      bestEffortAbis: plan.bestEffort.map((f) => BEST_EFFORT_FEATURES[f]!).filter((a) => a !== undefined).sort((a, b) => a - b),
      handledFs: bits(LANDLOCK_FS, plan.handledFs),
      grants: plan.grants.map((g) => ({ mode: g.mode, rights: bits(LANDLOCK_FS, g.rights), pattern: g.pattern, carve: g.carve, exclude: g.exclude })),
    },
    masks: plan.masks.map((m) => ({ pattern: m.pattern, rights: bits(LANDLOCK_FS, m.rights) })),
    net: {
      mode: plan.netMode,
      handled: plan.net ? bits(LANDLOCK_NET, plan.net.handled) : 0n,
      ports: plan.net ? plan.net.ports.map((p) => ({ port: p.port, rights: bits(LANDLOCK_NET, p.rights) })) : [],
    },
    scopes: bits(LANDLOCK_SCOPE, plan.scopes),
    rlimits,
    env: [...ir.process.envAllow],
    params: ir.params.map((p) => {
      const constraints = p.constraints.map((c) => ({ kind: c.kind, values: c.kind === 'under' || c.kind === 'not_under' ? c.paths : c.kind === 'one_of' ? c.values : [String(c.value)] }));
      const value = p.value ?? p.default;
      return value !== undefined ? { name: p.name, type: p.type, default: value, constraints } : { name: p.name, type: p.type, constraints };
    }),
    process: {
      capabilities: ir.process.capabilities.reduce((m, c) => m | (1n << BigInt(CAPABILITIES[c] ?? 0)), 0n),
      cpus: L.cpus ?? 0,
      // The linux bundle has nothing stronger than container; microvm gets it when accepted as weaker.
      isolation: ir.isolation === 'microvm' ? 'container' : ir.isolation,
      wallMillis: L.wallSeconds === null ? 0n : BigInt(Math.round(L.wallSeconds * 1000)),
    },
  };
  const encoded = encodeBundle(bundle);
  const mirror = {
    format: 'mxcc linux bundle, version 3 (this file mirrors bundle.mxcb; docs/linux-target.md)',
    bundleSha256: createHash('sha256').update(encoded).digest('hex'),
    policy: bundle.policy,
    seccomp: seccomp.stats,
    landlock: plan,
    rlimits: bundle.rlimits.map((r) => ({ resource: Object.keys(RLIMIT).find((k) => RLIMIT[k as keyof typeof RLIMIT] === r.resource), value: r.value.toString() })),
    env: bundle.env,
    params: bundle.params,
    process: { capabilities: ir.process.capabilities, cpus: bundle.process.cpus, isolation: bundle.process.isolation, wallMillis: bundle.process.wallMillis.toString() },
  };
  const files = [
    ...seccomp.files,
    { path: 'bundle.mxcb', content: encoded },
    { path: 'bundle.json', content: canonicalJson(mirror) },
  ];
  return { bundle, plan, files, fidelity, diagnostics };
}

export const linuxTarget: Target = {
  name: 'linux',
  description: 'the bundle for mxc-enforce: seccomp for x86_64/aarch64, a Landlock plan (fs, TCP ports, scopes), rlimits, environment and params',
  compile(ir) {
    const out = buildLinuxBundle(ir);
    return { files: out.files, fidelity: out.fidelity, diagnostics: out.diagnostics };
  },
};
