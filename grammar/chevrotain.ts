/**
 * chevrotain, loaded from its single-file ES module build. The package's `exports` entry points
 * at its source tree of many small modules, which costs about 200 ms to load on every mxcc start;
 * the bundled build the package ships beside it loads in about 10 ms. Same code, same API.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

type Chevrotain = typeof import('chevrotain');

async function load(): Promise<Chevrotain> {
  try {
    const entry = createRequire(import.meta.url).resolve('chevrotain');
    const bundle = path.join(path.dirname(entry), '..', 'chevrotain.mjs');
    if (existsSync(bundle)) return (await import(pathToFileURL(bundle).href)) as Chevrotain;
  } catch {
    // Fall through to the package entry point.
  }
  return import('chevrotain');
}

const chevrotain: Chevrotain = await load();

export const { createToken, Lexer, CstParser, EOF } = chevrotain;
export type { CstElement, CstNode, IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
