#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the prepare script).
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));
// z3-solver's worker threads can keep the event loop alive after the verifier is done, so the
// process ends explicitly once main has returned (stdout and stderr writes to files, pipes and
// terminals are synchronous on Linux, so nothing written is lost).
process.exit(code);
