/** Canonical JSON: object keys sorted, two-space indent, trailing newline. Same input → same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/**
 * Where the values of a JSON text are, by JSON pointer (RFC 6901: `/syscalls/3/action`), for
 * diagnostics about a document that has already been parsed (the text must be valid JSON).
 * Object keys are compared after `fold` (a reader that matches keys case-insensitively passes
 * its folding); of several keys that match, the last counts, as JSON.parse keeps the last. A
 * pointer that goes further than the text gives the deepest value on its way. Scalars span their
 * token; objects and arrays their opening bracket. Objects are indexed once, on demand.
 */
export function jsonLocator(text: string, fold: (key: string) => string = (k) => k): (pointer: string) => { offset: number; length: number } {
  const members = new Map<number, { key: string; value: number }[]>();
  const elements = new Map<number, number[]>();
  const skipSpace = (i: number): number => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
    return i;
  };
  const stringEnd = (i: number): number => {
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  // The end of the value at i; nesting is counted, not recursed into (any depth).
  const valueEnd = (i: number): number => {
    const c = text[i];
    if (c === '"') return stringEnd(i);
    if (c !== '{' && c !== '[') {
      let j = i;
      while (j < text.length && !',]} \t\r\n'.includes(text[j]!)) j++;
      return j;
    }
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const d = text[j]!;
      if (d === '"') {
        j = stringEnd(j);
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') depth--;
      j++;
      if (depth === 0) break;
    }
    return j;
  };
  // The values of the object or array opening at i, with their keys for an object.
  const entries = (i: number): { key: string; value: number }[] => {
    const object = text[i] === '{';
    const out: { key: string; value: number }[] = [];
    let j = skipSpace(i + 1);
    while (j < text.length && text[j] !== (object ? '}' : ']')) {
      let key = '';
      if (object) {
        const end = stringEnd(j);
        key = JSON.parse(text.slice(j, end)) as string;
        j = skipSpace(skipSpace(end) + 1); // past the colon
      }
      out.push({ key, value: j });
      j = skipSpace(valueEnd(j));
      if (text[j] === ',') j = skipSpace(j + 1);
    }
    return out;
  };
  return (pointer) => {
    let at = skipSpace(0);
    const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    for (const segment of segments) {
      let next: number | undefined;
      if (text[at] === '{') {
        let list = members.get(at);
        if (!list) members.set(at, (list = entries(at)));
        const want = fold(segment);
        for (const m of list) if (fold(m.key) === want) next = m.value;
      } else if (text[at] === '[' && /^(0|[1-9]\d*)$/.test(segment)) {
        let list = elements.get(at);
        if (!list) elements.set(at, (list = entries(at).map((e) => e.value)));
        next = list[Number(segment)];
      }
      if (next === undefined) break;
      at = next;
    }
    return { offset: at, length: text[at] === '{' || text[at] === '[' ? 1 : Math.max(1, valueEnd(at) - at) };
  };
}
