import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../packages/server/test/support/testServer.js';
import type { BrowserPage, E2eServer } from './support/harness.js';
import { openBrowserPage, startPalaver } from './support/harness.js';
import { startPalaverVideoPageServer } from './support/palaverVideoPage.js';
import type { ClientView } from './support/sdkPage.js';
import { inPage, view } from './support/sdkPage.js';

// Switching camera and microphone during a call: a @palaver/video page with three fake cameras
// moves its published stream to the other camera (at another size) and another microphone; the
// other page keeps seeing and hearing it on the same subscription.

/** Loud enough to be the fake microphone's beep, far above decoded silence. */
const AUDIBLE = 0.01;

interface Devices {
  audioinput: { label: string; id: string }[];
  videoinput: { label: string; id: string }[];
}

type PalaverView = ClientView & {
  videos: Record<string, ClientView['videos'][string] & { starts: number }>;
};

describe('switching devices during a call with @palaver/video', () => {
  let palaver: E2eServer;
  let pages: { url: string; close(): Promise<void> };
  let ana: BrowserPage;
  let ben: BrowserPage;

  beforeAll(async () => {
    [palaver, pages] = await Promise.all([startPalaver(), startPalaverVideoPageServer()]);
    [ana, ben] = await Promise.all([
      openBrowserPage(pages.url, palaver.tlsPort, [
        // Three fake cameras: the second sends depth frames (Y16) that no encoder takes, so the
        // switch goes from the first to the third (MJPEG, like most webcams).
        '--use-fake-device-for-media-stream=device-count=3',
      ]),
      openBrowserPage(pages.url, palaver.tlsPort),
    ]);
  });

  afterAll(async () => {
    await Promise.allSettled([ana?.close(), ben?.close()]);
    await pages?.close();
    await palaver?.close();
  });

  it('keeps the other page seeing and hearing it after a camera and microphone switch', async () => {
    const api = apiClient(palaver.url, palaver.apiKey);
    const roomId = (await api('POST', '/v2/rooms', { unique_name: 'devices' })).body.data.id;
    const server = `https://127.0.0.1:${palaver.tlsPort}`;
    for (const page of [ana, ben]) {
      const token = (
        await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {})
      ).body.data.token;
      await inPage(page, 'connect', { roomId, token, server });
    }
    const devices = await inPage<Devices>(ana, 'devices');
    expect(devices.videoinput.map((device) => device.label)).toEqual([
      'fake_device_0',
      'fake_device_1',
      'fake_device_2',
    ]);
    expect(devices.audioinput.length).toBeGreaterThanOrEqual(2);
    const [firstCamera, , otherCamera] = devices.videoinput;
    const [firstMic, otherMic] = devices.audioinput;
    await inPage(ana, 'publish', {
      videoDeviceId: firstCamera!.id,
      audioDeviceId: firstMic!.id,
      video: { width: 320, height: 240, frameRate: 15 },
    });
    const feed = `${(await view(ana)).localParticipantId}/self`;

    const benReceives = async (width: number): Promise<void> => {
      await inPage(ben, 'resetAudio');
      await expect
        .poll(
          async () => {
            const v = (await view(ben)) as PalaverView;
            return [v.videos[feed]?.width, v.audio.mixedMaxRms > AUDIBLE];
          },
          { timeout: 20_000, interval: 250 },
        )
        .toEqual([width, true]);
      const frames = (await view(ben)).videos[feed]!.frames;
      await expect
        .poll(async () => (await view(ben)).videos[feed]!.frames, { timeout: 5_000 })
        .toBeGreaterThan(frames + 10);
    };
    await benReceives(320);

    const switched = await inPage<{ audio: string; video: string }>(ana, 'switchDevices', {
      videoDeviceId: otherCamera!.id,
      audioDeviceId: otherMic!.id,
      video: { width: 640, height: 480, frameRate: 15 },
    });
    expect(switched).toEqual({ audio: otherMic!.id, video: otherCamera!.id });

    // Ben sees the other camera's size on the subscription he had, and hears the other mic.
    await benReceives(640);
    const [a, b] = [(await view(ana)) as PalaverView, (await view(ben)) as PalaverView];
    expect(b.videos[feed]!.starts).toBe(1);
    expect(b.events.filter((e) => e.name.startsWith('track_')).map((e) => e.name)).toEqual([]);
    expect([a.errors, b.errors]).toEqual([[], []]);
  });
});
