import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import fc from 'fast-check';
import { compileFile } from '../compiler/index.js';
import type { PolicyIR } from '../compiler/ir.js';
import { planLandlock, type LandlockPlan } from '../targets/linux/landlock.js';
import { globMatches } from '../compiler/glob.js';
import { landlockQuestions, planAllows, validateCompiledLandlock, validateLandlockPlan } from './landlock-validation.js';
import { compileText, mustCompile } from '../test/compile-text.js';

const ROOT = path.resolve(import.meta.dirname, '..');

function compile(text: string): PolicyIR {
  return mustCompile(text).ir;
}

const POLICY = `policy p {
  param home: path = "/home/u" where not under "/usr", "/etc"
  fs {
    allow read, list "~/**"
    deny read "~/.ssh/id_rsa", "~/.aws/**"
    allow read "/etc/*.conf"
    deny read "/etc/secret.conf"
    allow readwrite "/srv/data/**"
    deny write "**/.git/hooks/**"
    allow exec "/opt/tool/bin/run"
  }
  target linux { accept weaker "**/.git/hooks/**" }
}`;

function plan(): { ir: PolicyIR; plan: LandlockPlan } {
  const ir = compile(POLICY);
  return { ir, plan: planLandlock(ir).plan };
}

function mutated(f: (p: LandlockPlan) => void): { ir: PolicyIR; plan: LandlockPlan } {
  const { ir, plan: p } = plan();
  const copy = structuredClone(p);
  f(copy);
  return { ir, plan: copy };
}

describe('translation validation of the Landlock plan', () => {
  it('the plan for a policy with carve-outs, excludes and masks allows nothing the policy denies', async () => {
    const { ir, plan: p } = plan();
    expect(p.grants.some((g) => g.carve.length > 0), 'the fixture has a carve-out').toBe(true);
    expect(p.grants.some((g) => g.exclude.length > 0), 'the fixture has an exclude').toBe(true);
    expect(p.masks.length, 'the fixture has a mask').toBeGreaterThan(0);
    expect(await validateLandlockPlan(ir, p)).toEqual([]);
  });

  it('the path classes lie inside the grants: no class is outside every grant of its plan', () => {
    const q = landlockQuestions(...(Object.values(plan()) as [PolicyIR, LandlockPlan]));
    expect(q.space!.classes.length).toBeGreaterThan(0);
    const outside = q.space!.classes.filter((c) => !q.plan.grants.some((g) => globMatches(g.pattern, c.witness, q.space!.atomSet.paramRoots)));
    expect(outside.map((c) => c.witness)).toEqual([]);
  });

  it('every corpus policy: the compiled plan is validated clean', async () => {
    for (const name of ['coding-agent.mxc', 'mcp-server.mxc', 'ci-build-job.mxc']) {
      const r = compileFile(path.join(ROOT, 'corpus', name), { cwd: ROOT });
      expect(await validateCompiledLandlock(r.ir!), name).toEqual([]);
    }
  }, 60_000);

  const mutations: [string, (p: LandlockPlan) => void, RegExp][] = [
    ['a carve-out dropped', (p) => p.grants.forEach((g) => (g.carve = g.carve.filter((c) => !c.includes('.ssh')))), /^read \$\{home\}\/\.ssh\/id_rsa$/],
    ['an exclude dropped', (p) => p.grants.forEach((g) => (g.exclude = [])), /^read \/etc\/secret\.conf$/],
    ['a mask dropped', (p) => (p.masks = []), /\.git\/hooks/],
    ['an exact grant widened to its hierarchy', (p) => p.grants.filter((g) => g.pattern === '/opt/tool/bin/run').forEach((g) => ((g.mode = 'beneath'), (g.pattern = '/opt/tool/**'))), /^exec \/opt\/tool/],
    ['a right added to a grant', (p) => p.grants.filter((g) => g.pattern === '/srv/data/**').forEach((g) => g.rights.push('execute')), /^exec \/srv\/data/],
    ['a grant added', (p) => p.grants.push({ pattern: '/root/**', mode: 'beneath', rights: ['read_file'], carve: [], exclude: [], rule: 'fs.99' }), /^read \/root/],
  ];
  for (const [what, f, expected] of mutations) {
    it(`catches a miscompiled plan: ${what}`, async () => {
      const { ir, plan: bad } = mutated(f);
      const findings = await validateLandlockPlan(ir, bad);
      expect(findings.length, JSON.stringify(findings)).toBeGreaterThan(0);
      expect(findings.map((x) => x.display).some((d) => expected.test(d)), JSON.stringify(findings)).toBe(true);
      // The witness is let through by the mutated plan and not by the compiled one.
      const good = plan().plan;
      for (const x of findings.filter((f) => !f.path.includes('\u{F0000}'))) {
        expect(planAllows(bad, x.right, x.path, { home: '/home/u' }), x.display).toBeDefined();
        expect(planAllows(good, x.right, x.path, { home: '/home/u' }), x.display).toBeUndefined();
      }
    });
  }

  it('random small policies: the compiler\'s plans validate clean', async () => {
    const dirs = ['/a', '/a/b', '/c', '/a/b/c'];
    const leaf = fc.constantFrom('x', '*.key', '.git', 'id_rsa', '**');
    const glob = fc.tuple(fc.constantFrom(...dirs), leaf).map(([d, l]) => `${d}/${l}`);
    const right = fc.constantFrom('read', 'write', 'exec', 'list', 'create', 'delete');
    const rule = fc.tuple(fc.constantFrom('allow', 'deny'), fc.uniqueArray(right, { minLength: 1, maxLength: 3 }), glob).map(([e, rs, g]) => `${e} ${rs.join(', ')} "${g}"`);
    let compiled = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(rule, { minLength: 1, maxLength: 6 }), async (rules) => {
        const text = `policy p {\n  fs {\n${rules.map((r) => '    ' + r).join('\n')}\n  }\n}`;
        const r = compileText(text);
        if (!r.ir) return; // e.g. an allow under a deny of the same policy is an error
        compiled++;
        expect(await validateLandlockPlan(r.ir, planLandlock(r.ir).plan), text).toEqual([]);
      }),
      { numRuns: 60 },
    );
    expect(compiled, 'most random policies compile').toBeGreaterThan(30);
  }, 120_000);
});
