/**
 * The planted-flaw suite: small policies with one known flaw each (flawed/) and policies with
 * none (clean/). Each file states what mxcc must report in header comments, so adding a case is
 * adding a file:
 *
 *   // flaw: what is wrong (for the reader)
 *   // baseline: ../bases/x.old.mxc           compare with a baseline, as `mxcc verify --baseline`
 *   // mutate: x86_64 k 0x50001 -> 0x7fff0000  plant a compiler bug: change the first instruction
 *                                              with that k in the compiled program of that arch
 *   // expect: MXC2001 at 7:3 counterexample: read /etc/secret.conf
 *   // expect: MXC2114 at -                    a finding without a span (`-`)
 *   // expect: nothing                         (clean/ cases)
 *
 * Every finding mxcc produces is collected — compile diagnostics, lints, assertions, seccomp
 * translation validation, the OCI profile's diagnostics and the baseline comparison — and the
 * list must equal the expected one exactly (code, line:col in the case file, counterexample).
 * `counterexample: ?` accepts any counterexample (the solver picks the witness).
 * Everything runs in-process through the library API, with one z3 context for the whole file.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../../compiler/index.js';
import { diagnostic, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { PolicyIR } from '../../compiler/ir.js';
import { compileOciSeccomp } from '../../targets/oci/index.js';
import { compileSeccomp } from '../../targets/linux/seccomp/compile.js';
import { seccompArches } from '../../targets/linux/seccomp/target.js';
import { baselineDiagnostics } from '../../verifier/baseline.js';
import { lintAndVerify } from '../../verifier/lint.js';
import { LINTS } from '../../verifier/lints/index.js';
import { validateSeccomp } from '../../verifier/translation.js';

const HERE = import.meta.dirname;

interface Expected {
  code: string;
  at?: { line: number; column: number };
  counterexample?: string;
}

interface Case {
  file: string;
  flaw?: string;
  baseline?: string;
  mutate?: { arch: string; from: number; to: number };
  expected: Expected[];
}

function parseCase(file: string): Case {
  const text = readFileSync(file, 'utf8');
  const header = (key: string): string[] => [...text.matchAll(new RegExp(`^// ${key}: (.*)$`, 'gm'))].map((m) => m[1]!.trim());
  const c: Case = { file, expected: [] };
  c.flaw = header('flaw')[0];
  c.baseline = header('baseline')[0];
  const mutate = header('mutate')[0];
  if (mutate) {
    const m = /^(x86_64|aarch64) k (0x[0-9a-f]+|\d+) -> (0x[0-9a-f]+|\d+)$/.exec(mutate);
    if (!m) throw new Error(`${file}: bad mutate header "${mutate}"`);
    c.mutate = { arch: m[1]!, from: Number(m[2]), to: Number(m[3]) };
  }
  for (const e of header('expect')) {
    if (e === 'nothing') continue;
    const m = /^(MXC\d{4}) at (-|(\d+):(\d+))(?: counterexample: (.*))?$/.exec(e);
    if (!m) throw new Error(`${file}: bad expect header "${e}"`);
    const x: Expected = { code: m[1]! };
    if (m[3]) x.at = { line: Number(m[3]), column: Number(m[4]) };
    if (m[5] !== undefined) x.counterexample = m[5];
    c.expected.push(x);
  }
  if (header('expect').length === 0) throw new Error(`${file}: no expect header`);
  return c;
}

/** The seccomp programs, one possibly miscompiled on purpose, checked by translation validation. */
async function translationFindings(ir: PolicyIR, mutate: Case['mutate']): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const arch of seccompArches(ir)) {
    let program = compileSeccomp(ir, arch).program;
    if (mutate && mutate.arch === arch) {
      const i = program.findIndex((insn) => insn.k >>> 0 === mutate.from);
      if (i < 0) throw new Error(`mutation target k=0x${mutate.from.toString(16)} not in the ${arch} program`);
      program = program.map((insn, j) => (j === i ? { ...insn, k: mutate.to } : insn));
    }
    for (const f of await validateSeccomp(ir, arch, program)) {
      const d = diagnostic('MXC2003', `the compiled ${arch} seccomp program disagrees with the policy: ${f.direction}`);
      d.counterexample = f.display;
      out.push(d);
    }
  }
  return out;
}

