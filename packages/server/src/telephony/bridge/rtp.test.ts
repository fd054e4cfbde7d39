import { describe, expect, it } from 'vitest';
import { buildRtpPacket, parseRtpPacket } from './rtp.js';

describe('RTP framing', () => {
  it('round-trips a packet', () => {
    const packet = buildRtpPacket(
      111,
      65535,
      2 ** 32 - 1,
      0xdeadbeef,
      Buffer.from([1, 2, 3]),
      true,
    );
    expect(parseRtpPacket(packet)).toEqual({
      payloadType: 111,
      marker: true,
      sequence: 65535,
      timestamp: 2 ** 32 - 1,
      ssrc: 0xdeadbeef,
      payload: Buffer.from([1, 2, 3]),
    });
  });

  it('skips CSRCs, a header extension and padding', () => {
    const header = Buffer.from([0xb1, 111, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]); // P, X, 1 CSRC
    const csrc = Buffer.alloc(4);
    const extension = Buffer.from([0xbe, 0xde, 0, 1, 0x10, 0x7f, 0, 0]);
    const body = Buffer.from([9, 9]);
    const padding = Buffer.from([0, 2]);
    const parsed = parseRtpPacket(Buffer.concat([header, csrc, extension, body, padding]));
    expect(parsed?.payload).toEqual(body);
    expect(parseRtpPacket(Buffer.from([0x80, 0]))).toBeUndefined();
  });
});
