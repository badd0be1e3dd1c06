/**
 * Tests' one-file programs: a policy text compiled from memory as /v/p.mxc, without the standard
 * library (stdDir /nostd: `std/…` imports do not resolve), the compiler's options on top.
 */
import { compileFile, type CompileOptions, type CompileResult, type PolicyIR } from '../compiler/index.js';

export function compileText(text: string | Uint8Array, options: CompileOptions = {}): CompileResult {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  return compileFile('/v/p.mxc', { host: { readFile: (p) => (p === '/v/p.mxc' ? bytes : undefined) }, cwd: '/v', stdDir: '/nostd', ...options });
}

/** `compileText` of a text that must compile: otherwise an Error with its diagnostics and the text. */
export function mustCompile(text: string, options: CompileOptions = {}): CompileResult & { ir: PolicyIR } {
  const r = compileText(text, options);
  if (!r.ir) throw new Error(`${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n')}\nin:\n${text}`);
  return r as CompileResult & { ir: PolicyIR };
}
