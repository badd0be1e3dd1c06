/**
 * Path atoms: the regions of the path space that a set of globs induces. Two paths are in the
 * same atom iff every glob matches both or neither; each atom has a witness path with the
 * fewest segments. Computed in two levels so the solver later works over a small finite domain
 * instead of string theory:
 *
 * 1. Segment classes. Every distinct segment pattern of the globs (`usr`, `*.pth`, `id_*`, …) is
 *    a small automaton over characters; exploring their product over a finite alphabet of
 *    representative characters (one per class of characters no pattern can tell apart) yields
 *    the classes of segment names that no segment pattern can tell apart, each with a shortest
 *    name.
 * 2. Paths. Each glob is an automaton over segment classes (`**` loops on any class); exploring
 *    the product of the globs' automata from the root, a directory level at a time, yields the
 *    atoms. Working per segment instead of per character keeps the product to one state per
 *    distinct directory context (measured: 30,000 character-level states → a few hundred).
 *
 * Path params are symbolic: `${p}` stands for a directory whose name is a character no glob
 * mentions, placed at the root, or under the first `under` constraint's directory. That models
 * "any directory disjoint from the policy's literal prefixes, within its constraints".
 */
import { diagnostic, DiagnosticError } from '../compiler/diagnostics/diagnostic.js';
import { parseGlob, segmentRegex, type CharPredicate, type Segment } from '../compiler/glob.js';
import type { IrParam, PolicyIR } from '../compiler/ir.js';
import { formatPath } from '../compiler/request.js';

export interface Atom {
  /** Index of each glob that matches this atom's paths. */
  matches: number[];
  /** A shortest path in the atom, with param roots in their symbolic form. */
  witness: string;
}

export interface AtomSet {
  patterns: string[];
  atoms: Atom[];
  /** The symbolic directory standing for each path param. */
  paramRoots: Record<string, string>;
}

/** Private-use characters stand for param directories: no policy glob mentions them. */
const PARAM_BASE = 0xf0000;

/**
 * The directory each path param stands for: its value when one was given (`--param`), else a
 * directory of its own, named by a private-use character (below its first `under` path, if any),
 * which no path the policy names literally can equal or contain: the first of the placements
 * the verifier proves a param at (paramPlacements), which set the params' values. Values that
 * overlap the policy's literal paths are not covered (`ws=/etc` under `assert never write
 * "/etc/passwd"`): docs/language.md, Assertions.
 */
export function paramRoots(params: readonly IrParam[]): Record<string, string> {
  const out: Record<string, string> = {};
  params.filter((p) => p.type === 'path').forEach((p, i) => {
    if (p.value !== undefined) {
      out[p.name] = p.value;
      return;
    }
    const under = p.constraints.find((c) => c.kind === 'under');
    const parent = under && under.kind === 'under' ? under.paths[0]! : '';
    out[p.name] = `${parent === '/' ? '' : parent}/${String.fromCodePoint(PARAM_BASE + i)}`;
  });
  return out;
}

const isSymbolic = (root: string): boolean => [...root].some((ch) => ch.codePointAt(0)! >= PARAM_BASE);

/** At most this many places per path param (all its `under` paths together), and this many combinations in all. */
export const MAX_PLACES = 8;
export const MAX_PLACEMENTS = 16;

/**
 * Where the path params without a value are proved: each combination is a set of values for
 * them (the IR's params with those values are verified one after the other, and a property holds
 * only if it holds at every placement). The first is a directory of its own, one level below
 * the first `under` path (paramRoots's, unless the policy writes private-use characters). A pattern of the policy that is not rooted at a param can
 * tell places apart: a pattern `/*` + `/secret` matches a child of `/a` but not of `/a/b`,
 * `/?/**` a one-letter directory only, and a param may be under any of its `under` paths. So for each
 * param, below each of its `under` paths (or `/`), every distinct way those patterns see a
 * directory of names they do not mention (any depth; names of each length their `?` and classes
 * count) gets a placement, found by exploring the patterns' automata one directory level at a
 * time. Names are private-use characters no pattern of the policy contains, so they stand for
 * names made of characters the patterns never write (in a literal or a class): a name a class
 * tells apart (`[a-z]*` and `srv`) is not covered (docs/language.md, Assertions).
 * Throws MXC2005 when there are more than MAX_PLACES or MAX_PLACEMENTS.
 */
