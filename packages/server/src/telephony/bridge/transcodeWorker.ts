// A transcoding worker thread: per call, one libopus encoder fed 8 kHz PCM (libopus filters and
// resamples internally, so no resampler of ours) and one decoder that outputs 8 kHz straight away.
// Runs from the built `dist/` file (see TranscoderPool).

import { parentPort, workerData } from 'node:worker_threads';
import opusBinding from '@discordjs/opus';
import type { CallerCodec } from './ingestFrames.js';
import type { FromWorker, G711Tables, ToWorker, TranscodeResult } from './transcodeProtocol.js';

// A CommonJS package: its class is a property of the default export.
const { OpusEncoder } = opusBinding;
type OpusEncoder = InstanceType<typeof OpusEncoder>;

const SAMPLES = 160;
const OPUS_SET_COMPLEXITY = 4010;
const SILENCE = new Int16Array(SAMPLES);

interface Channel {
  codec: CallerCodec;
  /** libopus encoder and decoder, both at 8 kHz. */
  opus: OpusEncoder;
}

const channels = new Map<number, Channel>();
const port = parentPort;
// The audio kit's G.711 tables, built once by the pool (so the worker loads nothing else).
const tables = workerData as G711Tables;

function g711Decode(codec: CallerCodec, bytes: Uint8Array): Int16Array {
  const table = codec === 'pcma' ? tables.alawDecode : tables.mulawDecode;
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 1) {
    out[i] = table[bytes[i]!]!;
  }
  return out;
}

function mulawEncode(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i += 1) {
    out[i] = tables.mulawEncode[pcm[i]! + 32768]!;
  }
  return out;
}

function levelDbfs(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i += 1) {
    const v = pcm[i]!;
    sum += v * v;
  }
  // AES17: a full-scale sine reads 0 dBFS.
  const rms = Math.sqrt(sum / pcm.length) / 32768;
  return rms > 0 ? 20 * Math.log10(rms * Math.SQRT2) : -Infinity;
}

function post(message: FromWorker): void {
  port?.postMessage(message);
}

port?.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'open': {
      const opus = new OpusEncoder(8000, 1);
      opus.setBitrate(message.bitrate);
      // Narrowband speech loses nothing audible at complexity 5, and it halves the encoder's cost.
      opus.applyEncoderCTL(OPUS_SET_COMPLEXITY, 5);
      channels.set(message.channel, { codec: message.codec, opus });
      break;
    }
    case 'close':
      channels.delete(message.channel);
      break;
    case 'tick': {
      const started = performance.now();
      const results: TranscodeResult[] = [];
      for (const job of message.jobs) {
        const channel = channels.get(job.channel);
        if (channel === undefined) {
          continue;
        }
        try {
          const pcm = job.caller === null ? SILENCE : g711Decode(channel.codec, job.caller);
          const opus = channel.opus.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
          let ulaw: Uint8Array | null = null;
          if (job.room !== null) {
            const decoded = channel.opus.decode(
              Buffer.from(job.room.buffer, job.room.byteOffset, job.room.byteLength),
            );
            const samples = new Int16Array(
              decoded.buffer,
              decoded.byteOffset,
              Math.floor(decoded.byteLength / 2),
            );
            ulaw = mulawEncode(samples.length === SAMPLES ? samples : fit(samples));
          }
          // Compact copies: libopus' Buffers may be views into a shared pool slab.
          results.push({
            channel: job.channel,
            opus: new Uint8Array(opus),
            levelDbfs: levelDbfs(pcm),
            ulaw,
          });
        } catch (error) {
          channels.delete(job.channel);
          post({
            type: 'failed',
            channel: job.channel,
            message: error instanceof Error ? error.message : String(error),
          });
        }
      }
      post({ type: 'done', batch: message.batch, results, busyMs: performance.now() - started });
      break;
    }
  }
});

/** Janus sends 20 ms packets; anything else is cut or padded to 20 ms so pacing stays exact. */
function fit(samples: Int16Array): Int16Array {
  const out = new Int16Array(SAMPLES);
  out.set(samples.subarray(0, SAMPLES));
  return out;
}

post({ type: 'ready' });
