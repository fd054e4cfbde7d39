import { describe, expect, it } from 'vitest';
import { FaultInjector, hasFrameFaults } from './FaultInjector.js';

describe('FaultInjector', () => {
  it('is reproducible from its seed', () => {
    const run = (): string[] => {
      const f = new FaultInjector({ seed: 42, duplicate: 0.2, reorder: 0.2, drop: 0.1 });
      const out: string[] = [];
      for (let i = 0; i < 100; i += 1) {
        if (!f.drop()) {
          out.push(...f.frame(String(i)));
        }
      }
      return [...out, ...f.flush()];
    };
    expect(run()).toEqual(run());
  });

  it('loses nothing it holds back', () => {
    const f = new FaultInjector({ seed: 7, reorder: 0.3, burst: 4 });
    const out: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      out.push(...f.frame(String(i)));
    }
    out.push(...f.flush());
    expect(out.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(out).not.toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    expect(f.counters.reordered).toBeGreaterThan(0);
    expect(f.counters.bursts).toBeGreaterThan(0);
  });

  it('spoils payloads and JSON as asked', () => {
    const f = new FaultInjector({ seed: 1, badBase64: 1 });
    expect(f.payload('AAAA')).not.toMatch(/^[A-Za-z0-9+/=]+$/);
    const g = new FaultInjector({ seed: 1, wrongSize: 1 });
    expect(Buffer.from(g.payload('x'), 'base64').length).not.toBe(160);
    const h = new FaultInjector({ seed: 1, malformedJson: 1 });
    expect(() => JSON.parse(h.frame('{"event":"media"}')[0] ?? '') as unknown).toThrow();
    const u = new FaultInjector({ seed: 1, unknownEvent: 1 });
    expect(JSON.parse(u.unknownEvent(() => 9, 's') ?? '{}')).toMatchObject({
      sequence_number: '9',
      stream_id: 's',
    });
  });

  it('knows when there is nothing to inject', () => {
    expect(hasFrameFaults(undefined)).toBe(false);
    expect(hasFrameFaults({ seed: 1, stopWithoutClose: true })).toBe(false);
    expect(hasFrameFaults({ drop: 0.1 })).toBe(true);
  });
});
