import { EventEmitter } from 'node:events';

/** An event map: event name → the listener's argument tuple. */
export type EventMap<T> = Record<keyof T, unknown[]>;

export type Listener<A extends unknown[]> = (...args: A) => unknown;

/** Called when a listener throws or rejects; the emitter carries on with the next listener. */
export type ListenerErrorHandler = (error: unknown, event: string) => void;

/**
 * A typed event emitter whose `safeEmit` runs every listener even when one throws (or returns a
 * rejected promise), so an owner's bug never breaks the object that emits.
 */
export class SafeEventEmitter<E extends EventMap<E>> {
  readonly #emitter = new EventEmitter();
  readonly #onListenerError: ListenerErrorHandler;

  constructor(onListenerError: ListenerErrorHandler = () => undefined) {
    this.#onListenerError = onListenerError;
    // Owners and tests may subscribe many times; a leak warning would be noise here.
    this.#emitter.setMaxListeners(0);
  }

  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => unknown);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => unknown);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => unknown);
    return this;
  }

  removeAllListeners(event?: keyof E & string): this {
    if (event === undefined) {
      this.#emitter.removeAllListeners();
    } else {
      this.#emitter.removeAllListeners(event);
    }
    return this;
  }

  listenerCount(event: keyof E & string): number {
    return this.#emitter.listenerCount(event);
  }

  /** Resolves with the arguments of the next emission of `event`. */
  waitFor<K extends keyof E & string>(event: K): Promise<E[K]> {
    return new Promise((resolve) => {
      this.once(event, (...args) => resolve(args));
    });
  }

  /** Emits to every listener; returns whether there was any. */
  protected safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    // rawListeners keeps once() wrappers, so they still remove themselves.
    const listeners = this.#emitter.rawListeners(event) as ((...a: unknown[]) => unknown)[];
    for (const listener of listeners) {
      try {
        const result = listener.apply(this, args);
        if (result instanceof Promise) {
          result.catch((error: unknown) => this.#reportListenerError(error, event));
        }
      } catch (error) {
        this.#reportListenerError(error, event);
      }
    }
    return listeners.length > 0;
  }

  #reportListenerError(error: unknown, event: string): void {
    try {
      this.#onListenerError(error, event);
    } catch {
      // The error reporter itself failed; nothing sensible is left to do.
    }
  }
}
