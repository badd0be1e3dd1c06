/**
 * The targets by name, each loaded on first use: `mxcc compile -t ir` need not load the Linux and
 * OCI backends (and their syscall tables) to start. The order is the one `mxcc targets` lists.
 */
import type { Target } from './index.js';

const LOADERS: Record<string, () => Promise<Target>> = {
  ir: async () => (await import('./ir/index.js')).irTarget,
  linux: async () => (await import('./linux/index.js')).linuxTarget,
  seccomp: async () => (await import('./linux/seccomp/target.js')).seccompTarget,
  oci: async () => (await import('./oci/index.js')).ociTarget,
};

export const IMPLEMENTED_TARGETS: readonly string[] = Object.keys(LOADERS);

/** The named targets, loaded; names that are not targets are skipped. */
export async function loadTargets(names: readonly string[]): Promise<Target[]> {
  return Promise.all(IMPLEMENTED_TARGETS.filter((n) => names.includes(n)).map((n) => LOADERS[n]!()));
}
