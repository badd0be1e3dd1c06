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

// A reader that stops early (`mxcc compile -t ir | head`) closes the pipe: stop quietly, as
// other command-line tools do, instead of an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => process.exit(e.code === 'EPIPE' ? 0 : 2));
}

const code = await main(process.argv.slice(2));
// z3-solver's worker threads can keep the event loop alive after the verifier is done, so the
// process ends explicitly once main has returned, but only after stdout and stderr have handed
// everything to the OS: writes to a pipe can still be queued here (measured: `mxcc compile -t ir |
// wc -c` lost all but the first 128 KiB when the process exited at once).
const flushed = (stream) => new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
