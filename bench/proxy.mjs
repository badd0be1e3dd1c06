// Egress proxy throughput: a 100 MB download from a loopback HTTP server with curl, directly and
// through `mxcc run`, alternating in one run: plain HTTP forwarding (sandbox network namespace →
// bridge → unix socket → Node proxy → server), and tunnels, CONNECT and SOCKS5, which take the
// fast path (the proxy decides and checks, mxc-enforce's connector connects, the bridge splices
// client ↔ server). curl's own speed_download is compared, so the sandbox's start-up time is not
// counted (the proxy's tunnel set-up is: CONNECT, decision, connect, first-bytes check); so is
// the transfer alone (after curl's pretransfer time), which leaves the set-up out. Goal: proxied/direct ≥ 0.8. `--relay` also measures tunnels with the fast path off
// (MXCC_PROXY_SPLICE=0: the proxy relays in Node). `--ceiling` also measures bench/splice-relay.c, a
// bare blocking splice relay outside any sandbox: what a second loopback TCP hop alone costs here.
// Usage: node bench/proxy.mjs [--runs N] [--relay] [--ceiling] [--json]   (needs curl, cc, a built enforcer and dist/)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 100 * 1024 * 1024;

function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

export async function runProxyBench(runs = 5, relay = false, ceiling = false) {
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
  const curl = (extra, url) => ['-sS', '-o', '/dev/null', '-w', '%{speed_download} %{size_download} %{time_pretransfer} %{time_total}', ...extra, url];
  const parse = (out) => {
    const [speed, size, pretransfer, total] = out.trim().split(' ').map(Number);
    if (size !== SIZE) throw new Error(`downloaded ${size} bytes, not ${SIZE}`);
    transfers.push(SIZE / (total - pretransfer) / (1024 * 1024));
    return speed / (1024 * 1024);
  };
  const transfers = [];
  const transfer = {};
  const record = async (k, p) => {
    (cases[k] ??= []).push(await p);
    (transfer[k] ??= []).push(transfers.at(-1));
  };
  const direct = () => run('curl', curl([], `http://127.0.0.1:${port}/100mb`)).then(parse);
  const quote = (a) => `'${a.replaceAll("'", "'\\''")}'`;
  // Through sh, so that the SOCKS5 case can name $ALL_PROXY (curl prefers $http_proxy for http://).
  const proxied = (extra, env = {}) =>
    run(process.execPath, ['bin/mxcc.js', 'run', policy, '--resolve', 'bench.test=127.0.0.1', '--', 'sh', '-c', ['exec curl', ...curl(extra, `http://bench.test:${port}/100mb`).map((a) => (a === '$ALL_PROXY' ? '"$ALL_PROXY"' : quote(a)))].join(' ')], env).then(parse);
  const cases = { direct: [], http: [], connect: [], socks5: [], ...(relay ? { connectRelay: [] } : {}), ...(ceiling ? { spliceRelay: [] } : {}) };
  const relayBin = path.join(dir, 'splice-relay');
  if (ceiling) await run('cc', ['-O2', '-o', relayBin, path.join(root, 'bench', 'splice-relay.c')]);
  const throughRelay = () =>
    new Promise((resolve, reject) => {
      const child = spawn(relayBin, [String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.on('error', reject);
      child.stdout.once('data', (d) => run('curl', curl([], `http://127.0.0.1:${Number(String(d).trim())}/100mb`)).then(parse).then(resolve, reject));
    });
  try {
    await direct();
    await proxied([]);
    for (let i = 0; i < runs; i++) {
      await record('direct', direct());
      await record('http', proxied([]));
      await record('connect', proxied(['-p']));
      await record('socks5', proxied(['-x', '$ALL_PROXY']));
      if (relay) await record('connectRelay', proxied(['-p'], { MXCC_PROXY_SPLICE: '0' }));
      if (ceiling) await record('spliceRelay', throughRelay());
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const d = median(cases.direct);
  const mib = (k) => +median(cases[k]).toFixed(0);
  const ratio = (k) => +(median(cases[k]) / d).toFixed(2);
  const transferRatio = (k) => +(median(transfer[k]) / median(transfer.direct)).toFixed(2);
  return {
    runs,
    directMiBps: +d.toFixed(0),
    httpMiBps: mib('http'),
    connectMiBps: mib('connect'),
    socks5MiBps: mib('socks5'),
    httpRatio: ratio('http'),
    connectRatio: ratio('connect'),
    socks5Ratio: ratio('socks5'),
    ...(relay ? { connectRelayMiBps: mib('connectRelay'), connectRelayRatio: ratio('connectRelay') } : {}),
    ...(ceiling ? { spliceRelayMiBps: mib('spliceRelay'), spliceRelayRatio: ratio('spliceRelay') } : {}),
    transferOnlyRatios: Object.fromEntries(Object.keys(cases).filter((k) => k !== 'direct').map((k) => [k, transferRatio(k)])),
    samples: Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, v.map((x) => +x.toFixed(0))])),
  };
}

export function formatProxyBench(r) {
  const met = (x) => (x >= 0.8 ? 'met' : 'NOT MET');
  return [
    `\negress proxy throughput: 100 MB from a loopback server with curl, ${r.runs} alternating runs, medians of curl's speed_download`,
    `  direct                          ${String(r.directMiBps).padStart(6)} MiB/s`,
    `  mxcc run, plain HTTP via proxy  ${String(r.httpMiBps).padStart(6)} MiB/s  ratio ${r.httpRatio}  (goal ≥ 0.8: ${met(r.httpRatio)}; Node forwards every request)`,
    `  mxcc run, CONNECT tunnel        ${String(r.connectMiBps).padStart(6)} MiB/s  ratio ${r.connectRatio}  (goal ≥ 0.8: ${met(r.connectRatio)}; fast path)`,
    `  mxcc run, SOCKS5 tunnel         ${String(r.socks5MiBps).padStart(6)} MiB/s  ratio ${r.socks5Ratio}  (goal ≥ 0.8: ${met(r.socks5Ratio)}; fast path)`,
    ...(r.connectRelayMiBps !== undefined ? [`  CONNECT, fast path off         ${String(r.connectRelayMiBps).padStart(6)} MiB/s  ratio ${r.connectRelayRatio}  (MXCC_PROXY_SPLICE=0: Node relays)`] : []),
    ...(r.spliceRelayMiBps !== undefined ? [`  bare splice relay, no sandbox  ${String(r.spliceRelayMiBps).padStart(6)} MiB/s  ratio ${r.spliceRelayRatio}  (bench/splice-relay.c: the second hop alone)`] : []),
    `  transfer alone (after curl's pretransfer), ratio to direct: ${JSON.stringify(r.transferOnlyRatios)}`,
    `  samples (MiB/s): ${JSON.stringify(r.samples)}`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs');
  const r = await runProxyBench(i > 0 ? Number(process.argv[i + 1]) : 5, process.argv.includes('--relay'), process.argv.includes('--ceiling'));
  console.log(formatProxyBench(r));
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
}
