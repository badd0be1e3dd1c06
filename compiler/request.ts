/**
 * Concrete requests as users type them for `mxcc explain policy.mxc "<request>"`:
 *
 *   read /home/u/.ssh/config              (any fs right: read list write create delete exec ioctl truncate refer)
 *   read "/tmp/x\u001f"                   (a path as a JSON string)
 *   write ${workspace}/x, read ~/.ssh/x    (a path param's value in front, given options.pathParam)
 *   connect tcp registry.npmjs.org:443    (connect|bind, tcp|udp, host:port; IPv6 as [::1]:443)
 *   resolve example.com
 *   syscall x86_64 socket 2 1 0           (arch optional, default x86_64; name or number; ≤ 6 args)
 *   syscall aarch64 openat(AT_FDCWD, 0, 0)
 *
 * Syscall arguments are decimal, 0x hex, 0o octal, negative decimals (two's complement,
 * as the register holds them), or constants (AF_INET), optionally joined with `|`.
 * formatRequest is the inverse: parseRequest(formatRequest(r)) equals r for every r that
 * parseRequest produces.
 */
import { FS_ALIASES, FS_RIGHTS, IR_ARCHES, type Arch, type FsRight } from './ir.js';
import { parseIp, type Request, type SyscallRequest } from './evaluate.js';
import { didYouMean } from './suggest.js';
import { UNSEEN } from '../grammar/unseen.js';
import { lookupConstant, syscallName, syscallNames, syscallNumber } from './syscalls/index.js';

export type ParsedRequest = { request: Request } | { error: string; help: string };

export interface RequestOptions {
  /**
   * The value of the path param a request path starts with (`${name}`, or `~` for `home`), as
   * counterexamples print them; without it such a path is not absolute, an error.
   */
  pathParam?: (name: string) => string | { error: string; help: string };
}

const FORMS = 'read /path, connect tcp host:443, resolve host, or syscall x86_64 socket 2 1 0';
const REQUEST_WORDS = [...FS_RIGHTS, 'connect', 'bind', 'resolve', 'syscall'];
const DEFAULT_ARCH: Arch = 'x86_64';
const U64_LIMIT = 1n << 64n;

function fail(error: string, help: string): { error: string; help: string } {
  return { error, help };
}

