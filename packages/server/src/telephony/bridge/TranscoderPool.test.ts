import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { floatToInt16, mulawEncode, tone } from '@palaver/phone-sim';
import opusBinding from '@discordjs/opus';
import { parseRtpPacket } from './rtp.js';
import type { TranscodedFrame } from './TranscoderPool.js';
import { TranscoderPool } from './TranscoderPool.js';

const { OpusEncoder } = opusBinding;

interface Seen {
  rtp: ReturnType<typeof parseRtpPacket>;
  media: unknown;
  levelDbfs: number;
  overloaded: TranscodedFrame['overloaded'];
}

describe('TranscoderPool', () => {
  let pool: TranscoderPool | undefined;
  afterEach(async () => {
    await pool?.close();
  });

  /** One channel whose results are kept as plain values (the frame object is reused). */
  function channel(p: TranscoderPool) {
    const seen: Seen[] = [];
    const ch = p.open('pcmu', {
      result: (frame) =>
        seen.push({
          rtp: frame.overloaded === null ? parseRtpPacket(Buffer.from(frame.rtp)) : undefined,
          media: frame.media === null ? null : JSON.parse(frame.media.toString('utf8')),
          levelDbfs: frame.levelDbfs,
          overloaded: frame.overloaded === null ? null : { ...frame.overloaded },
        }),
      failed: (message) => {
        throw new Error(message);
      },
    });
    return { ch, seen };
  }

  const callerFrame = (): Uint8Array =>
    new Uint8Array(
      mulawEncode(floatToInt16(tone({ frequency: 1000, durationMs: 20, levelDbfs: -20 }))),
    );

  it('turns a tick of G.711 and Opus into an RTP packet for Janus and a media frame for Telnyx', async () => {
    pool = new TranscoderPool({ logger: pino({ level: 'silent' }), size: 1 });
    const { ch, seen } = channel(pool);
    const roomEncoder = new OpusEncoder(48_000, 1);
    const roomPacket = roomEncoder.encode(Buffer.alloc(960 * 2));
    for (let i = 0; i < 3; i += 1) {
      ch.submit(callerFrame(), i === 1 ? null : roomPacket);
      pool.flush();
    }
    await expect.poll(() => seen.length).toBe(3);
    const [first, second, third] = seen as [Seen, Seen, Seen];
    // One Opus stream: payload type 111, marker on the first packet, numbered on from there.
    expect(first.rtp).toMatchObject({ payloadType: 111, marker: true });
    expect(second.rtp?.sequence).toBe((first.rtp!.sequence + 1) & 0xffff);
    expect(third.rtp?.timestamp).toBe((first.rtp!.timestamp + 1920) >>> 0);
    expect(third.rtp!.payload.length).toBeGreaterThan(0);
    // The caller's -20 dBFS tone is measured as such.
    expect(first.levelDbfs).toBeCloseTo(-20, 0);
    // A media frame when there was a room packet: 160 bytes of μ-law (silence here), as base64.
    expect(first.media).toEqual({
      event: 'media',
      media: { payload: Buffer.alloc(160, 0xff).toString('base64') },
    });
    expect(second.media).toBeNull();
    expect(seen.every((s) => s.overloaded === null)).toBe(true);
  });

  it("drops a tick's work rather than queue it behind fifty unanswered ones, and says what was lost", async () => {
    pool = new TranscoderPool({ logger: pino({ level: 'silent' }), size: 1 });
    const { ch, seen } = channel(pool);
    // Without yielding, the worker's answers cannot come in: the 51st tick finds fifty out.
    for (let i = 0; i < 52; i += 1) {
      ch.submit(callerFrame(), i === 51 ? new Uint8Array([0xf8, 0xff, 0xfe]) : null);
      pool.flush();
    }
    expect(seen.map((s) => s.overloaded)).toEqual([
      { caller: true, room: false },
      { caller: true, room: true },
    ]);
    await expect.poll(() => seen.length).toBe(52);
    expect(seen.slice(2).every((s) => s.overloaded === null && s.rtp !== undefined)).toBe(true);
  });
});
