import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/Store.js';
import { NO_LEASE, WebhookRepository } from '../../src/store/WebhookRepository.js';
import type { WebhookDelivered } from '../../src/webhooks/WebhookDispatcher.js';
import { WebhookSigningKey } from '../../src/webhooks/WebhookSigningKey.js';
import type { Dialect } from '../support/testServer.js';
import { DIALECTS, freshDatabase } from '../support/testServer.js';
import {
  countPending,
  enqueueSession,
  enqueueStarted,
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

/** A database that can be opened several times, like restarts or several nodes. */
async function database(dialect: Dialect) {
  const db = await freshDatabase(dialect);
  cleanups.push(() => db.cleanup());
  return async () => {
    const store = await Store.open({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
    cleanups.push(() => store.close());
    return store;
  };
}

async function receiverFor(store: Store) {
  const signingKey = await WebhookSigningKey.load(store);
  const receiver = await WebhookReceiver.start(signingKey.publicKey);
  cleanups.push(() => receiver.down());
  return { signingKey, receiver };
}

describe.each(DIALECTS)('room webhooks across restarts on %s', (dialect) => {
  it('delivers events left pending by a stopped process after the restart', async () => {
    const open = await database(dialect);
    const first = await open();
    const { signingKey, receiver } = await receiverFor(first);
    const room = await insertRoom(first, { url: receiver.url() });
    const other = await insertRoom(first, { url: receiver.url('/other') });
    await receiver.down();

    const before = fastDispatcher(first, signingKey);
    let failures = 0;
    before.on('failed', () => failures++);
    before.start();
    const ids = await enqueueSession(before, room, 2);
    await expect.poll(() => failures).toBeGreaterThanOrEqual(2);
    // Enqueued by a process whose worker never ran.
    const idle = fastDispatcher(first, signingKey);
    const otherIds = await enqueueSession(idle, other, 1);
    await idle.close();
    await before.close();
    await first.close();

    const second = await open();
    const reloaded = await WebhookSigningKey.load(second);
    expect(reloaded.publicKey).toBe(signingKey.publicKey);
    await receiver.up();
    const after = fastDispatcher(second, reloaded);
    cleanups.push(() => after.close());
    after.start();
    await receiver.waitFor(() => receiver.accepted.length >= ids.length + otherIds.length);
    await expect.poll(() => countPending(second)).toBe(0);

    expect(receiver.received.every((r) => r.verifyError === undefined)).toBe(true);
    expect(idsOf(receiver.accepted.filter((r) => r.path === '/hook'))).toEqual(ids);
    expect(idsOf(receiver.accepted.filter((r) => r.path === '/other'))).toEqual(otherIds);
    const rows = await eventRows(second, room);
    expect(rows[0]?.attempts).toBeGreaterThanOrEqual(2);
  });

  it('close() waits for a delivery in flight', async () => {
    const open = await database(dialect);
    const store = await open();
    const { signingKey, receiver } = await receiverFor(store);
    const room = await insertRoom(store, { url: receiver.url() });
    receiver.delayMs = 300;
    const dispatcher = fastDispatcher(store, signingKey);
    const delivered: WebhookDelivered[] = [];
    dispatcher.on('delivered', (d) => delivered.push(d));
    dispatcher.start();
    const id = await enqueueStarted(dispatcher, room);
    await expect.poll(() => receiver.arrived).toBe(1);
    await dispatcher.close();
    expect(delivered.map((d) => d.id)).toEqual([id]);
    const [row] = await eventRows(store, room);
    expect(row?.status).toBe('delivered');
  });

  it('close() gives up waiting after its bound, and the event is sent again later', async () => {
    const open = await database(dialect);
    const store = await open();
    const { signingKey, receiver } = await receiverFor(store);
    const room = await insertRoom(store, { url: receiver.url(), timeoutSecs: 20 });
    receiver.answer = () => 'hang';
    const dispatcher = fastDispatcher(store, signingKey, { closeTimeoutMs: 300 });
    dispatcher.start();
    const id = await enqueueStarted(dispatcher, room);
    await receiver.waitFor(() => receiver.received.length === 1);
    const started = performance.now();
    await dispatcher.close();
    expect(performance.now() - started).toBeLessThan(2000);
    const [row] = await eventRows(store, room);
    // Not the receiver's fault: no attempt counted, lease given back for the next process.
    expect(row).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await new WebhookRepository(store.db).findQueue(room)).toMatchObject({
      pending: 1,
      lease_owner: null,
      lease_until: NO_LEASE,
    });

    receiver.answer = () => 200;
    const next = fastDispatcher(store, signingKey);
    cleanups.push(() => next.close());
    next.start();
    await receiver.waitFor(() => receiver.accepted.length === 1);
    expect(receiver.accepted[0]?.event.data.id).toBe(id);
  });
});

describe.each(DIALECTS)('several dispatchers on one %s database', (dialect) => {
  it('deliver each event exactly once, in order per room', async () => {
    const open = await database(dialect);
    const storeA = await open();
    // Two processes on PostgreSQL; on SQLite, two dispatchers sharing the file's connection.
    const storeB = dialect === 'postgres' ? await open() : storeA;
    const { signingKey, receiver } = await receiverFor(storeA);
    receiver.delayMs = 10;
    const rooms = await Promise.all(
      range(1, 6).map(() => insertRoom(storeA, { url: receiver.url() })),
    );
    const a = fastDispatcher(storeA, signingKey, { concurrency: 1, nodeId: 'a' });
    const b = fastDispatcher(storeB, signingKey, { concurrency: 1, nodeId: 'b' });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const deliveredBy = { a: 0, b: 0 };
    a.on('delivered', () => deliveredBy.a++);
    b.on('delivered', () => deliveredBy.b++);
    a.start();
    b.start();

    const ids = (
      await Promise.all(rooms.map((room, i) => enqueueSession(i % 2 === 0 ? a : b, room, 3)))
    ).flat();
    await receiver.waitFor(() => receiver.received.length >= ids.length, 15_000);
    await expect.poll(() => countPending(storeA)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(receiver.received).toHaveLength(ids.length);
    expect(new Set(idsOf(receiver.received)).size).toBe(ids.length);
    for (const room of rooms) {
      expect(sequencesOf(receiver.received, room)).toEqual(range(1, 8));
    }
    expect(deliveredBy.a + deliveredBy.b).toBe(ids.length);
    expect(deliveredBy.a).toBeGreaterThan(0);
    expect(deliveredBy.b).toBeGreaterThan(0);
  });

  it('let exactly one of several racing claims take a room', async () => {
    const open = await database(dialect);
    const stores =
      dialect === 'postgres' ? await Promise.all(range(1, 4).map(() => open())) : [await open()];
    const store = stores[0] as Store;
    const room = await insertRoom(store, { url: 'http://127.0.0.1:9/never' });
    const dispatcher = fastDispatcher(store, WebhookSigningKey.ephemeral());
    cleanups.push(() => dispatcher.close());
    const repository = new WebhookRepository(store.db);
    for (let round = 1; round <= 5; round++) {
      const id = await enqueueStarted(dispatcher, room);
      const now = new Date().toISOString();
      expect((await repository.listDueRooms(now, 10)).map((r) => r.room_id)).toEqual([room]);
      const later = new Date(Date.now() + 60_000).toISOString();
      const claims = await Promise.all(
        range(0, 7).map((i) =>
          new WebhookRepository((stores[i % stores.length] as Store).db).claimRoom(
            room,
            `node-${i}`,
            now,
            later,
          ),
        ),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      // Leased: not due for anyone else.
      expect(await repository.listDueRooms(now, 10)).toEqual([]);
      const head = await repository.headEvent(room);
      expect(head).toMatchObject({ id, sequence: round });
      await repository.markDelivered(head ?? { id: '', room_id: room }, 1, now, 'x');
      const owner = `node-${claims.indexOf(true)}`;
      await repository.releaseRoom(room, owner, now);
      expect(await repository.findQueue(room)).toMatchObject({
        last_sequence: round,
        pending: 0,
        lease_owner: null,
      });
    }
  });
});
