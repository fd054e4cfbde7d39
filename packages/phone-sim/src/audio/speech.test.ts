import { describe, expect, it } from 'vitest';
import { rmsDbfs } from './analysis.js';
import { isSpeechAvailable, synthesizeSpeech } from './speech.js';

describe('speech', () => {
  // espeak-ng is installed by `npm test`'s setup step (scripts/setup.sh).
  it('speaks a sentence at 8 kHz', async () => {
    expect(await isSpeechAvailable()).toBe(true);
    const samples = await synthesizeSpeech('Hello from the phone network.');
    expect(samples.length).toBeGreaterThan(8000);
    expect(rmsDbfs(samples)).toBeGreaterThan(-40);
  });

  it('reports a missing synthesizer with a stable code', async () => {
    await expect(
      synthesizeSpeech('x', { command: '/nonexistent/espeak-ng' }),
    ).rejects.toMatchObject({ code: 'speech_unavailable' });
  });
});
