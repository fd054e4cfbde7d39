import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * @palaver/video's one-file bundle for `<script type="module">`, built from source the way
 * `npm run bundle -w packages/video` builds it.
 */
export async function bundlePalaverVideo(): Promise<Buffer> {
  const result = await build({
    entryPoints: [join(here, '..', '..', 'packages', 'video', 'src', 'index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    conditions: ['@palaver/source'],
    write: false,
    logLevel: 'silent',
  });
  const [file] = result.outputFiles;
  if (file === undefined) {
    throw new Error('esbuild produced no bundle');
  }
  return Buffer.from(file.contents);
}

/**
 * Serves the test page for @palaver/video (page/palaver-video-client.mjs) and the SDK bundle on
 * 127.0.0.1 (a secure context for getUserMedia).
 */
export async function startPalaverVideoPageServer(): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const files: Record<string, { type: string; body: Buffer }> = {
    '/': {
      type: 'text/html',
      body: Buffer.from(
        '<!doctype html><meta charset="utf-8"><title>palaver video e2e</title><body>' +
          '<script type="module" src="/client.mjs"></script></body>',
      ),
    },
    '/client.mjs': {
      type: 'text/javascript',
      body: readFileSync(join(here, '..', 'page', 'palaver-video-client.mjs')),
    },
    '/palaver-video.js': { type: 'text/javascript', body: await bundlePalaverVideo() },
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
