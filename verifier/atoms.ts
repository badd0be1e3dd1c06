/**
 * Path atoms: the regions of the path space that a set of globs induces. Two paths are in the
 * same atom iff every glob matches both or neither; each atom has a shortest witness path.
 * Computed by exploring the product of the globs' automata over a finite alphabet of
 * representative characters (one per class of characters the globs cannot tell apart), so the
 * solver later works over a small finite domain instead of string theory.
 *
 * Path params are symbolic: `${p}` stands for a directory whose name is a character no glob
 * mentions, placed at the root, or under the first `under` constraint's directory. That models
 * "any directory disjoint from the policy's literal prefixes, within its constraints".
 */
import { parseGlob, type CharPredicate, type Segment } from '../compiler/glob.js';
import type { IrParam } from '../compiler/ir.js';

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

export function paramRoots(params: readonly IrParam[]): Record<string, string> {
  const out: Record<string, string> = {};
  params.filter((p) => p.type === 'path').forEach((p, i) => {
    const under = p.constraints.find((c) => c.kind === 'under');
    const parent = under && under.kind === 'under' ? under.paths[0]! : '';
    out[p.name] = `${parent === '/' ? '' : parent}/${String.fromCodePoint(PARAM_BASE + i)}`;
  });
  return out;
}

/** Replace a symbolic param root in a witness by `${name}` for display. */
export function displayPath(path: string, roots: Readonly<Record<string, string>>): string {
  for (const [name, root] of Object.entries(roots)) {
    if (path === root || path.startsWith(root + '/')) return '${' + name + '}' + path.slice(root.length);
  }
  return path;
}

// ---------------------------------------------------------------------------
// A glob as an NFA over characters. States are positions; `/` separates segments.

interface Nfa {
  /** Transitions on a character from a state; epsilon moves are folded in by `close`. */
  step(states: ReadonlySet<number>, ch: string): Set<number>;
  start: Set<number>;
  accepting(states: ReadonlySet<number>): boolean;
}

type Item = { kind: 'slash' } | { kind: 'globstar' } | { kind: 'char'; pred: CharPredicate } | { kind: 'star' };

function predicateHolds(p: CharPredicate, ch: string): boolean {
  if (ch === '/') return false;
  if (p.kind === 'any') return true;
  if (p.kind === 'lit') return p.ch === ch;
  const cp = ch.codePointAt(0)!;
  const inRanges = p.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
  return p.negated ? !inRanges : inRanges;
}

/**
 * Items of a normalized glob rooted at `prefix` (a literal path for the param root, or '').
 * Matching is on the path text with the root written as '' (so `/**` matches `/` as '').
 */
function itemsOf(pattern: string, roots: Readonly<Record<string, string>>): Item[] {
  const g = parseGlob(pattern);
  const items: Item[] = [];
  if (g.root !== undefined) {
    const root = roots[g.root];
    if (root === undefined) throw new Error(`internal: no symbolic root for \${${g.root}}`);
    for (const ch of root) items.push(ch === '/' ? { kind: 'slash' } : { kind: 'char', pred: { kind: 'lit', ch } });
  }
  for (const s of g.segments as Segment[]) {
    if (s.kind === 'globstar') {
      items.push({ kind: 'globstar' });
      continue;
    }
    items.push({ kind: 'slash' });
    for (const a of s.atoms) items.push(a.kind === 'star' ? { kind: 'star' } : { kind: 'char', pred: a });
  }
  return items;
}

/**
 * NFA for the item list. Position i means "items[0..i) consumed". A globstar at i matches
 * `(/[^/]+)*`: states (i, 'gs-start') loop through (i, 'gs-in'). Encoded as numbers:
 * position*3 + sub, sub 0 = at item boundary, 1 = inside a globstar segment (after '/', ≥0 chars),
 * 2 = inside a globstar segment with ≥ 1 char.
 */
function buildNfa(items: Item[]): Nfa {
  const n = items.length;
  const close = (states: Set<number>): Set<number> => {
    const out = new Set(states);
    const stack = [...states];
    while (stack.length) {
      const s = stack.pop()!;
      const pos = Math.floor(s / 3);
      const sub = s % 3;
      const it = items[pos];
      const add = (x: number): void => {
        if (!out.has(x)) {
          out.add(x);
          stack.push(x);
        }
      };
      if (sub === 0 && it?.kind === 'globstar') add((pos + 1) * 3); // zero segments
      if (sub === 2) {
        // a finished globstar segment may end here
        add((pos + 1) * 3);
        add(pos * 3); // or start another segment
      }
      if (sub === 0 && it?.kind === 'star') add((pos + 1) * 3); // empty run
    }
    return out;
  };
  const start = close(new Set([0]));
  return {
    start,
    accepting: (states) => states.has(n * 3),
    step(states, ch) {
      const next = new Set<number>();
      for (const s of states) {
        const pos = Math.floor(s / 3);
        const sub = s % 3;
        const it = items[pos];
        if (!it) continue;
        if (it.kind === 'globstar') {
          if (sub === 0 && ch === '/') next.add(pos * 3 + 1);
          else if ((sub === 1 || sub === 2) && ch !== '/') next.add(pos * 3 + 2);
          continue;
        }
        if (sub !== 0) continue;
        if (it.kind === 'slash' && ch === '/') next.add((pos + 1) * 3);
        else if (it.kind === 'char' && predicateHolds(it.pred, ch)) next.add((pos + 1) * 3);
        else if (it.kind === 'star' && ch !== '/') next.add(pos * 3); // stay in the run
      }
      return close(next);
    },
  };
}

