import { describe, expect, it } from 'vitest';
import { CompositionLayoutError, CompositionLayoutReason } from './CompositionErrors.js';
import {
  gridCells,
  parseResolution,
  planLayout,
  validateComposition,
} from './CompositionLayout.js';
import type { LayoutSource, Rect } from './CompositionLayout.js';

const HD = { width: 1280, height: 720 };

function sources(...starts: number[]): LayoutSource[] {
  return starts.map((startSecs, i) => ({ id: `r${i + 1}`, startSecs, endSecs: startSecs + 60 }));
}

function cellsOf(layout: ReturnType<typeof planLayout>): Record<string, Rect[]> {
  const out: Record<string, Rect[]> = {};
  for (const p of layout.placements) {
    (out[p.sourceId] ??= []).push(p.cell);
  }
  return out;
}

describe('parseResolution', () => {
  it('reads WIDTHxHEIGHT', () => {
    expect(parseResolution('1280x720')).toEqual(HD);
    expect(parseResolution('16x16')).toEqual({ width: 16, height: 16 });
  });

  it.each([
    ['1280X720', 'invalid_resolution'],
    ['1280x', 'invalid_resolution'],
    ['-16x16', 'invalid_resolution'],
    ['12.5x100', 'invalid_resolution'],
    ['642x361', 'invalid_resolution'],
    ['14x720', 'resolution_out_of_range'],
    ['1282x100', 'resolution_out_of_range'],
    ['1280x722', 'resolution_out_of_range'],
    ['960x1280', 'resolution_out_of_range'],
  ])('refuses %s with %s', (text, reason) => {
    expect(() => parseResolution(text)).toThrow(
      expect.objectContaining({ reason, code: 'invalid_parameter' }),
    );
  });

  it('allows portrait sizes within 1280×720 pixels', () => {
    expect(parseResolution('720x1280')).toEqual({ width: 720, height: 1280 });
  });
});

describe('validateComposition', () => {
  const ids = ['r1', 'r2', 'r3'];

  it('accepts no layout, an empty layout and two valid regions', () => {
    expect(validateComposition({ resolution: '1280x720', videoRecordingIds: ids })).toEqual([]);
    expect(
      validateComposition({ resolution: HD, videoLayout: {}, videoRecordingIds: ids }),
    ).toEqual([]);
    expect(
      validateComposition({
        resolution: '1280x720',
        videoLayout: {
          main: { width: 960, video_sources: ['r1'] },
          side: { x_pos: 960, z_pos: 1, max_columns: 1, max_rows: 3, video_sources: ['*'] },
        },
        videoRecordingIds: ids,
      }),
    ).toEqual([]);
  });

  it('reports more than two regions', () => {
    const errors = validateComposition({
      resolution: '1280x720',
      videoLayout: { a: {}, b: {}, c: {} },
      videoRecordingIds: ids,
    });
    expect(errors.map((e) => [e.reason, e.source?.pointer])).toEqual([
      ['too_many_regions', '/video_layout'],
    ]);
    expect(errors[0]).toBeInstanceOf(CompositionLayoutError);
  });

  it('reports every unknown recording id with a pointer to it', () => {
    const errors = validateComposition({
      resolution: '1280x720',
      videoLayout: { main: { video_sources: ['r1', 'nope', '*'] }, side: { video_sources: ['x'] } },
      videoRecordingIds: ids,
    });
    expect(errors.map((e) => [e.reason, e.source?.pointer])).toEqual([
      ['unknown_video_source', '/video_layout/main/video_sources/1'],
      ['unknown_video_source', '/video_layout/side/video_sources/0'],
    ]);
    expect(errors[0]?.message).toContain('"nope"');
  });

  it('reports a resolution out of range', () => {
    const errors = validateComposition({ resolution: '1920x1080', videoRecordingIds: ids });
    expect(errors.map((e) => [e.reason, e.source?.pointer])).toEqual([
      [CompositionLayoutReason.ResolutionOutOfRange, '/resolution'],
    ]);
  });

  it('reports invalid numbers field by field', () => {
    const errors = validateComposition({
      resolution: '1280x720',
      videoLayout: {
        main: {
          x_pos: -1,
          y_pos: 1.5,
          z_pos: 100,
          width: 8,
          max_columns: 0,
          max_rows: 1001,
          video_sources: 'r1' as unknown as string[],
        },
      },
      videoRecordingIds: ids,
    });
    expect(errors.map((e) => [e.reason, e.source?.pointer])).toEqual([
      ['invalid_region', '/video_layout/main/x_pos'],
      ['invalid_region', '/video_layout/main/y_pos'],
      ['invalid_region', '/video_layout/main/z_pos'],
      ['invalid_region', '/video_layout/main/width'],
      ['invalid_region', '/video_layout/main/max_columns'],
      ['invalid_region', '/video_layout/main/max_rows'],
      ['invalid_region', '/video_layout/main/video_sources'],
    ]);
  });

  it('reports a region that reaches past the output', () => {
    const errors = validateComposition({
      resolution: '640x360',
      videoLayout: {
        wide: { x_pos: 100, width: 600 },
        low: { y_pos: 350 },
      },
      videoRecordingIds: ids,
    });
    expect(errors.map((e) => [e.reason, e.source?.pointer])).toEqual([
      ['region_out_of_bounds', '/video_layout/wide'],
      ['region_out_of_bounds', '/video_layout/low'],
    ]);
  });
});

