// Egress proxy throughput: a 100 MB download from a loopback HTTP server with curl, directly and
// through `mxcc run` (sandbox network namespace → bridge → unix socket → proxy → server), plain
// HTTP forwarding and a CONNECT tunnel, alternating in one run. curl's own speed_download is
// compared, so the sandbox's start-up time is not counted. Goal: proxied/direct ≥ 0.8.
// Usage: node bench/proxy.mjs [--runs N]   (needs curl, a built enforcer and dist/)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 100 * 1024 * 1024;

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function runProxyBench(runs = 5) {
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  const server = http.createServer(async (req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) });
    for (let sent = 0; sent < SIZE; sent += chunk.length) {
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const dir = mkdtempSync(path.join(tmpdir(), 'mxcc-bench-proxy-'));
  const policy = path.join(dir, 'bench.mxc');
  writeFileSync(policy, `import "std/linux-runtime.mxc"\npolicy bench extends linux_runtime {\n  net { allow connect tcp "bench.test":${port}, "127.0.0.1":${port} }\n}\n`);
  const curl = (extra, url) => ['-sS', '-o', '/dev/null', '-w', '%{speed_download} %{size_download}', ...extra, url];
  const parse = (out) => {
    const [speed, size] = out.trim().split(' ').map(Number);
    if (size !== SIZE) throw new Error(`downloaded ${size} bytes, not ${SIZE}`);
    return speed / (1024 * 1024);
  };
  const direct = () => run('curl', curl([], `http://127.0.0.1:${port}/100mb`)).then(parse);
  const proxied = (extra) => run(process.execPath, ['bin/mxcc.js', 'run', policy, '--resolve', 'bench.test=127.0.0.1', '--', 'curl', ...curl(extra, `http://bench.test:${port}/100mb`)]).then(parse);
  const cases = { direct: [], http: [], connect: [] };
  try {
    await direct();
    await proxied([]);
    for (let i = 0; i < runs; i++) {
      cases.direct.push(await direct());
      cases.http.push(await proxied([]));
      cases.connect.push(await proxied(['-p']));
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const d = median(cases.direct);
  return {
    runs,
    directMiBps: +d.toFixed(0),
    httpMiBps: +median(cases.http).toFixed(0),
    connectMiBps: +median(cases.connect).toFixed(0),
    httpRatio: +(median(cases.http) / d).toFixed(2),
    connectRatio: +(median(cases.connect) / d).toFixed(2),
    samples: Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, v.map((x) => +x.toFixed(0))])),
  };
}

export function formatProxyBench(r) {
  const met = (x) => (x >= 0.8 ? 'met' : 'NOT MET');
  return [
    `\negress proxy throughput: 100 MB from a loopback server with curl, ${r.runs} alternating runs, medians of curl's speed_download`,
    `  direct                          ${String(r.directMiBps).padStart(6)} MiB/s`,
    `  mxcc run, plain HTTP via proxy  ${String(r.httpMiBps).padStart(6)} MiB/s  ratio ${r.httpRatio}  (goal ≥ 0.8: ${met(r.httpRatio)})`,
    `  mxcc run, CONNECT tunnel        ${String(r.connectMiBps).padStart(6)} MiB/s  ratio ${r.connectRatio}  (goal ≥ 0.8: ${met(r.connectRatio)})`,
    `  samples (MiB/s): ${JSON.stringify(r.samples)}`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs');
  const r = await runProxyBench(i > 0 ? Number(process.argv[i + 1]) : 5);
  console.log(formatProxyBench(r));
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
}
