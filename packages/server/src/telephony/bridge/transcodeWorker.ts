// A transcoding worker thread: per call, one libopus encoder fed 8 kHz PCM (libopus filters and
// resamples internally, so no resampler of ours) and one decoder that outputs 8 kHz straight away.
// It also does the per-frame work around the codec that would otherwise load the main thread:
// G.711 tables, the caller's level, the RTP header for Janus and the JSON and base64 of the
// `media` frame for Telnyx. Runs from the built `dist/` file (see TranscoderPool).

import { parentPort, workerData } from 'node:worker_threads';
import opusBinding from '@discordjs/opus';
import type { CallerCodec } from './ingestFrames.js';
import { RTP_HEADER_BYTES, writeRtpHeader } from './rtp.js';
import {
  JOB_HEADER_BYTES,
  RESULT_HEADER_BYTES,
  RecordWriter,
  type FromWorker,
  type G711Tables,
  type RtpStart,
  type ToWorker,
} from './transcodeProtocol.js';

// A CommonJS package: its class is a property of the default export.
const { OpusEncoder } = opusBinding;
type OpusEncoder = InstanceType<typeof OpusEncoder>;

const SAMPLES = 160;
const OPUS_SET_COMPLEXITY = 4010;
/** Janus's 48 kHz RTP clock: 960 ticks per 20 ms. */
const RTP_TICKS_PER_FRAME = 960;
/** The largest Opus packet libopus makes (RFC 6716), so a result record never overflows. */
const MAX_OPUS_BYTES = 1275;
const MEDIA_PREFIX = Buffer.from('{"event":"media","media":{"payload":"', 'latin1');
const MEDIA_SUFFIX = Buffer.from('"}}', 'latin1');
/** 160 bytes are 216 base64 characters (with `==`). */
const MEDIA_BYTES = MEDIA_PREFIX.length + 216 + MEDIA_SUFFIX.length;

interface Channel {
  decodeTable: Int16Array;
  /** libopus encoder and decoder, both at 8 kHz. */
  opus: OpusEncoder;
  rtp: RtpStart & { first: boolean };
}

const channels = new Map<number, Channel>();
const port = parentPort;
// The audio kit's G.711 tables, built once by the pool (so the worker loads nothing else).
const tables = workerData as G711Tables;
const results = new RecordWriter();
// Scratch space reused for every frame: libopus copies its input, and the μ-law bytes only live
// until they are written out as base64.
const pcm = new Int16Array(SAMPLES);
const pcmBytes = Buffer.from(pcm.buffer);
const silence = Buffer.alloc(SAMPLES * 2);
const ulaw = Buffer.alloc(SAMPLES);

function levelDbfs(samples: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const v = samples[i]!;
    sum += v * v;
  }
  // AES17: a full-scale sine reads 0 dBFS.
  const rms = Math.sqrt(sum / samples.length) / 32768;
  return rms > 0 ? 20 * Math.log10(rms * Math.SQRT2) : -Infinity;
}

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

