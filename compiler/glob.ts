/**
 * Path globs: validation, normalization, brace expansion, matching and intersection.
 *
 * Syntax (after an optional leading `${param}` root): `/`-separated segments where
 * `**` (a whole segment) matches zero or more segments, `*` any run of characters
 * within a segment, `?` one character, `[a-z]`/`[!a-z]` one character of a class,
 * `{a,b}` alternatives (expanded away by normalization). Paths are absolute and
 * normalized; `/` is the root, whose segment list is empty.
 */

export type CharPredicate =
  | { kind: 'lit'; ch: string }
  | { kind: 'any' }
  | { kind: 'class'; negated: boolean; ranges: [number, number][] };

export type SegmentAtom = CharPredicate | { kind: 'star' };

export type Segment = { kind: 'globstar' } | { kind: 'seg'; atoms: SegmentAtom[] };

export interface ParsedGlob {
  /** Name of the path param the pattern is rooted at, if any. */
  root?: string;
  segments: Segment[];
}

export interface GlobError {
  message: string;
  /** Offset in the pattern text where the problem is. */
  at: number;
  length: number;
  help?: string;
  code: 'MXC1102' | 'MXC1103';
}

export const MAX_BRACE_EXPANSION = 256;
const PARAM_RE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/;

/**
 * Expand braces and normalize one written pattern. `~` becomes `${home}`, a leading `**`
 * is anchored at the root, `//`, `.` segments and a trailing `/` are removed.
 */
export function normalizeGlob(text: string): { patterns: string[] } | { error: GlobError } {
  if (text.length === 0) return { error: { code: 'MXC1103', message: 'empty path pattern', at: 0, length: 0, help: 'write "/**" to mean every path' } };
  if (text.includes('\0')) return { error: { code: 'MXC1103', message: 'path pattern contains a NUL character', at: text.indexOf('\0'), length: 1 } };
  let body = text;
  let rootText = '';
  if (body.startsWith('~')) {
    if (body.length > 1 && body[1] !== '/') {
      return { error: { code: 'MXC1103', message: '`~user` paths are not supported', at: 0, length: body.length, help: 'use ~ for the home param, or an absolute path' } };
    }
    rootText = '${home}';
    body = body.slice(1);
  } else {
    const m = PARAM_RE.exec(body);
    if (m) {
      rootText = m[0];
      body = body.slice(m[0].length);
      if (body.length > 0 && !body.startsWith('/')) {
        return { error: { code: 'MXC1103', message: `a path param must be followed by / (found "${body[0]}")`, at: m[0].length, length: 1, help: `write "${m[0]}/…"` } };
      }
    } else if (body.startsWith('**')) {
      body = '/' + body;
    } else if (!body.startsWith('/')) {
      const hint = body.startsWith('$') ? 'params are written ${name}' : `paths must be absolute; use "/${body}" or "\${workspace}/${body}"`;
      return { error: { code: 'MXC1102', message: `relative path "${text}"`, at: 0, length: text.length, help: hint } };
    }
  }
  const inner = body.indexOf('${');
  if (inner >= 0) {
    return {
      error: { code: 'MXC1103', message: 'a param can only start a path pattern', at: text.length - body.length + inner, length: 2, help: 'write "${param}/rest"; params cannot appear in the middle of a path' },
    };
  }
  // Found before expansion, where its offset is still the one written (an alternative's is not).
  const empty = findOutsideClasses(body, '{}', 0);
  if (empty >= 0) {
    return { error: { code: 'MXC1103', message: 'empty {} in path pattern', at: text.length - body.length + empty, length: 2, help: 'write the alternatives inside, {a,b}, or remove the braces; {,a} makes a part optional' } };
  }
  const expanded = expandBraces(body, text.length - body.length);
  if ('error' in expanded) return expanded;
  const out = new Set<string>();
  for (const alt of expanded.alternatives) {
    const norm = normalizeSegments(alt.text, alt.offset);
    if ('error' in norm) return norm;
    const checked = checkSegments(norm.text, text, alt.offset);
    if (checked) return { error: checked };
    out.add(rootText + (norm.text === '/' && rootText ? '' : norm.text));
  }
  return { patterns: [...out] };
}

/**
 * Braces are expanded before segments are parsed, so they skip character classes the way
 * parseSegment reads them: `[{]`, `[}]` and `[,]` are classes, not brace syntax.
 */
