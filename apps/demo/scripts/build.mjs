// Builds the demo page into dist/: the page's script bundled with @palaver/video (from its
// TypeScript sources, so the SDK needs no separate build), plus the HTML and CSS as they are.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  conditions: ['@palaver/source'],
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) {
  copyFileSync(join(root, 'src', file), join(out, file));
}
