/**
 * A Map that refuses changes once built, so that the state's maps are as immutable as its
 * frozen objects (`Object.freeze` alone does not stop `Map.prototype.set`).
 */
export class FrozenMap<K, V> extends Map<K, V> {
  readonly #sealed: boolean;

  constructor(entries?: Iterable<readonly [K, V]>) {
    super();
    // Filled through super.set: this class's own set() refuses, and the field below is only
    // initialised once super() has returned.
    if (entries !== undefined) {
      for (const [key, value] of entries) {
        super.set(key, value);
      }
    }
    this.#sealed = true;
    Object.freeze(this);
  }

  override set(key: K, value: V): this {
    if (this.#sealed) {
      throw new TypeError('the room state is immutable: Map.set is not allowed');
    }
    return super.set(key, value);
  }

  override delete(_key: K): boolean {
    throw new TypeError('the room state is immutable: Map.delete is not allowed');
  }

  override clear(): void {
    throw new TypeError('the room state is immutable: Map.clear is not allowed');
  }
}

/** A frozen copy of `map` with `key` set to `value`. */
export function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): FrozenMap<K, V> {
  const entries = new Map(map);
  entries.set(key, value);
  return new FrozenMap(entries);
}

/** A frozen copy of `map` without `key`. */
export function withoutEntry<K, V>(map: ReadonlyMap<K, V>, key: K): FrozenMap<K, V> {
  const entries = new Map(map);
  entries.delete(key);
  return new FrozenMap(entries);
}
