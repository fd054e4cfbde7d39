import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallerAudio, SimulatedCall, tone } from '@palaver/phone-sim';
import type { TestServer } from '../packages/server/test/support/testServer.js';
import { apiClient, startTestServer } from '../packages/server/test/support/testServer.js';
import { displayName, maskNumber } from '../apps/demo/src/names.js';
import { MEDIA_BROWSER_ARGS } from './support/harness.js';

// The demo page (apps/demo) as a newcomer uses it after `npm start`: two tabs of one Chromium
// open the page Palaver serves at `/`, join one room by name, and see, hear and write to each
// other; they see who talks, each tile's network quality, a screen share and a phone caller.
// Screenshots at desktop and phone sizes go to test-output/.

const OUTPUT = join(import.meta.dirname, '..', 'test-output');
const ROOM = 'demo-e2e';

/** What a tile shows, read from the page the way a person would look at it. */
interface TileView {
  label: string;
  videoWidth: number;
  videoTime: number;
  videoVisible: boolean;
  micMuted: boolean;
  speaking: boolean;
  presentation: boolean;
  /** The phone mark is shown. */
  phone: boolean;
  /** The bars' label ("Network quality 5 of 5"), when the bars are shown. */
  quality: string | null;
}

const tiles = (page: Page): Promise<TileView[]> =>
  page.$$eval('#grid .tile', (elements) =>
    elements.map((tile) => {
      const video = tile.querySelector('video')!;
      const muted = tile.querySelector<HTMLElement>('[aria-label="Microphone muted"]')!;
      const quality = tile.querySelector<HTMLElement>('.quality')!;
      return {
        label: tile.querySelector('.name')!.textContent ?? '',
        videoWidth: video.videoWidth,
        videoTime: video.currentTime,
        videoVisible: !video.hidden && video.checkVisibility(),
        micMuted: muted.checkVisibility(),
        speaking: tile.classList.contains('speaking'),
        presentation: tile.classList.contains('presentation'),
        phone: tile.querySelector<HTMLElement>('.phone')!.checkVisibility(),
        quality: quality.checkVisibility() ? quality.getAttribute('aria-label') : null,
      };
    }),
  );

const tileOf = async (page: Page, label: string): Promise<TileView | undefined> =>
  (await tiles(page)).find((tile) => tile.label === label);

