import { readFile } from 'node:fs/promises';
import { tone as makeTone, markerChirp, silence, concat } from './audio/generate.js';
import { resample } from './audio/resample.js';
import { synthesizeSpeech } from './audio/speech.js';
import { readWav, toMono } from './audio/wav.js';
import { CallerAudio } from './CallerAudio.js';
import { PhoneSimError } from './errors.js';

export interface CallerAudioSpec {
  /** A WAV file (any rate, any channels; resampled to 8 kHz mono). */
  play?: string;
  /** A sine tone at this frequency, Hz. */
  tone?: number;
  /** Text spoken by espeak-ng. */
  speech?: string;
  /** Tone level, dBFS (default -12). */
  levelDbfs?: number;
  /** Tone length (default 10 s). */
  durationMs?: number;
  /** Start with 500 ms of silence and a marker chirp, so latency can be measured. */
  marker?: boolean;
  loop?: boolean;
  voice?: string;
}

/** Builds what the caller says from the CLI's choices (at most one of play, tone, speech). */
export async function loadCallerAudio(spec: CallerAudioSpec): Promise<CallerAudio> {
  const chosen = [spec.play, spec.tone, spec.speech].filter((x) => x !== undefined);
  if (chosen.length > 1) {
    throw PhoneSimError.invalidOption('audio', 'choose one of --play, --tone and --speech');
  }
  let samples: Float32Array;
  if (spec.play !== undefined) {
    const audio = readWav(await readFile(spec.play));
    samples = resample(toMono(audio), audio.sampleRate, 8000);
  } else if (spec.tone !== undefined) {
    samples = makeTone({
      frequency: spec.tone,
      durationMs: spec.durationMs ?? 10_000,
      levelDbfs: spec.levelDbfs ?? -12,
    });
  } else if (spec.speech !== undefined) {
    samples = await synthesizeSpeech(
      spec.speech,
      spec.voice === undefined ? {} : { voice: spec.voice },
    );
  } else {
    samples = new Float32Array(0);
  }
  if (spec.marker === true) {
    samples = concat(silence(500), markerChirp(), silence(200), samples);
  }
  return new CallerAudio(samples, { loop: spec.loop ?? false });
}
