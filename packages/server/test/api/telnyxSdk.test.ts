import Telnyx from 'telnyx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/testServer.js';
import { DIALECTS, startTestServer } from '../support/testServer.js';

// The official `telnyx` SDK, unmodified, pointed at Palaver by its baseURL.

describe.each(DIALECTS)('the official telnyx SDK against Palaver on %s', (dialect) => {
  let t: TestServer;
  let client: Telnyx;

  beforeAll(async () => {
    t = await startTestServer(dialect);
    client = new Telnyx({ apiKey: t.apiKey, baseURL: `${t.url}/v2`, maxRetries: 0 });
  });
  afterAll(async () => t.close());

  it('creates, lists with auto-pagination, gets, updates and deletes rooms', async () => {
    const created = await client.rooms.create({ unique_name: 'sdk-room', max_participants: 12 });
    const room = created.data;
    expect(room?.unique_name).toBe('sdk-room');
    expect(room?.max_participants).toBe(12);
    expect(room?.record_type).toBe('room');
    const id = room?.id ?? '';

    for (let i = 0; i < 6; i++) {
      await client.rooms.create({ unique_name: `sdk-page-${i}` });
    }
    const seen: string[] = [];
    for await (const listed of client.rooms.list({ 'page[size]': 3 })) {
      seen.push(listed.unique_name ?? '');
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(
      new Set(['sdk-room', ...Array.from({ length: 6 }, (_, i) => `sdk-page-${i}`)]),
    );

    const filtered = await client.rooms.list({ filter: { unique_name: 'sdk-page-2' } });
    expect(filtered.data.map((r) => r.unique_name)).toEqual(['sdk-page-2']);

    const got = await client.rooms.retrieve(id, { include_sessions: true });
    expect(got.data?.id).toBe(id);
    expect(got.data?.sessions).toEqual([]);

    const updated = await client.rooms.update(id, { max_participants: 4 });
    expect(updated.data?.max_participants).toBe(4);

    await client.rooms.delete(id);
    await expect(client.rooms.retrieve(id)).rejects.toMatchObject({ status: 404 });
  });

  it('surfaces validation errors as typed SDK errors', async () => {
    const error = await client.rooms.create({ max_participants: 99 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Telnyx.UnprocessableEntityError);
    expect(
      (error as { error: { errors: { source: { pointer: string } }[] } }).error.errors[0]?.source
        .pointer,
    ).toBe('/max_participants');
    const unauthorized = new Telnyx({ apiKey: 'pvk_nope', baseURL: `${t.url}/v2`, maxRetries: 0 });
    await expect(unauthorized.rooms.list()).rejects.toBeInstanceOf(Telnyx.AuthenticationError);
  });

  it('generates and refreshes client tokens', async () => {
    const room = (await client.rooms.create({ unique_name: 'sdk-tokens' })).data;
    const roomId = room?.id ?? '';
    const tokens = await client.rooms.actions.generateJoinClientToken(roomId, {
      token_ttl_secs: 120,
      refresh_token_ttl_secs: 600,
    });
    expect(tokens.data?.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(tokens.data?.refresh_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(Date.parse(tokens.data?.token_expires_at ?? '')).toBeGreaterThan(Date.now() + 100_000);

    // The refresh endpoint needs no API key: a client without one can refresh.
    const keyless = new Telnyx({ apiKey: 'unused', baseURL: `${t.url}/v2`, maxRetries: 0 });
    const refreshed = await keyless.rooms.actions.refreshClientToken(roomId, {
      refresh_token: tokens.data?.refresh_token ?? '',
      token_ttl_secs: 60,
    });
    expect(refreshed.data?.token).toBeDefined();
    const grant = await t.server.tokens.verify(refreshed.data?.token ?? '', {
      type: 'access',
      roomId,
    });
    expect(grant.expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('lists sessions and participants', async () => {
    const room = (await client.rooms.create({ unique_name: 'sdk-sessions' })).data;
    const roomId = room?.id ?? '';
    const sessionId = crypto.randomUUID();
    const participantId = crypto.randomUUID();
    const now = new Date().toISOString();
    await t.server.store.sessions.insert({
      id: sessionId,
      room_id: roomId,
      active: 1,
      created_at: now,
      updated_at: now,
      ended_at: null,
    });
    await t.server.store.participants.insert({
      id: participantId,
      session_id: sessionId,
      context: 'Ada',
      joined_at: now,
      updated_at: now,
      left_at: null,
    });

    const sessions = await client.rooms.sessions.list0({ filter: { room_id: roomId } });
    expect(sessions.data.map((s) => s.id)).toEqual([sessionId]);
    const ofRoom = await client.rooms.sessions.list1(roomId, { include_participants: true });
    expect(ofRoom.data[0]?.participants?.map((p) => p.context)).toEqual(['Ada']);
    const session = await client.rooms.sessions.retrieve(sessionId);
    expect(session.data?.active).toBe(true);

    const participants = await client.roomParticipants.list({
      filter: { session_id: sessionId },
    });
    expect(participants.data.map((p) => p.id)).toEqual([participantId]);
    const participant = await client.roomParticipants.retrieve(participantId);
    expect(participant.data?.context).toBe('Ada');
    const ofSession = await client.rooms.sessions.retrieveParticipants(sessionId, {
      filter: { context: 'Ada' },
    });
    expect(ofSession.data.map((p) => p.id)).toEqual([participantId]);
  });

  it('ends sessions and kicks, mutes and unmutes participants through the session actions', async () => {
    const roomId = (await client.rooms.create({ unique_name: 'sdk-actions' })).data?.id ?? '';
    const sessionId = crypto.randomUUID();
    const [ada, grace] = [crypto.randomUUID(), crypto.randomUUID()];
    const now = new Date().toISOString();
    await t.server.store.sessions.insert({
      id: sessionId,
      room_id: roomId,
      active: 1,
      created_at: now,
      updated_at: now,
      ended_at: null,
    });
    for (const [id, context] of [
      [ada, 'Ada'],
      [grace, 'Grace'],
    ] as const) {
      await t.server.store.participants.insert({
        id,
        session_id: sessionId,
        context,
        joined_at: now,
        updated_at: now,
        left_at: null,
      });
    }
    const { actions } = client.rooms.sessions;

    expect(await actions.mute(sessionId, { participants: 'all', exclude: [ada] })).toEqual({
      data: { result: 'ok' },
    });
    expect(await actions.unmute(sessionId, { participants: [grace] })).toEqual({
      data: { result: 'ok' },
    });
    expect(await actions.kick(sessionId, { participants: [grace] })).toEqual({
      data: { result: 'ok' },
    });
    expect((await client.roomParticipants.retrieve(grace)).data?.left_at).toEqual(
      expect.any(String),
    );
    expect((await client.roomParticipants.retrieve(ada)).data?.left_at).toBeNull();

    expect(await actions.end(sessionId)).toEqual({ data: { result: 'ok' } });
    const ended = await client.rooms.sessions.retrieve(sessionId);
    expect(ended.data).toMatchObject({ active: false, ended_at: expect.any(String) });
    expect((await client.roomParticipants.retrieve(ada)).data?.left_at).toEqual(expect.any(String));

    const again = await actions.end(sessionId).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Telnyx.UnprocessableEntityError);
    expect((again as { error: { errors: { code: string }[] } }).error.errors[0]?.code).toBe(
      'session_ended',
    );
    await expect(actions.kick(crypto.randomUUID(), { participants: 'all' })).rejects.toBeInstanceOf(
      Telnyx.NotFoundError,
    );
    await expect(actions.mute(sessionId, { participants: ['someone'] })).rejects.toBeInstanceOf(
      Telnyx.UnprocessableEntityError,
    );
  });
});
