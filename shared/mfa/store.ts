/**
 * State of the MFA-replacement judgement: MFA removals waiting for a new device, per user. Same
 * store design as the rate detector: an interface, memory in replay and tests, and a DynamoDB layer
 * with the same semantics in the deployed rates function (`dynamodb-store.ts`; see docs/noise.md).
 */

/** One user's MFA removal waiting to be resolved by a new device or to expire into a page. */
export interface PendingRemoval {
  /** `<account>|<user name>`. */
  key: string;
  account: string;
  userName: string;
  /** Serial numbers removed (DeactivateMFADevice / DeleteVirtualMFADevice). */
  serials: string[];
  /** The stable identity of the caller that removed it (role for sessions, user ARN…). */
  actor: string;
  /** eventID and time of the first removal. */
  eventId: string;
  timeMs: number;
  /** When it pages if no new device was enabled (epoch ms of event time). */
  deadlineMs: number;
  /** The first removal's finding fields (the page is built from them). */
  snapshot: Record<string, unknown>;
}

export interface MfaStore {
  get(key: string): Promise<PendingRemoval | undefined>;
  put(item: PendingRemoval): Promise<void>;
  /** Removes the entry; with `eventId`, only if the entry still is that removal (a newer one stays). */
  delete(key: string, eventId?: string): Promise<void>;
  /** Pending removals whose deadline is at or before `timeMs`, oldest first. */
  due(timeMs: number): Promise<PendingRemoval[]>;
  /** Every pending removal (end of a replay). */
  all(): Promise<PendingRemoval[]>;
}

/** In-memory store: one entry per user with a removal pending (bounded by users, not events). */
export class MemoryMfaStore implements MfaStore {
  private readonly items = new Map<string, PendingRemoval>();

  async get(key: string): Promise<PendingRemoval | undefined> {
    return this.items.get(key);
  }

  async put(item: PendingRemoval): Promise<void> {
    this.items.set(item.key, item);
  }

  async delete(key: string, eventId?: string): Promise<void> {
    if (eventId === undefined || this.items.get(key)?.eventId === eventId) this.items.delete(key);
  }

  async due(timeMs: number): Promise<PendingRemoval[]> {
    return [...this.items.values()].filter((i) => i.deadlineMs <= timeMs).sort((a, b) => a.deadlineMs - b.deadlineMs);
  }

  async all(): Promise<PendingRemoval[]> {
    return [...this.items.values()].sort((a, b) => a.deadlineMs - b.deadlineMs);
  }

  get size(): number {
    return this.items.size;
  }
}
