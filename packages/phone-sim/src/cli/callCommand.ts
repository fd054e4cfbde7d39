import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { dominantFrequency, measureLatency, rmsDbfs } from '../audio/analysis.js';
import { int16ToFloat } from '../audio/g711.js';
import { isSpeechAvailable, synthesizeSpeech } from '../audio/speech.js';
import { writeWav } from '../audio/wav.js';
import type { FaultOptions } from '../FaultInjector.js';
import { LoadRunner } from '../LoadRunner.js';
import { loadCallerAudio } from '../loadCallerAudio.js';
import { formatCallSummary, formatLoadReport } from '../report.js';
import { SimulatedCall, type SimulatedCallOptions } from '../SimulatedCall.js';
import type { HttpMethod } from '../webhooks.js';
import { WebhookSigner } from '../WebhookSigner.js';
import { parseInteger, parseMethod, parseNumber, parseProbability, parseRate } from './parsers.js';

/** Where the CLI writes; tests pass their own. */
export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processOutput: CliOutput = {
  stdout: (text) => {
    process.stdout.write(text);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
};

interface CallFlags {
  from: string;
  to: string;
  method: HttpMethod;
  play?: string;
  tone?: number;
  speech?: string;
  voice?: string;
  level: number;
  marker?: boolean;
  loop?: boolean;
  record?: string;
  duration?: number;
  hangupAt?: number;
  dtmf?: string;
  dtmfAt: number;
  signKey?: string;
  failoverUrl?: string;
  statusCallback?: string;
  callStatus: string;
  jitterBuffer: number;
  calls?: number;
  ramp: number;
  json?: string;
  verbose?: boolean;
  quiet?: boolean;
  drop?: number;
  duplicate?: number;
  reorder?: number;
  burst?: number;
  badBase64?: number;
  wrongSize?: number;
  malformedJson?: number;
  unknownEvent?: number;
  closeWithoutStop?: string | boolean;
  stopWithoutClose?: boolean;
  slowReader?: number;
  reuseRef?: boolean;
  connectDelay?: number;
  seed?: number;
}

function faultsFrom(flags: CallFlags): FaultOptions | undefined {
  const faults: FaultOptions = {};
  const set = <K extends keyof FaultOptions>(key: K, value: FaultOptions[K] | undefined): void => {
    if (value !== undefined) {
      faults[key] = value;
    }
  };
  set('drop', flags.drop);
  set('duplicate', flags.duplicate);
  set('reorder', flags.reorder);
  set('burst', flags.burst);
  set('badBase64', flags.badBase64);
  set('wrongSize', flags.wrongSize);
  set('malformedJson', flags.malformedJson);
  set('unknownEvent', flags.unknownEvent);
  if (flags.closeWithoutStop !== undefined) {
    faults.closeWithoutStop = flags.closeWithoutStop === 'terminate' ? 'terminate' : 'close';
  }
  set('stopWithoutClose', flags.stopWithoutClose);
  set('slowReader', flags.slowReader);
  set('reuseRef', flags.reuseRef);
  set('connectDelayMs', flags.connectDelay);
  set('seed', flags.seed);
  return Object.keys(faults).length === 0 ? undefined : faults;
}

async function signerFrom(key: string | undefined): Promise<WebhookSigner | undefined> {
  if (key === undefined) {
    return undefined;
  }
  // `@path` reads the key from a file, so it stays out of the shell history.
  const text = key.startsWith('@') ? await readFile(key.slice(1), 'utf8') : key;
  return WebhookSigner.fromKey(text);
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/**
 * The `call` command: `call <webhookUrl> [options]`. The main `palaver` CLI mounts it as
 * `palaver call`; `palaver-phone-sim call` is the same command.
 */
export function createCallCommand(output: CliOutput = processOutput): Command {
  const command = new Command('call')
    .description(
      'place a simulated Telnyx TeXML call (with media streaming) against a voice webhook URL',
    )
    .argument(
      '<webhookUrl>',
      "the TeXML application's voice webhook, e.g. a Palaver connector's webhookUrl",
    )
    .optionsGroup('Call:')
    .option('--from <number>', 'caller number (From)', '+13125550100')
    .option('--to <number>', 'called number (To)', '+13125550199')
    .option(
      '--method <method>',
      'webhook method: POST (form body) or GET (query)',
      parseMethod,
      'POST',
    )
    .option(
      '--duration <seconds>',
      'tone length and call length (default: the audio, or 10 s)',
      parseNumber('--duration', 0),
    )
    .option(
      '--hangup-at <seconds>',
      'the caller hangs up this long after the answer (default: --duration)',
      parseNumber('--hangup-at', 0),
    )
    .option('--dtmf <digits>', 'the caller presses these keys (0-9, *, #, A-D)')
    .option('--dtmf-at <seconds>', 'when the first key is pressed', parseNumber('--dtmf-at', 0), 1)
    .option(
      '--sign-key <key>',
      'sign webhooks with this Ed25519 private key (base64 seed, hex, PEM, or @file)',
    )
    .option('--failover-url <url>', 'tried when the webhook does not answer 2xx')
    .option('--status-callback <url>', 'receives call-progress callbacks (in-progress, completed)')
    .option('--call-status <status>', 'CallStatus of the instruction fetch', 'ringing')
    .option(
      '--jitter-buffer <ms>',
      'buffer before playing audio streamed back',
      parseNumber('--jitter-buffer', 0, 1000),
      40,
    )
    .optionsGroup('Audio:')
    .option('--play <file.wav>', 'the caller plays this WAV file (any rate; resampled to 8 kHz)')
    .option('--tone <hz>', 'the caller plays a sine tone', parseNumber('--tone', 1, 3999))
    .option('--speech <text>', 'the caller speaks this text (needs espeak-ng)')
    .option('--voice <name>', 'espeak-ng voice for --speech and <Say>', 'en-us')
    .option('--level <dBFS>', 'tone level', parseNumber('--level', -90, 0), -12)
    .option('--marker', 'start with a marker chirp, to measure latency from what is heard back')
    .option('--loop', 'loop the audio until the caller hangs up')
    .option('--record <file.wav>', 'write what the caller hears (8 kHz 16-bit WAV)')
    .optionsGroup('Load:')
    .option(
      '--calls <n>',
      'load mode: this many concurrent calls',
      parseInteger('--calls', 1, 100_000),
    )
    .option('--ramp <rate>', 'load mode: new calls per second, e.g. 20/s', parseRate, 50)
    .optionsGroup('Output:')
    .option('--json <file>', 'also write the summary (or load report) as JSON')
    .option('-v, --verbose', 'print every frame sent and received')
    .option('-q, --quiet', 'print only the summary')
    .optionsGroup('Fault injection:')
    .option(
      '--drop <p>',
      'fault: drop caller frames with probability p',
      parseProbability('--drop'),
    )
    .option('--duplicate <p>', 'fault: send caller frames twice', parseProbability('--duplicate'))
    .option(
      '--reorder <p>',
      'fault: swap caller frames with the next one',
      parseProbability('--reorder'),
    )
    .option(
      '--burst <frames>',
      'fault: hold caller frames and send them n at a time',
      parseInteger('--burst', 2, 1000),
    )
    .option(
      '--bad-base64 <p>',
      'fault: payloads that are not base64',
      parseProbability('--bad-base64'),
    )
    .option(
      '--wrong-size <p>',
      'fault: payloads that are not 160 bytes',
      parseProbability('--wrong-size'),
    )
    .option(
      '--malformed-json <p>',
      'fault: frames cut in half',
      parseProbability('--malformed-json'),
    )
    .option(
      '--unknown-event <p>',
      'fault: per tick, an extra frame with an unknown event',
      parseProbability('--unknown-event'),
    )
    .option(
      '--close-without-stop [mode]',
      'fault: on hang-up close the socket without stop (close | terminate)',
    )
    .option('--stop-without-close', 'fault: on hang-up send stop but leave the socket open')
    .option(
      '--slow-reader <n>',
      "fault: read the server's frames only one tick in n",
      parseInteger('--slow-reader', 2, 10_000),
    )
    .option('--reuse-ref', 'fault: open a second stream socket on the same URL (same ref)')
    .option(
      '--connect-delay <ms>',
      'fault: wait before opening the stream (91000 lets a 90 s ref expire)',
      parseInteger('--connect-delay'),
    )
    .option('--seed <n>', 'seed for the fault dice', parseInteger('--seed'))
    .action(async (webhookUrl: string, flags: CallFlags) => {
      await runCall(webhookUrl, flags, output);
    });
  return command;
}

async function runCall(webhookUrl: string, flags: CallFlags, output: CliOutput): Promise<void> {
  const audio = await loadCallerAudio({
    ...(flags.play === undefined ? {} : { play: flags.play }),
    ...(flags.tone === undefined ? {} : { tone: flags.tone }),
    ...(flags.speech === undefined ? {} : { speech: flags.speech }),
    ...(flags.voice === undefined ? {} : { voice: flags.voice }),
    levelDbfs: flags.level,
    ...(flags.duration === undefined ? {} : { durationMs: flags.duration * 1000 }),
    marker: flags.marker === true,
    loop: flags.loop === true,
  });
  const signer = await signerFrom(flags.signKey);
  const hangupSeconds = flags.hangupAt ?? flags.duration;
  const speechReady = await isSpeechAvailable();
  const faults = faultsFrom(flags);
  const options: SimulatedCallOptions = {
    webhookUrl,
    method: flags.method,
    from: flags.from,
    to: flags.to,
    callStatus: flags.callStatus,
    audio,
    jitterBufferMs: flags.jitterBuffer,
    ...(hangupSeconds === undefined ? {} : { durationMs: hangupSeconds * 1000 }),
    ...(flags.dtmf === undefined
      ? {}
      : { dtmf: { digits: flags.dtmf, atMs: flags.dtmfAt * 1000 } }),
    ...(signer === undefined ? {} : { signer }),
    ...(flags.failoverUrl === undefined ? {} : { failoverUrl: flags.failoverUrl }),
    ...(flags.statusCallback === undefined ? {} : { statusCallbackUrl: flags.statusCallback }),
    ...(faults === undefined ? {} : { faults }),
    ...(speechReady
      ? { speech: (text: string) => synthesizeSpeech(text, { voice: flags.voice ?? 'en-us' }) }
      : {}),
  };
  if (flags.calls !== undefined) {
    await runLoad(flags, options, output);
    return;
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const call = new SimulatedCall({
    ...options,
    record: flags.record !== undefined || flags.marker === true,
  });
  if (flags.verbose === true) {
    call.on('frameSent', (text) => output.stdout(`> ${clip(text)}\n`));
    call.on('frameReceived', (text) => output.stdout(`< ${clip(text)}\n`));
    call.on('webhook', (x) =>
      output.stdout(
        `webhook ${x.method} ${x.url}\n  ${x.form}\n  -> HTTP ${x.status}\n${x.responseBody}\n`,
      ),
    );
  }
  if (flags.quiet !== true) {
    call.on('streamOpen', (info) =>
      output.stderr(`stream open: ${info.url} (stream_id ${info.streamId})\n`),
    );
    call.on('warning', (warning) => output.stderr(`warning: ${warning}\n`));
  }
  const onSignal = (): void => call.hangup();
  process.once('SIGINT', onSignal);
  let summary;
  try {
    summary = await call.run();
  } finally {
    process.off('SIGINT', onSignal);
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const extra: Record<string, unknown> = {};
  const lines = [formatCallSummary(summary)];
  if (flags.record !== undefined || flags.marker === true) {
    const heard = call.heardAudio();
    if (flags.record !== undefined) {
      await writeFile(flags.record, writeWav(heard, { sampleRate: 8000 }));
      lines.push(`  recorded  ${flags.record} (${(heard.length / 8000).toFixed(2)} s)`);
    }
    const heardFloat = int16ToFloat(heard);
    const level = rmsDbfs(heardFloat);
    extra['heard'] = {
      levelDbfs: level,
      dominantHz: Number.isFinite(level) ? dominantFrequency(heardFloat, 8000) : undefined,
    };
    lines.push(
      `  heard     level ${Number.isFinite(level) ? `${level.toFixed(1)} dBFS` : 'silence'}` +
        (Number.isFinite(level)
          ? `, strongest frequency ${dominantFrequency(heardFloat, 8000).toFixed(0)} Hz`
          : ''),
    );
    if (flags.marker === true) {
      const latency = measureLatency(call.sentAudio(), heardFloat, 8000);
      extra['latency'] = latency;
      lines.push(
        latency.confidence >= 0.5
          ? `  latency   ${latency.latencyMs.toFixed(1)} ms from the marker sent to the marker heard (confidence ${latency.confidence.toFixed(2)})`
          : '  latency   marker not heard back (the far end does not echo the caller)',
      );
    }
  }
  const cpuPercent = ((cpu.user + cpu.system) / 1000 / wall) * 100;
  extra['cpuPercentOfOneCore'] = cpuPercent;
  lines.push(`  cpu       ${cpuPercent.toFixed(1)}% of one core`);
  output.stdout(`${lines.join('\n')}\n`);
  if (flags.json !== undefined) {
    await writeFile(flags.json, `${JSON.stringify({ ...summary, ...extra }, null, 2)}\n`);
  }
  process.exitCode =
    summary.status === 'failed' ? 1 : summary.stream?.connectError !== undefined ? 2 : 0;
}

async function runLoad(
  flags: CallFlags,
  options: SimulatedCallOptions,
  output: CliOutput,
): Promise<void> {
  if (flags.record !== undefined || flags.marker === true || flags.verbose === true) {
    output.stderr(
      'note: --record, --marker and --verbose apply to single calls; ignored in load mode\n',
    );
  }
  const runner = new LoadRunner({
    calls: flags.calls ?? 1,
    rampPerSecond: flags.ramp,
    call: options,
  });
  if (flags.quiet !== true) {
    runner.on('progress', (p) =>
      output.stderr(
        `t=${(p.elapsedMs / 1000).toFixed(1)}s started ${p.started} active ${p.active} ended ${p.ended} ` +
          `cpu ${p.cpuPercent.toFixed(0)}% event-loop ${(p.eventLoopUtilization * 100).toFixed(0)}%\n`,
      ),
    );
  }
  const onSignal = (): void => runner.stop();
  process.once('SIGINT', onSignal);
  let report;
  try {
    report = await runner.run();
  } finally {
    process.off('SIGINT', onSignal);
    runner.close();
  }
  output.stdout(`${formatLoadReport(report)}\n`);
  if (flags.json !== undefined) {
    await writeFile(flags.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  process.exitCode = report.calls.failed > 0 || report.calls.streamFailures > 0 ? 1 : 0;
}
