import { CompositionLayoutError, CompositionLayoutReason } from './CompositionErrors.js';

/** Output size in pixels. */
export interface Resolution {
  width: number;
  height: number;
}

/** A placement area of a composition, as the API takes it (Telnyx's VideoRegion). */
export interface VideoRegion {
  x_pos?: number | undefined;
  y_pos?: number | undefined;
  z_pos?: number | undefined;
  width?: number | undefined;
  height?: number | undefined;
  max_columns?: number | undefined;
  max_rows?: number | undefined;
  /** Recording ids, or `"*"` for every source no other region names. Default `["*"]`. */
  video_sources?: readonly string[] | undefined;
}

/** Region name → region; at most 2 regions. */
export type VideoLayout = Readonly<Record<string, VideoRegion>>;

/** A video recording on the composition's timeline (seconds from the composition's start). */
export interface LayoutSource {
  id: string;
  startSecs: number;
  endSecs: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One source shown in one grid cell of one region; the video is fitted into `cell`, centred. */
export interface Placement {
  sourceId: string;
  region: string;
  zPos: number;
  cell: Rect;
}

/** Where every source goes. */
export interface CompositionLayout {
  resolution: Resolution;
  /** Back to front: draw in this order. A source placed by two regions appears twice. */
  placements: Placement[];
  /** Sources that got no cell (no region takes them, or their region's grid is full). */
  omitted: string[];
}

export const RESOLUTION_LIMITS = { minSide: 16, maxSide: 1280, maxPixels: 1280 * 720 } as const;
export const MAX_REGIONS = 2;
const Z_RANGE = { min: -99, max: 99 } as const;
const GRID_RANGE = { min: 1, max: 1000 } as const;
const MIN_REGION_SIDE = 16;
/** Grid shapes are chosen for the usual camera shape; other shapes are letterboxed by ffmpeg. */
const TILE_ASPECT = 16 / 9;
/** The smallest cell worth scaling a video into (even, for 4:2:0 chroma). */
const MIN_CELL_SIDE = 2;
const DEFAULT_REGION = 'default';

/** Parses `"1280x720"`; throws CompositionLayoutError when it is malformed or out of range. */
export function parseResolution(text: string): Resolution {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(text);
  if (match === null) {
    throw new CompositionLayoutError(
      CompositionLayoutReason.InvalidResolution,
      `resolution must look like 1280x720 (got ${JSON.stringify(text)})`,
      '/resolution',
    );
  }
  const resolution = { width: Number(match[1]), height: Number(match[2]) };
  const error = resolutionError(resolution);
  if (error !== undefined) {
    throw error;
  }
  return resolution;
}

export interface CompositionRequestCheck {
  /** The requested resolution: `"1280x720"` or already parsed. */
  resolution: string | Resolution;
  videoLayout?: VideoLayout | undefined;
  /** Ids of the session's video recordings; `video_sources` may name only these. */
  videoRecordingIds: readonly string[];
}

/**
 * Every reason the request cannot be composed, in field order; empty when it can. Each error is
 * a CompositionLayoutError with a `reason` and a JSON pointer into the request body.
 */
export function validateComposition(check: CompositionRequestCheck): CompositionLayoutError[] {
  const errors: CompositionLayoutError[] = [];
  let resolution: Resolution | undefined;
  if (typeof check.resolution === 'string') {
    try {
      resolution = parseResolution(check.resolution);
    } catch (error) {
      errors.push(error as CompositionLayoutError);
    }
  } else {
    const error = resolutionError(check.resolution);
    if (error === undefined) {
      resolution = check.resolution;
    } else {
      errors.push(error);
    }
  }
  errors.push(...layoutErrors(check.videoLayout, resolution));
  const known = new Set(check.videoRecordingIds);
  for (const [name, region] of Object.entries(check.videoLayout ?? {})) {
    const sources = region.video_sources;
    if (!Array.isArray(sources)) {
      continue;
    }
    sources.forEach((id, index) => {
      if (typeof id === 'string' && id !== '*' && !known.has(id)) {
        errors.push(
          new CompositionLayoutError(
            CompositionLayoutReason.UnknownVideoSource,
            `video_layout.${name}.video_sources names ${JSON.stringify(id)}, which is not a video recording of this session`,
            `${regionPointer(name)}/video_sources/${index}`,
          ),
        );
      }
    });
  }
  return errors;
}

/**
 * Decides where every source goes: each region lays out the sources it takes in a grid of equal
 * cells, ordered by start time; regions stack by `z_pos`. No layout (or `{}`) is one region
 * covering the output. Throws the first CompositionLayoutError of an invalid layout; ids that
 * match no source are ignored here (validateComposition reports them).
 */
export function planLayout(
  resolution: Resolution,
  videoLayout: VideoLayout | undefined,
  sources: readonly LayoutSource[],
): CompositionLayout {
  const resolutionProblem = resolutionError(resolution);
  if (resolutionProblem !== undefined) {
    throw resolutionProblem;
  }
  const [layoutProblem] = layoutErrors(videoLayout, resolution);
  if (layoutProblem !== undefined) {
    throw layoutProblem;
  }
  const entries = Object.entries(videoLayout ?? {});
  const regions: [string, VideoRegion][] = entries.length === 0 ? [[DEFAULT_REGION, {}]] : entries;
  const ordered = sources
    .map((source, index) => ({ source, index }))
    .sort((a, b) => a.source.startSecs - b.source.startSecs || a.index - b.index)
    .map(({ source }) => source);
  const named = regions.map(([, region]) => new Set(explicitSources(region)));

  const stack = regions
    .map(([name, region], index) => ({ name, region, index, zPos: region.z_pos ?? 0 }))
    .sort((a, b) => a.zPos - b.zPos || a.index - b.index);
  const placements: Placement[] = [];
  for (const { name, region, index, zPos } of stack) {
    const wildcard = (region.video_sources ?? ['*']).includes('*');
    const own = named[index] ?? new Set<string>();
    const taken = ordered.filter(
      (source) =>
        own.has(source.id) ||
        (wildcard && named.every((ids, other) => other === index || !ids.has(source.id))),
    );
    const cells = gridCells(regionRect(region, resolution), taken.length, region);
    cells.forEach((cell, i) => {
      const source = taken[i];
      if (source !== undefined) {
        placements.push({ sourceId: source.id, region: name, zPos, cell });
      }
    });
  }
  const placed = new Set(placements.map((p) => p.sourceId));
  return {
    resolution: { ...resolution },
    placements,
    omitted: ordered.filter((s) => !placed.has(s.id)).map((s) => s.id),
  };
}

/**
 * The cells of a grid for `count` sources inside `area`, row by row, a short last row centred.
 * Columns × rows is the shape, within the region's limits, that shows a 16:9 picture largest;
 * ties go to fewer empty cells, then to more columns. Sources past the grid's capacity get none.
 */
export function gridCells(
  area: Rect,
  count: number,
  limits: Pick<VideoRegion, 'max_columns' | 'max_rows'> = {},
): Rect[] {
  const maxColumns = Math.min(limits.max_columns ?? GRID_RANGE.max, area.width / MIN_CELL_SIDE);
  const maxRows = Math.min(limits.max_rows ?? GRID_RANGE.max, area.height / MIN_CELL_SIDE);
  const shown = Math.min(count, Math.floor(maxColumns) * Math.floor(maxRows));
  if (shown <= 0) {
    return [];
  }
  let best: { columns: number; rows: number; tile: number; empty: number } | undefined;
  for (let columns = 1; columns <= Math.min(shown, maxColumns); columns++) {
    const rows = Math.ceil(shown / columns);
    if (rows > maxRows) {
      continue;
    }
    const cellWidth = area.width / columns;
    const cellHeight = area.height / rows;
    const tile = Math.min(cellWidth, cellHeight * TILE_ASPECT) ** 2 / TILE_ASPECT;
    const empty = columns * rows - shown;
    // Shapes whose tiles differ only by rounding count as equal.
    const same = best !== undefined && Math.abs(tile - best.tile) <= best.tile * 1e-9;
    if (best === undefined || (!same && tile > best.tile) || (same && empty <= best.empty)) {
      best = { columns, rows, tile, empty };
    }
  }
  if (best === undefined) {
    return [];
  }
  const { columns, rows } = best;
  const cells: Rect[] = [];
  for (let i = 0; i < shown; i++) {
    const row = Math.floor(i / columns);
    const inRow = row === rows - 1 ? shown - row * columns : columns;
    const column = (i % columns) + (columns - inRow) / 2;
    const x0 = even(area.x + (column * area.width) / columns);
    const x1 = even(area.x + ((column + 1) * area.width) / columns);
    const y0 = even(area.y + (row * area.height) / rows);
    const y1 = even(area.y + ((row + 1) * area.height) / rows);
    cells.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
  }
  return cells;
}

/** A region's rectangle in the output: from (x_pos, y_pos) to the output's edge unless sized. */
function regionRect(region: VideoRegion, resolution: Resolution): Rect {
  const x = region.x_pos ?? 0;
  const y = region.y_pos ?? 0;
  return {
    x,
    y,
    width: region.width ?? resolution.width - x,
    height: region.height ?? resolution.height - y,
  };
}

function explicitSources(region: VideoRegion): string[] {
  return (region.video_sources ?? ['*']).filter((id) => id !== '*');
}

function resolutionError(resolution: Resolution): CompositionLayoutError | undefined {
  const { width, height } = resolution;
  const { minSide, maxSide, maxPixels } = RESOLUTION_LIMITS;
  const sideOk = (side: number): boolean =>
    Number.isInteger(side) && side >= minSide && side <= maxSide;
  if (!sideOk(width) || !sideOk(height) || width * height > maxPixels) {
    return new CompositionLayoutError(
      CompositionLayoutReason.ResolutionOutOfRange,
      `resolution ${width}x${height} is out of range: width and height ${minSide}..${maxSide}, at most ${maxPixels} pixels (1280x720)`,
      '/resolution',
    );
  }
  // H.264 in 4:2:0, what every player takes, has no odd sizes.
  if (width % 2 !== 0 || height % 2 !== 0) {
    return new CompositionLayoutError(
      CompositionLayoutReason.InvalidResolution,
      `resolution ${width}x${height} must have an even width and height`,
      '/resolution',
    );
  }
  return undefined;
}

/** Shape and range problems of a layout; bounds are checked only against a valid resolution. */
function layoutErrors(
  videoLayout: VideoLayout | undefined,
  resolution: Resolution | undefined,
): CompositionLayoutError[] {
  if (videoLayout === undefined) {
    return [];
  }
  if (typeof videoLayout !== 'object' || videoLayout === null || Array.isArray(videoLayout)) {
    return [
      new CompositionLayoutError(
        CompositionLayoutReason.InvalidRegion,
        'video_layout must be an object of regions',
        '/video_layout',
      ),
    ];
  }
  const entries = Object.entries(videoLayout);
  const errors: CompositionLayoutError[] = [];
  if (entries.length > MAX_REGIONS) {
    errors.push(
      new CompositionLayoutError(
        CompositionLayoutReason.TooManyRegions,
        `video_layout has ${entries.length} regions; at most ${MAX_REGIONS} are allowed`,
        '/video_layout',
      ),
    );
  }
  for (const [name, region] of entries) {
    errors.push(...regionErrors(name, region, resolution));
  }
  return errors;
}

type NumericField = 'x_pos' | 'y_pos' | 'z_pos' | 'width' | 'height' | 'max_columns' | 'max_rows';

const FIELD_RANGES: Readonly<Record<NumericField, { min: number; max: number }>> = {
  x_pos: { min: 0, max: RESOLUTION_LIMITS.maxSide },
  y_pos: { min: 0, max: RESOLUTION_LIMITS.maxSide },
  z_pos: Z_RANGE,
  width: { min: MIN_REGION_SIDE, max: RESOLUTION_LIMITS.maxSide },
  height: { min: MIN_REGION_SIDE, max: RESOLUTION_LIMITS.maxSide },
  max_columns: GRID_RANGE,
  max_rows: GRID_RANGE,
};

function regionErrors(
  name: string,
  region: VideoRegion,
  resolution: Resolution | undefined,
): CompositionLayoutError[] {
  const pointer = regionPointer(name);
  if (typeof region !== 'object' || region === null || Array.isArray(region)) {
    return [
      new CompositionLayoutError(
        CompositionLayoutReason.InvalidRegion,
        `video_layout.${name} must be an object`,
        pointer,
      ),
    ];
  }
  const errors: CompositionLayoutError[] = [];
  for (const [field, range] of Object.entries(FIELD_RANGES) as [NumericField, typeof Z_RANGE][]) {
    const value: unknown = region[field];
    if (value === undefined) {
      continue;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      errors.push(
        new CompositionLayoutError(
          CompositionLayoutReason.InvalidRegion,
          `video_layout.${name}.${field} must be a whole number (got ${JSON.stringify(value)})`,
          `${pointer}/${field}`,
        ),
      );
    } else if (value < range.min || value > range.max) {
      errors.push(
        new CompositionLayoutError(
          CompositionLayoutReason.InvalidRegion,
          `video_layout.${name}.${field} must be between ${range.min} and ${range.max} (got ${value})`,
          `${pointer}/${field}`,
        ),
      );
    }
  }
  const sources: unknown = region.video_sources;
  if (
    sources !== undefined &&
    (!Array.isArray(sources) || !sources.every((id) => typeof id === 'string' && id !== ''))
  ) {
    errors.push(
      new CompositionLayoutError(
        CompositionLayoutReason.InvalidRegion,
        `video_layout.${name}.video_sources must be a list of recording ids or "*"`,
        `${pointer}/video_sources`,
      ),
    );
  }
  if (errors.length === 0 && resolution !== undefined) {
    const rect = regionRect(region, resolution);
    if (
      rect.width < MIN_REGION_SIDE ||
      rect.height < MIN_REGION_SIDE ||
      rect.x + rect.width > resolution.width ||
      rect.y + rect.height > resolution.height
    ) {
      errors.push(
        new CompositionLayoutError(
          CompositionLayoutReason.RegionOutOfBounds,
          `video_layout.${name} (${rect.width}x${rect.height} at ${rect.x},${rect.y}) does not fit in the ${resolution.width}x${resolution.height} output`,
          pointer,
        ),
      );
    }
  }
  return errors;
}

function regionPointer(name: string): string {
  return `/video_layout/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function even(value: number): number {
  return 2 * Math.round(value / 2);
}
