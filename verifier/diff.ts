/**
 * Semantic difference of two policies, per section, with witnesses both ways (as Cedar's
 * `analyze compare` does for authorization): a request the new policy allows and the old one
 * denies is *newly allowed*, the converse *newly denied*. Every witness is re-checked with the
 * reference evaluator against both policies before it is reported.
 */
import { decide, type Request } from '../compiler/evaluate.js';
import { FS_RIGHTS, IR_ARCHES, ISOLATION_LEVELS, type Arch, type PolicyIR } from '../compiler/ir.js';
import { syscallName, syscallNumber, syscallNames } from '../compiler/syscalls/index.js';
import { displayPath, fsPatterns, paramPlacements, paramRoots, placed } from './atoms.js';
import { bvVal, bvValue, fsModel, netModel, netRequestOf, syscallAllowedExpr, VerifierError, violations } from './assertions.js';
import { check, holdingFrees, z3 } from './z3.js';

export type Comparison = 'equivalent' | 'less permissive' | 'more permissive' | 'incomparable';

export interface DiffWitness {
  request: Request;
  display: string;
  /** The path params' values the witness is for (at a placement of params without a value). */
  params: Record<string, string>;
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
  return { request, display, params };
}

/**
 * The semantic diff, section by section. Path params without a value are compared at each of
 * their placements (paramPlacements): a section's witness is the first found at any of them.
 * No z3 object is freed meanwhile, so the witnesses do not depend on when V8's garbage collector
 * ran (see holdingFrees).
 */
export async function diffPolicies(oldIr: PolicyIR, newIr: PolicyIR): Promise<SectionDiff[]> {
  const params = [...newIr.params, ...oldIr.params.filter((p) => !newIr.params.some((q) => q.name === p.name))];
  return holdingFrees(async () => {
    let merged: SectionDiff[] | undefined;
    for (const at of paramPlacements(params, [...fsPatterns(oldIr), ...fsPatterns(newIr)])) {
      const d = await diffAt(placed(oldIr, at), placed(newIr, at));
      merged = merged ? merged.map((s, i) => section(s.section, s.newlyAllowed ?? d[i]!.newlyAllowed, s.newlyDenied ?? d[i]!.newlyDenied)) : d;
    }
    return merged!;
  });
}

async function diffAt(oldIr: PolicyIR, newIr: PolicyIR): Promise<SectionDiff[]> {
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

  // syscalls: every name either policy mentions, plus one no rule names (the default actions),
  // and a number outside the table (the default actions again, when the two policies together
  // name every syscall of the table: `allow @known`).
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
        if (!witnesses[k]) {
          const numbered = new Set([...oldIr.syscalls.rules[arch], ...newIr.syscalls.rules[arch]].map((r) => r.nr));
          let nr = 0;
          while (syscallName(nr, arch) !== undefined || numbered.has(nr)) nr++;
          const request: Request = { kind: 'syscall', arch, syscall: '', nr, args: [] };
          if (decide(yes, request).allowed && !decide(no, request).allowed) witnesses[k] = confirm(yes, no, request, {}, `syscall ${arch} ${nr}(${Array(6).fill('0x0').join(', ')})`);
        }
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

/**
 * What the request sections do not cover: the environment variables passed through, kept
 * capabilities, the isolation level, limits and desktop access. Each change, in a fixed order,
 * is either newly allowed (a variable or capability passed, isolation weakened, a limit raised or
 * removed, desktop access granted) or newly denied (the converse). No solver: these are values.
 */
export interface SettingsDiff {
  section: 'settings';
  comparison: Comparison;
  newlyAllowed: string[];
  newlyDenied: string[];
}

const LIMITS: { key: keyof PolicyIR['limits']; name: string; unit: 'bytes' | 'count' | 'seconds' }[] = [
  { key: 'memoryBytes', name: 'memory', unit: 'bytes' },
  { key: 'cpus', name: 'cpu', unit: 'count' },
  { key: 'openFiles', name: 'files', unit: 'count' },
  { key: 'wallSeconds', name: 'wall', unit: 'seconds' },
  { key: 'cpuSeconds', name: 'cpu_time', unit: 'seconds' },
  { key: 'fileSizeBytes', name: 'file_size', unit: 'bytes' },
  { key: 'stackBytes', name: 'stack', unit: 'bytes' },
];

function limitText(value: number | null, unit: 'bytes' | 'count' | 'seconds'): string {
  if (value === null) return 'none';
  if (unit === 'seconds') return `${value}s`;
  if (unit === 'count') return String(value);
  for (const [u, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) if (value % size === 0) return `${value / size}${u}`;
  return `${value}B`;
}

const CLIPBOARD_RIGHTS = { none: [], read: ['read'], write: ['write'], readwrite: ['read', 'write'] } as const;

export function diffSettings(oldIr: PolicyIR, newIr: PolicyIR): SettingsDiff {
  const allowed: string[] = [];
  const denied: string[] = [];
  const sets = (label: string, before: readonly string[], after: readonly string[]): void => {
    for (const x of [...new Set(after)].filter((v) => !before.includes(v)).sort()) allowed.push(`${label} ${x}`);
    for (const x of [...new Set(before)].filter((v) => !after.includes(v)).sort()) denied.push(`${label} ${x}`);
  };
  sets('env passed through:', oldIr.process.envAllow, newIr.process.envAllow);
  sets('capability kept:', oldIr.process.capabilities, newIr.process.capabilities);
  const rank = (i: PolicyIR['isolation']): number => ISOLATION_LEVELS.indexOf(i);
  if (rank(newIr.isolation) !== rank(oldIr.isolation)) (rank(newIr.isolation) < rank(oldIr.isolation) ? allowed : denied).push(`isolation ${oldIr.isolation} → ${newIr.isolation}`);
  // A higher limit, or none, lets the command do more.
  const more = (a: number | null, b: number | null): boolean => b === null || (a !== null && b > a);
  const limits: [string, number | null, number | null, 'bytes' | 'count' | 'seconds'][] = [
    ...LIMITS.map(({ key, name, unit }): [string, number | null, number | null, 'bytes' | 'count' | 'seconds'] => [name, oldIr.limits[key], newIr.limits[key], unit]),
    ['max_processes', oldIr.process.maxProcesses, newIr.process.maxProcesses, 'count'],
  ];
  for (const [name, a, b, unit] of limits) {
    if (a === b) continue;
    (more(a, b) ? allowed : denied).push(`limits.${name} ${limitText(a, unit)} → ${limitText(b, unit)}`);
  }
  sets('clipboard', CLIPBOARD_RIGHTS[oldIr.desktop.clipboard], CLIPBOARD_RIGHTS[newIr.desktop.clipboard]);
  for (const key of ['windows', 'inputInjection', 'screenCapture'] as const) {
    if (oldIr.desktop[key] !== newIr.desktop[key]) (newIr.desktop[key] ? allowed : denied).push(`desktop.${key} ${oldIr.desktop[key]} → ${newIr.desktop[key]}`);
  }
  return { section: 'settings', comparison: classify(allowed.length > 0, denied.length > 0), newlyAllowed: allowed, newlyDenied: denied };
}
