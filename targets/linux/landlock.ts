/**
 * IR fs and net rules → a Landlock plan: what the enforcer asks the kernel for at launch.
 *
 * Landlock only grants (a ruleset handles rights; rules add them back to file hierarchies), so
 * the plan is built per grant, and every deny that overlaps a grant is handled explicitly. A
 * *mask* is a mount in the sandbox's mount namespace over a path that exists at launch, chosen
 * by the rights denied there (see maskEffect): an inaccessible node when reading is denied, else
 * the path bound onto itself read-only (and noexec, nodev) as needed. A mount point cannot be
 * removed or renamed, so a mask lasts for the whole run.
 *  - a deny of a literal subtree or file (`${home}/.ssh/**`, `/etc/shadow`) inside a granted
 *    directory is a *carve*: at launch the enforcer masks it if it exists (exact for the deny),
 *    else grants the siblings along the path to it instead of the directory itself (exact for
 *    the deny; entries created later directly in those directories are not granted: stricter);
 *  - any other overlapping deny (wildcards: `**\/.env`) is *masked* wherever it matches at
 *    launch; a match created after launch is not masked, so the deny is weaker and the policy
 *    must accept that (`target linux { accept weaker "**\/.env" }`) or compilation fails.
 * Constants are from linux/landlock.h (Linux 7.2 UAPI headers).
 */
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { globsIntersect, literalPrefix, normalizeGlob, parseGlob, type ParsedGlob } from '../../compiler/glob.js';
import type { FsRight, IrFsRule, IrNetRule, Origin, PolicyIR } from '../../compiler/ir.js';
import { globCovers } from '../../compiler/check.js';
import type { FidelityEntry } from '../index.js';

/** Landlock filesystem rights, with the ABI version that introduced each. */
export const LANDLOCK_FS = {
  execute: { bit: 1n << 0n, abi: 1 },
  write_file: { bit: 1n << 1n, abi: 1 },
  read_file: { bit: 1n << 2n, abi: 1 },
  read_dir: { bit: 1n << 3n, abi: 1 },
  remove_dir: { bit: 1n << 4n, abi: 1 },
  remove_file: { bit: 1n << 5n, abi: 1 },
  make_char: { bit: 1n << 6n, abi: 1 },
  make_dir: { bit: 1n << 7n, abi: 1 },
  make_reg: { bit: 1n << 8n, abi: 1 },
  make_sock: { bit: 1n << 9n, abi: 1 },
  make_fifo: { bit: 1n << 10n, abi: 1 },
  make_block: { bit: 1n << 11n, abi: 1 },
  make_sym: { bit: 1n << 12n, abi: 1 },
  refer: { bit: 1n << 13n, abi: 2 },
  truncate: { bit: 1n << 14n, abi: 3 },
  ioctl_dev: { bit: 1n << 15n, abi: 5 },
} as const;
export type LandlockFsRight = keyof typeof LANDLOCK_FS;

export const LANDLOCK_NET = {
  bind_tcp: { bit: 1n << 0n, abi: 4 },
  connect_tcp: { bit: 1n << 1n, abi: 4 },
} as const;
export type LandlockNetRight = keyof typeof LANDLOCK_NET;

export const LANDLOCK_SCOPE = {
  abstract_unix_socket: { bit: 1n << 0n, abi: 6 },
  signal: { bit: 1n << 1n, abi: 6 },
} as const;
export type LandlockScope = keyof typeof LANDLOCK_SCOPE;

/** The newest ABI this compiler knows the rights of; newer kernels' extra rights are handled by the enforcer. */
export const LANDLOCK_MAX_KNOWN_ABI = 7;

/** Which Landlock rights carry each IR right. Device creation (make_char, make_block) is never granted. */
export const RIGHTS_FOR: Record<FsRight, LandlockFsRight[]> = {
  read: ['read_file'],
  list: ['read_dir'],
  write: ['write_file'],
  create: ['make_reg', 'make_dir', 'make_sym', 'make_fifo', 'make_sock'],
  delete: ['remove_file', 'remove_dir'],
  exec: ['execute'],
  truncate: ['truncate'],
  refer: ['refer'],
  ioctl: ['ioctl_dev'],
};