/** One call's 20 ms: the caller's G.711 to an RTP packet of Opus, the room's Opus to a media frame. */
function transcode(
  id: number,
  channel: Channel,
  caller: Uint8Array | undefined,
  room: Uint8Array | undefined,
): void {
  let level = -Infinity;
  let input = silence;
  if (caller !== undefined) {
    const table = channel.decodeTable;
    for (let i = 0; i < SAMPLES; i += 1) {
      pcm[i] = table[caller[i]!]!;
    }
    level = levelDbfs(pcm);
    input = pcmBytes;
  }
  const opus = channel.opus.encode(input);
  let mediaFrame: Buffer | undefined;
  let roomLevel = -Infinity;
  if (room !== undefined) {
    const decoded = channel.opus.decode(Buffer.from(room.buffer, room.byteOffset, room.length));
    // Janus sends 20 ms packets; anything else is cut or padded to 20 ms so pacing stays exact.
    const samples = new Int16Array(
      decoded.buffer,
      decoded.byteOffset,
      Math.min(SAMPLES, decoded.byteLength >> 1),
    );
    const encode = tables.mulawEncode;
    if (samples.length < SAMPLES) {
      ulaw.fill(0xff); // μ-law silence
    }
    for (let i = 0; i < samples.length; i += 1) {
      ulaw[i] = encode[samples[i]! + 32768]!;
    }
    roomLevel = levelDbfs(samples);
    mediaFrame = ulaw;
  }
  const size = RESULT_HEADER_BYTES + RTP_HEADER_BYTES + MAX_OPUS_BYTES + MEDIA_BYTES;
  const at = results.begin(size);
  const bytes = results.bytes;
  const view = results.view;
  const rtpLength = RTP_HEADER_BYTES + Math.min(opus.length, MAX_OPUS_BYTES);
  const mediaLength = mediaFrame === undefined ? 0 : MEDIA_BYTES;
  view.setUint32(at, id, true);
  view.setFloat32(at + 4, level, true);
  view.setFloat32(at + 8, roomLevel, true);
  view.setUint16(at + 12, rtpLength, true);
  view.setUint16(at + 14, mediaLength, true);
  const rtp = channel.rtp;
  let p = at + RESULT_HEADER_BYTES;
  writeRtpHeader(bytes, p, rtp.payloadType, rtp.sequence, rtp.timestamp, rtp.ssrc, rtp.first);
  bytes.set(opus.subarray(0, rtpLength - RTP_HEADER_BYTES), p + RTP_HEADER_BYTES);
  rtp.first = false;
  rtp.sequence = (rtp.sequence + 1) & 0xffff;
  rtp.timestamp = (rtp.timestamp + RTP_TICKS_PER_FRAME) >>> 0;
  p += rtpLength;
  if (mediaFrame !== undefined) {
    bytes.set(MEDIA_PREFIX, p);
    p += MEDIA_PREFIX.length;
    p += Buffer.from(bytes.buffer, p, 216).write(mediaFrame.toString('base64'), 'latin1');
    bytes.set(MEDIA_SUFFIX, p);
    p += MEDIA_SUFFIX.length;
  }
  results.shrinkLast(at + size - p);
}

function tick(batch: number, count: number, jobs: ArrayBuffer): void {
  const started = performance.now();
  const view = new DataView(jobs);
  const bytes = new Uint8Array(jobs);
  let p = 0;
  for (let i = 0; i < count; i += 1) {
    const id = view.getUint32(p, true);
    const callerLength = view.getUint16(p + 4, true);
    const roomLength = view.getUint16(p + 6, true);
    p += JOB_HEADER_BYTES;
    const caller = callerLength === SAMPLES ? bytes.subarray(p, p + SAMPLES) : undefined;
    p += callerLength;
    const room = roomLength > 0 ? bytes.subarray(p, p + roomLength) : undefined;
    p += roomLength;
    const channel = channels.get(id);
    if (channel === undefined) {
      continue;
    }
    try {
      transcode(id, channel, caller, room);
    } catch (error) {
      channels.delete(id);
      post({
        type: 'failed',
        channel: id,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const resultCount = results.count;
  const out = results.take();
  post(
    { type: 'done', batch, count: resultCount, results: out, busyMs: performance.now() - started },
    [out],
  );
}

port?.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'open': {
      const opus = new OpusEncoder(8000, 1);
      opus.setBitrate(message.bitrate);
      // Narrowband speech loses nothing audible at complexity 5, and it halves the encoder's cost.
      opus.applyEncoderCTL(OPUS_SET_COMPLEXITY, 5);
      channels.set(message.channel, {
        decodeTable:
          message.codec === ('pcma' satisfies CallerCodec) ? tables.alawDecode : tables.mulawDecode,
        opus,
        rtp: { ...message.rtp, first: true },
      });
      break;
    }
    case 'close':
      channels.delete(message.channel);
      break;
    case 'tick':
      tick(message.batch, message.count, message.jobs);
      break;
  }
});

post({ type: 'ready' });
