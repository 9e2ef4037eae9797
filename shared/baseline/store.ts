import { copyProfile, type Profile } from './profile.ts';

/** What `update` hands the change function and expects back. */
export type ProfileChange<R> = (current: Profile | undefined) => { next?: Profile; result: R };

/**
 * Baseline profiles by key. `update` is the only write: it gives the change function the current
 * profile and stores `next` (when returned) atomically — the DynamoDB layer conditionally on the
 * version it read, re-reading and re-applying on a concurrent change — so two consumers never
 * both report the same new value. The change function must be pure (it may run more than once).
 */
export interface BaselineStore {
  update<R>(key: string, change: ProfileChange<R>): Promise<R>;
  readonly stats: { reads: number; writes: number; conflicts: number };
}

/** In-memory store for replay and tests: bounded by the number of profiles, not events. */
export class MemoryBaselineStore implements BaselineStore {
  readonly stats = { reads: 0, writes: 0, conflicts: 0 };
  private readonly items = new Map<string, Profile>();

  async update<R>(key: string, change: ProfileChange<R>): Promise<R> {
    const current = this.items.get(key);
    const { next, result } = change(current === undefined ? undefined : copyProfile(current));
    if (next) {
      this.items.set(key, next);
      this.stats.writes += 1;
    }
    return result;
  }

  get size(): number {
    return this.items.size;
  }

  /** A copy of one profile (tests). */
  get(key: string): Profile | undefined {
    const p = this.items.get(key);
    return p === undefined ? undefined : (structuredClone(p) as Profile);
  }
}
