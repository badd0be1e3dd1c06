/**
 * A tiny assembler for seccomp programs: instructions whose branches name labels,
 * laid out in order, with far conditional jumps (BPF jt/jf are 8-bit) fixed by
 * inserting a local copy of a RET target or an unconditional `ja` trampoline.
 */
import { BPF_JA, BPF_JMP, BPF_RET, BPF_K, type Insn } from './bpf.js';

export type Label = number;

interface Node {
  insn: Insn;
  /** Conditional jumps: both branches are labels (there is no implicit fall-through). */
  jt?: Label;
  jf?: Label;
  /** Unconditional jump. */
  ja?: Label;
}

export class Assembler {
  private readonly nodes: Node[] = [];
  /** Label → index of the node it stands before. */
  private readonly labelAt = new Map<Label, number>();
  private nextLabel = 0;
  private readonly retLabels = new Map<number, Label>();

  newLabel(): Label {
    return this.nextLabel++;
  }

  /** Place a label before the next emitted instruction. */
  bind(label: Label): void {
    if (this.labelAt.has(label)) throw new Error(`internal: label ${label} bound twice`);
    this.labelAt.set(label, this.nodes.length);
  }

  emit(insn: Insn): void {
    this.nodes.push({ insn });
  }

  branch(insn: Insn, jt: Label, jf: Label): void {
    this.nodes.push({ insn, jt, jf });
  }

  jumpTo(label: Label): void {
    this.nodes.push({ insn: { code: BPF_JMP | BPF_JA | BPF_K, jt: 0, jf: 0, k: 0 }, ja: label });
  }

  /** The label of a shared `ret k` instruction; the RET blocks are emitted by finish(). */
  ret(k: number): Label {
    let l = this.retLabels.get(k >>> 0);
    if (l === undefined) {
      l = this.newLabel();
      this.retLabels.set(k >>> 0, l);
    }
    return l;
  }

  /** Lay out, append the shared RETs (most used last, nearest its users), fix far jumps, resolve. */
  finish(): Insn[] {
    const rets = [...this.retLabels.entries()].sort(([a], [b]) => a - b);
    for (const [k, label] of rets) {
      this.bind(label);
      this.emit({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k });
    }
    // A `ja` to the very next instruction does nothing: drop it (its label moves to the target).
    const nodes: Node[] = [];
    const dropped = new Map<number, number>();
    this.nodes.forEach((n, i) => {
      if (n.ja !== undefined && this.labelAt.get(n.ja) === i + 1) dropped.set(i, nodes.length);
      else nodes.push(n);
    });
    if (dropped.size > 0) {
      const shift = (index: number): number => {
        let removedBefore = 0;
        for (const d of dropped.keys()) if (d < index) removedBefore++;
        return index - removedBefore;
      };
      for (const [label, index] of [...this.labelAt]) this.labelAt.set(label, shift(index));
    }
    // Resolve labels to node objects so insertions do not invalidate them.
    const target = new Map<Label, Node>();
    for (const [label, index] of this.labelAt) {
      const n = nodes[index];
      if (!n) throw new Error(`internal: label ${label} bound past the end`);
      target.set(label, n);
    }
    let labelCounter = this.nextLabel;
    for (let round = 0; round < 64; round++) {
      const pos = new Map<Node, number>();
      nodes.forEach((n, i) => pos.set(n, i));
      const where = (l: Label): number => {
        const n = target.get(l);
        const p = n ? pos.get(n) : undefined;
        if (p === undefined) throw new Error(`internal: unbound label ${l}`);
        return p;
      };
      let changed = false;
      for (let i = nodes.length - 1; i >= 0; i--) {
        const n = nodes[i]!;
        if (n.jt === undefined || n.jf === undefined) continue;
        const fixes: Node[] = [];
        for (const side of ['jt', 'jf'] as const) {
          const l = n[side]!;
          const off = where(l) - i - 1;
          if (off < 0) throw new Error('internal: backward jump');
          if (off <= 255) continue;
          const t = target.get(l)!;
          const isRet = (t.insn.code & 0x07) === BPF_RET;
          // A RET target is cheaper to copy than to reach through a trampoline, and a copy
          // already within reach (made for a later jump) serves this one too.
          const near = isRet ? nodes.slice(i + 1, i + 256).find((m) => (m.insn.code & 0x07) === BPF_RET && m.insn.k === t.insn.k) : undefined;
          const fl = labelCounter++;
          n[side] = fl;
          if (near) {
            target.set(fl, near);
            continue;
          }
          const fix: Node = isRet ? { insn: { ...t.insn } } : { insn: { code: BPF_JMP | BPF_JA | BPF_K, jt: 0, jf: 0, k: 0 }, ja: l };
          target.set(fl, fix);
          fixes.push(fix);
        }
        if (fixes.length > 0) {
          nodes.splice(i + 1, 0, ...fixes);
          changed = true;
        }
      }
      if (!changed) {
        return nodes.map((n, i) => {
          if (n.ja !== undefined) return { ...n.insn, k: where(n.ja) - i - 1 };
          if (n.jt !== undefined && n.jf !== undefined) return { ...n.insn, jt: where(n.jt) - i - 1, jf: where(n.jf) - i - 1 };
          return { ...n.insn };
        });
      }
    }
    throw new Error('internal: jump fix-up did not converge');
  }
}
