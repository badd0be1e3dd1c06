import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { nodeHost } from './load.js';
import { MAX_SOURCE_BYTES } from '../grammar/lexer.js';

describe('nodeHost.readFile', () => {
  it('reads a file whose stated size is wrong (0 in /proc) to its end, and a regular file exactly', () => {
    const status = nodeHost.readFile('/proc/self/status')!;
    expect(Buffer.from(status).toString('latin1')).toMatch(/^Name:/);
    expect(Buffer.from(status).toString('latin1')).toMatch(/\nPid:\t\d+\n/);
    const dir = mkdtempSync(path.join(tmpdir(), 'mxcc-load-'));
    try {
      const file = path.join(dir, 'p.mxc');
      const text = 'policy p {\n}\n'.repeat(1000);
      writeFileSync(file, text);
      expect(Buffer.from(nodeHost.readFile(file)!).equals(readFileSync(file))).toBe(true);
      writeFileSync(file, Buffer.alloc(MAX_SOURCE_BYTES + 1, 0x20));
      expect(() => nodeHost.readFile(file)).toThrow(expect.objectContaining({ code: 'EFBIG' }));
      expect(nodeHost.readFile(path.join(dir, 'missing.mxc'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
