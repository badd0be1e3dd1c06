import type { Command } from 'commander';
import { parseIpv4, parseIpv6 } from '../../compiler/values.js';
import { collectParam, UsageError, type CommandContext } from '../context.js';

/** `--resolve NAME=IP[,IP...]` values collected into a map; a malformed one is a usage error. */
export function collectResolve(value: string, previous: Map<string, string[]> = new Map()): Map<string, string[]> {
  const eq = value.indexOf('=');
  const name = value.slice(0, eq).trim().toLowerCase().replace(/\.$/, '');
  const addresses = value
    .slice(eq + 1)
    .split(',')
    .map((a) => a.trim().replace(/^\[(.*)\]$/, '$1'));
  if (eq <= 0 || !name || addresses.some((a) => parseIpv4(a) === undefined && parseIpv6(a) === undefined)) throw new UsageError(`--resolve expects NAME=IP[,IP...] with IPv4 or IPv6 addresses (got "${value}")`);
  return new Map([...previous, [name, addresses]]);
}

export function registerRun(program: Command, ctx: CommandContext): void {
  program
    .command('run')
    .description('run a command under a policy: compile it, start the egress proxy if needed, and launch through mxc-enforce')
    .argument('<file>', 'policy file (.mxc)')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--param <name=value>', 'set a policy parameter (compile time and launch), repeatable', collectParam)
    .option('--policy <name>', 'which policy to use when the file declares several')
    .option('--log-net <file|->', 'log every egress proxy decision, one line each, to FILE (appended) or - (stderr)')
    .option('--resolve <name=ip[,ip]>', 'the proxy resolves NAME to these addresses instead of asking the system resolver, repeatable', collectResolve)
    .option('--sha256 <hex>', 'run only if the policy compiles to a bundle with this SHA-256 (see bundle.json of mxcc compile)')
    .option('--dry-run', 'print what would be applied (mxc-enforce --dry-run and the proxy allowlist) and run nothing')
    .option('--audit', 'to tighten a policy: syscalls the policy denies run and are logged by the kernel (dmesg) instead; Landlock and everything else stay enforced')
    .usage('[options] <file> -- <command> [args...]')
    .addHelpText('after', `
The command runs with the caller's stdin, stdout and stderr, in the policy's sandbox:
Landlock, seccomp, namespaces and limits (see enforcer/README.md). When the policy names hosts,
the command gets its own network namespace whose only way out is mxcc's egress proxy
(HTTP CONNECT, plain HTTP and SOCKS5 on 127.0.0.1 inside it; HTTP_PROXY, HTTPS_PROXY and
ALL_PROXY are set). The proxy resolves names itself and refuses hosts, ports and addresses the
policy does not allow, including names that resolve to loopback or link-local addresses no
rule names. SIGINT, SIGTERM and SIGHUP are passed to the command; the private bundle directory
and the proxy socket are removed on every exit.

Examples:
  mxcc run corpus/package-install.mxc --param workspace=$PWD -- npm ci
  mxcc run policy.mxc --log-net - -- curl https://registry.npmjs.org/
  mxcc run policy.mxc --resolve api.test=127.0.0.1 -- curl http://api.test:8080/
  mxcc run policy.mxc --dry-run -- make
  mxcc run policy.mxc --audit -- make test; dmesg | grep 'type=1326'

Exit status: the command's own; 128+N if it died of signal N; 125 if mxc-enforce refused to
launch it; 126/127 if it could not be executed or found; 1 errors in the policy (or a --sha256
mismatch); 2 usage, I/O or environment errors (e.g. no enforcer).
Documentation: docs/run.md`)
    .action(async (file: string, command: string[], opts: { param?: Record<string, string>; policy?: string; logNet?: string; resolve?: Map<string, string[]>; sha256?: string; dryRun?: boolean; audit?: boolean }) => {
      if (opts.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.sha256)) throw new UsageError(`--sha256 expects 64 hex digits (got "${opts.sha256}")`);
      // Loaded on use: the proxy's http/dns modules are not start-up cost for the other commands.
      const { runPolicy } = await import('../launch.js');
      const code = await runPolicy(
        {
          policyFile: file,
          command,
          params: opts.param ?? {},
          ...(opts.policy !== undefined ? { policy: opts.policy } : {}),
          ...(opts.logNet !== undefined ? { logNet: opts.logNet } : {}),
          ...(opts.resolve ? { resolve: opts.resolve } : {}),
          ...(opts.sha256 !== undefined ? { sha256: opts.sha256 } : {}),
          dryRun: opts.dryRun === true,
          audit: opts.audit === true,
        },
        ctx.io,
      );
      ctx.exit(code);
    });
}