export function paramPlacements(params: readonly IrParam[], patterns: readonly string[]): Record<string, string>[] {
  const path = params.filter((p) => p.type === 'path');
  const symbolic = path.filter((p) => p.value === undefined);
  if (symbolic.length === 0) return [{}];
  // Fresh characters: above every private-use character a pattern, a given value or an `under`
  // path mentions.
  let base = PARAM_BASE;
  const texts = [...patterns, ...path.flatMap((p) => [p.value ?? '', ...p.constraints.flatMap((c) => ('paths' in c ? (c.paths as string[]) : []))])];
  for (const t of texts) for (const ch of t) if (ch.codePointAt(0)! >= base) base = ch.codePointAt(0)! + 1;
  if (base + path.length > 0x10ffff) base = PARAM_BASE; // cannot happen with text a policy can hold
  // The patterns that see where a param is: those not rooted at a param, and those rooted at a
  // param with a value (at its place, as literal directories).
  const valued = new Map(path.filter((p) => p.value !== undefined).map((p) => [p.name, p.value!]));
  const literalDirs = (dir: string): Segment[] =>
    dir.split('/').filter((x) => x !== '').map((name) => ({ kind: 'seg', atoms: [...name].map((ch): CharPredicate => ({ kind: 'lit', ch })) }));
  const globs = patterns.flatMap((p) => {
    const g = parseGlob(p);
    if (g.root === undefined) return [g.segments];
    const value = valued.get(g.root);
    return value === undefined ? [] : [[...literalDirs(value), ...g.segments]];
  });
  const matchers = globs.map((g) => g.map((seg) => (seg.kind === 'seg' ? segmentRegex(seg.atoms) : undefined)));
  const close = (gi: number, set: Set<number>): Set<number> => {
    const segs = globs[gi]!;
    for (const i of [...set]) for (let k = i; k < segs.length && segs[k]!.kind === 'globstar'; k++) set.add(k + 1);
    return set;
  };
  const step = (tuple: readonly Set<number>[], name: string): Set<number>[] =>
    tuple.map((set, gi) => {
      const segs = globs[gi]!;
      const next = new Set<number>();
      for (const i of set) {
        if (i >= segs.length) continue;
        if (segs[i]!.kind === 'globstar') next.add(i);
        else if (matchers[gi]![i]!.test(name)) next.add(i + 1);
      }
      return close(gi, next);
    });
  const keyOf = (tuple: readonly Set<number>[]): string => tuple.map((set) => [...set].sort((a, b) => a - b).join(',')).join('|');
  // Name lengths that `?` and classes can tell apart: up to one more than the most single-character
  // atoms of any segment pattern with a wildcard.
  let longest = 0;
  for (const g of globs) for (const seg of g) if (seg.kind === 'seg' && seg.atoms.some((a) => a.kind !== 'lit')) longest = Math.max(longest, seg.atoms.filter((a) => a.kind !== 'star').length);
  const places = new Map<string, string[]>();
  path.forEach((p, i) => {
    if (p.value !== undefined) return;
    const fresh = String.fromCodePoint(base + i);
    const names = [...Array(longest + 1).keys()].map((n) => fresh.repeat(n + 1));
    const under = p.constraints.find((c) => c.kind === 'under');
    const parents = under && under.kind === 'under' ? under.paths : ['/'];
    const out: string[] = [];
    for (const parent of parents) {
      const prefix = parent === '/' ? '' : parent;
      let start = globs.map((_, gi) => close(gi, new Set([0])));
      for (const seg of prefix.split('/').filter((x) => x !== '')) start = step(start, seg);
      // Breadth first: the first directory found for each way the patterns see it is a shallowest.
      const seen = new Set<string>();
      const queue: { tuple: Set<number>[]; dir: string }[] = names.map((n) => ({ tuple: step(start, n), dir: `${prefix}/${n}` }));
      for (let head = 0; head < queue.length; head++) {
        const { tuple, dir } = queue[head]!;
        const key = keyOf(tuple);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(dir);
        if (out.length > MAX_PLACES) tooManyPlacements(`\${${p.name}} has more than ${MAX_PLACES} places the policy's patterns tell apart`);
        for (const n of names) queue.push({ tuple: step(tuple, n), dir: `${dir}/${n}` });
      }
    }
    places.set(p.name, out);
  });
  let combos: Record<string, string>[] = [{}];
  for (const p of symbolic) {
    combos = combos.flatMap((c) => places.get(p.name)!.map((dir) => ({ ...c, [p.name]: dir })));
    if (combos.length > MAX_PLACEMENTS) tooManyPlacements(`the path params have more than ${MAX_PLACEMENTS} placements the policy's patterns tell apart`);
  }
  return combos;
}

