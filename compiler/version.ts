import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from './load.js';

/** The version in package.json, read once. */
export const MXCC_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
