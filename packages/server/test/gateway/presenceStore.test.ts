import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomPresence } from '../../src/rooms/RoomPresence.js';
import type { Store } from '../../src/store/Store.js';
import { DIALECTS, openTestStore } from '../support/testServer.js';

// Live sessions and participants on both store dialects: concurrent joins share one session,
// the grace ends it, and a restart ends what a crash left open.

describe.each(DIALECTS)('room presence on %s', (dialect) => {
  let opened: Awaited<ReturnType<typeof openTestStore>>;
  let store: Store;

  beforeAll(async () => {
    opened = await openTestStore(dialect);
    store = opened.store;
  });
  afterAll(async () => opened?.close());

  const newRoom = async (): Promise<string> => {
    const id = randomUUID();
    const now = new Date().toISOString();
    await store.rooms.insert({
      id,
      unique_name: null,
      max_participants: 10,
      enable_recording: 0,
      webhook_event_url: null,
      webhook_event_failover_url: '',
      webhook_timeout_secs: null,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    });
    return id;
  };

  it('keeps one session for participants joining together and ends it after the grace', async () => {
    const presence = new RoomPresence(store, { sessionGraceMs: 100 });
    const roomId = await newRoom();
    const people = await Promise.all(
      ['a', 'b', 'c'].map((context) =>
        presence.join({ roomId, preferredId: randomUUID(), context }),
      ),
    );
    const sessions = await store.sessions.list({ roomId }, { number: 1, size: 10 });
    expect(sessions.items).toEqual([expect.objectContaining({ active: true })]);
    expect((await store.rooms.find(roomId))?.activeSessionId).toBe(sessions.items[0]?.id);
    const listed = await store.participants.list(
      { sessionId: sessions.items[0]!.id },
      { number: 1, size: 10 },
    );
    expect(listed.items.map((p) => p.context).sort()).toEqual(['a', 'b', 'c']);

    await Promise.all(people.map((p) => presence.leave(p.id)));
    await expect
      .poll(async () => (await store.sessions.find(sessions.items[0]!.id))?.active)
      .toBe(false);
    await presence.close();
  });

  it('ends sessions and participants a crashed run left open', async () => {
    const crashed = new RoomPresence(store);
    const roomId = await newRoom();
    const participant = await crashed.join({ roomId, context: null });
    const next = new RoomPresence(store);
    const result = await next.recover();
    expect(result.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect((await store.participants.find(participant.id))?.leftAt).not.toBeNull();
    expect((await store.rooms.find(roomId))?.activeSessionId).toBeNull();
    await next.close();
  });
});
