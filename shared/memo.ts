/**
 * Bounded memos: a plain `Map` that is emptied when it is full and a new entry is remembered.
 *
 * The per-process memos of the policy engine, the event model and a few detections keep one
 * answer per distinct input (an ARN, an action pattern, a user agent…). Inputs come from
 * untrusted events and policies, so every memo has a bound; reaching it empties the memo and the
 * entry being added is kept. Emptying (rather than evicting one entry) costs nothing per look-up.
 *
 * A memo is a real `Map` (its prototype is `Map.prototype`) carrying its `limit`: `get`, `has` and
 * `size` are the `Map`'s own, with no wrapper, closure or allocation per look-up. Only
 * {@link remember}, called on a miss, checks the bound. (A `class … extends Map` was measured first:
 * the analyzer's warm passes took ~5% more CPU to reach their steady speed, pairwise.)
 */
export interface BoundedMap<K, V> extends Map<K, V> {
  /** The number of entries at which the next {@link remember} empties the map first. */
  readonly limit: number;
}

/** An empty bounded memo holding at most `limit` entries (a positive integer). */
export function boundedMap<K, V>(limit: number): BoundedMap<K, V> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`bounded memo limit must be a positive integer, got ${limit}`);
  return Object.assign(new Map<K, V>(), { limit });
}

/**
 * Stores `value` under `key` in `memo` and returns it. When the memo already holds `limit` entries
 * it is emptied first (whether or not `key` is one of them), so the new entry is always kept and
 * the memo never holds more than `limit` entries. `memo.set` stays unbounded.
 */
export function remember<K, V>(memo: BoundedMap<K, V>, key: K, value: V): V {
  if (memo.size >= memo.limit) memo.clear();
  memo.set(key, value);
  return value;
}
