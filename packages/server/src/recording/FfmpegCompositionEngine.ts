import type { Logger } from 'pino';
import type { ComposeJob, CompositionEngine } from './CompositionService.js';
import { planLayout, validateComposition } from './composition/CompositionLayout.js';
import type { Resolution, VideoLayout } from './composition/CompositionLayout.js';
import { FfmpegComposer } from './composition/FfmpegComposer.js';

export interface FfmpegCompositionEngineOptions {
  logger: Logger;
  ffmpegPath?: string | undefined;
}

/** Compositions laid out by CompositionLayout and rendered by ffmpeg. */
export class FfmpegCompositionEngine implements CompositionEngine {
  readonly #composer: FfmpegComposer;

  constructor(options: FfmpegCompositionEngineOptions) {
    this.#composer = new FfmpegComposer({ ffmpegPath: options.ffmpegPath, logger: options.logger });
  }

  validate(request: {
    resolution: Resolution;
    videoLayout: VideoLayout;
    recordingIds: readonly string[];
  }): void {
    const [first] = validateComposition({
      resolution: request.resolution,
      videoLayout: request.videoLayout,
      videoRecordingIds: request.recordingIds,
    });
    if (first !== undefined) {
      throw first;
    }
  }

  compose(job: ComposeJob): Promise<{ durationSecs: number; sizeBytes: number }> {
    const layout = planLayout(job.resolution, job.videoLayout, job.videos);
    return this.#composer.compose({
      outputPath: job.outputPath,
      resolution: job.resolution,
      durationSecs: job.durationSecs,
      layout,
      videos: job.videos,
      audios: job.audios,
      signal: job.signal,
      onProgress: job.onProgress,
    });
  }
}
