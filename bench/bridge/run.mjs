// The phone bridge's cost and delay, with Janus and phone-sim (callers in a child process):
//  (a) CPU per call at each level of concurrent calls (5 per room), beside the same Opus
//      encode + decode work done alone in this process: the ratio is what the bridge adds;
//  (b) the time a frame spends in the bridge, p50/p99, each way;
//  (c) mouth-to-ear between two callers in one room (chirp sent by one, found in what the
//      other heard): bridge in, Janus's mix, bridge out, and the callers' 40 ms playout buffer;
//  and frames lost or heard as gaps at each level.
//   npm run bench:bridge -- [--levels 10,50,150] [--seconds 30]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { loadConfig } = await import(join(root, 'packages/server/dist/config.js'));
const { PalaverServer } = await import(join(root, 'packages/server/dist/PalaverServer.js'));
const sim = await import(join(root, 'packages/phone-sim/dist/index.js'));
const require = createRequire(join(root, 'packages/server/package.json'));
const { OpusEncoder } = require('@discordjs/opus');
const { pino } = require('pino');

const { values } = parseArgs({
  options: {
    levels: { type: 'string', default: '10,50,150' },
    seconds: { type: 'string', default: '30' },
    'skip-mouth-to-ear': { type: 'boolean', default: false },
  },
});
const levels = values.levels.split(',').map(Number);
const seconds = Number(values.seconds);
const CALLS_PER_ROOM = 5;
const API_KEY = `bench_${'x'.repeat(24)}`;

/** A server with Janus, its data in a temp dir, and the bridge's end-of-call lines kept. */
async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'palaver-bench-bridge-'));
  const ended = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.includes('phone bridge: call ended')) {
          ended.push(JSON.parse(line));
        }
      }
      done();
    },
  });
  const config = loadConfig({
    PALAVER_PORT: '0',
    PALAVER_HOST: '127.0.0.1',
    PALAVER_DATA_DIR: dir,
    PALAVER_API_KEY: API_KEY,
    PALAVER_SESSION_GRACE_SECS: '1',
  });
  const server = await PalaverServer.create({ config, logger: pino({ level: 'info' }, sink) });
  const url = await server.listen();
  const api = async (method, path, body) =>
    (
      await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).json();
  return {
    server,
    url,
    api,
    ended,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system) of a process, from /proc. */
function processCpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU ms of one thread of this process (the main thread's id is the process id), from /proc. */
function threadCpuMs(tid) {
  return processCpuMs(`${process.pid}/task/${tid}`);
}

/** The same Opus work as one call's 20 ms, done `frames` times in this thread: CPU ms. */
function opusAloneMs(frames) {
  const caller = new OpusEncoder(8000, 1);
  caller.setBitrate(24_000);
  caller.applyEncoderCTL(4010, 5);
  const room = new OpusEncoder(48_000, 1);
  const pcm8 = Buffer.from(new Int16Array(160).map((_, i) => 6000 * Math.sin(i / 1.27)).buffer);
  const pcm48 = Buffer.from(new Int16Array(960).map((_, i) => 6000 * Math.sin(i / 7.6)).buffer);
  const packet = room.encode(pcm48);
  const before = process.cpuUsage();
  for (let i = 0; i < frames; i++) {
    caller.encode(pcm8);
    caller.decode(packet);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

const percentile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

async function level(calls) {
  const t = await startServer();
  try {
    const urls = [];
    for (let i = 0; i < Math.ceil(calls / CALLS_PER_ROOM); i++) {
      const room = (await t.api('POST', '/v2/rooms', { max_participants: 50 })).data.id;
      const connector = (
        await t.api('POST', '/v2/connectors', { provider: 'telnyx', defaultRoomId: room })
      ).data;
      urls.push(connector.webhookUrl);
    }
    // The server's own cost with no calls (timers, Janus keep-alives): not the bridge's.
    const idle0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 3000));
    const idle = process.cpuUsage(idle0);
    const idleMsPerSec = (idle.user + idle.system) / 1000 / 3;
    const report = join(tmpdir(), `palaver-bench-bridge-${process.pid}-${calls}.json`);
    const child = spawn(
      process.execPath,
      [
        join(root, 'bench/bridge/callers.mjs'),
        report,
        String(CALLS_PER_ROOM),
        String(seconds * 1000),
        ...urls,
      ],
      { stdio: 'inherit' },
    );
    const exited = new Promise((r) => child.once('exit', r));
    // Measure while every call is up: after the ramp (20 calls/s), before the hang-ups.
    const rampMs = calls * 50 + 2000;
    await new Promise((r) => setTimeout(r, rampMs));
    const janusPid = t.server.media.supervisor.pid;
    const windowMs = seconds * 1000 - rampMs - 2000;
    const framesToRoom = () =>
      t.server.phoneBridge.calls.reduce((n, c) => n + c.stats.framesToRoom, 0);
    const frames0 = framesToRoom();
    const cpu0 = process.cpuUsage();
    const main0 = threadCpuMs(process.pid);
    const janus0 = processCpuMs(janusPid);
    await new Promise((r) => setTimeout(r, windowMs));
    const cpu = process.cpuUsage(cpu0);
    const mainMs = threadCpuMs(process.pid) - main0;
    // Frames the bridge carried in the window: on a busy machine some are lost, and lost frames
    // cost nothing, so the ratio is taken per frame carried.
    const carried = framesToRoom() - frames0;
    const bridgeMs = (cpu.user + cpu.system) / 1000;
    const janusMs = processCpuMs(janusPid) - janus0;
    const stats = t.server.phoneBridge.stats();
    await exited;
    const callers = JSON.parse(readFileSync(report, 'utf8'));
    rmSync(report, { force: true });
    await new Promise((r) => setTimeout(r, 1500));
    const frames = (calls * windowMs) / 20;
    const aloneMs = opusAloneMs(frames);
    const alonePerFrame = aloneMs / frames;
    const sum = (pick) => t.ended.reduce((s, l) => s + pick(l), 0);
    const lost = (r) => r.missing + r.overflow + r.late + (r.quietTrims ?? 0);
    const fromCaller = sum((l) => l.framesFromCaller - l.framesBeforeJoin);
    const fromRoom = sum((l) => l.packetsFromRoom);
    return {
      calls,
      completed: callers.completed,
      bridgeCpuPerCallPct: (bridgeMs / windowMs / calls) * 100,
      opusAlonePerCallPct: (aloneMs / windowMs / calls) * 100,
      carriedPct: (carried / frames) * 100,
      ratio: bridgeMs / carried / alonePerFrame,
      idleCpuPct: idleMsPerSec / 10,
      ratioBeyondIdle: (bridgeMs - (idleMsPerSec * windowMs) / 1000) / carried / alonePerFrame,
      mainThreadSharePct: (mainMs / bridgeMs) * 100,
      janusCpuPerCallPct: (janusMs / windowMs / calls) * 100,
      toRoomP50: stats.latency.toRoom.p50,
      toRoomP99: stats.latency.toRoom.p99,
      toCallerP50: stats.latency.toCaller.p50,
      toCallerP99: stats.latency.toCaller.p99,
      callerLostPct:
        (sum((l) => lost(l.callerReorder) + (l.overloadedFromCaller ?? 0)) / fromCaller) * 100,
      roomLostPct:
        (sum((l) => lost(l.roomReorder) + (l.overloadedFromRoom ?? 0) + l.droppedToCaller) /
          fromRoom) *
        100,
      gapsPct: (callers.gaps / callers.received) * 100,
      skippedTicks: stats.skippedTicks,
      lostDetail: {
        caller: ['missing', 'overflow', 'late', 'quietTrims'].map((k) =>
          sum((l) => l.callerReorder[k] ?? 0),
        ),
        room: ['missing', 'overflow', 'late', 'quietTrims'].map((k) =>
          sum((l) => l.roomReorder[k] ?? 0),
        ),
        droppedToCaller: sum((l) => l.droppedToCaller),
        overloaded: [
          sum((l) => l.overloadedFromCaller ?? 0),
          sum((l) => l.overloadedFromRoom ?? 0),
        ],
        beforeJoin: sum((l) => l.framesBeforeJoin),
      },
      simulatorCpuPct: callers.simulatorCpuPercent,
    };
  } finally {
    await t.close();
  }
}

/** Two callers in one room; one sends a chirp every second, the other hears them. */
async function mouthToEar() {
  const t = await startServer();
  try {
    const room = (await t.api('POST', '/v2/rooms', {})).data.id;
    const connector = (
      await t.api('POST', '/v2/connectors', { provider: 'telnyx', defaultRoomId: room })
    ).data;
    const clock = new sim.MediaClock();
    const marker = sim.markerChirp();
    const spoken = sim.concat(
      ...Array.from({ length: 8 }, () => sim.concat(sim.silence(900), marker)),
    );
    const talker = new sim.SimulatedCall({
      webhookUrl: connector.webhookUrl,
      audio: new sim.CallerAudio(spoken),
      durationMs: 9000,
      clock,
    });
    const listener = new sim.SimulatedCall({
      webhookUrl: connector.webhookUrl,
      durationMs: 9500,
      record: true,
      clock,
    });
    await Promise.all([listener.run(), talker.run()]);
    // Both time lines count the shared clock's 20 ms ticks from each call's answer.
    const offsetMs = (talker.answerTick - listener.answerTick) * 20;
    const heard = sim.int16ToFloat(listener.heardAudio());
    const delays = [];
    for (let k = 1; k < 8; k++) {
      const sentAt = k * 1000 + 900 + offsetMs;
      const from = Math.max(0, Math.round(((sentAt - 50) * 8000) / 1000));
      const window = heard.subarray(from, from + 8000 * 0.6);
      const found = sim.measureDelay(marker, window, 8000);
      if (found.correlation > 0.5) {
        delays.push(from / 8 + found.delayMs - sentAt);
      }
    }
    return { samples: delays.length, p50: percentile(delays, 0.5), max: Math.max(...delays) };
  } finally {
    await t.close();
  }
}

const rows = [];
for (const calls of levels) {
  process.stderr.write(`bridge bench: ${calls} calls for ${seconds} s…\n`);
  rows.push(await level(calls));
}
process.stderr.write(
  `${JSON.stringify(rows.map((r) => ({ calls: r.calls, lost: r.lostDetail, skippedTicks: r.skippedTicks, simulatorCpuPct: r.simulatorCpuPct })))}\n`,
);
const m2e = values['skip-mouth-to-ear'] ? { samples: 0, p50: NaN, max: NaN } : await mouthToEar();
const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '–');
process.stdout.write(
  `\nphone bridge: ${cpus().length} cores (${cpus()[0]?.model ?? ''}), Node ${process.version}, ${seconds} s per level, ${CALLS_PER_ROOM} calls per room\n\n` +
    '| calls | bridge CPU/call | Opus alone/call | frames carried | ratio per frame | ratio without idle server | server idle | main thread | Janus CPU/call | to room p50/p99 ms | to caller p50/p99 ms | lost caller→room | lost room→caller | caller gaps |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n' +
    rows
      .map(
        (r) =>
          `| ${r.calls} (${r.completed} ok) | ${f(r.bridgeCpuPerCallPct, 2)} % | ${f(r.opusAlonePerCallPct, 2)} % | ${f(r.carriedPct, 1)} % | ${f(r.ratio, 2)}× | ${f(r.ratioBeyondIdle, 2)}× | ${f(r.idleCpuPct, 2)} % | ${f(r.mainThreadSharePct, 0)} % | ${f(r.janusCpuPerCallPct, 2)} % | ${f(r.toRoomP50)} / ${f(r.toRoomP99)} | ${f(r.toCallerP50)} / ${f(r.toCallerP99)} | ${f(r.callerLostPct, 3)} % | ${f(r.roomLostPct, 3)} % | ${f(r.gapsPct, 2)} % |`,
      )
      .join('\n') +
    `\n\nmouth-to-ear caller → room → caller (chirps): p50 ${f(m2e.p50)} ms, max ${f(m2e.max)} ms over ${m2e.samples} chirps\n`,
);
