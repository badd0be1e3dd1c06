/**
 * `mxcc run`: compile a policy to a private bundle, start the egress proxy when the policy's
 * network mode needs it, run the command through mxc-enforce with the caller's stdio, pass its
 * exit status through, and remove everything it created on every way out (errors and signals too).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { compileFile } from '../compiler/index.js';
import { hasErrors } from '../compiler/diagnostics/diagnostic.js';
import type { PolicyIR } from '../compiler/ir.js';
import { buildLinuxBundle } from '../targets/linux/index.js';
import { EXIT_FINDINGS, EXIT_USAGE, printDiagnostics, UsageError, type Io } from './context.js';
import { describeAllowlist, EgressPolicy, mapResolver, systemResolver } from './net/egress.js';
import { startEgressProxy, type RunningProxy } from './net/proxy.js';
import { ConnectorChannel } from './net/connector.js';

export interface RunOptions {
  policyFile: string;
  command: string[];
  params?: Record<string, string>;
  policy?: string;
  /** `-` for stderr (stdout belongs to the command), else a file appended to. */
  logNet?: string;
  /** NAME → addresses the proxy uses instead of the system resolver. */
  resolve?: ReadonlyMap<string, string[]>;
  dryRun?: boolean;
  /** mxc-enforce --audit: seccomp denials are logged by the kernel instead of enforced. */
  audit?: boolean;
  /** Refuse to run unless the compiled bundle has this SHA-256. */
  sha256?: string;
  /** Path of mxc-enforce (default: the enforcer/ directory of this package, or $MXCC_ENFORCER). */
  enforcer?: string;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const signalNumber = (s: NodeJS.Signals): number => osConstants.signals[s] ?? 0;

/** mxc-enforce next to this package: enforcer/ beside dist/ (built) or beside cli/ (sources). */
export function defaultEnforcer(env: NodeJS.ProcessEnv): string {
  if (env.MXCC_ENFORCER) return env.MXCC_ENFORCER;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '..', 'enforcer', 'mxc-enforce'), path.resolve(here, '..', '..', 'enforcer', 'mxc-enforce')];
  return candidates.find((c) => existsSync(c)) ?? candidates[candidates.length - 1]!;
}