function expandBraces(s: string, base: number): { alternatives: { text: string; offset: number }[] } | { error: GlobError } {
  const open = findOutsideClasses(s, '{', 0);
  if (open < 0) {
    const close = findOutsideClasses(s, '}', 0);
    if (close >= 0) return { error: { code: 'MXC1103', message: 'unmatched } in path pattern', at: base + close, length: 1, help: 'alternatives are written {a,b}; write [}] for a literal }' } };
    return { alternatives: [{ text: s, offset: base }] };
  }
  let depth = 0;
  let end = -1;
  const commas: number[] = [];
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '[') {
      const close = classEnd(s, i);
      if (close >= 0) i = close;
    } else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        end = i;
        break;
      }
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  if (end < 0) return { error: { code: 'MXC1103', message: 'unclosed { in path pattern', at: base + open, length: 1, help: 'alternatives are written {a,b}' } };
  const parts: string[] = [];
  let prev = open + 1;
  for (const c of [...commas, end]) {
    parts.push(s.slice(prev, c));
    prev = c + 1;
  }
  const results: { text: string; offset: number }[] = [];
  for (const p of parts) {
    const sub = expandBraces(s.slice(0, open) + p + s.slice(end + 1), base);
    if ('error' in sub) return sub;
    results.push(...sub.alternatives);
    if (results.length > MAX_BRACE_EXPANSION) {
      return { error: { code: 'MXC1103', message: `braces expand to more than ${MAX_BRACE_EXPANSION} patterns`, at: base + open, length: end - open + 1 } };
    }
  }
  return { alternatives: results };
}

/** The first `text` at or after `from` that does not start inside a character class, or -1. */
function findOutsideClasses(s: string, text: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '[') {
      const close = classEnd(s, i);
      if (close >= 0) {
        i = close;
        continue;
      }
    }
    if (s.startsWith(text, i)) return i;
  }
  return -1;
}

/**
 * Where the class opened by the `[` at `i` closes, as parseSegment reads it (the first `]` after
 * at least one member, so `[]]` is the class of `]`), or -1 if it does not close within its
 * segment; parseSegment then reports the unclosed `[`.
 */
function classEnd(s: string, i: number): number {
  const close = s.indexOf(']', i + 2);
  const slash = s.indexOf('/', i + 1);
  return close >= 0 && (slash < 0 || close < slash) ? close : -1;
}

function normalizeSegments(path: string, base: number): { text: string } | { error: GlobError } {
  const parts = path.split('/');
  const kept: string[] = [];
  let offset = base;
  for (const p of parts) {
    if (p === '..') {
      return { error: { code: 'MXC1103', message: '".." is not allowed in a path pattern', at: offset, length: 2, help: 'write the normalized absolute path' } };
    }
    if (p !== '' && p !== '.') {
      // Collapse runs of ** (they mean the same thing).
      if (!(p === '**' && kept[kept.length - 1] === '**')) kept.push(p);
    }
    offset += p.length + 1;
  }
  return { text: '/' + kept.join('/') };
}

function checkSegments(norm: string, original: string, base: number): GlobError | undefined {
  for (const seg of norm.split('/')) {
    if (seg.includes('**') && seg !== '**') {
      const at = Math.max(0, original.indexOf(seg));
      return { code: 'MXC1103', message: `"**" must be a whole path segment (in "${seg}")`, at: at || base, length: seg.length, help: 'use "*" within a segment, or "/**/" between segments' };
    }
    const parsed = parseSegment(seg);
    if ('error' in parsed) return { code: 'MXC1103', message: parsed.error, at: Math.max(0, original.indexOf(seg)), length: seg.length };
  }
  return undefined;
}

function parseSegment(seg: string): { atoms: SegmentAtom[] } | { error: string } {
  const atoms: SegmentAtom[] = [];
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') {
      if (atoms[atoms.length - 1]?.kind !== 'star') atoms.push({ kind: 'star' });
    } else if (c === '?') atoms.push({ kind: 'any' });
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) return { error: 'unclosed [ in path pattern' };
      let body = seg.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      if (body.length === 0) return { error: 'empty character class' };
      const ranges: [number, number][] = [];
      const cps = [...body];
      for (let k = 0; k < cps.length; k++) {
        const lo = cps[k]!.codePointAt(0)!;
        if (cps[k + 1] === '-' && k + 2 < cps.length) {
          const hi = cps[k + 2]!.codePointAt(0)!;
          if (hi < lo) return { error: `reversed range ${cps[k]}-${cps[k + 2]} in character class` };
          ranges.push([lo, hi]);
          k += 2;
        } else ranges.push([lo, lo]);
      }
      atoms.push({ kind: 'class', negated, ranges });
      i = close;
    } else if (c === ']') {
      return { error: 'unmatched ] in path pattern' };
    } else {
      // Keep astral characters whole.
      const cp = seg.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      atoms.push({ kind: 'lit', ch });
      i += ch.length - 1;
    }
  }
  return { atoms };
}

const parsedGlobs = new Map<string, ParsedGlob>();

