import type { AccountSet } from '../detections/types.ts';

const ACCOUNT_ID = /^\d{12}$/;

/**
 * The organization's accounts as far as the events show it: every account whose own trail logged
 * an event (`recipientAccountId`) in the logs being replayed — an organization trail delivers all
 * of its members'. A caller's `userIdentity.accountId` is not used: a vendor assuming a role logs
 * its own, foreign, account there. Memory: one entry per account.
 */
export class LearnedAccounts implements AccountSet {
  private readonly ids = new Set<string>();

  constructor(private readonly declared?: AccountSet) {}

  has(account: string): boolean {
    return this.ids.has(account) || this.declared?.has(account) === true;
  }

  /** Learns the recipient account of a raw input (EventBridge envelope or bare CloudTrail record). */
  observe(value: unknown): void {
    if (typeof value !== 'object' || value === null) return;
    const v = value as Record<string, unknown>;
    const detail = typeof v['detail'] === 'object' && v['detail'] !== null ? (v['detail'] as Record<string, unknown>) : v;
    const id = detail['recipientAccountId'];
    if (typeof id === 'string' && ACCOUNT_ID.test(id)) this.ids.add(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
