import type { State } from '../types.js';
import type { StateAction } from './stateReducer.js';
import { reduceState } from './stateReducer.js';

/**
 * Holds the room's current state and applies actions to it. `onChange` (the room's
 * `state_changed`) hears every change; `waitFor` lets managers wait for a condition without
 * polling.
 */
export class StateStore {
  #state: State;
  readonly #onChange: (state: State) => void;
  readonly #watchers = new Set<(state: State) => void>();

  constructor(initial: State, onChange: (state: State) => void) {
    this.#state = initial;
    this.#onChange = onChange;
  }

  get state(): State {
    return this.#state;
  }

  /** Applies `action` and tells the listeners, unless nothing changed. */
  dispatch(action: StateAction): State {
    const next = reduceState(this.#state, action);
    if (next === this.#state) {
      return next;
    }
    this.#state = next;
    this.#onChange(next);
    for (const watcher of [...this.#watchers]) {
      watcher(next);
    }
    return next;
  }

  /** Applies `action` without `state_changed` (the final cleanup after `disconnected`). */
  replaceQuietly(action: StateAction): State {
    this.#state = reduceState(this.#state, action);
    for (const watcher of [...this.#watchers]) {
      watcher(this.#state);
    }
    return this.#state;
  }

  /**
   * Resolves once `predicate` holds (checked now and after every change), or with `false` after
   * `timeoutMs`.
   */
  waitFor(predicate: (state: State) => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate(this.#state)) {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const watcher = (state: State): void => {
        if (predicate(state)) {
          done(true);
        }
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (result: boolean): void => {
        clearTimeout(timer);
        this.#watchers.delete(watcher);
        resolve(result);
      };
      this.#watchers.add(watcher);
    });
  }
}
