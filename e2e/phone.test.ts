import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CallerAudio,
  SimulatedCall,
  detectTone,
  int16ToFloat,
  measureImages,
  tone,
  toneLevel,
} from '@palaver/phone-sim';
import { CallWebhookReceiver } from '../packages/server/test/telephony/support.js';
import { apiClient } from '../packages/server/test/support/testServer.js';
import type { BrowserPage, E2eServer } from './support/harness.js';
import { openBrowserPage, startPageServer, startPalaver } from './support/harness.js';
import { eventsNamed, inPage, view } from './support/sdkPage.js';

// A phone call (phone-sim playing Telnyx) into a room where Chromium runs the unmodified
// official @telnyx/video SDK: each side hears the other clean and at level, the SDK shows the
// caller as a telephone participant that talks and presses keys, and hanging up is seen in the
// SDK, in REST and in the call webhooks.

const TONE_DBFS = -12;

type PageWindow = {
  client: { room: any };
  phoneTest: {
    dtmf: { participantId: string; message: unknown }[];
    record(seconds: number): Promise<number[]>;
  };
};

/** In the page: publish two tones instead of a microphone, and note chat messages. */
async function prepare(page: BrowserPage): Promise<void> {
  await page.page.evaluate(async (levelDbfs) => {
    // Browser globals (the test's own types are Node's).
    const g = globalThis as any;
    const w = g as PageWindow;
    const room = w.client.room;
    const context = new g.AudioContext({ sampleRate: 48_000 });
    const destination = context.createMediaStreamDestination();
    // 700 Hz for the caller to hear, 6 kHz that a phone must not hear folded down to 2 kHz.
    for (const frequency of [700, 6000]) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      const gain = context.createGain();
      gain.gain.value = 10 ** (levelDbfs / 20);
      oscillator.connect(gain).connect(destination);
      oscillator.start();
    }
    await room.addStream('self', { audio: destination.stream.getAudioTracks()[0] });
    const dtmf: { participantId: string; message: unknown }[] = [];
    room.on('message_received', (participantId: string, message: unknown) =>
      dtmf.push({ participantId, message }),
    );
    w.phoneTest = {
      dtmf,
      // Records the room's mixed audio as the SDK hands it to the app, at 48 kHz.
      record: (seconds) =>
        new Promise((resolve) => {
          const track = room.getState().mixedAudioTrack;
          const element = g.document.createElement('audio');
          element.muted = true;
          element.srcObject = new g.MediaStream([track]);
          g.document.body.append(element);
          void element.play();
          const source = context.createMediaStreamSource(new g.MediaStream([track]));
          const processor = context.createScriptProcessor(4096, 1, 1);
          const samples: number[] = [];
          processor.onaudioprocess = (event: any) => {
            samples.push(...event.inputBuffer.getChannelData(0));
            if (samples.length >= seconds * 48_000) {
              processor.disconnect();
              source.disconnect();
              resolve(samples.slice(0, seconds * 48_000));
            }
          };
          source.connect(processor);
          processor.connect(context.destination);
        }),
    };
  }, TONE_DBFS);
}

