/**
 * Backends: each is a pure function of IR (+ options) → files and a fidelity report.
 * buildArtifacts adds manifest.json with the sha256 of every file.
 */
import type { Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import type { PolicyIR } from '../compiler/ir.js';
import { assembleArtifacts } from './artifacts.js';
import { irTarget } from './ir/index.js';
import { seccompTarget } from './linux/seccomp/target.js';
import { linuxTarget } from './linux/index.js';
import { ociTarget } from './oci/index.js';

export { sha256 } from './artifacts.js';

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

/** Every named target's artifacts plus manifest.json (see assembleArtifacts). */
export function buildArtifacts(ir: PolicyIR, targetNames: readonly string[]): { files: ArtifactFile[]; diagnostics: Diagnostic[] } {
  return assembleArtifacts(ir, TARGETS.filter((t) => targetNames.includes(t.name)));
}
