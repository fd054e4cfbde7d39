import { describe, expect, it } from 'vitest';
import { PhoneSimError } from '../errors.js';
import { tone } from './generate.js';
import { readWav, toMono, writeWav } from './wav.js';

describe('WAV', () => {
  it('writes and reads back 16-bit PCM', () => {
    const samples = tone({ frequency: 440, durationMs: 100, sampleRate: 16000, levelDbfs: -6 });
    const file = writeWav(samples, { sampleRate: 16000 });
    expect(file.toString('ascii', 0, 4)).toBe('RIFF');
    expect(file.length).toBe(44 + samples.length * 2);
    const audio = readWav(file);
    expect(audio.sampleRate).toBe(16000);
    expect(audio.encoding).toBe('pcm16');
    const back = toMono(audio);
    expect(back.length).toBe(samples.length);
    for (let i = 0; i < samples.length; i += 1) {
      expect(back[i]).toBeCloseTo(samples[i] ?? 0, 3);
    }
  });

  it('writes and reads μ-law, A-law and float', () => {
    const samples = tone({ frequency: 1000, durationMs: 20, levelDbfs: -3 });
    for (const encoding of ['mulaw', 'alaw', 'float32'] as const) {
      const audio = readWav(writeWav(samples, { sampleRate: 8000, encoding }));
      expect(audio.encoding).toBe(encoding);
      const back = toMono(audio);
      expect(back.length).toBe(160);
      for (let i = 0; i < back.length; i += 1) {
        expect(Math.abs((back[i] ?? 0) - (samples[i] ?? 0))).toBeLessThan(0.03);
      }
    }
  });

  it('downmixes stereo and reads a data chunk whose size overruns the file', () => {
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'ascii');
    header.writeUInt32LE(0xffffffff, 4);
    header.write('WAVEfmt ', 8, 'ascii');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(2, 22);
    header.writeUInt32LE(8000, 24);
    header.writeUInt32LE(32000, 28);
    header.writeUInt16LE(4, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36, 'ascii');
    header.writeUInt32LE(0xffffffff, 40);
    const body = Buffer.alloc(8);
    body.writeInt16LE(16384, 0);
    body.writeInt16LE(0, 2);
    body.writeInt16LE(-16384, 4);
    body.writeInt16LE(-16384, 6);
    const audio = readWav(Buffer.concat([header, body]));
    expect(audio.channels).toHaveLength(2);
    expect(Array.from(toMono(audio))).toEqual([0.25, -0.5]);
  });

  it('refuses what is not WAV, with a stable code', () => {
    expect(() => readWav(Buffer.from('not a wav file at all'))).toThrow(PhoneSimError);
    try {
      readWav(Buffer.alloc(4));
    } catch (error) {
      expect((error as PhoneSimError).code).toBe('invalid_audio');
    }
  });
});
