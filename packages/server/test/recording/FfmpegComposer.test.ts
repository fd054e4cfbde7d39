import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompositionAbortedError,
  CompositionFailedError,
  FfmpegComposer,
  planLayout,
} from '../../src/recording/composition/index.js';
import type {
  CompositionAudio,
  CompositionVideo,
  VideoLayout,
} from '../../src/recording/composition/index.js';
import {
  decodeAudio,
  grabFrame,
  makeH264,
  makeOpusTone,
  makeResizingVp8,
  makeWavTone,
  makeVp8,
  meanColor,
  probe,
  toneAmplitude,
} from './support/syntheticMedia.js';

const HD = { width: 1280, height: 720 };
const logger = pino({ level: 'silent' });

let dir: string;
let videos: CompositionVideo[];
let audios: CompositionAudio[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palaver-composer-'));
  // Alice (red) from 0 s to 6 s; Bob (blue) from 2 s to 8 s, whose camera stalls for a second.
  await Promise.all([
    makeVp8(join(dir, 'alice.webm'), { color: 'red', width: 640, height: 360, seconds: 6 }),
    makeVp8(join(dir, 'bob.webm'), {
      color: 'blue',
      width: 640,
      height: 360,
      seconds: 6,
      gap: [1, 2],
    }),
    makeOpusTone(join(dir, 'alice.ogg'), 1000, 6),
    makeOpusTone(join(dir, 'bob.ogg'), 440, 6),
    makeWavTone(join(dir, 'phone.wav'), 2000, 3),
  ]);
  videos = [
    { id: 'alice-video', path: join(dir, 'alice.webm'), startSecs: 0, endSecs: 6 },
    { id: 'bob-video', path: join(dir, 'bob.webm'), startSecs: 2, endSecs: 8 },
  ];
  audios = [
    { id: 'alice-audio', path: join(dir, 'alice.ogg'), startSecs: 0 },
    { id: 'bob-audio', path: join(dir, 'bob.ogg'), startSecs: 2 },
    // A phone caller (no video) on from 4.5 s to 7.5 s.
    { id: 'phone-audio', path: join(dir, 'phone.wav'), startSecs: 4.5 },
  ];
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function job(outputName: string, durationSecs: number, videoLayout?: VideoLayout) {
  return {
    outputPath: join(dir, outputName),
    resolution: HD,
    durationSecs,
    layout: planLayout(HD, videoLayout, videos),
    videos,
    audios,
  };
}

const BLACK = 24;

const COLORS = {
  black: ([r, g, b]) => Math.max(r, g, b) < BLACK,
  red: ([r, g, b]) => r > 180 && g < 60 && b < 60,
  blue: ([r, g, b]) => b > 180 && r < 60 && g < 60,
  green: ([r, g, b]) => g > 90 && r < 50 && b < 50,
  yellow: ([r, g, b]) => r > 180 && g > 180 && b < 60,
} satisfies Record<string, (rgb: [number, number, number]) => boolean>;

function expectColor(actual: [number, number, number], expected: keyof typeof COLORS): void {
  expect(COLORS[expected](actual), `${expected}, got ${actual.join(',')}`).toBe(true);
}

describe('FfmpegComposer', () => {
  it('composes a grid: H.264 + AAC at the size and length asked, each person at their time, all voices mixed', async () => {
    const progress: number[] = [];
    const composer = new FfmpegComposer({ ffmpegPath: '/usr/bin/ffmpeg', logger });
    const result = await composer.compose({
      ...job('grid.mp4', 8),
      onProgress: (fraction) => progress.push(fraction),
    });
    const output = join(dir, 'grid.mp4');

    const probed = await probe(output);
    const video = probed.streams.find((s) => s.codec_type === 'video');
    const audio = probed.streams.find((s) => s.codec_type === 'audio');
    expect(video).toMatchObject({ codec_name: 'h264', width: 1280, height: 720 });
    expect(video?.avg_frame_rate).toBe('30/1');
    expect(audio?.codec_name).toBe('aac');
    expect(Math.abs(probed.durationSecs - 8)).toBeLessThanOrEqual(8 * 0.05);
    expect(Math.abs(result.durationSecs - 8)).toBeLessThanOrEqual(8 * 0.05);
    expect(result.sizeBytes).toBe((await readFile(output)).byteLength);
    expect(await readdir(dir)).not.toContain('grid.mp4.part');

    // Two side-by-side cells of 640×720; a 640×360 picture sits in the middle of each.
    const left = { x: 0, y: 180, width: 640, height: 360 };
    const right = { x: 640, y: 180, width: 640, height: 360 };
    const band = { x: 0, y: 0, width: 1280, height: 180 };
    const early = await grabFrame(output, 1, 1280, 720);
    expectColor(meanColor(early, left), 'red');
    expectColor(meanColor(early, right), 'black'); // Bob has not joined yet
    const middle = await grabFrame(output, 3.5, 1280, 720); // Bob's camera stalls: last frame held
    expectColor(meanColor(middle, left), 'red');
    expectColor(meanColor(middle, right), 'blue');
    expectColor(meanColor(middle, band), 'black');
    const late = await grabFrame(output, 7, 1280, 720);
    expectColor(meanColor(late, left), 'black'); // Alice has left
    expectColor(meanColor(late, right), 'blue');

    // Alice's 1 kHz from 0 s, Bob's 440 Hz from 2 s, the phone's 2 kHz from 4.5 s to 7.5 s,
    // each at its own level (−18 dBFS tones).
    const alone = await decodeAudio(output, 0.3, 1.4);
    const both = await decodeAudio(output, 2.5, 1.8);
    const after = await decodeAudio(output, 6.5, 1.2);
    const phone = await decodeAudio(output, 4.8, 1.2);
    expect(toneAmplitude(both, 2000)).toBeLessThan(0.005);
    expect(toneAmplitude(phone, 2000)).toBeGreaterThan(0.05);
    expect(toneAmplitude(phone, 1000)).toBeGreaterThan(0.05);
    expect(toneAmplitude(await decodeAudio(output, 7.7, 0.25), 2000)).toBeLessThan(0.005);
    expect(toneAmplitude(alone, 1000)).toBeGreaterThan(0.05);
    expect(toneAmplitude(alone, 440)).toBeLessThan(0.005);
    expect(toneAmplitude(both, 1000)).toBeGreaterThan(0.05);
    expect(toneAmplitude(both, 440)).toBeGreaterThan(0.05);
    expect(toneAmplitude(after, 1000)).toBeLessThan(0.005);
    expect(toneAmplitude(after, 440)).toBeGreaterThan(0.05);
    // Bob is heard from 2 s on the dot (within 50 ms), in sync with his picture.
    expect(toneAmplitude(await decodeAudio(output, 1.8, 0.15), 440)).toBeLessThan(0.005);
    expect(toneAmplitude(await decodeAudio(output, 2.05, 0.15), 440)).toBeGreaterThan(0.05);
    // Mixing does not turn anyone down.
    const ratio = toneAmplitude(both, 1000) / toneAmplitude(alone, 1000);
    expect(ratio).toBeGreaterThan(0.85);
    expect(ratio).toBeLessThan(1.15);

    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toBe(1);
    expect(progress.slice(0, -1).every((f) => f >= 0 && f < 1)).toBe(true);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('honours a two-region layout', async () => {
    const composer = new FfmpegComposer({ logger });
    await composer.compose(
      job('regions.mp4', 5, {
        stage: { width: 960, video_sources: ['bob-video'] },
        strip: { x_pos: 960, width: 320, z_pos: 1, video_sources: ['*'] },
      }),
    );
    const output = join(dir, 'regions.mp4');
    const frame = await grabFrame(output, 3, 1280, 720);
    // Bob fills the 960×720 stage as 960×540; Alice is alone in the 320×720 strip as 320×180.
    expectColor(meanColor(frame, { x: 0, y: 90, width: 960, height: 540 }), 'blue');
    expectColor(meanColor(frame, { x: 960, y: 270, width: 320, height: 180 }), 'red');
    expectColor(meanColor(frame, { x: 960, y: 0, width: 320, height: 260 }), 'black');
    expectColor(meanColor(frame, { x: 0, y: 0, width: 960, height: 80 }), 'black');
  });

  it('copes with a camera that changes size mid-stream and with H.264 in MP4', async () => {
    const resizing = join(dir, 'resizing.webm');
    const h264 = join(dir, 'carol.mp4');
    await Promise.all([
      // 16:9, then 4:3, then 16:9 again at another size: two seconds each.
      makeResizingVp8(
        resizing,
        'green',
        [
          [640, 360],
          [320, 240],
          [1280, 720],
        ],
        2,
      ),
      makeH264(h264, { color: 'yellow', width: 640, height: 480, seconds: 5 }),
    ]);
    const sources = [
      { id: 'dana', path: resizing, startSecs: 0, endSecs: 6 },
      { id: 'carol', path: h264, startSecs: 1, endSecs: 6 },
    ];
    const output = join(dir, 'resizing.mp4');
    await new FfmpegComposer({ logger }).compose({
      outputPath: output,
      resolution: HD,
      durationSecs: 6,
      layout: planLayout(HD, undefined, sources),
      videos: sources,
      audios: [],
    });
    // Each picture keeps its shape inside its 640×720 cell: 640×360 for 16:9, 640×480 for 4:3.
    const wide = { x: 0, y: 180, width: 640, height: 360 };
    const aboveWide = { x: 0, y: 130, width: 640, height: 40 };
    const fourThree = { x: 0, y: 120, width: 640, height: 480 };
    const first = await grabFrame(output, 1.5, 1280, 720);
    expectColor(meanColor(first, wide), 'green');
    expectColor(meanColor(first, aboveWide), 'black');
    const second = await grabFrame(output, 3, 1280, 720);
    expectColor(meanColor(second, fourThree), 'green');
    expectColor(meanColor(second, { ...fourThree, x: 640 }), 'yellow');
    expectColor(meanColor(second, { x: 640, y: 0, width: 640, height: 110 }), 'black');
    const third = await grabFrame(output, 5, 1280, 720);
    expectColor(meanColor(third, wide), 'green');
    expectColor(meanColor(third, aboveWide), 'black');
    expect((await probe(output)).streams.map((s) => s.codec_name)).toEqual(['h264', 'aac']);
  });

  it('stops ffmpeg on abort and leaves no file behind', async () => {
    // The real ffmpeg, started through a script that notes its process id first.
    const pidFile = join(dir, 'ffmpeg.pid');
    const wrapper = join(dir, 'ffmpeg-noting-pid.sh');
    await writeFile(wrapper, `#!/bin/sh\necho $$ > '${pidFile}'\nexec /usr/bin/ffmpeg "$@"\n`);
    await chmod(wrapper, 0o755);
    const composer = new FfmpegComposer({ ffmpegPath: wrapper, logger });
    const controller = new AbortController();
    const progress: number[] = [];
    const composing = composer.compose({
      ...job('aborted.mp4', 600),
      signal: controller.signal,
      onProgress: (fraction) => {
        progress.push(fraction);
        controller.abort();
      },
    });
    await expect(composing).rejects.toBeInstanceOf(CompositionAbortedError);
    expect(progress.at(-1)).toBeLessThan(0.5);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(existsSync(join(dir, 'aborted.mp4'))).toBe(false);
    expect(existsSync(join(dir, 'aborted.mp4.part'))).toBe(false);
  });

  it('does not start when already aborted', async () => {
    const composer = new FfmpegComposer({ logger });
    await expect(
      composer.compose({ ...job('never.mp4', 5), signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(CompositionAbortedError);
    expect(existsSync(join(dir, 'never.mp4'))).toBe(false);
  });

  it("fails with ffmpeg's complaint when an input is missing, leaving no file", async () => {
    const composer = new FfmpegComposer({ logger });
    const missing = [{ ...videos[0]!, path: join(dir, 'missing.webm') }];
    const error = await composer
      .compose({ ...job('broken.mp4', 5), videos: missing })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompositionFailedError);
    expect(error).toMatchObject({ reason: 'ffmpeg_failed', code: 'media_processing_failed' });
    expect((error as CompositionFailedError).stderrTail.join('\n')).toContain(
      'No such file or directory',
    );
    expect(existsSync(join(dir, 'broken.mp4'))).toBe(false);
    expect(existsSync(join(dir, 'broken.mp4.part'))).toBe(false);
  });

  it('says so when ffmpeg cannot be started', async () => {
    const composer = new FfmpegComposer({ ffmpegPath: join(dir, 'no-ffmpeg-here'), logger });
    await expect(composer.compose(job('none.mp4', 5))).rejects.toMatchObject({
      reason: 'ffmpeg_unavailable',
    });
  });
});
