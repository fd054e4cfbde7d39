import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createCallCommand,
  createPhoneSimProgram,
  readWav,
  StubConnector,
  WebhookSigner,
  type CliOutput,
} from '../src/index.js';

function capture(): CliOutput & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

async function run(args: string[], io = capture()): Promise<typeof io> {
  await createPhoneSimProgram(io).parseAsync(args, { from: 'user' });
  return io;
}

describe('the palaver-phone-sim CLI', () => {
  let dir: string;
  let stub: StubConnector;
  const signer = WebhookSigner.generate();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'phone-sim-cli-'));
    stub = await new StubConnector({ publicKey: signer.publicKey }).listen();
  });
  afterAll(async () => {
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('places a call, records what it hears, measures the latency and writes JSON', async () => {
    const record = join(dir, 'heard.wav');
    const json = join(dir, 'call.json');
    const io = await run([
      'call',
      stub.webhookUrl,
      '--tone',
      '1000',
      '--duration',
      '1.5',
      '--marker',
      '--record',
      record,
      '--json',
      json,
      '--dtmf',
      '12#',
      '--dtmf-at',
      '0.5',
      '--sign-key',
      signer.privateKey,
      '--quiet',
    ]);
    const text = io.out.join('');
    expect(text).toMatch(/completed \(hung up by caller\)/);
    expect(text).toMatch(/latency {3}\d+\.\d ms from the marker/);
    expect(text).toMatch(/strongest frequency 1000 Hz/);
    expect(text).toMatch(/cpu {7}\d+\.\d% of one core/);
    expect(process.exitCode).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as {
      sent: { dtmf: number };
      latency: { latencyMs: number };
    };
    expect(report.sent.dtmf).toBe(3);
    // Echoed by the stub: a round trip through the jitter buffer, well under 200 ms.
    expect(report.latency.latencyMs).toBeGreaterThan(20);
    expect(report.latency.latencyMs).toBeLessThan(200);
    const wav = readWav(await readFile(record));
    expect(wav.sampleRate).toBe(8000);
    expect(wav.channels[0]?.length).toBe(8000 * 1.5);
    expect(stub.webhooks.at(-1)?.signature).toBe('valid');

    const analysis = await run(['analyze', record, '--tone', '1000']);
    // The tone sounds for under half the recording, next to a louder marker chirp.
    expect(analysis.out.join('')).toMatch(/strongest (999|1000)\.\d Hz/);
    expect(analysis.out.join('')).toMatch(/tone {6}1000 Hz: \w+, -1\d\.\d dBFS/);
  });

  it('runs a small load and prints percentiles and its own CPU', async () => {
    const json = join(dir, 'load.json');
    const io = await run([
      'call',
      stub.webhookUrl,
      '--calls',
      '5',
      '--ramp',
      '20/s',
      '--duration',
      '0.5',
      '--json',
      json,
      '-q',
    ]);
    const text = io.out.join('');
    expect(text).toMatch(/^load: 5\/5 calls, 5 completed, 0 failed/);
    expect(text).toMatch(/send late ms {2}p50/);
    expect(text).toMatch(/simulator CPU \d+\.\d% of one core/);
    const report = JSON.parse(await readFile(json, 'utf8')) as { summaries: unknown[] };
    expect(report.summaries).toHaveLength(5);
    expect(process.exitCode).toBe(0);
  });

  it('makes signing keys', async () => {
    const io = await run(['keygen']);
    const [privateLine, publicLine] = io.out.join('').split('\n');
    const key = privateLine?.split(': ')[1] ?? '';
    expect(WebhookSigner.fromKey(key).publicKey).toBe(publicLine?.split(': ')[1]);
  });

  it('exits non-zero when the webhook fails', async () => {
    const io = await run(['call', 'http://127.0.0.1:1/hook', '-q']);
    expect(io.out.join('')).toMatch(/failed \(hung up by error\)[\s\S]*webhook_failed/);
    expect(process.exitCode).toBe(1);
  });

  it('can be mounted as a subcommand of another program', () => {
    const command = createCallCommand(capture());
    expect(command.name()).toBe('call');
    expect(command.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--tone', '--calls', '--drop', '--sign-key']),
    );
  });
});
