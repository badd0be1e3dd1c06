/** The compiler's public API: files → IR with diagnostics. Commands and tests call these. */
import { checkProgram, type CheckCache, type CheckOptions } from './check.js';
import { DiagnosticBag, diagnostic, type Diagnostic } from './diagnostics/diagnostic.js';
import type { PolicyIR } from './ir.js';
import { loadProgram, type LoadOptions, type ParseCache, type Program } from './load.js';

export type { PolicyIR } from './ir.js';
export type { Diagnostic } from './diagnostics/diagnostic.js';

export interface CompileOptions extends CheckOptions, LoadOptions {
  /** Which policy of the entry file to compile when it declares several. */
  policy?: string;
}

export interface CompileResult {
  ir?: PolicyIR;
  diagnostics: Diagnostic[];
  /** Source texts by display name, for rendering code frames. */
  sources: Map<string, string>;
  program: Program;
}

/** Load, check and lower one policy file. Never throws for bad input. */
export function compileFile(entryPath: string, options: CompileOptions = {}): CompileResult {
  const program = loadProgram(entryPath, options);
  const bag = new DiagnosticBag();
  bag.addAll(program.diagnostics);
  const checked = checkProgram(program, options);
  bag.addAll(checked.diagnostics);
  let ir: PolicyIR | undefined;
  const entryFile = program.files.get(program.entry);
  if (entryFile?.document) {
    const names = checked.entryPolicies;
    let chosen: string | undefined;
    if (options.policy !== undefined) {
      if (names.includes(options.policy)) chosen = options.policy;
      else bag.add(diagnostic('MXC1303', `${entryFile.display} declares no policy ${options.policy}`, { help: names.length ? `it declares: ${names.join(', ')}` : undefined }));
    } else if (names.length === 1) chosen = names[0];
    else if (names.length > 1 && !bag.hasErrors) {
      bag.add(diagnostic('MXC1307', `${entryFile.display} declares ${names.length} policies`, {
        span: entryFile.document.policies[1]?.name.span,
        help: `choose one with --policy (${names.join(', ')})`,
      }));
    } else if (entryFile.document.imports.length > 0 && !bag.hasErrors) {
      bag.add(diagnostic('MXC1005', `${entryFile.display} declares no policy`, { help: 'a file to compile must declare a policy' }));
    }
    if (chosen !== undefined && !bag.hasErrors) ir = checked.policies.get(chosen);
  }
  const diagnostics = bag.sorted();
  return { ...(ir && !diagnostics.some((d) => d.severity === 'error') ? { ir } : {}), diagnostics, sources: program.sources, program };
}

/** Check files (every policy in each); diagnostics of all files, deduplicated across shared imports. */
export function checkFiles(paths: readonly string[], options: CompileOptions = {}): { diagnostics: Diagnostic[]; sources: Map<string, string>; policies: number } {
  const bag = new DiagnosticBag();
  const seen = new Set<string>();
  const sources = new Map<string, string>();
  let policies = 0;
  // Files imported by several of the checked files are parsed once.
  const parseCache: ParseCache = new Map();
  // ...and policies they declare that check clean are checked once (see CheckCache).
  const cache: CheckCache = new Map();
  for (const p of paths) {
    const program = loadProgram(p, { ...options, parseCache });
    const checked = checkProgram(program, { ...options, cache });
    policies += checked.entryPolicies.length;
    for (const d of [...program.diagnostics, ...checked.diagnostics]) {
      const key = `${d.code}|${d.span?.file}|${d.span?.offset}|${d.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      bag.add(d);
    }
    for (const [k, v] of program.sources) sources.set(k, v);
  }
  return { diagnostics: bag.sorted(), sources, policies };
}


export { originSpan } from './origin.js';