/** The rights Landlock accepts in a rule for a single file (not a directory). */
export const FILE_RIGHTS: ReadonlySet<LandlockFsRight> = new Set(['execute', 'write_file', 'read_file', 'truncate', 'ioctl_dev']);

/** Best-effort feature names (`target linux { best_effort "…" }`), each the ABI that brought it. */
export const BEST_EFFORT_FEATURES: Record<string, number> = {
  'landlock.refer': 2,
  'landlock.truncate': 3,
  'landlock.net': 4,
  'landlock.ioctl_dev': 5,
  'landlock.scopes': 6,
};

function featureOf(abi: number): string | undefined {
  return Object.entries(BEST_EFFORT_FEATURES).find(([, a]) => a === abi)?.[0];
}

/** Rights Landlock checks on the directory that contains the object, not on the object. */
export const PARENT_CHECKED: ReadonlySet<FsRight> = new Set(['create', 'delete', 'refer']);

export type GrantMode =
  /** The pattern is `P/**`: grant the hierarchy under P. */
  | 'beneath'
  /** A literal path: grant the file itself (a directory gets nothing: Landlock cannot grant a directory without its contents). */
  | 'exact'
  /** A pattern with wildcards: the enforcer enumerates matches at launch (bounded) and grants each. */
  | 'expand';

export interface LandlockGrant {
  /** Normalized pattern, possibly rooted at a path param. */
  pattern: string;
  mode: GrantMode;
  rights: LandlockFsRight[];
  /** Literal subtrees and files inside this grant that a deny takes out (carved at launch, `beneath` grants). */
  carve: string[];
  /** Patterns of denies: a file an `exact` or `expand` grant would cover is skipped at launch if it matches one. */
  exclude: string[];
  rule: string;
}

export interface LandlockMask {
  /** Pattern whose existing matches are masked at launch. */
  pattern: string;
  /** The rights the deny takes there; they decide how each match is masked (maskEffect). */
  rights: LandlockFsRight[];
  rule: string;
}

/** A literal deny in /proc missing at launch is not carved (the enforcer checks the filesystem is procfs). */
const PROC_NOTE = 'in /proc, where no process creates files, one that does not exist at launch is not carved out (carving would freeze the process list); the deny would not hold for an entry the kernel adds during the run (a module loaded later)';

export const READ_RIGHTS: readonly LandlockFsRight[] = ['read_file', 'read_dir'];
export const WRITE_RIGHTS: readonly LandlockFsRight[] = ['write_file', 'truncate', 'make_reg', 'make_dir', 'make_sym', 'make_fifo', 'make_sock', 'make_char', 'make_block', 'remove_file', 'remove_dir', 'refer'];

/**
 * How the enforcer masks a path that exists at launch, for the rights denied there, and what
 * that takes away beyond them. Mirrors mask_flags in enforcer/mxc-enforce.c.
 */
export function maskEffect(rights: readonly LandlockFsRight[], pattern: string): { how: string; alsoTakes: string } {
  if (rights.some((r) => READ_RIGHTS.includes(r))) {
    return { how: 'covered by an inaccessible node (EACCES)', alsoTakes: 'every other right on it and below it' };
  }
  // `P/**` denies the contents too; a pattern matching a directory by itself only its name.
  const subtree = pattern.endsWith('/**');
  const writes = rights.filter((r) => WRITE_RIGHTS.includes(r));
  const fileWrites = writes.filter((r) => r === 'write_file' || r === 'truncate');
  const parts: string[] = [];
  if (subtree ? writes.length : fileWrites.length) parts.push(subtree ? 'read-only (EROFS)' : 'read-only if it is a file (EROFS)');
  if (rights.includes('execute')) parts.push(subtree ? 'noexec' : 'noexec if it is a file');
  if (rights.includes('ioctl_dev')) parts.push(subtree ? 'nodev' : 'nodev if it is a file');
  const how = `bound onto itself${parts.length ? ` ${parts.join(', ')}` : ''} (a mount point: removing or renaming it fails with EBUSY${subtree ? '' : '; a matching directory keeps its contents writable'})`;
  const also = ['renaming or hard-linking across it (EXDEV)'];
  if (parts.length && writes.length > fileWrites.length && subtree) also.unshift('every write-like right on its contents');
  else if (fileWrites.length) also.unshift('every write-like right on a matching file');
  if (rights.includes('ioctl_dev')) also.unshift('opening device files');
  return { how, alsoTakes: also.join(' and ') };
}

