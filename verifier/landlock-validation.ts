/**
 * Translation validation of the Landlock plan: the plan the Linux target compiles (grants,
 * carve-outs, excludes, masks; targets/linux/landlock.ts) is given a meaning over path atoms
 * that tell apart every pattern of the policy and of the plan, and z3 is asked for a path and a
 * right the plan lets through that the policy denies. Unsat for every right means the plan
 * allows nothing the policy forbids. The atoms cover the grants' regions only: outside them the
 * plan lets nothing through, so no witness is there.
 *
 * The plan's meaning, per IR right r (Landlock rights RIGHTS_FOR[r]); a grant counts when it
 * carries any of them, which over-approximates what the kernel allows:
 * - `beneath P/**`: every path under P, or strictly under P for rights Landlock checks on the
 *   parent directory (create, delete, refer), minus the grant's carve-outs and what lies in them;
 * - `exact L`: L itself; `expand G`: every match of G; both minus the grant's excludes;
 * - masks (matches existing at launch; the fidelity report says, and MXC3102 makes the policy
 *   accept, that later ones are not masked) take what the enforcer's mount surely takes: a mask
 *   denying a read right is an inaccessible node, so every right on the match and below it; a
 *   `P/**` mask bound read-only (noexec, nodev) takes every write-like right (exec, ioctl) below
 *   P; a mask of a single name is a mount point that cannot be deleted, renamed or created, and
 *   when it is a file, read-only (noexec, nodev) takes writing and truncating (exec, ioctl).
 * Other launch-time facts (which paths exist, what is a directory) only make the plan stricter,
 * so they are not modelled: the question is soundness (plan ⊆ policy), and the fidelity report
 * already says where the plan is stricter.
 * Every witness is re-checked: `planAllows` (glob matching, no solver) must allow it and the
 * reference evaluator must deny it.
 */
