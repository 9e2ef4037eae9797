import type { Baseline } from './model.ts';
import type { BurstState } from './bursts.ts';

/** Everything stored for one rate key (one DynamoDB item). */
export interface KeyState {
  /** Bumped by every write, so a stale cached copy cannot fold counts it has not seen. */
  version: number;
  baseline: Baseline | null;
  /** Per-minute counts not yet folded into the baseline (the last `latenessMinutes` or so). */
  counts: Map<number, number>;
  burst: BurstState | null;
}

/**
 * One write per key per batch: atomic ADD of the batch's per-minute counts and, when the caller's
 * cached state is still current (`expectVersion` matches), the fold of completed minutes into the
 * baseline in the same write. If the version moved, only the ADD is applied.
 */
export interface KeyWrite {
  keyId: string;
  adds: Map<number, number>;
  fold?: { expectVersion: number; baseline: Baseline; removeMinutes: number[] };
  /** Epoch seconds. */
  ttl: number;
}
// When the fold applies, minutes in `removeMinutes` are deleted and their `adds` are NOT added
// (the fold already counted them); when it does not apply, every add is applied.

export interface StoreStats {
  writes: number;
  conditionalFailures: number;
}

/**
 * State held in this process that the detector may read and update in place (the in-memory store of
 * replay and tests). Every call is synchronous, so no other writer can interleave between the
 * detector reading a key and updating it: the detector's view can never be stale, which is what the
 * version check of `KeyWrite.fold` guards against in DynamoDB. What it saves is the write itself: no
 * `KeyWrite`, no copied counts, no follow-up fold, and baselines folded in place.
 */
export interface LiveRateState {
  /** The key's live state, created empty when absent (or expired by TTL). */
  item(keyId: string): LiveItem;
  /**
   * Records one write of `item` as `apply` would have made it (one per key per batch): bumps its
   * version, sets its TTL, counts the write. Call `endBatch` after the batch's last one.
   */
  wrote(item: LiveItem, ttl: number): void;
  /** After a batch of writes: expires items idle past their TTL, as `apply` does after its writes. */
  endBatch(): void;
  /** `saveBurst`, synchronously. */
  saveBurstNow(keyId: string, expectedId: string | null, burst: BurstState): boolean;
}

/** A key's state as the in-process store holds it. */
export interface LiveItem extends KeyState {
  /** Epoch seconds, like the DynamoDB item's TTL attribute. */
  ttl: number;
  /** Set when TTL expiry dropped the item: whoever holds it must fetch the key again. */
  expired: boolean;
  /**
   * True once `apply` handed `baseline` to a caller (its returned state shares the object): the
   * live path then folds a copy instead of changing it in place.
   */
  baselineShared: boolean;
  /**
   * Oldest and newest minute in `counts` (+Infinity / -Infinity when empty), kept by the live path
   * so that it can tell without a scan whether anything is due to fold; NaN after `apply` changed
   * the counts (the live path then scans once).
   */
  oldest: number;
  newest: number;
}

/** Rate state behind a small interface: DynamoDB in Lambda, memory in replay and tests. */
export interface RateStore {
  /** Present when the state lives in this process and may be updated in place (see `LiveRateState`). */
  readonly live?: LiveRateState;
  /** Applies the writes (one per key) and returns every key's state after its write, in the order of `writes`. */
  apply(writes: readonly KeyWrite[]): Promise<KeyState[]>;
  /**
   * Records a key's burst state if the stored burst id still equals `expectedId` (null = none).
   * Returns false when another writer got there first (then the caller must not alert twice).
   */
  saveBurst(keyId: string, expectedId: string | null, burst: BurstState, ttl: number): Promise<boolean>;
  readonly stats: StoreStats;
}

/**
 * In-memory store for local replay and unit tests; same semantics as the DynamoDB one, including
 * its TTL: an item whose last write's `ttl` is behind the newest event time written is dropped (as
 * DynamoDB's TTL deletes an item idle for `ttlDays`), so memory is bounded by the keys active in
 * the last `ttlDays` of event time, not by every key a long replay ever saw.
 */
