// RTP (RFC 3550) framing for the phone leg's Opus packets. Hand-written: it is twelve bytes,
// runs for every packet of every call, and a library would bring RTCP and SRTP we do not use.

export const RTP_HEADER_BYTES = 12;

/** The payload type the phone legs announce to Janus for Opus. */
export const OPUS_PAYLOAD_TYPE = 111;

export interface RtpPacket {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Buffer;
}

/** One RTP packet: version 2, no padding, no extension, no CSRCs. */
export function buildRtpPacket(
  payloadType: number,
  sequence: number,
  timestamp: number,
  ssrc: number,
  payload: Uint8Array,
  marker = false,
): Buffer {
  const packet = Buffer.allocUnsafe(RTP_HEADER_BYTES + payload.length);
  writeRtpHeader(packet, 0, payloadType, sequence, timestamp, ssrc, marker);
  packet.set(payload, RTP_HEADER_BYTES);
  return packet;
}

/** Writes the 12-byte header of {@link buildRtpPacket} at `offset` of a buffer of packets. */
export function writeRtpHeader(
  target: Uint8Array,
  offset: number,
  payloadType: number,
  sequence: number,
  timestamp: number,
  ssrc: number,
  marker: boolean,
): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, RTP_HEADER_BYTES);
  view.setUint8(0, 0x80);
  view.setUint8(1, (marker ? 0x80 : 0) | (payloadType & 0x7f));
  view.setUint16(2, sequence & 0xffff);
  view.setUint32(4, timestamp >>> 0);
  view.setUint32(8, ssrc >>> 0);
}

/** Reads an RTP packet, skipping CSRCs, a header extension and padding; undefined if invalid. */
export function parseRtpPacket(data: Buffer): RtpPacket | undefined {
  if (data.length < RTP_HEADER_BYTES || data[0]! >> 6 !== 2) {
    return undefined;
  }
  const first = data[0]!;
  let offset = RTP_HEADER_BYTES + (first & 0x0f) * 4;
  if ((first & 0x10) !== 0) {
    if (data.length < offset + 4) {
      return undefined;
    }
    offset += 4 + data.readUInt16BE(offset + 2) * 4;
  }
  let end = data.length;
  if ((first & 0x20) !== 0) {
    end -= data[data.length - 1]!;
  }
  if (end < offset) {
    return undefined;
  }
  return {
    payloadType: data[1]! & 0x7f,
    marker: (data[1]! & 0x80) !== 0,
    sequence: data.readUInt16BE(2),
    timestamp: data.readUInt32BE(4),
    ssrc: data.readUInt32BE(8),
    payload: data.subarray(offset, end),
  };
}
