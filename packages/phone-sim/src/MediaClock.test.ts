import { describe, expect, it } from 'vitest';
import { MediaClock } from './MediaClock.js';

describe('MediaClock', () => {
  it('ticks every 20 ms without drift', async () => {
    const clock = new MediaClock({ slots: 1 });
    const ticks: number[] = [];
    const start = performance.now();
    await new Promise<void>((resolve) => {
      const off = clock.subscribe((tick) => {
        ticks.push(tick);
        if (tick === 25) {
          off();
          resolve();
        }
      });
    });
    const elapsed = performance.now() - start;
    expect(ticks).toEqual(Array.from({ length: 26 }, (_, i) => i));
    expect(elapsed).toBeGreaterThanOrEqual(499);
    // Generous: a busy CI machine delays timers, but never makes them early.
    expect(elapsed).toBeLessThan(1500);
    clock.close();
  });

  it('runs every missed tick, in order, after the loop was blocked', async () => {
    const clock = new MediaClock({ slots: 1 });
    const seen: Array<{ tick: number; late: number }> = [];
    await new Promise<void>((resolve) => {
      const off = clock.subscribe((tick, dueAt) => {
        seen.push({ tick, late: performance.now() - dueAt });
        if (tick === 1) {
          const until = performance.now() + 100;
          while (performance.now() < until) {
            // hold the event loop for five frames
          }
        }
        if (tick === 10) {
          off();
          resolve();
        }
      });
    });
    expect(seen.map((s) => s.tick)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen[2]?.late).toBeGreaterThan(60);
    clock.close();
  });

  it('spreads listeners over phases of the period', async () => {
    const clock = new MediaClock({ slots: 4 });
    const phases: number[] = [];
    const offs: Array<() => void> = [];
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 4; i += 1) {
        offs.push(
          clock.subscribe((tick, dueAt) => {
            if (tick === 2) {
              phases.push(dueAt - clock.dueAt(2));
              if (phases.length === 4) {
                resolve();
              }
            }
          }),
        );
      }
    });
    expect(phases.sort((a, b) => a - b)).toEqual([0, 5, 10, 15]);
    offs.forEach((off) => off());
    expect(clock.listenerCount).toBe(0);
    clock.close();
    clock.close();
  });

  it('keeps ticking when a listener throws', async () => {
    const errors: unknown[] = [];
    const clock = new MediaClock({ slots: 1, onListenerError: (e) => errors.push(e) });
    let count = 0;
    await new Promise<void>((resolve) => {
      clock.subscribe(() => {
        throw new Error('boom');
      });
      clock.subscribe((tick) => {
        count += 1;
        if (tick === 3) {
          resolve();
        }
      });
    });
    expect(count).toBe(4);
    expect(errors.length).toBeGreaterThanOrEqual(4);
    clock.close();
  });
});
