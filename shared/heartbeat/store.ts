/**
 * Last-seen state per (account, region) of the organization's forwarders. The recorder writes one
 * heartbeat at a time; the scheduled check lists every pair, adds the pairs it expects but never
 * heard from, and moves a pair between `ok` and `silent` when it alerts. Implementations: DynamoDB
 * (shared/heartbeat/dynamodb-store.ts, deployed) and memory (tests, and the contract both follow).
 */

/** `ok`: no open silence alert. `silent`: a silence finding went out and no "back" message yet. */
export type PairStatus = 'ok' | 'silent';

export interface PairState {
  account: string;
  region: string;
  /** Newest heartbeat time (epoch ms); absent for a pair that is expected but was never heard from. */
  lastSeenMs?: number;
  /** When the check first expected this pair without having heard from it (epoch ms). */
  expectedSinceMs?: number;
  status: PairStatus;
  /** When `status` last changed (epoch ms); absent while it never changed. */
  statusSinceMs?: number;
}

export const pairKey = (account: string, region: string): string => `${account}#${region}`;

export interface HeartbeatStore {
  /**
   * Records a heartbeat: last-seen becomes `timeMs` unless a newer one is already stored (a late
   * retry never moves it back). Returns false when the stored value was newer or equal.
   */
  record(account: string, region: string, timeMs: number): Promise<boolean>;
  /** Every pair the store knows. */
  list(): Promise<PairState[]>;
  /** Adds a pair never heard from, expected since `nowMs`; false if the pair exists already. */
  expect(account: string, region: string, nowMs: number): Promise<boolean>;
  /**
   * Moves a pair from `from` to `to` (at `nowMs`) only if it is still `from`: two overlapping checks
   * never both alert. Returns false when another check got there first.
   */
  transition(account: string, region: string, from: PairStatus, to: PairStatus, nowMs: number): Promise<boolean>;
}

/** The store in memory, with the same conditional semantics as the DynamoDB one. */
export class MemoryHeartbeatStore implements HeartbeatStore {
  readonly pairs = new Map<string, PairState>();

  async record(account: string, region: string, timeMs: number): Promise<boolean> {
    const key = pairKey(account, region);
    const current = this.pairs.get(key);
    if (current?.lastSeenMs !== undefined && current.lastSeenMs >= timeMs) return false;
    this.pairs.set(key, { ...(current ?? { account, region, status: 'ok' }), lastSeenMs: timeMs });
    return true;
  }

  async list(): Promise<PairState[]> {
    return [...this.pairs.values()].map((p) => ({ ...p }));
  }

  async expect(account: string, region: string, nowMs: number): Promise<boolean> {
    const key = pairKey(account, region);
    if (this.pairs.has(key)) return false;
    this.pairs.set(key, { account, region, expectedSinceMs: nowMs, status: 'ok' });
    return true;
  }

  async transition(account: string, region: string, from: PairStatus, to: PairStatus, nowMs: number): Promise<boolean> {
    const current = this.pairs.get(pairKey(account, region));
    if (!current || current.status !== from) return false;
    current.status = to;
    current.statusSinceMs = nowMs;
    return true;
  }
}
