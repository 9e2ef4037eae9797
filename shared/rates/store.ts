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

/** Rate state behind a small interface: DynamoDB in Lambda, memory in replay and tests. */
export interface RateStore {
  /** Applies the writes (one per key) and returns every key's state after its write, in the order of `writes`. */
  apply(writes: readonly KeyWrite[]): Promise<KeyState[]>;
  /**
   * Records a key's burst state if the stored burst id still equals `expectedId` (null = none).
   * Returns false when another writer got there first (then the caller must not alert twice).
   */
  saveBurst(keyId: string, expectedId: string | null, burst: BurstState, ttl: number): Promise<boolean>;
  readonly stats: StoreStats;
}

interface MemoryItem extends KeyState {
  /** Epoch seconds, like the DynamoDB item's TTL attribute. */
  ttl: number;
}

/**
 * In-memory store for local replay and unit tests; same semantics as the DynamoDB one, including
 * its TTL: an item whose last write's `ttl` is behind the newest event time written is dropped (as
 * DynamoDB's TTL deletes an item idle for `ttlDays`), so memory is bounded by the keys active in
 * the last `ttlDays` of event time, not by every key a long replay ever saw.
 */
export class MemoryRateStore implements RateStore {
  readonly stats: StoreStats = { writes: 0, conditionalFailures: 0 };
  private readonly items = new Map<string, MemoryItem>();
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
        item = { version: 0, baseline: null, counts: new Map(), burst: null, ttl: w.ttl };
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
      out[i] = { version: item.version, baseline: item.baseline, counts: new Map(item.counts), burst: item.burst };
    }
    this.expire();
    return out;
  }

  /** Drops items idle past their TTL; sweeps at most once per hour of event time. */
  private expire(): void {
    const now = this.newestTtl - this.ttlSeconds;
    if (now - this.sweptAt < 3600) return;
    this.sweptAt = now;
    for (const [id, item] of this.items) {
      if (item.ttl < now) {
        this.items.delete(id);
        this.expired += 1;
      }
    }
  }

  async saveBurst(keyId: string, expectedId: string | null, burst: BurstState): Promise<boolean> {
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

  /** Number of keys held (for tests and the benchmark). */
  get size(): number {
    return this.items.size;
  }
}
