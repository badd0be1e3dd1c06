#!/usr/bin/env node
// Seed corpus for the bundle fuzzer: `node enforcer/fuzz/seeds.mjs OUT_DIR` (needs dist/: `npm run build`).
// Every corpus/*.mxc compiled by the project's own CLI (`mxcc compile -t linux`), plus hand-made
// bundles that reach what the corpus does not: every param type and constraint, param-rooted
// patterns, carves, excludes, glob classes, byte order marks, the longest strings, both
// architectures, and a few malformed headers. Nothing binary is committed; this script is the source.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = process.argv[2];
if (!out) {
  console.error('usage: node enforcer/fuzz/seeds.mjs OUT_DIR');
  process.exit(2);
}
const { encodeBundle, decodeBundle, BUNDLE_VERSION } = await import(path.join(root, 'dist/targets/linux/bundle.js'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const write = (name, bytes) => writeFileSync(path.join(out, name), bytes);

// 1. The corpus, compiled by the CLI exactly as a user would.
const tmp = mkdtempSync(path.join(tmpdir(), 'mxcc-seeds-'));
const policies = readdirSync(path.join(root, 'corpus')).filter((f) => f.endsWith('.mxc')).sort();
for (const f of policies) {
  const dir = path.join(tmp, path.basename(f, '.mxc'));
  execFileSync(process.execPath, [path.join(root, 'bin/mxcc.js'), 'compile', '-t', 'linux', '-o', dir, path.join('corpus', f)], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  write(`corpus-${path.basename(f, '.mxc')}.mxcb`, readFileSync(path.join(dir, 'bundle.mxcb')));
}
rmSync(tmp, { recursive: true, force: true });

// 2. Hand-made bundles, valid for the reference decoder.
const allow = [{ code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 }]; // BPF_RET|BPF_K SECCOMP_RET_ALLOW
const minimal = {
  policy: { name: 'minimal', irSha256: '0'.repeat(64) },
  seccomp: [{ arch: 'x86_64', program: allow }],
  landlock: { minAbi: 1, bestEffortAbis: [], handledFs: 0n, grants: [] },
  masks: [],
  net: { mode: 'ports', handled: 0n, ports: [] },
  scopes: 0n,
  rlimits: [],
  env: [],
  params: [],
  process: { capabilities: 0n, cpus: 0, isolation: 'process', wallMillis: 0n },
};
const rich = {
  ...minimal,
  policy: { name: '\u{feff}r\u00e9ch \u{1f600}', irSha256: 'f'.repeat(64) },
  seccomp: [
    { arch: 'x86_64', program: allow },
    { arch: 'aarch64', program: [{ code: 0x20, jt: 0, jf: 0, k: 4 }, ...allow] },
  ],
  landlock: {
    minAbi: 6,
    bestEffortAbis: [2, 3, 4, 5, 6],
    handledFs: 0xffffn,
    grants: [
      { mode: 'beneath', rights: 0xffffn, pattern: '${ws}/**', carve: ['${ws}/.git/hooks/**', '${home}/.ssh'], exclude: [] },
      { mode: 'exact', rights: 0x7n, pattern: '/etc/hosts', carve: [], exclude: ['/etc/h*'] },
      { mode: 'expand', rights: 0x5n, pattern: '/usr/lib/*/[!a-c]?.so.[0-9]', carve: [], exclude: ['**/secret*', '/usr/lib/[^x]*'] },
      { mode: 'expand', rights: 0x1n, pattern: '${home}/**/bin/**', carve: ['${home}/**'], exclude: ['${home}/.[a-z]*'] },
      { mode: 'beneath', rights: 0x3n, pattern: '/**', carve: ['/proc/**'], exclude: [] },
    ],
  },
  masks: [
    { pattern: '**/.env', rights: 0x4n },
    { pattern: '${ws}/**/.git/config', rights: 0x2n },
    { pattern: '/h\u00e9/[\u00e0-\u00ff]*', rights: 0x1n | 0x2000n },
    { pattern: '/a/**/b/**/c', rights: 0x30n },
  ],
  net: { mode: 'ports', handled: 3n, ports: [{ port: 443, rights: 2n }, { port: 65535, rights: 3n }] },
  scopes: 3n,
  rlimits: [{ resource: 7, value: 64n }, { resource: 9, value: 1n << 62n }],
  env: ['PATH', 'HOME', 'A=B'],
  params: [
    { name: 'ws', type: 'path', default: '/tmp', constraints: [{ kind: 'not_under', values: ['/etc', '/usr'] }] },
    { name: 'home', type: 'path', default: '/root', constraints: [{ kind: 'under', values: ['/', '/home'] }] },
    { name: 'mode', type: 'string', default: 'fast', constraints: [{ kind: 'one_of', values: ['fast', 'slow'] }] },
    { name: 'jobs', type: 'int', default: '-0012', constraints: [{ kind: 'min', values: ['-20'] }, { kind: 'max', values: ['64'] }] },
    { name: 'debug', type: 'bool', default: 'false', constraints: [] },
    { name: 'api', type: 'host', default: 'api.example.com', constraints: [{ kind: 'one_of', values: ['api.example.com', '::1'] }] },
    { name: 'port', type: 'port', default: '8080', constraints: [{ kind: 'max', values: ['65535'] }] },
    { name: 'unset', type: 'path', constraints: [] },
  ],
  process: { capabilities: 1n << 10n, cpus: 1, isolation: 'container', wallMillis: 1000n },
};
const longest = {
  ...minimal,
  policy: { name: 'x'.repeat(4096), irSha256: '' },
  landlock: { ...minimal.landlock, grants: [{ mode: 'expand', rights: 1n, pattern: `/${'*a'.repeat(2000)}`, carve: [], exclude: [`/${'a/'.repeat(1000)}**`] }] },
  masks: [{ pattern: `/${'[a-z]'.repeat(800)}`, rights: 0x4n }],
};
const bundles = { minimal, rich, longest, 'proxy-mode': { ...rich, net: { mode: 'proxy', handled: 0n, ports: [] } } };
for (const [name, b] of Object.entries(bundles)) {
  const bytes = encodeBundle(b);
  decodeBundle(bytes); // seeds must be accepted by the reference decoder
  write(`hand-${name}.mxcb`, bytes);
}

// 3. A few refusals the mutator would take a while to reach.
const good = Buffer.from(encodeBundle(minimal));
const header = (count, version = BUNDLE_VERSION) => {
  const h = Buffer.alloc(16);
  h.write('MXCB', 0, 'latin1');
  h.writeUInt32LE(version, 4);
  h.writeUInt32LE(count, 8);
  return h;
};
write('bad-empty.mxcb', Buffer.alloc(0));
write('bad-header-only.mxcb', header(0));
write('bad-version.mxcb', Buffer.concat([header(good.readUInt32LE(8), BUNDLE_VERSION + 1), good.subarray(16)]));
write('bad-count.mxcb', Buffer.concat([header(65), good.subarray(16)]));
write('bad-trailing.mxcb', Buffer.concat([good, Buffer.alloc(8)]));
write('bad-truncated.mxcb', good.subarray(0, good.length - 3));
console.log(`${readdirSync(out).length} seeds in ${out}`);
