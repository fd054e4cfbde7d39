import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Application } from 'typedoc';
import { afterAll, describe, expect, it } from 'vitest';

// The TypeDoc reference (`npm run docs -w packages/video`, committed in docs/api): it builds from
// the sources without a warning, and the committed copy is what the sources give today.

const packageDir = join(import.meta.dirname, '..');
const committed = join(packageDir, 'docs', 'api');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('the API reference', () => {
  const out = mkdtempSync(join(tmpdir(), 'palaver-video-api-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is generated from the sources without warnings, and the committed copy is current', async () => {
    const app = await Application.bootstrapWithPlugins({
      options: join(packageDir, 'typedoc.json'),
      out,
      logLevel: 'Warn',
    });
    const project = await app.convert();
    expect(project).toBeDefined();
    // What the CLI checks too: every type the reference mentions is in it, links resolve.
    app.validate(project!);
    await app.generateOutputs(project!);
    expect(app.logger.hasErrors() || app.logger.hasWarnings()).toBe(false);

    const generated = filesUnder(out);
    expect(generated).toEqual(
      expect.arrayContaining(['README.md', 'classes/Room.md', 'functions/initialize.md']),
    );
    // When this fails, run `npm run docs -w packages/video` and commit docs/api.
    expect(filesUnder(committed)).toEqual(generated);
    for (const file of generated) {
      expect(readFileSync(join(committed, file), 'utf8'), file).toBe(
        readFileSync(join(out, file), 'utf8'),
      );
    }
  }, 60_000);
});
