/**
 * Test oracle: shared/rates/store.ts as it was before the rates-perf rewrite (main at 9ad5b0b), kept
 * verbatim except for import paths so test/rates/equivalence.test.ts can run the old and the new
 * code paths side by side on the same seeded corpora. Not used by any shipped code.
 */
import type { Baseline } from './model.ts';
import type { BurstState } from '../../../shared/rates/bursts.ts';

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
  /** Applies the writes (one per key) and returns every key's state after its write. */
  apply(writes: readonly KeyWrite[]): Promise<Map<string, KeyState>>;
  /**
   * Records a key's burst state if the stored burst id still equals `expectedId` (null = none).
   * Returns false when another writer got there first (then the caller must not alert twice).
   */
  saveBurst(keyId: string, expectedId: string | null, burst: BurstState, ttl: number): Promise<boolean>;
  readonly stats: StoreStats;
}

/** In-memory store for local replay and unit tests; same semantics as the DynamoDB one. */
export class MemoryRateStore implements RateStore {
  readonly stats: StoreStats = { writes: 0, conditionalFailures: 0 };
  private readonly items = new Map<string, KeyState>();

  async apply(writes: readonly KeyWrite[]): Promise<Map<string, KeyState>> {
    const out = new Map<string, KeyState>();
    for (const w of writes) {
      this.stats.writes += 1;
      let item = this.items.get(w.keyId);
      if (!item) {
        item = { version: 0, baseline: null, counts: new Map(), burst: null };
        this.items.set(w.keyId, item);
      }
      let removed = new Set<number>();
      if (w.fold) {
        if (w.fold.expectVersion === item.version) {
          item.baseline = w.fold.baseline;
          removed = new Set(w.fold.removeMinutes);
          for (const m of removed) item.counts.delete(m);
        } else {
          this.stats.conditionalFailures += 1;
        }
      }
      // A minute folded by this write already includes this batch's adds (see KeyWrite).
      for (const [m, n] of w.adds) if (!removed.has(m)) item.counts.set(m, (item.counts.get(m) ?? 0) + n);
      item.version += 1;
      out.set(w.keyId, { ...item, counts: new Map(item.counts) });
    }
    return out;
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