/**
 * Parse a normalized pattern (as produced by normalizeGlob). Results are shared between calls
 * (checking a corpus parses the same patterns thousands of times): callers must not mutate them.
 */
export function parseGlob(pattern: string): ParsedGlob {
  let parsed = parsedGlobs.get(pattern);
  if (parsed === undefined) {
    if (parsedGlobs.size >= 50_000) parsedGlobs.clear();
    parsed = parseGlobUncached(pattern);
    parsedGlobs.set(pattern, parsed);
  }
  return parsed;
}

function parseGlobUncached(pattern: string): ParsedGlob {
  let body = pattern;
  let root: string | undefined;
  const m = PARAM_RE.exec(body);
  if (m) {
    root = m[1];
    body = body.slice(m[0].length);
  }
  const segments: Segment[] = [];
  for (const seg of body.split('/')) {
    if (seg === '') continue;
    if (seg === '**') segments.push({ kind: 'globstar' });
    else {
      const p = parseSegment(seg);
      if ('error' in p) throw new Error(`internal: unnormalized glob ${pattern}: ${p.error}`);
      segments.push({ kind: 'seg', atoms: p.atoms });
    }
  }
  return root === undefined ? { segments } : { root, segments };
}

export function isLiteralGlob(g: ParsedGlob): boolean {
  return g.segments.every((s) => s.kind === 'seg' && s.atoms.every((a) => a.kind === 'lit'));
}

/** The longest literal leading directory of a pattern (without its param root): `/usr/lib/**` → `/usr/lib`. */
export function literalPrefix(g: ParsedGlob): string {
  const out: string[] = [];
  for (const s of g.segments) {
    if (s.kind !== 'seg' || !s.atoms.every((a) => a.kind === 'lit')) break;
    out.push(s.atoms.map((a) => (a as { ch: string }).ch).join(''));
  }
  return '/' + out.join('/');
}

// ---------------------------------------------------------------------------
// Matching

const regexCache = new Map<string, RegExp>();

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function predicateRegex(p: CharPredicate): string {
  switch (p.kind) {
    case 'lit':
      return escapeRegex(p.ch);
    case 'any':
      return '[^/]';
    case 'class': {
      const body = p.ranges
        .map(([lo, hi]) => (lo === hi ? `\\u{${lo.toString(16)}}` : `\\u{${lo.toString(16)}}-\\u{${hi.toString(16)}}`))
        .join('');
      return p.negated ? `[^/${body}]` : `(?![/])[${body}]`;
    }
  }
}

function atomsRegex(atoms: readonly SegmentAtom[]): string {
  return atoms.map((a) => (a.kind === 'star' ? '[^/]*' : predicateRegex(a))).join('');
}

function segmentsRegex(segments: Segment[]): string {
  let re = '';
  for (const s of segments) {
    if (s.kind === 'globstar') re += '(?:/[^/]+)*';
    else re += '/' + atomsRegex(s.atoms);
  }
  return re;
}

/** A matcher for one name (a path segment) against a segment pattern's atoms. */
export function segmentRegex(atoms: readonly SegmentAtom[]): RegExp {
  return new RegExp('^' + atomsRegex(atoms) + '$', 'u');
}

/** Paths are compared with the root as the empty string so `/**` matches `/`. */
function pathKey(path: string): string {
  return path === '/' ? '' : path;
}

/**
 * Does the normalized pattern match the normalized absolute path? A param root is
 * replaced by its bound value, taken literally. Throws if the root param is unbound.
 */
export function globMatches(pattern: string, path: string, params: Readonly<Record<string, string>> = {}): boolean {
  const g = parseGlob(pattern);
  let prefix = '';
  if (g.root !== undefined) {
    const v = params[g.root];
    if (v === undefined) throw new Error(`unbound path param \${${g.root}}`);
    prefix = escapeRegex(pathKey(v));
  }
  const key = (g.root ?? '') + '\0' + (g.root !== undefined ? params[g.root] : '') + '\0' + pattern;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp('^' + prefix + segmentsRegex(g.segments) + '$', 'u');
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(key, re);
  }
  return re.test(pathKey(path));
}

/** Normalize a concrete request path: absolute, no `.`/`..` (resolved lexically), no `//`, no trailing `/`. */
export function normalizeRequestPath(path: string): { path: string } | { error: string } {
  if (!path.startsWith('/')) return { error: `path "${path}" is not absolute` };
  if (path.includes('\0')) return { error: 'path contains a NUL character' };
  const out: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return { path: '/' + out.join('/') };
}

// ---------------------------------------------------------------------------
// Intersection

