/** The verifier's entry points: prove a policy's assertions and report findings as diagnostics. */
import { diagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { originSpan } from '../compiler/index.js';
import type { PolicyIR } from '../compiler/ir.js';
import type { Program } from '../compiler/load.js';
import { proveAssertions, type AssertionResult } from './assertions.js';
import { baselineDiagnostics } from './baseline.js';
import { describePlacement, fsPatterns, paramPlacements, placed } from './atoms.js';
import { holdingFrees } from './z3.js';

export { VerifierError } from './assertions.js';

export interface VerifyResult {
  results: AssertionResult[];
  diagnostics: Diagnostic[];
}

/**
 * Proves the policy's assertions and, given a baseline, that it allows nothing the baseline denies
 * (MXC2002). No z3 object is freed meanwhile: z3 reuses freed terms' ids and V8 frees them when
 * its garbage collector runs, so otherwise the models, and the counterexamples decoded from them,
 * would differ from run to run (see holdingFrees).
 */
export async function verifyPolicy(ir: PolicyIR, program: Program, baseline?: { ir: PolicyIR; name: string }): Promise<VerifyResult> {
  return holdingFrees(async () => {
    const results = await proveAtPlacements(ir);
    const diagnostics = assertionDiagnostics(ir, program, results);
    if (baseline) diagnostics.push(...(await baselineDiagnostics(baseline.ir, ir, program, baseline.name)));
    return { results, diagnostics };
  });
}

/**
 * The assertions proved at every placement of the path params without a value
 * (paramPlacements): an assertion holds if it holds at each; its counterexample is the first
 * placement's that violates it, which says where the params were when it is not the first.
 */
export async function proveAtPlacements(ir: PolicyIR): Promise<AssertionResult[]> {
  const placements = paramPlacements(ir.params, fsPatterns(ir));
  let results: AssertionResult[] | undefined;
  for (const [k, at] of placements.entries()) {
    const found = await proveAssertions(placed(ir, at));
    const shown = k === 0 ? found : found.map((r) => (r.counterexample ? { ...r, counterexample: { ...r.counterexample, display: r.counterexample.display + describePlacement(at) } } : r));
    results = results ? results.map((r, i) => (r.holds ? shown[i]! : r)) : shown;
  }
  return results!;
}

/** A diagnostic for each violated assertion: the counterexample, blamed on the deciding rules. */
export function assertionDiagnostics(ir: PolicyIR, program: Program, results: readonly AssertionResult[]): Diagnostic[] {
  const rules = new Map<string, PolicyIR['fs']['rules'][number]['origin']>();
  for (const r of [...ir.fs.rules, ...ir.net.rules, ...ir.syscalls.rules.x86_64, ...ir.syscalls.rules.aarch64]) rules.set(r.id, r.origin);
  const diagnostics: Diagnostic[] = [];
  for (const r of results) {
    if (r.holds || !r.counterexample) continue;
    const a = r.assertion;
    const ce = r.counterexample;
    const related = ce.deciding.flatMap((id) => {
      const o = rules.get(id);
      return o ? [{ span: originSpan(o, program), message: a.quantifier === 'never' ? `allowed by ${id}` : `denied by ${id}` }] : [];
    });
    const d = diagnostic('MXC2001', `assertion does not hold: ${ce.display} is ${a.quantifier === 'never' ? 'allowed' : 'denied'}`, {
      span: originSpan(a.origin, program),
      related,
      help:
        a.quantifier === 'never'
          ? related.length ? 'narrow the allow rule(s) shown, or add a deny for this request' : 'add a deny for this request'
          : related.length ? 'the deny rule(s) shown decide it; narrow them with except, or widen an allow' : 'no allow rule matches this request; add one',
    });
    d.counterexample = ce.display;
    diagnostics.push(d);
  }
  return diagnostics;
}
