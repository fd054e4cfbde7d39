import { describe, expect, it } from 'vitest';
import { TypedEmitter } from './TypedEmitter.js';

interface TestEvents {
  joined: (id: string, count: number) => void;
  left: (id: string) => void;
}

describe('TypedEmitter', () => {
  it('calls listeners in the order they were added, with the emitted arguments', () => {
    const emitter = new TypedEmitter<TestEvents>(() => undefined);
    const calls: string[] = [];
    emitter.on('joined', (id, count) => calls.push(`a:${id}:${count}`));
    emitter.on('joined', (id) => calls.push(`b:${id}`));
    emitter.emit('joined', 'bob', 2);
    expect(calls).toEqual(['a:bob:2', 'b:bob']);
  });

  it('removes only the registration whose Unsubscribe is called', () => {
    const emitter = new TypedEmitter<TestEvents>(() => undefined);
    const calls: string[] = [];
    const listener = (id: string): void => {
      calls.push(id);
    };
    const first = emitter.on('left', listener);
    emitter.on('left', listener);
    first();
    first();
    emitter.emit('left', 'x');
    expect(calls).toEqual(['x']);
  });

  it('keeps calling the other listeners when one throws or rejects, and reports the error', async () => {
    const errors: unknown[] = [];
    const emitter = new TypedEmitter<TestEvents>((error, event) => errors.push([event, error]));
    const calls: string[] = [];
    emitter.on('left', () => {
      throw new Error('boom');
    });
    // An async listener, as apps write them: its rejection is reported too.
    const asyncListener = async (): Promise<void> => {
      await Promise.resolve();
      throw new Error('later');
    };
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- apps do pass async listeners
    emitter.on('left', asyncListener);
    emitter.on('left', (id) => calls.push(id));
    emitter.emit('left', 'carol');
    expect(calls).toEqual(['carol']);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(errors).toEqual([
      ['left', new Error('boom')],
      ['left', new Error('later')],
    ]);
  });
});