export interface LandlockPlan {
  /** The lowest Landlock ABI the launch requires; lower kernels are refused. */
  minAbi: number;
  /** Feature names the policy lets degrade on older kernels (`target linux { best_effort "…" }`). */
  bestEffort: string[];
  handledFs: LandlockFsRight[];
  grants: LandlockGrant[];
  masks: LandlockMask[];
  /** How the network is enforced (see NetMode). */
  netMode: NetMode;
  /** Landlock TCP rules, in `ports` mode. */
  net: { handled: LandlockNetRight[]; ports: { port: number; rights: LandlockNetRight[] }[] } | null;
  scopes: LandlockScope[];
}

export interface LandlockResult {
  plan: LandlockPlan;
  fidelity: FidelityEntry[];
  diagnostics: Diagnostic[];
}

function shape(pattern: string): { glob: ParsedGlob; literal: boolean; beneath: boolean } {
  const glob = parseGlob(pattern);
  const isLit = (s: ParsedGlob['segments'][number]): boolean => s.kind === 'seg' && s.atoms.every((a) => a.kind === 'lit');
  const last = glob.segments[glob.segments.length - 1];
  const head = last?.kind === 'globstar' ? glob.segments.slice(0, -1) : glob.segments;
  return { glob, literal: glob.segments.every(isLit), beneath: last?.kind === 'globstar' && head.every(isLit) };
}

/**
 * Could two patterns match a common path once params are bound? Param values are only known at
 * launch, so a param-rooted pattern may overlap a literal one, unless the param's `not under`
 * constraint rules that out (a value may be neither under nor above a `not under` directory, so
 * `${p}/…` cannot reach under it). Entries that turn out disjoint at launch do nothing there.
 */
function overlapTest(params: PolicyIR['params']): (a: string, b: string) => boolean {
  const notUnder = new Map<string, string[]>();
  for (const p of params) notUnder.set(p.name, p.constraints.flatMap((c) => (c.kind === 'not_under' ? c.paths : [])));
  const under = (path: string, dir: string): boolean => dir === '/' || path === dir || path.startsWith(dir + '/');
  return (a, b) => {
    const ga = parseGlob(a);
    const gb = parseGlob(b);
    if (ga.root === gb.root) return globsIntersect(a, b);
    if (ga.root !== undefined && gb.root !== undefined) return true;
    const [param, lit] = ga.root !== undefined ? [ga.root, gb] : [gb.root!, ga];
    const prefix = literalPrefix(lit);
    return !(notUnder.get(param) ?? []).some((dir) => under(prefix, dir));
  };
}

/** A literal subtree or file (`P/**` or `P`), the shapes the enforcer can carve out of a grant. */
function isLiteralShape(pattern: string): boolean {
  const s = shape(pattern);
  return s.literal || s.beneath;
}

/** Every path `a` matches is matched by `d` (params compared by name). */
function covers(d: string, a: string): boolean {
  if (shape(a).literal && parseGlob(a).root === parseGlob(d).root) return globsIntersect(d, a);
  return globCovers(d, a);
}