export function parseRequest(text: string, options: RequestOptions = {}): ParsedRequest {
  const trimmed = text.trim();
  if (trimmed.length === 0) return fail('empty request', `write a request such as ${FORMS}`);
  const m = /^([^\s(]+)\s*([\s\S]*)$/.exec(trimmed);
  const word = m?.[1] ?? '';
  const rest = m?.[2] ?? '';
  if ((FS_RIGHTS as readonly string[]).includes(word)) return parseFs(word as FsRight, rest, options);
  if (word === 'connect' || word === 'bind') return parseConnect(word, rest);
  if (word === 'resolve') return parseResolve(rest);
  if (word === 'syscall') return parseSyscall(rest);
  if (Object.prototype.hasOwnProperty.call(FS_ALIASES, word)) {
    return fail(`"${word}" stands for several rights (${FS_ALIASES[word]!.join(', ')}); a request has exactly one`, `ask about one of them, e.g. "${FS_ALIASES[word]![0]} ${rest || '/path'}"`);
  }
  if (REQUEST_WORDS.includes(word.toLowerCase())) return fail(`unknown request kind "${word}"`, `request words are lower case: "${word.toLowerCase()}"`);
  if (word.startsWith('/')) return fail(`a request starts with what is done, not with the path "${word}"`, `write e.g. "read ${word}"`);
  const guess = didYouMean(word, REQUEST_WORDS);
  return fail(`unknown request kind "${word}"`, guess ? `did you mean "${guess}"? (forms: ${FORMS})` : `write ${FORMS}`);
}

// ---------------------------------------------------------------------------
// fs

function parseFs(access: FsRight, rest: string, options: RequestOptions): ParsedRequest {
  if (rest.length === 0) return fail(`"${access}" needs a path`, `write e.g. "${access} /home/user/file"`);
  let path = rest;
  if (rest.startsWith('"')) {
    const s = parseQuoted(rest);
    if (s === undefined) return fail(`malformed quoted path ${rest}`, 'a quoted path is a JSON string, e.g. "/tmp/my file"; close the quote and put nothing after it');
    path = s;
  }
  if (path.includes('\0')) return fail('the path contains a NUL character', 'paths cannot contain NUL');
  const root = /^(?:\$\{([A-Za-z_][A-Za-z0-9_]*)\}|~)(?=\/|$)/.exec(path);
  if (root && options.pathParam) {
    const value = options.pathParam(root[1] ?? 'home');
    if (typeof value !== 'string') return value;
    const below = path.slice(root[0].length);
    path = value === '/' ? below || '/' : value + below;
  }
  if (!path.startsWith('/')) {
    const hint = path.startsWith('~') ? `~ is not expanded in requests; write the home directory, e.g. "/home/user${path.slice(1)}"` : `write an absolute path, e.g. "${access} /${path.replace(/^\.?\/*/, '')}"`;
    return fail(`path "${path}" is not absolute`, hint);
  }
  return { request: { kind: 'fs', access, path } };
}

function parseQuoted(text: string): string | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// net

function parseConnect(operation: 'connect' | 'bind', rest: string): ParsedRequest {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
  const protocol = m?.[1];
  const endpoint = (m?.[2] ?? '').trim();
  const example = `${operation} tcp example.com:443`;
  if (protocol === undefined) return fail(`"${operation}" needs a protocol and host:port`, `write e.g. "${example}"`);
  if (protocol === 'any') return fail('a request uses one protocol, not any', `write tcp or udp, e.g. "${example}"`);
  if (protocol !== 'tcp' && protocol !== 'udp') {
    const lower = protocol.toLowerCase();
    if (lower === 'tcp' || lower === 'udp') return fail(`unknown protocol "${protocol}"`, `protocols are lower case: "${lower}"`);
    if (/[:.[]/.test(protocol)) return fail(`"${operation}" needs a protocol before the host`, `write e.g. "${operation} tcp ${protocol}"`);
    return fail(`unknown protocol "${protocol}"`, `write tcp or udp, e.g. "${example}"`);
  }
  if (endpoint.length === 0) return fail(`"${operation} ${protocol}" needs host:port`, `write e.g. "${operation} ${protocol} example.com:443"`);
  if (/\s/.test(endpoint)) return fail(`unexpected text after "${endpoint.split(/\s/)[0]}"`, `write one host:port, e.g. "${operation} ${protocol} example.com:443"`);
  let hostText: string;
  let portText: string | undefined;
  if (endpoint.startsWith('[')) {
    const close = endpoint.indexOf(']');
    if (close < 0) return fail(`unclosed [ in "${endpoint}"`, `write an IPv6 address as [::1]:443`);
    hostText = endpoint.slice(1, close);
    const after = endpoint.slice(close + 1);
    if (after === '') portText = undefined;
    else if (after.startsWith(':')) portText = after.slice(1);
    else return fail(`unexpected "${after}" after "${endpoint.slice(0, close + 1)}"`, `write [address]:port, e.g. [::1]:443`);
    if (parseIp(hostText)?.family !== 6) return fail(`"${hostText}" is not an IPv6 address`, 'brackets are only for IPv6 addresses; write host:port for names and IPv4');
  } else {
    const colons = endpoint.split(':').length - 1;
    if (colons > 1) {
      const cut = endpoint.lastIndexOf(':');
      const head = endpoint.slice(0, cut);
      const tail = endpoint.slice(cut + 1);
      const splitWorks = parseIp(head)?.family === 6 && /^[0-9]{1,5}$/.test(tail);
      const wholeWorks = parseIp(endpoint)?.family === 6;
      const hints = [splitWorks ? `[${head}]:${tail}` : undefined, wholeWorks ? `[${endpoint}]:<port>` : undefined].filter((h) => h !== undefined);
      return fail(
        `ambiguous endpoint "${endpoint}": an IPv6 address needs brackets before the port`,
        hints.length > 0 ? `write ${hints.join(' or ')}` : 'write an IPv6 address in brackets, e.g. [2001:db8::1]:443',
      );
    }
    const cut = endpoint.lastIndexOf(':');
    hostText = cut < 0 ? endpoint : endpoint.slice(0, cut);
    portText = cut < 0 ? undefined : endpoint.slice(cut + 1);
    if (hostText.length >= 2 && hostText.startsWith('"') && hostText.endsWith('"')) hostText = hostText.slice(1, -1);
  }
  if (portText === undefined) return fail(`"${endpoint}" has no port`, `write host:port, e.g. "${operation} ${protocol} ${hostText.includes(':') ? `[${hostText}]` : hostText}:443"`);
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    return fail(`invalid port "${portText}"`, portText === 'any' || portText === '*' ? 'a request goes to one port; ask about a specific one, e.g. 443' : 'a port is a number from 0 to 65535');
  }
  const host = checkHost(hostText, operation);
  if ('error' in host) return host;
  return { request: { kind: 'net', operation, protocol, host: hostText, port: Number(portText) } };
}

function parseResolve(rest: string): ParsedRequest {
  let hostText = rest.trim();
  if (hostText.length === 0) return fail('"resolve" needs a host name', 'write e.g. "resolve example.com"');
  if (/\s/.test(hostText)) {
    const first = hostText.split(/\s+/)[0] ?? '';
    if (first === 'tcp' || first === 'udp') return fail('resolve takes no protocol', `write "resolve ${hostText.split(/\s+/)[1] ?? 'example.com'}"`);
    return fail(`unexpected text after "${first}"`, 'resolve takes one host name, e.g. "resolve example.com"');
  }
  if (hostText.length >= 2 && hostText.startsWith('"') && hostText.endsWith('"')) hostText = hostText.slice(1, -1);
  const bare = hostText.replace(/^\[|\]$/g, '');
  if (parseIp(bare) !== undefined) return fail(`"${hostText}" is an address, not a host name`, 'resolve asks about DNS lookups of names; ask about connect tcp <address>:<port> instead');
  if (/:[0-9]*$/.test(hostText) && !hostText.includes('::')) return fail('resolve takes no port', `write "resolve ${hostText.replace(/:[0-9]*$/, '')}"`);
  const host = checkHost(hostText, 'resolve');
  if ('error' in host) return host;
  return { request: { kind: 'net', operation: 'resolve', host: hostText } };
}

const LABEL_RE = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Accept an IP literal or a plausible DNS name (Unicode names via IDNA). */
function checkHost(text: string, operation: string): { ok: true } | { error: string; help: string } {
  if (text.length === 0) return fail('empty host', `write e.g. "${operation === 'resolve' ? 'resolve example.com' : `${operation} tcp example.com:443`}"`);
  if (parseIp(text) !== undefined) return { ok: true };
  if (text.includes('*')) return fail(`"${text}" is a pattern; a request names one host`, 'ask about a concrete host, e.g. api.example.com');
  if (text === 'any') return fail('a request names one host, not any', 'ask about a concrete host, e.g. example.com');
  if (text.includes(':')) return fail(`invalid IPv6 address "${text}"`, 'write eight groups of 1-4 hex digits, with :: for a run of zero groups, e.g. 2001:db8::1');
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  const lastLabel = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(lastLabel)) {
    return fail(`invalid IPv4 address "${text}"`, 'an IPv4 address is four decimal numbers from 0 to 255 without leading zeros, e.g. 10.0.0.1');
  }
  let ascii = name.toLowerCase();
  if (!/^[\x21-\x7e]+$/.test(name)) {
    try {
      ascii = new URL(`http://${name}/`).hostname;
    } catch {
      return fail(`invalid host name "${text}"`, 'labels are 1-63 letters, digits, hyphens or underscores, separated by dots');
    }
  }
  if (ascii.length > 253 || !ascii.split('.').every((l) => LABEL_RE.test(l))) {
    return fail(`invalid host name "${text}"`, 'labels are 1-63 letters, digits, hyphens or underscores, separated by dots');
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------
// syscalls

const ARCH_ALIASES: Readonly<Record<string, string>> = {
  amd64: 'x86_64', x64: 'x86_64', 'x86-64': 'x86_64', arm64: 'aarch64', i386: 'x86_64 (i386 is not supported)', x86: 'x86_64', x32: 'x86_64 (x32 is not supported)',
};

function parseSyscall(rest: string): ParsedRequest {
  let body = rest.trim();
  let arch: Arch = DEFAULT_ARCH;
  const first = /^[^\s(]+/.exec(body)?.[0] ?? '';
  if ((IR_ARCHES as readonly string[]).includes(first)) {
    arch = first as Arch;
    body = body.slice(first.length).trim();
  } else if (Object.prototype.hasOwnProperty.call(ARCH_ALIASES, first.toLowerCase())) {
    return fail(`unknown architecture "${first}"`, `write ${ARCH_ALIASES[first.toLowerCase()]}; architectures are ${IR_ARCHES.join(' and ')}`);
  }
  if (body.length === 0) return fail('"syscall" needs a syscall name or number', `write e.g. "syscall ${arch} socket 2 1 0" or "syscall socket(AF_INET, SOCK_STREAM, 0)"`);
  let nameText: string;
  let argTexts: string[];
  const paren = body.indexOf('(');
  if (paren >= 0) {
    nameText = body.slice(0, paren).trim();
    if (!body.endsWith(')')) {
      return fail(body.indexOf(')', paren) < 0 ? `unclosed ( in "${body}"` : `unexpected text after ) in "${body}"`, `write e.g. "syscall ${arch} ${nameText || 'socket'}(2, 1, 0)"`);
    }
    const inner = body.slice(paren + 1, -1).trim();
    if (/[()]/.test(inner)) return fail(`unexpected parenthesis in the arguments of "${body}"`, 'arguments are numbers or constants separated by commas');
    argTexts = inner === '' ? [] : inner.split(',').map((a) => a.trim());
    const empty = argTexts.findIndex((a) => a === '');
    if (empty >= 0) return fail(`argument ${empty} is empty in "${body}"`, 'separate arguments with single commas, e.g. socket(2, 1, 0)');
    if (/\s/.test(nameText)) return fail(`unexpected text "${nameText}" before (`, `write the syscall name right before (, e.g. "syscall ${arch} socket(2, 1, 0)"`);
  } else {
    const words = body.split(/\s+/);
    nameText = words[0] ?? '';
    argTexts = words.slice(1);
    const comma = argTexts.find((a) => a.includes(','));
    if (comma !== undefined) return fail(`unexpected comma in "${comma}"`, `separate arguments with spaces, or write ${nameText}(a, b, c)`);
  }
  if (argTexts.length > 6) return fail(`${argTexts.length} arguments given; a syscall has at most 6`, 'drop the extra arguments');
  const target = syscallTarget(nameText, arch);
  if ('error' in target) return target;
  const args: bigint[] = [];
  for (let i = 0; i < 6; i++) {
    const t = argTexts[i];
    if (t === undefined) {
      args.push(0n);
      continue;
    }
    const v = parseArgument(t, arch);
    if ('error' in v) return fail(`argument ${i} ("${t}"): ${v.error}`, v.help);
    args.push(v.value);
  }
  const request: SyscallRequest = { kind: 'syscall', arch, syscall: target.syscall, args };
  if (target.nr !== undefined) request.nr = target.nr;
  return { request };
}

function syscallTarget(text: string, arch: Arch): { syscall: string; nr?: number } | { error: string; help: string } {
  if (text.length === 0) return fail('missing syscall name', `write e.g. "syscall ${arch} socket(2, 1, 0)"`);
  if (/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text)) {
    const nr = Number(text);
    if (!Number.isSafeInteger(nr) || nr > 0xffffffff) return fail(`syscall number ${text} is out of range`, 'syscall numbers are 32-bit');
    const name = syscallName(nr, arch);
    return name === undefined ? { syscall: '', nr } : { syscall: name, nr };
  }
  const optional = text.startsWith('?');
  const name = optional ? text.slice(1) : text;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    return fail(`invalid syscall name "${text}"`, /[A-Z]/.test(name) ? `syscall names are lower case: "${name.toLowerCase()}"` : 'a syscall is named by letters, digits and _ (or given by number)');
  }
  const nr = syscallNumber(name, arch);
  if (nr !== undefined) return { syscall: name, nr };
  if (optional) return { syscall: name };
  const guess = didYouMean(name, syscallNames(arch));
  const other = IR_ARCHES.find((a) => a !== arch && syscallNumber(name, a) !== undefined);
  const help = other
    ? `${name} exists on ${other} only; write "syscall ${other} ${name} …", or "?${name}" to ask anyway`
    : guess
      ? `did you mean "${guess}"? (write "?${name}" to ask about an unknown name anyway)`
      : `write "?${name}" to ask about a name unknown to the syscall tables`;
  return fail(`unknown syscall "${name}" on ${arch}`, help);
}

function parseArgument(text: string, arch: Arch): { value: bigint } | { error: string; help: string } {
  let value = 0n;
  for (const raw of text.split('|')) {
    const term = raw.trim();
    const v = parseTerm(term, arch);
    if ('error' in v) return v;
    value |= v.value;
  }
  return { value };
}

function parseTerm(term: string, arch: Arch): { value: bigint } | { error: string; help: string } {
  const help = 'write a decimal, 0x hex or 0o octal number, a negative decimal, or a constant such as AF_INET (join flags with |)';
  if (term.length === 0) return fail('empty value', help);
  let v: bigint;
  if (/^-?(0|[1-9][0-9]*)$/.test(term)) v = BigInt(term);
  else if (/^0x[0-9a-fA-F]+$/.test(term)) v = BigInt(term);
  else if (/^0o[0-7]+$/.test(term)) v = BigInt(term);
  else if (/^0[0-7]+$/.test(term)) return fail(`"${term}" is ambiguous`, `write 0o${term.slice(1)} for octal or ${term.replace(/^0+/, '')} for decimal`);
  else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(term)) {
    const c = lookupConstant(term, arch);
    if (c === undefined) return fail(`unknown constant "${term}" on ${arch}`, help);
    v = c;
  } else return fail(`invalid value "${term}"`, help);
  if (v < 0n) {
    if (v < -(1n << 63n)) return fail(`${term} does not fit in 64 bits`, 'negative values go down to -9223372036854775808');
    v += U64_LIMIT;
  }
  if (v >= U64_LIMIT) return fail(`${term} does not fit in 64 bits`, 'values go up to 0xffffffffffffffff');
  return { value: v };
}

