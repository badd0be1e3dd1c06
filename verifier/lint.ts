/** Runs the lints of verifier/lints over a policy; findings are diagnostics blamed on rules. */
import { diagnostic, type Diagnostic, type RelatedSpan } from '../compiler/diagnostics/diagnostic.js';
import { originSpan } from '../compiler/index.js';
import type { IrAssertion, Origin, PolicyIR } from '../compiler/ir.js';
import type { Program } from '../compiler/load.js';
import { fileStart, type Span } from '../grammar/location.js';
import { askSyscallsWith, findDeadFsAllows, findJointFsAccess, findSyscallWith, syscallAllowedWith, fsModel, fsSpace, proveAssertions, type AssertionResult, type FsModel } from './assertions.js';
import { holdingFrees, ready, whenIdle } from './z3.js';
import { describePlacement, fsPatterns, paramPlacements, placed } from './atoms.js';
import { compiledSeccompPrograms, validateCompiledSeccomp } from './translation.js';
import { compiledLandlockQuestions, validateCompiledLandlock } from './landlock-validation.js';
import { assertionDiagnostics } from './index.js';
import { LINTS, type Lint } from './lints/index.js';
import { probeAssertion, type LintProbe } from './lints/lint.js';

export interface LintFinding {
  lint: Lint;
  probe: LintProbe;
  display: string;
  deciding: string[];
  /** What each deciding rule after the first does (lints with a query say it; probes say "also decided by"). */
  related?: { id: string; message: string }[];
}

export async function findLintViolations(ir: PolicyIR, lints: readonly Lint[] = LINTS): Promise<LintFinding[]> {
  return (await lintAndProve(ir, lints)).findings;
}

/**
 * The lints and the policy's own assertions in one pass: probes that are plain requests become
 * synthetic `assert never`s proved together with the policy's assertions over one path
 * partition (which also answers the write+exec question); the rest are solver queries of their own.
 */
export async function lintAndProve(ir: PolicyIR, lints: readonly Lint[] = LINTS): Promise<{ findings: LintFinding[]; assertions: AssertionResult[] }> {
  const plain: { lint: Lint; probe: LintProbe; assertion: IrAssertion }[] = [];
  const special: { lint: Lint; probe: LintProbe }[] = [];
  for (const lint of lints) {
    lint.probes(ir).forEach((probe, i) => {
      const r = probe.request;
      if (r.kind !== 'fs' && r.kind !== 'net' && r.kind !== 'syscall') special.push({ lint, probe });
      else plain.push({ lint, probe, assertion: probeAssertion(lint, { ...probe, request: r }, i, ir) });
    });
  }
  const hits = new Map<LintProbe, { display: string; deciding: string[] }>();
  // One partition of the whole path space and one solver serve every fs question: the policy's
  // assertions, the probes, the write+exec question and the dead-allow check.
  const questions = [...ir.assertions, ...plain.map((p) => p.assertion)];
  const regions = questions.flatMap((a) => (a.request.kind === 'fs' ? a.request.paths : []));
  // The path atoms need no solver: computed while z3 may still be loading.
  const space = ir.fs.rules.length > 0 || regions.length > 0 ? fsSpace(ir, [...new Set(['/**', ...regions])]) : undefined;
  const Z = await ready();
  const whole = space ? fsModel(Z, ir, space) : undefined;
  const all = await proveAssertions({ ...ir, assertions: questions }, whole);
  const own = all.slice(0, ir.assertions.length);
  all.slice(ir.assertions.length).forEach((res, i) => {
    if (!res.holds && res.counterexample) hits.set(plain[i]!.probe, { display: res.counterexample.display, deciding: res.counterexample.deciding });
  });
  // The syscall questions of the special probes, asked together first (answers kept for findSyscallWith).
  await askSyscallsWith(
    ir,
    special.flatMap(({ probe }) => {
      const r = probe.request;
      if (r.kind === 'syscall-when') return [{ syscall: r.syscall, when: r.when }];
      if (r.kind === 'bypass') return [r.denied, ...r.alternatives].map((syscall) => ({ syscall, when: [] }));
      return [];
    }),
  );
  for (const { probe } of special) {
    const r = probe.request;
    const hit = await answerSpecial(ir, r, whole);
    if (hit) hits.set(probe, { display: hit.display, deciding: hit.deciding });
  }
  const findings: LintFinding[] = [];
  for (const lint of lints) {
    const seen = new Set<string>();
    for (const { probe } of [...plain, ...special].filter((x) => x.lint === lint)) {
      const hit = hits.get(probe);
      if (!hit || seen.has(probe.message)) continue;
      seen.add(probe.message);
      findings.push({ lint, probe, ...hit });
    }
  }
  for (const lint of lints) {
    if (!lint.query) continue;
    for (const hit of await lint.query(ir)) {
      findings.push({
        lint,
        probe: { message: hit.message, request: { kind: 'syscall', syscalls: [] }, help: hit.help },
        display: hit.display,
        deciding: [hit.rule, ...hit.related.map((r) => r.id)],
        related: hit.related,
      });
    }
  }
  // A readable secret plus egress to anywhere is a complete exfiltration path.
  const exfil = lints.find((l) => l.id === 'exfiltration');
  const secret = findings.find((f) => f.lint.id === 'secrets-readable');
  const egress = findings.find((f) => f.lint.id === 'egress-any');
  if (exfil && secret && egress) {
    findings.push({
      lint: exfil,
      probe: { message: `${secret.display} and ${egress.display} are both allowed`, request: { kind: 'syscall', syscalls: [] }, help: 'deny the secret, or restrict egress to the hosts the agent needs' },
      display: `${secret.display}; ${egress.display}`,
      deciding: [...secret.deciding, ...egress.deciding],
    });
  }
  return { findings, assertions: own };
}

