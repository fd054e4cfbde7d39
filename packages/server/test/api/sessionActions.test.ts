import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/testServer.js';
import { apiClient, DIALECTS, startTestServer } from '../support/testServer.js';

// Session actions without the media engine: validation, unknown and ended sessions, and what
// the records show afterwards. (Their effect on live clients is in test/gateway and e2e/.)

describe.each(DIALECTS)('room session actions on %s', (dialect) => {
  let t: TestServer;
  let api: ReturnType<typeof apiClient>;
  let roomId: string;
  let sessionId: string;
  let endedSessionId: string;
  let alice: string;
  let bob: string;
  let carol: string;
  /** A participant of another session of the same room. */
  let earlier: string;
  const at = '2026-05-01T10:00:00.000Z';

  beforeAll(async () => {
    t = await startTestServer(dialect);
    api = apiClient(t.url, t.apiKey);
  });
  afterAll(async () => t.close());

  // Each test gets a room with an ended session and a session going on with three people in it
  // (as a crashed node or another node would leave them: no live connection here).
  beforeEach(async () => {
    roomId = (await api('POST', '/v2/rooms', {})).body.data.id;
    [sessionId, endedSessionId] = [randomUUID(), randomUUID()];
    [alice, bob, carol, earlier] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const { sessions, participants } = t.server.store;
    await sessions.insert({
      id: endedSessionId,
      room_id: roomId,
      active: 0,
      created_at: '2026-05-01T09:00:00.000Z',
      updated_at: '2026-05-01T09:30:00.000Z',
      ended_at: '2026-05-01T09:30:00.000Z',
    });
    await participants.insert({
      id: earlier,
      session_id: endedSessionId,
      context: 'earlier',
      joined_at: '2026-05-01T09:00:00.000Z',
      updated_at: '2026-05-01T09:30:00.000Z',
      left_at: '2026-05-01T09:30:00.000Z',
    });
    await sessions.insert({
      id: sessionId,
      room_id: roomId,
      active: 1,
      created_at: at,
      updated_at: at,
      ended_at: null,
    });
    for (const [id, context] of [
      [alice, 'alice'],
      [bob, 'bob'],
      [carol, 'carol'],
    ] as const) {
      await participants.insert({
        id,
        session_id: sessionId,
        context,
        joined_at: at,
        updated_at: at,
        left_at: null,
      });
    }
  });

  const action = (name: string, body?: unknown, id = sessionId) =>
    api('POST', `/v2/room_sessions/${id}/actions/${name}`, body);

  const leftAt = async (): Promise<Record<string, string | null>> => {
    const list = (await api('GET', `/v2/room_sessions/${sessionId}/participants`)).body.data;
    return Object.fromEntries(list.map((p: any) => [p.context, p.left_at]));
  };

  const refusal = (response: { status: number; body: any }) => ({
    status: response.status,
    code: response.body.errors[0].code,
    pointer: response.body.errors[0].source?.pointer,
    detail: response.body.errors[0].detail,
  });

  it('kicks the named participants: they leave the session, the others stay', async () => {
    const response = await action('kick', { participants: [bob.toUpperCase(), carol] });
    expect(response).toMatchObject({ status: 200, body: { data: { result: 'ok' } } });
    expect(await leftAt()).toEqual({
      alice: null,
      bob: expect.any(String),
      carol: expect.any(String),
    });
    expect((await api('GET', `/v2/room_sessions/${sessionId}`)).body.data.active).toBe(true);
    // Kicking someone who already left changes nothing.
    const before = await leftAt();
    expect((await action('kick', { participants: [bob] })).status).toBe(200);
    expect(await leftAt()).toEqual(before);
  });

  it('kicks "all" but the excluded ones, and "all" is the default', async () => {
    expect((await action('kick', { participants: 'all', exclude: [alice] })).status).toBe(200);
    expect(await leftAt()).toEqual({
      alice: null,
      bob: expect.any(String),
      carol: expect.any(String),
    });
    expect((await action('kick')).status).toBe(200);
    expect((await leftAt()).alice).toEqual(expect.any(String));
  });

  it('mutes and unmutes without changing the records', async () => {
    for (const name of ['mute', 'unmute']) {
      expect(await action(name, { participants: [alice] })).toMatchObject({
        status: 200,
        body: { data: { result: 'ok' } },
      });
      expect(await action(name, { participants: 'all', exclude: [bob] })).toMatchObject({
        status: 200,
      });
      expect(await action(name, {})).toMatchObject({ status: 200 });
    }
    expect(await leftAt()).toEqual({ alice: null, bob: null, carol: null });
  });

  it('ends the session: everyone leaves, the session ends, the room has no active session', async () => {
    expect(await action('end')).toMatchObject({ status: 200, body: { data: { result: 'ok' } } });
    expect(await leftAt()).toEqual({
      alice: expect.any(String),
      bob: expect.any(String),
      carol: expect.any(String),
    });
    const session = (await api('GET', `/v2/room_sessions/${sessionId}`)).body.data;
    expect(session).toMatchObject({ active: false, ended_at: expect.any(String) });
    expect((await api('GET', `/v2/rooms/${roomId}`)).body.data.active_session_id).toBeNull();
    // The earlier session's history is untouched.
    expect((await api('GET', `/v2/room_participants/${earlier}`)).body.data.left_at).toBe(
      '2026-05-01T09:30:00.000Z',
    );
    // An empty JSON object is the same as no body.
    const other = (await api('POST', '/v2/rooms', {})).body.data.id;
    const another = randomUUID();
    await t.server.store.sessions.insert({
      id: another,
      room_id: other,
      active: 1,
      created_at: at,
      updated_at: at,
      ended_at: null,
    });
    expect((await action('end', {}, another)).status).toBe(200);
  });

  it('answers 404 for a session that does not exist', async () => {
    for (const name of ['end', 'kick', 'mute', 'unmute']) {
      for (const id of [randomUUID(), 'not-a-session']) {
        expect(refusal(await action(name, undefined, id))).toMatchObject({
          status: 404,
          code: 'resource_not_found',
        });
      }
    }
  });

  it('answers 422 session_ended for a session that has ended, and changes nothing', async () => {
    for (const name of ['end', 'kick', 'mute', 'unmute']) {
      expect(refusal(await action(name, undefined, endedSessionId))).toEqual({
        status: 422,
        code: 'session_ended',
        pointer: undefined,
        detail: `room session has ended [id:${endedSessionId}]`,
      });
    }
    const session = (await api('GET', `/v2/room_sessions/${endedSessionId}`)).body.data;
    expect(session.ended_at).toBe('2026-05-01T09:30:00.000Z');
  });

  it('refuses ids that are not participants of the session with 422 naming the entry', async () => {
    const stranger = randomUUID();
    expect(refusal(await action('kick', { participants: [alice, stranger] }))).toEqual({
      status: 422,
      code: 'invalid_parameter',
      pointer: '/participants/1',
      detail: `participants/1 is not a participant of room session ${sessionId} (got "${stranger}")`,
    });
    // One of an earlier session of the same room is not in this one either.
    expect(refusal(await action('mute', { participants: [earlier] }))).toMatchObject({
      status: 422,
      pointer: '/participants/0',
    });
    expect(refusal(await action('unmute', { exclude: [stranger] }))).toMatchObject({
      status: 422,
      pointer: '/exclude/0',
    });
    // Nothing happened.
    expect(await leftAt()).toEqual({ alice: null, bob: null, carol: null });
  });

  it('refuses bad bodies with 422 and a pointer to the bad value', async () => {
    const cases: [string, unknown, string, RegExp][] = [
      ['kick', [alice], '/', /must be a JSON object/],
      [
        'kick',
        { participants: 5 },
        '/participants',
        /"all" or a list of participant ids \(got 5\)/,
      ],
      ['kick', { participants: 'everyone' }, '/participants', /got "everyone"/],
      ['mute', { participants: [] }, '/participants', /at least one participant/],
      ['mute', { participants: ['bob'] }, '/participants/0', /must be a participant id/],
      ['unmute', { participants: [alice, 7] }, '/participants/1', /got 7/],
      ['unmute', { exclude: alice }, '/exclude', /must be a list of participant ids/],
      ['kick', { exclude: [null] }, '/exclude/0', /must be a participant id \(got null\)/],
      ['kick', { participant: [alice] }, '/participant', /is not a known field/],
      ['end', { participants: 'all' }, '/participants', /is not a known field/],
    ];
    for (const [name, body, pointer, detail] of cases) {
      const response = await action(name, body);
      expect(refusal(response)).toMatchObject({ status: 422, code: 'invalid_parameter', pointer });
      expect(refusal(response).detail).toMatch(detail);
    }
    const malformed = await api('POST', `/v2/room_sessions/${sessionId}/actions/kick`, '{"x":');
    expect(refusal(malformed)).toMatchObject({ status: 400, code: 'malformed_request' });
    expect(await leftAt()).toEqual({ alice: null, bob: null, carol: null });
    expect((await api('GET', `/v2/room_sessions/${sessionId}`)).body.data.active).toBe(true);
  });

  it('needs an API key', async () => {
    const anonymous = apiClient(t.url, undefined);
    const response = await anonymous('POST', `/v2/room_sessions/${sessionId}/actions/end`);
    expect(refusal(response)).toMatchObject({ status: 401, code: 'unauthorized' });
    expect((await api('GET', `/v2/room_sessions/${sessionId}`)).body.data.active).toBe(true);
  });
});
