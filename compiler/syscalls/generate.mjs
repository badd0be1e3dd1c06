#!/usr/bin/env node
// Generates compiler/syscalls/tables.generated.ts from the Linux kernel's own
// syscall tables and SYSCALL_DEFINEx definitions. No dependencies.
//
// Usage:
//   node compiler/syscalls/generate.mjs --kernel-src DIR --label TEXT [options]
//
// Inputs (each may be given explicitly; --kernel-src DIR supplies defaults):
//   --x86-64-tbl FILE     arch/x86/entry/syscalls/syscall_64.tbl
//   --i386-tbl FILE       arch/x86/entry/syscalls/syscall_32.tbl
//   --generic-tbl FILE    scripts/syscall.tbl (asm-generic numbering, used by arm64)
//   --arm64-abis FILE     arch/arm64/kernel/Makefile.syscalls (extra ABIs arm64 selects)
//   --src-root DIR        kernel source root scanned for SYSCALL_DEFINEx (argument types/names)
//   --kernel-version V    defaults to VERSION.PATCHLEVEL.SUBLEVEL read from DIR/Makefile
//   --label TEXT          where the kernel tree came from (recorded in the output header)
// Cross-checks (optional, repeatable; report differences on stderr and in the header):
//   --check-x86_64 FILE --check-x32 FILE --check-i386 FILE --check-aarch64 FILE
//       flat header files with `#define __NR_name value` lines (e.g. asm/unistd_64.h, or the
//       output of `cpp -dM` over asm/unistd.h for asm-generic style headers)
//   --check-label TEXT    description of the header source
// Output:
//   --out FILE            defaults to tables.generated.ts beside this script
//
// The output depends only on the inputs and the arguments: running twice gives identical bytes.

import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const opts = { checks: [] };
  const single = new Set([
    '--kernel-src', '--x86-64-tbl', '--i386-tbl', '--generic-tbl', '--arm64-abis', '--src-root',
    '--kernel-version', '--label', '--check-label', '--out',
  ]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--help' || a === '-h') {
      opts.help = true;
      continue;
    }
    if (v === undefined) throw new Error(`missing value after ${a}`);
    if (single.has(a)) opts[a.slice(2)] = v;
    else if (/^--check-(x86_64|x32|i386|aarch64)$/.test(a)) opts.checks.push({ table: a.slice(8), file: v });
    else throw new Error(`unknown argument ${a}`);
    i++;
  }
  if (opts.help) return opts;
  const k = opts['kernel-src'];
  const dflt = (key, rel) => {
    if (opts[key] === undefined && k !== undefined) opts[key] = path.join(k, rel);
    if (opts[key] === undefined) throw new Error(`--${key} (or --kernel-src) is required`);
  };
  dflt('x86-64-tbl', 'arch/x86/entry/syscalls/syscall_64.tbl');
  dflt('i386-tbl', 'arch/x86/entry/syscalls/syscall_32.tbl');
  dflt('generic-tbl', 'scripts/syscall.tbl');
  dflt('arm64-abis', 'arch/arm64/kernel/Makefile.syscalls');
  dflt('src-root', '.');
  if (opts['kernel-version'] === undefined) {
    const mk = path.join(opts['src-root'], 'Makefile');
    opts['kernel-version'] = kernelVersionFromMakefile(fs.readFileSync(mk, 'utf8'));
  }
  if (opts.label === undefined) throw new Error('--label is required (where the kernel tree came from)');
  if (opts.out === undefined) opts.out = path.join(HERE, 'tables.generated.ts');
  return opts;
}

function kernelVersionFromMakefile(text) {
  const get = (k) => {
    const m = new RegExp(`^${k}\\s*=\\s*(\\S*)\\s*$`, 'm').exec(text);
    return m ? m[1] : '';
  };
  return `${get('VERSION')}.${get('PATCHLEVEL')}.${get('SUBLEVEL')}${get('EXTRAVERSION')}`;
}

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

// ---------------------------------------------------------------- syscall tables
/** Parses a kernel syscall .tbl file: `<nr> <abi> <name> [<entry point> [<compat entry>]]`. */
function parseTbl(text) {
  const rows = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    if (f.length < 3 || !/^\d+$/.test(f[0])) throw new Error(`bad table line: ${raw}`);
    rows.push({ nr: Number(f[0]), abi: f[1], name: f[2], entry: f[3] });
  }
  return rows;
}

