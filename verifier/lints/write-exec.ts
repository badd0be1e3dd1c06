import type { Lint } from './lint.js';

/** Writable and executable at once: checked over every path the policy lets the agent write. */
export const writeExec: Lint = {
  id: 'write-exec',
  code: 'MXC2103',
  title: 'a path is both writable and executable',
  severity: 'warning',
  rationale: 'Code written by the sandboxed process can then be executed, so anything downloaded or generated runs; prefer exec only for the toolchain.',
  probes() {
    return [{ message: 'a path is both writable and executable', request: { kind: 'fs-joint', access: ['write', 'exec'] }, help: 'drop exec from writable directories, or write outside the directories that are executable' }];
  },
};
