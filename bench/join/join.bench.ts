// Time from connect() to `connected` and to the first remote video frame: the official SDK
// through Palaver's gateway and through a bare pass-through proxy straight to the same Janus,
// and @palaver/video through the gateway, in the same run. Prints all three and their ratios.
//   npm run bench:join  (TRIALS=8 for more rounds)
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  openBrowserPage,
  selfSignedCertificate,
  startPageServer,
  startPalaver,
  type BrowserPage,
} from '../../e2e/support/harness.js';
import { startPalaverVideoPageServer } from '../../e2e/support/palaverVideoPage.js';

interface Snapshot {
  timings: Record<string, number>;
  videos: Record<string, { firstFrameAt?: number }>;
  errors: string[];
}

const TRIALS = Number(process.env.TRIALS ?? 5);

/** What janus-wire.md ran the SDK against: TLS termination and frames passed through unchanged. */
async function startPassThrough(janusUrl: string, dir: string) {
  const { cert, key } = selfSignedCertificate(dir);
  const https = createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) });
  const wss = new WebSocketServer({ server: https, handleProtocols: () => 'janus-protocol' });
  wss.on('connection', (client) => {
    const janus = new WebSocket(janusUrl, 'janus-protocol');
    const pending: string[] = [];
    janus.on('open', () => pending.splice(0).forEach((frame) => janus.send(frame)));
    client.on('message', (data) => {
      const frame = data.toString();
      if (janus.readyState === WebSocket.OPEN) {
        janus.send(frame);
      } else {
        pending.push(frame);
      }
    });
    janus.on('message', (data) => client.send(data.toString()));
    client.on('close', () => janus.close());
    janus.on('close', () => client.close());
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  return {
    port: (https.address() as AddressInfo).port,
    close: () => {
      wss.close();
      return new Promise<void>((resolve) => https.close(() => resolve()));
    },
  };
}

async function trial(
  publisher: BrowserPage,
  joiner: BrowserPage,
  roomId: string,
  token: () => Promise<string>,
  server?: string,
): Promise<{ connectMs: number; firstFrameMs: number }> {
  const call = (page: BrowserPage, method: string, arg?: unknown) =>
    page.page.evaluate(
      ([m, a]) => (globalThis as unknown as Record<string, any>).client[m as string](a),
      [method, arg] as const,
    );
  // Both SDKs' pages subscribe to audio and video, as the official test page does.
  const subscribe = { audio: true, video: true };
  await call(publisher, 'connect', { roomId, token: await token(), context: 'publisher', server });
  await call(publisher, 'publish');
  await call(joiner, 'connect', {
    roomId,
    token: await token(),
    context: 'joiner',
    server,
    subscribe,
  });
  await expect
    .poll(
      async () => {
        const view = (await call(joiner, 'snapshot')) as Snapshot;
        return Object.values(view.videos)[0]?.firstFrameAt;
      },
      { timeout: 20_000, interval: 20 },
    )
    .toBeDefined();
  const view = (await call(joiner, 'snapshot')) as Snapshot;
  const started = view.timings.connectStartedAt ?? NaN;
  const result = {
    connectMs: view.timings.connectMs ?? NaN,
    firstFrameMs: (Object.values(view.videos)[0]?.firstFrameAt ?? NaN) - started,
  };
  await Promise.all([call(publisher, 'disconnect'), call(joiner, 'disconnect')]);
  return result;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

it('measures joining through the gateway and straight to Janus, on both SDKs', async () => {
  const palaver = await startPalaver();
  const pages = await startPageServer();
  const ourPages = await startPalaverVideoPageServer();
  const media = palaver.server.media!;
  const proxy = await startPassThrough(media.supervisor.url, palaver.server.config.dataDir);
  const auth = { authorization: `Bearer ${palaver.apiKey}`, 'content-type': 'application/json' };
  const opened: BrowserPage[] = [];
  try {
    const open = async (port: number, url = pages.url) => {
      const page = await openBrowserPage(url, port);
      opened.push(page);
      return page;
    };
    const [gwPublisher, gwJoiner, directPublisher, directJoiner, ourPublisher, ourJoiner] =
      await Promise.all([
        open(palaver.tlsPort),
        open(palaver.tlsPort),
        open(proxy.port),
        open(proxy.port),
        open(palaver.tlsPort, ourPages.url),
        open(palaver.tlsPort, ourPages.url),
      ]);
    const server = `https://127.0.0.1:${palaver.tlsPort}`;

    const results = {
      gateway: [] as { connectMs: number; firstFrameMs: number }[],
      direct: [] as { connectMs: number; firstFrameMs: number }[],
      palaverVideo: [] as { connectMs: number; firstFrameMs: number }[],
    };
    // Through the gateway: a room and tokens from the REST API.
    const newRoom = async () => {
      const room = (await (
        await fetch(`${palaver.url}/v2/rooms`, { method: 'POST', headers: auth, body: '{}' })
      ).json()) as { data: { id: string } };
      const mint = async () =>
        (
          (await (
            await fetch(
              `${palaver.url}/v2/rooms/${room.data.id}/actions/generate_join_client_token`,
              { method: 'POST', headers: auth, body: '{}' },
            )
          ).json()) as { data: { token: string } }
        ).data.token;
      return { id: room.data.id, mint };
    };
    for (let i = 0; i < TRIALS; i++) {
      const official = await newRoom();
      results.gateway.push(await trial(gwPublisher, gwJoiner, official.id, official.mint));

      // @palaver/video, through the gateway too, in a room of its own.
      const ours = await newRoom();
      results.palaverVideo.push(await trial(ourPublisher, ourJoiner, ours.id, ours.mint, server));

      // Straight to Janus: the same rooms made by hand, and no token checks at all.
      const bare = randomUUID();
      await media.rooms.ensureRoom(bare, { maxParticipants: 10 });
      results.direct.push(await trial(directPublisher, directJoiner, bare, async () => 'unused'));
      await media.rooms.destroyRoom(bare);
    }

    const row = (name: string, list: { connectMs: number; firstFrameMs: number }[]) => ({
      name,
      connectMs: median(list.map((r) => r.connectMs)),
      firstFrameMs: median(list.map((r) => r.firstFrameMs)),
    });
    const gateway = row('gateway', results.gateway);
    const direct = row('direct', results.direct);
    const ours = row('palaverVideo', results.palaverVideo);
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    process.stdout.write(
      `\njoin benchmark in Chromium, ${TRIALS} trials per path (medians), ${cpus().length} cores, Node ${process.version}\n` +
        `@telnyx/video 1.0.2, through Palaver's gateway  connect→connected ${gateway.connectMs} ms   connect→first remote frame ${gateway.firstFrameMs} ms\n` +
        `@telnyx/video 1.0.2, straight to Janus          connect→connected ${direct.connectMs} ms   connect→first remote frame ${direct.firstFrameMs} ms\n` +
        `@palaver/video, through Palaver's gateway       connect→connected ${ours.connectMs} ms   connect→first remote frame ${ours.firstFrameMs} ms\n` +
        `ratio gateway/direct (official SDK)             connected ${ratio(gateway.connectMs, direct.connectMs)}   first frame ${ratio(gateway.firstFrameMs, direct.firstFrameMs)}\n` +
        `ratio @palaver/video / @telnyx/video (gateway)  connected ${ratio(ours.connectMs, gateway.connectMs)}   first frame ${ratio(ours.firstFrameMs, gateway.firstFrameMs)}\n` +
        `all trials: ${JSON.stringify(results)}\n`,
    );
  } finally {
    await Promise.all(opened.map((page) => page.close()));
    await proxy.close();
    await pages.close();
    await ourPages.close();
    await palaver.close();
  }
});