/**
 * A placement in words, for counterexamples found away from the first one: each param's
 * directory with the names no pattern mentions shown as `<dir>` (with their length when `?` or
 * classes made it count).
 */
export function describePlacement(at: Readonly<Record<string, string>>): string {
  const parts = Object.entries(at).map(([name, dir]) => {
    const shown = dir
      .split('/')
      .map((seg) => (seg !== '' && isSymbolic(seg) ? ([...seg].length > 1 ? `<dir of ${[...seg].length} characters>` : '<dir>') : seg))
      .join('/');
    return `\${${name}} = ${shown}`;
  });
  return parts.length ? ` (with ${parts.join(', ')}, where <dir> is a directory the policy does not name)` : '';
}

/** The fs patterns of a policy: its rules' paths and excepts, and its fs assertions' paths. */
export function fsPatterns(ir: PolicyIR): string[] {
  return [...ir.fs.rules.flatMap((r) => [...r.paths, ...r.except]), ...ir.assertions.flatMap((a) => (a.request.kind === 'fs' ? a.request.paths : []))];
}

/** The policy with its path params at one placement (values set; the others unchanged). */
export function placed(ir: PolicyIR, at: Readonly<Record<string, string>>): PolicyIR {
  if (Object.keys(at).length === 0) return ir;
  return { ...ir, params: ir.params.map((p) => (at[p.name] !== undefined ? { ...p, value: at[p.name] } : p)) };
}

function tooManyPlacements(what: string): never {
  throw new DiagnosticError(diagnostic('MXC2005', `the path space is too complex to verify: ${what}`, {
    help: 'pass the values the proof is for (--param name=value), or narrow the patterns with * or ? near the param to directories they are meant for',
  }));
}

/**
 * A witness for display: a symbolic param root replaced by `${name}` (a given value stays as it
 * is), quoted with its unseen characters escaped when it has any (formatPath).
 */
export function displayPath(path: string, roots: Readonly<Record<string, string>>): string {
  for (const [name, root] of Object.entries(roots)) {
    if (isSymbolic(root) && (path === root || path.startsWith(root + '/'))) return formatPath('${' + name + '}' + path.slice(root.length));
  }
  return formatPath(path);
}

// ---------------------------------------------------------------------------
// Level 1: segment patterns as automata over characters.

type CharItem = { kind: 'char'; pred: CharPredicate } | { kind: 'star' };

function predicateHolds(p: CharPredicate, ch: string): boolean {
  if (ch === '/') return false;
  if (p.kind === 'any') return true;
  if (p.kind === 'lit') return p.ch === ch;
  const cp = ch.codePointAt(0)!;
  const inRanges = p.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
  return p.negated ? !inRanges : inRanges;
}

