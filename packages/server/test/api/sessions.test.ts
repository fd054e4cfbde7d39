import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/testServer.js';
import { apiClient, DIALECTS, startTestServer } from '../support/testServer.js';

// Sessions and participants are written by the live-room engine; here rows are inserted
// through the store, and the API is read as a client would.

describe.each(DIALECTS)('room sessions and participants REST API on %s', (dialect) => {
  let t: TestServer;
  let api: ReturnType<typeof apiClient>;
  let roomId: string;
  let otherRoomId: string;
  const ended = { id: randomUUID(), createdAt: '2026-03-01T10:00:00.000Z' };
  const live = { id: randomUUID(), createdAt: '2026-03-02T09:00:00.000Z' };
  const elsewhere = { id: randomUUID(), createdAt: '2026-03-02T11:00:00.000Z' };
  const alice = randomUUID();
  const bob = randomUUID();
  const carol = randomUUID();

  beforeAll(async () => {
    t = await startTestServer(dialect);
    api = apiClient(t.url, t.apiKey);
    roomId = (await api('POST', '/v2/rooms', { unique_name: 'standup' })).body.data.id;
    otherRoomId = (await api('POST', '/v2/rooms', { unique_name: 'retro' })).body.data.id;
    const { sessions, participants } = t.server.store;
    await sessions.insert({
      id: ended.id,
      room_id: roomId,
      active: 0,
      created_at: ended.createdAt,
      updated_at: '2026-03-01T10:30:00.000Z',
      ended_at: '2026-03-01T10:30:00.000Z',
    });
    await sessions.insert({
      id: live.id,
      room_id: roomId,
      active: 1,
      created_at: live.createdAt,
      updated_at: live.createdAt,
      ended_at: null,
    });
    await sessions.insert({
      id: elsewhere.id,
      room_id: otherRoomId,
      active: 1,
      created_at: elsewhere.createdAt,
      updated_at: elsewhere.createdAt,
      ended_at: null,
    });
    await participants.insert({
      id: alice,
      session_id: ended.id,
      context: 'Alice',
      joined_at: '2026-03-01T10:00:01.000Z',
      updated_at: '2026-03-01T10:29:00.000Z',
      left_at: '2026-03-01T10:29:00.000Z',
    });
    await participants.insert({
      id: bob,
      session_id: live.id,
      context: '{"username":"Bob"}',
      joined_at: '2026-03-02T09:00:01.000Z',
      updated_at: '2026-03-02T09:00:01.000Z',
      left_at: null,
    });
    await participants.insert({
      id: carol,
      session_id: elsewhere.id,
      context: null,
      joined_at: '2026-03-02T11:00:05.000Z',
      updated_at: '2026-03-02T11:00:05.000Z',
      left_at: null,
    });
  });
  afterAll(async () => t.close());

  it('shows the active session on the room and its sessions with include_sessions', async () => {
    const room = (await api('GET', `/v2/rooms/${roomId}?include_sessions=true`)).body.data;
    expect(room.active_session_id).toBe(live.id);
    expect(room.sessions.map((s: { id: string }) => s.id)).toEqual([live.id, ended.id]);
    expect(room.sessions[0]).toEqual({
      record_type: 'room_session',
      id: live.id,
      room_id: roomId,
      active: true,
      created_at: live.createdAt,
      updated_at: live.createdAt,
      ended_at: null,
    });
    const listed = (await api('GET', '/v2/rooms?include_sessions=true&filter[unique_name]=retro'))
      .body.data;
    expect(listed[0].sessions.map((s: { id: string }) => s.id)).toEqual([elsewhere.id]);
  });

  it('lists sessions of all rooms and of one room, with filters', async () => {
    const all = (await api('GET', '/v2/room_sessions')).body;
    expect(all.meta.total_results).toBe(3);
    expect(all.data.map((s: { id: string }) => s.id)).toEqual([elsewhere.id, live.id, ended.id]);

    const ofRoom = (await api('GET', `/v2/rooms/${roomId}/sessions`)).body;
    expect(ofRoom.data.map((s: { id: string }) => s.id)).toEqual([live.id, ended.id]);

    const byRoomFilter = (await api('GET', `/v2/room_sessions?filter[room_id]=${otherRoomId}`))
      .body;
    expect(byRoomFilter.data.map((s: { id: string }) => s.id)).toEqual([elsewhere.id]);

    const active = (await api('GET', `/v2/rooms/${roomId}/sessions?filter[active]=true`)).body;
    expect(active.data.map((s: { id: string }) => s.id)).toEqual([live.id]);
    const inactive = (await api('GET', '/v2/room_sessions?filter[active]=false')).body;
    expect(inactive.data.map((s: { id: string }) => s.id)).toEqual([ended.id]);

    const onDay = (await api('GET', '/v2/room_sessions?filter[date_created_at][eq]=2026-03-02'))
      .body;
    expect(onDay.data.map((s: { id: string }) => s.id)).toEqual([elsewhere.id, live.id]);
    const before = (
      await api('GET', '/v2/room_sessions?filter[date_created_at][lte]=2026-03-02T10:00:00Z')
    ).body;
    expect(before.data.map((s: { id: string }) => s.id)).toEqual([live.id, ended.id]);
    const endedOn = (await api('GET', '/v2/room_sessions?filter[date_ended_at][gte]=2026-03-01'))
      .body;
    expect(endedOn.data.map((s: { id: string }) => s.id)).toEqual([ended.id]);
    const updated = (
      await api(
        'GET',
        '/v2/room_sessions?filter[date_updated_at][gte]=2026-03-01T10:15:00Z&filter[date_updated_at][lte]=2026-03-02',
      )
    ).body;
    expect(updated.data.map((s: { id: string }) => s.id)).toEqual([
      elsewhere.id,
      live.id,
      ended.id,
    ]);

    const paged = (await api('GET', '/v2/room_sessions?page[size]=2&page[number]=2')).body;
    expect(paged.data.map((s: { id: string }) => s.id)).toEqual([ended.id]);
    expect(paged.meta).toEqual({ page_number: 2, page_size: 2, total_pages: 2, total_results: 3 });
  });

  it('gets one session, with its participants when asked', async () => {
    const plain = (await api('GET', `/v2/room_sessions/${ended.id}`)).body.data;
    expect(plain.participants).toBeUndefined();
    expect(plain.ended_at).toBe('2026-03-01T10:30:00.000Z');
    const withParticipants = (
      await api('GET', `/v2/room_sessions/${ended.id}?include_participants=true`)
    ).body.data;
    expect(withParticipants.participants).toEqual([
      {
        record_type: 'room_participant',
        id: alice,
        session_id: ended.id,
        context: 'Alice',
        joined_at: '2026-03-01T10:00:01.000Z',
        updated_at: '2026-03-01T10:29:00.000Z',
        left_at: '2026-03-01T10:29:00.000Z',
      },
    ]);
    const listed = (await api('GET', '/v2/room_sessions?include_participants=true')).body.data;
    expect(listed.map((s: { participants: unknown[] }) => s.participants.length)).toEqual([
      1, 1, 1,
    ]);
  });

  it('lists participants of all sessions and of one session, with filters', async () => {
    const all = (await api('GET', '/v2/room_participants')).body;
    expect(all.data.map((p: { id: string }) => p.id)).toEqual([carol, bob, alice]);

    const ofSession = (await api('GET', `/v2/room_sessions/${live.id}/participants`)).body;
    expect(ofSession.data.map((p: { id: string }) => p.id)).toEqual([bob]);

    const bySession = (await api('GET', `/v2/room_participants?filter[session_id]=${ended.id}`))
      .body;
    expect(bySession.data.map((p: { id: string }) => p.id)).toEqual([alice]);

    const byContext = (
      await api(
        'GET',
        `/v2/room_participants?filter[context]=${encodeURIComponent('{"username":"Bob"}')}`,
      )
    ).body;
    expect(byContext.data.map((p: { id: string }) => p.id)).toEqual([bob]);

    const contextInSession = (
      await api('GET', `/v2/room_sessions/${live.id}/participants?filter[context]=Alice`)
    ).body;
    expect(contextInSession.data).toEqual([]);

    const joined = (
      await api('GET', '/v2/room_participants?filter[date_joined_at][gte]=2026-03-02')
    ).body;
    expect(joined.data.map((p: { id: string }) => p.id)).toEqual([carol, bob]);
    const left = (await api('GET', '/v2/room_participants?filter[date_left_at][eq]=2026-03-01'))
      .body;
    expect(left.data.map((p: { id: string }) => p.id)).toEqual([alice]);
    const updated = (
      await api('GET', '/v2/room_participants?filter[date_updated_at][lte]=2026-03-01')
    ).body;
    expect(updated.data.map((p: { id: string }) => p.id)).toEqual([alice]);

    const one = (await api('GET', `/v2/room_participants/${carol}`)).body.data;
    expect(one).toMatchObject({
      id: carol,
      session_id: elsewhere.id,
      context: null,
      left_at: null,
    });
  });

  it('refuses unknown filters on participants', async () => {
    const res = await api('GET', '/v2/room_participants?filter[name]=Bob');
    expect(res.status).toBe(422);
    expect(res.body.errors[0].source).toEqual({ parameter: 'filter[name]' });
  });
});
