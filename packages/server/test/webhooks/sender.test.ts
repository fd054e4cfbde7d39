import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/webhooks/signature.js';
import { WEBHOOK_USER_AGENT, WebhookSender } from '../../src/webhooks/WebhookSender.js';
import { WebhookSigningKey } from '../../src/webhooks/WebhookSigningKey.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server answering every request with `status` and `body`. */
async function serve(status: number, body = '', headers: Record<string, string> = {}) {
  const requests: { headers: Record<string, unknown>; body: string }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString() });
      response.writeHead(status, headers).end(body);
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, requests };
}

describe('WebhookSender', () => {
  const signingKey = WebhookSigningKey.ephemeral();
  const sender = new WebhookSender({ signingKey });
  const body = '{"data":{"id":"e1"}}';

  it('POSTs the body signed, and counts a 2xx as delivered', async () => {
    const { url, requests } = await serve(204);
    const result = await sender.send(`${url}/hook`, body, 1000);
    expect(result).toMatchObject({ ok: true, status: 204 });
    const [request] = requests;
    expect(request?.body).toBe(body);
    expect(request?.headers['user-agent']).toBe(WEBHOOK_USER_AGENT);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(
      verifyWebhook(signingKey.publicKey, body, {
        timestamp: request?.headers['telnyx-timestamp'] as string,
        signature: request?.headers['telnyx-signature-ed25519'] as string,
      }),
    ).toBe(true);
  });

  it('sends credentials in the URL as basic auth', async () => {
    const { url, requests } = await serve(200);
    const withCredentials = url.replace('http://', 'http://hook%20user:s%3Acret@');
    const result = await sender.send(`${withCredentials}/hook`, body, 1000);
    expect(result.ok).toBe(true);
    expect(requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('hook user:s:cret').toString('base64')}`,
    );
  });

  it('does not follow redirects and keeps the start of an error answer', async () => {
    const redirect = await serve(307, '', { location: 'http://127.0.0.1:9/elsewhere' });
    const moved = await sender.send(redirect.url, body, 1000);
    expect(moved).toMatchObject({ ok: false, error: { kind: 'http_status', status: 307 } });

    const failing = await serve(500, `oops ${'x'.repeat(1000)}`);
    const failed = await sender.send(failing.url, body, 1000);
    expect(failed.ok).toBe(false);
    if (!failed.ok) {
      expect(failed.error.message).toMatch(/HTTP 500 oops x+$/);
      expect(failed.error.message.length).toBeLessThan(300);
    }
  });

  it('tells refused connections, timeouts and aborts apart, and hides URL secrets', async () => {
    // A port that was just free: nothing listens there now.
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const freePort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const refused = await sender.send(
      `http://user:secret@127.0.0.1:${freePort}/hook?token=t`,
      body,
      1000,
    );
    const invalid = await sender.send('http://user:secret@[nope/hook', body, 1000);
    expect(invalid).toMatchObject({ ok: false, error: { kind: 'network' } });
    expect(invalid.ok || invalid.error.message).not.toMatch(/secret/);
    expect(refused).toMatchObject({ ok: false, error: { kind: 'network' } });
    if (!refused.ok) {
      expect(refused.error.message).toMatch(/ECONNREFUSED/);
      expect(refused.error.message).not.toMatch(/secret|token/);
    }

    const server = createServer(() => undefined); // never answers
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const slow = await sender.send(url, body, 200);
    expect(slow).toMatchObject({ ok: false, error: { kind: 'timeout' } });
    expect(slow.ms).toBeGreaterThanOrEqual(190);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = await sender.send(url, body, 5000, controller.signal);
    expect(aborted).toMatchObject({ ok: false, error: { kind: 'aborted' } });
  });
});
