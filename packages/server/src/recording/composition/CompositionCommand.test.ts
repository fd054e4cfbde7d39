import { describe, expect, it } from 'vitest';
import { buildFfmpegArgs } from './CompositionCommand.js';
import type { CompositionAudio, CompositionVideo } from './CompositionCommand.js';
import { planLayout } from './CompositionLayout.js';
import type { VideoLayout } from './CompositionLayout.js';

const HD = { width: 1280, height: 720 };

function command(
  videos: CompositionVideo[],
  audios: CompositionAudio[],
  videoLayout?: VideoLayout,
): { args: string[]; filters: string[] } {
  const args = buildFfmpegArgs(
    {
      resolution: HD,
      durationSecs: 10,
      layout: planLayout(HD, videoLayout, videos),
      videos,
      audios,
    },
    '/out/x.mp4.part',
  );
  const graph = args[args.indexOf('-filter_complex') + 1] ?? '';
  return { args, filters: graph.split(';') };
}

function inputs(args: string[]): string[] {
  return args.filter((_, i) => args[i - 1] === '-i');
}

const video = (id: string, startSecs: number, endSecs = 10): CompositionVideo => ({
  id,
  path: `/rec/${id}.webm`,
  startSecs,
  endSecs,
});

describe('buildFfmpegArgs', () => {
  it('writes H.264 + AAC MP4 with faststart, the exact length, and progress on stdout', () => {
    const { args } = command([video('a', 0)], []);
    const joined = args.join(' ');
    expect(joined).toContain('-progress pipe:1');
    expect(joined).toContain('-c:v libx264');
    expect(joined).toContain('-pix_fmt yuv420p');
    expect(joined).toContain('-c:a aac');
    expect(joined).toContain('-t 10.000 -movflags +faststart -f mp4 -y /out/x.mp4.part');
  });

  it('opens only videos that have a cell and start before the end', () => {
    const { args } = command([video('a', 0), video('b', 12), video('c', 1)], [], {
      main: { video_sources: ['a', 'b'] },
    });
    expect(inputs(args)).toEqual(['/rec/a.webm']);
  });

  it('decodes a video once and splits it when two regions show it', () => {
    const { filters, args } = command([video('a', 0)], [], {
      grid: { video_sources: ['a'] },
      pip: { x_pos: 960, y_pos: 540, z_pos: 1, video_sources: ['a'] },
    });
    expect(inputs(args)).toEqual(['/rec/a.webm']);
    expect(filters.filter((f) => f.startsWith('[0:v]'))).toEqual([
      '[0:v]setpts=PTS-STARTPTS+0.000/TB,split=2[v0p0s][v0p1s]',
    ]);
    // The grid first (z 0), the picture-in-picture on top.
    const overlays = filters.filter((f) => f.includes('overlay='));
    expect(overlays[0]).toContain("x='0+");
    expect(overlays[1]).toContain("x='960+");
  });

  it('shifts late starters and trims early ones to the composition start', () => {
    const { filters } = command(
      [video('early', -1.5), video('late', 2.25, 8)],
      [
        { id: 'x', path: '/rec/x.opus', startSecs: -0.5 },
        { id: 'y', path: '/rec/y.opus', startSecs: 2.25 },
      ],
    );
    expect(filters).toContain('[0:v]setpts=PTS-STARTPTS+-1.500/TB,trim=start=0[v0p0s]');
    expect(filters).toContain('[1:v]setpts=PTS-STARTPTS+2.250/TB[v1p0s]');
    expect(filters.find((f) => f.includes('[v1p0]overlay'))).toContain(
      "enable='between(t,2.250,8.000)'",
    );
    expect(filters.find((f) => f.startsWith('[2:a]'))).toContain(
      'asetpts=PTS-STARTPTS,atrim=start=0.500,asetpts=PTS-STARTPTS,aresample',
    );
    expect(filters.find((f) => f.startsWith('[3:a]'))).toContain('adelay=delays=108000S:all=1');
    expect(filters.at(-2)).toBe(
      '[bed][a2][a3]amix=inputs=3:duration=first:dropout_transition=0:normalize=0[aout]',
    );
  });

  it('has a black canvas and silence when there is nothing to show or hear', () => {
    const { args, filters } = command([], []);
    expect(inputs(args)).toEqual([]);
    expect(filters[0]).toBe('color=c=black:s=1280x720:r=30:d=10.000,format=yuv420p[bg]');
    expect(filters).toContain('[bed]anull[aout]');
    expect(filters).toContain('[bg]null[vout]');
  });
});
