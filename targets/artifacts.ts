/**
 * Artifacts of a set of loaded targets plus manifest.json with the sha256 of every file. Kept apart
 * from targets/index.ts so the CLI can load only the backends it builds (targets/catalog.ts).
 */
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import type { PolicyIR } from '../compiler/ir.js';
import { canonicalJson } from '../compiler/json.js';
import { MXCC_VERSION } from '../compiler/version.js';
import type { ArtifactFile, FidelityEntry, Target } from './index.js';

export function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

export function assembleArtifacts(ir: PolicyIR, targets: readonly Target[]): { files: ArtifactFile[]; diagnostics: Diagnostic[] } {
  const files: ArtifactFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const fidelity: Record<string, FidelityEntry[]> = {};
  // The linux bundle already contains the seccomp programs (with the network additions its
  // mode needs), so asking for both builds the bundle's.
  const chosen = targets.some((t) => t.name === 'linux') ? targets.filter((t) => t.name !== 'seccomp') : targets;
  for (const target of [...chosen].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (fidelity[target.name]) continue;
    const out = target.compile(ir);
    files.push(...out.files);
    diagnostics.push(...out.diagnostics);
    fidelity[target.name] = out.fidelity;
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  const manifest = {
    mxccVersion: MXCC_VERSION,
    policy: ir.name,
    irSha256: sha256(canonicalJson(ir)),
    files: files.map((f) => ({ path: f.path, sha256: sha256(f.content), bytes: typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.length })),
    fidelity,
  };
  files.push({ path: 'manifest.json', content: canonicalJson(manifest) });
  return { files, diagnostics };
}
