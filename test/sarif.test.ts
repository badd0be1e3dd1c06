/**
 * `mxcc lint --format sarif` against the official SARIF 2.1.0 JSON Schema (draft-04), as shipped
 * in node_modules/@microsoft/jest-sarif (read at test time, not copied into the repository),
 * validated with ajv's draft-04 class; plus what GitHub code scanning needs from an upload.
 * The CLI runs in-process (cli/main.ts) on planted policies with findings, without, and with
 * syntax errors.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv4Module from 'ajv-draft-04';
import { main } from '../cli/main.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const schemaFile = path.join(path.dirname(require.resolve('@microsoft/jest-sarif/package.json')), 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
// ajv-draft-04 is CommonJS (module.exports = Ajv, with .default = Ajv); under NodeNext the default import is that object, and .default the class either way.
const Ajv4 = Ajv4Module.default;
// unicodeRegExp off: the official schema's language pattern (`…-[a-zA-Z]{2}]?$`) is not a valid
// `u`-flag regular expression. The three formats it uses are checked here (without pulling in ajv-formats).
const ajv = new Ajv4({ allErrors: true, strict: false, unicodeRegExp: false });
ajv.addFormat('uri', (s: string) => URL.canParse(s));
ajv.addFormat('uri-reference', (s: string) => URL.canParse(s, 'file:///') && !/\s/.test(s));
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(schema);

interface Sarif {
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; rules: { id: string; shortDescription: { text: string }; help: { text: string } }[] } };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: { startLine: number; startColumn: number } } }[];
      relatedLocations?: { physicalLocation: { artifactLocation: { uri: string } } }[];
      partialFingerprints: Record<string, string>;
    }[];
  }[];
}

async function lintSarif(files: string[], cwd = ROOT): Promise<{ code: number; log: Sarif; text: string }> {
  let out = '';
  const code = await main(['lint', '--format', 'sarif', ...files], { stdout: (s) => (out += s), stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false, env: {}, cwd });
  return { code, log: JSON.parse(out) as Sarif, text: out };
}

function expectValid(log: unknown): void {
  const ok = validate(log);
  expect(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toBe(true);
}

const planted = (f: string): string => path.join('test', 'planted', f);

describe('SARIF output', () => {
  it('the schema is the official 2.1.0 one', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(String(schema.title)).toContain('SARIF');
    expect(String(schema.id)).toContain('sarif-2.1.0');
  });

  it('findings from several planted policies validate and carry what code scanning reads', async () => {
    const files = ['flawed/lint-exfiltration.mxc', 'flawed/assert-never-net.mxc', 'flawed/redundant-syscall-deny.mxc', 'flawed/lint-default-allow.mxc', 'flawed/cross-section-exec.mxc'].map(planted);
    const { code, log } = await lintSarif(files);
    expect(code).toBe(1);
    expectValid(log);
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0]!;
    expect(run.tool.driver.name).toBe('mxcc');
    const ids = run.tool.driver.rules.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['MXC2001', 'MXC2101', 'MXC2106', 'MXC2112', 'MXC2114', 'MXC2121', 'MXC2122']));
    for (const r of run.tool.driver.rules) {
      expect(r.shortDescription.text.length, r.id).toBeGreaterThan(0);
      expect(r.help.text.length, r.id).toBeGreaterThan(20);
    }
    // A lint's help is its rationale.
    expect(run.tool.driver.rules.find((r) => r.id === 'MXC2121')!.help.text).toContain('changes nothing');
    expect(run.results.length).toBeGreaterThanOrEqual(7);
    for (const res of run.results) {
      expect(ids[res.ruleIndex]).toBe(res.ruleId);
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(res.message.text.length).toBeGreaterThan(0);
      // Every alert has a location: a relative URI and a region with a start line and column.
      expect(res.locations).toHaveLength(1);
      const loc = res.locations[0]!.physicalLocation;
      expect(loc.artifactLocation.uri).toMatch(/^test\/planted\/flawed\/[a-z-]+\.mxc$/);
      expect(loc.region.startLine).toBeGreaterThanOrEqual(1);
      expect(loc.region.startColumn).toBeGreaterThanOrEqual(1);
      expect(Object.values(res.partialFingerprints)[0]).toMatch(/^[0-9a-f]{32}$/);
    }
    const assertion = run.results.find((r) => r.ruleId === 'MXC2001')!;
    expect(assertion.message.text).toContain('counterexample: connect tcp evil.example.com:443');
    expect(assertion.locations[0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: 'test/planted/flawed/assert-never-net.mxc' }, region: { startLine: 7, startColumn: 3 } });
    // The syscall default has no rule: its alert points at the policy's header (`policy p`, after two comment lines).
    expect(run.results.find((r) => r.ruleId === 'MXC2114')!.locations[0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: 'test/planted/flawed/lint-default-allow.mxc' }, region: { startLine: 3, startColumn: 1, endLine: 3, endColumn: 9 } });
  });

  it('a clean policy gives a valid log with no results', async () => {
    const { code, log } = await lintSarif([planted('clean/data-reader.mxc'), planted('clean/empty.mxc')]);
    expect(code).toBe(0);
    expectValid(log);
    expect(log.runs[0]!.results).toEqual([]);
    expect(log.runs[0]!.tool.driver.rules).toEqual([]);
  });

  it('syntax errors are results too, and the log stays valid', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mxcc-sarif-'));
    writeFileSync(path.join(dir, 'broken.mxc'), 'policy p {\n  fs { allow read "/srv/**" \n  net { allow connect tcp "a.example.com":99999 }\n');
    writeFileSync(path.join(dir, 'typo.mxc'), 'policy p {\n  syscalls { allow reed }\n}\n');
    const { code, log } = await lintSarif(['broken.mxc', 'typo.mxc'], dir);
    expect(code).toBe(1);
    expectValid(log);
    const results = log.runs[0]!.results;
    expect(results.length).toBeGreaterThan(0);
    expect(results.map((r) => r.ruleId)).toContain('MXC1101');
    for (const res of results) expect(res.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(/^(broken|typo)\.mxc$/);
  });

  it('the validator rejects a log that breaks the schema (so the checks above mean something)', async () => {
    const { log } = await lintSarif([planted('flawed/lint-broad-write.mxc')]);
    expectValid(log);
    const bad = JSON.parse(JSON.stringify(log)) as { runs: { results: { level: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[] };
    bad.runs[0]!.results[0]!.level = 'fatal';
    expect(validate(bad)).toBe(false);
    const bad2 = JSON.parse(JSON.stringify(log)) as typeof bad;
    bad2.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine = 0;
    expect(validate(bad2)).toBe(false);
  });

  describe('locations and fingerprints for code scanning', () => {
    /** A repository (a directory with .git) holding `files`; returns its root. */
    function repo(files: Record<string, string>): string {
      const root = mkdtempSync(path.join(tmpdir(), 'mxcc-sarif-repo-'));
      mkdirSync(path.join(root, '.git'));
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
        writeFileSync(path.join(root, name), text);
      }
      return root;
    }
    const DUP = 'policy dup {\n  fs {\n    allow readwrite, exec "/work/a/**"\n    allow readwrite, exec "/work/b/**"\n  }\n  syscalls {\n    default errno(EPERM)\n    allow read, write\n  }\n}\n';

    it('URIs are relative to the repository root and percent-encoded, whatever the working directory', async () => {
      const root = repo({ 'policies/sub/my policy#1.mxc': DUP, 'other/README': '' });
      const runs = [
        await lintSarif(['policies/sub/my policy#1.mxc'], root),
        await lintSarif(['my policy#1.mxc'], path.join(root, 'policies', 'sub')),
        await lintSarif(['../policies/sub/my policy#1.mxc'], path.join(root, 'other')),
        await lintSarif([path.join(root, 'policies/sub/my policy#1.mxc')], path.join(root, 'policies')),
      ];
      expectValid(runs[0]!.log);
      const results = runs[0]!.log.runs[0]!.results;
      expect(results.length).toBeGreaterThan(0);
      for (const res of results) expect(res.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: 'policies/sub/my%20policy%231.mxc', uriBaseId: '%SRCROOT%' });
      // The same log, fingerprints included, from every directory.
      for (const r of runs.slice(1)) expect(r.text).toBe(runs[0]!.text);
    });

    it('distinct findings have distinct fingerprints, also when their messages are the same', async () => {
      const many = `policy many {\n  fs {\n${Array.from({ length: 30 }, (_, i) => `    allow reed "/r${i}/**"\n`).join('')}  }\n}\n`;
      const root = repo({ 'dup.mxc': DUP, 'many.mxc': many });
      const { log } = await lintSarif(['dup.mxc', 'many.mxc'], root);
      expectValid(log);
      const results = log.runs[0]!.results;
      // dup.mxc: the same cross-section finding for two different rules.
      expect(results.filter((r) => r.ruleId === 'MXC2122')).toHaveLength(2);
      expect(results.filter((r) => r.message.text.includes('unknown access right'))).toHaveLength(30);
      const prints = results.map((r) => r.partialFingerprints['mxccFinding/v2']);
      expect(new Set(prints).size).toBe(results.length);
    });

    it('a file that cannot be read and the "too many diagnostics" note have a location', async () => {
      const many = `policy many {\n  fs {\n${Array.from({ length: 80 }, (_, i) => `    allow reed "/r${i}/**"\n`).join('')}  }\n}\n`;
      const root = repo({ 'many.mxc': many });
      const { code, log } = await lintSarif(['many.mxc', 'missing.mxc'], root);
      expect(code).toBe(2);
      expectValid(log);
      const results = log.runs[0]!.results;
      expect(results.find((r) => r.ruleId === 'MXC0004')!.locations[0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: 'many.mxc' }, region: { startLine: 1, startColumn: 1 } });
      expect(results.find((r) => r.ruleId === 'MXC0001')!.locations[0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: 'missing.mxc' }, region: { startLine: 1, startColumn: 1 } });
      for (const res of results) expect(res.locations).toHaveLength(1);
    });

    it('a finding on a standard-library rule points into the repository and names the rule in its message', async () => {
      const root = repo({ 'p.mxc': 'import "std/linux-runtime.mxc"\npolicy p extends linux_runtime {\n  fs {\n    allow readwrite "/work/**"\n  }\n}\n' });
      const { log, text } = await lintSarif(['p.mxc'], root);
      expectValid(log);
      expect(text).not.toContain('"../');
      expect(text).not.toContain('file:');
      const results = log.runs[0]!.results;
      for (const res of results) {
        expect(res.locations[0]!.physicalLocation.artifactLocation.uri).toBe('p.mxc');
        for (const rel of res.relatedLocations ?? []) expect(rel.physicalLocation.artifactLocation.uri).toBe('p.mxc');
      }
      expect(results.some((r) => /\(at std\/linux-runtime\.mxc:\d+:\d+\)/.test(r.message.text))).toBe(true);
    });
  });
});
