import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallerAudio, formatLoadReport, LoadRunner, StubConnector, tone } from '../src/index.js';
import { eventually } from './support/normalize.js';

describe('load mode', () => {
  let stub: StubConnector;
  beforeAll(async () => {
    stub = await new StubConnector({ keepFrames: false, audio: 'echo' }).listen();
  });
  afterAll(async () => {
    await stub.close();
  });

  it('runs 200 calls for 10 s and loses no frame itself', async () => {
    const runner = new LoadRunner({
      calls: 200,
      rampPerSecond: 100,
      call: {
        webhookUrl: stub.webhookUrl,
        audio: new CallerAudio(tone({ frequency: 1000, durationMs: 1000 }), { loop: true }),
        durationMs: 10_000,
      },
    });
    const report = await runner.run();
    runner.close();
    console.log(formatLoadReport(report));
    await eventually(
      () => stub.streams.length === 200 && stub.streams.every((s) => s.closeCode !== undefined),
    );

    expect(report.calls).toMatchObject({
      started: 200,
      completed: 200,
      failed: 0,
      streamsOpened: 200,
      streamFailures: 0,
    });
    expect(report.calls.peakConcurrent).toBe(200);
    expect(report.errors).toEqual({});
    // Every caller frame the simulator produced reached the stub, once, in order, valid.
    const bySid = new Map(report.summaries?.map((s) => [s.stream?.streamId, s]));
    for (const stream of stub.streams) {
      expect(stream.invalid).toEqual([]);
      expect(stream.inboundMissing).toBe(0);
      expect(stream.inboundDuplicates).toBe(0);
      expect(stream.inboundOutOfOrder).toBe(0);
      expect(stream.stopped).toBe(true);
      expect(stream.counts.inbound).toBe(stream.highestInboundChunk);
      // 10 s of 20 ms frames, less the time the socket took to open (longer on a busy machine).
      expect(stream.counts.inbound).toBeGreaterThanOrEqual(450);
      expect(stream.counts.inbound).toBeLessThanOrEqual(500);
    }
    const totalAtStub = stub.streams.reduce((n, s) => n + s.counts.inbound, 0);
    expect(totalAtStub).toBe(report.frames.inboundSent);
    expect(bySid.size).toBe(200);
    // The echo came back to every call.
    expect(report.frames.received).toBe(report.frames.inboundSent);
    expect(report.cpu.percentOfOneCore).toBeGreaterThan(0);
  }, 60_000);
});
