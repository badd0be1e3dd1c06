/**
 * The `seccomp` target: one raw BPF program per architecture (`seccomp.<arch>.bpf`, an array of
 * struct sock_filter, 8 bytes per instruction, little-endian, loadable with `bwrap --seccomp FD`
 * or prctl), a disassembly beside it, and stats. It covers the policy's syscalls section only.
 */
import { diagnostic, type Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import { actionLetsCallProceed, IR_ARCHES, uniqueSyscallRules, type Arch, type PolicyIR } from '../../../compiler/ir.js';
import { canonicalJson } from '../../../compiler/json.js';
import { syscallName } from '../../../compiler/syscalls/index.js';
import type { ArtifactFile, FidelityEntry, Target } from '../../index.js';
import { BPF_MAXINSNS, encodeProgram } from './bpf.js';
import { compileSeccomp, type SeccompStats } from './compile.js';
import { disassemble } from './disasm.js';

/** Architectures to build: the linux target's `arch` setting, else both. */
export function seccompArches(ir: PolicyIR): Arch[] {
  const setting = ir.targets.linux?.settings.arch;
  return Array.isArray(setting) ? IR_ARCHES.filter((a) => setting.includes(a)) : [...IR_ARCHES];
}

export function buildSeccompArtifacts(ir: PolicyIR): { files: ArtifactFile[]; stats: SeccompStats[]; fidelity: FidelityEntry[]; diagnostics: Diagnostic[] } {
  const files: ArtifactFile[] = [];
  const stats: SeccompStats[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const arch of seccompArches(ir)) {
    const { program, stats: s } = compileSeccomp(ir, arch);
    if (program.length > BPF_MAXINSNS) {
      diagnostics.push(diagnostic('MXC3101', `the seccomp program for ${arch} has ${program.length} instructions; the kernel accepts at most ${BPF_MAXINSNS}`, {
        help: 'merge argument conditions (x in [a, b] shares one load), or move broad rules to groups',
      }));
      continue;
    }
    stats.push(s);
    files.push({ path: `seccomp.${arch}.bpf`, content: encodeProgram(program) });
    files.push({ path: `seccomp.${arch}.txt`, content: `# ${ir.name}: seccomp filter for ${arch}, ${s.instructions} instructions, longest allowed path ${s.longestAllowedPath}\n` + disassemble(program, (nr) => syscallName(nr, arch)) });
  }
  // Every syscall rule is compiled exactly: the program is checked against the reference evaluator in tests.
  const fidelity: FidelityEntry[] = uniqueSyscallRules(ir).map(({ rule }) => ({ rule: rule.id, fidelity: 'exact' as const }));
  fidelity.push(foreignAbis(ir));
  files.push({ path: 'seccomp.stats.json', content: canonicalJson(stats) });
  return { files, stats, fidelity, diagnostics };
}

/**
 * i386 (int 0x80) and other foreign architectures kill the process. x32 numbers (nr | 0x40000000)
 * on an x86_64 filter match no rule and get the default action: refused only when that default
 * stops the call; under allow/log an x32 call of a denied syscall proceeds where the kernel has x32.
 */
function foreignAbis(ir: PolicyIR): FidelityEntry {
  const x32Proceeds = seccompArches(ir).includes('x86_64') && actionLetsCallProceed(ir.syscalls.defaultAction);
  if (!x32Proceeds) {
    return { rule: 'syscalls.foreign-abis', fidelity: 'stricter', note: 'i386 (int 0x80) and x32 system calls are refused: foreign architectures kill the process, x32 numbers get the default action' };
  }
  return {
    rule: 'syscalls.foreign-abis',
    fidelity: 'weaker',
    note: `i386 (int 0x80) system calls kill the process, but x32 numbers (nr | 0x40000000) get the default action, ${ir.syscalls.defaultAction.kind}: on a kernel built with x32 support, a call the policy denies (ptrace, execve) proceeds through its x32 number. Use a default that refuses calls (errno(EPERM)) and allow what the program needs`,
  };
}

export const seccompTarget: Target = {
  name: 'seccomp',
  description: 'seccomp BPF programs for x86_64 and aarch64 (the syscalls section), raw and disassembled',
  compile(ir) {
    const out = buildSeccompArtifacts(ir);
    return { files: out.files, fidelity: out.fidelity, diagnostics: out.diagnostics };
  },
};
