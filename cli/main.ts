/** The mxcc command line: a thin shell over the library (parse flags, call, render, exit code). */
import { Command, CommanderError } from 'commander';
import { MXCC_VERSION } from '../compiler/version.js';
import { registerCheck } from './commands/check.js';
import { registerCompile } from './commands/compile.js';
import { registerExplain } from './commands/explain.js';
import { registerFmt } from './commands/fmt.js';
import { registerTargets } from './commands/targets.js';
import { registerVerify } from './commands/verify.js';
import { registerLint } from './commands/lint.js';
import { registerDiff } from './commands/diff.js';
import { registerImport } from './commands/import.js';
import { registerRun } from './commands/run.js';
import { DiagnosticError } from '../compiler/diagnostics/diagnostic.js';
import { EXIT_FINDINGS, EXIT_USAGE, IoError, printDiagnostics, processIo, UsageError, type CommandContext, type Io } from './context.js';

export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('mxcc');
  program
    .description('mxcc: one policy language for agent sandboxes: check, verify and compile .mxc policies')
    .version(MXCC_VERSION, '-V, --version', 'print the mxcc version')
    .option('--debug', 'show stack traces for internal errors')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout(s),
      writeErr: (s) => ctx.io.stderr(s),
      outputError: (s, write) => write(s.startsWith('error:') ? `mxcc: ${s}` : s),
    })
    .addHelpText('after', `
Exit status: 0 success, 1 policy errors or findings, 2 usage, I/O or environment errors.
Documentation: README.md, docs/language.md, docs/error-codes.md`);
  registerCheck(program, ctx);
  registerFmt(program, ctx);
  registerCompile(program, ctx);
  registerVerify(program, ctx);
  registerLint(program, ctx);
  registerDiff(program, ctx);
  registerExplain(program, ctx);
  registerImport(program, ctx);
  registerRun(program, ctx);
  registerTargets(program, ctx);
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput({
      writeOut: (s) => ctx.io.stdout(s),
      writeErr: (s) => ctx.io.stderr(s),
      outputError: (s, write) => write(s.startsWith('error:') ? `mxcc ${sub.name()}: ${s}` : s),
    });
  }
  return program;
}

/** Runs mxcc with the given arguments; returns the exit status. Never throws. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code = 0;
  const ctx: CommandContext = { io, exit: (c) => (code = Math.max(code, c)) };
  const program = buildProgram(ctx);
  const debug = argv.includes('--debug');
  if (argv.length === 0) {
    io.stderr(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    if (e instanceof UsageError || e instanceof IoError) {
      io.stderr(`mxcc: error: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof DiagnosticError) {
      printDiagnostics(io, [e.diagnostic], new Map(), 'text');
      return EXIT_FINDINGS;
    }
    // verifier/z3.ts's Z3LoadError, by name: importing it here would load the verifier for every command.
    if ((e as Error).name === 'Z3LoadError') {
      io.stderr(`mxcc: error: ${(e as Error).message}\n  help: reinstall the dependencies (npm ci or npm install); the verifier needs z3-solver's WebAssembly build\n`);
      return EXIT_USAGE;
    }
    const err = e as Error;
    io.stderr(`mxcc: internal error: ${err.message}\n`);
    if (debug) io.stderr(`${err.stack ?? ''}\n`);
    else io.stderr('this is a bug in mxcc; run again with --debug for a stack trace and report it\n');
    return EXIT_USAGE;
  }
}
