/**
 * z3-solver's 33 MB WebAssembly module, read and compiled on a thread of its own.
 *
 * `WebAssembly.compile` is not as asynchronous as it looks: in Node 20 it holds the calling
 * thread for about 0.2 s on this module before it returns its promise (measured on the project's
 * machine: 194 ms of a 273 ms compile), and the file's read only completes when that thread gets
 * back to its event loop. A worker thread reads and compiles it instead and posts the compiled
 * module back (a WebAssembly.Module crosses threads without being compiled again), so the
 * caller's thread is held for about 20 ms. `bin/mxcc.js` starts it before it imports the CLI, for
 * the commands that use z3, so the compile also overlaps Node loading mxcc's own modules.
 *
 * This module imports nothing of mxcc's: it is loaded first.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's code (CommonJS, evaluated): the whole file read with one read through `fs` (as a
 * test's stand-in for a broken install replaces it), compiled, posted back.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const fd = fs.openSync(workerData, 'r');
let bytes;
try {
  const size = fs.fstatSync(fd).size;
  bytes = new Uint8Array(size);
  for (let at = 0; at < size; ) {
    const n = fs.readSync(fd, bytes, at, size - at, at);
    if (n === 0) throw new Error(workerData + ': unexpected end of file');
    at += n;
  }
} finally {
  fs.closeSync(fd);
}
WebAssembly.compile(bytes).then((module) => parentPort.postMessage(module), (e) => { throw e; });
`;

let compiled: Promise<object> | undefined;

/** The compiled module (started on the first call; later calls share it). */
export function compileZ3Module(): Promise<object> {
  compiled ??= new Promise<object>((resolve, reject) => {
    const file = createRequire(import.meta.url).resolve('z3-solver/build/z3-built.wasm');
    const worker = new Worker(SOURCE, { eval: true, workerData: file });
    worker.unref(); // never what keeps the process alive
    worker.once('message', (module: object) => {
      resolve(module);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the thread compiling z3's WebAssembly module stopped (exit code ${code})`)));
  });
  compiled.catch(() => undefined); // the caller that awaits it reports a failure
  return compiled;
}
