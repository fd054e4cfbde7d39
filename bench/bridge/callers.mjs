// The callers of the bridge benchmark, in their own process so the simulator's CPU is not the
// server's: all on one shared 20 ms clock, 20 new calls a second, `perUrl` calls to each room's
// connector URL. Each caller loops its own tone (300 Hz and up, 60 Hz apart): equal tones could
// cancel out in a room's mix and make what the callers hear quiet.
//   node bench/bridge/callers.mjs <report.json> <calls per url> <duration ms> <url>...
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { CallerAudio, MediaClock, SimulatedCall, tone } = await import(
  join(root, 'packages/phone-sim/dist/index.js')
);

const [report, perUrl, durationMs, ...urls] = process.argv.slice(2);
const clock = new MediaClock();
const started = performance.now();
const cpu = process.cpuUsage();
const summaries = await Promise.all(
  urls.flatMap((webhookUrl, room) =>
    Array.from({ length: Number(perUrl) }, async (_, seat) => {
      const n = room * Number(perUrl) + seat;
      await new Promise((r) => setTimeout(r, n * 50));
      const audio = new CallerAudio(
        tone({ frequency: 300 + 60 * (n % 50), durationMs: 1000, levelDbfs: -20 }),
        { loop: true },
      );
      return new SimulatedCall({
        webhookUrl,
        from: `+1312555${String(n).padStart(4, '0')}`,
        audio,
        durationMs: Number(durationMs),
        clock,
      }).run();
    }),
  ),
);
const used = process.cpuUsage(cpu);
const wallMs = performance.now() - started;
const sum = (pick) => summaries.reduce((s, c) => s + pick(c), 0);
writeFileSync(
  report,
  JSON.stringify({
    wallMs,
    completed: summaries.filter((s) => s.status === 'completed').length,
    inboundSent: sum((s) => s.sent.inboundFrames),
    received: sum((s) => s.received.media),
    gaps: sum((s) => s.timing.gaps),
    lateFrames: sum((s) => s.timing.lateFrames),
    simulatorCpuPercent: ((used.user + used.system) / 1000 / wallMs) * 100,
  }),
);
