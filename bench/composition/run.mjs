// How fast a session is composed: a 60 s two-participant 720p session (two 1280x720 VP8 WebM
// with camera-like noise and a few stalls, two Opus tones, as janus-pp-rec writes them) composed
// at 1280x720 by the built FfmpegComposer. Prints wall time, × real time and ffmpeg's CPU time.
//   npm run bench:composition -- [--seconds 60] [--runs 2] [--inputs DIR] [--keep]
// --inputs DIR synthesises the inputs into DIR once and reuses them on later runs.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { FfmpegComposer, planLayout } = await import(
  join(root, 'packages/server/dist/recording/composition/index.js')
);
const require = createRequire(join(root, 'packages/server/package.json'));
const { pino } = require('pino');

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    runs: { type: 'string', default: '2' },
    inputs: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const RESOLUTION = { width: 1280, height: 720 };
const dir = mkdtempSync(join(tmpdir(), 'palaver-bench-composition-'));
const inputs = values.inputs === undefined ? dir : resolve(values.inputs);
mkdirSync(inputs, { recursive: true });

/** CPU seconds used by this process's finished children (ffmpeg), from /proc. */
function childCpuSecs() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // cutime and cstime are fields 16 and 17 of the whole line, in clock ticks (100 per second).
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/**
 * A 720p camera as a browser sends it: a moving picture with sensor noise, VP8 in real-time
 * mode at 1.5 Mbit/s, key frames only at the start; `stalls` drops frames as a congested link.
 */
async function camera(path, pattern, stalls) {
  const drop = stalls.map(([from, to]) => `between(t,${from},${to})`).join('+');
  await run('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi'],
    ...['-i', `${pattern}=s=1280x720:r=30:d=${seconds},noise=alls=6:allf=t`],
    ...(drop === '' ? [] : ['-vf', `select='not(${drop})'`, '-fps_mode', 'vfr']),
    ...['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1500k'],
    ...['-g', '100000', '-threads', '2', path],
  ]);
}

async function voice(path, hz, length) {
  await run('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=f=${hz}:r=48000:d=${length}`],
    ...['-c:a', 'libopus', '-b:a', '32k', path],
  ]);
}

console.log(
  `composition benchmark: ${seconds} s, two participants, 1280x720 VP8 in, 1280x720 H.264 + AAC out`,
);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const { stdout: version } = await run('ffmpeg', ['-version']);
console.log(version.split('\n')[0]);

let started = performance.now();
// Bob joins 1.5 s after Alice and leaves 1.5 s before the end; both links stall now and then.
const late = 1.5;
const videos = [
  { id: 'alice', path: join(inputs, 'alice.webm'), startSecs: 0, endSecs: seconds },
  { id: 'bob', path: join(inputs, 'bob.webm'), startSecs: late, endSecs: seconds - late },
];
const audios = [
  { id: 'alice-audio', path: join(inputs, 'alice.opus'), startSecs: 0 },
  { id: 'bob-audio', path: join(inputs, 'bob.opus'), startSecs: late },
];
const marker = join(inputs, `complete-${seconds}s`);
if (existsSync(marker)) {
  console.log(`inputs reused from ${inputs}`);
} else {
  await camera(videos[0].path, 'testsrc2', [[20, 20.5]]);
  await camera(videos[1].path, 'testsrc', [
    [10, 11],
    [30, 30.4],
  ]);
  await voice(audios[0].path, 1000, seconds);
  await voice(audios[1].path, 440, seconds - 2 * late);
  writeFileSync(marker, '');
  console.log(`inputs synthesised in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const composer = new FfmpegComposer({ logger: pino({ level: 'warn' }) });
const layout = planLayout(RESOLUTION, undefined, videos);
const results = [];
for (let i = 1; i <= runs; i++) {
  const outputPath = join(dir, `composition-${i}.mp4`);
  const cpuBefore = childCpuSecs();
  const loadBefore = loadavg()[0];
  started = performance.now();
  const result = await composer.compose({
    outputPath,
    resolution: RESOLUTION,
    durationSecs: seconds,
    layout,
    videos,
    audios,
  });
  const wall = (performance.now() - started) / 1000;
  const cpu = childCpuSecs() - cpuBefore;
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0'],
    outputPath,
  ]);
  const entry = {
    wall,
    speed: seconds / wall,
    cpu,
    cpuPerMediaSec: cpu / seconds,
    sizeMb: result.sizeBytes / 1e6,
    kbps: (result.sizeBytes * 8) / 1000 / result.durationSecs,
  };
  results.push(entry);
  console.log(
    `run ${i}: wall ${wall.toFixed(1)} s = ${entry.speed.toFixed(2)}× real time; ffmpeg CPU ${cpu.toFixed(1)} s ` +
      `(${entry.cpuPerMediaSec.toFixed(2)} s per media second); ${entry.sizeMb.toFixed(1)} MB, ` +
      `${entry.kbps.toFixed(0)} kbit/s, ${result.durationSecs.toFixed(2)} s [${stdout.trim().split('\n').join(' / ')}]; ` +
      `load before ${loadBefore.toFixed(1)}`,
  );
}
const bySpeed = [...results].sort((a, b) => a.speed - b.speed);
const median = bySpeed[Math.floor(bySpeed.length / 2)];
const best = bySpeed.at(-1);
const cpuPerMediaSec = Math.min(...results.map((r) => r.cpuPerMediaSec));
console.log(
  `× real time: median ${median.speed.toFixed(2)}, best ${best.speed.toFixed(2)} (goal ≥ 3×); ` +
    `${cpuPerMediaSec.toFixed(2)} CPU-s per media second, so ` +
    `${(1 / cpuPerMediaSec).toFixed(1)}× real time per core that ffmpeg has to itself`,
);
if (values.keep) {
  console.log(`files kept in ${dir}`);
} else {
  rmSync(dir, { recursive: true, force: true });
}