function tableFrom(rows, abis, what) {
  const byName = new Map();
  const byNr = new Map();
  for (const r of rows) {
    if (!abis.has(r.abi)) continue;
    if (byName.has(r.name)) throw new Error(`${what}: duplicate name ${r.name}`);
    if (byNr.has(r.nr)) throw new Error(`${what}: duplicate number ${r.nr}`);
    byName.set(r.name, r);
    byNr.set(r.nr, r);
  }
  return byName;
}

/** ABIs arm64 selects from scripts/syscall.tbl: common,64 plus `syscall_abis_64 += ...`. */
function arm64Abis(makefileText) {
  const abis = new Set(['common', '64']);
  for (const m of makefileText.matchAll(/^syscall_abis_64\s*\+?=\s*(.*)$/gm)) {
    for (const a of (m[1] ?? '').split(/[\s,]+/)) if (a) abis.add(a);
  }
  return abis;
}

// ---------------------------------------------------------------- SYSCALL_DEFINEx scan
const SKIP_TOP = new Set(['tools', 'Documentation', 'samples', 'scripts', 'usr', 'debian', '.git', 'LICENSES']);
// Files compiled only in configurations that do not apply to x86_64/arm64 kernels we describe.
const SKIP_FILES = new Set(['kernel/time/posix-stubs.c', 'mm/nommu.c']);

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

function scanDefines(root) {
  const defs = [];
  const aliases = []; // `#define __<arch>_sys_X __<arch>_sys_Y`
  const walk = (dir, rel) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!rel && SKIP_TOP.has(e.name)) continue;
        if (rel === 'arch' && e.name !== 'x86' && e.name !== 'arm64') continue;
        if (r === 'arch/x86/um') continue;
        walk(p, r);
      } else if (/\.[ch]$/.test(e.name) && !SKIP_FILES.has(r)) {
        const text = fs.readFileSync(p, 'utf8');
        if (!text.includes('SYSCALL_DEFINE') && !text.includes('_sys_')) continue;
        const clean = stripComments(text);
        for (const m of clean.matchAll(/^[ \t]*#[ \t]*define[ \t]+__(x64|arm64)_sys_(\w+)[ \t]+__\1_sys_(\w+)[ \t]*$/gm)) {
          aliases.push({ arch: m[1] === 'x64' ? 'x86_64' : 'aarch64', from: m[2], to: m[3], file: r });
        }
        const noDefines = clean.replace(/^[ \t]*#[ \t]*define[^\n]*(\\\n[^\n]*)*/gm, ' ');
        for (const m of noDefines.matchAll(/\bSYSCALL_DEFINE([0-6])\(\s*(\w+)\s*((?:,[^()]*)?)\)/g)) {
          const n = Number(m[1]);
          const parts = (m[3] ?? '').split(',').slice(1).map((s) => s.replace(/\s+/g, ' ').trim());
          if (parts.length !== 2 * n) throw new Error(`${r}: SYSCALL_DEFINE${n}(${m[2]}) has ${parts.length} type/name items`);
          const params = [];
          for (let i = 0; i < n; i++) params.push({ type: parts[2 * i], name: parts[2 * i + 1] });
          const archDir = r.startsWith('arch/x86/') ? 'x86_64' : r.startsWith('arch/arm64/') ? 'aarch64' : null;
          defs.push({ name: m[2], params, file: r, arch: archDir });
        }
      }
    }
  };
  walk(root, '');
  return { defs, aliases };
}

// ---------------------------------------------------------------- argument types
// Width in the kernel ABI of the parameter types that appear in SYSCALL_DEFINEx on 64-bit
// kernels. 32 means the kernel reads only the low 32 (or fewer) bits of the register.
const TYPE_BITS = {
  int: 32, 'unsigned int': 32, unsigned: 32, 'signed int': 32,
  u32: 32, __u32: 32, s32: 32, __s32: 32,
  pid_t: 32, uid_t: 32, gid_t: 32, qid_t: 32, old_uid_t: 32, old_gid_t: 32,
  umode_t: 32, mode_t: 32, // umode_t is unsigned short: the kernel reads only 16 bits
  key_serial_t: 32, key_t: 32, clockid_t: 32, timer_t: 32, mqd_t: 32, rwf_t: 32,
  long: 64, 'unsigned long': 64, size_t: 64, ssize_t: 64, loff_t: 64, off_t: 64,
  u64: 64, __u64: 64, s64: 64, __s64: 64, aio_context_t: 64, old_sigset_t: 64,
};
// typedefs of pointer types
const POINTER_TYPEDEFS = new Set(['cap_user_header_t', 'cap_user_data_t', '__sighandler_t']);

