/**
 * Translation validation of the Landlock plan: the plan the Linux target compiles (grants,
 * carve-outs, excludes, masks; targets/linux/landlock.ts) is given a meaning over the same path
 * atoms as the policy, and z3 is asked for a path and a right the plan lets through that the
 * policy denies. Unsat for every right means the plan allows nothing the policy forbids.
 *
 * The plan's meaning, per IR right r (Landlock rights RIGHTS_FOR[r]); a grant counts when it
 * carries any of them, which over-approximates what the kernel allows:
 * - `beneath P/**`: every path under P, or strictly under P for rights Landlock checks on the
 *   parent directory (create, delete, refer), minus the grant's carve-outs and what lies in them;
 * - `exact L`: L itself; `expand G`: every match of G; both minus the grant's excludes;
 * - masks hide their matches and everything below them, for every right.
 * Launch-time facts (which paths exist, what is a directory) only make the plan stricter, so they
 * are not modelled: the question is soundness (plan ⊆ policy), and the fidelity report already
 * says where the plan is stricter or, for masks, weaker for files created after launch.
 * Every witness is re-checked: `planAllows` (glob matching, no solver) must allow it and the
 * reference evaluator must deny it.
 */
import type { Bool } from 'z3-solver';
import { diagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { decide } from '../compiler/evaluate.js';
import { globMatches } from '../compiler/glob.js';
import { FS_RIGHTS, type FsRight, type PolicyIR } from '../compiler/ir.js';
import { planLandlock, RIGHTS_FOR, type LandlockGrant, type LandlockPlan } from '../targets/linux/landlock.js';
import { displayPath } from './atoms.js';
import { bvValue, fsModel, VerifierError, violations } from './assertions.js';
import { z3 } from './z3.js';

export interface LandlockFinding {
  right: FsRight;
  path: string;
  /** The path with param roots shown as `${name}`. */
  display: string;
  /** The grant that lets it through. */
  rule: string;
}

/** Rights Landlock checks on the directory that contains the object. */
const PARENT_CHECKED: ReadonlySet<FsRight> = new Set(['create', 'delete', 'refer']);

/** `P` and everything below it. */
const andBelow = (p: string): string => (p.endsWith('/**') ? p : `${p}/**`);
/** Everything strictly below P, for a `P/**` pattern. */
const strictlyBelow = (p: string): string => `${p.slice(0, -3)}/*/**`;

function grantRegion(g: LandlockGrant, right: FsRight): string {
  return g.mode === 'beneath' && PARENT_CHECKED.has(right) ? strictlyBelow(g.pattern) : g.pattern;
}

function carries(g: LandlockGrant, right: FsRight): boolean {
  return RIGHTS_FOR[right].some((lr) => g.rights.includes(lr));
}

/** The plan's meaning for one concrete path (params bound in `params`), without the solver. */
export function planAllows(plan: LandlockPlan, right: FsRight, path: string, params: Readonly<Record<string, string>>): string | undefined {
  const m = (pattern: string): boolean => globMatches(pattern, path, params);
  if (plan.masks.some((k) => m(andBelow(k.pattern)))) return undefined;
  for (const g of plan.grants) {
    if (!carries(g, right) || !m(grantRegion(g, right))) continue;
    if (g.carve.some((c) => m(andBelow(c))) || g.exclude.some(m)) continue;
    return g.rule;
  }
  return undefined;
}

export async function validateLandlockPlan(ir: PolicyIR, plan: LandlockPlan): Promise<LandlockFinding[]> {
  const rights = FS_RIGHTS.filter((r) => plan.grants.some((g) => carries(g, r)));
  if (rights.length === 0) return [];
  const region = new Set<string>();
  for (const g of plan.grants) {
    for (const r of rights) if (carries(g, r)) region.add(grantRegion(g, r));
    g.carve.forEach((c) => region.add(andBelow(c)));
    g.exclude.forEach((e) => region.add(e));
  }
  plan.masks.forEach((k) => region.add(andBelow(k.pattern)));
  const Z = await z3();
  // Below a mask every right is hidden: no witness there, so the atoms need not tell paths apart.
  const m = fsModel(Z, ir, [...region], undefined, plan.masks.map((k) => andBelow(k.pattern)));
  const none = Z.Bool.val(false);
  const masked = Z.Or(none, ...plan.masks.map((k) => m.inPattern(andBelow(k.pattern))));
  const planFor = (r: FsRight): Bool<'mxcc'> =>
    Z.And(
      Z.Not(masked),
      Z.Or(
        none,
        ...plan.grants
          .filter((g) => carries(g, r))
          .map((g) => Z.And(m.inPattern(grantRegion(g, r)), Z.Not(Z.Or(none, ...g.carve.map((c) => m.inPattern(andBelow(c))), ...g.exclude.map(m.inPattern))))),
      ),
    );
  const findings: LandlockFinding[] = [];
  await violations(
    Z,
    m.solver,
    rights.map((r) => Z.And(m.right.eq(Z.BitVec.val(FS_RIGHTS.indexOf(r), 4)), planFor(r), Z.Not(m.allowedVar))),
    (model, hits) => {
      const path = m.pathOf(model);
      for (const h of hits) {
        const right = rights[h]!;
        const rule = planAllows(plan, right, path, m.roots);
        const policy = decide(ir, { kind: 'fs', access: right, path }, { ...m.roots });
        if (rule === undefined || policy.allowed) {
          throw new VerifierError(`internal error: the Landlock validation witness ${right} ${path} does not reproduce; this is a bug in mxcc's verifier`);
        }
        findings.push({ right, path, display: `${right} ${displayPath(path, m.roots)}`, rule });
      }
    },
  );
  return findings;
}

/** Plan the policy's Landlock ruleset as the Linux target does and validate it (MXC2004). */
export async function validateCompiledLandlock(ir: PolicyIR): Promise<Diagnostic[]> {
  return (await validateLandlockPlan(ir, planLandlock(ir).plan)).map((f) => {
    const d = diagnostic('MXC2004', `the compiled Landlock plan allows ${f.display}, which the policy denies (through the grant of ${f.rule})`, {
      help: "this is a bug in mxcc's Linux compiler; please report it with the policy",
    });
    d.counterexample = f.display;
    return d;
  });
}
