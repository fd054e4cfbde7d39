// Requests per second for token minting and for a room list page (20 rooms) against one Palaver
// process (SQLite), beside a bare Fastify hello-world measured in the same run.
//   node bench/api/run.mjs [--duration 10] [--connections 32]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const apiKey = 'bench-api-key-0123456789';

function startProcess(args, env, ready) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = ready(out);
      if (url) {
        resolvePromise({ child, url });
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

function stop(child) {
  return new Promise((r) => {
    child.once('exit', r);
    child.kill('SIGTERM');
  });
}

async function measure(title, options) {
  // A short warm-up lets the JIT settle before the measured run.
  await autocannon({ ...options, connections, duration: 2 });
  const result = await autocannon({ ...options, connections, duration });
  const row = {
    title,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
  process.stdout.write(
    `${title.padEnd(34)} ${String(row.rps).padStart(7)} req/s   p50 ${row.p50} ms   p99 ${row.p99} ms   errors ${row.errors}\n`,
  );
  return row;
}

const dataDir = mkdtempSync(join(tmpdir(), 'palaver-bench-'));
const hello = await startProcess([join(here, 'hello.mjs')], {}, (out) => out.trim().split('\n')[0]);
const palaver = await startProcess(
  [join(root, 'packages/server/dist/main.js'), 'start'],
  {
    PALAVER_PORT: '0',
    PALAVER_DATA_DIR: dataDir,
    PALAVER_API_KEY: apiKey,
    PALAVER_LOG_LEVEL: 'warn',
  },
  (out) => /Palaver is running at (\S+)/.exec(out)?.[1],
);

try {
  const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  let roomId;
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${palaver.url}/v2/rooms`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ unique_name: `bench-${i}` }),
    });
    roomId = (await res.json()).data.id;
  }

  process.stdout.write(
    `\nPalaver REST API benchmark: ${connections} connections, ${duration} s per case, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}\n\n`,
  );
  const baseline = await measure('fastify hello-world GET /', { url: hello.url });
  const mint = await measure('POST generate_join_client_token', {
    url: `${palaver.url}/v2/rooms/${roomId}/actions/generate_join_client_token`,
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ token_ttl_secs: 600 }),
  });
  const list = await measure('GET /v2/rooms page[size]=20', {
    url: `${palaver.url}/v2/rooms?page[size]=20`,
    headers: auth,
  });

  const ratio = (row) => (row.rps / baseline.rps).toFixed(2);
  process.stdout.write(
    `\ntoken minting: ${mint.rps} req/s = ${ratio(mint)} × hello-world\nroom list:     ${list.rps} req/s = ${ratio(list)} × hello-world\n`,
  );
  const resultsDir = join(here, 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify(
      { date: new Date().toISOString(), connections, duration, baseline, mint, list },
      null,
      2,
    ),
  );
} finally {
  await Promise.all([stop(hello.child), stop(palaver.child)]);
  rmSync(dataDir, { recursive: true, force: true });
}
