/**
 * The lint contract. Each lint is one file in this folder: an id, a title, a severity, a
 * rationale, and a check that states the property it looks for as requests the policy must not
 * allow (`never`) and/or custom queries. Findings carry a counterexample re-checked by the
 * reference evaluator, blamed on the rules that decide it.
 */
import type { Severity } from '../../compiler/diagnostics/codes.js';
import type { Code } from '../../compiler/diagnostics/codes.js';
import type { FsRight, IrArgCondition, IrAssertion, IrNetTarget, PolicyIR, Protocol } from '../../compiler/ir.js';

export interface LintProbe {
  /** What the finding says, e.g. `SSH keys are readable`. */
  message: string;
  request:
    | { kind: 'fs'; access: FsRight[]; paths: string[] }
    | { kind: 'net'; operation: 'connect' | 'bind' | 'resolve'; protocols: Protocol[]; targets: IrNetTarget[] }
    | { kind: 'syscall'; syscalls: string[] }
    /** Every one of these rights allowed on one and the same path, anywhere. */
    | { kind: 'fs-joint'; access: FsRight[] }
    /** The syscall allowed with arguments meeting all of these conditions. */
    | { kind: 'syscall-when'; syscall: string; when: IrArgCondition[] }
    /** `denied` is refused outright, yet one of `alternatives` (which does the same) is allowed. */
    | { kind: 'bypass'; denied: string; alternatives: string[] }
    /** Syscalls no rule names are let through (default allow or log). */
    | { kind: 'default-proceeds' }
    /** An fs allow rule that the denies cover entirely (it allows nothing). */
    | { kind: 'dead-allow' };
  /** Suggested fix, shown as help. */
  help: string;
}

export interface Lint {
  id: string;
  /** The stable diagnostic code of this lint's findings. */
  code: Code;
  title: string;
  severity: Severity;
  rationale: string;
  /** Requests the policy should not allow; a probe that the verifier finds allowed is a finding. */
  probes(ir: PolicyIR): LintProbe[];
  /**
   * For checks about the rules themselves rather than a request (redundant rules, sections that
   * contradict each other): findings computed directly, each blamed on one rule.
   */
  query?(ir: PolicyIR): Promise<LintHit[]>;
}

/** A finding of a lint's own query: the rule it is about, the other rules involved, a re-checked request. */
export interface LintHit {
  /** The rule the finding is blamed on. */
  rule: string;
  message: string;
  /** The concrete request(s), already re-checked by the reference evaluator. */
  display: string;
  related: { id: string; message: string }[];
  help: string;
}

/** A probe as a synthetic `assert never`, so the verifier's proof machinery answers it. */
export function probeAssertion(lint: Lint, probe: LintProbe & { request: IrAssertion['request'] }, index: number, ir: PolicyIR): IrAssertion {
  return {
    id: `lint.${lint.id}.${index}`,
    quantifier: 'never',
    request: probe.request,
    origin: { file: '<lint>', line: 1, column: 1, endLine: 1, endColumn: 1, policy: ir.name },
  };
}

/**
 * The home directories the home lints probe: `${home}` when the policy declares that param, and
 * always the literal ones (`/home/*`, root's `/root`): a policy may name the home it opens
 * literally whatever params it declares, and the symbolic `${home}` is a directory of its own
 * that no literal rule reaches. Probes of one question share their message, so a policy that
 * opens several of them gets one finding per question.
 */
export function homes(ir: PolicyIR): string[] {
  return [...(ir.params.some((p) => p.name === 'home' && p.type === 'path') ? ['${home}'] : []), '/home/*', '/root'];
}

export const ANY_PORT = [{ from: 0, to: 65535 }];