import type { Bool } from 'z3-solver';
import { diagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { decide } from '../compiler/evaluate.js';
import { globMatches } from '../compiler/glob.js';
import { FS_RIGHTS, type FsRight, type PolicyIR } from '../compiler/ir.js';
import { PARENT_CHECKED, planLandlock, READ_RIGHTS, RIGHTS_FOR, WRITE_RIGHTS, type LandlockGrant, type LandlockMask, type LandlockPlan } from '../targets/linux/landlock.js';
import { displayPath } from './atoms.js';
import { allOf, anyOf, bvVal, fsModel, fsSpace, VerifierError, violations, type FsSpace, type PathSet } from './assertions.js';
import { z3 } from './z3.js';

export interface LandlockFinding {
  right: FsRight;
  path: string;
  /** The path with param roots shown as `${name}`. */
  display: string;
  /** The grant that lets it through. */
  rule: string;
}


/** `P` and everything below it. */
const andBelow = (p: string): string => (p.endsWith('/**') ? p : `${p}/**`);
/** Everything strictly below P, for a `P/**` pattern. */
const strictlyBelow = (p: string): string => `${p.slice(0, -3)}/*/**`;

function grantRegion(g: LandlockGrant, right: FsRight): string {
  return g.mode === 'beneath' && PARENT_CHECKED.has(right) ? strictlyBelow(g.pattern) : g.pattern;
}

/** Masks that hide everything below their matches (an inaccessible node). */
const hides = (k: LandlockMask): boolean => k.rights.some((r) => READ_RIGHTS.includes(r));

/** The region where a mask surely takes `right`, or undefined (see the header). */
function maskRegion(k: LandlockMask, right: FsRight): string | undefined {
  if (hides(k)) return andBelow(k.pattern);
  const lr = RIGHTS_FOR[right];
  if (k.pattern.endsWith('/**')) {
    if (lr.every((r) => WRITE_RIGHTS.includes(r)) && k.rights.some((r) => WRITE_RIGHTS.includes(r))) return k.pattern;
    if (right === 'exec' && k.rights.includes('execute')) return k.pattern;
    if (right === 'ioctl' && k.rights.includes('ioctl_dev')) return k.pattern;
    return undefined;
  }
  if (right === 'delete' || right === 'refer' || right === 'create') return k.pattern;
  if ((right === 'write' || right === 'truncate') && k.rights.some((r) => r === 'write_file' || r === 'truncate')) return k.pattern;
  if (right === 'exec' && k.rights.includes('execute')) return k.pattern;
  if (right === 'ioctl' && k.rights.includes('ioctl_dev')) return k.pattern;
  return undefined;
}

function carries(g: LandlockGrant, right: FsRight): boolean {
  return RIGHTS_FOR[right].some((lr) => g.rights.includes(lr));
}

/** The plan's meaning for one concrete path (params bound in `params`), without the solver. */
export function planAllows(plan: LandlockPlan, right: FsRight, path: string, params: Readonly<Record<string, string>>): string | undefined {
  const m = (pattern: string): boolean => globMatches(pattern, path, params);
  if (plan.masks.some((k) => {
    const r = maskRegion(k, right);
    return r !== undefined && m(r);
  })) return undefined;
  for (const g of plan.grants) {
    if (!carries(g, right) || !m(grantRegion(g, right))) continue;
    if (g.carve.some((c) => m(andBelow(c))) || g.exclude.some(m)) continue;
    return g.rule;
  }
  return undefined;
}

/** The questions of the validation without the solver: the plan's rights, path sets and atoms. */
export interface LandlockQuestions {
  plan: LandlockPlan;
  rights: FsRight[];
  grantSets: number[][];
  maskSets: number[][];
  space: FsSpace | undefined;
}

export function landlockQuestions(ir: PolicyIR, plan: LandlockPlan): LandlockQuestions {
  const rights = FS_RIGHTS.filter((r) => plan.grants.some((g) => carries(g, r)));
  if (rights.length === 0) return { plan, rights, grantSets: [], maskSets: [], space: undefined };
  // The plan lets a path through only inside a grant's region: the atoms cover those regions
  // (carve-outs, excludes and masks only take paths out of them; as path sets below, their
  // patterns are still told apart).
  const region = new Set<string>();
  for (const g of plan.grants) for (const r of rights) if (carries(g, r)) region.add(grantRegion(g, r));
  // The solver sees, per grant and right, the paths the grant covers (its region minus its
  // carve-outs and excludes, as a rule's paths minus its excepts), and each mask's region: the
  // path classes are those these sets and the policy's rules tell apart.
  const sets: PathSet[] = [];
  const setIndex = new Map<string, number>();
  const setOf = (paths: string[], except: string[]): number => {
    const key = JSON.stringify([paths, except]);
    let i = setIndex.get(key);
    if (i === undefined) {
      i = sets.length;
      setIndex.set(key, i);
      sets.push({ paths, except });
    }
    return i;
  };
  const grantSets = rights.map((r) => plan.grants.filter((g) => carries(g, r)).map((g) => setOf([grantRegion(g, r)], [...g.carve.map(andBelow), ...g.exclude])));
  const maskSets = rights.map((r) =>
    plan.masks.flatMap((k) => {
      const mr = maskRegion(k, r);
      return mr === undefined ? [] : [setOf([mr], [])];
    }),
  );
  // Below an inaccessible mask every right is hidden: no witness there, so the atoms need not
  // tell those paths apart.
  const space = fsSpace(ir, [...region], { absorbing: plan.masks.filter(hides).map((k) => andBelow(k.pattern)), sets });
  return { plan, rights, grantSets, maskSets, space };
}

export async function validateLandlockPlan(ir: PolicyIR, plan: LandlockPlan | LandlockQuestions): Promise<LandlockFinding[]> {
  const q = 'space' in plan ? plan : landlockQuestions(ir, plan);
  const { rights, grantSets, maskSets, space } = q;
  if (!space) return [];
  const Z = await z3();
  const m = fsModel(Z, ir, space);
  const planFor = (i: number): Bool<'mxcc'> => allOf(Z, [Z.Not(anyOf(Z, maskSets[i]!.map(m.inSet))), anyOf(Z, grantSets[i]!.map(m.inSet))]);
  const findings: LandlockFinding[] = [];
  await violations(
    Z,
    m.solver,
    rights.map((r, i) => Z.And(m.right.eq(bvVal(Z, FS_RIGHTS.indexOf(r), 4)), planFor(i), Z.Not(m.allowedVar))),
    (model, hits) => {
      const path = m.pathOf(model);
      for (const h of hits) {
        const right = rights[h]!;
        const rule = planAllows(q.plan, right, path, m.roots);
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

/** The validation's questions for the plan the Linux target compiles (no solver). */
export const compiledLandlockQuestions = (ir: PolicyIR): LandlockQuestions => landlockQuestions(ir, planLandlock(ir).plan);

/**
 * Plan the policy's Landlock ruleset as the Linux target does and validate it (MXC2004); the
 * questions may be prepared beforehand (`compiledLandlockQuestions`).
 */
export async function validateCompiledLandlock(ir: PolicyIR, questions: LandlockQuestions = compiledLandlockQuestions(ir)): Promise<Diagnostic[]> {
  return (await validateLandlockPlan(ir, questions)).map((f) => {
    const d = diagnostic('MXC2004', `the compiled Landlock plan allows ${f.display}, which the policy denies (through the grant of ${f.rule})`, {
      help: "this is a bug in mxcc's Linux compiler; please report it with the policy",
    });
    d.counterexample = f.display;
    return d;
  });
}
