import { ErrorCode, PalaverError, ValidationError } from '../../errors.js';

/** Why a composition request was refused; stable, safe to branch on. */
export const CompositionLayoutReason = {
  /** `resolution` is not `<width>x<height>` with whole numbers, or has an odd side. */
  InvalidResolution: 'invalid_resolution',
  /** A side outside 16..1280, or more pixels than 1280×720. */
  ResolutionOutOfRange: 'resolution_out_of_range',
  /** `video_layout` has more than 2 regions. */
  TooManyRegions: 'too_many_regions',
  /** A region field has the wrong type or lies outside its range. */
  InvalidRegion: 'invalid_region',
  /** A region reaches past the edge of the output. */
  RegionOutOfBounds: 'region_out_of_bounds',
  /** `video_sources` names something that is not a video recording of the session. */
  UnknownVideoSource: 'unknown_video_source',
} as const;

export type CompositionLayoutReason =
  (typeof CompositionLayoutReason)[keyof typeof CompositionLayoutReason];

/** A composition request that cannot be laid out (an `invalid_parameter`, so a 422). */
export class CompositionLayoutError extends ValidationError {
  readonly reason: CompositionLayoutReason;

  constructor(reason: CompositionLayoutReason, message: string, pointer: string) {
    super(message, { source: { pointer } });
    this.reason = reason;
  }
}

/** Why composing failed; stable, safe to branch on. */
export const CompositionFailureReason = {
  /** ffmpeg could not be started (not installed, not executable). */
  FfmpegUnavailable: 'ffmpeg_unavailable',
  /** ffmpeg ran and exited with an error. */
  FfmpegFailed: 'ffmpeg_failed',
  /** ffmpeg finished but the output could not be moved into place or read. */
  OutputFailed: 'output_failed',
} as const;

export type CompositionFailureReason =
  (typeof CompositionFailureReason)[keyof typeof CompositionFailureReason];

/** A composition could not be made. `stderrTail` holds ffmpeg's last lines of complaint. */
export class CompositionFailedError extends PalaverError {
  readonly reason: CompositionFailureReason;
  readonly stderrTail: readonly string[];
  readonly exitCode: number | null;

  constructor(
    reason: CompositionFailureReason,
    message: string,
    details: { stderrTail?: readonly string[]; exitCode?: number | null; cause?: unknown } = {},
  ) {
    const tail = details.stderrTail ?? [];
    const shown = tail.length === 0 ? '' : `: ${tail.slice(-3).join(' | ')}`;
    super(ErrorCode.MediaProcessingFailed, `${message}${shown}`, { cause: details.cause });
    this.reason = reason;
    this.stderrTail = tail;
    this.exitCode = details.exitCode ?? null;
  }
}

/** compose() was stopped through its AbortSignal; ffmpeg was killed and nothing was written. */
export class CompositionAbortedError extends PalaverError {
  constructor(cause?: unknown) {
    super(ErrorCode.Unavailable, 'composition aborted', { cause });
  }
}