/** A deterministic automaton built on demand; states are small integers, symbols integers too. */
class LazyDfa {
  private readonly ids = new Map<string, number>();
  private readonly sets: number[][] = [];
  private readonly next: Int32Array[] = [];
  readonly accepting: boolean[] = [];
  readonly dead: number;
  readonly start: number;

  constructor(
    private readonly symbols: number,
    private readonly close: (set: Set<number>) => Set<number>,
    private readonly move: (set: readonly number[], symbol: number) => Set<number>,
    private readonly accepts: (set: ReadonlySet<number>) => boolean,
    start: Set<number>,
  ) {
    this.dead = this.id(new Set());
    this.start = this.id(close(start));
  }

  private id(set: Set<number>): number {
    const sorted = [...set].sort((a, b) => a - b);
    const key = sorted.join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.ids.set(key, id);
      this.sets.push(sorted);
      this.next.push(new Int32Array(this.symbols).fill(-1));
      this.accepting.push(this.accepts(set));
    }
    return id;
  }

  /** The automaton positions a state stands for. */
  positions(state: number): readonly number[] {
    return this.sets[state]!;
  }

  step(state: number, symbol: number): number {
    if (state === this.dead) return state;
    const row = this.next[state]!;
    let to = row[symbol]!;
    if (to < 0) {
      to = this.id(this.close(this.move(this.sets[state]!, symbol)));
      row[symbol] = to;
    }
    return to;
  }
}

/** A segment pattern over the alphabet `sigma`: position i = atoms[0..i) consumed. */
function segmentDfa(items: readonly CharItem[], sigma: readonly string[]): LazyDfa {
  const n = items.length;
  const close = (states: Set<number>): Set<number> => {
    const out = new Set(states);
    // `*` may match the empty run: skip over consecutive stars.
    for (const s of states) for (let i = s; i < n && items[i]!.kind === 'star'; i++) out.add(i + 1);
    return out;
  };
  const move = (states: readonly number[], symbol: number): Set<number> => {
    const ch = sigma[symbol]!;
    const next = new Set<number>();
    for (const s of states) {
      const it = items[s];
      if (!it) continue;
      if (it.kind === 'star') next.add(s); // stay in the run
      else if (predicateHolds(it.pred, ch)) next.add(s + 1);
    }
    return next;
  };
  return new LazyDfa(sigma.length, close, move, (set) => set.has(n), new Set([0]));
}

/** One representative character per class of characters that no predicate of the patterns distinguishes. */
function alphabet(segments: readonly (readonly CharItem[])[]): string[] {
  const points = new Set<number>();
  const cuts = new Set<number>();
  for (const items of segments) {
    for (const it of items) {
      if (it.kind !== 'char') continue;
      const pr = it.pred;
      if (pr.kind === 'lit') points.add(pr.ch.codePointAt(0)!);
      if (pr.kind === 'class') for (const [lo, hi] of pr.ranges) {
        cuts.add(lo);
        cuts.add(hi + 1);
      }
    }
  }
  points.delete(0x2f);
  const reps = new Set<number>(points);
  // Class boundaries split the code point line from U+0001 (a file name holds any character but
  // NUL and `/`) into intervals; one representative each. It is the interval's first character
  // from `!` on, so witnesses stay printable, else its highest below `!` (a space when it can be):
  // space, tab and control characters are explored whenever a class tells them apart.
  const bounds = [...new Set([...cuts, 0x01, 0x110000])].filter((c) => c >= 0x01 && c <= 0x110000).sort((a, b) => a - b);
  const usable = (c: number) => c !== 0x2f && !(c >= 0xd800 && c <= 0xdfff) && !points.has(c);
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lo = bounds[i]!;
    const hi = bounds[i + 1]!;
    let rep: number | undefined;
    for (let c = Math.max(lo, 0x21); c < hi && rep === undefined; c++) if (usable(c)) rep = c;
    for (let c = Math.min(hi, 0x21) - 1; c >= lo && rep === undefined; c--) if (usable(c)) rep = c;
    if (rep !== undefined) reps.add(rep);
  }
  // A plain letter no pattern names, so witnesses stay readable.
  for (const c of 'xyzqwjk') if (!points.has(c.codePointAt(0)!)) {
    reps.add(c.codePointAt(0)!);
    break;
  }
  return [...reps].sort((a, b) => a - b).map((c) => String.fromCodePoint(c));
}

