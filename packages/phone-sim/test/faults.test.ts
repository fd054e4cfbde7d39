import { afterEach, describe, expect, it } from 'vitest';
import {
  CallerAudio,
  decodeBase64Strict,
  SimulatedCall,
  StubConnector,
  tone,
  type StubConnectorOptions,
} from '../src/index.js';
import { eventually } from './support/normalize.js';

const stubs: StubConnector[] = [];
async function startStub(options: StubConnectorOptions = {}): Promise<StubConnector> {
  const stub = await new StubConnector(options).listen();
  stubs.push(stub);
  return stub;
}
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

const audio = new CallerAudio(tone({ frequency: 1000, durationMs: 1000 }), { loop: true });

describe('fault injection', () => {
  it('drops, duplicates, reorders and bursts caller frames, and says how many', async () => {
    const stub = await startStub({ audio: 'none' });
    const summary = await new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      audio,
      durationMs: 1500,
      faults: { seed: 3, drop: 0.1, duplicate: 0.1, reorder: 0.1, burst: 3 },
    }).run();
    await eventually(() => stub.streams[0]?.closeCode !== undefined);
    const stream = stub.streams[0];
    const f = summary.faults;
    expect(f.dropped).toBeGreaterThan(0);
    expect(f.duplicated).toBeGreaterThan(0);
    expect(f.reordered).toBeGreaterThan(0);
    expect(f.bursts).toBeGreaterThan(0);
    expect(stream?.counts.inbound).toBe(summary.sent.inboundFrames);
    expect(stream?.inboundDuplicates).toBe(f.duplicated);
    expect(stream?.inboundOutOfOrder).toBe(f.reordered);
    expect(stream?.inboundMissing).toBeLessThanOrEqual(f.dropped);
    expect(stream?.inboundMissing).toBeGreaterThanOrEqual(f.dropped - 1);
    // Sequence numbers of what arrived are not in order any more.
    const seq = stream?.framesOf('media').map((m) => Number(m.sequence_number)) ?? [];
    expect(seq).not.toEqual([...seq].sort((a, b) => a - b));
  });

  it('sends non-base64 payloads and wrong sizes', async () => {
    const stub = await startStub({ audio: 'none' });
    const summary = await new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      audio,
      durationMs: 1000,
      faults: { seed: 9, badBase64: 0.1, wrongSize: 0.1 },
    }).run();
    await eventually(() => stub.streams[0]?.closeCode !== undefined);
    const f = summary.faults;
    expect(f.badBase64).toBeGreaterThan(0);
    expect(f.wrongSize).toBeGreaterThan(0);
    const payloads = stub.streams[0]?.framesOf('media').map((m) => m.media.payload) ?? [];
    expect(payloads.filter((p) => decodeBase64Strict(p) === undefined)).toHaveLength(f.badBase64);
    expect(payloads.filter((p) => (decodeBase64Strict(p)?.length ?? 160) !== 160)).toHaveLength(
      f.wrongSize,
    );
  });

  it('sends malformed JSON and unknown events', async () => {
    const stub = await startStub({ audio: 'none' });
    const summary = await new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      audio,
      durationMs: 1000,
      faults: { seed: 5, malformedJson: 0.1, unknownEvent: 0.1 },
    }).run();
    await eventually(() => stub.streams[0]?.closeCode !== undefined);
    const f = summary.faults;
    expect(f.malformedJson).toBeGreaterThan(0);
    expect(f.unknownEvents).toBeGreaterThan(0);
    // The stub's strict parser refuses exactly the broken JSON and the unknown events.
    const invalid = stub.streams[0]?.invalid ?? [];
    expect(invalid.filter((i) => i.detail.startsWith('unknown event'))).toHaveLength(
      f.unknownEvents,
    );
    expect(invalid).toHaveLength(f.malformedJson + f.unknownEvents);
  });

  it('closes without stop, or stops without closing', async () => {
    const stub = await startStub({ audio: 'none', closeOnStop: false });
    await new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      durationMs: 200,
      faults: { closeWithoutStop: true },
    }).run();
    await new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      durationMs: 200,
      faults: { closeWithoutStop: 'terminate' },
    }).run();
    const lingered = await new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      durationMs: 200,
      lingerMs: 300,
      faults: { stopWithoutClose: true },
    }).run();
    await eventually(
      () => stub.streams.every((s) => s.closeCode !== undefined) && stub.streams.length === 3,
    );
    expect(stub.streams.map((s) => [s.stopped, s.closeCode])).toEqual([
      [false, 1000],
      [false, 1006],
      [true, 1006],
    ]);
    expect(lingered.stream?.durationMs).toBeGreaterThan(450);
  });

  it('lets the server close after a stop it did not expect to linger on', async () => {
    const stub = await startStub({ audio: 'none' });
    const summary = await new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      durationMs: 200,
      faults: { stopWithoutClose: true },
    }).run();
    expect(summary.stream).toMatchObject({ closedBy: 'server', closeCode: 1000 });
  });

  it('tries a reused ref and an expired ref', async () => {
    const stub = await startStub({ audio: 'none', refTtlMs: 150 });
    const reused = await new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      durationMs: 600,
      faults: { reuseRef: true },
    }).run();
    expect(reused.stream?.reuseRef).toEqual({ outcome: 'refused', detail: 'HTTP 403 on upgrade' });
    const expired = await new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      durationMs: 600,
      faults: { connectDelayMs: 300 },
    }).run();
    expect(expired.status).toBe('completed');
    expect(expired.stream?.connectError).toBe('HTTP 403');
    expect(expired.sent.inboundFrames).toBe(0);
    expect(expired.warnings.some((w) => w.includes('could not be opened: HTTP 403'))).toBe(true);
  });

  it('reads slowly: audio from the server arrives in lumps', async () => {
    const stub = await startStub({ audio: 'echo' });
    const summary = await new SimulatedCall({
      webhookUrl: stub.webhookUrl,
      audio,
      durationMs: 1500,
      faults: { slowReader: 10 },
    }).run();
    expect(summary.received.media).toBeGreaterThan(50);
    // Ten frames at a time, every 200 ms: the arrival jitter shows it.
    expect(summary.timing.jitterMs).toBeGreaterThan(20);
  });
});
