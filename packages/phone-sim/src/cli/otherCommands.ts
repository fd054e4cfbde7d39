import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import {
  detectTone,
  dominantFrequency,
  measureImages,
  measureLatency,
  peakDbfs,
  rmsDbfs,
} from '../audio/analysis.js';
import { markerChirp } from '../audio/generate.js';
import { resample } from '../audio/resample.js';
import { readWav, toMono } from '../audio/wav.js';
import { StubConnector } from '../StubConnector.js';
import { WebhookSigner } from '../WebhookSigner.js';
import { processOutput, type CliOutput } from './callCommand.js';
import { parseInteger, parseNumber } from './parsers.js';

/** `keygen`: a webhook signing key pair. */
export function createKeygenCommand(output: CliOutput = processOutput): Command {
  return new Command('keygen')
    .description(
      'make an Ed25519 key pair for signing webhooks (give the public key to the server)',
    )
    .option('--out <file>', 'also write the private key to this file (use it as --sign-key @file)')
    .action(async (flags: { out?: string }) => {
      const signer = WebhookSigner.generate();
      if (flags.out !== undefined) {
        await writeFile(flags.out, `${signer.privateKey}\n`, { mode: 0o600 });
      }
      output.stdout(
        `private key (--sign-key): ${signer.privateKey}\npublic key (the server's Telnyx public key): ${signer.publicKey}\n`,
      );
    });
}

interface StubFlags {
  host: string;
  port: number;
  publicKey?: string;
  echo: boolean;
  track: string;
}

/** `stub`: a minimal connector to point the simulator at (for trying it and for benchmarks). */
export function createStubCommand(output: CliOutput = processOutput): Command {
  return new Command('stub')
    .description(
      'run a minimal Telnyx-app stub: answers with <Start><Stream>, takes the stream, echoes the caller',
    )
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'listen port', parseInteger('--port', 0, 65535), 8090)
    .option('--public-key <base64>', 'verify webhook signatures with this public key')
    .option('--no-echo', 'do not send the caller audio back')
    .option('--track <track>', 'inbound_track, outbound_track or both_tracks', 'both_tracks')
    .action(async (flags: StubFlags) => {
      const stub = new StubConnector({
        host: flags.host,
        port: flags.port,
        keepFrames: false,
        audio: flags.echo ? 'echo' : 'none',
        track: flags.track as 'both_tracks',
        ...(flags.publicKey === undefined ? {} : { publicKey: flags.publicKey }),
      });
      await stub.listen();
      output.stdout(`stub listening; webhook URL: ${stub.webhookUrl}\n`);
      stub.on('webhook', (w) => {
        if (w.kind === 'voice') {
          output.stdout(
            `webhook ${w.method} signature ${w.signature} ${w.fields.map(([k, v]) => `${k}=${v}`).join(' ')}\n`,
          );
        }
      });
      stub.on('streamClosed', (s) =>
        output.stdout(
          `stream ${s.ref} closed (code ${s.closeCode ?? '-'}): ${s.counts.inbound} inbound, ${s.counts.outbound} outbound, ` +
            `${s.inboundMissing} missing, ${s.inboundDuplicates} duplicates, ${s.invalid.length} invalid, stop ${s.stopped}\n`,
        ),
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await stub.close();
    });
}

interface AnalyzeFlags {
  tone?: number;
  reference?: string;
}

/** `analyze`: levels, tone, images and marker latency of a recording. */
export function createAnalyzeCommand(output: CliOutput = processOutput): Command {
  return new Command('analyze')
    .description(
      'measure a recording: level, strongest frequency, a tone and its images, marker latency',
    )
    .argument('<file.wav>', 'the recording, e.g. from call --record')
    .option(
      '--tone <hz>',
      'measure this tone and its 8000-f / 8000+f / 48000-f images',
      parseNumber('--tone', 1, 24000),
    )
    .option(
      '--reference <sent.wav>',
      'find the marker chirp in this and in the recording; print the latency',
    )
    .action(async (file: string, flags: AnalyzeFlags) => {
      const audio = readWav(await readFile(file));
      const samples = toMono(audio);
      const rate = audio.sampleRate;
      const lines = [
        `${file}: ${(samples.length / rate).toFixed(3)} s at ${rate} Hz (${audio.encoding}, ${audio.channels.length} channel(s))`,
        `  level     rms ${rmsDbfs(samples).toFixed(1)} dBFS, peak ${peakDbfs(samples).toFixed(1)} dBFS`,
        `  strongest ${dominantFrequency(samples, rate).toFixed(1)} Hz`,
      ];
      if (flags.tone !== undefined) {
        const found = detectTone(samples, rate, flags.tone);
        lines.push(
          `  tone      ${flags.tone} Hz: ${found.present ? 'present' : 'absent'}, ${found.levelDbfs.toFixed(1)} dBFS, ${found.snrDb.toFixed(1)} dB above the rest`,
        );
        for (const image of measureImages(samples, rate, flags.tone).images) {
          lines.push(
            `  image     ${image.label.padEnd(8)} at ${image.frequencyHz.toFixed(0)} Hz: ` +
              (image.measurable
                ? `${image.levelDbfs.toFixed(1)} dBFS (${image.relativeDb.toFixed(1)} dB re tone)`
                : 'folds onto the tone; not measurable'),
          );
        }
      }
      if (flags.reference !== undefined) {
        const ref = readWav(await readFile(flags.reference));
        const refSamples = resample(toMono(ref), ref.sampleRate, rate);
        const latency = measureLatency(refSamples, samples, rate, markerChirp(rate));
        lines.push(
          `  latency   ${latency.latencyMs.toFixed(1)} ms (marker at ${latency.sentAtMs.toFixed(1)} ms sent, ${latency.heardAtMs.toFixed(1)} ms heard; confidence ${latency.confidence.toFixed(2)})`,
        );
      }
      output.stdout(`${lines.join('\n')}\n`);
    });
}
