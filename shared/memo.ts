/**
 * A bounded memo: a `Map` that empties itself when it is full and a new entry is remembered.
 *
 * The module-level memos of the policy engine, the event model and a few detections keep one
 * answer per distinct input (an ARN, an action pattern, a user agent…). Inputs come from
 * untrusted events and policies, so every memo has a bound; reaching it empties the memo and the
 * entry being added is kept. Emptying (rather than evicting one entry) costs nothing per look-up:
 * `get`, `has` and `size` are the `Map`'s own, with no wrapper, closure or allocation, so the hot
 * paths read it exactly as they read a plain `Map`. Only {@link BoundedMap.remember} checks the bound.
 *
 * `set` is left as `Map.prototype.set` (unbounded) for callers that must not clear; memos add
 * their entries with `remember`.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  /** The number of entries at which the next `remember` empties the map first. */
  readonly limit: number;

  constructor(limit: number) {
    super();
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`BoundedMap limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  /**
   * Stores `value` under `key` and returns it. When the map already holds `limit` entries it is
   * emptied first (whether or not `key` is one of them), so the new entry is always kept and the
   * map never holds more than `limit` entries.
   */
  remember(key: K, value: V): V {
    if (this.size >= this.limit) this.clear();
    this.set(key, value);
    return value;
  }
}
