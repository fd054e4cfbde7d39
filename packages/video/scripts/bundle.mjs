// Builds the one-file bundle for <script type="module"> (dist/palaver-video.min.js) and prints
// its size. The ESM for bundlers is tsc's output in dist/.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'palaver-video.min.js');

await build({
  entryPoints: [join(root, 'src', 'index.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  // Workspace packages from source, as in tests.
  conditions: ['@palaver/source'],
  logLevel: 'warning',
});

const code = readFileSync(outfile);
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
// eslint-disable-next-line no-console -- the build reports the size it documents
console.log(`dist/palaver-video.min.js: ${kib(code.length)} (${kib(gzipSync(code).length)} gzip)`);
