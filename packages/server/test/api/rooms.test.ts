import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/testServer.js';
import { apiClient, DIALECTS, startTestServer } from '../support/testServer.js';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each(DIALECTS)('rooms REST API on %s', (dialect) => {
  let t: TestServer;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    t = await startTestServer(dialect);
    api = apiClient(t.url, t.apiKey);
  });
  afterAll(async () => t.close());

  it('creates a room with Telnyx defaults and answers 201 with the room', async () => {
    const res = await api('POST', '/v2/rooms', { unique_name: `defaults-${dialect}` });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      record_type: 'room',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      unique_name: `defaults-${dialect}`,
      max_participants: 10,
      enable_recording: false,
      webhook_event_url: null,
      webhook_event_failover_url: '',
      webhook_timeout_secs: null,
      active_session_id: null,
      sessions: [],
      created_at: expect.stringMatching(ISO_MS),
      updated_at: expect.stringMatching(ISO_MS),
    });
  });

  it('accepts an empty body and every setting at its limits', async () => {
    expect((await api('POST', '/v2/rooms')).status).toBe(201);
    const res = await api('POST', '/v2/rooms', {
      max_participants: 50,
      enable_recording: true,
      webhook_event_url: 'https://example.com/hook',
      webhook_event_failover_url: 'https://failover.example.com/hook',
      webhook_timeout_secs: 30,
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      unique_name: null,
      max_participants: 50,
      enable_recording: true,
      webhook_event_url: 'https://example.com/hook',
      webhook_event_failover_url: 'https://failover.example.com/hook',
      webhook_timeout_secs: 30,
    });
  });

  it('gets, updates and deletes a room', async () => {
    const created = await api('POST', '/v2/rooms', { unique_name: `crud-${dialect}` });
    const id = created.body.data.id as string;

    const got = await api('GET', `/v2/rooms/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.data.id).toBe(id);
    expect(got.body.data.sessions).toBeUndefined();

    await new Promise((r) => setTimeout(r, 5));
    const patched = await api('PATCH', `/v2/rooms/${id}`, {
      max_participants: 5,
      webhook_event_url: 'https://example.com/events',
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      id,
      unique_name: `crud-${dialect}`,
      max_participants: 5,
      webhook_event_url: 'https://example.com/events',
    });
    expect(patched.body.data.updated_at > created.body.data.updated_at).toBe(true);
    expect(patched.body.data.created_at).toBe(created.body.data.created_at);

    const deleted = await api('DELETE', `/v2/rooms/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect((await api('GET', `/v2/rooms/${id}`)).status).toBe(404);
    expect((await api('DELETE', `/v2/rooms/${id}`)).status).toBe(404);
    expect((await api('PATCH', `/v2/rooms/${id}`, { max_participants: 3 })).status).toBe(404);
  });

  it('refuses a unique_name in use with 422 and frees it when the room is deleted', async () => {
    const name = `taken-${dialect}`;
    const first = await api('POST', '/v2/rooms', { unique_name: name });
    const clash = await api('POST', '/v2/rooms', { unique_name: name });
    expect(clash.status).toBe(422);
    expect(clash.body.errors[0]).toMatchObject({
      code: 'already_exists',
      source: { pointer: '/unique_name' },
    });
    expect(clash.body.errors[0].detail).toContain(name);

    const other = await api('POST', '/v2/rooms', { unique_name: `${name}-2` });
    const patchClash = await api('PATCH', `/v2/rooms/${other.body.data.id}`, { unique_name: name });
    expect(patchClash.status).toBe(422);

    await api('DELETE', `/v2/rooms/${first.body.data.id}`);
    expect((await api('POST', '/v2/rooms', { unique_name: name })).status).toBe(201);
  });

  it('lists rooms newest first with page meta, filters and include_sessions', async () => {
    const prefix = `list-${dialect}-`;
    for (let i = 0; i < 5; i++) {
      await api('POST', '/v2/rooms', { unique_name: `${prefix}${i}` });
    }
    const page1 = await api('GET', '/v2/rooms?page[size]=2&page[number]=1');
    expect(page1.status).toBe(200);
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.meta.page_number).toBe(1);
    expect(page1.body.meta.page_size).toBe(2);
    expect(page1.body.meta.total_results).toBeGreaterThanOrEqual(5);
    expect(page1.body.meta.total_pages).toBe(Math.ceil(page1.body.meta.total_results / 2));
    expect(page1.body.data[0].created_at >= page1.body.data[1].created_at).toBe(true);

    const byName = await api(
      'GET',
      `/v2/rooms?filter[unique_name]=${prefix}3&include_sessions=true`,
    );
    expect(byName.body.data).toHaveLength(1);
    expect(byName.body.data[0].unique_name).toBe(`${prefix}3`);
    expect(byName.body.data[0].sessions).toEqual([]);

    const today = new Date().toISOString().slice(0, 10);
    const created = await api(
      'GET',
      `/v2/rooms?filter[date_created_at][eq]=${today}&page[size]=250`,
    );
    expect(created.body.meta.total_results).toBe(page1.body.meta.total_results);
    const none = await api('GET', `/v2/rooms?filter[date_created_at][lte]=2000-01-01`);
    expect(none.body).toEqual({
      data: [],
      meta: { page_number: 1, page_size: 20, total_pages: 0, total_results: 0 },
    });
    const beyond = await api('GET', '/v2/rooms?page[number]=999');
    expect(beyond.status).toBe(200);
    expect(beyond.body.data).toEqual([]);
  });

  describe('bad input', () => {
    it.each([
      [{ max_participants: 1 }, '/max_participants', 'max_participants must be >= 2 (got 1)'],
      [{ max_participants: 51 }, '/max_participants', 'max_participants must be <= 50 (got 51)'],
      [
        { max_participants: '10' },
        '/max_participants',
        'max_participants must be integer (got "10")',
      ],
      [
        { max_participants: 2.5 },
        '/max_participants',
        'max_participants must be integer (got 2.5)',
      ],
      [
        { enable_recording: 'yes' },
        '/enable_recording',
        'enable_recording must be boolean (got "yes")',
      ],
      [{ webhook_timeout_secs: 31 }, '/webhook_timeout_secs', 'webhook_timeout_secs'],
      [{ webhook_event_url: 'not a url' }, '/webhook_event_url', 'webhook_event_url'],
      [{ webhook_event_url: 'ftp://example.com' }, '/webhook_event_url', 'webhook_event_url'],
      [{ unique_name: '' }, '/unique_name', 'unique_name'],
      [{ unique_name: 42 }, '/unique_name', 'unique_name must be string (got 42)'],
      [{ max_participant: 10 }, '/max_participant', 'max_participant is not a known field'],
    ])('POST /v2/rooms %j answers 422 pointing at the field', async (body, pointer, detail) => {
      const before = (await api('GET', '/v2/rooms')).body.meta.total_results;
      const res = await api('POST', '/v2/rooms', body);
      expect(res.status).toBe(422);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0]).toMatchObject({
        code: 'invalid_parameter',
        title: 'Invalid parameter',
        source: { pointer },
      });
      expect(res.body.errors[0].detail).toContain(detail);
      expect((await api('GET', '/v2/rooms')).body.meta.total_results).toBe(before);
    });

    it('answers malformed JSON with 400 and a precise detail', async () => {
      const res = await api('POST', '/v2/rooms', '{"unique_name": ');
      expect(res.status).toBe(400);
      expect(res.body.errors[0].code).toBe('malformed_request');
      expect(res.body.errors[0].detail).toMatch(/not valid JSON/);
    });

    it('answers a JSON array body with 422', async () => {
      const res = await api('POST', '/v2/rooms', '[1,2]');
      expect(res.status).toBe(422);
      expect(res.body.errors[0].detail).toMatch(/must be object/);
    });

    it('answers a body over the limit with 413', async () => {
      const res = await api('POST', '/v2/rooms', { unique_name: 'x'.repeat(2 * 1024 * 1024) });
      expect(res.status).toBe(413);
      expect(res.body.errors[0].code).toBe('payload_too_large');
    });

    it('answers a non-JSON content type with 415', async () => {
      const res = await api('POST', '/v2/rooms', 'unique_name=x', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(res.status).toBe(415);
      expect(res.body.errors[0].code).toBe('malformed_request');
    });

    it.each([
      ['/v2/rooms?page[size]=0', 'page[size]'],
      ['/v2/rooms?page[size]=251', 'page[size]'],
      ['/v2/rooms?page[number]=0', 'page[number]'],
      ['/v2/rooms?page[number]=abc', 'page[number]'],
      ['/v2/rooms?filter[date_created_at][gte]=yesterday', 'filter[date_created_at][gte]'],
      ['/v2/rooms?filter[date_created_at][gte]=2021-02-31', 'filter[date_created_at][gte]'],
      ['/v2/rooms?filter[colour]=red', 'filter[colour]'],
      ['/v2/room_sessions?filter[active]=maybe', 'filter[active]'],
    ])('GET %s answers 422 naming %s', async (path, parameter) => {
      const res = await api('GET', path);
      expect(res.status).toBe(422);
      expect(res.body.errors[0].source).toEqual({ parameter });
    });

    it('answers unknown ids and routes with 404 in the error shape', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      for (const path of [
        `/v2/rooms/${missing}`,
        '/v2/rooms/not-a-uuid',
        `/v2/room_sessions/${missing}`,
        `/v2/room_participants/${missing}`,
        `/v2/rooms/${missing}/sessions`,
        `/v2/room_sessions/${missing}/participants`,
      ]) {
        const res = await api('GET', path);
        expect(res.status, path).toBe(404);
        expect(res.body.errors[0].code).toBe('resource_not_found');
      }
      const route = await api('GET', '/v2/nothing-here');
      expect(route.status).toBe(404);
      expect(route.body.errors[0].code).toBe('route_not_found');
      const token = await api(
        'POST',
        `/v2/rooms/${missing}/actions/generate_join_client_token`,
        {},
      );
      expect(token.status).toBe(404);
    });

    it('answers a missing or wrong API key with 401', async () => {
      const anonymous = apiClient(t.url, undefined);
      const missing = await anonymous('GET', '/v2/rooms');
      expect(missing.status).toBe(401);
      expect(missing.body.errors[0]).toMatchObject({
        code: 'unauthorized',
        title: 'Authentication failed',
      });
      const wrong = await apiClient(t.url, 'pvk_wrong')('POST', '/v2/rooms', { unique_name: 'x' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.errors[0].detail).toMatch(/unknown or revoked/);
      // The key is also accepted without the "Bearer" word, as VideoSDK's clients send it.
      const bare = await anonymous('GET', '/v2/rooms', undefined, { authorization: t.apiKey });
      expect(bare.status).toBe(200);
    });
  });

  describe('client tokens', () => {
    it('generates a join token and refresh token with the requested lifetimes', async () => {
      const room = (await api('POST', '/v2/rooms', {})).body.data;
      const before = Date.now();
      const res = await api('POST', `/v2/rooms/${room.id}/actions/generate_join_client_token`, {
        token_ttl_secs: 60,
        refresh_token_ttl_secs: 120,
      });
      expect(res.status).toBe(201);
      const data = res.body.data;
      expect(Object.keys(data).sort()).toEqual([
        'refresh_token',
        'refresh_token_expires_at',
        'token',
        'token_expires_at',
      ]);
      const ttl = (Date.parse(data.token_expires_at) - before) / 1000;
      expect(ttl).toBeGreaterThan(58);
      expect(ttl).toBeLessThanOrEqual(61);
      const refreshTtl = (Date.parse(data.refresh_token_expires_at) - before) / 1000;
      expect(refreshTtl).toBeGreaterThan(118);
      expect(refreshTtl).toBeLessThanOrEqual(121);

      const [header, payload] = (data.token as string)
        .split('.')
        .slice(0, 2)
        .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
      expect(header).toMatchObject({ alg: 'Ed25519', typ: 'JWT' });
      expect(payload).toMatchObject({
        typ: 'access',
        grants_version: '1.0.0',
        grants: [
          {
            actions: ['join'],
            resources: [`telnyx:video:rooms:${room.id}`],
            subjects: [expect.stringMatching(/^telnyx:users:/)],
          },
        ],
      });
      expect(payload.exp - payload.iat).toBe(60);
    });

    it('uses 600 s and 3600 s when no lifetimes are given', async () => {
      const room = (await api('POST', '/v2/rooms', {})).body.data;
      const res = await api('POST', `/v2/rooms/${room.id}/actions/generate_join_client_token`);
      expect(res.status).toBe(201);
      const { token_expires_at, refresh_token_expires_at } = res.body.data;
      expect(Math.round((Date.parse(token_expires_at) - Date.now()) / 1000)).toBeCloseTo(600, -1);
      expect(Math.round((Date.parse(refresh_token_expires_at) - Date.now()) / 1000)).toBeCloseTo(
        3600,
        -1,
      );
    });

    it.each([
      [{ token_ttl_secs: 9 }, '/token_ttl_secs'],
      [{ token_ttl_secs: 3601 }, '/token_ttl_secs'],
      [{ refresh_token_ttl_secs: 59 }, '/refresh_token_ttl_secs'],
      [{ refresh_token_ttl_secs: 86401 }, '/refresh_token_ttl_secs'],
    ])('refuses lifetimes out of range %j', async (body, pointer) => {
      const room = (await api('POST', '/v2/rooms', {})).body.data;
      const res = await api(
        'POST',
        `/v2/rooms/${room.id}/actions/generate_join_client_token`,
        body,
      );
      expect(res.status).toBe(422);
      expect(res.body.errors[0].source.pointer).toBe(pointer);
    });

    it('refreshes with the refresh token alone, and only with a refresh token of this room', async () => {
      const room = (await api('POST', '/v2/rooms', {})).body.data;
      const other = (await api('POST', '/v2/rooms', {})).body.data;
      const tokens = (
        await api('POST', `/v2/rooms/${room.id}/actions/generate_join_client_token`, {})
      ).body.data;
      const anonymous = apiClient(t.url, undefined);
      const refresh = (roomId: string, body: unknown) =>
        anonymous('POST', `/v2/rooms/${roomId}/actions/refresh_client_token`, body);

      const ok = await refresh(room.id, {
        refresh_token: tokens.refresh_token,
        token_ttl_secs: 30,
      });
      expect(ok.status).toBe(201);
      expect(Object.keys(ok.body.data).sort()).toEqual(['token', 'token_expires_at']);
      const verified = await t.server.tokens.verify(ok.body.data.token, {
        type: 'access',
        roomId: room.id,
      });
      expect(verified.roomId).toBe(room.id);

      const withAccess = await refresh(room.id, { refresh_token: tokens.token });
      expect(withAccess.status).toBe(422);
      expect(withAccess.body.errors[0].code).toBe('token_wrong_type');

      const otherRoom = await refresh(other.id, { refresh_token: tokens.refresh_token });
      expect(otherRoom.status).toBe(403);
      expect(otherRoom.body.errors[0].code).toBe('token_not_for_room');

      const tampered = `${tokens.refresh_token.slice(0, -4)}AAAA`;
      const bad = await refresh(room.id, { refresh_token: tampered });
      expect(bad.status).toBe(401);
      expect(bad.body.errors[0].code).toBe('token_invalid');

      const garbage = await refresh(room.id, { refresh_token: 'not-a-jwt' });
      expect(garbage.status).toBe(401);

      const missing = await refresh(room.id, {});
      expect(missing.status).toBe(422);
      expect(missing.body.errors[0].source.pointer).toBe('/refresh_token');

      await api('DELETE', `/v2/rooms/${room.id}`);
      const afterDelete = await refresh(room.id, { refresh_token: tokens.refresh_token });
      expect(afterDelete.status).toBe(404);
      await expect(t.server.rooms.generateJoinTokens(room.id, 'someone', {})).rejects.toThrow(
        /not found/,
      );
    });
  });

  describe('system routes', () => {
    it('answers health, readiness, metrics, JWKS and the OpenAPI document', async () => {
      const anonymous = apiClient(t.url, undefined);
      expect((await anonymous('GET', '/healthz')).body).toEqual({ status: 'ok' });
      expect((await anonymous('GET', '/readyz')).body).toEqual({ status: 'ready' });

      const metrics = await fetch(`${t.url}/metrics`);
      const text = await metrics.text();
      expect(text).toContain(
        'palaver_http_requests_total{method="GET",route="/v2/rooms",status="200"}',
      );
      expect(text).toContain('palaver_http_request_duration_seconds_bucket');

      const jwks = (await anonymous('GET', '/.well-known/jwks.json')).body;
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({
        kty: 'OKP',
        crv: 'Ed25519',
        alg: 'Ed25519',
        use: 'sig',
      });
      expect(jwks.keys[0].d).toBeUndefined();

      const openapi = (await anonymous('GET', '/v2/openapi.json')).body;
      expect(openapi.openapi).toBe('3.1.0');
      expect(Object.keys(openapi.paths)).toEqual(
        expect.arrayContaining([
          '/v2/rooms',
          '/v2/rooms/{room_id}',
          '/v2/rooms/{room_id}/actions/generate_join_client_token',
          '/v2/rooms/{room_id}/actions/refresh_client_token',
          '/v2/rooms/{room_id}/sessions',
          '/v2/room_sessions',
          '/v2/room_sessions/{id}',
          '/v2/room_sessions/{id}/participants',
          '/v2/room_participants',
          '/v2/room_participants/{id}',
          '/v2/room_recordings',
          '/v2/room_recordings/{id}',
          '/v2/room_compositions',
          '/v2/room_compositions/{id}',
        ]),
      );
      expect(openapi.paths['/v2/room_compositions'].post.responses['202']).toBeDefined();
      expect(openapi.paths['/v2/room_recordings'].delete.responses['201']).toBeDefined();
      expect(openapi.paths['/v2/rooms'].post.responses['201']).toBeDefined();
      const filter = openapi.paths['/v2/rooms'].get.parameters.find(
        (p: { name: string }) => p.name === 'filter',
      );
      expect(filter).toMatchObject({ in: 'query', style: 'deepObject', explode: true });
    });
  });
});
