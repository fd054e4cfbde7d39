import { verify } from 'node:crypto';
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Telnyx from 'telnyx';
import { afterEach, describe, expect, it } from 'vitest';
import { webhookRoutes } from '../../src/api/routes/webhooks.js';
import { InvalidStateError, NotFoundError, ValidationError } from '../../src/errors.js';
import { WebhookRepository } from '../../src/store/WebhookRepository.js';
import { publicKeyFromRawBase64 } from '../../src/webhooks/signature.js';
import type { WebhookDelivered } from '../../src/webhooks/WebhookDispatcher.js';
import { WebhookSigningKey } from '../../src/webhooks/WebhookSigningKey.js';
import { DIALECTS, openTestStore } from '../support/testServer.js';
import {
  enqueueSession,
  eventRows,
  fastDispatcher,
  idsOf,
  insertRoom,
  range,
  sequencesOf,
} from './support.js';
import { WebhookReceiver } from './WebhookReceiver.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

async function setup(dialect: (typeof DIALECTS)[number]) {
  const opened = await openTestStore(dialect);
  cleanups.push(() => opened.close());
  const signingKey = await WebhookSigningKey.load(opened.store);
  const receiver = await WebhookReceiver.start(signingKey.publicKey);
  cleanups.push(() => receiver.down());
  return { store: opened.store, signingKey, receiver };
}

