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
import { startPalaverVideoPageServer } from './support/palaverVideoPage.js';
import { watchMuteNotices } from './support/phonePage.js';
import { eventsNamed, inPage, view } from './support/sdkPage.js';

// A phone call (phone-sim playing Telnyx) into a room where Chromium runs our SDK,
// @palaver/video: each side hears the other clean and at level, the SDK shows the caller as a
// telephone participant that talks, a moderator's REST mute silences the caller for the page
// until unmuted (the SDK shows the caller muted and unmuted), and hanging up is seen in the SDK,
// in REST and in the call webhooks. A second page runs the official @telnyx/video SDK, which also
// lists the caller; both SDKs get the keys the caller presses as chat messages.

const TONE_DBFS = -12;
/** The sample rate of the page's recordings of the mixed audio. */
const PAGE_RATE = 48_000;

type PageWindow = {
  client: { room: any };
  phoneTest: { record(seconds: number): Promise<number[]> };
  chat: { participantId: string; message: unknown }[];
};

/**
 * In the connected page: publish two tones instead of a microphone (700 Hz for the caller to
 * hear, 6 kHz that a phone must not hear folded down to 2 kHz).
 */
async function publishTones(page: BrowserPage): Promise<void> {
  await page.page.evaluate(async (levelDbfs) => {
    // Browser globals (the test's own types are Node's).
    const g = globalThis as any;
    const w = g as PageWindow;
    const room = w.client.room;
    const context = new g.AudioContext({ sampleRate: 48_000 });
    const destination = context.createMediaStreamDestination();
    for (const frequency of [700, 6000]) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      const gain = context.createGain();
      gain.gain.value = 10 ** (levelDbfs / 20);
      oscillator.connect(gain).connect(destination);
      oscillator.start();
    }
    await room.addStream('self', { audio: destination.stream.getAudioTracks()[0] });
    w.phoneTest = {
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
              element.remove();
              resolve(samples.slice(0, seconds * 48_000));
            }
          };
          source.connect(processor);
          processor.connect(context.destination);
        }),
    };
  }, TONE_DBFS);
}

/** `seconds` of the room's mixed audio as the page hears it. */
const recordMix = async (page: BrowserPage, seconds: number): Promise<Float32Array> =>
  Float32Array.from(
    await page.page.evaluate(
      (s) => (globalThis as unknown as PageWindow).phoneTest.record(s),
      seconds,
    ),
  );

/** In the connected page: note the chat messages its SDK delivers, as the app gets them. */
const noteChat = (page: BrowserPage) =>
  page.page.evaluate(() => {
    const w = globalThis as unknown as PageWindow;
    w.chat = [];
    w.client.room.on('message_received', (participantId: string, message: unknown) =>
      w.chat.push({ participantId, message }),
    );
  });

/** The chat messages the page's SDK delivered. */
const chatMessages = (page: BrowserPage) =>
  page.page.evaluate(() => (globalThis as unknown as PageWindow).chat);

/** The telephone participants in the page's room state. */
const telephoneParticipants = (page: BrowserPage) =>
  page.page.evaluate(() =>
    [...(globalThis as unknown as PageWindow).client.room.getState().participants.values()]
      .filter((p: any) => p.origin === 'telephony_engine')
      .map((p: any) => ({ id: p.id as string, context: p.context as string })),
  );

/** The loudest second of a recording: a headless Chromium that stalls now and then on a loaded
 * machine leaves gaps in its playout, which lower a long average but not the level heard. */
function loudestSecond(mixed: Float32Array, toneHz: number) {
  const seconds = Array.from({ length: Math.floor(mixed.length / PAGE_RATE) }, (_, i) =>
    measureImages(mixed.subarray(i * PAGE_RATE, (i + 1) * PAGE_RATE), PAGE_RATE, toneHz),
  );
  return seconds.reduce((best, next) => (next.toneDbfs > best.toneDbfs ? next : best));
}