describe('the demo page', () => {
  let palaver: TestServer;
  let context: BrowserContext;
  let profile: string;
  let ana: Page;
  let ben: Page;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    // What `npm run build` does for the page; the server serves apps/demo/dist.
    execFileSync('node', [join(import.meta.dirname, '..', 'apps', 'demo', 'scripts', 'build.mjs')]);
    mkdirSync(OUTPUT, { recursive: true });
    palaver = await startTestServer('sqlite', {
      media: true,
      env: { PALAVER_DEMO: '1', PALAVER_SESSION_GRACE_SECS: '0.5' },
    });
    api = apiClient(palaver.url, palaver.apiKey);
    profile = mkdtempSync(join(tmpdir(), 'palaver-demo-chromium-'));
    // The microphones say something: a 440 Hz tone for 1.5 s in every 3 s (Chromium loops the
    // file), loud and long enough for the server's talk detection (unlike the fake beep), with
    // pauses long enough for it to hear the end of talking.
    const voice = join(profile, 'voice.wav');
    execFileSync('ffmpeg', [
      ...['-loglevel', 'error', '-f', 'lavfi'],
      ...['-i', 'aevalsrc=0.3*sin(2*PI*440*t)*lt(mod(t\\,3)\\,1.5):s=48000:d=3'],
      ...['-ac', '1', '-c:a', 'pcm_s16le', voice],
    ]);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1280, height: 800 },
      permissions: ['camera', 'microphone'],
      args: [...MEDIA_BROWSER_ARGS, `--use-file-for-fake-audio-capture=${voice}`],
    });
    ana = context.pages()[0] ?? (await context.newPage());
    ben = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
    if (profile !== undefined) {
      rmSync(profile, { recursive: true, force: true });
    }
    await palaver?.close();
  });

  it('shows the lobby with the demo-mode notice and a camera preview', async () => {
    await ana.goto(`${palaver.url}/`);
    await expect.poll(() => ana.title()).toBe('Palaver demo');
    expect(await ana.locator('[role="note"]').textContent()).toMatch(/PALAVER_DEMO=1/);
    await expect
      .poll(() => ana.$eval('#preview', (video) => (video as HTMLVideoElement).currentTime))
      .toBeGreaterThan(0.5);
    await expect.poll(() => ana.locator('#camera option').count()).toBeGreaterThan(0);
    await screenshot(ana, 'demo-lobby-1280x800.png');
  });

  it('joins two tabs into one room: two tiles with names and moving remote video', async () => {
    await ben.goto(`${palaver.url}/?room=${ROOM}`);
    for (const [page, name] of [
      [ana, 'Ana'],
      [ben, 'Ben'],
    ] as const) {
      await page.fill('#name', name);
      await page.fill('#room', ROOM);
      await page.click('#join');
    }
    await expect
      .poll(async () => (await tiles(ana)).map((tile) => tile.label).sort(), { timeout: 20_000 })
      .toEqual(['Ana (you)', 'Ben']);
    await expect
      .poll(async () => (await tiles(ben)).map((tile) => tile.label).sort(), { timeout: 20_000 })
      .toEqual(['Ana', 'Ben (you)']);
    expect(await ana.locator('#room-label').textContent()).toBe(ROOM);
    expect(await ana.locator('#status').textContent()).toBe('2 people here');

    // The other person's camera plays: it has a size and its time moves on.
    for (const [page, other] of [
      [ana, 'Ben'],
      [ben, 'Ana'],
    ] as const) {
      await expect
        .poll(async () => (await tileOf(page, other))?.videoWidth ?? 0, { timeout: 30_000 })
        .toBeGreaterThan(0);
      const before = (await tileOf(page, other))!.videoTime;
      await expect
        .poll(async () => (await tileOf(page, other))!.videoTime, { timeout: 10_000 })
        .toBeGreaterThan(before + 0.5);
      expect((await tileOf(page, other))!.videoVisible).toBe(true);
    }
  });

  it('carries chat both ways', async () => {
    await ana.fill('#chat-input', 'Hello Ben');
    await ana.press('#chat-input', 'Enter');
    await expect
      .poll(() => ben.locator('#messages li').allTextContents(), { timeout: 10_000 })
      .toEqual(['AnaHello Ben']);
    await ben.fill('#chat-input', 'Hi Ana');
    await ben.click('#chat-form button[type="submit"]');
    await expect
      .poll(() => ana.locator('#messages li').allTextContents(), { timeout: 10_000 })
      .toEqual(['YouHello Ben', 'BenHi Ana']);
  });

  it('shows a muted microphone on both pages, and unmuting clears it', async () => {
    expect((await tileOf(ben, 'Ana'))!.micMuted).toBe(false);
    await ana.click('#mic-btn');
    await expect.poll(async () => (await tileOf(ben, 'Ana'))!.micMuted).toBe(true);
    expect((await tileOf(ana, 'Ana (you)'))!.micMuted).toBe(true);
    expect(await ana.getAttribute('#mic-btn', 'aria-pressed')).toBe('false');
    expect(await ana.getAttribute('#mic-btn', 'title')).toBe('Unmute');

    await ana.click('#mic-btn');
    await expect.poll(async () => (await tileOf(ben, 'Ana'))!.micMuted).toBe(false);
    expect((await tileOf(ana, 'Ana (you)'))!.micMuted).toBe(false);
  });

  it('looks like a call at desktop and phone sizes (screenshots are not blank)', async () => {
    await ana.setViewportSize({ width: 1280, height: 800 });
    await ben.setViewportSize({ width: 390, height: 844 });
    // The phone layout hides the chat behind a button, with the unread count on it.
    expect(await ben.locator('#chat').isVisible()).toBe(false);
    expect(await ana.locator('#chat').isVisible()).toBe(true);
    for (const page of [ana, ben]) {
      await expect
        .poll(async () => (await tiles(page)).every((tile) => tile.videoWidth > 0), {
          timeout: 10_000,
        })
        .toBe(true);
    }
    const desktop = await screenshot(ana, 'demo-call-1280x800.png');
    const phone = await screenshot(ben, 'demo-call-390x844.png');
    // Both tiles fit on the phone screen, one above the other.
    const boxes = await ben.$$eval('#grid .tile', (elements) =>
      elements.map((tile) => tile.getBoundingClientRect().toJSON() as DOMRect),
    );
    expect(boxes).toHaveLength(2);
    for (const box of boxes) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      expect(box.y + box.height).toBeLessThanOrEqual(844);
    }
    for (const png of [desktop, phone]) {
      const { spread, width } = await pixelSpread(ana, png);
      expect(width).toBeGreaterThan(0);
      expect(spread).toBeGreaterThan(20);
    }
    await ben.click('#chat-btn');
    expect(await ben.locator('#chat').isVisible()).toBe(true);
    await screenshot(ben, 'demo-chat-390x844.png');
    await ben.click('#chat-close');
  });

  it('highlights the tile of whoever talks while they talk, and not of a muted microphone', async () => {
    // Both microphones play the tone 1.5 s in every 3 s: each page sees the other's tile light
    // up as it starts, and go dark in the pause.
    const followsTheTone = async (page: Page, other: string): Promise<void> => {
      for (const lit of [true, false, true]) {
        await expect
          .poll(async () => (await tileOf(page, other))?.speaking, {
            timeout: 10_000,
            interval: 100,
          })
          .toBe(lit);
      }
    };
    await Promise.all([followsTheTone(ben, 'Ana'), followsTheTone(ana, 'Ben')]);
    await ana.click('#mic-btn');
    await expect.poll(async () => (await tileOf(ben, 'Ana'))!.micMuted).toBe(true);
    await expect.poll(async () => (await tileOf(ben, 'Ana'))!.speaking).toBe(false);
    // Four seconds hold at least one start of the tone: none lights the muted tile.
    const lit: boolean[] = [];
    for (let i = 0; i < 40; i++) {
      lit.push((await tileOf(ben, 'Ana'))!.speaking);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(lit).not.toContain(true);
    await ana.click('#mic-btn');
    await expect.poll(async () => (await tileOf(ben, 'Ana'))!.micMuted).toBe(false);
  });

  it("shows each tile's network quality on both pages", async () => {
    // Reports come every 5 s; on this machine's loopback every link is good.
    for (const page of [ana, ben]) {
      await expect
        .poll(async () => (await tiles(page)).map((tile) => tile.quality), { timeout: 15_000 })
        .toEqual([expect.stringMatching(/^Network quality [3-5] of 5$/), expect.any(String)]);
      expect((await tiles(page)).map((tile) => tile.quality)).toEqual([
        expect.stringMatching(/^Network quality [3-5] of 5$/),
        expect.stringMatching(/^Network quality [3-5] of 5$/),
      ]);
    }
  });

  it('shows a screen share as its own presentation tile on both pages', async () => {
    await ana.click('#share-btn');
    await expect
      .poll(async () => (await tileOf(ben, 'Ana: screen'))?.videoWidth ?? 0, { timeout: 20_000 })
      .toBeGreaterThan(0);
    const shared = (await tileOf(ben, 'Ana: screen'))!;
    expect(shared).toMatchObject({ presentation: true, videoVisible: true, speaking: false });
    await expect
      .poll(async () => (await tileOf(ben, 'Ana: screen'))!.videoTime, { timeout: 10_000 })
      .toBeGreaterThan(shared.videoTime + 0.5);
    // Ana sees her own share too, and Ben still sees her camera.
    expect((await tileOf(ana, 'Ana (you): screen'))?.presentation).toBe(true);
    expect((await tileOf(ben, 'Ana'))?.presentation).toBe(false);
    expect(await ana.getAttribute('#share-btn', 'aria-pressed')).toBe('true');
    await screenshot(ben, 'demo-share-390x844.png');

    await ana.click('#share-btn');
    await expect
      .poll(async () => (await tiles(ben)).map((tile) => tile.label).sort(), { timeout: 10_000 })
      .toEqual(['Ana', 'Ben (you)']);
  });

  it('shows a phone caller with a phone mark, the number masked to its last 4 digits, its mute and its keys', async () => {
    const connector = await api('POST', '/v2/connectors', {
      provider: 'telnyx',
      defaultRoomId: ROOM,
    });
    expect(connector.status).toBe(201);
    const call = new SimulatedCall({
      webhookUrl: connector.body.data.webhookUrl,
      from: '+13125550177',
      audio: new CallerAudio(tone({ frequency: 1000, durationMs: 15_000, levelDbfs: -12 })),
      durationMs: 16_000,
      dtmf: { digits: '5', atMs: 13_000 },
    });
    const running = call.run();
    for (const page of [ana, ben]) {
      await expect
        .poll(async () => tileOf(page, '•••0177'), { timeout: 15_000 })
        .toMatchObject({ phone: true, videoVisible: false, micMuted: false });
      // The full number is nowhere on the page.
      expect(await page.locator('body').innerText()).not.toMatch(/5550177|555 0177/);
    }
    // The caller talks without a pause: the tile lights up and stays lit.
    await expect
      .poll(async () => (await tileOf(ben, '•••0177'))?.speaking, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(true);
    const lit: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      lit.push((await tileOf(ben, '•••0177'))!.speaking);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(lit).not.toContain(false);
    await screenshot(ana, 'demo-phone-1280x800.png');

    // A moderator mutes the caller: both pages show the muted-microphone mark until unmuted.
    const calls = (await api('GET', '/v2/sip/call')).body.data as {
      from: string;
      sessionId: string;
      participantId: string;
    }[];
    const record = calls.find((c) => c.from === '+13125550177')!;
    for (const action of ['mute', 'unmute'] as const) {
      const answer = await api('POST', `/v2/room_sessions/${record.sessionId}/actions/${action}`, {
        participants: [record.participantId],
      });
      expect(answer.status).toBe(200);
      for (const page of [ana, ben]) {
        await expect
          .poll(async () => (await tileOf(page, '•••0177'))?.micMuted, { timeout: 10_000 })
          .toBe(action === 'mute');
      }
    }

    // The key the caller presses shows in the chat, from the caller.
    for (const page of [ana, ben]) {
      await expect
        .poll(async () => (await page.locator('#messages li').allTextContents()).at(-1), {
          timeout: 15_000,
        })
        .toBe('•••0177☎ pressed 5');
    }
    await running;
    await expect
      .poll(async () => (await tiles(ana)).map((tile) => tile.label).sort(), { timeout: 10_000 })
      .toEqual(['Ana (you)', 'Ben']);
  });

  it('leaves: the page returns to the lobby and the other sees one tile', async () => {
    await ben.click('#leave-btn');
    await expect.poll(() => ben.locator('#lobby').isVisible()).toBe(true);
    expect(await ben.locator('#join-error').isVisible()).toBe(false);
    await expect
      .poll(async () => (await tiles(ana)).map((tile) => tile.label), { timeout: 10_000 })
      .toEqual(['Ana (you)']);
  });
});

