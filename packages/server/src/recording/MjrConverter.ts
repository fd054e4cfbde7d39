import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ErrorCode, PalaverError } from '../errors.js';

const run = promisify(execFile);

/** What `janus-pp-rec -j` tells about a Janus recording. */
export interface MjrHeader {
  /** `a` audio, `v` video, `d` data. */
  kind: 'a' | 'v' | 'd';
  codec: string;
  /** When Janus created the file (epoch µs). */
  createdUs: number;
  /** When the first packet was written (epoch µs); undefined when none was. */
  firstPacketUs: number | undefined;
}

/** What ffprobe tells about a converted file. */
export interface MediaProbe {
  durationMs: number;
  /** Codec names of the file's streams, e.g. `['vp8']`, `['opus']`. */
  codecs: string[];
  width: number | undefined;
  height: number | undefined;
}

export interface MjrConverterOptions {
  janusPpRecPath?: string | undefined;
  ffprobePath?: string | undefined;
  /** Longest a single conversion may take. Default 10 minutes. */
  timeoutMs?: number | undefined;
}

/** A recording could not be read or converted. */
export class RecordingConversionError extends PalaverError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.MediaProcessingFailed, message, { cause });
  }
}

/** The container `janus-pp-rec` writes for each recorded codec (janus-api.md §7.2). */
const TARGET_EXTENSION: Readonly<Record<string, string>> = {
  opus: 'opus',
  vp8: 'webm',
  vp9: 'webm',
  h264: 'mp4',
  av1: 'mp4',
  h265: 'mp4',
  pcmu: 'wav',
  pcma: 'wav',
  g722: 'wav',
};

/** Runs Janus's post-processor and ffprobe on recordings. */
export class MjrConverter {
  readonly #janusPpRec: string;
  readonly #ffprobe: string;
  readonly #timeoutMs: number;

  constructor(options: MjrConverterOptions = {}) {
    this.#janusPpRec = options.janusPpRecPath ?? 'janus-pp-rec';
    this.#ffprobe = options.ffprobePath ?? 'ffprobe';
    this.#timeoutMs = options.timeoutMs ?? 600_000;
  }

  /** The file extension a converted recording of this codec gets, or undefined if unsupported. */
  static extensionFor(codec: string): string | undefined {
    return TARGET_EXTENSION[codec];
  }

  async header(path: string, signal?: AbortSignal): Promise<MjrHeader> {
    const { stdout } = await this.#run(this.#janusPpRec, ['-j', '-d', '0', path], signal);
    const start = stdout.indexOf('{');
    const end = stdout.lastIndexOf('}');
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(stdout.slice(start, end + 1)) as Record<string, unknown>;
    } catch (error) {
      throw new RecordingConversionError(`unreadable recording header in ${path}`, error);
    }
    const kind = parsed.t;
    if (kind !== 'a' && kind !== 'v' && kind !== 'd') {
      throw new RecordingConversionError(`recording ${path} has no media type`);
    }
    return {
      kind,
      codec: typeof parsed.c === 'string' ? parsed.c : 'unknown',
      createdUs: typeof parsed.s === 'number' ? parsed.s : 0,
      firstPacketUs: typeof parsed.u === 'number' && parsed.u > 0 ? parsed.u : undefined,
    };
  }

  /** Converts a Janus recording; `target`'s extension picks the container. */
  async convert(source: string, target: string, signal?: AbortSignal): Promise<void> {
    await this.#run(this.#janusPpRec, ['-d', '1', source, target], signal);
  }

  async probe(path: string, signal?: AbortSignal): Promise<MediaProbe> {
    const { stdout } = await this.#run(
      this.#ffprobe,
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path],
      signal,
    );
    let parsed: {
      format?: { duration?: string };
      streams?: { codec_name?: string; width?: number; height?: number; duration?: string }[];
    };
    try {
      parsed = JSON.parse(stdout) as typeof parsed;
    } catch (error) {
      throw new RecordingConversionError(`ffprobe could not read ${path}`, error);
    }
    const streams = parsed.streams ?? [];
    const seconds = Number(parsed.format?.duration ?? streams[0]?.duration ?? NaN);
    const video = streams.find((s) => s.width !== undefined);
    return {
      durationMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0,
      codecs: streams.map((s) => s.codec_name ?? 'unknown'),
      width: video?.width,
      height: video?.height,
    };
  }

  async #run(
    file: string,
    args: string[],
    signal: AbortSignal | undefined,
  ): Promise<{ stdout: string; stderr: string }> {
    try {
      return await run(file, args, {
        ...(signal === undefined ? {} : { signal }),
        timeout: this.#timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      });
    } catch (error) {
      const stderr = (error as { stderr?: unknown }).stderr;
      const detail = typeof stderr === 'string' ? lastLines(stderr) : '';
      throw new RecordingConversionError(
        `${file} ${args.join(' ')} failed${detail === '' ? '' : `: ${detail}`}`,
        error,
      );
    }
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
}
