import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../packages/server/test/support/testServer.js';
import type { BrowserPage, E2eServer } from './support/harness.js';
import { openBrowserPage, startPalaver } from './support/harness.js';
import { startPalaverVideoPageServer } from './support/palaverVideoPage.js';
import type { ClientView } from './support/sdkPage.js';
import { eventsNamed, inPage, view } from './support/sdkPage.js';
import { TcpRelay } from './support/TcpRelay.js';

// Two Chromium pages on @palaver/video reach Palaver's gateway through a TCP relay that the test
// cuts the way a network drop does (nothing gets through, not even a FIN). Each page must say it
// is reconnecting, come back under the same participant id, and see and hear the other again.

/** Loud enough to be the fake microphone's beep, far above decoded silence. */
const AUDIBLE = 0.01;

type PalaverView = ClientView & {
  videos: Record<string, ClientView['videos'][string] & { starts: number }>;
};

const NAMES = ['ana', 'ben'] as const;

describe('@palaver/video through a network that drops', () => {
  let palaver: E2eServer;
  let pages: { url: string; close(): Promise<void> };
  let relay: TcpRelay;
  let browsers: BrowserPage[];
  const ids: string[] = [];

  beforeAll(async () => {
    [palaver, pages] = await Promise.all([startPalaver(), startPalaverVideoPageServer()]);
    relay = await TcpRelay.start(palaver.tlsPort);
    browsers = await Promise.all(NAMES.map(() => openBrowserPage(pages.url, palaver.tlsPort)));
  });

  afterAll(async () => {
    await Promise.allSettled((browsers ?? []).map((page) => page.close()));
    await relay?.close();
    await pages?.close();
    await palaver?.close();
  });

  it('joins two pages through the relay: they see and hear each other', async () => {
    const api = apiClient(palaver.url, palaver.apiKey);
    const roomId = (await api('POST', '/v2/rooms', { unique_name: 'network-drop' })).body.data.id;
    for (const [index, page] of browsers.entries()) {
      const token = (
        await api('POST', `/v2/rooms/${roomId}/actions/generate_join_client_token`, {})
      ).body.data.token;
      await inPage(page, 'connect', {
        roomId,
        token,
        context: JSON.stringify({ name: NAMES[index] }),
        server: `https://127.0.0.1:${relay.port}`,
      });
      await inPage(page, 'publish');
      ids.push((await view(page)).localParticipantId);
    }
    await expect.poll(() => mediaFlows(0), { timeout: 30_000, interval: 500 }).toBe(true);
    expect(relay.connections).toBe(2);
  });

  const views = (): Promise<PalaverView[]> =>
    Promise.all(browsers.map((page) => view(page) as Promise<PalaverView>));

  /**
   * Whether every page sees the other's camera moving on a subscription started more than
   * `startsBefore` times, and hears the room.
   */
  async function mediaFlows(startsBefore: number): Promise<boolean> {
    const all = await views();
    return all.every((v, index) => {
      const other = v.videos[`${ids[1 - index]}/self`];
      return (
        (other?.starts ?? 0) > startsBefore &&
        (other?.frames ?? 0) >= 20 &&
        v.audio.mixedMaxRms > AUDIBLE
      );
    });
  }

  /** Drops the network with `drop`, and checks that every page comes back and media flows. */
  async function survives(drop: () => Promise<void>): Promise<void> {
    const before = await views();
    const startsBefore = Math.max(
      ...before.map((v, index) => v.videos[`${ids[1 - index]}/self`]?.starts ?? 0),
    );
    const reconnectedBefore = before.map((v) => eventsNamed(v, 'reconnected').length);
    await drop();
    await Promise.all(browsers.map((page) => inPage(page, 'resetAudio')));
    await expect
      .poll(async () => (await views()).map((v) => eventsNamed(v, 'reconnected').length), {
        timeout: 30_000,
      })
      .toEqual(reconnectedBefore.map((count) => count + 1));
    await expect
      .poll(() => mediaFlows(startsBefore), { timeout: 30_000, interval: 500 })
      .toBe(true);
    for (const [index, v] of (await views()).entries()) {
      expect(v.status).toBe('connected');
      expect(v.localParticipantId).toBe(ids[index]);
      expect(eventsNamed(v, 'disconnected')).toEqual([]);
      expect(v.errors).toEqual([]);
    }
  }

  it('reconnects when the network comes back after a few seconds from a router that reset every connection', async () => {
    await survives(async () => {
      relay.cut();
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      // Nothing noticed yet: keepalives go unanswered for less than their timeout.
      expect((await views()).map((v) => v.status)).toEqual(['connected', 'connected']);
      relay.restore({ resetOpenConnections: true });
      // The page tells its user at once.
      await expect
        .poll(async () => (await views()).map((v) => eventsNamed(v, 'reconnecting').at(-1)))
        .toEqual([
          [1, 'network_error'],
          [1, 'network_error'],
        ]);
    });
  });

  it('notices by itself that a silent network is gone, and reconnects once it is back', async () => {
    const reconnectingBefore = (await views()).map((v) => eventsNamed(v, 'reconnecting').length);
    await survives(async () => {
      relay.cut();
      // Unanswered keepalives tell the SDK that the connection is lost (5 s apart, 15 s limit).
      await expect
        .poll(
          async () =>
            (await views()).every(
              (v, index) => eventsNamed(v, 'reconnecting').length > reconnectingBefore[index]!,
            ),
          { timeout: 25_000, interval: 500 },
        )
        .toBe(true);
      expect((await views()).map((v) => v.status)).toEqual(['connecting', 'connecting']);
      relay.restore();
    });
  });
});
