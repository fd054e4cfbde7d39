// How many concurrent calls one phone-sim process carries on this machine: a stub connector in
// its own process echoes every caller, and the simulator reports frames lost and its own CPU.
//   node bench/phone-sim/run.mjs [--calls 500] [--duration 20]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'packages/phone-sim/dist/cli.js');
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '500' },
    duration: { type: 'string', default: '20' },
  },
});
const port = 20000 + Math.floor(Math.random() * 20000);
const dir = mkdtempSync(join(tmpdir(), 'palaver-bench-sim-'));

const stub = spawn(process.execPath, [cli, 'stub', '--port', String(port)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((r) => setTimeout(r, 800));
try {
  const report = join(dir, 'report.json');
  const ramp = Math.max(50, Math.ceil(Number(values.calls) / 5));
  await new Promise((resolvePromise, reject) => {
    const call = spawn(
      process.execPath,
      [
        cli,
        'call',
        `http://127.0.0.1:${port}/`,
        '--calls',
        values.calls,
        '--ramp',
        `${ramp}/s`,
        '--duration',
        values.duration,
        '--tone',
        '1000',
        '--quiet',
        '--json',
        report,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    call.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`exit ${code}`)),
    );
  });
  const { frames, cpu } = JSON.parse(readFileSync(report, 'utf8'));
  const lost = frames.inboundSent - frames.received;
  process.stdout.write(
    `\nphone-sim load: ${values.calls} calls × ${values.duration} s, ${cpus().length} cores (${cpus()[0]?.model ?? ''}), Node ${process.version}\n` +
      `frames echoed back ${frames.received} of ${frames.inboundSent} (lost ${lost}), simulator CPU ${cpu.percentOfOneCore.toFixed(1)}% of one core (peak ${cpu.peakPercentOfOneCore.toFixed(1)}%)\n`,
  );
} finally {
  stub.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
