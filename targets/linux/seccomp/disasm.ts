/** A readable listing of a seccomp program, in the style of libseccomp's scmp_bpf_disasm. */
import {
  AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, BPF_A, BPF_ABS, BPF_ALU, BPF_IMM, BPF_JA, BPF_JMP, BPF_LD,
  BPF_LDX, BPF_MEM, BPF_MISC, BPF_RET, BPF_ST, BPF_STX, BPF_X, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF, type Insn,
} from './bpf.js';

const ALU_NAMES: Record<number, string> = { 0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and', 0x60: 'lsh', 0x70: 'rsh', 0x80: 'neg', 0x90: 'mod', 0xa0: 'xor' };
const JMP_NAMES: Record<number, string> = { 0x10: 'jeq', 0x20: 'jgt', 0x30: 'jge', 0x40: 'jset' };

export function describeRet(k: number): string {
  const action = (k & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = k & SECCOMP_RET_DATA;
  switch (action) {
    case SECCOMP_RET_KILL_PROCESS: return 'KILL_PROCESS';
    case SECCOMP_RET_KILL_THREAD: return 'KILL_THREAD';
    case SECCOMP_RET_TRAP: return data ? `TRAP(${data})` : 'TRAP';
    case SECCOMP_RET_ERRNO: return `ERRNO(${data})`;
    case SECCOMP_RET_USER_NOTIF: return 'USER_NOTIF';
    case SECCOMP_RET_TRACE: return `TRACE(${data})`;
    case SECCOMP_RET_LOG: return 'LOG';
    case SECCOMP_RET_ALLOW: return 'ALLOW';
    default: return `0x${(k >>> 0).toString(16).padStart(8, '0')}`;
  }
}

function describeOffset(k: number): string {
  if (k === 0) return '$nr';
  if (k === 4) return '$arch';
  if (k === 8) return '$ip.lo';
  if (k === 12) return '$ip.hi';
  if (k >= 16 && k < 64) return `$arg${(k - 16) >> 3}.${(k - 16) % 8 === 0 ? 'lo' : 'hi'}`;
  return `[${k}]`;
}

function describeConstant(k: number): string {
  if (k === AUDIT_ARCH_X86_64) return 'AUDIT_ARCH_X86_64';
  if (k === AUDIT_ARCH_AARCH64) return 'AUDIT_ARCH_AARCH64';
  if (k === AUDIT_ARCH_I386) return 'AUDIT_ARCH_I386';
  return k > 9 ? `0x${(k >>> 0).toString(16)}` : String(k);
}

/**
 * One line per instruction: index, raw encoding, mnemonic. Jump targets are absolute indexes.
 * `names` optionally maps syscall numbers to names for comments on `$nr` comparisons.
 */
export function disassemble(program: readonly Insn[], names?: (nr: number) => string | undefined): string {
  const lines: string[] = [' line  code  jt   jf   k           instruction'];
  let lastLoad = -1;
  program.forEach((insn, pc) => {
    const raw = `${pc.toString().padStart(5)}  ${insn.code.toString(16).padStart(4, '0')}  ${insn.jt.toString().padStart(3)}  ${insn.jf.toString().padStart(3)}  ${(insn.k >>> 0).toString(16).padStart(8, '0')}    `;
    const cls = insn.code & 0x07;
    let text: string;
    if (cls === BPF_LD) {
      const mode = insn.code & 0xe0;
      text = mode === BPF_ABS ? `ld  ${describeOffset(insn.k)}` : mode === BPF_IMM ? `ld  #${describeConstant(insn.k)}` : mode === BPF_MEM ? `ld  M[${insn.k}]` : 'ld  len';
      lastLoad = mode === BPF_ABS ? insn.k : -1;
    } else if (cls === BPF_LDX) {
      text = (insn.code & 0xe0) === BPF_MEM ? `ldx M[${insn.k}]` : `ldx #${describeConstant(insn.k)}`;
    } else if (cls === BPF_ST) text = `st  M[${insn.k}]`;
    else if (cls === BPF_STX) text = `stx M[${insn.k}]`;
    else if (cls === BPF_ALU) {
      text = `${ALU_NAMES[insn.code & 0xf0] ?? 'alu?'} ${(insn.code & 0x08) === BPF_X ? 'x' : '#' + describeConstant(insn.k)}`;
      lastLoad = -1;
    } else if (cls === BPF_JMP) {
      if ((insn.code & 0xf0) === BPF_JA) text = `ja  ${pc + 1 + insn.k}`;
      else {
        const name = lastLoad === 0 && names ? names(insn.k) : undefined;
        const operand = (insn.code & 0x08) === BPF_X ? 'x' : '#' + describeConstant(insn.k);
        const mnemonic = JMP_NAMES[insn.code & 0xf0] ?? 'j?';
        const comment = name ? `  ; ${mnemonic === 'jge' ? 'nr >= ' : mnemonic === 'jgt' ? 'nr > ' : ''}${name}` : '';
        text = `${mnemonic} ${operand}  true:${pc + 1 + insn.jt} false:${pc + 1 + insn.jf}${comment}`;
      }
    } else if (cls === BPF_RET) text = (insn.code & 0x18) === BPF_A ? 'ret a' : `ret ${describeRet(insn.k)}`;
    else if (cls === BPF_MISC) text = (insn.code & 0xf8) === 0 ? 'tax' : 'txa';
    else text = '???';
    lines.push(raw + text);
  });
  return lines.join('\n') + '\n';
}
