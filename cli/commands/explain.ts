import type { Command } from 'commander';
import { compileFile, originSpan } from '../../compiler/index.js';
import type { Program } from '../../compiler/load.js';
import { diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { PolicyIR } from '../../compiler/ir.js';
import { collectParam, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, parseFormat, printDiagnostics, type CommandContext } from '../context.js';

export function registerExplain(program: Command, ctx: CommandContext): void {
  program
    .command('explain')
    .description('decide one request against a policy and show the deciding rules')
    .argument('<file>', 'policy file (.mxc)')
    .argument('<request>', 'e.g. "read /home/u/.ssh/config", "connect tcp example.com:443", "syscall x86_64 socket 2 1 0"')
    .option('--param <name=value>', 'set a policy parameter, repeatable', collectParam)
    .option('--policy <name>', 'which policy to use when the file declares several')
    .option('--format <format>', 'text or json', 'text')
    .addHelpText('after', `
Request forms:
  read|list|write|create|delete|exec|ioctl|truncate|refer /abs/path
  connect|bind tcp|udp HOST:PORT      (IPv6 as [::1]:443)
  resolve HOST
  syscall [x86_64|aarch64] NAME|NR [ARG...]   or   syscall NAME(ARG, ...)
A path may be a JSON string: read "/tmp/x \\u001f". Counterexamples print a path that way when
it has a character one cannot see or tell from another (a control or format character, a space
other than U+0020, a leading or trailing space).
A path may start with \${name} (a path param) or ~ (\${home}), as counterexamples print them: the
param's --param value, else its default, is put in its place.
Each deciding rule is shown whole (on one line); a deny whose action lets the call proceed
(log) is shown as "logged by".

Exit status: 0 the request is allowed, 1 it is denied, 2 usage or policy error.`)
    .action(async (file: string, requestText: string, opts: { param?: Record<string, string>; policy?: string; format: string }) => {
      const format = parseFormat(opts.format);
      const { decide } = await import('../../compiler/evaluate.js');
      const { formatRequest, parseRequest } = await import('../../compiler/request.js');
      const result = compileFile(file, { cwd: ctx.io.cwd, params: opts.param ?? {}, ...(opts.policy ? { policy: opts.policy } : {}) });
      if (!result.ir) {
        printDiagnostics(ctx.io, result.diagnostics, result.sources, format);
        ctx.exit(EXIT_USAGE);
        return;
      }
      const ir = result.ir;
      const parsed = parseRequest(requestText, { pathParam: (name) => pathParamValue(ir, name, opts.param ?? {}) });
      if ('error' in parsed) {
        printDiagnostics(ctx.io, [diagnostic('MXC1501', parsed.error, { help: parsed.help || 'see mxcc explain --help for the request forms' })], new Map(), format);
        ctx.exit(EXIT_USAGE);
        return;
      }
      let decision;
      try {
        decision = decide(result.ir, parsed.request, opts.param ?? {});
      } catch (e) {
        printDiagnostics(ctx.io, [diagnostic('MXC1501', (e as Error).message, { help: 'give the value with --param name=value' })], new Map(), format);
        ctx.exit(EXIT_USAGE);
        return;
      }
      const rules = decision.deciding.map((id) => describeRule(result.ir!, id, result.sources, result.program));
      if (format === 'json') {
        ctx.io.stdout(JSON.stringify({ request: formatRequest(parsed.request), allowed: decision.allowed, action: decision.action, reason: decision.reason, deciding: rules }, null, 2) + '\n');
      } else {
        const verdict = decision.allowed ? 'ALLOW' : 'DENY';
        const why: Record<string, string> = {
          // A deny whose action lets the call proceed (log) does not deny it.
          'denied-by-rule': !decision.allowed ? 'denied by' : decision.action.kind === 'log' ? 'logged by' : 'let through by',
          'allowed-by-rule': 'allowed by',
          'no-matching-allow': 'no allow rule matches (default deny)',
          'default-action': 'no rule matches; the syscall default action applies',
        };
        const action = decision.action.kind === 'errno' ? `errno(${decision.action.errno})` : decision.action.kind;
        let out = `${verdict} ${formatRequest(parsed.request)}${decision.action.kind === 'allow' ? '' : ` → ${action}`}\n  ${why[decision.reason] ?? decision.reason}${rules.length ? ':' : ''}\n`;
        for (const r of rules) out += `    ${r.id}  ${r.location}  ${r.source}\n`;
        ctx.io.stdout(out);
      }
      ctx.exit(decision.allowed ? EXIT_OK : EXIT_FINDINGS);
    });
}

/** A `${name}` or `~` (home) at the start of a request path: the path param's value (--param, else the default). */
function pathParamValue(ir: PolicyIR, name: string, given: Readonly<Record<string, string>>): string | { error: string; help: string } {
  const shown = name === 'home' ? '~ (${home})' : `\${${name}}`;
  const declared = ir.params.find((p) => p.name === name && p.type === 'path');
  if (!declared) {
    const paths = ir.params.filter((p) => p.type === 'path').map((p) => p.name);
    return { error: `the request path starts with ${shown}, but the policy has no path param ${name}`, help: paths.length ? `its path params: ${paths.join(', ')}` : 'write an absolute path' };
  }
  const value = given[name] ?? declared.value ?? declared.default;
  if (value === undefined) return { error: `the request path starts with ${shown}, which has no value`, help: `give it with --param ${name}=/absolute/dir` };
  return value;
}

function describeRule(ir: PolicyIR, id: string, sources: Map<string, string>, program: Program): { id: string; location: string; source: string } {
  const all = [...ir.fs.rules, ...ir.net.rules, ...ir.syscalls.rules.x86_64, ...ir.syscalls.rules.aarch64];
  const rule = all.find((r) => r.id === id);
  if (!rule) return { id, location: '?', source: '' };
  const span = originSpan(rule.origin, program);
  const text = sources.get(span.file);
  // The lines of the rule, which may span several (its hosts, its paths), on one line.
  const from = text === undefined ? 0 : text.lastIndexOf('\n', span.offset - 1) + 1;
  const to = text === undefined ? -1 : text.indexOf('\n', span.offset + span.length);
  const source = text === undefined ? '' : text.slice(from, to < 0 ? text.length : to).replace(/\s+/g, ' ').trim();
  return { id, location: `${span.file}:${span.line}:${span.column}`, source };
}