export const MAX_PRODUCT_STATES = 200_000;

function tooComplex(): never {
  throw new DiagnosticError(diagnostic('MXC2005', `the path space is too complex to verify: more than ${MAX_PRODUCT_STATES} automaton states`, {
    help: 'split patterns that combine several `**` and `*` runs into simpler rules, or narrow a leading `**` to the directories it is meant for (/home/** rather than /**)',
  }));
}

/**
 * A compact, exact key for a list of small non-negative integers: one UTF-16 unit per number
 * below 0xfff0, else 0xffff and two units (a prefix-free code), then an optional tag unit
 * 0xfff0..0xfffe that no code word starts with.
 */
let keyBuffer = new Uint16Array(256);
function compactKey(live: readonly number[], length: number, tag = -1): string {
  if (keyBuffer.length < 3 * length + 1) keyBuffer = new Uint16Array(3 * length + 1);
  let n = 0;
  for (let j = 0; j < length; j++) {
    const v = live[j]!;
    if (v < 0xfff0) keyBuffer[n++] = v;
    else {
      keyBuffer[n++] = 0xffff;
      keyBuffer[n++] = v >>> 16;
      keyBuffer[n++] = v & 0xffff;
    }
  }
  if (tag >= 0) keyBuffer[n++] = 0xfff0 + tag;
  let out = '';
  for (let k = 0; k < n; k += 4096) out += String.fromCharCode.apply(null, keyBuffer.subarray(k, Math.min(n, k + 4096)) as unknown as number[]);
  return out;
}

interface SegmentClasses {
  /** A shortest segment name of each class. */
  witness: string[];
  /** For each class, the segment patterns (by index) its names match. */
  matches: Uint8Array[];
}

/**
 * The literal segment patterns (`usr`, `.ssh`: most of a policy's) as one trie over the alphabet:
 * node 0 is the empty name, `next[node * sigma + c]` the node after one more character (-1: no
 * literal continues so), `ends[node]` the literal that is exactly that name (-1: none).
 */
interface LiteralTrie {
  next: Int32Array;
  ends: Int32Array;
}

function literalTrie(patterns: readonly (readonly CharItem[])[], literal: readonly boolean[], sigma: readonly string[]): LiteralTrie {
  const symbol = new Map(sigma.map((ch, i) => [ch, i]));
  let size = 1;
  for (let i = 0; i < patterns.length; i++) if (literal[i]) size += patterns[i]!.length;
  const next = new Int32Array(size * sigma.length).fill(-1);
  const ends = new Int32Array(size).fill(-1);
  let nodes = 1;
  patterns.forEach((items, i) => {
    if (!literal[i]) return;
    let node = 0;
    for (const it of items) {
      const c = symbol.get((it as { pred: { ch: string } }).pred.ch)!;
      let to = next[node * sigma.length + c]!;
      if (to < 0) next[node * sigma.length + c] = to = nodes++;
      node = to;
    }
    ends[node] = i; // segment patterns are distinct: one literal per name
  });
  return { next, ends };
}

/**
 * The classes of segment names: names are in the same class iff every segment pattern matches
 * both or neither. Found by breadth-first search of the patterns' product automaton from the
 * empty name; `.` and `..` are not names (a normalized path has no such segment). The literal
 * patterns take part as one trie (a product state holds its node where it held each live
 * literal's position: the same states, found in the same order), the others as automata.
 */