/** A param root stands for one directory that is distinct from every literal in the policy. */
function rootSegment(name: string): Segment {
  return { kind: 'seg', atoms: [...`\uE000${name}`].map((ch) => ({ kind: 'lit', ch }) as CharPredicate) };
}

function withRoot(g: ParsedGlob): Segment[] {
  return g.root === undefined ? g.segments : [rootSegment(g.root), ...g.segments];
}

/**
 * Do two normalized patterns match at least one common path? Param roots are
 * modelled as distinct single directories (see rootSegment).
 */
export function globsIntersect(a: string, b: string): boolean {
  return segmentListsIntersect(withRoot(parseGlob(a)), withRoot(parseGlob(b)));
}

function segmentListsIntersect(a: Segment[], b: Segment[]): boolean {
  const memo = new Map<number, boolean>();
  const width = b.length + 1;
  const go = (i: number, j: number): boolean => {
    const key = i * width + j;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    memo.set(key, false);
    let result: boolean;
    const sa = a[i];
    const sb = b[j];
    if (!sa && !sb) result = true;
    else if (sa?.kind === 'globstar') result = go(i + 1, j) || (sb !== undefined && go(i, j + 1));
    else if (sb?.kind === 'globstar') result = go(i, j + 1) || (sa !== undefined && go(i + 1, j));
    else if (!sa || !sb) result = false;
    else result = segmentsIntersect(sa.atoms, sb.atoms) && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** Is there a non-empty segment text (no `/`) matched by both atom sequences? Product-automaton search. */
export function segmentsIntersect(p: SegmentAtom[], q: SegmentAtom[]): boolean {
  // State: (i, j, consumed). Star atoms loop on any character or are skipped.
  const seen = new Set<string>();
  const stack: [number, number, boolean][] = [[0, 0, false]];
  while (stack.length > 0) {
    const [i, j, consumed] = stack.pop()!;
    const key = `${i},${j},${consumed ? 1 : 0}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === p.length && j === q.length && consumed) return true;
    const ap = p[i];
    const aq = q[j];
    if (ap?.kind === 'star') stack.push([i + 1, j, consumed]);
    if (aq?.kind === 'star') stack.push([i, j + 1, consumed]);
    if (ap && aq) {
      const pp: CharPredicate = ap.kind === 'star' ? { kind: 'any' } : ap;
      const pq: CharPredicate = aq.kind === 'star' ? { kind: 'any' } : aq;
      if (predicatesIntersect(pp, pq)) stack.push([ap.kind === 'star' ? i : i + 1, aq.kind === 'star' ? j : j + 1, true]);
    }
  }
  return false;
}

const SLASH = 0x2f;
const MAX_CP = 0x10ffff;

function classAllows(c: CharPredicate & { kind: 'class' }, cp: number): boolean {
  if (cp === SLASH) return false;
  const inRanges = c.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
  return c.negated ? !inRanges : inRanges;
}

/** Some character other than `/` satisfies both predicates. */
export function predicatesIntersect(a: CharPredicate, b: CharPredicate): boolean {
  // A literal, or two "any"s, decide it at once (as witnessChar would); two classes need the search.
  if (a.kind === 'any' && b.kind === 'any') return true;
  const lit = a.kind === 'lit' ? a : b.kind === 'lit' ? b : undefined;
  if (lit) {
    const cp = lit.ch.codePointAt(0)!;
    if (cp === SLASH || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    const other = lit === a ? b : a;
    return other.kind === 'any' ? true : other.kind === 'lit' ? other.ch.codePointAt(0) === cp : classAllows(other, cp);
  }
  return witnessChar(a, b) !== undefined;
}

/** A character satisfying both predicates, or undefined. */
export function witnessChar(a: CharPredicate, b: CharPredicate): string | undefined {
  const candidates = new Set<number>();
  for (const p of [a, b]) {
    if (p.kind === 'lit') candidates.add(p.ch.codePointAt(0)!);
    if (p.kind === 'class') {
      for (const [lo, hi] of p.ranges) {
        candidates.add(lo);
        candidates.add(hi);
        if (lo > 0) candidates.add(lo - 1);
        if (hi < MAX_CP) candidates.add(hi + 1);
      }
    }
  }
  candidates.add(0x61); // 'a'
  candidates.add(0x5f);
  const ok = (p: CharPredicate, cp: number): boolean =>
    cp !== SLASH && (p.kind === 'any' ? true : p.kind === 'lit' ? p.ch.codePointAt(0) === cp : classAllows(p, cp));
  for (const cp of [...candidates].sort((x, y) => x - y)) {
    if (cp >= 0 && cp <= MAX_CP && !(cp >= 0xd800 && cp <= 0xdfff) && ok(a, cp) && ok(b, cp)) return String.fromCodePoint(cp);
  }
  return undefined;
}
