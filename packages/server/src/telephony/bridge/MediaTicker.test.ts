import { createSocket } from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { MediaTicker } from './MediaTicker.js';

describe('MediaTicker', () => {
  it('ticks every period on deadlines and stops when nobody listens', async () => {
    let afterTicks = 0;
    const ticker = new MediaTicker(() => (afterTicks += 1), { periodMs: 10 });
    const started = performance.now();
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const listener = (): void => {
        ticks += 1;
        if (ticks === 10) {
          ticker.delete(listener);
          resolve();
        }
      };
      ticker.add(listener);
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(afterTicks).toBe(10);
    expect(ticker.stats).toEqual({ ticks: 10, skipped: 0 });
  });

  it('after a stall, reads what came in meanwhile before the ticks that catch up', async () => {
    // Frames that arrived while the event loop was held up must be there for the ticks that make
    // up for the stall; otherwise those ticks find nothing and the frames become a backlog.
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const events: string[] = [];
    socket.on('message', () => events.push('frame'));
    // Another thread sends the frames while this one is held up, and says when it has.
    const sent = new Int32Array(new SharedArrayBuffer(4));
    const sender = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const socket = require('node:dgram').createSocket('udp4');
       parentPort.on('message', (port) => {
         let left = 3;
         for (let i = 0; i < 3; i += 1) {
           socket.send(Buffer.from([i]), port, '127.0.0.1', () => {
             left -= 1;
             if (left === 0) Atomics.store(workerData, 0, 1);
           });
         }
       });`,
      { eval: true, workerData: sent },
    );
    await new Promise((resolve) => sender.once('online', resolve));
    const ticker = new MediaTicker(() => undefined, { periodMs: 20 });
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const listener = (): void => {
        ticks += 1;
        events.push('tick');
        if (ticks === 1) {
          sender.postMessage(socket.address().port);
          setImmediate(() => {
            // Something else holds the event loop up for over three periods, until the frames
            // have been sent.
            const until = performance.now() + 70;
            while (performance.now() < until || Atomics.load(sent, 0) === 0) {
              // busy
            }
          });
        }
        if (ticks === 5) {
          ticker.delete(listener);
          resolve();
        }
      };
      ticker.add(listener);
    });
    socket.close();
    await sender.terminate();
    expect(events.slice(0, 5)).toEqual(['tick', 'frame', 'frame', 'frame', 'tick']);
    expect(ticker.stats.ticks).toBe(5);
  });
});