describe('names on the demo page', () => {
  const participant = (context: string, origin: 'remote' | 'telephony_engine' = 'remote') => ({
    id: 'p1',
    context,
    streams: {},
    canReceiveMessages: true,
    origin,
  });

  it("shows a phone caller's number by its last 4 digits only", () => {
    expect(maskNumber('+1 (555) 123-4567')).toBe('•••4567');
    const caller = participant(
      JSON.stringify({ username: '+15551234567', phoneNumber: '+15551234567', callId: 'c' }),
      'telephony_engine',
    );
    expect(displayName(caller)).toBe('•••4567');
    const named = participant(
      JSON.stringify({ username: 'Dana', phoneNumber: '+4930123456' }),
      'telephony_engine',
    );
    expect(displayName(named)).toBe('Dana •••3456');
    expect(displayName(participant('{"username":"Phone caller"}', 'telephony_engine'))).toBe(
      'Phone caller',
    );
  });

  it('reads the name from the context, or the context itself when it is not JSON', () => {
    expect(displayName(participant('{"name":"Ana"}'))).toBe('Ana');
    expect(displayName(participant('Ben'))).toBe('Ben');
    expect(displayName(participant('{}'))).toBe('Guest');
  });
});

async function screenshot(page: Page, name: string): Promise<Buffer> {
  const png = await page.screenshot();
  writeFileSync(join(OUTPUT, name), png);
  return png;
}

/**
 * The standard deviation of a screenshot's brightness, measured by decoding it in the browser:
 * a blank or single-colour page is near 0.
 */
async function pixelSpread(page: Page, png: Buffer): Promise<{ spread: number; width: number }> {
  return page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context2d = canvas.getContext('2d')!;
    context2d.drawImage(image, 0, 0);
    const { data } = context2d.getImageData(0, 0, canvas.width, canvas.height);
    let sum = 0;
    let squares = 0;
    const pixels = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const luma = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
      sum += luma;
      squares += luma * luma;
    }
    const mean = sum / pixels;
    return { spread: Math.sqrt(squares / pixels - mean * mean), width: image.width };
  }, png.toString('base64'));
}