describe('a phone call with the official SDK in the room', () => {
  let palaver: E2eServer;
  let pages: { url: string; close(): Promise<void> };
  let browser: BrowserPage;
  let api: ReturnType<typeof apiClient>;
  let hooks: CallWebhookReceiver;
  let roomId: string;
  let webhookUrl: string;

  beforeAll(async () => {
    [palaver, pages, hooks] = await Promise.all([
      startPalaver(),
      startPageServer(),
      CallWebhookReceiver.start(),
    ]);
    api = apiClient(palaver.url, palaver.apiKey);
    browser = await openBrowserPage(pages.url, palaver.tlsPort);
    roomId = (await api('POST', '/v2/rooms', { unique_name: 'phone-e2e' })).body.data.id;
    const connector = await api('POST', '/v2/connectors', {
      provider: 'telnyx',
      defaultRoomId: 'phone-e2e',
    });
    webhookUrl = connector.body.data.webhookUrl;
    await api('POST', '/v2/sip/webhooks', {
      url: hooks.url(),
      events: ['call-started', 'call-answered', 'call-hangup', 'call-missed'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await palaver?.close();
    await hooks?.close();
  });

  it('carries audio both ways, shows a talking telephone participant, its keys and its hang-up', async () => {
    const token = (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {}))
      .body.data.token;
    await inPage(browser, 'connect', { roomId, token, context: JSON.stringify({ name: 'ann' }) });
    await prepare(browser);

    // The caller says a 1 kHz tone for 14 s, presses 4 and 2, and hangs up at 17 s. The tone is
    // long enough that every measuring window below lies inside it even when joining is slow.
    const call = new SimulatedCall({
      webhookUrl,
      from: '+13125550177',
      audio: new CallerAudio(tone({ frequency: 1000, durationMs: 14_000, levelDbfs: TONE_DBFS })),
      durationMs: 17_000,
      dtmf: { digits: '42', atMs: 15_000 },
      record: true,
    });
    const running = call.run();

    // The SDK lists the caller as a telephone participant…
    const telephoneParticipants = () =>
      browser.page.evaluate(() =>
        [...(globalThis as unknown as PageWindow).client.room.getState().participants.values()]
          .filter((p: any) => p.origin === 'telephony_engine')
          .map((p: any) => ({ id: p.id as string, context: p.context as string })),
      );
    await expect.poll(telephoneParticipants, { timeout: 15_000 }).toHaveLength(1);
    const [participant] = await telephoneParticipants();
    expect(JSON.parse(participant!.context)).toMatchObject({ phoneNumber: '+13125550177' });

    // …hears its 1 kHz at the level it was sent, with no 7 kHz image (Janus's G.711 path had one
    // as loud as the tone)…
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const mixed = Float32Array.from(
      await browser.page.evaluate(() => (globalThis as unknown as PageWindow).phoneTest.record(3)),
    );
    // The loudest second of three: a headless Chromium that stalls now and then on a loaded
    // machine leaves gaps in its playout, which lower a long average but not the level heard.
    const seconds = [0, 1, 2].map((i) =>
      measureImages(mixed.subarray(i * 48_000, (i + 1) * 48_000), 48_000, 1000),
    );
    const images = seconds.reduce((best, next) => (next.toneDbfs > best.toneDbfs ? next : best));
    expect(images.toneDbfs).toBeGreaterThan(TONE_DBFS - 3);
    expect(images.toneDbfs).toBeLessThan(TONE_DBFS + 3);
    const image7k = images.images.find((i) => i.label === '8000-f')!;
    expect(image7k.relativeDb).toBeLessThan(-50);

    // …and sees the caller talking.
    await expect
      .poll(async () => eventsNamed(await view(browser), 'audio_activity').map((a) => a[0]))
      .toContain(participant!.id);

    // The caller's keys arrive as chat messages from the telephone participant.
    await expect
      .poll(
        () => browser.page.evaluate(() => (globalThis as unknown as PageWindow).phoneTest.dtmf),
        { timeout: 15_000 },
      )
      .toEqual([
        { participantId: participant!.id, message: { type: 'dtmf', digit: '4' } },
        { participantId: participant!.id, message: { type: 'dtmf', digit: '2' } },
      ]);

    const summary = await running;
    expect(summary.status).toBe('completed');

    // The caller heard the browser's 700 Hz at level, and nothing of its 6 kHz folded to 2 kHz.
    // A window late in the call, when the caller has long been in the room.
    const heard = int16ToFloat(call.heardAudio().subarray(9 * 8000, 14 * 8000));
    const heard700 = detectTone(heard, 8000, 700, { minSnrDb: 0 });
    expect(heard700.levelDbfs).toBeGreaterThan(TONE_DBFS - 4);
    expect(heard700.levelDbfs).toBeLessThan(TONE_DBFS + 3);
    const folded = toneLevel(heard, 8000, 2000) - heard700.levelDbfs;
    expect(folded).toBeLessThan(-50);

    // Hang-up: the SDK sees the caller leave; REST and the call webhooks agree.
    await expect
      .poll(async () => eventsNamed(await view(browser), 'participant_left').map((a) => a[0]), {
        timeout: 10_000,
      })
      .toContain(participant!.id);
    const calls = (await api('GET', `/v2/sip/call?roomId=${roomId}`)).body.data as any[];
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      status: 'ended',
      hangupReason: 'caller-hangup',
      from: '+13125550177',
      participantId: participant!.id,
    });
    expect(calls[0].duration).toBeGreaterThan(16);
    expect(calls[0].duration).toBeLessThan(19);
    expect(
      (await api('GET', `/v2/room_participants/${participant!.id}`)).body.data.left_at,
    ).toEqual(expect.any(String));
    const webhooks = (await hooks.waitFor(3)).map((r) => JSON.parse(r.body));
    expect(webhooks.map((w) => w.webhookType)).toEqual([
      'call-started',
      'call-answered',
      'call-hangup',
    ]);
    expect(webhooks[2].data).toMatchObject({ status: 'ended', hangupReason: 'caller-hangup' });
    expect((await view(browser)).errors).toEqual([]);

    console.log(
      'e2e phone',
      JSON.stringify({
        browserHears1kDbfs: +images.toneDbfs.toFixed(2),
        image7kRelativeDb: +image7k.relativeDb.toFixed(1),
        callerHears700Dbfs: +heard700.levelDbfs.toFixed(2),
        folded2kRelativeDb: +folded.toFixed(1),
        bridge: palaver.server.phoneBridge!.stats().latency,
      }),
    );
  });
});