describe('gridCells', () => {
  const area = { x: 0, y: 0, ...HD };

  it('puts two side by side and four in a 2×2 grid', () => {
    expect(gridCells(area, 2)).toEqual([
      { x: 0, y: 0, width: 640, height: 720 },
      { x: 640, y: 0, width: 640, height: 720 },
    ]);
    expect(gridCells(area, 4)).toEqual([
      { x: 0, y: 0, width: 640, height: 360 },
      { x: 640, y: 0, width: 640, height: 360 },
      { x: 0, y: 360, width: 640, height: 360 },
      { x: 640, y: 360, width: 640, height: 360 },
    ]);
  });

  it('centres a short last row', () => {
    expect(gridCells(area, 3)[2]).toEqual({ x: 320, y: 360, width: 640, height: 360 });
  });

  it('chooses the shape that shows 16:9 pictures largest', () => {
    // A tall narrow region stacks its tiles.
    expect(gridCells({ x: 960, y: 0, width: 320, height: 720 }, 3)).toEqual([
      { x: 960, y: 0, width: 320, height: 240 },
      { x: 960, y: 240, width: 320, height: 240 },
      { x: 960, y: 480, width: 320, height: 240 },
    ]);
    // Nine in 1280×720: 3×3.
    const nine = gridCells(area, 9);
    expect(new Set(nine.map((c) => `${c.width}x${c.height}`))).toEqual(
      new Set(['426x240', '428x240']),
    );
  });

  it('keeps within max_columns and max_rows and leaves the rest out', () => {
    expect(gridCells(area, 4, { max_columns: 1 })).toHaveLength(4);
    expect(gridCells(area, 4, { max_columns: 1 })[3]).toEqual({
      x: 0,
      y: 540,
      width: 1280,
      height: 180,
    });
    expect(gridCells(area, 5, { max_columns: 2, max_rows: 2 })).toHaveLength(4);
    expect(gridCells(area, 3, { max_columns: 1, max_rows: 1 })).toEqual([area]);
  });

  it('gives cells with even positions and sizes, covering the area', () => {
    for (let n = 1; n <= 30; n++) {
      const cells = gridCells({ x: 2, y: 4, width: 1000, height: 562 }, n);
      expect(cells).toHaveLength(n);
      for (const c of cells) {
        expect([c.x % 2, c.y % 2, c.width % 2, c.height % 2]).toEqual([0, 0, 0, 0]);
        expect(c.width).toBeGreaterThan(0);
        expect(c.x + c.width).toBeLessThanOrEqual(1002);
        expect(c.y + c.height).toBeLessThanOrEqual(566);
      }
    }
  });
});

describe('planLayout', () => {
  it('without a layout, lays every source out in one grid, by start time', () => {
    const layout = planLayout(HD, undefined, sources(5, 0));
    expect(layout.placements.map((p) => [p.sourceId, p.cell.x, p.region])).toEqual([
      ['r2', 0, 'default'],
      ['r1', 640, 'default'],
    ]);
    expect(layout.omitted).toEqual([]);
    expect(planLayout(HD, {}, sources(0)).placements[0]?.cell).toEqual({ x: 0, y: 0, ...HD });
  });

  it('gives named sources to their region and the rest to "*"', () => {
    const layout = planLayout(
      HD,
      {
        side: { x_pos: 960, width: 320, z_pos: 1, video_sources: ['*'] },
        main: { width: 960, video_sources: ['r3'] },
      },
      sources(0, 1, 2),
    );
    // Back to front: main (z 0) before side (z 1).
    expect(layout.placements.map((p) => [p.region, p.sourceId])).toEqual([
      ['main', 'r3'],
      ['side', 'r1'],
      ['side', 'r2'],
    ]);
    expect(cellsOf(layout).r3).toEqual([{ x: 0, y: 0, width: 960, height: 720 }]);
    expect(cellsOf(layout).r1).toEqual([{ x: 960, y: 0, width: 320, height: 360 }]);
  });

  it('defaults video_sources to "*" and lets a source named in both regions appear twice', () => {
    const layout = planLayout(
      HD,
      {
        grid: {},
        pip: { x_pos: 960, y_pos: 540, width: 320, height: 180, z_pos: 5, video_sources: ['r1'] },
      },
      sources(0, 3),
    );
    expect(layout.placements.map((p) => [p.region, p.sourceId])).toEqual([
      ['grid', 'r2'],
      ['pip', 'r1'],
    ]);
    const both = planLayout(
      HD,
      { a: { video_sources: ['r1', '*'] }, b: { z_pos: -1, video_sources: ['r1'] } },
      sources(0, 3),
    );
    expect(both.placements.map((p) => [p.region, p.sourceId])).toEqual([
      ['b', 'r1'],
      ['a', 'r1'],
      ['a', 'r2'],
    ]);
  });

  it('leaves out sources beyond the grid and sources no region takes', () => {
    const full = planLayout(HD, { one: { max_columns: 1, max_rows: 1 } }, sources(2, 0, 1));
    expect(full.placements.map((p) => p.sourceId)).toEqual(['r2']);
    expect(full.omitted).toEqual(['r3', 'r1']);
    const named = planLayout(HD, { one: { video_sources: ['r1'] } }, sources(0, 1));
    expect(named.omitted).toEqual(['r2']);
  });

  it('throws the first problem of an invalid layout', () => {
    expect(() => planLayout(HD, { a: { x_pos: 1300 } }, sources(0))).toThrow(
      expect.objectContaining({
        reason: 'invalid_region',
        source: { pointer: '/video_layout/a/x_pos' },
      }),
    );
    expect(() => planLayout({ width: 2000, height: 720 }, undefined, [])).toThrow(
      CompositionLayoutError,
    );
  });
});
