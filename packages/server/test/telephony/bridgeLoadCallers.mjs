// The callers of the bridge load test, in a process of their own so that their 20 ms pacing does
// not share an event loop with the server under test. The parent sends
// {urls, callsPerRoom, durationMs}; the answer is one line per call: what it sent, got and how it
// ended. Every caller plays its own tone (300 Hz and up, 60 Hz apart), so what a caller hears
// from the others is never quiet: equal tones could cancel out in the room's mix.
import { CallerAudio, MediaClock, SimulatedCall, tone } from '@palaver/phone-sim';

process.once('message', async ({ urls, callsPerRoom, durationMs }) => {
  const clock = new MediaClock();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const calls = urls.flatMap((webhookUrl, room) =>
    Array.from({ length: callsPerRoom }, (_, seat) => {
      const n = room * callsPerRoom + seat;
      return { webhookUrl, n, from: `+1312555${String(n).padStart(4, '0')}` };
    }),
  );
  const summaries = await Promise.all(
    calls.map(async ({ webhookUrl, n, from }) => {
      // Twenty new calls a second, as a carrier would bring them in.
      await new Promise((resolve) => setTimeout(resolve, n * 50));
      const frequency = 300 + 60 * n;
      const audio = new CallerAudio(tone({ frequency, durationMs: 1000, levelDbfs: -20 }), {
        loop: true,
      });
      return new SimulatedCall({ webhookUrl, from, audio, durationMs, clock }).run();
    }),
  );
  const used = process.cpuUsage(cpu);
  const results = summaries.map((s) => ({
    status: s.status,
    error: s.error?.message,
    closedBy: s.stream?.closedBy,
    closeCode: s.stream?.closeCode,
    inboundSent: s.sent.inboundFrames,
    mediaReceived: s.received.media,
    gaps: s.timing.gaps,
    lateFrames: s.timing.lateFrames,
  }));
  const cpuPercent = ((used.user + used.system) / 1000 / (performance.now() - started)) * 100;
  process.send({ calls: results, cpuPercent }, () => process.exit(0));
});
