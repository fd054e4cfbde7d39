import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { pino } from 'pino';
import { loadConfig } from '../../packages/server/src/config.js';
import { PalaverServer } from '../../packages/server/src/PalaverServer.js';

/** The host name the official SDK dials; Chromium maps it to Palaver's TLS listener. */
export const SDK_HOST = 'video.telnyx.com';

/** A self-signed certificate for the SDK's host name, made with Debian's openssl. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${SDK_HOST}`,
      '-addext',
      `subjectAltName=DNS:${SDK_HOST}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

export interface E2eServer {
  server: PalaverServer;
  url: string;
  tlsPort: number;
  apiKey: string;
  close(): Promise<void>;
}

/** Palaver with its Janus and a TLS listener on a free port, its store in a temp dir. */
export async function startPalaver(): Promise<E2eServer> {
  const dir = mkdtempSync(join(tmpdir(), 'palaver-e2e-'));
  const { cert, key } = selfSignedCertificate(dir);
  const apiKey = `e2e_${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    PALAVER_PORT: '0',
    PALAVER_HOST: '127.0.0.1',
    PALAVER_DATA_DIR: join(dir, 'data'),
    PALAVER_API_KEY: apiKey,
    PALAVER_TLS_CERT: cert,
    PALAVER_TLS_KEY: key,
    PALAVER_TLS_PORT: '0',
    PALAVER_SESSION_GRACE_SECS: '0.5',
  });
  const server = await PalaverServer.create({
    config,
    logger: pino({ level: process.env.E2E_LOG_LEVEL ?? 'silent' }),
  });
  const url = await server.listen();
  const tlsPort = Number(new URL(server.tlsUrl!).port);
  return {
    server,
    url,
    tlsPort,
    apiKey,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A file the test page server hands out. */
export interface PageFile {
  type: string;
  body: Buffer;
}

/**
 * Serves a test page: `/` loads `/client.mjs` (the page's driver, from e2e/page/), which may
 * import `/media-meter.mjs`; `extra` adds the SDK bundle it loads. On 127.0.0.1, a secure
 * context for getUserMedia.
 */
export async function servePage(
  clientFile: string,
  extra: Record<string, PageFile>,
): Promise<{ url: string; close(): Promise<void> }> {
  const pageDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'page');
  const files: Record<string, PageFile> = {
    '/': {
      type: 'text/html',
      body: Buffer.from(
        '<!doctype html><meta charset="utf-8"><title>palaver e2e</title><body>' +
          '<script type="module" src="/client.mjs"></script></body>',
      ),
    },
    '/client.mjs': { type: 'text/javascript', body: readFileSync(join(pageDir, clientFile)) },
    '/media-meter.mjs': {
      type: 'text/javascript',
      body: readFileSync(join(pageDir, 'media-meter.mjs')),
    },
    ...extra,
  };
  const server: Server = createServer((request, response) => {
    const file = files[(request.url ?? '/').split('?')[0] ?? '/'];
    if (file === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The test page for the official SDK, with its ESM bundle byte for byte as npm installed it. */
export function startPageServer(): Promise<{ url: string; close(): Promise<void> }> {
  const require = createRequire(import.meta.url);
  const sdkDir = dirname(require.resolve('@telnyx/video'));
  return servePage('client.mjs', {
    '/sdk.mjs': { type: 'text/javascript', body: readFileSync(join(sdkDir, 'index.mjs')) },
  });
}

/** Chromium switches every media test needs: headless, fake devices, ICE on loopback. */
export const MEDIA_BROWSER_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export interface BrowserPage {
  page: Page;
  close(): Promise<void>;
}

/**
 * One Chromium with its own fresh profile, fake camera and microphone, and `video.telnyx.com`
 * resolved to Palaver's TLS listener. `extraArgs` come last, so they override (e.g. a video file
 * for the fake camera, or more fake cameras).
 */
export async function openBrowserPage(
  pageUrl: string,
  tlsPort: number,
  extraArgs: string[] = [],
): Promise<BrowserPage> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'palaver-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    ignoreHTTPSErrors: true,
    permissions: ['camera', 'microphone'],
    args: [
      ...MEDIA_BROWSER_ARGS,
      `--host-resolver-rules=MAP ${SDK_HOST} 127.0.0.1:${tlsPort}`,
      '--ignore-certificate-errors',
      ...extraArgs,
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(pageUrl);
  await page.waitForFunction(() => (globalThis as { clientReady?: boolean }).clientReady === true);
  return {
    page,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
