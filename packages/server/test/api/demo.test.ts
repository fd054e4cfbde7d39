import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/testServer.js';
import { apiClient, startTestServer } from '../support/testServer.js';

// The demo-only join route hands out tokens without an API key, so it must not exist unless
// PALAVER_DEMO=1 turns demo mode on.

describe('demo mode', () => {
  let on: TestServer;
  let off: TestServer;

  beforeAll(async () => {
    [on, off] = await Promise.all([
      startTestServer('sqlite', { env: { PALAVER_DEMO: '1' } }),
      startTestServer('sqlite'),
    ]);
  });

  afterAll(async () => {
    await Promise.allSettled([on?.close(), off?.close()]);
  });

  it('off: POST /demo/join does not exist and / describes the API', async () => {
    const anonymous = apiClient(off.url, undefined);
    const join = await anonymous('POST', '/demo/join', { name: 'Ana', room: 'hello' });
    expect(join.status).toBe(404);
    const root = await anonymous('GET', '/');
    expect(root.status).toBe(200);
    expect(root.body).toMatchObject({ name: 'palaver', api: '/v2' });
    expect(root.body.demo).toMatch(/PALAVER_DEMO=1/);
  });

  it('on: POST /demo/join finds or creates the room by name and returns a join token', async () => {
    const anonymous = apiClient(on.url, undefined);
    const first = await anonymous('POST', '/demo/join', { name: 'Ana', room: 'hello' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      roomId: expect.any(String),
      token: expect.any(String),
      tokenExpiresAt: expect.any(String),
      refreshToken: expect.any(String),
    });
    const second = await anonymous('POST', '/demo/join', { name: 'Ben', room: 'hello' });
    expect(second.body.roomId).toBe(first.body.roomId);
    expect(second.body.token).not.toBe(first.body.token);

    const admin = apiClient(on.url, on.apiKey);
    const listed = await admin('GET', '/v2/rooms?filter[unique_name]=hello');
    expect(listed.body.data.map((room: { id: string }) => room.id)).toEqual([first.body.roomId]);

    // The refresh token works with the public refresh route, as the page uses it.
    const refreshed = await anonymous(
      'POST',
      `/v2/rooms/${first.body.roomId}/actions/refresh_client_token`,
      { refresh_token: first.body.refreshToken },
    );
    expect(refreshed.status).toBe(201);
  });

  it('on: refuses a room name that is not a plain name', async () => {
    const anonymous = apiClient(on.url, undefined);
    const bad = await anonymous('POST', '/demo/join', { name: 'Ana', room: '../etc' });
    expect(bad.status).toBe(422);
    const missing = await anonymous('POST', '/demo/join', { room: 'hello' });
    expect(missing.status).toBe(422);
  });

  it('on: / serves the demo page and /demo/ only plain asset names', async () => {
    const page = await fetch(`${on.url}/`);
    // 200 once `npm run build` built apps/demo; 503 with a hint before.
    expect([200, 503]).toContain(page.status);
    const traversal = await fetch(`${on.url}/demo/..%2F..%2Fpackage.json`);
    expect(traversal.status).toBe(404);
  });
});
