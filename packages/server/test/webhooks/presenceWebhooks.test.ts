import { createServer } from 'node:http';
import type { Server } from 'node:http';
import Telnyx from 'telnyx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/testServer.js';
import { apiClient, DIALECTS, startTestServer } from '../support/testServer.js';

// People joining and leaving a room reach the room's webhook URL as signed events, in order,
// which the official telnyx SDK verifies with the public key Palaver publishes.

interface Received {
  rawBody: string;
  headers: Record<string, string>;
}

describe.each(DIALECTS)('room webhooks from live presence on %s', (dialect) => {
  let t: TestServer;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ rawBody: body, headers: request.headers as Record<string, string> });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`;
    t = await startTestServer(dialect, { env: { PALAVER_SESSION_GRACE_SECS: '0' } });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('sends session started, participant joined and left, session ended, verified and in order', async () => {
    const api = apiClient(t.url, t.apiKey);
    const room = (await api('POST', '/v2/rooms', { webhook_event_url: receiverUrl })).body.data;
    const key = (await api('GET', '/v2/webhook_public_key')).body.data.public_key as string;

    const participant = await t.server.presence.join({ roomId: room.id, context: 'Ada' });
    await t.server.presence.leave(participant.id);

    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(4);
    const verifier = new Telnyx({ apiKey: 'unused', publicKey: key });
    const events = await Promise.all(
      received.map(async (r) => {
        const event = (await verifier.webhooks.unwrap(r.rawBody, { headers: r.headers })) as {
          data: { event_type: string; id: string; payload: Record<string, unknown> };
        };
        return event.data;
      }),
    );
    expect(events.map((e) => e.event_type)).toEqual([
      'video.room.session.started',
      'video.room.participant.joined',
      'video.room.participant.left',
      'video.room.session.ended',
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    const sessionId = events[0]?.payload.session_id;
    expect(events[1]?.payload).toMatchObject({
      room_id: room.id,
      session_id: sessionId,
      participant_id: participant.id,
      context: 'Ada',
    });
    const session = (await api('GET', `/v2/room_sessions/${String(sessionId)}`)).body.data;
    expect(session.active).toBe(false);
    expect(events[3]?.payload.ended_at).toBe(session.ended_at);
  });
});
