#!/usr/bin/env node
// Writes docs/lints.md from the LINTS registry (verifier/lints/index.ts), as compiler/syscalls/gen-docs.mjs
// does for the syscall groups. Reads the compiled registry: run `npm run build` first.
//
// Usage: node verifier/lints/gen-docs.mjs [--check]
//   --check  exit 1 if docs/lints.md differs from what would be written
// verifier/lints/lints.test.ts renders the same text from the TypeScript sources and compares.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.join(ROOT, 'docs', 'lints.md');
const { LINTS } = await import(pathToFileURL(path.join(ROOT, 'dist', 'verifier', 'lints', 'index.js')).href);
const { renderLintsDoc } = await import(pathToFileURL(path.join(ROOT, 'dist', 'verifier', 'lints', 'docs.js')).href);
const text = renderLintsDoc(LINTS);
if (process.argv.includes('--check')) {
  if (fs.readFileSync(out, 'utf8') !== text) {
    process.stderr.write(`${out} is out of date: run npm run build && node verifier/lints/gen-docs.mjs\n`);
    process.exit(1);
  }
} else fs.writeFileSync(out, text);
