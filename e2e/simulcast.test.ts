import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../packages/server/test/support/testServer.js';
import type { BrowserPage, E2eServer } from './support/harness.js';
import { openBrowserPage, startPalaver } from './support/harness.js';
import { startPalaverVideoPageServer } from './support/palaverVideoPage.js';
import { inPage, view } from './support/sdkPage.js';

// A @palaver/video page publishes a 1280×720 camera with simulcast on (Chromium's fake camera
// plays a clip ffmpeg makes for the test, large enough for three layers); another page picks
// each layer in turn and receives it at that layer's size.

const SIZES = { high: 1280, medium: 640, low: 320 } as const;

describe('simulcast with @palaver/video', () => {
  let palaver: E2eServer;
  let pages: { url: string; close(): Promise<void> };
  let publisher: BrowserPage;
  let viewer: BrowserPage;
  let clipDir: string;
  let feed: string;

  beforeAll(async () => {
    clipDir = mkdtempSync(join(tmpdir(), 'palaver-simulcast-'));
    const clip = join(clipDir, 'camera.y4m');
    // Chromium's fake camera loops the clip; two seconds keep the file small (≈40 MB).
    execFileSync('ffmpeg', [
      ...['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=15'],
      ...['-t', '2', '-pix_fmt', 'yuv420p', clip],
    ]);
    [palaver, pages] = await Promise.all([startPalaver(), startPalaverVideoPageServer()]);
    [publisher, viewer] = await Promise.all([
      openBrowserPage(pages.url, palaver.tlsPort, [`--use-file-for-fake-video-capture=${clip}`]),
      openBrowserPage(pages.url, palaver.tlsPort),
    ]);
  });

  afterAll(async () => {
    await Promise.allSettled([publisher?.close(), viewer?.close()]);
    await pages?.close();
    await palaver?.close();
    if (clipDir !== undefined) {
      rmSync(clipDir, { recursive: true, force: true });
    }
  });

  it('publishes three layers, and the subscriber receives the one it picks', async () => {
    const api = apiClient(palaver.url, palaver.apiKey);
    const roomId = (await api('POST', '/v2/rooms', { unique_name: 'simulcast' })).body.data.id;
    const token = async (): Promise<string> =>
      (await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {})).body.data
        .token;
    const server = `https://127.0.0.1:${palaver.tlsPort}`;
    await inPage(publisher, 'connect', { roomId, token: await token(), server });
    await inPage(publisher, 'publish', {
      simulcast: true,
      video: { width: 1280, height: 720, frameRate: 15 },
    });
    const publisherId = (await view(publisher)).localParticipantId;
    feed = `${publisherId}/self`;
    await inPage(viewer, 'connect', {
      roomId,
      token: await token(),
      server,
      subscribe: { audio: false, video: true, layer: 'low' },
    });

    // The layer asked for when subscribing, then each layer in turn: the picture arrives at that
    // layer's width and keeps moving.
    await receives('low');
    for (const layer of ['high', 'medium', 'low'] as const) {
      await inPage(viewer, 'setLayer', { participantId: publisherId, key: 'self', layer });
      await receives(layer);
    }
    const v = await view(viewer);
    expect(v.errors).toEqual([]);
    expect(v.videos[feed]!.luma).toBeGreaterThan(0);
  });

  async function receives(layer: keyof typeof SIZES): Promise<void> {
    await expect
      .poll(async () => (await view(viewer)).videos[feed]?.width, {
        timeout: 20_000,
        interval: 250,
      })
      .toBe(SIZES[layer]);
    const frames = (await view(viewer)).videos[feed]!.frames;
    await expect
      .poll(async () => (await view(viewer)).videos[feed]!.frames, { timeout: 5_000 })
      .toBeGreaterThan(frames + 5);
  }
});