/** Does the access list include a right that would matter on a directory itself? */
function hierarchyRights(access: readonly FsRight[]): boolean {
  return access.some((r) => r === 'list');
}

function spanless(o: Origin): string {
  return `${o.file}:${o.line}:${o.column}`;
}

export function planLandlock(ir: PolicyIR): LandlockResult {
  const diagnostics: Diagnostic[] = [];
  const fidelity: FidelityEntry[] = [];
  const settings = ir.targets.linux?.settings ?? {};
  // `accept weaker` names rule ids or patterns, as written or normalized ("**/.env" = "/**/.env").
  const accepted = new Set<string>();
  for (const a of ir.targets.linux?.acceptWeaker ?? []) {
    accepted.add(a);
    const n = normalizeGlob(a);
    if ('patterns' in n) n.patterns.forEach((x) => accepted.add(x));
  }
  const bestEffort = Array.isArray(settings.best_effort) ? [...settings.best_effort].sort() : [];
  const grants: LandlockGrant[] = [];
  const masks = new Map<string, LandlockMask>();
  /** Wildcard masks inside each allow rule's grants (a mask can take more than its deny). */
  const maskedIn = new Map<string, Set<string>>();
  /** Literal denies carved out of grants, with the rights carved: masked at launch where they exist. */
  const carves = new Map<string, Set<LandlockFsRight>>();
  let needAbi = 1;

  const denies = ir.fs.rules.filter((r) => r.effect === 'deny');
  const mayOverlap = overlapTest(ir.params);

  /**
   * Grant `rights` on `pattern` for `rule`, minus every deny that overlaps it. Returns notes on
   * what is stricter than the policy. `depth` bounds re-grants of except clauses.
   */
  const grantPattern = (pattern: string, access: FsRight[], rule: string, depth: number): string[] => {
    const notes: string[] = [];
    const s = shape(pattern);
    const mode: GrantMode = s.beneath ? 'beneath' : s.literal ? 'exact' : 'expand';
    // Rights checked on the parent directory can only be granted for whole hierarchies.
    const rightsHere = access.filter((r) => mode === 'beneath' || !PARENT_CHECKED.has(r));
    if (rightsHere.length < access.length) notes.push(`${access.filter((r) => !rightsHere.includes(r)).join(', ')} on "${pattern}" would need its parent directory granted`);
    // Rights are grouped by the carve-outs they need, so each grant is exact for its rights.
    const byCarve = new Map<string, { rights: Set<LandlockFsRight>; carve: string[]; exclude: string[] }>();
    const reGrants = new Map<string, FsRight[]>();
    const hierarchy = mode === 'beneath' || (mode === 'expand' && s.glob.segments[s.glob.segments.length - 1]?.kind === 'globstar');
    // The deny paths that reach this pattern, and whether each takes all of it, are the same for
    // every right: found once, in rule order.
    const reaching: { d: (typeof denies)[number]; dp: string; whole: boolean }[] = [];
    for (const d of denies) {
      if (!d.access.some((r) => rightsHere.includes(r))) continue;
      // Inside one of the deny's own excepts, the deny does not apply.
      if (d.except.some((e) => covers(e, pattern))) continue;
      for (const dp of d.paths) {
        if (!mayOverlap(dp, pattern)) continue;
        reaching.push({ d, dp, whole: covers(dp, pattern) && !d.except.some((e) => mayOverlap(e, pattern)) });
      }
    }
    for (const right of rightsHere) {
      const carve: string[] = [];
      const exclude: string[] = [];
      let fullyDenied = false;
      for (const { d, dp, whole } of reaching) {
        if (!d.access.includes(right)) continue;
        if (whole) {
          fullyDenied = true; // granting nothing is exact
          continue;
        }
        if (!hierarchy) {
          // Single files: the enforcer tests each concrete path against the deny.
          exclude.push(dp);
          for (const e of d.except) if (mayOverlap(e, pattern)) reGrants.set(e, [...(reGrants.get(e) ?? []), right]);
        } else if (isLiteralShape(dp) && d.except.every(isLiteralShape)) {
          // A deny's excepts allow part of it again: grant them back (through this same
          // function, so other denies still apply).
          carve.push(dp);
          for (const e of d.except) if (mayOverlap(e, pattern)) reGrants.set(e, [...(reGrants.get(e) ?? []), right]);
        } else {
          const m = masks.get(dp) ?? { pattern: dp, rights: [], rule: d.id };
          m.rights = [...new Set([...m.rights, ...RIGHTS_FOR[right]])];
          masks.set(dp, m);
          maskedIn.set(rule, new Set([...(maskedIn.get(rule) ?? []), dp]));
        }
      }
      if (fullyDenied) continue;
      const uc = [...new Set(carve)].sort();
      const ue = [...new Set(exclude)].sort();
      const key = uc.join('\n') + '\0' + ue.join('\n');
      const entry = byCarve.get(key) ?? { rights: new Set<LandlockFsRight>(), carve: uc, exclude: ue };
      RIGHTS_FOR[right].forEach((lr) => entry.rights.add(lr));
      byCarve.set(key, entry);
    }
    const carved = new Map<string, Set<LandlockFsRight>>();
    for (const { rights, carve, exclude } of byCarve.values()) {
      // A rule for a single file takes only file rights (listing a file means nothing).
      const list = (Object.keys(LANDLOCK_FS) as LandlockFsRight[]).filter((r) => rights.has(r) && (hierarchy || FILE_RIGHTS.has(r)));
      if (list.length === 0) continue;
      grants.push({ pattern, mode, rights: list, carve, exclude, rule });
      for (const c of carve) {
        carved.set(c, new Set([...(carved.get(c) ?? []), ...list]));
        carves.set(c, new Set([...(carves.get(c) ?? []), ...list]));
      }
    }
    for (const [c, rights] of [...carved].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const e = maskEffect([...rights], c);
      const missing = c.startsWith('/proc/') ? PROC_NOTE : 'if it does not, it is carved out and entries created after launch in the directories around it are not granted';
      notes.push(`where "${c}" lies inside "${pattern}": if it exists at launch it is masked, ${e.how}, which also takes ${e.alsoTakes}; ${missing}`);
    }
    if (mode === 'expand') notes.push(`paths matching "${pattern}" created after launch are not granted`);
    if (/^\/proc\/(self|thread-self)(\/|$)/.test(pattern)) {
      notes.push(`"${pattern}" is granted on the /proc entries of the process mxc-enforce executes; processes it starts have their own, which are not granted`);
    }
    if (mode === 'exact' && hierarchyRights(access)) notes.push(`"${pattern}" is granted only if it is not a directory at launch`);
    for (const [e, rights] of reGrants) {
      if (depth < 4) notes.push(...grantPattern(e, rights, rule, depth + 1));
    }
    return notes;
  };

  const allowNotes = ir.fs.rules.filter((r) => r.effect === 'allow').map((allow) => ({ allow, notes: [...new Set(allow.paths.flatMap((p) => grantPattern(p, allow.access, allow.id, 0)))] }));
  // After every grant: a mask's rights are the union over all of them.
  for (const { allow, notes } of allowNotes) {
    for (const dp of [...(maskedIn.get(allow.id) ?? [])].sort()) {
      notes.push(`matches of "${dp}" that exist at launch are masked, which also takes ${maskEffect(masks.get(dp)!.rights, dp).alsoTakes}`);
    }
    fidelity.push(notes.length ? { rule: allow.id, fidelity: 'stricter', note: notes.join('; ') } : { rule: allow.id, fidelity: 'exact' });
  }

  for (const d of denies) {
    const masked = d.paths.filter((p) => masks.has(p));
    const carvedHere = d.paths.filter((p) => carves.has(p));
    const carveNote = carvedHere.length
      ? `inside allowed directories, ${carvedHere.map((p) => `"${p}"`).join(', ')} is masked at launch where it exists (a mount point, so it lasts the whole run) and carved out of the grants where it does not${carvedHere.some((p) => p.startsWith('/proc/')) ? `; ${PROC_NOTE}` : ''}`
      : undefined;
    if (masked.length === 0) {
      fidelity.push(carveNote ? { rule: d.id, fidelity: 'exact', note: carveNote } : { rule: d.id, fidelity: 'exact' });
      continue;
    }
    const isAccepted = masked.every((p) => accepted.has(p)) || accepted.has(d.id);
    const how = masked.map((p) => `"${p}" ${maskEffect(masks.get(p)!.rights, p).how}`).join('; ');
    fidelity.push({
      rule: d.id,
      fidelity: 'weaker',
      note: `inside allowed directories, the matches that exist at launch are masked: ${how}; matches created after launch are not masked, so the deny does not hold for them${isAccepted ? ' (accepted by the policy)' : ''}${carveNote ? `; ${carveNote}` : ''}`,
    });
    if (!isAccepted) {
      diagnostics.push(
        diagnostic('MXC3102', `Landlock cannot deny ${masked.map((p) => `"${p}"`).join(', ')} inside an allowed directory for files created after launch (${spanless(d.origin)})`, {
          help: `files that exist at launch are masked; to accept that files created later are not, add to the policy: target linux { accept weaker ${masked.map((p) => JSON.stringify(p)).join(', ')} }`,
        }),
      );
    }
  }

  const { mode: netMode, net } = planNet(ir.net.rules, fidelity);
  const declaredMin = typeof settings.landlock_min_abi === 'number' ? settings.landlock_min_abi : 1;
  const handledFs = (Object.keys(LANDLOCK_FS) as LandlockFsRight[]).filter((r) => LANDLOCK_FS[r].abi <= LANDLOCK_MAX_KNOWN_ABI);
  for (const f of bestEffort) {
    if (!(f in BEST_EFFORT_FEATURES)) {
      diagnostics.push(diagnostic('MXC3103', `unknown best-effort feature "${f}"`, { help: `known features: ${Object.keys(BEST_EFFORT_FEATURES).join(', ')}` }));
    }
  }
  // Every handled right and scope must be enforceable, or a weaker kernel would silently allow
  // it; features the policy marks best-effort may be dropped on kernels that lack them.
  const required = [...handledFs.map((r) => LANDLOCK_FS[r].abi), ...(net && net.handled.length ? [4] : []), 6 /* scopes */];
  for (const abi of required) {
    const feature = featureOf(abi);
    if (feature === undefined || !bestEffort.includes(feature)) needAbi = Math.max(needAbi, abi);
  }
  return {
    plan: {
      minAbi: Math.max(declaredMin, needAbi),
      bestEffort,
      handledFs,
      grants,
      masks: [...masks.values()]
        .map((m) => ({ ...m, rights: (Object.keys(LANDLOCK_FS) as LandlockFsRight[]).filter((r) => m.rights.includes(r)) }))
        .sort((a, b) => (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0)),
      netMode,
      net,
      // Deny by default: no abstract unix sockets or signals across the sandbox boundary.
      scopes: ['abstract_unix_socket', 'signal'],
    },
    fidelity,
    diagnostics,
  };
}

