// The callers of the bridge load test, in a process of their own so that their 20 ms pacing does
// not share an event loop with the server under test. The parent sends
// {urls, callsPerRoom, durationMs}; every call plays a looping 1 kHz tone, and the answer is one
// line per call: what it sent, got and how it ended.
import { CallerAudio, LoadRunner, tone } from '@palaver/phone-sim';

process.once('message', async ({ urls, callsPerRoom, durationMs }) => {
  const audio = new CallerAudio(tone({ frequency: 1000, durationMs: 2000, levelDbfs: -20 }), {
    loop: true,
  });
  const reports = await Promise.all(
    urls.map((webhookUrl, room) =>
      new LoadRunner({
        calls: callsPerRoom,
        rampPerSecond: 20,
        call: { webhookUrl, from: `+1312555${String(room).padStart(2, '0')}00`, audio, durationMs },
      }).run(),
    ),
  );
  const calls = reports
    .flatMap((report) => report.summaries ?? [])
    .map((s) => ({
      status: s.status,
      error: s.error?.message,
      closedBy: s.stream?.closedBy,
      closeCode: s.stream?.closeCode,
      inboundSent: s.sent.inboundFrames,
      mediaReceived: s.received.media,
      gaps: s.timing.gaps,
      lateFrames: s.timing.lateFrames,
    }));
  // The runners share this process, so each one's CPU figure is the process's.
  process.send({ calls, cpuPercent: reports[0]?.cpu.percentOfOneCore }, () => process.exit(0));
});
