/**
 * A seccomp BPF interpreter that follows the kernel's classic-BPF semantics
 * (net/core/filter.c, seccomp_check_filter): 32-bit unsigned A and X, 16 scratch
 * words, loads only from seccomp_data, and a program that must end in RET.
 */
import {
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET,
  BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MISC, BPF_MOD, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH,
  BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR, SECCOMP_DATA_SIZE, type Insn,
} from './bpf.js';

export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  /** Six 64-bit arguments. */
  args: readonly bigint[];
}

export interface RunResult {
  /** The 32-bit value the filter returned. */
  ret: number;
  /** Instructions executed, including the final RET. */
  executed: number;
}

export class BpfError extends Error {}

const U32 = 0xffffffff;

/** The 32-bit word of seccomp_data at a byte offset (must be 4-aligned and inside the struct). */
export function dataWord(data: SeccompData, offset: number): number {
  if (offset % 4 !== 0 || offset < 0 || offset + 4 > SECCOMP_DATA_SIZE) throw new BpfError(`load from invalid seccomp_data offset ${offset}`);
  if (offset === 0) return data.nr >>> 0;
  if (offset === 4) return data.arch >>> 0;
  const ip = data.instructionPointer ?? 0n;
  if (offset === 8) return Number(ip & 0xffffffffn);
  if (offset === 12) return Number((ip >> 32n) & 0xffffffffn);
  const i = (offset - 16) >> 3;
  const v = BigInt.asUintN(64, data.args[i] ?? 0n);
  return (offset - 16) % 8 === 0 ? Number(v & 0xffffffffn) : Number(v >> 32n);
}

export function runFilter(program: readonly Insn[], data: SeccompData): RunResult {
  let A = 0;
  let X = 0;
  const M = new Array<number>(16).fill(0);
  let pc = 0;
  let executed = 0;
  while (true) {
    const insn = program[pc];
    if (!insn) throw new BpfError(`fell off the end of the program at ${pc}`);
    executed++;
    const cls = insn.code & 0x07;
    switch (cls) {
      case BPF_LD: {
        const mode = insn.code & 0xe0;
        if (mode === BPF_ABS && (insn.code & 0x18) === BPF_W) A = dataWord(data, insn.k);
        else if (mode === BPF_IMM) A = insn.k >>> 0;
        else if (mode === BPF_MEM) A = M[insn.k] ?? 0;
        else if (mode === BPF_LEN) A = SECCOMP_DATA_SIZE;
        else throw new BpfError(`unsupported load 0x${insn.code.toString(16)} at ${pc}`);
        pc++;
        break;
      }
      case BPF_LDX: {
        const mode = insn.code & 0xe0;
        if (mode === BPF_IMM) X = insn.k >>> 0;
        else if (mode === BPF_MEM) X = M[insn.k] ?? 0;
        else if (mode === BPF_LEN) X = SECCOMP_DATA_SIZE;
        else throw new BpfError(`unsupported ldx 0x${insn.code.toString(16)} at ${pc}`);
        pc++;
        break;
      }
      case BPF_ST:
        if (insn.k > 15) throw new BpfError(`scratch index ${insn.k} out of range at ${pc}`);
        M[insn.k] = A;
        pc++;
        break;
      case BPF_STX:
        if (insn.k > 15) throw new BpfError(`scratch index ${insn.k} out of range at ${pc}`);
        M[insn.k] = X;
        pc++;
        break;
      case BPF_ALU: {
        const op = insn.code & 0xf0;
        const src = (insn.code & 0x08) === BPF_X ? X : insn.k >>> 0;
        switch (op) {
          case BPF_ADD: A = (A + src) >>> 0; break;
          case BPF_SUB: A = (A - src) >>> 0; break;
          case BPF_MUL: A = Number((BigInt(A) * BigInt(src)) & 0xffffffffn); break;
          case BPF_DIV:
            if (src === 0) return { ret: 0, executed }; // the kernel aborts the filter: returns 0 (KILL_THREAD)
            A = Math.floor(A / src) >>> 0;
            break;
          case BPF_MOD:
            if (src === 0) return { ret: 0, executed };
            A = A % src >>> 0;
            break;
          case BPF_OR: A = (A | src) >>> 0; break;
          case BPF_AND: A = (A & src) >>> 0; break;
          case BPF_XOR: A = (A ^ src) >>> 0; break;
          case BPF_LSH: A = src >= 32 ? 0 : (A << src) >>> 0; break;
          case BPF_RSH: A = src >= 32 ? 0 : A >>> src; break;
          case BPF_NEG: A = -A >>> 0; break;
          default: throw new BpfError(`unsupported alu 0x${insn.code.toString(16)} at ${pc}`);
        }
        pc++;
        break;
      }
      case BPF_JMP: {
        const op = insn.code & 0xf0;
        if (op === BPF_JA) {
          pc += 1 + (insn.k >>> 0);
          break;
        }
        const src = (insn.code & 0x08) === BPF_X ? X : insn.k >>> 0;
        let cond: boolean;
        if (op === BPF_JEQ) cond = A === src;
        else if (op === BPF_JGT) cond = A > src;
        else if (op === BPF_JGE) cond = A >= src;
        else if (op === BPF_JSET) cond = (A & src) !== 0;
        else throw new BpfError(`unsupported jump 0x${insn.code.toString(16)} at ${pc}`);
        pc += 1 + (cond ? insn.jt : insn.jf);
        break;
      }
      case BPF_RET:
        return { ret: ((insn.code & 0x18) === BPF_A ? A : insn.k) >>> 0, executed };
      case BPF_MISC:
        if ((insn.code & 0xf8) === BPF_TAX) X = A;
        else if ((insn.code & 0xf8) === BPF_TXA) A = X;
        else throw new BpfError(`unsupported misc 0x${insn.code.toString(16)} at ${pc}`);
        pc++;
        break;
      default:
        throw new BpfError(`unknown instruction class at ${pc}`);
    }
    if (executed > 1_000_000) throw new BpfError('program does not terminate');
  }
}

/**
 * What the kernel's seccomp_check_filter and sk_chk_filter would reject: empty or oversized
 * programs, jumps out of range, loads outside seccomp_data, a last instruction that is not RET.
 */
export function validateProgram(program: readonly Insn[], maxInsns = 4096): string | undefined {
  if (program.length === 0) return 'empty program';
  if (program.length > maxInsns) return `${program.length} instructions; the kernel accepts at most ${maxInsns}`;
  for (let pc = 0; pc < program.length; pc++) {
    const insn = program[pc]!;
    const cls = insn.code & 0x07;
    if (cls === BPF_JMP) {
      if ((insn.code & 0xf0) === BPF_JA) {
        if (pc + 1 + insn.k >= program.length) return `jump out of range at ${pc}`;
      } else if (pc + 1 + Math.max(insn.jt, insn.jf) >= program.length) return `jump out of range at ${pc}`;
    }
    if (cls === BPF_LD && (insn.code & 0xe0) === BPF_ABS && (insn.k % 4 !== 0 || insn.k + 4 > SECCOMP_DATA_SIZE)) return `load from invalid offset ${insn.k} at ${pc}`;
    if ((cls === BPF_ST || cls === BPF_STX || ((cls === BPF_LD || cls === BPF_LDX) && (insn.code & 0xe0) === BPF_MEM)) && insn.k > 15) return `scratch index out of range at ${pc}`;
  }
  const last = program[program.length - 1]!;
  if ((last.code & 0x07) !== BPF_RET) return 'the last instruction is not RET';
  void BPF_K;
  return undefined;
}
