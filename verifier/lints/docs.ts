/** docs/lints.md, rendered from the LINTS registry (written by verifier/lints/gen-docs.mjs, checked by a test). */
import type { Lint } from './lint.js';

export function renderLintsDoc(lints: readonly Lint[]): string {
  const lines = [
    '# Lints',
    '',
    '`mxcc lint` runs these checks after the type check and the assertions. Each is a question for the',
    'solver ("is any of these requests allowed?"); every finding comes with a concrete request that the',
    'reference evaluator confirms, blamed on the rule that allows it. Each lint is one file in',
    '`verifier/lints/` with a bad and a good fixture in `verifier/lints/__fixtures__/<id>/`.',
    '',
    'The rule-hygiene lints (redundant-rule, cross-section) ask about the rules themselves rather than',
    'about a request: they blame the rule a finding is about, name the rules that decide it, and show a',
    'request the reference evaluator confirms. The planted-flaw suite in `test/planted/` has a policy',
    'for each lint with the exact finding expected. This file is generated: `npm run build && node',
    'verifier/lints/gen-docs.mjs`.',
    '',
    '| id | code | severity | finding |',
    '| --- | --- | --- | --- |',
    ...lints.map((l) => `| [${l.id}](#${l.id}) | ${l.code} | ${l.severity} | ${l.title} |`),
  ];
  for (const l of lints) lines.push('', `## ${l.id}`, '', `${l.code}, ${l.severity}: ${l.title}.`, '', l.rationale);
  return lines.join('\n') + '\n';
}
