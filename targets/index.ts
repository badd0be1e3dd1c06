/**
 * Backends: each is a pure function of IR (+ options) → files and a fidelity report.
 * buildArtifacts adds manifest.json with the sha256 of every file.
 */
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import type { PolicyIR } from '../compiler/ir.js';
import { canonicalJson } from '../compiler/json.js';
import { irTarget } from './ir/index.js';
import { seccompTarget } from './linux/seccomp/target.js';
import { linuxTarget } from './linux/index.js';
import { ociTarget } from './oci/index.js';
import { MXCC_VERSION } from '../compiler/version.js';

export type Fidelity = 'exact' | 'stricter' | 'weaker';

export interface FidelityEntry {
  rule: string;
  fidelity: Fidelity;
  note?: string;
}

export interface ArtifactFile {
  path: string;
  content: string | Uint8Array;
}

export interface TargetOutput {
  files: ArtifactFile[];
  fidelity: FidelityEntry[];
  diagnostics: Diagnostic[];
}

export interface Target {
  name: string;
  description: string;
  compile(ir: PolicyIR): TargetOutput;
}

export const TARGETS: readonly Target[] = [irTarget, linuxTarget, seccompTarget, ociTarget];

export function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

export function buildArtifacts(ir: PolicyIR, targetNames: readonly string[]): { files: ArtifactFile[]; diagnostics: Diagnostic[] } {
  const files: ArtifactFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const fidelity: Record<string, FidelityEntry[]> = {};
  // The linux bundle already contains the seccomp programs (with the network additions its
  // mode needs), so asking for both builds the bundle's.
  const names = new Set(targetNames);
  if (names.has('linux')) names.delete('seccomp');
  for (const name of [...names].sort()) {
    const target = TARGETS.find((t) => t.name === name);
    if (!target) continue;
    const out = target.compile(ir);
    files.push(...out.files);
    diagnostics.push(...out.diagnostics);
    fidelity[name] = out.fidelity;
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