function classifyType(type, where) {
  const t = type.replace(/\b(const|volatile|__user|__force)\b/g, ' ').replace(/\s+/g, ' ').trim();
  if (t.includes('*') || POINTER_TYPEDEFS.has(t)) return { bits: 64, pointer: true };
  if (/^enum \w+$/.test(t)) return { bits: 32, pointer: false };
  const bits = TYPE_BITS[t];
  if (bits === undefined) throw new Error(`${where}: unknown argument type "${type}" — add it to TYPE_BITS`);
  return { bits, pointer: false };
}

// ---------------------------------------------------------------- naming
// Kernel parameter names are kept except where a shorter or man-page name is the one policy
// authors expect. Global renames apply to every syscall; per-syscall renames win over them.
const GLOBAL_RENAMES = {
  dfd: 'dirfd', olddfd: 'olddirfd', newdfd: 'newdirfd', filename: 'pathname',
  oldname: 'oldpath', newname: 'newpath',
  umyaddr: 'addr', uservaddr: 'addr', upeer_sockaddr: 'addr', usockaddr: 'addr',
  upeer_addrlen: 'addrlen', usockaddr_len: 'addrlen', addr_len: 'addrlen',
  clone_flags: 'flags', upid: 'pid',
};
const SYSCALL_RENAMES = {
  socket: { family: 'domain' },
  socketpair: { family: 'domain', usockvec: 'sv' },
  ioctl: { cmd: 'request' },
  personality: { personality: 'persona' },
  clone: { newsp: 'stack', parent_tidptr: 'parent_tid', child_tidptr: 'child_tid' },
  clone3: { uargs: 'cl_args' },
  mprotect: { start: 'addr' },
  pkey_mprotect: { start: 'addr' },
  madvise: { start: 'addr', len_in: 'len', behavior: 'advice' },
  mlock: { start: 'addr' },
  mlock2: { start: 'addr' },
  munlock: { start: 'addr' },
  msync: { start: 'addr' },
  mincore: { start: 'addr' },
  mbind: { start: 'addr' },
  mseal: { start: 'addr' },
  sendto: { buff: 'buf' },
  recvfrom: { ubuf: 'buf', size: 'len' },
  dup: { fildes: 'oldfd' },
  pipe: { fildes: 'pipefd' },
  pipe2: { fildes: 'pipefd' },
  readlink: { path: 'pathname' },
  truncate: { path: 'pathname' },
  exit: { error_code: 'status' },
  exit_group: { error_code: 'status' },
  mount: { dev_name: 'source', dir_name: 'target', type: 'fstype' },
  umount2: { name: 'target' },
  unshare: { unshare_flags: 'flags' },
  setns: { flags: 'nstype' },
  tgkill: { pid: 'tid' },
  tkill: { pid: 'tid' },
  memfd_create: { uname: 'name' },
  poll: { timeout_msecs: 'timeout' },
  delete_module: { name_user: 'name' },
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function argsFor(syscall, def, where) {
  const renames = { ...GLOBAL_RENAMES, ...(SYSCALL_RENAMES[syscall] ?? {}) };
  const out = def.params.map((p, i) => {
    let name = p.name.replace(/^_+/, '');
    name = renames[p.name] ?? renames[name] ?? name;
    if (!IDENT.test(name)) name = `arg${i}`;
    return { name, ...classifyType(p.type, `${where} ${syscall} arg ${i}`) };
  });
  const seen = new Set();
  for (const [i, a] of out.entries()) {
    if (seen.has(a.name)) a.name = `arg${i}`;
    seen.add(a.name);
  }
  return out;
}

const UNKNOWN_ARGS = [0, 1, 2, 3, 4, 5].map((i) => ({ name: `arg${i}`, bits: 64, pointer: false }));

// Some syscalls have several SYSCALL_DEFINEs selected by Kconfig. The kernel configuration
// facts used to choose: x86_64 does not select CONFIG_CLONE_BACKWARDS* (only X86_32 does),
// arm64 selects CONFIG_CLONE_BACKWARDS (tls before child_tidptr).
const CONFIG_PICKS = {
  clone: {
    x86_64: ['clone_flags', 'newsp', 'parent_tidptr', 'child_tidptr', 'tls'],
    aarch64: ['clone_flags', 'newsp', 'parent_tidptr', 'tls', 'child_tidptr'],
  },
};

function sigKey(def) {
  return def.params.map((p) => `${p.type.replace(/\b(const|__user)\b/g, '').replace(/\s+/g, '')} ${p.name}`).join(',');
}

function buildDefIndex(defs) {
  const idx = new Map();
  for (const d of defs) {
    const list = idx.get(d.name) ?? [];
    list.push(d);
    idx.set(d.name, list);
  }
  return idx;
}

/** Finds the definition behind an entry point (`sys_foo`) for an arch, or null. */
function resolveDef(defIndex, aliases, arch, syscall, entry) {
  if (!entry || !entry.startsWith('sys_')) return null;
  let fn = entry.slice(4);
  const alias = aliases.find((a) => a.arch === arch && a.from === fn);
  if (alias) fn = alias.to;
  if (fn === 'ni_syscall') return null;
  const all = defIndex.get(fn) ?? [];
  const archDefs = all.filter((d) => d.arch === arch);
  const cands = archDefs.length > 0 ? archDefs : all.filter((d) => d.arch === null);
  const distinct = new Map();
  for (const d of cands) if (!distinct.has(sigKey(d))) distinct.set(sigKey(d), d);
  if (distinct.size === 0) return null;
  if (distinct.size === 1) return [...distinct.values()][0];
  const pick = CONFIG_PICKS[fn]?.[arch];
  if (pick) {
    const hit = [...distinct.values()].find((d) => d.params.map((p) => p.name).join(',') === pick.join(','));
    if (hit) return hit;
  }
  const files = [...distinct.values()].map((d) => `${d.file}: ${sigKey(d)}`).join('\n  ');
  throw new Error(`${arch} ${syscall}: several definitions of ${fn}, add a CONFIG_PICKS entry:\n  ${files}`);
}

// ---------------------------------------------------------------- header cross-check
function parseNrHeader(text) {
  const raw = new Map();
  for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+(__NR3264_\w+|__NR_\w+|__X32_SYSCALL_BIT)[ \t]+(.+?)[ \t]*$/gm)) {
    raw.set(m[1], m[2]);
  }
  const evalv = (v, depth) => {
    if (depth > 8) return undefined;
    const s = v.replace(/[()]/g, ' ').replace(/\s+/g, ' ').trim();
    if (/^(0x[0-9a-fA-F]+|\d+)[uUlL]*$/.test(s)) return Number.parseInt(s, s.startsWith('0x') ? 16 : 10);
    const plus = /^__X32_SYSCALL_BIT\s*\+\s*(\d+)$/.exec(s);
    if (plus) return Number(plus[1]); // raw number, without the x32 bit
    if (/^\w+$/.test(s) && raw.has(s)) return evalv(raw.get(s), depth + 1);
    return undefined;
  };
  const out = new Map();
  for (const [k, v] of raw) {
    if (!k.startsWith('__NR_')) continue;
    const name = k.slice(5);
    if (name === 'syscalls' || name === 'arch_specific_syscall') continue;
    const n = evalv(v, 0);
    if (n !== undefined) out.set(name, n);
  }
  return out;
}

