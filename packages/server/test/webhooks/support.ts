import { randomUUID } from 'node:crypto';
import type { Store } from '../../src/store/Store.js';
import type { WebhookEventRow } from '../../src/store/WebhookRepository.js';
import { WebhookRepository } from '../../src/store/WebhookRepository.js';
import type { WebhookDispatcherOptions } from '../../src/webhooks/WebhookDispatcher.js';
import { WebhookDispatcher } from '../../src/webhooks/WebhookDispatcher.js';
import type { WebhookSigningKey } from '../../src/webhooks/WebhookSigningKey.js';
import type { ReceivedWebhook } from './WebhookReceiver.js';

/** Inserts a room with the given webhook settings and returns its id. */
export async function insertRoom(
  store: Store,
  webhook: { url?: string | null; failoverUrl?: string; timeoutSecs?: number | null } = {},
): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  await store.rooms.insert({
    id,
    unique_name: null,
    max_participants: 10,
    enable_recording: 0,
    webhook_event_url: webhook.url ?? null,
    webhook_event_failover_url: webhook.failoverUrl ?? '',
    webhook_timeout_secs: webhook.timeoutSecs ?? null,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  });
  return id;
}

/** A dispatcher with delays short enough for tests. */
export function fastDispatcher(
  store: Store,
  signingKey: WebhookSigningKey,
  options: Partial<WebhookDispatcherOptions> = {},
): WebhookDispatcher {
  return new WebhookDispatcher({
    store,
    signingKey,
    pollIntervalMs: 100,
    backoff: () => 40,
    closeTimeoutMs: 2000,
    ...options,
  });
}

/** One `video.room.session.started` event; returns its id. */
export async function enqueueStarted(
  dispatcher: WebhookDispatcher,
  roomId: string,
): Promise<string> {
  const enqueued = await dispatcher.enqueue('video.room.session.started', {
    room_id: roomId,
    session_id: randomUUID(),
    started_at: new Date().toISOString(),
  });
  if (enqueued === undefined) {
    throw new Error('event not enqueued');
  }
  return enqueued.id;
}

/** The events of one room in the life of a session: started, joins, leaves, ended. */
export async function enqueueSession(
  dispatcher: WebhookDispatcher,
  roomId: string,
  participants: number,
): Promise<string[]> {
  const sessionId = randomUUID();
  const at = () => new Date().toISOString();
  const startedAt = at();
  const ids: (string | undefined)[] = [];
  ids.push(
    (
      await dispatcher.enqueue('video.room.session.started', {
        room_id: roomId,
        session_id: sessionId,
        started_at: startedAt,
      })
    )?.id,
  );
  const joined: { id: string; joinedAt: string }[] = [];
  for (let i = 0; i < participants; i++) {
    const participant = { id: randomUUID(), joinedAt: at() };
    joined.push(participant);
    ids.push(
      (
        await dispatcher.enqueue('video.room.participant.joined', {
          room_id: roomId,
          session_id: sessionId,
          participant_id: participant.id,
          context: `p${i}`,
          joined_at: participant.joinedAt,
        })
      )?.id,
    );
  }
  for (const [i, participant] of joined.entries()) {
    ids.push(
      (
        await dispatcher.enqueue('video.room.participant.left', {
          room_id: roomId,
          session_id: sessionId,
          participant_id: participant.id,
          context: `p${i}`,
          joined_at: participant.joinedAt,
          left_at: at(),
        })
      )?.id,
    );
  }
  ids.push(
    (
      await dispatcher.enqueue('video.room.session.ended', {
        room_id: roomId,
        session_id: sessionId,
        started_at: startedAt,
        ended_at: at(),
      })
    )?.id,
  );
  return ids.map((id) => {
    if (id === undefined) {
      throw new Error('event not enqueued');
    }
    return id;
  });
}

/** Sequence numbers of one room's requests, in arrival order. */
export function sequencesOf(received: ReceivedWebhook[], roomId: string): number[] {
  return received
    .filter((r) => r.event?.data?.payload?.room_id === roomId)
    .map((r) => r.event.data.payload.sequence as number);
}

export function idsOf(received: ReceivedWebhook[]): string[] {
  return received.map((r) => r.event?.data?.id as string);
}

export function isNonDecreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v >= (values[i - 1] ?? v));
}

export async function eventRows(store: Store, roomId: string): Promise<WebhookEventRow[]> {
  return new WebhookRepository(store.db).listForRoom(roomId);
}

export async function countPending(store: Store): Promise<number> {
  return new WebhookRepository(store.db).countPending();
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
