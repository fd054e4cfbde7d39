import { afterEach, describe, expect, it } from 'vitest';
import type {
  WebhookAttemptFailed,
  WebhookDelivered,
} from '../../src/webhooks/WebhookDispatcher.js';
import { WebhookSigningKey } from '../../src/webhooks/WebhookSigningKey.js';
import { DIALECTS, openTestStore } from '../support/testServer.js';
import {
  countPending,
  enqueueSession,
  enqueueStarted,
  eventRows,
  fastDispatcher,
  idsOf,
  insertRoom,
  isNonDecreasing,
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

async function setup(dialect: (typeof DIALECTS)[number], receivers = 1) {
  const opened = await openTestStore(dialect);
  cleanups.push(() => opened.close());
  const signingKey = await WebhookSigningKey.load(opened.store);
  const started: WebhookReceiver[] = [];
  for (let i = 0; i < receivers; i++) {
    const receiver = await WebhookReceiver.start(signingKey.publicKey);
    cleanups.push(() => receiver.down());
    started.push(receiver);
  }
  return { store: opened.store, signingKey, receivers: started };
}

describe.each(DIALECTS)('room webhooks through outages on %s', (dialect) => {
  it('delivers every event in order once the receiver is back from refusing, failing and hanging', async () => {
    const {
      store,
      signingKey,
      receivers: [receiver],
    } = await setup(dialect);
    if (receiver === undefined) {
      throw new Error('no receiver');
    }
    const roomA = await insertRoom(store, { url: receiver.url('/a'), timeoutSecs: 1 });
    const roomB = await insertRoom(store, { url: receiver.url('/b'), timeoutSecs: 1 });
    const dispatcher = fastDispatcher(store, signingKey);
    cleanups.push(() => dispatcher.close());
    const failures: WebhookAttemptFailed[] = [];
    const delivered: WebhookDelivered[] = [];
    dispatcher.on('failed', (f) => failures.push(f));
    dispatcher.on('delivered', (d) => delivered.push(d));

    await receiver.down();
    dispatcher.start();
    const idsA = await enqueueSession(dispatcher, roomA, 2);
    const idsB = await enqueueSession(dispatcher, roomB, 1);

    // 1. Connection refused.
    await expect
      .poll(() => failures.filter((f) => f.error.includes('ECONNREFUSED')).length, {
        timeout: 5000,
      })
      .toBeGreaterThanOrEqual(4);
    // 2. Up, but answering 500.
    receiver.answer = () => 500;
    await receiver.up();
    await receiver.waitFor(() => receiver.received.filter((r) => r.answer === 500).length >= 4);
    // 3. Accepting connections but answering later than webhook_timeout_secs.
    receiver.answer = () => 'hang';
    await expect
      .poll(() => failures.filter((f) => f.error.includes('no answer within 1000 ms')).length, {
        timeout: 5000,
      })
      .toBeGreaterThanOrEqual(1);
    // 4. Healthy again.
    receiver.answer = () => 200;
    const all = [...idsA, ...idsB];
    await receiver.waitFor(() => receiver.accepted.length >= all.length, 10_000, 'all events');
    await expect.poll(() => countPending(store)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(receiver.received.every((r) => r.verifyError === undefined)).toBe(true);
    expect(idsOf(receiver.accepted).sort()).toEqual([...all].sort());
    expect(sequencesOf(receiver.accepted, roomA)).toEqual(range(1, idsA.length));
    expect(sequencesOf(receiver.accepted, roomB)).toEqual(range(1, idsB.length));
    // Not even a failed attempt of a later event went out before an earlier one was delivered.
    expect(isNonDecreasing(sequencesOf(receiver.received, roomA))).toBe(true);
    expect(isNonDecreasing(sequencesOf(receiver.received, roomB))).toBe(true);
    expect(failures.some((f) => /primary: .*HTTP 500/.test(f.error))).toBe(true);

    const rows = await eventRows(store, roomA);
    expect(rows.every((r) => r.status === 'delivered')).toBe(true);
    expect(rows[0]?.attempts).toBeGreaterThan(3);
    expect(rows[0]?.last_error).toMatch(/ECONNREFUSED|HTTP 500|no answer/);
    expect(delivered.find((d) => d.id === idsA[0])?.attempt).toBe(rows[0]?.attempts);
  });

  it('sends to the failover URL right after the primary fails, then back to the primary', async () => {
    const {
      store,
      signingKey,
      receivers: [primary, failover],
    } = await setup(dialect, 2);
    if (primary === undefined || failover === undefined) {
      throw new Error('no receivers');
    }
    const room = await insertRoom(store, {
      url: primary.url(),
      failoverUrl: failover.url('/failover'),
      timeoutSecs: 1,
    });
    const dispatcher = fastDispatcher(store, signingKey);
    cleanups.push(() => dispatcher.close());
    const delivered: WebhookDelivered[] = [];
    dispatcher.on('delivered', (d) => delivered.push(d));
    dispatcher.start();

    // Primary answers 500: every event goes to the failover within its first attempt.
    primary.answer = () => 500;
    const ids = await enqueueSession(dispatcher, room, 1);
    await failover.waitFor(() => failover.accepted.length >= ids.length);
    await expect.poll(() => delivered.length).toBe(ids.length);
    expect(idsOf(primary.received)).toEqual(ids);
    expect(idsOf(failover.accepted)).toEqual(ids);
    expect(delivered.map((d) => [d.attempt, d.failover, d.url])).toEqual(
      Array(ids.length).fill([1, true, failover.url('/failover')]),
    );
    const rows = await eventRows(store, room);
    expect(rows.map((r) => r.delivered_url)).toEqual(
      Array(ids.length).fill(failover.url('/failover')),
    );

    // Primary healthy: the failover hears nothing more.
    primary.answer = () => 200;
    const next = await enqueueStarted(dispatcher, room);
    await primary.waitFor(() => primary.accepted.length === 1);
    await expect.poll(() => delivered.length).toBe(ids.length + 1);
    expect(primary.accepted[0]?.event.data.id).toBe(next);
    expect(failover.received).toHaveLength(ids.length);

    // Both failing: each attempt tries the primary, then the failover; later the primary takes it.
    await primary.down();
    failover.answer = () => 503;
    const late = await enqueueStarted(dispatcher, room);
    await failover.waitFor(() => failover.received.filter((r) => r.answer === 503).length >= 2);
    primary.answer = () => 200;
    await primary.up();
    await primary.waitFor(() => primary.accepted.some((r) => r.event.data.id === late));
    await expect.poll(() => delivered.some((d) => d.id === late)).toBe(true);
    const final = delivered.find((d) => d.id === late);
    expect(final?.failover).toBe(false);
    expect(final?.attempt).toBeGreaterThanOrEqual(3);
  });

  it('gives up on an event after the give-up time, records why, and moves on to the next', async () => {
    const {
      store,
      signingKey,
      receivers: [receiver],
    } = await setup(dialect);
    if (receiver === undefined) {
      throw new Error('no receiver');
    }
    const room = await insertRoom(store, { url: receiver.url() });
    const dispatcher = fastDispatcher(store, signingKey, { giveUpAfterMs: 300 });
    cleanups.push(() => dispatcher.close());
    const gaveUp: WebhookAttemptFailed[] = [];
    dispatcher.on('gaveUp', (f) => gaveUp.push(f));
    receiver.answer = ({ event }) => (event.data.payload.sequence === 1 ? 500 : 200);
    dispatcher.start();
    const ids = await enqueueSession(dispatcher, room, 1);
    await receiver.waitFor(() => receiver.accepted.length >= ids.length - 1);
    await expect.poll(() => countPending(store)).toBe(0);

    expect(gaveUp.map((f) => f.id)).toEqual([ids[0]]);
    expect(gaveUp[0]?.error).toMatch(/^primary: .*HTTP 500 no$/);
    expect(idsOf(receiver.accepted)).toEqual(ids.slice(1));
    expect(isNonDecreasing(sequencesOf(receiver.received, room))).toBe(true);
    const rows = await eventRows(store, room);
    expect(rows.map((r) => r.status)).toEqual(['gave_up', 'delivered', 'delivered', 'delivered']);
    expect(rows[0]?.last_error).toMatch(/HTTP 500/);
    expect(rows[0]?.attempts).toBeGreaterThan(1);
  });
});