export type NetMode =
  /** No net rules, or only denies: a new network namespace with loopback only. */
  | 'none'
  /** Only `any`-host TCP rules: Landlock port rules on the host network; UDP sockets refused. */
  | 'ports'
  /** Host names, addresses, UDP or DNS: a network namespace whose only way out is the egress proxy. */
  | 'proxy';

/** Above this many allowed ports a port set is left to the proxy instead of Landlock rules. */
export const MAX_LANDLOCK_PORT_RULES = 4096;

/**
 * Choose how the network is enforced and, for `ports`, the Landlock port rules: allowed ports
 * minus denied ones, per operation. A right whose allowed set is every port is left unhandled
 * (Landlock then does not restrict it), which is exact.
 */
export function planNet(rules: readonly IrNetRule[], fidelity: FidelityEntry[]): { mode: NetMode; net: LandlockPlan['net'] } {
  if (rules.length === 0) return { mode: 'none', net: null };
  // Only denies: nothing is allowed, which no network at all enforces exactly.
  if (!rules.some((r) => r.effect === 'allow')) {
    for (const r of rules) fidelity.push({ rule: r.id, fidelity: 'exact', note: 'no net rule allows anything: the sandbox gets its own network namespace with loopback only' });
    return { mode: 'none', net: null };
  }
  const portsOnly = rules.every((r) => r.operation !== 'resolve' && r.targets.every((t) => t.host.kind === 'any') && r.except.every((t) => t.host.kind === 'any'));
  const udpAllowed = rules.some((r) => r.effect === 'allow' && r.protocols.includes('udp'));
  const sets: Record<'connect' | 'bind', Uint8Array> = { connect: new Uint8Array(65536), bind: new Uint8Array(65536) };
  if (portsOnly && !udpAllowed) {
    // A rule matches port p iff a target covers p and no except does; deny wins.
    const matches = (r: IrNetRule): Uint8Array => {
      const m = new Uint8Array(65536);
      for (const t of r.targets) for (const range of t.ports) m.fill(1, range.from, range.to + 1);
      for (const t of r.except) for (const range of t.ports) m.fill(0, range.from, range.to + 1);
      return m;
    };
    for (const op of ['connect', 'bind'] as const) {
      const tcp = rules.filter((r) => r.operation === op && r.protocols.includes('tcp'));
      const allowed = new Uint8Array(65536);
      for (const r of tcp.filter((x) => x.effect === 'allow')) matches(r).forEach((v, p) => (allowed[p] = allowed[p]! | v));
      for (const r of tcp.filter((x) => x.effect === 'deny')) matches(r).forEach((v, p) => (allowed[p] = v ? 0 : allowed[p]!));
      sets[op] = allowed;
    }
    const counts = { connect: sets.connect.reduce((n, v) => n + v, 0), bind: sets.bind.reduce((n, v) => n + v, 0) };
    const fits = (Object.keys(counts) as ('connect' | 'bind')[]).every((k) => counts[k] === 65536 || counts[k] <= MAX_LANDLOCK_PORT_RULES);
    if (fits) {
      const handled: LandlockNetRight[] = [];
      if (counts.bind < 65536) handled.push('bind_tcp');
      if (counts.connect < 65536) handled.push('connect_tcp');
      const ports: { port: number; rights: LandlockNetRight[] }[] = [];
      for (let p = 0; p < 65536; p++) {
        const rights: LandlockNetRight[] = [];
        if (handled.includes('bind_tcp') && sets.bind[p]) rights.push('bind_tcp');
        if (handled.includes('connect_tcp') && sets.connect[p]) rights.push('connect_tcp');
        if (rights.length) ports.push({ port: p, rights });
      }
      for (const r of rules) fidelity.push({ rule: r.id, fidelity: 'exact', note: 'Landlock TCP port rules (connect and bind); the seccomp filter refuses what Landlock does not check: UDP, raw and other IP sockets but TCP ones (MPTCP, SCTP), TCP Fast Open sends and io_uring. Not covered: listen(2) on a socket never bound picks an ephemeral port without bind(2), which Landlock does not check, so such a listener accepts connections from the host network' });
      return { mode: 'ports', net: { handled, ports } };
    }
  }
  for (const r of rules) {
    const note = r.operation === 'bind' ? 'enforced in the sandbox network namespace: bound ports are reachable only from inside it' : 'enforced by the egress proxy in the sandbox network namespace';
    fidelity.push({ rule: r.id, fidelity: r.operation === 'bind' && r.effect === 'allow' ? 'stricter' : 'exact', note });
  }
  return { mode: 'proxy', net: null };
}

export type { IrFsRule };
