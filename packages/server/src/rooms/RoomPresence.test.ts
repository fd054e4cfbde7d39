import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store/Store.js';
import type { RoomPresenceEvents } from './RoomPresence.js';
import { RoomPresence } from './RoomPresence.js';

type Recorded = {
  [K in keyof RoomPresenceEvents]: [K, ...RoomPresenceEvents[K]];
}[keyof RoomPresenceEvents];

describe('RoomPresence', () => {
  let dir: string;
  let store: Store;
  let presence: RoomPresence;
  let events: Recorded[];
  let roomId: string;

  const record = (p: RoomPresence): void => {
    p.on('sessionStarted', (e) => events.push(['sessionStarted', e]));
    p.on('sessionEnded', (e) => events.push(['sessionEnded', e]));
    p.on('participantJoined', (e) => events.push(['participantJoined', e]));
    p.on('participantLeft', (e) => events.push(['participantLeft', e]));
  };

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

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palaver-presence-'));
    store = await Store.open({ dataDir: dir });
    presence = new RoomPresence(store, { sessionGraceMs: 50 });
    events = [];
    record(presence);
    roomId = await newRoom();
  });

  afterEach(async () => {
    await presence.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a session with the first participant and ends it after the last one left', async () => {
    const alice = await presence.join({ roomId, context: '{"name":"alice"}' });
    const bob = await presence.join({ roomId, context: null });
    const session = presence.activeSession(roomId);
    expect(session).toBeDefined();
    expect((await store.rooms.find(roomId))?.activeSessionId).toBe(session?.id);
    expect(alice.sessionId).toBe(session?.id);
    expect(bob.sessionId).toBe(session?.id);

    await presence.leave(alice.id);
    await presence.leave(bob.id);
    expect((await store.participants.find(alice.id))?.leftAt).not.toBeNull();
    // Still open during the grace …
    expect((await store.sessions.find(session!.id))?.active).toBe(true);
    // … and ended after it.
    await expect.poll(async () => (await store.sessions.find(session!.id))?.active).toBe(false);
    expect((await store.sessions.find(session!.id))?.endedAt).not.toBeNull();
    expect((await store.rooms.find(roomId))?.activeSessionId).toBeNull();

    expect(events.map((e) => e[0])).toEqual([
      'sessionStarted',
      'participantJoined',
      'participantJoined',
      'participantLeft',
      'participantLeft',
      'sessionEnded',
    ]);
    const joined = events[1] as ['participantJoined', RoomPresenceEvents['participantJoined'][0]];
    expect(joined[1]).toMatchObject({
      roomId,
      session: { id: session?.id },
      participant: { id: alice.id, context: '{"name":"alice"}', leftAt: null },
    });
  });

  it('keeps the session when someone rejoins within the grace', async () => {
    const alice = await presence.join({ roomId, context: null });
    const session = presence.activeSession(roomId);
    await presence.leave(alice.id);
    const again = await presence.join({ roomId, context: null });
    expect(again.sessionId).toBe(session?.id);
    await new Promise((r) => setTimeout(r, 120));
    expect((await store.sessions.find(session!.id))?.active).toBe(true);
  });

  it('starts one session for participants joining at the same moment', async () => {
    const joined = await Promise.all(
      Array.from({ length: 5 }, () => presence.join({ roomId, context: null })),
    );
    expect(new Set(joined.map((p) => p.sessionId)).size).toBe(1);
    const page = await store.sessions.list({ roomId }, { number: 1, size: 10 });
    expect(page.items).toHaveLength(1);
  });

  it("uses the client's participant id when it is a fresh UUID, a new one otherwise", async () => {
    const chosen = randomUUID();
    const first = await presence.join({ roomId, preferredId: chosen, context: null });
    expect(first.id).toBe(chosen);
    const reused = await presence.join({ roomId, preferredId: chosen, context: null });
    expect(reused.id).not.toBe(chosen);
    const notUuid = await presence.join({ roomId, preferredId: 'alice', context: null });
    expect(notUuid.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('ends a session at once on request', async () => {
    const alice = await presence.join({ roomId, context: null });
    await presence.endSession(roomId);
    expect(presence.activeSession(roomId)).toBeUndefined();
    expect((await store.participants.find(alice.id))?.leftAt).not.toBeNull();
    expect(events.map((e) => e[0]).slice(-2)).toEqual(['participantLeft', 'sessionEnded']);
  });

  it('ends what a previous run left open when it recovers', async () => {
    await presence.join({ roomId, context: 'a' });
    await presence.join({ roomId: await newRoom(), context: 'b' });
    // A crash: the presence vanishes without closing anything.
    const next = new RoomPresence(store);
    events = [];
    record(next);
    expect(await next.recover()).toEqual({ sessionsEnded: 2, participantsLeft: 2 });
    const open = await store.sessions.list({ active: true }, { number: 1, size: 10 });
    expect(open.items).toHaveLength(0);
    const participants = await store.participants.list({}, { number: 1, size: 10 });
    expect(participants.items.every((p) => p.leftAt !== null)).toBe(true);
    expect(events.map((e) => e[0]).sort()).toEqual([
      'participantLeft',
      'participantLeft',
      'sessionEnded',
      'sessionEnded',
    ]);
    await next.close();
  });

  it('ends everything when it closes', async () => {
    const alice = await presence.join({ roomId, context: null });
    await presence.close();
    expect((await store.participants.find(alice.id))?.leftAt).not.toBeNull();
    const open = await store.sessions.list({ active: true }, { number: 1, size: 10 });
    expect(open.items).toHaveLength(0);
    expect(() => presence.join({ roomId, context: null })).toThrow(/closed/);
  });
});