// ---------------------------------------------------------------------------
// formatting

/**
 * A path as requests and counterexamples show it: as it is, unless it has a character one cannot
 * see or tell from another (UNSEEN, the formatter's set: a no-break space too), a leading or
 * trailing space, or starts with a quote; then as the JSON string that `explain` reads back,
 * with every unseen character escaped: "/x/\u001f", "/x/\u00a0y".
 */
export function formatPath(path: string): string {
  if (!/^\s|\s$|^"/.test(path) && !UNSEEN.test(path)) return path;
  const escape = (c: string): string => [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
  return JSON.stringify(path).replace(new RegExp(UNSEEN.source, 'gu'), escape);
}

/** The text parseRequest reads back as the same request. */
export function formatRequest(r: Request): string {
  switch (r.kind) {
    case 'fs':
      return `${r.access} ${formatPath(r.path)}`;
    case 'net':
      if (r.operation === 'resolve') return `resolve ${r.host}`;
      return `${r.operation} ${r.protocol} ${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}`;
    case 'syscall': {
      const name = r.syscall === '' ? String(r.nr ?? 0) : syscallNumber(r.syscall, r.arch) === undefined ? `?${r.syscall}` : r.syscall;
      const args = [...r.args];
      while (args.length > 0 && args[args.length - 1] === 0n) args.pop();
      const shown = args.map((a) => (a < 0x10000n ? a.toString() : '0x' + a.toString(16)));
      return ['syscall', r.arch, name, ...shown].join(' ');
    }
  }
}
