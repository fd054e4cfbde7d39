// The callers of the bridge benchmark, in their own process so the simulator's CPU is not the
// server's: one LoadRunner per room (each room has its own connector URL), a looping 1 kHz tone.
//   node bench/bridge/callers.mjs <report.json> <calls per url> <duration ms> <url>...
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { CallerAudio, LoadRunner, tone } = await import(
  join(root, 'packages/phone-sim/dist/index.js')
);

const [report, perUrl, durationMs, ...urls] = process.argv.slice(2);
const audio = new CallerAudio(tone({ frequency: 1000, durationMs: 2000, levelDbfs: -20 }), {
  loop: true,
});
const started = performance.now();
const reports = await Promise.all(
  urls.map((webhookUrl, i) =>
    new LoadRunner({
      calls: Number(perUrl),
      rampPerSecond: 20,
      keepSummaries: false,
      call: {
        webhookUrl,
        from: `+1312555${String(i).padStart(2, '0')}00`,
        audio,
        durationMs: Number(durationMs),
      },
    }).run(),
  ),
);
const sum = (pick) => reports.reduce((s, r) => s + pick(r), 0);
writeFileSync(
  report,
  JSON.stringify({
    wallMs: performance.now() - started,
    completed: sum((r) => r.calls.completed),
    streamFailures: sum((r) => r.calls.streamFailures),
    inboundSent: sum((r) => r.frames.inboundSent),
    received: sum((r) => r.frames.received),
    gaps: sum((r) => r.frames.gaps),
    lateFrames: sum((r) => r.frames.lateFrames),
    simulatorCpuPercent: reports[0]?.cpu.percentOfOneCore ?? 0,
  }),
);
