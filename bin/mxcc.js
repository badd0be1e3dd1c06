#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the prepare script).

// The commands that prove things with z3 start compiling its WebAssembly module on a thread of
// its own before the CLI's modules are even imported (they take a quarter of a second to load on
// a slow machine); a failure is reported by the command, where it awaits z3.
const [command] = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (['lint', 'verify', 'diff'].includes(command) && !process.argv.some((a) => a === '--help' || a === '-h')) {
  (await import('../dist/verifier/z3-module.js')).compileZ3Module();
}
const { main } = await import('../dist/cli/main.js');
const { writeSync } = await import('node:fs');

// A reader that stops early (`mxcc compile -t ir | head`) closes the pipe: stop quietly, as
// other command-line tools do, instead of an unhandled EPIPE with a stack trace. Any other write
// error (a full disk, /dev/full) means the output is lost: say so on stderr and exit 2.
const onWriteError = (name) => (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  if (name === 'stdout') {
    try {
      writeSync(2, `mxcc: error: cannot write to stdout: ${e.code ? `${e.message.replace(/^[A-Z]+: /, '').replace(/, write$/, '')} (${e.code})` : e.message}\n`);
    } catch {
      // stderr is gone too: the exit status is all that is left
    }
  }
  process.exit(2);
};
process.stdout.on('error', onWriteError('stdout'));
process.stderr.on('error', onWriteError('stderr'));

const code = await main(process.argv.slice(2));
// z3-solver's worker threads can keep the event loop alive after the verifier is done, so the
// process ends explicitly once main has returned, but only after stdout and stderr have handed
// everything to the OS: writes to a pipe can still be queued here (measured: `mxcc compile -t ir |
// wc -c` lost all but the first 128 KiB when the process exited at once).
const flushed = (stream) => new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
// A failed write reports its error event a tick later (a file's write fails synchronously, but
// the stream emits 'error' on the next tick): let it run before exiting with `code`.
await new Promise((resolve) => setImmediate(resolve));
process.exit(code);
