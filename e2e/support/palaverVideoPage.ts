import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servePage } from './harness.js';

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

/** The test page for @palaver/video (page/palaver-video-client.mjs) with the SDK's bundle. */
export async function startPalaverVideoPageServer(): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  return servePage('palaver-video-client.mjs', {
    '/palaver-video.js': { type: 'text/javascript', body: await bundlePalaverVideo() },
  });
}