/** Everything mxcc reports about one case. */
async function findingsOf(c: Case): Promise<Diagnostic[]> {
  const dir = path.dirname(c.file);
  const r = compileFile(c.file, { cwd: dir });
  const out = r.diagnostics.filter((d) => d.severity !== 'note');
  if (!r.ir) return out;
  const pass = await lintAndVerify(r.ir, r.program);
  out.push(...pass.assertions, ...pass.lints, ...(await translationFindings(r.ir, c.mutate)), ...compileOciSeccomp(r.ir).diagnostics);
  if (c.baseline) {
    const base = compileFile(path.resolve(dir, c.baseline), { cwd: dir });
    if (!base.ir) throw new Error(`${c.baseline}: ${base.diagnostics.map((d) => d.message).join('; ')}`);
    out.push(...(await baselineDiagnostics(base.ir, r.ir, r.program, c.baseline)));
  }
  return out;
}

const shown = (d: Diagnostic): string => `${d.code} at ${d.span ? `${d.span.line}:${d.span.column}` : '-'}${d.counterexample !== undefined ? ` counterexample: ${String(d.counterexample)}` : ''} (${d.message})`;

function matches(d: Diagnostic, e: Expected, file: string): boolean {
  if (d.code !== e.code) return false;
  if (e.at) {
    if (!d.span || d.span.line !== e.at.line || d.span.column !== e.at.column || path.basename(d.span.file) !== path.basename(file)) return false;
  } else if (d.span) return false;
  if (e.counterexample !== undefined && e.counterexample !== '?' && String(d.counterexample) !== e.counterexample) return false;
  return true;
}

function casesIn(sub: string): Case[] {
  const dir = path.join(HERE, sub);
  return readdirSync(dir).filter((f) => f.endsWith('.mxc')).sort().map((f) => parseCase(path.join(dir, f)));
}

const flawed = casesIn('flawed');
const clean = casesIn('clean');

describe('planted flaws', () => {
  it('has at least 40 flawed and 10 clean cases, and every lint is planted', () => {
    expect(flawed.length).toBeGreaterThanOrEqual(40);
    expect(clean.length).toBeGreaterThanOrEqual(10);
    const codes = new Set(flawed.flatMap((c) => c.expected.map((e) => e.code)));
    for (const l of LINTS) expect(codes, l.id).toContain(l.code);
    for (const code of ['MXC2001', 'MXC2002', 'MXC2003']) expect(codes).toContain(code);
    for (const c of flawed) {
      expect(c.flaw, c.file).toBeTruthy();
      expect(c.expected.length, c.file).toBeGreaterThan(0);
    }
    for (const c of clean) expect(c.expected, c.file).toEqual([]);
  });

  it('a base reports its own redundant rules; a child that extends it does not (clean/inherits-redundant-base.mxc)', async () => {
    const found = await findingsOf({ file: path.join(HERE, 'bases', 'redundant-base.mxc'), expected: [] });
    expect(found.map((d) => `${d.code} ${d.span?.line}:${d.span?.column}`)).toEqual(['MXC2121 5:5', 'MXC2121 9:11']);
  });

  for (const c of [...flawed, ...clean]) {
    const name = path.relative(HERE, c.file);
    it(`${name}: ${c.expected.length === 0 ? 'no findings' : c.expected.map((e) => e.code).join(', ')}`, async () => {
      const found = await findingsOf(c);
      const left = [...found];
      const missing: Expected[] = [];
      for (const e of c.expected) {
        const i = left.findIndex((d) => matches(d, e, c.file));
        if (i < 0) missing.push(e);
        else left.splice(i, 1);
      }
      expect({ missing, unexpected: left.map(shown) }, `found:\n${found.map(shown).join('\n')}`).toEqual({ missing: [], unexpected: [] });
      // Assertion counterexamples are the requests the verifier re-checked; they must be stated exactly.
      for (const e of c.expected) if (e.code === 'MXC2001') expect(e.counterexample, `${name}: state the counterexample`).toBeDefined();
    });
  }
});
