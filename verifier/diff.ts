/**
 * Semantic difference of two policies, per section, with witnesses both ways (as Cedar's
 * `analyze compare` does for authorization): a request the new policy allows and the old one
 * denies is *newly allowed*, the converse *newly denied*. Every witness is re-checked with the
 * reference evaluator against both policies before it is reported.
 */
import { decide, type Request } from '../compiler/evaluate.js';
import { FS_RIGHTS, IR_ARCHES, type Arch, type PolicyIR } from '../compiler/ir.js';
import { syscallNumber, syscallNames } from '../compiler/syscalls/index.js';
import { displayPath, paramRoots } from './atoms.js';
import { bvVal, bvValue, fsModel, netModel, netRequestOf, syscallAllowedExpr, VerifierError, violations } from './assertions.js';
import { check, z3 } from './z3.js';

export type Comparison = 'equivalent' | 'less permissive' | 'more permissive' | 'incomparable';

export interface DiffWitness {
  request: Request;
  display: string;
}

export interface SectionDiff {
  section: 'fs' | 'net' | 'syscalls';
  comparison: Comparison;
  newlyAllowed?: DiffWitness;
  newlyDenied?: DiffWitness;
}

function classify(allowed: boolean, denied: boolean): Comparison {
  return allowed && denied ? 'incomparable' : allowed ? 'more permissive' : denied ? 'less permissive' : 'equivalent';
}

/** The witness must be allowed by `yes` and denied by `no`, or the verifier is wrong. */
function confirm(yes: PolicyIR, no: PolicyIR, request: Request, params: Record<string, string>, display: string): DiffWitness {
  const a = decide(yes, request, params);
  const b = decide(no, request, params);
  if (!a.allowed || b.allowed) throw new VerifierError(`internal error: diff witness ${display} does not reproduce with the reference evaluator; this is a bug in mxcc's verifier`);
  return { request, display };
}

export async function diffPolicies(oldIr: PolicyIR, newIr: PolicyIR): Promise<SectionDiff[]> {
  const Z = await z3();
  const out: SectionDiff[] = [];

  // fs: any request allowed by either policy matches one of its allow patterns.
  {
    const region = [...new Set([...oldIr.fs.rules, ...newIr.fs.rules].filter((r) => r.effect === 'allow').flatMap((r) => r.paths))];
    const witnesses: (DiffWitness | undefined)[] = [];
    if (region.length > 0) {
      const m = fsModel(Z, newIr, region, { other: oldIr });
      const params = { ...paramRoots([...newIr.params, ...oldIr.params.filter((p) => !newIr.params.some((q) => q.name === p.name))]) };
      const inRegion = Z.Or(...region.map(m.inPattern));
      for (const [yes, no] of [[newIr, oldIr], [oldIr, newIr]] as const) {
        const s = m.solver;
        s.push();
        s.add(inRegion, m.allowedBy(yes.fs.rules), Z.Not(m.allowedBy(no.fs.rules)));
        const verdict = await check(s);
        if (verdict === 'sat') {
          const model = s.model();
          const path = m.pathOf(model);
          const access = FS_RIGHTS[Number(bvValue(model, m.right))]!;
          witnesses.push(confirm(yes, no, { kind: 'fs', access, path }, params, `${access} ${displayPath(path, m.roots)}`));
        } else witnesses.push(undefined);
        s.pop();
      }
    }
    out.push(section('fs', witnesses[0], witnesses[1]));
  }

  // net
  {
    const m = netModel(Z, newIr, oldIr);
    const witnesses: (DiffWitness | undefined)[] = [];
    for (const [yes, no] of [[newIr, oldIr], [oldIr, newIr]] as const) {
      const s = new Z.Solver('QF_BV');
      s.add(m.op.ule(2), m.proto.ule(1), m.kind.ule(2), m.name.ult(m.names.length));
      s.add(Z.Implies(m.op.eq(bvVal(Z, 2, 16)), m.kind.eq(bvVal(Z, 0, 16))));
      s.add(m.allowedBy(yes.net.rules), Z.Not(m.allowedBy(no.net.rules)));
      if ((await check(s)) !== 'sat') {
        witnesses.push(undefined);
        continue;
      }
      const { request, display } = netRequestOf(m, s.model());
      witnesses.push(confirm(yes, no, request, {}, display));
    }
    out.push(section('net', witnesses[0], witnesses[1]));
  }

  // syscalls: every name either policy mentions, plus one no rule names (the default actions).
  {
    const witnesses: (DiffWitness | undefined)[] = [undefined, undefined];
    for (const arch of IR_ARCHES) {
      const named = new Set([...oldIr.syscalls.rules[arch], ...newIr.syscalls.rules[arch]].map((r) => r.syscall));
      const unnamed = syscallNames(arch).find((n) => !named.has(n));
      const names = [...named, ...(unnamed ? [unnamed] : [])].sort();
      for (const [k, yes, no] of [[0, newIr, oldIr], [1, oldIr, newIr]] as const) {
        if (witnesses[k]) continue;
        // Every name asked at once: the first witness found answers this direction.
        const args = [...Array(6).keys()].map((i) => Z.BitVec.const(`arg${i}`, 64));
        const asked = names.flatMap((name) => {
          const nr = syscallNumber(name, arch);
          return nr === undefined ? [] : [{ name, nr }];
        });
        await violations(
          Z,
          new Z.Solver('QF_BV'),
          asked.map(({ name }) => Z.And(syscallAllowedExpr(Z, yes, arch as Arch, name, args), Z.Not(syscallAllowedExpr(Z, no, arch as Arch, name, args)))),
          (model, hits) => {
            const { name, nr } = asked[hits[0]!]!;
            const values = args.map((x) => bvValue(model, x));
            witnesses[k] = confirm(yes, no, { kind: 'syscall', arch, syscall: name, nr, args: values }, {}, `syscall ${arch} ${name}(${values.map((v) => '0x' + v.toString(16)).join(', ')})`);
            return true;
          },
        );
      }
    }
    out.push(section('syscalls', witnesses[0], witnesses[1]));
  }
  return out;
}

function section(name: SectionDiff['section'], newlyAllowed: DiffWitness | undefined, newlyDenied: DiffWitness | undefined): SectionDiff {
  const d: SectionDiff = { section: name, comparison: classify(newlyAllowed !== undefined, newlyDenied !== undefined) };
  if (newlyAllowed) d.newlyAllowed = newlyAllowed;
  if (newlyDenied) d.newlyDenied = newlyDenied;
  return d;
}
