/**
 * The bundle fuzzer builds and every seed runs once under ASan + UBSan + LeakSanitizer: the corpus
 * compiled by the CLI and the hand-made edge cases of enforcer/fuzz/seeds.mjs. The long run is
 * `make -C enforcer fuzz-run` (CI runs it for 60 s). Needs clang with libclang-rt: missing it fails
 * the suite; nothing is skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../..');
const enforcerDir = path.join(repo, 'enforcer');
const harness = path.join(enforcerDir, 'fuzz', 'fuzz_bundle');
const seeds = mkdtempSync(path.join(tmpdir(), 'mxcc-fuzz-seeds-'));

beforeAll(() => {
  const build = spawnSync('make', ['-C', enforcerDir, 'fuzz'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`make -C enforcer fuzz failed (clang and libclang-rt-14-dev are required):\n${build.stderr}`);
  execFileSync(process.execPath, [path.join(enforcerDir, 'fuzz', 'seeds.mjs'), seeds], { cwd: repo, stdio: 'pipe' });
}, 120_000);

afterAll(() => rmSync(seeds, { recursive: true, force: true }));

describe('bundle fuzz harness', () => {
  it('has seeds from every corpus policy and the hand-made cases', () => {
    const files = readdirSync(seeds);
    const policies = readdirSync(path.join(repo, 'corpus')).filter((f) => f.endsWith('.mxc'));
    for (const p of policies) expect(files).toContain(`corpus-${path.basename(p, '.mxc')}.mxcb`);
    expect(files.filter((f) => f.startsWith('hand-')).length).toBeGreaterThanOrEqual(4);
    expect(files.filter((f) => f.startsWith('bad-')).length).toBeGreaterThanOrEqual(4);
  });

  it('runs every seed once without a sanitizer report', () => {
    const r = spawnSync(harness, ['-runs=0', '-error_exitcode=77', '-timeout=10', seeds], {
      encoding: 'utf8',
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/INITED/);
    expect(r.stderr).toMatch(/Done \d+ runs/);
    expect(r.stderr).not.toMatch(/ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/);
  });
});