export class MemoryRateStore implements RateStore, LiveRateState {
  readonly stats: StoreStats = { writes: 0, conditionalFailures: 0 };
  readonly live: LiveRateState = this;
  private readonly items = new Map<string, LiveItem>();
  /** Newest `ttl` written, and the event time (epoch s) an expiry sweep last ran at. */
  private newestTtl = Number.NEGATIVE_INFINITY;
  private sweptAt = Number.NEGATIVE_INFINITY;
  /** Items dropped because their TTL passed. */
  expired = 0;

  constructor(private readonly ttlSeconds = 14 * 86_400) {}

  async apply(writes: readonly KeyWrite[]): Promise<KeyState[]> {
    const out = new Array<KeyState>(writes.length);
    for (let i = 0; i < writes.length; i += 1) {
      const w = writes[i] as KeyWrite;
      this.stats.writes += 1;
      let item = this.items.get(w.keyId);
      if (!item) {
        item = newItem(w.ttl);
        this.items.set(w.keyId, item);
      }
      let removed: readonly number[] | undefined;
      if (w.fold) {
        if (w.fold.expectVersion === item.version) {
          item.baseline = w.fold.baseline;
          removed = w.fold.removeMinutes;
          for (const m of removed) item.counts.delete(m);
        } else {
          this.stats.conditionalFailures += 1;
        }
      }
      // A minute folded by this write already includes this batch's adds (see KeyWrite).
      for (const [m, n] of w.adds) if (removed === undefined || !removed.includes(m)) item.counts.set(m, (item.counts.get(m) ?? 0) + n);
      item.version += 1;
      item.ttl = w.ttl;
      if (w.ttl > this.newestTtl) this.newestTtl = w.ttl;
      item.baselineShared = true;
      item.oldest = Number.NaN;
      item.newest = Number.NaN;
      out[i] = { version: item.version, baseline: item.baseline, counts: new Map(item.counts), burst: item.burst };
    }
    this.expire();
    return out;
  }

  item(keyId: string): LiveItem {
    let item = this.items.get(keyId);
    if (!item) {
      item = newItem(0);
      this.items.set(keyId, item);
    }
    return item;
  }

  wrote(item: LiveItem, ttl: number): void {
    this.stats.writes += 1;
    item.version += 1;
    item.ttl = ttl;
    if (ttl > this.newestTtl) this.newestTtl = ttl;
  }

  endBatch(): void {
    this.expire();
  }

  /** Drops items idle past their TTL; sweeps at most once per hour of event time. */
  private expire(): void {
    const now = this.newestTtl - this.ttlSeconds;
    if (now - this.sweptAt < 3600) return;
    this.sweptAt = now;
    for (const [id, item] of this.items) {
      if (item.ttl < now) {
        this.items.delete(id);
        item.expired = true;
        this.expired += 1;
      }
    }
  }

  async saveBurst(keyId: string, expectedId: string | null, burst: BurstState): Promise<boolean> {
    return this.saveBurstNow(keyId, expectedId, burst);
  }

  saveBurstNow(keyId: string, expectedId: string | null, burst: BurstState): boolean {
    this.stats.writes += 1;
    const item = this.items.get(keyId);
    if (!item || (item.burst?.id ?? null) !== expectedId) {
      this.stats.conditionalFailures += 1;
      return false;
    }
    // The burst fields are independent of the fold, so this write does not bump `version`.
    item.burst = burst;
    return true;
  }

  /** Every key id held (for tests: read the states back with an empty `apply`). */
  keyIds(): string[] {
    return [...this.items.keys()];
  }

  /** Number of keys held (for tests and the benchmark). */
  get size(): number {
    return this.items.size;
  }
}

function newItem(ttl: number): LiveItem {
  return { version: 0, baseline: null, counts: new Map(), burst: null, ttl, expired: false, baselineShared: false, oldest: Number.POSITIVE_INFINITY, newest: Number.NEGATIVE_INFINITY };
}

/**
 * The same store reached only through `apply` and `saveBurst`: the per-key-per-batch write path the
 * DynamoDB store takes (KeyWrite, versioned fold, follow-up folds), for tests and the benchmark
 * that compare it with the live path on the same stream.
 */
export function writesOnly(store: RateStore): RateStore {
  return { apply: (writes) => store.apply(writes), saveBurst: (keyId, expectedId, burst, ttl) => store.saveBurst(keyId, expectedId, burst, ttl), stats: store.stats };
}
