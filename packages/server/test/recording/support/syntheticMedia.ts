import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BUFFER = 64 * 1024 * 1024;

export interface SyntheticVideo {
  /** An ffmpeg colour name, e.g. `red`. */
  color: string;
  width: number;
  height: number;
  seconds: number;
  /** Frames between these times (file time) are left out, as when a camera stalls. */
  gap?: [number, number] | undefined;
}

/** A VP8 WebM like janus-pp-rec writes: one solid colour, 30 fps, variable rate if gapped. */
export async function makeVp8(path: string, video: SyntheticVideo): Promise<void> {
  const source = `color=c=${video.color}:s=${video.width}x${video.height}:r=30:d=${video.seconds}`;
  const select =
    video.gap === undefined
      ? []
      : ['-vf', `select='not(between(t,${video.gap[0]},${video.gap[1]}))'`];
  await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', source, ...select],
      ...['-fps_mode', 'vfr', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8'],
      ...['-b:v', '400k', '-threads', '1', path],
    ],
    { maxBuffer: BUFFER },
  );
}

/**
 * A VP8 WebM whose picture changes size at key frames, as WebRTC senders adapt to bandwidth:
 * one segment of `secondsEach` per size, joined without re-encoding.
 */
export async function makeResizingVp8(
  path: string,
  color: string,
  sizes: readonly [number, number][],
  secondsEach: number,
): Promise<void> {
  const parts = sizes.map((_, i) => `${path}.part${i}.webm`);
  await Promise.all(
    sizes.map(([width, height], i) =>
      makeVp8(parts[i] ?? '', { color, width, height, seconds: secondsEach }),
    ),
  );
  const list = `${path}.parts.txt`;
  await writeFile(list, parts.map((part) => `file '${part}'`).join('\n'));
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    list,
    '-c',
    'copy',
    path,
  ]);
  await Promise.all([list, ...parts].map((file) => rm(file, { force: true })));
}

/** An H.264 MP4 like janus-pp-rec writes for H.264 publishers: one solid colour, 30 fps. */
export async function makeH264(path: string, video: SyntheticVideo): Promise<void> {
  const source = `color=c=${video.color}:s=${video.width}x${video.height}:r=30:d=${video.seconds}`;
  await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', source, '-c:v', 'libx264'],
      ...['-preset', 'ultrafast', '-threads', '1', '-movflags', '+faststart', path],
    ],
    { maxBuffer: BUFFER },
  );
}

/** A mono Ogg/Opus tone like janus-pp-rec writes (amplitude 1/8, −18 dBFS). */
export async function makeOpusTone(path: string, hz: number, seconds: number): Promise<void> {
  await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=f=${hz}:r=48000:d=${seconds}`],
      ...['-c:a', 'libopus', '-b:a', '48k', path],
    ],
    { maxBuffer: BUFFER },
  );
}

/** A phone leg as the bridge records it: 8 kHz mono 16-bit PCM WAV, amplitude 1/8. */
export async function makeWavTone(path: string, hz: number, seconds: number): Promise<void> {
  await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=f=${hz}:r=8000:d=${seconds}`],
      ...['-c:a', 'pcm_s16le', path],
    ],
    { maxBuffer: BUFFER },
  );
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  nb_frames?: string;
}

export async function probe(
  path: string,
): Promise<{ durationSecs: number; streams: ProbedStream[] }> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path],
    { maxBuffer: BUFFER },
  );
  const parsed = JSON.parse(stdout) as {
    format: { duration: string };
    streams: ProbedStream[];
  };
  return { durationSecs: Number(parsed.format.duration), streams: parsed.streams };
}

/** One decoded frame as packed RGB. */
export interface RgbFrame {
  width: number;
  height: number;
  data: Buffer;
}

export async function grabFrame(
  path: string,
  atSecs: number,
  width: number,
  height: number,
): Promise<RgbFrame> {
  const { stdout } = await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-ss', String(atSecs), '-i', path, '-frames:v', '1'],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    ],
    { encoding: 'buffer', maxBuffer: BUFFER },
  );
  return { width, height, data: stdout };
}

/** Mean R, G, B over a rectangle, shrunk by a margin so edges and chroma bleed do not count. */
export function meanColor(
  frame: RgbFrame,
  rect: { x: number; y: number; width: number; height: number },
  margin = 8,
): [number, number, number] {
  let red = 0;
  let green = 0;
  let blue = 0;
  let count = 0;
  for (let y = rect.y + margin; y < rect.y + rect.height - margin; y += 2) {
    for (let x = rect.x + margin; x < rect.x + rect.width - margin; x += 2) {
      const i = (y * frame.width + x) * 3;
      red += frame.data[i] ?? 0;
      green += frame.data[i + 1] ?? 0;
      blue += frame.data[i + 2] ?? 0;
      count++;
    }
  }
  return [Math.round(red / count), Math.round(green / count), Math.round(blue / count)];
}

/** Mono 48 kHz samples of a stretch of a file's audio. */
export async function decodeAudio(
  path: string,
  fromSecs: number,
  seconds: number,
): Promise<Float32Array> {
  const { stdout } = await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-ss', String(fromSecs), '-t', String(seconds), '-i', path],
      ...['-vn', '-ac', '1', '-ar', '48000', '-f', 'f32le', '-'],
    ],
    { encoding: 'buffer', maxBuffer: BUFFER },
  );
  const copy = new Uint8Array(stdout);
  return new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4));
}

/** Amplitude of the `hz` component of `samples` (Goertzel): 1/8 for a −18 dBFS tone. */
export function toneAmplitude(samples: Float32Array, hz: number, rate = 48_000): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let previous = 0;
  let beforePrevious = 0;
  for (const sample of samples) {
    const current = sample + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  const power = previous ** 2 + beforePrevious ** 2 - coefficient * previous * beforePrevious;
  return (2 * Math.sqrt(Math.max(0, power))) / samples.length;
}
