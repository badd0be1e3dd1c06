/**
 * `--baseline old.mxc`: the new policy must allow nothing the baseline denies. Each section's
 * newly allowed request (from the semantic diff, re-checked against both policies) becomes one
 * MXC2002 finding, blamed on the new policy's rule that allows it.
 */
import { diagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { decide } from '../compiler/evaluate.js';
import { originSpan } from '../compiler/index.js';
import type { Origin, PolicyIR } from '../compiler/ir.js';
import type { Program } from '../compiler/load.js';
import { paramRoots } from './atoms.js';
import { diffPolicies, diffSettings } from './diff.js';

export async function baselineDiagnostics(baseline: PolicyIR, ir: PolicyIR, program: Program, baselineName: string): Promise<Diagnostic[]> {
  const origins = new Map<string, Origin>();
  for (const r of [...ir.fs.rules, ...ir.net.rules, ...ir.syscalls.rules.x86_64, ...ir.syscalls.rules.aarch64]) origins.set(r.id, r.origin);
  // The diff's fs witnesses put path params at their symbolic directories.
  const params = paramRoots([...ir.params, ...baseline.params.filter((p) => !ir.params.some((q) => q.name === p.name))]);
  const out: Diagnostic[] = [];
  for (const s of await diffPolicies(baseline, ir)) {
    if (!s.newlyAllowed) continue;
    const deciding = decide(ir, s.newlyAllowed.request, { ...params, ...s.newlyAllowed.params }).deciding.filter((id) => origins.has(id));
    const [blame, ...rest] = deciding.map((id) => ({ id, span: originSpan(origins.get(id)!, program) }));
    const d = diagnostic('MXC2002', `new access compared with ${baselineName}: ${s.newlyAllowed.display} is allowed (${s.section})`, {
      span: blame?.span,
      related: rest.map((r) => ({ span: r.span, message: `also allowed by ${r.id}` })),
      help: blame
        ? 'the baseline denies this request; narrow this rule or deny the request here too, or update the baseline after review'
        : 'the baseline denies this request (here no rule names it: the syscall default action lets it through); deny it, or update the baseline after review',
    });
    d.counterexample = s.newlyAllowed.display;
    out.push(d);
  }
  // New access outside the requests: a variable passed through, a capability kept, weaker
  // isolation, a higher limit. No rule to blame: these are the policy's settings.
  for (const change of diffSettings(baseline, ir).newlyAllowed) {
    const d = diagnostic('MXC2002', `new access compared with ${baselineName}: ${change} (settings)`, {
      help: 'the baseline does not allow this; undo the change, or update the baseline after review',
    });
    d.counterexample = change;
    out.push(d);
  }
  return out;
}