function segmentClasses(patterns: readonly (readonly CharItem[])[]): SegmentClasses {
  const sigma = alphabet(patterns);
  const literal = patterns.map((items) => items.every((it) => it.kind === 'char' && it.pred.kind === 'lit'));
  const trie = literalTrie(patterns, literal, sigma);
  const dfas = patterns.map((items, i) => (literal[i] ? undefined : segmentDfa(items, sigma)));
  // live: the trie node first, under the index TRIE (absent once no literal continues the name),
  // then each live automaton: pattern index, DFA state, pairwise.
  const TRIE = patterns.length;
  type State = { live: number[]; name: string };
  // The empty name, `.` and `..` are kept apart from names with the same future, so every class
  // still gets a proper name as witness.
  const tagOf = (name: string): number => (name === '' ? 0 : name === '.' ? 1 : name === '..' ? 2 : -1);
  const start: State = { live: [TRIE, 0, ...dfas.flatMap((d, i) => (!d || d.start === d.dead ? [] : [i, d.start]))], name: '' };
  const seen = new Set<string>([compactKey(start.live, start.live.length, tagOf(''))]);
  const scratch: number[] = [];
  const queue: State[] = [start];
  const bySignature = new Map<string, number>();
  const out: SegmentClasses = { witness: [], matches: [] };
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!;
    const first = s.live[0] === TRIE ? 2 : 0;
    if (s.name !== '' && s.name !== '.' && s.name !== '..') {
      // The patterns matching the name, in index order: the accepting automata and the literal
      // that is the name, if any.
      const sig: number[] = [];
      let lit = first ? trie.ends[s.live[1]!]! : -1;
      for (let k = first; k < s.live.length; k += 2) {
        const i = s.live[k]!;
        if (!dfas[i]!.accepting[s.live[k + 1]!]) continue;
        if (lit >= 0 && lit < i) sig.push(lit), (lit = -1);
        sig.push(i);
      }
      if (lit >= 0) sig.push(lit);
      const key = sig.join(',');
      if (!bySignature.has(key)) {
        bySignature.set(key, out.witness.length);
        const m = new Uint8Array(patterns.length);
        for (const i of sig) m[i] = 1;
        out.witness.push(s.name);
        out.matches.push(m);
      }
    }
    for (let c = 0; c < sigma.length; c++) {
      let n = 0;
      if (first) {
        const to = trie.next[s.live[1]! * sigma.length + c]!;
        if (to >= 0) {
          scratch[n++] = TRIE;
          scratch[n++] = to;
        }
      }
      for (let k = first; k < s.live.length; k += 2) {
        const d = dfas[s.live[k]!]!;
        const to = d.step(s.live[k + 1]!, c);
        if (to !== d.dead) {
          scratch[n++] = s.live[k]!;
          scratch[n++] = to;
        }
      }
      // Only `.` and `..` among the successors' names are special (none is empty).
      const tag = sigma[c] === '.' && (s.name === '' || s.name === '.') ? tagOf(s.name + '.') : -1;
      const key = compactKey(scratch, n, tag);
      if (seen.has(key)) continue;
      seen.add(key);
      if (seen.size > MAX_PRODUCT_STATES) tooComplex();
      queue.push({ live: scratch.slice(0, n), name: s.name + sigma[c]! });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Level 2: globs as automata over segment classes.

type PathItem = { kind: 'seg'; pattern: number } | { kind: 'globstar' };

function globDfa(items: readonly PathItem[], classes: SegmentClasses): LazyDfa {
  const n = items.length;
  const close = (states: Set<number>): Set<number> => {
    const out = new Set(states);
    // `**` may match no segment at all.
    for (const s of states) for (let i = s; i < n && items[i]!.kind === 'globstar'; i++) out.add(i + 1);
    return out;
  };
  const move = (states: readonly number[], cls: number): Set<number> => {
    const m = classes.matches[cls]!;
    const next = new Set<number>();
    for (const s of states) {
      const it = items[s];
      if (!it) continue;
      if (it.kind === 'globstar') next.add(s); // one more segment
      else if (m[it.pattern]) next.add(s + 1);
    }
    return next;
  };
  return new LazyDfa(classes.witness.length, close, move, (set) => set.has(n), new Set([0]));
}

/**
 * The atoms of a set of normalized globs (param-rooted ones included), by breadth-first search
 * of the product automaton from the root, a segment at a time. Witnesses have the fewest
 * segments. With `focus`, only paths that one of those globs can still match are explored, so
 * the atoms cover exactly the region of those globs (what one assertion is about). With
 * `absorbing`, paths below a match of one of those `X/**` globs are not explored: the caller
 * knows nothing there can matter (e.g. a region hidden for every right), and the atoms cover
 * the rest exactly.
 */
export function computeAtoms(patterns: readonly string[], params: readonly IrParam[], focus?: readonly number[], absorbing?: readonly number[]): AtomSet {
  const roots = paramRoots(params);
  // Every distinct segment pattern, once.
  const segIndex = new Map<string, number>();
  const segItems: CharItem[][] = [];
  const segmentOf = (items: CharItem[]): number => {
    const key = JSON.stringify(items);
    let i = segIndex.get(key);
    if (i === undefined) {
      i = segItems.length;
      segIndex.set(key, i);
      segItems.push(items);
    }
    return i;
  };
  const globs: PathItem[][] = patterns.map((p) => {
    const g = parseGlob(p);
    const items: PathItem[] = [];
    if (g.root !== undefined) {
      const root = roots[g.root];
      if (root === undefined) throw new Error(`internal: no symbolic root for \${${g.root}}`);
      for (const name of root.split('/').filter((x) => x !== '')) {
        items.push({ kind: 'seg', pattern: segmentOf([...name].map((ch): CharItem => ({ kind: 'char', pred: { kind: 'lit', ch } }))) });
      }
    }
    for (const s of g.segments as Segment[]) {
      if (s.kind === 'globstar') items.push({ kind: 'globstar' });
      else items.push({ kind: 'seg', pattern: segmentOf(s.atoms.map((a): CharItem => (a.kind === 'star' ? { kind: 'star' } : { kind: 'char', pred: a }))) });
    }
    return items;
  });
  const classes = segmentClasses(segItems);
  const dfas = globs.map((items) => globDfa(items, classes));
  const focusSet = focus ? new Uint8Array(patterns.length) : undefined;
  for (const i of focus ?? []) focusSet![i] = 1;

  // A state lists only the live automata (glob index, DFA state, pairwise): most globs are dead
  // on most paths. `parent`/`cls` rebuild the witness path.
  type State = { live: number[]; parent: number; cls: number };
  const keyOf = (live: readonly number[], length = live.length): string => compactKey(live, length);
  const start: State = { live: dfas.flatMap((d, i) => (d.start === d.dead ? [] : [i, d.start])), parent: -1, cls: -1 };
  const seen = new Set<string>([keyOf(start.live)]);
  const queue: State[] = [start];
  const atoms = new Map<string, number>(); // signature → queue index of its first state
  const pathOf = (q: number): string => {
    const names: string[] = [];
    for (let s = queue[q]!; s.parent >= 0; s = queue[s.parent]!) names.push(classes.witness[s.cls]!);
    return '/' + names.reverse().join('/');
  };
  // Which classes each segment pattern matches, and for each (glob, DFA state) the segment
  // patterns its positions expect next: in a product state, classes that agree on those
  // patterns lead to the same successor, so one representative (the first, with the shortest
  // name) stands for all of them.
  const classesOf: number[][] = segItems.map(() => []);
  classes.matches.forEach((m, c) => m.forEach((hit, p) => hit && classesOf[p]!.push(c)));
  const expected = dfas.map(() => new Map<number, number[]>());
  const expectedAt = (i: number, state: number): number[] => {
    let out = expected[i]!.get(state);
    if (!out) {
      const items = globs[i]!;
      out = [...new Set(dfas[i]!.positions(state).flatMap((pos) => (items[pos]?.kind === 'seg' ? [(items[pos] as { pattern: number }).pattern] : [])))];
      expected[i]!.set(state, out);
    }
    return out;
  };
  const nClasses = classes.witness.length;
  // An absorbing glob whose state is inside its trailing `**` matches everything below.
  const absorbingSet = new Set(absorbing ?? []);
  const absorbed = (live: readonly number[]): boolean => {
    for (let k = 0; k < live.length; k += 2) {
      const i = live[k]!;
      if (!absorbingSet.has(i)) continue;
      const items = globs[i]!;
      if (items[items.length - 1]?.kind === 'globstar' && dfas[i]!.positions(live[k + 1]!).includes(items.length - 1)) return true;
    }
    return false;
  };
  // Per state, classes are grouped by which of the segment patterns the live automata expect
  // next they match (partition refinement, one pattern at a time); classes no such pattern
  // matches stay in group 0. `stamp[c] === head` marks a class moved out of group 0 in this state.
  const stamp = new Int32Array(nClasses).fill(-1);
  const group = new Int32Array(nClasses);
  let incidences = 1;
  for (const cs of classesOf) incidences += cs.length;
  const splitTo = new Int32Array(incidences);
  const splitStamp = new Int32Array(incidences).fill(-1);
  const groupSeen = new Int32Array(incidences).fill(-1);
  let tick = 0;
  const patternStamp = new Int32Array(segItems.length).fill(-1);
  const scratch: number[] = [];
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!;
    const matches: number[] = [];
    let inFocus = !focusSet;
    const relevant: number[] = [];
    for (let k = 0; k < s.live.length; k += 2) {
      const i = s.live[k]!;
      if (dfas[i]!.accepting[s.live[k + 1]!]) {
        matches.push(i);
        if (focusSet?.[i]) inFocus = true;
      }
      for (const p of expectedAt(i, s.live[k + 1]!)) {
        if (patternStamp[p] === head) continue;
        patternStamp[p] = head;
        relevant.push(p);
      }
    }
    if (inFocus) {
      const sig = matches.join(',');
      if (!atoms.has(sig)) atoms.set(sig, head);
    }
    if (absorbed(s.live)) continue;
    let groups = 1;
    for (const p of relevant) {
      if (classesOf[p]!.length === nClasses) continue; // matches every class: splits nothing
      tick++;
      for (const c of classesOf[p]!) {
        const g = stamp[c] === head ? group[c]! : 0;
        stamp[c] = head;
        if (splitStamp[g] !== tick) {
          splitStamp[g] = tick;
          splitTo[g] = groups++;
        }
        group[c] = splitTo[g]!;
      }
    }
    // One representative per group: its first class (shortest name), in class order.
    for (let c = 0; c < nClasses; c++) {
      const g = stamp[c] === head ? group[c]! : 0;
      if (groupSeen[g] === head) continue;
      groupSeen[g] = head;
      let n = 0;
      let focusLive = !focusSet;
      for (let k = 0; k < s.live.length; k += 2) {
        const i = s.live[k]!;
        const d = dfas[i]!;
        const to = d.step(s.live[k + 1]!, c);
        if (to !== d.dead) {
          scratch[n++] = i;
          scratch[n++] = to;
          if (focusSet?.[i]) focusLive = true;
        }
      }
      if (!focusLive) continue;
      const key = keyOf(scratch, n);
      if (seen.has(key)) continue;
      seen.add(key);
      if (seen.size > MAX_PRODUCT_STATES) tooComplex();
      queue.push({ live: scratch.slice(0, n), parent: head, cls: c });
    }
  }
  const list: Atom[] = [...atoms].map(([sig, q]) => ({ matches: sig === '' ? [] : sig.split(',').map(Number), witness: pathOf(q) }));
  list.sort((a, b) => a.witness.length - b.witness.length || (a.witness < b.witness ? -1 : a.witness > b.witness ? 1 : 0));
  return { patterns: [...patterns], atoms: list, paramRoots: roots };
}