function crossCheck(table, headerMap) {
  const diffs = [];
  for (const [name, r] of table) {
    const h = headerMap.get(name);
    if (h === undefined) diffs.push(`only in kernel table: ${name}=${r.nr}`);
    else if (h !== r.nr) diffs.push(`NUMBER MISMATCH: ${name} table=${r.nr} header=${h}`);
  }
  for (const [name, n] of headerMap) if (!table.has(name)) diffs.push(`only in header: ${name}=${n}`);
  return diffs.sort();
}

// ---------------------------------------------------------------- output
const q = (s) => JSON.stringify(s);
const keyOf = (s) => (IDENT.test(s) ? s : q(s));
const byKey = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function emitNumbers(name, doc, table) {
  const keys = [...table.keys()].sort(byKey);
  const lines = keys.map((k) => `  ${keyOf(k)}: ${table.get(k).nr},`);
  return `${doc}\nexport const ${name}: Readonly<Record<string, number>> = Object.freeze({\n${lines.join('\n')}\n});\n`;
}

function emitArgList(args) {
  return `[${args.map((a) => `{ name: ${q(a.name)}, bits: ${a.bits}, pointer: ${a.pointer} }`).join(', ')}]`;
}

function shellQuote(s) {
  return /^[A-Za-z0-9_./:=@+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 25).join('\n') + '\n');
    return;
  }
  const kv = opts['kernel-version'];
  const read = (p) => fs.readFileSync(p, 'utf8');
  const x64Text = read(opts['x86-64-tbl']);
  const i386Text = read(opts['i386-tbl']);
  const genText = read(opts['generic-tbl']);
  const abisText = read(opts['arm64-abis']);

  const x64Rows = parseTbl(x64Text);
  const x86_64 = tableFrom(x64Rows, new Set(['common', '64']), 'x86_64');
  const x32 = tableFrom(x64Rows, new Set(['common', 'x32']), 'x32');
  const i386 = tableFrom(parseTbl(i386Text), new Set(['i386']), 'i386');
  const a64Abis = arm64Abis(abisText);
  const aarch64 = tableFrom(parseTbl(genText), a64Abis, 'aarch64');

  const { defs, aliases } = scanDefines(opts['src-root']);
  const defIndex = buildDefIndex(defs);

  const perArch = { x86_64: new Map(), aarch64: new Map() };
  const missing = { x86_64: [], aarch64: [] };
  for (const [arch, table] of [['x86_64', x86_64], ['aarch64', aarch64]]) {
    for (const [name, r] of table) {
      const def = resolveDef(defIndex, aliases, arch, name, r.entry);
      if (def === null) {
        missing[arch].push(name);
        perArch[arch].set(name, UNKNOWN_ARGS);
      } else {
        perArch[arch].set(name, argsFor(name, def, def.file));
      }
    }
  }
  const base = new Map();
  const overrides = { x86_64: new Map(), aarch64: new Map() };
  const allNames = [...new Set([...perArch.x86_64.keys(), ...perArch.aarch64.keys()])].sort(byKey);
  for (const name of allNames) {
    const x = perArch.x86_64.get(name);
    const a = perArch.aarch64.get(name);
    const xs = x && emitArgList(x);
    const as = a && emitArgList(a);
    if (x && a && xs !== as) {
      // When x86_64 lacks a real definition but aarch64 has one, prefer the real one as base.
      if (missing.x86_64.includes(name) && !missing.aarch64.includes(name)) {
        base.set(name, a);
        overrides.x86_64.set(name, x);
      } else {
        base.set(name, x);
        overrides.aarch64.set(name, a);
      }
    } else {
      base.set(name, x ?? a);
    }
  }

  const checkNotes = [];
  const tables = { x86_64, x32, i386, aarch64 };
  for (const c of opts.checks) {
    const diffs = crossCheck(tables[c.table], parseNrHeader(read(c.file)));
    const mism = diffs.filter((d) => d.startsWith('NUMBER MISMATCH')).length;
    process.stderr.write(`cross-check ${c.table} vs ${c.file}: ${diffs.length} difference(s), ${mism} number mismatch(es)\n`);
    for (const d of diffs) process.stderr.write(`  ${d}\n`);
    checkNotes.push(`${c.table}: ${path.basename(c.file)} — ${diffs.length} difference(s), ${mism} number mismatch(es)`);
  }

  const src = (what, file, text) => `${opts.label}: ${what} (Linux ${kv}, sha256 ${sha256(text).slice(0, 16)})`;
  const source = {
    x86_64: src('arch/x86/entry/syscalls/syscall_64.tbl, ABIs common+64 (x32: common+x32)', opts['x86-64-tbl'], x64Text),
    aarch64: src(`scripts/syscall.tbl, ABIs ${[...a64Abis].join(',')} (from arch/arm64/kernel/Makefile.syscalls)`, opts['generic-tbl'], genText),
    i386: src('arch/x86/entry/syscalls/syscall_32.tbl, ABI i386', opts['i386-tbl'], i386Text),
    args: `${opts.label}: SYSCALL_DEFINEx in the kernel source (Linux ${kv}), arch/x86 and arch/arm64 definitions preferred per arch; names partly renamed (see generate.mjs)`,
  };
  // The recorded command leaves out --out so that the bytes do not depend on where they go.
  const shown = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') i++;
    else shown.push(shellQuote(argv[i]));
  }
  const cmd = ['node', 'compiler/syscalls/generate.mjs', ...shown].join(' ');

  let out = '';
  out += '// GENERATED FILE — do not edit. Regenerate with compiler/syscalls/generate.mjs.\n';
  out += `// Command: ${cmd}\n`;
  out += `// Kernel: Linux ${kv} — ${opts.label}\n`;
  for (const [k, v] of Object.entries(source)) out += `// ${k}: ${v}\n`;
  if (checkNotes.length > 0) {
    out += `// Cross-checked numbers against ${opts['check-label'] ?? 'headers'}:\n`;
    for (const n of checkNotes) out += `//   ${n}\n`;
  }
  out += `// Syscalls without a SYSCALL_DEFINE (not implemented / sys_ni_syscall) get arg0..arg5:\n`;
  out += `//   x86_64: ${missing.x86_64.sort(byKey).join(' ') || '(none)'}\n`;
  out += `//   aarch64: ${missing.aarch64.sort(byKey).join(' ') || '(none)'}\n\n`;
  out += `export const SYSCALL_TABLE_SOURCE: { readonly x86_64: string; readonly aarch64: string; readonly i386: string; readonly args: string } = Object.freeze(${JSON.stringify(source, null, 2).replace(/\n/g, '\n')});\n\n`;
  out += `export const KERNEL_VERSION = ${q(kv)};\n\n`;
  out += '/** Added to an x32 syscall number by the x32 ABI (seccomp_data.nr carries it). */\n';
  out += 'export const X32_SYSCALL_BIT = 0x40000000;\n\n';
  out += emitNumbers('SYSCALLS_X86_64', '/** x86_64 (64-bit ABI) syscall numbers: table ABIs `common` and `64`. */', x86_64) + '\n';
  out += emitNumbers(
    'SYSCALLS_X32',
    '/**\n * x32 syscall numbers as written in the kernel table (ABIs `common` and `x32`), WITHOUT\n * X32_SYSCALL_BIT: at run time seccomp sees `nr | X32_SYSCALL_BIT`.\n */',
    x32,
  ) + '\n';
  out += emitNumbers('SYSCALLS_I386', '/** i386 syscall numbers (also reachable from x86_64 via int 0x80, AUDIT_ARCH_I386). */', i386) + '\n';
  out += emitNumbers('SYSCALLS_AARCH64', '/** aarch64 syscall numbers (asm-generic numbering with the ABIs arm64 selects). */', aarch64) + '\n';
  out += 'export interface SyscallArg {\n  readonly name: string;\n  readonly bits: 32 | 64;\n  readonly pointer: boolean;\n}\n\n';
  out += 'function sig(args: SyscallArg[]): readonly SyscallArg[] {\n  for (const a of args) Object.freeze(a);\n  return Object.freeze(args);\n}\n\n';
  out += '/**\n * Argument signatures (kernel ABI widths). Where x86_64 and aarch64 differ, this holds one\n * of them and SYSCALL_ARGS_ARCH_OVERRIDES holds the other arch\'s signature.\n */\n';
  out += 'export const SYSCALL_ARGS: Readonly<Record<string, readonly SyscallArg[]>> = Object.freeze({\n';
  for (const name of allNames) out += `  ${keyOf(name)}: sig(${emitArgList(base.get(name))}),\n`;
  out += '});\n\n';
  out += '/** Per-architecture signatures that differ from SYSCALL_ARGS. */\n';
  out += 'export const SYSCALL_ARGS_ARCH_OVERRIDES: Readonly<{\n  x86_64: Readonly<Record<string, readonly SyscallArg[]>>;\n  aarch64: Readonly<Record<string, readonly SyscallArg[]>>;\n}> = Object.freeze({\n';
  for (const arch of ['x86_64', 'aarch64']) {
    out += `  ${arch}: Object.freeze({\n`;
    for (const name of [...overrides[arch].keys()].sort(byKey)) out += `    ${keyOf(name)}: sig(${emitArgList(overrides[arch].get(name))}),\n`;
    out += '  }),\n';
  }
  out += '});\n';

  fs.writeFileSync(opts.out, out);
  process.stderr.write(
    `wrote ${opts.out}: x86_64 ${x86_64.size}, x32 ${x32.size}, i386 ${i386.size}, aarch64 ${aarch64.size}, args ${allNames.length} (${overrides.aarch64.size + overrides.x86_64.size} arch overrides)\n`,
  );
}

try {
  main();
} catch (e) {
  process.stderr.write(`generate.mjs: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
