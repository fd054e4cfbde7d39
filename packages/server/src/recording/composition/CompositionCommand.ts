import type { CompositionLayout, Placement, Resolution } from './CompositionLayout.js';

/** A converted video recording (WebM VP8 or MP4 H.264) on the composition's timeline. */
export interface CompositionVideo {
  id: string;
  path: string;
  /** Seconds from the composition's start to the file's first frame. */
  startSecs: number;
  /** Seconds from the composition's start to when the stream ended; nothing is shown after. */
  endSecs: number;
}

/** A converted audio recording (Ogg/Opus, or WAV from a phone leg) on the timeline. */
export interface CompositionAudio {
  id: string;
  path: string;
  startSecs: number;
}

/** What the command needs to know; FfmpegComposer's job without the callbacks. */
export interface CompositionCommandInput {
  resolution: Resolution;
  durationSecs: number;
  layout: CompositionLayout;
  videos: readonly CompositionVideo[];
  audios: readonly CompositionAudio[];
}

/**
 * Output frame rate. Janus's files are variable-rate with gaps; the black canvas drives the
 * output at this constant rate and each tile holds its last frame through a gap. 30 is what
 * browsers send, so no camera frame is dropped.
 */
export const OUTPUT_FPS = 30;
const AUDIO_RATE = 48_000;
const AUDIO_FORMAT = `aformat=sample_fmts=fltp:sample_rates=${AUDIO_RATE}:channel_layouts=stereo`;

/**
 * Encoder choices, measured by `npm run bench:composition` on 2 cores (docs/benchmarks.md):
 * `veryfast` with the cheapest motion search (diamond, subpixel level 1) takes about a fifth less
 * CPU than plain `veryfast` for 6 % more bytes, and a third of `superfast`'s bytes at the same
 * CRF. Encoding is still about 60 % of the work; decoding the VP8 inputs is most of the rest.
 */
const VIDEO_CODEC_ARGS = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23'];
const VIDEO_SEARCH_ARGS = ['-x264-params', 'me=dia:subme=1'];
const AUDIO_CODEC_ARGS = ['-c:a', 'aac', '-b:a', '128k'];
/** A key frame every 2 s, so players can seek in a long composition without decoding far. */
const KEYFRAME_INTERVAL = 2 * OUTPUT_FPS;

/**
 * ffmpeg's arguments for one composition, writing MP4 to `outputPath` and progress lines
 * (`out_time_us=…`) to standard output.
 */
