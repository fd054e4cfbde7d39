import type { Unsubscribe } from './types.js';

/** An event map: event name → listener signature. */
export type EventMap<E> = { [K in keyof E]: (...args: never[]) => unknown };

/**
 * A small typed emitter. A listener that throws is reported to `onListenerError` and never stops
 * the other listeners or the room that emits.
 */
export class TypedEmitter<E extends EventMap<E>> {
  readonly #listeners = new Map<keyof E, Set<E[keyof E]>>();
  readonly #onListenerError: (error: unknown, event: keyof E) => void;

  constructor(onListenerError: (error: unknown, event: keyof E) => void) {
    this.#onListenerError = onListenerError;
  }

  on<K extends keyof E>(event: K, listener: E[K]): Unsubscribe {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    // Each registration is its own entry, so the same function added twice is called twice and
    // each Unsubscribe removes only its own registration.
    const entry = ((...args: Parameters<E[K]>) =>
      (listener as (...a: Parameters<E[K]>) => unknown)(...args)) as E[K];
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const set = this.#listeners.get(event);
    if (set === undefined) {
      return;
    }
    // A listener may add or remove listeners: iterate over a copy.
    for (const listener of [...set]) {
      try {
        const result = (listener as (...a: Parameters<E[K]>) => unknown)(...args);
        if (result instanceof Promise) {
          result.catch((error: unknown) => this.#onListenerError(error, event));
        }
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAll(): void {
    this.#listeners.clear();
  }
}