async function answerSpecial(ir: PolicyIR, r: LintProbe['request'], whole: FsModel | undefined): Promise<{ display: string; deciding: string[] } | undefined> {
  switch (r.kind) {
    case 'fs-joint':
      return findJointFsAccess(ir, r.access, whole);
    case 'syscall-when':
      return findSyscallWith(ir, r.syscall, r.when);
    case 'bypass': {
      if (await syscallAllowedWith(ir, r.denied, [])) return undefined; // not refused: nothing to bypass
      for (const alt of r.alternatives) {
        const hit = await findSyscallWith(ir, alt, []);
        if (hit) return { display: `${r.denied} is refused but ${hit.display} is allowed`, deciding: hit.deciding };
      }
      return undefined;
    }
    case 'default-proceeds': {
      const a = ir.syscalls.defaultAction.kind;
      return a === 'allow' || a === 'log' ? { display: `default ${a}: any syscall no rule names`, deciding: [] } : undefined;
    }
    case 'dead-allow': {
      const dead = await findDeadFsAllows(ir, whole);
      return dead.length ? { display: `${dead.join(', ')} allow${dead.length === 1 ? 's' : ''} nothing`, deciding: dead } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Where a finding about the policy as a whole is shown (the syscall default, a dangerous call no
 * rule names, a compiled program): the policy's header (`policy name`) in the entry file, else
 * the top of that file; so that, with several files linted, every finding names its file.
 */
export function policySpan(ir: PolicyIR, program: Program): Span {
  const entry = program.files.get(program.entry);
  const decl = entry?.document?.policies.find((p) => p.name.name === ir.name);
  if (decl) {
    const name = decl.name.span;
    return { ...decl.span, length: name.offset + name.length - decl.span.offset, endLine: name.endLine, endColumn: name.endColumn };
  }
  return fileStart(entry?.display ?? program.entry);
}

export async function lintPolicy(ir: PolicyIR, program: Program, lints: readonly Lint[] = LINTS): Promise<Diagnostic[]> {
  return (await lintAndVerify(ir, program, lints)).lints;
}

/** Diagnostics for the lints and for the policy's own assertions, from one pass. */
export async function lintAndVerify(ir: PolicyIR, program: Program, lints: readonly Lint[] = LINTS): Promise<{ lints: Diagnostic[]; assertions: Diagnostic[] }> {
  const origins = new Map<string, Origin>();
  for (const r of [...ir.fs.rules, ...ir.net.rules, ...ir.syscalls.rules.x86_64, ...ir.syscalls.rules.aarch64]) origins.set(r.id, r.origin);
  const out: Diagnostic[] = [];
  const pass = await lintAndProve(ir, lints);
  for (const f of pass.findings) {
    const spans = f.deciding.flatMap((id) => {
      const o = origins.get(id);
      return o ? [{ id, span: originSpan(o, program) }] : [];
    });
    const [blame, ...rest] = spans;
    const related: RelatedSpan[] = rest.map((s) => ({ span: s.span, message: f.related?.find((r) => r.id === s.id)?.message ?? `also decided by ${s.id}` }));
    const d = diagnostic(f.lint.code, `${f.lint.id}: ${f.probe.message}`, {
      span: blame?.span ?? policySpan(ir, program),
      related,
      help: f.probe.help + (blame ? '' : ' (no rule allows it explicitly: the syscall default action lets it through)'),
      severity: f.lint.severity,
    });
    d.counterexample = f.display;
    out.push(d);
  }
  return { lints: out, assertions: assertionDiagnostics(ir, program, pass.assertions) };
}

/**
 * Findings that say a rule does nothing (dead-allow, redundant-rule): true of the policy only if
 * true at every placement of its path params.
 */
const UNIVERSAL = new Set(['MXC2115', 'MXC2121']);

/**
 * lintAndVerify at every placement of the path params without a value (paramPlacements). A
 * finding that something is allowed is reported once, from the first placement that has it (one
 * found away from the first placement says where the params were); one that a rule does nothing
 * only if every placement has it.
 */
async function lintAtPlacements(ir: PolicyIR, program: Program, lints: readonly Lint[]): Promise<{ lints: Diagnostic[]; assertions: Diagnostic[] }> {
  const placements = paramPlacements(ir.params, fsPatterns(ir));
  const found = new Map<string, { kind: 'lints' | 'assertions'; d: Diagnostic; at: number[] }>();
  for (const [k, at] of placements.entries()) {
    const pass = await lintAndVerify(placed(ir, at), program, lints);
    for (const kind of ['lints', 'assertions'] as const) {
      for (const d of pass[kind]) {
        const key = kind === 'assertions' ? `${d.span?.file}:${d.span?.offset}` : `${d.code} ${d.span?.file}:${d.span?.offset} ${d.message}`;
        const known = found.get(key);
        if (known) {
          known.at.push(k);
          continue;
        }
        if (k > 0 && typeof d.counterexample === 'string') {
          const shown = d.counterexample + describePlacement(at);
          if (kind === 'assertions') d.message = d.message.replace(d.counterexample, shown);
          d.counterexample = shown;
        }
        found.set(key, { kind, d, at: [k] });
      }
    }
  }
  const out: { lints: Diagnostic[]; assertions: Diagnostic[] } = { lints: [], assertions: [] };
  for (const { kind, d, at } of found.values()) if (!UNIVERSAL.has(d.code) || at.length === placements.length) out[kind].push(d);
  return out;
}

/**
 * Everything `mxcc lint` proves about one policy, in this order: its assertions, the lints, and
 * the translation validation of the compiled seccomp programs (MXC2003) and Landlock plan
 * (MXC2004). The solver-free parts of the validations (compiling the programs, planning the
 * ruleset, its path atoms) are queued to run while this thread would otherwise wait for z3 to
 * load or for a check: on a 2-core machine they overlap the solver's work.
 */
export async function lintAll(ir: PolicyIR, program: Program, lints: readonly Lint[] = LINTS): Promise<Diagnostic[]> {
  const landlock = whenIdle(() => compiledLandlockQuestions(ir));
  const programs = whenIdle(() => compiledSeccompPrograms(ir));
  try {
    // No z3 object freed during the pass: z3 reuses freed terms' ids, and when V8 frees them
    // depends on timing, which the idle work changes (see holdingFrees).
    return await holdingFrees(async () => {
      const pass = await lintAtPlacements(ir, program, lints);
      const seccomp = await validateCompiledSeccomp(ir, programs());
      const compiled = [...seccomp, ...(await validateCompiledLandlock(ir, landlock()))].map((d) => (d.span ? d : { ...d, span: policySpan(ir, program) }));
      return [...pass.assertions, ...pass.lints, ...compiled];
    });
  } finally {
    landlock.drop();
    programs.drop();
  }
}