export function buildFfmpegArgs(input: CompositionCommandInput, outputPath: string): string[] {
  const { width, height } = input.resolution;
  const duration = seconds(input.durationSecs);
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning'];
  args.push('-progress', 'pipe:1', '-stats_period', '0.5');

  const filters: string[] = [
    `color=c=black:s=${width}x${height}:r=${OUTPUT_FPS}:d=${duration},format=yuv420p[bg]`,
  ];
  let inputIndex = 0;
  let canvas = 'bg';
  let overlays = 0;

  const byVideo = new Map<string, Placement[]>();
  for (const placement of input.layout.placements) {
    const list = byVideo.get(placement.sourceId) ?? [];
    list.push(placement);
    byVideo.set(placement.sourceId, list);
  }
  const drawn = new Map<Placement, { label: string; video: CompositionVideo }>();
  for (const video of input.videos) {
    const placements = byVideo.get(video.id) ?? [];
    if (placements.length === 0 || video.startSecs >= input.durationSecs) {
      continue;
    }
    // A new frame size mid-file (WebRTC adapts resolution) must not rebuild the graph, which
    // would restart the canvas; the scaler adapts on its own.
    args.push('-reinit_filter', '0', '-i', video.path);
    const chain = [`setpts=PTS-STARTPTS+${seconds(video.startSecs)}/TB`];
    if (video.startSecs < 0) {
      chain.push('trim=start=0');
    }
    const labels = placements.map((_, i) => `v${inputIndex}p${i}`);
    if (placements.length > 1) {
      chain.push(`split=${placements.length}${labels.map((l) => `[${l}s]`).join('')}`);
      filters.push(`[${inputIndex}:v]${chain.join(',')}`);
    } else {
      filters.push(`[${inputIndex}:v]${chain.join(',')}[${labels[0]}s]`);
    }
    placements.forEach((placement, i) => {
      const { width: w, height: h } = placement.cell;
      // Fit inside the cell keeping the picture's shape; the rest of the cell stays black.
      filters.push(
        `[${labels[i]}s]scale=w=${w}:h=${h}:force_original_aspect_ratio=decrease:force_divisible_by=2:flags=bilinear,setsar=1[${labels[i]}]`,
      );
      drawn.set(placement, { label: labels[i] ?? '', video });
    });
    inputIndex++;
  }
  // Back to front, as the layout ordered the placements.
  for (const placement of input.layout.placements) {
    const tile = drawn.get(placement);
    if (tile === undefined) {
      continue;
    }
    const { label, video } = tile;
    const { x, y, width: w, height: h } = placement.cell;
    const next = `o${overlays++}`;
    const shown = `between(t,${seconds(Math.max(0, video.startSecs))},${seconds(video.endSecs)})`;
    filters.push(
      `[${canvas}][${label}]overlay=x='${x}+trunc((${w}-w)/4)*2':y='${y}+trunc((${h}-h)/4)*2':eof_action=pass:enable='${shown}'[${next}]`,
    );
    canvas = next;
  }

  // A silent bed as long as the composition: the mix lasts exactly that long, silent where
  // nobody speaks.
  filters.push(`anullsrc=r=${AUDIO_RATE}:cl=stereo:d=${duration},${AUDIO_FORMAT}[bed]`);
  const voices: string[] = [];
  for (const audio of input.audios) {
    if (audio.startSecs >= input.durationSecs) {
      continue;
    }
    args.push('-i', audio.path);
    const chain = ['asetpts=PTS-STARTPTS'];
    if (audio.startSecs < 0) {
      chain.push(`atrim=start=${seconds(-audio.startSecs)}`, 'asetpts=PTS-STARTPTS');
    }
    // Gaps inside the file (lost packets) become silence, so the voice stays in sync.
    chain.push('aresample=async=1:first_pts=0', AUDIO_FORMAT);
    if (audio.startSecs > 0) {
      // adelay pads with silence frame by frame; shifting timestamps instead would make
      // aresample hold the whole lead-in in memory (a late joiner in a long session).
      chain.push(`adelay=delays=${Math.round(audio.startSecs * AUDIO_RATE)}S:all=1`);
    }
    filters.push(`[${inputIndex}:a]${chain.join(',')}[a${inputIndex}]`);
    voices.push(`[a${inputIndex}]`);
    inputIndex++;
  }
  // normalize=0: every voice keeps its level instead of being divided by the number of inputs.
  filters.push(
    voices.length === 0
      ? '[bed]anull[aout]'
      : `[bed]${voices.join('')}amix=inputs=${voices.length + 1}:duration=first:dropout_transition=0:normalize=0[aout]`,
  );
  filters.push(`[${canvas}]null[vout]`);

  args.push('-filter_complex', filters.join(';'));
  args.push('-map', '[vout]', '-map', '[aout]');
  args.push(
    ...VIDEO_CODEC_ARGS,
    ...VIDEO_SEARCH_ARGS,
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(KEYFRAME_INTERVAL),
  );
  args.push('-fps_mode', 'cfr');
  args.push(...AUDIO_CODEC_ARGS, '-ar', String(AUDIO_RATE));
  // Late starters make one stream run ahead of the other at the muxer.
  args.push('-max_muxing_queue_size', '4096');
  args.push('-t', duration, '-movflags', '+faststart', '-f', 'mp4', '-y', outputPath);
  return args;
}

/** Seconds as ffmpeg reads them: plain decimal, millisecond precision. */
function seconds(value: number): string {
  return (Math.round(value * 1000) / 1000).toFixed(3);
}