/** Compile, launch, wait. Returns the exit status: the command's, or 1/2 for mxcc's own errors. */
export async function runPolicy(options: RunOptions, io: Io): Promise<number> {
  if (options.command.length === 0) throw new UsageError('no command given; put it after --: mxcc run policy.mxc -- cmd args...');
  const enforcer = options.enforcer ?? defaultEnforcer(io.env);
  const help = 'help: build it with `npm install` (its prepare step runs `make -C enforcer`) or `make -C enforcer`; or point MXCC_ENFORCER at one';
  try {
    accessSync(enforcer, constants.X_OK);
  } catch {
    io.stderr(`mxcc run: error: the enforcer ${enforcer} is missing or not executable\n  ${help}\n`);
    return EXIT_USAGE;
  }
  // A directory passes the X_OK check (it can be searched) but cannot be run.
  if (!statSync(enforcer).isFile()) {
    io.stderr(`mxcc run: error: the enforcer ${enforcer} is not a file (MXCC_ENFORCER must name the mxc-enforce program, not its directory)\n  ${help}\n`);
    return EXIT_USAGE;
  }
  const params = options.params ?? {};
  const compiled = compileFile(options.policyFile, { cwd: io.cwd, params, ...(options.policy ? { policy: options.policy } : {}) });
  if (!compiled.ir || hasErrors(compiled.diagnostics)) {
    printDiagnostics(io, compiled.diagnostics, compiled.sources, 'text');
    return compiled.diagnostics.some((d) => d.code === 'MXC0001') ? EXIT_USAGE : EXIT_FINDINGS;
  }
  const ir: PolicyIR = compiled.ir;
  const built = buildLinuxBundle(ir);
  printDiagnostics(io, [...compiled.diagnostics, ...built.diagnostics], compiled.sources, 'text');
  const bundleFile = built.files.find((f) => f.path === 'bundle.mxcb');
  if (hasErrors(built.diagnostics) || !bundleFile) return EXIT_FINDINGS;
  const digest = createHash('sha256').update(bundleFile.content).digest('hex');
  if (options.sha256 !== undefined && options.sha256.toLowerCase() !== digest) {
    io.stderr(`mxcc run: error: the policy compiles to a bundle with sha256 ${digest}, not the pinned ${options.sha256}\n  help: the policy or its imports changed; review the change and pin the new digest\n`);
    return EXIT_FINDINGS;
  }
  const netMode = built.plan.netMode;

  // Everything below is undone by cleanup(), whatever happens.
  const dir = mkdtempSync(path.join(tmpdir(), 'mxcc-run-'));
  let proxy: RunningProxy | undefined;
  let logFd: number | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  let pendingSignal: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
    else pendingSignal ??= sig;
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  const cleanup = async (): Promise<void> => {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    if (proxy) await proxy.close().catch(() => undefined);
    if (logFd !== undefined && logFd > 2) closeSync(logFd);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const bundlePath = path.join(dir, 'bundle.mxcb');
    writeFileSync(bundlePath, bundleFile.content, { mode: 0o600 });
    const socketPath = path.join(dir, 'proxy.sock');
    // --die-with-parent: should this process be killed (SIGKILL too), the command goes with it.
    const args = ['--sha256', digest, '--die-with-parent', ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`])];
    // The bridge checks that this process listens on the socket, and then sends the token.
    const token = randomBytes(16).toString('hex');
    if (netMode === 'proxy') args.push('--proxy-socket', socketPath, '--proxy-pid', String(process.pid));
    const env = netMode === 'proxy' ? { ...process.env, MXC_PROXY_TOKEN: token } : process.env;
    if (options.audit) args.push('--audit');

    if (options.dryRun) {
      const r = spawnSync(enforcer, [...args, '--dry-run', bundlePath, '--', ...options.command], { encoding: 'utf8', env });
      if (r.error) {
        io.stderr(`mxcc run: error: could not start ${enforcer}: ${r.error.message}\n`);
        return EXIT_USAGE;
      }
      io.stdout(r.stdout ?? '');
      if (r.stderr) io.stderr(r.stderr);
      if (netMode === 'proxy') {
        io.stdout(`egress proxy: on ${socketPath} while the command runs; every connection decided by these rules (special addresses such as loopback and 169.254.0.0/16 only when a rule names them):\n`);
        for (const line of describeAllowlist(ir)) io.stdout(`  ${line}\n`);
        for (const [name, addrs] of options.resolve ?? []) io.stdout(`  resolve ${name} → ${addrs.join(', ')}\n`);
      } else io.stdout(`egress proxy: none (network mode ${netMode})\n`);
      return r.status ?? EXIT_USAGE;
    }

    if (netMode === 'proxy') {
      if (options.logNet !== undefined) logFd = options.logNet === '-' ? 2 : openSync(path.resolve(io.cwd, options.logNet), 'a', 0o600);
      const fd = logFd;
      const resolver = options.resolve?.size ? mapResolver(options.resolve, systemResolver) : systemResolver;
      proxy = await startEgressProxy({ policy: new EgressPolicy(ir, resolver), token, ...(fd !== undefined ? { log: (line: string) => void writeSync(fd, line + '\n') } : {}) }, { path: socketPath });
    } else if (options.logNet !== undefined) {
      io.stderr(`mxcc run: note: --log-net has nothing to log: the policy's network mode is ${netMode}, not proxy\n`);
    }
    if (pendingSignal) return 128 + signalNumber(pendingSignal);

    // The tunnel fast path (docs/run.md): fd 3 of mxc-enforce is the line channel to its connector.
    // MXCC_PROXY_SPLICE=0 leaves every byte to the proxy's own relay (for comparison).
    const fastPath = proxy !== undefined && io.env.MXCC_PROXY_SPLICE !== '0';
    const started = fastPath
      ? spawn(enforcer, [...args, '--proxy-control', '3', bundlePath, '--', ...options.command], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env })
      : spawn(enforcer, [...args, bundlePath, '--', ...options.command], { stdio: 'inherit', env });
    child = started;
    const control = started.stdio[3];
    if (fastPath && control) proxy!.setFastPath(new ConnectorChannel(control as Duplex));
    const status = await new Promise<number>((resolve) => {
      started.once('error', (e) => {
        io.stderr(`mxcc run: error: could not start ${enforcer}: ${e.message}\n`);
        resolve(EXIT_USAGE);
      });
      started.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
    });
    return status;
  } finally {
    await cleanup();
  }
}
