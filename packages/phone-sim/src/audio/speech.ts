import { execFile, spawn } from 'node:child_process';
import { PhoneSimError, PhoneSimErrorCode } from '../errors.js';
import { resample } from './resample.js';
import { readWav, toMono } from './wav.js';

export interface SpeechOptions {
  /** Output sample rate (default 8000). */
  sampleRate?: number;
  /** espeak-ng voice (default `en-us`). */
  voice?: string;
  /** Speaking rate in words per minute (default 160). */
  wordsPerMinute?: number;
  /** The espeak-ng executable (default `espeak-ng` on the PATH). */
  command?: string;
}

let available: Promise<boolean> | undefined;

/** Whether espeak-ng can be run here (checked once per process). */
export function isSpeechAvailable(command = 'espeak-ng'): Promise<boolean> {
  if (command !== 'espeak-ng') {
    return probe(command);
  }
  available ??= probe(command);
  return available;
}

function probe(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(command, ['--version'], { timeout: 5000 }, (error) => resolve(error === null));
  });
}

/**
 * Speaks `text` with espeak-ng (Debian package `espeak-ng`) and returns mono float samples at the
 * requested rate. The text goes through stdin, never through a shell.
 */
export async function synthesizeSpeech(
  text: string,
  options: SpeechOptions = {},
): Promise<Float32Array> {
  const command = options.command ?? 'espeak-ng';
  if (!(await isSpeechAvailable(command))) {
    throw new PhoneSimError(
      PhoneSimErrorCode.SpeechUnavailable,
      'speech needs espeak-ng: apt-get install -y --no-install-recommends espeak-ng',
    );
  }
  const args = [
    '--stdout',
    '-v',
    options.voice ?? 'en-us',
    '-s',
    String(Math.round(options.wordsPerMinute ?? 160)),
  ];
  const wav = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) =>
      reject(
        new PhoneSimError(
          PhoneSimErrorCode.SpeechUnavailable,
          `espeak-ng failed: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) {
        resolve(Buffer.concat(out));
      } else {
        reject(
          new PhoneSimError(
            PhoneSimErrorCode.SpeechUnavailable,
            `espeak-ng exited with ${String(code)}: ${Buffer.concat(err).toString().trim()}`,
          ),
        );
      }
    });
    child.stdin.end(text);
  });
  const audio = readWav(wav);
  return resample(toMono(audio), audio.sampleRate, options.sampleRate ?? 8000);
}
