export {
  MAX_REGIONS,
  RESOLUTION_LIMITS,
  gridCells,
  parseResolution,
  planLayout,
  validateComposition,
} from './CompositionLayout.js';
export type {
  CompositionLayout,
  CompositionRequestCheck,
  LayoutSource,
  Placement,
  Rect,
  Resolution,
  VideoLayout,
  VideoRegion,
} from './CompositionLayout.js';
export {
  CompositionAbortedError,
  CompositionFailedError,
  CompositionFailureReason,
  CompositionLayoutError,
  CompositionLayoutReason,
} from './CompositionErrors.js';
export { OUTPUT_FPS, buildFfmpegArgs } from './CompositionCommand.js';
export type { CompositionAudio, CompositionVideo } from './CompositionCommand.js';
export { FfmpegComposer } from './FfmpegComposer.js';
export type { CompositionJob, CompositionResult, FfmpegComposerOptions } from './FfmpegComposer.js';