describe.each(DIALECTS)('room webhooks on %s', (dialect) => {
  it('delivers signed events that the official telnyx SDK verifies, in order, once each', async () => {
    const { store, signingKey, receiver } = await setup(dialect);
    const roomA = await insertRoom(store, { url: receiver.url('/a') });
    const roomB = await insertRoom(store, { url: receiver.url('/b') });
    const dispatcher = fastDispatcher(store, signingKey);
    cleanups.push(() => dispatcher.close());
    const delivered: WebhookDelivered[] = [];
    dispatcher.on('delivered', (d) => delivered.push(d));
    dispatcher.start();

    const [idsA, idsB] = await Promise.all([
      enqueueSession(dispatcher, roomA, 3),
      enqueueSession(dispatcher, roomB, 2),
    ]);
    const total = idsA.length + idsB.length;
    await receiver.waitFor(() => receiver.received.length >= total);
    // Give a duplicate, if there were one, the chance to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(receiver.received.map((r) => r.verifyError)).toEqual(Array(total).fill(undefined));
    expect(receiver.received).toHaveLength(total);
    expect(new Set(idsOf(receiver.received))).toEqual(new Set([...idsA, ...idsB]));
    expect(sequencesOf(receiver.received, roomA)).toEqual(range(1, idsA.length));
    expect(sequencesOf(receiver.received, roomB)).toEqual(range(1, idsB.length));
    expect(receiver.received.filter((r) => r.path === '/a').map((r) => r.event.data.id)).toEqual(
      idsA,
    );

    const first = receiver.received.find((r) => r.event.data.id === idsA[0]);
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.headers['user-agent']).toMatch(/^Palaver/);
    expect(first?.headers['telnyx-timestamp']).toMatch(/^\d+$/);
    expect(first?.event).toMatchObject({
      data: {
        record_type: 'event',
        event_type: 'video.room.session.started',
        id: idsA[0],
        payload: { room_id: roomA, sequence: 1 },
      },
    });
    expect(
      receiver.received.filter((r) => r.path === '/a').map((r) => r.event.data.event_type),
    ).toEqual([
      'video.room.session.started',
      ...Array(3).fill('video.room.participant.joined'),
      ...Array(3).fill('video.room.participant.left'),
      'video.room.session.ended',
    ]);
    const joined = receiver.received.find(
      (r) => r.path === '/a' && r.event.data.event_type === 'video.room.participant.joined',
    );
    expect(Object.keys(joined?.event.data.payload ?? {}).sort()).toEqual(
      ['context', 'joined_at', 'participant_id', 'room_id', 'sequence', 'session_id'].sort(),
    );

    // By hand with node:crypto, as docs/webhooks.md shows.
    expect(
      verify(
        null,
        Buffer.from(`${first?.headers['telnyx-timestamp']}|${first?.body}`),
        publicKeyFromRawBase64(signingKey.publicKey),
        Buffer.from(first?.headers['telnyx-signature-ed25519'] ?? '', 'base64'),
      ),
    ).toBe(true);
    // And the SDK refuses a tampered body.
    const sdk = new Telnyx({ apiKey: 'unused', publicKey: signingKey.publicKey });
    await expect(
      sdk.webhooks.unwrap(first?.body.replace('started', 'ended') ?? '', {
        headers: first?.headers ?? {},
      }),
    ).rejects.toThrow(/signature/i);

    expect(delivered).toHaveLength(total);
    expect(delivered.every((d) => d.attempt === 1 && d.status === 200 && !d.failover)).toBe(true);
    const rows = await eventRows(store, roomA);
    expect(rows.map((r) => [r.status, r.attempts, r.delivered_url])).toEqual(
      Array(idsA.length).fill(['delivered', 1, receiver.url('/a')]),
    );
    expect(rows.every((r) => r.delivered_at !== null && r.last_error === null)).toBe(true);
  });

  it('stores nothing for rooms without a webhook URL and refuses unknown rooms', async () => {
    const { store, signingKey } = await setup(dialect);
    const dispatcher = fastDispatcher(store, signingKey);
    cleanups.push(() => dispatcher.close());
    const quiet = await insertRoom(store, { url: null });
    const payload = { room_id: quiet, session_id: 's', started_at: new Date().toISOString() };
    await expect(dispatcher.enqueue('video.room.session.started', payload)).resolves.toBe(
      undefined,
    );
    expect(await eventRows(store, quiet)).toEqual([]);
    await expect(
      dispatcher.enqueue('video.room.session.started', { ...payload, room_id: 'nope' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      dispatcher.enqueue('video.room.deleted' as 'video.room.session.started', payload),
    ).rejects.toBeInstanceOf(ValidationError);
    await dispatcher.close();
    await dispatcher.close();
    await expect(dispatcher.enqueue('video.room.session.started', payload)).rejects.toBeInstanceOf(
      InvalidStateError,
    );
  });

  it("writes events within the caller's transaction: kept on commit, gone on rollback", async () => {
    const { store, signingKey, receiver } = await setup(dialect);
    const room = await insertRoom(store, { url: receiver.url() });
    const dispatcher = fastDispatcher(store, signingKey);
    cleanups.push(() => dispatcher.close());
    dispatcher.start();
    const payload = { room_id: room, session_id: 's', started_at: new Date().toISOString() };

    await expect(
      store.db.transaction().execute(async (trx) => {
        await dispatcher.enqueue('video.room.session.started', payload, { db: trx });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await eventRows(store, room)).toEqual([]);

    const enqueued = await store.db
      .transaction()
      .execute((trx) => dispatcher.enqueue('video.room.session.started', payload, { db: trx }));
    dispatcher.wake();
    await receiver.waitFor(() => receiver.accepted.length === 1);
    expect(receiver.accepted[0]?.event.data.id).toBe(enqueued?.id);
    // The rolled-back event used no number.
    expect(receiver.accepted[0]?.event.data.payload.sequence).toBe(1);
  });

  it('keeps delivering when listeners throw', async () => {
    const { store, signingKey, receiver } = await setup(dialect);
    const room = await insertRoom(store, { url: receiver.url() });
    const listenerErrors: string[] = [];
    const dispatcher = fastDispatcher(store, signingKey, {
      logger: {
        error: (o: { event: string }) => listenerErrors.push(o.event),
        warn: () => undefined,
        info: () => undefined,
        debug: () => undefined,
      } as never,
    });
    cleanups.push(() => dispatcher.close());
    let calls = 0;
    dispatcher.on('delivered', () => {
      calls++;
      throw new Error('listener bug');
    });
    dispatcher.start();
    const ids = await enqueueSession(dispatcher, room, 1);
    await receiver.waitFor(() => receiver.accepted.length === ids.length);
    await expect.poll(() => calls).toBe(ids.length);
    expect(listenerErrors).toEqual(Array(ids.length).fill('delivered'));
    expect(await new WebhookRepository(store.db).countPending()).toBe(0);
  });

  it('gives up on an event whose room lost its webhook URL and moves on', async () => {
    const { store, signingKey, receiver } = await setup(dialect);
    const room = await insertRoom(store, { url: receiver.url() });
    const dispatcher = fastDispatcher(store, signingKey);
    cleanups.push(() => dispatcher.close());
    const gaveUp: string[] = [];
    dispatcher.on('gaveUp', (f) => gaveUp.push(f.error));
    const payload = { room_id: room, session_id: 's', started_at: new Date().toISOString() };
    await dispatcher.enqueue('video.room.session.started', payload);
    await store.rooms.update(room, { webhook_event_url: null });
    dispatcher.start();
    await expect.poll(() => gaveUp).toEqual(['the room has no webhook_event_url any more']);
    const [row] = await eventRows(store, room);
    expect(row?.status).toBe('gave_up');
    expect(receiver.received).toEqual([]);
  });

  it('keeps one signing key across restarts and publishes it on /v2/webhook_public_key', async () => {
    const { store, signingKey } = await setup(dialect);
    const again = await WebhookSigningKey.load(store);
    expect(again.publicKey).toBe(signingKey.publicKey);
    expect(Buffer.from(signingKey.publicKey, 'base64')).toHaveLength(32);

    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
    cleanups.push(() => app.close());
    await app.register(webhookRoutes, { deps: { webhookSigningKey: signingKey }, prefix: '/v2' });
    const response = await app.inject({ method: 'GET', url: '/v2/webhook_public_key' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      data: {
        record_type: 'webhook_public_key',
        public_key: signingKey.publicKey,
        algorithm: 'Ed25519',
      },
    });
  });
});

/** Two stores opened on one database see the same key, even when both start at once. */
describe.each(DIALECTS)('webhook signing key on %s', (dialect) => {
  it('is generated once when several nodes start together', async () => {
    const { store } = await openTestStore(dialect).then((o) => {
      cleanups.push(() => o.close());
      return o;
    });
    const keys = await Promise.all(range(1, 5).map(() => WebhookSigningKey.load(store)));
    expect(new Set(keys.map((k) => k.publicKey)).size).toBe(1);
  });
});