/** One representative character per class of characters that no predicate of the globs distinguishes. */
function alphabet(patterns: readonly string[], roots: Readonly<Record<string, string>>): string[] {
  const points = new Set<number>([0x2f]);
  const cuts = new Set<number>();
  for (const p of patterns) {
    for (const it of itemsOf(p, roots)) {
      if (it.kind !== 'char') continue;
      const pr = it.pred;
      if (pr.kind === 'lit') points.add(pr.ch.codePointAt(0)!);
      if (pr.kind === 'class') for (const [lo, hi] of pr.ranges) {
        cuts.add(lo);
        cuts.add(hi + 1);
      }
    }
  }
  const reps = new Set<number>(points);
  // Class boundaries split the code point line into intervals; one representative each.
  const bounds = [...cuts, 0x21, 0x110000].filter((c) => c >= 0x21 && c <= 0x110000).sort((a, b) => a - b);
  for (let i = 0; i + 1 < bounds.length; i++) {
    for (let c = bounds[i]!; c < bounds[i + 1]! && c < 0x110000; c++) {
      if (c === 0x2f || (c >= 0xd800 && c <= 0xdfff) || points.has(c)) continue;
      reps.add(c);
      break;
    }
  }
  // A plain letter no glob names, so witnesses stay readable.
  for (const c of 'xyzqwjk') if (!points.has(c.codePointAt(0)!)) {
    reps.add(c.codePointAt(0)!);
    break;
  }
  return [...reps].sort((a, b) => a - b).map((c) => String.fromCodePoint(c));
}

export const MAX_PRODUCT_STATES = 200_000;

/** A glob's automaton made deterministic on the fly: subset states get small integer ids. */
class LazyDfa {
  private readonly ids = new Map<string, number>();
  private readonly sets: Set<number>[] = [];
  private readonly next: Map<string, number>[] = [];
  readonly accepting: boolean[] = [];
  readonly dead: number;
  readonly start: number;

  constructor(private readonly nfa: Nfa) {
    this.dead = this.id(new Set());
    this.start = this.id(nfa.start);
  }

  private id(set: Set<number>): number {
    const key = [...set].sort((a, b) => a - b).join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.ids.set(key, id);
      this.sets.push(set);
      this.next.push(new Map());
      this.accepting.push(this.nfa.accepting(set));
    }
    return id;
  }

  step(state: number, ch: string): number {
    if (state === this.dead) return state;
    const memo = this.next[state]!;
    let to = memo.get(ch);
    if (to === undefined) {
      to = this.id(this.nfa.step(this.sets[state]!, ch));
      memo.set(ch, to);
    }
    return to;
  }
}

/**
 * The atoms of a set of normalized globs (param-rooted ones included), by breadth-first search
 * of the product automaton from the root. Paths are explored as '' (the root) then '/seg…';
 * only normalized paths (no empty segment, no trailing '/') are atoms. Shortest witnesses first.
 * With `focus`, only paths that one of those globs can still match are explored, so the atoms
 * cover exactly the region of those globs (what one assertion is about).
 */
export function computeAtoms(patterns: readonly string[], params: readonly IrParam[], focus?: readonly number[]): AtomSet {
  const roots = paramRoots(params);
  const dfas = patterns.map((p) => new LazyDfa(buildNfa(itemsOf(p, roots))));
  const sigma = alphabet(patterns, roots);
  // A state lists only the live automata (index, DFA state): most globs are dead on most paths.
  type State = { live: [number, number][]; path: string; afterSlash: boolean };
  const keyOf = (s: State): string => (s.afterSlash ? '/' : '') + s.live.map(([i, id]) => `${i}:${id}`).join(';');
  const start: State = { live: dfas.flatMap((d, i): [number, number][] => (d.start === d.dead ? [] : [[i, d.start]])), path: '', afterSlash: false };
  const seen = new Set<string>([keyOf(start)]);
  const queue: State[] = [start];
  const atoms = new Map<string, Atom>();
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!;
    const inFocus = !focus || s.live.some(([i, id]) => focus.includes(i) && dfas[i]!.accepting[id]);
    if (!s.afterSlash && inFocus) {
      const matches = s.live.flatMap(([i, id]) => (dfas[i]!.accepting[id] ? [i] : []));
      const sig = matches.join(',');
      if (!atoms.has(sig)) atoms.set(sig, { matches, witness: s.path === '' ? '/' : s.path });
    }
    for (const ch of sigma) {
      if (ch === '/' && s.afterSlash) continue; // no empty segments
      if (s.path === '' && ch !== '/') continue; // absolute paths start with '/'
      const live: [number, number][] = [];
      for (const [i, id] of s.live) {
        const to = dfas[i]!.step(id, ch);
        if (to !== dfas[i]!.dead) live.push([i, to]);
      }
      if (focus && !live.some(([i]) => focus.includes(i))) continue;
      const next: State = { live, path: s.path + ch, afterSlash: ch === '/' };
      const k = keyOf(next);
      if (seen.has(k)) continue;
      seen.add(k);
      if (seen.size > MAX_PRODUCT_STATES) throw new Error(`path space too complex: more than ${MAX_PRODUCT_STATES} automaton states`);
      queue.push(next);
    }
  }
  const list = [...atoms.values()].sort((a, b) => a.witness.length - b.witness.length || (a.witness < b.witness ? -1 : a.witness > b.witness ? 1 : 0));
  return { patterns: [...patterns], atoms: list, paramRoots: roots };
}