describe('a phone call with @palaver/video in the room', () => {
  let palaver: E2eServer;
  let pages: { url: string; close(): Promise<void> };
  let officialPages: { url: string; close(): Promise<void> };
  let browser: BrowserPage;
  let official: BrowserPage;
  let api: ReturnType<typeof apiClient>;
  let hooks: CallWebhookReceiver;
  let roomId: string;
  let webhookUrl: string;

  beforeAll(async () => {
    [palaver, pages, officialPages, hooks] = await Promise.all([
      startPalaver(),
      startPalaverVideoPageServer(),
      startPageServer(),
      CallWebhookReceiver.start(),
    ]);
    api = apiClient(palaver.url, palaver.apiKey);
    [browser, official] = await Promise.all([
      openBrowserPage(pages.url, palaver.tlsPort),
      openBrowserPage(officialPages.url, palaver.tlsPort),
    ]);
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
    await Promise.allSettled([browser?.close(), official?.close()]);
    await pages?.close();
    await officialPages?.close();
    await palaver?.close();
    await hooks?.close();
  });

  it('carries audio both ways, shows a talking telephone participant, its keys, its mute and its hang-up', async () => {
    const tokenFor = async (): Promise<string> =>
      (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {})).body.data
        .token;
    const muteNotices = watchMuteNotices(browser);
    await inPage(browser, 'connect', {
      roomId,
      token: await tokenFor(),
      context: JSON.stringify({ name: 'ann' }),
      server: `https://127.0.0.1:${palaver.tlsPort}`,
    });
    await publishTones(browser);
    await inPage(official, 'connect', {
      roomId,
      token: await tokenFor(),
      context: JSON.stringify({ name: 'tel' }),
    });
    await noteChat(official);
    await noteChat(browser);

    // The caller says a 1 kHz tone for 22 s, presses 4 and 2, and hangs up at 25 s. The tone is
    // long enough that every measuring window below lies inside it even when joining is slow.
    const call = new SimulatedCall({
      webhookUrl,
      from: '+13125550177',
      audio: new CallerAudio(tone({ frequency: 1000, durationMs: 22_000, levelDbfs: TONE_DBFS })),
      durationMs: 25_000,
      dtmf: { digits: '42', atMs: 23_000 },
      record: true,
    });
    const running = call.run();

    // Both SDKs list the caller as a telephone participant…
    await expect.poll(() => telephoneParticipants(browser), { timeout: 15_000 }).toHaveLength(1);
    const [participant] = await telephoneParticipants(browser);
    expect(JSON.parse(participant!.context)).toMatchObject({ phoneNumber: '+13125550177' });
    await expect.poll(() => telephoneParticipants(official)).toEqual([participant]);

    // …hears its 1 kHz at the level it was sent, with no 7 kHz image (Janus's G.711 path had one
    // as loud as the tone)…
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const images = loudestSecond(await recordMix(browser, 3), 1000);
    expect(images.toneDbfs).toBeGreaterThan(TONE_DBFS - 3);
    expect(images.toneDbfs).toBeLessThan(TONE_DBFS + 3);
    const image7k = images.images.find((i) => i.label === '8000-f')!;
    expect(image7k.relativeDb).toBeLessThan(-50);

    // …and sees the caller talking.
    await expect
      .poll(async () => eventsNamed(await view(browser), 'audio_activity').map((a) => a[0]))
      .toContain(participant!.id);

    // A moderator mutes the caller: the page is told (Janus's AudioBridge notice for the
    // caller's leg reaches its connection), and the tone no longer reaches it…
    const shownMuted = () =>
      muteNotices.filter((n) => n.participantId === participant!.id).at(-1)?.muted;
    expect(shownMuted()).not.toBe(true);
    /** What @palaver/video shows the app: the caller's flag in the state, and the events. */
    const sdkShowsMuted = () =>
      browser.page.evaluate(
        (id) =>
          (globalThis as unknown as PageWindow).client.room.getState().participants.get(id)
            ?.isAudioCensored as boolean | undefined,
        participant!.id,
      );
    const censorEvents = async () =>
      (await view(browser)).events
        .filter((e) => e.name === 'track_censored' || e.name === 'track_uncensored')
        .map((e) => [e.name, ...e.args.slice(0, -1)]);
    expect(await sdkShowsMuted()).toBe(false);
    expect(await censorEvents()).toEqual([]);
    const [record] = (await api('GET', `/v2/sip/call?roomId=${roomId}`)).body.data as any[];
    /** Mutes or unmutes the caller by REST; resolves with the 1 kHz the page then hears. */
    const moderate = async (action: 'mute' | 'unmute') => {
      const answer = await api('POST', `/v2/room_sessions/${record.sessionId}/actions/${action}`, {
        participants: [participant!.id],
      });
      expect(answer.status).toBe(200);
      await expect.poll(shownMuted).toBe(action === 'mute');
      await expect.poll(sdkShowsMuted).toBe(action === 'mute');
      await new Promise((resolve) => setTimeout(resolve, 500));
      return loudestSecond(await recordMix(browser, 2), 1000);
    };
    const whileMuted = await moderate('mute');
    expect(whileMuted.toneDbfs).toBeLessThan(TONE_DBFS - 45);
    // …until it is unmuted.
    const unmuted = await moderate('unmute');
    expect(unmuted.toneDbfs).toBeGreaterThan(TONE_DBFS - 3);
    expect(unmuted.toneDbfs).toBeLessThan(TONE_DBFS + 3);
    // The page's SDK told the app of each change once, for the caller's leg in the mix.
    expect(await censorEvents()).toEqual([
      ['track_censored', participant!.id, 'audiobridge', 'audio'],
      ['track_uncensored', participant!.id, 'audiobridge', 'audio'],
    ]);

    // The caller's keys arrive as chat messages from the telephone participant, in both SDKs.
    const keys = [
      { participantId: participant!.id, message: { type: 'dtmf', digit: '4' } },
      { participantId: participant!.id, message: { type: 'dtmf', digit: '2' } },
    ];
    await expect.poll(() => chatMessages(official), { timeout: 20_000 }).toEqual(keys);
    await expect.poll(() => chatMessages(browser), { timeout: 5_000 }).toEqual(keys);
    // …to everyone (recipients null), as the app's events show them.
    expect(eventsNamed(await view(browser), 'message_received')).toEqual(
      keys.map((k) => [k.participantId, k.message, null]),
    );

    const summary = await running;
    expect(summary.status).toBe('completed');

    // The caller heard the browser's 700 Hz at level, and nothing of its 6 kHz folded to 2 kHz.
    // A window late in the call, when the caller has long been in the room.
    const heard = int16ToFloat(call.heardAudio().subarray(17 * 8000, 22 * 8000));
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
    expect(calls[0].duration).toBeGreaterThan(24);
    expect(calls[0].duration).toBeLessThan(27);
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
    expect((await view(official)).errors).toEqual([]);

    console.log(
      'e2e phone',
      JSON.stringify({
        browserHears1kDbfs: +images.toneDbfs.toFixed(2),
        image7kRelativeDb: +image7k.relativeDb.toFixed(1),
        browserHears1kMutedDbfs: +whileMuted.toneDbfs.toFixed(1),
        browserHears1kUnmutedDbfs: +unmuted.toneDbfs.toFixed(2),
        callerHears700Dbfs: +heard700.levelDbfs.toFixed(2),
        folded2kRelativeDb: +folded.toFixed(1),
        bridge: palaver.server.phoneBridge!.stats().latency,
      }),
    );
  });
});
