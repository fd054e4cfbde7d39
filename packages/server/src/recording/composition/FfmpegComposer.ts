import { spawn } from 'node:child_process';
import { rename, stat, unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { ValidationError } from '../../errors.js';
import { buildFfmpegArgs } from './CompositionCommand.js';
import type { CompositionAudio, CompositionVideo } from './CompositionCommand.js';
import {
  CompositionAbortedError,
  CompositionFailedError,
  CompositionFailureReason,
} from './CompositionErrors.js';
import type { CompositionLayout, Resolution } from './CompositionLayout.js';

export interface FfmpegComposerOptions {
  /** Default `ffmpeg` (from PATH). */
  ffmpegPath?: string | undefined;
  logger: Logger;
}

export interface CompositionJob {
  /** Where the MP4 goes; it appears there only once it is complete. */
  outputPath: string;
  resolution: Resolution;
  durationSecs: number;
  /** From planLayout(), for the same resolution. */
  layout: CompositionLayout;
  videos: readonly CompositionVideo[];
  audios: readonly CompositionAudio[];
  /** Aborting kills ffmpeg; compose() then rejects with CompositionAbortedError. */
  signal?: AbortSignal | undefined;
  /** Share of the output written, 0..1, about twice a second; 1 once the file is in place. */
  onProgress?: ((fraction: number) => void) | undefined;
}

export interface CompositionResult {
  durationSecs: number;
  sizeBytes: number;
}

/** How many of ffmpeg's last stderr lines a failure carries. */
const STDERR_LINES = 20;

/**
 * Makes one MP4 (H.264 + AAC) out of a session's per-track recordings with ffmpeg. It runs one
 * ffmpeg at a time per call and no more; the caller limits how many run at once.
 */
export class FfmpegComposer {
  readonly #ffmpeg: string;
  readonly #logger: Logger;

  constructor(options: FfmpegComposerOptions) {
    this.#ffmpeg = options.ffmpegPath ?? 'ffmpeg';
    this.#logger = options.logger;
  }

  async compose(job: CompositionJob): Promise<CompositionResult> {
    if (!(Number.isFinite(job.durationSecs) && job.durationSecs > 0)) {
      throw new ValidationError(`composition duration must be positive (got ${job.durationSecs})`);
    }
    const { width, height } = job.resolution;
    if (job.layout.resolution.width !== width || job.layout.resolution.height !== height) {
      throw new ValidationError(
        `the layout was planned for ${job.layout.resolution.width}x${job.layout.resolution.height}, not ${width}x${height}`,
      );
    }
    if (job.signal?.aborted === true) {
      throw new CompositionAbortedError(job.signal.reason);
    }
    // A crash leaves only this name behind, never a file that looks complete.
    const partial = `${job.outputPath}.part`;
    const args = buildFfmpegArgs(job, partial);
    const started = performance.now();
    this.#logger.debug({ args }, 'composition: ffmpeg starting');
    let outTimeSecs: number;
    try {
      outTimeSecs = await this.#run(args, job);
    } catch (error) {
      await unlink(partial).catch(() => undefined);
      throw error;
    }
    let sizeBytes: number;
    try {
      sizeBytes = (await stat(partial)).size;
      await rename(partial, job.outputPath);
    } catch (error) {
      await unlink(partial).catch(() => undefined);
      throw new CompositionFailedError(
        CompositionFailureReason.OutputFailed,
        `could not move the composition into place at ${job.outputPath}`,
        { cause: error },
      );
    }
    const durationSecs = outTimeSecs > 0 ? outTimeSecs : job.durationSecs;
    const wallSecs = (performance.now() - started) / 1000;
    this.#logger.info(
      {
        outputPath: job.outputPath,
        durationSecs,
        sizeBytes,
        wallSecs: Math.round(wallSecs * 10) / 10,
        speed: Math.round((durationSecs / wallSecs) * 100) / 100,
      },
      'composition: written',
    );
    job.onProgress?.(1);
    return { durationSecs, sizeBytes };
  }

  /** Runs ffmpeg to the end; resolves with the last output time it reported, in seconds. */
  #run(args: string[], job: CompositionJob): Promise<number> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const stderrTail: string[] = [];
      let outTimeUs = 0;
      let lastFraction = -1;
      let aborted = false;
      let spawnError: Error | undefined;

      const onAbort = (): void => {
        aborted = true;
        child.kill('SIGKILL');
      };
      job.signal?.addEventListener('abort', onAbort, { once: true });

      createInterface({ input: child.stdout }).on('line', (line) => {
        const [key, value] = line.split('=', 2);
        if (key !== 'out_time_us' || value === undefined) {
          return;
        }
        const us = Number(value);
        if (!Number.isFinite(us) || us < 0) {
          return; // `N/A` before the first frame
        }
        outTimeUs = us;
        // Below 1: the file is not in place until compose() says so.
        const fraction = Math.min(0.999, us / 1e6 / job.durationSecs);
        if (fraction > lastFraction) {
          lastFraction = fraction;
          job.onProgress?.(fraction);
        }
      });
      createInterface({ input: child.stderr }).on('line', (line) => {
        if (line.trim() === '') {
          return;
        }
        stderrTail.push(line);
        if (stderrTail.length > STDERR_LINES) {
          stderrTail.shift();
        }
      });

      child.on('error', (error) => {
        spawnError = error;
      });
      child.on('close', (code, signal) => {
        job.signal?.removeEventListener('abort', onAbort);
        if (aborted) {
          reject(new CompositionAbortedError(job.signal?.reason));
        } else if (spawnError !== undefined) {
          reject(
            new CompositionFailedError(
              CompositionFailureReason.FfmpegUnavailable,
              `could not start ${this.#ffmpeg}: ${spawnError.message}`,
              { cause: spawnError },
            ),
          );
        } else if (code !== 0) {
          reject(
            new CompositionFailedError(
              CompositionFailureReason.FfmpegFailed,
              `ffmpeg exited with ${code === null ? `signal ${signal}` : `code ${code}`}`,
              { stderrTail, exitCode: code },
            ),
          );
        } else {
          if (stderrTail.length > 0) {
            this.#logger.debug({ stderr: stderrTail }, 'composition: ffmpeg warnings');
          }
          resolve(outTimeUs / 1e6);
        }
      });
    });
  }
}
